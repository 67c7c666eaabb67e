"""School internet connectivity: status by days since the last measurement, uptime during school
hours, share of speed tests meeting the benchmark, and median speeds and latency.

The status follows the idea of school-connectivity monitoring in the UNICEF-ITU Giga initiative
(a school "reports" while its measurement device keeps sending tests); the thresholds are this
module's configurable defaults, not published Giga values: live if the last measurement is at
most 1 day old, at risk if at most 7 days old, drop-off beyond that, never without any.

Time stamps are ``numpy.datetime64`` (any unit) or integer epoch minutes (UTC); school hours come
from a timetable in local time (see :mod:`ssckit.school.ieq`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ssckit.school.ieq import occupied_mask, to_epoch_minutes

__all__ = [
    "DEFAULT_AT_RISK_DAYS",
    "DEFAULT_LIVE_DAYS",
    "DEFAULT_SCHOOL_HOURS",
    "benchmark_share",
    "connectivity_status",
    "school_connectivity",
    "speed_medians",
    "uptime",
]

#: A school is "live" if its last measurement is at most this old [d] (configurable default).
DEFAULT_LIVE_DAYS = 1.0
#: ... "at-risk" if at most this old [d], "drop-off" beyond (configurable default).
DEFAULT_AT_RISK_DAYS = 7.0
#: School hours used for uptime when no timetable is given (local time).
DEFAULT_SCHOOL_HOURS = "mon-fri 08:00-15:00"


def connectivity_status(last_ts: ArrayLike, now: ArrayLike, live_days: float = DEFAULT_LIVE_DAYS,
                        at_risk_days: float = DEFAULT_AT_RISK_DAYS) -> NDArray[np.str_]:
    """Status of each school from the age of its last measurement.

    Parameters
    ----------
    last_ts : array_like of datetime64 or int
        Time of each school's last measurement (datetime64, NaT for none, or epoch minutes
        [min]).
    now : datetime64 or int
        Reference time (datetime64 or epoch minutes [min]).
    live_days : float
        Largest age [d] still "live".
    at_risk_days : float
        Largest age [d] still "at-risk"; older is "drop-off".

    Returns
    -------
    ndarray of str
        "live", "at-risk", "drop-off" or "never" (no measurement).

    Notes
    -----
    age = (now - last) / 1440 [d]; live if age <= live_days, at-risk if age <= at_risk_days,
    drop-off otherwise. A measurement later than ``now`` counts as age 0.
    """
    if at_risk_days < live_days:
        raise ValueError("at_risk_days must be at least live_days")
    raw = np.asarray(last_ts)
    never = np.isnat(raw) if np.issubdtype(raw.dtype, np.datetime64) else np.zeros(raw.shape,
                                                                                      bool)
    last = to_epoch_minutes(np.where(never, np.datetime64(0, "m"), raw) if never.any() else raw)
    age = np.maximum(int(to_epoch_minutes(now)) - last, 0) / 1440.0
    out = np.where(age <= live_days, "live", np.where(age <= at_risk_days, "at-risk",
                                                         "drop-off"))
    return np.where(never, "never", out)


def uptime(ts: ArrayLike, online: ArrayLike, start: Any, end: Any,
           timetable: str = DEFAULT_SCHOOL_HOURS, utc_offset_min: int = 0,
           probe_interval_min: int = 15, gaps: str = "down") -> dict[str, float]:
    """Share of school-hour minutes with the connection up.

    Parameters
    ----------
    ts : array_like of datetime64 or int
        Time stamps of the ``online`` probe readings (datetime64 or epoch minutes [min]).
    online : array_like
        1 = online, 0 = offline [-].
    start, end : datetime64 or int
        Assessed UTC span [start, end) (datetime64 or epoch minutes [min]).
    timetable : str
        School hours in local time, e.g. ``"mon-fri 08:00-15:00"``.
    utc_offset_min : int
        Local time minus UTC [min].
    probe_interval_min : int
        A reading stands for the minutes [ts, ts + interval) [min].
    gaps : {"down", "unknown"}
        School-hour minutes covered by no reading count as down ("down", the conservative
        choice: a silent probe usually means no connection) or are left out of the share
        ("unknown").

    Returns
    -------
    dict
        ``uptime`` [-] (0-1; NaN if no minute is assessed), ``up_min``, ``down_min``,
        ``unknown_min`` [min].

    Notes
    -----
    uptime = up / (up + down), where "down" includes the uncovered minutes when
    ``gaps="down"``. A minute takes the value of the latest reading at or before it, if that
    reading is less than ``probe_interval_min`` old.
    """
    if gaps not in ("down", "unknown"):
        raise ValueError("gaps must be 'down' or 'unknown'")
    s, e = int(to_epoch_minutes(start)), int(to_epoch_minutes(end))
    grid = np.arange(s, e, dtype=np.int64)
    grid = grid[occupied_mask(grid, timetable, utc_offset_min)]
    m = to_epoch_minutes(ts)
    v = np.asarray(online, dtype=float)
    ok = np.isfinite(v)
    m, v = m[ok], v[ok]
    order = np.argsort(m, kind="stable")
    m, v = m[order], v[order]
    idx = np.searchsorted(m, grid, side="right") - 1
    covered = idx >= 0
    covered[covered] = (grid[covered] - m[idx[covered]]) < probe_interval_min
    up = int(np.count_nonzero(v[idx[covered]] >= 0.5))
    down = int(np.count_nonzero(covered)) - up
    unknown = int(grid.size - np.count_nonzero(covered))
    if gaps == "down":
        down, unknown = down + unknown, 0
    total = up + down
    return {"uptime": up / total if total else float("nan"), "up_min": float(up),
            "down_min": float(down), "unknown_min": float(unknown)}


def benchmark_share(download_mbps: ArrayLike, benchmark_mbps: float) -> float:
    """Share of speed tests whose download speed meets the benchmark.

    Parameters
    ----------
    download_mbps : array_like
        Download speeds of the tests [Mbit/s]; NaN is ignored.
    benchmark_mbps : float
        Benchmark download speed [Mbit/s]; a test meets it when ``speed >= benchmark``.

    Returns
    -------
    float
        Share [-] (0-1); NaN without tests.
    """
    d = np.asarray(download_mbps, dtype=float)
    d = d[np.isfinite(d)]
    return float(np.count_nonzero(d >= benchmark_mbps) / d.size) if d.size else float("nan")


def speed_medians(download_mbps: ArrayLike, upload_mbps: ArrayLike,
                  latency_ms: ArrayLike) -> dict[str, float]:
    """Medians of the download [Mbit/s], upload [Mbit/s] and latency [ms] tests (NaN ignored).

    Parameters
    ----------
    download_mbps, upload_mbps : array_like
        Speeds [Mbit/s].
    latency_ms : array_like
        Round-trip latency [ms].

    Returns
    -------
    dict
        ``download_mbps``, ``upload_mbps``, ``latency_ms`` medians (NaN without data).
    """
    def med(x: ArrayLike) -> float:
        a = np.asarray(x, dtype=float)
        a = a[np.isfinite(a)]
        return float(np.median(a)) if a.size else float("nan")

    return {"download_mbps": med(download_mbps), "upload_mbps": med(upload_mbps),
            "latency_ms": med(latency_ms)}


def school_connectivity(series: Mapping[str, tuple[ArrayLike, ArrayLike]], *, now: Any,
                        start: Any, end: Any, benchmark_mbps: float,
                        timetable: str = DEFAULT_SCHOOL_HOURS, utc_offset_min: int = 0,
                        probe_interval_min: int = 15, gaps: str = "down",
                        live_days: float = DEFAULT_LIVE_DAYS,
                        at_risk_days: float = DEFAULT_AT_RISK_DAYS) -> dict[str, Any]:
    """Connectivity summary of one school from its probe readings.

    Parameters
    ----------
    series : mapping of str to (ts, values)
        Readings per quantity: ``"online"`` [0/1], ``"download"``, ``"upload"`` [Mbit/s],
        ``"latency"`` [ms] (others ignored); each ts datetime64 or epoch minutes [min].
    now : datetime64 or int
        Reference time for the status (UTC).
    start, end : datetime64 or int
        UTC span [start, end) for uptime, benchmark share and medians.
    benchmark_mbps : float
        Benchmark download speed [Mbit/s].
    timetable, utc_offset_min, probe_interval_min, gaps
        See :func:`uptime`.
    live_days, at_risk_days : float
        See :func:`connectivity_status` [d].

    Returns
    -------
    dict
        ``status``, ``last_measurement`` (datetime64[m] or NaT), ``days_since_last`` [d], the
        keys of :func:`uptime`, ``benchmark_share`` [-] and the keys of :func:`speed_medians`.
    """
    s, e = int(to_epoch_minutes(start)), int(to_epoch_minutes(end))
    last = max((int(to_epoch_minutes(t).max()) for t, _ in series.values()
                if np.asarray(t).size), default=None)
    now_m = int(to_epoch_minutes(now))
    status = (connectivity_status(np.array([last]), now_m, live_days, at_risk_days)[0]
              if last is not None else "never")

    def window(q: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        if q not in series:
            return np.zeros(0, np.int64), np.zeros(0)
        t = to_epoch_minutes(series[q][0])
        v = np.asarray(series[q][1], dtype=float)
        k = (t >= s) & (t < e)
        return t[k], v[k]

    t_on, on = window("online")
    out: dict[str, Any] = {
        "status": str(status),
        "last_measurement": (np.datetime64(last, "m") if last is not None
                             else np.datetime64("NaT", "m")),
        "days_since_last": (now_m - last) / 1440.0 if last is not None else float("nan"),
    }
    out.update(uptime(t_on, on, s, e, timetable, utc_offset_min, probe_interval_min, gaps))
    out["benchmark_share"] = benchmark_share(window("download")[1], benchmark_mbps)
    out.update(speed_medians(window("download")[1], window("upload")[1], window("latency")[1]))
    return out

