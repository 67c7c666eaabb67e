"""Indicator values of the access module: WCAG scores and violation counts per site and page."""

from __future__ import annotations

from ssckit.access.audit import SiteAudit
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

#: The indicators this module writes: id -> (name, unit).
INDICATORS: dict[str, tuple[str, str]] = {
    "access:score": ("Web accessibility score (WCAG 2.2 A/AA, axe-core, impact-weighted)",
                     "score 0-100"),
    "access:violations": ("Violated WCAG 2.2 A/AA rules, counted once per rule and page",
                          "count"),
    "access:pages": ("Pages audited for web accessibility", "count"),
}


def audit_values(audit: SiteAudit) -> list[IndicatorValue]:
    """Values for one site audit: ``access:score``, ``access:violations`` and ``access:pages``
    for entity ``site:<origin>``, and ``access:score`` / ``access:violations`` per page with the
    page URL as breakdown ``{"page": url}``. The period is the audit's day (``YYYY-MM-DD``)."""
    period = audit.started_at.strftime("%Y-%m-%d")
    src = {"module": "access.audit", "axe": audit.axe_version, **audit.settings}
    common = {"entity": audit.entity, "period": period, "source": src,
              "computed_at": audit.started_at}
    out: list[IndicatorValue] = []
    if audit.score is not None:
        out.append(IndicatorValue("access:score", audit.score, "score 0-100", **common))
    out.append(IndicatorValue("access:violations", audit.violation_count, "count", **common))
    out.append(IndicatorValue("access:pages", len(audit.audited), "count", **common))
    for p in audit.audited:
        bd = {"page": p.url}
        out.append(IndicatorValue("access:score", p.score or 0.0, "score 0-100", breakdown=bd,
                                  **common))
        out.append(IndicatorValue("access:violations", len(p.violations), "count",
                                  breakdown=bd, **common))
    return out


def compute(workspace: Workspace, store: Store) -> list[IndicatorValue]:
    """Values of the latest stored audit of every site (no browser run; see ``ssckit access
    audit`` to audit)."""
    from ssckit.access.history import load_summary, migrate

    migrate(store)
    cur = store.cursor()
    try:
        rows = cur.execute(
            "SELECT id, site, started_at, violations, pages FROM access_audits "
            "QUALIFY row_number() OVER (PARTITION BY site ORDER BY started_at DESC, id DESC) = 1 "
            "ORDER BY site").fetchall()
    finally:
        cur.close()
    out: list[IndicatorValue] = []
    for audit_id, site, started_at, violations, _pages in rows:
        s = load_summary(store, audit_id)
        common = {"entity": f"site:{site}", "period": started_at.strftime("%Y-%m-%d"),
                  "source": {"module": "access.audit", "audit_id": audit_id},
                  "computed_at": started_at}
        if s.score is not None:
            out.append(IndicatorValue("access:score", s.score, "score 0-100", **common))
        out.append(IndicatorValue("access:violations", violations, "count", **common))
        out.append(IndicatorValue("access:pages", len(s.page_scores), "count", **common))
        per_page: dict[str, int] = {}
        for (url, _rule) in s.violations:
            per_page[url] = per_page.get(url, 0) + 1
        for url, sc in sorted(s.page_scores.items()):
            bd = {"page": url}
            out.append(IndicatorValue("access:score", sc or 0.0, "score 0-100", breakdown=bd,
                                      **common))
            out.append(IndicatorValue("access:violations", per_page.get(url, 0), "count",
                                      breakdown=bd, **common))
    return out
