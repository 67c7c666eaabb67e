"""Readings storage: DuckDB for recent data, Parquet history, hourly aggregates, retention."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ssckit.core.store import Store
from ssckit.school.payload import Reading, to_us
from ssckit.school.schema import ensure_tables
from ssckit.school.storage import (
    PART_FILE,
    archive,
    downsample,
    insert_readings,
    query_readings,
    readings_root,
    retention,
)

DAY1 = datetime(2026, 3, 2)
A, B, M = "S01-R101-env0", "S02-R201-env0", "S01-meter"


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "ssckit.duckdb") as s:
        ensure_tables(s)
        yield s


def minutes(device: str, quantity: str, start: datetime, n: int, value0: float = 500.0,
            step: float = 1.0) -> list[Reading]:
    return [Reading(device, quantity, to_us(start + timedelta(minutes=k)), value0 + k * step)
            for k in range(n)]


def put(store: Store, registry: object, rs: list[Reading]) -> int:
    with store.transaction() as cur:
        return insert_readings(cur, registry, rs)


def db_count(store: Store) -> int:
    return store.cursor().execute("SELECT count(*) FROM school_readings").fetchone()[0]


def test_insert_ignores_duplicates(store: Store, registry: object) -> None:
    rs = minutes(A, "co2", DAY1, 10)
    assert put(store, registry, rs) == 10
    assert put(store, registry, rs[5:] + minutes(A, "co2", DAY1 + timedelta(minutes=10), 2)) == 2
    changed = [Reading(A, "co2", rs[0].ts_us, 999.0)] * 2          # same key, twice
    assert put(store, registry, changed) == 0
    rows = query_readings(store, device_id=A, limit=1)
    assert rows == [("S01", "R101", A, "co2", DAY1, 500.0)]          # first value kept
    assert db_count(store) == 12


def test_archive_moves_to_partitioned_parquet(store: Store, registry: object,
                                              tmp_path: Path) -> None:
    root = readings_root(tmp_path / "ws")
    rs = (minutes(A, "co2", DAY1 + timedelta(hours=23), 120)            # spans two days
          + minutes(B, "temperature", DAY1, 30, 20.0, 0.1)
          + minutes(M, "electricity", DAY1 + timedelta(days=2), 10, 100.0))
    put(store, registry, rs)
    cutoff = DAY1 + timedelta(days=2)
    res = archive(store, root, cutoff)
    assert (res.rows, res.partitions) == (150, 3)
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet"))
    assert files == [f"day=2026-03-02/school=S01/{PART_FILE}",
                     f"day=2026-03-02/school=S02/{PART_FILE}",
                     f"day=2026-03-03/school=S01/{PART_FILE}"]
    assert db_count(store) == 10                                       # only the recent ones
    everything = query_readings(store, root)
    assert len(everything) == 160
    assert sorted((r[2], r[3], to_us(r[4]), r[5]) for r in everything) == sorted(rs)
    # the Parquet files are plain hive-partitioned files DuckDB reads in place
    n = store.cursor().execute(
        f"SELECT count(*) FROM read_parquet('{root}/*/*/*.parquet', hive_partitioning=true) "
        "WHERE school = 'S01'").fetchone()[0]
    assert n == 120
    # idempotent: nothing left to move, nothing changes
    assert archive(store, root, cutoff).rows == 0
    assert len(query_readings(store, root)) == 160


def test_query_filters_across_duckdb_and_parquet(store: Store, registry: object,
                                                 tmp_path: Path) -> None:
    root = tmp_path / "readings"
    put(store, registry, minutes(A, "co2", DAY1, 60) + minutes(A, "noise", DAY1, 60, 40.0, 0.0))
    archive(store, root, DAY1 + timedelta(minutes=30))
    put(store, registry, minutes(B, "co2", DAY1, 60))
    rows = query_readings(store, root, school_id="S01", quantity="co2",
                          start=DAY1 + timedelta(minutes=20), end=DAY1 + timedelta(minutes=40))
    assert [r[4] for r in rows] == [DAY1 + timedelta(minutes=k) for k in range(20, 40)]
    assert {r[0] for r in rows} == {"S01"}
    assert len(query_readings(store, root, room_id="R201")) == 60
    assert query_readings(store, root, device_id="nobody") == []


def test_archive_interrupted_after_writing_loses_and_duplicates_nothing(
        store: Store, registry: object, tmp_path: Path) -> None:
    root = tmp_path / "readings"
    rs = minutes(A, "co2", DAY1, 100)
    put(store, registry, rs)
    # a run that wrote its file but died before committing the DELETE: simulate it by
    # archiving a copy of the store, then keeping this store's rows
    shadow = tmp_path / "shadow.duckdb"
    store.con.execute("CHECKPOINT")
    shutil.copy(store.path, shadow)
    with Store.open(shadow) as other:
        archive(other, root, DAY1 + timedelta(days=1))
    assert db_count(store) == 100 and any(root.rglob("*.parquet"))
    assert len(query_readings(store, root)) == 100                 # merged, not doubled
    assert archive(store, root, DAY1 + timedelta(days=1)).rows == 100
    assert db_count(store) == 0
    assert sorted((r[2], r[3], to_us(r[4]), r[5]) for r in query_readings(store, root)) == rs
    # a stale temporary file from a crash is ignored and replaced
    (next(root.rglob(PART_FILE)).parent / (PART_FILE + ".tmp")).write_bytes(b"junk")
    assert len(query_readings(store, root)) == 100


def test_late_readings_merge_into_an_archived_day(store: Store, registry: object,
                                                  tmp_path: Path) -> None:
    root = tmp_path / "readings"
    put(store, registry, minutes(A, "co2", DAY1, 30))
    archive(store, root, DAY1 + timedelta(days=1))
    late = minutes(A, "co2", DAY1 + timedelta(minutes=20), 20, 9000.0)  # 10 known, 10 new
    assert put(store, registry, late) == 20          # DuckDB no longer holds the old ones
    archive(store, root, DAY1 + timedelta(days=1))
    rows = query_readings(store, root)
    assert len(rows) == 40 and len(list(root.rglob("*.parquet"))) == 1
    by_minute = {r[4]: r[5] for r in rows}
    assert by_minute[DAY1 + timedelta(minutes=25)] == 525.0       # the first stored value
    assert by_minute[DAY1 + timedelta(minutes=35)] == 9015.0


def test_downsample_hourly(store: Store, registry: object, tmp_path: Path) -> None:
    root = tmp_path / "readings"
    put(store, registry, minutes(A, "co2", DAY1 + timedelta(hours=8), 90)      # 08:00-09:29
         + minutes(B, "noise", DAY1 + timedelta(hours=8, minutes=30), 10, 50.0, 0.0))
    # half of hour 08 of A goes to Parquet first: the aggregate must still see all of it
    archive(store, root, DAY1 + timedelta(hours=8, minutes=30))
    n = downsample(store, root, DAY1, DAY1 + timedelta(days=1))
    assert n == 3
    rows = store.cursor().execute(
        "SELECT school_id, room_id, device_id, quantity, hour, n, mean, min, max "
        "FROM school_hourly ORDER BY device_id, hour").fetchall()
    h8, h9 = DAY1 + timedelta(hours=8), DAY1 + timedelta(hours=9)
    assert rows == [("S01", "R101", A, "co2", h8, 60, 529.5, 500.0, 559.0),
                    ("S01", "R101", A, "co2", h9, 30, 574.5, 560.0, 589.0),
                    ("S02", "R201", B, "noise", h8, 10, 50.0, 50.0, 50.0)]
    # recomputing is idempotent, and a partial range still recomputes whole hours
    assert downsample(store, root, h8 + timedelta(minutes=59), h9 + timedelta(minutes=1)) == 3
    again = store.cursor().execute("SELECT count(*), sum(n) FROM school_hourly").fetchone()
    assert again == (3, 100)
    # the default range is the whole hours of the readings in DuckDB (08:30-09:34 here)
    put(store, registry, minutes(A, "co2", h9 + timedelta(minutes=30), 5, 700.0))
    assert downsample(store, root) == 3
    assert store.cursor().execute("SELECT n, max FROM school_hourly WHERE hour = ? "
                                  "AND device_id = ?", [h9, A]).fetchone() == (35, 704.0)


def test_retention_deletes_old_raw_data_after_aggregating(store: Store, registry: object,
                                                          tmp_path: Path) -> None:
    root = tmp_path / "readings"
    put(store, registry, minutes(A, "co2", DAY1, 120)                         # day 1
        + minutes(A, "co2", DAY1 + timedelta(days=1), 60, 600.0)              # day 2
        + minutes(A, "co2", DAY1 + timedelta(days=9), 60, 700.0))             # day 10
    archive(store, root, DAY1 + timedelta(hours=1))     # part of day 1 already in Parquet
    now = DAY1 + timedelta(days=9, hours=12)
    res = retention(store, root, keep_days=7, now=now)  # cutoff: day 3 00:00
    assert (res.archived_rows, res.days_deleted, res.files_deleted) == (120, 2, 2)
    assert not any(root.glob("day=2026-03-0[23]"))
    assert db_count(store) == 60
    assert [r[4].day for r in query_readings(store, root)] == [11] * 60
    hourly = store.cursor().execute(
        "SELECT hour, n, mean FROM school_hourly ORDER BY hour").fetchall()
    assert hourly == [(DAY1, 60, 529.5), (DAY1 + timedelta(hours=1), 60, 589.5),
                      (DAY1 + timedelta(days=1), 60, 629.5)]
    # idempotent
    assert retention(store, root, keep_days=7, now=now).days_deleted == 0
    assert store.cursor().execute("SELECT count(*) FROM school_hourly").fetchone()[0] == 3
    with pytest.raises(ValueError):
        retention(store, root, keep_days=-1)


def test_first_of_each_key_keeps_the_first_reading_of_each_key(registry: object) -> None:
    import random

    from ssckit.school.storage import RegistryCodes, first_of_each_key

    rnd = random.Random(5)
    devices = sorted(d for d, dev in registry.devices.items() if "co2" in dev.quantities)
    rs = [Reading(rnd.choice(devices), rnd.choice(["co2", "noise"]),
                  to_us(DAY1) + rnd.randrange(40) * 60_000_000, float(k)) for k in range(3000)]
    first: dict[tuple[str, str, int], int] = {}
    for k, r in enumerate(rs):
        first.setdefault((r.device_id, r.quantity, r.ts_us), k)
    keep = first_of_each_key(RegistryCodes(registry).encode(rs))
    assert keep.tolist() == sorted(first.values())


def test_a_batch_with_repeats_stores_each_key_once_with_its_first_value(
        store: Store, registry: object) -> None:
    rs = minutes(A, "co2", DAY1, 5)
    again = [r._replace(value=r.value + 100) for r in rs]
    assert put(store, registry, rs[:2] + again + rs) == 5
    cur = store.cursor()
    try:
        values = [v for (v,) in cur.execute(
            "SELECT value FROM school_readings ORDER BY ts").fetchall()]
    finally:
        cur.close()
    assert values == [500.0, 501.0, 602.0, 603.0, 604.0]
