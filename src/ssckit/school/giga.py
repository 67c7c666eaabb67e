"""Connectivity as Giga counts it: a school's Giga identifier, speed tests imported in the
layout of Giga Meter (the Daily Check App) measurements, and Giga Maps' speed categories.

Measurements layout (the records of the Daily Check App / Giga Meter measurements API,
``/measurements/v2``, as the Giga Maps backend stores them in ``DailyCheckAppMeasurementData``,
unicef/giga-maps-backend ``proco/data_sources/models.py``): ``timestamp``, ``giga_id_school``,
``school_id`` (the government id), ``download`` and ``upload`` [kbit/s], ``latency`` [ms],
``country_code``, ``source`` (``DailyCheckApp`` or ``MLab``), ``browserId``, ``ip_address``,
``app_version``, ``created_at``. The backend multiplies download and upload by 1000 to get
bit/s (``data_loss_recovery_for_pcdc.py``). This module reads that layout from CSV: the columns
``timestamp``, ``download`` and one of ``giga_id_school`` / ``school_id`` are required.

Speed categories (Giga Maps' default download layer, ``load_system_data_layers.py``:
``global_benchmark`` 20 000 000 bit/s, ``base_benchmark`` 1 000 000 bit/s; classification in
``proco/accounts/api.py``): **good** above the benchmark, **moderate** from the base benchmark
up to the benchmark, **bad** below the base benchmark, **unknown** without measurements; a
school counts as **connected** when it is good or moderate. The value classified is the mean
of the school's daily mean download speeds over the period (the backend's school daily status
holds a day's average).

"At risk" is not a Giga speed category: it is this toolkit's status by the age of the last
measurement (:mod:`ssckit.school.connectivity`: live within 1 day, at risk within 7 days,
drop-off beyond).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ssckit.core.csvfile import read_csv_rows
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.school.connectivity import DEFAULT_AT_RISK_DAYS, DEFAULT_LIVE_DAYS

#: Giga Maps' global download benchmark [Mbit/s] (20 000 000 bit/s).
GIGA_BENCHMARK_MBPS = 20.0
#: Giga Maps' base benchmark of the download layer [Mbit/s] (1 000 000 bit/s): below it "bad".
GIGA_BASE_BENCHMARK_MBPS = 1.0
#: Giga Meter reports download and upload in kbit/s.
KBPS_PER_MBPS = 1000.0

MEASUREMENT_COLUMNS = ("timestamp", "download")
OPTIONAL_COLUMNS = ("giga_id_school", "school_id", "upload", "latency", "country_code",
                    "source", "browserId", "ip_address", "app_version", "created_at")

MIGRATIONS: list[str] = [
    """
    CREATE TABLE school_giga_ids (
        school_id VARCHAR PRIMARY KEY,
        giga_id   VARCHAR NOT NULL UNIQUE
    );
    CREATE TABLE school_giga_measurements (
        giga_id       VARCHAR NOT NULL,
        school_id     VARCHAR NOT NULL,
        ts            TIMESTAMP NOT NULL,        -- UTC
        source        VARCHAR NOT NULL,
        download_mbps DOUBLE NOT NULL,
        upload_mbps   DOUBLE,
        latency_ms    DOUBLE,
        PRIMARY KEY (giga_id, ts, source)
    );
    """,
]


def ensure_tables(store: Store) -> None:
    store.migrate_module("school_giga", MIGRATIONS)


# -- categories (pure) -----------------------------------------------------------------------------
def giga_speed_category(download_mbps: ArrayLike, benchmark_mbps: float = GIGA_BENCHMARK_MBPS,
                        base_mbps: float = GIGA_BASE_BENCHMARK_MBPS) -> NDArray[np.str_]:
    """Giga Maps' category of each download speed [Mbit/s]: ``good`` above ``benchmark_mbps``,
    ``moderate`` from ``base_mbps`` to it, ``bad`` below ``base_mbps``, ``unknown`` for NaN."""
    x = np.asarray(download_mbps, dtype=float)
    out = np.where(x > benchmark_mbps, "good", np.where(x >= base_mbps, "moderate", "bad"))
    return np.where(np.isnan(x), "unknown", out)


def is_connected(category: ArrayLike) -> NDArray[np.bool_]:
    """Giga's "connected": good or moderate."""
    return np.isin(np.asarray(category), ("good", "moderate"))


def giga_category_sql(value: str, benchmark: str = str(GIGA_BENCHMARK_MBPS)) -> str:
    """:func:`giga_speed_category` as a SQL CASE over the column ``value`` [Mbit/s]."""
    return (f"CASE WHEN {value} IS NULL THEN 'unknown' WHEN {value} > {benchmark} THEN 'good' "
            f"WHEN {value} >= {GIGA_BASE_BENCHMARK_MBPS} THEN 'moderate' ELSE 'bad' END")


def connectivity_status_sql(last: str, now: str) -> str:
    """The status of :func:`ssckit.school.connectivity.connectivity_status` as a SQL CASE over
    two TIMESTAMP columns (last measurement, reference time)."""
    age = f"(epoch({now}) - epoch({last})) / 86400.0"
    return (f"CASE WHEN {last} IS NULL THEN 'never' WHEN {age} <= {DEFAULT_LIVE_DAYS} THEN "
            f"'live' WHEN {age} <= {DEFAULT_AT_RISK_DAYS} THEN 'at-risk' ELSE 'drop-off' END")


# -- identifiers -----------------------------------------------------------------------------------
def read_giga_ids(schools_csv: str | Path, known: set[str] | None = None) -> dict[str, str]:
    """school id -> Giga id from the optional ``giga_id`` column of a registry's schools.csv
    (empty cells: none)."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    rows = read_csv_rows(Path(schools_csv), ("id",), ("giga_id",))
    for r in rows:
        gid = r.get("giga_id").strip()
        if not gid:
            continue
        if known is not None and r["id"] not in known:
            continue
        if gid in seen:
            raise r.error("giga_id", f"Giga id {gid!r} is also given to school {seen[gid]}")
        seen[gid] = r["id"]
        out[r["id"]] = gid
    return out


def store_giga_ids(store: Store, ids: dict[str, str]) -> None:
    ensure_tables(store)
    with store.transaction() as cur:
        cur.execute("DELETE FROM school_giga_ids")
        if ids:
            cur.executemany("INSERT INTO school_giga_ids VALUES (?, ?)", list(ids.items()))


# -- measurements ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    rows: int
    new: int
    unknown_schools: list[str]

    def line(self) -> str:
        extra = (f"; {len(self.unknown_schools)} measurement(s) of schools not in the registry "
                 f"skipped (e.g. {self.unknown_schools[0]})" if self.unknown_schools else "")
        return f"giga: {self.rows} measurement(s) read, {self.new} new{extra}"


def _utc(text: str) -> datetime:
    t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def read_measurements(path: str | Path, giga_to_school: dict[str, str],
                      govt_to_school: dict[str, str] | None = None
                      ) -> tuple[list[list[Any]], list[str]]:
    """Rows (giga_id, school_id, ts, source, download, upload, latency) [Mbit/s, ms] of a Giga
    Meter measurements CSV, and the ids of unknown schools. A test is matched by
    ``giga_id_school``, else by ``school_id`` (the government id) through ``govt_to_school``."""
    out: list[list[Any]] = []
    unknown: list[str] = []
    school_to_giga = {s: g for g, s in giga_to_school.items()}
    rows = read_csv_rows(Path(path), MEASUREMENT_COLUMNS, OPTIONAL_COLUMNS)
    for r in rows:
        get = r.get
        gid = get("giga_id_school")
        sid = giga_to_school.get(gid) if gid else None
        if sid is None and get("school_id") and govt_to_school:
            sid = govt_to_school.get(get("school_id"))
            gid = school_to_giga.get(sid or "", gid)
        if sid is None:
            unknown.append(gid or get("school_id") or "(no id)")
            continue
        try:
            ts = _utc(r["timestamp"])
        except ValueError:
            raise r.error("timestamp", f"{r['timestamp']!r} is not an ISO 8601 time like "
                                       "2024-03-01T09:15:00Z") from None
        down = r.number("download", 0, 1e8) / KBPS_PER_MBPS
        up = r.number("upload", 0, 1e8) / KBPS_PER_MBPS if get("upload") else None
        lat = r.number("latency", 0, 600_000) if get("latency") else None
        out.append([gid, sid, ts, get("source") or "DailyCheckApp", down, up, lat])
    return out, unknown


def import_measurements(store: Store, path: str | Path, govt_ids: dict[str, str] | None = None
                        ) -> ImportResult:
    """Import a Giga Meter measurements CSV; a test already stored (same Giga id, time and
    source) is kept once."""
    ensure_tables(store)
    cur = store.cursor()
    try:
        g2s = dict(cur.execute("SELECT giga_id, school_id FROM school_giga_ids").fetchall())
    finally:
        cur.close()
    if not g2s:
        raise InputError(str(path), None, "no school has a Giga id: add a giga_id column to "
                         "schools.csv and run `ssckit run` (or `ssckit school giga-import` "
                         "after it)")
    rows, unknown = read_measurements(path, g2s, govt_ids)
    with store.transaction() as tx:
        before = tx.execute("SELECT count(*) FROM school_giga_measurements").fetchone()[0]
        if rows:
            tx.executemany("INSERT OR IGNORE INTO school_giga_measurements VALUES "
                           "(?, ?, ?, ?, ?, ?, ?)", rows)
        after = tx.execute("SELECT count(*) FROM school_giga_measurements").fetchone()[0]
    return ImportResult(len(rows), int(after - before), unknown)


def giga_summary(store: Store, benchmark_mbps: float = GIGA_BENCHMARK_MBPS,
                 now: datetime | None = None) -> list[dict[str, Any]]:
    """Per school with a Giga id: tests, mean of daily mean download [Mbit/s], Giga category,
    connected, share of tests at or above the benchmark [%], last test and its status."""
    ensure_tables(store)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    cur = store.cursor()
    try:
        rows = cur.execute("""
            WITH d AS (SELECT school_id, CAST(ts AS DATE) AS day, avg(download_mbps) AS dl
                       FROM school_giga_measurements GROUP BY ALL),
            m AS (SELECT school_id, count(*) AS tests, max(ts) AS last_test,
                         100.0 * count(*) FILTER (download_mbps >= $b) / count(*) AS share
                  FROM school_giga_measurements GROUP BY school_id)
            SELECT i.school_id, i.giga_id, coalesce(m.tests, 0), avg(d.dl) AS download,
                   m.share, m.last_test
            FROM school_giga_ids i LEFT JOIN m USING (school_id) LEFT JOIN d USING (school_id)
            GROUP BY ALL ORDER BY i.school_id""", {"b": benchmark_mbps}).fetchall()
    finally:
        cur.close()
    out = []
    for sid, gid, n, dl, share, last in rows:
        cat = str(giga_speed_category(np.nan if dl is None else dl, benchmark_mbps))
        age = None if last is None else (now - last).total_seconds() / 86400.0
        status = ("never" if age is None else "live" if age <= DEFAULT_LIVE_DAYS
                  else "at-risk" if age <= DEFAULT_AT_RISK_DAYS else "drop-off")
        out.append({"school_id": sid, "giga_id": gid, "tests": int(n),
                    "download_mbps": None if dl is None else float(dl), "category": cat,
                    "connected": bool(is_connected(cat)), "benchmark_share": share,
                    "last_test": last, "status": status})
    return out
