"""Connectivity status, uptime, benchmark share and medians against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ssckit.school.connectivity import (
    benchmark_share,
    connectivity_status,
    school_connectivity,
    speed_medians,
    uptime,
)
from ssckit.school.simulate import registry_from_rows, sample_registry, simulate_minutes

NOW = np.datetime64("2024-03-11T12:00", "m")


def test_status_thresholds():
    day = np.timedelta64(1440, "m")
    last = np.array([NOW - day // 2, NOW - day, NOW - day - np.timedelta64(1, "m"),
                     NOW - 7 * day, NOW - 8 * day, np.datetime64("NaT"),
                     NOW + np.timedelta64(5, "m")], dtype="datetime64[m]")
    # age 0.5 d live; 1 d live (inclusive); 1 d + 1 min at-risk; 7 d at-risk; 8 d drop-off
    assert_array_equal(connectivity_status(last, NOW),
                       ["live", "live", "at-risk", "at-risk", "drop-off", "never", "live"])
    # configurable: with live <= 0.25 d the first becomes at-risk
    assert connectivity_status(last[:1], NOW, live_days=0.25)[0] == "at-risk"
    with pytest.raises(ValueError):
        connectivity_status(last, NOW, live_days=3, at_risk_days=2)


def test_uptime_with_gap_down_or_unknown():
    # school hours Monday 08:00-09:00 = 60 min; probes (15-min) at 08:00 online, 08:15 offline,
    # 08:30 missing, 08:45 online -> up 30, down 15, uncovered 15
    mon = np.datetime64("2024-03-11T08:00", "m")
    ts = mon + np.array([0, 15, 45])
    on = [1.0, 0.0, 1.0]
    start, end = np.datetime64("2024-03-11T00:00", "m"), np.datetime64("2024-03-12T00:00", "m")
    down = uptime(ts, on, start, end, "mon 08:00-09:00")
    assert down == {"uptime": 0.5, "up_min": 30.0, "down_min": 30.0, "unknown_min": 0.0}
    unk = uptime(ts, on, start, end, "mon 08:00-09:00", gaps="unknown")
    assert_allclose(unk["uptime"], 30 / 45)
    assert unk["unknown_min"] == 15.0
    # a reading just before school hours still covers the first minutes (07:50 -> 08:05)
    early = uptime(mon + np.array([-10]), [1.0], start, end, "mon 08:00-09:00", gaps="unknown")
    assert early["up_min"] == 5.0
    # local time: at UTC+3 the 08:00 local window starts 05:00 UTC
    shifted = uptime(ts - np.timedelta64(180, "m"), on, start, end, "mon 08:00-09:00",
                     utc_offset_min=180)
    assert shifted["uptime"] == 0.5


def test_benchmark_share_and_medians():
    # 20 and 25 of [10, 20, 25, 5] meet 20 Mbit/s (NaN ignored): 2 / 4
    assert benchmark_share([10.0, 20.0, 25.0, np.nan, 5.0], 20.0) == 0.5
    assert math.isnan(benchmark_share([], 20.0))
    m = speed_medians([10.0, 30.0, 20.0], [1.0, 3.0, np.nan], [40.0, 20.0, 30.0, 10.0])
    assert m == {"download_mbps": 20.0, "upload_mbps": 2.0, "latency_ms": 25.0}


def test_school_connectivity_on_simulated_probes():
    s, r, d = sample_registry(1, n_schools=4)
    reg = registry_from_rows(s, r, d)
    days = 14
    readings = simulate_minutes(reg, "2024-03-04T00:00", days, seed=4)
    start = np.datetime64("2024-03-04T00:00", "m")
    end = start + np.timedelta64(days * 1440, "m")
    statuses = []
    for school in reg.schools.values():
        series = {q: readings.select(f"{school.id}-probe", q)[:2]
                  for q in ("online", "download", "upload", "latency")}
        out = school_connectivity(series, now=end, start=start, end=end,
                                  benchmark_mbps=school.benchmark_down_mbps, utc_offset_min=180)
        statuses.append(out["status"])
        assert 0.0 <= out["uptime"] <= 1.0
        assert 0.0 <= out["benchmark_share"] <= 1.0
        assert 0 < out["download_mbps"] <= school.contracted_down_mbps * 1.05
        assert out["latency_ms"] > 0
    # the simulator silences one probe 3 days and one 10 days before the end
    assert sorted(statuses) == ["at-risk", "drop-off", "live", "live"]
