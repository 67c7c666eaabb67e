"""The generalized partial credit model: known values, information, and MML recovery."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose
from scipy.optimize import check_grad

from ssckit.skills.gpcm import (
    GPCMItem,
    _item_negll,
    calibrate_gpcm,
    gpcm_expected_score,
    gpcm_information,
    gpcm_probs,
    simulate_gpcm,
)
from ssckit.skills.irt import irf


def test_partial_credit_known_values() -> None:
    # Masters' partial credit model (a = 1), steps -1 and 1, theta 0: numerators
    # exp(0), exp(0 + 1), exp(1 - 1) -> (1, e, 1) / (2 + e) (Muraki 1992, Eq. 1).
    e = np.e
    assert_allclose(gpcm_probs(0.0, 1.0, (-1.0, 1.0))[0], [1 / (2 + e), e / (2 + e), 1 / (2 + e)])
    # theta 1, a 1.7, one step at 0.5: the GPCM is the 2PL, logit = 1.7 (1 - 0.5) = 0.85
    p = gpcm_probs(np.array([1.0, -2.0]), 1.7, (0.5,))
    assert_allclose(p[:, 1], 1 / (1 + np.exp(-np.array([0.85, -4.25]))))
    assert_allclose(p[:, 1], irf(np.array([1.0, -2.0]), 1.7, -1.7 * 0.5))


def test_information_is_slope_squared_times_variance() -> None:
    # one step: the 2PL information a^2 P (1 - P) (Muraki 1993, Eq. 7)
    th = np.linspace(-3, 3, 7)
    p = 1 / (1 + np.exp(-1.3 * (th - 0.2)))
    assert_allclose(gpcm_information(th, 1.3, (0.2,)), 1.69 * p * (1 - p))
    # the information equals the derivative of the expected score times a (Muraki 1993)
    h = 1e-5
    b = (-0.8, 0.1, 1.2)
    d = (gpcm_expected_score(th + h, 1.1, b) - gpcm_expected_score(th - h, 1.1, b)) / (2 * h)
    assert_allclose(gpcm_information(th, 1.1, b), 1.1 * d, rtol=1e-6)


def test_gradient_of_the_m_step() -> None:
    rng = np.random.default_rng(3)
    theta = np.linspace(-4, 4, 21)
    r = rng.random((21, 4)) * 30
    psi = np.array([0.2, -1.0, 0.3, 1.1])
    err = check_grad(lambda p: _item_negll(p, theta, r)[0], lambda p: _item_negll(p, theta, r)[1],
                     psi)
    assert err < 1e-3


def test_calibration_recovers_planted_parameters() -> None:
    planted = [GPCMItem(1.2, (-1.0, 0.5)), GPCMItem(0.8, (-0.5, 0.0, 1.0)),
               GPCMItem(1.6, (0.3, 1.2)), GPCMItem(1.0, (-1.5, -0.5)), GPCMItem(1.4, (0.0,)),
               GPCMItem(0.9, (-1.0, 0.2, 0.8)), GPCMItem(1.1, (0.5, 1.5)),
               GPCMItem(1.3, (-0.7, 0.4))]
    rng = np.random.default_rng(20)
    theta = rng.standard_normal(3000)
    scores = simulate_gpcm(theta, planted, rng).astype(float)
    scores[rng.random(scores.shape) < 0.2] = np.nan  # not every person meets every task
    fit = calibrate_gpcm(scores, [it.max_score for it in planted])
    assert fit.converged
    a_hat = np.array([it.a for it in fit.items])
    a_true = np.array([it.a for it in planted])
    b_hat = np.concatenate([it.b for it in fit.items])
    b_true = np.concatenate([it.b for it in planted])
    assert np.sqrt(np.mean((a_hat - a_true) ** 2)) < 0.12
    assert np.sqrt(np.mean((b_hat - b_true) ** 2)) < 0.12
    assert np.max(np.abs(b_hat - b_true)) < 0.35


def test_calibration_refuses_a_constant_item() -> None:
    import pytest

    from ssckit.core.errors import InputError

    with pytest.raises(InputError, match="same score"):
        calibrate_gpcm(np.array([[1, 0], [1, 1], [1, 2]]), [2, 2])
