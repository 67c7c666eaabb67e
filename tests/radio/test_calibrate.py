"""Drive-test calibration on a real coverage run of the sample city: planted per-class offsets
are recovered, the corrected prediction is better, and later coverage runs apply it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from pyproj import Transformer

from ssckit.cli import cli
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.radio.calibrate import error_stats, fit_clutter_offsets, group_folds
from ssckit.radio.measurements import clutter_class_grid

#: Offsets [dB] planted per clutter class (measured = predicted + offset + noise).
PLANTED = {2: -6.0, 3: 4.0, 4: -3.0, 5: 7.0}
NOISE_DB = 4.0
PER_CLASS = 80
DAYS = ("2026-05-04", "2026-05-05", "2026-05-06", "2026-05-07")


def _invoke(*args: str):
    r = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    assert r.exit_code == 0, r.output
    return r


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample city with one coarse (200 m) coverage run."""
    from ssckit.demo.generate import write_sample_city

    root = tmp_path_factory.mktemp("calibration-city")
    write_sample_city(root, seed=7)
    _invoke("radio", "coverage", "-w", str(root), "--resolution", "200", "--quiet")
    return root


@pytest.fixture(scope="module")
def drive_test(city: Path) -> Path:
    """Points on predicted pixels of each clutter class over four days, RSRP = prediction +
    planted class offset + Gaussian noise (σ = 4 dB)."""
    rng = np.random.default_rng(16)
    with rasterio.open(city / "outputs" / "radio" / "rsrp.tif") as src:
        rsrp = src.read(1)
        transform, crs = src.transform, src.crs
    ws = Workspace.load(city)
    from ssckit.core.geo import read_raster

    _, grid, _ = read_raster(city / "outputs" / "radio" / "rsrp.tif")
    classes = clutter_class_grid(ws.input_path("radio", "clutter"), grid)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    path = city / "drive-test.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "lat", "lon", "rsrp_dbm", "site", "sector", "pci", "band",
                    "sinr_db"])
        for c, off in PLANTED.items():
            rows, cols = np.nonzero((classes == c) & np.isfinite(rsrp))
            assert rows.size >= 5, f"class {c} has too few pixels"
            pick = rng.integers(0, rows.size, PER_CLASS)
            for i, k in enumerate(pick):
                r, col = rows[k], cols[k]
                x, y = transform @ (col + 0.5 + rng.uniform(-0.3, 0.3),
                                    r + 0.5 + rng.uniform(-0.3, 0.3))
                lon, lat = to_ll.transform(x, y)
                measured = float(rsrp[r, col]) + off + rng.normal(0.0, NOISE_DB)
                w.writerow([f"{DAYS[i % len(DAYS)]}T10:{i % 60:02d}:00", f"{lat:.7f}",
                            f"{lon:.7f}", f"{measured:.2f}", "", "", "", "n78", ""])
    return path


def test_planted_offsets_recovered_and_rmse_falls(city: Path, drive_test: Path):
    r = _invoke("radio", "measurements", "import", str(drive_test), "-w", str(city))
    assert f"{PER_CLASS * len(PLANTED)} measurement(s) imported" in r.output
    doc = json.loads(_invoke("radio", "calibrate", "-w", str(city), "--format", "json",
                             "--folds", "4").output)
    assert doc["n"] == PER_CLASS * len(PLANTED)
    assert set(doc) >= {"n", "before", "after", "by_clutter"}
    assert set(doc["before"]) == set(doc["after"]) == {"bias_db", "rmse_db", "std_db"}
    fitted = {c["class"]: c for c in doc["by_clutter"]}
    assert set(fitted) == set(PLANTED)
    for c, off in PLANTED.items():
        se = NOISE_DB / np.sqrt(PER_CLASS)
        assert fitted[c]["n"] == PER_CLASS
        assert abs(fitted[c]["offset_db"] - off) < 3 * se, (c, fitted[c])
        assert fitted[c]["se_db"] == pytest.approx(se, rel=0.25)
    assert doc["after"]["rmse_db"] < doc["before"]["rmse_db"]
    assert doc["after"]["rmse_db"] == pytest.approx(NOISE_DB, rel=0.15)
    assert abs(doc["after"]["bias_db"]) < 1e-6
    assert doc["groups"] == len(DAYS) and doc["folds"] == 4
    cv = doc["cross_validated"]
    assert doc["after"]["rmse_db"] <= cv["rmse_db"] < doc["before"]["rmse_db"]
    assert (city / "outputs" / "radio" / "calibration.json").is_file()
    # no distance trend was planted: the fitted slope is zero within its standard errors
    slope = json.loads(_invoke("radio", "calibrate", "-w", str(city), "--format", "json",
                               "--folds", "4", "--distance-slope").output)["distance_slope"]
    assert slope["n"] == doc["n"] and slope["applied"] is False
    assert abs(slope["slope_db_per_decade"]) < 3 * slope["slope_se_db"]
    assert slope["slope_se_db"] < 2.0


def test_coverage_after_calibration_applies_offsets(city: Path, drive_test: Path):
    cal_path = city / "outputs" / "radio" / "calibration.json"
    if not cal_path.is_file():
        test_planted_offsets_recovered_and_rmse_falls(city, drive_test)
    cal = json.loads(cal_path.read_text())
    offsets = {c["class"]: c["offset_db"] for c in cal["by_clutter"]}
    with rasterio.open(city / "outputs" / "radio" / "rsrp.tif") as src:
        before = src.read(1)
    r = _invoke("radio", "coverage", "-w", str(city), "--resolution", "200", "--quiet")
    assert "calibrated against" in " ".join(r.output.split())
    summary = json.loads((city / "outputs" / "radio" / "coverage.json").read_text())
    assert summary["calibration"]["n"] == cal["n"]
    from ssckit.core.geo import read_raster

    after, grid, _ = read_raster(city / "outputs" / "radio" / "rsrp.tif")
    classes = clutter_class_grid(Workspace.load(city).input_path("radio", "clutter"), grid)
    for c, off in offsets.items():
        m = classes == c
        np.testing.assert_allclose(after[m] - before[m], off, atol=0.01)
    # calibrating again against the calibrated run gives the same offsets (not doubled)
    again = json.loads(_invoke("radio", "calibrate", "-w", str(city), "--format",
                               "json").output)
    for c in again["by_clutter"]:
        assert c["offset_db"] == pytest.approx(offsets[c["class"]], abs=0.02)


def test_bad_csv_is_one_line_and_stores_nothing(city: Path, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon,rsrp_dbm\n54.0,27.0,-90\n54.0,27.0,-20\n")
    with pytest.raises(InputError) as err:
        _invoke("radio", "measurements", "import", str(bad), "-w", str(city))
    assert err.value.location == "line 3, field 'rsrp_dbm'"
    assert "-156..-31" in err.value.message
    with Store.open(Workspace.load(city).store_path, read_only=True) as s, s.cursor() as cur:
        n = cur.execute("SELECT count(*) FROM radio_measurements WHERE source = 'bad.csv'"
                        ).fetchone()[0]
    assert n == 0
    p = subprocess.run([sys.executable, "-m", "ssckit.cli", "radio", "measurements", "import",
                        str(bad), "-w", str(city)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    lines = [ln for ln in (p.stderr + p.stdout).splitlines() if ln.strip()]
    assert len(lines) == 1 and "bad.csv" in lines[0] and "line 3" in lines[0]
    assert "rsrp_dbm" in lines[0] and "Traceback" not in p.stderr


def test_fit_with_slope_and_grouped_folds():
    rng = np.random.default_rng(3)
    d = rng.uniform(100, 5000, 400)
    cls = rng.integers(1, 4, 400)
    e = np.array([0.0, -2.0, 5.0, 1.0])[cls] - 8.0 * np.log10(d / 1000) + rng.normal(0, 2, 400)
    fit = fit_clutter_offsets(e, cls, d)
    assert fit.slope_db_per_decade == pytest.approx(-8.0, abs=1.0)   # SE about 0.3 dB/decade
    np.testing.assert_allclose(fit.offsets_db, [-2.0, 5.0, 1.0], atol=0.6)
    folds = group_folds(np.array(["a", "a", "b", "c", "c", "d"]), 3)
    assert folds[0] == folds[1] and folds[3] == folds[4] and len(set(folds)) == 3
    s = error_stats(np.array([1.0, 3.0]))
    assert (s.bias_db, s.rmse_db, s.std_db) == (2.0, pytest.approx(np.sqrt(5)), 1.0)


def test_groups_are_days_else_files(tmp_path: Path):
    from ssckit.radio.measurements import import_measurements, load_measurements

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("lat,lon,rsrp_dbm\n54.0,27.0,-90\n54.1,27.0,-95\n")
    b.write_text("lat,lon,rsrp_dbm,time\n54.0,27.0,-80,2026-05-04T23:30:00+02:00\n"
                 "54.0,27.1,-85,2026-05-05T08:00:00Z\n")
    with Store.open(tmp_path / "s.duckdb") as store:
        import_measurements(store, a)
        import_measurements(store, b)
        m = load_measurements(store)
    assert len(m) == 4
    groups = dict(zip(m.rsrp_dbm.tolist(), m.group.tolist(), strict=True))
    assert groups[-90.0] == groups[-95.0] and groups[-90.0].startswith("file:")
    assert groups[-80.0] == "2026-05-04" and groups[-85.0] == "2026-05-05"
