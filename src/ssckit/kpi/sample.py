"""Plausible synthetic KPI values and city targets for the sample city.

Each entry: KPI code -> (low, high, city target or None). Values are drawn uniformly in
[low, high] by a seeded generator; the ranges describe a mid-sized town in a middle-income
country and are only there to make the demo look like a real scorecard. None of it is data.
"""

from __future__ import annotations

import csv

import numpy as np

from ssckit.core.sample import SampleCity, SampleInputs
from ssckit.kpi.catalogue import Catalogue, load_catalogue

RANGES: dict[str, tuple[float, float, float | None]] = {
    "EC:ICT:ICT:1C": (70, 90, 100), "EC:ICT:ICT:2C": (18, 35, 60),
    "EC:ICT:ICT:3C": (60000, 95000, 100000), "EC:ICT:ICT:4C": (85, 99, 100),
    "EC:ICT:ICT:5A": (10, 60, 100), "EC:ICT:WS:1C": (5, 40, 100), "EC:ICT:WS:2A": (20, 70, 100),
    "EC:ICT:D:1A": (5, 40, 100), "EC:ICT:ES:1C": (20, 70, 100), "EC:ICT:ES:2A": (30, 80, 100),
    "EC:ICT:ES:3A": (0, 10, 20), "EC:ICT:T:1C": (20, 70, 100), "EC:ICT:T:2C": (10, 50, 100),
    "EC:ICT:T:3A": (10, 50, 100), "EC:ICT:PS:1A": (5, 40, 100), "EC:ICT:PS:2A": (20, 120, 200),
    "EC:ICT:PS:3A": (30, 90, 100), "EC:P:IN:1C": (0.2, 1.5, 3), "EC:P:IN:2C": (0.5, 10, 20),
    "EC:P:IN:3A": (60, 95, None), "EC:P:EM:1C": (5, 14, 4), "EC:P:EM:2C": (12, 30, 10),
    "EC:P:EM:3A": (2, 8, None), "EC:P:EM:4A": (1, 5, 5), "EC:I:WS:1C": (92, 100, 100),
    "EC:I:WS:2C": (85, 99, 100), "EC:I:WS:3C": (15, 40, 10), "EC:I:WS:4C": (60, 95, 100),
    "EC:I:WS:5C": (85, 99, 100), "EC:I:WA:1C": (75, 99, 100), "EC:I:ES:1C": (1, 6, 1),
    "EC:I:ES:2C": (40, 180, 60), "EC:I:ES:3C": (98, 100, 100), "EC:I:T:1C": (20, 80, 100),
    "EC:I:T:2A": (40, 85, 100), "EC:I:T:3C": (2, 30, 50), "EC:I:T:4A": (10, 40, None),
    "EC:I:T:5A": (1.1, 1.6, 1.1), "EC:I:T:6A": (0, 80, 100), "EC:I:T:7A": (0, 30, 50),
    "EC:I:T:8A": (0.5, 6, 20), "EC:I:B:1A": (0, 20, 50), "EC:I:B:2A": (0, 30, 50),
    "EC:I:UP:1A": (10, 40, 50), "EC:I:UP:2A": (1, 1, 1), "EN:EN:AQ:1C": (12, 35, 5),
    "EN:EN:AQ:2C": (2, 7, 2), "EN:EN:WS:1C": (90, 100, 100), "EN:EN:WS:2C": (120, 250, 120),
    "EN:EN:WS:3C": (20, 60, 20), "EN:EN:WS:4C": (40, 90, 100), "EN:EN:WA:1C": (20, 60, None),
    "EN:EN:EQ:1C": (95, 100, 100), "EN:EN:EQ:2A": (10, 35, 10), "EN:EN:PSN:1C": (50, 400, 500),
    "EN:EN:PSN:2A": (40, 90, 100), "EN:EN:PSN:3A": (2, 15, 17), "EN:EN:PSN:4A": (5000, 40000,
                                                                                 50000),
    "EN:E:E:1C": (5, 30, 50), "EN:E:E:2C": (1500, 4000, 1500), "EN:E:E:3C": (5, 20, 5),
    "EN:E:E:4A": (100, 250, 100), "SC:EH:ED:1C": (40, 95, 100), "SC:EH:ED:2C": (88, 99, 100),
    "SC:EH:ED:3C": (8000, 25000, 30000), "SC:EH:ED:4C": (95, 100, 100),
    "SC:EH:ED:5A": (20, 80, 100), "SC:EH:H:1C": (68, 78, 80), "SC:EH:H:2C": (10, 50, 70),
    "SC:EH:H:3C": (150, 400, 300), "SC:EH:H:4A": (250, 700, 500), "SC:EH:H:5A": (70, 100, 100),
    "SC:EH:C:1C": (0.5, 3, 2), "SC:EH:C:2A": (5, 25, 20), "SC:SH:HO:1C": (0, 10, 0),
    "SC:SH:HO:2A": (20, 40, 30), "SC:SH:SI:1C": (0.6, 0.9, None), "SC:SH:SI:2C": (0.28, 0.42,
                                                                                    0.3),
    "SC:SH:SI:3C": (5, 25, 5), "SC:SH:SI:4C": (40, 75, 80), "SC:SH:SI:5A": (30, 80, 100),
    "SC:SH:SA:1C": (0, 1, 0.1), "SC:SH:SA:2C": (0, 1.5, 0.5), "SC:SH:SA:3A": (0, 1, 1),
    "SC:SH:SA:4A": (2, 20, 5), "SC:SH:SA:5A": (8, 25, 10), "SC:SH:SA:6C": (150, 400, None),
    "SC:SH:SA:7C": (40, 120, None), "SC:SH:SA:8C": (50, 400, 100), "SC:SH:SA:9C": (3, 15, 3),
    "SC:SH:FS:1A": (5, 30, 30),
}

#: KPIs the sample city deliberately leaves without data, to show completeness below 100 %.
MISSING = ("EC:ICT:ES:3A", "EC:I:T:7A", "EC:I:B:2A", "EN:EN:PSN:4A", "SC:SH:SI:5A",
           "SC:EH:ED:5A", "EC:ICT:T:3A", "SC:SH:FS:1A")


def sample_kpi_values(catalogue: Catalogue, year: int, seed: int
                      ) -> tuple[list[dict[str, object]], dict[str, float]]:
    """Rows for a ``kpi import`` CSV for ``year``, and the city's targets (code -> target).

    Values drift towards the targets by year (a city improving), so that two years compare.
    """
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    targets: dict[str, float] = {}
    for kpi in catalogue.kpis:
        lo, hi, target = RANGES[kpi.code]
        u = rng.uniform()
        if target is not None:
            targets[kpi.code] = target
            # improve by up to 10 % of the gap per year after 2024
            drift = min(max(year - 2024, 0) * 0.1, 0.5)
            value = lo + u * (hi - lo)
            value += drift * (target - value) * rng.uniform(0.3, 1.0)
        else:
            value = lo + u * (hi - lo)
        if kpi.kind == "yes_no":
            value = float(round(value))
        if kpi.code in MISSING:
            continue
        digits = 3 if abs(value) < 10 else 1 if abs(value) < 1000 else 0
        rows.append({
            "code": kpi.code, "value": round(float(value), digits), "unit": kpi.unit,
            "period": str(year), "source": "synthetic sample data (ssckit demo)",
            "quality": "D",
        })
    return rows, targets


def write_sample(city: SampleCity) -> SampleInputs:
    """A ``kpi import`` CSV of plausible manual values for each sample year, and the city's
    targets (``settings.kpi`` of city.yaml)."""
    cat = load_catalogue()
    files: list[str] = []
    targets: dict[str, float] = {}
    for i, year in enumerate(city.years):
        rows, targets = sample_kpi_values(cat, year, city.seed + i)
        name = f"kpi_values_{year}.csv"
        with open(city.root / name, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        files.append(name)
    return SampleInputs(settings={"targets": targets, "values": files})
