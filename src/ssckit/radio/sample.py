"""The radio module's part of the sample city: land cover, antenna sites, candidates and a
drive test.

Sample-city antenna sites: ~15 three-sector n78 (3.5 GHz) macro sites and ~30 candidates,
plus a synthetic panel antenna pattern in the MSI/Planet format. All synthetic."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

from ssckit.core.geo import write_raster
from ssckit.core.sample import SampleCity, SampleInputs
from ssckit.radio.sites import OPTIONAL, REQUIRED

MSI_NAME = "panel_65deg_17dBi.msi"
DRIVE_TEST_NAME = "drive_test.csv"
#: The sample drive test's planted error of the model per clutter class (ITU-R P.1812 Table 2
#: codes, :data:`ssckit.radio.terrain.CLUTTER_CLASSES`) [dB, measured − predicted]: the
#: values ``ssckit radio calibrate`` should recover. They live here only.
PLANTED_OFFSETS_DB = {1: 2.0, 2: 4.5, 3: -3.0, 4: -6.5, 5: -9.0}
#: Standard deviation [dB] of the sample drive test's measurement noise (Gaussian).
DRIVE_TEST_NOISE_DB = 4.0
#: Spacing [m] of the sample drive test's points along its route, and its days.
DRIVE_TEST_STEP_M = 50.0
DRIVE_TEST_DAYS = ("2026-05-04", "2026-05-05", "2026-05-06")


def _hex_points(boundary: Polygon, spacing: float, offset: tuple[float, float]
                ) -> list[tuple[float, float]]:
    xmin, ymin, xmax, ymax = boundary.bounds
    pts = []
    row = 0
    y = ymin + offset[1]
    while y < ymax:
        x = xmin + offset[0] + (spacing / 2 if row % 2 else 0)
        while x < xmax:
            if boundary.buffer(-300).contains(Point(x, y)):
                pts.append((x, y))
            x += spacing
        y += spacing * np.sqrt(3) / 2
        row += 1
    return pts


def panel_msi_text() -> str:
    """A synthetic 3.5 GHz panel: 65 deg horizontal, 7 deg vertical beamwidth, 17.5 dBi,
    written as MSI/Planet cuts (attenuation [dB] per degree, relative to the maximum)."""
    ang = np.arange(360)
    rel_h = np.minimum(ang, 360 - ang)
    att_h = np.minimum(12 * (rel_h / 65.0) ** 2, 25.0)
    # vertical cut: 0 = horizon, 90 = straight down (MSI convention)
    rel_v = np.where(ang <= 180, ang, ang - 360)
    att_v = np.minimum(12 * (rel_v / 7.0) ** 2, 20.0)
    att_v = np.where(np.abs(rel_v) > 90, 25.0, att_v)
    lines = [f"NAME {MSI_NAME[:-4]}", "MAKE ssckit sample (synthetic)", "FREQUENCY 3500",
             "H_WIDTH 65", "V_WIDTH 7", "FRONT_TO_BACK 25", "GAIN 15.35 dBd", "TILT ELECTRICAL",
             "ELECTRICAL_TILT 0", "COMMENT synthetic pattern for the ssckit sample city",
             "HORIZONTAL 360"]
    lines += [f"{a} {v:.2f}" for a, v in zip(ang, att_h, strict=True)]
    lines.append("VERTICAL 360")
    lines += [f"{a} {v:.2f}" for a, v in zip(ang, att_v, strict=True)]
    return "\n".join(lines) + "\n"


def write_sample_sites(root: Path, boundary: Polygon, crs: str, seed: int
                       ) -> tuple[str, str]:
    """Write ``sites.csv`` (existing network) and ``candidates.csv``; return their names."""
    rng = np.random.default_rng(seed + 100)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    (root / MSI_NAME).write_text(panel_msi_text(), encoding="utf-8")
    existing = _hex_points(boundary, 1950.0, (500.0, 500.0))
    candidates = _hex_points(boundary, 1300.0, (300.0, 250.0))
    cols = list(REQUIRED) + [c for c in OPTIONAL if c not in ("operator", "notes")]

    def rows(points: list[tuple[float, float]], prefix: str, power_dbm: float
             ) -> list[dict[str, object]]:
        out = []
        for i, (x, y) in enumerate(points):
            x += rng.normal(0, 80)
            y += rng.normal(0, 80)
            lon, lat = to_ll.transform(x, y)
            rot = float(rng.uniform(0, 120))
            height = float(rng.choice([25.0, 30.0, 35.0]))
            for s in range(3):
                out.append({
                    "site": f"{prefix}{i + 1:02d}", "sector": str(s + 1),
                    "lat": round(lat, 6), "lon": round(lon, 6), "height_m": height,
                    "azimuth_deg": round((rot + 120 * s) % 360, 1), "freq_mhz": 3500,
                    "bandwidth_mhz": 100, "tx_power_dbm": power_dbm, "mech_tilt_deg": 2.0,
                    "elec_tilt_deg": 0.0,
                    "antenna": MSI_NAME, "band": "n78",
                })
        return out

    # The existing network runs 80 W per sector; new candidates are planned at 200 W.
    for name, pts, prefix, power in (("sites.csv", existing, "S", 49.0),
                                     ("candidates.csv", candidates, "C", 53.0)):
        with open(root / name, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(rows(pts, prefix, power))
    return "sites.csv", "candidates.csv"


def drive_test_route(city: SampleCity, step_m: float = DRIVE_TEST_STEP_M) -> np.ndarray:
    """Points (x, y) [m, the town's CRS] every ``step_m`` along a loop through the centre of
    every district and the town centre, kept a little inside the boundary."""
    inner = city.town.boundary.buffer(-200)
    cx, cy = city.centre_xy
    stops = [(cx, cy)]
    for _, g in city.town.districts:
        p = g.representative_point()
        if inner.contains(p):
            stops.append((p.x, p.y))
    # visit the districts in order of bearing from the centre, out and back between them
    ring = sorted(stops[1:], key=lambda q: np.arctan2(q[1] - cy, q[0] - cx))
    path = [stops[0]]
    for q in ring:
        path += [q, ((q[0] + cx) / 2, (q[1] + cy) / 2)]
    path += [ring[0] if ring else stops[0], stops[0]]
    line = LineString(path)
    d = np.arange(0.0, line.length, step_m)
    pts = np.array([line.interpolate(v).coords[0] for v in d])
    keep = np.array([inner.contains(Point(x, y)) for x, y in pts], dtype=bool)
    return pts[keep]


def predicted_rsrp_at(city: SampleCity, sites: str, settings: dict, x: np.ndarray,
                      y: np.ndarray, tile: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Best-server RSRP [dBm] the coverage engine predicts at points (x, y) on the sample
    grid at ``settings['resolution_m']`` (as ``ssckit radio coverage`` does: ITU-R P.1812
    path loss, antenna patterns, clutter), computed only on the small tiles the points fall
    in (NaN where there is no prediction), and the clutter class of each point's pixel."""
    from ssckit.core.geo import Grid
    from ssckit.radio.antenna import read_msi
    from ssckit.radio.coverage import CoverageInputs, RadioSettings, coverage_tile
    from ssckit.radio.measurements import clutter_class_grid
    from ssckit.radio.sites import read_sites_csv
    from ssckit.radio.terrain import load_clutter, load_dem

    rs = RadioSettings(**settings)
    g = city.town.grid
    grid = g
    if abs(rs.resolution_m - g.res) > 1e-9:
        xmin, ymin, xmax, ymax = g.bounds
        grid = Grid.from_bounds(xmin, ymin, xmax, ymax, rs.resolution_m, g.crs)
    sectors = read_sites_csv(city.root / sites, city.crs)
    patterns = {n: read_msi(n) for n in set(sectors.antenna.tolist())
                if not n.startswith("3gpp")}
    inputs = CoverageInputs(grid, load_dem(city.root / "dem.tif", grid), sectors, rs,
                            clutter=load_clutter(city.root / "clutter.tif", grid),
                            patterns=patterns)
    t = grid.transform
    col = np.floor((x - t.c) / t.a).astype(int)
    row = np.floor((y - t.f) / t.e).astype(int)
    out = np.full(x.shape, np.nan)
    rows, cols = grid.shape
    inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    row, col = np.where(inside, row, 0), np.where(inside, col, 0)
    classes = clutter_class_grid(city.root / "clutter.tif", grid)[row, col]
    for tr, tc in sorted(set(zip((row // tile).tolist(), (col // tile).tolist(),
                                 strict=True))):
        r0, c0 = tr * tile, tc * tile
        window = (r0, min(r0 + tile, rows), c0, min(c0 + tile, cols))
        maps = coverage_tile(inputs, window)
        m = (row // tile == tr) & (col // tile == tc)
        out[m] = maps.rsrp_dbm[row[m] - r0, col[m] - c0]
    out[~inside] = np.nan
    return out, classes


def write_sample_drive_test(city: SampleCity, sites: str, settings: dict) -> str:
    """Write ``drive_test.csv`` (the columns of ``ssckit radio measurements import``): a
    route every ~50 m through the districts, driven over three days; RSRP [dBm] is the
    model's prediction at each point plus the planted offset of its clutter class
    (:data:`PLANTED_OFFSETS_DB`) plus Gaussian noise (:data:`DRIVE_TEST_NOISE_DB`), rounded
    to 0.1 dB and kept in the 3GPP TS 38.133 reporting range. Synthetic."""
    from ssckit.radio.measurements import RSRP_RANGE_DBM

    rng = np.random.default_rng(city.seed + 300)
    pts = drive_test_route(city)
    x, y = pts[:, 0], pts[:, 1]
    pred, cls = predicted_rsrp_at(city, sites, settings, x, y)
    offset = np.array([PLANTED_OFFSETS_DB.get(int(k), 0.0) for k in cls])
    rsrp = pred + offset + rng.normal(0.0, DRIVE_TEST_NOISE_DB, pred.size)
    ok = np.isfinite(rsrp) & (rsrp >= RSRP_RANGE_DBM[0]) & (rsrp <= RSRP_RANGE_DBM[1])
    lon, lat = Transformer.from_crs(city.crs, "EPSG:4326", always_xy=True).transform(x, y)
    idx = np.flatnonzero(ok)
    days = np.array_split(idx, len(DRIVE_TEST_DAYS))
    with open(city.root / DRIVE_TEST_NAME, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["time", "lat", "lon", "rsrp_dbm", "band"])
        for day, part in zip(DRIVE_TEST_DAYS, days, strict=True):
            t0 = datetime.fromisoformat(f"{day}T09:30:00")
            for j, i in enumerate(part):   # ~50 m every 6 s: 30 km/h
                w.writerow([(t0 + timedelta(seconds=6 * j)).isoformat(),
                            f"{lat[i]:.6f}", f"{lon[i]:.6f}", f"{rsrp[i]:.1f}", "n78"])
    return DRIVE_TEST_NAME


def write_sample(city: SampleCity) -> SampleInputs:
    """The sample city's radio inputs: sites, candidate sites, the panel pattern and the
    land-cover raster; coverage at 50 m keeps the demo quick (`ssckit radio coverage
    --resolution 25` for full detail)."""
    sites, candidates = write_sample_sites(city.root, city.town.boundary, city.crs, city.seed)
    write_raster(city.root / "clutter.tif", city.town.clutter, city.town.grid, nodata=0,
                 description="land-cover class, ITU-R P.1812 Table 2 (synthetic)")
    settings = {"resolution_m": 50.0, "rsrp_threshold_dbm": -115.0}
    drive_test = write_sample_drive_test(city, sites, settings)
    return SampleInputs(
        inputs={"sites": sites, "candidates": candidates, "clutter": "clutter.tif",
                "drive_tests": drive_test},
        settings=settings)
