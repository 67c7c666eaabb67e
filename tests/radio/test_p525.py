"""ITU-R P.525 free-space loss and conversions against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ssckit.radio.propagation import p525


def test_free_space_loss_practical_form():
    # P.525 Annex 1 §2.2: 32.4 + 20 log10(1000 MHz) + 20 log10(1 km) = 92.4 dB (by hand)
    assert_allclose(p525.free_space_basic_loss(1000.0, 1.0), 92.4)
    # 3500 MHz, 2.5 km: 32.4 + 70.8814 + 7.9588 = 111.2402 dB (by hand)
    assert_allclose(p525.free_space_basic_loss(3500.0, 2.5),
                    32.4 + 20 * math.log10(3500) + 20 * math.log10(2.5))
    assert_allclose(p525.free_space_basic_loss(3500.0, 2.5), 111.2402, atol=1e-4)


def test_free_space_loss_exact_form():
    # 20 log10(4 pi d / lambda): 1 GHz, 1 km -> 92.4478 dB; 10 GHz, 10 km -> 132.4478 dB
    # (the same numbers are printed in the MATLAB fspl and the Python `sdr` package docs)
    assert_allclose(p525.free_space_basic_loss(1000.0, 1.0, exact=True), 92.44778, atol=1e-5)
    assert_allclose(p525.free_space_basic_loss(10_000.0, 10.0, exact=True), 132.4478, atol=1e-4)


def test_free_space_loss_arrays_broadcast():
    f = np.array([[100.0], [1000.0]])
    d = np.array([1.0, 10.0, 100.0])
    loss = p525.free_space_basic_loss(f, d)
    assert loss.shape == (2, 3)
    # 20 dB per decade of distance and of frequency
    assert_allclose(np.diff(loss, axis=1), 20.0)
    assert_allclose(np.diff(loss, axis=0), 20.0)


def test_field_strength_from_eirp():
    # e = sqrt(30 p)/d: 1 kW e.i.r.p. at 1 km -> 0.173205 V/m = 104.77 dB(uV/m) (by hand)
    e = math.sqrt(30 * 1000.0) / 1000.0
    assert_allclose(p525.field_strength_from_eirp(30.0, 1.0), 20 * math.log10(e * 1e6))
    assert_allclose(p525.field_strength_from_eirp(30.0, 1.0), 104.77, atol=5e-3)
    # P.525 practical form E = P - 20 log d + 74.8 (P in dBW), to its rounding
    assert_allclose(p525.field_strength_from_eirp([0.0, 10.0], 10.0), [54.8, 64.8], atol=0.05)


def test_pfd_and_received_power():
    # 1 V/m = 120 dB(uV/m) -> s = 1/(120 pi) W/m^2 = -25.76 dB(W/m^2) (by hand)
    assert_allclose(p525.power_flux_density_from_field_strength(120.0),
                    10 * math.log10(1 / (120 * math.pi)))
    assert_allclose(p525.field_strength_from_power_flux_density(-25.7634), 120.0, atol=1e-4)
    # P.525 §2.3: S = E - 145.8
    assert_allclose(p525.power_flux_density_from_field_strength(60.0), 60.0 - 145.8, atol=0.05)
    # P.525 §2.3: Pr = E - 20 log10(f_GHz) - 167.2; 60 dB(uV/m) at 1 GHz -> -107.2 dBW
    assert_allclose(p525.received_power_from_field_strength(60.0, 1000.0), -107.2, atol=0.05)
    assert_allclose(p525.received_power_from_field_strength(60.0, [1000.0, 10_000.0]),
                    [-107.219, -127.219], atol=1e-3)


def test_conversions_consistent_with_free_space_loss():
    # e.i.r.p. -> E -> Pr must equal e.i.r.p. - L_bf (exact form)
    eirp, f, d = 43.0, 2600.0, np.array([0.5, 3.0, 20.0])
    pr = p525.received_power_from_field_strength(p525.field_strength_from_eirp(eirp, d), f)
    assert_allclose(pr, eirp - p525.free_space_basic_loss(f, d, exact=True), atol=1e-9)


@pytest.mark.parametrize(("f", "d", "name"), [(0.0, 1.0, "freq_mhz"), (100.0, -1.0,
                                                                         "distance_km"),
                                              (float("nan"), 1.0, "freq_mhz")])
def test_refuses_non_positive(f, d, name):
    with pytest.raises(ValueError, match=name):
        p525.free_space_basic_loss(f, d)
    with pytest.raises(ValueError, match="distance_km"):
        p525.field_strength_from_eirp(10.0, 0.0)
