"""Audit history in the workspace store: save each site audit, load the last one, compare two.

Tables (module migrations ``access``): ``access_audits`` (one row per site audit),
``access_pages`` (one per audited page), ``access_findings`` (one per rule and page:
violations, advisories and incomplete checks) and ``access_documents`` (one per linked PDF).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ssckit.access.audit import SiteAudit
from ssckit.core.store import Store

#: The access module's own tables; append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE SEQUENCE access_audit_ids START 1;
    CREATE TABLE access_audits (
        id          BIGINT PRIMARY KEY,
        site        VARCHAR NOT NULL,
        started_at  TIMESTAMP NOT NULL,
        axe_version VARCHAR NOT NULL,
        settings    VARCHAR NOT NULL,
        pages       INTEGER NOT NULL,
        score       DOUBLE,
        violations  INTEGER NOT NULL
    );
    CREATE TABLE access_pages (
        audit_id    BIGINT NOT NULL,
        url         VARCHAR NOT NULL,
        depth       INTEGER NOT NULL,
        status      INTEGER,
        title       VARCHAR NOT NULL,
        score       DOUBLE,
        passes      INTEGER NOT NULL,
        weighted    INTEGER NOT NULL,
        screenshot  VARCHAR,
        error       VARCHAR,
        PRIMARY KEY (audit_id, url)
    );
    CREATE TABLE access_findings (
        audit_id    BIGINT NOT NULL,
        url         VARCHAR NOT NULL,
        kind        VARCHAR NOT NULL,   -- violation | advisory | incomplete
        rule        VARCHAR NOT NULL,
        impact      VARCHAR,
        criteria    VARCHAR NOT NULL,   -- JSON list, e.g. ["1.4.3"]
        help        VARCHAR NOT NULL,
        nodes       VARCHAR NOT NULL,   -- JSON list of {target, html, summary}
        PRIMARY KEY (audit_id, url, kind, rule)
    );
    """,
    """
    CREATE TABLE access_documents (
        audit_id    BIGINT NOT NULL,
        url         VARCHAR NOT NULL,
        linked_from VARCHAR NOT NULL,   -- JSON list of page URLs
        pages       INTEGER,
        title       VARCHAR NOT NULL,
        language    VARCHAR NOT NULL,
        tagged      BOOLEAN NOT NULL,
        text_layer  BOOLEAN NOT NULL,
        problems    VARCHAR NOT NULL,   -- JSON list of {check, criterion, message, fix}
        error       VARCHAR,
        PRIMARY KEY (audit_id, url)
    );
    """,
    # Manual review (ssckit.access.manual): each page's content hash and language as the audit
    # loaded it, and reviewers' verdicts (append-only; the latest per key counts).
    """
    ALTER TABLE access_pages ADD COLUMN content_hash VARCHAR;
    ALTER TABLE access_pages ADD COLUMN lang VARCHAR;
    CREATE SEQUENCE access_review_ids START 1;
    CREATE TABLE access_reviews (
        id              BIGINT PRIMARY KEY,
        site            VARCHAR NOT NULL,
        url             VARCHAR NOT NULL,
        kind            VARCHAR NOT NULL,   -- criterion | rule
        item            VARCHAR NOT NULL,   -- WCAG criterion (1.4.10) or axe-core rule id
        selector        VARCHAR NOT NULL,   -- element (CSS selector); '' for the whole page
        verdict         VARCHAR NOT NULL,   -- pass | fail | na
        note            VARCHAR NOT NULL,
        evidence_file   VARCHAR,            -- path under the workspace outputs
        evidence_sha256 VARCHAR,
        evidence_url    VARCHAR,
        page_hash       VARCHAR NOT NULL,   -- content hash of the page when reviewed
        reviewer        VARCHAR NOT NULL,
        reviewed_at     TIMESTAMP NOT NULL
    );
    """,
]


def migrate(store: Store) -> None:
    """Create or update the access tables."""
    store.migrate_module("access", MIGRATIONS)


def save_audit(store: Store, audit: SiteAudit) -> int:
    """Store one site audit in one transaction; return its id."""
    migrate(store)
    with store.transaction() as cur:
        audit_id = int(cur.execute("SELECT nextval('access_audit_ids')").fetchone()[0])
        cur.execute(
            "INSERT INTO access_audits VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [audit_id, audit.site, audit.started_at, audit.axe_version,
             json.dumps(audit.settings, sort_keys=True), len(audit.pages), audit.score,
             audit.violation_count])
        for p in audit.pages:
            cur.execute("INSERT INTO access_pages (audit_id, url, depth, status, title, score, "
                        "passes, weighted, screenshot, error, content_hash, lang) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [audit_id, p.url, p.depth, p.status, p.title, p.score, len(p.passes),
                         p.weighted, p.screenshot, p.error, p.content_hash or None,
                         p.lang or None])
            rows = [(audit_id, p.url, kind, f.rule, f.impact, json.dumps(list(f.criteria)),
                     f.help, json.dumps([n.__dict__ for n in f.nodes]))
                    for kind, findings in (("violation", p.violations),
                                           ("advisory", p.advisories),
                                           ("incomplete", p.incomplete))
                    for f in findings]
            if rows:
                cur.executemany(
                    "INSERT INTO access_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        for d in audit.documents:
            cur.execute("INSERT INTO access_documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [audit_id, d.url, json.dumps(d.linked_from), d.pages, d.title,
                         d.language, d.tagged, d.text_layer,
                         json.dumps([p.__dict__ for p in d.problems]), d.error])
    return audit_id


@dataclass
class AuditSummary:
    """A stored audit as compared by :func:`diff`: scores and violation counts."""

    id: int
    site: str
    started_at: str
    score: float | None
    page_scores: dict[str, float | None]
    #: (url, rule) -> number of failing elements, for violations
    violations: dict[tuple[str, str], int]


def load_summary(store: Store, audit_id: int) -> AuditSummary:
    """The stored audit ``audit_id``."""
    cur = store.cursor()
    try:
        row = cur.execute("SELECT id, site, started_at, score FROM access_audits WHERE id = ?",
                          [audit_id]).fetchone()
        if row is None:
            raise KeyError(audit_id)
        pages = dict(cur.execute("SELECT url, score FROM access_pages WHERE audit_id = ? "
                                 "AND error IS NULL", [audit_id]).fetchall())
        found = cur.execute("SELECT url, rule, json_array_length(nodes) FROM access_findings "
                            "WHERE audit_id = ? AND kind = 'violation'", [audit_id]).fetchall()
    finally:
        cur.close()
    return AuditSummary(id=row[0], site=row[1], started_at=str(row[2]), score=row[3],
                        page_scores=pages, violations={(u, r): int(n) for u, r, n in found})


def audit_ids(store: Store, site: str) -> list[int]:
    """Ids of the stored audits of ``site``, oldest first."""
    migrate(store)
    cur = store.cursor()
    try:
        rows = cur.execute("SELECT id FROM access_audits WHERE site = ? ORDER BY started_at, id",
                           [site]).fetchall()
    finally:
        cur.close()
    return [r[0] for r in rows]


def previous_audit(store: Store, site: str, before: int | None = None) -> int | None:
    """Id of the latest stored audit of ``site`` (older than audit ``before`` if given)."""
    ids = audit_ids(store, site)
    if before is not None:
        ids = [i for i in ids if i < before]
    return ids[-1] if ids else None


@dataclass
class AuditDiff:
    """What changed between two audits of a site.

    ``new`` and ``fixed`` list ``(url, rule)`` violations that appeared or disappeared on pages
    audited both times; ``worse`` and ``better`` list ``(url, rule, before, after)`` where the
    number of failing elements changed; ``pages_added`` / ``pages_removed`` the pages audited
    only once; ``page_scores`` ``url -> (before, after)`` for pages whose score changed.
    """

    site: str
    before: int
    after: int
    score_before: float | None
    score_after: float | None
    new: list[tuple[str, str]] = field(default_factory=list)
    fixed: list[tuple[str, str]] = field(default_factory=list)
    worse: list[tuple[str, str, int, int]] = field(default_factory=list)
    better: list[tuple[str, str, int, int]] = field(default_factory=list)
    pages_added: list[str] = field(default_factory=list)
    pages_removed: list[str] = field(default_factory=list)
    page_scores: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)

    @property
    def score_change(self) -> float | None:
        if self.score_before is None or self.score_after is None:
            return None
        return self.score_after - self.score_before

    def to_dict(self) -> dict[str, Any]:
        return {"site": self.site, "before": self.before, "after": self.after,
                "score_before": self.score_before, "score_after": self.score_after,
                "score_change": self.score_change,
                "new": [list(x) for x in self.new], "fixed": [list(x) for x in self.fixed],
                "worse": [list(x) for x in self.worse], "better": [list(x) for x in self.better],
                "pages_added": self.pages_added, "pages_removed": self.pages_removed,
                "page_scores": {u: list(v) for u, v in self.page_scores.items()}}


def diff(before: AuditSummary, after: AuditSummary) -> AuditDiff:
    """Compare two audits of one site (see :class:`AuditDiff`)."""
    common = set(before.page_scores) & set(after.page_scores)
    d = AuditDiff(site=after.site, before=before.id, after=after.id,
                  score_before=before.score, score_after=after.score,
                  pages_added=sorted(set(after.page_scores) - set(before.page_scores)),
                  pages_removed=sorted(set(before.page_scores) - set(after.page_scores)))
    for key in sorted(set(before.violations) | set(after.violations)):
        if key[0] not in common:
            continue
        b, a = before.violations.get(key, 0), after.violations.get(key, 0)
        if b == 0:
            d.new.append(key)
        elif a == 0:
            d.fixed.append(key)
        elif a > b:
            d.worse.append((*key, b, a))
        elif a < b:
            d.better.append((*key, b, a))
    for url in sorted(common):
        sb, sa = before.page_scores[url], after.page_scores[url]
        if sb != sa:
            d.page_scores[url] = (sb, sa)
    return d


def diff_with_previous(store: Store, audit_id: int) -> AuditDiff | None:
    """Changes since the audit of the same site stored before ``audit_id``; None if first."""
    after = load_summary(store, audit_id)
    prev = previous_audit(store, after.site, before=audit_id)
    return None if prev is None else diff(load_summary(store, prev), after)
