"""The public EMF page without a browser: point query, sites, plain numbers, the limit's title,
place search and errors shown in the form."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer

from ssckit.core.i18n import language
from ssckit.core.store import Store
from ssckit.emf.web import plain_percent
from ssckit.web.app import create_app


def _r02_terrace(demo_workspace: Path) -> tuple[float, float]:
    with (demo_workspace / "accessible.csv").open() as f:
        row = next(r for r in csv.DictReader(f) if r["name"].startswith("neighbour"))
    return float(row["lat"]), float(row["lon"])


@pytest.fixture(scope="module")
def client(demo_workspace: Path):
    with TestClient(create_app(demo_workspace), base_url="https://testserver") as c:
        yield c


def test_point_api_agrees_with_the_check(client: TestClient, demo_workspace: Path):
    lat, lon = _r02_terrace(demo_workspace)
    # On the ground far from any site: far below the limit.
    far = client.get("/api/v1/emf/point", params={"lat": 40.66, "lon": 39.02}).json()
    assert far["compliant"] and far["percent_of_limit"] < 10
    assert "full power" in far["assumptions"][0]
    # Outside the city: refused, not extrapolated.
    assert client.get("/api/v1/emf/point", params={"lat": 10, "lon": 10}).status_code == 422
    assert client.get("/api/v1/emf/point").status_code == 422
    # On the terrace itself (21 m roof + 1.5 m) the strict national limit is exceeded,
    # as `ssckit emf check` found; on the street below it is not.
    up = client.get("/api/v1/emf/point", params={"lat": lat, "lon": lon, "height_m": 22.5})
    down = client.get("/api/v1/emf/point", params={"lat": lat, "lon": lon})
    assert not up.json()["compliant"] and down.json()["compliant"]
    assert up.json()["contributions"][0]["site"] == "R02"
    assert "e+" not in up.json()["summary"] and "exclusion zone" in up.json()["summary"]
    with Store.open(demo_workspace / "ssckit.duckdb", read_only=True) as s:
        kpi = s.query_values(indicator="EN:EN:EQ:1C", entity="city", period="2026", breakdown={})
        worst = s.query_values(indicator="emf:worst_exposure_ratio", entity="site:R02")
    assert kpi[0].source["module"] == "emf.check"
    assert kpi[0].value == pytest.approx(100 * 18 / 19)
    assert worst[0].value > 1


def test_sites_api_is_typed(client: TestClient):
    sites = client.get("/api/v1/emf/sites").json()["sites"]
    by_site = {s["site"]: s for s in sites}
    # R02: a neighbour's terrace 12 m in front fails the strict synthetic national limit but
    # meets ICNIRP 2020 (sample city; see ssckit.emf.sample)
    assert by_site["R02"]["compliant"] is False
    assert by_site["R02"]["compliant_icnirp2020-public"] is True
    assert isinstance(by_site["R02"]["eirp_w"], float) and by_site["R02"]["eirp_w"] > 0
    assert isinstance(by_site["R02"]["sectors"], int)
    assert by_site["R02"]["percent_of_limit"] == pytest.approx(100 * by_site["R02"]["worst_ter"],
                                                               rel=1e-3)


@pytest.mark.parametrize(("p", "en", "ru"), [
    (378.391, "378 %", "378 %"), (1234.6, "1,235 %", "1\u202f235 %"), (3.44, "3.4 %", "3,4 %"),
    (0.0344, "0.034 %", "0,034 %"), (0.00004, "less than 0.01 %", None), (55.5, "56 %", "56 %")])
def test_plain_percent_never_uses_exponents(p: float, en: str, ru: str | None):
    with language("en"):
        assert plain_percent(p) == en
    if ru:
        with language("ru"):
            assert plain_percent(p) == ru


def test_page_names_the_limit_and_puts_the_failing_site_first(client: TestClient):
    page = client.get("/emf").text
    assert "sampleland-national" not in page          # the id is not for residents
    assert "synthetic national rule: 10 µW/cm² at every frequency" in page
    assert "<strong>no</strong>" in page and "e+0" not in page
    rows = re.findall(r"<tr><td>(\w+)</td>", page.split('id="sites-caption"')[1])
    assert rows[0] == "R02"                          # the non-compliant site first
    assert "378 %" in page                           # R02's worst place, in plain numbers
    assert 'id="emf-map"' in page and "/static/leaflet/leaflet.js" in page
    assert "cdn" not in page.lower() and "plotly" not in page


def test_place_search_api(client: TestClient):
    found = client.get("/api/v1/emf/places", params={"q": "old"}).json()
    assert [p["name"] for p in found] == ["Old Town"] and found[0]["kind"] == "district"
    s, w, n, e = found[0]["bounds"]
    assert s <= found[0]["lat"] <= n and w <= found[0]["lon"] <= e
    # "ri": the district Riverside before the river line (districts rank first).
    assert [p["name"] for p in client.get("/api/v1/emf/places",
                                          params={"q": "RI"}).json()] == ["Riverside", "river"]
    assert client.get("/api/v1/emf/places", params={"q": "nowhere"}).json() == []
    kinds = {f["properties"]["kind"] for f in
             client.get("/api/v1/emf/areas.geojson").json()["features"]}
    assert kinds == {"boundary", "district", "river"}


def test_place_search_without_javascript(client: TestClient):
    page = client.get("/emf", params={"place": "east park"}).text
    assert "At East Park:" in page and 'class="big">Here the estimated exposure is' in page
    missing = client.get("/emf", params={"place": "Atlantis"})
    assert missing.status_code == 200
    assert "No place called “Atlantis” in this city" in missing.text
    assert 'id="place" name="place" type="search"' in missing.text and 'value="Atlantis"' in \
        missing.text


@pytest.mark.parametrize(("query", "field", "says"), [
    ({"lat": "abc", "lon": "39.05"}, "lat", "Latitude: “abc” is not a number"),
    ({"lat": "40.7", "lon": "500"}, "lon", "Longitude: 500 is outside -180 to 180"),
    ({"lat": "40.7", "lon": "39.05", "height_m": "-3"}, "height_m",
     "Height above ground: -3 is outside 0 to 300"),
    ({"lat": "40.7"}, "lon", "Give both latitude and longitude"),
    ({"lat": "10", "lon": "10"}, "lat", "outside the city"),
])
def test_bad_input_is_shown_in_the_form(client: TestClient, query: dict, field: str,
                                        says: str):
    r = client.get("/emf", params=query)
    assert r.status_code == 200                         # the page, not a validation answer
    html = r.text
    assert says in html
    # beside the field it concerns, the field marked invalid and keeping what was typed
    m = re.search(rf'<input id="{field}"[^>]*>', html)
    assert m and 'aria-invalid="true"' in m.group(0), m
    assert f'id="{field}-error"' in html
    if field in query:
        assert f'value="{query[field]}"' in m.group(0)
    assert 'role="alert"' in html and 'class="big"' not in html


def test_bad_input_in_the_readers_language(client: TestClient):
    ru = client.get("/emf", params={"lat": "abc", "lon": "39", "lang": "ru"}).text
    assert "Широта: «abc» — не число" in ru
    be = client.get("/emf", params={"lat": "abc", "lon": "39", "lang": "be"}).text
    assert "Шырата: «abc» — не лік" in be


def test_lat_lon_roundtrip_helper(demo_workspace: Path):
    # The terrace lies 12 m in front of R02's first sector, as the sample generator says.
    lat, lon = _r02_terrace(demo_workspace)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32637", always_xy=True).transform(lon, lat)
    assert 500_000 < x < 510_000 and 4_500_000 < y < 4_510_000
