"""The verification workflow in a real browser (Debian Chromium through Playwright, the real
server): an analyst submits a value with evidence, a verifier verifies it beside its evidence;
CSRF-protected; zero axe-core WCAG 2.2 A/AA violations on the workflow's pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ssckit.access.audit import _RUN_AXE, axe_options, axe_script, page_from_axe
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_workspace

from .conftest import run_cli

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium "
                       "(apt-get install chromium)"),
]
PASSWORD = "a long enough password for tests"
CODE = "EC:ICT:ICT:1C"


def _login(browser, base: str, name: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/login" not in page.url
    return context, page


def _axe(page) -> list[str]:
    page.add_script_tag(content=axe_script())
    audit = page_from_axe(page.url, page.evaluate(_RUN_AXE, axe_options(True)))
    return [f"{page.url}: {v.rule} {v.help}" for v in audit.violations]


def test_submit_and_verify_in_chromium(city: Path, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    for name, role in (("ana", "analyst"), ("vera", "verifier")):
        r = run_cli("users", "add", name, "--role", role, "--password-stdin", "-w", str(city),
                    stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
    doc = tmp_path / "survey-table-3.pdf"
    doc.write_bytes(b"%PDF-1.4 household survey 2026, table 3: 81.2 %\n")
    violations: list[str] = []
    for base in serve_workspace(city):
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                ctx, page = _login(browser, base, "ana")
                page.goto(f"{base}/kpi/review")
                violations += _axe(page)
                page.goto(f"{base}/kpi/review/{CODE}")
                violations += _axe(page)
                page.set_input_files("#file", str(doc))
                page.fill("#url", "https://stat.example/ict")
                page.fill("#read_on", "2026-11-30")
                page.fill("#submit-comment", "table 3")
                with page.expect_navigation():
                    page.click("button[value=submit]")
                assert page.inner_text("#status") == "submitted"
                # The analyst cannot verify their own: the server says so, nothing changes.
                with page.expect_navigation():
                    page.click("button[value=verified]")
                assert "cannot also verify" in page.inner_text("main")
                assert page.inner_text("#status") == "submitted"
                # A forged form without the CSRF token is refused.
                forged = ctx.request.post(f"{base}/kpi/review/{CODE}",
                                          form={"action": "verified"}, fail_on_status_code=False)
                assert forged.status == 403
                ctx.close()
                ctx, page = _login(browser, base, "vera")
                page.goto(f"{base}/kpi/review")
                violations += _axe(page)
                with page.expect_navigation():
                    page.click(f"text=Review {CODE}")
                violations += _axe(page)
                # Side by side: the value and its evidence, the file downloadable.
                assert "81.2" in page.inner_text("#value-h + dl")
                links = page.locator(".evidence a")
                assert links.count() == 2
                with page.expect_download() as dl:
                    links.first.click()
                assert Path(dl.value.path()).read_bytes() == doc.read_bytes()
                assert page.locator("form[enctype]").count() == 0  # a verifier cannot submit
                page.fill("#comment", "matches table 3")
                with page.expect_navigation():
                    page.click("button[value=verified]")
                assert page.inner_text("#status") == "verified"
                violations += _axe(page)
                ctx.close()
            finally:
                browser.close()
    assert violations == [], violations
    log = json.loads(run_cli("kpi", "audit", CODE, "-w", str(city), "--format",
                             "json").stdout)
    trail = [(a["actor"], a["action"], a["old"], a["new"]) for a in log if a["period"] == "2026"]
    assert trail[-4:-2] == [("ana", "evidence", "", trail[-4][3]),
                            ("ana", "evidence", "", "https://stat.example/ict")]
    assert trail[-2:] == [("ana", "status", "draft", "submitted"),
                          ("vera", "status", "submitted", "verified")]
    assert log[-1]["comment"].endswith("matches table 3")
