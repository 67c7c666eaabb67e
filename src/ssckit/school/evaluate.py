"""Did the pilot work? Difference-in-differences of pilot schools against the other schools,
before and after the pilot started, with confidence intervals robust to correlation within a
school (clustered by school).

Outcomes, per school and week (Monday to Sunday, local time), from the hourly aggregates
(DuckDB and the Parquet hourly history) completed by the minute readings of hours that have
no aggregate yet:

- ``co2_cat_ii_share`` [%]: occupied classroom hours (by the room timetable) whose mean CO₂
  is within category II of EN 16798-1:2019 (Table B.12: at most 800 ppm above the outdoor
  400 ppm);
- ``overheating_hours`` [h per room]: occupied room hours with mean air temperature above
  28 °C (the BB101 (2006) §2 (a) threshold), averaged over the school's rooms;
- ``uptime`` [%]: mean of the connectivity probe's ``online`` over the week's hours;
- ``energy_per_pupil`` [kWh per pupil and week]: electricity and heat meter consumption (the
  increase of the hourly mean of each cumulative meter; a counter going back counts 0).

The estimator is the two-way fixed-effects regression
:math:`y_{st} = \\alpha_s + \\gamma_t + \\beta D_{st} + \\varepsilon_{st}` where
:math:`D_{st}` is 1 for a pilot school in a week on or after its start; with one start date
for all pilot schools, :math:`\\hat\\beta` is the classic 2x2 difference of the before/after
changes of the two groups when the panel is balanced. Its standard error is the
cluster-robust sandwich with the CR1 small-sample factor and the confidence interval uses the
t distribution with G - 1 degrees of freedom, G the number of schools (Cameron & Miller 2015,
"A Practitioner's Guide to Cluster-Robust Inference", J. Human Resources 50(2), 317-372).
School fixed effects are nested in the clusters and are not counted in K.
With staggered start dates the two-way estimate is a weighted mix of 2x2 comparisons
(Goodman-Bacon 2021, J. Econometrics 225(2)); give one start date where the design allows.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.school.ieq import CO2_ABOVE_OUTDOOR_PPM, DEFAULT_OUTDOOR_CO2_PPM, week_table
from ssckit.school.schema import Registry
from ssckit.school.storage import hourly_sql, readings_sql

OUTCOMES: dict[str, tuple[str, str]] = {
    "co2_cat_ii_share": ("Occupied hours in CO₂ category I–II", "%"),
    "overheating_hours": ("Occupied hours above 28 °C per room", "h/week"),
    "uptime": ("Connectivity uptime", "%"),
    "energy_per_pupil": ("Energy per pupil", "kWh/pupil/week"),
}
OVERHEATING_C = 28.0


@dataclass(frozen=True)
class DidResult:
    """One difference-in-differences estimate [unit of the outcome]."""

    outcome: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    n_obs: int
    n_schools: int
    n_pilot: int
    pre_pilot: float        # outcome means: pilot and other schools, before and after
    post_pilot: float
    pre_other: float
    post_other: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _demean_two_way(x: NDArray[np.float64], unit: NDArray[np.int64], time: NDArray[np.int64],
                    tol: float = 1e-11, max_iter: int = 10_000) -> NDArray[np.float64]:
    """``x`` minus unit and time effects (alternating projections; exact for unbalanced
    panels at convergence)."""
    nu, nt = int(unit.max()) + 1, int(time.max()) + 1
    cu = np.bincount(unit, minlength=nu)
    ct = np.bincount(time, minlength=nt)
    r = x - x.mean()
    for _ in range(max_iter):
        r = r - (np.bincount(unit, r, nu) / np.maximum(cu, 1))[unit]
        step = (np.bincount(time, r, nt) / np.maximum(ct, 1))[time]
        r = r - step
        if np.abs(step).max() < tol * max(1.0, np.abs(x).max()):
            break
    return r


def did_estimate(y: ArrayLike, school: ArrayLike, period: ArrayLike, treated: ArrayLike,
                 level: float = 0.95, outcome: str = "y") -> DidResult:
    """Two-way fixed-effects difference-in-differences with CR1 cluster-robust inference.

    Parameters
    ----------
    y : array_like, shape (N,)
        Outcome per school and period [its unit].
    school : array_like, shape (N,)
        School of each observation (the cluster); any hashable labels.
    period : array_like, shape (N,)
        Period of each observation (e.g. week number).
    treated : array_like of bool, shape (N,)
        D: pilot school in a period on or after its start.
    level : float
        Confidence level of the interval [-].

    Returns
    -------
    DidResult

    Notes
    -----
    With :math:`\\tilde D, \\tilde y` the two-way demeaned treatment and outcome
    (Frisch-Waugh-Lovell), :math:`\\hat\\beta = \\sum \\tilde D \\tilde y / \\sum \\tilde D^2`,
    residuals :math:`u = \\tilde y - \\hat\\beta \\tilde D`, and
    :math:`\\widehat{V}_{CR1} = c \\sum_g (\\sum_{i \\in g} \\tilde D_i u_i)^2 /
    (\\sum \\tilde D^2)^2` with :math:`c = \\frac{G}{G-1} \\frac{N-1}{N-K}`, K = 1 + (T - 1) + 1
    (beta, the period effects and the constant); interval
    :math:`\\hat\\beta \\pm t_{G-1, (1+level)/2} \\sqrt{\\widehat V}` (Cameron & Miller 2015).
    """
    yv = np.asarray(y, dtype=float)
    d = np.asarray(treated, dtype=bool)
    ok = np.isfinite(yv)
    yv, d = yv[ok], d[ok]
    _, s = np.unique(np.asarray(school)[ok], return_inverse=True)
    _, t = np.unique(np.asarray(period)[ok], return_inverse=True)
    n, g, nt = yv.size, int(s.max()) + 1 if yv.size else 0, int(t.max()) + 1 if yv.size else 0
    ever = np.zeros(max(g, 1), bool)
    np.logical_or.at(ever, s, d)
    if g < 3 or not d.any() or d.all() or ever.all():
        raise ValueError("difference-in-differences needs pilot and other schools, and "
                         "periods before and after the start (at least 3 schools)")
    dt = _demean_two_way(d.astype(float), s, t)
    yt = _demean_two_way(yv, s, t)
    sxx = float(dt @ dt)
    beta = float(dt @ yt) / sxx
    u = yt - beta * dt
    score = np.bincount(s, dt * u, g)
    k = nt + 1
    c = g / (g - 1) * (n - 1) / max(n - k, 1)
    se = float(np.sqrt(c * (score @ score))) / sxx
    q = float(stats.t.ppf(0.5 + level / 2, g - 1))
    pilot = ever[s]
    post = np.zeros(nt, bool)
    post[np.unique(t[d])] = True
    post_t = t >= int(np.flatnonzero(post).min())

    def mean(mask: NDArray[np.bool_]) -> float:
        return float(yv[mask].mean()) if mask.any() else float("nan")

    return DidResult(outcome, beta, se, beta - q * se, beta + q * se, g - 1, n, g,
                     int(ever.sum()), mean(pilot & ~post_t), mean(pilot & post_t),
                     mean(~pilot & ~post_t), mean(~pilot & post_t))


# -- the pilot file ------------------------------------------------------------------------------
def read_pilot(path: str | Path, registry: Registry) -> dict[str, date]:
    """``school_id,start`` rows (start: ISO date the pilot began there)."""
    from ssckit.core.csvfile import read_csv_rows

    out: dict[str, date] = {}
    for r in read_csv_rows(Path(path), ("school_id", "start")):
        if r["school_id"] not in registry.schools:
            raise r.error("school_id", f"unknown school {r['school_id']!r} (not in the "
                                       "registry)")
        try:
            out[r["school_id"]] = date.fromisoformat(r["start"])
        except ValueError:
            raise r.error("start", f"{r['start']!r} is not a date like 2026-01-15") from None
    if not out:
        raise InputError(str(path), None, "no pilot schools listed (columns school_id,start)")
    if len(out) == len(registry.schools):
        raise InputError(str(path), None, "every school is in the pilot: there is nothing to "
                                          "compare with; leave the other schools out")
    return out


# -- the weekly panel ------------------------------------------------------------------------------
def _hours_source(readings_root: Path | None, hourly_root: Path | None
                  ) -> tuple[str, dict[str, Any]]:
    """Hourly (school_id, room_id, device_id, quantity, hour, n, mean): the aggregates, and
    minute readings of the hours that have none."""
    hsql, hparams = hourly_sql(hourly_root)
    rsql, rparams = readings_sql(readings_root)
    sql = (f"SELECT school_id, room_id, device_id, quantity, hour, n, mean FROM ({hsql}) "
           f"UNION ALL SELECT m.* FROM (SELECT school_id, room_id, device_id, quantity, "
           f"date_trunc('hour', ts) AS hour, count(*)::INTEGER AS n, avg(value) AS mean FROM "
           f"({rsql}) GROUP BY ALL) m ANTI JOIN ({hsql}) h USING (device_id, quantity, hour)")
    return sql, {**hparams, **rparams}


def _week(epoch_min: NDArray[np.int64], utc_offset_min: int) -> NDArray[np.int64]:
    """Monday-based week number of local time (1970-01-01 was a Thursday)."""
    return ((epoch_min + utc_offset_min) // 1440 + 3) // 7


def weekly_panel(store: Store, registry: Registry, readings_root: Path | None,
                 hourly_root: Path | None, utc_offset_min: int = 0
                 ) -> dict[str, dict[tuple[str, int], float]]:
    """Outcome -> {(school, week): value} (see the module docstring)."""
    src, params = _hours_source(readings_root, hourly_root)
    cur = store.cursor()
    try:
        rel = cur.execute(
            f"SELECT school_id, room_id, quantity, epoch(hour)::BIGINT // 60 AS m, "
            f"sum(mean * n) / sum(n) AS v FROM ({src}) WHERE quantity IN "
            "('co2', 'temperature') AND room_id <> '' GROUP BY ALL ORDER BY ALL",
            params).fetchnumpy()
        probe = cur.execute(
            f"SELECT school_id, epoch(hour)::BIGINT // 60 AS m, avg(mean) AS v FROM ({src}) "
            "WHERE quantity = 'online' GROUP BY ALL", params).fetchnumpy()
        meters = cur.execute(
            f"SELECT school_id, device_id || '/' || quantity AS k, epoch(hour)::BIGINT // 60 "
            f"AS m, sum(mean * n) / sum(n) AS v FROM ({src}) WHERE quantity IN "
            "('electricity', 'heat') GROUP BY ALL ORDER BY k, m", params).fetchnumpy()
    finally:
        cur.close()
    out: dict[str, dict[tuple[str, int], float]] = {k: {} for k in OUTCOMES}
    # rooms: occupied hours by the timetable (at least half of the hour)
    occ_hours = {k: week_table(r.timetable).reshape(168, 60).mean(axis=1) >= 0.5
                 for k, r in registry.rooms.items()}
    cat_ii = DEFAULT_OUTDOOR_CO2_PPM + CO2_ABOVE_OUTDOOR_PPM[1]
    if len(rel["m"]):
        m = rel["m"].astype(np.int64)
        local = m + utc_offset_min
        how = (((local // 1440) + 3) % 7) * 24 + (local % 1440) // 60
        wk = _week(m, utc_offset_min)
        sch, room = rel["school_id"].astype(str), rel["room_id"].astype(str)
        pairs, ridx = np.unique(np.char.add(np.char.add(sch, "\x1f"), room),
                                return_inverse=True)
        table = np.zeros((pairs.size, 168), bool)
        for i, p in enumerate(pairs):
            sid, rid = str(p).split("\x1f", 1)
            if (sid, rid) in occ_hours:
                table[i] = occ_hours[(sid, rid)]
        occ = table[ridx, how]
        is_co2 = rel["quantity"].astype(str) == "co2"
        v = rel["v"].astype(float)
        _school_week(out["co2_cat_ii_share"], sch, wk, occ & is_co2,
                     lambda k, w: 100.0 * np.bincount(k, (v[w] <= cat_ii).astype(float))
                     / np.bincount(k))
        # per room: hours above 28 degC in the week, then the mean over the school's rooms
        sel = occ & ~is_co2
        if sel.any():
            rw, rinv = np.unique(np.stack([ridx[sel], wk[sel]]), axis=1, return_inverse=True)
            hot = np.bincount(rinv.ravel(), (v[sel] > OVERHEATING_C).astype(float))
            rsch = np.array([str(pairs[i]).split("\x1f", 1)[0] for i in rw[0]])
            _school_week(out["overheating_hours"], rsch, rw[1], np.ones(rw.shape[1], bool),
                         lambda k, w: np.bincount(k, hot[w]) / np.bincount(k))
    if len(probe["m"]):
        wk = _week(probe["m"].astype(np.int64), utc_offset_min)
        for s in np.unique(probe["school_id"]):
            k = probe["school_id"] == s
            for w in np.unique(wk[k]):
                out["uptime"][(str(s), int(w))] = 100.0 * float(probe["v"][k][wk[k] == w].mean())
    if len(meters["m"]):
        k_, m, v = meters["k"], meters["m"].astype(np.int64), meters["v"].astype(float)
        same = np.r_[False, k_[1:] == k_[:-1]]
        use = np.where(same, np.maximum(np.diff(v, prepend=v[0]), 0.0), 0.0)
        wk = _week(m, utc_offset_min)
        sums: dict[tuple[str, int], float] = {}
        for s, w, x in zip(meters["school_id"], wk, use, strict=True):
            sums[(str(s), int(w))] = sums.get((str(s), int(w)), 0.0) + float(x)
        for (s, w), x in sums.items():
            pupils = registry.schools[s].pupils if s in registry.schools else 0
            if pupils:
                out["energy_per_pupil"][(s, w)] = x / pupils
    return out


def _school_week(target: dict[tuple[str, int], float], school: NDArray[Any],
                 week: NDArray[np.int64], sel: NDArray[np.bool_], reduce: Any) -> None:
    """target[(school, week)] = reduce(group index of the selected rows, selection)."""
    if not sel.any():
        return
    w = np.flatnonzero(sel)
    keys, k = np.unique(np.stack([np.unique(school, return_inverse=True)[1][w], week[w]]),
                        axis=1, return_inverse=True)
    names = np.unique(school)
    for (si, wi), val in zip(keys.T, reduce(k.ravel(), w), strict=True):
        target[(str(names[si]), int(wi))] = float(val)


def evaluate_pilot(panel: Mapping[str, Mapping[tuple[str, int], float]],
                   pilot: Mapping[str, date], level: float = 0.95, utc_offset_min: int = 0,
                   min_coverage: float = 0.0) -> list[DidResult]:
    """A :func:`did_estimate` per outcome of ``panel`` (:func:`weekly_panel`). A week counts as
    after the start when it begins on or after the start date's week (the start's week is the
    first treated one)."""
    start_week = {s: ((d - date(1970, 1, 1)).days + 3) // 7 for s, d in pilot.items()}
    out = []
    for name, cells in panel.items():
        if not cells:
            continue
        keys = sorted(cells)
        school = np.array([k[0] for k in keys])
        week = np.array([k[1] for k in keys])
        y = np.array([cells[k] for k in keys])
        d = np.array([s in start_week and w >= start_week[s] for s, w in keys])
        try:
            out.append(did_estimate(y, school, week, d, level, name))
        except ValueError:
            continue
    return out


def write_pilot_csv(path: str | Path, pilot: Mapping[str, date | datetime]) -> Path:
    """Write a pilot file (``school_id,start``)."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["school_id", "start"])
        for s, d in sorted(pilot.items()):
            w.writerow([s, (d.date() if isinstance(d, datetime) else d).isoformat()])
    return path
