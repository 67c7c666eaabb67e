"""The radio pages and API on the sample city, in process."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from ssckit.web.app import create_app


def test_coverage_page_and_api(demo_workspace: Path):
    with TestClient(create_app(demo_workspace), base_url="https://testserver") as client:
        page = client.get("/radio?layer=sinr")
        assert page.status_code == 200
        html = page.text
        assert "Population covered" in html and "Old Town" in html
        assert 'src="/radio/layers/sinr.png"' in html and "Site plan" in html
        img = client.get("/radio/layers/sinr.png")
        assert img.status_code == 200 and img.content[:8] == b"\x89PNG\r\n\x1a\n"
        tif = client.get("/api/v1/radio/layers/rsrp.tif")
        assert tif.status_code == 200 and tif.content[:4] in (b"II*\x00", b"MM\x00*")
        cov = client.get("/api/v1/radio/coverage").json()
        city = next(z for z in cov["zones"] if z["entity"] == "city")
        assert 0 <= city["population_coverage"] <= 100
        plan = client.get("/api/v1/radio/plan").json()
        assert plan["steps"] and plan["target"] == 0.95
        assert client.get("/radio?layer=nonsense").status_code == 422
        assert client.get("/radio/layers/..%2Fcity.yaml.png").status_code in (404, 422)


def test_map_before_any_coverage_run(small_city: Path):
    """A city without a coverage run: the page says what to run, the map's data say why not."""
    with TestClient(create_app(small_city), base_url="https://testserver") as client:
        page = client.get("/radio")
        assert page.status_code == 200 and "ssckit radio coverage" in page.text
        assert 'id="radio-map"' not in page.text
        for url in ("/radio/tiles/rsrp/12/2300/1300.png", "/api/v1/radio/point?lat=53&lon=28",
                    "/api/v1/radio/sites.geojson"):
            r = client.get(url)
            assert r.status_code == 404 and "no coverage yet" in r.text, url
        assert client.get("/api/v1/radio/layers").json() == []
        # The city's own areas are there before any run.
        areas = client.get("/api/v1/radio/areas.geojson").json()["features"]
        assert [f["properties"]["kind"] for f in areas] == ["boundary"]


def test_map_of_an_unreadable_layer_says_which_file(demo_workspace: Path, tmp_path: Path):
    """A layer file that is not a GeoTIFF: tiles, point and layers answer one line naming
    it; the page keeps its tables and says why the map is missing."""
    root = tmp_path / "city"
    shutil.copytree(demo_workspace, root)
    (root / "outputs" / "radio" / "rsrp.tif").write_bytes(b"not a GeoTIFF")
    with TestClient(create_app(root), base_url="https://testserver") as client:
        for url in ("/radio/tiles/rsrp/12/2491/1540.png", "/api/v1/radio/point?lat=40.7&lon=39.06",
                    "/api/v1/radio/layers"):
            r = client.get(url)
            assert r.status_code == 422 and "rsrp.tif" in r.text, url
            assert "not a readable GeoTIFF" in r.text and "Traceback" not in r.text
        page = client.get("/radio")
        assert page.status_code == 200 and "Population covered" in page.text
        assert "The map cannot be drawn" in page.text and 'id="radio-map"' not in page.text
