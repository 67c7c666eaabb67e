"""Seeded simulator of Smart School sensor data: a synthetic registry (schools, rooms, devices),
one-minute readings for a span of days, and hourly aggregates for a year computed directly.

Both come piece by piece (:class:`MinuteSimulator`, :class:`HourlySimulator`: a UTC day, or a
calendar month, at a time), so a long span needs the memory of one piece. Each piece carries
the state of rooms, meters and weather to the next, and every random number comes from a
stream keyed by (seed, kind, day): the data are the same however the span is cut.

Physics, vectorised across rooms and stepped minute by minute with exact exponential steps:

* occupancy from the room timetable: 40-minute lessons with 10-minute breaks, a lunch break,
  daily attendance, whole-class absences, stochastic rounding;
* CO2 from the single-zone mass balance dC/dt = G N / V + lambda (C_out - C), with the air
  change rate lambda from infiltration, the room's ventilation and windows opened in breaks;
* air temperature from a first-order room model driven by the heating schedule (set point and
  night setback) and the outdoor weather (seasonal and daily sinusoids plus fronts);
* humidity from outdoor vapour pressure plus occupant moisture (tied to the CO2 excess), PM2.5
  from outdoor infiltration plus resuspension, noise and illuminance from occupancy and daylight;
* cumulative electricity and heat meters per school, and a connectivity probe every 15 minutes
  (download, upload, latency, jitter, packet loss, online) with outages and silent probes;
* deliberate sensor faults - stuck values, spikes, dropouts, meter counter resets - where the
  rows that carry a fault are flagged in :attr:`Readings.fault`.

Time stamps are UTC epoch minutes; a quantity reported every N minutes is read on the minutes
that are multiples of N. Timetables and schedules are in local time (``utc_offset_min``; the
sample city is at UTC+3).
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ssckit.school.ieq import to_epoch_minutes, week_table
from ssckit.school.schema import (
    DEVICE_COLUMNS,
    ROOM_COLUMNS,
    SCHOOL_COLUMNS,
    Device,
    Registry,
    Room,
    School,
)

__all__ = [
    "CEILING_HEIGHT_M",
    "CO2_GENERATION_LPS",
    "DEFAULT_INTERVALS_MIN",
    "PROBE_QUANTITIES",
    "ROOM_QUANTITIES",
    "SAMPLE_CENTRE_LATLON",
    "SAMPLE_UTC_OFFSET_MIN",
    "Buildings",
    "Hourly",
    "HourlySimulator",
    "MinuteSimulator",
    "Readings",
    "buildings",
    "co2_mass_balance",
    "co2_steady_state",
    "registry_from_rows",
    "sample_registry",
    "simulate_hourly",
    "simulate_minutes",
    "write_sample_registry",
]

#: Centre of the sample city [deg] and its local time offset from UTC [min].
SAMPLE_CENTRE_LATLON = (40.69, 39.06)
SAMPLE_UTC_OFFSET_MIN = 180

#: CO2 generation per pupil [L/s]: a school-age child (about 10-15 years) at light, seated
#: activity (1.2-1.4 met) (Persily & de Jonge 2017, Indoor Air 27(5), Table 4, order of
#: magnitude of the 6-16 year rows; an adult office worker is about 0.005 L/s).
CO2_GENERATION_LPS = 0.0043
#: Water vapour released per pupil [g/s] (about 50 g/h, seated).
MOISTURE_GENERATION_GPS = 0.014
#: Room height used for the volume V = area x height [m].
CEILING_HEIGHT_M = 3.0

ROOM_QUANTITIES = ("co2", "temperature", "humidity", "pm25", "noise", "illuminance", "occupancy")
METER_QUANTITIES = ("electricity", "heat")
PROBE_QUANTITIES = ("download", "upload", "latency", "jitter", "packet_loss", "online")
_ALL_QUANTITIES = ROOM_QUANTITIES + METER_QUANTITIES + PROBE_QUANTITIES

#: Reporting interval of each quantity [min]: CO2 every minute (the 20-minute BB101 rule needs
#: it), slower quantities less often, meters and the connectivity probe every 15 minutes.
DEFAULT_INTERVALS_MIN: dict[str, int] = {
    "co2": 1, "temperature": 5, "humidity": 15, "pm25": 15, "noise": 15, "illuminance": 15,
    "occupancy": 10, "electricity": 15, "heat": 15, **{q: 15 for q in PROBE_QUANTITIES}}

#: Outdoor climate of the sample city (inland north-east Anatolia, continental): annual mean,
#: seasonal and daily half-amplitudes [degC], outdoor CO2 [ppm], mean outdoor PM2.5 [ug/m3].
_CLIMATE = {"t_mean": 9.0, "t_season": 11.0, "t_day": 5.0, "co2_out": 420.0, "pm_out": 18.0}

_ROOM_KINDS = {  # type: (area range [m2], capacity range, timetables)
    "classroom": ((48.0, 64.0), (22, 32), ("mon-fri 08:00-14:30", "mon-fri 08:30-15:00",
                                          "mon,wed,fri 08:00-15:00; tue,thu 08:00-13:00")),
    "lab": ((60.0, 80.0), (18, 26), ("mon-fri 09:00-14:00",)),
    "gym": ((250.0, 400.0), (30, 60), ("mon-fri 09:00-13:00",)),
    "library": ((70.0, 110.0), (20, 40), ("mon-fri 08:00-16:00",)),
    "office": ((25.0, 40.0), (4, 8), ("mon-fri 07:30-16:30",)),
}


# -- registry ------------------------------------------------------------------------------------
def sample_registry(seed: int = 0, n_schools: int = 20,
                    centre_latlon: tuple[float, float] = SAMPLE_CENTRE_LATLON,
                    radius_km: float = 4.0) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                     list[dict[str, Any]]]:
    """Registry rows of a synthetic city: schools, their rooms, and devices.

    Parameters
    ----------
    seed : int
        Random seed.
    n_schools : int
        Number of schools [-].
    centre_latlon : (float, float)
        City centre latitude and longitude [deg].
    radius_km : float
        Schools lie uniformly within this distance of the centre [km].

    Returns
    -------
    schools, rooms, devices : list of dict
        Rows keyed by ``SCHOOL_COLUMNS``, ``ROOM_COLUMNS`` and ``DEVICE_COLUMNS`` of
        :mod:`ssckit.school.schema` (a device's quantities joined by ';'). Each room has one
        environment sensor (``<school>-<room>-env``); each school one meter (``<school>-meter``)
        and one connectivity probe (``<school>-probe``), with an empty room. The gross floor
        area is the rooms' area times the school's :attr:`Buildings.floor_factor`; classrooms
        of a ``long`` or ``short`` school (:attr:`Buildings.style`) share its timetable.
    """
    rng = np.random.default_rng(seed)
    bld = buildings(seed, n_schools)
    lat0, lon0 = centre_latlon
    schools, rooms, devices = [], [], []
    for i in range(n_schools):
        sid = f"SCH{i + 1:02d}"
        r = radius_km * math.sqrt(rng.random())
        th = rng.uniform(0, 2 * math.pi)
        lat = lat0 + r * math.cos(th) / 111.32
        lon = lon0 + r * math.sin(th) / (111.32 * math.cos(math.radians(lat0)))
        kinds = ["classroom"] * int(rng.integers(6, 10)) + ["lab", "office"]
        kinds += [k for k, p in (("gym", 0.6), ("library", 0.5)) if rng.random() < p]
        area_sum, class_cap = 0.0, 0
        for j, kind in enumerate(kinds):
            (alo, ahi), (clo, chi), tts = _ROOM_KINDS[kind]
            area = round(float(rng.uniform(alo, ahi)), 1)
            cap = int(rng.integers(clo, chi + 1))
            rid = f"R{j + 1:02d}"
            tt = tts[int(rng.integers(len(tts)))]
            if kind == "classroom" and bld.style[i] in _STYLE_TIMETABLE:
                tt = _STYLE_TIMETABLE[str(bld.style[i])]
            rooms.append({"school_id": sid, "room_id": rid, "type": kind, "area_m2": area,
                          "capacity": cap, "timetable": tt})
            devices.append({"device_id": f"{sid}-{rid}-env", "school_id": sid, "room_id": rid,
                            "quantities": ";".join(ROOM_QUANTITIES)})
            area_sum += area
            class_cap += cap if kind == "classroom" else 0
        down = float(rng.choice([20.0, 50.0, 100.0, 200.0]))
        schools.append({
            "id": sid, "name": f"Sample School {i + 1}", "lat": round(lat, 6),
            "lon": round(lon, 6), "pupils": int(class_cap * rng.uniform(0.85, 1.0)),
            "staff": int(len(kinds) * 1.5 + 5),
            "floor_area_m2": round(area_sum * float(bld.floor_factor[i]), 1),
            "contracted_down_mbps": down,
            "contracted_up_mbps": float(down / rng.choice([2.0, 5.0, 10.0])),
            "benchmark_down_mbps": 20.0})
        devices.append({"device_id": f"{sid}-meter", "school_id": sid, "room_id": "",
                        "quantities": ";".join(METER_QUANTITIES)})
        devices.append({"device_id": f"{sid}-probe", "school_id": sid, "room_id": "",
                        "quantities": ";".join(PROBE_QUANTITIES)})
    return schools, rooms, devices


def write_sample_registry(folder: str | Path, seed: int = 0, n_schools: int = 20,
                          centre_latlon: tuple[float, float] = SAMPLE_CENTRE_LATLON
                          ) -> tuple[Path, Path, Path]:
    """Write ``schools.csv``, ``rooms.csv`` and ``devices.csv`` of :func:`sample_registry`.

    Parameters
    ----------
    folder : str or Path
        Existing output folder.
    seed : int
        Random seed.
    n_schools : int
        Number of schools [-].
    centre_latlon : (float, float)
        City centre [deg].

    Returns
    -------
    (Path, Path, Path)
        The three files, readable with :func:`ssckit.school.schema.read_registry`.
    """
    folder = Path(folder)
    out = []
    for name, cols, rows in zip(("schools", "rooms", "devices"),
                                (SCHOOL_COLUMNS, ROOM_COLUMNS, DEVICE_COLUMNS),
                                sample_registry(seed, n_schools, centre_latlon), strict=True):
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(cols))
            w.writeheader()
            w.writerows(rows)
        out.append(path)
    return out[0], out[1], out[2]


def registry_from_rows(schools: list[dict[str, Any]], rooms: list[dict[str, Any]],
                       devices: list[dict[str, Any]]) -> Registry:
    """Build a :class:`~ssckit.school.schema.Registry` from rows like :func:`sample_registry`'s
    (no validation; use ``read_registry`` on CSV files for checked input)."""
    return Registry(
        {s["id"]: School(s["id"], s["name"], float(s["lat"]), float(s["lon"]), int(s["pupils"]),
                         int(s["staff"]), float(s["floor_area_m2"]),
                         float(s["contracted_down_mbps"]), float(s["contracted_up_mbps"]),
                         float(s["benchmark_down_mbps"])) for s in schools},
        {(r["school_id"], r["room_id"]): Room(r["school_id"], r["room_id"], r["type"],
                                              float(r["area_m2"]), int(r["capacity"]),
                                              r["timetable"]) for r in rooms},
        {d["device_id"]: Device(d["device_id"], d["school_id"], d["room_id"],
                                tuple(q for q in d["quantities"].split(";") if q))
         for d in devices})


# -- mass balance --------------------------------------------------------------------------------
def co2_steady_state(n_people: ArrayLike, volume_m3: ArrayLike, ach_per_h: ArrayLike,
                     c_out_ppm: ArrayLike = 420.0,
                     generation_lps: float = CO2_GENERATION_LPS) -> NDArray[np.float64]:
    """Steady-state CO2 of a well-mixed room.

    Parameters
    ----------
    n_people : array_like
        Occupants [-].
    volume_m3 : array_like
        Room volume [m3].
    ach_per_h : array_like
        Outdoor air change rate lambda [1/h], > 0.
    c_out_ppm : array_like
        Outdoor CO2 [ppm].
    generation_lps : float
        CO2 generation per person [L/s].

    Returns
    -------
    ndarray
        :math:`C_{ss}` [ppm].

    Notes
    -----
    :math:`C_{ss} = C_{out} + 10^6 \\, G N / (\\lambda V)` with G in m3/s and lambda in 1/s
    (steady solution of the single-zone mass balance, e.g. ASTM D6245-18, Eq. (1)).
    """
    lam = np.asarray(ach_per_h, dtype=float) / 3600.0
    return (np.asarray(c_out_ppm, dtype=float) + 1e6 * generation_lps * 1e-3
            * np.asarray(n_people, dtype=float) / (lam * np.asarray(volume_m3, dtype=float)))


def co2_mass_balance(c0_ppm: ArrayLike, n_people: ArrayLike, volume_m3: ArrayLike,
                     ach_per_h: ArrayLike, c_out_ppm: ArrayLike = 420.0, dt_s: float = 60.0,
                     generation_lps: float = CO2_GENERATION_LPS) -> NDArray[np.float64]:
    """Integrate the single-zone CO2 mass balance with exact exponential steps.

    Parameters
    ----------
    c0_ppm : array_like, shape (R,)
        Concentration at the start [ppm] (R rooms, or a scalar).
    n_people : array_like, shape (T, R) or (T,)
        Occupants in each step [-].
    volume_m3 : array_like, shape (R,)
        Room volumes [m3].
    ach_per_h : array_like, shape (T, R) or (T,)
        Air change rate in each step [1/h], > 0.
    c_out_ppm : array_like
        Outdoor CO2 [ppm], broadcast to (T, R).
    dt_s : float
        Step [s].
    generation_lps : float
        CO2 generation per person [L/s].

    Returns
    -------
    ndarray, shape (T, R)
        Concentration at the START of each step [ppm] (row 0 is ``c0``).

    Notes
    -----
    :math:`dC/dt = G N / V + \\lambda (C_{out} - C)`; with inputs constant over a step,
    :math:`C_{k+1} = C_{ss,k} + (C_k - C_{ss,k}) e^{-\\lambda_k \\Delta t}` exactly, where
    :math:`C_{ss,k}` is :func:`co2_steady_state` of step k.
    """
    n = np.asarray(n_people, dtype=float)
    lam_h = np.broadcast_to(np.asarray(ach_per_h, dtype=float), n.shape)
    css = co2_steady_state(n, volume_m3, lam_h, c_out_ppm, generation_lps)
    a = np.exp(-lam_h / 3600.0 * dt_s)
    c0 = np.broadcast_to(np.asarray(c0_ppm, dtype=float), a.shape[1:])
    return _relax(c0, np.broadcast_to(css, a.shape), a)[0]


def _relax(x0: ArrayLike, target: NDArray[np.float64], decay: NDArray[np.float64]
           ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """x[k+1] = target[k] + (x[k] - target[k]) * decay[k], rows being time steps: the value at
    the start of every step, and the value after the last one (the state of the next piece)."""
    out = np.empty(target.shape)
    x = np.broadcast_to(np.asarray(x0, dtype=float), target.shape[1:]).copy()
    tmp = np.empty(target.shape[1:])
    for k in range(target.shape[0]):
        out[k] = x
        np.subtract(x, target[k], out=tmp)
        np.multiply(tmp, decay[k], out=tmp)
        np.add(target[k], tmp, out=x)
    return out, x


def _psat_pa(t_c: NDArray[np.float64]) -> NDArray[np.float64]:
    # Magnus formula over water (Alduchov & Eskridge 1996 coefficients)
    return 610.94 * np.exp(17.625 * t_c / (t_c + 243.04))


# -- readings containers -------------------------------------------------------------------------
def _register_insert(con: duckdb.DuckDBPyConnection, facts: dict[str, NDArray[Any]],
                     sql: str, params: list[Any]) -> None:
    """Run ``sql`` over ``sim_facts`` (the columns ``facts``) on ``con`` itself, so that it
    belongs to the caller's transaction."""
    con.register("sim_facts", facts)
    try:
        con.execute(sql, params)
    finally:
        con.unregister("sim_facts")


@dataclass(frozen=True)
class Readings:
    """Simulated readings as columns; strings are held once in the lookup tuples.

    ``device`` indexes ``device_ids`` (and ``school_ids``/``room_ids``), ``quantity`` indexes
    ``quantities``; ``ts`` is UTC epoch minutes; ``fault`` flags rows carrying a deliberate
    fault (stuck value, spike, meter reset). The simulator emits rows ordered by school, device,
    quantity name and time.
    """

    device_ids: tuple[str, ...]
    school_ids: tuple[str, ...]
    room_ids: tuple[str, ...]
    quantities: tuple[str, ...]
    device: NDArray[np.int32]
    quantity: NDArray[np.int8]
    ts: NDArray[np.int64]
    value: NDArray[np.float64]
    fault: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.value.size)

    @classmethod
    def concat(cls, parts: Sequence[Readings]) -> Readings:
        """One batch of ``parts`` (sharing their lookups), in order."""
        first = parts[0]
        return dataclasses.replace(first, **{
            f: np.concatenate([getattr(p, f) for p in parts])
            for f in ("device", "quantity", "ts", "value", "fault")})

    def columns(self) -> dict[str, NDArray[Any]]:
        """``device_id``, ``quantity`` (object arrays), ``ts`` (datetime64[m]), ``value``."""
        return {"device_id": np.asarray(self.device_ids, dtype=object)[self.device],
                "quantity": np.asarray(self.quantities, dtype=object)[self.quantity],
                "ts": self.ts.astype("datetime64[m]"), "value": self.value}

    def select(self, device_id: str, quantity: str
               ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_]]:
        """Time stamps [epoch min], values and fault flags of one device and quantity."""
        k = (self.device == self.device_ids.index(device_id)) & (
            self.quantity == self.quantities.index(quantity))
        order = np.argsort(self.ts[k], kind="stable")
        return self.ts[k][order], self.value[k][order], self.fault[k][order]

    def select_time(self, start_min: int | None, end_min: int | None) -> Readings:
        """The readings with ``start_min <= ts < end_min`` [epoch minutes]; None: open."""
        if self.ts.size and (start_min is None or self.ts.min() >= start_min) and (
                end_min is None or self.ts.max() < end_min):
            return self
        k = np.ones(self.ts.shape, bool)
        if start_min is not None:
            k &= self.ts >= start_min
        if end_min is not None:
            k &= self.ts < end_min
        return dataclasses.replace(self, device=self.device[k], quantity=self.quantity[k],
                                   ts=self.ts[k], value=self.value[k], fault=self.fault[k])

    def sorted_by_key(self) -> Readings:
        """The same readings ordered by (device id, quantity, time): the primary-key order of
        ``school_readings``, which makes a bulk insert several times faster."""
        dev = np.asarray(self.device_ids, dtype=object)[self.device].astype(str)
        qty = np.asarray(self.quantities, dtype=object)[self.quantity].astype(str)
        order = np.lexsort((self.ts, qty, dev))
        return dataclasses.replace(self, device=self.device[order],
                                   quantity=self.quantity[order], ts=self.ts[order],
                                   value=self.value[order], fault=self.fault[order])

    def to_duckdb(self, con: duckdb.DuckDBPyConnection, table: str = "school_readings") -> int:
        """Append the readings to ``table`` (columns of ``school_readings``) on ``con`` (inside
        its transaction, if one is open); returns the count."""
        _register_insert(con, {"d": self.device, "q": self.quantity, "ts": self.ts,
                               "value": self.value}, f"""
            INSERT INTO {table} (device_id, quantity, ts, value, school_id, room_id)
            SELECT list_extract($1::VARCHAR[], d + 1), list_extract($2::VARCHAR[], q + 1),
                   make_timestamp(ts * 60000000), value, list_extract($3::VARCHAR[], d + 1),
                   list_extract($4::VARCHAR[], d + 1)
            FROM sim_facts
        """, [list(self.device_ids), list(self.quantities), list(self.school_ids),
              list(self.room_ids)])
        return len(self)


@dataclass(frozen=True)
class Hourly:
    """Hourly aggregates as columns, matching ``school_hourly`` (``hour`` in UTC epoch
    minutes at the start of the hour); rows ordered by school, device, quantity name, hour."""

    device_ids: tuple[str, ...]
    school_ids: tuple[str, ...]
    room_ids: tuple[str, ...]
    quantities: tuple[str, ...]
    device: NDArray[np.int32]
    quantity: NDArray[np.int8]
    hour: NDArray[np.int64]
    n: NDArray[np.int32]
    mean: NDArray[np.float64]
    min: NDArray[np.float64]
    max: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.mean.size)

    @classmethod
    def concat(cls, parts: Sequence[Hourly]) -> Hourly:
        """One batch of ``parts`` (sharing their lookups), in order."""
        return dataclasses.replace(parts[0], **{
            f: np.concatenate([getattr(p, f) for p in parts])
            for f in ("device", "quantity", "hour", "n", "mean", "min", "max")})

    def to_duckdb(self, con: duckdb.DuckDBPyConnection, table: str = "school_hourly") -> int:
        """Append the aggregates to ``table`` (columns of ``school_hourly``); returns the count."""
        _register_insert(con, {"d": self.device, "q": self.quantity, "hour": self.hour,
                               "n": self.n, "mean": self.mean, "min": self.min,
                               "max": self.max}, f"""
            INSERT INTO {table} (school_id, room_id, device_id, quantity, hour, n, mean, min,
                                 max)
            SELECT list_extract($3::VARCHAR[], d + 1), list_extract($4::VARCHAR[], d + 1),
                   list_extract($1::VARCHAR[], d + 1), list_extract($2::VARCHAR[], q + 1),
                   make_timestamp(hour * 60000000), n, mean, min, max
            FROM sim_facts
        """, [list(self.device_ids), list(self.quantities), list(self.school_ids),
              list(self.room_ids)])
        return len(self)


# -- shared drivers ------------------------------------------------------------------------------
@dataclass
class _Setup:
    rooms: list[Room]
    schools: list[School]
    room_school: NDArray[np.int64]
    device_ids: tuple[str, ...]
    school_ids: tuple[str, ...]
    room_ids: tuple[str, ...]
    env_dev: NDArray[np.int32]
    meter_dev: NDArray[np.int32]
    probe_dev: NDArray[np.int32]
    area: NDArray[np.float64]
    cap: NDArray[np.float64]
    week: NDArray[np.bool_]            # (R, 10080)
    lam_base: NDArray[np.float64]      # infiltration [1/h]
    lam_occ: NDArray[np.float64]       # ventilation when occupied [1/h]
    mech: NDArray[np.bool_]
    p_window: NDArray[np.float64]
    t_set: NDArray[np.float64]
    daylight_factor: NDArray[np.float64]
    loud: NDArray[np.float64]
    bld: Buildings                     # per school: envelope, loads, heating schedule

    def heated(self, heat_season: NDArray[np.bool_], weekday: NDArray[np.bool_],
               minute_of_day: NDArray[np.int64]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Heating on, per room (T, R) and per school (T, S): the heating season, a weekday,
        and the school's heating hours (local minutes of the day)."""
        b = self.bld
        on_s = heat_season & (weekday & (minute_of_day[:, None] >= b.heat_on_min) & (
            minute_of_day[:, None] < b.heat_off_min))
        return on_s[:, self.room_school], on_s

    @property
    def have(self) -> NDArray[np.int64]:
        """Rooms with an environment sensor."""
        return np.flatnonzero(self.env_dev >= 0)

    def by_school(self, x: NDArray[Any], how: str = "mean") -> NDArray[np.float64]:
        """(T, R) room values to (T, S) per school: the mean over its rooms, or ``"any"``.
        Rooms are sorted by school, so each school's rooms are one run (summed in order, the
        same whatever T is)."""
        out = np.zeros((x.shape[0], len(self.schools)))
        if not self.rooms:
            return out
        starts = np.flatnonzero(np.r_[True, np.diff(self.room_school) != 0])
        idx = self.room_school[starts]
        if how == "any":
            out[:, idx] = np.logical_or.reduceat(x, starts, axis=1)
        else:
            out[:, idx] = np.add.reduceat(x, starts, axis=1) / np.diff(
                np.r_[starts, len(self.rooms)])
        return out

    def centre(self) -> tuple[float, float]:
        if not self.schools:
            return SAMPLE_CENTRE_LATLON
        return (float(np.mean([s.lat for s in self.schools])),
                float(np.mean([s.lon for s in self.schools])))

    def series(self, room_quantities: Sequence[str], meter_quantities: Sequence[str],
               probe_quantities: Sequence[str]) -> NDArray[np.int32]:
        """Rank of every emitted (device, quantity) in the output order (school, device,
        quantity name); -1 where none is emitted. Shape (devices, quantities)."""
        qidx = {q: i for i, q in enumerate(_ALL_QUANTITIES)}
        pairs = [(int(d), qidx[q]) for d in self.env_dev[self.have] for q in room_quantities]
        pairs += [(int(d), qidx[q]) for d in self.meter_dev[self.meter_dev >= 0]
                  for q in meter_quantities]
        pairs += [(int(d), qidx[q]) for d in self.probe_dev[self.probe_dev >= 0]
                  for q in probe_quantities]
        pairs.sort(key=lambda p: (self.school_ids[p[0]], self.device_ids[p[0]],
                                  _ALL_QUANTITIES[p[1]]))
        rank = np.full((len(self.device_ids), len(_ALL_QUANTITIES)), -1, dtype=np.int32)
        for i, (d, q) in enumerate(pairs):
            rank[d, q] = i
        return rank


@dataclass(frozen=True)
class Buildings:
    """What makes schools use different energy per m², per school (in sorted id order).

    era: 0 built before 1970 and not renovated, 1 built 1970-1999, 2 built from 2000 or
    deeply renovated; h_loss: heat loss coefficient (transmission and ventilation) per m² of
    floor [W/(m² K)], by era 1.8-2.6, 1.1-1.6 and 0.5-0.9 (the spread of heat-loss parameters
    of EU school stock, e.g. TABULA/EPISCOPE school typologies); el_base: electric base load
    [W/m²]; el_occ: extra electric load at full occupancy (lighting, ICT) [W/m²];
    heat_on_min / heat_off_min: daily heating hours [local minute of the day]; setback:
    night and weekend set point in the heating season [°C]; set_point: day set point [°C];
    floor_factor: gross floor area over the rooms' area [-]; style: timetable of the school
    (``standard``, ``long`` with afternoon clubs, ``short`` for a half-day school).
    Drawn from a stream of their own, so the other draws of the simulator do not move.
    """

    era: NDArray[np.int64]
    h_loss: NDArray[np.float64]
    el_base: NDArray[np.float64]
    el_occ: NDArray[np.float64]
    heat_on_min: NDArray[np.int64]
    heat_off_min: NDArray[np.int64]
    setback: NDArray[np.float64]
    set_point: NDArray[np.float64]
    floor_factor: NDArray[np.float64]
    style: NDArray[np.str_]


_BUILDING = 9
_ERA_H_LOSS = ((1.8, 2.6), (1.1, 1.6), (0.5, 0.9))
_STYLE_TIMETABLE = {"long": "mon-fri 08:00-16:30", "short": "mon-fri 08:00-13:00"}


def buildings(seed: int, n_schools: int) -> Buildings:
    """The :class:`Buildings` of ``n_schools`` schools for ``seed``."""
    rng = np.random.default_rng([seed & _KEY_MASK, _BUILDING])
    n = n_schools
    era = rng.choice(3, n, p=[0.35, 0.4, 0.25])
    lo, hi = (np.array([_ERA_H_LOSS[e][k] for e in era]) for k in (0, 1))
    return Buildings(
        era, rng.uniform(lo, hi), rng.uniform(0.8, 2.5, n), rng.uniform(4.0, 9.0, n),
        rng.integers(5, 8, n) * 60, rng.integers(15, 19, n) * 60, rng.uniform(12.0, 17.0, n),
        rng.uniform(20.0, 22.0, n), rng.uniform(1.4, 2.2, n),
        rng.choice(np.array(["standard", "long", "short"]), n, p=[0.6, 0.25, 0.15]))


def _setup(registry: Registry, rng: np.random.Generator, seed: int = 0) -> _Setup:
    rooms = [registry.rooms[k] for k in sorted(registry.rooms)]
    schools = [registry.schools[k] for k in sorted(registry.schools)]
    sidx = {s.id: i for i, s in enumerate(schools)}
    dev = sorted(registry.devices.values(), key=lambda d: d.device_id)
    ids = tuple(d.device_id for d in dev)
    env = np.full(len(rooms), -1, dtype=np.int32)
    meter = np.full(len(schools), -1, dtype=np.int32)
    probe = np.full(len(schools), -1, dtype=np.int32)
    ridx = {(r.school_id, r.room_id): i for i, r in enumerate(rooms)}
    for i, d in enumerate(dev):
        if d.room_id and "co2" in d.quantities and env[ridx[(d.school_id, d.room_id)]] < 0:
            env[ridx[(d.school_id, d.room_id)]] = i
        elif not d.room_id and "electricity" in d.quantities and meter[sidx[d.school_id]] < 0:
            meter[sidx[d.school_id]] = i
        elif not d.room_id and "online" in d.quantities and probe[sidx[d.school_id]] < 0:
            probe[sidx[d.school_id]] = i
    n = len(rooms)
    kind = np.array([r.type for r in rooms])
    mech = rng.random(n) < 0.3
    lam_occ = np.where(mech, rng.uniform(3.0, 5.0, n), np.exp(rng.normal(np.log(1.6), 0.45, n)))
    lam_occ = np.where(kind == "gym", lam_occ * 1.5, lam_occ)
    bld = buildings(seed, len(schools))
    room_school = np.array([sidx[r.school_id] for r in rooms], dtype=np.int64)
    return _Setup(
        rooms, schools, room_school, ids,
        tuple(d.school_id for d in dev), tuple(d.room_id for d in dev), env, meter, probe,
        np.array([r.area_m2 for r in rooms]), np.array([float(r.capacity) for r in rooms]),
        np.stack([week_table(r.timetable) for r in rooms]) if rooms else np.zeros((0, 10080),
                                                                                    bool),
        rng.uniform(0.15, 0.5, n), lam_occ, mech, rng.uniform(0.2, 0.9, n),
        (bld.set_point[room_school] if n else np.zeros(0)) + rng.normal(0.0, 0.8, n),
        rng.uniform(0.01, 0.03, n),
        np.where(kind == "gym", 8.0, np.where(kind == "office", -5.0, 0.0)), bld)


# -- random streams ------------------------------------------------------------------------------
# Every draw that belongs to a day comes from a stream keyed by (seed, kind, day): a UTC day for
# minute noise, faults, outages and weather, a local day for attendance, rooms in use, windows
# and lights. A piece of the span therefore gets the same numbers however the span is cut.
_WEATHER, _LOCAL, _MINUTE, _FAULT, _OUTAGE, _HOURLY, _HOURLY_LOCAL = range(1, 8)
_KEY_MASK = (1 << 63) - 1


def _stream(seed: int, kind: int, day: int) -> np.random.Generator:
    return np.random.default_rng([seed & _KEY_MASK, kind, day & _KEY_MASK])


def _ceil(minute: int, step: int) -> int:
    return -(-minute // step) * step


def _grid(lo: int, hi: int, step: int) -> NDArray[np.int64]:
    """The minutes ``lo <= t < hi`` on which a quantity reported every ``step`` minutes is
    read: the multiples of ``step`` (so a reading's time does not depend on where a span
    starts)."""
    return np.arange(_ceil(lo, step), hi, step, dtype=np.int64)


def _grid_len(day: int, step: int) -> int:
    return (_ceil(day * 1440 + 1440, step) - _ceil(day * 1440, step)) // step


def _events(rng: np.random.Generator, rate: float, n_slots: int, length: int,
            dur: tuple[int, int]) -> tuple[NDArray[np.int64], NDArray[np.int64],
                                           NDArray[np.int64]]:
    """(slot, start, stop) of events: a Poisson count per slot, uniform start and duration
    (in steps), clipped to ``length``."""
    slot = np.repeat(np.arange(n_slots), rng.poisson(rate, n_slots))
    start = rng.integers(0, max(length, 1), slot.size)
    stop = np.minimum(start + rng.integers(dur[0], dur[1] + 1, slot.size), length)
    return slot, start, stop


def _epoch_minute(start: Any) -> int:
    return int(to_epoch_minutes(np.datetime64(start, "m") if isinstance(start, str) else start))


class _Weather:
    """City weather (one series for every school): outdoor temperature with seasonal and daily
    sinusoids plus fronts (an AR(1) process per UTC hour, interpolated), humidity, PM2.5 and
    sun; cloud cover per local day. Innovations are keyed by day (see :func:`_stream`)."""

    def __init__(self, seed: int, first_min: int, end_min: int, utc_offset_min: int,
                 lat: float, lon: float) -> None:
        self.off, self.lat, self.lon = utc_offset_min, lat, lon
        self.d0 = first_min // 1440 - 2               # margins: whole local days at both ends
        d1 = end_min // 1440 + 3
        eps, cloud = [], []
        for d in range(self.d0, d1):
            rng = _stream(seed, _WEATHER, d)
            eps.append(rng.normal(0.0, 0.75, 24))
            cloud.append(rng.random())
        front = np.zeros(24 * (d1 - self.d0))
        f = 0.0
        for k, e in enumerate(np.concatenate(eps).tolist()):
            if k:                      # AR(1), about 3 K standard deviation, 1-2 day memory
                f = 0.97 * f + e
            front[k] = f
        self.front, self.cloud = front, np.array(cloud)
        self._day_mean: dict[int, float] = {}

    def at(self, utc_min: NDArray[np.int64], local_min: NDArray[np.int64]
           ) -> dict[str, NDArray[np.float64]]:
        """Weather at the given minutes: t_out [degC], rh_out [%], pm_out [ug/m3], sun [-]."""
        c = _CLIMATE
        m = local_min.astype("datetime64[m]")
        doy = (m - m.astype("datetime64[Y]")).astype(np.int64) / 1440.0
        hour = (local_min % 1440) / 60.0
        front = np.interp((utc_min - self.d0 * 1440) / 60.0, np.arange(self.front.size),
                          self.front)
        cloud = self.cloud[local_min // 1440 - self.d0]
        t_out = (c["t_mean"] - c["t_season"] * np.cos(2 * np.pi * (doy - 20.0) / 365.25)
                 - c["t_day"] * np.cos(2 * np.pi * (hour - 3.0) / 24.0) + front)
        rh_out = np.clip(72.0 + 12.0 * np.cos(2 * np.pi * (hour - 4.0) / 24.0) - 0.8 * front
                         + 15.0 * cloud - 7.5, 20.0, 100.0)
        winter = 0.5 * (1 + np.cos(2 * np.pi * (doy - 15.0) / 365.25))
        pm_out = c["pm_out"] * (0.6 + 0.9 * winter) * (
            1 + 0.3 * np.cos(2 * np.pi * (hour - 20) / 24))
        decl = np.radians(23.44) * np.sin(2 * np.pi * (284 + doy) / 365.0)
        h_angle = np.radians(15.0 * (((utc_min % 1440) / 60.0 + self.lon / 15.0) - 12.0))
        phi = math.radians(self.lat)
        sin_el = np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.cos(h_angle)
        return {"t_out": t_out, "rh_out": rh_out, "pm_out": pm_out,
                "sun": np.maximum(sin_el, 0.0) * (1 - 0.75 * cloud)}

    def heating(self, local_day: int) -> bool:
        """Heating season on a local day: its mean outdoor temperature (over the 24 mid-hours)
        is below 15 degC."""
        if local_day not in self._day_mean:
            local = local_day * 1440 + 30 + 60 * np.arange(24, dtype=np.int64)
            self._day_mean[local_day] = float(self.at(local - self.off, local)["t_out"].mean())
        return self._day_mean[local_day] < 15.0


def _day_cuts(lo: int, hi: int) -> list[tuple[int, int, int]]:
    """(UTC day, first minute, end minute) of each day a piece [lo, hi) touches."""
    return [(d, max(lo, d * 1440), min(hi, d * 1440 + 1440))
            for d in range(lo // 1440, (hi - 1) // 1440 + 1)]


def _cut(draws: list[dict[str, NDArray[Any]]], cuts: list[tuple[int, int, int]], key: str,
         step: int) -> NDArray[Any]:
    """The piece's rows of a per-day array drawn on the day's ``step`` grid."""
    parts = []
    for dr, (d, a, b) in zip(draws, cuts, strict=True):
        g0 = _ceil(d * 1440, step)
        parts.append(dr[key][(_ceil(a, step) - g0) // step:(_ceil(b, step) - g0) // step])
    return np.concatenate(parts)


# -- minute simulation ---------------------------------------------------------------------------
class MinuteSimulator:
    """One-minute readings of every device of a registry over ``days`` days, piece by piece.

    Iterate :meth:`pieces` once: each piece carries the state of the rooms (CO2, temperature),
    the meters and the weather to the next, and its random numbers come from streams keyed by
    day, so the readings are the same however the span is cut (one day per piece or many).
    Memory is bounded by the piece: rooms x minutes of it.

    Parameters
    ----------
    registry : Registry
        Schools, rooms and devices (e.g. from :func:`sample_registry`).
    start : datetime64, str or int
        First UTC minute (datetime64, ISO string or epoch minutes [min]).
    days : int
        Length of the span [d].
    seed : int
        Random seed; the same seed gives the same readings.
    utc_offset_min : int
        Local time minus UTC [min] of timetables and schedules.
    intervals_min : mapping of str to int, optional
        Reporting interval per quantity [min]; default :data:`DEFAULT_INTERVALS_MIN`. A
        quantity is read on the minutes that are multiples of its interval.
    faults : bool
        Inject sensor faults (stuck values, spikes, dropouts, meter resets).
    outages : bool
        Inject connectivity outages and silent probes.
    """

    def __init__(self, registry: Registry, start: Any, days: int, seed: int = 0, *,
                 utc_offset_min: int = SAMPLE_UTC_OFFSET_MIN,
                 intervals_min: Mapping[str, int] | None = None, faults: bool = True,
                 outages: bool = True) -> None:
        rng = np.random.default_rng(seed)
        self.seed, self.off = int(seed), int(utc_offset_min)
        self.iv = {**DEFAULT_INTERVALS_MIN, **(intervals_min or {})}
        self.faults, self.outages = faults, outages
        st = self._st = _setup(registry, rng, int(seed))
        self.start = _epoch_minute(start)
        self.end = self.start + int(days) * 1440
        n_r, n_s = len(st.rooms), len(st.schools)
        self._week = np.ascontiguousarray(st.week.T)                  # (10080, R)
        kind = np.array([r.type for r in st.rooms])
        self._shared = np.isin(kind, ("gym", "lab", "library"))      # not in use every hour
        self._gym = kind == "gym"
        self._window_ach = rng.uniform(3.0, 8.0, n_r)                # windows open [1/h]
        self._energy = rng.uniform(1_000.0, 50_000.0, (2, n_s))     # meter indices [kWh]
        self._reset = np.zeros((2, n_s))           # what counter restarts took off [kWh]
        self._link = rng.uniform(0.6, 0.95, (2, n_s))   # achieved share of down/up contract
        self._latency = rng.uniform(15.0, 60.0, n_s)    # [ms]
        self._silent_from = np.full(n_s, np.iinfo(np.int64).max)
        for s, back in zip(rng.permutation(n_s)[:2], (3, 10), strict=False):
            if days > back + 1:                          # one at-risk, one drop-off probe
                self._silent_from[s] = self.end - back * 1440
        self._wx = _Weather(self.seed, self.start, self.end, self.off, *st.centre())
        self._rank = st.series(ROOM_QUANTITIES, METER_QUANTITIES, PROBE_QUANTITIES)
        self._co2: NDArray[np.float64] | None = None
        self._temp: NDArray[np.float64] | None = None
        self._next = self.start
        self._local_cache: dict[int, dict[str, NDArray[Any]]] = {}

    @property
    def device_ids(self) -> tuple[str, ...]:
        return self._st.device_ids

    def empty(self) -> Readings:
        """No readings, with this simulator's lookups."""
        st = self._st
        return Readings(st.device_ids, st.school_ids, st.room_ids, _ALL_QUANTITIES,
                        np.zeros(0, np.int32), np.zeros(0, np.int8), np.zeros(0, np.int64),
                        np.zeros(0), np.zeros(0, bool))

    def n_pieces(self, days: int = 1) -> int:
        """How many pieces :meth:`pieces` yields (the UTC days the span touches / days)."""
        if self.end <= self.start:
            return 0
        return -(-((self.end - 1) // 1440 - self.start // 1440 + 1) // days)

    def pieces(self, days: int = 1) -> Iterator[Readings]:
        """The readings in pieces of ``days`` UTC days (the first and the last clipped to the
        span), each ordered by school, device, quantity and time."""
        if days < 1:
            raise ValueError("days per piece must be >= 1")
        while self._next < self.end:
            lo = self._next
            hi = min((lo // 1440 + days) * 1440, self.end)
            yield self._piece(lo, hi)
            self._next = hi

    # - random draws, by day -
    def _local(self, day: int) -> dict[str, NDArray[Any]]:
        """Draws of one local day: attendance, rooms in use per hour, windows, lights."""
        if day not in self._local_cache:
            n_r = len(self._st.rooms)
            rng = _stream(self.seed, _LOCAL, day)
            self._local_cache = {k: v for k, v in self._local_cache.items() if k >= day - 2}
            self._local_cache[day] = {
                "attend": rng.uniform(0.82, 1.0, n_r) * (rng.random(n_r) > 0.02),
                "in_use": rng.random((24, n_r)) < 0.6,
                "window": rng.random((24, n_r)) < self._st.p_window,
                "lights": rng.random(n_r) < 0.95,
                "heating": np.array(self._wx.heating(day))}
        return self._local_cache[day]

    def _minute_draws(self, day: int) -> dict[str, NDArray[Any]]:
        """Noise of one UTC day: rounding of occupants per minute, sensor noise on each
        quantity's grid, probe measurements."""
        n_r, n_s, iv = len(self._st.rooms), len(self._st.schools), self.iv
        rng = _stream(self.seed, _MINUTE, day)
        out: dict[str, NDArray[Any]] = {"u": rng.random((1440, n_r))}
        for q, sd in (("co2", 10.0), ("temperature", 0.1), ("humidity", 1.0), ("pm25", 0.15),
                      ("noise", 2.0), ("illuminance", 0.08)):
            out[q] = rng.normal(0.0, sd, (_grid_len(day, iv[q]), n_r))
        n = _grid_len(day, iv["occupancy"])
        out["occupancy"] = (rng.random((n, n_r)) < 0.1) * rng.integers(-1, 2, (n, n_r))
        n = _grid_len(day, iv["online"])
        out["probe"] = rng.normal(0.0, 1.0, (n, 4, n_s))
        out["loss_u"] = rng.random((n, n_s))
        out["loss"] = rng.exponential(0.3, (n, n_s))
        return out

    def _fault_draws(self, day: int) -> dict[str, Any]:
        """Sensor faults of one UTC day on each quantity's grid (events end with the day)."""
        rng = _stream(self.seed, _FAULT, day)
        n_env, n_s = self._st.have.size, len(self._st.schools)
        out: dict[str, Any] = {}
        for q in ROOM_QUANTITIES:
            step = self.iv[q]
            n = _grid_len(day, step)
            stuck = _events(rng, 0.15 / 7, n_env, n, (max(60 // step, 2), max(480 // step, 3)))
            slot, start, _ = _events(rng, 1.0 / 7, n_env, n, (1, 1))
            lo, hi = {"temperature": (40.0, 90.0), "humidity": (60.0, 150.0)}.get(q, (4.0, 12.0))
            spikes = (slot, start, rng.uniform(lo, hi, slot.size))
            drops = _events(rng, 0.3 / 7, n_env, n, (max(30 // step, 1), max(720 // step, 2)))
            out[q] = (stuck, spikes, drops)
        for q in METER_QUANTITIES:
            slot, k, _ = _events(rng, 0.05 / 28, n_s, _grid_len(day, self.iv[q]), (1, 1))
            out[q] = (slot, k, np.round(rng.uniform(0.0, 1.0, slot.size), 2))
        return out

    # - one piece -
    def _piece(self, lo: int, hi: int) -> Readings:
        st, iv = self._st, self.iv
        n_r = len(st.rooms)
        cuts = _day_cuts(lo, hi)
        draws = [self._minute_draws(d) for d, _, _ in cuts]
        fdraws = [self._fault_draws(d) for d, _, _ in cuts] if self.faults else None
        utc = np.arange(lo, hi, dtype=np.int64)
        local = utc + self.off
        mod = local % 1440
        lday = local // 1440
        li = lday - lday[0]
        loc = [self._local(d) for d in range(int(lday[0]), int(lday[-1]) + 1)]
        loc_ = {k: np.stack([x[k] for x in loc]) for k in loc[0]}
        hod = mod // 60
        wx = self._wx.at(utc, local)
        occ = self._week[((lday + 3) % 7) * 1440 + mod]                          # (T, R)
        brk = ((mod - 480) % 50) >= 40
        lunch = (mod >= 720) & (mod < 760)
        phase = np.where(lunch, 0.03, np.where(brk, 0.15, 1.0))[:, None]
        in_use = np.where(self._shared, loc_["in_use"][li, hod], True)
        people = occ * in_use * loc_["attend"][li] * st.cap * phase
        people = np.floor(people + np.concatenate(
            [dr["u"][a - d * 1440:b - d * 1440] for dr, (d, a, b) in zip(draws, cuts,
                                                                       strict=True)]))
        window = loc_["window"][li, hod] & (brk | lunch)[:, None]
        warm = (wx["t_out"] > 18.0)[:, None]
        lam = np.where(occ, st.lam_occ + 1.5 * warm, st.lam_base)
        lam = np.where(st.mech & ~occ, st.lam_base, lam)
        lam = lam + window * occ * ~st.mech * self._window_ach
        co2_out = _CLIMATE["co2_out"] + 8.0 * np.cos(2 * np.pi * (mod / 60.0 - 4.0) / 24.0)
        css = co2_steady_state(people, st.area * CEILING_HEIGHT_M, lam, co2_out[:, None])
        if self._co2 is None:
            self._co2 = np.full(n_r, co2_out[0] + 30.0)
        co2, self._co2 = _relax(self._co2, css, np.exp(-lam / 3600.0 * 60.0))

        # temperature: heating season when the outdoor daily mean is below 15 degC
        heat_season = loc_["heating"][li][:, None]
        weekday = ((lday + 3) % 7) < 5
        heating_on, won = st.heated(heat_season, weekday[:, None], mod)
        t_free = wx["t_out"][:, None] + 3.0 + 0.06 * people + 3.0 * wx["sun"][:, None]
        target = np.where(heating_on, np.maximum(st.t_set + 0.03 * people, t_free),
                          np.where(heat_season, np.maximum(st.bld.setback[st.room_school],
                                                           t_free), t_free))
        decay = np.exp(-1.0 / np.where(heating_on, 90.0, 720.0))
        if self._temp is None:
            self._temp = np.maximum(target[0], 16.0)
        temp, self._temp = _relax(self._temp, target, np.broadcast_to(decay, target.shape))

        qidx = {q: i for i, q in enumerate(_ALL_QUANTITIES)}
        parts: list[tuple[NDArray[Any], ...]] = []
        have = st.have
        for q in ROOM_QUANTITIES:
            step = int(iv[q])
            g = _grid(lo, hi, step)
            r = g - lo
            z = _cut(draws, cuts, q, step)
            if q == "co2":
                val = np.round(co2[r] + z)
            elif q == "temperature":
                val = np.round(temp[r] + z, 2)
            elif q == "humidity":  # occupant moisture follows the CO2 excess
                pv_out = wx["rh_out"][r] / 100.0 * _psat_pa(wx["t_out"][r])
                excess = (co2[r] - co2_out[r][:, None]) * 1e-6 * (
                    MOISTURE_GENERATION_GPS / (CO2_GENERATION_LPS * 1e-3))
                pv_in = pv_out[:, None] + excess * 1e-3 * 461.5 * (temp[r] + 273.15)
                val = np.round(np.clip(100.0 * pv_in / _psat_pa(temp[r]) + z, 5.0, 95.0), 1)
            elif q == "pm25":
                val = np.round((wx["pm_out"][r][:, None] * np.where(lam[r] > 3.0, 0.65, 0.45)
                                + 0.12 * people[r] * (1 + 2 * self._gym)) * np.exp(z), 1)
            elif q == "noise":
                p = people[r]
                val = np.round(np.clip(32.0 + 12.0 * np.log10(1.0 + p) + 6.0 * (
                    brk[r][:, None] & (p > 0)) + st.loud * (p > 0) + z, 20.0, 120.0), 1)
            elif q == "illuminance":
                lights = occ[r] * loc_["lights"][li[r]]
                val = np.round((wx["sun"][r][:, None] * 100_000.0 * 0.12 * st.daylight_factor
                                + lights * 420.0) * np.exp(z), 0)
            else:  # occupancy: a people counter that is sometimes one off
                val = np.maximum(people[r] + z, 0)
            v = np.ascontiguousarray(val[:, have].T)                   # (R', Tq)
            flt = np.zeros(v.shape, dtype=bool)
            keep = np.ones(v.shape, dtype=bool)
            if fdraws is not None:
                for fd, (d, a, b) in zip(fdraws, cuts, strict=True):
                    _inject(v, flt, keep, q, *fd[q], *self._span(d, a, b, lo, step))
            rr, cc = np.nonzero(keep)
            parts.append((st.env_dev[have][rr], np.full(rr.size, qidx[q], np.int8), g[cc],
                          v[rr, cc], flt[rr, cc]))

        # meters: electricity and heat per school, cumulative [kWh]
        occ_frac = st.by_school(people / np.maximum(st.cap, 1.0))
        any_occ = st.by_school(occ, "any")
        floor = np.array([s.floor_area_m2 for s in st.schools])
        b = st.bld
        p_el = floor * (b.el_base + b.el_occ * occ_frac + 3.0 * any_occ) / 1000.0  # [kW]
        hs = heat_season[:, 0][:, None]
        t_out = wx["t_out"][:, None]
        p_heat = floor * b.h_loss * np.where(won, np.maximum(b.set_point - t_out, 0.0), np.where(
            hs, np.maximum(b.setback - t_out, 0.0), 0.0)) / 1000.0              # [kW]
        ok = st.meter_dev >= 0
        for i, (q, p) in enumerate((("electricity", p_el), ("heat", p_heat))):
            step = int(iv[q])
            vals, flts = [], []
            for k, (d, a, b) in enumerate(cuts):
                e = np.cumsum(p[a - lo:b - lo], axis=0) / 60.0 + self._energy[i]
                self._energy[i] = e[-1]
                v = np.round(e[_grid(a, b, step) - a], 2) - self._reset[i]    # (n, S)
                f = np.zeros(v.shape, dtype=bool)
                if fdraws is not None:
                    ja, jb, _ = self._span(d, a, b, a, step)
                    for s, j, rst in zip(*fdraws[k][q], strict=True):
                        if ja <= j < jb:                                 # counter restarts
                            delta = v[j - ja, s] - rst
                            v[j - ja:, s] -= delta
                            self._reset[i, s] += delta
                            f[j - ja, s] = True
                vals.append(v)
                flts.append(f)
            v, flt, g = np.concatenate(vals).T[ok], np.concatenate(flts).T[ok], _grid(lo, hi,
                                                                                     step)
            rr, cc = np.nonzero(np.ones(v.shape, dtype=bool))
            parts.append((st.meter_dev[ok][rr], np.full(rr.size, qidx[q], np.int8), g[cc],
                          v[rr, cc], flt[rr, cc]))

        parts += self._probe(lo, hi, cuts, draws, occ_frac, qidx)
        dev, qty, ts, val, flt = (np.concatenate([p[i] for p in parts]) for i in range(5))
        order = np.argsort(self._rank[dev, qty], kind="stable")
        return Readings(st.device_ids, st.school_ids, st.room_ids, _ALL_QUANTITIES,
                        dev[order].astype(np.int32, copy=False),
                        qty[order].astype(np.int8, copy=False),
                        ts[order].astype(np.int64, copy=False),
                        val[order].astype(np.float64, copy=False),
                        flt[order].astype(bool, copy=False))

    @staticmethod
    def _span(day: int, a: int, b: int, lo: int, step: int) -> tuple[int, int, int]:
        """Where the part [a, b) of a UTC day lies on the day's ``step`` grid (ja, jb) and
        where that part starts on the piece's grid (piece starting at ``lo``)."""
        g0 = _ceil(day * 1440, step)
        ja, jb = (_ceil(a, step) - g0) // step, (_ceil(b, step) - g0) // step
        return ja, jb, (_ceil(a, step) - _ceil(lo, step)) // step

    def _probe(self, lo: int, hi: int, cuts: list[tuple[int, int, int]],
               draws: list[dict[str, NDArray[Any]]], occ_frac: NDArray[np.float64],
               qidx: dict[str, int]) -> list[tuple[NDArray[Any], ...]]:
        st = self._st
        step = int(self.iv["online"])
        g = _grid(lo, hi, step)
        busy = occ_frac[g - lo]                                              # (Tq, S)
        z = _cut(draws, cuts, "probe", step)
        down_c = np.array([s.contracted_down_mbps for s in st.schools])
        up_c = np.array([s.contracted_up_mbps for s in st.schools])
        cong = 1.0 - 0.45 * np.minimum(busy * 2.0, 1.0)
        dl = np.minimum(down_c * self._link[0] * cong * np.exp(0.2 * z[:, 0]), down_c * 1.05)
        ul = np.minimum(up_c * self._link[1] * cong * np.exp(0.2 * z[:, 1]), up_c * 1.05)
        lat = self._latency * (2.0 - cong) * np.exp(0.2 * z[:, 2])
        jit = 0.1 * lat * np.exp(0.5 * z[:, 3])
        loss = np.where(_cut(draws, cuts, "loss_u", step) < 0.1,
                        _cut(draws, cuts, "loss", step), 0.0)
        online = np.ones(busy.shape)
        if self.outages:
            for d, a, b in cuts:
                ja, jb, o = self._span(d, a, b, lo, step)
                rng = _stream(self.seed, _OUTAGE, d)
                for s, e0, e1 in zip(*_events(rng, 0.1, len(st.schools),
                                              _grid_len(d, step), (1, 8 * 60 // step)),
                                     strict=True):
                    e0, e1 = max(e0, ja), min(e1, jb)
                    if e0 < e1:
                        online[o + e0 - ja:o + e1 - ja, s] = 0.0
        silent = g[:, None] >= self._silent_from
        vals = {"download": np.round(dl, 2), "upload": np.round(ul, 2),
                "latency": np.round(lat, 1), "jitter": np.round(jit, 2),
                "packet_loss": np.where(online == 0, 100.0, np.round(np.clip(loss, 0, 100), 2)),
                "online": online}
        out = []
        ok = (st.probe_dev >= 0) & ~silent
        for q, v in vals.items():
            keep = ok & (online > 0) if q in ("download", "upload", "latency", "jitter") else ok
            cc, rr = np.nonzero(keep)
            out.append((st.probe_dev[rr], np.full(rr.size, qidx[q], np.int8), g[cc], v[cc, rr],
                        np.zeros(rr.size, dtype=bool)))
        return out


def _inject(v: NDArray[np.float64], flt: NDArray[np.bool_], keep: NDArray[np.bool_], q: str,
            stuck: tuple[NDArray[np.int64], ...], spikes: tuple[NDArray[Any], ...],
            drops: tuple[NDArray[np.int64], ...], ja: int, jb: int, o: int) -> None:
    """Stuck values, spikes (flagged) and dropouts (rows removed) of one day, in place; the
    day's grid indices [ja, jb) are the piece's o, o + 1, ..."""
    for r, s, e in zip(*stuck, strict=True):
        s, e = max(s, ja), min(e, jb)
        if s < e:
            v[r, o + s - ja:o + e - ja] = v[r, o + s - ja]
            flt[r, o + s - ja + 1:o + e - ja] = True
    for r, s, m in zip(*spikes, strict=True):
        if ja <= s < jb:
            k = o + s - ja
            v[r, k] = v[r, k] + m if q in ("temperature", "humidity") else (v[r, k] + 1.0) * m
            flt[r, k] = True
    for r, s, e in zip(*drops, strict=True):
        s, e = max(s, ja), min(e, jb)
        if s < e:
            keep[r, o + s - ja:o + e - ja] = False


def simulate_minutes(registry: Registry, start: Any, days: int, seed: int = 0, *,
                     utc_offset_min: int = SAMPLE_UTC_OFFSET_MIN,
                     intervals_min: Mapping[str, int] | None = None, faults: bool = True,
                     outages: bool = True) -> Readings:
    """One-minute simulation of every device of ``registry`` over ``days`` days, in one batch
    (:class:`MinuteSimulator` gives it piece by piece).

    Parameters
    ----------
    registry : Registry
        Schools, rooms and devices (e.g. from :func:`sample_registry`).
    start : datetime64, str or int
        First UTC minute (datetime64, ISO string or epoch minutes [min]).
    days : int
        Length of the span [d].
    seed : int
        Random seed; the same seed gives the same readings.
    utc_offset_min : int
        Local time minus UTC [min] of timetables and schedules.
    intervals_min : mapping of str to int, optional
        Reporting interval per quantity [min]; default :data:`DEFAULT_INTERVALS_MIN`.
    faults : bool
        Inject sensor faults (stuck values, spikes, dropouts, meter resets).
    outages : bool
        Inject connectivity outages and silent probes.

    Returns
    -------
    Readings

    Notes
    -----
    CO2 and temperature are integrated per minute with exact exponential steps
    (:func:`co2_mass_balance`; for temperature, relaxation to an equilibrium with time constant
    1.5 h when heated and 12 h when free-running), vectorised across rooms.
    """
    sim = MinuteSimulator(registry, start, days, seed, utc_offset_min=utc_offset_min,
                          intervals_min=intervals_min, faults=faults, outages=outages)
    return Readings.concat([sim.empty(), *sim.pieces(7)])


# -- hourly simulation ---------------------------------------------------------------------------
class HourlySimulator:
    """Hourly aggregates (n, mean, min, max) of every device, computed directly per hour, piece
    by piece (state carried, random numbers keyed by day: the same however the span is cut).

    Parameters
    ----------
    registry : Registry
        Schools, rooms and devices.
    start : datetime64, str or int
        First UTC hour (floored to the hour).
    days : int
        Length [d].
    seed : int
        Random seed.
    utc_offset_min : int
        Local time minus UTC [min].
    intervals_min : mapping of str to int, optional
        Reporting interval per quantity [min]; ``n`` = 60 / interval.

    Notes
    -----
    The occupied share of each hour comes from the timetable; CO2 and temperature use one exact
    exponential step per hour, whose hour mean is
    :math:`C_{ss} + (C_0 - C_{ss})(1 - e^{-\\lambda \\Delta t}) / (\\lambda \\Delta t)` and whose
    extremes are the start and end values (the solution is monotonic within a step). No sensor
    faults are injected.
    """

    def __init__(self, registry: Registry, start: Any, days: int = 365, seed: int = 0, *,
                 utc_offset_min: int = SAMPLE_UTC_OFFSET_MIN,
                 intervals_min: Mapping[str, int] | None = None) -> None:
        rng = np.random.default_rng(seed)
        self.seed, self.off = int(seed), int(utc_offset_min)
        self.iv = {**DEFAULT_INTERVALS_MIN, **(intervals_min or {})}
        st = self._st = _setup(registry, rng, int(seed))
        s0 = _epoch_minute(start)
        self.start = s0 - s0 % 60
        self.end = self.start + int(days) * 1440
        n_r, n_s = len(st.rooms), len(st.schools)
        self._energy = rng.uniform(1_000.0, 50_000.0, (2, n_s))     # meter indices [kWh]
        self._latency = rng.uniform(15.0, 60.0, n_s)                 # [ms]
        self._wx = _Weather(self.seed, self.start, self.end, self.off, *st.centre())
        self._week = np.ascontiguousarray(st.week.reshape(n_r, 168, 60).mean(axis=2).T)
        rank = st.series(ROOM_QUANTITIES, METER_QUANTITIES, PROBE_QUANTITIES)
        d_, q_ = np.nonzero(rank >= 0)
        order = np.argsort(rank[d_, q_])
        self._rank = rank
        self._dev, self._qty = d_[order].astype(np.int32), q_[order].astype(np.int8)
        self._n = np.array([max(60 // int(self.iv[_ALL_QUANTITIES[q]]), 1) for q in self._qty],
                           dtype=np.int32)
        self._co2: NDArray[np.float64] | None = None
        self._temp: NDArray[np.float64] | None = None
        self._next = self.start

    def empty(self) -> Hourly:
        """No aggregates, with this simulator's lookups."""
        st = self._st
        return Hourly(st.device_ids, st.school_ids, st.room_ids, _ALL_QUANTITIES,
                      np.zeros(0, np.int32), np.zeros(0, np.int8), np.zeros(0, np.int64),
                      np.zeros(0, np.int32), np.zeros(0), np.zeros(0), np.zeros(0))

    def months(self) -> list[tuple[int, int]]:
        """[start, end) [epoch min] of the UTC calendar months the span touches, clipped."""
        if self.end <= self.start:
            return []
        m0 = np.datetime64(self.start, "m").astype("datetime64[M]")
        m1 = np.datetime64(self.end - 1, "m").astype("datetime64[M]")
        edges = [int(to_epoch_minutes(m.astype("datetime64[m]")))
                 for m in np.arange(m0, m1 + 2)]
        return [(max(a, self.start), min(b, self.end)) for a, b in zip(edges, edges[1:],
                                                                       strict=False)]

    def pieces(self, days: int | None = None) -> Iterator[Hourly]:
        """The aggregates in pieces of ``days`` UTC days, or of UTC calendar months (None);
        each ordered by school, device, quantity and hour."""
        if days is not None and days < 1:
            raise ValueError("days per piece must be >= 1")
        bounds = self.months() if days is None else None
        while self._next < self.end:
            lo = self._next
            if bounds is not None:
                hi = next(b for a, b in bounds if a <= lo < b)
            else:
                hi = min((lo // 1440 + days) * 1440, self.end)
            yield self._piece(lo, hi)
            self._next = hi

    def _piece(self, lo: int, hi: int) -> Hourly:
        st, off = self._st, self.off
        n_r = len(st.rooms)
        utc = np.arange(lo, hi, 60, dtype=np.int64)
        local = utc + off
        lday = local // 1440
        li = lday - lday[0]
        hod = (local % 1440) // 60
        occ_share = self._week[((lday + 3) % 7) * 24 + hod]                   # (H, R)
        attend, heating = [], []
        for d in range(int(lday[0]), int(lday[-1]) + 1):
            rng = _stream(self.seed, _HOURLY_LOCAL, d)
            attend.append(rng.uniform(0.82, 1.0, n_r) * (rng.random(n_r) > 0.02))
            heating.append(self._wx.heating(d))
        cuts = [(d, a // 60, b // 60) for d, a, b in _day_cuts(lo, hi)]
        draws = []
        for d, _, _ in cuts:
            rng = _stream(self.seed, _HOURLY, d)
            draws.append({"jit": rng.normal(0, 1.0, (24, n_r)),
                          "dl": rng.normal(0, 0.1, (24, len(st.schools))),
                          "ul": rng.normal(0, 0.1, (24, len(st.schools))),
                          "up_u": rng.random((24, len(st.schools))),
                          "up_k": rng.integers(0, 4, (24, len(st.schools)))})

        def cut(key: str) -> NDArray[Any]:
            return np.concatenate([dr[key][a - d * 24:b - d * 24]
                                   for dr, (d, a, b) in zip(draws, cuts, strict=True)])

        lunch = np.where(hod == 12, 0.35, 0.0)[:, None]
        people = occ_share * st.cap * np.stack(attend)[li] * (0.83 - lunch)
        wx = self._wx.at(utc + 30, local + 30)
        lam = st.lam_base + occ_share * (st.lam_occ + 1.5 * (wx["t_out"] > 18.0)[:, None]
                                         - st.lam_base) + occ_share * ~st.mech * st.p_window * 0.9
        co2_out = _CLIMATE["co2_out"]
        css = co2_steady_state(people, st.area * CEILING_HEIGHT_M, lam, co2_out)
        x = lam  # per hour, dt = 1 h
        a = np.exp(-x)
        if self._co2 is None:
            self._co2 = np.full(n_r, co2_out + 30.0)
        c_start, self._co2 = _relax(self._co2, css, a)
        c_end = css + (c_start - css) * a
        c_mean = css + (c_start - css) * (1 - a) / x
        heat_season = np.array(heating)[li][:, None]
        weekday = (((lday + 3) % 7) < 5)[:, None]
        heating_on, won = st.heated(heat_season, weekday, hod * 60)
        t_free = wx["t_out"][:, None] + 3.0 + 0.06 * people + 3.0 * wx["sun"][:, None]
        target = np.where(heating_on, np.maximum(st.t_set + 0.03 * people, t_free),
                          np.where(heat_season, np.maximum(st.bld.setback[st.room_school],
                                                           t_free), t_free))
        tau_h = np.where(heating_on, 1.5, 12.0)
        ta = np.exp(-1.0 / tau_h)
        if self._temp is None:
            self._temp = np.maximum(target[0], 16.0)
        t_start, self._temp = _relax(self._temp, target, np.broadcast_to(ta, target.shape))
        t_end = target + (t_start - target) * ta
        t_mean = target + (t_start - target) * (1 - ta) * tau_h
        pv_out = wx["rh_out"] / 100.0 * _psat_pa(wx["t_out"])
        exc = (c_mean - co2_out) * 1e-6 * (MOISTURE_GENERATION_GPS / (CO2_GENERATION_LPS * 1e-3))
        rh = np.clip(100.0 * (pv_out[:, None] + exc * 1e-3 * 461.5 * (t_mean + 273.15))
                     / _psat_pa(t_mean), 5.0, 95.0)
        pm = wx["pm_out"][:, None] * 0.5 + 0.12 * people
        noise = 32.0 + 12.0 * np.log10(1.0 + people) + st.loud * (people > 0)
        lux = wx["sun"][:, None] * 100_000.0 * 0.12 * st.daylight_factor + occ_share * 420.0
        sp = {"humidity": 3.0, "pm25": 0.3, "noise": 6.0, "illuminance": 0.25, "occupancy": 0.3}

        n_h = utc.size
        n_ser = self._dev.size
        mean, lo_, hi_ = np.empty((n_ser, n_h)), np.empty((n_ser, n_h)), np.empty((n_ser, n_h))
        qidx = {q: i for i, q in enumerate(_ALL_QUANTITIES)}

        def put(dev: NDArray[np.int32], q: str, m: NDArray[Any], lo: NDArray[Any],
                hi: NDArray[Any]) -> None:
            ok = dev >= 0
            rk = self._rank[dev[ok], qidx[q]]
            mean[rk], lo_[rk], hi_[rk] = m[:, ok].T, lo[:, ok].T, hi[:, ok].T

        jit = cut("jit")
        put(st.env_dev, "co2", c_mean + 5 * jit, np.minimum(c_start, c_end) + 5 * jit - 10,
            np.maximum(c_start, c_end) + 5 * jit + 10)
        put(st.env_dev, "temperature", t_mean, np.minimum(t_start, t_end) - 0.1,
            np.maximum(t_start, t_end) + 0.1)
        for q, m in (("humidity", rh), ("pm25", pm), ("noise", noise), ("illuminance", lux),
                     ("occupancy", people)):
            s = sp[q]
            spread = s * np.maximum(m, 0.0) if q in ("pm25", "illuminance", "occupancy") else (
                np.full(m.shape, s))
            lo_q, hi_q = np.maximum(m - spread, 0.0), m + spread
            if q == "occupancy":
                m, lo_q, hi_q = np.round(m, 2), np.floor(lo_q), np.ceil(hi_q)
            put(st.env_dev, q, m, lo_q, hi_q)

        occ_frac = st.by_school(people / np.maximum(st.cap, 1.0))
        floor = np.array([s.floor_area_m2 for s in st.schools])
        b = st.bld
        p_el = floor * (b.el_base + b.el_occ * occ_frac + 3.0 * (occ_frac > 0)) / 1000.0
        t_out = wx["t_out"][:, None]
        p_heat = floor * b.h_loss * np.where(won, np.maximum(b.set_point - t_out, 0.0),
                                             np.where(heat_season[:, :1],
                                                      np.maximum(b.setback - t_out, 0.0),
                                                      0.0)) / 1000.0
        for i, (q, p) in enumerate((("electricity", p_el), ("heat", p_heat))):
            e1 = []
            for _, a_, b_ in cuts:
                e = np.cumsum(p[a_ - lo // 60:b_ - lo // 60], axis=0) + self._energy[i]
                self._energy[i] = e[-1]
                e1.append(e)
            e1_ = np.concatenate(e1)
            e0 = e1_ - p
            put(st.meter_dev, q, (e0 + e1_) / 2, e0, e1_)
        down_c = np.array([s.contracted_down_mbps for s in st.schools])
        up_c = np.array([s.contracted_up_mbps for s in st.schools])
        cong = 1.0 - 0.45 * np.minimum(occ_frac * 2.0, 1.0)
        dl = down_c * 0.8 * cong * np.exp(cut("dl"))
        ul = up_c * 0.8 * cong * np.exp(cut("ul"))
        lat_ms = self._latency * (2.0 - cong)
        up_share = np.where(cut("up_u") < 0.01, cut("up_k") / 4, 1.0)
        for q, m, s in (("download", dl, 0.25), ("upload", ul, 0.25), ("latency", lat_ms, 0.3),
                        ("jitter", 0.1 * lat_ms, 0.6), ("packet_loss", 0.03 + 0 * dl, 2.0),
                        ("online", up_share, 0.0)):
            if q == "online":
                put(st.probe_dev, q, m, np.floor(m), np.ceil(m))
            else:
                put(st.probe_dev, q, m, m * (1 - min(s, 0.9)), m * (1 + s))
        return Hourly(st.device_ids, st.school_ids, st.room_ids, _ALL_QUANTITIES,
                      np.repeat(self._dev, n_h), np.repeat(self._qty, n_h),
                      np.tile(utc, n_ser), np.repeat(self._n, n_h), mean.ravel(),
                      lo_.ravel(), hi_.ravel())


def simulate_hourly(registry: Registry, start: Any, days: int = 365, seed: int = 0, *,
                    utc_offset_min: int = SAMPLE_UTC_OFFSET_MIN,
                    intervals_min: Mapping[str, int] | None = None) -> Hourly:
    """Hourly aggregates (n, mean, min, max) of every device over ``days`` days, in one batch
    (:class:`HourlySimulator` gives them piece by piece; see it for the model).

    Parameters
    ----------
    registry : Registry
        Schools, rooms and devices.
    start : datetime64, str or int
        First UTC hour (floored to the hour).
    days : int
        Length [d].
    seed : int
        Random seed.
    utc_offset_min : int
        Local time minus UTC [min].
    intervals_min : mapping of str to int, optional
        Reporting interval per quantity [min]; ``n`` = 60 / interval.

    Returns
    -------
    Hourly
    """
    sim = HourlySimulator(registry, start, days, seed, utc_offset_min=utc_offset_min,
                          intervals_min=intervals_min)
    return Hourly.concat([sim.empty(), *sim.pieces()])
