"""The interactive coverage map: tiles, colours, the value of a place, GeoJSON, the page in
Chromium with an axe audit.

Expected tile colours are computed apart from the tile code: each tile pixel's centre is
carried from Web Mercator to the raster's CRS with pyproj, the raster value at that place read
from the GeoTIFF with NumPy indexing, and coloured with matplotlib's own ``Normalize`` and
colour map (or the categorical colour ``value mod 20`` of ``tab20``).
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from fastapi.testclient import TestClient
from matplotlib import colormaps
from matplotlib.colors import Normalize
from PIL import Image
from pyproj import Transformer
from rasterio.enums import Resampling

from ssckit.core import maptiles
from ssckit.core.errors import InputError
from tests.conftest import CHROMIUM

CRS = "EPSG:32637"
HALF = math.pi * 6_378_137.0  # half the Web Mercator square [m], EPSG:3857
RSRP_MAP = ("viridis", -130.0, -60.0)   # the rsrp layer's colours (radio.io.LAYERS)


# -- independent expectations -------------------------------------------------------------------
def tile_pixel_sources(path: Path, z: int, x: int, y: int, size: int = 256):
    """For each pixel of tile z/x/y: the raster's (fractional) column and row at its centre,
    and the raster's band 1, transform, nodata."""
    span = 2 * HALF / 2 ** z
    px = span / size
    centres = (np.arange(size) + 0.5) * px
    mx, my = np.meshgrid(-HALF + x * span + centres, HALF - y * span - centres)
    with rasterio.open(path) as src:
        data, t, nodata, crs = src.read(1), src.transform, src.nodata, src.crs.to_string()
    gx, gy = Transformer.from_crs("EPSG:3857", crs, always_xy=True).transform(mx, my)
    fc = (gx - t.c) / t.a
    fr = (gy - t.f) / t.e
    return fc, fr, data, nodata


def expected_tile(path: Path, z: int, x: int, y: int, cmap: str, vmin: float, vmax: float,
                  categorical: bool = False, block: int = 1, margin: float = 0.25):
    """Expected RGBA of tile z/x/y and the pixels sure enough to compare: those whose source
    place lies at least ``margin`` raster pixels from an edge of a ``block`` x ``block``
    group of equal pixels (nearest-neighbour sampling may pick either side of an edge)."""
    fc, fr, data, nodata = tile_pixel_sources(path, z, x, y)
    rows, cols = data.shape
    inside = (fc >= 0) & (fc < cols) & (fr >= 0) & (fr < rows)
    c = np.clip(np.floor(fc).astype(int), 0, cols - 1)
    r = np.clip(np.floor(fr).astype(int), 0, rows - 1)
    v = data[r, c].astype(np.float64)
    valid = inside & np.isfinite(v)
    if nodata is not None:
        valid &= v != nodata
    cm = colormaps[cmap]
    if categorical:
        rgba = cm(np.where(valid, v, 0).astype(int) % cm.N, bytes=True)
    else:
        rgba = cm(Normalize(vmin, vmax)(np.where(valid, v, vmin)), bytes=True)
    rgba = np.asarray(rgba, dtype=np.uint8)
    rgba[~valid] = 0
    fx, fy = np.mod(fc, block), np.mod(fr, block)
    away = lambda f: (f >= margin) & (f <= block - margin)  # noqa: E731
    # Sure inside or sure outside the raster (its edges are block edges too).
    edge_ok = (np.abs(fc) >= margin) & (np.abs(fc - cols) >= margin) \
        & (np.abs(fr) >= margin) & (np.abs(fr - rows) >= margin)
    sure = (away(fx) & away(fy) & inside) | (~inside & edge_ok)
    return rgba, sure, valid


def decode(png: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(png))
    assert img.size == (256, 256) and img.mode == "RGBA"
    return np.asarray(img)


def assert_tile_matches(png: bytes, expected: np.ndarray, sure: np.ndarray) -> None:
    got = decode(png)
    assert sure.mean() > 0.2, "too few pixels to compare"
    bad = np.argwhere(np.any(got[sure] != expected[sure], axis=-1))
    assert bad.size == 0, (f"{len(bad)} of {sure.sum()} pixels differ, e.g. "
                           f"{got[sure][bad[0][0]]} != {expected[sure][bad[0][0]]}")


def read_sectors(out: Path) -> list[dict[str, str]]:
    with (out / "sectors.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def centre_tile(path: Path, z: int) -> tuple[int, int]:
    w, s, e, n = maptiles.raster_info(path).bounds_lonlat
    return maptiles.lonlat_to_tile((w + e) / 2, (s + n) / 2, z)


# -- synthetic rasters ------------------------------------------------------------------------
def blocky(size: int, block: int, seed: int = 1) -> np.ndarray:
    """``size`` x ``size`` RSRP-like values [dBm] constant over ``block`` x ``block`` groups,
    a few beyond the colour range and a few groups without data (NaN)."""
    rng = np.random.default_rng(seed)
    n = -(-size // block)
    groups = rng.uniform(-140, -50, (n, n)).astype(np.float32)
    groups[rng.random((n, n)) < 0.08] = np.nan
    return np.kron(groups, np.ones((block, block), np.float32))[:size, :size]


def write_gtiff(path: Path, data: np.ndarray, res: float = 25.0, **extra) -> Path:
    profile = dict(driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                   dtype=data.dtype, crs=CRS, transform=Affine(res, 0, 500_000, 0, -res,
                                                               4_560_000),
                   nodata=np.nan if data.dtype.kind == "f" else -1, compress="deflate")
    profile.update(extra)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture(scope="module")
def big_cog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2400 x 2400 Cloud-Optimized GeoTIFF (60 km at 25 m) with overviews."""
    from rasterio.shutil import copy as rio_copy

    folder = tmp_path_factory.mktemp("cog")
    plain = write_gtiff(folder / "plain.tif", blocky(2400, 64), tiled=True, blockxsize=256,
                        blockysize=256)
    cog = folder / "rsrp.tif"
    rio_copy(plain, cog, driver="COG", BLOCKSIZE=256, COMPRESS="DEFLATE",
             OVERVIEW_RESAMPLING="NEAREST")
    return cog


# -- tile addresses -----------------------------------------------------------------------------
def test_tile_bounds_follow_the_web_mercator_quad() -> None:
    # OGC 17-083r4 Annex D.1: one tile of 2 * 20037508.3427892 m at zoom 0.
    assert maptiles.tile_bounds(0, 0, 0) == pytest.approx(
        (-20037508.3427892, -20037508.3427892, 20037508.3427892, 20037508.3427892))
    assert maptiles.tile_bounds(1, 1, 0) == pytest.approx((0, 0, 20037508.3427892,
                                                           20037508.3427892))
    # The OpenStreetMap wiki's example: Berlin (13.4050 E, 52.5200 N) at zoom 10 is 550/335.
    assert maptiles.lonlat_to_tile(13.4050, 52.5200, 10) == (550, 335)


@pytest.mark.parametrize(("z", "x", "y", "field"), [
    (23, 0, 0, "zoom level z"), (-1, 0, 0, "zoom level z"), (3, 8, 0, "column x"),
    (3, 0, -1, "row y")])
def test_bad_tile_address_is_one_line(z: int, x: int, y: int, field: str) -> None:
    with pytest.raises(InputError) as err:
        maptiles.tile_bounds(z, x, y)
    assert err.value.location == field and "outside" in err.value.message
    assert "\n" not in str(err.value)


# -- tiles of synthetic rasters -----------------------------------------------------------------
def test_zoomed_in_tile_of_a_plain_geotiff(tmp_path: Path) -> None:
    path = write_gtiff(tmp_path / "rsrp.tif", blocky(300, 4))
    x, y = centre_tile(path, 14)                 # ~7 m tile pixels over 25 m raster pixels
    png = maptiles.render_tile(path, 14, x, y, maptiles.colour_map(*RSRP_MAP))
    expected, sure, valid = expected_tile(path, 14, x, y, *RSRP_MAP, block=4)
    assert valid.any() and (~valid).any()        # values and holes both in the tile
    assert_tile_matches(png, expected, sure)


@pytest.mark.parametrize("z", [9, 11, 13])
def test_tiles_of_a_cog_at_several_zoom_levels(big_cog: Path, z: int) -> None:
    x, y = centre_tile(big_cog, z)
    png = maptiles.render_tile(big_cog, z, x, y, maptiles.colour_map(*RSRP_MAP))
    # Tile pixel in raster pixels (Web Mercator stretches by 1/cos(lat) ~ 1.33 here).
    ratio = 2 * HALF / 2 ** z / 256 / 25.0 / 1.33
    expected, sure, _ = expected_tile(big_cog, z, x, y, *RSRP_MAP, block=64,
                                      margin=max(0.25, 1.5 * ratio))
    assert_tile_matches(png, expected, sure)


def test_zoomed_out_tiles_are_read_from_the_overviews(tmp_path: Path) -> None:
    """A file whose overviews say -100 dBm and whose full resolution says -70 dBm: tiles
    coarser than the raster show the overviews' value, finer ones the full resolution."""
    path = write_gtiff(tmp_path / "ovr.tif", np.full((2400, 2400), -100, np.float32),
                       tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "r+") as dst:
        dst.build_overviews([2, 4, 8, 16], Resampling.nearest)
    with rasterio.open(path, "r+") as dst:
        dst.write(np.full((2400, 2400), -70, np.float32), 1)   # overviews keep -100
    for z, want in ((9, -100.0), (10, -100.0), (12, -70.0), (15, -70.0)):
        x, y = centre_tile(path, z)
        values = maptiles.read_tile(path, z, x, y)
        assert values.count() > 0
        assert set(np.unique(values.compressed())) == {want}, z


def test_tile_away_from_the_data_is_transparent(big_cog: Path) -> None:
    png = maptiles.render_tile(big_cog, 12, 0, 0, maptiles.colour_map(*RSRP_MAP))
    assert decode(png)[..., 3].max() == 0
    assert png == maptiles.empty_tile_png()


def test_categorical_colours_repeat_every_twenty(tmp_path: Path) -> None:
    data = np.kron(np.arange(-1, 99, dtype=np.int16).reshape(10, 10),
                   np.ones((8, 8), np.int16))          # -1: no server
    path = write_gtiff(tmp_path / "server.tif", data)
    cmap = maptiles.colour_map("tab20", 0, 19, categorical=True)
    x, y = centre_tile(path, 15)
    expected, sure, valid = expected_tile(path, 15, x, y, "tab20", 0, 19, categorical=True,
                                          block=8)
    assert_tile_matches(maptiles.render_tile(path, 15, x, y, cmap), expected, sure)
    assert cmap.hex_colour(3) == cmap.hex_colour(23) != cmap.hex_colour(4)


def test_legend_and_colours_agree_with_matplotlib() -> None:
    cmap = maptiles.colour_map(*RSRP_MAP)
    legend = cmap.legend(8)
    assert [v for v, _ in legend] == pytest.approx(np.linspace(-130, -60, 8))
    for value, colour in legend:
        r, g, b, _ = colormaps["viridis"](Normalize(-130, -60)(value), bytes=True)
        assert colour == f"#{r:02x}{g:02x}{b:02x}"
    assert cmap.css_gradient().startswith("linear-gradient(to right, #440154 0%")


def test_point_read_is_the_pixel(tmp_path: Path) -> None:
    data = blocky(50, 1, seed=3)
    path = write_gtiff(tmp_path / "p.tif", data)
    # The centre of a pixel with a value; of a NaN pixel; outside the raster.
    for r, c in np.argwhere(np.isfinite(data))[[0, 777, -1]]:
        assert maptiles.read_point(path, 500_000 + (c + 0.5) * 25,
                                   4_560_000 - (r + 0.5) * 25) == pytest.approx(float(data[r, c]))
    r, c = np.argwhere(np.isnan(data))[0]
    assert maptiles.read_point(path, 500_000 + (c + 0.5) * 25, 4_560_000 - (r + 0.5) * 25) \
        is None
    assert maptiles.read_point(path, 499_000, 4_560_000) is None


# -- the web app on the sample city --------------------------------------------------------------
@pytest.fixture(scope="module")
def client(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory):
    from ssckit.web.app import create_app

    root = tmp_path_factory.mktemp("map") / "city"
    shutil.copytree(demo_workspace, root)
    with TestClient(create_app(root), base_url="https://testserver") as c:
        c.out = root / "outputs" / "radio"  # type: ignore[attr-defined]
        yield c


def test_tile_endpoint_draws_the_layer(client: TestClient) -> None:
    tif = client.out / "rsrp.tif"  # type: ignore[attr-defined]
    x, y = centre_tile(tif, 15)
    r = client.get(f"/radio/tiles/rsrp/15/{x}/{y}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert "max-age" in r.headers["cache-control"] and r.headers["etag"]
    expected, sure, valid = expected_tile(tif, 15, x, y, *RSRP_MAP, margin=0.2)
    assert valid.all()
    assert_tile_matches(r.content, expected, sure)
    # The ETag is the layer file's version: a browser holding any tile of this version
    # revalidates the next one without a body.
    again = client.get(f"/radio/tiles/rsrp/15/{x + 1}/{y}.png",
                       headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_tile_at_the_edge_is_transparent_outside(client: TestClient) -> None:
    tif = client.out / "server.tif"  # type: ignore[attr-defined]
    w, s, e, n = maptiles.raster_info(tif).bounds_lonlat
    x, y = maptiles.lonlat_to_tile(w, n, 14)     # the north-west corner of the grid
    r = client.get(f"/radio/tiles/server/14/{x}/{y}.png")
    expected, sure, valid = expected_tile(tif, 14, x, y, "tab20", 0, 19, categorical=True,
                                          margin=0.2)
    assert valid.any() and (~valid).any()
    assert_tile_matches(r.content, expected, sure)
    alpha = decode(r.content)[..., 3]
    assert (alpha[sure & ~valid] == 0).all() and (alpha[sure & valid] == 255).all()


@pytest.mark.parametrize(("url", "status", "says"), [
    ("/radio/tiles/nonsense/3/1/1.png", 404, "no map layer 'nonsense'"),
    ("/radio/tiles/rsrp/23/1/1.png", 400, "zoom level z: 23 is outside 0..22"),
    ("/radio/tiles/rsrp/3/9/1.png", 400, "column x: 9 is outside 0..7"),
])
def test_bad_tiles_say_why(client: TestClient, url: str, status: int, says: str) -> None:
    r = client.get(url)
    assert r.status_code == status and says in r.text


def test_point_query_is_the_rasters_pixel(client: TestClient) -> None:
    out = client.out  # type: ignore[attr-defined]
    with rasterio.open(out / "rsrp.tif") as src:
        t, crs = src.transform, src.crs.to_string()
    sectors = read_sectors(out)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    for row, col in ((37, 121), (150, 12), (100, 100)):
        lon, lat = to_ll.transform(t.c + (col + 0.5) * t.a, t.f + (row + 0.5) * t.e)
        got = client.get("/api/v1/radio/point", params={"lat": lat, "lon": lon}).json()
        assert (got["row"], got["col"]) == (row, col)
        for name, key in (("rsrp", "rsrp_dbm"), ("sinr", "sinr_db"),
                          ("throughput", "throughput_mbps")):
            with rasterio.open(out / f"{name}.tif") as src:
                assert got[key] == pytest.approx(float(src.read(1)[row, col]))
        with rasterio.open(out / "server.tif") as src:
            server = int(src.read(1)[row, col])
        assert got["server"] == server and isinstance(got["rsrp_dbm"], float)
        assert (got["site"], got["sector"]) == (sectors[server]["site"],
                                                sectors[server]["sector"])
    outside = client.get("/api/v1/radio/point", params={"lat": 0, "lon": 0})
    assert outside.status_code == 404 and "outside the coverage grid" in outside.text
    assert client.get("/api/v1/radio/point", params={"lat": 95, "lon": 0}).status_code == 422


def test_sites_and_areas_as_geojson(client: TestClient) -> None:
    out = client.out  # type: ignore[attr-defined]
    sectors = read_sectors(out)
    r = client.get("/api/v1/radio/sites.geojson")
    assert r.headers["content-type"].startswith("application/geo+json")
    feats = r.json()["features"]
    wedges = [f for f in feats if f["properties"]["kind"] == "sector"]
    sites = {f["properties"]["site"]: f for f in feats if f["properties"]["kind"] == "site"}
    assert len(wedges) == len(sectors) and set(sites) == {s["site"] for s in sectors}
    crs = client.get("/api/v1/radio/coverage").json()["summary"]["grid"]["crs"]
    to_grid = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    for w, s in zip(wedges, sectors, strict=True):
        ring = w["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] == sites[s["site"]]["geometry"]["coordinates"]
        # The middle of the arc lies along the azimuth (clockwise from grid north).
        sx, sy = to_grid.transform(*ring[0])
        mx, my = to_grid.transform(*ring[len(ring) // 2])
        bearing = math.degrees(math.atan2(mx - sx, my - sy)) % 360
        assert abs((bearing - float(s["azimuth_deg"]) + 180) % 360 - 180) < 0.5
    areas = client.get("/api/v1/radio/areas.geojson").json()["features"]
    kinds = [f["properties"]["kind"] for f in areas]
    assert kinds.count("boundary") >= 1 and kinds.count("district") == 5
    assert "Old Town" in {f["properties"]["name"] for f in areas}


def test_layers_and_api_schema_carry_units(client: TestClient) -> None:
    layers = client.get("/api/v1/radio/layers").json()
    assert [m["name"] for m in layers] == ["rsrp", "sinr", "server", "throughput"]
    assert {m["name"]: m["unit"] for m in layers}["throughput"] == "Mbit/s"
    assert all(m["tiles"].startswith(f"/radio/tiles/{m['name']}/{{z}}/{{x}}/{{y}}.png")
               for m in layers)
    schema = client.get("/openapi.json").json()
    for path, ops in schema["paths"].items():
        if path.startswith("/api/v1/radio/") and not path.endswith(".tif"):
            ok = ops["get"]["responses"]["200"]["content"]
            ref = next(iter(ok.values()))["schema"]
            assert ref.get("$ref") or ref.get("items", {}).get("$ref"), path
    point = schema["components"]["schemas"]["PointValues"]["properties"]
    assert "[dBm]" in point["rsrp_dbm"]["description"]
    assert "[dB]" in point["sinr_db"]["description"]
    assert "[Mbit/s]" in point["throughput_mbps"]["description"]


def test_page_carries_the_map(client: TestClient) -> None:
    html = client.get("/radio?layer=sinr").text
    assert 'id="radio-map"' in html and 'id="radio-map-config"' in html
    assert "/static/leaflet/leaflet.js" in html and "cdn" not in html.lower()
    assert 'id="legend-sinr"' in html and "SINR at full load" in html
    assert client.get("/static/radio/map.js").status_code == 200


# -- in Chromium ----------------------------------------------------------------------------------
_DRAWN = """() => [...document.querySelectorAll('#radio-map img.leaflet-tile-loaded')].map(img => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const a = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 3; i < a.length; i += 4) { if (a[i] > 0) n++; }
  return {src: img.getAttribute('src'), w: img.naturalWidth, opaque: n};
})"""


_FOCUS_STYLE = """() => { const el = document.activeElement;
  return {class: el.className, outline: getComputedStyle(el).outlineStyle}; }"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium "
                    "(apt-get install chromium)")
@pytest.mark.skipif(not Path("/usr/share/javascript/leaflet/leaflet.js").is_file(),
                    reason="needs Debian's libjs-leaflet (scripts/setup)")
def test_map_in_chromium(demo_server: str, artifacts_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    from ssckit.access.audit import _RUN_AXE, axe_options, axe_script, page_from_axe
    from tests.conftest import CHROMIUM_ARGS

    problems: list[str] = []
    tile_answers: list[tuple[str, int]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("response", lambda r: tile_answers.append((r.url, r.status))
                    if "/radio/tiles/" in r.url else None)
            page.goto(demo_server + "/radio", wait_until="networkidle")
            page.wait_for_selector("#radio-map img.leaflet-tile-loaded", timeout=15_000)
            drawn = page.evaluate(_DRAWN)
            assert drawn and all(d["w"] == 256 for d in drawn)
            assert any(d["opaque"] > 10_000 for d in drawn), drawn
            assert all("/radio/tiles/rsrp/" in u and s == 200 for u, s in tile_answers)
            # Tab reaches the map and its zoom buttons, each showing its focus outline (Leaflet
            # clears outlines at each key press unless the page's style keeps them).
            page.get_by_role("button", name="Show").focus()
            for expected in ("radio-map", "leaflet-control-zoom-in", "leaflet-control-zoom-out"):
                page.keyboard.press("Tab")
                focused = page.evaluate(_FOCUS_STYLE)
                assert expected in focused["class"] and focused["outline"] == "solid", focused
            # Sites, wedges and the city's areas are drawn as vector paths.
            assert page.locator("#radio-map path").count() > 45
            # A click reads the values of that place.
            box = page.locator("#radio-map").bounding_box()
            assert box is not None
            page.locator("#radio-map").click(position={"x": box["width"] / 2 + 13,
                                                       "y": box["height"] / 2 + 7})
            popup = page.locator(".leaflet-popup-content")
            popup.get_by_text("dBm").first.wait_for(timeout=10_000)
            assert "RSRP" in popup.inner_text() and "Mbit/s" in popup.inner_text()
            page.screenshot(path=str(artifacts_dir / "radio-map.png"))
            # The layer switcher loads the other layer's tiles, and its legend.
            tile_answers.clear()
            page.get_by_label("SINR at full load (dB)").check()
            page.wait_for_selector("#radio-map img.leaflet-tile-loaded[src*='/tiles/sinr/']",
                                   timeout=15_000)
            assert page.locator("#legend-sinr").is_visible()
            assert not page.locator("#legend-rsrp").is_visible()
            assert tile_answers and all(s == 200 for _, s in tile_answers)
            # With the keyboard: focus the map, Enter reads the centre; the text is announced.
            page.keyboard.press("Escape")
            page.locator("#radio-map").focus()
            page.keyboard.press("Enter")
            page.locator("#radio-map-readout").get_by_text("SINR").wait_for(timeout=10_000)
            # axe-core on the page as drawn, popup open (injected as inline script, so in a
            # context that does not enforce the CSP, as the audits do).
            context = browser.new_context(bypass_csp=True, viewport={"width": 1280,
                                                                     "height": 900})
            audit = context.new_page()
            audit.goto(demo_server + "/radio", wait_until="networkidle")
            audit.wait_for_selector("#radio-map img.leaflet-tile-loaded", timeout=15_000)
            audit.locator("#radio-map").focus()
            audit.keyboard.press("Enter")
            audit.locator(".leaflet-popup-content").get_by_text("dBm").first.wait_for(
                timeout=10_000)
            audit.add_script_tag(content=axe_script())
            result = page_from_axe(audit.url, audit.evaluate(_RUN_AXE, axe_options(True)))
            assert result.violations == [], [(f.rule, [n.target for n in f.nodes])
                                             for f in result.violations]
            assert result.advisories == [], [(f.rule, [n.target for n in f.nodes])
                                             for f in result.advisories]
        finally:
            browser.close()
    assert problems == [], problems
