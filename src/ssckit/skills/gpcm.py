"""Generalized partial credit model: response function, information, simulation, MML calibration.

Performance tasks give partial credit: a score ``k`` in ``0 .. m``. Muraki's generalized partial
credit model (GPCM) puts them on the same latent scale ``theta ~ N(0, 1)`` as the knowledge items
of :mod:`ssckit.skills.irt`:

    P(X = k | theta) = exp(z_k) / sum_{c=0..m} exp(z_c),   z_k = sum_{v=1..k} a (theta - b_v)

with slope ``a`` and step difficulties ``b_1 .. b_m`` [SD of theta] (the empty sum is 0). The
scaling constant D is 1, as in :mod:`ssckit.skills.irt`.

Everything is NumPy in, NumPy out; no I/O.

References
----------
Muraki, E. (1992). A generalized partial credit model: application of an EM algorithm.
*Applied Psychological Measurement* 16(2), 159-176, Eq. (1) (the model) and Eqs. (11)-(14) (EM).
Muraki, E. (1993). Information functions of the generalized partial credit model.
*Applied Psychological Measurement* 17(4), 351-363, Eq. (7): ``I(theta) = a^2 Var(X | theta)``.
Bock, R. D., Aitkin, M. (1981). Marginal maximum likelihood estimation of item parameters:
application of an EM algorithm. *Psychometrika* 46(4), 443-459.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax

from ssckit.core.errors import InputError
from ssckit.skills.irt import quadrature


@dataclass(frozen=True)
class GPCMItem:
    """One polytomous item: slope ``a`` and step difficulties ``b`` [SD of theta]."""

    a: float
    b: tuple[float, ...]

    @property
    def max_score(self) -> int:
        return len(self.b)


def _logits(theta: np.ndarray, a: float, b: np.ndarray) -> np.ndarray:
    """Numerators' logs ``sum_{v<=k} a (theta - b_v)``, shape (n_theta, m + 1)."""
    steps = a * (theta[:, None] - np.asarray(b, float)[None, :])
    return np.concatenate([np.zeros((theta.size, 1)), np.cumsum(steps, axis=1)], axis=1)


def gpcm_probs(theta: np.ndarray | float, a: float, b: np.ndarray | tuple[float, ...]
               ) -> np.ndarray:
    """Category probabilities of the GPCM (Muraki 1992, Eq. 1).

    Parameters
    ----------
    theta : float or ndarray, shape (n,)
        Latent trait [SD of theta].
    a : float
        Slope [1 / SD of theta].
    b : sequence of float, length m
        Step difficulties [SD of theta].

    Returns
    -------
    ndarray, shape (n, m + 1)
        ``P(X = k | theta)`` for ``k = 0 .. m``; rows sum to 1.
    """
    th = np.atleast_1d(np.asarray(theta, float))
    return np.exp(log_softmax(_logits(th, a, np.asarray(b, float)), axis=1))


def gpcm_expected_score(theta: np.ndarray | float, a: float,
                        b: np.ndarray | tuple[float, ...]) -> np.ndarray:
    """Expected score ``E[X | theta] = sum_k k P_k(theta)`` [points], shape (n,)."""
    p = gpcm_probs(theta, a, b)
    return p @ np.arange(p.shape[1])


def gpcm_information(theta: np.ndarray | float, a: float,
                     b: np.ndarray | tuple[float, ...]) -> np.ndarray:
    """Item information of the GPCM, ``I(theta) = a^2 Var(X | theta)`` (Muraki 1993, Eq. 7).

    Returns
    -------
    ndarray, shape (n,)
        Fisher information [1 / SD of theta^2].
    """
    p = gpcm_probs(theta, a, b)
    k = np.arange(p.shape[1])
    mean = p @ k
    return a * a * (p @ (k * k) - mean * mean)


def simulate_gpcm(theta: np.ndarray, items: list[GPCMItem],
                  rng: np.random.Generator) -> np.ndarray:
    """Scores of people ``theta`` [SD of theta] on ``items``, shape (n, n_items), integers."""
    th = np.asarray(theta, float)
    out = np.empty((th.size, len(items)), dtype=int)
    u = rng.random((th.size, len(items)))
    for j, it in enumerate(items):
        cum = np.cumsum(gpcm_probs(th, it.a, it.b), axis=1)
        out[:, j] = (u[:, j, None] > cum[:, :-1]).sum(axis=1)
    return out


# -- calibration ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GPCMCalibration:
    """Result of :func:`calibrate_gpcm`: items, EM cycles run, marginal log-likelihood."""

    items: list[GPCMItem]
    cycles: int
    converged: bool
    loglik: float


def _item_negll(psi: np.ndarray, theta: np.ndarray, r: np.ndarray) -> tuple[float, np.ndarray]:
    """Expected complete-data negative log-likelihood of one item and its gradient.

    ``psi = (log a, b_1 .. b_m)``; ``r[q, k]`` the expected count of score ``k`` at node ``q``
    (Muraki 1992, Eqs. 11-14).
    """
    a = float(np.exp(psi[0]))
    b = psi[1:]
    m = b.size
    lp = log_softmax(_logits(theta, a, b), axis=1)
    p = np.exp(lp)
    nll = -float(np.sum(r * lp))
    n_q = r.sum(axis=1)
    k = np.arange(m + 1)
    # d z_k / d a = sum_{v<=k} (theta - b_v) = k theta - B_k
    dz_da = k[None, :] * theta[:, None] - np.concatenate([[0.0], np.cumsum(b)])[None, :]
    e_dz_da = np.sum(p * dz_da, axis=1)
    g_a = -float(np.sum(r * dz_da) - np.sum(n_q * e_dz_da))
    # d z_k / d b_v = -a 1(k >= v)
    tail = np.cumsum(p[:, ::-1], axis=1)[:, ::-1][:, 1:]  # P(X >= v), v = 1..m
    r_tail = np.cumsum(r[:, ::-1], axis=1)[:, ::-1][:, 1:]
    g_b = -(-a * r_tail.sum(axis=0) + a * np.sum(n_q[:, None] * tail, axis=0))
    return nll, np.concatenate([[g_a * a], g_b])


def calibrate_gpcm(scores: np.ndarray, max_scores: list[int] | np.ndarray, *,
                   n_quad: int = 41, max_cycles: int = 500, tol: float = 1e-4,
                   start: list[GPCMItem] | None = None) -> GPCMCalibration:
    """Fit GPCM parameters by marginal maximum likelihood, EM algorithm (Bock & Aitkin 1981;
    Muraki 1992, Eqs. 11-14), with ``theta ~ N(0, 1)``.

    Parameters
    ----------
    scores : ndarray, shape (n_people, n_items)
        Scores ``0 .. max_scores[j]``; ``NaN`` or ``-1`` where a person did not meet the item.
    max_scores : sequence of int
        Highest score of each item (the number of steps ``m``).
    n_quad : int
        Quadrature nodes (rectangular rule on [-6, 6], see :func:`ssckit.skills.irt.quadrature`).
    max_cycles, tol : int, float
        EM stops when no parameter moved by more than ``tol`` [SD of theta] in a cycle.
    start : list of GPCMItem, optional
        Start values (default: ``a = 1`` and steps spread from -1 to 1).

    Returns
    -------
    GPCMCalibration
    """
    x = np.asarray(scores, float)
    ms = [int(m) for m in max_scores]
    if x.ndim != 2 or x.shape[1] != len(ms):
        raise InputError("calibrate-tasks", "scores", f"expected a people x {len(ms)} items table")
    x = np.where(np.isnan(x), -1, x).astype(int)
    for j, m in enumerate(ms):
        bad = (x[:, j] > m) | (x[:, j] < -1)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError("calibrate-tasks", f"row {i + 1}, item {j + 1}",
                             f"score {x[i, j]} is outside 0..{m}")
        seen = np.unique(x[x[:, j] >= 0, j])
        if seen.size < 2:
            raise InputError("calibrate-tasks", f"item {j + 1}", "every person has the same "
                             "score; an item needs at least two different scores to calibrate")
    theta, w = quadrature(n_quad)
    log_w = np.log(w)
    psis = [np.concatenate([[0.0], np.linspace(-1, 1, m)]) if start is None else
            np.concatenate([[np.log(start[j].a)], start[j].b]) for j, m in enumerate(ms)]
    onehots = [np.eye(m + 1)[np.clip(x[:, j], 0, None)] * (x[:, j, None] >= 0)
               for j, m in enumerate(ms)]
    converged = False
    loglik = -np.inf
    cycles = 0
    for cycle in range(1, max_cycles + 1):
        cycles = cycle
        # E-step: posterior of each person over the nodes
        logpost = np.tile(log_w, (x.shape[0], 1))
        for j in range(len(ms)):
            lp = log_softmax(_logits(theta, float(np.exp(psis[j][0])), psis[j][1:]), axis=1)
            logpost += onehots[j] @ lp.T
        top = logpost.max(axis=1, keepdims=True)
        marg = np.log(np.exp(logpost - top).sum(axis=1, keepdims=True)) + top
        loglik = float(marg.sum())
        post = np.exp(logpost - marg)
        # M-step: one item at a time
        move = 0.0
        for j in range(len(ms)):
            r = post.T @ onehots[j]  # (n_quad, m + 1)
            res = minimize(_item_negll, psis[j], args=(theta, r), jac=True, method="L-BFGS-B",
                           bounds=[(np.log(0.05), np.log(8.0))] + [(-8.0, 8.0)] * ms[j])
            move = max(move, float(np.max(np.abs(res.x - psis[j]))))
            psis[j] = res.x
        if move < tol:
            converged = True
            break
    items = [GPCMItem(float(np.exp(p[0])), tuple(float(v) for v in p[1:])) for p in psis]
    return GPCMCalibration(items, cycles, converged, loglik)
