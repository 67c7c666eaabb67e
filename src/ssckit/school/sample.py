"""The school module's part of the sample city: 20 schools (registry CSVs) with pupils'
classroom ICT access, four weeks of simulated minute history (settings.school), and a pilot
file (``pilot.csv``: seven schools that started a pilot 16 weeks ago) for
``ssckit school evaluate``."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from ssckit.core.sample import SampleCity, SampleInputs

N_SCHOOLS = 20


def sample_registry_rows(city: SampleCity
                         ) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                    list[dict[str, Any]]]:
    """The rows of the sample city's ``schools.csv`` (with ``pupils_with_ict_access``),
    ``rooms.csv`` and ``devices.csv``: the same for the same city (seed and centre)."""
    from ssckit.school.simulate import sample_registry

    lon, lat = Transformer.from_crs(city.crs, "EPSG:4326", always_xy=True).transform(
        *city.centre_xy)
    schools, rooms, devices = sample_registry(city.seed, N_SCHOOLS, (lat, lon), radius_km=3.5)
    rng = np.random.default_rng(city.seed + 200)
    for s in schools:
        s["pupils_with_ict_access"] = int(round(int(s["pupils"]) * rng.uniform(0.45, 0.98)))
    return schools, rooms, devices


def _registered_before(path: Path, own: set[str]) -> list[dict[str, Any]]:
    """Rows of ``devices.csv`` that a module's sample part written before this one put there
    (the emf module's E-field probe), other than the schools' own devices."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["device_id"] not in own]


def write_sample(city: SampleCity) -> SampleInputs:
    """Registry files and the settings that make the school step simulate history.
    ``devices.csv`` lists the schools' own devices, then those other modules' sample parts
    registered in it before (the emf module's E-field probe, a device of its nearest school)."""
    schools, rooms, devices = sample_registry_rows(city)
    devices += _registered_before(city.root / "devices.csv",
                                  {d["device_id"] for d in devices})
    names = {}
    for name, rows in (("schools", schools), ("rooms", rooms), ("devices", devices)):
        with open(city.root / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        names[name] = f"{name}.csv"
    today = datetime.now(UTC).date()
    start = today - timedelta(weeks=16, days=today.weekday())       # a Monday
    with open(city.root / "pilot.csv", "w", newline="", encoding="utf-8") as f:
        f.write("school_id,start\n" + "".join(f"{s['id']},{start.isoformat()}\n"
                                              for s in schools[1::3]))
    return SampleInputs(inputs=names, settings={
        "utc_offset_min": 180, "simulate_days": 28, "simulate_hourly_days": 337,
        "seed": city.seed})
