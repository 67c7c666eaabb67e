"""National scale: a synthetic national registry (thousands of schools spread over regions and
districts like a country's), a month of hourly aggregates for all of them streamed to Parquet
piece by piece, and the national report (ranking, CO₂ categories, connectivity, energy)
computed by DuckDB over the Parquet files in place.

Layout of a national data folder (``WORKSPACE/data/school/national`` by default)::

    schools.csv  rooms.csv  devices.csv      registry (schools.csv adds region, district,
                                             style, giga_id to the city registry's columns)
    hourly/kind=room/month=YYYY-MM/part-NNNNN.parquet    room CO₂ and temperature
    hourly/kind=school/month=YYYY-MM/part-NNNNN.parquet  meters and probe
                                             hourly aggregates, one file per piece of schools
                                             and month, sorted by quantity, school, device,
                                             hour (a query for one quantity skips the row
                                             groups of the others by their statistics)
    report.parquet                           the national report, one row per school

The hourly aggregates come from :class:`ssckit.school.simulate.HourlySimulator` run on pieces
of ``piece_schools`` schools (memory bounded by the piece); only the quantities the report
uses are written (room CO₂ and temperature, meters, probe download and online).
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray

from ssckit.core.errors import InputError
from ssckit.school.ieq import CO2_ABOVE_OUTDOOR_PPM, DEFAULT_OUTDOOR_CO2_PPM, week_table
from ssckit.school.schema import SCHOOL_COLUMNS
from ssckit.school.simulate import HourlySimulator, registry_from_rows

NATIONAL_SUBDIR = Path("data") / "school" / "national"
REPORT_FILE = "report.parquet"
#: Quantities written to the national hourly history.
NATIONAL_QUANTITIES = ("co2", "temperature", "electricity", "heat", "download", "online")
#: Timetables of the school styles (local time).
STYLE_TIMETABLES = {"standard": "mon-fri 08:00-14:30", "long": "mon-fri 08:00-16:30",
                    "short": "mon-fri 08:00-13:00", "shift": "mon-sat 08:00-18:00"}
OVERHEATING_C = 28.0
NATIONAL_COLUMNS = (*SCHOOL_COLUMNS, "region", "district", "style", "giga_id")


def national_root(workspace_dir: str | Path) -> Path:
    return Path(workspace_dir) / NATIONAL_SUBDIR


# -- the registry ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Region:
    name: str
    lat: float
    lon: float
    radius_km: float
    weight: float            # share of the country's schools


def sample_regions(seed: int, n_regions: int = 12,
                   box: tuple[float, float, float, float] = (36.5, 27.0, 41.5, 44.0)
                   ) -> list[Region]:
    """Regions of a synthetic country in ``box`` (lat_min, lon_min, lat_max, lon_max) [deg]:
    sizes of a rank-size (Zipf, exponent 1) law, so a capital region holds about a third of
    the schools and rural regions few, as school counts by region do."""
    rng = np.random.default_rng([seed, 31])
    lat0, lon0, lat1, lon1 = box
    w = 1.0 / np.arange(1, n_regions + 1)
    w = w / w.sum()
    out = []
    for i in range(n_regions):
        out.append(Region(f"Region {chr(65 + i)}", float(rng.uniform(lat0, lat1)),
                          float(rng.uniform(lon0, lon1)), float(rng.uniform(60, 140)),
                          float(w[i])))
    return out


def national_registry(seed: int = 0, n_schools: int = 3000, n_regions: int = 12
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                 list[dict[str, Any]]]:
    """Rows of a synthetic national registry: schools (``NATIONAL_COLUMNS``), rooms, devices.

    Each region has 4-15 districts of log-normal sizes; a district's schools are urban (within
    about 4 km of its town, 12-36 classrooms, two thirds of them) or rural (scattered over
    about 25 km, 3-8 classrooms). Each room has a CO₂ and temperature sensor; each school a
    meter and a connectivity probe. Deterministic for a seed.
    """
    rng = np.random.default_rng([seed, 32])
    regions = sample_regions(seed, n_regions)
    counts = rng.multinomial(n_schools, [r.weight for r in regions])
    schools, rooms, devices = [], [], []
    k = 0
    for reg, n_reg in zip(regions, counts, strict=True):
        n_d = int(rng.integers(4, 16))
        dw = rng.lognormal(0.0, 0.8, n_d)
        d_counts = rng.multinomial(n_reg, dw / dw.sum())
        for j, n in enumerate(d_counts):
            r = reg.radius_km * math.sqrt(rng.random())
            th = rng.uniform(0, 2 * math.pi)
            d_lat = reg.lat + r * math.cos(th) / 111.32
            d_lon = reg.lon + r * math.sin(th) / (111.32 * math.cos(math.radians(reg.lat)))
            district = f"{reg.name} / District {j + 1}"
            for _ in range(int(n)):
                k += 1
                sid = f"N{k:05d}"
                urban = rng.random() < 0.66
                sd = 4.0 if urban else 25.0
                lat = d_lat + rng.normal(0, sd) / 111.32
                lon = d_lon + rng.normal(0, sd) / (111.32 * math.cos(math.radians(d_lat)))
                n_class = int(rng.integers(12, 37) if urban else rng.integers(3, 9))
                style = str(rng.choice(list(STYLE_TIMETABLES), p=[0.6, 0.15, 0.1, 0.15]))
                kinds = ["classroom"] * n_class + ["lab", "office"]
                area_sum, cap_sum = 0.0, 0
                for m, kind in enumerate(kinds):
                    area = round(float(rng.uniform(48, 64) if kind != "office" else 30.0), 1)
                    cap = int(rng.integers(20, 33)) if kind != "office" else 6
                    rid = f"R{m + 1:02d}"
                    rooms.append({"school_id": sid, "room_id": rid, "type": kind,
                                  "area_m2": area, "capacity": cap,
                                  "timetable": STYLE_TIMETABLES[style]})
                    devices.append({"device_id": f"{sid}-{rid}-env", "school_id": sid,
                                    "room_id": rid, "quantities": "co2;temperature"})
                    area_sum += area
                    cap_sum += cap if kind == "classroom" else 0
                down = float(rng.choice([2.0, 5.0, 10.0, 20.0, 50.0, 100.0],
                                        p=[0.1, 0.15, 0.2, 0.25, 0.2, 0.1] if not urban
                                        else [0.02, 0.05, 0.13, 0.3, 0.3, 0.2]))
                schools.append({
                    "id": sid, "name": f"School {sid}", "lat": round(lat, 5),
                    "lon": round(lon, 5), "pupils": int(cap_sum * rng.uniform(0.7, 1.0)),
                    "staff": int(len(kinds) * 1.5 + 3),
                    "floor_area_m2": round(area_sum * rng.uniform(1.4, 2.2), 1),
                    "contracted_down_mbps": down, "contracted_up_mbps": down / 4,
                    "benchmark_down_mbps": 20.0, "region": reg.name, "district": district,
                    "style": style, "giga_id": f"giga-{seed:03d}-{k:06d}"})
                devices.append({"device_id": f"{sid}-meter", "school_id": sid, "room_id": "",
                                "quantities": "electricity;heat"})
                devices.append({"device_id": f"{sid}-probe", "school_id": sid, "room_id": "",
                                "quantities": "download;online"})
    return schools, rooms, devices


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


# -- the hourly history ----------------------------------------------------------------------------
_COPY = """
COPY (SELECT list_extract($schools::VARCHAR[], d + 1) AS school_id,
             list_extract($rooms::VARCHAR[], d + 1) AS room_id,
             list_extract($devices::VARCHAR[], d + 1) AS device_id,
             list_extract($quantities::VARCHAR[], q + 1) AS quantity,
             make_timestamp(hour * 60000000) AS hour, n, round(mean, 2) AS mean,
             round(min, 2) AS min, round(max, 2) AS max
      FROM national_batch WHERE keep AND room = $room
      ORDER BY quantity, school_id, device_id, hour)
TO $path (FORMAT PARQUET, COMPRESSION ZSTD)"""
#: Which dataset a quantity goes to.
_ROOM_QUANTITIES = ("co2", "temperature")


def _pieces(rows: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]],
            piece_schools: int) -> Iterator[tuple[list[dict[str, Any]], ...]]:
    schools, rooms, devices = rows
    by_school_r: dict[str, list[dict[str, Any]]] = {}
    for r in rooms:
        by_school_r.setdefault(r["school_id"], []).append(r)
    by_school_d: dict[str, list[dict[str, Any]]] = {}
    for d in devices:
        by_school_d.setdefault(d["school_id"], []).append(d)
    for a in range(0, len(schools), piece_schools):
        part = schools[a:a + piece_schools]
        yield (part, [r for s in part for r in by_school_r.get(s["id"], [])],
               [d for s in part for d in by_school_d.get(s["id"], [])])


def _silent_probes(rng: np.random.Generator, empty: Any, start: int, end: int
                   ) -> NDArray[np.int64]:
    """Per device [epoch min]: from when it stops reporting. Probes of about 5 % of the
    schools fall silent 2-6 days before the end (at risk) and of 5 % earlier (drop-off); every
    other device reports to the end."""
    out = np.full(len(empty.device_ids), np.iinfo(np.int64).max, dtype=np.int64)
    span = end - start
    for k, dev in enumerate(empty.device_ids):
        if not dev.endswith("-probe"):
            continue
        u = rng.random()
        if u < 0.05:
            out[k] = end - int(rng.uniform(2, 6) * 1440)
        elif u < 0.10:
            out[k] = start + int(rng.uniform(0.0, 0.5) * span)
    return out


def generate_national(out: str | Path, n_schools: int = 3000, days: int = 30,
                      start: str = "2026-01-05T00:00", seed: int = 0, utc_offset_min: int = 180,
                      piece_schools: int = 100,
                      progress: Callable[[int, int], None] = lambda done, total: None
                      ) -> dict[str, Any]:
    """Write the national registry and ``days`` of hourly aggregates under ``out``.

    Returns counts (schools, rooms, rows) and the seconds taken. Each piece of
    ``piece_schools`` schools is simulated (its own seed: ``seed`` + piece number) and written
    to one Parquet file per calendar month it touches, so memory is bounded by the piece.
    """
    out = Path(out)
    if n_schools < 1 or days < 1:
        raise InputError("national", None, "give at least 1 school and 1 day")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows = national_registry(seed, n_schools)
    for name, r in zip(("schools", "rooms", "devices"), rows, strict=True):
        _write_csv(out / f"{name}.csv", r)
    hourly = out / "hourly"
    n_rows = 0
    total = -(-n_schools // piece_schools)
    con = duckdb.connect(config={"threads": 1})
    try:
        for i, (s, r, d) in enumerate(_pieces(rows, piece_schools)):
            reg = registry_from_rows(s, r, d)
            sim = HourlySimulator(reg, start, days, seed=seed + i, utc_offset_min=utc_offset_min)
            silent = _silent_probes(np.random.default_rng([seed, 33, i]), sim.empty(),
                                    sim.start, sim.end)
            for h in sim.pieces():
                qn = np.asarray(h.quantities)
                keep = np.isin(qn[h.quantity], NATIONAL_QUANTITIES) & (h.hour < silent[h.device])
                month = str(np.datetime64(int(h.hour[0]), "m").astype("datetime64[M]"))
                con.register("national_batch", {
                    "d": h.device, "q": h.quantity, "hour": h.hour, "n": h.n, "mean": h.mean,
                    "min": h.min, "max": h.max, "keep": keep,
                    "room": np.isin(qn[h.quantity], _ROOM_QUANTITIES)})
                try:
                    for kind in ("room", "school"):
                        folder = hourly / f"kind={kind}" / f"month={month}"
                        folder.mkdir(parents=True, exist_ok=True)
                        tmp = folder / f".part-{i:05d}.tmp"
                        con.execute(_COPY, {"schools": list(h.school_ids),
                                            "rooms": list(h.room_ids),
                                            "devices": list(h.device_ids),
                                            "quantities": list(h.quantities), "path": str(tmp),
                                            "room": kind == "room"})
                        os.replace(tmp, folder / f"part-{i:05d}.parquet")
                finally:
                    con.unregister("national_batch")
                n_rows += int(keep.sum())
            progress(i + 1, total)
    finally:
        con.close()
    return {"schools": len(rows[0]), "rooms": len(rows[1]), "rows": n_rows,
            "seconds": time.perf_counter() - t0}


# -- the report ------------------------------------------------------------------------------------
def _occupied_table() -> dict[str, Any]:
    """(style, hour of the week 0 = Monday 00:00) of the occupied hours of each style: at
    least half of the hour in the timetable."""
    style, how = [], []
    for s, tt in STYLE_TIMETABLES.items():
        occ = np.flatnonzero(week_table(tt).reshape(168, 60).mean(axis=1) >= 0.5)
        style += [s] * occ.size
        how += occ.tolist()
    return {"style": np.array(style), "how": np.array(how, dtype=np.int64)}


_REPORT_SQL = """
WITH s AS (SELECT * FROM read_csv($schools, header = true, all_varchar = false)),
h AS (SELECT * FROM read_parquet($school_files)),
t AS (SELECT max(hour) AS end_hour FROM h),
room AS (
  SELECT h.school_id,
         count(*) FILTER (quantity = 'co2') AS n_co2,
         count(*) FILTER (quantity = 'co2' AND mean <= $c1) AS cat1,
         count(*) FILTER (quantity = 'co2' AND mean > $c1 AND mean <= $c2) AS cat2,
         count(*) FILTER (quantity = 'co2' AND mean > $c2 AND mean <= $c3) AS cat3,
         count(*) FILTER (quantity = 'co2' AND mean > $c3) AS cat4,
         count(*) FILTER (quantity = 'temperature' AND mean > $hot) AS hot_hours
  -- only the rows counted reach the joins: CO₂ hours, and the (few) hot hours; two scans,
  -- so that each filter is pushed into its Parquet scan (files sorted by quantity)
  FROM (SELECT school_id, hour, quantity, mean FROM read_parquet($room_files)
        WHERE quantity = 'co2'
        UNION ALL
        SELECT school_id, hour, quantity, mean FROM read_parquet($room_files)
        WHERE quantity = 'temperature' AND mean > $hot) h
  JOIN s ON s.id = h.school_id
  JOIN occupied o ON o.style = s.style
   -- local hour of the week, Monday 00:00 = 0 (1970-01-01 was a Thursday: + 72 h)
   AND o.how = ((epoch(h.hour)::BIGINT + $off_s) // 3600 + 72) % 168
  GROUP BY h.school_id),
nrooms AS (SELECT school_id, count(*) AS rooms FROM read_csv($rooms, header = true,
           all_varchar = true) GROUP BY school_id),
probe AS (
  SELECT school_id,
         avg(mean) FILTER (quantity = 'online') AS uptime,
         max(hour) FILTER (quantity = 'online') AS last_probe,
         median(mean) FILTER (quantity = 'download') AS download_median,
         avg(mean) FILTER (quantity = 'download') AS download_mean,
         count(*) FILTER (quantity = 'download') AS n_download,
         list(mean) FILTER (quantity = 'download') AS downloads
  FROM h WHERE quantity IN ('online', 'download') GROUP BY school_id),
meter AS (
  SELECT school_id, sum(used) AS kwh FROM (
    SELECT school_id, device_id, quantity, max(mean) - min(mean) AS used
    FROM h WHERE quantity IN ('electricity', 'heat') GROUP BY ALL) GROUP BY school_id)
SELECT s.id AS school_id, s.name, s.region, s.district, s.lat, s.lon, s.pupils,
       s.floor_area_m2, s.benchmark_down_mbps, s.giga_id, nrooms.rooms,
       100.0 * (room.cat1 + room.cat2) / nullif(room.n_co2, 0) AS co2_cat_ii_share,
       100.0 * room.cat1 / nullif(room.n_co2, 0) AS cat1_share,
       100.0 * room.cat2 / nullif(room.n_co2, 0) AS cat2_share,
       100.0 * room.cat3 / nullif(room.n_co2, 0) AS cat3_share,
       100.0 * room.cat4 / nullif(room.n_co2, 0) AS cat4_share,
       room.hot_hours / nullif(nrooms.rooms, 0) AS overheating_hours,
       100.0 * probe.uptime AS uptime, probe.download_median, probe.download_mean,
       probe.last_probe,
       100.0 * len(list_filter(probe.downloads, lambda x: x >= s.benchmark_down_mbps))
         / nullif(probe.n_download, 0) AS benchmark_share,
       meter.kwh / s.floor_area_m2 AS kwh_m2, meter.kwh / nullif(s.pupils, 0) AS kwh_pupil,
       t.end_hour
FROM s LEFT JOIN room ON room.school_id = s.id LEFT JOIN probe ON probe.school_id = s.id
LEFT JOIN nrooms ON nrooms.school_id = s.id
LEFT JOIN meter ON meter.school_id = s.id, t
ORDER BY co2_cat_ii_share DESC NULLS LAST, s.id
"""


def national_report(root: str | Path, utc_offset_min: int = 180, threads: int | None = None
                    ) -> dict[str, Any]:
    """Compute the national report from ``root`` (see the module docstring) into
    ``root/report.parquet``: per school the CO₂ category shares of occupied room hours
    (EN 16798-1 Table B.12 limits above the outdoor 400 ppm), overheating hours per room
    (> 28 °C), probe uptime, median download and share of tests meeting the benchmark,
    connectivity status (see :mod:`ssckit.school.giga`), energy per m² and per pupil.
    Returns seconds taken and counts."""
    from ssckit.school.giga import connectivity_status_sql, giga_category_sql

    root = Path(root)
    files = {k: str(root / "hourly" / f"kind={k}" / "*" / "*.parquet") for k in ("room", "school")}
    if not (root / "schools.csv").exists() or not all(
            any((root / "hourly" / f"kind={k}").glob("*/*.parquet")) for k in files):
        raise InputError(str(root), None, "no national data here: run `ssckit school national "
                         "generate` (or put schools.csv and hourly/ Parquet files there)")
    t0, c0 = time.perf_counter(), time.process_time()
    con = duckdb.connect(config={"threads": threads or os.cpu_count() or 1})
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("occupied", _occupied_table())
        c1, c2, c3 = (DEFAULT_OUTDOOR_CO2_PPM + x for x in CO2_ABOVE_OUTDOOR_PPM)
        tmp = root / ".report.tmp"
        status = connectivity_status_sql("last_probe", "end_hour")
        category = giga_category_sql("download_mean", "benchmark_down_mbps")
        con.execute(f"COPY (SELECT *, {status} AS status, {category} AS "
                    f"giga_category, {category} IN ('good', 'moderate') AS giga_connected "
                    f"FROM ({_REPORT_SQL})) TO $path (FORMAT PARQUET)",
                    {"schools": str(root / "schools.csv"), "room_files": files["room"],
                     "school_files": files["school"], "c1": c1,
                     "c2": c2, "c3": c3, "hot": OVERHEATING_C, "off_s": 60 * int(utc_offset_min),
                     "rooms": str(root / "rooms.csv"),
                     "path": str(tmp)})
        os.replace(tmp, root / REPORT_FILE)
        n = con.execute("SELECT count(*) FROM read_parquet($p)",
                        {"p": str(root / REPORT_FILE)}).fetchone()[0]
    finally:
        con.close()
    return {"schools": int(n), "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.process_time() - c0}


def read_report(root: str | Path, region: str | None = None, district: str | None = None,
                sort: str = "co2_cat_ii_share", descending: bool = True,
                limit: int | None = None, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Rows of the national report (filtered, sorted, one page) and the count matching."""
    if sort not in REPORT_SORT_KEYS:
        raise InputError("sort", None, f"{sort!r}; allowed: {', '.join(REPORT_SORT_KEYS)}")
    where, params = ["true"], {"p": str(Path(root) / REPORT_FILE)}
    if region:
        where.append("region = $region")
        params["region"] = region
    if district:
        where.append("district = $district")
        params["district"] = district
    con = duckdb.connect(config={"threads": 1})
    try:
        cond = " AND ".join(where)
        total = con.execute(f"SELECT count(*) FROM read_parquet($p) WHERE {cond}",
                            params).fetchone()[0]
        sql = (f"SELECT * EXCLUDE (end_hour) FROM read_parquet($p) WHERE {cond} ORDER BY "
               f"{sort} {'DESC' if descending else 'ASC'} NULLS LAST, school_id")
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        cur = con.execute(sql, params)
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()], int(total)
    finally:
        con.close()


def report_summary(root: str | Path) -> dict[str, Any]:
    """National and per-region figures of the report: schools, pupils, mean CO₂ category
    I-II share, schools per connectivity status, energy per m² (median)."""
    con = duckdb.connect(config={"threads": 1})
    try:
        p = {"p": str(Path(root) / REPORT_FILE)}
        q = ("SELECT {g} count(*) AS schools, sum(pupils) AS pupils, avg(co2_cat_ii_share) AS "
             "co2_cat_ii_share, count(*) FILTER (status = 'live') AS live, "
             "count(*) FILTER (status = 'at-risk') AS at_risk, "
             "count(*) FILTER (status NOT IN ('live', 'at-risk')) AS offline, "
             "median(kwh_m2) AS kwh_m2, avg(benchmark_share) AS benchmark_share "
             "FROM read_parquet($p) {by}")
        cur = con.execute(q.format(g="", by=""), p)
        cols = [c[0] for c in cur.description]
        nation = dict(zip(cols, cur.fetchone(), strict=True))
        cur = con.execute(q.format(g="region,", by="GROUP BY region ORDER BY region"), p)
        cols = [c[0] for c in cur.description]
        regions = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        districts = [r[0] for r in con.execute(
            "SELECT DISTINCT district FROM read_parquet($p) ORDER BY district", p).fetchall()]
        return {"nation": nation, "regions": regions, "districts": districts}
    finally:
        con.close()


REPORT_SORT_KEYS = ("co2_cat_ii_share", "overheating_hours", "uptime", "benchmark_share",
                    "download_median", "kwh_m2", "kwh_pupil", "name", "region", "pupils")
