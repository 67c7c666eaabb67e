"""The measurement register of the sample city: five lab reports (one above the prediction)
and one E-field probe (all synthetic)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from pyproj import Transformer

#: The sample city's lab reports: (report id, site, distance [m], bearing [deg], height above
#: ground [m], lab, protocol, uncertainty (value, "dB" or "%"), measured share of the
#: full-power prediction of the rooftop sites [-], month, day). LAB-2026-05 measures five times
#: the prediction in front of R03: the model is wrong there (planted; sample data).
SAMPLE_REPORTS = (
    ("LAB-2026-01", "R01", 40.0, 30.0, 1.5, "Sampleland Radio Lab", "IEC 62232", (3.0, "dB"),
     0.22, 3, 12),
    ("LAB-2026-02", "R02", 12.0, 0.0, 22.5, "Sampleland Radio Lab", "IEC 62232", (3.0, "dB"),
     0.31, 4, 2),
    ("LAB-2026-03", "R03", 60.0, 60.0, 1.5, "Riverbend University EMC Lab", "ITU-T K.61",
     (2.5, "dB"), 0.12, 5, 20),
    ("LAB-2026-04", "R04", 80.0, 90.0, 1.5, "Riverbend University EMC Lab", "EN 50492",
     (30.0, "%"), 0.35, 6, 8),
    ("LAB-2026-05", "R03", 30.0, 0.0, 1.5, "Sampleland Radio Lab", "ITU-T K.83", (3.0, "dB"),
     5.0, 7, 15),
)
#: The sample city's E-field probe: 70 m in front of R04's first sector, 4 m up a lamp post
#: (device id, name, site, distance [m], bearing [deg], height [m], uncertainty [dB]).
SAMPLE_PROBE = ("EMF-PROBE-1", "lamp post, Market Street", "R04", 70.0, 90.0, 4.0, 3.0)
#: Ambient fields of other services in every lab report: (band, frequency [MHz], E [V/m]).
AMBIENT_BANDS = (("FM broadcast", 98.0, 0.08), ("LTE 800", 806.0, 0.05),
                 ("LTE 1800", 1842.5, 0.09))
REPORT_FILE = "lab_reports.csv"
PROBES_FILE = "emf_probes.csv"


def write_sample_register(root: Path, crs: str, rooftops: str, year: int) -> tuple[str, str]:
    """Lab reports of the measurement register (:data:`REPORT_FILE`, one row per band and a
    broadband total) and the position of an E-field probe (:data:`PROBES_FILE`).

    The n78 field of each report is a share (:data:`SAMPLE_REPORTS`) of the full-power
    prediction of the rooftop sites at the place (ICNIRP 2020 plane-wave equivalent, ground
    reflection 2.56), so that all but one measure below the prediction, as measurements of a
    worst-case model do.
    """
    from ssckit.emf.exposure import exposure_ratios, ground_reflection_factor
    from ssckit.emf.limits import Z0_OHM, limit_power_density
    from ssckit.emf.run import transmitters_for
    from ssckit.radio.sites import read_sites_csv

    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    sectors = read_sites_csv(root / rooftops, crs)
    tx = transmitters_for(sectors, [root / rooftops])
    s_lim = float(limit_power_density("icnirp2020-public", 3500.0))

    def place(site: str, dist: float, bearing: float) -> tuple[float, float]:
        k = int(np.flatnonzero(np.asarray(sectors.site) == site)[0])
        b = np.deg2rad(bearing)
        return float(tx.x_m[k] + dist * np.sin(b)), float(tx.y_m[k] + dist * np.cos(b))

    def predicted_e(x: float, y: float, h: float) -> float:
        r = exposure_ratios(np.array([x]), np.array([y]), np.array([h]), tx,
                            "icnirp2020-public",
                            reflection_factor=float(ground_reflection_factor()))[0].sum()
        return float(np.sqrt(r * Z0_OHM * s_lim))

    rows = []
    for rid, site, dist, bearing, h, lab, protocol, (u, unit), share, month, day in \
            SAMPLE_REPORTS:
        x, y = place(site, dist, bearing)
        lon, lat = to_ll.transform(x, y)
        head = {"report_id": rid, "date": f"{year}-{month:02d}-{day:02d}", "lab": lab,
                "protocol": protocol, "lat": round(lat, 6), "lon": round(lon, 6),
                "height_m": h, "uncertainty_db": u if unit == "dB" else "",
                "uncertainty_pct": u if unit == "%" else "",
                "report_file": f"reports/{rid}.pdf"}
        e78 = round(predicted_e(x, y, h) * float(np.sqrt(share)), 3)
        bands = [*AMBIENT_BANDS, ("n78", 3500.0, e78)]
        for band, f, e in bands:
            rows.append(head | {"band": band, "freq_mhz": f, "e_v_m": e})
        total = float(np.sqrt(sum(e * e for _, _, e in bands))) * 1.02
        rows.append(head | {"band": "total", "freq_mhz": "", "e_v_m": round(total, 3)})
    cols = ["report_id", "date", "lab", "protocol", "lat", "lon", "height_m", "band",
            "freq_mhz", "e_v_m", "uncertainty_db", "uncertainty_pct", "report_file"]
    with open(root / REPORT_FILE, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    dev, name, site, dist, bearing, h, u = SAMPLE_PROBE
    lon, lat = to_ll.transform(*place(site, dist, bearing))
    with open(root / PROBES_FILE, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["device_id", "name", "lat", "lon", "height_m",
                                          "freq_mhz", "uncertainty_db"])
        w.writeheader()
        w.writerow({"device_id": dev, "name": name, "lat": round(lat, 6),
                    "lon": round(lon, 6), "height_m": h, "freq_mhz": 3500,
                    "uncertainty_db": u})
    return REPORT_FILE, PROBES_FILE
