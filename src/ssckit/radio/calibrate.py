"""Drive-test calibration of predicted coverage: a least-squares offset per clutter class.

Pure computation (NumPy in, NumPy out, no I/O). The error of a prediction at a measured point
is ``measured - predicted`` RSRP [dB] (3GPP TS 38.215 §5.1.1 RSRP, in dBm on both sides). The
correction is one additive offset per clutter class of the receiver's pixel (optionally a
common slope on log10 distance), fitted by ordinary least squares; its skill is told by the
mean error (bias), the root-mean-square error and the standard deviation of the error,
before and after the correction, in sample and by k-fold cross-validation grouped by
route/day, so points of one drive are never both fitted and scored.

References
----------
ITU-R P.1812-7 Annex 1 §3.2 (clutter categories, representative heights); 3GPP TS 38.215
§5.1.1 (SS-RSRP); 3GPP TS 38.133 §10.1.6 (RSRP reporting range −156..−31 dBm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ErrorStats:
    """Summary of errors ``measured - predicted`` [dB]."""

    n: int
    bias_db: float    # mean error
    rmse_db: float    # root-mean-square error
    std_db: float     # standard deviation of the error (population, ddof = 0)

    def as_dict(self) -> dict[str, float | None]:
        def r(v: float) -> float | None:
            return round(v, 3) + 0.0 if np.isfinite(v) else None   # no -0.0
        return {"bias_db": r(self.bias_db), "rmse_db": r(self.rmse_db), "std_db": r(self.std_db)}


def error_stats(error_db: np.ndarray) -> ErrorStats:
    """Mean error, RMSE and standard deviation [dB] of ``error_db`` (NaN when empty).

    RMSE² = bias² + std² (ddof = 0)."""
    e = np.asarray(error_db, dtype=float)
    if e.size == 0:
        return ErrorStats(0, np.nan, np.nan, np.nan)
    return ErrorStats(int(e.size), float(e.mean()), float(np.sqrt(np.mean(e ** 2))),
                      float(e.std()))


@dataclass(frozen=True)
class ClutterFit:
    """A fitted correction: ``offsets_db[c]`` for each clutter class ``classes[c]`` [dB],
    their standard errors [dB], point counts, and the slope [dB per decade of distance]
    (0 when no slope was fitted)."""

    classes: np.ndarray
    offsets_db: np.ndarray
    se_db: np.ndarray
    n: np.ndarray
    slope_db_per_decade: float = 0.0
    slope_se_db: float = float("nan")

    def correction_db(self, classes: np.ndarray, distance_m: np.ndarray | None = None
                      ) -> np.ndarray:
        """The correction [dB] to add to the prediction at points of ``classes`` (0 for a
        class not fitted)."""
        classes = np.asarray(classes)
        out = np.zeros(classes.shape)
        for c, off in zip(self.classes, self.offsets_db, strict=True):
            out[classes == c] = off
        if self.slope_db_per_decade and distance_m is not None:
            out += self.slope_db_per_decade * np.log10(np.maximum(distance_m, 1.0) / 1000.0)
        return out


def fit_clutter_offsets(error_db: np.ndarray, classes: np.ndarray,
                        distance_m: np.ndarray | None = None) -> ClutterFit:
    """Least-squares offset per clutter class [dB] of ``error_db`` (measured − predicted),
    with a common slope on log10(distance / 1 km) [dB/decade] when ``distance_m`` is given.

    The model is ``e_i = a_class(i) [+ b log10(d_i / 1 km)] + ε_i``; without a slope the
    estimate of ``a_c`` is the class's mean error. The standard errors are those of ordinary
    least squares, ``sqrt(diag(σ² (XᵀX)⁻¹))`` with σ² the residual variance (n − p degrees
    of freedom; NaN where a class has a single point).
    """
    e = np.asarray(error_db, dtype=float)
    cls = np.asarray(classes)
    uniq, inverse = np.unique(cls, return_inverse=True)
    x = np.zeros((e.size, uniq.size + (distance_m is not None)))
    x[np.arange(e.size), inverse] = 1.0
    if distance_m is not None:
        x[:, -1] = np.log10(np.maximum(np.asarray(distance_m, dtype=float), 1.0) / 1000.0)
    beta, *_ = np.linalg.lstsq(x, e, rcond=None)
    dof = e.size - x.shape[1]
    resid = e - x @ beta
    sigma2 = float(resid @ resid / dof) if dof > 0 else np.nan
    try:
        cov = sigma2 * np.linalg.inv(x.T @ x)
        se = np.sqrt(np.diag(cov))
    except np.linalg.LinAlgError:
        se = np.full(x.shape[1], np.nan)
    counts = np.bincount(inverse, minlength=uniq.size)
    slope = float(beta[-1]) if distance_m is not None else 0.0
    slope_se = float(se[-1]) if distance_m is not None else float("nan")
    return ClutterFit(uniq, beta[:uniq.size], se[:uniq.size], counts, slope, slope_se)


def group_folds(groups: np.ndarray, k: int) -> np.ndarray:
    """Fold number (0..k−1) of each point: whole groups (routes, days) are dealt to the folds
    in sorted order, so a group is never split between fitting and scoring. With fewer
    groups than ``k``, there are as many folds as groups."""
    uniq, inverse = np.unique(np.asarray(groups), return_inverse=True)
    k = max(1, min(k, uniq.size))
    return (np.arange(uniq.size) % k)[inverse]


def cross_validated_errors(error_db: np.ndarray, classes: np.ndarray, groups: np.ndarray,
                           k: int, distance_m: np.ndarray | None = None) -> np.ndarray | None:
    """Out-of-fold corrected errors [dB]: each fold scored with the offsets fitted on the
    others (a class absent from the training folds gets no correction); None with fewer
    than two groups."""
    folds = group_folds(groups, k)
    if folds.max(initial=0) < 1:
        return None
    e = np.asarray(error_db, dtype=float)
    out = np.empty_like(e)
    for f in range(int(folds.max()) + 1):
        test = folds == f
        d_train = None if distance_m is None else distance_m[~test]
        fit = fit_clutter_offsets(e[~test], classes[~test], d_train)
        d_test = None if distance_m is None else distance_m[test]
        out[test] = e[test] - fit.correction_db(classes[test], d_test)
    return out


def calibration_report(measured_dbm: np.ndarray, predicted_dbm: np.ndarray,
                       classes: np.ndarray, groups: np.ndarray, folds: int = 5,
                       distance_m: np.ndarray | None = None,
                       class_names: dict[int, str] | None = None) -> tuple[ClutterFit, dict]:
    """Fit the per-class correction and describe it: the document of ``ssckit radio
    calibrate --format json`` (``n``, ``before``, ``after``, ``by_clutter``, and
    ``cross_validated`` when there are at least two groups)."""
    error = np.asarray(measured_dbm, dtype=float) - np.asarray(predicted_dbm, dtype=float)
    classes = np.asarray(classes)
    fit = fit_clutter_offsets(error, classes, distance_m)
    after = error - fit.correction_db(classes, distance_m)
    by = []
    for c, off, se, n in zip(fit.classes, fit.offsets_db, fit.se_db, fit.n, strict=True):
        m = classes == c
        by.append({"class": int(c), "name": (class_names or {}).get(int(c), str(int(c))),
                   "n": int(n), "offset_db": round(float(off), 3),
                   "se_db": round(float(se), 3) if np.isfinite(se) else None,
                   "before": error_stats(error[m]).as_dict(),
                   "after": error_stats(after[m]).as_dict()})
    doc: dict = {"n": int(error.size), "before": error_stats(error).as_dict(),
                 "after": error_stats(after).as_dict(), "by_clutter": by}
    if fit.slope_db_per_decade:
        doc["slope_db_per_decade"] = round(fit.slope_db_per_decade, 3)
    cv = cross_validated_errors(error, classes, np.asarray(groups), folds, distance_m)
    n_groups = int(np.unique(np.asarray(groups)).size)
    doc["groups"] = n_groups
    doc["folds"] = int(min(folds, n_groups)) if cv is not None else 0
    doc["cross_validated"] = error_stats(cv).as_dict() if cv is not None else None
    return fit, doc


def distance_slope_report(measured_dbm: np.ndarray, predicted_dbm: np.ndarray,
                          classes: np.ndarray, groups: np.ndarray, distance_m: np.ndarray,
                          folds: int = 5) -> dict:
    """The per-class offsets fitted together with a common slope on log10(distance to the
    serving site / 1 km) [dB/decade]: the slope and its standard error, the offsets at 1 km,
    and the in-sample and cross-validated error statistics of that model."""
    error = np.asarray(measured_dbm, dtype=float) - np.asarray(predicted_dbm, dtype=float)
    classes = np.asarray(classes)
    fit = fit_clutter_offsets(error, classes, distance_m)
    after = error - fit.correction_db(classes, distance_m)
    cv = cross_validated_errors(error, classes, np.asarray(groups), folds, distance_m)
    return {"slope_db_per_decade": round(fit.slope_db_per_decade, 3),
            "slope_se_db": round(fit.slope_se_db, 3) if np.isfinite(fit.slope_se_db) else None,
            "offsets_db_at_1km": {str(int(c)): round(float(o), 3)
                                  for c, o in zip(fit.classes, fit.offsets_db, strict=True)},
            "after": error_stats(after).as_dict(),
            "cross_validated": error_stats(cv).as_dict() if cv is not None else None}
