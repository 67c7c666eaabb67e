"""Scoring KPI values against targets: achievement ratio, benchmark points, group totals.

Pure computation: NumPy arrays in, NumPy arrays out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ssckit.kpi.catalogue import Band


def achievement_ratio(
    value: np.ndarray | float,
    target: np.ndarray | float,
    higher_is_better: np.ndarray | bool,
) -> np.ndarray:
    """Achievement of the target, 1.0 meaning the target is met exactly.

    Parameters
    ----------
    value : array_like
        KPI values, in the KPI's unit.
    target : array_like
        Target values, same unit. NaN where the KPI has no target.
    higher_is_better : array_like of bool
        Direction of improvement.

    Returns
    -------
    numpy.ndarray
        ``value / target`` when higher is better, ``target / value`` when lower is better; the
        ratio is not capped (a city can exceed its target). NaN where value or target is missing;
        ``inf`` when a lower-is-better KPI is exactly 0 with a positive target (no
        cases remain to reduce). A target of 0 gives 1.0 when met (value 0) and 0.0 otherwise.
    """
    v = np.asarray(value, dtype=float)
    t = np.asarray(target, dtype=float)
    hib = np.asarray(higher_is_better, dtype=bool)
    v, t, hib = np.broadcast_arrays(v, t, hib)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = v / t
        down = t / v
    ratio = np.where(hib, up, down)
    zero_target = t == 0
    met = np.where(hib, v >= 0, v <= 0)
    ratio = np.where(zero_target, np.where(met, 1.0, 0.0), ratio)
    ratio = np.where(~hib & (v == 0) & (t > 0), np.inf, ratio)
    return np.where(np.isnan(v) | np.isnan(t), np.nan, ratio)


def benchmark_points(ratio: np.ndarray | float, bands: Sequence[Band]) -> np.ndarray:
    """Benchmark points for achievement ratios: the band whose ``min_ratio`` is the highest one
    not above the ratio (a ratio exactly on a band edge earns that band). 0 where ratio is NaN.
    """
    r = np.asarray(ratio, dtype=float)
    edges = np.array([b.min_ratio for b in bands], dtype=float)
    points = np.array([b.points for b in bands], dtype=int)
    # The ratios are quotients of decimal inputs: 33/100 is exact but 0.95 * 20 / 20 may be not.
    # Snap to 12 significant digits so that a value exactly on an edge lands in that band.
    snapped = np.round(r, 12)
    idx = np.searchsorted(edges, snapped, side="right") - 1
    out = np.where(idx >= 0, points[np.clip(idx, 0, None)], points[0])
    return np.where(np.isnan(r), 0, out)


def band_labels(points: np.ndarray, bands: Sequence[Band]) -> list[str]:
    """Band label for each number of points ('' for 0 = not scored)."""
    by_points = {b.points: b.label for b in bands}
    return [by_points.get(int(p), "") for p in np.asarray(points).ravel()]
