"""The workspace store: a DuckDB file with the indicator values, every module's tables and
the schema migrations of both.

No process keeps the file open. DuckDB lets one process at a time open a file for writing (or
several for reading), so each unit of work — a query, a transaction, a web request — opens it,
does its work and closes it; a process that finds the file held retries with backoff for up to
:func:`store_wait_seconds` (``SSCKIT_STORE_WAIT``, default 30 s), then stops with one line
naming the holder. Inside one process, the units of work in progress share one connection
(cursors of it), closed when the last one ends. Every committed write also touches the
store's version file (``ssckit.duckdb.version``), which caches key on (:func:`store_version`).
See docs/architecture.md, "One workspace, many hands".
"""

from __future__ import annotations

import atexit
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ssckit import __version__
from ssckit.core.errors import InputError
from ssckit.core.indicators import IndicatorValue, canonical_breakdown

# Each migration takes the schema from version i to i + 1. Append, never edit.
_MIGRATIONS: list[str] = [
    # 1: indicator values and metadata
    """
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    CREATE TABLE indicator_values (
        indicator   VARCHAR NOT NULL,
        entity      VARCHAR NOT NULL,
        period      VARCHAR NOT NULL,
        breakdown   VARCHAR NOT NULL DEFAULT '{}',
        value       DOUBLE NOT NULL,
        unit        VARCHAR NOT NULL,
        source      VARCHAR NOT NULL DEFAULT '{}',
        quality     VARCHAR NOT NULL DEFAULT 'B',
        computed_at TIMESTAMP NOT NULL,
        PRIMARY KEY (indicator, entity, period, breakdown)
    );
    """,
    # 2: the web users' tables; they now belong to ssckit.core.auth's own migrations (which
    # create them where missing), so this step is kept only to number later ones.
    "SELECT 1",
    # 3: compute runs; a run's values are staged and published together when it completes
    """
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        started_at  TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        status      VARCHAR NOT NULL,
        steps       VARCHAR NOT NULL DEFAULT '[]',
        message     VARCHAR NOT NULL DEFAULT ''
    );
    CREATE TABLE run_values (
        run_id      INTEGER NOT NULL,
        indicator   VARCHAR NOT NULL,
        entity      VARCHAR NOT NULL,
        period      VARCHAR NOT NULL,
        breakdown   VARCHAR NOT NULL DEFAULT '{}',
        value       DOUBLE NOT NULL,
        unit        VARCHAR NOT NULL,
        source      VARCHAR NOT NULL DEFAULT '{}',
        quality     VARCHAR NOT NULL DEFAULT 'B',
        computed_at TIMESTAMP NOT NULL,
        PRIMARY KEY (run_id, indicator, entity, period, breakdown)
    );
    """,
    # 4: the process a run belongs to (host:pid:start time), so that another process can tell
    # a run still computing from one whose process died
    "ALTER TABLE runs ADD COLUMN owner VARCHAR NOT NULL DEFAULT ''",
]

SCHEMA_VERSION = len(_MIGRATIONS)

_COLUMNS = ("indicator", "entity", "period", "breakdown", "value", "unit", "source", "quality",
            "computed_at")


#: Seconds a unit of work waits for a store another process holds, unless SSCKIT_STORE_WAIT
#: or ``ssckit --wait`` says otherwise.
DEFAULT_WAIT_S = 30.0
MAX_WAIT_S = 86_400.0
WAIT_ENV = "SSCKIT_STORE_WAIT"
_wait_override: float | None = None
# Statements that change the store (a cursor that ran one bumps the version when it closes).
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|MERGE|COPY\s+\w+\s+"
                     r"FROM|IMPORT|ATTACH|CHECKPOINT)\b", re.IGNORECASE)


def set_store_wait(seconds: float | None) -> None:
    """Set how long this process waits for a busy store (``ssckit --wait``); None: the
    environment's ``SSCKIT_STORE_WAIT`` or the default again."""
    global _wait_override
    if seconds is not None and not 0 <= seconds <= MAX_WAIT_S:
        raise InputError("--wait", None, f"{seconds} is outside 0..{MAX_WAIT_S:.0f} (seconds)")
    _wait_override = seconds


def store_wait_seconds() -> float:
    """How long a unit of work waits for a store another process holds [s]: ``ssckit --wait``,
    else the ``SSCKIT_STORE_WAIT`` environment variable, else 30."""
    if _wait_override is not None:
        return _wait_override
    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_WAIT_S:
        raise InputError(WAIT_ENV, None, f"{text!r} is not a number of seconds in "
                         f"0..{MAX_WAIT_S:.0f}; unset it or give e.g. 30")
    return seconds


def version_path(path: Path) -> Path:
    """The version file of the store at ``path`` (``ssckit.duckdb.version``)."""
    return path.with_name(path.name + ".version")


def store_version(path: Path | None) -> str:
    """The store's version: changes with every committed write of any process (a cheap
    file read, for caches keyed on it); ``"0"`` before the first write."""
    if path is None:
        return "memory"
    try:
        return version_path(path).read_text() or "0"
    except OSError:
        return "0"


_bump_count = 0
_bump_lock = threading.Lock()


def bump_version(path: Path | None) -> None:
    """Give the store a new version (after a committed write): written beside it and renamed
    into place, so a reader sees the old or the new version, never half of one."""
    global _bump_count
    if path is None:
        return
    with _bump_lock:
        _bump_count += 1
        stamp = f"{time.time_ns()}-{os.getpid()}-{_bump_count}"
    target = version_path(path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(stamp)
        os.replace(tmp, target)
    except OSError:   # a read-only folder: caches then simply miss
        tmp.unlink(missing_ok=True)


def _process_token(pid: int) -> str | None:
    """``host:pid:start`` of a live process (its start time in clock ticks since boot, from
    /proc), or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    start = stat.rsplit(")", 1)[1].split()[19]
    return f"{os.uname().nodename}:{pid}:{start}"


def process_token() -> str:
    """``host:pid:start`` of this process (what a run records as its owner)."""
    return _process_token(os.getpid()) or f"{os.uname().nodename}:{os.getpid()}:0"


def owner_alive(token: str) -> bool:
    """Whether the process a run's owner token names still runs (a token of another machine
    counts as alive: nobody here can tell)."""
    host, _, rest = token.partition(":")
    pid, _, _ = rest.partition(":")
    if not token or not pid.isdigit():
        return False
    if host != os.uname().nodename:
        return True
    return _process_token(int(pid)) == token


#: Seconds an idle connection stays open for the next unit of work of the same process
#: (opening a DuckDB file costs tens of ms), unless another process knocks.
LINGER_S = 0.5
#: Seconds a process that closed its connection for a knocking process waits before it opens
#: the store again (the knocker retries at least twice meanwhile).
YIELD_S = 0.3


def knock_path(path: Path) -> Path:
    """The file a process waiting for the store touches (``ssckit.duckdb.wait``)."""
    return path.with_name(path.name + ".wait")


class _Shared:
    """The one DuckDB connection this process has open on one store file, shared by the units
    of work in progress (each gets a cursor). It closes :data:`LINGER_S` after the last one
    ends, or as soon as no unit of work uses it once another process has knocked (touched
    :func:`knock_path`, which a process does while it waits for the file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cond = threading.Condition()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.read_only = False
        self.users = 0
        self.writers_waiting = 0
        self.opened_at = 0.0       # wall clock, compared with the knock file's mtime
        self.idle_since = 0.0      # monotonic
        self.yield_until = 0.0     # monotonic
        self.closing = False
        self._closer_running = False

    def _knocked(self) -> bool:
        try:
            return os.stat(knock_path(self.path)).st_mtime > self.opened_at
        except OSError:
            return False

    def acquire(self, write: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + wait_s
        with self.cond:
            self.writers_waiting += write
            try:
                while True:
                    now = time.monotonic()
                    if self.con is not None and not self.closing and self._knocked():
                        self.closing = True       # let the knocking process in
                        if self.users == 0:
                            self._close(yielding=True)
                    if self.con is not None and not self.closing and (
                            not self.read_only or not write):
                        self.users += 1
                        return self.con
                    if self.con is None and now >= self.yield_until:
                        # a reader while a writer waits opens for writing, for both
                        writing = write or self.writers_waiting > 0 or not self.path.exists()
                        self.con = self._connect(writing, deadline, wait_s)
                        self.read_only = not writing
                        self.opened_at = time.time()
                        self.users += 1
                        return self.con
                    # draining for a writer or a knocking process, or yielding to one
                    remaining = deadline - now
                    if remaining <= 0:
                        raise StoreBusyError(str(self.path), None, "the store stayed busy for "
                                         f"{wait_s:g} s; try again, or wait longer with "
                                         f"`ssckit --wait SECONDS` (or {WAIT_ENV})")
                    self.cond.wait(min(remaining, 0.05))
            finally:
                self.writers_waiting -= write

    def release(self) -> None:
        with self.cond:
            self.users -= 1
            if self.users > 0 or self.con is None:
                return
            if self.closing or self.writers_waiting or self._knocked():
                self._close(yielding=not self.writers_waiting)
            else:
                self.idle_since = time.monotonic()
                self._start_closer()
            self.cond.notify_all()

    def _close(self, yielding: bool) -> None:
        assert self.con is not None
        self.con.close()
        self.con = None
        self.closing = False
        if yielding:
            self.yield_until = time.monotonic() + YIELD_S
        self.cond.notify_all()

    def _start_closer(self) -> None:
        """(Under ``cond``.) Start the thread closing the idle connection, unless it runs."""
        if not self._closer_running:
            self._closer_running = True
            threading.Thread(target=self._close_idle, daemon=True,
                             name=f"store-closer-{self.path.name}").start()

    def _close_idle(self) -> None:
        """Close the connection once idle for :data:`LINGER_S` (or at once on a knock)."""
        with self.cond:
            try:
                while self.con is not None:
                    if self.users == 0:
                        idle = time.monotonic() - self.idle_since
                        if idle >= LINGER_S or self._knocked():
                            self._close(yielding=idle < LINGER_S)
                            return
                    self.cond.wait(0.05)
            finally:
                self._closer_running = False

    def _connect(self, write: bool, deadline: float, wait_s: float) -> duckdb.DuckDBPyConnection:
        delay = 0.005
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=not write)
            except duckdb.Error as exc:
                if "lock" not in str(exc).lower():
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise InputError(str(self.path), None, f"cannot open the store ({first}); "
                                     "if it is damaged, put it back with `ssckit restore "
                                     "BACKUP`") from exc
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise store_busy_error(self.path, exc, wait_s) from None
                _knock(self.path)
                time.sleep(min(remaining, delay * random.uniform(0.5, 1.0)))
                delay = min(delay * 2, 0.1)


def _knock(path: Path) -> None:
    """Tell the process holding the store that this one waits for it."""
    target = knock_path(path)
    try:
        target.touch()
        os.utime(target)
    except OSError:
        pass


class _Memory(_Shared):
    """An in-memory store: one connection for the store's life."""

    def __init__(self) -> None:
        super().__init__(Path(":memory:"))
        self.con = duckdb.connect(":memory:")

    def acquire(self, write: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
        assert self.con is not None
        return self.con

    def release(self) -> None:
        pass


_shared_lock = threading.Lock()
_shared: dict[Path, _Shared] = {}


def _close_all() -> None:
    """At exit: close what this process still has open (before the interpreter goes)."""
    with _shared_lock:
        shared = list(_shared.values())
    for one in shared:
        with one.cond:
            if one.con is not None:
                one.con.close()
                one.con = None
            one.cond.notify_all()


atexit.register(_close_all)


def close_idle(path: Path) -> None:
    """Close this process's lingering connection to the store at ``path`` now, if no unit of
    work uses it (before the file is moved or replaced)."""
    with _shared_lock:
        shared = _shared.get(Path(path).resolve())
    if shared is not None:
        with shared.cond:
            if shared.con is not None and shared.users == 0:
                shared._close(yielding=False)


def _shared_for(path: Path) -> _Shared:
    key = path.resolve()
    with _shared_lock:
        if key not in _shared:
            _shared[key] = _Shared(key)
        return _shared[key]


class Cursor:
    """A cursor on the store for one unit of work: DuckDB's cursor methods (``execute`` returns
    the cursor, then ``fetchone``, ``fetchall``, ``fetchnumpy``, ...); :meth:`close` ends the
    unit of work (and, if it changed the store, gives the store a new version)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._con = store._acquire()
        self._cur: duckdb.DuckDBPyConnection | None = None
        try:
            self._cur = self._con.cursor()
        except BaseException:
            store._release()
            raise
        self._wrote = False

    def execute(self, query: str, parameters: object = None) -> Cursor:
        if _WRITES.match(query):
            self._wrote = True
        assert self._cur is not None, "cursor is closed"
        self._cur.execute(query, parameters)
        return self

    def executemany(self, query: str, parameters: object = None) -> Cursor:
        if _WRITES.match(query):
            self._wrote = True
        assert self._cur is not None, "cursor is closed"
        self._cur.executemany(query, parameters)
        return self

    def __getattr__(self, name: str) -> Any:
        cur = self.__dict__.get("_cur")
        if cur is None:
            raise AttributeError(name)
        attr = getattr(cur, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            # ``store.cursor().execute(...).fetchall()``: this wrapper (hence the cursor)
            # stays alive until the call returns
            del_guard = self
            try:
                return attr(*args, **kwargs)
            finally:
                del del_guard

        return call

    def close(self) -> None:
        if self._cur is None:
            return
        cur, self._cur = self._cur, None
        try:
            cur.close()
        finally:
            self._store._release()
            if self._wrote:
                bump_version(self._store.path)

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if self.__dict__.get("_cur") is not None:
            self.close()


class Store:
    """The store of one workspace. :meth:`open` it; every read and write is a short unit of
    work (:meth:`cursor`, :meth:`transaction`), and :meth:`holding` keeps the file open across
    several (a web request, a migration)."""

    def __init__(self, shared: _Shared, path: Path | None, read_only: bool = False,
                 wait_s: float | None = None) -> None:
        self._shared = shared
        self.path = path
        self.read_only = read_only
        self.wait_s = wait_s
        self._held: ContextVar[list[Any] | None] = ContextVar(f"store-held-{id(self)}",
                                                              default=None)
        self._pinned: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def open(cls, path: str | Path | None, read_only: bool = False,
             wait_s: float | None = None) -> Store:
        """The store at ``path`` (created and migrated if needed unless ``read_only``);
        ``None`` for an in-memory one. ``wait_s``: how long to wait for a store another
        process holds (default :func:`store_wait_seconds`)."""
        if path is None:
            store = cls(_Memory(), None)
        else:
            path = Path(path)
            store = cls(_shared_for(path), path, read_only and path.exists(), wait_s)
        if not store.read_only:
            with store.holding():
                store.migrate()
                store.migrate_modules()
        return store

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        held = self._held.get()
        if held is not None:
            if held[0] is None:
                held[0] = self._shared.acquire(not self.read_only, self._wait())
            held[1] += 1
            return held[0]
        return self._shared.acquire(not self.read_only, self._wait())

    def _release(self) -> None:
        held = self._held.get()
        if held is not None and held[0] is not None:
            held[1] -= 1
            return
        self._shared.release()

    def _wait(self) -> float:
        return store_wait_seconds() if self.wait_s is None else self.wait_s

    @contextmanager
    def holding(self) -> Iterator[Store]:
        """Keep the store, once a unit of work inside the block has opened it, open until the
        block ends (one open for a web request's several queries)."""
        if self._held.get() is not None:
            yield self
            return
        held: list[Any] = [None, 0]
        token = self._held.set(held)
        try:
            yield self
        finally:
            self._held.reset(token)
            if held[0] is not None:
                self._shared.release()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """A connection held until :meth:`close` (for tests and one-off scripts; code
        uses :meth:`cursor` and :meth:`transaction`, which let other processes in)."""
        if self._pinned is None:
            self._pinned = self._shared.acquire(not self.read_only, self._wait())
        return self._pinned

    def close(self) -> None:
        """Release what :attr:`con` holds; an in-memory store is discarded."""
        if self._pinned is not None:
            self._pinned = None
            self._shared.release()
            if not self.read_only:
                bump_version(self.path)
        if isinstance(self._shared, _Memory) and self._shared.con is not None:
            self._shared.con.close()
            self._shared.con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self) -> str:
        """See :func:`store_version`."""
        return store_version(self.path)

    # -- schema -----------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self.cursor() as cur:
            exists = cur.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
            ).fetchone()
            if not exists or not exists[0]:
                return 0
            row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction; return the schema version."""
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path}: store schema version {version} is newer than this ssckit "
                f"({__version__}) understands ({SCHEMA_VERSION}); upgrade ssckit"
            )
        while version < SCHEMA_VERSION:
            with self.transaction() as cur:
                cur.execute(_MIGRATIONS[version])
                version += 1
                cur.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)]
                )
        return version

    def migrate_module(self, module: str, migrations: list[str]) -> int:
        """Apply a module's own pending migrations (its tables, e.g. ``school_readings``);
        the module's version is kept in ``meta`` under ``schema_version:<module>``."""
        key = f"schema_version:{module}"
        cur = self.cursor()
        try:
            row = cur.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        finally:
            cur.close()
        version = int(row[0]) if row else 0
        if version > len(migrations):
            raise RuntimeError(f"{self.path}: the {module} tables are at version {version}, newer "
                               f"than this ssckit ({__version__}) understands; upgrade ssckit")
        while version < len(migrations):
            with self.transaction() as tx:
                tx.execute(migrations[version])
                version += 1
                tx.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(version)])
        return version

    def migrate_modules(self) -> None:
        """Apply the pending migrations of core's own tables and of every module's tables
        (each module declares them in its face, :mod:`ssckit.core.modules`)."""
        from ssckit.core.modules import migrations

        for key, module_migrations in migrations():
            self.migrate_module(key, list(module_migrations))

    # -- transactions -----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside BEGIN/COMMIT; any exception rolls everything back. A committed
        transaction gives the store a new version."""
        con = self._acquire()
        try:
            cur = con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                cur.close()
        finally:
            self._release()
        bump_version(self.path)

    def cursor(self) -> Cursor:
        """A cursor for one unit of work (close it; ``with store.cursor() as cur:``)."""
        return Cursor(self)

    # -- indicator values -------------------------------------------------------------------
    def write_values(
        self,
        values: Iterable[IndicatorValue],
        replace: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> int:
        """Insert or replace ``values`` in one transaction; return how many were written.

        ``replace``, if given, runs first in the same transaction (e.g. to delete a module's
        previous results), so readers never see a half-written state.
        """
        rows = _rows(values)
        with self.transaction() as cur:
            if replace is not None:
                replace(cur)
            if rows:
                cur.executemany(
                    f"INSERT OR REPLACE INTO indicator_values ({', '.join(_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(_COLUMNS))})",
                    rows,
                )
        return len(rows)

    # -- compute runs: staged, then published at once ---------------------------------------
    def begin_run(self) -> int:
        """Start a compute run and return its id. Runs still marked ``running`` whose process
        has died become ``killed`` and their staged values are dropped (runs of processes
        still computing are left alone); the published values are those of the last complete
        run."""
        owner = process_token()
        with self.transaction() as cur:
            running = cur.execute("SELECT id, owner FROM runs WHERE status = 'running'"
                                  ).fetchall()
            dead = [run_id for run_id, who in running if not owner_alive(who)]
            for run_id in dead:
                cur.execute("DELETE FROM run_values WHERE run_id = ?", [run_id])
                cur.execute("UPDATE runs SET status = 'killed', message = 'the process "
                            "stopped before the run completed; nothing of it was published' "
                            "WHERE id = ?", [run_id])
            run_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM runs").fetchone()[0]
            cur.execute("INSERT INTO runs (id, started_at, status, owner) "
                        "VALUES (?, ?, 'running', ?)", [run_id, _utcnow(), owner])
        return int(run_id)

    def stage_values(self, run_id: int, values: Iterable[IndicatorValue],
                     steps: list[dict[str, Any]] | None = None) -> int:
        """Stage one step's values in run ``run_id`` (a later step's value replaces an
        earlier one under the same key, as publishing would); ``steps``, the run's step log
        so far, is saved with them. Nothing is visible to readers until :meth:`publish_run`."""
        rows = [(run_id, *r) for r in _rows(values)]
        with self.transaction() as cur:
            if rows:
                cur.executemany(
                    f"INSERT OR REPLACE INTO run_values (run_id, {', '.join(_COLUMNS)}) "
                    f"VALUES (?, {', '.join('?' * len(_COLUMNS))})", rows)
            if steps is not None:
                cur.execute("UPDATE runs SET steps = ? WHERE id = ?",
                            [json.dumps(steps), run_id])
        return len(rows)

    def publish_run(self, run_id: int, steps: list[dict[str, Any]]) -> int:
        """Publish every staged value of the run in one transaction and mark it complete;
        return how many values were published."""
        with self.transaction() as cur:
            n = cur.execute("SELECT count(*) FROM run_values WHERE run_id = ?",
                            [run_id]).fetchone()[0]
            cur.execute(f"INSERT OR REPLACE INTO indicator_values ({', '.join(_COLUMNS)}) "
                        f"SELECT {', '.join(_COLUMNS)} FROM run_values WHERE run_id = ?",
                        [run_id])
            cur.execute("DELETE FROM run_values WHERE run_id = ?", [run_id])
            cur.execute("UPDATE runs SET status = 'complete', finished_at = ?, steps = ? "
                        "WHERE id = ?", [_utcnow(), json.dumps(steps), run_id])
        return int(n)

    def log_run_steps(self, run_id: int, steps: list[dict[str, Any]]) -> None:
        """Save a run's step log (e.g. with the steps run after publishing)."""
        with self.transaction() as cur:
            cur.execute("UPDATE runs SET steps = ? WHERE id = ?", [json.dumps(steps), run_id])

    def fail_run(self, run_id: int, message: str, steps: list[dict[str, Any]]) -> None:
        """Mark a run failed (nothing of it is published) with the one-line reason."""
        with self.transaction() as cur:
            cur.execute("DELETE FROM run_values WHERE run_id = ?", [run_id])
            cur.execute("UPDATE runs SET status = 'failed', finished_at = ?, message = ?, "
                        "steps = ? WHERE id = ?",
                        [_utcnow(), message[:2000], json.dumps(steps), run_id])

    def list_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest runs, newest first: id, started_at, finished_at, status, steps, message."""
        cur = self.cursor()
        try:
            rows = cur.execute("SELECT id, started_at, finished_at, status, steps, message "
                               "FROM runs ORDER BY id DESC LIMIT ?", [limit]).fetchall()
        finally:
            cur.close()
        return [{"id": r[0], "started_at": r[1], "finished_at": r[2], "status": r[3],
                 "steps": json.loads(r[4]), "message": r[5]} for r in rows]

    def query_values(
        self,
        indicator: str | None = None,
        entity: str | None = None,
        period: str | None = None,
        breakdown: dict[str, Any] | None = None,
        indicator_prefix: str | None = None,
        limit: int | None = None,
        latest_until: str | None = None,
    ) -> list[IndicatorValue]:
        """Indicator values matching every given filter.

        ``breakdown`` matches a subset of keys; ``{}`` matches only values with no breakdown.
        ``latest_until`` keeps, per indicator, entity and breakdown, only the value of the latest
        period whose year is not after it (``"2026"``).
        """
        where, params = [], []
        for col, val in (("indicator", indicator), ("entity", entity), ("period", period)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        if indicator_prefix is not None:
            where.append("starts_with(indicator, ?)")
            params.append(indicator_prefix)
        if breakdown == {}:
            where.append("breakdown = '{}'")
        for k, v in (breakdown or {}).items():
            where.append("json_extract_string(breakdown, ?) = ?")
            params.extend([f"$.{k}", str(v)])
        if latest_until is not None:
            where.append("left(period, 4) <= ?")
            params.append(latest_until)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM indicator_values"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if latest_until is not None:
            sql += (" QUALIFY row_number() OVER (PARTITION BY indicator, entity, breakdown "
                    "ORDER BY period DESC) = 1")
        sql += " ORDER BY indicator, entity, period, breakdown"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        cur = self.cursor()
        try:
            rows = cur.execute(sql, params).fetchall()
        finally:
            cur.close()
        return [_row_to_value(r) for r in rows]

    def count_values_by_module(self) -> dict[str, int]:
        """Stored values per module (the first part of ``source.module``, e.g. ``radio``)."""
        cur = self.cursor()
        try:
            rows = cur.execute(
                "SELECT split_part(coalesce(json_extract_string(source, '$.module'), ''), '.', 1),"
                " count(*) FROM indicator_values GROUP BY 1").fetchall()
        finally:
            cur.close()
        return {str(m): int(n) for m, n in rows}

    def count_values(self) -> int:
        cur = self.cursor()
        try:
            return int(cur.execute("SELECT count(*) FROM indicator_values").fetchone()[0])
        finally:
            cur.close()

    def export(self, path: str | Path, fmt: str = "parquet",
               indicator_prefix: str | None = None) -> int:
        """Write indicator values (optionally those whose id starts with ``indicator_prefix``)
        to a Parquet, CSV or JSON (array) file; return how many were written."""
        options = {"parquet": "FORMAT PARQUET", "csv": "FORMAT CSV, HEADER",
                   "json": "FORMAT JSON, ARRAY true"}[fmt]
        # Values are bound parameters (the prefix, the file name); only the fixed format
        # options above are SQL text.
        query = "SELECT * FROM indicator_values WHERE starts_with(indicator, ?)"
        cur = self.cursor()
        try:
            n = cur.execute(f"SELECT count(*) FROM ({query})",
                            [indicator_prefix or ""]).fetchone()[0]
            cur.execute(f"COPY ({query} ORDER BY ALL) TO ? ({options})",
                        [indicator_prefix or "", str(path)])
        finally:
            cur.close()
        return int(n)


def _rows(values: Iterable[IndicatorValue]) -> list[tuple[Any, ...]]:
    return [
        (v.indicator, v.entity, v.period, canonical_breakdown(v.breakdown), float(v.value),
         v.unit, json.dumps(v.source, sort_keys=True, default=str), v.quality, v.computed_at)
        for v in values
    ]


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StoreBusyError(InputError):
    """The store stayed in use by another process for the whole wait (one line, names it)."""


def store_busy_error(path: Path, exc: Exception, waited_s: float | None = None) -> Exception:
    """One line for a store another process holds (DuckDB lets one process write), naming
    that process and its command; other I/O errors pass through unchanged."""
    text = str(exc)
    if "lock" not in text.lower():
        return exc
    holder = re.search(r"held in (\S+) \(PID (\d+)\)", text)
    who = "another process"
    if holder:
        pid = int(holder.group(2))
        who = f"process {pid} ({_command_of(pid) or Path(holder.group(1)).name})"
    waited = f" for {waited_s:g} s" if waited_s else ""
    return StoreBusyError(str(path), None, f"the store is in use by {who}; waited{waited} — try "
                      f"again when it finishes, or wait longer with `ssckit --wait SECONDS` "
                      f"(or {WAIT_ENV})")


def _command_of(pid: int) -> str:
    """The command line of process ``pid`` (``ssckit serve -w city``), shortened; '' if gone."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return ""
    args = [a for a in args if a]
    for i, arg in enumerate(args):   # from the ssckit entry point on, when there is one
        if Path(arg).name == "ssckit":
            args = ["ssckit", *args[i + 1:]]
            break
    line = " ".join(" ".join(args).split())     # one line, whatever the arguments hold
    return line if len(line) <= 80 else line[:77] + "..."


def _row_to_value(r: tuple[Any, ...]) -> IndicatorValue:
    computed_at = r[8] if isinstance(r[8], datetime) else datetime.fromisoformat(str(r[8]))
    return IndicatorValue(
        indicator=r[0], entity=r[1], period=r[2], breakdown=json.loads(r[3]), value=r[4],
        unit=r[5], source=json.loads(r[6]), quality=r[7], computed_at=computed_at,
    )
