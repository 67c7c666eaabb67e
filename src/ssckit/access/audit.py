"""WCAG 2.2 A/AA audits: axe-core run inside headless Chromium on each page of a site.

axe-core's ``axe.min.js`` comes from a registry package, the PyPI dependency
``axe-playwright-python`` (see :func:`axe_script_path`), and is injected into each page as
inline script text, never loaded from a URL. Pages are audited by several tabs of one
browser in parallel, and several sites at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from ssckit.access.crawl import Frontier, normalise_url, origin, same_origin_links
from ssckit.access.documents import MAX_PDF_BYTES, DocumentCheck, check_pdf, pdf_links
from ssckit.access.scoring import (
    WCAG_TAGS,
    impact_rank,
    is_wcag_rule,
    score,
    site_score,
    success_criteria,
    weighted_violations,
)
from ssckit.core.errors import InputError
from ssckit.core.progress import task

#: Debian's Chromium (``bash scripts/setup`` installs it); ``AuditSettings.chromium`` overrides.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]

#: Where ``npm install --prefix ~/.cache/ssckit/axe-core axe-core@4`` puts axe-core.
NPM_AXE = (Path.home() / ".cache" / "ssckit" / "axe-core" / "node_modules" / "axe-core"
           / "axe.min.js")

#: Outline colour of failing elements in screenshots, by impact.
OUTLINE_COLOURS = {"critical": "#d00000", "serious": "#e85d04", "moderate": "#7b2cbf",
                   "minor": "#0077b6"}

_RUN_AXE = """async (options) => {
  const r = await axe.run(document, options);
  const slim = (rs, withNodes) => rs.map(x => ({
    id: x.id, impact: x.impact, tags: x.tags, description: x.description, help: x.help,
    helpUrl: x.helpUrl,
    nodes: withNodes ? x.nodes.map(n => ({target: n.target, html: n.html,
                                          summary: n.failureSummary || '', impact: n.impact}))
                     : []}));
  return {version: r.testEngine.version, violations: slim(r.violations, true),
          incomplete: slim(r.incomplete, true), passes: slim(r.passes, false),
          inapplicable: r.inapplicable.length};
}"""

_OUTLINE = """(targets) => {
  let n = 0;
  for (const [sel, colour] of targets) {
    let el = null;
    try { el = document.querySelector(sel); } catch (e) { continue; }
    if (!el) continue;
    el.style.setProperty('outline', '4px solid ' + colour, 'important');
    el.style.setProperty('outline-offset', '2px', 'important');
    n += 1;
  }
  return n;
}"""


_PAGE_TEXT = "() => [document.documentElement.outerHTML, document.documentElement.lang || '']"


def content_hash(markup: str) -> str:
    """SHA-256 (hex) of a page's markup as the browser built it (``outerHTML`` of ``<html>``
    after load, before axe-core is added): what a reviewer's verdict on the page was about."""
    return hashlib.sha256(markup.encode("utf-8")).hexdigest()


def axe_script_path() -> Path:
    """Where ``axe.min.js`` is read from, first found of:

    1. the file named by the environment variable ``SSCKIT_AXE_JS``;
    2. the copy inside the PyPI package ``axe-playwright-python`` (installed by
       ``scripts/setup``);
    3. the npm package ``axe-core`` under :data:`NPM_AXE`.
    """
    env = os.environ.get("SSCKIT_AXE_JS")
    if env:
        if not Path(env).is_file():
            raise InputError("SSCKIT_AXE_JS", None, f"{env} is not a file")
        return Path(env)
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            p = Path(loc) / "axe.min.js"
            if p.is_file():
                return p
    if NPM_AXE.is_file():
        return NPM_AXE
    raise InputError("axe-core", None, "axe.min.js not found: run scripts/setup (PyPI "
                     "axe-playwright-python), or npm install axe-core@4 into "
                     "~/.cache/ssckit/axe-core")


@cache
def axe_script() -> str:
    """The text of ``axe.min.js`` (see :func:`axe_script_path`)."""
    return axe_script_path().read_text(encoding="utf-8")


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    """One element a rule flagged: its CSS selector, HTML snippet and axe's failure summary."""

    target: str
    html: str
    summary: str = ""


@dataclass(frozen=True)
class Finding:
    """One axe-core rule's result on one page (a violation, an advisory or an incomplete check).

    ``criteria`` are the WCAG success criteria from the rule's tags (``["1.4.3"]``); empty for
    best-practice rules, which are reported as advisories and never scored.
    """

    rule: str
    impact: str | None
    help: str
    help_url: str
    criteria: tuple[str, ...]
    tags: tuple[str, ...]
    nodes: tuple[Node, ...]

    @property
    def wcag(self) -> bool:
        return is_wcag_rule(self.tags)


@dataclass
class PageAudit:
    """The audit of one page.

    ``violations`` are WCAG A/AA rules that failed (scored); ``advisories`` failed best-practice
    rules with no WCAG criterion (e.g. ``heading-order``; listed, not scored); ``incomplete`` are
    checks axe-core could not decide, left to a person's review and never counted as passes;
    ``passes`` are the ids of WCAG rules that applied and passed on every element checked.
    """

    url: str
    depth: int = 0
    status: int | None = None
    title: str = ""
    violations: list[Finding] = field(default_factory=list)
    advisories: list[Finding] = field(default_factory=list)
    incomplete: list[Finding] = field(default_factory=list)
    passes: list[str] = field(default_factory=list)
    inapplicable: int = 0
    screenshot: str | None = None
    error: str | None = None
    axe_version: str = ""
    links: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    #: :func:`content_hash` of the page as loaded; a reviewer's verdict expires when it changes
    content_hash: str = ""
    #: the page's ``<html lang>``, as written
    lang: str = ""

    @property
    def weighted(self) -> int:
        return weighted_violations(f.impact for f in self.violations)

    @property
    def score(self) -> float | None:
        """:func:`ssckit.access.scoring.score` of the page; None when it could not be audited."""
        return None if self.error else score(len(self.passes), self.weighted)

    @property
    def violation_rules(self) -> list[str]:
        return [f.rule for f in self.violations]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("links")
        d.pop("documents")
        d.pop("axe_version")
        d["score"] = self.score
        return d


@dataclass
class SiteAudit:
    """The audit of one site (one origin): its pages and pooled score."""

    site: str
    pages: list[PageAudit]
    started_at: datetime
    axe_version: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    documents: list[DocumentCheck] = field(default_factory=list)

    @property
    def audited(self) -> list[PageAudit]:
        return [p for p in self.pages if p.error is None]

    @property
    def score(self) -> float | None:
        """Pooled score of the audited pages (:func:`ssckit.access.scoring.site_score`)."""
        pages = self.audited
        if not pages:
            return None
        return site_score({"passes": len(p.passes), "weighted": p.weighted} for p in pages)

    @property
    def violation_count(self) -> int:
        """Violated WCAG rules summed over pages (one per rule and page)."""
        return sum(len(p.violations) for p in self.audited)

    @property
    def entity(self) -> str:
        return f"site:{self.site}"

    def to_dict(self) -> dict[str, Any]:
        return {"site": self.site, "started_at": self.started_at.isoformat(timespec="seconds"),
                "axe_version": self.axe_version, "settings": self.settings, "score": self.score,
                "violations": self.violation_count, "pages": [p.to_dict() for p in self.pages],
                "documents": [d.to_dict() for d in self.documents]}


def _finding(raw: dict[str, Any]) -> Finding:
    nodes = tuple(Node(target=_selector(n["target"]), html=n["html"], summary=n["summary"])
                  for n in raw["nodes"])
    return Finding(rule=raw["id"], impact=raw["impact"], help=raw["help"],
                   help_url=raw["helpUrl"], criteria=tuple(success_criteria(raw["tags"])),
                   tags=tuple(raw["tags"]), nodes=nodes)


def _selector(target: list[Any]) -> str:
    """axe's target (a list; nested lists inside iframes/shadow roots) as one string."""
    parts = [" >>> ".join(t) if isinstance(t, list) else str(t) for t in target]
    return " | ".join(parts)


def page_from_axe(url: str, raw: dict[str, Any], *, best_practice: bool = True) -> PageAudit:
    """A :class:`PageAudit` from the slimmed ``axe.run`` result (see ``_RUN_AXE``)."""
    page = PageAudit(url=url, inapplicable=int(raw["inapplicable"]))
    for r in raw["violations"]:
        f = _finding(r)
        if f.wcag:
            page.violations.append(f)
        elif best_practice:
            page.advisories.append(f)
    page.incomplete = [f for f in map(_finding, raw["incomplete"]) if f.wcag or best_practice]
    # A rule passes only where no element fails it or awaits review: axe lists a rule under
    # "passes" as soon as one element passes, even when others fail or are undecided.
    undecided = {r["id"] for r in raw["violations"]} | {r["id"] for r in raw["incomplete"]}
    page.passes = sorted(r["id"] for r in raw["passes"]
                         if is_wcag_rule(r["tags"]) and r["id"] not in undecided)
    key = lambda f: (impact_rank(f.impact), f.rule)  # noqa: E731
    page.violations.sort(key=key)
    page.advisories.sort(key=key)
    page.incomplete.sort(key=key)
    return page


def axe_options(best_practice: bool = True) -> dict[str, Any]:
    """``axe.run`` options: WCAG 2.2 A/AA rule tags, plus ``best-practice`` when asked."""
    tags = list(WCAG_TAGS) + (["best-practice"] if best_practice else [])
    return {"runOnly": {"type": "tag", "values": tags},
            "resultTypes": ["violations", "incomplete"]}


def screenshot_name(url: str) -> str:
    """A file name for a page's screenshot: readable path slug plus a short hash of the URL."""
    path = url.split("://", 1)[-1]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:80] or "page"
    return f"{slug}-{hashlib.sha1(url.encode()).hexdigest()[:8]}.png"


# -- running -----------------------------------------------------------------------------------
def chromium_missing(chromium: Path = CHROMIUM) -> str | None:
    """Why ``chromium`` cannot run audits (one line), or None when it is there."""
    if not Path(chromium).is_file():
        return (f"Chromium is not installed at {chromium}; `bash scripts/setup` installs it "
                "(Debian: apt-get install chromium)")
    if not os.access(chromium, os.X_OK):
        return f"Chromium at {chromium} is not executable"
    return None


@dataclass
class AuditSettings:
    """How to audit: crawl depth and page budget per site, tabs in parallel, screenshots.

    ``chromium``: the browser to run; ``host_map``: host names the browser resolves to
    loopback ports (``{"www.city.test": 8123}``: ``http://www.city.test/`` is served by
    127.0.0.1:8123), so that a site served locally keeps its own, stable origin.
    """

    depth: int = 0
    max_pages: int = 20
    concurrency: int = 4
    screenshots: Path | None = None
    best_practice: bool = True
    timeout_s: float = 30.0
    viewport: tuple[int, int] = (1280, 900)
    chromium: Path = CHROMIUM
    host_map: dict[str, int] = field(default_factory=dict)
    documents: bool = True

    def browser_args(self) -> list[str]:
        """Chromium's command-line switches for these settings."""
        args = list(CHROMIUM_ARGS)
        if self.host_map:
            rules = ", ".join(f"MAP {host}:80 127.0.0.1:{port}"
                              for host, port in self.host_map.items())
            args.append(f"--host-resolver-rules={rules}")
        return args

    def to_dict(self) -> dict[str, Any]:
        return {"depth": self.depth, "max_pages": self.max_pages,
                "best_practice": self.best_practice, "documents": self.documents}


async def audit_page(page: Any, url: str, settings: AuditSettings, depth: int = 0) -> PageAudit:
    """Load ``url`` in a Playwright (async) page, run axe-core and, if asked, take a screenshot
    with the failing elements outlined.

    A page that does not load, answers with an HTTP error or is not HTML comes back with
    ``error`` set (``"not HTML: image/png"`` for the latter) and no results.
    """
    try:
        resp = await page.goto(url, wait_until="load", timeout=settings.timeout_s * 1000)
    except Exception as exc:  # Playwright raises its own Error and TimeoutError
        msg = str(exc).splitlines()[0]
        if "Download is starting" in msg:  # served as a file to save, not a page to show
            return PageAudit(url=url, depth=depth, error="not HTML: download")
        return PageAudit(url=url, depth=depth, error=f"load failed: {msg}")
    status = resp.status if resp else None
    ctype = (resp.headers.get("content-type", "") if resp else "").split(";")[0].strip().lower()
    if ctype and ctype not in ("text/html", "application/xhtml+xml"):
        return PageAudit(url=url, depth=depth, status=status, error=f"not HTML: {ctype}")
    if status is not None and status >= 400:
        return PageAudit(url=url, depth=depth, status=status, error=f"HTTP {status}")
    final = normalise_url(page.url) or url
    markup, lang = await page.evaluate(_PAGE_TEXT)  # before axe adds its script
    await page.add_script_tag(content=axe_script())
    raw = await page.evaluate(_RUN_AXE, axe_options(settings.best_practice))
    result = page_from_axe(final, raw, best_practice=settings.best_practice)
    result.depth, result.status, result.title = depth, status, await page.title()
    hrefs = await page.eval_on_selector_all("a[href]",
                                            "els => els.map(e => e.getAttribute('href'))")
    result.links = same_origin_links(hrefs, final)
    result.documents = pdf_links(hrefs, final)
    result.axe_version = raw["version"]
    result.content_hash, result.lang = content_hash(markup), str(lang or "")
    if settings.screenshots is not None:
        targets = [[n.target, OUTLINE_COLOURS.get(f.impact or "", "#d00000")]
                   for f in result.violations for n in f.nodes]
        await page.evaluate(_OUTLINE, targets)
        shot = Path(settings.screenshots) / screenshot_name(final)
        shot.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(shot), full_page=True)
        result.screenshot = str(shot)
    return result


async def _audit_site(browser: Any, site: str, seeds: list[str], settings: AuditSettings,
                      progress: Callable[[PageAudit], None] | None) -> SiteAudit:
    started = datetime.now(UTC).replace(tzinfo=None)
    frontier = Frontier(site, settings.depth, settings.max_pages)
    frontier.add(seeds, 0)
    context = await browser.new_context(
        bypass_csp=True, viewport={"width": settings.viewport[0], "height": settings.viewport[1]})
    pages: list[PageAudit] = []
    in_flight = 0
    wake = asyncio.Event()
    version = ""

    async def worker() -> None:
        nonlocal in_flight, version
        tab = await context.new_page()
        try:
            while True:
                item = frontier.pop()
                if item is None:
                    if in_flight == 0:
                        wake.set()
                        return
                    wake.clear()
                    await wake.wait()
                    continue
                url, depth = item
                in_flight += 1
                try:
                    result = await audit_page(tab, url, settings, depth)
                finally:
                    in_flight -= 1
                if result.error and result.error.startswith("not HTML"):
                    frontier.release()
                else:
                    final_site = origin(result.url)
                    frontier.mark_seen(result.url)
                    if final_site != site:
                        frontier.release()
                    else:
                        pages.append(result)
                        version = result.axe_version or version
                        frontier.add(result.links, depth + 1)
                        if progress:
                            progress(result)
                wake.set()
        finally:
            await tab.close()

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, settings.concurrency))))
        documents = await check_documents(context, pages, settings) if settings.documents else []
    finally:
        await context.close()
    pages.sort(key=lambda p: (p.depth, p.url))
    return SiteAudit(site=site, pages=pages, started_at=started, axe_version=version,
                     settings=settings.to_dict(), documents=documents)


_FETCH_BYTES = """async ([url, limit]) => {
  const r = await fetch(url, {credentials: 'same-origin'});
  if (!r.ok) return {status: r.status, error: 'HTTP ' + r.status};
  const buf = new Uint8Array(await r.arrayBuffer());
  if (buf.length > limit) return {status: r.status, error: 'larger than ' + limit + ' bytes'};
  let s = '';
  for (let i = 0; i < buf.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
  }
  return {status: r.status, data: btoa(s)};
}"""


async def check_documents(context: Any, pages: list[PageAudit],
                          settings: AuditSettings) -> list[DocumentCheck]:
    """Fetch the PDFs linked from the audited ``pages`` and check each
    (:func:`ssckit.access.documents.check_pdf`).

    The files are fetched by the browser from a page of the same site, so they travel the same
    network path (host mapping, cookies) as the pages. At most ``settings.max_pages`` documents.
    """
    import base64

    linked: dict[str, list[str]] = {}
    for p in sorted(pages, key=lambda p: (p.depth, p.url)):
        for url in p.documents:
            linked.setdefault(url, []).append(p.url)
    if not linked:
        return []
    host = next((p.url for p in pages if p.error is None), None)
    if host is None:
        return []
    tab = await context.new_page()
    out: list[DocumentCheck] = []
    try:
        await tab.goto(host, wait_until="load", timeout=settings.timeout_s * 1000)
        for url, sources in list(linked.items())[:settings.max_pages]:
            try:
                got = await tab.evaluate(_FETCH_BYTES, [url, MAX_PDF_BYTES])
            except Exception as exc:  # Playwright's own errors
                got = {"error": f"fetch failed: {str(exc).splitlines()[0]}"}
            if got.get("error"):
                doc = DocumentCheck(url=url, error=got["error"])
            else:
                doc = await asyncio.to_thread(check_pdf, base64.b64decode(got["data"]), url)
            doc.linked_from = sources
            out.append(doc)
    finally:
        await tab.close()
    return out


def group_by_site(urls: Iterable[str]) -> dict[str, list[str]]:
    """Normalised seed URLs grouped by origin (first-seen order); bad URLs raise InputError."""
    sites: dict[str, list[str]] = {}
    for raw in urls:
        url = normalise_url(raw)
        if url is None:
            raise InputError("URL", None, f"{raw!r} is not an http(s) URL")
        sites.setdefault(origin(url), []).append(url)
    return sites


async def audit_sites_async(urls: Iterable[str], settings: AuditSettings | None = None,
                            progress: Callable[[PageAudit], None] | None = None,
                            ) -> list[SiteAudit]:
    """Audit the sites of ``urls`` (grouped by origin, all at once in one browser), crawling
    each from its seed URLs. Progress shows on the active display
    (:mod:`ssckit.core.progress`)."""
    from playwright.async_api import async_playwright

    settings = settings or AuditSettings()
    sites = group_by_site(urls)
    missing = chromium_missing(settings.chromium)
    if missing:
        raise InputError(str(settings.chromium), None, missing)
    with task("accessibility audit: pages") as advance:

        def done(page: PageAudit) -> None:
            advance()
            if progress:
                progress(page)

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(settings.chromium),
                                               args=settings.browser_args())
            try:
                return list(await asyncio.gather(
                    *(_audit_site(browser, site, seeds, settings, done)
                      for site, seeds in sites.items())))
            finally:
                await browser.close()


def audit_sites(urls: Iterable[str], settings: AuditSettings | None = None,
                progress: Callable[[PageAudit], None] | None = None) -> list[SiteAudit]:
    """Synchronous :func:`audit_sites_async` (runs its own event loop; not from inside one)."""
    return asyncio.run(audit_sites_async(list(urls), settings, progress))
