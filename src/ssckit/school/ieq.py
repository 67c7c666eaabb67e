"""Indoor environmental quality of school rooms over their occupied hours: EN 16798-1 categories
for CO2 and operative temperature, the BB101 classroom CO2 rules, hysteresis alerts, energy
intensity from cumulative meters, and a DuckDB report over ``school_readings``.

Time stamps are one-minute readings, given either as ``numpy.datetime64`` (any unit; floored to
the minute) or as integer epoch minutes (minutes since 1970-01-01T00:00 UTC). Readings are
stored in UTC; the room timetable is in local time, so every function that consults the
timetable takes ``utc_offset_min``, the local offset from UTC [min] (e.g. 180 for UTC+3).

Each reading stands for one minute of the room's state: a share "of occupied time" is the share
of readings taken in occupied minutes. The NumPy functions take one series per room (one sensor);
the SQL report first averages several sensors of a room reporting in the same minute.

The operative temperature is approximated by the measured air temperature: the sensors measure
air temperature only, and in classrooms without large radiant surfaces the two differ by well
under 1 K (EN 16798-1:2019 allows the air temperature as an estimate of the operative temperature
where the difference is small).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import duckdb
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ssckit.school.schema import Room, parse_timetable

__all__ = [
    "BB101_DAILY_MEAN_PPM",
    "BB101_PEAK_MINUTES",
    "BB101_PEAK_PPM",
    "CO2_ABOVE_OUTDOOR_PPM",
    "DEFAULT_HEATING_MONTHS",
    "DEFAULT_OUTDOOR_CO2_PPM",
    "TEMPERATURE_RANGES_C",
    "AlertIntervals",
    "Runs",
    "co2_category",
    "category_shares",
    "daily_mean",
    "energy_intensity",
    "heating_season",
    "hysteresis_alerts",
    "ieq_report",
    "meter_consumption",
    "occupied_mask",
    "room_ieq",
    "runs_above",
    "temperature_category",
    "to_epoch_minutes",
    "week_table",
]

#: Design CO2 concentration above outdoor air [ppm] at the upper limit of categories I, II and
#: III; category IV is anything above the category III limit (EN 16798-1:2019, Annex B,
#: Table B.12 - default design values of CO2 concentrations above outdoor, non-adapted persons).
CO2_ABOVE_OUTDOOR_PPM: tuple[float, float, float] = (550.0, 800.0, 1350.0)

#: Outdoor CO2 concentration assumed when none is measured [ppm].
DEFAULT_OUTDOOR_CO2_PPM = 400.0

#: Operative temperature ranges [degC] of categories I, II and III for spaces with sedentary
#: activity (about 1.2 met: offices, classrooms), heating season (clothing about 1.0 clo) and
#: cooling season (about 0.5 clo); category IV is anything outside the category III range
#: (EN 16798-1:2019, Annex B, Table B.2 - default design ranges of indoor operative temperature
#: for buildings with mechanical cooling; the same values as EN 15251:2007 Table A.2).
TEMPERATURE_RANGES_C: dict[str, tuple[tuple[float, float], ...]] = {
    "heating": ((21.0, 23.0), (20.0, 24.0), (19.0, 25.0)),
    "cooling": ((23.5, 25.5), (23.0, 26.0), (22.0, 27.0)),
}

#: Months (1-12) counted as the heating season when no season is given (northern hemisphere).
DEFAULT_HEATING_MONTHS: tuple[int, ...] = (1, 2, 3, 4, 10, 11, 12)

#: UK Building Bulletin 101 (2018) performance standard for naturally ventilated teaching
#: spaces: the daily average CO2 over the occupied period below 1500 ppm, and the CO2 not above
#: 2000 ppm for more than 20 consecutive minutes in any day.
BB101_DAILY_MEAN_PPM = 1500.0
BB101_PEAK_PPM = 2000.0
BB101_PEAK_MINUTES = 20

_WEEK = 7 * 1440
_EPOCH_WEEKDAY = 3          # 1970-01-01 was a Thursday (Monday = 0)


# -- time ----------------------------------------------------------------------------------------
def to_epoch_minutes(ts: ArrayLike) -> NDArray[np.int64]:
    """Time stamps as integer minutes since 1970-01-01T00:00 UTC.

    Parameters
    ----------
    ts : array_like of datetime64 or int
        Time stamps: ``datetime64`` of any unit (floored to the minute) or epoch minutes [min].

    Returns
    -------
    ndarray of int64
        Epoch minutes [min].
    """
    a = np.asarray(ts)
    if np.issubdtype(a.dtype, np.datetime64):
        return a.astype("datetime64[m]").astype(np.int64)
    if np.issubdtype(a.dtype, np.integer):
        return a.astype(np.int64)
    if np.issubdtype(a.dtype, np.floating):
        return np.floor(a).astype(np.int64)
    raise TypeError(f"time stamps must be datetime64 or epoch minutes, not {a.dtype}")


def week_table(timetable: str | Sequence[tuple[int, int, int]]) -> NDArray[np.bool_]:
    """Occupied flag of every minute of the week (index 0 = Monday 00:00).

    Parameters
    ----------
    timetable : str or sequence of (weekday, start, end)
        A room timetable such as ``"mon-fri 08:00-14:30"`` or its parsed form
        (weekday 0 = Monday, start and end in minutes of the day [min]).

    Returns
    -------
    ndarray of bool, shape (10080,)
    """
    rules = parse_timetable(timetable) if isinstance(timetable, str) else timetable
    week = np.zeros(_WEEK, dtype=bool)
    for day, start, end in rules:
        week[day * 1440 + start: day * 1440 + end] = True
    return week


def _minute_of_week(local_min: NDArray[np.int64]) -> NDArray[np.int64]:
    return ((local_min // 1440 + _EPOCH_WEEKDAY) % 7) * 1440 + local_min % 1440


def occupied_mask(ts: ArrayLike, timetable: str | Sequence[tuple[int, int, int]],
                  utc_offset_min: int = 0) -> NDArray[np.bool_]:
    """Whether each time stamp falls in an occupied period of the timetable.

    Parameters
    ----------
    ts : array_like of datetime64 or int
        UTC time stamps (datetime64 or epoch minutes [min]).
    timetable : str or sequence of (weekday, start, end)
        Room timetable in local time, e.g. ``"mon-fri 08:00-14:30"``.
    utc_offset_min : int
        Local time minus UTC [min].

    Returns
    -------
    ndarray of bool
    """
    local = to_epoch_minutes(ts) + int(utc_offset_min)
    return week_table(timetable)[_minute_of_week(local)]


def heating_season(ts: ArrayLike, utc_offset_min: int = 0,
                   months: Iterable[int] = DEFAULT_HEATING_MONTHS) -> NDArray[np.bool_]:
    """Whether each time stamp falls in the heating season, by local calendar month.

    Parameters
    ----------
    ts : array_like of datetime64 or int
        UTC time stamps (datetime64 or epoch minutes [min]).
    utc_offset_min : int
        Local time minus UTC [min].
    months : iterable of int
        Months (1-12) of the heating season.

    Returns
    -------
    ndarray of bool
    """
    local = (to_epoch_minutes(ts) + int(utc_offset_min)).astype("datetime64[m]")
    month = local.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return np.isin(month, np.fromiter(months, dtype=np.int64))


# -- categories ----------------------------------------------------------------------------------
def co2_category(co2_ppm: ArrayLike, outdoor_co2_ppm: ArrayLike = DEFAULT_OUTDOOR_CO2_PPM,
                 limits_ppm: Sequence[float] = CO2_ABOVE_OUTDOOR_PPM) -> NDArray[np.int8]:
    """EN 16798-1 indoor air quality category (1 = I ... 4 = IV) from the CO2 concentration.

    Parameters
    ----------
    co2_ppm : array_like
        Indoor CO2 concentration [ppm].
    outdoor_co2_ppm : array_like
        Outdoor CO2 concentration [ppm]; broadcast against ``co2_ppm``.
    limits_ppm : sequence of 3 floats
        Upper limits of categories I, II, III as CO2 above outdoor [ppm].

    Returns
    -------
    ndarray of int8
        1, 2, 3 or 4 for categories I-IV.

    Notes
    -----
    With :math:`\\Delta C = C_{in} - C_{out}` and limits :math:`L_1 < L_2 < L_3`, the category is
    I if :math:`\\Delta C \\le L_1`, II if :math:`\\Delta C \\le L_2`, III if
    :math:`\\Delta C \\le L_3`, IV otherwise (a limit value itself belongs to the better category).

    References
    ----------
    EN 16798-1:2019, Annex B, Table B.12 (550 / 800 / 1350 ppm above outdoor).
    """
    delta = np.asarray(co2_ppm, dtype=float) - np.asarray(outdoor_co2_ppm, dtype=float)
    lim = np.asarray(limits_ppm, dtype=float)
    if lim.shape != (3,) or np.any(np.diff(lim) <= 0):
        raise ValueError("limits_ppm must be three increasing values (categories I, II, III)")
    return (1 + np.searchsorted(lim, delta, side="left")).astype(np.int8)


def temperature_category(temperature_c: ArrayLike, heating: ArrayLike = True,
                         ranges: dict[str, tuple[tuple[float, float], ...]] | None = None
                         ) -> NDArray[np.int8]:
    """EN 16798-1 thermal category (1 = I ... 4 = IV) from the operative temperature.

    Parameters
    ----------
    temperature_c : array_like
        Operative temperature [degC]; the measured air temperature is used as its proxy.
    heating : array_like of bool
        True in the heating season, False in the cooling season; broadcast.
    ranges : dict, optional
        ``{"heating": ((lo, hi) x 3), "cooling": (...)}`` ranges of categories I-III [degC];
        default :data:`TEMPERATURE_RANGES_C`.

    Returns
    -------
    ndarray of int8

    Notes
    -----
    The ranges are nested, so the category is one plus the number of category ranges
    (I, II, III) that do not contain :math:`T_{op}`; bounds are inclusive.

    References
    ----------
    EN 16798-1:2019, Annex B, Table B.2 (offices and spaces with similar activity, such as
    classrooms).
    """
    r = ranges or TEMPERATURE_RANGES_C
    t = np.asarray(temperature_c, dtype=float)
    h = np.asarray(heating, dtype=bool)
    t, h = np.broadcast_arrays(t, h)
    outside = np.zeros(t.shape, dtype=np.int8)
    for (hlo, hhi), (clo, chi) in zip(r["heating"], r["cooling"], strict=True):
        lo = np.where(h, hlo, clo)
        hi = np.where(h, hhi, chi)
        outside += ~((t >= lo) & (t <= hi))
    return (1 + outside).astype(np.int8)


def category_shares(categories: ArrayLike, mask: ArrayLike | None = None) -> NDArray[np.float64]:
    """Share of readings [%] in each category I-IV, optionally only where ``mask`` is True.

    Parameters
    ----------
    categories : array_like of int
        Categories 1-4.
    mask : array_like of bool, optional
        Readings to count (e.g. the occupied ones).

    Returns
    -------
    ndarray of float, shape (4,)
        Percent of counted readings in I, II, III, IV [%]; NaN if none is counted.
    """
    c = np.asarray(categories)
    if mask is not None:
        c = c[np.asarray(mask, dtype=bool)]
    if c.size == 0:
        return np.full(4, np.nan)
    return np.bincount(c.astype(np.int64) - 1, minlength=4)[:4] * 100.0 / c.size


# -- daily statistics and runs -------------------------------------------------------------------
def daily_mean(ts: ArrayLike, values: ArrayLike, mask: ArrayLike | None = None,
               utc_offset_min: int = 0) -> tuple[NDArray[np.datetime64], NDArray[np.float64]]:
    """Mean of ``values`` per local calendar day, over the readings where ``mask`` is True.

    Parameters
    ----------
    ts : array_like of datetime64 or int
        UTC time stamps (datetime64 or epoch minutes [min]).
    values : array_like
        Readings (any unit; the mean has the same unit).
    mask : array_like of bool, optional
        Readings to use, e.g. ``occupied_mask(ts, timetable)``.
    utc_offset_min : int
        Local time minus UTC [min].

    Returns
    -------
    days : ndarray of datetime64[D]
        Local days having at least one used reading, ascending.
    mean : ndarray of float
        Mean value of each day.
    """
    local = to_epoch_minutes(ts) + int(utc_offset_min)
    v = np.asarray(values, dtype=float)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        local, v = local[m], v[m]
    day = local // 1440
    days, inv = np.unique(day, return_inverse=True)
    mean = np.bincount(inv, weights=v, minlength=days.size) / np.bincount(inv, minlength=days.size)
    return days.astype("datetime64[D]"), mean


class Runs(NamedTuple):
    """Runs of consecutive one-minute readings: [start, end) in epoch minutes and length [min]."""

    start: NDArray[np.int64]
    end: NDArray[np.int64]
    minutes: NDArray[np.int64]


def runs_above(ts: ArrayLike, values: ArrayLike, threshold: float,
               mask: ArrayLike | None = None) -> Runs:
    """Runs of consecutive minutes with ``values > threshold`` (and ``mask`` True).

    Parameters
    ----------
    ts : array_like of datetime64 or int
        Time stamps of one-minute readings (datetime64 or epoch minutes [min]), unique.
    values : array_like
        Readings, e.g. CO2 [ppm].
    threshold : float
        A reading counts when strictly above this value (same unit as ``values``).
    mask : array_like of bool, optional
        Readings allowed in a run (e.g. occupied ones); others break a run.

    Returns
    -------
    Runs
        Start and end (exclusive) [epoch min] and length [min] of each run.

    Notes
    -----
    A run is a maximal sequence of counted readings whose time stamps follow each other by
    exactly one minute; a missing minute, an uncounted reading or an unoccupied minute ends it
    ("gaps and islands": minutes minus rank is constant within a run).
    """
    m = to_epoch_minutes(ts)
    v = np.asarray(values, dtype=float)
    sel = v > threshold
    if mask is not None:
        sel &= np.asarray(mask, dtype=bool)
    t = np.sort(m[sel])
    if t.size == 0:
        e = np.zeros(0, dtype=np.int64)
        return Runs(e, e.copy(), e.copy())
    brk = np.flatnonzero(np.diff(t) != 1)
    first = np.concatenate(([0], brk + 1))
    last = np.concatenate((brk, [t.size - 1]))
    start, end = t[first], t[last] + 1
    return Runs(start, end, end - start)


def _max_run_per_day(runs: Runs, utc_offset_min: int) -> dict[int, int]:
    out: dict[int, int] = {}
    for s, n in zip((runs.start + utc_offset_min) // 1440, runs.minutes, strict=True):
        out[int(s)] = max(out.get(int(s), 0), int(n))
    return out


class AlertIntervals(NamedTuple):
    """Alert intervals [start, end) in epoch minutes; ``open`` marks an alert still active at the
    last reading (its end is then the last time stamp plus one minute)."""

    start: NDArray[np.int64]
    end: NDArray[np.int64]
    open: NDArray[np.bool_]


def hysteresis_alerts(ts: ArrayLike, values: ArrayLike, raise_at: float = 1500.0,
                      clear_below: float = 1200.0) -> AlertIntervals:
    """Alert intervals with hysteresis: raised at ``values >= raise_at``, cleared at
    ``values < clear_below``.

    Parameters
    ----------
    ts : array_like of datetime64 or int
        Time stamps (datetime64 or epoch minutes [min]).
    values : array_like
        Readings, e.g. CO2 [ppm]; NaN readings keep the current state.
    raise_at : float
        Threshold that raises the alert (same unit as ``values``), inclusive.
    clear_below : float
        Threshold that clears it, exclusive; must not exceed ``raise_at``.

    Returns
    -------
    AlertIntervals
        ``start`` is the time of the raising reading, ``end`` that of the clearing reading.

    Notes
    -----
    The state after reading k is that set by the last reading :math:`j \\le k` with
    :math:`v_j \\ge` ``raise_at`` (on) or :math:`v_j <` ``clear_below`` (off); readings in
    between leave it unchanged. The state starts off. Computed without a loop: the index of the
    last deciding reading is a running maximum.
    """
    if clear_below > raise_at:
        raise ValueError("clear_below must not exceed raise_at")
    m = to_epoch_minutes(ts)
    v = np.asarray(values, dtype=float)
    order = np.argsort(m, kind="stable")
    m, v = m[order], v[order]
    n = v.size
    event = np.full(n, -1, dtype=np.int8)
    event[v < clear_below] = 0
    event[v >= raise_at] = 1
    idx = np.where(event >= 0, np.arange(n), -1)
    last = np.maximum.accumulate(idx) if n else idx
    state = np.where(last >= 0, event[np.maximum(last, 0)], 0).astype(np.int8)
    d = np.diff(np.concatenate(([0], state, [0])).astype(np.int8))
    on = np.flatnonzero(d == 1)
    off = np.flatnonzero(d == -1)
    is_open = off == n
    end = np.where(is_open, (m[-1] + 1) if n else 0, m[np.minimum(off, max(n - 1, 0))])
    return AlertIntervals(m[on], end.astype(np.int64), is_open)


# -- energy --------------------------------------------------------------------------------------
def meter_consumption(ts: ArrayLike, reading: ArrayLike, jitter_kwh: float = 0.0
                      ) -> NDArray[np.float64]:
    """Consumption between successive readings of a cumulative meter, with counter resets.

    Parameters
    ----------
    ts : array_like of datetime64 or int
        Time stamps (datetime64 or epoch minutes [min]); the readings are sorted by them.
    reading : array_like
        Cumulative meter index [kWh]; NaN readings are skipped.
    jitter_kwh : float
        A decrease no larger than this [kWh] is meter jitter and counts as zero consumption.

    Returns
    -------
    ndarray of float
        Consumption [kWh] in each interval between successive valid readings (one fewer than
        the valid readings).

    Notes
    -----
    :math:`\\Delta E_k = R_k - R_{k-1}` if :math:`R_k \\ge R_{k-1} - \\epsilon`, else (the
    counter was reset to zero, e.g. a replaced meter) :math:`\\Delta E_k = R_k`. A gap in the
    data loses no energy because the index is cumulative; a reset during a gap loses the part
    consumed before the reset.
    """
    m = to_epoch_minutes(ts)
    r = np.asarray(reading, dtype=float)
    ok = np.isfinite(r)
    m, r = m[ok], r[ok]
    r = r[np.argsort(m, kind="stable")]
    d = np.diff(r)
    reset = d < -abs(jitter_kwh)
    return np.where(reset, r[1:], np.maximum(d, 0.0))


def energy_intensity(ts: ArrayLike, reading: ArrayLike, floor_area_m2: float, pupils: int,
                     jitter_kwh: float = 0.0) -> dict[str, float]:
    """Energy use over the span of a cumulative meter, per m2 and per pupil.

    Parameters
    ----------
    ts : array_like of datetime64 or int
        Time stamps (datetime64 or epoch minutes [min]).
    reading : array_like
        Cumulative meter index [kWh].
    floor_area_m2 : float
        Conditioned floor area of the school [m2].
    pupils : int
        Number of pupils [-].
    jitter_kwh : float
        See :func:`meter_consumption` [kWh].

    Returns
    -------
    dict
        ``kwh`` [kWh], ``kwh_per_m2`` [kWh/m2], ``kwh_per_pupil`` [kWh/pupil] (NaN without
        pupils), ``days`` covered [d], ``resets`` detected [-].
    """
    m = to_epoch_minutes(ts)
    r = np.asarray(reading, dtype=float)
    inc = meter_consumption(m, r, jitter_kwh)
    sr = np.sort(m[np.isfinite(r)])
    srr = r[np.isfinite(r)][np.argsort(m[np.isfinite(r)], kind="stable")]
    total = float(inc.sum())
    return {"kwh": total,
            "kwh_per_m2": total / floor_area_m2,
            "kwh_per_pupil": total / pupils if pupils > 0 else float("nan"),
            "days": float(sr[-1] - sr[0]) / 1440.0 if sr.size > 1 else 0.0,
            "resets": int(np.count_nonzero(np.diff(srr) < -abs(jitter_kwh)))}


# -- per-room summary ----------------------------------------------------------------------------
def room_ieq(ts_co2: ArrayLike, co2_ppm: ArrayLike, timetable: str,
             ts_temperature: ArrayLike | None = None, temperature_c: ArrayLike | None = None, *,
             outdoor_co2_ppm: float = DEFAULT_OUTDOOR_CO2_PPM, utc_offset_min: int = 0,
             heating_months: Iterable[int] = DEFAULT_HEATING_MONTHS) -> dict[str, Any]:
    """IEQ summary of one room over its occupied minutes (the NumPy twin of :func:`ieq_report`).

    Parameters
    ----------
    ts_co2 : array_like of datetime64 or int
        UTC time stamps of the CO2 readings (datetime64 or epoch minutes [min]), unique.
    co2_ppm : array_like
        CO2 concentration [ppm].
    timetable : str
        Room timetable in local time, e.g. ``"mon-fri 08:00-14:30"``.
    ts_temperature, temperature_c : array_like, optional
        Air temperature readings [degC] (operative temperature proxy) and their time stamps.
    outdoor_co2_ppm : float
        Outdoor CO2 [ppm].
    utc_offset_min : int
        Local time minus UTC [min].
    heating_months : iterable of int
        Months (1-12) assessed with the heating-season temperature ranges.

    Returns
    -------
    dict
        ``occupied_co2_minutes``; ``co2_share`` and ``temperature_share`` (lists of % in I-IV);
        ``occupied_temperature_readings``; ``co2_mean_occupied`` [ppm]; ``co2_daily_mean``
        (list of (ISO date, ppm)); ``max_daily_co2_mean`` [ppm]; ``max_minutes_above_2000``
        [min]; ``days_over_2000_20min`` and ``days_mean_over_1500`` (BB101 failures) and
        ``days_assessed``.

    References
    ----------
    EN 16798-1:2019, Annex B, Tables B.2 and B.12; DfE Building Bulletin 101 (2018),
    performance standards for ventilation of teaching spaces.
    """
    m = to_epoch_minutes(ts_co2)
    c = np.asarray(co2_ppm, dtype=float)
    occ = occupied_mask(m, timetable, utc_offset_min)
    cats = co2_category(c[occ], outdoor_co2_ppm)
    days, means = daily_mean(m, c, occ, utc_offset_min)
    runs = runs_above(m, c, BB101_PEAK_PPM, occ)
    per_day = _max_run_per_day(runs, utc_offset_min)
    out: dict[str, Any] = {
        "occupied_co2_minutes": int(occ.sum()),
        "co2_share": category_shares(cats).tolist(),
        "co2_mean_occupied": float(c[occ].mean()) if occ.any() else float("nan"),
        "co2_daily_mean": [(str(d), float(x)) for d, x in zip(days, means, strict=True)],
        "max_daily_co2_mean": float(means.max()) if means.size else float("nan"),
        "max_minutes_above_2000": int(runs.minutes.max()) if runs.minutes.size else 0,
        "days_over_2000_20min": sum(1 for n in per_day.values() if n > BB101_PEAK_MINUTES),
        "days_mean_over_1500": int(np.count_nonzero(means >= BB101_DAILY_MEAN_PPM)),
        "days_assessed": int(days.size),
    }
    if ts_temperature is not None and temperature_c is not None:
        mt = to_epoch_minutes(ts_temperature)
        t = np.asarray(temperature_c, dtype=float)
        occ_t = occupied_mask(mt, timetable, utc_offset_min)
        heat = heating_season(mt[occ_t], utc_offset_min, heating_months)
        out["occupied_temperature_readings"] = int(occ_t.sum())
        out["temperature_share"] = category_shares(temperature_category(t[occ_t], heat)).tolist()
    else:
        out["occupied_temperature_readings"] = 0
        out["temperature_share"] = [float("nan")] * 4
    return out


# -- DuckDB report -------------------------------------------------------------------------------
def _rooms_from_db(con: duckdb.DuckDBPyConnection) -> list[Room]:
    try:
        rows = con.execute("SELECT school_id, room_id, type, area_m2, capacity, timetable "
                           "FROM school_rooms").fetchall()
    except duckdb.CatalogException:
        raise ValueError("ieq_report needs the rooms (their timetables): pass rooms=, or keep "
                         "them in a table school_rooms") from None
    return [Room(str(a), str(b), str(c), float(d), int(e), str(f)) for a, b, c, d, e, f in rows]


def ieq_report(con: duckdb.DuckDBPyConnection, school_ids: Iterable[str] | None = None,
               start: Any = None, end: Any = None,
               outdoor_co2: float = DEFAULT_OUTDOOR_CO2_PPM, *,
               rooms: Iterable[Room] | None = None, utc_offset_min: int = 0,
               heating_months: Iterable[int] = DEFAULT_HEATING_MONTHS,
               source: str = "school_readings",
               source_params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Per-room IEQ report computed in DuckDB over ``school_readings`` in occupied minutes.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection holding ``school_readings`` (and ``school_rooms`` if ``rooms`` is None).
    school_ids : iterable of str, optional
        Schools to report; all by default.
    start, end : datetime or str, optional
        UTC time span [start, end) of the readings.
    outdoor_co2 : float
        Outdoor CO2 [ppm].
    rooms : iterable of Room, optional
        Rooms and their timetables (local time); read from ``school_rooms`` when None.
    utc_offset_min : int
        Local time minus UTC [min].
    heating_months : iterable of int
        Months (1-12) assessed with the heating-season temperature ranges.
    source : str
        The readings relation: ``school_readings``, or a ``(SELECT ...)`` over DuckDB and the
        Parquet history (``storage.readings_sql``).
    source_params : mapping, optional
        The named parameters of ``source``.

    Returns
    -------
    list of dict
        One dict per room with readings, sorted by school and room: ``school_id``, ``room_id``
        and the keys of :func:`room_ieq`.

    Notes
    -----
    The timetables are materialised as a temporary table holding each room's week as a bit
    string (bit k: minute k of the week, Monday 00:00 = 0), looked up at the local minute of
    the week of every reading; readings of several sensors of a room in the same occupied
    minute are then averaged. Runs above 2000 ppm are
    "gaps and islands": within a run, epoch minute minus row number is constant.

    References
    ----------
    EN 16798-1:2019, Annex B, Tables B.2 and B.12; DfE Building Bulletin 101 (2018).
    """
    room_list = list(rooms) if rooms is not None else _rooms_from_db(con)
    schools = None if school_ids is None else sorted(set(school_ids))
    if schools is not None:
        room_list = [r for r in room_list if r.school_id in schools]
    cur = con.cursor()
    try:
        return _ieq_report(cur, room_list, schools, start, end, float(outdoor_co2),
                           int(utc_offset_min), sorted({int(x) for x in heating_months}), source,
                           dict(source_params or {}))
    finally:
        cur.close()


def _ieq_report(cur: duckdb.DuckDBPyConnection, rooms: list[Room], schools: list[str] | None,
                start: Any, end: Any, outdoor: float, off: int,
                heating_months: list[int], source: str = "school_readings",
                source_params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    # each room's week as a bit string: bit k is minute k of the week (Monday 00:00 = 0)
    occ = {"k": np.arange(len(rooms), dtype=np.int32),
           "school_id": np.array([r.school_id for r in rooms], dtype=object),
           "room_id": np.array([r.room_id for r in rooms], dtype=object),
           "week": np.array([(week_table(r.timetable).astype(np.uint8) + ord("0")).tobytes()
                             .decode() for r in rooms], dtype=object)}
    cur.register("ieq_occ_src", occ)
    cur.execute("CREATE OR REPLACE TEMP TABLE ieq_occ AS "
                "SELECT k, school_id::VARCHAR AS school_id, room_id::VARCHAR AS room_id, "
                "week::VARCHAR::BIT AS week FROM ieq_occ_src")
    cur.unregister("ieq_occ_src")

    where = ["quantity IN ('co2', 'temperature')", "room_id <> ''"]
    params: dict[str, Any] = {**(source_params or {}), "ieq_off": off,
                              "ieq_weekday": _EPOCH_WEEKDAY}
    if schools is not None:
        where.append("list_contains($ieq_schools, school_id)")
        params["ieq_schools"] = schools
    if start is not None:
        where.append("ts >= $ieq_start::TIMESTAMP")
        params["ieq_start"] = start
    if end is not None:
        where.append("ts < $ieq_end::TIMESTAMP")
        params["ieq_end"] = end
    # the limits of EN 16798-1 and BB101, as parameters of the second query
    limits: dict[str, Any] = {"outdoor": outdoor, "months": heating_months,
                              "daily_ppm": BB101_DAILY_MEAN_PPM, "peak_ppm": BB101_PEAK_PPM,
                              "peak_min": BB101_PEAK_MINUTES}
    for i, lim in enumerate(CO2_ABOVE_OUTDOOR_PPM, 1):
        limits[f"co2_{i}"] = lim
    for season in ("heating", "cooling"):
        for i, (lo, hi) in enumerate(TEMPERATURE_RANGES_C[season], 1):
            limits[f"{season}_{i}_lo"], limits[f"{season}_{i}_hi"] = lo, hi

    def tcase(col: str, season: str) -> str:
        return " ".join(f"WHEN {col} BETWEEN ${season}_{i}_lo AND ${season}_{i}_hi THEN {i}"
                        for i in (1, 2, 3))

    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE ieq_occupied AS
        WITH raw AS (
            SELECT school_id, room_id, quantity, epoch_ms(ts) // 60000 + $ieq_off AS lm, value
            FROM {source} AS readings WHERE {' AND '.join(where)}
        )
        SELECT o.k, r.quantity = 'co2' AS is_co2, r.lm, avg(r.value) AS v
        FROM raw r JOIN ieq_occ o ON o.school_id = r.school_id AND o.room_id = r.room_id
        WHERE get_bit(o.week, (((r.lm // 1440 + $ieq_weekday) % 7) * 1440
                               + r.lm % 1440)::INTEGER) = 1
        GROUP BY o.k, is_co2, r.lm
    """, params)
    rows = cur.execute(f"""
        WITH co2 AS (
            SELECT k, lm, v,
                   CASE WHEN v - $outdoor <= $co2_1 THEN 1 WHEN v - $outdoor <= $co2_2 THEN 2
                        WHEN v - $outdoor <= $co2_3 THEN 3 ELSE 4 END AS cat
            FROM ieq_occupied WHERE is_co2
        ),
        temp AS (
            SELECT k,
                   CASE WHEN list_contains($months::BIGINT[], month(make_timestamp(lm * 60000000)))
                        THEN CASE {tcase('v', 'heating')} ELSE 4 END
                        ELSE CASE {tcase('v', 'cooling')} ELSE 4 END
                   END AS cat
            FROM ieq_occupied WHERE NOT is_co2
        ),
        co2_agg AS (
            SELECT k, count(*) AS n, avg(v) AS mean,
                   [count_if(cat = 1) * 100.0 / count(*), count_if(cat = 2) * 100.0 / count(*),
                    count_if(cat = 3) * 100.0 / count(*), count_if(cat = 4) * 100.0 / count(*)]
                   AS share
            FROM co2 GROUP BY ALL
        ),
        temp_agg AS (
            SELECT k, count(*) AS n,
                   [count_if(cat = 1) * 100.0 / count(*), count_if(cat = 2) * 100.0 / count(*),
                    count_if(cat = 3) * 100.0 / count(*), count_if(cat = 4) * 100.0 / count(*)]
                   AS share
            FROM temp GROUP BY ALL
        ),
        daily AS (
            SELECT k, lm // 1440 AS day, avg(v) AS mean
            FROM co2 GROUP BY ALL
        ),
        daily_agg AS (
            SELECT k,
                   list(struct_pack(day := day, mean := mean) ORDER BY day) AS days,
                   max(mean) AS max_mean, count(*) AS n_days,
                   count_if(mean >= $daily_ppm) AS days_mean_fail
            FROM daily GROUP BY ALL
        ),
        islands AS (
            SELECT k, lm, lm - row_number() OVER (PARTITION BY k ORDER BY lm) AS grp
            FROM co2 WHERE v > $peak_ppm
        ),
        runs AS (
            SELECT k, min(lm) // 1440 AS day, count(*) AS minutes
            FROM islands GROUP BY k, grp
        ),
        run_days AS (
            SELECT k, day, max(minutes) AS minutes FROM runs GROUP BY ALL
        ),
        run_agg AS (
            SELECT k, max(minutes) AS max_run,
                   count_if(minutes > $peak_min) AS days_run_fail
            FROM run_days GROUP BY ALL
        ),
        keys AS (SELECT k FROM co2_agg UNION SELECT k FROM temp_agg)
        SELECT o.school_id, o.room_id, c.n, c.mean, c.share, t.n, t.share, d.days, d.max_mean,
               d.n_days, d.days_mean_fail, r.max_run, r.days_run_fail
        FROM keys JOIN ieq_occ o USING (k)
        LEFT JOIN co2_agg c USING (k)
        LEFT JOIN temp_agg t USING (k)
        LEFT JOIN daily_agg d USING (k)
        LEFT JOIN run_agg r USING (k)
        ORDER BY o.school_id, o.room_id
    """, limits).fetchall()
    cur.execute("DROP TABLE IF EXISTS ieq_occupied")
    cur.execute("DROP TABLE IF EXISTS ieq_occ")
    nan4 = [float("nan")] * 4
    out = []
    for (s, r, n, mean, share, nt, tshare, days, max_mean, n_days, mean_fail, max_run,
         run_fail) in rows:
        out.append({
            "school_id": s, "room_id": r,
            "occupied_co2_minutes": int(n or 0),
            "co2_share": list(share) if share is not None else nan4,
            "co2_mean_occupied": float(mean) if mean is not None else float("nan"),
            "co2_daily_mean": [(str(np.datetime64(int(x["day"]), "D")), float(x["mean"]))
                               for x in (days or [])],
            "max_daily_co2_mean": float(max_mean) if max_mean is not None else float("nan"),
            "max_minutes_above_2000": int(max_run or 0),
            "days_over_2000_20min": int(run_fail or 0),
            "days_mean_over_1500": int(mean_fail or 0),
            "days_assessed": int(n_days or 0),
            "occupied_temperature_readings": int(nt or 0),
            "temperature_share": list(tshare) if tshare is not None else nan4,
        })
    return out
