"""Seeded simulator of Smart School sensor data: a synthetic registry (schools, rooms, devices),
one-minute readings for a span of days, and hourly aggregates for a year computed directly.

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

Time stamps are UTC epoch minutes; timetables and schedules are in local time
(``utc_offset_min``; the sample city is at UTC+3).
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Mapping
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
    "Hourly",
    "Readings",
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
        and one connectivity probe (``<school>-probe``), with an empty room.
    """
    rng = np.random.default_rng(seed)
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
            rooms.append({"school_id": sid, "room_id": rid, "type": kind, "area_m2": area,
                          "capacity": cap, "timetable": tts[int(rng.integers(len(tts)))]})
            devices.append({"device_id": f"{sid}-{rid}-env", "school_id": sid, "room_id": rid,
                            "quantities": ";".join(ROOM_QUANTITIES)})
            area_sum += area
            class_cap += cap if kind == "classroom" else 0
        down = float(rng.choice([20.0, 50.0, 100.0, 200.0]))
        schools.append({
            "id": sid, "name": f"Sample School {i + 1}", "lat": round(lat, 6),
            "lon": round(lon, 6), "pupils": int(class_cap * rng.uniform(0.85, 1.0)),
            "staff": int(len(kinds) * 1.5 + 5), "floor_area_m2": round(area_sum * 1.7, 1),
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
    css = np.broadcast_to(css, a.shape)
    out = np.empty(a.shape)
    c = np.broadcast_to(np.asarray(c0_ppm, dtype=float), a.shape[1:]).copy()
    for k in range(a.shape[0]):
        out[k] = c
        c = css[k] + (c - css[k]) * a[k]
    return out


def _relax(x0: NDArray[np.float64], target: NDArray[np.float64],
           decay: NDArray[np.float64]) -> NDArray[np.float64]:
    """x[k+1] = target[k] + (x[k] - target[k]) * decay[k]; rows are time steps."""
    out = np.empty(target.shape)
    x = x0.copy()
    for k in range(target.shape[0]):
        out[k] = x
        x = target[k] + (x - target[k]) * decay[k]
    return out


def _psat_pa(t_c: NDArray[np.float64]) -> NDArray[np.float64]:
    # Magnus formula over water (Alduchov & Eskridge 1996 coefficients)
    return 610.94 * np.exp(17.625 * t_c / (t_c + 243.04))


# -- readings container --------------------------------------------------------------------------
@dataclass(frozen=True)
class Readings:
    """Simulated readings as columns; strings are held once in the lookup tuples.

    ``device`` indexes ``device_ids`` (and ``school_ids``/``room_ids``), ``quantity`` indexes
    ``quantities``; ``ts`` is UTC epoch minutes; ``fault`` flags rows carrying a deliberate
    fault (stuck value, spike, meter reset).
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
        """Append the readings to ``table`` (columns of ``school_readings``); returns the count."""
        _append(con, self, {"ts": self.ts, "value": self.value}, f"""
            INSERT INTO {table} (device_id, quantity, ts, value, school_id, room_id)
            SELECT d.device_id, q.quantity, make_timestamp(f.ts * 60000000), f.value,
                   d.school_id, d.room_id
            FROM sim_facts f JOIN sim_dims d USING (d) JOIN sim_qdim q USING (q)
        """)
        return len(self)


def _append(con: duckdb.DuckDBPyConnection, cols: Readings | Hourly,
            facts: dict[str, NDArray[Any]], insert_sql: str) -> None:
    """Run ``insert_sql`` over ``sim_facts`` (device index d, quantity index q and ``facts``)
    joined with the ``sim_dims`` and ``sim_qdim`` lookups of ``cols``."""
    dims = {"d": np.arange(len(cols.device_ids), dtype=np.int32),
            "device_id": np.asarray(cols.device_ids, dtype=object),
            "school_id": np.asarray(cols.school_ids, dtype=object),
            "room_id": np.asarray(cols.room_ids, dtype=object)}
    qdim = {"q": np.arange(len(cols.quantities), dtype=np.int8),
            "quantity": np.asarray(cols.quantities, dtype=object)}
    cur = con.cursor()
    try:
        cur.register("sim_dims", dims)
        cur.register("sim_qdim", qdim)
        cur.register("sim_facts", {"d": cols.device, "q": cols.quantity, **facts})
        cur.execute(insert_sql)
        for name in ("sim_dims", "sim_qdim", "sim_facts"):
            cur.unregister(name)
    finally:
        cur.close()


@dataclass(frozen=True)
class Hourly:
    """Hourly aggregates as columns, matching ``school_hourly`` (``hour`` in UTC epoch
    minutes at the start of the hour)."""

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

    def to_duckdb(self, con: duckdb.DuckDBPyConnection, table: str = "school_hourly") -> int:
        """Append the aggregates to ``table`` (columns of ``school_hourly``); returns the count."""
        _append(con, self, {"hour": self.hour, "n": self.n, "mean": self.mean,
                            "min": self.min, "max": self.max}, f"""
            INSERT INTO {table} (school_id, room_id, device_id, quantity, hour, n, mean, min,
                                 max)
            SELECT d.school_id, d.room_id, d.device_id, q.quantity,
                   make_timestamp(f.hour * 60000000), f.n, f.mean, f.min, f.max
            FROM sim_facts f JOIN sim_dims d USING (d) JOIN sim_qdim q USING (q)
        """)
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


def _setup(registry: Registry, rng: np.random.Generator) -> _Setup:
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
    return _Setup(
        rooms, schools, np.array([sidx[r.school_id] for r in rooms], dtype=np.int64), ids,
        tuple(d.school_id for d in dev), tuple(d.room_id for d in dev), env, meter, probe,
        np.array([r.area_m2 for r in rooms]), np.array([float(r.capacity) for r in rooms]),
        np.stack([week_table(r.timetable) for r in rooms]) if rooms else np.zeros((0, 10080),
                                                                                    bool),
        rng.uniform(0.15, 0.5, n), lam_occ, mech, rng.uniform(0.2, 0.9, n),
        21.0 + rng.normal(0.0, 0.8, n), rng.uniform(0.01, 0.03, n),
        np.where(kind == "gym", 8.0, np.where(kind == "office", -5.0, 0.0)))


def _weather(local_min: NDArray[np.int64], utc_min: NDArray[np.int64], lat: float, lon: float,
             rng: np.random.Generator) -> dict[str, NDArray[np.float64]]:
    """City weather at the given minutes (or hours): outdoor temperature, RH, PM2.5, sun."""
    c = _CLIMATE
    day = local_min / 1440.0
    doy = (local_min.astype("datetime64[m]") - local_min.astype("datetime64[m]").astype(
        "datetime64[Y]")).astype(np.int64) / 1440.0
    hour = (local_min % 1440) / 60.0
    n_h = int((utc_min[-1] - utc_min[0]) // 60) + 2 if utc_min.size else 2
    front_h = np.zeros(n_h)
    eps = rng.normal(0.0, 0.75, n_h)
    for k in range(1, n_h):  # AR(1), about 3 K standard deviation, 1-2 day memory
        front_h[k] = 0.97 * front_h[k - 1] + eps[k]
    front = np.interp((utc_min - utc_min[0]) / 60.0, np.arange(n_h), front_h)
    cloud_d = rng.random(int(day.max() - day.min()) + 2)
    cloud = cloud_d[(local_min // 1440 - local_min[0] // 1440).astype(np.int64)]
    t_out = (c["t_mean"] - c["t_season"] * np.cos(2 * np.pi * (doy - 20.0) / 365.25)
             - c["t_day"] * np.cos(2 * np.pi * (hour - 3.0) / 24.0) + front)
    rh_out = np.clip(72.0 + 12.0 * np.cos(2 * np.pi * (hour - 4.0) / 24.0) - 0.8 * front
                     + 15.0 * cloud - 7.5, 20.0, 100.0)
    winter = 0.5 * (1 + np.cos(2 * np.pi * (doy - 15.0) / 365.25))
    pm_out = c["pm_out"] * (0.6 + 0.9 * winter) * (1 + 0.3 * np.cos(2 * np.pi * (hour - 20) / 24))
    decl = np.radians(23.44) * np.sin(2 * np.pi * (284 + doy) / 365.0)
    h_angle = np.radians(15.0 * (((utc_min % 1440) / 60.0 + lon / 15.0) - 12.0))
    phi = math.radians(lat)
    sin_el = np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.cos(h_angle)
    return {"t_out": t_out, "rh_out": rh_out, "pm_out": pm_out,
            "sun": np.maximum(sin_el, 0.0) * (1 - 0.75 * cloud), "doy": doy}


def _poisson_events(rng: np.random.Generator, rate: float, n_slots: int, length: int,
                    dur: tuple[int, int]) -> list[tuple[int, int, int]]:
    """(slot, start, stop) of events: Poisson count per slot, uniform start and duration."""
    out = []
    counts = rng.poisson(rate, n_slots)
    for slot in np.flatnonzero(counts):
        for _ in range(int(counts[slot])):
            s = int(rng.integers(0, max(length, 1)))
            d = int(rng.integers(dur[0], dur[1] + 1))
            out.append((int(slot), s, min(s + d, length)))
    return out


# -- minute simulation ---------------------------------------------------------------------------
def simulate_minutes(registry: Registry, start: Any, days: int, seed: int = 0, *,
                     utc_offset_min: int = SAMPLE_UTC_OFFSET_MIN,
                     intervals_min: Mapping[str, int] | None = None, faults: bool = True,
                     outages: bool = True) -> Readings:
    """One-minute simulation of every device of ``registry`` over ``days`` days.

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
    rng = np.random.default_rng(seed)
    iv = {**DEFAULT_INTERVALS_MIN, **(intervals_min or {})}
    st = _setup(registry, rng)
    s0 = int(to_epoch_minutes(np.datetime64(start, "m") if isinstance(start, str) else start))
    n_t = int(days) * 1440
    utc = s0 + np.arange(n_t, dtype=np.int64)
    local = utc + utc_offset_min
    lat = float(np.mean([s.lat for s in st.schools])) if st.schools else SAMPLE_CENTRE_LATLON[0]
    lon = float(np.mean([s.lon for s in st.schools])) if st.schools else SAMPLE_CENTRE_LATLON[1]
    wx = _weather(local, utc, lat, lon, rng)
    n_r = len(st.rooms)
    mow = ((local // 1440 + 3) % 7) * 1440 + local % 1440
    mod = local % 1440
    occ = st.week[:, mow].T                                   # (T, R)
    day_idx = (local // 1440 - local[0] // 1440).astype(np.int64)
    n_days = int(day_idx[-1]) + 1
    attend = rng.uniform(0.82, 1.0, (n_days, n_r)) * (rng.random((n_days, n_r)) > 0.02)
    brk = ((mod - 480) % 50) >= 40
    lunch = (mod >= 720) & (mod < 760)
    phase = np.where(lunch, 0.03, np.where(brk, 0.15, 1.0))[:, None]
    kind = np.array([r.type for r in st.rooms])
    hour_idx = (local // 60 - local[0] // 60).astype(np.int64)
    in_use = np.where(np.isin(kind, ("gym", "lab", "library")),
                      rng.random((int(hour_idx[-1]) + 1, n_r)) < 0.6, True)[hour_idx]
    people = occ * in_use * attend[day_idx] * st.cap * phase
    people = np.floor(people + rng.random(people.shape))      # stochastic rounding
    window = (rng.random((int(hour_idx[-1]) + 1, n_r)) < st.p_window)[hour_idx] & (brk | lunch
                                                                                   )[:, None]
    warm = (wx["t_out"] > 18.0)[:, None]
    lam = np.where(occ, st.lam_occ + 1.5 * warm, st.lam_base)
    lam = np.where(st.mech & ~occ, st.lam_base, lam)
    lam = lam + window * occ * ~st.mech * rng.uniform(3.0, 8.0, n_r)
    co2_out = _CLIMATE["co2_out"] + 8.0 * np.cos(2 * np.pi * (mod / 60.0 - 4.0) / 24.0)
    volume = st.area * CEILING_HEIGHT_M
    co2 = co2_mass_balance(co2_out[0] + 30.0, people, volume, lam, co2_out[:, None])

    # temperature: heating season when the outdoor daily mean is below 15 degC
    t_day = np.bincount(day_idx, wx["t_out"]) / np.bincount(day_idx)
    heat_season = (t_day < 15.0)[day_idx][:, None]
    weekday = ((local // 1440 + 3) % 7) < 5
    heating_on = heat_season & (weekday & (mod >= 360) & (mod < 960))[:, None]
    t_free = wx["t_out"][:, None] + 3.0 + 0.06 * people + 3.0 * wx["sun"][:, None]
    target = np.where(heating_on, np.maximum(st.t_set + 0.03 * people, t_free),
                      np.where(heat_season, np.maximum(16.0, t_free), t_free))
    decay = np.exp(-1.0 / np.where(heating_on, 90.0, 720.0))
    temp = _relax(np.maximum(target[0], 16.0), target, np.broadcast_to(decay, target.shape))

    # humidity: occupant moisture follows the CO2 excess (same ventilation, same dynamics)
    pv_out = wx["rh_out"] / 100.0 * _psat_pa(wx["t_out"])
    excess_g_m3 = (co2 - co2_out[:, None]) * 1e-6 * (MOISTURE_GENERATION_GPS
                                                     / (CO2_GENERATION_LPS * 1e-3))
    pv_in = pv_out[:, None] + excess_g_m3 * 1e-3 * 461.5 * (temp + 273.15)
    rh = np.clip(100.0 * pv_in / _psat_pa(temp) + rng.normal(0, 1.0, temp.shape), 5.0, 95.0)
    pm = (wx["pm_out"][:, None] * np.where(lam > 3.0, 0.65, 0.45) + 0.12 * people
          * (1 + 2 * (kind == "gym"))) * np.exp(rng.normal(0, 0.15, temp.shape))
    noise = (32.0 + 12.0 * np.log10(1.0 + people) + 6.0 * (brk[:, None] & (people > 0))
             + st.loud * (people > 0) + rng.normal(0, 2.0, temp.shape))
    lights = occ * (rng.random((n_days, n_r)) < 0.95)[day_idx]
    lux = (wx["sun"][:, None] * 100_000.0 * 0.12 * st.daylight_factor
           + lights * 420.0) * np.exp(rng.normal(0, 0.08, temp.shape))
    counter = np.maximum(people + (rng.random(people.shape) < 0.1)
                         * rng.integers(-1, 2, people.shape), 0)
    room_values = {
        "co2": np.round(co2 + rng.normal(0, 10.0, co2.shape)),
        "temperature": np.round(temp + rng.normal(0, 0.1, temp.shape), 2),
        "humidity": np.round(rh, 1), "pm25": np.round(pm, 1),
        "noise": np.round(np.clip(noise, 20.0, 120.0), 1), "illuminance": np.round(lux, 0),
        "occupancy": counter}

    qidx = {q: i for i, q in enumerate(_ALL_QUANTITIES)}
    parts: list[tuple[NDArray[Any], ...]] = []
    have = np.flatnonzero(st.env_dev >= 0)
    for q, full in room_values.items():
        step = int(iv[q])
        v = np.ascontiguousarray(full[::step, have].T)        # (R', Tq)
        flt = np.zeros(v.shape, dtype=bool)
        keep = np.ones(v.shape, dtype=bool)
        if faults and v.size:
            _inject(rng, v, flt, keep, q, days, step)
        rr, cc = np.nonzero(keep)
        parts.append((st.env_dev[have][rr], np.full(rr.size, qidx[q], np.int8),
                      utc[0] + cc.astype(np.int64) * step, v[rr, cc], flt[rr, cc]))

    # meters: electricity and heat per school, cumulative [kWh]
    n_s = len(st.schools)
    occ_frac = np.zeros((n_t, n_s))
    np.add.at(occ_frac.T, st.room_school, (people / np.maximum(st.cap, 1.0)).T)
    occ_frac /= np.maximum(np.bincount(st.room_school, minlength=n_s), 1)
    floor = np.array([s.floor_area_m2 for s in st.schools])
    any_occ = np.zeros((n_t, n_s), dtype=bool)
    np.logical_or.at(any_occ.T, st.room_school, occ.T)
    p_el = floor * (1.5 + 6.0 * occ_frac + 3.0 * any_occ) / 1000.0          # [kW]
    h_ua = floor * 1.1                                                    # [W/K]
    hs = heat_season[:, 0][:, None]
    won = heating_on[:, 0][:, None]
    p_heat = h_ua * np.where(won, np.maximum(21.0 - wx["t_out"][:, None], 0.0),
                             np.where(hs, np.maximum(16.0 - wx["t_out"][:, None], 0.0), 0.0)
                             ) / 1000.0
    for q, p in (("electricity", p_el), ("heat", p_heat)):
        step = int(iv[q])
        e = np.cumsum(p, axis=0) / 60.0 + rng.uniform(1_000.0, 50_000.0, n_s)
        v = np.ascontiguousarray(np.round(e[::step].T, 2))
        flt = np.zeros(v.shape, dtype=bool)
        if faults:
            for s, k, _ in _poisson_events(rng, 0.05 * days / 28.0, n_s, v.shape[1], (1, 1)):
                v[s, k:] -= v[s, k] - np.round(rng.uniform(0.0, 1.0), 2)  # counter restarts
                flt[s, k] = True
        ok = st.meter_dev >= 0
        rr, cc = np.nonzero(np.broadcast_to(ok[:, None], v.shape))
        parts.append((st.meter_dev[rr], np.full(rr.size, qidx[q], np.int8),
                      utc[0] + cc.astype(np.int64) * step, v[rr, cc], flt[rr, cc]))

    parts += _probe(st, rng, utc, local, iv, qidx, days, outages, occ_frac)
    cat = [np.concatenate([p[i] for p in parts]) for i in range(5)]
    return Readings(st.device_ids, st.school_ids, st.room_ids, _ALL_QUANTITIES,
                    cat[0].astype(np.int32), cat[1].astype(np.int8), cat[2].astype(np.int64),
                    cat[3].astype(np.float64), cat[4].astype(bool))


def _inject(rng: np.random.Generator, v: NDArray[np.float64], flt: NDArray[np.bool_],
            keep: NDArray[np.bool_], q: str, days: int, step: int) -> None:
    """Stuck values, spikes (flagged) and dropouts (rows removed), in place."""
    n_r, n_t = v.shape
    weeks = days / 7.0
    for r, s, e in _poisson_events(rng, 0.15 * weeks, n_r, n_t, (max(60 // step, 2),
                                                                    max(480 // step, 3))):
        v[r, s:e] = v[r, s]
        flt[r, s + 1:e] = True
    for r, s, _ in _poisson_events(rng, 1.0 * weeks, n_r, n_t, (1, 1)):
        if q == "temperature":
            v[r, s] = v[r, s] + rng.uniform(40.0, 90.0)
        elif q in ("humidity",):
            v[r, s] = v[r, s] + rng.uniform(60.0, 150.0)
        else:
            v[r, s] = (v[r, s] + 1.0) * rng.uniform(4.0, 12.0)
        flt[r, s] = True
    for r, s, e in _poisson_events(rng, 0.3 * weeks, n_r, n_t, (max(30 // step, 1),
                                                                   max(720 // step, 2))):
        keep[r, s:e] = False


def _probe(st: _Setup, rng: np.random.Generator, utc: NDArray[np.int64],
           local: NDArray[np.int64], iv: Mapping[str, int], qidx: dict[str, int], days: int,
           outages: bool, occ_frac: NDArray[np.float64]) -> list[tuple[NDArray[Any], ...]]:
    step = int(iv["online"])
    t = utc[::step]
    n_s, n_t = len(st.schools), t.size
    busy = occ_frac[::step].T                                             # (S, Tq)
    down_c = np.array([s.contracted_down_mbps for s in st.schools])[:, None]
    up_c = np.array([s.contracted_up_mbps for s in st.schools])[:, None]
    cong = 1.0 - 0.45 * np.minimum(busy * 2.0, 1.0)
    shape = (n_s, n_t)
    dl = np.minimum(down_c * rng.uniform(0.6, 0.95, (n_s, 1)) * cong
                    * np.exp(rng.normal(0, 0.2, shape)), down_c * 1.05)
    ul = np.minimum(up_c * rng.uniform(0.6, 0.95, (n_s, 1)) * cong
                    * np.exp(rng.normal(0, 0.2, shape)), up_c * 1.05)
    lat = rng.uniform(15.0, 60.0, (n_s, 1)) * (2.0 - cong) * np.exp(rng.normal(0, 0.2, shape))
    jit = 0.1 * lat * np.exp(rng.normal(0, 0.5, shape))
    loss = np.where(rng.random(shape) < 0.1, rng.exponential(0.3, shape), 0.0)
    online = np.ones(shape)
    silent = np.zeros(shape, dtype=bool)
    if outages:
        for s, a, b in _poisson_events(rng, days / 10.0, n_s, n_t, (1, 8 * 60 // step)):
            online[s, a:b] = 0.0
        order = rng.permutation(n_s)
        per_day = 1440 // step
        for s, back in zip(order[:2], (3, 10), strict=False):
            if days > back + 1:                              # one at-risk, one drop-off probe
                silent[s, n_t - back * per_day:] = True
    vals = {"download": np.round(dl, 2), "upload": np.round(ul, 2), "latency": np.round(lat, 1),
            "jitter": np.round(jit, 2), "packet_loss": np.round(np.clip(loss, 0, 100), 2),
            "online": online}
    out = []
    ok = (st.probe_dev >= 0)[:, None]
    for q, v in vals.items():
        keep = ok & ~silent
        if q in ("download", "upload", "latency", "jitter"):
            keep = keep & (online > 0)
        v = np.where((q == "packet_loss") & (online == 0), 100.0, v)
        rr, cc = np.nonzero(keep)
        out.append((st.probe_dev[rr], np.full(rr.size, qidx[q], np.int8), t[cc], v[rr, cc],
                    np.zeros(rr.size, dtype=bool)))
    return out


# -- hourly simulation ---------------------------------------------------------------------------
def simulate_hourly(registry: Registry, start: Any, days: int = 365, seed: int = 0, *,
                    utc_offset_min: int = SAMPLE_UTC_OFFSET_MIN,
                    intervals_min: Mapping[str, int] | None = None) -> Hourly:
    """Hourly aggregates (n, mean, min, max) of every device, computed directly per hour.

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

    Notes
    -----
    The occupied share of each hour comes from the timetable; CO2 and temperature use one exact
    exponential step per hour, whose hour mean is
    :math:`C_{ss} + (C_0 - C_{ss})(1 - e^{-\\lambda \\Delta t}) / (\\lambda \\Delta t)` and whose
    extremes are the start and end values (the solution is monotonic within a step). No sensor
    faults are injected.
    """
    rng = np.random.default_rng(seed)
    iv = {**DEFAULT_INTERVALS_MIN, **(intervals_min or {})}
    st = _setup(registry, rng)
    s0 = int(to_epoch_minutes(np.datetime64(start, "m") if isinstance(start, str) else start))
    s0 -= s0 % 60
    n_h = int(days) * 24
    utc = s0 + 60 * np.arange(n_h, dtype=np.int64)
    local = utc + utc_offset_min
    lat = float(np.mean([s.lat for s in st.schools])) if st.schools else SAMPLE_CENTRE_LATLON[0]
    lon = float(np.mean([s.lon for s in st.schools])) if st.schools else SAMPLE_CENTRE_LATLON[1]
    wx = _weather(local + 30, utc + 30, lat, lon, rng)
    n_r = len(st.rooms)
    how = ((local // 1440 + 3) % 7) * 24 + (local % 1440) // 60
    occ_share = st.week.reshape(n_r, 168, 60).mean(axis=2)[:, how].T     # (H, R)
    day_idx = (local // 1440 - local[0] // 1440).astype(np.int64)
    n_days = int(day_idx[-1]) + 1
    attend = rng.uniform(0.82, 1.0, (n_days, n_r)) * (rng.random((n_days, n_r)) > 0.02)
    hod = (local % 1440) // 60
    lunch = np.where(hod == 12, 0.35, 0.0)[:, None]
    people = occ_share * st.cap * attend[day_idx] * (0.83 - lunch)
    lam = st.lam_base + occ_share * (st.lam_occ + 1.5 * (wx["t_out"] > 18.0)[:, None]
                                     - st.lam_base) + occ_share * ~st.mech * st.p_window * 0.9
    volume = st.area * CEILING_HEIGHT_M
    co2_out = _CLIMATE["co2_out"]
    css = co2_steady_state(people, volume, lam, co2_out)
    x = lam  # per hour, dt = 1 h
    a = np.exp(-x)
    c_start = _relax(np.full(n_r, co2_out + 30.0), css, a)
    c_end = css + (c_start - css) * a
    c_mean = css + (c_start - css) * (1 - a) / x
    t_day = np.bincount(day_idx, wx["t_out"]) / np.bincount(day_idx)
    heat_season = (t_day < 15.0)[day_idx][:, None]
    weekday = (((local // 1440 + 3) % 7) < 5)[:, None]
    heating_on = heat_season & weekday & ((hod >= 6) & (hod < 16))[:, None]
    t_free = wx["t_out"][:, None] + 3.0 + 0.06 * people + 3.0 * wx["sun"][:, None]
    target = np.where(heating_on, np.maximum(st.t_set + 0.03 * people, t_free),
                      np.where(heat_season, np.maximum(16.0, t_free), t_free))
    tau_h = np.where(heating_on, 1.5, 12.0)
    ta = np.exp(-1.0 / tau_h)
    t_start = _relax(np.maximum(target[0], 16.0), target, np.broadcast_to(ta, target.shape))
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

    qidx = {q: i for i, q in enumerate(_ALL_QUANTITIES)}
    cols: list[tuple[NDArray[Any], ...]] = []

    def add(dev: NDArray[np.int32], q: str, mean: NDArray[Any], lo: NDArray[Any],
            hi: NDArray[Any]) -> None:
        ok = dev >= 0
        m, lo_, hi_ = mean[:, ok].T, lo[:, ok].T, hi[:, ok].T
        d = np.repeat(dev[ok], n_h)
        cols.append((d, np.full(d.size, qidx[q], np.int8), np.tile(utc, int(ok.sum())),
                     np.full(d.size, max(60 // int(iv[q]), 1), np.int32), m.ravel(),
                     lo_.ravel(), hi_.ravel()))

    jit = rng.normal(0, 1.0, c_mean.shape)
    add(st.env_dev, "co2", c_mean + 5 * jit, np.minimum(c_start, c_end) + 5 * jit - 10,
        np.maximum(c_start, c_end) + 5 * jit + 10)
    add(st.env_dev, "temperature", t_mean, np.minimum(t_start, t_end) - 0.1,
        np.maximum(t_start, t_end) + 0.1)
    for q, m in (("humidity", rh), ("pm25", pm), ("noise", noise), ("illuminance", lux),
                 ("occupancy", people)):
        s = sp[q]
        spread = s * np.maximum(m, 0.0) if q in ("pm25", "illuminance", "occupancy") else (
            np.full(m.shape, s))
        lo = np.maximum(m - spread, 0.0)
        hi = m + spread
        if q == "occupancy":
            m, lo, hi = np.round(m, 2), np.floor(lo), np.ceil(hi)
        add(st.env_dev, q, m, lo, hi)

    n_s = len(st.schools)
    occ_frac = np.zeros((n_h, n_s))
    np.add.at(occ_frac.T, st.room_school, (people / np.maximum(st.cap, 1.0)).T)
    occ_frac /= np.maximum(np.bincount(st.room_school, minlength=n_s), 1)
    floor = np.array([s.floor_area_m2 for s in st.schools])
    p_el = floor * (1.5 + 6.0 * occ_frac + 3.0 * (occ_frac > 0)) / 1000.0
    p_heat = floor * 1.1 * np.where(heating_on[:, :1], np.maximum(21.0 - wx["t_out"][:, None],
                                                                  0.0),
                                    np.where(heat_season[:, :1],
                                             np.maximum(16.0 - wx["t_out"][:, None], 0.0),
                                             0.0)) / 1000.0
    for q, p in (("electricity", p_el), ("heat", p_heat)):
        e1 = np.cumsum(p, axis=0) + rng.uniform(1_000.0, 50_000.0, n_s)
        e0 = e1 - p
        add(st.meter_dev, q, (e0 + e1) / 2, e0, e1)
    down_c = np.array([s.contracted_down_mbps for s in st.schools])
    up_c = np.array([s.contracted_up_mbps for s in st.schools])
    cong = 1.0 - 0.45 * np.minimum(occ_frac * 2.0, 1.0)
    dl = down_c * 0.8 * cong * np.exp(rng.normal(0, 0.1, cong.shape))
    ul = up_c * 0.8 * cong * np.exp(rng.normal(0, 0.1, cong.shape))
    lat_ms = rng.uniform(15.0, 60.0, n_s) * (2.0 - cong)
    up_share = np.where(rng.random(cong.shape) < 0.01, rng.integers(0, 4, cong.shape) / 4, 1.0)
    for q, m, s in (("download", dl, 0.25), ("upload", ul, 0.25), ("latency", lat_ms, 0.3),
                    ("jitter", 0.1 * lat_ms, 0.6), ("packet_loss", 0.03 + 0 * dl, 2.0),
                    ("online", up_share, 0.0)):
        if q == "online":
            add(st.probe_dev, q, m, np.floor(m), np.ceil(m))
        else:
            add(st.probe_dev, q, m, m * (1 - min(s, 0.9)), m * (1 + s))
    cat = [np.concatenate([c[i] for c in cols]) for i in range(7)]
    return Hourly(st.device_ids, st.school_ids, st.room_ids, _ALL_QUANTITIES,
                  cat[0].astype(np.int32), cat[1].astype(np.int8), cat[2].astype(np.int64),
                  cat[3].astype(np.int32), cat[4].astype(float), cat[5].astype(float),
                  cat[6].astype(float))
