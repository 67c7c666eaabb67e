"""The public EMF map: exposure tiles against the raster read apart, colours that read calm
far below the limit, and the page in Chromium on a phone and a desktop with an axe audit.

Expected tile colours are computed apart from the tile code: each tile pixel's centre is
carried from Web Mercator to the raster's CRS with pyproj, the exposure ratio there read from
the GeoTIFF with NumPy indexing, and put in its band of % of the limit with the band edges
written out here (0.1, 1, 10, 50, 100 %).
"""

from __future__ import annotations

import colorsys
import io
import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from PIL import Image
from pyproj import Transformer

from ssckit.core import maptiles
from ssckit.web.app import create_app
from tests.conftest import CHROMIUM

HALF = math.pi * 6_378_137.0          # half the Web Mercator square [m], EPSG:3857
EDGES_PCT = [0.1, 1.0, 10.0, 50.0, 100.0]
LEAFLET = Path("/usr/share/javascript/leaflet/leaflet.js")


@pytest.fixture(scope="module")
def client(demo_workspace: Path):
    with TestClient(create_app(demo_workspace), base_url="https://testserver") as c:
        c.ter = demo_workspace / "outputs" / "emf" / "ter_1.5m.tif"  # type: ignore[attr-defined]
        yield c


def legend_colours(html: str) -> list[str]:
    """The legend's band colours as the page shows them, lowest band first."""
    import re

    legend = html.split('id="emf-legend"')[1].split("</ul>")[0]
    return [c.lower() for c in re.findall(r"background: (#[0-9a-fA-F]{6})", legend)][::-1]


def expected_bands(path: Path, z: int, x: int, y: int, size: int = 256):
    """Band index of each tile pixel (-1 outside the raster) and the pixels sure enough to
    compare (a quarter of a raster pixel from any raster pixel edge)."""
    span = 2 * HALF / 2 ** z
    centres = (np.arange(size) + 0.5) * span / size
    mx, my = np.meshgrid(-HALF + x * span + centres, HALF - y * span - centres)
    with rasterio.open(path) as src:
        data, t, crs = src.read(1), src.transform, src.crs.to_string()
    gx, gy = Transformer.from_crs("EPSG:3857", crs, always_xy=True).transform(mx, my)
    fc, fr = (gx - t.c) / t.a, (gy - t.f) / t.e
    rows, cols = data.shape
    inside = (fc >= 0) & (fc < cols) & (fr >= 0) & (fr < rows)
    c = np.clip(np.floor(fc).astype(int), 0, cols - 1)
    r = np.clip(np.floor(fr).astype(int), 0, rows - 1)
    pct = 100.0 * data[r, c].astype(np.float64)
    band = np.where(inside, np.searchsorted(EDGES_PCT, pct, side="right"), -1)
    away = lambda f: (np.mod(f, 1) >= 0.25) & (np.mod(f, 1) <= 0.75)  # noqa: E731
    return band, away(fc) & away(fr) & inside


def test_tiles_show_the_exposure_bands(client: TestClient) -> None:
    colours = legend_colours(client.get("/emf").text)
    assert len(colours) == 6
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], np.uint8)
    tif = client.ter  # type: ignore[attr-defined]
    w, s, e, n = maptiles.raster_info(tif).bounds_lonlat
    seen: set[int] = set()
    # the centre of the city (near the rooftop sites) at two zoom levels, and its north-west
    # corner (half outside the raster: transparent there)
    for z, lon, lat in ((15, (w + e) / 2, (s + n) / 2), (13, (w + e) / 2, (s + n) / 2),
                        (14, w, n)):
        x, y = maptiles.lonlat_to_tile(lon, lat, z)
        r = client.get(f"/emf/tiles/{z}/{x}/{y}.png")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        got = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGBA"))
        band, sure = expected_bands(tif, z, x, y)
        assert (sure & (band >= 0)).sum() > 500
        inside = sure & (band >= 0)
        assert (got[inside][:, :3] == rgb[band[inside]]).all()
        assert (got[inside][:, 3] > 0).all()
        seen |= set(np.unique(band[inside]).tolist())
        if z == 14:
            assert (got[band < 0][:, 3] == 0).all() and (band < 0).any()
    assert {1, 2, 3} <= seen          # 0.1-1 %, 1-10 % and 10-50 % of the limit all drawn
    assert client.get("/emf/tiles/23/0/0.png").status_code == 400


def test_colours_are_calm_below_a_tenth_of_the_limit(client: TestClient) -> None:
    colours = legend_colours(client.get("/emf").text)
    for c in colours[:3]:            # under 0.1 %, 0.1-1 %, 1-10 %: greens and blues
        h, _, _ = colorsys.rgb_to_hsv(*(int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)))
        assert 90 <= 360 * h <= 250, c
    h, _, v = colorsys.rgb_to_hsv(*(int(colours[-1][i:i + 2], 16) / 255 for i in (1, 3, 5)))
    assert (360 * h < 20 or 360 * h > 340) and v < 0.8     # the limit: a dark red, at the top
    html = client.get("/emf").text.split('id="emf-legend"')[1]
    assert html.index("100 % or more") < html.index("under 0.1 %")
    assert "far below the limit" in html and "e+" not in html


def test_sites_geojson_puts_the_failing_site_last(client: TestClient) -> None:
    feats = client.get("/api/v1/emf/sites.geojson").json()["features"]
    assert feats[-1]["properties"]["site"] == "R02"
    assert feats[-1]["properties"]["compliant"] is False
    assert feats[-1]["properties"]["percent_text"] == "378 %"
    assert all(f["properties"]["compliant"] for f in feats[:-1])


# -- in Chromium ----------------------------------------------------------------------------------
# Markers let clicks through to the map (pointer-events: none); for elementFromPoint to see
# what is drawn on top, every drawn feature is made hit-testable first.
_ON_TOP = """() => {
  document.querySelectorAll('#emf-map .leaflet-marker-icon, #emf-map .leaflet-marker-icon *,'
    + ' #emf-map svg path').forEach(e => { e.style.pointerEvents = 'auto'; });
  const m = document.querySelector('.site-bad .site-bad-mark');
  const b = m.getBoundingClientRect();
  const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
  const t = document.querySelector('.site-bad .site-bad-text').getBoundingClientRect();
  const map = document.getElementById('emf-map').getBoundingClientRect();
  return {on_top: m.contains(hit) || hit === m.parentElement, hit: hit.className,
          words_in_map: t.left >= map.left && t.right <= map.right && t.top >= map.top
                        && t.bottom <= map.bottom,
          text: document.querySelector('.site-bad .site-bad-text').textContent}; }"""
_HIT_THROUGH = """() => document.querySelectorAll('#emf-map .leaflet-marker-icon,'
  + ' #emf-map .leaflet-marker-icon *, #emf-map svg path').forEach(
    e => { e.style.pointerEvents = ''; })"""
_LEGEND_BOX = """() => { const r = document.getElementById('emf-legend').getBoundingClientRect();
  return {left: r.left, right: r.right, width: window.innerWidth,
          scroll: document.documentElement.scrollWidth}; }"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium "
                    "(apt-get install chromium)")
@pytest.mark.skipif(not LEAFLET.is_file(), reason="needs Debian's libjs-leaflet (scripts/setup)")
@pytest.mark.parametrize("width", [390, 1400])
def test_map_in_chromium(demo_server: str, artifacts_dir: Path, width: int) -> None:
    from playwright.sync_api import sync_playwright

    from ssckit.access.audit import _RUN_AXE, axe_options, axe_script, page_from_axe
    from tests.conftest import CHROMIUM_ARGS

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # axe-core is injected as an inline script, so in a context that does not enforce
            # the CSP (as the audits do); the page's own scripts are the same.
            context = browser.new_context(bypass_csp=True,
                                          viewport={"width": width, "height": 844})
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(demo_server + "/emf", wait_until="networkidle")
            page.wait_for_selector("#emf-map img.leaflet-tile-loaded", timeout=20_000)
            page.wait_for_selector(".site-bad .site-bad-mark", timeout=15_000)
            page.wait_for_selector(".place-label", timeout=15_000)
            assert "Old Town" in page.locator("#emf-map").inner_text()
            # The legend is whole on screen: nothing cut off, no sideways scrolling.
            page.locator("#emf-legend").scroll_into_view_if_needed()
            box = page.evaluate(_LEGEND_BOX)
            assert box["left"] >= 0 and box["right"] <= box["width"], box
            assert box["scroll"] <= box["width"], box
            assert page.locator("#emf-legend").get_by_text("100 % or more").is_visible()
            assert page.locator("#emf-legend").get_by_text("under 0.1 %").is_visible()
            # The non-compliant site is drawn over every compliant one, with words.
            page.locator("#emf-map").scroll_into_view_if_needed()
            top = page.evaluate(_ON_TOP)
            assert top["on_top"] and top["words_in_map"], top
            assert top["text"] == "Site R02: not compliant (378 %)"
            page.evaluate(_HIT_THROUGH)
            page.screenshot(path=str(artifacts_dir / f"emf-map-{width}.png"), full_page=True)
            # A click reads the exposure of that place, in plain numbers.
            mbox = page.locator("#emf-map").bounding_box()
            assert mbox is not None
            page.locator("#emf-map").click(position={"x": mbox["width"] / 2 + 17,
                                                     "y": mbox["height"] / 2 + 9})
            result = page.locator("#point-result p.big")
            result.wait_for(timeout=15_000)
            assert "of the limit" in result.inner_text() and "e+" not in result.inner_text()
            assert page.locator("#point-result tbody tr").count() >= 1
            assert page.locator(".leaflet-popup-content").inner_text() == result.inner_text()
            # axe-core on the page as drawn, popup open.
            page.add_script_tag(content=axe_script())
            audit = page_from_axe(page.url, page.evaluate(_RUN_AXE, axe_options(True)))
            assert audit.violations == [], [(f.rule, [n.target for n in f.nodes])
                                            for f in audit.violations]
            # Place search and the point form work without a script too: bad input comes back
            # in the form.
            page.get_by_label("Latitude (degrees)").fill("abc")
            page.get_by_label("Longitude (degrees)").fill("39.05")
            with page.expect_navigation():
                page.get_by_label("Longitude (degrees)").press("Enter")
            assert page.locator("#lat-error").inner_text().startswith(
                "Latitude: “abc” is not a number")
            assert page.get_by_label("Latitude (degrees)").input_value() == "abc"
            page.get_by_label("Place, street or district").fill("Old Town")
            with page.expect_navigation():
                page.get_by_role("button", name="Find").click()
            page.wait_for_selector("#emf-map img.leaflet-tile-loaded", timeout=20_000)
            assert "At Old Town:" in page.locator("#point-result").inner_text()
        finally:
            browser.close()
    assert problems == [], problems
