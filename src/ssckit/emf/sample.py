"""The emf module's part of the sample city: rooftop sites with accessible roofs, and a strict
synthetic national limit under which one neighbour's terrace fails."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from pyproj import Transformer

from ssckit.core.sample import SampleCity, SampleInputs
from ssckit.emf.probe_feed import write_probe_devices
from ssckit.emf.register_sample import write_sample_register
from ssckit.radio.sample import MSI_NAME
from ssckit.radio.sites import OPTIONAL, REQUIRED


def write_sample(city: SampleCity) -> SampleInputs:
    """Rooftop sites and accessible places; the national limit set and ICNIRP 2020 side by
    side in the report."""
    rooftops, accessible = write_sample_rooftops(city.root, city.centre_xy, city.crs)
    register = dict(zip(("lab_reports", "probes"), write_sample_register(
        city.root, city.crs, rooftops, max(city.years)), strict=True))
    write_probe_devices(city, register["probes"])
    requests = write_sample_requests(city)
    return SampleInputs(
        inputs={**register, "extra_sites": rooftops, "accessible": accessible,
                "requests": requests},
        settings={
            "limit_set": "sampleland-national",
            "report_limit_sets": ["icnirp2020-public"],
            "limit_sets": [{"name": "sampleland-national", "s_uw_cm2": 10,
                            "source": "synthetic national rule: 10 µW/cm² at every "
                                      "frequency (sample data)"},
                           {"name": "sampleland-precaution", "s_uw_cm2": 1,
                            "source": "synthetic precautionary proposal under public debate: "
                                      "1 µW/cm² at every frequency (sample data; see "
                                      "ssckit emf tradeoff)"}],
        })


def write_sample_rooftops(root: Path, centre: tuple[float, float], crs: str
                          ) -> tuple[str, str]:
    """Four rooftop sites in the old town with accessible roofs (``rooftop_sites.csv``) and
    the roofs and terraces people can reach (``accessible.csv``).

    On R02 a neighbour's roof terrace lies 12 m in front of an antenna, 1.5 m below it: well
    within ICNIRP, but not within a strict national limit of 10 µW/cm².
    """
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    cx, cy = centre
    roof_m, mast_m = 21.0, 24.0
    cols = list(REQUIRED) + [c for c in OPTIONAL if c not in ("operator", "notes")]
    sites, accessible = [], []
    for i, (ox, oy, rot) in enumerate([(-400, 200, 30), (150, -250, 0), (-900, -300, 60),
                                       (300, 600, 90)]):
        lon, lat = to_ll.transform(cx + ox, cy + oy)
        for s in range(3):
            sites.append({
                "site": f"R{i + 1:02d}", "sector": str(s + 1), "lat": round(lat, 6),
                "lon": round(lon, 6), "height_m": mast_m, "azimuth_deg": (rot + 120 * s) % 360,
                "freq_mhz": 3500, "bandwidth_mhz": 100, "tx_power_dbm": 43.0,
                "mech_tilt_deg": 2.0, "elec_tilt_deg": 0.0, "antenna": MSI_NAME, "band": "n78",
            })
        # the roof itself, behind the mast
        back = np.deg2rad(rot + 180)
        bl, bb = to_ll.transform(cx + ox + 6 * np.sin(back), cy + oy + 6 * np.cos(back))
        accessible.append({"site": f"R{i + 1:02d}", "name": "own roof, 6 m behind the mast",
                           "lat": round(bb, 7), "lon": round(bl, 7), "surface_height_m": roof_m})
        if i == 1:   # a neighbour's terrace in the main beam of sector 1
            fwd = np.deg2rad(rot)
            fl, fb = to_ll.transform(cx + ox + 12 * np.sin(fwd), cy + oy + 12 * np.cos(fwd))
            accessible.append({"site": "R02", "name": "neighbour's roof terrace, 12 m in front",
                               "lat": round(fb, 7), "lon": round(fl, 7),
                               "surface_height_m": roof_m})
    with open(root / "rooftop_sites.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(sites)
    with open(root / "accessible.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["site", "name", "lat", "lon", "surface_height_m"])
        w.writeheader()
        w.writerows(accessible)
    return "rooftop_sites.csv", "accessible.csv"


def write_sample_requests(city: SampleCity) -> str:
    """Two residents' measurement requests received by post, still waiting in the queue
    (``emf_requests.csv``): one in the first district, one in the second, in Russian and in
    English; the first resident agrees to publish the result."""
    to_ll = Transformer.from_crs(city.crs, "EPSG:4326", always_xy=True)
    year = max(city.years)
    rows = []
    for i, (name, geom) in enumerate(city.town.districts[:2]):
        pt = geom.representative_point()
        lon, lat = to_ll.transform(pt.x, pt.y)
        rows.append({"reference": f"EMF-{year}-{i + 1:04d}",
                     "received_at": f"{year}-11-{3 + 7 * i:02d}T10:00",
                     "address": f"{name}, {12 + 5 * i}/{3 + i}",
                     "lat": round(lat, 6), "lon": round(lon, 6), "place": name,
                     "language": ("ru", "en")[i], "consent_publish": ("yes", "no")[i],
                     "email": "", "reason": ("A new antenna on the roof across the street",
                                             "Children's room faces a mast")[i],
                     "channel": "post"})
    with open(city.root / "emf_requests.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return "emf_requests.csv"
