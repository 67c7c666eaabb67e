"""Link budget: TS 38.306 peak rate, TS 38.101-1 N_RB, noise and SINR arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ssckit.radio.linkbudget import (
    n_rb,
    noise_dbm,
    peak_rate_mbps,
    rsrp_dbm,
    sinr_db,
    spectral_efficiency,
    throughput_mbps,
)


def test_peak_rate_ts38306():
    # TS 38.306 §4.1.2 worked out for one 100 MHz FR1 carrier at 30 kHz (273 PRB), 4 layers,
    # 256QAM, f = 1, OH = 0.14: 1e-6·4·8·(948/1024)·273·12/(1e-3/28)·0.86 = 2337.0 Mbit/s.
    assert_allclose(peak_rate_mbps(273), 2337.0, rtol=1e-4)
    assert_allclose(peak_rate_mbps(np.array([51, 273]), layers=2), [218.3, 1168.5], rtol=1e-3)


def test_nrb_table_and_refusal():
    # TS 38.101-1 Table 5.3.2-1, SCS 30 kHz.
    assert n_rb([20, 40, 100]).tolist() == [51, 106, 273]
    with pytest.raises(ValueError, match="allowed"):
        n_rb(33)


def test_rsrp_noise_sinr():
    # 49 dBm over 3276 subcarriers is 13.85 dBm per RE; +17 dBi, −120 dB -> −89.15 dBm.
    assert_allclose(rsrp_dbm(49.0, 273, 17.0, 120.0), 49 - 10 * np.log10(3276) + 17 - 120)
    assert_allclose(noise_dbm(30e3, 7.0), -174 + 44.771 + 7, atol=1e-3)
    # Interference equal to the noise halves the SINR (−3.01 dB).
    n = -120.0
    assert_allclose(sinr_db(-100.0, 10 ** (n / 10), n), 20 - 10 * np.log10(2))


def test_throughput_mapping_monotone_and_bounded():
    s = np.linspace(-20, 40, 61)
    t = throughput_mbps(s, 273)
    assert np.all(np.diff(t) >= 0)
    assert t[0] == 0 and t[-1] == pytest.approx(peak_rate_mbps(273))
    assert spectral_efficiency(0.0) == pytest.approx(0.6)
