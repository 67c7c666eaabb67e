"""Where Smart School readings live: recent ones in DuckDB, long history in Parquet.

- ``school_readings`` (DuckDB) holds the recent minute readings, one row per
  (device, quantity, time); :func:`insert_readings` adds a batch and ignores duplicates.
- :func:`archive` moves readings older than a cutoff to Parquet files partitioned by day and
  school, ``ROOT/day=YYYY-MM-DD/school=S01/readings.parquet`` (hive partitioning; ``ROOT`` is
  ``WORKSPACE/data/school/readings``, see :func:`readings_root`), sorted by device, quantity
  and time (the school is the partition's, not a column). Each partition is one file,
  replaced atomically (write ``.tmp``, fsync, rename) with the union of its old rows and the
  new ones, and the rows leave DuckDB in the same transaction; an interrupted run leaves rows
  in both places at worst, which the next run (and every query) merges, so nothing is lost or
  counted twice. :class:`HistoryWriter` writes a simulated or migrated history (and hourly
  aggregates, ``WORKSPACE/data/school/hourly/month=YYYY-MM/hourly.parquet``) straight into
  Parquet, batch by batch.
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
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb
import numpy as np
from numpy.typing import NDArray

from ssckit.core.progress import track
from ssckit.core.store import Store
from ssckit.school.payload import QUANTITY_CODES, Reading, device_codes
from ssckit.school.schema import Registry

if TYPE_CHECKING:
    from ssckit.school.simulate import Hourly, Readings

#: Where the Parquet history sits inside a workspace.
READINGS_SUBDIR = Path("data") / "school" / "readings"
#: The one file of each (day, school) partition.
PART_FILE = "readings.parquet"
_PART_VALUE_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_COLS = "device_id, quantity, ts, value, school_id, room_id"
#: Columns of a partition file: its school is the partition's (older files may also hold a
#: school_id column, which readers ignore).
_FILE_COLS = "device_id, quantity, ts, value, room_id"



def readings_root(workspace_dir: str | Path) -> Path:
    """The Parquet history folder of a workspace."""
    return Path(workspace_dir) / READINGS_SUBDIR


# -- recent data -------------------------------------------------------------------------------
class ReadingColumns(NamedTuple):
    """A batch of readings as columns of codes (see :class:`RegistryCodes`): what ingest
    workers send to the writer (a few bytes a reading, no Python object per row)."""

    device: NDArray[np.int32]      # index into RegistryCodes.devices
    quantity: NDArray[np.int8]     # index into RegistryCodes.quantities
    ts_us: NDArray[np.int64]       # UTC microseconds since 1970-01-01
    value: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.ts_us)


class RegistryCodes:
    """Integer codes of a registry's devices and of the known quantities, and each device's
    school and room, as arrays indexed by device code."""

    def __init__(self, registry: Registry) -> None:
        self._device_code = device_codes(registry)
        self._quantity_code = QUANTITY_CODES
        self.devices = sorted(self._device_code, key=self._device_code.__getitem__)
        self.quantities = sorted(QUANTITY_CODES, key=QUANTITY_CODES.__getitem__)
        self.device_names = np.array(self.devices, dtype=object)
        self.quantity_names = np.array(self.quantities, dtype=object)
        self.schools = np.array([registry.devices[d].school_id for d in self.devices],
                                dtype=object)
        self.rooms = np.array([registry.devices[d].room_id for d in self.devices],
                              dtype=object)

    def encode(self, readings: Sequence[Reading]) -> ReadingColumns:
        """Columns of ``readings`` (all of registered devices and known quantities)."""
        if not readings:
            return ReadingColumns(np.empty(0, np.int32), np.empty(0, np.int8),
                                  np.empty(0, np.int64), np.empty(0, np.float64))
        dev, qty, ts, val = zip(*readings, strict=True)
        dc, qc = self._device_code, self._quantity_code
        return ReadingColumns(np.fromiter((dc[d] for d in dev), np.int32, len(dev)),
                              np.fromiter((qc[q] for q in qty), np.int8, len(qty)),
                              np.array(ts, dtype=np.int64), np.array(val, dtype=np.float64))


def first_of_each_key(cols: ReadingColumns) -> NDArray[np.intp]:
    """Positions, in batch order, of the first reading of each (device, quantity, time) key
    of ``cols``: the batch without its repeated readings, found with one sort."""
    n = len(cols)
    if n < 2:
        return np.arange(n)
    dq = cols.device.astype(np.int64) * 256 + cols.quantity.astype(np.int64)
    order = np.lexsort((cols.ts_us, dq))         # stable: equal keys keep the batch order
    dq_s, ts_s = dq[order], cols.ts_us[order]
    first = np.r_[True, (dq_s[1:] != dq_s[:-1]) | (ts_s[1:] != ts_s[:-1])]
    return np.sort(order[first])


_INSERT_COLUMNS_SQL = f"""
INSERT OR IGNORE INTO school_readings ({_COLS})
SELECT device_id, quantity, make_timestamp(ts_us), value, school_id, room_id
FROM school_ingest_batch
"""


def insert_reading_columns(cur: duckdb.DuckDBPyConnection, codes: RegistryCodes,
                           cols: ReadingColumns) -> int:
    """Insert a batch given as columns in one statement; return how many readings were new.

    A reading whose (device, quantity, time) is already stored, or repeated in the batch, is
    ignored: the first one stored wins (repeats within the batch are dropped first, by
    :func:`first_of_each_key`; the table's primary key refuses the rest).
    """
    if not len(cols):
        return 0
    keep = first_of_each_key(cols)
    dev = cols.device[keep]
    batch = {"device_id": codes.device_names[dev],
             "quantity": codes.quantity_names[cols.quantity[keep]],
             "ts_us": cols.ts_us[keep], "value": cols.value[keep],
             "school_id": codes.schools[dev], "room_id": codes.rooms[dev]}
    cur.register("school_ingest_batch", batch)
    try:
        row = cur.execute(_INSERT_COLUMNS_SQL).fetchone()
    finally:
        cur.unregister("school_ingest_batch")
    return int(row[0]) if row else 0


def insert_readings(cur: duckdb.DuckDBPyConnection, registry: Registry | RegistryCodes,
                    readings: Sequence[Reading]) -> int:
    """Insert ``readings`` (all of registered devices) in one statement; return how many were
    new. A reading whose (device, quantity, time) is already stored, or repeated in the batch,
    is ignored: the first one stored wins. ``registry`` may be given as its
    :class:`RegistryCodes` (made once for many batches)."""
    if not readings:
        return 0
    codes = registry if isinstance(registry, RegistryCodes) else RegistryCodes(registry)
    return insert_reading_columns(cur, codes, codes.encode(readings))


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
def _parquet_glob(root: Path) -> str | None:
    root = Path(root)
    if not any(root.glob(f"day=*/school=*/{PART_FILE}")):
        return None
    return str(root / "day=*" / "school=*" / PART_FILE)


def readings_sql(root: str | Path | None, school_id: str | None = None,
                 start: datetime | None = None, end: datetime | None = None
                 ) -> tuple[str, dict[str, Any]]:
    """SQL for the readings in DuckDB and under ``root`` together, and its named parameters
    (``$readings_*``; pass them with the query's own, e.g. ``{**params, "q": "co2"}``).

    Columns: school_id, room_id, device_id, quantity, ts, value. ``school_id`` and the
    ``[start, end)`` time range are applied in both places, so Parquet partitions outside
    them are not read. A reading in both places (an archive interrupted before it deleted the
    moved rows, or a late duplicate) counts once, as stored in Parquet: the value archiving
    keeps.
    """
    params: dict[str, Any] = {}
    where_db, where_pq = ["true"], ["true"]
    if school_id is not None:
        params["readings_school"] = school_id
        where_db.append("school_id = $readings_school")
        where_pq.append("school = $readings_school")
    if start is not None:
        params["readings_start"] = start
        where_db.append("ts >= $readings_start")
        where_pq += ["ts >= $readings_start", "day >= CAST($readings_start AS DATE)"]
    if end is not None:
        params["readings_end"] = end
        where_db.append("ts < $readings_end")
        where_pq += ["ts < $readings_end", "day <= CAST($readings_end AS DATE)"]
    cols = "school_id, room_id, device_id, quantity, ts, value"
    sql = f"SELECT {cols} FROM school_readings WHERE {' AND '.join(where_db)}"
    glob = _parquet_glob(Path(root)) if root is not None else None
    if glob is None:
        return sql, params
    params["readings_files"] = glob
    parquet = ("read_parquet($readings_files, hive_partitioning = true, "
               "hive_types = {'day': DATE, 'school': VARCHAR})")
    pq_where = " AND ".join(where_pq)
    # Parquet rows, then the DuckDB rows whose key is not in Parquet; only the partitions from
    # DuckDB's first day on can hold such keys.
    sql = (f"SELECT school AS school_id, room_id, device_id, quantity, ts, value "
           f"FROM {parquet} WHERE {pq_where} UNION ALL "
           f"SELECT {cols} FROM ({sql}) AS d ANTI JOIN ("
           f"SELECT device_id, quantity, ts FROM {parquet} WHERE {pq_where} AND day >= "
           "(SELECT CAST(min(ts) AS DATE) FROM school_readings)) AS p "
           "USING (device_id, quantity, ts)")
    return sql, params


def readings_span(cur: duckdb.DuckDBPyConnection, root: str | Path | None
                  ) -> tuple[datetime, datetime] | None:
    """Time of the first and of the last reading in DuckDB and under ``root`` (None when there
    are none); of the Parquet history, only the first and the last day are read."""
    ends = [cur.execute("SELECT min(ts), max(ts) FROM school_readings").fetchone()]
    days = sorted(d for d in Path(root).glob("day=*") if any(d.glob(f"school=*/{PART_FILE}"))
                  ) if root is not None else []
    if days:
        lo = cur.execute("SELECT min(ts) FROM read_parquet($f)",
                         {"f": str(days[0] / "school=*" / PART_FILE)}).fetchone()[0]
        hi = cur.execute("SELECT max(ts) FROM read_parquet($f)",
                         {"f": str(days[-1] / "school=*" / PART_FILE)}).fetchone()[0]
        ends.append((lo, hi))
    lows = [a for a, _ in ends if a is not None]
    highs = [b for _, b in ends if b is not None]
    return (min(lows), max(highs)) if lows else None


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
    source, params = readings_sql(root, school_id, start, end)
    where = []
    for col, val in (("room_id", room_id), ("device_id", device_id), ("quantity", quantity)):
        if val is not None:
            where.append(f"{col} = ${col}")
            params[col] = val
    sql = f"SELECT * FROM ({source})"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY ts, device_id, quantity"
    if limit is not None:
        sql += " LIMIT $limit"
        params["limit"] = int(limit)
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
        for day, school_id, n in track(todo, "archiving partitions"):
            folder = _partition_dir(root, day, school_id)
            folder.mkdir(parents=True, exist_ok=True)
            target, tmp = folder / PART_FILE, folder / (PART_FILE + ".tmp")
            tmp.unlink(missing_ok=True)
            start = datetime.combine(day, datetime.min.time())
            params: dict[str, Any] = {"school": school_id, "start": start, "tmp": str(tmp),
                                      "end": min(start + timedelta(days=1), older_than)}
            new = (f"SELECT {_FILE_COLS}, 1 AS src FROM school_readings WHERE "
                   "school_id = $school AND ts >= $start AND ts < $end")
            if target.exists():
                new = (f"SELECT {_FILE_COLS}, 0 AS src FROM read_parquet($target) "
                       f"UNION ALL {new}")
                params["target"] = str(target)
            cur.execute(f"COPY (SELECT {_FILE_COLS} FROM ({new}) QUALIFY row_number() OVER "
                        "(PARTITION BY device_id, quantity, ts ORDER BY src) = 1 "
                        "ORDER BY device_id, quantity, ts) TO $tmp (FORMAT PARQUET)", params)
            _fsync(tmp)
            os.replace(tmp, target)
            _fsync(folder)
            rows += int(n)
            parts += 1
        if todo:
            cur.execute("DELETE FROM school_readings WHERE ts < ?", [older_than])
    return ArchiveResult(rows, parts)


class HistoryWriter:
    """Writes batches of readings (or of hourly aggregates) straight into Parquet, one file per
    partition, each written whole from one batch: for bulk loads (a simulated or migrated
    history), without DuckDB's table and index.

    Readings go to ``ROOT/day=YYYY-MM-DD/school=S/readings.parquet`` (as :func:`archive`
    writes them), hourly aggregates to ``ROOT/month=YYYY-MM/hourly.parquet``. A batch
    ordered by school, device, quantity and time (as the simulator emits it) is written in
    that order, without sorting; a partition that already has a file is refused
    (:func:`archive` merges into one). Each file is written as ``.tmp`` and renamed.

    With ``background=True`` a batch is written by a thread of the writer while the caller
    makes the next one (DuckDB and NumPy release the GIL), one batch at a time: ``write_*``
    waits for the previous batch first, and leaving the ``with`` block (or :meth:`close`)
    waits for the last one and raises any error of the writing.

    Parameters
    ----------
    device_ids, school_ids, room_ids : sequence of str
        The batches' device lookup: device ``d`` is ``device_ids[d]`` of school
        ``school_ids[d]`` and room ``room_ids[d]``.
    quantities : sequence of str
        The batches' quantity lookup.
    background : bool
        Write in a thread of the writer.
    """

    def __init__(self, device_ids: Sequence[str], school_ids: Sequence[str],
                 room_ids: Sequence[str], quantities: Sequence[str], *,
                 background: bool = False) -> None:
        self._con = duckdb.connect(config={"threads": 1})
        # Strings travel as ENUMs: the Parquet writer then takes each column's dictionary as
        # it is instead of hashing every row's string (several times faster).
        for name, values in (("device", device_ids), ("school", school_ids),
                             ("room", room_ids), ("quantity", quantities)):
            self._con.execute(f"CREATE TYPE history_{name} AS ENUM "
                              "(SELECT DISTINCT unnest($v::VARCHAR[]) ORDER BY 1)",
                              {"v": list(values)})
        self._lookup = {"devices": list(device_ids), "schools": list(school_ids),
                        "rooms": list(room_ids), "quantities": list(quantities)}
        school_codes = {s: i for i, s in enumerate(sorted(set(school_ids)))}
        self._school_of = np.array([school_codes[s] for s in school_ids], dtype=np.int64)
        self._schools = sorted(school_codes)
        self._pool = ThreadPoolExecutor(1, "history-writer") if background else None
        self._pending: Future[None] | None = None
        self._claimed: set[Path] = set()      # files written or queued by this writer

    def _claim(self, targets: list[Path], hint: str) -> None:
        for target in targets:
            if target in self._claimed or target.exists():
                raise FileExistsError(f"{target} exists{hint}")
        self._claimed.update(targets)

    @classmethod
    def like(cls, batch: Readings | Hourly, *, background: bool = False) -> HistoryWriter:
        """A writer for batches with the lookups of ``batch``."""
        return cls(batch.device_ids, batch.school_ids, batch.room_ids, batch.quantities,
                   background=background)

    def flush(self) -> None:
        """Wait for the batch being written; raise its error, if any."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
            self._con.close()

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, job: Callable[[], None]) -> None:
        self.flush()
        if self._pool is None:
            job()
        else:
            self._pending = self._pool.submit(job)

    def _copy(self, sql: str, columns: dict[str, NDArray[Any]], path: Path) -> None:
        self._con.register("history_batch", columns)
        try:
            self._con.execute(sql, {**self._lookup, "path": str(path)})
        finally:
            self._con.unregister("history_batch")

    def _write_readings(self, cols: dict[str, NDArray[Any]], root: Path,
                        parts: list[tuple[str, str]]) -> None:
        stage = root.parent / f".{root.name}.{uuid.uuid4().hex}"
        root.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._copy(_COPY_READINGS, cols, stage)
            for day, school in parts:
                folder = root / day / school
                folder.mkdir(parents=True, exist_ok=True)
                os.replace(next((stage / day / school).glob("*.parquet")), folder / PART_FILE)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def write_readings(self, batch: Readings, root: str | Path) -> int:
        """Write minute readings into their (day, school) partitions; returns the rows."""
        root = Path(root)
        key = batch.ts // 1440 * len(self._schools) + self._school_of[batch.device]
        key = np.unique(key[np.r_[True, key[1:] != key[:-1]]])     # runs first: few to sort
        folders = [_partition_dir(root, date(1970, 1, 1) + timedelta(days=int(d)),
                                  self._schools[s])
                   for d, s in zip(key // len(self._schools), key % len(self._schools),
                                   strict=True)]
        self._claim([f / PART_FILE for f in folders], "; archive() merges into it")
        parts = [(f.parent.name, f.name) for f in folders]
        cols = {"d": batch.device, "q": batch.quantity, "ts": batch.ts, "value": batch.value}
        self._run(lambda: self._write_readings(cols, root, parts))
        return len(batch)

    def write_hourly(self, batch: Hourly, root: str | Path) -> int:
        """Write hourly aggregates into their month partitions (every school in one file, in
        the batch's order: by school, so a school's rows share row groups); returns the
        rows."""
        root = Path(root)

        def month_of(hour: NDArray[np.int64]) -> NDArray[np.int64]:
            return hour.astype("datetime64[m]").astype("datetime64[M]").astype(np.int64)

        first, last = month_of(np.array([batch.hour.min(), batch.hour.max()]))
        if first == last:                      # the usual batch: one calendar month
            parts = [(root / f"month={np.datetime64(int(first), 'M')}" / HOURLY_FILE,
                      slice(None))]
        else:
            month = month_of(batch.hour)
            parts = [(root / f"month={np.datetime64(int(m), 'M')}" / HOURLY_FILE, month == m)
                     for m in np.unique(month)]
        self._claim([t for t, _ in parts], "")
        cols = {"d": batch.device, "q": batch.quantity, "hour": batch.hour, "n": batch.n,
                "mean": batch.mean, "min": batch.min, "max": batch.max}

        def job() -> None:
            for target, rows in parts:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(target.name + ".tmp")
                self._copy(_COPY_HOURLY, {k: v[rows] for k, v in cols.items()}, tmp)
                os.replace(tmp, target)

        self._run(job)
        return len(batch)


_LOOKUP = ("list_extract($devices::history_device[], d + 1) AS device_id, "
           "list_extract($quantities::history_quantity[], q + 1) AS quantity")
_SCHOOL = "list_extract($schools::history_school[], d + 1)"
# One statement per batch, split by DuckDB into its (day, school) partitions (the columns
# after room_id name the folders and are not written); one thread keeps the batch's order.
_COPY_READINGS = f"""
COPY (SELECT {_LOOKUP}, make_timestamp(ts * 60000000) AS ts, value,
             list_extract($rooms::history_room[], d + 1) AS room_id,
             CAST(make_timestamp(ts * 60000000) AS DATE) AS day, {_SCHOOL} AS school
      FROM history_batch)
TO $path (FORMAT PARQUET, PARTITION_BY (day, school), FILENAME_PATTERN 'readings')"""
_COPY_HOURLY = f"""
COPY (SELECT {_SCHOOL} AS school_id, list_extract($rooms::history_room[], d + 1) AS room_id,
             {_LOOKUP}, make_timestamp(hour * 60000000) AS hour, n, mean, min, max
      FROM history_batch) TO $path (FORMAT PARQUET)"""

#: Where the Parquet hourly history sits inside a workspace (``month=YYYY-MM/``).
HOURLY_SUBDIR = Path("data") / "school" / "hourly"
HOURLY_FILE = "hourly.parquet"
_HOURLY_COLS = "school_id, room_id, device_id, quantity, hour, n, mean, min, max"


def hourly_root(workspace_dir: str | Path) -> Path:
    """The Parquet hourly-history folder of a workspace."""
    return Path(workspace_dir) / HOURLY_SUBDIR


def hourly_sql(root: str | Path | None) -> tuple[str, dict[str, Any]]:
    """SQL for the hourly aggregates in DuckDB and the Parquet hourly history together, and
    its named parameters (``$hourly_files``); for an hour in both, the DuckDB row (recomputed
    by :func:`downsample`) wins."""
    sql = f"SELECT {_HOURLY_COLS} FROM school_hourly"
    if root is None or not any(Path(root).glob(f"**/{HOURLY_FILE}")):
        return sql, {}
    pcols = ", ".join(f"p.{c.strip()}" for c in _HOURLY_COLS.split(","))
    sql = (f"{sql} UNION ALL SELECT {pcols} FROM read_parquet($hourly_files, "
           "hive_partitioning = false) p ANTI JOIN school_hourly d ON d.device_id = p.device_id "
           "AND d.quantity = p.quantity AND d.hour = p.hour")
    return sql, {"hourly_files": str(Path(root) / "**" / HOURLY_FILE)}


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
    source, params = readings_sql(root, None, start, end)
    row = cur.execute(
        "INSERT OR REPLACE INTO school_hourly "
        "SELECT school_id, room_id, device_id, quantity, date_trunc('hour', ts) AS hour, "
        f"count(*), avg(value), min(value), max(value) FROM ({source}) GROUP BY ALL",
        params).fetchone()
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
    for folder in track(sorted(root.glob("day=*")), "retention: days"):
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
