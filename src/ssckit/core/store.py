"""The workspace store: a DuckDB file with the indicator values, every module's tables and
the schema migrations of both."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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
]

SCHEMA_VERSION = len(_MIGRATIONS)

_COLUMNS = ("indicator", "entity", "period", "breakdown", "value", "unit", "source", "quality",
            "computed_at")


class Store:
    """A DuckDB-backed store. Open with :meth:`open`; every write goes through a transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.con = con
        self.path = path

    @classmethod
    def open(cls, path: str | Path | None, read_only: bool = False) -> Store:
        """Open (creating and migrating if needed) the store at ``path``; ``None`` for in-memory."""
        if path is None:
            con = duckdb.connect(":memory:")
        else:
            path = Path(path)
            try:
                con = duckdb.connect(str(path), read_only=read_only and path.exists())
            except duckdb.IOException as exc:
                raise store_busy_error(path, exc) from None
        store = cls(con, Path(path) if path else None)
        if not read_only:
            store.migrate()
            store.migrate_modules()
        return store

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------------
    def schema_version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
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
        """A cursor inside BEGIN/COMMIT; any exception rolls everything back."""
        cur = self.con.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for reading (one per thread)."""
        return self.con.cursor()

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
        """Start a compute run and return its id. Runs still marked ``running`` were left by
        a process that died (DuckDB lets one process write): they become ``killed`` and their
        staged values are dropped; the published values are those of the last complete run."""
        with self.transaction() as cur:
            cur.execute("DELETE FROM run_values WHERE run_id IN "
                        "(SELECT id FROM runs WHERE status = 'running')")
            cur.execute("UPDATE runs SET status = 'killed', message = 'the process stopped "
                        "before the run completed; nothing of it was published' "
                        "WHERE status = 'running'")
            run_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM runs").fetchone()[0]
            cur.execute("INSERT INTO runs (id, started_at, status) VALUES (?, ?, 'running')",
                        [run_id, _utcnow()])
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


def store_busy_error(path: Path, exc: Exception) -> Exception:
    """One line for a store another process holds (DuckDB allows one writing process), naming
    that process; other I/O errors pass through unchanged."""
    text = str(exc)
    if "lock" not in text.lower():
        return exc
    holder = re.search(r"held in (\S+) \(PID (\d+)\)", text)
    who = f"process {holder.group(2)} ({Path(holder.group(1)).name})" if holder else \
        "another process"
    return InputError(str(path), None, f"the store is in use by {who}; stop it (e.g. the "
                      "`ssckit serve` of this workspace) or wait until it finishes, then try "
                      "again")


def _row_to_value(r: tuple[Any, ...]) -> IndicatorValue:
    computed_at = r[8] if isinstance(r[8], datetime) else datetime.fromisoformat(str(r[8]))
    return IndicatorValue(
        indicator=r[0], entity=r[1], period=r[2], breakdown=json.loads(r[3]), value=r[4],
        unit=r[5], source=json.loads(r[6]), quality=r[7], computed_at=computed_at,
    )
