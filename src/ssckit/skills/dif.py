"""Differential item functioning: the Mantel-Haenszel procedure with the ETS A/B/C classes.

An item shows DIF when people of equal skill but from different groups (test language, age
group, sex) have different chances of answering it correctly. People are matched on a score
(the total score of the form, or strata of the trait estimate for adaptive tests); within each
score stratum a 2 x 2 table (group x right/wrong) is formed and the tables are pooled.

Pure computation: NumPy in, NumPy out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2, norm

#: ETS delta scale: D = -2.35 ln(alpha_MH) (Holland & Thayer 1988).
DELTA_PER_LOGIT = -2.35
#: Class thresholds on |MH D-DIF| [delta units] (Zwick 2012, Table 1).
B_THRESHOLD, C_THRESHOLD = 1.0, 1.5
ETS_CLASSES = {
    "A": "negligible: |D| < 1 or not significantly different from 0",
    "B": "slight to moderate",
    "C": "moderate to large: |D| >= 1.5 and significantly greater than 1",
    "-": "not classified: fewer answers than the minimum in a group",
}


@dataclass(frozen=True)
class ItemDIF:
    """The Mantel-Haenszel DIF statistics of one item.

    ``alpha`` is the common odds ratio (reference over focal; > 1 favours the reference
    group), ``d_dif`` the ETS delta ``-2.35 ln alpha`` (negative: the item is harder for the
    focal group than for reference-group people of the same score), ``se_d`` its standard
    error, ``chi2``/``p`` the MH test of no DIF (continuity-corrected, 1 df).
    """

    item: str
    n_reference: int
    n_focal: int
    alpha: float
    d_dif: float
    se_d: float
    chi2: float
    p: float
    ets_class: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mantel_haenszel(tables: np.ndarray) -> tuple[float, float, float, float]:
    """Common odds ratio, SE of its log, MH chi-square and p over K 2 x 2 tables.

    Parameters
    ----------
    tables : array_like, shape (K, 2, 2)
        ``tables[k] = [[A, B], [C, D]]``: reference right/wrong, focal right/wrong in
        stratum k [people]. Strata with fewer than 2 people carry no information.

    Returns
    -------
    alpha, se_log_alpha, chi2, p : float

    Notes
    -----
    ``alpha = sum(A D / T) / sum(B C / T)`` (Mantel & Haenszel 1959); the variance of
    ``ln alpha`` by Robins, Breslow & Greenland (1986), Eq. (13); the chi-square
    ``(|sum A - sum E(A)| - 1/2)^2 / sum Var(A)`` with ``E(A) = n_R m_1 / T`` and
    ``Var(A) = n_R n_F m_1 m_0 / (T^2 (T - 1))``.
    """
    t = np.asarray(tables, dtype=float).reshape(-1, 2, 2)
    a, b, c, d = t[:, 0, 0], t[:, 0, 1], t[:, 1, 0], t[:, 1, 1]
    tot = a + b + c + d
    keep = tot >= 2
    a, b, c, d, tot = a[keep], b[keep], c[keep], d[keep], tot[keep]
    r, s = a * d / tot, b * c / tot
    rs, ss = r.sum(), s.sum()
    if rs <= 0 or ss <= 0:
        alpha, se = (np.inf if ss <= 0 < rs else 0.0 if rs <= 0 < ss else np.nan), np.nan
    else:
        alpha = rs / ss
        pp, qq = (a + d) / tot, (b + c) / tot
        var = ((pp * r).sum() / (2 * rs ** 2) + (pp * s + qq * r).sum() / (2 * rs * ss)
               + (qq * s).sum() / (2 * ss ** 2))
        se = float(np.sqrt(var))
    n_r, n_f, m1, m0 = a + b, c + d, a + c, b + d
    expected = n_r * m1 / tot
    variance = n_r * n_f * m1 * m0 / (tot ** 2 * (tot - 1))
    v = variance.sum()
    if v <= 0:
        return float(alpha), se, np.nan, np.nan
    stat = (abs(a.sum() - expected.sum()) - 0.5) ** 2 / v
    return float(alpha), se, float(stat), float(chi2.sf(stat, 1))


def ets_class(d_dif: float, se_d: float, p: float, level: float = 0.05) -> str:
    """ETS DIF class of an item from its MH D-DIF [delta units], SE and MH test p-value.

    A: ``|D| < 1`` or the MH test not significant at ``level``; C: ``|D| >= 1.5`` and
    ``|D|`` significantly greater than 1 (one-sided z test at ``level``); B: otherwise
    (Zwick 2012, ETS RR-12-08, p. 5; Dorans & Holland 1993).
    """
    if np.isnan(d_dif) or not (p < level):
        return "A"
    if np.isinf(d_dif):  # one group answered every matched table one way: as large as it gets
        return "C"
    size = abs(d_dif)
    if size < B_THRESHOLD:
        return "A"
    if size >= C_THRESHOLD and np.isfinite(se_d) and se_d > 0 \
            and (size - B_THRESHOLD) / se_d > norm.ppf(1 - level):
        return "C"
    return "B"


def dif_mantel_haenszel(responses: np.ndarray, focal: np.ndarray, items: list[str],
                        matching: np.ndarray | None = None, level: float = 0.05,
                        min_n: int = 0) -> list[ItemDIF]:
    """Mantel-Haenszel DIF of every item between a reference and a focal group.

    Parameters
    ----------
    responses : array_like, shape (N, J)
        0/1 answers, NaN where an item was not presented.
    focal : array_like of bool, shape (N,)
        True for the focal group, False for the reference group.
    items : list of str
        Item names (J).
    matching : array_like, shape (N,), optional
        Stratum of each person (e.g. strata of a trait estimate for an adaptive test). By
        default the total score over all J items, which suits a fixed form with every item
        answered (the studied item included, as ETS does).
    level : float
        Significance level of the ETS classification.
    min_n : int
        An item answered by fewer people than this in either group is not classified (class
        ``"-"``): on a few answers a large D is mostly chance.

    Returns
    -------
    list of ItemDIF, in the order of ``items``.

    References
    ----------
    Holland, P. W. & Thayer, D. T. (1988). Differential item performance and the
    Mantel-Haenszel procedure. In Wainer & Braun (eds.), *Test Validity*, 129-145.
    Zwick, R. (2012). A review of ETS differential item functioning assessment procedures.
    ETS Research Report RR-12-08.
    """
    x = np.asarray(responses, dtype=float)
    f = np.asarray(focal, dtype=bool)
    strata = (np.nansum(x, axis=1) if matching is None else np.asarray(matching))
    _, code = np.unique(strata, return_inverse=True)
    k = int(code.max()) + 1 if code.size else 0
    out = []
    for j, name in enumerate(items):
        seen = np.isfinite(x[:, j])
        right = seen & (x[:, j] == 1)
        wrong = seen & (x[:, j] == 0)
        tables = np.zeros((k, 2, 2))
        for g, grp in enumerate((~f, f)):
            tables[:, g, 0] = np.bincount(code[right & grp], minlength=k)
            tables[:, g, 1] = np.bincount(code[wrong & grp], minlength=k)
        alpha, se, stat, p = mantel_haenszel(tables)
        d_dif = DELTA_PER_LOGIT * np.log(alpha) if alpha > 0 else np.inf
        se_d = abs(DELTA_PER_LOGIT) * se
        n_ref, n_foc = int((seen & ~f).sum()), int((seen & f).sum())
        cls = "-" if min(n_ref, n_foc) < min_n else ets_class(float(d_dif), float(se_d), p,
                                                               level)
        out.append(ItemDIF(name, n_ref, n_foc, float(alpha), float(d_dif), float(se_d), stat,
                           p, cls))
    return out
