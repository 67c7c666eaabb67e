"""The calibration views of /radio: drive-test points over the RSRP layer coloured by measured −
predicted, and the measured-vs-predicted scatter with its tables, before and after
calibration; numbers checked against the planted offsets and `ssckit radio calibrate`, the page
in Chromium with axe-core at 390 px and 1400 px, in English, Russian and Belarusian."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from pyproj import Transformer

from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from tests.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LEAFLET,
    axe_violations,
    serve_workspace,
    watched_page,
)
from tests.radio.test_calibrate import NOISE_DB, PER_CLASS, PLANTED, _invoke, city, drive_test

__all__ = ["city", "drive_test"]   # the fixtures of test_calibrate, shared


def _measured_minus_layer(root: Path, drive: Path) -> np.ndarray:
    """measured − RSRP layer at each row of the drive-test file, read apart from the page's
    code (rasterio index of the point's pixel)."""
    with rasterio.open(root / "outputs" / "radio" / "rsrp.tif") as src:
        rsrp, crs = src.read(1), src.crs
        to_xy = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        out = []
        with drive.open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                x, y = to_xy.transform(float(r["lon"]), float(r["lat"]))
                row, col = src.index(x, y)
                out.append(float(r["rsrp_dbm"]) - float(rsrp[row, col]))
    return np.array(out)


@pytest.fixture(scope="module")
def calibrated(city: Path, drive_test: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Path, Path]:
    """A copy of the city with the drive test imported: (before calibrating, calibrated)."""
    base = tmp_path_factory.mktemp("drive")
    before, after = base / "before", base / "after"
    shutil.copytree(city, before)
    (before / "outputs" / "radio" / "calibration.json").unlink(missing_ok=True)
    _invoke("radio", "measurements", "import", str(drive_test), "-w", str(before))
    shutil.copytree(before, after)
    _invoke("radio", "calibrate", "-w", str(after), "--folds", "4")
    return before, after


def test_comparison_before_and_after_calibration(calibrated, drive_test: Path):
    from ssckit.radio.web import drive_test_comparison, drive_test_geojson, error_colour

    before_ws, after_ws = calibrated
    errors = _measured_minus_layer(before_ws, drive_test)
    n = PER_CLASS * len(PLANTED)
    with Store.open(Workspace.load(before_ws).store_path) as store:
        comp = drive_test_comparison(Workspace.load(before_ws), store)
    assert comp is not None and comp["n"] == n and not comp["calibrated"]
    assert "after" not in comp["stats"]
    st = comp["stats"]["before"]
    # the layer is the model alone: its error is the planted offsets plus noise
    assert st["bias_db"] == pytest.approx(errors.mean(), abs=1e-3)
    assert st["rmse_db"] == pytest.approx(np.sqrt(np.mean(errors ** 2)), abs=1e-3)
    assert st["bias_db"] == pytest.approx(np.mean(list(PLANTED.values())),
                                          abs=3 * NOISE_DB / np.sqrt(n))
    # each point's colour is the class of its own error
    gj = drive_test_geojson(comp)
    assert len(gj["features"]) == n
    for f, e in zip(gj["features"], errors, strict=True):
        assert f["properties"]["error_db"] == pytest.approx(e, abs=0.01)
    assert error_colour(-12.0) == "#2166ac" and error_colour(0.0) == "#f7f7f7"
    assert error_colour(7.0) == "#ef8a62" and error_colour(25.0) == "#b2182b"

    doc = json.loads((after_ws / "outputs" / "radio" / "calibration.json").read_text())
    with Store.open(Workspace.load(after_ws).store_path) as store:
        comp = drive_test_comparison(Workspace.load(after_ws), store)
    assert comp["calibrated"] and not comp["layer_calibrated"]
    # before and after agree with `ssckit radio calibrate` on the same points
    for key in ("before", "after"):
        for k in ("bias_db", "rmse_db", "std_db"):
            assert comp["stats"][key][k] == pytest.approx(doc[key][k], abs=2e-3), (key, k)
    assert comp["stats"]["after"]["rmse_db"] == pytest.approx(NOISE_DB, rel=0.15)
    offsets = {c["class"]: c["offset_db"] for c in comp["by_clutter"]}
    for p in comp["points"]:
        assert p["after_dbm"] - p["before_dbm"] == pytest.approx(offsets[p["clutter"]],
                                                                 abs=0.02)
    assert sum(b["n"] for b in comp["bins"]) == n


def test_page_and_api(calibrated):
    from ssckit.web.app import create_app

    _, after_ws = calibrated
    client = TestClient(create_app(after_ws))
    gj = client.get("/api/v1/radio/drive-tests.geojson")
    assert gj.status_code == 200 and gj.headers["content-type"].startswith(
        "application/geo+json")
    assert len(gj.json()["features"]) == PER_CLASS * len(PLANTED)
    page = client.get("/radio")
    assert page.status_code == 200
    assert "drive-chart" in page.text and 'id="drive-bins"' in page.text


def test_no_measurements_no_section(city: Path, tmp_path: Path):
    from ssckit.web.app import create_app

    root = tmp_path / "c"
    shutil.copytree(city, root)
    client = TestClient(create_app(root))
    assert client.get("/api/v1/radio/drive-tests.geojson").status_code == 404
    assert "drive-chart" not in client.get("/radio").text


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists() or not LEAFLET.is_file(),
                    reason="needs Debian Chromium and libjs-leaflet (scripts/setup)")
def test_calibration_views_in_chromium(calibrated, artifacts_dir: Path):
    from playwright.sync_api import sync_playwright

    from tests.i18n.conftest import untranslated

    _, root = calibrated
    ws = Workspace.load(root)
    names = {ws.config.name}
    if ws.config.districts:
        gj = json.loads(ws.path(ws.config.districts).read_text(encoding="utf-8"))
        names |= {f["properties"]["name"] for f in gj["features"]}
    server = serve_workspace(root)
    base = next(server)
    problems: list[str] = []
    audits: dict[str, list] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = watched_page(browser, problems)
                page.goto(base + "/radio", wait_until="networkidle")
                n = PER_CLASS * len(PLANTED)
                # every drive-test point is drawn over the RSRP layer, in its error's colour
                page.wait_for_function(
                    f"() => document.querySelectorAll('#radio-map path.drive-point')"
                    f".length >= {n}", timeout=20_000)
                fills = page.locator("#radio-map path.drive-point").evaluate_all(
                    "els => els.map(e => e.getAttribute('fill'))")
                assert len(fills) == n
                assert set(fills) <= {"#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7",
                                      "#ef8a62", "#b2182b"}
                # the points can be hidden and shown again
                toggle = page.locator("#drive-toggle")
                assert toggle.is_checked() and toggle.is_enabled()
                toggle.uncheck()
                assert page.locator("#radio-map path.drive-point").count() == 0
                toggle.check()
                assert page.locator("#radio-map path.drive-point").count() == n
                # the scatter: two point traces and the equality line
                page.wait_for_selector("#drive-chart .scatterlayer, #drive-chart .gl-container",
                                       timeout=20_000)
                traces = page.evaluate("document.getElementById('drive-chart').data.length")
                assert traces == 3
                assert page.locator("#drive-bins tbody tr").count() >= 2
                page.screenshot(path=str(artifacts_dir / "radio-calibration-1400.png"),
                                full_page=True)
                audits["en 1400"] = axe_violations(page)
                page.set_viewport_size({"width": 390, "height": 844})
                page.goto(base + "/radio", wait_until="networkidle")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, f"the page scrolls sideways at 390 px ({width} px)"
                audits["en 390"] = axe_violations(page)
                for lang in ("ru", "be"):
                    page.goto(f"{base}/radio?lang={lang}", wait_until="networkidle")
                    audits[lang] = axe_violations(page)
                    # plotly draws its tool bar's tips in English on every chart of the
                    # app (static/charts.js gives it no locale); the page's own texts only
                    page.evaluate("document.querySelectorAll('.modebar-container')"
                                  ".forEach(e => e.remove())")
                    left = untranslated(page.content(), lang, names)
                    assert not left, (lang, left)
            finally:
                browser.close()
    finally:
        next(server, None)
    assert not problems, problems
    assert all(not v for v in audits.values()), audits
