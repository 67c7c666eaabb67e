"""The compliance page passes our own accessibility audit (axe-core in Chromium, WCAG 2.2 A/AA),
served by the real app with scans, alerts and a self-assessment on it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.cyber import sample
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_workspace

from .test_compliance_web import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium")]


def _fill(root: Path) -> None:
    from datetime import datetime, timedelta

    from ssckit.cyber import alerts
    from ssckit.cyber.baseline import load_profile
    from ssckit.cyber.scan import Scan
    from ssckit.cyber.store import save_scan

    from .test_compliance_web import _svc

    sample.write_answers(root / "answers.yaml", "Testville")
    cfg = yaml.safe_load((root / "city.yaml").read_text())
    cfg["inputs"] = {"cyber": {"answers": "answers.yaml"}}
    (root / "city.yaml").write_text(yaml.safe_dump(cfg))
    t0 = datetime(2026, 1, 5, 8, 0)
    scans = [Scan(t0 + timedelta(days=i), t0 + timedelta(days=i),
                  [_svc("portal", "Ministry A", True, True), _svc("tax", "Ministry A", i < 1, True),
                   _svc("library", "City B", True, i < 2)]) for i in range(3)]
    profile = load_profile("national-baseline")
    with Store.open(root / "ssckit.duckdb") as store:
        for before, now in zip([None, *scans], scans, strict=False):
            alerts.record(store, alerts.detect(before, now, profile))
            save_scan(store, now)
        auth.add_user(store, "vic", "viewer", PASSWORD)


def test_compliance_page_has_no_wcag_violations(workspace: Path, tmp_path: Path):
    pytest.importorskip("playwright")
    from playwright.async_api import async_playwright

    from ssckit.access.audit import AuditSettings, audit_page

    _fill(workspace)
    server = serve_workspace(workspace)
    base = next(server)
    try:
        async def audit():
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=CHROMIUM_ARGS)
                context = await browser.new_context(bypass_csp=True)
                page = await context.new_page()
                await page.goto(base + "/login")
                await page.fill("#username", "vic")
                await page.fill("#password", PASSWORD)
                async with page.expect_navigation():
                    await page.click("main form button[type=submit]")
                assert "/login" not in page.url
                result = await audit_page(page, base + "/cyber/compliance",
                                          AuditSettings(chromium=CHROMIUM))
                assert page.url.endswith("/cyber/compliance")
                assert "What to fix first" in await page.content()
                printable = await audit_page(page, base + "/cyber/compliance?print=1",
                                             AuditSettings(chromium=CHROMIUM))
                await browser.close()
                return result, printable

        result, printable = asyncio.run(audit())
    finally:
        server.close()
    assert result.error is None, result.error
    assert [(f.rule, f.help) for f in result.violations] == []
    assert printable.error is None, printable.error
    assert [(f.rule, [n.target for n in f.nodes]) for f in printable.violations] == []
