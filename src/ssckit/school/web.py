"""The Smart School module's web face: city ranking, school pages with live tiles (server-sent
events), indoor climate, alerts, energy and connectivity panels, and the read-only JSON API.

Every heavy step runs in DuckDB (``GROUP BY`` over the minute readings, window functions for
meter increments); Python only shapes the few hundred aggregated rows for the templates. The
school page looks at a window of :data:`WINDOW` ending at the school's latest reading, so a
workspace whose data stopped some time ago still shows its last four weeks. Times are stored in
UTC and shown in the city's local time (``settings.school.utc_offset_min``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import duckdb
import numpy as np
import plotly.graph_objects as go
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ssckit.core import i18n
from ssckit.core.errors import InputError
from ssckit.core.i18n import N_
from ssckit.core.i18n import gettext as _
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.webkit import chart_json, get_store, get_workspace, render
from ssckit.core.workspace import Workspace
from ssckit.school import api_models, ngsi
from ssckit.school.connectivity import connectivity_status, school_connectivity
from ssckit.school.ieq import co2_category, hysteresis_alerts, ieq_report
from ssckit.school.run import SchoolSettings, load_registry
from ssckit.school.schema import QUANTITIES, Registry, Room
from ssckit.school.storage import (
    HOURLY_SUBDIR,
    hourly_sql,
    query_readings,
    readings_root,
    readings_sql,
)

router = APIRouter(prefix="/school", tags=["school"])
pages = APIRouter(include_in_schema=False)
NAV = [(N_("Smart School"), "/school", None),
       (N_("Schools of the country"), "/school/national", None),
       (N_("Pilot evaluation"), "/school/evaluation", None)]

#: Span of minute data the school page summarises (heat map, categories, alerts) [d].
WINDOW = timedelta(days=28)
#: Span of the energy chart [d].
ENERGY_SPAN = timedelta(days=365)
#: Seconds between two events of the live stream, and the longest a stream stays open (the
#: browser's EventSource then reconnects by itself).
LIVE_INTERVAL_S = 5.0
LIVE_MAX_S = 300.0
#: Alert thresholds [ppm]: raised at 1500, cleared below 1200 (hysteresis).
ALERT_RAISE_PPM = 1500.0
ALERT_CLEAR_PPM = 1200.0
#: Most rows one readings API call returns.
MAX_ROWS = 100_000

CATEGORY_NAMES = ("I", "II", "III", "IV")
CATEGORY_COLOURS = ("#009E73", "#56B4E9", "#E69F00", "#B3480B")
PROBE_QUANTITIES = ("online", "download", "upload", "latency")
METER_QUANTITIES = ("electricity", "heat")
WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
                 N_("Saturday"), N_("Sunday"))
STATUS_TEXT = {"live": N_("live"), "at-risk": N_("at risk"), "drop-off": N_("drop-off"),
               "never": N_("no recent test")}
#: Room types of the registry (schema.ROOM_TYPES) as the pages name them.
ROOM_TYPE_LABELS = (N_("classroom"), N_("lab"), N_("gym"), N_("library"), N_("office"),
                    N_("canteen"), N_("hall"), N_("other"))
_STATUS_ORDER = {"live": 0, "at-risk": 1, "drop-off": 2, "never": 3}

#: Display name of each quantity, in the order the tiles show them.
QUANTITY_LABELS: dict[str, str] = {
    "co2": "CO₂", "temperature": N_("Temperature"), "humidity": N_("Humidity"),
    "occupancy": N_("Occupancy"), "pm25": "PM2.5", "noise": N_("Noise"),
    "illuminance": N_("Illuminance"), "electricity": N_("Electricity meter"),
    "heat": N_("Heat meter"), "online": N_("Internet"), "download": N_("Download"),
    "upload": N_("Upload"), "latency": N_("Latency"), "jitter": N_("Jitter"),
    "packet_loss": N_("Packet loss"),
    "e_field_v_m": N_("RF electric field"),       # an EMF probe of the emf register
}
UNIT_LABELS = {"Cel": "°C", "%RH": N_("% RH"), "ug/m3": N_("µg/m³"), "count": N_("people"),
               "bool": "", "dBA": N_("dB(A)"), "Mbit/s": N_("Mbit/s"), "ms": N_("ms"),
               "kWh": N_("kWh"), "lx": N_("lx"), "V/m": N_("V/m")}
_DECIMALS = {"temperature": 1, "pm25": 1, "download": 1, "upload": 1, "jitter": 1,
             "packet_loss": 1}

SortKey = Literal["name", "cat2", "co2", "bb101", "kwh_m2", "kwh_pupil", "status", "uptime",
                  "benchmark", "ict"]
#: Ranking columns: key -> (header, indicator or None, better when higher?).
COLUMNS: dict[str, tuple[str, str | None, bool]] = {
    "name": (N_("School"), None, False),
    "cat2": (N_("Classrooms in CO₂ category I–II"), "school:classrooms_meeting_category_ii",
             True),
    "co2": (N_("Mean CO₂, occupied"), "school:co2_mean_occupied", False),
    "bb101": (N_("BB101 days failed"), "school:bb101_days_failed", False),
    "kwh_m2": (N_("Energy per m²"), "school:energy_per_m2", False),
    "kwh_pupil": (N_("Energy per pupil"), "school:energy_per_pupil", False),
    "status": (N_("Connectivity"), None, False),
    "uptime": (N_("Uptime, school hours"), "school:connectivity_uptime", True),
    "benchmark": (N_("Tests meeting benchmark"), "school:connectivity_benchmark", True),
    "ict": (N_("Pupils with ICT access"), None, True),
}


# -- small helpers ----------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _settings(ws: Workspace) -> SchoolSettings:
    return ws.module_settings("school", SchoolSettings)


def _offset(request: Request) -> int:
    return _settings(get_workspace(request)).utc_offset_min


def _rows(store: Store, sql: str, params: list[Any] | dict[str, Any] | None = None
          ) -> list[tuple[Any, ...]]:
    """Rows of a query on a cursor of its own; none where the school tables do not exist."""
    cur = store.cursor()
    try:
        return cur.execute(sql, params or []).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        cur.close()


def _numpy(store: Store, sql: str, params: list[Any] | dict[str, Any] | None = None
           ) -> dict[str, np.ndarray]:
    cur = store.cursor()
    try:
        return cur.execute(sql, params or []).fetchnumpy()
    except duckdb.CatalogException:
        return {}
    finally:
        cur.close()


def _registry(ws: Workspace) -> Registry | None:
    try:
        return load_registry(ws)
    except InputError:
        return None


def _tz_label(off: int) -> str:
    sign = "+" if off >= 0 else "-"
    h, m = divmod(abs(off), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def _local(ts: datetime | None, off: int, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A UTC time in the city's local time; weekday and month in the reader's language."""
    if ts is None:
        return ""
    local = ts + timedelta(minutes=off)
    lang = i18n.current_language()
    if lang == i18n.DEFAULT_LANGUAGE or "%a" not in fmt:
        return local.strftime(fmt)
    from babel.dates import format_datetime

    return format_datetime(local, "EEE d MMM y, HH:mm", locale=lang)


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat(timespec="seconds") + "Z"


def _age(seconds: float) -> str:
    s = max(0.0, seconds)
    if s < 90:
        return _("{n} s ago").format(n=f"{s:.0f}")
    if s < 90 * 60:
        return _("{n} min ago").format(n=f"{s / 60:.0f}")
    if s < 48 * 3600:
        return _("{n} h ago").format(n=f"{s / 3600:.0f}")
    return _("{n} days ago").format(n=f"{s / 86400:.0f}")


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def unit_label(quantity: str) -> str:
    unit = QUANTITIES[quantity].unit if quantity in QUANTITIES else ""
    label = UNIT_LABELS.get(unit, unit)
    return _(label) if label else ""


def format_reading(quantity: str, value: float) -> str:
    """A reading as the tiles show it (fixed decimals per quantity)."""
    if quantity == "online":
        return _("online") if value >= 0.5 else _("offline")
    d = _DECIMALS.get(quantity, 0)
    return i18n.format_fixed(value, d) if d else i18n.format_number(round(value))


# -- registry, indicators, status -------------------------------------------------------------
_SCHOOL_COLS = ("id", "name", "lat", "lon", "pupils", "staff", "floor_area_m2",
                "contracted_down_mbps", "contracted_up_mbps", "benchmark_down_mbps")


def _schools(store: Store, school_id: str | None = None) -> list[dict[str, Any]]:
    sql = f"SELECT {', '.join(_SCHOOL_COLS)} FROM school_schools"
    params: list[Any] = []
    if school_id is not None:
        sql += " WHERE id = ?"
        params.append(school_id)
    return [dict(zip(_SCHOOL_COLS, r, strict=True)) for r in _rows(store, sql + " ORDER BY id",
                                                                     params)]


def _school_or_404(store: Store, school_id: str) -> dict[str, Any]:
    found = _schools(store, school_id)
    if not found:
        raise HTTPException(404, f"no school {school_id!r}; see /school for the list")
    return found[0]


def _rooms(store: Store, school_id: str) -> list[Room]:
    rows = _rows(store, "SELECT school_id, room_id, type, area_m2, capacity, timetable "
                        "FROM school_rooms WHERE school_id = ? ORDER BY room_id", [school_id])
    return [Room(str(a), str(b), str(c), float(d), int(e), str(f)) for a, b, c, d, e, f in rows]


def _indicators(store: Store) -> dict[str, dict[str, IndicatorValue]]:
    """entity -> indicator -> latest stored value, for the school indicators and ICT access."""
    out: dict[str, dict[str, IndicatorValue]] = {}
    values = store.query_values(indicator_prefix="school:", breakdown={}, latest_until="9999")
    values += store.query_values(indicator="SC:EH:ED:1C", entity="city", breakdown={},
                                 latest_until="9999")
    for v in values:
        out.setdefault(v.entity, {})[v.indicator] = v
    return out


def _last_probe(store: Store, school_id: str | None = None) -> dict[str, datetime]:
    """Time of each school's last connectivity reading among the recent (DuckDB) readings."""
    sql = "SELECT school_id, max(ts) FROM school_readings WHERE list_contains(?, quantity)"
    params: list[Any] = [list(PROBE_QUANTITIES)]
    if school_id is not None:
        sql += " AND school_id = ?"
        params.append(school_id)
    return {str(s): ts for s, ts in _rows(store, sql + " GROUP BY ALL", params)}


def _status(last: datetime | None, now: datetime) -> str:
    if last is None:
        return "never"
    return str(connectivity_status(np.array([np.datetime64(last, "m")]),
                                   np.datetime64(now, "m"))[0])


def _ict_share(registry: Registry | None, school_id: str) -> float | None:
    if registry is None or school_id not in registry.schools:
        return None
    s = registry.schools[school_id]
    if s.pupils_with_ict_access is None or not s.pupils:
        return None
    return 100.0 * s.pupils_with_ict_access / s.pupils


def school_rows(ws: Workspace, store: Store, now: datetime | None = None
                ) -> list[dict[str, Any]]:
    """One dict per school: registry fields, latest indicator values, connectivity status."""
    now = now or _now()
    registry = _registry(ws)
    values = _indicators(store)
    last = _last_probe(store)
    out = []
    for s in _schools(store):
        ind = values.get(f"school:{s['id']}", {})
        row: dict[str, Any] = dict(s)
        for key, (_label, code, _hi) in COLUMNS.items():
            if code is not None:
                row[key] = ind[code].value if code in ind else None
        row["ict"] = _ict_share(registry, s["id"])
        row["pupils_with_ict_access"] = (registry.schools[s["id"]].pupils_with_ict_access
                                         if registry and s["id"] in registry.schools else None)
        row["last_measurement"] = last.get(s["id"])
        row["status"] = _status(last.get(s["id"]), now)
        row["period"] = next(iter(ind.values())).period if ind else None
        out.append(row)
    return out


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key putting "School 2" before "School 10"."""
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", text))


def sort_rows(rows: list[dict[str, Any]], key: str, order: str) -> list[dict[str, Any]]:
    """Rows sorted by a ranking column; schools without a value always come last."""
    desc = order == "desc"
    if key == "name":
        return sorted(rows, key=lambda r: (_natural(r["name"]), r["id"]), reverse=desc)
    if key == "status":
        return sorted(rows, key=lambda r: (_STATUS_ORDER.get(r["status"], 9),
                                           _natural(r["name"])), reverse=desc)
    have = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    have.sort(key=lambda r: (r[key], _natural(r["name"])), reverse=desc)
    return have + sorted(missing, key=lambda r: _natural(r["name"]))


def default_order(key: str) -> str:
    """The better-first order of a ranking column."""
    return "desc" if COLUMNS[key][2] else "asc"


# -- latest readings (tiles, SSE, API) ----------------------------------------------------------
def latest_payload(store: Store, school_id: str, utc_offset_min: int,
                   now: datetime | None = None) -> dict[str, Any]:
    """The latest reading of every room and quantity of a school, formatted for the tiles.

    Reads the store with a cursor of its own (safe from any thread).
    """
    now = now or _now()
    rows = _rows(store, "SELECT room_id, quantity, arg_max(value, ts), max(ts) "
                        "FROM school_readings WHERE school_id = ? GROUP BY ALL", [school_id])
    readings = []
    for room, q, value, ts in rows:
        v = float(value)
        item: dict[str, Any] = {
            "key": f"{room}|{q}", "room_id": room, "quantity": q,
            "label": _(QUANTITY_LABELS.get(q, q)), "value": v, "display": format_reading(q, v),
            "unit": QUANTITIES[q].unit if q in QUANTITIES else "", "unit_label": unit_label(q),
            "ts": _iso(ts), "age_s": round((now - ts).total_seconds(), 1),
            "age": _age((now - ts).total_seconds()),
            "category": None, "category_label": "",
        }
        if q == "co2":
            cat = int(co2_category(v))
            item["category"] = cat
            item["category_label"] = _("Category {name}").format(name=CATEGORY_NAMES[cat - 1])
        readings.append(item)
    order = {q: i for i, q in enumerate(QUANTITY_LABELS)}
    readings.sort(key=lambda r: (r["room_id"] == "", r["room_id"], order.get(r["quantity"], 99)))
    return {"school_id": school_id, "server_time": _iso(now.replace(microsecond=0)),
            "server_time_local": _local(now, utc_offset_min, "%H:%M:%S"),
            "utc_offset_min": utc_offset_min, "readings": readings}


def _tiles(payload: dict[str, Any], rooms: list[Room]) -> list[dict[str, Any]]:
    """Readings grouped by room for the template: rooms first, then the building."""
    types = {r.room_id: r.type for r in rooms}
    groups: dict[str, dict[str, Any]] = {}
    for r in payload["readings"]:
        g = groups.setdefault(r["room_id"], {
            "room_id": r["room_id"], "type": types.get(r["room_id"], ""),
            "title": _("Room {room}").format(room=r["room_id"]) if r["room_id"]
            else _("Whole building"),
            "readings": []})
        g["readings"].append(r)
    return list(groups.values())


# -- the school page's panels -----------------------------------------------------------------
def _window(store: Store, school_id: str, now: datetime) -> tuple[datetime, datetime]:
    row = _rows(store, "SELECT max(ts) FROM school_readings WHERE school_id = ?", [school_id])
    last = row[0][0] if row and row[0][0] is not None else now
    end = last.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return end - WINDOW, end


def co2_heatmap(store: Store, root: Path | None, school_id: str, start: datetime, end: datetime,
                utc_offset_min: int) -> list[list[float | None]]:
    """Mean CO₂ [ppm] of the school's rooms by local weekday (rows, Monday first) and hour of
    day (columns), over every reading in ``[start, end)``."""
    source, params = readings_sql(root, school_id, start, end)
    rows = _rows(store, f"""
        SELECT isodow(ts + to_minutes($off)) - 1 AS wd, hour(ts + to_minutes($off)) AS h,
               avg(value)
        FROM ({source})
        WHERE quantity = 'co2' AND room_id <> '' GROUP BY ALL""",
                 {**params, "off": int(utc_offset_min)})
    grid: list[list[float | None]] = [[None] * 24 for _ in range(7)]
    for wd, h, mean in rows:
        grid[int(wd)][int(h)] = round(float(mean), 1)
    return grid


def co2_alerts(store: Store, root: Path | None, school_id: str, start: datetime,
               end: datetime) -> list[dict[str, Any]]:
    """CO₂ alert intervals of every room (raised at 1500 ppm, cleared below 1200 ppm), newest
    first, each with its peak [ppm]; several sensors of a room are averaged per minute."""
    # Rooms travel as hashes: a string column of half a million rows costs more to fetch than
    # the query itself.
    source, params = readings_sql(root, school_id, start, end)
    src = f"(SELECT * FROM ({source}) WHERE quantity = 'co2' AND room_id <> '')"
    rel = _numpy(store, f"""
        SELECT hash(room_id) AS room, epoch_ms(ts) // 60000 AS m, avg(value) AS v FROM {src}
        GROUP BY room_id, m ORDER BY room_id, m""", params)
    out: list[dict[str, Any]] = []
    if not rel or len(rel["m"]) == 0:
        return out
    names = {h: r for r, h in _rows(store, f"SELECT DISTINCT room_id, hash(room_id) FROM {src}",
                                    params)}
    room = rel["room"]
    m = rel["m"].astype(np.int64)
    v = rel["v"].astype(float)
    bounds = np.flatnonzero(room[1:] != room[:-1]) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(room)], strict=True):
        al = hysteresis_alerts(m[a:b], v[a:b], ALERT_RAISE_PPM, ALERT_CLEAR_PPM)
        for s, e, is_open in zip(al.start, al.end, al.open, strict=True):
            i, j = np.searchsorted(m[a:b], [s, e])
            peak = float(v[a:b][i:max(j, i + 1)].max())
            out.append({"room_id": str(names.get(int(room[a]), "?")),
                        "start": _from_minutes(int(s)),
                        "end": _from_minutes(int(e)), "open": bool(is_open),
                        "minutes": int(e - s), "peak": peak})
    out.sort(key=lambda x: x["start"], reverse=True)
    return out


def _from_minutes(m: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(minutes=m)


def daily_energy(store: Store, root: Path | None, school_id: str, start: datetime, end: datetime,
                 utc_offset_min: int) -> list[tuple[Any, str, float]]:
    """Daily consumption (local date, quantity, kWh) of the school's cumulative meters.

    Increments between consecutive meter indices are summed per local day: hourly aggregates
    (their maximum, the index at the end of the hour) where no minute data exist, the minute
    readings (DuckDB and Parquet) from their first time on. A drop of the index is a meter
    reset: the new index counts as consumed since the reset (as
    :func:`ssckit.school.ieq.meter_consumption`).
    """
    source, params = readings_sql(root, school_id, start, end)
    hourly, hourly_params = hourly_sql(root.parent / HOURLY_SUBDIR.name if root else None)
    sql = f"""
        WITH m AS (
            SELECT device_id, quantity, ts, value AS v
            FROM ({source}) WHERE list_contains($meters, quantity)
        ),
        m0 AS (SELECT device_id, quantity, date_trunc('hour', min(ts)) AS t0 FROM m GROUP BY ALL),
        h AS (
            SELECT h.device_id, h.quantity, h.hour + INTERVAL 59 MINUTE AS ts, h.max AS v
            FROM ({hourly}) h
            LEFT JOIN m0 USING (device_id, quantity)
            WHERE h.school_id = $school AND list_contains($meters, h.quantity)
              AND h.hour >= $start AND h.hour < coalesce(m0.t0, $end::TIMESTAMP)
        ),
        inc AS (
            SELECT quantity, ts, v, v - lag(v) OVER (PARTITION BY device_id, quantity
                                                     ORDER BY ts) AS d FROM h
            UNION ALL
            SELECT quantity, ts, v, v - lag(v) OVER (PARTITION BY device_id, quantity
                                                     ORDER BY ts) AS d FROM m
        )
        SELECT CAST(ts + to_minutes($off) AS DATE) AS day, quantity,
               sum(CASE WHEN d < 0 THEN v ELSE d END) AS kwh
        FROM inc WHERE d IS NOT NULL GROUP BY ALL ORDER BY day, quantity"""
    params |= hourly_params | {"meters": list(METER_QUANTITIES), "school": school_id,
                               "start": start, "end": end, "off": int(utc_offset_min)}
    return [(d, str(q), float(k)) for d, q, k in _rows(store, sql, params)]


def energy_summary(days: list[tuple[Any, str, float]], floor_area_m2: float, pupils: int,
                   recent_from: Any) -> dict[str, Any]:
    """Totals of the daily consumption: whole span and recent days, per m² and per pupil, and
    a table by month."""
    def totals(rows: list[tuple[Any, str, float]]) -> dict[str, Any]:
        kwh = sum(k for _, _, k in rows)
        return {"kwh": kwh, "per_m2": kwh / floor_area_m2 if floor_area_m2 else None,
                "per_pupil": kwh / pupils if pupils else None,
                "days": len({d for d, _, _ in rows})}

    months: dict[str, dict[str, float]] = {}
    for d, q, k in days:
        months.setdefault(d.strftime("%Y-%m"), {}).setdefault(q, 0.0)
        months[d.strftime("%Y-%m")][q] += k
    month_rows = [{"month": mo, **{q: vals.get(q, 0.0) for q in METER_QUANTITIES},
                   "total": sum(vals.values()),
                   "per_m2": sum(vals.values()) / floor_area_m2 if floor_area_m2 else None}
                  for mo, vals in sorted(months.items())]
    return {"all": totals(days), "recent": totals([x for x in days if x[0] >= recent_from]),
            "months": month_rows,
            "first": days[0][0] if days else None, "last": days[-1][0] if days else None}


def connectivity_panel(store: Store, root: Path | None, school: dict[str, Any], start: datetime,
                       end: datetime, now: datetime, utc_offset_min: int) -> dict[str, Any]:
    """Status (from the age of the last probe reading), uptime in school hours, benchmark share
    and median speeds over ``[start, end)``, from :func:`school_connectivity`."""
    source, params = readings_sql(root, school["id"], start, end)
    rel = _numpy(store, f"""
        SELECT quantity, ts, value FROM ({source})
        WHERE list_contains($probe, quantity) ORDER BY quantity, ts""",
                 {**params, "probe": list(PROBE_QUANTITIES)})
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if rel and len(rel["ts"]):
        q = rel["quantity"].astype(str)
        for name in PROBE_QUANTITIES:
            k = q == name
            if k.any():
                series[name] = (rel["ts"][k].astype("datetime64[m]"), rel["value"][k].astype(float))
    last = _last_probe(store, school["id"]).get(school["id"])
    out: dict[str, Any] = {"status": _status(last, now), "last_measurement": last,
                           "benchmark_mbps": school["benchmark_down_mbps"],
                           "contracted_down_mbps": school["contracted_down_mbps"],
                           "contracted_up_mbps": school["contracted_up_mbps"]}
    if not series:
        return out | {"uptime": None, "benchmark_share": None, "download_mbps": None,
                      "upload_mbps": None, "latency_ms": None, "tests": 0}
    res = school_connectivity(series, now=np.datetime64(now, "m"),
                              start=np.datetime64(start, "m"), end=np.datetime64(end, "m"),
                              benchmark_mbps=float(school["benchmark_down_mbps"]),
                              utc_offset_min=utc_offset_min)
    for k in ("uptime", "benchmark_share", "download_mbps", "upload_mbps", "latency_ms"):
        out[k] = _finite(res[k])
    out["tests"] = int(len(series["download"][0])) if "download" in series else 0
    return out


def category_rows(store: Store, school_id: str, rooms: list[Room], start: datetime,
                  end: datetime, utc_offset_min: int) -> list[dict[str, Any]]:
    """EN 16798-1 CO₂ category shares of occupied time per room (:func:`ieq_report`)."""
    cur = store.cursor()
    try:
        report = ieq_report(cur, [school_id], start, end, rooms=rooms,
                            utc_offset_min=utc_offset_min)
    except duckdb.CatalogException:
        report = []
    finally:
        cur.close()
    types = {r.room_id: r.type for r in rooms}
    out = []
    for r in report:
        share = [_finite(x) for x in r["co2_share"]]
        out.append({"room_id": r["room_id"], "type": types.get(r["room_id"], ""),
                    "hours": r["occupied_co2_minutes"] / 60.0, "share": share,
                    "meets_ii": (share[0] or 0) + (share[1] or 0) >= 95.0
                    if r["occupied_co2_minutes"] else None,
                    "mean": _finite(r["co2_mean_occupied"]),
                    "bb101_days": r["days_over_2000_20min"],
                    "days_mean_over_1500": r["days_mean_over_1500"],
                    "days": r["days_assessed"]})
    return out


# -- charts ----------------------------------------------------------------------------------
def _heatmap_figure(grid: list[list[float | None]]) -> go.Figure:
    fig = go.Figure(go.Heatmap(
        z=grid, x=[f"{h:02d}:00" for h in range(24)], y=[_(d) for d in WEEKDAY_NAMES],
        colorscale="Viridis", colorbar={"title": {"text": "ppm"}}, hoverongaps=False,
        hovertemplate="%{y} %{x}: %{z:.0f} ppm<extra></extra>"))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 40},
                      yaxis={"autorange": "reversed"}, xaxis={"title": _("hour of day (local)")},
                      title=_("Mean CO₂ by weekday and hour"))
    return fig


def _categories_figure(rows: list[dict[str, Any]]) -> go.Figure:
    fig = go.Figure()
    names = [_("Room {room}").format(room=r["room_id"]) for r in rows]
    for i, name in enumerate(CATEGORY_NAMES):
        label = _("Category {name}").format(name=name)
        fig.add_bar(y=names, x=[r["share"][i] or 0 for r in rows], orientation="h",
                    name=label, marker_color=CATEGORY_COLOURS[i],
                    hovertemplate="%{y}: %{x:.1f} %<extra>" + f"{label}</extra>")
    fig.update_layout(barmode="stack", height=max(260, 34 * len(rows) + 110),
                      xaxis={"title": _("share of occupied time (%)"), "range": [0, 100]},
                      yaxis={"autorange": "reversed"}, legend={"orientation": "h", "y": -0.25},
                      margin={"l": 10, "r": 10, "t": 30, "b": 40},
                      title=_("CO₂ category of occupied time per room"))
    return fig


def _energy_figure(days: list[tuple[Any, str, float]]) -> go.Figure:
    fig = go.Figure()
    colours = {"electricity": "#0072B2", "heat": "#E69F00"}
    for q in METER_QUANTITIES:
        sel = [(d, k) for d, qq, k in days if qq == q]
        fig.add_bar(x=[d.isoformat() for d, _ in sel], y=[round(k, 2) for _, k in sel],
                    name=_("electricity") if q == "electricity" else _("heat"),
                    marker_color=colours[q])
    fig.update_layout(barmode="stack", height=340, bargap=0,
                      yaxis={"title": _("kWh per day")}, xaxis={"type": "date"},
                      legend={"orientation": "h", "y": -0.2},
                      margin={"l": 10, "r": 10, "t": 30, "b": 40},
                      title=_("Daily energy use (electricity and heat meters)"))
    return fig


# -- pages ------------------------------------------------------------------------------------
@pages.get("/school", response_class=HTMLResponse)
def city_page(request: Request, sort: SortKey = "cat2",
              order: Literal["asc", "desc"] | None = None) -> HTMLResponse:
    ws = get_workspace(request)
    store = get_store(request)
    now = _now()
    order = order or default_order(sort)
    rows = sort_rows(school_rows(ws, store, now), sort, order)
    city = _indicators(store).get("city", {})
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUS_TEXT}
    return render(request, "school/city.html", {
        "rows": rows, "sort": sort, "order": order, "columns": COLUMNS,
        "default_order": {k: default_order(k) for k in COLUMNS}, "city_values": city,
        "counts": counts, "status_text": STATUS_TEXT, "pupils": sum(r["pupils"] for r in rows),
        "period": next((r["period"] for r in rows if r["period"]), None),
        "now_local": _local(now, _offset(request)), "tz": _tz_label(_offset(request)),
        "tr": _,
    })


@pages.get("/school/{school_id}", response_class=HTMLResponse)
def school_page(request: Request, school_id: str) -> HTMLResponse:
    ws = get_workspace(request)
    store = get_store(request)
    school = _school_or_404(store, school_id)
    off = _offset(request)
    root = readings_root(ws.root)
    now = _now()
    rooms = _rooms(store, school_id)
    payload = latest_payload(store, school_id, off, now)
    start, end = _window(store, school_id, now)
    grid = co2_heatmap(store, root, school_id, start, end, off)
    categories = category_rows(store, school_id, rooms, start, end, off)
    alerts = co2_alerts(store, root, school_id, start, end)
    days = daily_energy(store, root, school_id, end - ENERGY_SPAN, end, off)
    energy = energy_summary(days, school["floor_area_m2"], school["pupils"],
                            (end + timedelta(minutes=off) - WINDOW).date())
    connectivity = connectivity_panel(store, root, school, start, end, now, off)
    values = _indicators(store).get(f"school:{school_id}", {})
    registry = _registry(ws)
    fmt_alerts = [a | {"start_local": _local(a["start"], off),
                       "end_local": _local(a["end"], off)} for a in alerts]
    return render(request, "school/school.html", {
        "school": school, "tiles": _tiles(payload, rooms), "payload": payload,
        "tz": _tz_label(off), "window_start": _local(start, off), "window_end": _local(end, off),
        "heat_grid": grid, "hours": list(range(24)), "weekdays": WEEKDAY_NAMES,
        "heat_chart": chart_json(_heatmap_figure(grid))
        if any(x is not None for row in grid for x in row) else None,
        "categories": categories, "category_names": CATEGORY_NAMES,
        "categories_chart": chart_json(_categories_figure(categories)) if categories else None,
        "alerts": fmt_alerts[:25], "alert_count": len(alerts),
        "open_alerts": [a for a in fmt_alerts if a["open"]],
        "alert_rooms": len({a["room_id"] for a in alerts}),
        "energy": energy, "energy_chart": chart_json(_energy_figure(days)) if days else None,
        "connectivity": connectivity, "status_text": STATUS_TEXT,
        "last_probe_local": _local(connectivity["last_measurement"], off),
        "values": values, "ict": _ict_share(registry, school_id),
        "raise_ppm": ALERT_RAISE_PPM, "clear_ppm": ALERT_CLEAR_PPM, "tr": _,
    })


@pages.get("/school/{school_id}/live")
async def school_live(
    request: Request, school_id: str,
    count: Annotated[int | None, Query(ge=1, le=10_000,
                                       description="stop after this many events")] = None,
) -> StreamingResponse:
    """Server-sent events: every few seconds, the latest reading of each room and quantity."""
    store = get_store(request)
    await run_in_threadpool(_school_or_404, store, school_id)
    off = _offset(request)

    async def events() -> AsyncIterator[str]:
        yield f"retry: {int(LIVE_INTERVAL_S * 1000)}\n\n"
        sent = 0
        deadline = time.monotonic() + LIVE_MAX_S
        while True:
            payload = await run_in_threadpool(latest_payload, store, school_id, off)
            sent += 1
            yield f"id: {sent}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"
            if (count is not None and sent >= count) or time.monotonic() >= deadline:
                return
            await anyio.sleep(LIVE_INTERVAL_S)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# -- API --------------------------------------------------------------------------------------
def _api_school(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in _SCHOOL_COLS}
    out["pupils_with_ict_access"] = row["pupils_with_ict_access"]
    out["indicators"] = {
        "classrooms_meeting_category_ii_pct": row["cat2"], "co2_mean_occupied_ppm": row["co2"],
        "bb101_days_failed": row["bb101"], "energy_kwh_per_m2": row["kwh_m2"],
        "energy_kwh_per_pupil": row["kwh_pupil"], "connectivity_uptime_pct": row["uptime"],
        "connectivity_benchmark_pct": row["benchmark"], "ict_access_pct": row["ict"],
    }
    out["period"] = row["period"]
    out["connectivity_status"] = row["status"]
    out["last_measurement"] = _iso(row["last_measurement"])
    return out


@router.get("/schools", response_model=list[api_models.School])
def api_schools(request: Request) -> list[dict[str, Any]]:
    """Every school of the registry with its latest indicator values and connectivity status."""
    return [_api_school(r) for r in school_rows(get_workspace(request), get_store(request))]


@router.get("/schools/{school_id}/latest", response_model=api_models.Latest)
def api_latest(request: Request, school_id: str) -> dict[str, Any]:
    """The latest reading of each room and quantity of a school (what the live tiles show)."""
    store = get_store(request)
    _school_or_404(store, school_id)
    return latest_payload(store, school_id, _offset(request))


def _naive_utc(ts: datetime | None) -> datetime | None:
    if ts is None or ts.tzinfo is None:
        return ts
    return ts.astimezone(UTC).replace(tzinfo=None)


@router.get("/schools/{school_id}/readings", response_model=api_models.Readings)
def api_readings(
    request: Request, school_id: str,
    room: Annotated[str | None, Query(max_length=100, description="room id")] = None,
    quantity: Annotated[str | None, Query(description="e.g. co2, temperature")] = None,
    start: Annotated[datetime | None, Query(description="UTC unless an offset is given; "
                                                      "default: a day before end")] = None,
    end: Annotated[datetime | None, Query(description="exclusive; default: after the "
                                                    "school's latest reading")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 10_000,
) -> dict[str, Any]:
    """Minute readings of a school from DuckDB and the Parquet history, ordered by time."""
    store = get_store(request)
    _school_or_404(store, school_id)
    if quantity and quantity not in QUANTITIES:
        raise HTTPException(422, f"unknown quantity {quantity!r}; allowed: "
                                 + ", ".join(QUANTITIES))
    start, end = _naive_utc(start), _naive_utc(end)
    if end is None and start is None:
        end = _window(store, school_id, _now())[1]
    if start is None and end is not None:
        start = end - timedelta(days=1)
    if start is not None and end is not None and end <= start:
        raise HTTPException(422, "end must be after start")
    rows = query_readings(store, readings_root(get_workspace(request).root),
                          school_id=school_id, room_id=room or None, quantity=quantity or None,
                          start=start, end=end, limit=limit + 1)
    return {
        "school_id": school_id, "start": _iso(start), "end": _iso(end), "limit": limit,
        "truncated": len(rows) > limit,
        "readings": [{"ts": _iso(ts), "device_id": dev, "room_id": rm, "quantity": q,
                      "value": float(v), "unit": QUANTITIES[q].unit if q in QUANTITIES else ""}
                     for _s, rm, dev, q, ts, v in rows[:limit]],
    }


@router.get("/ngsi-ld", responses={200: {"content": {"application/ld+json": {}}}})
def api_ngsi_ld(request: Request) -> Response:
    """Schools (Building), devices (Device) and latest indoor conditions per room
    (IndoorEnvironmentObserved) as NGSI-LD entities (FIWARE Smart Data Models)."""
    registry = _registry(get_workspace(request))
    if registry is None:
        raise HTTPException(404, "this workspace has no school registry (inputs.school)")
    return Response(ngsi.to_json(registry, get_store(request)),
                    media_type="application/ld+json")

