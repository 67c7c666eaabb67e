"""3GPP TR 38.901 Table 7.4.1-1 / 7.4.2-1: published vectors, hand values, range refusals."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ssckit.radio.propagation import tr38901 as t


def _vectors(shared_data):
    path = shared_data / "tr38901" / "pathloss_vectors.csv"
    if not path.is_file():
        pytest.skip(f"reference file {path} is absent; this test needs it")
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _pl(row):
    kw = {}
    if row["h_building_m"]:
        kw["h_building_m"] = float(row["h_building_m"])
    if row["street_width_m"]:
        kw["street_width_m"] = float(row["street_width_m"])
    return t.path_loss(row["scenario"], row["condition"], float(row["freq_ghz"]),
                       float(row["d2d_m"]), float(row["h_bs_m"]), float(row["h_ut_m"]),
                       h_e_m=1.0, **kw)


def test_reproduces_published_vectors(shared_data):
    # ../shared/data/tr38901/pathloss_vectors.csv: received power for 0 dBm transmitted
    # (= -PL) from the ns-3 ThreeGppPropagationLossModel test suite, 5 GHz, RMa h = 5 m,
    # W = 20 m, UMa h_E = 1 m. Required to 1e-3 dB. The set includes RMa LOS at 10 km, valid
    # for the LOS formula only (the RMa NLOS formula stops at 5 km).
    rows = _vectors(shared_data)
    assert len(rows) == 16
    for row in rows:
        expected = float(row["rx_power_dbm_at_0dbm_tx"])
        assert_allclose(-_pl(row), expected, atol=1e-3, err_msg=str(row))


def test_vectors_as_arrays(shared_data):
    rows = [r for r in _vectors(shared_data) if r["scenario"] == "UMa" and r["condition"] == "LOS"]
    d2d = np.array([float(r["d2d_m"]) for r in rows])
    expected = np.array([-float(r["rx_power_dbm_at_0dbm_tx"]) for r in rows])
    got = t.path_loss_uma_los(5.0, d2d, 25.0, 1.5)
    assert isinstance(got, np.ndarray) and got.shape == d2d.shape
    assert_allclose(got, expected, atol=1e-3)
    # 2-D broadcasting: frequencies down, distances across
    grid = t.path_loss_uma_los(np.array([[5.0], [5.0]]), d2d)
    assert grid.shape == (2, d2d.size)
    assert_allclose(grid[1], expected, atol=1e-3)


def test_scalar_in_scalar_out():
    pl = t.path_loss_rma_los(5.0, 100.0)
    assert isinstance(pl, float)
    # Value from the ns-3 vector RMa LOS 100 m (-87.2965 dBm), shared/data pathloss_vectors.csv
    assert_allclose(pl, 87.2965, atol=1e-3)


def test_breakpoint_distances():
    # Hand computed from Table 7.4.1-1 Note 5: 2*pi*35*1.5*5e9/3e8 = 5497.787 m
    assert_allclose(t.breakpoint_distance_rma(5.0, 35.0, 1.5), 2 * math.pi * 35 * 1.5 * 5e9 / 3e8)
    # Note 1: 4*(25-1)*(1.5-1)*5e9/3e8 = 800 m
    assert_allclose(t.breakpoint_distance_umx(5.0, 25.0, 1.5), 800.0)
    # Note 1 with h_E = 12 m, h_UT = 20 m: 4*13*8*3.5e9/3e8 = 4853.33 m
    assert_allclose(t.breakpoint_distance_umx(3.5, 25.0, 20.0, 12.0), 4 * 13 * 8 * 3.5e9 / 3e8)
    with pytest.raises(ValueError, match="h_e_m"):
        t.breakpoint_distance_umx(3.5, 25.0, 10.0, 12.0)


def test_uma_h_e_changes_breakpoint():
    # d = 600 m, h_UT = 20 m, 3.5 GHz: with h_E = 1 m d'_BP = 4*24*19*3.5e9/3e8 = 21280 m
    # (PL1 applies); with h_E = 12 m, d'_BP = 4853 m (still PL1) -> equal PL1 values.
    pl1 = 28.0 + 22 * math.log10(math.hypot(600, 5)) + 20 * math.log10(3.5)
    assert_allclose(t.path_loss_uma_los(3.5, 600.0, 25.0, 20.0, h_e_m=1.0), pl1)
    # at 4.9 km with h_E = 18 m: d'_BP = 4*7*2*3.5e9/3e8 = 653 m -> PL2 (hand computed)
    d_bp = 4 * 7 * 2 * 3.5e9 / 3e8
    d3d = math.hypot(4900, 5)
    pl2 = (28.0 + 40 * math.log10(d3d) + 20 * math.log10(3.5)
           - 9 * math.log10(d_bp**2 + 5**2))
    assert_allclose(t.path_loss_uma_los(3.5, 4900.0, 25.0, 20.0, h_e_m=18.0), pl2)


def test_umi_and_inh_hand_values():
    # UMi LOS at 3.5 GHz, d2D = 100 m (< d'_BP = 4*9*0.5*3.5e9/3e8 = 210 m):
    # PL1 = 32.4 + 21 log10(sqrt(100^2 + 8.5^2)) + 20 log10(3.5)
    d3d = math.hypot(100, 8.5)
    assert_allclose(t.path_loss_umi_los(3.5, 100.0),
                    32.4 + 21 * math.log10(d3d) + 20 * math.log10(3.5))
    # UMi NLOS: max(LOS, 35.3 log10(d3D) + 22.4 + 21.3 log10(fc)) -> the NLOS term here
    assert_allclose(t.path_loss_umi_nlos(3.5, 100.0),
                    35.3 * math.log10(d3d) + 22.4 + 21.3 * math.log10(3.5))
    assert_allclose(t.path_loss_umi_nlos(3.5, 100.0, optional=True),
                    32.4 + 20 * math.log10(3.5) + 31.9 * math.log10(d3d))
    # InH LOS/NLOS at 28 GHz, d2D = 20 m, heights 3 m and 1 m
    d3d = math.hypot(20, 2)
    los = 32.4 + 17.3 * math.log10(d3d) + 20 * math.log10(28)
    nlos = 38.3 * math.log10(d3d) + 17.30 + 24.9 * math.log10(28)
    assert_allclose(t.path_loss("InH-Office-Open", "LOS", 28.0, 20.0, 3.0, 1.0), los)
    assert_allclose(t.path_loss("InH-Office-Mixed", "NLOS", 28.0, 20.0, 3.0, 1.0),
                    max(los, nlos))


@pytest.mark.parametrize(
    ("call", "param"),
    [
        # RMa LOS applies up to 10 km, RMa NLOS only up to 5 km (Table 7.4.1-1)
        (lambda: t.path_loss_rma_los(5.0, 10_001.0), "d2d_m"),
        (lambda: t.path_loss_rma_nlos(5.0, 5_001.0), "d2d_m"),
        (lambda: t.path_loss_rma_los(5.0, 9.9), "d2d_m"),
        (lambda: t.path_loss_rma_los(31.0, 100.0), "freq_ghz"),
        (lambda: t.path_loss_rma_los(0.4, 100.0), "freq_ghz"),
        (lambda: t.path_loss_rma_los(5.0, 100.0, h_bs_m=160.0), "h_bs_m"),
        (lambda: t.path_loss_rma_los(5.0, 100.0, h_ut_m=11.0), "h_ut_m"),
        (lambda: t.path_loss_rma_nlos(5.0, 100.0, h_building_m=60.0), "h_building_m"),
        (lambda: t.path_loss_rma_nlos(5.0, 100.0, street_width_m=4.0), "street_width_m"),
        (lambda: t.path_loss_uma_los(5.0, 5_001.0), "d2d_m"),
        (lambda: t.path_loss_uma_nlos(5.0, 100.0, h_bs_m=30.0), "h_bs_m"),
        (lambda: t.path_loss_uma_los(101.0, 100.0), "freq_ghz"),
        (lambda: t.path_loss_uma_los(5.0, 100.0, h_ut_m=23.0), "h_ut_m"),
        (lambda: t.path_loss_umi_nlos(5.0, 6_000.0), "d2d_m"),
        (lambda: t.path_loss_umi_los(5.0, 100.0, h_bs_m=25.0), "h_bs_m"),
        (lambda: t.path_loss_inh_los(5.0, 200.0), "d3d_m"),
        (lambda: t.path_loss_inh_nlos(5.0, 0.0, 1.0, 1.0), "d3d_m"),
    ],
)
def test_refuses_outside_applicability(call, param):
    with pytest.raises(ValueError, match=param) as err:
        call()
    assert "38.901" in str(err.value)


def test_refusal_in_array_names_the_offending_value():
    with pytest.raises(ValueError, match=r"d2d_m=6000 m .* 10 <= d2d_m <= 5000"):
        t.path_loss_rma_nlos(5.0, np.array([100.0, 6000.0]))
    # the same distances are fine for the LOS formula
    assert t.path_loss_rma_los(5.0, np.array([100.0, 6000.0])).shape == (2,)


def test_nan_is_refused():
    with pytest.raises(ValueError, match="d2d_m"):
        t.path_loss_uma_los(5.0, float("nan"))


def test_unknown_scenario_and_condition():
    with pytest.raises(ValueError, match="scenario"):
        t.path_loss("SMa", "LOS", 5.0, 100.0, 25.0, 1.5)
    with pytest.raises(ValueError, match="condition"):
        t.path_loss("UMa", "O2I", 5.0, 100.0, 25.0, 1.5)
    with pytest.raises(ValueError, match="optional"):
        t.path_loss("RMa", "NLOS", 5.0, 100.0, 35.0, 1.5, optional=True)


def test_los_probability_hand_values():
    # Table 7.4.2-1, evaluated by hand
    assert t.los_probability("RMa", 10.0) == 1.0
    assert_allclose(t.los_probability("RMa", 1010.0), math.exp(-1.0))
    assert_allclose(t.los_probability("UMi", 36.0), 0.5 + math.exp(-1.0) * 0.5)
    assert_allclose(t.los_probability("UMa", 63.0),
                    18 / 63 + math.exp(-1.0) * (1 - 18 / 63))
    # UMa with h_UT = 23 m: C'(23) = 1, factor 1 + 1.25 * 1.5^3 * exp(-1) at 150 m
    base = 18 / 150 + math.exp(-150 / 63) * (1 - 18 / 150)
    assert_allclose(t.los_probability("UMa", 150.0, h_ut_m=23.0),
                    base * (1 + 1.25 * 1.5**3 * math.exp(-1.0)))
    assert_allclose(t.los_probability("InH-Office-Mixed", [1.0, 5.9, 6.5]),
                    [1.0, math.exp(-1.0), 0.32])
    assert_allclose(t.los_probability("InH-Office-Open", [5.0, 49.0, 49.0 + 211.7]),
                    [1.0, math.exp(-44.0 / 70.8), 0.54 * math.exp(-1.0)])
    with pytest.raises(ValueError, match="h_ut_m"):
        t.los_probability("UMa", 100.0, h_ut_m=30.0)
    with pytest.raises(ValueError, match="d2d_m"):
        t.los_probability("UMi", -1.0)


def test_shadow_fading_std():
    # Table 7.4.1-1, column "Shadow fading std"
    assert t.shadow_fading_std("UMa", "LOS") == 4.0
    assert t.shadow_fading_std("UMa", "NLOS") == 6.0
    assert t.shadow_fading_std("UMa", "NLOS", optional=True) == 7.8
    assert t.shadow_fading_std("UMi", "NLOS") == 7.82
    assert t.shadow_fading_std("InH-Office-Open", "NLOS", optional=True) == 8.29
    assert t.shadow_fading_std("RMa", "NLOS") == 8.0
    # RMa LOS: 4 dB up to d_BP (5497.8 m at 5 GHz), 6 dB beyond
    assert_allclose(t.shadow_fading_std("RMa", "LOS", freq_ghz=5.0, d2d_m=[100.0, 6000.0]),
                    [4.0, 6.0])
    with pytest.raises(ValueError, match="d2d_m"):
        t.shadow_fading_std("RMa", "LOS")


def test_uma_effective_environment_height():
    # Table 7.4.1-1 Note 1: C = 0 for h_UT < 13 m -> h_E = 1 m with certainty
    assert t.uma_h_e_one_probability(150.0, 1.5) == 1.0
    rng = np.random.default_rng(1)
    assert np.all(t.uma_effective_environment_height(np.full(100, 150.0), 1.5, rng) == 1.0)
    # h_UT = 22.5 m, d2D = 150 m: C = 0.95^1.5 * 1.25 * 1.5^3 * exp(-1) -> P(h_E=1) = 1/(1+C)
    c = 0.95**1.5 * 1.25 * 1.5**3 * math.exp(-1.0)
    assert_allclose(t.uma_h_e_one_probability(150.0, 22.5), 1 / (1 + c))
    draws = t.uma_effective_environment_height(np.full(20_000, 150.0), 22.5, rng)
    assert set(np.unique(draws)) <= {1.0, 12.0, 15.0, 18.0, 21.0}
    assert abs(np.mean(draws == 1.0) - 1 / (1 + c)) < 0.02
    # the draws feed the path loss directly
    pl = t.path_loss_uma_los(3.5, np.full(draws.shape, 150.0), 25.0, 22.5, h_e_m=draws)
    assert pl.shape == draws.shape
