"""Simulator: mass balance against the analytic solution, determinism, plausibility, registry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ssckit.school.schema import (
    DEVICE_COLUMNS,
    QUANTITIES,
    ROOM_COLUMNS,
    SCHOOL_COLUMNS,
    read_registry,
)
from ssckit.school.simulate import (
    PROBE_QUANTITIES,
    ROOM_QUANTITIES,
    co2_mass_balance,
    co2_steady_state,
    registry_from_rows,
    sample_registry,
    simulate_hourly,
    simulate_minutes,
    write_sample_registry,
)


def test_steady_state_hand_value():
    # 25 pupils x 0.0043 L/s = 1.075e-4 m3/s; lambda V = (2/3600 1/s)(180 m3) = 0.1 m3/s
    # C_ss = 420 + 1e6 * 1.075e-4 / 0.1 = 420 + 1075 = 1495 ppm
    assert_allclose(co2_steady_state(25, 180.0, 2.0, 420.0), 1495.0)
    assert_allclose(co2_steady_state([0, 25], 180.0, [2.0, 4.0], 420.0), [420.0, 957.5])


def test_mass_balance_exponential_approach():
    # constant inputs: C(t) = C_ss + (C0 - C_ss) exp(-lambda t)
    n_t = 8 * 60
    c = co2_mass_balance([420.0, 3000.0], np.full((n_t, 2), [25.0, 0.0]), [180.0, 150.0],
                         np.full((n_t, 2), [2.0, 1.0]), 420.0)
    t_h = np.arange(n_t) / 60.0
    css = np.array([1495.0, 420.0])
    expected = css + (np.array([420.0, 3000.0]) - css) * np.exp(-np.array([2.0, 1.0]) * t_h[:,
                                                                                              None])
    assert_allclose(c, expected, rtol=1e-10)
    # after 30 min at lambda = 2/h: 1495 - 1075 e^-1 = 1099.53 ppm
    assert_allclose(c[30, 0], 1495.0 - 1075.0 * math.exp(-1.0), rtol=1e-12)
    assert_allclose(c[-1, 0], 1495.0, rtol=1e-6)     # 16 time constants: steady state


def test_sample_registry_geometry_and_csv(tmp_path):
    schools, rooms, devices = sample_registry(7, n_schools=20)
    assert len(schools) == 20
    assert all(set(s) == set(SCHOOL_COLUMNS) for s in schools)
    assert all(set(r) == set(ROOM_COLUMNS) for r in rooms)
    assert all(set(d) == set(DEVICE_COLUMNS) for d in devices)
    lat = np.array([s["lat"] for s in schools])
    lon = np.array([s["lon"] for s in schools])
    dist_km = np.hypot((lat - 40.69) * 111.32, (lon - 39.06) * 111.32 * math.cos(
        math.radians(40.69)))
    assert dist_km.max() <= 4.0 + 1e-3
    assert 150 <= len(rooms) <= 260
    paths = write_sample_registry(tmp_path, seed=7)
    reg = read_registry(*paths)
    assert len(reg.schools) == 20 and len(reg.rooms) == len(rooms)
    assert reg == registry_from_rows(schools, rooms, devices)


@pytest.fixture(scope="module")
def small():
    s, r, d = sample_registry(3, n_schools=3)
    reg = registry_from_rows(s, r, d)
    return reg, simulate_minutes(reg, "2024-01-08T00:00", 7, seed=11)


def test_determinism(small):
    reg, a = small
    b = simulate_minutes(reg, "2024-01-08T00:00", 7, seed=11)
    for name in ("device", "quantity", "ts", "value", "fault"):
        assert_array_equal(getattr(a, name), getattr(b, name))
    c = simulate_minutes(reg, "2024-01-08T00:00", 7, seed=12)
    assert len(c) != len(a) or not np.array_equal(c.value, a.value)


def test_plausibility_and_flagged_faults(small):
    _, rd = small
    assert rd.fault.any()
    for i, q in enumerate(rd.quantities):
        k = rd.quantity == i
        v, f = rd.value[k], rd.fault[k]
        assert v.size > 0, q
        ok = (v >= QUANTITIES[q].lo) & (v <= QUANTITIES[q].hi)
        assert ok[~f].all(), q            # only deliberate faults may leave the range
    # each device reports only its registry quantities, one row per (device, quantity, ts)
    key = (rd.device.astype(np.int64) * 32 + rd.quantity) * 10**8 + rd.ts
    assert np.unique(key).size == key.size


def test_occupied_co2_and_temperature_are_realistic(small):
    reg, rd = small
    from ssckit.school.ieq import occupied_mask
    occ_co2, night_co2, occ_t = [], [], []
    for room in reg.rooms.values():
        dev = f"{room.school_id}-{room.room_id}-env"
        t, v, f = rd.select(dev, "co2")
        occ = occupied_mask(t, room.timetable, 180) & ~f
        occ_co2.append(v[occ])
        night_co2.append(v[~occupied_mask(t, "mon-sun 00:00-05:00", 180) & ~f])
        t, v, f = rd.select(dev, "temperature")
        occ_t.append(v[occupied_mask(t, room.timetable, 180) & ~f])
    occ_co2, occ_t = np.concatenate(occ_co2), np.concatenate(occ_t)
    assert 700 < np.median(occ_co2) < 1800          # classrooms in winter
    assert np.percentile(np.concatenate(night_co2), 50) < 700
    assert 18.0 < np.median(occ_t) < 24.0           # heated in January


def test_meters_grow_except_flagged_resets(small):
    reg, rd = small
    for school in reg.schools:
        for q in ("electricity", "heat"):
            _, v, f = rd.select(f"{school}-meter", q)
            d = np.diff(v)
            assert (d[~f[1:]] >= -1e-9).all()
            assert (d[f[1:]] < 0).all()


def test_probe_outage_rows(small):
    reg, rd = small
    sid = sorted(reg.schools)[0]
    t_on, on, _ = rd.select(f"{sid}-probe", "online")
    t_dl, _, _ = rd.select(f"{sid}-probe", "download")
    t_pl, pl, _ = rd.select(f"{sid}-probe", "packet_loss")
    # download is reported only while online; packet loss is 100 % while offline
    assert_array_equal(t_dl, t_on[on == 1])
    assert_array_equal(pl[on == 0], 100.0)
    assert set(PROBE_QUANTITIES) <= set(rd.quantities)


def test_hourly_year_consistent():
    s, r, d = sample_registry(3, n_schools=2)
    reg = registry_from_rows(s, r, d)
    h = simulate_hourly(reg, "2024-01-01T00:00", 365, seed=1)
    n_env = len(reg.rooms)
    assert len(h) == 365 * 24 * (n_env * len(ROOM_QUANTITIES) + 2 * (2 + 6))
    assert (h.min <= h.mean + 1e-9).all() and (h.mean <= h.max + 1e-9).all()
    co2 = h.quantity == h.quantities.index("co2")
    assert 400 < np.median(h.mean[co2]) < 800       # mostly unoccupied hours
    assert h.max[co2].max() < 5000
    assert_array_equal(np.unique(h.n[co2]), [60])
    h2 = simulate_hourly(reg, "2024-01-01T00:00", 365, seed=1)
    assert_array_equal(h.mean, h2.mean)
