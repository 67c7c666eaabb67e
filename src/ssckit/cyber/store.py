"""Scan history in the workspace store (DuckDB) and "what changed since the last scan"."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ssckit.core.store import Store
from ssckit.cyber.model import Finding, ServiceResult, Status
from ssckit.cyber.scan import Scan
from ssckit.cyber.scoring import score_service

# Each migration takes the cyber tables from version i to i + 1. Append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE cyber_scans (
        scan_id     VARCHAR PRIMARY KEY,
        started_at  TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        source      VARCHAR NOT NULL DEFAULT ''
    );
    CREATE TABLE cyber_services (
        scan_id VARCHAR NOT NULL,
        service VARCHAR NOT NULL,
        url     VARCHAR NOT NULL,
        tags    VARCHAR NOT NULL DEFAULT '[]',
        error   VARCHAR,
        score   INTEGER,
        grade   VARCHAR,
        duration_s DOUBLE NOT NULL DEFAULT 0,
        PRIMARY KEY (scan_id, service)
    );
    CREATE TABLE cyber_findings (
        scan_id  VARCHAR NOT NULL,
        service  VARCHAR NOT NULL,
        check_id VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        status   VARCHAR NOT NULL,
        code     VARCHAR NOT NULL DEFAULT '',
        detail   VARCHAR NOT NULL DEFAULT '',
        remediation VARCHAR NOT NULL DEFAULT '',
        reference   VARCHAR NOT NULL DEFAULT '',
        evidence VARCHAR NOT NULL DEFAULT '{}'
    );
    """,
    # 2: who runs each service; alerts raised by monitoring and every delivery attempt.
    """
    ALTER TABLE cyber_services ADD COLUMN organisation VARCHAR;
    CREATE TABLE cyber_alerts (
        alert_key  VARCHAR PRIMARY KEY,
        created_at TIMESTAMP NOT NULL,
        scan_id    VARCHAR NOT NULL,
        service    VARCHAR NOT NULL,
        organisation VARCHAR,
        kind       VARCHAR NOT NULL,
        severity   VARCHAR NOT NULL,
        summary    VARCHAR NOT NULL,
        detail     VARCHAR NOT NULL DEFAULT '{}'
    );
    CREATE TABLE cyber_alert_deliveries (
        alert_key    VARCHAR NOT NULL,
        channel      VARCHAR NOT NULL,
        destination  VARCHAR NOT NULL,
        attempt      INTEGER NOT NULL,
        attempted_at TIMESTAMP NOT NULL,
        ok           BOOLEAN NOT NULL,
        detail       VARCHAR NOT NULL DEFAULT '',
        PRIMARY KEY (alert_key, channel, destination, attempt)
    );
    """,
]


def migrate(store: Store) -> int:
    return store.migrate_module("cyber", MIGRATIONS)


def save_scan(store: Store, scan: Scan) -> str:
    """Store ``scan`` (one transaction); return its id."""
    migrate(store)
    with store.transaction() as cur:
        cur.execute("INSERT INTO cyber_scans VALUES (?, ?, ?, ?)",
                    [scan.scan_id, scan.started_at, scan.finished_at, scan.source])
        for r in scan.results:
            s = score_service(r)
            cur.execute("INSERT INTO cyber_services (scan_id, service, url, tags, error, score, "
                        "grade, duration_s, organisation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [scan.scan_id, r.name, r.url, json.dumps(r.tags), r.error, s.score,
                         s.grade, r.duration_s, r.organisation])
            rows = [(scan.scan_id, r.name, f.check, f.category, f.status.value, f.code, f.detail,
                     f.remediation, f.reference, json.dumps(f.evidence, default=str))
                    for f in r.findings]
            if rows:
                cur.executemany("INSERT INTO cyber_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                rows)
    return scan.scan_id


def scan_ids(store: Store) -> list[str]:
    """Stored scan ids, oldest first."""
    migrate(store)
    cur = store.cursor()
    try:
        return [r[0] for r in cur.execute(
            "SELECT scan_id FROM cyber_scans ORDER BY started_at, scan_id").fetchall()]
    finally:
        cur.close()


def latest_scan_id(store: Store) -> str | None:
    """The id of the last stored scan, or ``None``."""
    ids = scan_ids(store)
    return ids[-1] if ids else None


def load_scan(store: Store, scan_id: str) -> Scan:
    """A stored scan, as it was saved."""
    migrate(store)
    cur = store.cursor()
    try:
        head = cur.execute("SELECT started_at, finished_at, source FROM cyber_scans "
                           "WHERE scan_id = ?", [scan_id]).fetchone()
        if head is None:
            raise KeyError(scan_id)
        services = cur.execute("SELECT service, url, tags, error, duration_s, organisation "
                               "FROM cyber_services WHERE scan_id = ? ORDER BY service",
                               [scan_id]).fetchall()
        findings = cur.execute(
            "SELECT service, check_id, category, status, code, detail, remediation, reference, "
            "evidence FROM cyber_findings WHERE scan_id = ? ORDER BY rowid", [scan_id]).fetchall()
    finally:
        cur.close()
    by_service: dict[str, list[Finding]] = {}
    for svc, check, cat, status, code, detail, rem, ref, ev in findings:
        by_service.setdefault(svc, []).append(
            Finding(check, cat, Status(status), detail, code, rem, ref, json.loads(ev)))
    results = [ServiceResult(name=n, url=u, tags=json.loads(t), error=e, duration_s=d,
                             started_at=head[0], findings=by_service.get(n, []), organisation=o)
               for n, u, t, e, d, o in services]
    return Scan(head[0], head[1], results, head[2])


def previous_scan(store: Store, before: str) -> Scan | None:
    """The scan stored just before ``before`` (a scan id), or ``None``."""
    ids = scan_ids(store)
    earlier = [i for i in ids if i < before]
    return load_scan(store, earlier[-1]) if earlier else None


_BAD = (Status.FAIL, Status.ERROR)


@dataclass
class ServiceChange:
    service: str
    grade_before: str | None
    grade_now: str | None
    new_failures: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    reachable_before: bool = True
    reachable_now: bool = True
    new_service: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.new_failures or self.fixed or self.grade_before != self.grade_now
                    or self.reachable_before != self.reachable_now or self.new_service)

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "grade_before": self.grade_before,
                "grade_now": self.grade_now, "new_failures": self.new_failures,
                "fixed": self.fixed, "reachable_before": self.reachable_before,
                "reachable_now": self.reachable_now, "new_service": self.new_service}


def diff(before: Scan | None, now: Scan) -> list[ServiceChange]:
    """Per service of ``now``: checks that fail now but did not before, checks that failed
    before and pass now, and the grade change. Everything is new when ``before`` is ``None``."""
    old = {r.name: r for r in before.results} if before else {}
    out: list[ServiceChange] = []
    for r in now.results:
        g_now = score_service(r).grade
        prev = old.get(r.name)
        if prev is None:
            out.append(ServiceChange(r.name, None, g_now, reachable_now=r.reachable,
                                     new_service=True,
                                     new_failures=[f.check for f in r.findings
                                                   if f.status in _BAD]))
            continue
        was = {f.check: f.status for f in prev.findings}
        is_ = {f.check: f.status for f in r.findings}
        change = ServiceChange(
            r.name, score_service(prev).grade, g_now,
            reachable_before=prev.reachable, reachable_now=r.reachable)
        change.new_failures = sorted(c for c, s in is_.items()
                                     if s in _BAD and was.get(c) not in _BAD)
        change.fixed = sorted(c for c, s in was.items()
                              if s in _BAD and is_.get(c) in (Status.PASS, Status.WARN,
                                                              Status.NOT_APPLICABLE))
        out.append(change)
    return out
