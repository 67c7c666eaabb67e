"""Smart School data model: the registry (schools, rooms, devices), the measured quantities
with their units and plausible ranges, and the module's DuckDB tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ssckit.core.csvfile import read_csv_rows
from ssckit.core.store import Store


@dataclass(frozen=True)
class Quantity:
    """A measured quantity: canonical unit, accepted SenML/other spellings, plausible range."""

    name: str
    unit: str
    aliases: tuple[str, ...]
    lo: float
    hi: float
    cumulative: bool = False      # meter readings that only grow (kWh)


#: Every quantity a device may report. Units follow SenML (RFC 8428 §12.1) where it has one.
QUANTITIES: dict[str, Quantity] = {q.name: q for q in (
    Quantity("co2", "ppm", ("ppm",), 250.0, 10_000.0),
    Quantity("temperature", "Cel", ("Cel", "°C", "degC", "C"), -30.0, 60.0),
    Quantity("humidity", "%RH", ("%RH", "%"), 0.0, 100.0),
    Quantity("pm25", "ug/m3", ("ug/m3", "µg/m3", "ug/m^3"), 0.0, 1000.0),
    Quantity("noise", "dBA", ("dBA", "dB"), 0.0, 140.0),
    Quantity("illuminance", "lx", ("lx", "lux"), 0.0, 100_000.0),
    Quantity("occupancy", "count", ("count", "/", "people"), 0.0, 1000.0),
    Quantity("electricity", "kWh", ("kWh",), 0.0, 1e9, cumulative=True),
    Quantity("heat", "kWh", ("kWh",), 0.0, 1e9, cumulative=True),
    Quantity("download", "Mbit/s", ("Mbit/s", "Mbps"), 0.0, 100_000.0),
    Quantity("upload", "Mbit/s", ("Mbit/s", "Mbps"), 0.0, 100_000.0),
    Quantity("latency", "ms", ("ms",), 0.0, 60_000.0),
    Quantity("jitter", "ms", ("ms",), 0.0, 60_000.0),
    Quantity("packet_loss", "%", ("%",), 0.0, 100.0),
    Quantity("online", "bool", ("bool", "/"), 0.0, 1.0),
    # RF electric field strength, rms, of an EMF probe (no SenML unit; V/m as in IEC 62232)
    Quantity("e_field_v_m", "V/m", ("V/m",), 0.0, 1000.0),
)}

ROOM_TYPES = ("classroom", "lab", "gym", "library", "office", "canteen", "hall", "other")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIMETABLE_RE = re.compile(r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
                           r"(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$")


@dataclass(frozen=True)
class School:
    id: str
    name: str
    lat: float
    lon: float
    pupils: int
    staff: int
    floor_area_m2: float
    contracted_down_mbps: float
    contracted_up_mbps: float
    benchmark_down_mbps: float
    pupils_with_ict_access: int | None = None   # optional column: pupils with classroom ICT


@dataclass(frozen=True)
class Room:
    school_id: str
    room_id: str
    type: str
    area_m2: float
    capacity: int
    timetable: str       # e.g. "mon-fri 08:00-14:30" (several rules separated by ';')

    def occupied_minutes(self) -> list[tuple[int, int, int]]:
        """(weekday 0=Mon, start minute, end minute) of every occupied period."""
        return parse_timetable(self.timetable)


@dataclass(frozen=True)
class Device:
    device_id: str
    school_id: str
    room_id: str         # '' for a building-level device (meters, the connectivity probe)
    quantities: tuple[str, ...]


@dataclass(frozen=True)
class Registry:
    schools: dict[str, School]
    rooms: dict[tuple[str, str], Room]
    devices: dict[str, Device]


def parse_timetable(text: str) -> list[tuple[int, int, int]]:
    """Parse ``"mon-fri 08:00-14:30; sat 09:00-12:00"`` into (weekday, start, end) minutes."""
    out = []
    for rule in filter(None, (r.strip().lower() for r in text.split(";"))):
        m = _TIMETABLE_RE.match(rule)
        if not m:
            raise ValueError(f"timetable rule {rule!r} is not like 'mon-fri 08:00-14:30'")
        start = _minutes(m["start"])
        end = _minutes(m["end"])
        if not 0 <= start < end <= 24 * 60:
            raise ValueError(f"timetable rule {rule!r}: start must be before end, within a day")
        days: list[int] = []
        for part in m["days"].split(","):
            a, _, b = part.partition("-")
            if a not in WEEKDAYS or (b and b not in WEEKDAYS):
                raise ValueError(f"timetable rule {rule!r}: days are {', '.join(WEEKDAYS)}")
            i, j = WEEKDAYS.index(a), WEEKDAYS.index(b or a)
            days += list(range(i, j + 1)) if i <= j else list(range(i, 7)) + list(range(0, j + 1))
        out += [(d, start, end) for d in days]
    return out


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


SCHOOL_COLUMNS = ("id", "name", "lat", "lon", "pupils", "staff", "floor_area_m2",
                  "contracted_down_mbps", "contracted_up_mbps", "benchmark_down_mbps")
ROOM_COLUMNS = ("school_id", "room_id", "type", "area_m2", "capacity", "timetable")
DEVICE_COLUMNS = ("device_id", "school_id", "room_id", "quantities")


def read_registry(schools_csv: Path, rooms_csv: Path, devices_csv: Path) -> Registry:
    """Read and cross-check the three registry files (through
    :func:`ssckit.core.csvfile.read_csv_rows`); any problem is an InputError naming the file,
    the line, the field and what is allowed."""
    schools: dict[str, School] = {}
    for r in read_csv_rows(schools_csv, SCHOOL_COLUMNS, ("pupils_with_ict_access",)):
        if not r["id"]:
            raise r.error("id", "empty; every school needs an id")
        if r["id"] in schools:
            raise r.error("id", f"school {r['id']!r} is listed twice")
        pupils = int(r.number("pupils", 0, 100_000, integer=True))
        schools[r["id"]] = School(
            r["id"], r["name"], r.number("lat", -90, 90), r.number("lon", -180, 180), pupils,
            int(r.number("staff", 0, 10_000, integer=True)), r.number("floor_area_m2", 1, 1e6),
            r.number("contracted_down_mbps", 0, 1e5), r.number("contracted_up_mbps", 0, 1e5),
            r.number("benchmark_down_mbps", 0, 1e5),
            int(r.number("pupils_with_ict_access", 0, pupils, integer=True))
            if r["pupils_with_ict_access"] else None)
    rooms: dict[tuple[str, str], Room] = {}
    for r in read_csv_rows(rooms_csv, ROOM_COLUMNS):
        if r["school_id"] not in schools:
            raise r.error("school_id", f"unknown school {r['school_id']!r} (not in "
                                       f"{Path(schools_csv).name})")
        if not r["room_id"]:
            raise r.error("room_id", "empty; every room needs an id")
        kind = r.choice("type", ROOM_TYPES)
        try:
            parse_timetable(r["timetable"])
        except ValueError as exc:
            raise r.error("timetable", str(exc)) from None
        key = (r["school_id"], r["room_id"])
        if key in rooms:
            raise r.error(None, f"room {key} is listed twice")
        rooms[key] = Room(r["school_id"], r["room_id"], kind, r.number("area_m2", 1, 1e5),
                          int(r.number("capacity", 0, 10_000, integer=True)), r["timetable"])
    devices: dict[str, Device] = {}
    for r in read_csv_rows(devices_csv, DEVICE_COLUMNS):
        if r["school_id"] not in schools:
            raise r.error("school_id", f"unknown school {r['school_id']!r}")
        if r["room_id"] and (r["school_id"], r["room_id"]) not in rooms:
            raise r.error("room_id", f"unknown room {r['room_id']!r} of school "
                                     f"{r['school_id']}")
        qs = tuple(q.strip() for q in r["quantities"].split(";") if q.strip())
        bad = [q for q in qs if q not in QUANTITIES]
        if not qs or bad:
            raise r.error("quantities", f"unknown quantity {bad[0] if bad else '(none)'!r}; "
                                        "allowed (separated by ';'): " + ", ".join(QUANTITIES))
        if not r["device_id"]:
            raise r.error("device_id", "empty; every device needs an id")
        if r["device_id"] in devices:
            raise r.error("device_id", f"device {r['device_id']!r} is listed twice")
        devices[r["device_id"]] = Device(r["device_id"], r["school_id"], r["room_id"], qs)
    return Registry(schools, rooms, devices)


#: The school module's own tables (see ``Store.migrate_module``). Append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE school_readings (
        device_id VARCHAR NOT NULL,
        quantity  VARCHAR NOT NULL,
        ts        TIMESTAMP NOT NULL,          -- UTC
        value     DOUBLE NOT NULL,
        school_id VARCHAR NOT NULL,
        room_id   VARCHAR NOT NULL,
        PRIMARY KEY (device_id, quantity, ts)
    );
    CREATE TABLE school_quarantine (
        received_at TIMESTAMP NOT NULL,
        channel     VARCHAR NOT NULL,          -- 'mqtt:<topic>' or 'http'
        payload     VARCHAR NOT NULL,
        reason      VARCHAR NOT NULL
    );
    CREATE TABLE school_hourly (
        school_id VARCHAR NOT NULL,
        room_id   VARCHAR NOT NULL,
        device_id VARCHAR NOT NULL,
        quantity  VARCHAR NOT NULL,
        hour      TIMESTAMP NOT NULL,
        n         INTEGER NOT NULL,
        mean      DOUBLE NOT NULL,
        min       DOUBLE NOT NULL,
        max       DOUBLE NOT NULL,
        PRIMARY KEY (device_id, quantity, hour)
    );
    """,
    # 2: the registry, so that reports and the dashboard can join on it
    """
    CREATE TABLE school_schools (
        id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, lat DOUBLE NOT NULL, lon DOUBLE NOT NULL,
        pupils INTEGER NOT NULL, staff INTEGER NOT NULL, floor_area_m2 DOUBLE NOT NULL,
        contracted_down_mbps DOUBLE NOT NULL, contracted_up_mbps DOUBLE NOT NULL,
        benchmark_down_mbps DOUBLE NOT NULL
    );
    CREATE TABLE school_rooms (
        school_id VARCHAR NOT NULL, room_id VARCHAR NOT NULL, type VARCHAR NOT NULL,
        area_m2 DOUBLE NOT NULL, capacity INTEGER NOT NULL, timetable VARCHAR NOT NULL,
        PRIMARY KEY (school_id, room_id)
    );
    CREATE TABLE school_devices (
        device_id VARCHAR PRIMARY KEY, school_id VARCHAR NOT NULL, room_id VARCHAR NOT NULL,
        quantities VARCHAR NOT NULL
    );
    """,
]


def store_registry(store: Store, registry: Registry) -> None:
    """Replace the registry tables with ``registry`` in one transaction."""
    ensure_tables(store)
    with store.transaction() as cur:
        for t in ("school_schools", "school_rooms", "school_devices"):
            cur.execute(f"DELETE FROM {t}")
        cur.executemany("INSERT INTO school_schools VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            [s.id, s.name, s.lat, s.lon, s.pupils, s.staff, s.floor_area_m2,
             s.contracted_down_mbps, s.contracted_up_mbps, s.benchmark_down_mbps]
            for s in registry.schools.values()])
        cur.executemany("INSERT INTO school_rooms VALUES (?, ?, ?, ?, ?, ?)", [
            [r.school_id, r.room_id, r.type, r.area_m2, r.capacity, r.timetable]
            for r in registry.rooms.values()])
        cur.executemany("INSERT INTO school_devices VALUES (?, ?, ?, ?)", [
            [d.device_id, d.school_id, d.room_id, ";".join(d.quantities)]
            for d in registry.devices.values()])


def ensure_tables(store: Store) -> None:
    """Create or upgrade the school tables in ``store``."""
    store.migrate_module("school", MIGRATIONS)
