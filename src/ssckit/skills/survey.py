"""Design-based survey estimation: means, proportions and totals by domain, with Taylor or
replicate-weight variances, for ICT-skill indicators (SDG 4.4.1) by population group.

Two kinds of design:

* :class:`Design` -- stratified multi-stage sample described by its weights, strata, first-stage
  units (PSUs) and finite-population correction. Variances by Taylor linearisation with the
  with-replacement ("ultimate cluster") approximation at the first stage, which is what R
  ``survey::svydesign`` does by default (later stages contribute through the PSU totals).
* :class:`ReplicateDesign` -- full-sample weights plus replicate weights (JK1, JKn, BRR, Fay's
  BRR, bootstrap), with the scale factors of R ``survey::svrepdesign``.

:func:`estimate` computes a statistic for every domain at once with grouped sums (``bincount``
and sparse indicator products, no loop over rows or domains). Domains are estimated as domains,
never by dropping rows: a domain mean is the ratio of two full-sample totals, and its variance
uses the whole design, with PSUs in which the domain is absent contributing zero totals (as R
``svyby`` does). :func:`difference` gives the difference between two domains with a standard
error that includes their covariance from the same linearisation or replicates.

Conventions, and where they come from:

* Confidence intervals use Student t with the design degrees of freedom: number of PSUs minus
  number of strata for :class:`Design` (R ``degf(svydesign)``); rank of the replicate-weight
  matrix minus one for :class:`ReplicateDesign` (R ``degf(svrepdesign)``), unless given.
* ``stat="prop"`` gives the logit interval of R ``svyciprop(method="logit")``; ``"mean"`` and
  ``"total"`` give Wald intervals.
* ``deff`` is the design effect against simple random sampling *without* replacement of the
  same number of units, as R ``deff=TRUE`` computes it (Kish's n/(n-1) element variance).
* Replicate variances are centred on the mean of the replicate estimates (``mse=False``, the
  default of R's ``survey.replicates.mse`` option); ``mse=True`` centres on the full-sample
  estimate.
* Row numbers in error messages are 0-based positions in the input arrays.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ssckit.core.errors import InputError

__all__ = [
    "Design",
    "Difference",
    "EstimateTable",
    "LONELY_PSU_RULES",
    "LonelyPSUWarning",
    "REPLICATE_METHODS",
    "ReplicateDesign",
    "STATISTICS",
    "SurveyInputError",
    "SurveyWarning",
    "difference",
    "estimate",
]

#: Rules for strata with a single PSU, as R's ``options(survey.lonely.psu=...)``.
LONELY_PSU_RULES = ("fail", "remove", "certainty", "adjust", "average")
#: Replicate-weight methods, as R ``svrepdesign(type=...)``.
REPLICATE_METHODS = ("JK1", "JKn", "BRR", "Fay", "bootstrap")
#: Statistics that :func:`estimate` computes.
STATISTICS = ("mean", "prop", "total")

Stat = Literal["mean", "prop", "total"]

# Above this many (PSU x domain) cells the Taylor variance works on the occupied cells only
# (sorted keys) instead of a dense PSU x domain table.
_DENSE_CELL_LIMIT = 1 << 24
# Rows listed by name in an error message before "and N more".
_ROWS_SHOWN = 5


class SurveyWarning(UserWarning):
    """A choice the estimator made for you that changes a variance (always worth reading)."""


class LonelyPSUWarning(SurveyWarning):
    """Strata with a single PSU were handled by the chosen ``lonely_psu`` rule."""


class SurveyInputError(InputError, ValueError):
    """Survey input that cannot be accepted; names the field and the rows."""

    def __init__(self, location: str | None, message: str, source: str = "survey design") -> None:
        super().__init__(source, location, message)


# --------------------------------------------------------------------------- input checks


def _rows_text(rows: NDArray[np.intp]) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:_ROWS_SHOWN])
    more = f" and {rows.size - _ROWS_SHOWN} more" if rows.size > _ROWS_SHOWN else ""
    word = "row" if rows.size == 1 else "rows"
    return f"{word} {shown}{more}"


def _missing(values: NDArray[Any]) -> NDArray[np.bool_]:
    """Missing entries of a 1-D array: NaN for floats; None or NaN for object arrays."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return np.equal(values, None) | np.not_equal(values, values)
    return np.zeros(values.shape, dtype=bool)


def _vector(values: ArrayLike, field: str, n: int | None, source: str) -> NDArray[Any]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise SurveyInputError(f"field '{field}'", f"must be one-dimensional, got shape "
                               f"{arr.shape}", source)
    if n is not None and arr.shape[0] != n:
        raise SurveyInputError(f"field '{field}'", f"has {arr.shape[0]} rows, the design has "
                               f"{n}", source)
    bad = np.flatnonzero(_missing(arr))
    if bad.size:
        raise SurveyInputError(f"field '{field}', {_rows_text(bad)}", "missing value (NaN or "
                               "None) in a design variable", source)
    return arr


def _float_vector(values: ArrayLike, field: str, n: int | None, source: str) -> NDArray[np.float64]:
    arr = _vector(values, field, n, source)
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise SurveyInputError(f"field '{field}'", "must be numeric", source) from exc
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        raise SurveyInputError(f"field '{field}', {_rows_text(bad)}", "must be finite", source)
    return out


def _positive_weights(values: ArrayLike, field: str, n: int | None,
                      source: str) -> NDArray[np.float64]:
    w = _float_vector(values, field, n, source)
    bad = np.flatnonzero(w <= 0)
    if bad.size:
        raise SurveyInputError(f"field '{field}', {_rows_text(bad)}", "weights must be > 0 "
                               f"(got {w[bad[0]]:g}); drop out-of-sample rows before estimation",
                               source)
    return w


def _codes(values: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """Sorted distinct values and the 0-based code of each row."""
    uniq, inv = np.unique(values, return_inverse=True)
    return uniq, inv.reshape(-1).astype(np.intp)


def _label(value: Any) -> str:
    return str(value.item() if isinstance(value, np.generic) else value)


# --------------------------------------------------------------------------- designs


class Design:
    """Stratified multi-stage sample design for Taylor-linearisation variances.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Sampling weights (inverse inclusion probabilities) [persons per respondent], all > 0.
    strata : array_like, shape (n,), optional
        First-stage stratum of each row (any hashable codes). None: one stratum.
    psu : array_like, shape (n,), optional
        First-stage sampling unit (cluster) of each row. None: every row is its own PSU.
    fpc : array_like, shape (n,), optional
        Finite-population correction, constant within a stratum: the number of PSUs in the
        stratum's population [PSUs], or, when every value is <= 1, the first-stage sampling
        fraction [-] (R ``svydesign(fpc=)`` reads it the same way). None: with replacement.
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}
        Rule for a stratum with one PSU, as R ``options(survey.lonely.psu=)``: ``"fail"``
        raises naming the strata; ``"remove"`` and ``"certainty"`` give the stratum no variance
        contribution; ``"adjust"`` centres its PSU total on the mean PSU total of the whole
        sample (R >= 4.2) instead of the stratum mean; ``"average"`` replaces its
        contribution by the average of the other strata. Any rule other than ``"fail"`` emits
        :class:`LonelyPSUWarning` naming the strata.
    nest : bool
        True when PSU codes are numbered within strata (the same code in two strata means two
        PSUs), as R ``svydesign(nest=TRUE)``. False: a PSU code in two strata is an error.

    Notes
    -----
    The variance of an estimated total of a linearised variable z is (Wolter 2007, eq. 6.2.1)

        v = sum_h (1 - f_h) n_h / (n_h - 1) sum_i (z_hi - zbar_h)^2,

    with z_hi the weighted total of z in PSU i of stratum h, n_h the number of sampled PSUs and
    f_h = n_h / N_h the first-stage sampling fraction (0 without ``fpc``). Strata with
    f_h = 1 are exhaustively sampled and contribute nothing.

    References
    ----------
    Lumley, T. (2004) Analysis of complex survey samples, J. Stat. Softw. 9(8);
    R package ``survey`` 4.5, functions ``svydesign``, ``svyrecvar``, ``onestrat``.
    Wolter, K. (2007) Introduction to Variance Estimation, 2nd ed., Springer.
    """

    kind = "taylor"

    def __init__(self, weights: ArrayLike, strata: ArrayLike | None = None,
                 psu: ArrayLike | None = None, fpc: ArrayLike | None = None,
                 lonely_psu: str = "fail", nest: bool = False) -> None:
        if lonely_psu not in LONELY_PSU_RULES:
            raise SurveyInputError("option 'lonely_psu'", f"{lonely_psu!r} is not one of "
                                   f"{', '.join(LONELY_PSU_RULES)}")
        self.weights = _positive_weights(weights, "weights", None, "survey design")
        n = self.n = self.weights.shape[0]
        if n == 0:
            raise SurveyInputError("field 'weights'", "the design has no rows")
        self.lonely_psu = lonely_psu

        if strata is None:
            self.strata_labels: NDArray[Any] = np.array([1])
            row_h = np.zeros(n, dtype=np.intp)
        else:
            self.strata_labels, row_h = _codes(_vector(strata, "strata", n, "survey design"))
        n_strata = self.strata_labels.size

        if psu is None:
            # Every row its own PSU; number them by stratum so a stratum's PSUs are contiguous.
            order = np.argsort(row_h, kind="stable")
            row_p = np.empty(n, dtype=np.intp)
            row_p[order] = np.arange(n)
            psu_h = row_h[order]
        else:
            psu_values, psu_code = _codes(_vector(psu, "psu", n, "survey design"))
            pair = row_h.astype(np.int64) * psu_values.size + psu_code
            pairs, row_p = _codes(pair)
            psu_h = (pairs // psu_values.size).astype(np.intp)
            if not nest and pairs.size > psu_values.size:
                self._raise_not_nested(pairs % psu_values.size, psu_values, psu_code, row_h)
        self.row_psu = row_p
        self.row_stratum = row_h
        self.psu_stratum = psu_h
        self.n_psu = int(psu_h.size)
        self.n_strata = int(n_strata)
        self.psu_per_stratum = np.bincount(psu_h, minlength=n_strata)
        self.stratum_start = np.concatenate(([0], np.cumsum(self.psu_per_stratum)[:-1]))
        self.df = float(self.n_psu - self.n_strata)

        self.fpc_factor = self._fpc_factor(fpc)
        nh = self.psu_per_stratum.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.stratum_scale = np.where(nh > 1, self.fpc_factor * nh / (nh - 1.0), 0.0)
        self.lonely = (self.psu_per_stratum == 1) & (self.fpc_factor > 1e-7)
        self.variance_expand = 1.0
        if self.lonely.any():
            self._apply_lonely_rule()

    # -- construction steps

    def _raise_not_nested(self, pair_psu: NDArray[np.int64], psu_values: NDArray[Any],
                          psu_code: NDArray[np.intp], row_h: NDArray[np.intp]) -> None:
        counts = np.bincount(pair_psu, minlength=psu_values.size)
        bad = np.flatnonzero(counts > 1)
        first = int(bad[0])
        rows = np.flatnonzero(psu_code == first)
        parts = []
        for h in np.unique(row_h[rows])[:3]:
            in_h = rows[row_h[rows] == h]
            parts.append(f"stratum '{_label(self.strata_labels[h])}' ({_rows_text(in_h)})")
        others = f"; {bad.size - 1} more PSU codes do the same" if bad.size > 1 else ""
        raise SurveyInputError(
            "field 'psu'",
            f"PSU '{_label(psu_values[first])}' appears in more than one stratum: "
            f"{', '.join(parts)}{others}. PSUs must be nested in strata; pass nest=True if PSU "
            "codes are numbered within each stratum")

    def _fpc_factor(self, fpc: ArrayLike | None) -> NDArray[np.float64]:
        """1 - f_h per stratum."""
        n_strata = self.n_strata
        if fpc is None:
            return np.ones(n_strata)
        values = _float_vector(fpc, "fpc", self.n, "survey design")
        neg = np.flatnonzero(values < 0)
        if neg.size:
            raise SurveyInputError(f"field 'fpc', {_rows_text(neg)}", "must be >= 0")
        first_row = np.full(n_strata, self.n, dtype=np.intp)
        np.minimum.at(first_row, self.row_stratum, np.arange(self.n))
        per_stratum = values[first_row]
        varies = np.flatnonzero(values != per_stratum[self.row_stratum])
        if varies.size:
            h = self.row_stratum[varies[0]]
            raise SurveyInputError(
                f"field 'fpc', {_rows_text(varies)}",
                f"varies within stratum '{_label(self.strata_labels[h])}' (first value "
                f"{per_stratum[h]:g}); it must be one value per stratum")
        nh = self.psu_per_stratum.astype(np.float64)
        if np.all(values <= 1.0):
            return 1.0 - per_stratum
        small = np.flatnonzero(values < 1.0)
        if small.size:
            raise SurveyInputError(
                f"field 'fpc', {_rows_text(small)}",
                "mixes population sizes (> 1) and sampling fractions (< 1); give all values "
                "as one or the other")
        too_small = np.flatnonzero(per_stratum < nh)
        if too_small.size:
            h = int(too_small[0])
            raise SurveyInputError(
                "field 'fpc'", f"stratum '{_label(self.strata_labels[h])}' has population "
                f"size {per_stratum[h]:g} PSUs but {int(nh[h])} sampled PSUs")
        return (per_stratum - nh) / per_stratum

    def _apply_lonely_rule(self) -> None:
        names = ", ".join(f"'{_label(s)}'" for s in self.strata_labels[self.lonely][:20])
        count = int(self.lonely.sum())
        if self.lonely_psu == "fail":
            raise SurveyInputError(
                "field 'strata'", f"{count} stratum(s) have only one PSU: {names}. Choose a "
                "lonely_psu rule (remove, certainty, adjust, average) or collapse strata")
        if self.lonely_psu == "adjust":
            # Centred on the sample-wide mean PSU total instead of the stratum mean; scale 1-f.
            self.stratum_scale = np.where(self.lonely, self.fpc_factor, self.stratum_scale)
        elif self.lonely_psu == "average":
            ok = self.n_strata - count
            if ok == 0:
                raise SurveyInputError("field 'strata'", "every stratum has one PSU; "
                                       "lonely_psu='average' needs a stratum with two or more")
            self.variance_expand = self.n_strata / ok
        effect = {
            "remove": "contribute no variance",
            "certainty": "are treated as certainty units and contribute no variance",
            "adjust": "are centred on the sample-wide mean PSU total",
            "average": "take the average variance of the other strata",
        }[self.lonely_psu]
        warnings.warn(LonelyPSUWarning(
            f"{count} stratum(s) have a single PSU ({names}); with lonely_psu="
            f"'{self.lonely_psu}' they {effect}"), stacklevel=3)

    def __repr__(self) -> str:
        return (f"Design(n={self.n}, strata={self.n_strata}, psu={self.n_psu}, "
                f"df={self.df:g}, lonely_psu={self.lonely_psu!r})")

    # -- variance kernels

    def _centres(self, totals: NDArray[np.float64], overall: NDArray[np.float64]
                 ) -> NDArray[np.float64]:
        """Per-stratum centre of the PSU totals: stratum mean, or for 'adjust' the sample-wide
        mean PSU total in single-PSU strata. ``totals``: (H, k) stratum totals."""
        mu = totals / self.psu_per_stratum[:, None]
        if self.lonely_psu == "adjust" and self.lonely.any():
            mu[self.lonely] = overall / self.n_psu
        return mu

    def variance_of_totals(self, z: NDArray[np.float64], col: NDArray[np.intp] | None = None,
                           ncol: int = 1) -> NDArray[np.float64]:
        """Taylor variances of the estimated totals of linearised variables.

        Parameters
        ----------
        z : ndarray, shape (n,)
            Weighted linearised value of each row (already multiplied by its weight).
        col : ndarray of int, shape (n,), optional
            Column (domain) to which each row's value belongs; the row contributes zero to
            every other column. None: a single column.
        ncol : int
            Number of columns.

        Returns
        -------
        ndarray, shape (ncol,)
            Variance of each column's total.
        """
        n_psu = self.n_psu
        if col is None:
            col = np.zeros(self.n, dtype=np.intp)
        if n_psu * ncol <= _DENSE_CELL_LIMIT:
            key = self.row_psu * ncol + col
            cells = np.bincount(key, weights=z, minlength=n_psu * ncol).reshape(n_psu, ncol)
            totals = np.add.reduceat(cells, self.stratum_start, axis=0)
            mu = self._centres(totals, totals.sum(axis=0))
            dev = cells - mu[self.psu_stratum]
            var = (self.stratum_scale[self.psu_stratum, None] * dev * dev).sum(axis=0)
            return var * self.variance_expand
        # Sparse path: only (PSU, column) cells that hold rows; empty cells are zeros.
        key = self.row_psu.astype(np.int64) * ncol + col
        cell_key, inv = np.unique(key, return_inverse=True)
        cell_sum = np.bincount(inv.reshape(-1), weights=z)
        cell_h = self.psu_stratum[cell_key // ncol]
        cell_c = (cell_key % ncol).astype(np.intp)
        hc = cell_h * ncol + cell_c
        size = self.n_strata * ncol
        totals = np.bincount(hc, weights=cell_sum, minlength=size).reshape(self.n_strata, ncol)
        n_cells = np.bincount(hc, minlength=size).reshape(self.n_strata, ncol)
        mu = self._centres(totals, totals.sum(axis=0))
        dev = cell_sum - mu[cell_h, cell_c]
        ss = np.bincount(hc, weights=dev * dev, minlength=size).reshape(self.n_strata, ncol)
        ss += (self.psu_per_stratum[:, None] - n_cells) * mu * mu
        return (self.stratum_scale[:, None] * ss).sum(axis=0) * self.variance_expand

    def covariance_of_totals(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        """Taylor covariance matrix of the totals of a few linearised variables.

        Parameters
        ----------
        z : ndarray, shape (n, k)
            Weighted linearised values, one column per variable (k small).

        Returns
        -------
        ndarray, shape (k, k)
        """
        k = z.shape[1]
        cells = np.column_stack([np.bincount(self.row_psu, weights=z[:, j],
                                             minlength=self.n_psu) for j in range(k)])
        totals = np.add.reduceat(cells, self.stratum_start, axis=0)
        dev = cells - self._centres(totals, totals.sum(axis=0))[self.psu_stratum]
        scaled = dev * self.stratum_scale[self.psu_stratum, None]
        return (scaled.T @ dev) * self.variance_expand


class ReplicateDesign:
    """Full-sample weights with replicate weights, variances as R ``svrepdesign``.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Full-sample weights [persons per respondent], all > 0.
    repweights : array_like, shape (n, R)
        Replicate weights, already combined with the sampling weights (R's
        ``combined.weights=TRUE``, the default) [persons per respondent], all >= 0.
    method : {"JK1", "JKn", "BRR", "Fay", "bootstrap"}
        Replication method (case-insensitive).
    rho : float, optional
        Fay's coefficient, 0 < rho < 1, required for ``"Fay"``.
    scale : float, optional
        Overall multiplier of the squared deviations. Defaults as R: BRR 1/R; Fay
        1/(R (1 - rho)^2); JK1 (R - 1)/R; JKn 1; bootstrap 1/(R - 1).
    rscales : array_like, shape (R,), optional
        Per-replicate multipliers; required for JKn ((n_h - 1)/n_h for the replicate's
        stratum). Default 1.
    mse : bool
        False (R default): deviations from the mean of the replicates; True: from the
        full-sample estimate.
    df : float, optional
        Degrees of freedom for intervals. Default: numerical rank of the replicate-weight
        matrix minus one (R ``degf()``, relative tolerance 1e-5).

    Notes
    -----
    v = scale * sum_r rscales_r (theta_r - theta_bar)^2 (R ``svrVar``), theta_r the estimate
    with replicate weights r.

    References
    ----------
    R package ``survey`` 4.5, ``svrepdesign.default`` and ``svrVar``;
    Wolter, K. (2007) Introduction to Variance Estimation, 2nd ed., ch. 3-5.
    """

    kind = "replicate"

    def __init__(self, weights: ArrayLike, repweights: ArrayLike, method: str,
                 rho: float | None = None, scale: float | None = None,
                 rscales: ArrayLike | None = None, mse: bool = False,
                 df: float | None = None) -> None:
        source = "replicate design"
        methods = {m.lower(): m for m in REPLICATE_METHODS}
        if str(method).lower() not in methods:
            raise SurveyInputError("option 'method'", f"{method!r} is not one of "
                                   f"{', '.join(REPLICATE_METHODS)}", source)
        self.method = methods[str(method).lower()]
        self.weights = _positive_weights(weights, "weights", None, source)
        n = self.n = self.weights.shape[0]
        rep = np.asarray(repweights, dtype=np.float64)
        if rep.ndim != 2 or rep.shape[0] != n:
            raise SurveyInputError("field 'repweights'", f"must have shape ({n}, R), got "
                                   f"{rep.shape}", source)
        n_rep = self.n_replicates = rep.shape[1]
        if n_rep < 2:
            raise SurveyInputError("field 'repweights'", "needs at least 2 replicates", source)
        bad = ~np.isfinite(rep) | (rep < 0)
        if bad.any():
            rows, cols = np.nonzero(bad)
            raise SurveyInputError(f"field 'repweights', column {int(cols[0])}, "
                                   f"{_rows_text(np.unique(rows))}",
                                   "replicate weights must be finite and >= 0", source)
        self.repweights = rep

        if self.method == "Fay":
            if rho is None or not 0.0 < float(rho) < 1.0:
                raise SurveyInputError("option 'rho'", "Fay's BRR needs 0 < rho < 1", source)
        elif rho not in (None, 0, 0.0):
            raise SurveyInputError("option 'rho'", f"rho applies to method 'Fay', not "
                                   f"{self.method!r}", source)
        self.rho = None if rho is None else float(rho)
        default_scale = {
            "BRR": 1.0 / n_rep,
            "Fay": 1.0 / (n_rep * (1.0 - (self.rho or 0.0)) ** 2),
            "JK1": (n_rep - 1.0) / n_rep,
            "JKn": 1.0,
            "bootstrap": 1.0 / (n_rep - 1.0),
        }[self.method]
        self.scale = default_scale if scale is None else float(scale)
        if rscales is None:
            if self.method == "JKn":
                raise SurveyInputError("option 'rscales'", "JKn needs rscales, (n_h - 1)/n_h "
                                       "for each replicate's stratum", source)
            self.rscales = np.ones(n_rep)
        else:
            self.rscales = np.asarray(rscales, dtype=np.float64).reshape(-1)
            if self.rscales.size == 1:
                self.rscales = np.full(n_rep, float(self.rscales[0]))
            if self.rscales.size != n_rep or np.any(self.rscales < 0):
                raise SurveyInputError("option 'rscales'", f"needs {n_rep} values >= 0",
                                       source)
        self.mse = bool(mse)
        self.df = float(df) if df is not None else float(self._rank() - 1)

    def _rank(self) -> int:
        gram = self.repweights.T @ self.repweights
        norms = np.sqrt(np.diagonal(gram))
        keep = norms > 0
        gram = gram[np.ix_(keep, keep)] / np.outer(norms[keep], norms[keep])
        sing = np.sqrt(np.clip(np.linalg.eigvalsh(gram), 0.0, None))
        return int(np.sum(sing > 1e-5 * sing.max()))

    def __repr__(self) -> str:
        return (f"ReplicateDesign(n={self.n}, method={self.method!r}, "
                f"replicates={self.n_replicates}, scale={self.scale:g}, mse={self.mse})")

    def replicate_variance(self, full: NDArray[np.float64], reps: NDArray[np.float64]
                           ) -> NDArray[np.float64]:
        """Variance of estimates from their replicates (R ``svrVar``).

        Parameters
        ----------
        full : ndarray, shape (k,)
            Full-sample estimates.
        reps : ndarray, shape (k, R)
            Replicate estimates.
        """
        dev = reps - self._centre(full, reps)[:, None]
        return self.scale * (dev * dev) @ self.rscales

    def _centre(self, full: NDArray[np.float64], reps: NDArray[np.float64]
                ) -> NDArray[np.float64]:
        if self.mse:
            return full
        use = self.rscales > 0
        return reps[:, use].mean(axis=1)

    def replicate_covariance(self, full: NDArray[np.float64], reps: NDArray[np.float64]
                             ) -> NDArray[np.float64]:
        """Covariance matrix, shape (k, k), of estimates from their replicates."""
        dev = reps - self._centre(full, reps)[:, None]
        return self.scale * (dev * self.rscales) @ dev.T


AnyDesign = Design | ReplicateDesign


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class EstimateTable:
    """Estimates for every domain (one row per domain, in sorted order of the group codes).

    Attributes
    ----------
    stat : str
        "mean", "prop" or "total".
    group_names : tuple of str
        Name of each grouping variable (empty for an overall estimate).
    domains : list of tuple
        The group codes of each domain (``()`` for the overall estimate).
    estimate, se, ci_low, ci_high : ndarray
        Point estimate, standard error and confidence limits, in the units of y (proportions
        as fractions, totals in persons).
    deff : ndarray
        Design effect against simple random sampling without replacement (NaN where undefined:
        fewer than 2 rows, or estimated population not larger than the sample).
    n : ndarray of int
        Respondents (rows) in each domain.
    population : ndarray
        Estimated population of each domain (sum of weights) [persons].
    df : ndarray
        Degrees of freedom of the t quantile used for the interval.
    level : float
        Confidence level.
    method : str
        "taylor" or the replicate method.
    """

    stat: str
    group_names: tuple[str, ...]
    domains: list[tuple[Any, ...]]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    deff: NDArray[np.float64]
    n: NDArray[np.int64]
    population: NDArray[np.float64]
    df: NDArray[np.float64]
    level: float
    method: str

    def __len__(self) -> int:
        return len(self.domains)

    def index(self, domain: Any) -> int:
        """Row of a domain, given as a tuple of group codes (or one code for one group)."""
        key = domain if isinstance(domain, tuple) else (domain,)
        for i, d in enumerate(self.domains):
            if d == key:
                return i
        raise KeyError(f"no domain {key!r} in this table")

    def rows(self) -> list[dict[str, Any]]:
        """One plain dict per domain (group codes by name, then the figures), for CLI/export."""
        out = []
        for i, dom in enumerate(self.domains):
            row: dict[str, Any] = {name: (v.item() if isinstance(v, np.generic) else v)
                                   for name, v in zip(self.group_names, dom, strict=True)}
            row.update(stat=self.stat, estimate=float(self.estimate[i]), se=float(self.se[i]),
                       ci_low=float(self.ci_low[i]), ci_high=float(self.ci_high[i]),
                       deff=float(self.deff[i]), n=int(self.n[i]),
                       population=float(self.population[i]), df=float(self.df[i]),
                       level=self.level, method=self.method)
            out.append(row)
        return out


@dataclass(frozen=True)
class Difference:
    """Difference between two domains, ``estimate = theta_a - theta_b``.

    ``se = sqrt(var_a + var_b - 2 cov)``, all from the same linearisation or replicates; the
    interval is Wald with t(df) for every statistic (also for proportions).
    """

    stat: str
    domain_a: tuple[Any, ...]
    domain_b: tuple[Any, ...]
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: float
    var_a: float
    var_b: float
    cov: float
    level: float
    method: str


# --------------------------------------------------------------------------- estimation


def _domain_codes(domains: Any, n: int) -> tuple[tuple[str, ...], list[tuple[Any, ...]],
                                                 NDArray[np.intp], int]:
    """Combine grouping variables into one code per row: (names, labels, code, count)."""
    if domains is None:
        return (), [()], np.zeros(n, dtype=np.intp), 1
    if isinstance(domains, Mapping):
        names = tuple(str(k) for k in domains)
        columns = [np.asarray(v) for v in domains.values()]
    else:
        arr = domains if isinstance(domains, list | tuple) else np.asarray(domains)
        if isinstance(arr, np.ndarray):
            if arr.ndim == 1:
                arr = arr[:, None]
            if arr.ndim != 2:
                raise SurveyInputError("field 'domains'", "must be a 2-D array (rows x "
                                       "groups), a list of arrays or a mapping", "estimate")
            columns = [arr[:, j] for j in range(arr.shape[1])]
        else:
            columns = [np.asarray(c) for c in arr]
        names = tuple(f"group{j + 1}" for j in range(len(columns)))
    if not columns:
        return (), [()], np.zeros(n, dtype=np.intp), 1
    uniques, codes = [], []
    for name, column in zip(names, columns, strict=True):
        u, c = _codes(_vector(column, f"domains[{name}]", n, "estimate"))
        uniques.append(u)
        codes.append(c)
    dims = tuple(u.size for u in uniques)
    if len(codes) == 1:
        occupied, code = np.arange(dims[0]), codes[0]
    else:
        flat = np.ravel_multi_index(tuple(codes), dims)
        occupied, code = _codes(flat)
    parts = np.unravel_index(occupied, dims)
    labels = list(zip(*(u[p] for u, p in zip(uniques, parts, strict=True)), strict=True))
    labels = [tuple(v.item() if isinstance(v, np.generic) else v for v in lab) for lab in labels]
    return names, labels, code, int(occupied.size)


def _response(y: ArrayLike, stat: str, n: int) -> NDArray[np.float64]:
    if stat not in STATISTICS:
        raise SurveyInputError("option 'stat'", f"{stat!r} is not one of "
                               f"{', '.join(STATISTICS)}", "estimate")
    arr = np.asarray(y)
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    values = _float_vector(arr, "y", n, "estimate")
    if stat == "prop":
        bad = np.flatnonzero((values != 0.0) & (values != 1.0))
        if bad.size:
            raise SurveyInputError(f"field 'y', {_rows_text(bad)}", "a proportion needs y "
                                   "coded 0/1 (or boolean)", "estimate")
    return values


def _point(w: NDArray[np.float64], y: NDArray[np.float64], code: NDArray[np.intp], k: int,
           stat: str) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Domain weight totals, weighted y totals, and the estimates."""
    pop = np.bincount(code, weights=w, minlength=k)
    ty = np.bincount(code, weights=w * y, minlength=k)
    return pop, ty, (ty if stat == "total" else ty / pop)


def _linearised(w: NDArray[np.float64], y: NDArray[np.float64], code: NDArray[np.intp],
                pop: NDArray[np.float64], theta: NDArray[np.float64], stat: str
                ) -> NDArray[np.float64]:
    """Weighted influence value of each row for its own domain's estimate."""
    if stat == "total":
        return w * y
    return w * (y - theta[code]) / pop[code]


def _deff(var: NDArray[np.float64], w: NDArray[np.float64], y: NDArray[np.float64],
          code: NDArray[np.intp], k: int, pop: NDArray[np.float64], theta_mean:
          NDArray[np.float64], counts: NDArray[np.int64], stat: str) -> NDArray[np.float64]:
    """Design effect against SRS without replacement (R ``deff=TRUE``)."""
    dev = y - theta_mean[code]
    nd = counts.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.bincount(code, weights=w * dev * dev, minlength=k) / pop * nd / (nd - 1.0)
        vsrs = s2 * (pop - nd) / (pop * nd)
        if stat == "total":
            vsrs = vsrs * pop * pop
        out = var / vsrs
    return np.where((nd > 1) & (pop > nd) & (vsrs > 0), out, np.nan)


def _t_quantile(level: float, df: float) -> float:
    if not 0.0 < level < 1.0:
        raise SurveyInputError("option 'level'", f"{level} is not in (0, 1)", "estimate")
    if not df > 0:
        return float("nan")
    return float(stats.t.ppf(0.5 + level / 2.0, df))


def _intervals(est: NDArray[np.float64], se: NDArray[np.float64], q: float, stat: str
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    if stat != "prop":
        return est - q * se, est + q * se
    # R svyciprop(method="logit"): Wald interval for logit(p), se_logit = se / (p (1 - p)).
    inside = (est > 0.0) & (est < 1.0)
    p = np.where(inside, est, 0.5)
    logit = np.log(p / (1.0 - p))
    half = q * se / (p * (1.0 - p))
    low = np.where(inside, 1.0 / (1.0 + np.exp(-(logit - half))), est)
    high = np.where(inside, 1.0 / (1.0 + np.exp(-(logit + half))), est)
    return low, high


def _replicate_estimates(design: ReplicateDesign, y: NDArray[np.float64],
                         code: NDArray[np.intp], k: int, stat: str) -> NDArray[np.float64]:
    """Estimates of each domain with each replicate's weights, shape (k, R)."""
    rows = np.arange(design.n)
    ind_y = sp.csr_matrix((y, (code, rows)), shape=(k, design.n))
    ty = np.asarray(ind_y @ design.repweights)
    if stat == "total":
        return ty
    ind = sp.csr_matrix((np.ones(design.n), (code, rows)), shape=(k, design.n))
    pop = np.asarray(ind @ design.repweights)
    with np.errstate(divide="ignore", invalid="ignore"):
        reps = ty / pop
    empty = ~np.isfinite(reps).all(axis=1)
    if empty.any():
        raise SurveyInputError("field 'domains'", f"{int(empty.sum())} domain(s) have zero "
                               "weight in some replicate; their replicate means are undefined",
                               "estimate")
    return reps


def estimate(design: AnyDesign, y: ArrayLike, stat: Stat = "mean", domains: Any = None,
             level: float = 0.95) -> EstimateTable:
    """Estimate a mean, proportion or total for every domain at once.

    Parameters
    ----------
    design : Design or ReplicateDesign
        The sample design (its rows are the rows of ``y``).
    y : array_like, shape (n,)
        Variable of interest; for ``stat="prop"`` coded 0/1 or boolean (e.g. "can copy a
        file": 1). Must be finite: drop or impute item non-response first.
    stat : {"mean", "prop", "total"}
        Weighted mean, proportion (mean of a 0/1 variable, logit interval), or total [y units
        x persons].
    domains : None, array_like (n, g), list of g arrays, or mapping name -> array
        Grouping variables; every observed combination is a domain (e.g. sex x age group x
        region). None: the whole population.
    level : float
        Confidence level of the intervals, e.g. 0.95.

    Returns
    -------
    EstimateTable

    Notes
    -----
    Domain d's mean is the ratio theta_d = sum_i w_i y_i 1_d(i) / sum_i w_i 1_d(i); its
    linearised variable is u_i = w_i 1_d(i) (y_i - theta_d) / N_d (Woodruff 1971). The domain's
    variance is the design variance of sum_i u_i over the whole sample, so PSUs and strata
    without domain members still count (R ``svyby``; never subset rows for domains).

    References
    ----------
    Woodruff, R. S. (1971) A simple method for approximating the variance of a complicated
    estimate, JASA 66, 411-414. R package ``survey`` 4.5: ``svymean``, ``svytotal``,
    ``svyby``, ``svyciprop``.
    """
    w = design.weights
    values = _response(y, stat, design.n)
    names, labels, code, k = _domain_codes(domains, design.n)
    pop, _, theta = _point(w, values, code, k, stat)
    counts = np.bincount(code, minlength=k).astype(np.int64)
    if isinstance(design, Design):
        z = _linearised(w, values, code, pop, theta, stat)
        var = design.variance_of_totals(z, code, k)
        method = "taylor"
    else:
        reps = _replicate_estimates(design, values, code, k, stat)
        var = design.replicate_variance(theta, reps)
        method = design.method
    se = np.sqrt(np.clip(var, 0.0, None))
    q = _t_quantile(level, design.df)
    low, high = _intervals(theta, se, q, stat)
    theta_mean = theta if stat != "total" else _point(w, values, code, k, "mean")[2]
    deff = _deff(var, w, values, code, k, pop, theta_mean, counts, stat)
    return EstimateTable(stat=stat, group_names=names, domains=labels, estimate=theta, se=se,
                         ci_low=low, ci_high=high, deff=deff, n=counts, population=pop,
                         df=np.full(k, design.df), level=level, method=method)


def difference(design: AnyDesign, y: ArrayLike, domains: Any, a: Any, b: Any,
               stat: Stat = "mean", level: float = 0.95) -> Difference:
    """Difference ``theta_a - theta_b`` between two domains, with its design-based SE.

    Parameters
    ----------
    design, y, stat, level
        As :func:`estimate`.
    domains : array_like, list of arrays or mapping
        Grouping variables, as :func:`estimate`.
    a, b : tuple or scalar
        The two domains' group codes (a scalar when there is one grouping variable).

    Returns
    -------
    Difference

    Notes
    -----
    var(theta_a - theta_b) = var_a + var_b - 2 cov_ab; the covariance comes from the same PSU
    totals (Taylor) or the same replicates, so domains sharing PSUs are handled correctly.
    """
    w = design.weights
    values = _response(y, stat, design.n)
    _, labels, code, k = _domain_codes(domains, design.n)
    keys = [d if isinstance(d, tuple) else (d,) for d in (a, b)]
    try:
        which = [labels.index(key) for key in keys]
    except ValueError:
        missing = [key for key in keys if key not in labels]
        raise SurveyInputError("option 'a'/'b'", f"domain {missing[0]!r} has no rows",
                               "difference") from None
    pop, _, theta = _point(w, values, code, k, stat)
    pair = theta[which]
    if isinstance(design, Design):
        z = _linearised(w, values, code, pop, theta, stat)
        cols = np.column_stack([np.where(code == j, z, 0.0) for j in which])
        cov = design.covariance_of_totals(cols)
        method = "taylor"
    else:
        reps = _replicate_estimates(design, values, code, k, stat)[which]
        cov = design.replicate_covariance(pair, reps)
        method = design.method
    var_d = cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]
    se = float(np.sqrt(max(var_d, 0.0)))
    est = float(pair[0] - pair[1])
    q = _t_quantile(level, design.df)
    return Difference(stat=stat, domain_a=keys[0], domain_b=keys[1], estimate=est, se=se,
                      ci_low=est - q * se, ci_high=est + q * se, df=design.df,
                      var_a=float(cov[0, 0]), var_b=float(cov[1, 1]), cov=float(cov[0, 1]),
                      level=level, method=method)
