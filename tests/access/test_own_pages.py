"""Our own pages pass our own audit: every HTML page of ``ssckit serve``, in Chromium.

The pages come from the app's routes (GET, HTML, no path parameters), plus one representative
URL for each parameterised page, found among the links of the other pages of the sample city.
Each is loaded as the least privileged user who may see it (anonymous, viewer, analyst, admin)
and audited with the same code as ``ssckit access audit`` (:func:`ssckit.access.audit.
audit_page`): no WCAG 2.2 A/AA violation may remain; checks axe-core cannot decide are reported
and do not fail. Keyboard use is checked too: the skip link comes first and moves focus to the
main content, every element reached with Tab shows a visible focus indicator, and every plotly
chart carries a text alternative.

A report of every page (role, violations, checks to review) is written to
``test-artifacts/access-own-pages.txt``.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from ssckit.access.audit import (
    _RUN_AXE,
    AuditSettings,
    Finding,
    Node,
    PageAudit,
    SiteAudit,
    audit_page,
    axe_options,
    axe_script,
    page_from_axe,
)
from ssckit.access.captions import write_captions
from ssckit.access.cues import Cue
from ssckit.access.history import save_audit
from ssckit.core import auth
from ssckit.core.store import Store
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port

from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

PASSWORD = "keyboard only, all the way"
#: Who loads a page: the first of these that may see it.
ROLES = ("anonymous", "viewer", "analyst", "admin")
#: Paths that are not pages (API, files, scripts).
NOT_PAGES = ("/api/", "/static/", "/openapi", "/docs", "/redoc", "/.well-known/")
#: Response classes of routes that never answer with an HTML page.
FILE_RESPONSES = {"FileResponse", "StreamingResponse", "RedirectResponse", "PlainTextResponse"}
#: Query variants worth auditing too, when their page exists (another view of the same page).
EXTRA_URLS = ("/radio?layer=sinr", "/kpi/scorecard?data=true")
#: Pages only a private address leads to (filled by the ``served`` fixture).
PRIVATE_URLS: list[str] = []
#: Pages reached only by submitting forms (a test taken, a result): the start page, a
#: selector at which to stop (None: stop after ``steps``), and the most forms submitted.
FLOWS = (("/skills/test", None, 1),
         ("/skills/test", "main form[action$='/about']", 100),
         ("/skills/test", None, 100))
#: An address no route serves: the error page people see.
MISSING = "/no-such-page-for-the-accessibility-test"
MAX_TABS = 400
REPORT = ROOT / "test-artifacts" / "access-own-pages.txt"


# -- the app's pages ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    path: str
    response: str
    endpoint: str

    @property
    def parameterised(self) -> bool:
        return "{" in self.path

    @property
    def pattern(self) -> re.Pattern[str]:
        out, pos = "", 0
        for m in re.finditer(r"\{([^}:]+)(?::([^}]+))?\}", self.path):
            out += re.escape(self.path[pos:m.start()])
            out += ".+" if m[2] == "path" else "[^/]+"
            pos = m.end()
        return re.compile("^" + out + re.escape(self.path[pos:]) + "$")


def _walk(routes: list[Any]) -> Iterator[tuple[str, set[str], str, str]]:
    """(path, methods, response class name, endpoint) of every route, through included routers
    (FastAPI keeps them nested since 0.16x; older versions list them flat)."""
    for r in routes:
        if hasattr(r, "effective_candidates"):
            yield from _walk(r.effective_candidates())
            continue
        original = getattr(r, "original_route", r)
        path = getattr(r, "path", None)
        methods = getattr(original, "methods", None)
        if path is None or not methods:
            continue
        rc = getattr(r, "response_class", None)
        rc = getattr(rc, "value", rc)  # DefaultPlaceholder
        endpoint = getattr(r, "endpoint", None) or getattr(original, "endpoint", None)
        yield (path, set(methods), getattr(rc, "__name__", ""),
               f"{getattr(endpoint, '__module__', '?')}.{getattr(endpoint, '__name__', '?')}")


def page_routes(app: Any) -> list[Route]:
    """GET routes that may answer with an HTML page."""
    out = []
    for path, methods, response, endpoint in _walk(app.routes):
        if "GET" not in methods or path.startswith(NOT_PAGES) or response in FILE_RESPONSES:
            continue
        if path.endswith((".js", ".css", ".png", ".svg", ".json", ".txt", ".tif", ".csv")):
            continue
        out.append(Route(path, response, endpoint))
    return sorted(set(out), key=lambda r: r.path)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href and "download" not in dict(attrs):
                self.hrefs.append(href)


def local_links(html: str, base: str) -> list[str]:
    """Same-origin links of a page, as paths with query, without fragments."""
    parser = _Links()
    parser.feed(html)
    host = urlsplit(base).netloc
    out = []
    for href in parser.hrefs:
        u = urlsplit(urljoin(base, href))
        if u.scheme in ("http", "https") and u.netloc == host:
            out.append(u.path + (f"?{u.query}" if u.query else ""))
    return out


# -- the sample city, served with users, an audit and captions ------------------------------------
def _synthetic_audit(day: int, failing: int) -> SiteAudit:
    """A stored audit of an imaginary site, so that the access pages have results to show."""
    img = Finding("image-alt", "critical", "Images must have alternative text", "",
                  ("1.1.1",), ("wcag2a", "wcag111"),
                  tuple(Node(f"main > img:nth-child({i + 1})", f'<img src="logo{i}.png">',
                             "Fix any of the following:\n  Element does not have an alt "
                             "attribute") for i in range(failing)))
    contrast = Finding("color-contrast", "serious", "Elements must meet minimum color contrast "
                       "ratio thresholds", "", ("1.4.3",), ("wcag2aa", "wcag143"),
                       (Node(".hero > p", "<p>Text over a picture</p>",
                             "Element's background color could not be determined"),))
    region = Finding("region", "moderate", "All page content should be contained by landmarks",
                     "", (), ("cat.keyboard", "best-practice"), (Node("body > p", "<p>x</p>"),))
    home = PageAudit("https://services.city.example/", title="City services", status=200,
                     violations=[img], incomplete=[contrast], advisories=[region],
                     passes=["document-title", "html-has-lang", "link-name"])
    about = PageAudit("https://services.city.example/about", depth=1, title="About", status=200,
                      passes=["document-title", "html-has-lang"])
    return SiteAudit("https://services.city.example", [home, about],
                     datetime(2026, 3, day, 9, 0), "4.10.2", {"depth": 1})


@pytest.fixture(scope="module")
def served(demo_workspace: Path) -> Iterator[tuple[str, list[Route]]]:
    """A copy of the sample city with a user per role, two stored audits and a caption job,
    served by the real app; and the app's page routes."""
    from ssckit.web.app import create_app

    # Outside pytest's numbered temporary folders, which a concurrent pytest run may prune
    # while the server still uses this copy.
    tmp = Path(tempfile.mkdtemp(prefix="ssckit-own-pages-"))
    root = tmp / "sample-city"
    shutil.copytree(demo_workspace, root)
    with Store.open(root / "ssckit.duckdb") as store:
        for role in ROLES[1:]:
            auth.add_user(store, f"a11y-{role}", role, PASSWORD)
        save_audit(store, _synthetic_audit(1, 1))
        save_audit(store, _synthetic_audit(8, 2))
        PRIVATE_URLS[:] = _private_pages(store)
    write_captions([Cue(0.0, 2.0, "Good evening and welcome\nto the council meeting."),
                    Cue(2.5, 4.0, "First item: the new library.")],
                   root / "outputs" / "access" / "captions", "council-meeting", "en")
    app = create_app(root)
    try:
        routes = page_routes(app)
    finally:
        app.state.store.close()  # the server opens the store next
    try:
        for url in _serve(root, tmp / "server.log"):
            yield url, routes
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _private_pages(store: Store) -> list[str]:
    """Pages no link of the sample city leads to: a skills campaign's join address (given to
    its participants) and the before/after page of a campaign pair (the crawl keeps one
    campaign page), and a resident's private EMF request status link."""
    from datetime import date

    from ssckit.emf import requests as rq
    from ssckit.skills import campaign as camp

    c = camp.new_campaign("a11y-trainees", "Workshop trainees", "trainees", ("en", "ru"),
                          camp.ItemMix(), date(2026, 1, 1), date(2027, 12, 31))
    camp.save_campaign(store, c)
    camp.add_participants(store, c, [{}])
    post = camp.new_campaign("a11y-trainees-after", "Workshop trainees, after", "trainees",
                             ("en", "ru"), camp.ItemMix(), date(2026, 1, 1), date(2027, 12, 31),
                             pre=c)
    camp.save_campaign(store, post)   # a before/after pair: its change page
    _, token = rq.create_request(store, rq.RequestForm(
        "1 River Street", "", 40.7, 39.0, "", "en", "", True))
    return [f"/skills/join/{c.campaign_id}", f"/emf/request/status/{token}",
            f"/skills/campaigns/{post.campaign_id}/change"]


def _serve(root: Path, log: Path) -> Iterator[str]:
    """Serve ``root`` with the real app in a child process whose output goes to ``log``
    (a pipe nobody reads would block the server once a few error tracebacks filled it)."""
    port = _free_port()
    code = ("import sys; from pathlib import Path; from ssckit.web.cli import run_server; "
            "run_server(Path(sys.argv[1]), '127.0.0.1', int(sys.argv[2]))")
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code, str(root), str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/login", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{log.read_text(errors='replace')}")
                time.sleep(0.2)
        yield url
        errors = log.read_text(errors="replace")
        if "Traceback" in errors:
            print(f"server errors:\n{errors[-5000:]}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the browser run ---------------------------------------------------------------------------
_SNAPSHOT = """() => {
  const sel = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' iframe, audio[controls], video[controls], [tabindex], [contenteditable]';
  const props = ['outline-style', 'outline-width', 'outline-color', 'box-shadow',
    'background-color', 'border-top-color', 'border-bottom-color', 'border-bottom-width',
    'color', 'text-decoration-line'];
  window.__kbProps = props;
  const els = document.querySelectorAll(sel);
  els.forEach(el => {
    const cs = getComputedStyle(el);
    el.__kbStyle = props.map(p => cs.getPropertyValue(p)).join('|');
  });
  return els.length;
}"""

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const cs = getComputedStyle(el);
  const now = (window.__kbProps || []).map(p => cs.getPropertyValue(p)).join('|');
  const r = el.getBoundingClientRect();
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0
    && !/rgba\\(.*, 0\\)$/.test(cs.outlineColor);
  let desc = el.tagName.toLowerCase();
  if (el.id) desc += '#' + el.id;
  else if (el.className && typeof el.className === 'string') {
    desc += '.' + el.className.trim().split(/\\s+/).join('.');
  }
  const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name')
    || el.getAttribute('href') || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  if (!el.__kbId) { window.__kbNext = (window.__kbNext || 0) + 1; el.__kbId = window.__kbNext; }
  return {id: el.__kbId, desc: desc + (name ? ' "' + name + '"' : ''),
          changed: el.__kbStyle === undefined ? null : el.__kbStyle !== now, outline: outline,
          visible: r.width > 0 && r.height > 0 && cs.visibility !== 'hidden',
          skip: el.classList.contains('skip-link'), href: el.getAttribute('href'),
          inView: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth};
}"""

_AFTER_SKIP = """() => {
  const el = document.activeElement;
  return {tag: el ? el.tagName.toLowerCase() : null, id: el ? el.id : null,
          hash: location.hash};
}"""

_CHARTS = """() => {
  const found = new Set(document.querySelectorAll('.js-plotly-plot'));
  document.querySelectorAll('script[type="application/json"][data-chart]').forEach(b => {
    const t = document.getElementById(b.getAttribute('data-chart'));
    if (t) found.add(t);
  });
  return [...found].map(el => {
    // The numbers in a table: in the chart's section, or in the section right after it.
    const scope = el.closest('section, article') || el.closest('main') || document.body;
    const next = scope.nextElementSibling;
    const table = !!scope.querySelector('table')
      || !!(next && (next.matches('table') || next.querySelector('table')));
    const described = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
      .map(id => document.getElementById(id)).filter(Boolean)
      .map(d => d.textContent.trim()).join(' ');
    return {id: el.id, role: el.getAttribute('role'),
            label: (el.getAttribute('aria-label') || (el.getAttribute('aria-labelledby') || '')
              .split(/\\s+/).filter(Boolean).map(id => document.getElementById(id))
              .filter(Boolean).map(d => d.textContent).join(' ')).trim(),
            table: table, described: described,
            drawn: !!el.querySelector('.main-svg')};
  });
}"""


@dataclass
class PageResult:
    """What the browser found on one page."""

    path: str
    role: str
    audit: PageAudit
    skip_link: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)
    tabbed: int = 0
    charts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Results:
    pages: list[PageResult]
    uncovered: list[str]
    not_reached: list[str]


async def _login(context: Any, base: str, name: str) -> None:
    page = await context.new_page()
    try:
        await page.goto(base + "/login")
        await page.fill("#username", name)
        await page.fill("#password", PASSWORD)
        async with page.expect_navigation():
            await page.click("main form button[type=submit]")
        assert "/login" not in page.url, f"{name} could not log in"
    finally:
        await page.close()


async def _get(request: Any, url: str, **kwargs: Any) -> Any:
    """GET with the context's cookies; once more after a dropped keep-alive connection."""
    for attempt in range(2):
        try:
            return await request.get(url, fail_on_status_code=False, timeout=60_000, **kwargs)
        except Exception as exc:
            if attempt or "ECONNRESET" not in str(exc) and "socket hang up" not in str(exc):
                raise
    raise AssertionError("unreachable")


async def _walk_flow(page: Any, base: str, start: str, stop: str | None, steps: int) -> str:
    """Submit the main form of ``start`` and of each page it leads to (first choice of each
    radio group), at most ``steps`` times or until ``stop`` (a selector) or no form is left;
    return the path (and query) reached."""
    await page.goto(base + start)
    for _ in range(steps):
        form = page.locator("main form[method=post]").first
        if await form.count() == 0 or (stop and await page.locator(stop).count()):
            break
        await form.evaluate("""f => {
          const seen = new Set();
          f.querySelectorAll('input[type=radio]').forEach(r => {
            if (!seen.has(r.name)) { seen.add(r.name); r.checked = true; }
          });
        }""")
        async with page.expect_navigation():
            await form.locator("button[type=submit], input[type=submit]").first.click()
    u = urlsplit(page.url)
    return u.path + (f"?{u.query}" if u.query else "")


async def _role_for(contexts: dict[str, Any], url: str) -> tuple[str | None, str]:
    """The least privileged role for which ``url`` answers 200 with HTML, or None and what
    the last role got."""
    got = ""
    for role in ROLES:
        try:
            resp = await _get(contexts[role].request, url, max_redirects=0)
        except Exception as exc:  # Playwright's Error or TimeoutError
            return None, str(exc).splitlines()[0]
        ctype = resp.headers.get("content-type", "")
        if resp.status == 200 and ctype.startswith("text/html"):
            return role, ""
        got = f"HTTP {resp.status} {ctype}".strip()
        if resp.status == 200 or resp.status == 404:
            break  # not a page (JSON, file), or absent for everyone
    return None, got


async def _keyboard(page: Any, url: str, result: PageResult) -> None:
    # The skip link: first in the tab order, visible when focused, moves focus to <main>.
    await page.goto(url, wait_until="networkidle")
    await page.keyboard.press("Tab")
    first = await page.evaluate(_FOCUSED)
    if first is None or not first["skip"]:
        result.skip_link.append(f"first focusable element is {first and first['desc']}, "
                                "not the skip link")
    else:
        if not first["inView"] or not first["visible"]:
            result.skip_link.append("the skip link is not visible when focused")
        await page.keyboard.press("Enter")
        after = await page.evaluate(_AFTER_SKIP)
        if after["tag"] != "main" or f"#{after['id']}" != first["href"]:
            result.skip_link.append(f"the skip link moved focus to {after}, not to <main>")
    # Every element reached with Tab shows a focus indicator.
    await page.goto(url, wait_until="networkidle")
    count = await page.evaluate(_SNAPSHOT)
    seen: set[int] = set()
    for _ in range(min(MAX_TABS, count + 5)):
        await page.keyboard.press("Tab")
        f = await page.evaluate(_FOCUSED)
        if f is None or f["id"] in seen:
            break
        seen.add(f["id"])
        if not f["visible"]:
            result.focus.append(f"{f['desc']}: receives focus but is not visible")
        elif not (f["changed"] or (f["changed"] is None and f["outline"])):
            result.focus.append(f"{f['desc']}: no visible focus indicator")
    result.tabbed = len(seen)
    result.charts = await page.evaluate(_CHARTS)


async def _audit_error_page(page: Any, url: str) -> PageAudit:
    """The 404 page, audited like any page (audit_page itself skips HTTP errors)."""
    resp = await page.goto(url, wait_until="load")
    assert resp is not None and resp.status == 404
    await page.add_script_tag(content=axe_script())
    raw = await page.evaluate(_RUN_AXE, axe_options(True))
    return page_from_axe(page.url, raw)


async def _run(base: str, routes: list[Route]) -> Results:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    settings = AuditSettings(best_practice=True, timeout_s=60)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # As the audit itself does (axe-core is injected as inline script); the CSP is
            # tested in tests/web.
            contexts = {role: await browser.new_context(
                bypass_csp=True, viewport={"width": 1280, "height": 900}) for role in ROLES}
            for role in ROLES[1:]:
                await _login(contexts[role], base, f"a11y-{role}")
            admin = contexts["admin"].request

            # Pages: the routes without parameters; representatives of the others from links.
            plain = [r for r in routes if not r.parameterised]
            with_params = [r for r in routes if r.parameterised]
            plain_paths = {r.path for r in plain}
            chosen: dict[str, str] = {}  # route path -> URL path to audit
            not_reached: list[str] = []
            fetched: set[str] = set()
            frontier = [r.path for r in plain] + list(EXTRA_URLS) + PRIVATE_URLS
            for _round in range(4):
                links: list[str] = []
                for path in frontier:
                    if path in fetched:
                        continue
                    fetched.add(path)
                    try:
                        resp = await _get(admin, base + path)
                    except PlaywrightError as exc:
                        not_reached.append(f"{path}: {str(exc).splitlines()[0]}")
                        continue
                    if resp.ok and resp.headers.get("content-type", "").startswith("text/html"):
                        links += local_links(await resp.text(), base + path)
                frontier = []
                for route in with_params + plain:
                    if route.path in chosen:
                        continue
                    match = next((u for u in links if route.pattern.match(u.split("?")[0])
                                  and (u.split("?")[0] not in plain_paths if route.parameterised
                                       else "?" in u)), None)
                    if match is not None:
                        chosen[route.path] = match
                        frontier.append(match)
                if not frontier:
                    break
            flow_urls: list[str] = []
            for start, stop, steps in FLOWS:
                if start not in plain_paths:
                    continue
                walker = await contexts["anonymous"].new_page()
                try:
                    flow_urls.append(await _walk_flow(walker, base, start, stop, steps))
                finally:
                    await walker.close()
            for route in with_params:
                if route.path not in chosen:
                    match = next((u for u in flow_urls
                                  if route.pattern.match(u.split("?")[0])), None)
                    if match is not None:
                        chosen[route.path] = match
            urls: list[str] = []
            for route in plain:
                role, got = await _role_for(contexts, base + route.path)
                if role is not None:
                    urls.append(route.path)
                elif route.path in chosen:  # needs a query (e.g. ?url=...)
                    urls.append(chosen[route.path])
                elif not got.startswith("HTTP 200"):  # HTTP 200 here: JSON or a file
                    urls.append(route.path)  # reported as not reached
            urls += [chosen[r.path] for r in with_params if r.path in chosen]
            urls += flow_urls + list(EXTRA_URLS)
            for route in with_params:  # private addresses stand for their routes
                match = next((u for u in PRIVATE_URLS if route.pattern.match(u)), None)
                if route.path not in chosen and match is not None:
                    chosen[route.path] = match
                    urls.append(match)
            uncovered = [f"{r.path} ({r.endpoint})" for r in with_params
                         if r.path not in chosen and r.response == "HTMLResponse"]

            results: list[PageResult] = []
            tab = {role: await contexts[role].new_page() for role in ROLES}
            for path in dict.fromkeys(urls):
                role, got = await _role_for(contexts, base + path)
                if role is None:
                    if path not in EXTRA_URLS or not got.startswith("HTTP 404"):
                        not_reached.append(f"{path}: {got}")
                    continue
                page = tab[role]
                audit = await audit_page(page, base + path, settings)
                result = PageResult(path, role, audit)
                if audit.error is None:
                    await _keyboard(page, base + path, result)
                results.append(result)
            error_page = await _audit_error_page(tab["anonymous"], base + MISSING)
            result = PageResult(MISSING + " (404)", "anonymous", error_page)
            await _keyboard(tab["anonymous"], base + MISSING, result)
            results.append(result)
        finally:
            await browser.close()
    return Results(results, uncovered, not_reached)


def _report(res: Results) -> str:
    lines = [f"{len(res.pages)} pages audited (WCAG 2.2 A/AA, axe-core), as the least "
             "privileged user who may see them", ""]
    for p in res.pages:
        a = p.audit
        score = "-" if a.score is None else f"{a.score:.1f}"
        lines.append(f"{p.path}  [{p.role}]  score {score}"
                     f"  violations {len(a.violations)}  to review {len(a.incomplete)}"
                     f"  advisories {len(a.advisories)}  tabbed {p.tabbed}"
                     f"  charts {len(p.charts)}" + (f"  ERROR {a.error}" if a.error else ""))
        for kind, findings in (("VIOLATION", a.violations), ("review", a.incomplete),
                               ("advisory", a.advisories)):
            for f in findings:
                for n in f.nodes:
                    lines.append(f"    {kind} {f.rule} ({f.impact}, {', '.join(f.criteria) or '-'})"
                                 f": {n.target}")
        for issue in p.skip_link + p.focus:
            lines.append(f"    KEYBOARD {issue}")
    if res.uncovered:
        lines += ["", "parameterised pages with no representative URL:", *res.uncovered]
    if res.not_reached:
        lines += ["", "pages no role could open:", *res.not_reached]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def results(served: tuple[str, list[Route]]) -> Results:
    base, routes = served
    res = asyncio.run(_run(base, routes))
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(_report(res), encoding="utf-8")
    return res


# -- the tests ----------------------------------------------------------------------------------
def test_route_enumeration_finds_pages(served: tuple[str, list[Route]]) -> None:
    _, routes = served
    paths = {r.path for r in routes}
    assert {"/", "/login", "/account", "/admin/users", "/access", "/access/page",
            "/access/captions", "/access/captions/{stem}", "/kpi/{code}"} <= paths
    assert not any(p.startswith(("/api/", "/static/")) for p in paths)


def test_every_page_is_audited(results: Results) -> None:
    """Every page route was reached, and each parameterised page through a real link."""
    assert not results.uncovered, ("parameterised pages with no link to them in the sample "
                                   f"city: {results.uncovered}")
    assert not results.not_reached, f"pages no user could open: {results.not_reached}"
    audited = {p.path.split("?")[0]: p for p in results.pages}
    for path, role in (("/", "anonymous"), ("/access", "anonymous"), ("/account", "viewer"),
                       ("/kpi/import", "analyst"), ("/admin/users", "admin"),
                       ("/access/captions/council-meeting", "analyst")):
        assert path in audited and audited[path].role == role, path
    assert any(p.path.startswith("/access/page?url=") for p in results.pages)
    assert any(re.match(r"^/kpi/[^/?]+:", p.path) for p in results.pages)
    errors = [f"{p.path}: {p.audit.error}" for p in results.pages if p.audit.error]
    assert not errors, errors


def test_no_wcag_violations(results: Results) -> None:
    """Zero WCAG 2.2 A/AA violations on every page; checks to review are reported only."""
    failures = [f"{f.rule} ({f.impact}, WCAG {', '.join(f.criteria)}) on {p.path} [{p.role}]: "
                f"{n.target}  {n.html[:120]}"
                for p in results.pages for f in p.audit.violations for n in f.nodes]
    review = sorted({f"{f.rule} on {p.path}" for p in results.pages for f in p.audit.incomplete})
    if review:
        print("checks to review (not failures):\n  " + "\n  ".join(review))
    assert not failures, "WCAG violations:\n" + "\n".join(failures)


def test_skip_link_comes_first_and_moves_focus_to_main(results: Results) -> None:
    problems = [f"{p.path}: {issue}" for p in results.pages for issue in p.skip_link]
    assert not problems, "\n".join(problems)


def test_every_focusable_element_shows_focus(results: Results) -> None:
    problems = [f"{p.path} [{p.role}]: {issue}" for p in results.pages for issue in p.focus]
    assert not problems, "\n".join(problems)
    assert all(p.tabbed > 3 for p in results.pages), {p.path: p.tabbed for p in results.pages}


def test_charts_have_text_alternatives(results: Results) -> None:
    charts = [(p.path, c) for p in results.pages for c in p.charts]
    assert charts, "no plotly chart found on any page (the home page has one)"
    problems = []
    for path, c in charts:
        if c["role"] != "img" or len(c["label"]) < 10:
            problems.append(f"{path} #{c['id']}: needs role=\"img\" and an aria-label "
                            f"(has role={c['role']!r}, aria-label={c['label']!r})")
        if not (c["table"] or c["described"]):
            problems.append(f"{path} #{c['id']}: no table of the same numbers in its section "
                            "or the next one, and no aria-describedby summary")
    assert not problems, "\n".join(problems)


def test_report_written(results: Results) -> None:
    text = REPORT.read_text(encoding="utf-8")
    assert f"{len(results.pages)} pages audited" in text
    json.dumps([p.audit.to_dict() for p in results.pages])  # the results serialise


BAD_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad focus</title>
<style>a:focus { outline: none; }
.ok:focus-visible, .skip-link:focus-visible { outline: 3px solid #b3480b; }</style></head>
<body><a href="/elsewhere">Home</a> <a class="skip-link" href="#main">Skip</a>
<main id="main" tabindex="-1"><h1>Bad focus</h1><a class="ok" href="/ok">Fine</a>
<div id="c" class="js-plotly-plot"></div></main></body></html>"""


def test_keyboard_checks_catch_defects(tmp_path: Path) -> None:
    """The checks above fail where they should: a skip link not first, a link whose focus
    cannot be seen, a chart with no text alternative."""
    from playwright.async_api import async_playwright

    from .conftest import serve

    (tmp_path / "bad.html").write_text(BAD_PAGE, encoding="utf-8")

    async def check(url: str) -> PageResult:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                result = PageResult("/bad.html", "anonymous", PageAudit(url))
                await _keyboard(page, url, result)
                return result
            finally:
                await browser.close()

    for base in serve(tmp_path):
        result = asyncio.run(check(base + "bad.html"))
    assert result.skip_link and "not the skip link" in result.skip_link[0]
    assert result.focus == ['a "Home": no visible focus indicator']
    assert result.tabbed == 3
    [chart] = result.charts
    assert chart["role"] is None and not chart["table"]
