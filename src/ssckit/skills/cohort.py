"""Statistics of an assessment campaign's cohort: scores per DigComp area, results by group,
paired before/after change with its interval and effect size.

Pure computation, NumPy in, NumPy out. A campaign is a non-probability sample (a training
centre's trainees, a school's teachers): every interval here is a model-based interval for the
people assessed (simple random sampling of people, weights 1), not a population estimate; the
survey estimates of :mod:`ssckit.skills.population` stay the statistics of the population.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ssckit.skills.frameworks import AREA_IDS
from ssckit.skills.irt import wle_theta
from ssckit.skills.survey import Design, estimate

#: Level from which a person counts as at least "intermediate" (DigComp 2.2 levels 3-4).
INTERMEDIATE = 3
#: Scores: the whole test ("overall") and each DigComp area.
SCORES = ("overall", *(f"area{a}" for a in AREA_IDS))


def level_of(theta: np.ndarray) -> np.ndarray:
    """DigComp level 1-8 reached at ``theta`` (:func:`ssckit.skills.results.level_of`,
    vectorised)."""
    th = np.asarray(theta, dtype=float)
    return np.clip(np.floor(4.5 + 1.75 * th + 1e-9), 1, 8).astype(int)


def area_scores(responses: np.ndarray, a: np.ndarray, d: np.ndarray, areas: np.ndarray
                ) -> dict[str, np.ndarray]:
    """WLE trait scores of every person, overall and per DigComp area.

    Parameters
    ----------
    responses : array_like, shape (N, J)
        0/1 answers over the bank's J items, NaN where not presented.
    a, d : array_like, shape (J,)
        2PL slopes and intercepts of the bank.
    areas : array_like of int, shape (J,)
        Index of each item's area in :data:`~ssckit.skills.frameworks.AREA_IDS`.

    Returns
    -------
    dict
        ``{"overall": theta (N,), "area1": ..., "area5": ...}`` [SD of theta]; NaN where a
        person answered no item of the area.

    Notes
    -----
    Warm's WLE (:func:`ssckit.skills.irt.wle_theta`) from that area's answers only: an
    unshrunk score, so that the mean difference of two occasions is the mean change of the
    trait; the public result page keeps its EAP levels.
    """
    x = np.asarray(responses, dtype=float)
    areas = np.asarray(areas)
    out = {"overall": wle_theta(x, a, d)[0]}
    for k, area in enumerate(AREA_IDS):
        sel = areas == k
        out[f"area{area}"] = wle_theta(x[:, sel], a[sel], d[sel])[0]
    return out


@dataclass(frozen=True)
class GroupResult:
    """One group's results: people, mean score with its interval, share at least intermediate."""

    variable: str
    group: str
    n: int
    mean_theta: float | None
    mean_low: float | None
    mean_high: float | None
    share_intermediate: float | None
    share_low: float | None
    share_high: float | None
    suppressed: bool


def _r(x: float, nd: int = 4) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def group_results(theta: np.ndarray, attributes: dict[str, np.ndarray], min_cell: int = 10,
                  level: float = 0.95) -> list[GroupResult]:
    """Mean score and share at level 3 or above, for everyone and by each attribute.

    Parameters
    ----------
    theta : array_like, shape (N,)
        Overall score of each person [SD of theta] (NaN: left out).
    attributes : dict of str to array of str, shape (N,)
        Optional group attributes (``""`` = not stated).
    min_cell : int
        Groups with fewer people are suppressed (figures None).
    level : float
        Confidence level.

    Notes
    -----
    Estimated with the survey estimator (:func:`ssckit.skills.survey.estimate`) under weights
    1 and no design: a t interval for the mean and the logit interval for the share, i.e.
    intervals for the people assessed as if sampled at random from their group.
    """
    th = np.asarray(theta, dtype=float)
    keep = np.isfinite(th)
    out: list[GroupResult] = []
    if keep.sum() < 2:
        return out
    design = Design(np.ones(int(keep.sum())))
    high = (level_of(th[keep]) >= INTERMEDIATE).astype(float)
    for var, values in [("all", None), *attributes.items()]:
        doms = None if values is None else {
            var: np.array([v or "not stated" for v in np.asarray(values)[keep]], dtype=object)}
        means = estimate(design, th[keep], "mean", doms, level).rows()
        shares = estimate(design, high, "prop", doms, level).rows()
        for m, s in zip(means, shares, strict=True):
            grp = "all" if values is None else str(m[var])
            small = m["n"] < min_cell
            out.append(GroupResult(
                var, grp, int(m["n"]),
                *(None if small else _r(m[k]) for k in ("estimate", "ci_low", "ci_high")),
                *(None if small else _r(100 * s[k], 2) for k in ("estimate", "ci_low",
                                                                    "ci_high")),
                small))
    return out


@dataclass(frozen=True)
class LatentScores:
    """A normal trait distribution fitted to one occasion's answers, and each person's EAP.

    ``mu``, ``sigma`` [SD of theta] by marginal maximum likelihood with the item parameters
    fixed; ``eap``/``post_var`` each person's posterior mean and variance under N(mu, sigma);
    ``influence`` each person's influence on ``mu`` (see :func:`latent_scores`).
    """

    mu: float
    sigma: float
    eap: np.ndarray
    post_var: np.ndarray
    influence: np.ndarray


def wle_with_tasks(responses: np.ndarray, a: np.ndarray, d: np.ndarray,
                   task_loglik: np.ndarray, task_info: np.ndarray, grid: np.ndarray
                   ) -> np.ndarray:
    """Warm's WLE of people who answered 2PL items and did performance tasks (GPCM).

    Parameters
    ----------
    responses : array_like, shape (N, J)
        0/1 answers, NaN where not presented.
    a, d : array_like, shape (J,)
        2PL slopes [logit per SD] and intercepts [logit].
    task_loglik, task_info : array_like, shape (N, G)
        Each person's summed task ``log P(score | theta)`` and GPCM information
        ``a^2 Var(X | theta)`` (Muraki 1993, Eq. 7) at the nodes ``grid``.
    grid : array_like, shape (G,)
        Nodes [SD of theta], fine enough for the precision wanted (e.g. 0.005 SD).

    Returns
    -------
    ndarray, shape (N,)
        The node that maximises ``log L(theta) + log I(theta) / 2`` (Warm 1989: the mode of
        the likelihood weighted by the square root of the test information, here of the
        answers and the tasks together) [SD of theta].
    """
    x = np.asarray(responses, dtype=float)
    g = np.asarray(grid, dtype=float)
    p = np.clip(1.0 / (1.0 + np.exp(-(np.outer(g, a) + d))), 1e-12, 1 - 1e-12)
    seen = np.isfinite(x).astype(float)
    right = np.where(np.isfinite(x), x, 0.0)
    loglik = right @ np.log(p).T + (seen - right) @ np.log1p(-p).T + task_loglik
    info = seen @ (np.asarray(a) ** 2 * p * (1 - p)).T + task_info
    return g[np.argmax(loglik + 0.5 * np.log(np.maximum(info, 1e-300)), axis=1)]


#: The quadrature grid of :func:`latent_scores` [SD of theta]; extra log-likelihoods (the
#: performance tasks' GPCM terms) are given at these nodes.
QUAD_GRID = np.linspace(-6.0, 6.0, 121)


def latent_scores(responses: np.ndarray, a: np.ndarray, d: np.ndarray, *, n_quad: int = 121,
                  limit: float = 6.0, max_iter: int = 500, tol: float = 1e-7,
                  extra_loglik: np.ndarray | None = None) -> LatentScores:
    """Fit N(mu, sigma) of the trait to 2PL answers by EM (item parameters fixed).

    Parameters
    ----------
    responses : array_like, shape (N, J)
        0/1 answers, NaN where not presented; every person needs at least one answer.
    a, d : array_like, shape (J,)
        2PL slopes [logit per SD] and intercepts [logit].
    extra_loglik : array_like, shape (N, n_quad), optional
        Further log-likelihood of each person at the nodes ``linspace(-limit, limit, n_quad)``
        (:data:`QUAD_GRID` by default), e.g. the performance tasks' GPCM
        ``log P(score | theta)``, added to the 2PL answers' (local independence).

    Notes
    -----
    EM on a rectangular grid (Bock & Aitkin 1981 with the items fixed; Mislevy 1984): with
    posterior means ``m_i`` and variances ``v_i`` under the current N(mu, sigma),
    ``mu <- mean(m_i)`` and ``sigma^2 <- mean(v_i + (m_i - mu)^2)``. At the fixed point the mean
    of the EAPs equals ``mu``: unlike person scores under a fixed N(0, 1) prior, the estimate of
    the group mean is not shrunk towards 0. The estimating equation ``sum(m_i - mu) = 0`` has
    ``d m_i / d mu = v_i / sigma^2``, so person i's influence on ``mu`` is
    ``(m_i - mu) / (1 - mean(v) / sigma^2)`` (an M-estimator's sandwich; Stefanski & Boos 2002),
    which gives the standard error of a paired change in :func:`paired_change`.

    References
    ----------
    Mislevy, R. J. (1984). Estimating latent distributions. *Psychometrika* 49(3), 359-381.
    Stefanski, L. A. & Boos, D. D. (2002). The calculus of M-estimation. *Am. Stat.* 56, 29-38.
    """
    x = np.asarray(responses, dtype=float)
    grid = np.linspace(-limit, limit, n_quad)
    p = np.clip(1.0 / (1.0 + np.exp(-(np.outer(grid, a) + d))), 1e-12, 1 - 1e-12)
    right = np.where(np.isfinite(x), x, 0.0)
    wrong = np.where(np.isfinite(x), 1.0 - x, 0.0)
    loglik = right @ np.log(p).T + wrong @ np.log1p(-p).T
    if extra_loglik is not None:
        loglik = loglik + np.asarray(extra_loglik, dtype=float)
    loglik -= loglik.max(axis=1, keepdims=True)
    lik = np.exp(loglik)
    mu, sigma = 0.0, 1.0
    for _ in range(max_iter):
        post = lik * np.exp(-0.5 * ((grid - mu) / sigma) ** 2)
        post /= post.sum(axis=1, keepdims=True)
        m = post @ grid
        v = np.maximum(post @ grid ** 2 - m ** 2, 0.0)
        mu_new = float(m.mean())
        sigma_new = float(np.sqrt(max(np.mean(v + (m - mu_new) ** 2), 1e-6)))
        done = abs(mu_new - mu) < tol and abs(sigma_new - sigma) < tol
        mu, sigma = mu_new, sigma_new
        if done:
            break
    post = lik * np.exp(-0.5 * ((grid - mu) / sigma) ** 2)
    post /= post.sum(axis=1, keepdims=True)
    m = post @ grid
    v = np.maximum(post @ grid ** 2 - m ** 2, 0.0)
    slope = 1.0 - float(v.mean()) / sigma ** 2
    return LatentScores(mu, sigma, m, v, (m - mu) / max(slope, 1e-3))


@dataclass(frozen=True)
class PairedChange:
    """Before/after change of one score over the people assessed on both occasions.

    ``mean_before``/``mean_after`` the fitted trait means, ``mean_change`` their difference
    with ``se``, ``ci_low``/``ci_high`` [SD of theta]; ``d_z`` the paired Cohen's effect size;
    ``moved_up``/``moved_down`` the share of people whose DigComp level rose/fell [%] with
    the logit interval of ``moved_up``.
    """

    score: str
    n: int
    mean_before: float | None
    mean_after: float | None
    mean_change: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    d_z: float | None
    moved_up: float | None
    moved_up_low: float | None
    moved_up_high: float | None
    moved_down: float | None
    level: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def paired_change(before: np.ndarray, after: np.ndarray, a: np.ndarray, d: np.ndarray,
                  score: str = "overall", level: float = 0.95,
                  extra_before: np.ndarray | None = None,
                  extra_after: np.ndarray | None = None) -> PairedChange:
    """Paired change of a score between two occasions, its interval and effect size.

    Parameters
    ----------
    before, after : array_like, shape (N, J)
        0/1 answers of the same N people on each occasion to the J items of the score (NaN:
        not presented); people without an answer on either occasion are left out.
    a, d : array_like, shape (J,)
        2PL slopes [logit per SD] and intercepts [logit].
    score : str
        Name of the score (``overall``, ``area1`` ...).
    level : float
        Confidence level.
    extra_before, extra_after : array_like, shape (N, 121), optional
        Further log-likelihood of each person at :data:`QUAD_GRID` on each occasion (the
        performance tasks' GPCM terms), joined to the answers in :func:`latent_scores`; the
        effect size ``d_z`` stays that of the knowledge answers' WLE.

    Notes
    -----
    ``mean_change = mu_after - mu_before`` from :func:`latent_scores` fitted on each
    occasion; its SE is ``SD(IF_after,i - IF_before,i) / sqrt(n)`` from the people's
    influences, which keeps the pairing (the paired analogue of the t interval), and the
    interval is ``mean +- t_{(1+level)/2, n-1} SE``. Cohen's ``d_z = mean / SD`` of the
    differences of the people's WLE scores (Cohen 1988, Eq. 2.3.5; Lakens 2013, Eq. 4):
    measurement error enlarges that SD, so ``d_z`` of observed scores understates that of
    the true trait. A person *moved up* when the DigComp level of the after EAP is higher
    than that of the before EAP; its share has the survey estimator's logit interval.

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed.
    Lakens, D. (2013). Calculating and reporting effect sizes. *Frontiers in Psychology* 4:863.
    """
    xb = np.asarray(before, dtype=float)
    xa = np.asarray(after, dtype=float)
    keep = np.isfinite(xb).any(axis=1) & np.isfinite(xa).any(axis=1)
    n = int(keep.sum())
    if n < 2:
        return PairedChange(score, n, *([None] * 11), level=level)
    fb = latent_scores(xb[keep], a, d, extra_loglik=None if extra_before is None
                       else np.asarray(extra_before)[keep])
    fa = latent_scores(xa[keep], a, d, extra_loglik=None if extra_after is None
                       else np.asarray(extra_after)[keep])
    m = fa.mu - fb.mu
    se = float(np.std(fa.influence - fb.influence, ddof=1)) / np.sqrt(n)
    q = float(stats.t.ppf(0.5 + level / 2, n - 1))
    diff = wle_theta(xa[keep], a, d)[0] - wle_theta(xb[keep], a, d)[0]
    s = float(np.std(diff, ddof=1))
    lb, la = level_of(fb.eap), level_of(fa.eap)
    up = estimate(Design(np.ones(n)), (la > lb).astype(float), "prop", None, level).rows()[0]
    return PairedChange(score, n, _r(fb.mu), _r(fa.mu), _r(m), _r(se), _r(m - q * se),
                        _r(m + q * se), _r(m / s) if s > 0 else None,
                        _r(100 * up["estimate"], 2), _r(100 * up["ci_low"], 2),
                        _r(100 * up["ci_high"], 2), _r(100 * float((la < lb).mean()), 2), level)


def paired_changes(before: np.ndarray, after: np.ndarray, a: np.ndarray, d: np.ndarray,
                   areas: np.ndarray, level: float = 0.95,
                   extra_before: dict[str, np.ndarray] | None = None,
                   extra_after: dict[str, np.ndarray] | None = None) -> list[PairedChange]:
    """:func:`paired_change` of the overall score and of each DigComp area's score;
    ``extra_before``/``extra_after`` map a score name to its further log-likelihoods."""
    areas = np.asarray(areas)
    eb, ea = extra_before or {}, extra_after or {}
    out = [paired_change(before, after, a, d, "overall", level, eb.get("overall"),
                         ea.get("overall"))]
    for k, area in enumerate(AREA_IDS):
        sel = areas == k
        name = f"area{area}"
        out.append(paired_change(before[:, sel], after[:, sel], a[sel], d[sel],
                                 name, level, eb.get(name), ea.get(name)))
    return out
