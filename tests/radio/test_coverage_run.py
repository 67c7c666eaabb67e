"""Coverage and planning runs on real files: the sample city, matplotlib's real DEM, Dask."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine
from numpy.testing import assert_array_equal

from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.radio import run as radio_run
from ssckit.radio.coverage import (
    CoverageInputs,
    RadioSettings,
    compute_coverage,
    coverage_maps,
)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ssckit.cli", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def city(demo_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "city"
    shutil.copytree(demo_workspace, root)
    return root


def test_demo_pipeline_stored_coverage(demo_workspace: Path):
    with Store.open(demo_workspace / "ssckit.duckdb", read_only=True) as s:
        cov = {v.entity: v.value for v in s.query_values(indicator="radio:population_coverage")}
        kpi = s.query_values(indicator="EC:ICT:ICT:4C", breakdown={"technology": "5G NR"})
    assert set(cov) == {"city", "district:Old Town", "district:Riverside", "district:North Hill",
                        "district:East Park", "district:South Gate"}
    assert all(0 <= v <= 100 for v in cov.values())
    assert len(kpi) == 6 and kpi[0].unit == "%"
    out = demo_workspace / "outputs" / "radio"
    for name in ("rsrp", "sinr", "server", "throughput"):
        with rasterio.open(out / f"{name}.tif") as src:
            assert src.crs is not None and src.count == 1
        assert (out / f"{name}.png").stat().st_size > 10_000
    plan = json.loads((out / "plan.json").read_text())
    cover = [plan["initial_coverage_pct"]] + [s["coverage_after"] for s in plan["steps"]]
    assert plan["steps"] and all(b > a for a, b in zip(cover, cover[1:], strict=False))


def test_coverage_cli_and_thresholds(city: Path):
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "200", "--quiet")
    assert r.returncode == 0, r.stderr
    with Store.open(city / "ssckit.duckdb", read_only=True) as s:
        loose = s.query_values(indicator="radio:population_coverage", entity="city")[0].value
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "200", "--quiet",
             "--rsrp-threshold", "-95")
    assert r.returncode == 0, r.stderr
    with Store.open(city / "ssckit.duckdb", read_only=True) as s:
        strict = s.query_values(indicator="radio:population_coverage", entity="city")[0].value
    assert strict < loose
    summary = json.loads((city / "outputs" / "radio" / "coverage.json").read_text())
    assert summary["grid"]["resolution_m"] == 200 and summary["pixel_paths"] == 50 * 50 * 15


def test_dask_cluster_gives_identical_tiles(demo_workspace: Path):
    """Two worker processes, other tile sizes: the same per-sector stack and the same maps
    as local threads, to the bit."""
    from distributed import LocalCluster

    ws = Workspace.load(demo_workspace)
    area = radio_run.load_area(ws, 400.0)
    sectors, patterns = radio_run.load_sectors(ws.input_path("radio", "sites"), area)

    def inputs(tile: int, radius: float | None = 30.0) -> CoverageInputs:
        return CoverageInputs(area.grid, area.dem, sectors,
                              RadioSettings(tile_size=tile, max_radius_km=radius), area.clutter,
                              patterns)

    local, _ = compute_coverage(inputs(8), threads=2)
    local_maps, local_stats = coverage_maps(inputs(16, 3.0), threads=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        remote, _ = compute_coverage(inputs(8), scheduler=cluster.scheduler_address)
        remote_maps, remote_stats = coverage_maps(inputs(9, 3.0),
                                                  scheduler=cluster.scheduler_address)
    assert_array_equal(local, remote)
    assert np.isfinite(local).all()
    for name in ("rsrp_dbm", "sinr_db", "server", "throughput_mbps", "covered", "power_mw"):
        assert_array_equal(getattr(local_maps, name), getattr(remote_maps, name))
    assert local_stats == remote_stats and local_stats.beyond_radius > 0


def _layer(city: Path, name: str) -> tuple[np.ndarray, dict]:
    with rasterio.open(city / "outputs" / "radio" / f"{name}.tif") as src:
        return src.read(1), dict(src.profile)


def test_results_do_not_depend_on_tiles_or_threads(city: Path):
    """The same rasters, bit for bit, from 50-pixel tiles on one thread and 128-pixel tiles
    on two (the P.1812 radial engine's fan belongs to the site, not to the tile)."""
    out = {}
    for tile, threads in (("50", "1"), ("128", "2")):
        r = _cli("radio", "coverage", "-w", str(city), "--quiet", "--tile-size", tile,
                 "--threads", threads)
        assert r.returncode == 0, r.stderr
        out[tile] = {n: _layer(city, n)[0] for n in ("rsrp", "server", "sinr")}
        summary = json.loads((city / "outputs" / "radio" / "coverage.json").read_text())
        assert summary["tile_size"] == int(tile)
    assert_array_equal(out["50"]["rsrp"], out["128"]["rsrp"])
    assert_array_equal(out["50"]["server"], out["128"]["server"])
    assert_array_equal(out["50"]["sinr"], out["128"]["sinr"])
    assert np.isfinite(out["50"]["rsrp"]).all() and (out["50"]["server"] >= 0).all()


@pytest.mark.parametrize("model", ["tr38901-uma", "tr38901-rma"])
def test_empirical_models_run_to_the_end(city: Path, model: str):
    """Beyond the TR 38.901 validity range (d2D 10 m..5 km; UMa: h_BS = 25 m only) a path has
    no prediction: NaN, never serving nor interfering, counted in coverage.json and said by
    the command."""
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "200", "--quiet",
             "--model", model)
    assert r.returncode == 0, r.stderr
    assert "outside the validity range of " + model in " ".join(r.stdout.split())
    summary = json.loads((city / "outputs" / "radio" / "coverage.json").read_text())
    assert summary["model"] == model and summary["paths_outside_model_range"] > 0
    rsrp, profile = _layer(city, "rsrp")
    server, _ = _layer(city, "server")
    assert np.isnan(profile["nodata"]) and (np.isnan(rsrp) == (server == -1)).all()
    assert int((server == -1).sum()) == summary["pixels_without_prediction"]
    with open(city / "sites.csv") as f:
        heights = np.array([float(row["height_m"]) for row in csv.DictReader(f)])
    # every pixel-site path is predicted, outside the range, or has no prediction
    n_pix = summary["grid"]["shape"][0] * summary["grid"]["shape"][1]
    n_sites = summary["sectors"] // 3
    assert summary["pixel_paths"] + summary["paths_outside_model_range"] >= n_pix * n_sites
    if model == "tr38901-uma":   # only the 25 m sectors ever serve
        assert set(np.unique(server[server >= 0])) <= set(np.flatnonzero(heights == 25.0))


def test_empirical_model_refuses_an_impossible_receiver(small_city: Path):
    cfg = yaml.safe_load((small_city / "city.yaml").read_text())
    cfg["settings"] = {"radio": {"rx_height_m": 25.0}}
    (small_city / "city.yaml").write_text(yaml.safe_dump(cfg))
    r = _cli("radio", "coverage", "-w", str(small_city), "--quiet", "--model", "tr38901-uma")
    assert r.returncode == 2 and "rx_height_m" in r.stderr and "1.5..22.5 m" in r.stderr
    assert "Traceback" not in r.stderr


def _write_matplotlib_dem(path: Path) -> tuple[np.ndarray, float, float, float]:
    """matplotlib's Jacksboro fault DEM (USGS, 3 arc-second) as a GeoTIFF in WGS 84."""
    from matplotlib import cbook

    with cbook.get_sample_data("jacksboro_fault_dem.npz") as d:
        z = d["elevation"].astype(np.float32)
        dx, west, north = float(d["dx"]), float(d["xmin"]), float(d["ymin"])
    with rasterio.open(path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0], count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=Affine(dx, 0, west, 0, -dx, north)) as dst:
        dst.write(z, 1)
    return z, dx, west, north


def test_real_terrain_from_matplotlib_dem(tmp_path: Path):
    from shapely.geometry import box

    from ssckit.core.geo import Grid, write_polygons, write_raster

    z, dx, west, north = _write_matplotlib_dem(tmp_path / "dem_wgs84.tif")
    # Workspace on UTM 17N, a 6 km x 6 km square inside the DEM, population uniform.
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32617", always_xy=True)
    cx, cy = to_utm.transform(west + dx * z.shape[1] / 2, north - dx * z.shape[0] / 2)
    grid = Grid.from_bounds(cx - 3000, cy - 3000, cx + 3000, cy + 3000, 100, "EPSG:32617")
    write_raster(tmp_path / "population.tif", np.full(grid.shape, 2.0, np.float32), grid)
    write_polygons(tmp_path / "boundary.geojson", [({"name": "Jacksboro"},
                                                    box(*grid.bounds).buffer(-200))], grid.crs)
    to_ll = Transformer.from_crs("EPSG:32617", "EPSG:4326", always_xy=True)
    with open(tmp_path / "sites.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["site", "sector", "lat", "lon", "height_m", "azimuth_deg", "freq_mhz",
                    "bandwidth_mhz", "tx_power_dbm", "antenna"])
        for i, (ox, oy) in enumerate([(-1500, -1500), (1500, 0), (-500, 1800)]):
            lon, lat = to_ll.transform(cx + ox, cy + oy)
            for s, az in enumerate((0, 120, 240)):
                w.writerow([f"J{i}", s + 1, f"{lat:.6f}", f"{lon:.6f}", 30, az, 3500, 100, 49,
                            "3gpp:17"])
    config = {"name": "Jacksboro test area", "country": "US", "year": 2026,
              "crs": "EPSG:32617", "boundary": "boundary.geojson",
              "population": "population.tif", "dem": "dem_wgs84.tif",
              "inputs": {"radio": {"sites": "sites.csv"}}}
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(config))
    ws = Workspace.load(tmp_path)
    area = radio_run.load_area(ws)
    # The DEM was reprojected from WGS 84: its heights stay within the source's range.
    assert np.isfinite(area.dem).all()
    assert z.min() - 1 <= area.dem.min() and area.dem.max() <= z.max() + 1
    assert area.dem.max() - area.dem.min() > 150          # real relief, not a flat stand-in
    r = _cli("radio", "coverage", "-w", str(tmp_path), "--quiet")
    assert r.returncode == 0, r.stderr
    with rasterio.open(tmp_path / "outputs" / "radio" / "rsrp.tif") as src:
        rsrp = src.read(1)
    assert np.isfinite(rsrp).all() and rsrp.max() > -80 and rsrp.min() < -110
    # Terrain matters: the same run over a flat DEM gives a different map.
    flat = CoverageInputs(area.grid, np.full(area.grid.shape, float(area.dem.mean())),
                          *radio_run.load_sectors(tmp_path / "sites.csv", area)[:1],
                          RadioSettings())
    flat_stack, _ = compute_coverage(flat)
    assert np.abs(flat_stack.max(axis=0) - rsrp).mean() > 3.0


def _edit_sites(city: Path, **changes: str) -> None:
    path = city / "sites.csv"
    with path.open() as f:
        rows = list(csv.DictReader(f))
    rows[0].update(changes)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"lat": "41.2", "lon": "39.0"}, ["line 2", "outside the terrain grid"]),
        ({"height_m": "0"}, ["line 2, field 'height_m'", "1..300"]),
        ({"freq_mhz": "7000"}, ["line 2, field 'freq_mhz'", "30..6000 MHz"]),
        ({"antenna": "missing.msi"}, ["line 2, field 'antenna'", "not found"]),
    ],
)
def test_bad_sites_are_refused_without_output(city: Path, changes, words):
    shutil.rmtree(city / "outputs" / "radio")
    _edit_sites(city, **changes)
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "500", "--quiet")
    assert r.returncode == 2
    for w in words:
        assert w in r.stderr.replace("\n", ""), (w, r.stderr)
    assert "sites.csv" in r.stderr
    assert not (city / "outputs" / "radio").exists()


def test_malformed_msi_and_dem_without_crs(city: Path):
    msi = next(city.glob("*.msi"))
    msi.write_text(msi.read_text().replace("GAIN 15.35 dBd", "GAIN lots"))
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "500", "--quiet")
    assert r.returncode == 2 and msi.name in r.stderr and "GAIN" in r.stderr
    with rasterio.open(city / "nocrs.tif", "w", driver="GTiff", width=4, height=4, count=1,
                       dtype="float32", transform=Affine(1, 0, 0, 0, -1, 4)) as dst:
        dst.write(np.zeros((4, 4), np.float32), 1)
    cfg = yaml.safe_load((city / "city.yaml").read_text())
    cfg["dem"] = "nocrs.tif"
    (city / "city.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(InputError, match="no CRS"):
        radio_run.load_area(Workspace.load(city))


def test_plan_cli_json(city: Path):
    r = _cli("radio", "plan", "-w", str(city), "--resolution", "250", "--target", "0.99",
             "--tile-size", "24",
             "--max-sites", "3", "--format", "json", "--quiet")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert 1 <= len(doc["steps"]) <= 3
    assert doc["steps"][0]["added_population"] > 0
    assert doc["final_coverage_with_interference_pct"] >= doc["initial_coverage_pct"]


def test_indoor_coverage_adds_p2109_loss(city: Path):
    from ssckit.radio.propagation.p2109 import building_entry_loss

    ws = Workspace.load(city)
    area = radio_run.load_area(ws, 500.0)
    out = {}
    for indoor in (None, "traditional", "thermally_efficient"):
        settings = RadioSettings(building_entry=indoor, resolution_m=500.0)
        run = radio_run.run_coverage(ws, ws.input_path("radio", "sites"), settings, area)
        out[indoor] = run.maps.rsrp_dbm
    # The median P.2109 loss at 3.5 GHz, horizontal incidence, is added to every path.
    for kind in ("traditional", "thermally_efficient"):
        bel = float(building_entry_loss(3.5, 50.0, kind, 0.0))
        assert np.allclose(out[None] - out[kind], bel, atol=1e-3)
    assert (out["traditional"] > out["thermally_efficient"]).all()


def test_indoor_run_keeps_outdoor_values(city: Path):
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "500", "--quiet")
    assert r.returncode == 0, r.stderr
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "500", "--quiet",
             "--indoor", "thermally_efficient")
    assert r.returncode == 0, r.stderr
    with Store.open(city / "ssckit.duckdb", read_only=True) as s:
        out = s.query_values(indicator="radio:population_coverage", entity="city", breakdown={})
        ind = s.query_values(indicator="radio:population_coverage", entity="city",
                             breakdown={"indoor": "thermally_efficient"})
    assert len(out) == 1 and len(ind) == 1
    assert ind[0].value < out[0].value


def _set_input(city: Path, key: str, name: str) -> None:
    cfg = yaml.safe_load((city / "city.yaml").read_text())
    if key == "dem":
        cfg["dem"] = name
    else:
        cfg["inputs"]["radio"][key] = name
    (city / "city.yaml").write_text(yaml.safe_dump(cfg))


def test_corrupt_clutter_is_one_line(city: Path):
    """A clutter GeoTIFF whose deflate blocks are damaged: one line naming the file."""
    with rasterio.open(city / "clutter.tif") as src:
        data, profile = src.read(1), dict(src.profile)
    profile.update(compress="deflate", tiled=True, blockxsize=64, blockysize=64)
    bad = city / "clutter_corrupt.tif"
    with rasterio.open(bad, "w", **profile) as dst:
        dst.write(data, 1)
        offsets = [int(dst.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1) or 0)]
    raw = bytearray(bad.read_bytes())
    start = offsets[0] if offsets[0] else len(raw) // 2
    for i in range(start + 4, min(start + 4000, len(raw))):   # garble the compressed stream
        raw[i] = (raw[i] * 7 + 13) % 256
    bad.write_bytes(bytes(raw))
    _set_input(city, "clutter", bad.name)
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "500", "--quiet")
    assert r.returncode == 2, r.stderr
    assert "clutter_corrupt.tif" in r.stderr and "corrupt" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 3


@pytest.mark.parametrize("value", [2.6e38, -2.6e38, 12_000.0])
def test_absurd_dem_is_one_line(city: Path, value: float):
    """Heights that decode to absurd values (a wrong data type or scale): one line naming
    the file and the plausible range, not a traceback from the kernels."""
    with rasterio.open(city / "dem.tif") as src:
        data, profile = src.read(1).astype(np.float32), dict(src.profile)
    profile.update(dtype="float32", nodata=None)
    data[10:20, 10:20] = value
    with rasterio.open(city / "dem_absurd.tif", "w", **profile) as dst:
        dst.write(data, 1)
    _set_input(city, "dem", "dem_absurd.tif")
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "100", "--quiet")
    assert r.returncode == 2, r.stderr
    assert "dem_absurd.tif" in r.stderr and "-500..9000 m" in r.stderr.replace("\n", "")
    assert "Traceback" not in r.stderr


def test_absurd_clutter_heights_are_refused(city: Path):
    from ssckit.radio.terrain import load_clutter

    grid = radio_run.load_area(Workspace.load(city), 500.0).grid
    with pytest.raises(InputError, match=r"class 4.*0\.\.100 m"):
        load_clutter(city / "clutter.tif", grid, {1: 10.0, 2: 10.0, 3: 10.0, 4: 2.6e38,
                                                  5: 20.0})


def test_max_radius_option(city: Path):
    """Beyond --max-radius-km a sector neither serves nor interferes: fewer paths, pixels
    without prediction far from every site; 'none' lifts the limit; a bad value is one line."""
    docs = {}
    for radius in ("2", "none"):
        r = _cli("radio", "coverage", "-w", str(city), "--resolution", "250", "--quiet",
                 "--max-radius-km", radius)
        assert r.returncode == 0, r.stderr
        docs[radius] = json.loads((city / "outputs" / "radio" / "coverage.json").read_text())
    near, full = docs["2"], docs["none"]
    assert near["max_radius_km"] == 2.0 and full["max_radius_km"] is None
    assert full["paths_beyond_radius"] == 0 and near["paths_beyond_radius"] > 0
    assert near["pixel_paths"] + near["paths_beyond_radius"] == full["pixel_paths"]
    assert near["pixels_without_prediction"] > 0 == full["pixels_without_prediction"]
    r = _cli("radio", "coverage", "-w", str(city), "--resolution", "250", "--quiet",
             "--max-radius-km", "0.1")
    assert r.returncode == 2 and "--max-radius-km" in r.stderr and "0.5" in r.stderr
    assert "Traceback" not in r.stderr


def test_free_space_rsrp_is_the_link_budget(small_city: Path):
    """Every pixel's RSRP of every sector, through tiles, gain tables and the kernel, against
    the link budget written out: P_tx − 10 log10(12 N_RB) + G − L_bf, with L_bf of ITU-R
    P.525 (32.4 + 20 log f[MHz] + 20 log d[km], 3D distance) and G the TR 38.901 element by
    direct evaluation (within the gain table's tolerance, 0.12 dB)."""
    from ssckit.radio.antenna import sector_gain_38901

    ws = Workspace.load(small_city)
    area = radio_run.load_area(ws)
    sectors, patterns = radio_run.load_sectors(small_city / "sites.csv", area, "free-space")
    inputs = CoverageInputs(area.grid, area.dem, sectors,
                            RadioSettings(model="free-space", tile_size=8), patterns=patterns)
    stack, stats = compute_coverage(inputs, threads=2)
    x, y = area.grid.cell_centres()
    h_site = 120.0 + 30.0
    d2 = np.hypot(x - sectors.x[0], y - sectors.y[0])
    d3 = np.hypot(np.maximum(d2, 1.0), h_site - 121.5)
    lbf = 32.4 + 20 * np.log10(3500.0) + 20 * np.log10(d3 / 1000.0)
    az = np.degrees(np.arctan2(x - sectors.x[0], y - sectors.y[0])) % 360
    el = np.degrees(np.arctan2(121.5 - h_site, np.maximum(d2, 1.0)))
    for k in range(3):
        g = sector_gain_38901(az, el, antenna_azimuth_deg=sectors.azimuth_deg[k])
        ref = 49.0 - 10 * np.log10(12 * 273) + g - lbf      # 100 MHz at 30 kHz: 273 RB
        assert np.abs(stack[k] - ref).max() <= 0.12
    assert stats.paths == area.grid.shape[0] * area.grid.shape[1]


def test_bad_clutter_heights_are_refused_once_before_the_tiles(demo_workspace: Path):
    """The coverage run checks the clutter layer once, when it prepares the run (the radial
    kernels then skip the whole-layer scan on every site and tile): a NaN or negative height
    is refused before any tile is computed."""
    ws = Workspace.load(demo_workspace)
    area = radio_run.load_area(ws, 400.0)
    sectors, patterns = radio_run.load_sectors(ws.input_path("radio", "sites"), area)
    for bad in (np.nan, -3.0):
        clutter = np.array(area.clutter, dtype=float)
        clutter[5, 7] = bad
        inputs = CoverageInputs(area.grid, area.dem, sectors, RadioSettings(tile_size=64),
                                clutter, patterns)
        with pytest.raises(ValueError, match="clutter heights must be finite and >= 0 m"):
            inputs.prepared  # noqa: B018
