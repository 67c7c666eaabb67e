"""Connectivity as Giga counts it: the speed categories at their published thresholds
(20 Mbit/s benchmark, 1 Mbit/s base), the same in SQL, Giga Meter measurements imported from
their layout (kbit/s) once, and a school's category from its daily means."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner

from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.school import giga

HEADER = ("timestamp,browserId,school_id,giga_id_school,download,upload,latency,country_code,"
          "ip_address,app_version,source\n")


def test_categories_at_the_published_thresholds():
    # Giga Maps: good > 20 000 000 bit/s, moderate 1 000 000 .. 20 000 000, bad below
    speeds = [25.0, 20.01, 20.0, 5.0, 1.0, 0.99, 0.0, np.nan]
    cat = giga.giga_speed_category(speeds)
    assert cat.tolist() == ["good", "good", "moderate", "moderate", "moderate", "bad", "bad",
                            "unknown"]
    assert giga.is_connected(cat).tolist() == [True] * 5 + [False] * 3
    con = duckdb.connect()
    sql = giga.giga_category_sql("x")
    got = [con.execute(f"SELECT {sql} FROM (SELECT $v::DOUBLE AS x)",
                       {"v": None if np.isnan(v) else v}).fetchone()[0] for v in speeds]
    assert got == cat.tolist()


def test_status_sql_matches_connectivity_status():
    from ssckit.school.connectivity import connectivity_status

    con = duckdb.connect()
    now = datetime(2026, 3, 10, 12)
    for age_h in (0, 23, 24, 25, 24 * 7, 24 * 7 + 1):
        last = np.datetime64(now) - np.timedelta64(age_h, "h")
        want = str(connectivity_status(last, np.datetime64(now)))
        got = con.execute(f"SELECT {giga.connectivity_status_sql('l', 'n')} FROM (SELECT "
                          "$l::TIMESTAMP AS l, $n::TIMESTAMP AS n)",
                          {"l": last.astype(datetime), "n": now}).fetchone()[0]
        assert got == want, age_h


def _measurements(path: Path) -> Path:
    rows = [  # download/upload in kbit/s as Giga Meter reports them
        "2026-03-02T09:00:00Z,b1,,giga-a,10000,2000,35,XX,10.0.0.1,1.2,DailyCheckApp",
        "2026-03-02T13:00:00Z,b1,,giga-a,30000,4000,30,XX,10.0.0.1,1.2,DailyCheckApp",
        "2026-03-03T09:00:00Z,b1,,giga-a,40000,4000,25,XX,10.0.0.1,1.2,DailyCheckApp",
        "2026-03-03T09:00:00Z,b1,,giga-a,40000,4000,25,XX,10.0.0.1,1.2,DailyCheckApp",  # twice
        "2026-03-03T10:00:00+03:00,,S2,,5000,1000,80,XX,,,MLab",     # by government id
        "2026-03-03T10:00:00Z,b3,,giga-c,500,100,900,XX,,1.2,DailyCheckApp",
        "2026-03-03T10:00:00Z,b9,,giga-zz,9000,100,50,XX,,1.2,DailyCheckApp",     # unknown
    ]
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


def test_import_once_and_summary(tmp_path):
    with Store.open(tmp_path / "s.duckdb") as store:
        giga.store_giga_ids(store, {"S1": "giga-a", "S2": "giga-b", "S3": "giga-c"})
        res = giga.import_measurements(store, _measurements(tmp_path / "m.csv"),
                                       {"S1": "S1", "S2": "S2", "S3": "S3"})
        assert (res.rows, res.new, res.unknown_schools) == (6, 5, ["giga-zz"])
        again = giga.import_measurements(store, tmp_path / "m.csv", {"S2": "S2"})
        assert again.new == 0
        s = {r["school_id"]: r for r in giga.giga_summary(store, now=datetime(2026, 3, 4))}
    # S1: daily means 20 and 40 Mbit/s -> 30 -> good; 2 of 3 tests at >= 20 Mbit/s
    assert s["S1"]["download_mbps"] == pytest.approx(30.0)
    assert s["S1"]["category"] == "good" and s["S1"]["connected"]
    assert s["S1"]["benchmark_share"] == pytest.approx(200 / 3)
    assert s["S2"]["category"] == "moderate" and s["S2"]["connected"]
    assert s["S2"]["last_test"] == datetime(2026, 3, 3, 7)        # +03:00 stored as UTC
    assert s["S3"]["category"] == "bad" and not s["S3"]["connected"]
    assert s["S1"]["status"] == "live"


def test_mistakes_are_one_line(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(HEADER + "yesterday,b,,giga-a,100,1,1,XX,,,DailyCheckApp\n")
    with Store.open(tmp_path / "s.duckdb") as store:
        giga.store_giga_ids(store, {"S1": "giga-a"})
        with pytest.raises(InputError, match=r"line 2, field 'timestamp'.*ISO 8601"):
            giga.import_measurements(store, p)
        p.write_text(HEADER + "2026-03-03T09:00:00Z,b,,giga-a,-5,1,1,XX,,,DailyCheckApp\n")
        with pytest.raises(InputError, match=r"field 'download'"):
            giga.import_measurements(store, p)
    s = tmp_path / "schools.csv"
    s.write_text("id,giga_id\nS1,g1\nS2,g1\n")
    with pytest.raises(InputError, match="also given to school S1"):
        giga.read_giga_ids(s)


def test_cli_import(tmp_path):
    from ssckit.cli import cli
    from ssckit.school.simulate import write_sample_registry

    root = tmp_path / "city"
    root.mkdir()
    (root / "boundary.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[500000, 0], [501000, 0], '
        '[501000, 1000], [500000, 1000], [500000, 0]]]}}]}')
    schools, _, _ = write_sample_registry(root, seed=1, n_schools=3)
    lines = schools.read_text().splitlines()
    lines = [lines[0] + ",giga_id"] + [f"{x},giga-{i}" for i, x in enumerate(lines[1:])]
    schools.write_text("\n".join(lines) + "\n")
    (root / "city.yaml").write_text(
        "name: Testville\ncountry: XX\nyear: 2026\ncrs: 'EPSG:32636'\n"
        "boundary: boundary.geojson\nsynthetic: true\n"
        "inputs: {school: {schools: schools.csv, rooms: rooms.csv, devices: devices.csv}}\n")
    m = tmp_path / "m.csv"
    m.write_text(HEADER + "2026-03-03T09:00:00Z,b,,giga-0,25000,5000,20,XX,,,DailyCheckApp\n"
                 "2026-03-03T09:00:00Z,b,SCH02,,800,100,20,XX,,,MLab\n")
    r = CliRunner().invoke(cli, ["school", "giga-import", "-w", str(root), str(m),
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    cats = {s["school_id"]: s["category"] for s in doc["schools"]}
    assert cats == {"SCH01": "good", "SCH02": "bad", "SCH03": "unknown"}
