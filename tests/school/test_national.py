"""National scale: the synthetic registry's regional spread, the streamed hourly history, the
national report checked against the Parquet rows computed another way, and the ranking page
with its map and filters."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner

from ssckit.school import national as nat
from ssckit.school.ieq import week_table


def test_registry_regional_spread():
    schools, rooms, devices = nat.national_registry(0, 3000)
    assert len(schools) == 3000 and len({s["id"] for s in schools}) == 3000
    assert len({s["giga_id"] for s in schools}) == 3000
    per_region = {}
    for s in schools:
        per_region[s["region"]] = per_region.get(s["region"], 0) + 1
    counts = sorted(per_region.values(), reverse=True)
    assert len(counts) == 12
    # rank-size (Zipf): the largest region 1 / H(12) = 31 % of the schools, twice the second
    assert 0.27 < counts[0] / 3000 < 0.35 and 1.7 < counts[0] / counts[1] < 2.3
    assert counts[-1] / 3000 < 0.04
    districts = {s["district"] for s in schools}
    assert 12 * 4 <= len(districts) <= 12 * 15
    rooms_per_school = np.bincount([int(r["school_id"][1:]) for r in rooms])[1:]
    assert 12 < rooms_per_school.mean() < 30        # small rural and large urban schools
    assert rooms_per_school.min() == 5 and rooms_per_school.max() == 38
    lat = np.array([s["lat"] for s in schools])
    assert lat.min() > 34.5 and lat.max() < 43.5
    assert len(devices) == len(rooms) + 2 * 3000


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("national")
    res = nat.generate_national(root, 60, 10, "2026-01-05T00:00", seed=4, piece_schools=25)
    assert res["schools"] == 60
    for kind in ("room", "school"):
        assert sorted(p.name for p in (root / "hourly" / f"kind={kind}" / "month=2026-01"
                                       ).iterdir()) == [
            "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    nat.national_report(root, 180, threads=2)
    return root


def test_report_matches_the_parquet_rows(small):
    rows, total = nat.read_report(small)
    assert total == 60 and len(rows) == 60
    shares = [r["co2_cat_ii_share"] for r in rows]
    assert shares == sorted(shares, reverse=True)            # ranked
    con = duckdb.connect()
    h = con.execute("SELECT school_id, room_id, quantity, epoch(hour)::BIGINT // 60 AS m, "
                    "mean FROM "
                    "read_parquet($p)", {"p": str(small / "hourly" / "*" / "*" / "*.parquet")}
                    ).fetchnumpy()
    styles = dict(con.execute("SELECT id, style FROM read_csv($p)",
                              {"p": str(small / "schools.csv")}).fetchall())
    area = dict(con.execute("SELECT id, floor_area_m2 FROM read_csv($p)",
                            {"p": str(small / "schools.csv")}).fetchall())
    for r in rows[::7]:
        sid = r["school_id"]
        occ = week_table(nat.STYLE_TIMETABLES[styles[sid]]).reshape(168, 60).mean(1) >= 0.5
        k = (h["school_id"] == sid) & (h["quantity"] == "co2")
        local = h["m"][k] + 180
        how = ((local // 1440 + 3) % 7) * 24 + (local % 1440) // 60
        v = h["mean"][k][occ[how]]
        np.testing.assert_allclose(r["co2_cat_ii_share"], 100 * np.mean(v <= 1200.0),
                                   rtol=1e-9)
        kwh = 0.0
        for q in ("electricity", "heat"):
            m = h["mean"][(h["school_id"] == sid) & (h["quantity"] == q)]
            kwh += m.max() - m.min()
        np.testing.assert_allclose(r["kwh_m2"], kwh / area[sid], rtol=1e-9)


def test_statuses_follow_the_last_probe(small):
    rows, _ = nat.read_report(small)
    assert "end_hour" not in rows[0]                    # not part of the page rows
    con = duckdb.connect()
    end = con.execute("SELECT max(end_hour) FROM read_parquet($p)",
                      {"p": str(small / nat.REPORT_FILE)}).fetchone()[0]
    for r in rows:
        age = (end - r["last_probe"]).total_seconds() / 86400
        want = "live" if age <= 1 else "at-risk" if age <= 7 else "drop-off"
        assert r["status"] == want
        assert r["giga_category"] == ("good" if r["download_mean"] > 20 else "moderate"
                                      if r["download_mean"] >= 1 else "bad")
    assert {r["status"] for r in rows} >= {"live", "at-risk"}


def test_page_filters_and_map(small, tmp_path):
    from fastapi.testclient import TestClient

    from ssckit.web.app import create_app

    root = tmp_path / "city"
    (root / "data" / "school").mkdir(parents=True)
    (root / "boundary.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[500000, 0], [501000, 0], '
        '[501000, 1000], [500000, 1000], [500000, 0]]]}}]}')
    (root / "city.yaml").write_text(
        "name: Testville\ncountry: XX\nyear: 2026\ncrs: 'EPSG:32636'\n"
        "boundary: boundary.geojson\nsynthetic: true\n")
    (root / "data" / "school" / "national").symlink_to(small)
    rows, _ = nat.read_report(small)
    region = rows[0]["region"]
    in_region = [r for r in rows if r["region"] == region]
    with TestClient(create_app(root), base_url="https://testserver") as c:
        page = c.get("/school/national", params={"region": region})
        assert page.status_code == 200
        assert page.text.count('<th scope="row">School N') == len(in_region)
        assert 'data-chart="national-map"' in page.text
        fig = json.loads(page.text.split('data-chart="national-map">')[1].split("</script>")[0])
        assert sum(len(t["x"]) for t in fig["data"]) == len(in_region)
        by_name = c.get("/school/national", params={"sort": "name", "order": "asc"}).text
        names = [x.split("<")[0] for x in by_name.split('<th scope="row">')[1:]
                 if x.startswith("School")]
        assert names == sorted(names)
        api = c.get("/api/v1/school/national", params={"limit": 5}).json()
        assert api["total"] == 60 and len(api["schools"]) == 5


def test_cli_generate_and_report(tmp_path):
    from ssckit.cli import cli

    root = tmp_path / "city"
    root.mkdir()
    (root / "boundary.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[500000, 0], [501000, 0], '
        '[501000, 1000], [500000, 1000], [500000, 0]]]}}]}')
    (root / "city.yaml").write_text(
        "name: Testville\ncountry: XX\nyear: 2026\ncrs: 'EPSG:32636'\n"
        "boundary: boundary.geojson\nsynthetic: true\n")
    r = CliRunner().invoke(cli, ["school", "national", "generate", "-w", str(root),
                                 "--schools", "30", "--days", "2", "-q"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["school", "national", "report", "-w", str(root),
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["schools"] == 30 and doc["nation"]["schools"] == 30
