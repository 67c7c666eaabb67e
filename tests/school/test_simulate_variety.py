"""A believable sample: the simulated schools differ in age, insulation, size, heating hours and
timetable, so their energy per m² differs like real schools' do, and lies where published
benchmarks put school energy use."""

from __future__ import annotations

import numpy as np
import pytest

from ssckit.school.simulate import buildings, registry_from_rows, sample_registry, simulate_hourly

#: CIBSE TM46:2008 "Energy benchmarks", Table 1, category "Schools and seasonal public
#: buildings": typical electricity 40 kWh/m² and fossil-thermal 150 kWh/m² a year.
TM46_ELECTRICITY = 40.0
TM46_HEAT = 150.0


def _per_m2(reg, h):
    dev = np.asarray(h.device_ids)[h.device]
    qty = np.asarray(h.quantities)[h.quantity]
    out = {}
    for sid, s in sorted(reg.schools.items()):
        use = []
        for q in ("electricity", "heat"):
            m = h.mean[(dev == f"{sid}-meter") & (qty == q)]
            use.append((m[-1] - m[0]) / s.floor_area_m2)
        out[sid] = use
    return np.array(list(out.values()))          # (S, 2) [kWh/m2]


@pytest.fixture(scope="module")
def year():
    reg = registry_from_rows(*sample_registry(7, 20, radius_km=3.5))
    return reg, _per_m2(reg, simulate_hourly(reg, "2025-01-01T00:00", 365, seed=7))


def test_energy_per_m2_differs_between_schools(year):
    _, e = year
    total = e.sum(axis=1)
    assert total.max() / total.min() > 2.0
    assert total.std() / total.mean() > 0.25
    assert len(np.unique(np.round(total, 1))) == len(total)


def test_annual_use_within_published_benchmark_ranges(year):
    _, e = year
    elec, heat = np.median(e[:, 0]), np.median(e[:, 1])
    # a colder continental climate than the UK's: heat within 0.5x..2x of the benchmark
    assert 0.5 * TM46_ELECTRICITY < elec < 1.5 * TM46_ELECTRICITY
    assert 0.5 * TM46_HEAT < heat < 2.0 * TM46_HEAT


def test_older_buildings_use_more_heat(year):
    _, e = year
    era = buildings(7, 20).era
    by_era = [e[era == k, 1].mean() for k in (0, 1, 2)]   # before 1970, 1970-99, 2000+
    assert by_era[0] > by_era[1] > by_era[2]
    assert by_era[0] > 2 * by_era[2]


def test_four_winter_weeks_spread_like_the_demo():
    """The demo's span: four weeks of winter (all sample schools were 12-12.1 kWh/m²)."""
    reg = registry_from_rows(*sample_registry(7, 20, radius_km=3.5))
    e = _per_m2(reg, simulate_hourly(reg, "2026-01-05T00:00", 28, seed=7)).sum(axis=1)
    assert e.max() - e.min() > 10.0 and e.max() / e.min() > 1.8


def test_timetables_and_sizes_vary():
    schools, rooms, _ = sample_registry(7, 20)
    style = buildings(7, 20).style
    tts = {s["id"]: {r["timetable"] for r in rooms if r["school_id"] == s["id"]
                     and r["type"] == "classroom"} for s in schools}
    long_ = [s["id"] for s, k in zip(schools, style, strict=True) if k == "long"]
    assert long_ and all(tts[s] == {"mon-fri 08:00-16:30"} for s in long_)
    ratio = [s["floor_area_m2"] / sum(r["area_m2"] for r in rooms if r["school_id"] == s["id"])
             for s in schools]
    assert min(ratio) >= 1.4 and max(ratio) <= 2.2 and max(ratio) - min(ratio) > 0.4
