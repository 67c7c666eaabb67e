"""Tests for ssckit.skills.irt: response functions, EM calibration, scoring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import expit
from scipy.stats import norm

from ssckit.core.errors import InputError
from ssckit.skills import irt

# R mirt 2PL estimates for LSAT7 (slope-intercept, theta ~ N(0,1)), ../shared/data/README.md
LSAT7_A = [0.988, 1.081, 1.706, 0.7651, 0.7358]
LSAT7_D = [1.8561, 0.808, 1.8043, 0.486, 1.8545]
LSAT7_LOGLIK = -2658.805
LSAT7_EAPSUM = [-1.870, -1.432, -0.949, -0.413, 0.152, 0.727]


def _lsat7(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    data = np.loadtxt(shared_data / "irt" / "lsat7.csv", delimiter=",", skiprows=1)
    return data[:, :5], data[:, 5]


@pytest.fixture(scope="module")
def lsat7_fit(shared_data: Path) -> irt.Calibration:
    y, n = _lsat7(shared_data)
    return irt.calibrate(y, "2pl", counts=n)


# ---------------------------------------------------------------- LSAT7 reference values


def test_lsat7_parameters(lsat7_fit: irt.Calibration) -> None:
    assert lsat7_fit.converged
    assert_allclose(lsat7_fit.params.a, LSAT7_A, rtol=1e-3)
    assert_allclose(lsat7_fit.params.d, LSAT7_D, rtol=1e-3)
    assert lsat7_fit.n_respondents == 1000


def test_lsat7_loglik(lsat7_fit: irt.Calibration) -> None:
    assert lsat7_fit.loglik == pytest.approx(LSAT7_LOGLIK, abs=1e-3)


def test_lsat7_sum_score_eap(lsat7_fit: irt.Calibration) -> None:
    score, theta, se, prob = irt.sum_score_eap(lsat7_fit.params)
    assert_allclose(score, np.arange(6))
    assert_allclose(theta, LSAT7_EAPSUM, atol=1e-3)
    assert np.all((se > 0) & (se < 1))
    assert prob.sum() == pytest.approx(1.0)


def test_lsat7_fully_converged_mle_within_1e3(shared_data: Path) -> None:
    # mirt stops at a parameter change below 1e-4; the converged MLE is still within 1e-3
    y, n = _lsat7(shared_data)
    fit = irt.calibrate(y, counts=n, tol=1e-8, se=False)
    assert_allclose(fit.params.a, LSAT7_A, rtol=1e-3)
    assert_allclose(fit.params.d, LSAT7_D, rtol=1e-3)
    assert fit.loglik == pytest.approx(LSAT7_LOGLIK, abs=1e-3)


def test_lsat7_counts_equal_expanded_rows(shared_data: Path, lsat7_fit: irt.Calibration) -> None:
    y, n = _lsat7(shared_data)
    fit = irt.calibrate(np.repeat(y, n.astype(int), axis=0), se=False)
    assert_allclose(fit.params.a, lsat7_fit.params.a, atol=1e-10)
    assert fit.loglik == pytest.approx(lsat7_fit.loglik, abs=1e-8)
    assert irt.marginal_loglik(y, lsat7_fit.params, counts=n) == pytest.approx(lsat7_fit.loglik)


def test_lsat7_standard_errors(lsat7_fit: irt.Calibration) -> None:
    # sanity: of order 1/sqrt(1000) times a few, and the covariance is symmetric positive
    assert np.all((lsat7_fit.se.a > 0.05) & (lsat7_fit.se.a < 0.5))
    assert np.all((lsat7_fit.se.d > 0.03) & (lsat7_fit.se.d < 0.4))
    assert_allclose(lsat7_fit.cov, lsat7_fit.cov.T)
    assert np.all(np.linalg.eigvalsh(lsat7_fit.cov) > 0)


# ---------------------------------------------------------------- response functions


def test_ab_conversion_round_trip() -> None:
    a, b = irt.slope_intercept_to_ab([1.5, 0.5], [0.75, -1.0])
    assert_allclose(b, [-0.5, 2.0])
    assert_allclose(irt.ab_to_slope_intercept(a, b)[1], [0.75, -1.0])
    _, bg = irt.slope_intercept_to_ab([2.0], [[1.0, -1.0]])
    assert_allclose(bg, [[-0.5, 0.5]])
    p = irt.ItemParams.from_ab("grm", [2.0], [[-0.5, 0.5]])
    assert_allclose(p.d, [[1.0, -1.0]])
    assert_allclose(p.b, [[-0.5, 0.5]])


def test_irf_scalar_and_array() -> None:
    assert irt.irf(0.0, 1.0, 0.0) == pytest.approx(0.5)
    assert irt.irf(1.0, 2.0, -2.0, 0.2) == pytest.approx(0.6)
    p = irt.irf(np.array([-1.0, 0.0, 1.0]), np.array([1.0, 2.0]), np.array([0.0, 1.0]))
    assert p.shape == (3, 2)
    assert_allclose(p[:, 1], expit(2 * np.array([-1.0, 0.0, 1.0]) + 1))


def _numeric_info(params: irt.ItemParams, theta: np.ndarray) -> np.ndarray:
    h = 1e-5
    p = irt.category_probs(theta, params)
    dp = (irt.category_probs(theta + h, params) - irt.category_probs(theta - h, params)) / (2 * h)
    return np.sum(np.where(p > 0, dp ** 2 / np.maximum(p, 1e-300), 0), axis=-1)


@pytest.mark.parametrize("params", [
    irt.ItemParams("2pl", [1.2, 0.7], [0.3, -1.0]),
    irt.ItemParams("3pl", [1.2, 1.7], [0.3, -1.0], [0.2, 0.25]),
    irt.ItemParams("grm", [1.3, 0.9], [[1.0, 0.0, -1.2], [0.5, -0.5, np.nan]]),
])
def test_item_information_matches_definition(params: irt.ItemParams) -> None:
    theta = np.linspace(-3, 3, 13)
    assert_allclose(irt.item_information(theta, params), _numeric_info(params, theta),
                    rtol=1e-6, atol=1e-10)
    assert irt.item_information(0.5, params).shape == (2,)
    assert float(irt.test_information(0.5, params)) == pytest.approx(
        irt.item_information(0.5, params).sum())


def test_2pl_information_closed_form() -> None:
    p = irt.irf(0.4, 1.5, -0.2)
    assert irt.item_information(0.4, irt.ItemParams("2pl", [1.5], [-0.2]))[0] == \
        pytest.approx(1.5 ** 2 * p * (1 - p))


def test_grm_probabilities_sum_to_one_and_padding() -> None:
    p = irt.grm_probs(np.linspace(-4, 4, 9), [1.0, 2.0], [[1.0, -1.0, np.nan], [2, 0, -2]])
    assert_allclose(p.sum(axis=-1), 1.0)
    assert np.all(p[:, 0, 3] == 0)
    assert irt.ItemParams("grm", [1.0, 2.0], [[1.0, -1.0, np.nan], [2, 0, -2]]) \
        .n_categories.tolist() == [3, 4]


def test_params_dict_round_trip() -> None:
    p = irt.ItemParams("grm", [1.0, 2.0], [[1.0, -1.0, np.nan], [2, 0, -2]])
    q = irt.ItemParams.from_dict(p.to_dict())
    assert_allclose(q.d, p.d)
    assert q.model == "grm"


# ---------------------------------------------------------------- recovery on simulated data


def _z(est: np.ndarray, true: np.ndarray, se: np.ndarray) -> float:
    return float(np.nanmax(np.abs((est - true) / se)))


@pytest.mark.parametrize("model", ["1pl", "2pl", "3pl"])
def test_recovery_dichotomous(model: str) -> None:
    rng = np.random.default_rng(11)
    jn, n = 12, 4000
    a = np.full(jn, 1.3) if model == "1pl" else rng.uniform(0.8, 2.0, jn)
    g = rng.uniform(0.1, 0.3, jn) if model == "3pl" else None
    true = irt.ItemParams(model, a, rng.normal(0.0, 1.0, jn), g)
    y = irt.simulate_responses(rng.standard_normal(n), true, rng)
    fit = irt.calibrate(y, model)
    assert fit.converged
    # within sampling error: every estimate within 4 of its own standard errors
    assert _z(fit.params.a, true.a, fit.se.a) < 4
    assert _z(fit.params.d, true.d, fit.se.d) < 4
    if model == "3pl":
        assert _z(fit.params.g, true.g, fit.se.g) < 4
    else:
        assert np.max(np.abs(fit.params.a - true.a)) < 0.25


def test_recovery_grm() -> None:
    rng = np.random.default_rng(5)
    jn, n = 8, 3000
    d = rng.normal(0.0, 0.4, (jn, 1)) + np.array([1.5, 0.0, -1.5])
    true = irt.ItemParams("grm", rng.uniform(0.8, 2.0, jn), d)
    y = irt.simulate_responses(rng.standard_normal(n), true, rng)
    fit = irt.calibrate(y, "grm")
    assert fit.converged
    assert _z(fit.params.a, true.a, fit.se.a) < 4
    assert _z(fit.params.d, true.d, fit.se.d) < 4
    assert np.all(np.diff(fit.params.d, axis=1) < 0)


def test_calibration_with_70_percent_missing() -> None:
    rng = np.random.default_rng(8)
    jn, n = 12, 8000
    true = irt.ItemParams("2pl", rng.uniform(0.8, 2.0, jn), rng.normal(0.0, 1.0, jn))
    y = irt.simulate_responses(rng.standard_normal(n), true, rng).astype(float)
    y[rng.random(y.shape) < 0.7] = np.nan
    y[0, :] = -1  # a row with nothing presented is harmless
    fit = irt.calibrate(y)
    assert fit.converged
    assert _z(fit.params.a, true.a, fit.se.a) < 4
    assert _z(fit.params.d, true.d, fit.se.d) < 4
    assert np.max(np.abs(fit.params.a - true.a)) < 0.4


def test_invalid_codes_raise() -> None:
    with pytest.raises(InputError, match="codes above 1"):
        irt.calibrate(np.array([[0, 2], [1, 1], [0, 0]]), "2pl")
    with pytest.raises(InputError, match="never observed"):
        irt.calibrate(np.array([[0, 2], [1, 2], [0, 0], [1, 0]]), "grm")
    with pytest.raises(InputError, match="model"):
        irt.calibrate(np.array([[0, 1], [1, 0]]), "4pl")


# ---------------------------------------------------------------- person scoring


ONE_ITEM = irt.ItemParams("2pl", [1.0], [0.0])


def test_eap_single_item_by_integration() -> None:
    # posterior of theta after one correct answer to a = 1, d = 0: phi(t) * expit(t)
    z = quad(lambda t: norm.pdf(t) * expit(t), -12, 12)[0]
    m = quad(lambda t: t * norm.pdf(t) * expit(t), -12, 12)[0] / z
    v = quad(lambda t: (t - m) ** 2 * norm.pdf(t) * expit(t), -12, 12)[0] / z
    theta, se = irt.eap([[1]], ONE_ITEM, n_quad=241)
    assert theta[0] == pytest.approx(m, abs=1e-6)
    assert se[0] == pytest.approx(np.sqrt(v), abs=1e-6)
    theta0, _ = irt.eap([[0]], ONE_ITEM, n_quad=241)
    assert theta0[0] == pytest.approx(-m, abs=1e-6)  # symmetry


def test_map_single_item_closed_form() -> None:
    # d/dt [log expit(t) - t^2/2] = 1 - expit(t) - t = 0; information expit(1-expit) + 1
    mode = brentq(lambda t: 1 - expit(t) - t, -3, 3)
    theta, se = irt.map_theta([[1]], ONE_ITEM)
    assert theta[0] == pytest.approx(mode, abs=1e-7)
    p = expit(mode)
    assert se[0] == pytest.approx(1 / np.sqrt(p * (1 - p) + 1), abs=1e-7)


def test_scoring_with_nothing_answered_returns_prior() -> None:
    theta, se = irt.eap([[np.nan]], ONE_ITEM)
    assert theta[0] == pytest.approx(0.0, abs=1e-12)
    assert se[0] == pytest.approx(1.0, abs=1e-6)
    mt, ms = irt.map_theta([[-1]], ONE_ITEM, prior_mean=0.5)
    assert mt[0] == pytest.approx(0.5)
    assert ms[0] == pytest.approx(1.0)


def test_eap_and_map_track_true_theta() -> None:
    rng = np.random.default_rng(4)
    params = irt.ItemParams("grm", rng.uniform(1, 2, 20),
                            rng.normal(0, 0.3, (20, 1)) + np.array([1.0, -1.0]))
    theta = rng.standard_normal(500)
    y = irt.simulate_responses(theta, params, rng)
    e, se_e = irt.eap(y, params)
    m, se_m = irt.map_theta(y, params)
    assert np.corrcoef(e, theta)[0, 1] > 0.9
    assert np.std(e - theta) == pytest.approx(np.mean(se_e), rel=0.2)
    assert np.max(np.abs(e - m)) < 0.3
    assert np.all(se_m > 0)


def test_lord_wingersky_matches_enumeration() -> None:
    params = irt.ItemParams("3pl", [1.0, 1.5, 0.7], [0.2, -0.5, 1.0], [0.1, 0.2, 0.0])
    nodes = np.array([-1.0, 0.5])
    like = irt.lord_wingersky(params, nodes)
    p = irt.irf(nodes, params.a, params.d, params.g)
    brute = np.zeros((4, 2))
    for pat in np.ndindex(2, 2, 2):
        brute[sum(pat)] += np.prod(np.where(np.array(pat) == 1, p, 1 - p), axis=1)
    assert_allclose(like, brute, atol=1e-14)


def test_quadrature_kinds() -> None:
    x, w = irt.quadrature(61)
    assert_allclose(x[[0, -1]], [-6, 6])
    assert w.sum() == pytest.approx(1.0)
    xg, wg = irt.quadrature(41, kind="gauss-hermite")
    assert wg @ xg ** 2 == pytest.approx(1.0)
    with pytest.raises(InputError):
        irt.quadrature(kind="simpson")
