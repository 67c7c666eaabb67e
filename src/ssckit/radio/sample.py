"""The radio module's part of the sample city: land cover, antenna sites and candidates.

Sample-city antenna sites: ~15 three-sector n78 (3.5 GHz) macro sites and ~30 candidates,
plus a synthetic panel antenna pattern in the MSI/Planet format. All synthetic."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from pyproj import Transformer
from shapely.geometry import Point, Polygon

from ssckit.core.geo import write_raster
from ssckit.core.sample import SampleCity, SampleInputs
from ssckit.radio.sites import OPTIONAL, REQUIRED

MSI_NAME = "panel_65deg_17dBi.msi"


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


def write_sample(city: SampleCity) -> SampleInputs:
    """The sample city's radio inputs: sites, candidate sites, the panel pattern and the
    land-cover raster; coverage at 50 m keeps the demo quick (`ssckit radio coverage
    --resolution 25` for full detail)."""
    sites, candidates = write_sample_sites(city.root, city.town.boundary, city.crs, city.seed)
    write_raster(city.root / "clutter.tif", city.town.clutter, city.town.grid, nodata=0,
                 description="land-cover class, ITU-R P.1812 Table 2 (synthetic)")
    return SampleInputs(
        inputs={"sites": sites, "candidates": candidates, "clutter": "clutter.tif"},
        settings={"resolution_m": 50.0, "rsrp_threshold_dbm": -115.0})
