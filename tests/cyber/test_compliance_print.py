"""The printable compliance report: the print stylesheet is linked (for print, or for every medium
on ``?print=1``), and Chromium's print-to-PDF of the page served by the real app holds the report's
headings and the written-out link addresses, without the site navigation."""

from __future__ import annotations

import asyncio
import io
import unicodedata
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_workspace

from .test_compliance_access import _fill
from .test_compliance_web import PASSWORD, _login
from .test_compliance_web import client as client  # noqa: F401  (fixture)

HEADINGS = ["Compliance with the baseline", "Organisations", "Compliance over time",
            "What to fix first", "Worst services", "Recent alerts", "Export and sources"]


def test_print_stylesheet_linked_for_print_only(client: TestClient):  # noqa: F811
    _login(client, "vic")
    page = client.get("/cyber/compliance").text
    assert '<link rel="stylesheet" href="/static/cyber/print.css' in page
    assert 'media="print"' in page and 'href="/cyber/compliance?print=1"' in page
    printable = client.get("/cyber/compliance?print=1").text
    assert 'media="all"' in printable and "Report printed" in printable
    css = client.get("/static/cyber/print.css")
    assert css.status_code == 200
    for rule in ("size: A4", "break-inside: avoid", "display: table-header-group",
                 "attr(href)", ".site-header"):
        assert rule in css.text, rule


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium")
def test_printed_pdf_holds_the_report(workspace: Path, tmp_path: Path):
    pytest.importorskip("playwright")
    from playwright.async_api import async_playwright
    from pypdf import PdfReader

    _fill(workspace)
    server = serve_workspace(workspace)
    base = next(server)
    try:
        problems: list[str] = []

        async def print_pdf() -> tuple[bytes, int, str]:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=CHROMIUM_ARGS)
                page = await browser.new_page()
                page.on("console",
                        lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                await page.goto(base + "/login")
                await page.fill("#username", "vic")
                await page.fill("#password", PASSWORD)
                async with page.expect_navigation():
                    await page.click("main form button[type=submit]")
                await page.goto(base + "/cyber/compliance")
                await page.wait_for_load_state("networkidle")
                drawn = await page.locator("#compliance-history svg").count()
                # Chromium's print to PDF (DevTools Page.printToPDF, the path of --print-to-pdf),
                # with the page's own @page size.
                pdf = await page.pdf(prefer_css_page_size=True)
                # Before printing, the chart is redrawn at the A4 text width (180 mm = 680 px).
                width = await page.evaluate(
                    "() => { window.dispatchEvent(new Event('beforeprint'));"
                    " return new Promise(r => setTimeout(() => r(document.querySelector("
                    "'#compliance-history .main-svg').getAttribute('width')), 300)); }")
                await browser.close()
                return pdf, drawn, width

        pdf, drawn, width = asyncio.run(print_pdf())
    finally:
        server.close()
    assert problems == []
    assert drawn > 0  # the chart was drawn before printing
    assert width == "680"
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = " ".join(unicodedata.normalize("NFKC", text).split())  # "ﬁ" ligatures to "fi"
    for heading in HEADINGS:
        assert heading in flat, heading
    # A4 portrait: 210 x 297 mm = 595 x 842 pt.
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2
    # Link addresses are written out; the site's navigation and footer are not printed.
    assert f"<{base}/api/v1/cyber/compliance.csv?table=history>" in flat.replace(" ", "")
    assert "Log out" not in flat and "JSON API (OpenAPI)" not in flat
