"""The access module's pipeline step and indicator values: WCAG audits of the city's pages.

The step serves the city's static site (``inputs.access.site``, the page the crawl starts
from; its folder is the site) and the HTML reports ssckit wrote into ``outputs/`` on 127.0.0.1,
audits both in one headless Chromium (axe-core, :mod:`ssckit.access.audit`), keeps the audits
in the store and returns their values. The browser reaches each folder under a host name of
its own (``www.<city>.test``, ``reports.<city>.test``), so a site's entity stays the same
from one run to the next.

city.yaml::

    inputs:
      access: {site: site/index.html}
    settings:
      access:
        depth: 2              # follow same-origin links this many clicks (0..20)
        max_pages: 20         # most pages audited per site (1..1000)
        concurrency: 4        # tabs per site (1..32)
        reports: true         # also audit ssckit's own HTML reports in outputs/
        screenshots: false    # outputs/access/screenshots, failing elements outlined
        best_practice: true   # also list axe-core's best-practice advisories (never scored)
        timeout_s: 30         # page load limit [s] (1..600)
        chromium: /usr/bin/chromium
        host: www.city.test   # host name the site is audited under (default www.<city>.test)
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from ssckit.access.audit import (
    CHROMIUM,
    AuditSettings,
    SiteAudit,
    audit_sites,
    axe_script_path,
    chromium_missing,
)
from ssckit.core.errors import InputError
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
    "access:documents": ("PDF documents linked from the audited pages and checked", "count"),
    "access:documents_failing": ("Linked PDF documents failing a basic check (tagged, "
                                 "language, title, text layer) or unreadable", "count"),
}

_HOST = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"


class AccessSettings(BaseModel):
    """``settings.access`` of city.yaml."""

    model_config = ConfigDict(extra="forbid", strict=True)

    depth: int = Field(default=2, ge=0, le=20, description="Follow same-origin links this "
                       "many clicks from the site's first page.")
    max_pages: int = Field(default=20, ge=1, le=1000, description="Most pages per site.")
    concurrency: int = Field(default=4, ge=1, le=32, description="Tabs per site.")
    reports: bool = Field(default=True, description="Also audit ssckit's own HTML reports "
                          "in outputs/.")
    screenshots: bool = Field(default=False, description="Screenshots with failing elements "
                              "outlined, in outputs/access/screenshots.")
    best_practice: bool = Field(default=True, description="List axe-core's best-practice "
                                "advisories too (never scored).")
    timeout_s: float = Field(default=30.0, ge=1, le=600, description="Page load limit [s].")
    chromium: str | None = Field(default=None, description="Chromium's path (default "
                                 f"{CHROMIUM}).")
    host: str | None = Field(default=None, pattern=_HOST, description="Host name the site is "
                             "audited under (default www.<city>.test).")


def settings(ws: Workspace) -> AccessSettings:
    """``settings.access`` validated as a whole (an InputError names a bad field)."""
    return ws.module_settings("access", AccessSettings)


def chromium_path(ws: Workspace) -> Path:
    """The browser the step runs: ``settings.access.chromium``, else Debian's."""
    s = settings(ws)
    return Path(s.chromium) if s.chromium else CHROMIUM


def why_not_ready(ws: Workspace, chromium: Path | None = None) -> str | None:
    """Why the audit step cannot run here (one line: Chromium or axe-core missing), or None.

    ``chromium`` overrides the browser's path (default :func:`chromium_path`).
    """
    missing = chromium_missing(chromium or chromium_path(ws))
    if missing:
        return missing
    try:
        axe_script_path()
    except InputError as exc:
        return f"axe-core is missing: {exc.message}"
    return None


def audit_values(audit: SiteAudit, quality: str = "B") -> list[IndicatorValue]:
    """Values for one site audit: ``access:score``, ``access:violations`` and ``access:pages``
    for entity ``site:<origin>`` (with ``access:documents`` and ``access:documents_failing``
    where the pages link PDFs), and ``access:score`` / ``access:violations`` per page with the
    page URL as breakdown ``{"page": url}``. The period is the audit's day (``YYYY-MM-DD``)."""
    period = audit.started_at.strftime("%Y-%m-%d")
    src = {"module": "access.audit", "axe": audit.axe_version, **audit.settings}
    common = {"entity": audit.entity, "period": period, "source": src,
              "computed_at": audit.started_at, "quality": quality}
    out: list[IndicatorValue] = []
    if audit.score is not None:
        out.append(IndicatorValue("access:score", audit.score, "score 0-100", **common))
    out.append(IndicatorValue("access:violations", audit.violation_count, "count", **common))
    out.append(IndicatorValue("access:pages", len(audit.audited), "count", **common))
    if audit.documents:
        out.append(IndicatorValue("access:documents", len(audit.documents), "count", **common))
        out.append(IndicatorValue("access:documents_failing",
                                  sum(not d.ok for d in audit.documents), "count", **common))
    for p in audit.audited:
        bd = {"page": p.url}
        out.append(IndicatorValue("access:score", p.score or 0.0, "score 0-100", breakdown=bd,
                                  **common))
        out.append(IndicatorValue("access:violations", len(p.violations), "count",
                                  breakdown=bd, **common))
    return out


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "city"


def own_reports(outputs: Path) -> list[str]:
    """ssckit's HTML reports under ``outputs`` (paths relative to it, sorted); unfinished
    ``*.part`` folders are left out."""
    found = []
    for p in sorted(outputs.rglob("*.html")):
        rel = p.relative_to(outputs)
        if p.is_file() and not any(part.endswith(".part") or part.startswith(".")
                                   for part in rel.parts):
            found.append(rel.as_posix())
    return found


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Audit the city's site (``inputs.access.site``) and ssckit's own reports, served on
    127.0.0.1; store the audits and return their ``access:*`` values."""
    from ssckit.access.history import save_audit
    from ssckit.access.serve import FolderServer

    first = ws.input_path("access", "site")
    if first is None:
        return []
    s = settings(ws)
    chromium = chromium_path(ws)
    reason = why_not_ready(ws, chromium)
    if reason is not None:
        raise InputError(str(chromium), None, reason)
    slug = _slug(ws.config.name)
    folders = [(s.host or f"www.{slug}.test", first.parent, [first.name])]
    if s.reports:
        reports = own_reports(ws.output_dir)
        if reports:
            folders.append((f"reports.{slug}.test", ws.output_dir, reports))
    with contextlib.ExitStack() as stack:
        host_map, seeds = {}, []
        for host, root, pages in folders:
            server = stack.enter_context(FolderServer(root))
            host_map[host] = server.port
            seeds += [f"http://{host}/{quote(page)}" for page in pages]
        audit_settings = AuditSettings(
            depth=s.depth, max_pages=s.max_pages, concurrency=s.concurrency,
            screenshots=ws.output_dir / "access" / "screenshots" if s.screenshots else None,
            best_practice=s.best_practice, timeout_s=s.timeout_s, chromium=chromium,
            host_map=host_map)
        audits = audit_sites(seeds, audit_settings)
    quality = "D" if ws.config.synthetic else "B"
    out: list[IndicatorValue] = []
    for audit in audits:
        save_audit(store, audit)
        out += audit_values(audit, quality)
    return out


def latest_values(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Values of the latest stored audit of every site, from the store alone (no browser)."""
    from ssckit.access.history import load_summary, migrate

    del ws
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
        cur = store.cursor()
        try:
            docs = cur.execute(
                "SELECT count(*), count(*) FILTER (WHERE error IS NOT NULL OR problems <> '[]') "
                "FROM access_documents WHERE audit_id = ?", [audit_id]).fetchone()
        finally:
            cur.close()
        if docs and docs[0]:
            out.append(IndicatorValue("access:documents", int(docs[0]), "count", **common))
            out.append(IndicatorValue("access:documents_failing", int(docs[1]), "count",
                                      **common))
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
