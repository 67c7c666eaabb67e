"""The kpi module's own tables: manual KPI values (every version kept), the verification
status of each KPI value, its evidence, and the append-only audit log.

Manual values live here rather than in ``indicator_values``: a module's computed value and a
person's manual value of the same KPI are both kept, each with its source and time, and
:mod:`ssckit.kpi.precedence` picks one when the scorecard is built. Nothing here overwrites a
row: a new manual value is a new row (the newest row of a key is its current manual value),
and the audit log is only ever appended to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store

#: The kpi tables (``Store.migrate_module``). Append, never edit.
MIGRATIONS: list[str] = [
    # 1: manual values, review status, evidence, audit log; manual values that earlier versions
    #    stored in indicator_values (source.module kpi.*) move here, so both kinds are kept.
    """
    CREATE TABLE kpi_manual_values (
        id          BIGINT PRIMARY KEY,
        indicator   VARCHAR NOT NULL,
        entity      VARCHAR NOT NULL,
        period      VARCHAR NOT NULL,
        value       DOUBLE NOT NULL,
        unit        VARCHAR NOT NULL,
        source      VARCHAR NOT NULL DEFAULT '{}',
        quality     VARCHAR NOT NULL DEFAULT 'A',
        origin      VARCHAR NOT NULL,
        recorded_by VARCHAR NOT NULL,
        recorded_at TIMESTAMP NOT NULL
    );
    CREATE TABLE kpi_reviews (
        indicator    VARCHAR NOT NULL,
        entity       VARCHAR NOT NULL,
        period       VARCHAR NOT NULL,
        status       VARCHAR NOT NULL,
        value        DOUBLE,
        origin       VARCHAR,
        author       VARCHAR NOT NULL DEFAULT '',
        submitted_by VARCHAR NOT NULL DEFAULT '',
        decided_by   VARCHAR NOT NULL DEFAULT '',
        comment      VARCHAR NOT NULL DEFAULT '',
        updated_at   TIMESTAMP NOT NULL,
        PRIMARY KEY (indicator, entity, period)
    );
    CREATE TABLE kpi_evidence (
        id         BIGINT PRIMARY KEY,
        indicator  VARCHAR NOT NULL,
        entity     VARCHAR NOT NULL,
        period     VARCHAR NOT NULL,
        kind       VARCHAR NOT NULL,
        name       VARCHAR NOT NULL,
        location   VARCHAR NOT NULL,
        sha256     VARCHAR NOT NULL DEFAULT '',
        size_bytes BIGINT NOT NULL DEFAULT 0,
        read_on    DATE,
        added_by   VARCHAR NOT NULL,
        added_at   TIMESTAMP NOT NULL
    );
    CREATE TABLE kpi_audit (
        id        BIGINT PRIMARY KEY,
        at_time   TIMESTAMP NOT NULL,
        actor     VARCHAR NOT NULL,
        action    VARCHAR NOT NULL,
        indicator VARCHAR NOT NULL,
        entity    VARCHAR NOT NULL,
        period    VARCHAR NOT NULL,
        old       VARCHAR NOT NULL DEFAULT '',
        new       VARCHAR NOT NULL DEFAULT '',
        comment   VARCHAR NOT NULL DEFAULT ''
    );
    INSERT INTO kpi_manual_values
        SELECT row_number() OVER (ORDER BY computed_at, indicator, entity, period),
               indicator, entity, period, value, unit, source, quality, 'import', '', computed_at
        FROM indicator_values
        WHERE starts_with(coalesce(json_extract_string(source, '$.module'), ''), 'kpi.')
          AND breakdown = '{}';
    DELETE FROM indicator_values
        WHERE starts_with(coalesce(json_extract_string(source, '$.module'), ''), 'kpi.');
    """,
]

#: Where a manual value came from.
ORIGINS = ("import", "settings", "workbook", "web")
Key = tuple[str, str, str]  # indicator, entity, period


def utcnow() -> datetime:
    """Now in UTC, without time zone (as the store keeps times)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class ManualValue:
    """One recorded manual value: the value itself, how it arrived and who recorded it."""

    id: int
    value: IndicatorValue
    origin: str
    recorded_by: str

    @property
    def key(self) -> Key:
        return (self.value.indicator, self.value.entity, self.value.period)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what to which KPI value, from what to what."""

    id: int
    at: datetime
    actor: str
    action: str
    indicator: str
    entity: str
    period: str
    old: str
    new: str
    comment: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(timespec="seconds"), "actor": self.actor,
                "action": self.action, "indicator": self.indicator, "entity": self.entity,
                "period": self.period, "old": self.old, "new": self.new,
                "comment": self.comment}


def read_rows(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of a read of the kpi tables; none where the tables do not exist yet (a store of an
    earlier version opened read-only, which is not migrated)."""
    cur = store.cursor()
    try:
        return list(cur.execute(sql, list(params)).fetchall())
    except duckdb.CatalogException:
        return []
    finally:
        cur.close()


def format_number(x: float | None) -> str:
    """A value as the audit log writes it (shortest exact text)."""
    return "" if x is None else repr(float(x)).removesuffix(".0")


def append_audit(cur: duckdb.DuckDBPyConnection, actor: str, action: str, key: Key,
                 old: str = "", new: str = "", comment: str = "") -> None:
    """Append one line to the audit log (inside the caller's transaction)."""
    next_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM kpi_audit").fetchone()[0]
    cur.execute("INSERT INTO kpi_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [next_id, utcnow(), actor, action, *key, old, new, comment])


_MANUAL_COLUMNS = ("id, indicator, entity, period, value, unit, source, quality, origin, "
                   "recorded_by, recorded_at")


def _manual(r: Sequence[Any]) -> ManualValue:
    source = json.loads(r[6])
    source.setdefault("origin", r[8])
    source.setdefault("recorded_by", r[9])
    return ManualValue(
        id=int(r[0]), origin=r[8], recorded_by=r[9],
        value=IndicatorValue(indicator=r[1], entity=r[2], period=r[3], value=float(r[4]),
                             unit=r[5], source=source, quality=r[7], computed_at=r[10]))


def _current_manual(cur: duckdb.DuckDBPyConnection, key: Key) -> ManualValue | None:
    row = cur.execute(f"SELECT {_MANUAL_COLUMNS} FROM kpi_manual_values WHERE indicator = ? "
                      "AND entity = ? AND period = ? ORDER BY id DESC LIMIT 1",
                      list(key)).fetchone()
    return None if row is None else _manual(row)


def _same(a: IndicatorValue, b: IndicatorValue) -> bool:
    return (a.value == b.value and a.quality == b.quality and a.unit == b.unit
            and a.source.get("reference") == b.source.get("reference"))


def record_manual_values(store: Store, values: Iterable[IndicatorValue], origin: str,
                         actor: str, *, only_changed_in_file: bool = False) -> int:
    """Record manual values in one transaction and return how many rows were added.

    Each value is a new row; the previous manual value of the key stays (history), and the
    audit log gets ``value old -> new``. With ``only_changed_in_file`` (the files of
    ``settings.kpi.values``, read on every compute), a row is added only when the file's value
    differs from what was last recorded from that same file for that key, so an unchanged
    file never takes the place of a value imported later.
    """
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    values = list(values)
    added = 0
    with store.transaction() as cur:
        next_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM kpi_manual_values"
                              ).fetchone()[0]
        for v in values:
            key = (v.indicator, v.entity, v.period)
            if only_changed_in_file:
                row = cur.execute(
                    f"SELECT {_MANUAL_COLUMNS} FROM kpi_manual_values WHERE indicator = ? AND "
                    "entity = ? AND period = ? AND origin = ? AND "
                    "json_extract_string(source, '$.file') = ? ORDER BY id DESC LIMIT 1",
                    [*key, origin, str(v.source.get("file", ""))]).fetchone()
                if row is not None and _same(_manual(row).value, v):
                    continue
            previous = _current_manual(cur, key)
            at = utcnow()
            cur.execute(f"INSERT INTO kpi_manual_values ({_MANUAL_COLUMNS}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [next_id, *key, float(v.value), v.unit,
                         json.dumps(v.source, sort_keys=True, default=str), v.quality, origin,
                         actor, at])
            next_id += 1
            added += 1
            append_audit(cur, actor, "manual value", key,
                         "" if previous is None else format_number(previous.value.value),
                         format_number(v.value), f"{origin}: " + _where(v.source))
    return added


def _where(source: dict[str, Any]) -> str:
    parts = [str(source[k]) for k in ("file", "reference") if source.get(k)]
    if source.get("line"):
        parts.insert(1, f"line {source['line']}")
    return ", ".join(parts)


def current_manual_values(store: Store, *, indicator: str | None = None,
                          entity: str | None = None, latest_until: str | None = None
                          ) -> list[ManualValue]:
    """The current manual value (newest row) of every key; with ``latest_until`` (a year),
    only the latest period in or before that year per indicator and entity."""
    where, params = [], []
    for col, val in (("indicator", indicator), ("entity", entity)):
        if val is not None:
            where.append(f"{col} = ?")
            params.append(val)
    if latest_until is not None:
        where.append("left(period, 4) <= ?")
        params.append(latest_until)
    sql = (f"SELECT {_MANUAL_COLUMNS} FROM kpi_manual_values"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " QUALIFY row_number() OVER (PARTITION BY indicator, entity, period "
             "ORDER BY id DESC) = 1")
    if latest_until is not None:
        sql = (f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY indicator, "
               "entity ORDER BY period DESC) = 1")
    return [_manual(r) for r in read_rows(store, sql + " ORDER BY indicator, entity, period",
                                          params)]


def manual_history(store: Store, indicator: str) -> list[ManualValue]:
    """Every manual value ever recorded for ``indicator``, oldest first."""
    return [_manual(r) for r in read_rows(
        store, f"SELECT {_MANUAL_COLUMNS} FROM kpi_manual_values WHERE indicator = ? ORDER BY id",
        [indicator])]


def count_manual_values(store: Store) -> int:
    """How many manual value rows are recorded (every version)."""
    rows = read_rows(store, "SELECT count(*) FROM kpi_manual_values")
    return int(rows[0][0]) if rows else 0


def audit_log(store: Store, indicator: str | None = None, limit: int | None = None
              ) -> list[AuditEntry]:
    """The audit log, oldest first (of one indicator when given; the last ``limit`` lines)."""
    sql = "SELECT * FROM kpi_audit" + (" WHERE indicator = ?" if indicator else "")
    sql = f"SELECT * FROM ({sql} ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "") \
        + ") ORDER BY id"
    return [AuditEntry(*r) for r in read_rows(store, sql, [indicator] if indicator else [])]


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` as a date (ValueError otherwise)."""
    return date.fromisoformat(text)
