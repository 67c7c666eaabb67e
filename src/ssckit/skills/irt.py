"""Item response theory: response functions, information, EM calibration and person scoring.

Unidimensional models in slope-intercept form, ``logit P = a*theta + d``, with the latent trait
``theta ~ N(0, 1)`` in the calibration population:

- ``"1pl"``: one slope ``a`` common to all items (a Rasch model whose latent standard deviation is
  ``a``; see :func:`calibrate`, Notes);
- ``"2pl"``: a slope and an intercept per item;
- ``"3pl"``: plus a lower asymptote (guessing) ``g``;
- ``"grm"``: Samejima's graded response model for ordered categories ``0 .. K-1``.

Everything is NumPy in, NumPy out. Responses are a respondents x items array; a missing or
not-presented response is ``NaN`` or ``-1`` (an adaptive test leaves most items unanswered).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, log_expit

from ssckit.core.errors import InputError

MODELS = ("1pl", "2pl", "3pl", "grm")
#: Default Beta(alpha, beta) prior on the 3PL lower asymptote: mode 0.2 (a five-option
#: multiple-choice item), prior weight of about 20 responses, as in BILOG-MG.
DEFAULT_GUESS_PRIOR = (5.0, 17.0)
_TINY = 1e-300


# --------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemParams:
    """Item parameters of one calibrated bank, in slope-intercept form.

    Parameters
    ----------
    model : {"1pl", "2pl", "3pl", "grm"}
        The response model.
    a : ndarray, shape (J,)
        Slopes (discriminations) on the logit scale [logit per SD of theta]. Equal for "1pl".
    d : ndarray, shape (J,) or (J, M)
        Intercepts [logit]. For "grm" one column per category boundary, ``d[:, m]`` for
        ``P(X >= m + 1)``, strictly decreasing along a row; rows of items with fewer categories
        are padded with NaN.
    g : ndarray, shape (J,), optional
        Lower asymptotes (guessing probabilities) [probability], zero unless "3pl".
    """

    model: str
    a: np.ndarray
    d: np.ndarray
    g: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise InputError("item parameters", "field 'model'",
                             f"{self.model!r} is not one of {', '.join(MODELS)}")
        a = np.atleast_1d(np.asarray(self.a, dtype=float))
        d = np.asarray(self.d, dtype=float)
        d = d.reshape(a.size, -1) if self.model == "grm" else np.atleast_1d(d)
        g = np.zeros(a.size) if self.g is None else np.atleast_1d(np.asarray(self.g, float))
        g = np.broadcast_to(g, a.shape).copy()
        if d.shape[0] != a.size:
            raise InputError("item parameters", "field 'd'",
                             f"{d.shape[0]} intercept rows for {a.size} slopes")
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "d", d)
        object.__setattr__(self, "g", g)

    @property
    def n_items(self) -> int:
        """Number of items J."""
        return int(self.a.size)

    @property
    def n_categories(self) -> np.ndarray:
        """Number of response categories per item (2 for the dichotomous models)."""
        if self.model != "grm":
            return np.full(self.n_items, 2)
        return 1 + np.sum(np.isfinite(self.d), axis=1)

    @property
    def b(self) -> np.ndarray:
        """IRT difficulties ``b = -d / a`` [SD of theta] (thresholds for "grm")."""
        a = self.a[:, None] if self.model == "grm" else self.a
        return -self.d / a

    def take(self, items: np.ndarray | list[int]) -> ItemParams:
        """The parameters of a subset of items, in the order given."""
        idx = np.asarray(items, dtype=int)
        return ItemParams(self.model, self.a[idx], self.d[idx], self.g[idx])

    def to_dict(self) -> dict:
        """A JSON-ready dictionary (NaN padding becomes ``None``)."""
        def lst(x: np.ndarray) -> list:
            return [None if not np.isfinite(v) else float(v) for v in x.ravel()] if x.ndim == 1 \
                else [lst(row) for row in x]
        return {"model": self.model, "a": lst(self.a), "d": lst(self.d), "g": lst(self.g)}

    @classmethod
    def from_dict(cls, data: dict) -> ItemParams:
        """Inverse of :meth:`to_dict`."""
        def arr(x: list) -> np.ndarray:
            return np.array(x, dtype=float)  # None -> nan
        return cls(data["model"], arr(data["a"]), arr(data["d"]), arr(data.get("g") or [0.0]))

    @classmethod
    def from_ab(cls, model: str, a: np.ndarray, b: np.ndarray,
                g: np.ndarray | None = None) -> ItemParams:
        """Build from IRT (slope-difficulty) form, ``d = -a * b``."""
        a = np.atleast_1d(np.asarray(a, dtype=float))
        b = np.asarray(b, dtype=float)
        d = -(a[:, None] if model == "grm" else a) * (b.reshape(a.size, -1) if model == "grm"
                                                        else b)
        return cls(model, a, d, g)


def slope_intercept_to_ab(a: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert slope-intercept parameters to IRT slope-difficulty form.

    Parameters
    ----------
    a : array_like
        Slopes [logit per SD of theta].
    d : array_like
        Intercepts [logit]; a 2-D array of GRM boundaries is converted row by row.

    Returns
    -------
    a : ndarray
        Slopes, unchanged [logit per SD of theta].
    b : ndarray
        Difficulties ``b = -d / a`` [SD of theta].

    Notes
    -----
    ``a*theta + d = a*(theta - b)`` with ``b = -d/a`` (the logistic metric, no D = 1.702).
    """
    a = np.asarray(a, dtype=float)
    d = np.asarray(d, dtype=float)
    return a, -d / (a[..., None] if d.ndim > a.ndim else a)


def ab_to_slope_intercept(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert IRT slope-difficulty parameters to slope-intercept form, ``d = -a*b``.

    Parameters
    ----------
    a : array_like
        Slopes [logit per SD of theta].
    b : array_like
        Difficulties [SD of theta] (2-D for GRM thresholds, one row per item).

    Returns
    -------
    a, d : ndarray
        Slopes [logit per SD of theta] and intercepts [logit].
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return a, -b * (a[..., None] if b.ndim > a.ndim else a)


# --------------------------------------------------------------------------------------------
# response functions and information
# --------------------------------------------------------------------------------------------


def irf(theta: np.ndarray | float, a: np.ndarray | float, d: np.ndarray | float,
        g: np.ndarray | float = 0.0) -> np.ndarray:
    """Probability of a correct response under the 1PL/2PL/3PL models.

    Parameters
    ----------
    theta : array_like, shape (T,) or scalar
        Latent trait [SD units of the calibration population].
    a : array_like, shape (J,) or scalar
        Slopes [logit per SD of theta].
    d : array_like, shape (J,) or scalar
        Intercepts [logit].
    g : array_like, shape (J,) or scalar
        Lower asymptotes [probability]; 0 gives the 2PL (and the 1PL for equal slopes).

    Returns
    -------
    ndarray, shape (T, J) (dimensions of size-1 inputs dropped)
        ``P(X = 1 | theta)`` [probability].

    Notes
    -----
    .. math:: P(\\theta) = g + (1 - g)\\,\\frac{1}{1 + \\exp[-(a\\theta + d)]}

    References
    ----------
    Birnbaum, A. (1968). Some latent trait models. In Lord & Novick, *Statistical Theories of
    Mental Test Scores*, ch. 17.
    """
    th = np.asarray(theta, dtype=float)
    a, d, g = (np.asarray(x, dtype=float) for x in (a, d, g))
    z = (th[..., None] if a.ndim else th) * a + d
    return g + (1.0 - g) * expit(z)


def grm_probs(theta: np.ndarray | float, a: np.ndarray | float, d: np.ndarray) -> np.ndarray:
    """Category probabilities of Samejima's graded response model.

    Parameters
    ----------
    theta : array_like, shape (T,) or scalar
        Latent trait [SD of theta].
    a : array_like, shape (J,) or scalar
        Slopes [logit per SD of theta].
    d : array_like, shape (J, K-1) or (K-1,)
        Boundary intercepts [logit], decreasing; NaN pads items with fewer categories.

    Returns
    -------
    ndarray, shape (T, J, K)
        ``P(X = k | theta)`` [probability]; padded categories have probability 0.

    Notes
    -----
    With ``P*_0 = 1``, ``P*_K = 0`` and ``P*_k = 1/(1 + exp[-(a theta + d_k)])``,

    .. math:: P(X = k \\mid \\theta) = P^*_k(\\theta) - P^*_{k+1}(\\theta).

    References
    ----------
    Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores.
    *Psychometrika Monograph Supplement* 17.
    """
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    a = np.atleast_1d(np.asarray(a, dtype=float))
    d = np.asarray(d, dtype=float).reshape(a.size, -1)
    pstar = _grm_cumulative(th, a, d)
    p = pstar[..., :-1] - pstar[..., 1:]
    return p[0] if np.ndim(theta) == 0 else p


def _grm_cumulative(th: np.ndarray, a: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``P*`` with the two end columns, shape (T, J, M + 2); NaN boundaries give 0."""
    z = th[:, None, None] * a[None, :, None] + d[None]
    ps = np.where(np.isnan(z), 0.0, expit(np.nan_to_num(z)))
    ones = np.ones(ps.shape[:2] + (1,))
    return np.concatenate([ones, ps, np.zeros_like(ones)], axis=-1)


def category_probs(theta: np.ndarray | float, params: ItemParams) -> np.ndarray:
    """Category probabilities for any model, shape (T, J, K_max).

    Parameters
    ----------
    theta : array_like, shape (T,) or scalar
        Latent trait [SD of theta].
    params : ItemParams
        Item parameters.

    Returns
    -------
    ndarray, shape (T, J, K_max)
        ``P(X = k | theta)`` [probability]; ``[1 - P, P]`` for dichotomous items, zeros for
        categories an item does not have.
    """
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    if params.model == "grm":
        return grm_probs(th, params.a, params.d)
    p1 = irf(th, params.a, params.d, params.g).reshape(th.size, params.n_items)
    return np.stack([1.0 - p1, p1], axis=-1)


def log_category_probs(theta: np.ndarray | float, params: ItemParams) -> np.ndarray:
    """Natural log of :func:`category_probs`, computed stably; -inf for absent categories."""
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    if params.model == "grm":
        with np.errstate(divide="ignore"):
            p = grm_probs(th, params.a, params.d)
            return np.where(p > 0, np.log(np.maximum(p, _TINY)), -np.inf)
    z = th[:, None] * params.a + params.d
    if np.all(params.g == 0):
        return np.stack([log_expit(-z), log_expit(z)], axis=-1)
    g = params.g
    lp1 = np.log(g + (1.0 - g) * expit(z))
    with np.errstate(divide="ignore"):
        lp0 = np.log1p(-g) + log_expit(-z)
    return np.stack([lp0, lp1], axis=-1)


def item_information(theta: np.ndarray | float, params: ItemParams) -> np.ndarray:
    """Fisher information of each item.

    Parameters
    ----------
    theta : array_like, shape (T,) or scalar
        Latent trait [SD of theta].
    params : ItemParams
        Item parameters.

    Returns
    -------
    ndarray, shape (T, J) (shape (J,) for scalar theta)
        Item information [1 / SD of theta squared].

    Notes
    -----
    2PL (and 1PL): :math:`I = a^2 P Q`. 3PL (Birnbaum 1968, Eq. 20.4.16 in slope-intercept form):
    :math:`I = a^2 \\frac{Q}{P}\\left(\\frac{P - g}{1 - g}\\right)^2`.
    GRM (Samejima 1969): :math:`I = \\sum_k P_k'^2 / P_k` with
    :math:`P_k' = a\\,[W_k - W_{k+1}]`, :math:`W_k = P^*_k (1 - P^*_k)`.

    References
    ----------
    Baker, F. B. & Kim, S.-H. (2004). *Item Response Theory: Parameter Estimation Techniques*,
    2nd ed., Marcel Dekker, sections 2.4 and 9.
    """
    th = np.atleast_1d(np.asarray(theta, dtype=float))
    if params.model == "grm":
        pstar = _grm_cumulative(th, params.a, params.d)
        w = pstar * (1.0 - pstar)
        dp = params.a[None, :, None] * (w[..., :-1] - w[..., 1:])
        p = pstar[..., :-1] - pstar[..., 1:]
        info = np.sum(np.where(p > 0, dp * dp / np.maximum(p, _TINY), 0.0), axis=-1)
    else:
        s = expit(th[:, None] * params.a + params.d)
        g = params.g
        p = g + (1.0 - g) * s
        info = params.a ** 2 * (1.0 - g) * s * s * (1.0 - s) / np.maximum(p, _TINY)
    return info[0] if np.ndim(theta) == 0 else info


def test_information(theta: np.ndarray | float, params: ItemParams) -> np.ndarray:
    """Test information, the sum of :func:`item_information` over items [1 / SD^2]."""
    return np.sum(item_information(np.atleast_1d(theta), params), axis=-1).reshape(np.shape(theta))


test_information.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def simulate_responses(theta: np.ndarray, params: ItemParams,
                       rng: np.random.Generator) -> np.ndarray:
    """Draw item responses for given trait values.

    Parameters
    ----------
    theta : array_like, shape (N,)
        True latent trait of each simulee [SD of theta].
    params : ItemParams
        Item parameters.
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    ndarray of int8, shape (N, J)
        Category codes ``0 .. K-1``.
    """
    p = category_probs(np.asarray(theta, dtype=float), params)
    cum = np.cumsum(p, axis=-1)
    u = rng.random(p.shape[:2])[..., None]
    return np.minimum(np.sum(u > cum, axis=-1), params.n_categories - 1).astype(np.int8)


# --------------------------------------------------------------------------------------------
# quadrature and data preparation
# --------------------------------------------------------------------------------------------


def quadrature(n: int = 61, limit: float = 6.0, kind: str = "rectangular",
               mean: float = 0.0, sd: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for integrating over ``theta ~ N(mean, sd^2)``.

    Parameters
    ----------
    n : int
        Number of nodes.
    limit : float
        Rectangular rule only: nodes equally spaced on ``[mean - limit*sd, mean + limit*sd]``
        [SD of theta].
    kind : {"rectangular", "gauss-hermite"}
        ``"rectangular"`` (R mirt's rule: equally spaced nodes, weights the normal density
        normalised to sum 1) or Gauss-Hermite (probabilists' Hermite polynomials).
    mean, sd : float
        Mean and standard deviation of the latent distribution [SD of theta].

    Returns
    -------
    nodes : ndarray, shape (n,)
        Quadrature nodes [SD of theta].
    weights : ndarray, shape (n,)
        Weights, summing to 1.
    """
    if kind == "rectangular":
        x = np.linspace(-limit, limit, n)
        w = np.exp(-0.5 * x * x)
    elif kind == "gauss-hermite":
        x, w = np.polynomial.hermite_e.hermegauss(n)
    else:
        raise InputError("quadrature", "argument 'kind'",
                         f"{kind!r} is not 'rectangular' or 'gauss-hermite'")
    return mean + sd * x, w / w.sum()


def response_codes(responses: np.ndarray) -> np.ndarray:
    """Responses as integer category codes with ``-1`` for missing / not presented.

    Parameters
    ----------
    responses : array_like, shape (N, J)
        Category codes ``0 .. K-1`` as numbers; NaN, None or any negative value = missing.

    Returns
    -------
    ndarray of int16, shape (N, J)
    """
    r = np.asarray(responses, dtype=float)
    if r.ndim == 1:
        r = r[None, :]
    if r.ndim != 2:
        raise InputError("responses", None, f"expected a respondents x items array, got {r.ndim}-D")
    miss = ~np.isfinite(r) | (r < 0)
    if np.any(~miss & (r != np.round(r))):
        raise InputError("responses", None, "responses must be whole category codes 0..K-1")
    return np.where(miss, -1, r).astype(np.int16)


class _Design:
    """Response indicators for the E-step, with category 0 of each item as reference.

    ``log L = X1 @ (log P_k - log P_0) + O @ log P_0``: ``X1`` (N, sum(K_j - 1)) marks the
    categories k >= 1, ``O`` (N, J) marks observed responses and is skipped (a constant) when
    nothing is missing, which halves the work for complete dichotomous data.
    """

    def __init__(self, codes: np.ndarray, ncat: np.ndarray) -> None:
        self.ncat = np.asarray(ncat, dtype=int)
        self.offset = np.concatenate([[0], np.cumsum(self.ncat - 1)[:-1]])
        n_cols = int(np.sum(self.ncat - 1))
        self.col_item = np.repeat(np.arange(self.ncat.size), self.ncat - 1)
        self.col_cat = 1 + np.arange(n_cols) - np.repeat(self.offset, self.ncat - 1)
        self.x1 = np.zeros((codes.shape[0], n_cols))
        rows, items = np.nonzero(codes > 0)
        self.x1[rows, self.offset[items] + codes[rows, items] - 1] = 1.0
        observed = codes >= 0
        self.obs = None if observed.all() else observed.astype(float)

    def loglik(self, logp: np.ndarray) -> np.ndarray:
        """(N, T) log-likelihood of each row at each node, from (T, J, K) log probabilities."""
        lp0 = logp[:, :, 0]
        diff = logp[:, self.col_item, self.col_cat] - lp0[:, self.col_item]
        ll = self.x1 @ diff.T
        ll += lp0.sum(axis=1) if self.obs is None else self.obs @ lp0.T
        return ll

    def counts(self, post: np.ndarray, groups: list[int]) -> list[np.ndarray]:
        """Expected category counts per item group, each (J_g, T, K), from (N, T) posteriors."""
        rr1 = (post.T @ self.x1).T                                   # (C', T)
        nobs = (np.broadcast_to(post.sum(axis=0), (self.ncat.size, post.shape[1]))
                if self.obs is None else (post.T @ self.obs).T)     # (J, T)
        out = []
        for kk in groups:
            items = np.flatnonzero(self.ncat == kk)
            r = np.empty((items.size, post.shape[1], kk))
            r[..., 1:] = np.transpose(rr1[self.offset[items][:, None] + np.arange(kk - 1)],
                                      (0, 2, 1))
            r[..., 0] = nobs[items] - r[..., 1:].sum(axis=2)
            out.append(np.maximum(r, 0.0))
        return out


def _compress(codes: np.ndarray, counts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Unique response patterns and their total weights."""
    w = np.ones(codes.shape[0]) if counts is None else np.asarray(counts, dtype=float)
    if w.shape != (codes.shape[0],) or np.any(w < 0):
        raise InputError("counts", None, "one non-negative weight per response row is required")
    packed = np.ascontiguousarray(codes).view(np.dtype((np.void, codes.dtype.itemsize
                                                        * codes.shape[1]))).ravel()
    _, first, inv = np.unique(packed, return_index=True, return_inverse=True)
    return codes[first], np.bincount(inv.ravel(), weights=w)


def _posterior(design: _Design, logp: np.ndarray, log_w: np.ndarray,
               counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Normalised posterior over nodes (N, T) (scaled by ``counts`` if given) and log marginals."""
    ll = design.loglik(logp)
    ll += log_w
    m = ll.max(axis=1, keepdims=True)
    ll -= m
    np.exp(ll, out=ll)
    s = ll.sum(axis=1)
    scale = 1.0 / s if counts is None else counts / s
    ll *= scale[:, None]
    return ll, np.log(s) + m[:, 0]


# --------------------------------------------------------------------------------------------
# calibration (Bock-Aitkin EM)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    params : ItemParams
        Estimated item parameters (slope-intercept form).
    se : ItemParams
        Standard errors of ``a``, ``d`` and ``g`` in the same layout [same units as the
        parameters]; NaN when not computed.
    loglik : float
        Marginal log-likelihood at the estimates (with the pattern weights) [nat].
    n_iter : int
        EM cycles run.
    converged : bool
        Whether the largest parameter change fell below ``tol``.
    nodes, weights : ndarray
        Quadrature used [SD of theta] and its weights.
    cov : ndarray or None
        Covariance matrix of the free parameters (order: for each item its ``a, d..., g``;
        for "1pl" the common slope first, then the intercepts; "3pl" guessing on the logit
        scale).
    n_respondents : float
        Sum of the pattern weights.
    """

    params: ItemParams
    se: ItemParams
    loglik: float
    n_iter: int
    converged: bool
    nodes: np.ndarray
    weights: np.ndarray
    cov: np.ndarray | None
    n_respondents: float


def _item_probs_jac(model: str, theta: np.ndarray, psi: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Category probabilities (J, T, K) and their Jacobian (J, T, K, p) in working parameters.

    Working parameters per item: 2PL ``(a, d)``; 3PL ``(a, d, logit g)``; GRM
    ``(a, d_1, ..., d_{K-1})``.
    """
    a = psi[:, :1]
    if model == "grm":
        z = a[:, :, None] * theta[None, :, None] + psi[:, None, 1:]          # (J,T,M)
        ps = expit(z)
        jn, tn, mn = ps.shape
        ones, zeros = np.ones((jn, tn, 1)), np.zeros((jn, tn, 1))
        pstar = np.concatenate([ones, ps, zeros], axis=-1)
        w = pstar * (1.0 - pstar)
        p = pstar[..., :-1] - pstar[..., 1:]                                  # (J,T,K)
        dp = np.zeros((jn, tn, mn + 1, mn + 1))
        dp[..., 0] = theta[None, :, None] * (w[..., :-1] - w[..., 1:])
        k = np.arange(1, mn + 1)
        dp[:, :, k, k] = w[..., 1:-1]                 # dP_k/dd_k = W_k
        dp[:, :, k - 1, k] = -w[..., 1:-1]            # dP_{k-1}/dd_k = -W_k
        return p, dp
    z = a * theta[None, :] + psi[:, 1:2]
    s = expit(z)
    sq = s * (1.0 - s)
    if model == "3pl":
        g = expit(psi[:, 2:3])
        p1 = g + (1.0 - g) * s
        d1 = np.stack([(1.0 - g) * sq * theta, (1.0 - g) * sq, (1.0 - s) * g * (1.0 - g)], -1)
    else:
        p1 = s
        d1 = np.stack([sq * theta, sq], axis=-1)
    p = np.stack([1.0 - p1, p1], axis=-1)
    return p, np.stack([-d1, d1], axis=2)


def _item_objective(model: str, theta: np.ndarray, psi: np.ndarray, r: np.ndarray,
                    prior: tuple[float, float] | None) -> tuple[np.ndarray, ...]:
    """Expected complete-data log-likelihood per item, its gradient and Fisher information."""
    p, dp = _item_probs_jac(model, theta, psi)
    valid = np.all(p > 0, axis=(1, 2))
    pc = np.maximum(p, _TINY)
    obj = np.sum(r * np.log(pc), axis=(1, 2))
    grad = np.einsum("jtk,jtkp->jp", r / pc, dp)
    n = r.sum(axis=2)
    info = np.einsum("jt,jtkp,jtkq->jpq", n, dp / pc[..., None], dp)
    if model == "3pl" and prior is not None:
        al, be = prior
        g = expit(psi[:, 2])
        obj = obj + (al - 1.0) * np.log(g) + (be - 1.0) * np.log1p(-g)
        grad[:, 2] += (al - 1.0) * (1.0 - g) - (be - 1.0) * g
        info[:, 2, 2] += (al + be - 2.0) * g * (1.0 - g)
    if model == "grm":
        valid &= np.all(np.diff(psi[:, 1:], axis=1) < 0, axis=1)
    return np.where(valid, obj, -np.inf), grad, info


def _mstep(model: str, theta: np.ndarray, psi: np.ndarray, r: np.ndarray,
           prior: tuple[float, float] | None, common_slope: bool,
           max_newton: int = 50, tol: float = 1e-9) -> np.ndarray:
    """Maximise the expected complete-data log-likelihood by Fisher scoring with step halving."""
    psi = psi.copy()
    for _ in range(max_newton):
        obj, grad, info = _item_objective(model, theta, psi, r, prior)
        if common_slope:
            step = _common_slope_step(grad, info)
        else:
            ridge = 1e-10 * np.eye(psi.shape[1])
            step = np.linalg.solve(info + ridge, grad[..., None])[..., 0]
        step = np.clip(step, -2.0, 2.0)
        t = np.ones(psi.shape[0])
        for _h in range(30):
            cand = psi + t[:, None] * step
            new = _item_objective(model, theta, cand, r, prior)[0]
            worse = (new.sum() < obj.sum() - 1e-12) if common_slope else (new < obj - 1e-12)
            if not np.any(worse):
                break
            t = np.where(worse, t / 2.0, t)
        psi = cand
        if np.max(np.abs(t[:, None] * step)) < tol:
            break
    return psi


def _common_slope_step(grad: np.ndarray, info: np.ndarray) -> np.ndarray:
    """Fisher-scoring step for (common a, d_1..d_J) from per-item 2PL blocks."""
    jn = grad.shape[0]
    h = np.zeros((jn + 1, jn + 1))
    h[0, 0] = info[:, 0, 0].sum()
    h[0, 1:] = h[1:, 0] = info[:, 0, 1]
    h[np.arange(1, jn + 1), np.arange(1, jn + 1)] = info[:, 1, 1]
    gvec = np.concatenate([[grad[:, 0].sum()], grad[:, 1]])
    s = np.linalg.solve(h + 1e-10 * np.eye(jn + 1), gvec)
    return np.column_stack([np.full(jn, s[0]), s[1:]])


def _start_values(model: str, codes: np.ndarray, counts: np.ndarray, ncat: np.ndarray,
                  prior: tuple[float, float] | None) -> list[np.ndarray]:
    """Per-group starting values from the observed category proportions."""
    psis = []
    for kk in _groups(ncat):
        items = np.flatnonzero(ncat == kk)
        obs = codes[:, items] >= 0
        wsum = counts @ obs
        # proportion at or above each category boundary
        cum = np.stack([counts @ (codes[:, items] >= m) / wsum for m in range(1, kk)], axis=1)
        cum = np.clip(cum, 0.01, 0.99)
        if model == "3pl":
            g0 = 0.2 if prior is None else (prior[0] - 1.0) / (prior[0] + prior[1] - 2.0)
            p = np.clip((cum[:, 0] - g0) / (1 - g0), 0.05, 0.95)
            psis.append(np.column_stack([np.ones(items.size), np.log(p / (1 - p)),
                                         np.full(items.size, np.log(g0 / (1 - g0)))]))
        else:
            d = np.log(cum / (1.0 - cum)) * 1.3
            psis.append(np.column_stack([np.ones(items.size), d]))
    return psis


def _groups(ncat: np.ndarray) -> list[int]:
    return sorted(set(int(k) for k in ncat))


def _to_params(model: str, psis: list[np.ndarray], ncat: np.ndarray) -> ItemParams:
    jn = ncat.size
    a, g = np.zeros(jn), np.zeros(jn)
    d = np.full((jn, max(1, int(ncat.max()) - 1)), np.nan)
    for kk, psi in zip(_groups(ncat), psis, strict=True):
        items = np.flatnonzero(ncat == kk)
        a[items] = psi[:, 0]
        d[items, : kk - 1] = psi[:, 1:kk]
        if model == "3pl":
            g[items] = expit(psi[:, 2])
    return ItemParams(model, a, d if model == "grm" else d[:, 0], g)


def calibrate(responses: np.ndarray, model: str = "2pl", *, counts: np.ndarray | None = None,
              n_quad: int = 61, theta_limit: float = 6.0, quadrature_kind: str = "rectangular",
              tol: float = 1e-4, max_iter: int = 2000,
              guess_prior: tuple[float, float] | None = DEFAULT_GUESS_PRIOR,
              se: bool = True) -> Calibration:
    """Marginal maximum-likelihood item calibration by the Bock-Aitkin EM algorithm.

    Parameters
    ----------
    responses : array_like, shape (N, J)
        Category codes (0/1 for the dichotomous models, ``0 .. K-1`` for "grm"); NaN or -1 for
        a missing or not-presented response, which simply drops out of the likelihood (ignorable
        missingness, as in adaptive testing).
    model : {"1pl", "2pl", "3pl", "grm"}
        Response model. For "grm" the number of categories of an item is its largest observed
        code + 1, and every category must be observed.
    counts : array_like, shape (N,), optional
        Frequency weight of each row (response-pattern counts) [respondents]; default 1.
    n_quad : int
        Number of quadrature nodes (61, as R mirt for one factor).
    theta_limit : float
        Rectangular quadrature range ``[-theta_limit, theta_limit]`` [SD of theta].
    quadrature_kind : {"rectangular", "gauss-hermite"}
        See :func:`quadrature`.
    tol : float
        Convergence when the largest absolute change of any working parameter in one EM cycle is
        below ``tol`` (the criterion, and default, of R mirt).
    max_iter : int
        Maximum number of EM cycles.
    guess_prior : (float, float) or None
        "3pl" only: Beta(alpha, beta) prior on the lower asymptote (a posterior-mode estimate);
        None for plain maximum likelihood, which is often unstable for the 3PL.
    se : bool
        Compute standard errors (2 extra E-steps per free parameter).

    Returns
    -------
    Calibration
        Estimates, standard errors, marginal log-likelihood and diagnostics.

    Notes
    -----
    With nodes :math:`\\theta_q` and weights :math:`w_q` (N(0,1)), the E-step computes for each
    response pattern :math:`i` (weight :math:`n_i`) the posterior
    :math:`\\pi_{iq} = w_q L_i(\\theta_q) / \\sum_r w_r L_i(\\theta_r)`, with
    :math:`L_i(\\theta) = \\prod_{j \\text{ observed}} P_j(y_{ij} \\mid \\theta)`, and the expected
    counts :math:`\\bar r_{jkq} = \\sum_i n_i \\pi_{iq} [y_{ij} = k]` (two matrix products over
    the one-hot response matrix). The M-step maximises
    :math:`\\sum_{q,k} \\bar r_{jkq} \\log P_j(k \\mid \\theta_q)` item by item by Fisher scoring
    (Bock & Aitkin 1981, Eqs. 7-9). The marginal log-likelihood is
    :math:`\\ell = \\sum_i n_i \\log \\sum_q w_q L_i(\\theta_q)`.

    Standard errors come from the inverse of the observed information, the negative Hessian of
    :math:`\\ell` (plus the log prior for the 3PL). The score of :math:`\\ell` is computed
    analytically by Fisher's identity (the M-step gradient evaluated at the E-step counts of the
    same parameters) and differentiated by central differences, which is Oakes' (1999) identity
    evaluated numerically (as R mirt's ``SE.type = "Oakes"``).

    "1pl" estimates one common slope with ``theta ~ N(0, 1)``; this is the Rasch model
    ``logit P = theta* - b*`` with ``theta* = a*theta ~ N(0, a^2)`` and ``b* = -d``, so the
    Rasch difficulties and latent SD follow directly.

    References
    ----------
    Bock, R. D. & Aitkin, M. (1981). Marginal maximum likelihood estimation of item parameters:
    application of an EM algorithm. *Psychometrika* 46, 443-459.
    Oakes, D. (1999). Direct calculation of the information matrix via the EM algorithm.
    *J. R. Stat. Soc. B* 61, 479-482.
    Chalmers, R. P. (2012). mirt: a multidimensional item response theory package for the R
    environment. *J. Stat. Softw.* 48(6).
    """
    if model not in MODELS:
        raise InputError("calibrate", "argument 'model'",
                         f"{model!r} is not one of {', '.join(MODELS)}")
    codes = response_codes(responses)
    pats, w = _compress(codes, counts)
    keep = w > 0
    pats, w = pats[keep], w[keep]
    ncat = _check_categories(pats, w, model)
    design = _Design(pats, ncat)
    nodes, qw = quadrature(n_quad, theta_limit, quadrature_kind)
    log_qw = np.log(qw)
    groups = _groups(ncat)
    gmodel = "2pl" if model == "1pl" else model
    prior = guess_prior if model == "3pl" else None
    psis = _start_values(gmodel, pats, w, ncat, prior)
    if model == "1pl":
        psis[0][:, 0] = 1.0

    def expected(psis: list[np.ndarray]) -> tuple[list[np.ndarray], float]:
        logp = log_category_probs(nodes, _to_params(model, psis, ncat))
        post, lmarg = _posterior(design, logp, log_qw, w)
        return design.counts(post, groups), float(w @ lmarg)

    converged, it = False, 0
    for it in range(1, max_iter + 1):  # noqa: B007
        rs, _ = expected(psis)
        new = [_mstep(gmodel, nodes, p, r, prior, model == "1pl") for p, r in zip(psis, rs,
                                                                                    strict=True)]
        change = max(float(np.max(np.abs(n - p))) for n, p in zip(new, psis, strict=True))
        psis = new
        if change < tol:
            converged = True
            break
    params = _to_params(model, psis, ncat)
    _, loglik = expected(psis)

    cov = None
    se_params = ItemParams(model, np.full(params.n_items, np.nan), np.full_like(params.d, np.nan),
                           np.full(params.n_items, np.nan))
    if se:
        cov, se_params = _standard_errors(model, gmodel, psis, ncat, nodes, expected, prior)
    return Calibration(params, se_params, loglik, it, converged, nodes, qw, cov, float(w.sum()))


def _check_categories(pats: np.ndarray, w: np.ndarray, model: str) -> np.ndarray:
    """Number of categories per item, validated against the model."""
    if np.any(np.all(pats < 0, axis=0)):
        bad = np.flatnonzero(np.all(pats < 0, axis=0))
        raise InputError("responses", f"items {bad.tolist()}", "no observed responses")
    ncat = pats.max(axis=0).astype(int) + 1
    if model != "grm" and np.any(ncat > 2):
        bad = np.flatnonzero(ncat > 2)
        raise InputError("responses", f"items {bad.tolist()}",
                         f"codes above 1; model {model!r} needs 0/1 responses (use 'grm')")
    ncat = np.maximum(ncat, 2) if model != "grm" else ncat
    for j in range(pats.shape[1]):
        seen = np.bincount(pats[pats[:, j] >= 0, j], weights=w[pats[:, j] >= 0],
                           minlength=ncat[j])
        if np.any(seen <= 0):
            raise InputError("responses", f"item {j}",
                             f"category {int(np.flatnonzero(seen <= 0)[0])} never observed; its "
                             "parameters cannot be estimated")
    return ncat


def _standard_errors(model: str, gmodel: str, psis: list[np.ndarray], ncat: np.ndarray,
                     nodes: np.ndarray, expected: Callable,
                     prior: tuple[float, float] | None) -> tuple[np.ndarray | None, ItemParams]:
    """Observed-information standard errors by central differences of the Fisher score."""
    common = model == "1pl"
    shapes = [p.shape for p in psis]

    def flat(ps: list[np.ndarray]) -> np.ndarray:
        if common:
            return np.concatenate([[ps[0][0, 0]], ps[0][:, 1]])
        return np.concatenate([p.ravel() for p in ps])

    def unflat(v: np.ndarray) -> list[np.ndarray]:
        if common:
            return [np.column_stack([np.full(v.size - 1, v[0]), v[1:]])]
        out, i = [], 0
        for s in shapes:
            out.append(v[i:i + s[0] * s[1]].reshape(s))
            i += s[0] * s[1]
        return out

    def score(v: np.ndarray) -> np.ndarray:
        ps = unflat(v)
        rs, _ = expected(ps)
        grads = [_item_objective(gmodel, nodes, p, r, prior)[1] for p, r in zip(ps, rs,
                                                                                   strict=True)]
        if common:
            return np.concatenate([[grads[0][:, 0].sum()], grads[0][:, 1]])
        return np.concatenate([gr.ravel() for gr in grads])

    v0 = flat(psis)
    h = 1e-4 * np.maximum(1.0, np.abs(v0))
    hess = np.empty((v0.size, v0.size))
    for i in range(v0.size):
        e = np.zeros_like(v0)
        e[i] = h[i]
        hess[:, i] = (score(v0 + e) - score(v0 - e)) / (2.0 * h[i])
    hess = 0.5 * (hess + hess.T)
    try:
        cov = np.linalg.inv(-hess)
        var = np.diag(cov).copy()
    except np.linalg.LinAlgError:
        cov, var = None, np.full(v0.size, np.nan)
    sd = np.sqrt(np.where(var > 0, var, np.nan))
    if model == "3pl":  # delta method from logit g to g
        g = expit(v0[2::3])
        sd[2::3] = sd[2::3] * g * (1.0 - g)
    se_psis = unflat(sd)
    if model == "3pl":
        se_params = _to_params("2pl", [p[:, :2] for p in se_psis], ncat)
        se_params = ItemParams("3pl", se_params.a, se_params.d, se_psis[0][:, 2])
    else:
        se_params = _to_params(gmodel, se_psis, ncat)
        se_params = ItemParams(model, se_params.a, se_params.d, np.full(ncat.size, np.nan))
    return cov, se_params


def marginal_loglik(responses: np.ndarray, params: ItemParams, *,
                    counts: np.ndarray | None = None, n_quad: int = 61, theta_limit: float = 6.0,
                    quadrature_kind: str = "rectangular") -> float:
    """Marginal log-likelihood of response data under given item parameters.

    Parameters
    ----------
    responses : array_like, shape (N, J)
        Category codes, NaN or -1 for missing.
    params : ItemParams
        Item parameters.
    counts : array_like, shape (N,), optional
        Pattern weights [respondents].
    n_quad, theta_limit, quadrature_kind
        Quadrature, see :func:`quadrature`.

    Returns
    -------
    float
        :math:`\\sum_i n_i \\log \\sum_q w_q L_i(\\theta_q)` [nat].
    """
    codes = response_codes(responses)
    w = np.ones(codes.shape[0]) if counts is None else np.asarray(counts, dtype=float)
    nodes, qw = quadrature(n_quad, theta_limit, quadrature_kind)
    design = _Design(codes, params.n_categories)
    _, lm = _posterior(design, log_category_probs(nodes, params), np.log(qw))
    return float(w @ lm)


# --------------------------------------------------------------------------------------------
# person scoring
# --------------------------------------------------------------------------------------------


def eap(responses: np.ndarray, params: ItemParams, *, n_quad: int = 61,
        theta_limit: float = 6.0, quadrature_kind: str = "rectangular", prior_mean: float = 0.0,
        prior_sd: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Expected a posteriori (EAP) trait estimates and posterior standard deviations.

    Parameters
    ----------
    responses : array_like, shape (N, J) or (J,)
        Category codes, NaN or -1 for missing / not presented.
    params : ItemParams
        Item parameters.
    n_quad, theta_limit, quadrature_kind
        Quadrature, see :func:`quadrature`.
    prior_mean, prior_sd : float
        Normal prior of theta [SD of theta].

    Returns
    -------
    theta : ndarray, shape (N,)
        Posterior means [SD of theta].
    se : ndarray, shape (N,)
        Posterior standard deviations [SD of theta].

    Notes
    -----
    :math:`\\hat\\theta = \\sum_q \\theta_q w_q L(\\theta_q) / \\sum_q w_q L(\\theta_q)`,
    :math:`SE^2 = \\sum_q (\\theta_q - \\hat\\theta)^2 w_q L(\\theta_q) / \\sum_q w_q L(\\theta_q)`
    (Bock & Mislevy 1982).

    References
    ----------
    Bock, R. D. & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a microcomputer
    environment. *Applied Psychological Measurement* 6, 431-444.
    """
    codes = response_codes(responses)
    nodes, qw = quadrature(n_quad, theta_limit, quadrature_kind, prior_mean, prior_sd)
    design = _Design(codes, params.n_categories)
    post, _ = _posterior(design, log_category_probs(nodes, params), np.log(qw))
    mean = post @ nodes
    var = post @ nodes ** 2 - mean ** 2
    return mean, np.sqrt(np.maximum(var, 0.0))


def _obs_derivs(theta: np.ndarray, codes: np.ndarray, params: ItemParams
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-likelihood of each person (N,) and its first two theta-derivatives."""
    obs = codes >= 0
    y = np.where(obs, codes, 0)
    a = params.a
    if params.model == "grm":
        jn = params.n_items
        dpad = np.concatenate([np.full((jn, 1), np.inf), params.d, np.full((jn, 1), -np.inf)], 1)
        dpad = np.where(np.isnan(dpad), -np.inf, dpad)
        jj = np.arange(jn)[None, :]
        d_lo, d_hi = dpad[jj, y], dpad[jj, y + 1]
        z_lo, z_hi = theta[:, None] * a + d_lo, theta[:, None] * a + d_hi
        p_lo, p_hi = expit(z_lo), expit(z_hi)
        w_lo, w_hi = p_lo * (1 - p_lo), p_hi * (1 - p_hi)
        p = p_lo - p_hi
        d1 = a * (w_lo - w_hi)
        d2 = a * a * (w_lo * (1 - 2 * p_lo) - w_hi * (1 - 2 * p_hi))
    else:
        s = expit(theta[:, None] * a + params.d)
        g = params.g
        sgn = np.where(y == 1, 1.0, -1.0)
        p1 = g + (1 - g) * s
        p = np.where(y == 1, p1, 1.0 - p1)
        d1 = sgn * (1 - g) * a * s * (1 - s)
        d2 = sgn * (1 - g) * a * a * s * (1 - s) * (1 - 2 * s)
    p = np.maximum(p, _TINY)
    ll = np.where(obs, np.log(p), 0.0).sum(1)
    g1 = np.where(obs, d1 / p, 0.0).sum(1)
    g2 = np.where(obs, d2 / p - (d1 / p) ** 2, 0.0).sum(1)
    return ll, g1, g2


def map_theta(responses: np.ndarray, params: ItemParams, *, prior_mean: float = 0.0,
              prior_sd: float = 1.0, theta_limit: float = 6.0, max_iter: int = 50,
              tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Maximum a posteriori (MAP, Bayes modal) trait estimates with standard errors.

    Parameters
    ----------
    responses : array_like, shape (N, J) or (J,)
        Category codes, NaN or -1 for missing / not presented.
    params : ItemParams
        Item parameters.
    prior_mean, prior_sd : float
        Normal prior of theta [SD of theta].
    theta_limit : float
        Estimates are kept within ``[-theta_limit, theta_limit]`` [SD of theta].
    max_iter : int
        Maximum Newton-Raphson iterations.
    tol : float
        Convergence on the Newton step [SD of theta].

    Returns
    -------
    theta : ndarray, shape (N,)
        Posterior modes [SD of theta].
    se : ndarray, shape (N,)
        ``1 / sqrt(-d^2 log posterior / d theta^2)`` at the mode [SD of theta].

    Notes
    -----
    Maximises :math:`\\log L(\\theta) - (\\theta - \\mu)^2 / (2\\sigma^2)` by Newton-Raphson
    with step halving, started at the best point of a 0.1-spaced grid (which guards against the
    local maxima of 3PL likelihoods). The standard error is the inverse square root of the
    observed posterior information :math:`-\\partial^2 \\log L / \\partial\\theta^2 +
    1/\\sigma^2`; where that is not positive the expected test information is used instead.

    References
    ----------
    Baker, F. B. & Kim, S.-H. (2004). *Item Response Theory: Parameter Estimation Techniques*,
    2nd ed., section 7.
    """
    codes = response_codes(responses)
    var = prior_sd ** 2

    def logpost(th: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ll, g1, g2 = _obs_derivs(th, codes, params)
        return ll - (th - prior_mean) ** 2 / (2 * var), g1 - (th - prior_mean) / var, g2 - 1 / var

    grid = np.arange(-theta_limit, theta_limit + 1e-9, 0.1)
    lg = _Design(codes, params.n_categories).loglik(log_category_probs(grid, params))
    lg -= (grid - prior_mean) ** 2 / (2 * var)
    th = grid[np.argmax(lg, axis=1)]
    for _ in range(max_iter):
        f, g1, g2 = logpost(th)
        step = np.where(g2 < 0, -g1 / np.where(g2 < 0, g2, -1.0), np.sign(g1) * 0.1)
        step = np.clip(step, -1.0, 1.0)
        t = np.ones_like(th)
        for _h in range(20):
            cand = np.clip(th + t * step, -theta_limit, theta_limit)
            worse = logpost(cand)[0] < f - 1e-12
            if not np.any(worse):
                break
            t = np.where(worse, t / 2, t)
        cand = np.where(worse, th, cand)
        done = np.max(np.abs(cand - th)) < tol
        th = cand
        if done:
            break
    _, _, g2 = logpost(th)
    info = -g2
    expected = np.where(codes >= 0, item_information(th, params).reshape(codes.shape), 0).sum(1)
    info = np.where(info > 0, info, expected + 1 / var)
    return th, 1.0 / np.sqrt(info)


def lord_wingersky(params: ItemParams, nodes: np.ndarray) -> np.ndarray:
    """Likelihood of each summed score at each node, by the Lord-Wingersky recursion.

    Parameters
    ----------
    params : ItemParams
        Item parameters (all items presented; item score = category code).
    nodes : ndarray, shape (T,)
        Trait values [SD of theta].

    Returns
    -------
    ndarray, shape (S + 1, T)
        ``P(sum score = s | theta_t)`` [probability], ``S`` the maximum summed score.

    Notes
    -----
    :math:`L_s^{(j)}(\\theta) = \\sum_k L_{s-k}^{(j-1)}(\\theta) P_j(k \\mid \\theta)`.

    References
    ----------
    Lord, F. M. & Wingersky, M. S. (1984). Comparison of IRT true-score and equipercentile
    observed-score "equatings". *Applied Psychological Measurement* 8, 453-461.
    Thissen, D., Pommerich, M., Billeaud, K. & Williams, V. S. L. (1995). Item response theory
    for scores on tests including polytomous items with ordered responses. *Applied
    Psychological Measurement* 19, 39-49.
    """
    p = category_probs(nodes, params)            # (T, J, K)
    ncat = params.n_categories
    like = np.ones((1, nodes.size))
    for j in range(params.n_items):
        kk = int(ncat[j])
        new = np.zeros((like.shape[0] + kk - 1, nodes.size))
        for k in range(kk):
            new[k:k + like.shape[0]] += like * p[:, j, k]
        like = new
    return like


def sum_score_eap(params: ItemParams, *, n_quad: int = 61, theta_limit: float = 6.0,
                  quadrature_kind: str = "rectangular", prior_mean: float = 0.0,
                  prior_sd: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """EAP trait estimate for each summed score (a score-conversion table).

    Parameters
    ----------
    params : ItemParams
        Item parameters; the summed score is the sum of the category codes of all items.
    n_quad, theta_limit, quadrature_kind
        Quadrature, see :func:`quadrature`.
    prior_mean, prior_sd : float
        Normal prior of theta [SD of theta].

    Returns
    -------
    score : ndarray of int, shape (S + 1,)
        Summed scores ``0 .. S``.
    theta : ndarray, shape (S + 1,)
        EAP[theta | score] [SD of theta].
    se : ndarray, shape (S + 1,)
        Posterior SD [SD of theta].
    prob : ndarray, shape (S + 1,)
        Model-implied marginal probability of each score.

    Notes
    -----
    :math:`E[\\theta \\mid s] = \\sum_q \\theta_q L_s(\\theta_q) w_q / \\sum_q L_s(\\theta_q)
    w_q` with :math:`L_s` from :func:`lord_wingersky` (Thissen et al. 1995, Eq. 6).
    """
    nodes, qw = quadrature(n_quad, theta_limit, quadrature_kind, prior_mean, prior_sd)
    joint = lord_wingersky(params, nodes) * qw
    prob = joint.sum(axis=1)
    post = joint / prob[:, None]
    mean = post @ nodes
    sd = np.sqrt(np.maximum(post @ nodes ** 2 - mean ** 2, 0.0))
    return np.arange(prob.size), mean, sd, prob


def wle_theta(responses: np.ndarray, a: np.ndarray, d: np.ndarray, *, theta_limit: float = 6.0,
              tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Warm's weighted likelihood estimates (WLE) of the trait under the 2PL, with SEs.

    Parameters
    ----------
    responses : array_like, shape (N, J)
        0/1 responses; NaN or -1 where an item was not presented.
    a, d : array_like, shape (J,)
        Slopes [logit per SD of theta] and intercepts [logit].
    theta_limit : float
        Estimates are kept within ``[-theta_limit, theta_limit]`` [SD of theta].
    tol : float
        Width of the final bisection bracket [SD of theta].

    Returns
    -------
    theta, se : ndarray, shape (N,)
        The WLE and ``1 / sqrt(I(theta))`` [SD of theta]; NaN for a person with no response.

    Notes
    -----
    The WLE solves Warm (1989), Eq. (9), for the 2PL:

    .. math:: \\sum_j a_j (x_j - P_j) + \\frac{J(\\theta)}{2 I(\\theta)} = 0,\\quad
              I = \\sum_j a_j^2 P_j Q_j,\\quad J = \\sum_j a_j^3 P_j Q_j (1 - 2 P_j),

    which for the 2PL is the mode of ``L(theta) * sqrt(I(theta))`` (a Jeffreys prior). Unlike
    EAP and MAP it is not pulled towards a prior mean, so the mean of WLE differences between
    two occasions estimates the mean change of the trait without shrinkage, and a perfect or
    zero score still has a finite estimate. Solved by bisection on the score function.

    References
    ----------
    Warm, T. A. (1989). Weighted likelihood estimation of ability in item response theory.
    *Psychometrika* 54(3), 427-450.
    """
    x = np.atleast_2d(np.asarray(responses, dtype=float))
    x = np.where(x < 0, np.nan, x)
    seen = np.isfinite(x)
    xs = np.where(seen, x, 0.0)
    a = np.asarray(a, dtype=float)
    d = np.asarray(d, dtype=float)

    def score(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = expit(th[:, None] * a + d)
        pq = np.where(seen, p * (1 - p), 0.0)
        info = (a ** 2 * pq).sum(axis=1)
        j = (a ** 3 * pq * (1 - 2 * p)).sum(axis=1)
        s = (np.where(seen, a * (xs - p), 0.0)).sum(axis=1) + j / (2 * np.maximum(info, _TINY))
        return s, info

    n = x.shape[0]
    lo = np.full(n, -theta_limit)
    hi = np.full(n, theta_limit)
    s_lo, _ = score(lo)
    s_hi, _ = score(hi)
    for _ in range(int(np.ceil(np.log2(2 * theta_limit / tol)))):
        mid = 0.5 * (lo + hi)
        s_mid, _ = score(mid)
        up = s_mid > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    theta = 0.5 * (lo + hi)
    theta = np.where(s_lo <= 0, -theta_limit, np.where(s_hi >= 0, theta_limit, theta))
    _, info = score(theta)
    none = ~seen.any(axis=1)
    theta = np.where(none, np.nan, theta)
    se = np.where(none | (info <= 0), np.nan, 1 / np.sqrt(np.maximum(info, _TINY)))
    return theta, se
