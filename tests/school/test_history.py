"""The simulated history, streamed piece by piece: its rows per partition, the same data whatever
the piece size; registry and settings mistakes named with file, line or field and range."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml
from numpy.testing import assert_array_equal

from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.school.run import RECENT_DAYS, SchoolSettings, simulate_history
from ssckit.school.schema import ensure_tables, store_registry
from ssckit.school.simulate import (
    Hourly,
    HourlySimulator,
    MinuteSimulator,
    Readings,
    registry_from_rows,
    sample_registry,
    simulate_minutes,
)
from ssckit.school.storage import HistoryWriter, readings_sql

from .conftest import load_registry, write_registry

#: Not at midnight: the first and the last UTC day of the span are partial.
END = datetime(2026, 3, 5, 13, 47)
DAYS, HOURLY_DAYS, SEED, OFFSET = 4, 40, 3, 180


@pytest.fixture(scope="module")
def reg():
    return registry_from_rows(*sample_registry(5, n_schools=3))


def _settings() -> SchoolSettings:
    return SchoolSettings(utc_offset_min=OFFSET, simulate_days=DAYS,
                          simulate_hourly_days=HOURLY_DAYS, seed=SEED)


def _simulate(folder: Path, reg, piece_days: int) -> tuple[Store, Path, Path, int]:
    folder.mkdir(parents=True)
    store = Store.open(folder / "ssckit.duckdb")
    store.migrate()
    ensure_tables(store)
    store_registry(store, reg)
    root, hourly = folder / "readings", folder / "hourly"
    n = simulate_history(store, reg, _settings(), root, hourly, end=END, piece_days=piece_days)
    return store, root, hourly, n


def _minute(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1)).total_seconds() // 60)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def _sorted(batch: Readings) -> tuple[np.ndarray, ...]:
    o = np.lexsort((batch.ts, batch.quantity, batch.device))
    return tuple(getattr(batch, f)[o] for f in ("device", "quantity", "ts", "value", "fault"))


def test_streamed_history_rows_per_partition(tmp_path: Path, reg) -> None:
    store, root, hourly_root, n = _simulate(tmp_path / "ws", reg, piece_days=1)
    start = END - timedelta(days=DAYS)
    # the reference: the same span simulated in one batch
    ref = simulate_minutes(reg, start.isoformat(), DAYS, seed=SEED, utc_offset_min=OFFSET)
    cutoff = _minute(END - timedelta(days=RECENT_DAYS))
    old = ref.ts < cutoff
    school = np.asarray(ref.school_ids)[ref.device]
    day = (ref.ts // 1440).astype("datetime64[D]").astype(str)
    expected = Counter(zip(day[old], school[old], strict=True))
    con = duckdb.connect()
    found = {(f.parent.parent.name.removeprefix("day="), f.parent.name.removeprefix("school=")):
             _rows(con, "SELECT count(*) FROM read_parquet(?)", [str(f)])[0][0]
             for f in root.glob("day=*/school=*/readings.parquet")}
    assert found == dict(expected)
    assert len(found) == 3 * 3             # days 1-3 of 5 UTC days touched, 3 schools
    assert not list(root.rglob("*.tmp")) and not list(tmp_path.glob("ws/.readings*"))
    cur = store.cursor()
    assert _rows(cur, "SELECT count(*), min(ts) FROM school_readings")[0] == (
        int((~old).sum()), datetime(1970, 1, 1) + timedelta(minutes=int(ref.ts[~old].min())))
    # every reading once, with the value simulated in one batch
    sql, params = readings_sql(root)
    got = cur.execute(f"SELECT device_id, quantity, epoch(ts)::BIGINT // 60 AS m, value "
                      f"FROM ({sql}) ORDER BY device_id, quantity, ts", params).fetchnumpy()
    o = np.lexsort((ref.ts, np.asarray(ref.quantities)[ref.quantity],
                    np.asarray(ref.device_ids)[ref.device]))
    assert_array_equal(got["device_id"], np.asarray(ref.device_ids)[ref.device[o]])
    assert_array_equal(got["quantity"], np.asarray(ref.quantities)[ref.quantity[o]])
    assert_array_equal(got["m"], ref.ts[o])
    assert_array_equal(got["value"], ref.value[o])
    # a partition holds its rows in key order, without a sort
    f = next(root.glob("day=*/school=*/readings.parquet"))
    keys = _rows(con, "SELECT device_id, quantity, ts FROM read_parquet(?)", [str(f)])
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    # hourly aggregates: one file per calendar month, every series every hour
    files = sorted(p.relative_to(hourly_root).as_posix() for p in hourly_root.rglob("*.parquet"))
    assert files == [f"month=2026-0{m}/hourly.parquet" for m in (1, 2, 3)]   # Jan 20 - Mar 1
    n_series = len(reg.rooms) * 7 + len(reg.schools) * (2 + 6)
    hours = _rows(con, "SELECT count(*), count(DISTINCT hour), min(hour), max(hour) FROM "
                       "read_parquet(?)", [str(hourly_root / "**" / "hourly.parquet")])[0]
    first = (start - timedelta(days=HOURLY_DAYS)).replace(minute=0)
    assert hours == (HOURLY_DAYS * 24 * n_series, HOURLY_DAYS * 24, first,
                     first + timedelta(hours=HOURLY_DAYS * 24 - 1))
    assert n == len(ref) + hours[0]
    store.close()


def test_history_does_not_depend_on_piece_size(tmp_path: Path, reg) -> None:
    a_store, a_root, a_hourly, a_n = _simulate(tmp_path / "a", reg, piece_days=1)
    b_store, b_root, b_hourly, b_n = _simulate(tmp_path / "b", reg, piece_days=3)
    assert a_n == b_n
    con = duckdb.connect()
    for a, b, pattern in ((a_root, b_root, "day=*/school=*/*.parquet"),
                          (a_hourly, b_hourly, "month=*/*.parquet")):
        names = sorted(p.relative_to(a) for p in a.glob(pattern))
        assert names and names == sorted(p.relative_to(b) for p in b.glob(pattern))
        for name in names:
            assert (_rows(con, "SELECT * FROM read_parquet(?)", [str(a / name)])
                    == _rows(con, "SELECT * FROM read_parquet(?)", [str(b / name)])), name
    query = "SELECT * FROM school_readings ORDER BY device_id, quantity, ts"
    assert _rows(a_store.cursor(), query) == _rows(b_store.cursor(), query)
    a_store.close()
    b_store.close()


@pytest.mark.parametrize("start", ["2026-03-01T00:00", "2026-02-27T17:23"])
def test_simulators_give_the_same_data_in_any_pieces(reg, start: str) -> None:
    def minutes(days_per_piece: int) -> tuple[np.ndarray, ...]:
        sim = MinuteSimulator(reg, start, 5, seed=SEED, utc_offset_min=OFFSET)
        assert sim.n_pieces(days_per_piece) == len(parts := list(sim.pieces(days_per_piece)))
        return _sorted(Readings.concat(parts))

    one = minutes(1)
    assert one[0].size > 0
    for other in (minutes(2), minutes(7)):
        for x, y in zip(one, other, strict=True):
            assert_array_equal(x, y)

    def hourly(days: int | None) -> tuple[np.ndarray, ...]:
        h = Hourly.concat(list(HourlySimulator(reg, start, 45, seed=SEED,
                                               utc_offset_min=OFFSET).pieces(days)))
        o = np.lexsort((h.hour, h.quantity, h.device))
        return tuple(getattr(h, f)[o] for f in ("device", "quantity", "hour", "n", "mean",
                                                "min", "max"))

    months = hourly(None)
    for x, y in zip(months, hourly(4), strict=True):
        assert_array_equal(x, y)


def test_a_partition_is_written_once(tmp_path: Path, reg) -> None:
    piece = next(MinuteSimulator(reg, "2026-03-01T00:00", 1, seed=SEED).pieces())
    with HistoryWriter.like(piece, background=True) as w:
        assert w.write_readings(piece, tmp_path) == len(piece)
    with HistoryWriter.like(piece) as w, pytest.raises(FileExistsError, match="archive"):
        w.write_readings(piece, tmp_path)
    part = piece.select_time(None, _minute(datetime(2026, 3, 1, 6)))
    with pytest.raises(FileExistsError), HistoryWriter.like(piece, background=True) as w:
        w.write_readings(part, tmp_path / "other")
        w.write_readings(part, tmp_path / "other")       # refused before it is queued


# -- mistakes in the inputs ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("file", "old", "new", "location", "words"),
    [
        ("schools.csv", "S01,North School,46.2,6.1,400,", "S01,North School,46.2,6.1,-4,",
         "line 2, field 'pupils'", "-4 is outside the allowed range 0..100000"),
        ("schools.csv", "S02,South School,46.1,6.2,250,25,2000,50,10,50",
         "S02,South School,46.1,6.2,250,25,2000,50,ten,50",
         "line 3, field 'contracted_up_mbps'", "'ten' is not a number"),
        ("rooms.csv", "S01,R102,classroom", "S01,R102,kitchen", "line 3, field 'type'",
         "use one of classroom, lab"),
        ("rooms.csv", "S02,R201,lab,80,24,", "S02,R201,lab,80,24.5,",
         "line 4, field 'capacity'", "not a whole number"),
        ("rooms.csv", "S02,R202,gym,300,60,mon-fri 08:00-15:00",
         "S02,R202,gym,300,60,mon-fri 08:00-15:00,extra", "line 5", "7 fields"),
        ("devices.csv", "S01-meter,S01,,electricity;heat", "S01-meter,S01,,electricity;gas",
         "line 6, field 'quantities'", "unknown quantity 'gas'"),
        ("devices.csv", "device_id,school_id", "device,school_id", "line 1 (header)",
         "missing column(s) device_id"),
    ],
)
def test_registry_mistakes_name_file_line_and_field(tmp_path: Path, file, old, new, location,
                                                     words) -> None:
    folder = write_registry(tmp_path)
    text = (folder / file).read_text()
    assert old in text
    (folder / file).write_text(text.replace(old, new))
    with pytest.raises(InputError) as e:
        load_registry(folder)
    assert e.value.source == str(folder / file)
    assert e.value.location == location
    assert words in e.value.message, e.value.message


def _workspace(folder: Path, school_settings: dict) -> Workspace:
    boundary = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Testville"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [500000, 3500000], [505000, 3500000], [505000, 3505000], [500000, 3505000],
            [500000, 3500000]]]}}]}
    (folder / "boundary.geojson").write_text(json.dumps(boundary), encoding="utf-8")
    (folder / "city.yaml").write_text(yaml.safe_dump({
        "name": "Testville", "country": "Testland", "year": 2026, "crs": "EPSG:32636",
        "boundary": "boundary.geojson", "synthetic": True,
        "settings": {"school": school_settings}}), encoding="utf-8")
    return Workspace.load(folder)


@pytest.mark.parametrize(
    ("settings", "field", "words"),
    [
        ({"simulate_days": 400}, "simulate_days", "less than or equal to 366"),
        ({"utc_offset_min": -800}, "utc_offset_min", "greater than or equal to -720"),
        ({"broker_port": 0}, "broker_port", "greater than or equal to 1"),
        ({"simulate_hourly_days": "many"}, "simulate_hourly_days", "valid integer"),
        ({"simulate_dayz": 3}, "simulate_dayz", "unknown setting; allowed: alerts, broker_host"),
    ],
)
def test_settings_are_validated_as_a_whole(tmp_path: Path, settings, field, words) -> None:
    good = _workspace(tmp_path, {"simulate_days": 28, "seed": 7})
    s = good.module_settings("school", SchoolSettings)
    assert (s.simulate_days, s.seed, s.utc_offset_min, s.broker_port) == (28, 7, 0, 1883)
    with pytest.raises(InputError) as e:
        _workspace(tmp_path, settings).module_settings("school", SchoolSettings)
    assert e.value.location == f"field 'settings.school.{field}'"
    assert words in e.value.message, e.value.message
