"""Limit sets: ICNIRP 2020 Table 5, ICNIRP 1998 Tables 6/7, user tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ssckit.core.errors import InputError
from ssckit.emf import (
    LIMIT_SETS,
    Z0_OHM,
    get_limit_set,
    limit_field_strength,
    limit_power_density,
    limit_set_from_dict,
    parse_power_law,
)


def test_builtin_names():
    assert sorted(LIMIT_SETS) == ["icnirp1998-occupational", "icnirp1998-public",
                                  "icnirp2020-occupational", "icnirp2020-public"]
    for ls in LIMIT_SETS.values():
        assert ls.f_min_mhz == 0.1 and ls.f_max_mhz == 300_000.0
        assert "ICNIRP" in ls.source


# ICNIRP 2020 Table 5 (whole body, 30 min), general public, S_inc [W/m^2]:
# >30-400 MHz: 2; >400-2000 MHz: f/200; >2-300 GHz: 10.
@pytest.mark.parametrize(("f", "s"), [
    (30.0001, 2.0), (100.0, 2.0), (400.0, 2.0),       # 400 MHz belongs to the lower row
    (400.0001, 400.0001 / 200), (900.0, 4.5),          # 900/200 = 4.5
    (1800.0, 9.0), (2000.0, 10.0),                     # 2000/200 = 10 (continuous)
    (2000.0001, 10.0), (3500.0, 10.0), (26_000.0, 10.0), (300_000.0, 10.0),
])
def test_icnirp2020_public_power_density(f, s):
    assert_allclose(limit_power_density("icnirp2020-public", f), s, rtol=1e-12)


# Occupational: 10 W/m^2, f/40, 50 W/m^2.
@pytest.mark.parametrize(("f", "s"), [
    (100.0, 10.0), (400.0, 10.0), (800.0, 20.0), (2000.0, 50.0), (28_000.0, 50.0)])
def test_icnirp2020_occupational_power_density(f, s):
    assert_allclose(limit_power_density("icnirp2020-occupational", f), s, rtol=1e-12)


def test_icnirp2020_continuity_of_power_density_at_breakpoints():
    for name in ("icnirp2020-public", "icnirp2020-occupational"):
        for f in (400.0, 2000.0):
            lo, hi = limit_power_density(name, [f * (1 - 1e-9), f * (1 + 1e-9)])
            assert_allclose(lo, hi, rtol=1e-6)


def test_icnirp2020_field_strengths():
    # Table 5 public: 0.1-30 MHz E = 300/f^0.7, H = 2.2/f; 30-400 MHz 27.7 V/m, 0.073 A/m;
    # 400-2000 MHz E = 1.375 f^0.5, H = 0.0037 f^0.5; above 2 GHz E and H not given.
    e, h = limit_field_strength("icnirp2020-public", [1.0, 30.0, 100.0, 900.0, 3500.0])
    assert_allclose(e[:4], [300.0, 300.0 / 30**0.7, 27.7, 1.375 * 30.0], rtol=1e-12)
    assert_allclose(h[:4], [2.2, 2.2 / 30, 0.073, 0.0037 * 30.0], rtol=1e-12)
    assert math.isnan(e[4]) and math.isnan(h[4])
    # 300/30^0.7 = 27.74 V/m meets 27.7 V/m to the table's rounding
    assert_allclose(300.0 / 30**0.7, 27.7, rtol=2e-3)
    e, h = limit_field_strength("icnirp2020-occupational", 900.0)
    assert_allclose((e, h), (3.0 * 30.0, 0.008 * 30.0), rtol=1e-12)


def test_icnirp2020_plane_wave_equivalent_below_30mhz():
    # No S_inc below 30 MHz: min(E^2/Z0, Z0 H^2); at 10 MHz E = 300/10^0.7 = 59.86 V/m,
    # E^2/377 = 9.50 W/m^2 < 377*(0.22)^2 = 18.2 W/m^2.
    e = 300.0 / 10**0.7
    assert_allclose(limit_power_density("icnirp2020-public", 10.0), e**2 / Z0_OHM, rtol=1e-12)
    assert_allclose(e**2 / Z0_OHM, 9.504, rtol=1e-3)
    with pytest.raises(ValueError, match="gives no power density"):
        limit_power_density("icnirp2020-public", 10.0, plane_wave_equivalent=False)


# ICNIRP 1998 Table 7 / 1999/519/EC: 10-400 MHz 2 W/m^2, 400-2000 MHz f/200, 2-300 GHz 10.
@pytest.mark.parametrize(("name", "f", "s"), [
    ("icnirp1998-public", 10.0001, 2.0), ("icnirp1998-public", 400.0, 2.0),
    ("icnirp1998-public", 935.0, 4.675), ("icnirp1998-public", 2000.0, 10.0),
    ("icnirp1998-public", 60_000.0, 10.0),
    ("icnirp1998-occupational", 100.0, 10.0), ("icnirp1998-occupational", 1000.0, 25.0),
    ("icnirp1998-occupational", 2000.0, 50.0), ("icnirp1998-occupational", 10_000.0, 50.0),
])
def test_icnirp1998_power_density(name, f, s):
    assert_allclose(limit_power_density(name, f), s, rtol=1e-12)


def test_icnirp1998_fields():
    # Table 7: 1-10 MHz E = 87/f^0.5, H = 0.73/f; 2-300 GHz E = 61, H = 0.16.
    e, h = limit_field_strength("icnirp1998-public", [4.0, 5000.0])
    assert_allclose(e, [87.0 / 2.0, 61.0], rtol=1e-12)
    assert_allclose(h, [0.73 / 4.0, 0.16], rtol=1e-12)
    # Table 6: 1-10 MHz E = 610/f; 2-300 GHz E = 137, H = 0.36
    e, h = limit_field_strength("icnirp1998-occupational", [2.0, 5000.0])
    assert_allclose(e, [305.0, 137.0], rtol=1e-12)
    assert_allclose(h, [0.8, 0.36], rtol=1e-12)
    # 2-300 GHz: S = 10 W/m^2 and 61^2/377 = 9.87 W/m^2, consistent
    assert_allclose(61.0**2 / Z0_OHM, 10.0, rtol=0.02)


def test_vectorised_and_scalar():
    f = np.array([[100.0, 900.0], [1800.0, 3500.0]])
    s = limit_power_density("icnirp2020-public", f)
    assert s.shape == (2, 2)
    assert isinstance(limit_power_density("icnirp2020-public", 900.0), float)
    assert_allclose(s, [[2.0, 4.5], [9.0, 10.0]])


def test_refusals():
    with pytest.raises(ValueError, match="unknown limit set 'icnirp2040'"):
        limit_power_density("icnirp2040", 900.0)
    with pytest.raises(ValueError, match=r"outside every range of limit set 'icnirp2020-"
                                         r"public' \(covers 0.1-300000 MHz\)"):
        limit_power_density("icnirp2020-public", [900.0, 400_000.0])
    with pytest.raises(ValueError, match="outside every range"):
        limit_power_density("icnirp1998-public", 0.05)
    with pytest.raises(ValueError, match="f_mhz must be finite and > 0"):
        limit_power_density("icnirp2020-public", -5.0)


def test_parse_power_law_grammar():
    assert parse_power_law(0.1).coefficient == 0.1
    assert parse_power_law("0.1") == parse_power_law(0.1)
    law = parse_power_law("f_mhz/200")
    assert_allclose((law.coefficient, law.exponent), (0.005, 1.0))
    law = parse_power_law("0.0123 * f_mhz ** 0.5")
    assert_allclose((law.coefficient, law.exponent), (0.0123, 0.5))
    law = parse_power_law("3e-3*f_mhz^-0.5")
    assert_allclose((law.coefficient, law.exponent), (3e-3, -0.5))
    for bad in ("__import__('os')", "f_mhz+1", "2*f_ghz", "f_mhz/0", "-1", "", "1/f_mhz"):
        with pytest.raises(ValueError):
            parse_power_law(bad)


def test_user_flat_table():
    # 10 uW/cm^2 = 10e-6 W / 1e-4 m^2 = 0.1 W/m^2
    ls = limit_set_from_dict({"name": "city-flat", "source": "Municipal order 12/2021",
                              "s_uw_cm2": 10})
    assert_allclose(limit_power_density(ls, [100.0, 3500.0]), [0.1, 0.1], rtol=1e-12)
    assert get_limit_set("city-flat", [ls]) is ls


def test_user_piecewise_table():
    spec = {"name": "national-2019", "source": "Decree 381/2019, Annex B",
            "ranges": [{"f_min_mhz": 30, "f_max_mhz": 400, "s_w_m2": 0.4},
                       {"f_min_mhz": 400, "f_max_mhz": 2000, "s_w_m2": "f_mhz/1000"},
                       {"f_min_mhz": 2000, "f_max_mhz": 300000, "s_w_m2": "2"}]}
    ls = limit_set_from_dict(spec, source="city.yaml")
    # 900/1000 = 0.9; 400 MHz belongs to the lower row: 0.4
    assert_allclose(limit_power_density(ls, [100.0, 400.0, 900.0, 3500.0]),
                    [0.4, 0.4, 0.9, 2.0])
    with pytest.raises(ValueError, match=r"national-2019.*covers 30-300000 MHz"):
        limit_power_density(ls, 10.0)


@pytest.mark.parametrize(("spec", "where"), [
    ({"source": "x", "s_w_m2": 1}, "field 'name'"),
    ({"name": "icnirp2020-public", "source": "x", "s_w_m2": 1}, "field 'name'"),
    ({"name": "a", "s_w_m2": 1}, "field 'source'"),
    ({"name": "a", "source": "x", "ranges": []}, "field 'ranges'"),
    ({"name": "a", "source": "x", "ranges": [{"f_min_mhz": 10, "f_max_mhz": 5,
                                              "s_w_m2": 1}]}, "ranges[0].f_max_mhz"),
    ({"name": "a", "source": "x", "ranges": [{"f_min_mhz": 10, "f_max_mhz": 50,
                                              "s_w_m2": "eval('1')"}]}, "ranges[0].s_w_m2"),
    ({"name": "a", "source": "x", "ranges": [{"f_min_mhz": 10, "f_max_mhz": 50,
                                              "s_w_m2": 0}]}, "ranges[0].s_w_m2"),
    ({"name": "a", "source": "x", "ranges": [{"f_min_mhz": 10, "f_max_mhz": 500, "s_w_m2": 1},
                                             {"f_min_mhz": 400, "f_max_mhz": 900,
                                              "s_w_m2": 1}]}, "field 'ranges'"),
    ({"name": "a", "source": "x", "s_w_m2": 1, "colour": "red"}, "field 'colour'"),
])
def test_user_table_refusals(spec, where):
    with pytest.raises(InputError) as info:
        limit_set_from_dict(spec, source="city.yaml")
    assert info.value.source == "city.yaml"
    assert where in info.value.location


def test_unknown_name_among_user_sets():
    ls = limit_set_from_dict({"name": "x1", "source": "s", "s_w_m2": 1})
    with pytest.raises(ValueError, match="unknown limit set 'x2'"):
        get_limit_set("x2", [ls])
