"""The Smart School dashboard and API on the sample city: in process, and in headless Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.testing import assert_allclose

from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.school import web
from ssckit.school.ieq import hysteresis_alerts
from ssckit.school.ngsi import ppm_to_mg_per_l
from ssckit.school.run import SchoolSettings
from ssckit.school.storage import query_readings, readings_root
from ssckit.web.app import create_app

SCHOOL = "SCH01"


@pytest.fixture
def client(demo_workspace: Path) -> Iterator[TestClient]:
    with TestClient(create_app(demo_workspace), base_url="https://testserver") as c:
        yield c


def _offset(demo_workspace: Path) -> int:
    return Workspace.load(demo_workspace).module_settings("school", SchoolSettings).utc_offset_min


# -- pages ------------------------------------------------------------------------------------
def test_city_ranking_lists_every_school_and_sorts(client: TestClient) -> None:
    r = client.get("/school")
    assert r.status_code == 200
    html = r.text
    ids = re.findall(r'<a href="/school/(SCH\d+)">', html)
    assert len(ids) == 20 and len(set(ids)) == 20
    for text in ("Schools ranked", "City-wide", "Classrooms meeting CO₂ category II",
                 "Pupils with ICT access", 'aria-sort="descending"', "<caption"):
        assert text in html
    assert '<a href="/school" aria-current="page">Smart School</a>' in html  # main navigation

    schools = {s["id"]: s for s in client.get("/api/v1/school/schools").json()}
    by_co2 = client.get("/school?sort=co2&order=asc").text
    ids = re.findall(r'<a href="/school/(SCH\d+)">', by_co2)
    co2 = [schools[i]["indicators"]["co2_mean_occupied_ppm"] for i in ids]
    assert co2 == sorted(co2) and 'aria-sort="ascending"' in by_co2
    by_name = re.findall(r'<a href="/school/(SCH\d+)">', client.get("/school?sort=name").text)
    assert by_name == sorted(by_name)
    assert client.get("/school?sort=nonsense").status_code == 422


def test_school_page_shows_every_panel(client: TestClient) -> None:
    r = client.get(f"/school/{SCHOOL}")
    assert r.status_code == 200
    html = r.text
    for heading in ("Live readings", "CO₂ by weekday and hour", "CO₂ categories per room",
                    "CO₂ alerts", "Energy", "Connectivity"):
        assert f">{heading}</h2>" in html, heading
    # Live tiles: every room's CO₂ with unit, category label and age; temperature in °C.
    tiles = re.findall(r'data-key="(R\d+)\|co2"', html)
    assert len(tiles) >= 5
    assert re.search(r'data-cat="[1-4]" data-key="R01\|co2"', html)
    assert re.search(r'<span class="v">\d[\d,]*</span> <span class="unit">ppm</span> '
                     r'<span class="cat">Category (I|II|III|IV)</span>', html)
    assert "°C" in html and re.search(r'<span class="age">\d+ (s|min|h|days) ago</span>', html)
    assert 'data-live-url="/school/SCH01/live"' in html and "/static/school/school.js" in html
    # The heat map: plotly data (7 weekdays x 24 hours) and its table.
    block = re.search(r'data-chart="heat-chart">(.*?)</script>', html, re.S)
    assert block is not None
    fig = json.loads(block.group(1))
    z = fig["data"][0]["z"]
    assert fig["data"][0]["type"] == "heatmap" and len(z) == 7 and all(len(x) == 24 for x in z)
    assert "Mean CO₂ [ppm] by weekday (rows) and hour of day (columns)" in html
    # Category shares, alerts, energy and connectivity.
    assert "Cat. IV</th>" in html and 'data-chart="cat-chart"' in html
    assert "An alert starts when a room's CO₂ reaches 1,500 ppm" in html
    assert 'data-chart="energy-chart"' in html and "Energy use by month [kWh]" in html
    assert "Past year per m² of floor area" in html and "Past year per pupil" in html
    assert re.search(r'class="conn conn-(live|at-risk|drop-off)"', html)
    for text in ("Uptime in school hours", "Median download", "Median latency"):
        assert text in html
    assert client.get("/school/NOPE").status_code == 404


def test_panels_agree_with_the_school_functions(demo_workspace: Path) -> None:
    """Heat map cell, alerts and energy against independent computations on the raw readings."""
    off = _offset(demo_workspace)
    with Store.open(demo_workspace / "ssckit.duckdb") as store:
        root = readings_root(demo_workspace)
        start, end = web._window(store, SCHOOL, web._now())
        rows = query_readings(store, root, school_id=SCHOOL, quantity="co2", start=start,
                              end=end)
        rows = [r for r in rows if r[1]]
        ts = np.array([r[4] for r in rows], dtype="datetime64[m]")
        val = np.array([r[5] for r in rows])
        local = ts + np.timedelta64(off, "m")
        weekday = (local.astype("datetime64[D]").view("int64") + 3) % 7   # 1970-01-01: Thu
        hour = (local - local.astype("datetime64[D]")).astype(int) // 60
        grid = web.co2_heatmap(store, root, SCHOOL, start, end, off)
        for wd, h in ((0, 10), (2, 3), (6, 23)):
            assert_allclose(grid[wd][h], val[(weekday == wd) & (hour == h)].mean(), atol=0.06)

        alerts = web.co2_alerts(store, root, SCHOOL, start, end)
        room = np.array([r[1] for r in rows])
        k = room == "R01"
        expected = hysteresis_alerts(ts[k], val[k], 1500.0, 1200.0)
        mine = sorted(a["start"] for a in alerts if a["room_id"] == "R01")
        assert mine == [datetime(1970, 1, 1) + timedelta(minutes=int(m)) for m in expected.start]
        assert all(a["peak"] >= 1500.0 and a["minutes"] >= 1 for a in alerts)

        # The minute-data part of the energy chart adds up to the stored indicator, which is
        # computed over the same meter readings (ieq.energy_intensity).
        t0 = query_readings(store, root, school_id=SCHOOL, quantity="electricity", limit=1)[0][4]
        days = web.daily_energy(store, root, SCHOOL, t0, end, off)
        kwh = sum(k for _, _, k in days)
        stored = store.query_values(indicator="school:energy_per_m2", entity=f"school:{SCHOOL}")
        area = web._schools(store, SCHOOL)[0]["floor_area_m2"]
        assert_allclose(kwh / area, stored[0].value, rtol=1e-6)
        # ... and a year of hourly aggregates precedes it.
        year = web.daily_energy(store, root, SCHOOL, end - timedelta(days=365), end, off)
        assert len({d for d, _, _ in year}) > 300

        cats = web.category_rows(store, SCHOOL, web._rooms(store, SCHOOL), start, end, off)
        assert cats and all(abs(sum(r["share"]) - 100.0) < 1e-6 for r in cats if r["hours"])


def test_pages_of_a_city_without_schools(tmp_path: Path) -> None:
    """A workspace without a school registry: the pages say so instead of failing."""
    boundary = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Emptyville"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [500000, 3500000], [505000, 3500000], [505000, 3505000], [500000, 3505000],
            [500000, 3500000]]]}}]}
    (tmp_path / "boundary.geojson").write_text(json.dumps(boundary), encoding="utf-8")
    (tmp_path / "city.yaml").write_text(
        "name: Emptyville\ncountry: Testland\nyear: 2024\ncrs: EPSG:32636\n"
        "boundary: boundary.geojson\nsynthetic: true\n", encoding="utf-8")
    with TestClient(create_app(tmp_path), base_url="https://testserver") as c:
        page = c.get("/school")
        assert page.status_code == 200 and "no school registry yet" in page.text
        assert c.get("/school/S01").status_code == 404
        assert c.get("/api/v1/school/schools").json() == []
        assert c.get("/api/v1/school/ngsi-ld").status_code == 404


# -- API --------------------------------------------------------------------------------------
def test_api_shapes(client: TestClient) -> None:
    schools = client.get("/api/v1/school/schools").json()
    assert len(schools) == 20
    s = next(x for x in schools if x["id"] == SCHOOL)
    assert {"name", "lat", "lon", "pupils", "floor_area_m2", "pupils_with_ict_access",
            "connectivity_status", "last_measurement", "indicators"} <= set(s)
    assert s["connectivity_status"] in ("live", "at-risk", "drop-off", "never")
    assert 0 <= s["indicators"]["classrooms_meeting_category_ii_pct"] <= 100
    assert s["indicators"]["co2_mean_occupied_ppm"] > 400

    latest = client.get(f"/api/v1/school/schools/{SCHOOL}/latest").json()
    assert latest["school_id"] == SCHOOL and latest["server_time"].endswith("Z")
    co2 = [r for r in latest["readings"] if r["quantity"] == "co2"]
    assert co2 and all(r["unit"] == "ppm" and r["category"] in (1, 2, 3, 4) for r in co2)
    assert {"key", "room_id", "value", "display", "ts", "age_s", "age"} <= set(co2[0])

    r = client.get(f"/api/v1/school/schools/{SCHOOL}/readings",
                   params={"room": "R01", "quantity": "co2", "limit": 50})
    assert r.status_code == 200
    body = r.json()
    assert body["truncated"] is True and len(body["readings"]) == 50
    stamps = [x["ts"] for x in body["readings"]]
    assert stamps == sorted(stamps)
    assert all(x["room_id"] == "R01" and x["quantity"] == "co2" and x["unit"] == "ppm"
               for x in body["readings"])
    # A time with an offset is converted to UTC: [first, third reading) holds two readings.
    third = datetime.fromisoformat(stamps[2].replace("Z", "+00:00"))
    local = third.astimezone(timezone(timedelta(hours=3))).isoformat()
    span = client.get(f"/api/v1/school/schools/{SCHOOL}/readings",
                      params={"room": "R01", "quantity": "co2", "start": stamps[0],
                              "end": local}).json()
    assert [x["ts"] for x in span["readings"]] == stamps[:2] and span["truncated"] is False
    assert client.get(f"/api/v1/school/schools/{SCHOOL}/readings",
                      params={"start": stamps[1], "end": stamps[0]}).status_code == 422
    assert client.get(f"/api/v1/school/schools/{SCHOOL}/readings",
                      params={"quantity": "radon"}).status_code == 422
    assert client.get("/api/v1/school/schools/NOPE/latest").status_code == 404
    assert "/api/v1/school/schools" in client.get("/openapi.json").json()["paths"]


def test_ngsi_ld_export(client: TestClient) -> None:
    r = client.get("/api/v1/school/ngsi-ld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    entities = r.json()
    types = {e["type"] for e in entities}
    assert {"Building", "Device", "IndoorEnvironmentObserved"} <= types
    assert sum(e["type"] == "Building" for e in entities) == 20
    latest = client.get(f"/api/v1/school/schools/{SCHOOL}/latest").json()["readings"]
    ppm = next(x["value"] for x in latest if x["key"] == "R01|co2")
    rh = next(x["value"] for x in latest if x["key"] == "R01|humidity")
    room = next(e for e in entities
                if e["id"] == f"urn:ngsi-ld:IndoorEnvironmentObserved:ssckit:{SCHOOL}:R01")
    assert room["co2"]["unitCode"] == "M1"
    # 1000 ppm of CO2 is 1.80 mg/L at 25 degC, 101.325 kPa (44.01 g/mol / 24.45 L/mol).
    assert_allclose(ppm_to_mg_per_l(1000.0), 1.80, rtol=1e-3)
    assert_allclose(room["co2"]["value"], ppm * 44.01 / 24.45 / 1000, rtol=1e-4)
    assert 0 <= room["relativeHumidity"]["value"] <= 1
    assert_allclose(room["relativeHumidity"]["value"], rh / 100, atol=1e-4)


def test_live_endpoint_streams_server_sent_events(client: TestClient) -> None:
    with client.stream("GET", f"/school/{SCHOOL}/live", params={"count": 1},
                       timeout=10) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers.get("content-encoding") is None   # never buffered by gzip
        data = [line[5:].strip() for line in r.iter_lines() if line.startswith("data:")]
    assert len(data) == 1
    event = json.loads(data[0])
    assert event["school_id"] == SCHOOL and event["server_time"].endswith("Z")
    assert any(x["key"] == "R01|co2" for x in event["readings"])
    assert client.get("/school/NOPE/live", params={"count": 1}).status_code == 404


# -- a real browser ---------------------------------------------------------------------------
@pytest.mark.browser
def test_school_page_updates_live_in_chromium(demo_server: str, browser_page: object,
                                              artifacts_dir: Path) -> None:
    page = browser_page
    page.goto(demo_server + "/school", wait_until="load")
    assert page.locator("table.rank-table tbody tr").count() == 20
    page.screenshot(path=str(artifacts_dir / "school-city.png"), full_page=True)

    page.goto(demo_server + f"/school/{SCHOOL}", wait_until="load")
    tile = page.locator('[data-key="R01|co2"]')
    assert re.fullmatch(r"\d[\d,]*", tile.locator(".v").inner_text())
    assert re.fullmatch(r"Category (I|II|III|IV)", tile.locator(".cat").inner_text())
    stamp = page.locator("#live-updated")
    first = stamp.get_attribute("datetime")
    # The page follows the server-sent events: its "updated" time changes without a reload.
    page.wait_for_function(
        "t => document.getElementById('live-updated').getAttribute('datetime') !== t "
        "&& document.getElementById('live-mode').textContent === 'Live'",
        arg=first, timeout=20_000)
    assert stamp.get_attribute("datetime") > first
    assert re.fullmatch(r"\d+ (s|min|h|days) ago", tile.locator(".age").inner_text())
    for chart in ("heat-chart", "cat-chart", "energy-chart"):
        page.wait_for_selector(f"#{chart} .main-svg", timeout=15_000)
    page.screenshot(path=str(artifacts_dir / "school.png"), full_page=True)
    page.goto("about:blank")   # closes the event stream before the server stops
    assert page.problems == []
