"""Where Smart School readings live: recent ones in DuckDB, long history in Parquet.

- ``school_readings`` (DuckDB) holds the recent minute readings, one row per
  (device, quantity, time); :func:`insert_readings` adds a batch and ignores duplicates.
- :func:`archive` moves readings older than a cutoff to Parquet files partitioned by day and
  school, ``ROOT/day=YYYY-MM-DD/school=S01/readings.parquet`` (hive partitioning; ``ROOT`` is
  ``WORKSPACE/data/school/readings``, see :func:`readings_root`). Each partition is one file,
  replaced atomically (write ``.tmp``, fsync, rename) with the union of its old rows and the
  new ones, and the rows leave DuckDB in the same transaction; an interrupted run leaves rows
  in both places at worst, which the next run (and every query) merges, so nothing is lost or
  counted twice.
- :func:`downsample` recomputes the hourly aggregates (``school_hourly``) of whole hours from
  DuckDB and Parquet together.
- :func:`retention` deletes raw minute data older than N days once it has been archived and
  its hours aggregated.
- :func:`query_readings` reads a school/room/device/quantity/time selection from both places.

Known limit: a reading that arrives for a day whose raw data :func:`retention` already deleted
makes the next retention run recompute that hour from the late reading alone.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from ssckit.core.store import Store
from ssckit.school.payload import Reading
from ssckit.school.schema import Registry

#: Where the Parquet history sits inside a workspace.
READINGS_SUBDIR = Path("data") / "school" / "readings"
#: The one file of each (day, school) partition.
PART_FILE = "readings.parquet"
_PART_VALUE_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_COLS = "device_id, quantity, ts, value, school_id, room_id"

_INSERT_SQL = f"""
INSERT OR IGNORE INTO school_readings ({_COLS})
SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), make_timestamp(unnest($3::BIGINT[])),
       unnest($4::DOUBLE[]), unnest($5::VARCHAR[]), unnest($6::VARCHAR[])
"""


def readings_root(workspace_dir: str | Path) -> Path:
    """The Parquet history folder of a workspace."""
    return Path(workspace_dir) / READINGS_SUBDIR


# -- recent data -------------------------------------------------------------------------------
def insert_readings(cur: duckdb.DuckDBPyConnection, registry: Registry,
                    readings: Sequence[Reading]) -> int:
    """Insert ``readings`` (all of registered devices) in one statement; return how many were
    new. A reading whose (device, quantity, time) is already stored, or repeated in the batch,
    is ignored: the first one stored wins."""
    if not readings:
        return 0
    devices = registry.devices
    dev, qty, ts, val = (list(c) for c in zip(*readings, strict=True))
    school = [devices[d].school_id for d in dev]
    room = [devices[d].room_id for d in dev]
    row = cur.execute(_INSERT_SQL, [dev, qty, ts, val, school, room]).fetchone()
    return int(row[0]) if row else 0


def insert_quarantine(cur: duckdb.DuckDBPyConnection,
                      rows: Sequence[tuple[datetime, str, str, str]]) -> int:
    """Insert (received_at, channel, payload, reason) rows into ``school_quarantine``."""
    if not rows:
        return 0
    at, channel, payload, reason = (list(c) for c in zip(*rows, strict=True))
    cur.execute("INSERT INTO school_quarantine SELECT unnest($1::TIMESTAMP[]), "
                "unnest($2::VARCHAR[]), unnest($3::VARCHAR[]), unnest($4::VARCHAR[])",
                [at, channel, payload, reason])
    return len(rows)


# -- the union of DuckDB and Parquet -----------------------------------------------------------
def _lit(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ts_lit(ts: datetime) -> str:
    return f"TIMESTAMP {_lit(ts.isoformat(sep=' '))}"


def _parquet_glob(root: Path) -> str | None:
    root = Path(root)
    if not any(root.glob(f"day=*/school=*/{PART_FILE}")):
        return None
    return str(root / "day=*" / "school=*" / PART_FILE)


def readings_sql(root: str | Path | None, school_id: str | None = None,
                 start: datetime | None = None, end: datetime | None = None) -> str:
    """SQL for the readings in DuckDB and under ``root`` together (duplicates merged).

    Columns: school_id, room_id, device_id, quantity, ts, value. ``school_id`` and the
    ``[start, end)`` time range are applied in both branches, so Parquet partitions outside
    them are not read.
    """
    where_db, where_pq = ["true"], ["true"]
    if school_id is not None:
        where_db.append(f"school_id = {_lit(school_id)}")
        where_pq.append(f"school = {_lit(school_id)}")
    if start is not None:
        where_db.append(f"ts >= {_ts_lit(start)}")
        where_pq += [f"ts >= {_ts_lit(start)}", f"day >= DATE {_lit(start.date().isoformat())}"]
    if end is not None:
        where_db.append(f"ts < {_ts_lit(end)}")
        where_pq += [f"ts < {_ts_lit(end)}", f"day <= DATE {_lit(end.date().isoformat())}"]
    cols = "school_id, room_id, device_id, quantity, ts, value"
    sql = f"SELECT {cols} FROM school_readings WHERE {' AND '.join(where_db)}"
    glob = _parquet_glob(Path(root)) if root is not None else None
    if glob is not None:
        sql += (f" UNION SELECT {cols} FROM read_parquet({_lit(glob)}, hive_partitioning = true,"
                " hive_types = {'day': DATE, 'school': VARCHAR})"
                f" WHERE {' AND '.join(where_pq)}")
    return sql


def query_readings(store: Store, root: str | Path | None = None, *,
                   school_id: str | None = None, room_id: str | None = None,
                   device_id: str | None = None, quantity: str | None = None,
                   start: datetime | None = None, end: datetime | None = None,
                   limit: int | None = None) -> list[tuple[Any, ...]]:
    """Readings from DuckDB and the Parquet history, ordered by time, device, quantity.

    Parameters
    ----------
    store : Store
        The workspace store.
    root : path, optional
        The Parquet history folder (:func:`readings_root`); ``None`` for DuckDB only.
    school_id, room_id, device_id, quantity : str, optional
        Filters (exact match).
    start, end : datetime, optional
        Time range ``[start, end)`` [naive UTC].

    Returns
    -------
    list of (school_id, room_id, device_id, quantity, ts, value)
    """
    where, params = [], []
    for col, val in (("room_id", room_id), ("device_id", device_id), ("quantity", quantity)):
        if val is not None:
            where.append(f"{col} = ?")
            params.append(val)
    sql = f"SELECT * FROM ({readings_sql(root, school_id, start, end)})"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY ts, device_id, quantity"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cur = store.cursor()
    try:
        return cur.execute(sql, params).fetchall()
    finally:
        cur.close()


# -- archive -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArchiveResult:
    rows: int              # readings moved out of DuckDB
    partitions: int        # (day, school) files written


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _partition_dir(root: Path, day: date, school_id: str) -> Path:
    if not _PART_VALUE_RE.match(school_id):
        raise ValueError(f"school id {school_id!r} cannot name a partition folder "
                         "(letters, digits, '_', '.', '-' only)")
    return root / f"day={day.isoformat()}" / f"school={school_id}"


def archive(store: Store, root: str | Path, older_than: datetime) -> ArchiveResult:
    """Move readings with ``ts < older_than`` [naive UTC] from DuckDB to the Parquet history.

    Idempotent and safe to interrupt: each partition file is rewritten atomically as the union
    of its previous rows and the moved ones (the first stored value of a key wins), and the
    rows are deleted from DuckDB in the same transaction that read them.
    """
    root = Path(root)
    rows = parts = 0
    with store.transaction() as cur:
        todo = cur.execute("SELECT CAST(ts AS DATE) AS day, school_id, count(*) "
                           "FROM school_readings WHERE ts < ? GROUP BY ALL ORDER BY 1, 2",
                           [older_than]).fetchall()
        for day, school_id, n in todo:
            folder = _partition_dir(root, day, school_id)
            folder.mkdir(parents=True, exist_ok=True)
            target, tmp = folder / PART_FILE, folder / (PART_FILE + ".tmp")
            tmp.unlink(missing_ok=True)
            start = datetime.combine(day, datetime.min.time())
            end = min(start + timedelta(days=1), older_than)
            new = (f"SELECT {_COLS}, 1 AS src FROM school_readings WHERE school_id = "
                   f"{_lit(school_id)} AND ts >= {_ts_lit(start)} AND ts < {_ts_lit(end)}")
            if target.exists():
                new = f"SELECT {_COLS}, 0 AS src FROM read_parquet({_lit(target)}) UNION ALL {new}"
            cur.execute(f"COPY (SELECT {_COLS} FROM ({new}) QUALIFY row_number() OVER "
                        "(PARTITION BY device_id, quantity, ts ORDER BY src) = 1 "
                        f"ORDER BY device_id, quantity, ts) TO {_lit(tmp)} (FORMAT PARQUET)")
            _fsync(tmp)
            os.replace(tmp, target)
            _fsync(folder)
            rows += int(n)
            parts += 1
        if todo:
            cur.execute("DELETE FROM school_readings WHERE ts < ?", [older_than])
    return ArchiveResult(rows, parts)


def write_history(cur: duckdb.DuckDBPyConnection, relation: str, root: str | Path) -> int:
    """Write a large batch of readings (``relation``: a table, view or ``(SELECT ...)`` with the
    columns of ``school_readings``) straight into the Parquet history, one file per (day,
    school) partition, for partitions that have no file yet; returns the rows written.

    For bulk loads (a simulated or migrated history): it skips DuckDB and its index, which
    makes it many times faster than inserting and then archiving.
    """
    root = Path(root)
    stage = root.parent / (root.name + ".staging")
    shutil.rmtree(stage, ignore_errors=True)
    stage.parent.mkdir(parents=True, exist_ok=True)
    n = int(cur.execute(f"SELECT count(*) FROM {relation}").fetchone()[0])
    cur.execute(f"COPY (SELECT {_COLS}, CAST(ts AS DATE) AS day, school_id AS school "
                f"FROM {relation} ORDER BY school_id, device_id, quantity, ts) TO {_lit(stage)} "
                "(FORMAT PARQUET, PARTITION_BY (day, school), FILENAME_PATTERN 'part{i}')")
    for folder in sorted(stage.glob("day=*/school=*")):
        files = sorted(folder.glob("part*.parquet"))
        target = root / folder.relative_to(stage)
        if (target / PART_FILE).exists():
            raise FileExistsError(f"{target / PART_FILE} exists; archive() merges into it")
        target.mkdir(parents=True, exist_ok=True)
        if len(files) == 1:
            os.replace(files[0], target / PART_FILE)
        else:
            cur.execute(f"COPY (SELECT * FROM read_parquet({_lit(str(folder / 'part*.parquet'))})"
                        f" ORDER BY device_id, quantity, ts) TO "
                        f"{_lit(target / PART_FILE)} (FORMAT PARQUET)")
    shutil.rmtree(stage, ignore_errors=True)
    return n


#: Where the Parquet hourly history sits inside a workspace (one file per school).
HOURLY_SUBDIR = Path("data") / "school" / "hourly"
_HOURLY_COLS = "school_id, room_id, device_id, quantity, hour, n, mean, min, max"


def hourly_root(workspace_dir: str | Path) -> Path:
    """The Parquet hourly-history folder of a workspace."""
    return Path(workspace_dir) / HOURLY_SUBDIR


def write_hourly_history(cur: duckdb.DuckDBPyConnection, relation: str, root: str | Path
                         ) -> int:
    """Write hourly aggregates (``relation`` with the columns of ``school_hourly``) as the
    Parquet hourly history, ``ROOT/school=S01/hourly.parquet``; returns the rows written."""
    root = Path(root)
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    n = int(cur.execute(f"SELECT count(*) FROM {relation}").fetchone()[0])
    cur.execute(f"COPY (SELECT {_HOURLY_COLS}, school_id AS school FROM {relation} "
                f"ORDER BY school_id, device_id, quantity, hour) TO {_lit(root)} "
                "(FORMAT PARQUET, PARTITION_BY (school), FILENAME_PATTERN 'hourly{i}')")
    for f in root.glob("school=*/hourly*.parquet"):
        if f.name != "hourly.parquet":
            os.replace(f, f.parent / "hourly.parquet")
    return n


def hourly_sql(root: str | Path | None) -> str:
    """SQL for the hourly aggregates in DuckDB and the Parquet hourly history together; for an
    hour in both, the DuckDB row (recomputed by :func:`downsample`) wins."""
    sql = f"SELECT {_HOURLY_COLS} FROM school_hourly"
    files = list(Path(root).glob("school=*/hourly.parquet")) if root is not None else []
    if files:
        glob = str(Path(root) / "school=*" / "hourly.parquet")
        pcols = ", ".join(f"p.{c.strip()}" for c in _HOURLY_COLS.split(","))
        sql = (f"{sql} UNION ALL SELECT {pcols} FROM read_parquet({_lit(glob)}, "
               "hive_partitioning = true) p ANTI JOIN school_hourly d ON d.device_id = "
               "p.device_id AND d.quantity = p.quantity AND d.hour = p.hour")
    return sql


# -- downsampling ------------------------------------------------------------------------------
def _floor_hour(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


def downsample(store: Store, root: str | Path | None = None, since: datetime | None = None,
               until: datetime | None = None,
               cur: duckdb.DuckDBPyConnection | None = None) -> int:
    """(Re)compute hourly aggregates (n, mean, min, max) into ``school_hourly``.

    Every hour that overlaps ``[since, until)`` [naive UTC] is recomputed whole, from DuckDB
    and, if ``root`` is given, the Parquet history. By default the range spans the readings
    now in DuckDB. Returns the number of hourly rows written. ``cur``: run inside that
    transaction instead of a new one.
    """
    if cur is None:
        with store.transaction() as tx:
            return downsample(store, root, since, until, tx)
    if since is None or until is None:
        lo, hi = cur.execute("SELECT min(ts), max(ts) FROM school_readings").fetchone()
        if lo is None:
            return 0
        since = lo if since is None else since
        until = hi + timedelta(microseconds=1) if until is None else until
    start = _floor_hour(since)
    end = _floor_hour(until)
    if end < until:
        end += timedelta(hours=1)
    row = cur.execute(
        "INSERT OR REPLACE INTO school_hourly "
        "SELECT school_id, room_id, device_id, quantity, date_trunc('hour', ts) AS hour, "
        "count(*), avg(value), min(value), max(value) "
        f"FROM ({readings_sql(root, None, start, end)}) GROUP BY ALL").fetchone()
    return int(row[0]) if row else 0


# -- retention ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetentionResult:
    archived_rows: int     # readings moved from DuckDB to Parquet first
    days_deleted: int      # day partitions whose raw data was deleted
    files_deleted: int


def retention(store: Store, root: str | Path, keep_days: int,
              now: datetime | None = None) -> RetentionResult:
    """Delete raw minute readings older than ``keep_days`` whole days before ``now``.

    Readings before the cutoff (midnight UTC, ``keep_days`` days before ``now``) are first
    archived (:func:`archive`); then, day by day, their hours are aggregated into
    ``school_hourly`` and committed before the day's Parquet files are deleted. Interrupted, the
    next run picks up where this one stopped.
    """
    if keep_days < 0:
        raise ValueError("keep_days must be >= 0")
    root = Path(root)
    now = now if now is not None else datetime.now(UTC).replace(tzinfo=None)
    cutoff = datetime.combine((now - timedelta(days=keep_days)).date(), datetime.min.time())
    moved = archive(store, root, cutoff)
    days = files = 0
    for folder in sorted(root.glob("day=*")):
        try:
            day = date.fromisoformat(folder.name.removeprefix("day="))
        except ValueError:
            continue
        if day >= cutoff.date():
            continue
        start = datetime.combine(day, datetime.min.time())
        downsample(store, root, start, start + timedelta(days=1))
        for f in sorted(folder.glob(f"school=*/{PART_FILE}")):
            f.unlink()
            files += 1
        shutil.rmtree(folder)
        days += 1
    return RetentionResult(moved.rows, days, files)
