"""Exclusion zones, installation classes, accessible points."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ssckit.emf import (
    Transmitters,
    check_accessible_points,
    exclusion_distance,
    exclusion_zones,
    installation_class,
    limit_power_density,
)


def _tx(**kw):
    base = dict(x_m=0.0, y_m=0.0, z_m=30.0, azimuth_deg=0.0, mech_tilt_deg=0.0,
                elec_tilt_deg=0.0, tx_power_dbm=43.0, max_gain_dbi=17.0, freq_mhz=3500.0)
    base.update(kw)
    return Transmitters(**base)


def test_exclusion_distance_closed_form():
    # r = sqrt(EIRP g / (4 pi S_L)): EIRP 1000 W, S_L 10 W/m^2 -> sqrt(1000/(40 pi)) = 2.820948 m
    assert_allclose(exclusion_distance(1000.0, 10.0), 2.820948, rtol=1e-6)
    # 900 MHz, ICNIRP 2020 public S_L = 4.5 -> sqrt(1000/56.548668) = sqrt(17.683883) = 4.205221 m
    s_l = limit_power_density("icnirp2020-public", 900.0)
    assert_allclose(exclusion_distance(1000.0, s_l), 4.205221, rtol=1e-6)
    # ground reflection 2.56 multiplies r by 1.6; F_PR = 0.25 halves it
    assert_allclose(exclusion_distance(1000.0, 10.0, reflection_factor=2.56), 2.820948 * 1.6,
                    rtol=1e-6)
    assert_allclose(exclusion_distance(1000.0, 10.0, power_reduction_factor=0.25),
                    2.820948 / 2, rtol=1e-6)
    # 30 dB down: r * 10^(-30/20) = r * 0.0316228
    assert_allclose(exclusion_distance(1000.0, 10.0, 1e-3), 0.0892062, rtol=1e-5)
    # 10 uW/cm^2 national limit (0.1 W/m^2) -> 10x the 10 W/m^2 distance
    assert_allclose(exclusion_distance(1000.0, 0.1), 28.20948, rtol=1e-6)


def test_exclusion_distance_refusals():
    with pytest.raises(ValueError, match="eirp must be finite and >= 0"):
        exclusion_distance(-1.0, 10.0)
    with pytest.raises(ValueError, match="limit_w_m2 must be finite and > 0"):
        exclusion_distance(1.0, 0.0)


def test_zone_box_untilted_3gpp():
    z = exclusion_zones(_tx(), "icnirp2020-public")
    r0 = 2.820948          # EIRP 1000 W, 10 W/m^2
    assert_allclose(z.boresight_m, r0, rtol=1e-6)
    assert_allclose(z.front_m, r0, rtol=1e-6)                       # az = el = 0 on the grid
    assert_allclose(z.back_m, r0 * 10 ** (-30 / 20), rtol=1e-6)     # A_max = 30 dB behind
    # vertical extent: max over el of r0 10^(-12 (el/65)^2 / 20) sin(el) (TR 38.901 A_V)
    el = np.radians(np.arange(0.0, 90.0001, 0.5))
    ext = r0 * 10 ** (-12 * (np.degrees(el) / 65) ** 2 / 20) * np.sin(el)
    assert_allclose(z.above_m, ext.max(), rtol=1e-6)
    assert_allclose(z.below_m, ext.max(), rtol=1e-6)
    assert_allclose(z.side_m, ext.max(), rtol=1e-6)                 # same cut horizontally


def test_zone_with_tilt_and_reflection():
    base = exclusion_zones(_tx(elec_tilt_deg=6.0), "icnirp2020-public")
    assert base.below_m[0] > base.above_m[0]                        # beam points down
    # main-beam extent along the tilted beam: front ~ r0 cos(6 deg), below >= r0 sin(6 deg)
    assert_allclose(base.front_m, 2.820948 * math.cos(math.radians(6)), rtol=2e-3)
    refl = exclusion_zones(_tx(elec_tilt_deg=6.0), "icnirp2020-public", reflection_factor=2.56)
    assert_allclose(refl.front_m / base.front_m, 1.6, rtol=1e-9)


def test_installation_classes():
    # IEC 62232 classes: E2 <= 2 W, E10 <= 10 W, E100 <= 100 W, E+ above
    got = installation_class([0.01, 0.02, 1.0, 2.0, 2.5, 10.0, 50.0, 100.0, 100.1, 2000.0])
    assert list(got) == ["E0", "E0", "E2", "E2", "E10", "E10", "E100", "E100", "E+", "E+"]
    assert installation_class(1000.0) == "E+"
    with pytest.raises(ValueError, match="eirp"):
        installation_class(-1.0)


def test_accessible_points():
    # antenna 30 m up, EIRP 1000 W at 3.5 GHz; a roof terrace at 28.5 m 2 m in front:
    # the evaluation point (30 m) is on boresight: TER = 1000/(4 pi 4)/10 = 1.989437 -> inside.
    # Ground at 1.5 m 50 m away and a balcony 10 m behind are far below the limit.
    tx = _tx()
    res = check_accessible_points([0.0, 0.0, 0.0], [2.0, 50.0, -10.0], [28.5, 0.0, 28.5], tx,
                                  "icnirp2020-public")
    assert_allclose(res.ter[0], 1.989437, rtol=1e-6)
    assert list(res.inside) == [True, False, False]
    assert res.dominant == ("tx0", "tx0", "tx0")
    assert_allclose(res.z_m, [30.0, 1.5, 30.0])
    # behind: 1000 * 1e-3 / (4 pi 100) / 10 = 7.957747e-5
    assert_allclose(res.ter[2], 7.957747e-5, rtol=1e-6)


def test_accessible_points_dominant_of_several():
    tx = Transmitters(x_m=[0.0, 100.0], y_m=0.0, z_m=30.0, azimuth_deg=[0.0, 270.0],
                      mech_tilt_deg=0.0, elec_tilt_deg=0.0, tx_power_dbm=43.0,
                      max_gain_dbi=17.0, freq_mhz=[3500.0, 800.0], label=("A", "B"))
    res = check_accessible_points([0.0, 95.0], [5.0, 0.0], 28.5, tx, "icnirp2020-public")
    assert res.dominant == ("A", "B")
    with pytest.raises(ValueError, match="evaluation_height_m"):
        check_accessible_points(0.0, 0.0, 0.0, tx, "icnirp2020-public", evaluation_height_m=-1)
