"""The manual review pages and the statement page in Chromium, served by the real app: no
WCAG 2.2 A/AA violation (axe-core) in English, Russian and Belarusian, and a verdict recorded
with the keyboard alone."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from ssckit.access.audit import AuditSettings, Finding, Node, PageAudit, SiteAudit, audit_page
from ssckit.access.history import save_audit
from ssckit.access.manual import checklist
from ssckit.core import auth
from ssckit.core.store import Store
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_workspace

from .conftest import needs_chromium, serve

pytestmark = [pytest.mark.browser, needs_chromium]

PASSWORD = "reviewing by keyboard only"
SITE = "https://city.example"
PAGE = SITE + "/news.html"
STATEMENT = """\
body: City of Testville
contact: {email: access@testville.example, phone: +000 000 000}
enforcement: {body: Testland accessibility supervisor, url: https://supervisor.example/}
"""


def _fill(root: Path) -> None:
    (root / "statement.yaml").write_text(STATEMENT)
    cfg = root / "city.yaml"
    cfg.write_text(cfg.read_text() + "inputs:\n  access: {statement: statement.yaml}\n")
    undecided = Finding(
        rule="color-contrast", impact="serious",
        help="Elements must meet minimum color contrast ratio thresholds", help_url="",
        criteria=("1.4.3",), tags=("wcag2aa", "wcag143"),
        nodes=(Node(".hero > p", '<p>Text over the river photo</p>',
                    "Fix any of the following:\n  Element's background color could not be "
                    "determined due to a background image"),))
    page = PageAudit(url=PAGE, title="News", content_hash="d" * 64, lang="en",
                     incomplete=[undecided], passes=["document-title"])
    with Store.open(root / "ssckit.duckdb") as store:
        save_audit(store, SiteAudit(site=SITE, pages=[page], axe_version="4.10.0",
                                    started_at=datetime(2026, 3, 1, 9, 0)))
        auth.add_user(store, "ana", "analyst", PASSWORD)


async def _session(base: str):  # noqa: ANN202 (Playwright objects)
    from playwright.async_api import async_playwright

    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    context = await browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(base + "/login")
    await page.fill("#username", "ana")
    await page.fill("#password", PASSWORD)
    async with page.expect_navigation():
        await page.click("main form button[type=submit]")
    assert "/login" not in page.url
    return pw, browser, page


def test_review_and_statement_pages_pass_axe_and_work_by_keyboard(workspace: Path,
                                                                 tmp_path: Path) -> None:
    from ssckit.access.statement import build_statement, render_html
    from ssckit.core.workspace import Workspace

    _fill(workspace)
    # the statement as a file (what ssckit access statement --format html writes), in Russian
    files = tmp_path / "files"
    files.mkdir()
    ws = Workspace.load(workspace)
    with Store.open(ws.store_path) as store:
        (files / "statement.html").write_text(
            render_html(build_statement(ws, store, SITE, language="ru")), encoding="utf-8")
    file_server = serve(files)
    file_base = next(file_server)
    server = serve_workspace(workspace)
    base = next(server)
    review_url = f"{base}/access/review/page?url={PAGE}"
    try:
        async def run() -> dict[str, PageAudit]:
            pw, browser, page = await _session(base)
            try:
                audits = {}
                for lang in ("en", "ru", "be"):
                    for name, url in (("review", f"{base}/access/review?lang={lang}"),
                                      ("page", f"{review_url}&lang={lang}"),
                                      ("statement",
                                       f"{base}/access/statement?site={SITE}&lang={lang}")):
                        audits[f"{name}-{lang}"] = await audit_page(
                            page, url, AuditSettings(chromium=CHROMIUM))
                audits["statement-file-ru"] = await audit_page(
                    page, file_base + "statement.html", AuditSettings(chromium=CHROMIUM))
                # keyboard only: Tab to the criterion 1.4.10, open it, judge it, save
                await page.goto(review_url + "&lang=en")
                for _ in range(400):
                    await page.keyboard.press("Tab")
                    text = await page.evaluate("document.activeElement.textContent")
                    if text.strip().startswith("1.4.10 Reflow"):
                        break
                else:
                    raise AssertionError("criterion 1.4.10 not reached with Tab")
                await page.keyboard.press("Enter")  # opens the details
                await page.keyboard.press("Tab")  # the "Understanding" link
                await page.keyboard.press("Tab")  # first verdict: Pass
                assert await page.evaluate("document.activeElement.value") == "pass"
                await page.keyboard.press("ArrowRight")  # Fail
                assert await page.evaluate("document.activeElement.checked") is True
                await page.keyboard.press("Tab")  # the note
                await page.keyboard.type("Text is cut off at 320 px in the news list")
                for _ in range(3):  # evidence file, evidence link, Save
                    await page.keyboard.press("Tab")
                assert await page.evaluate("document.activeElement.textContent") \
                    == "Save verdict"
                async with page.expect_navigation():
                    await page.keyboard.press("Enter")
                assert "Verdict saved." in await page.content()
                return audits
            finally:
                await browser.close()
                await pw.stop()

        audits = asyncio.run(run())
    finally:
        server.close()
        file_server.close()
    assert len(audits) == 10
    for name, result in audits.items():
        assert result.error is None, (name, result.error)
        assert result.violations == [], (name, [(f.rule, [n.target for n in f.nodes])
                                                for f in result.violations])
    with Store.open(workspace / "ssckit.duckdb") as store:
        item = next(i for i in checklist(store, SITE).items if i.item == "1.4.10")
    assert item.status == "fail" and item.verdict.reviewer == "ana"
    assert item.verdict.note == "Text is cut off at 320 px in the news list"
