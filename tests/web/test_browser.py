"""The real server in a real browser: Debian Chromium through Playwright, CSP enforced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_workspace

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium "
                       "(apt-get install chromium)"),
]


@pytest.fixture
def server(workspace_dir: Path) -> Iterator[str]:
    """The real app serving the small web-test workspace."""
    yield from serve_workspace(workspace_dir)


def test_scorecard_in_chromium(server: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(server + "/kpi/scorecard", wait_until="networkidle")
            assert page.title().startswith("Scorecard 2024")
            row = page.locator("tr", has=page.get_by_role("link", name="Household Internet Access"))
            assert row.is_visible()
            assert "87.5" in row.inner_text()
            # plotly drew the chart from the JSON block, under a CSP without inline script.
            page.wait_for_selector("#achievement-chart .main-svg", timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / "scorecard.png"), full_page=True)
        finally:
            browser.close()
    assert problems == [], problems


def test_demo_city_in_chromium(demo_server: str, demo_workspace: Path) -> None:
    """The sample city's home and scorecard pages show its KPIs as stored."""
    from playwright.sync_api import sync_playwright

    from ssckit.core.store import Store
    from ssckit.kpi.records import current_manual_values

    with Store.open(demo_workspace / "ssckit.duckdb", read_only=True) as store:
        stored = [m.value for m in current_manual_values(store, indicator="EC:ICT:ICT:1C",
                                                         entity="city")
                  if m.value.period == "2026"][0]
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(demo_server + "/", wait_until="networkidle")
            assert "Riverbend" in page.locator("h1").inner_text()
            assert page.get_by_text("Synthetic sample data").first.is_visible()
            page.screenshot(path=str(ARTIFACTS / "demo-home.png"), full_page=False)
            page.goto(demo_server + "/kpi/scorecard", wait_until="networkidle")
            row = page.locator("tr", has=page.get_by_role("link", name="Household Internet Access"))
            assert row.is_visible()
            assert f"{stored.value:g}" in row.inner_text()
            # Every dimension of the demo city is there, with KPIs that have values.
            for dim in ("Economy", "Environment", "Society and Culture"):
                assert page.get_by_text(dim, exact=True).first.is_visible()
            page.screenshot(path=str(ARTIFACTS / "demo-scorecard.png"), full_page=False)
            # The 5G coverage page: district table, map layer, the plan's chart drawn.
            page.goto(demo_server + "/radio", wait_until="networkidle")
            assert page.get_by_role("heading", name="Population covered").is_visible()
            assert page.locator("img[src='/radio/layers/rsrp.png']").evaluate(
                "img => img.complete && img.naturalWidth > 0")
            page.get_by_label("SINR at full load (dB)").check()
            page.get_by_role("button", name="Show").click()
            page.wait_for_load_state("networkidle")
            assert page.locator("img[src='/radio/layers/sinr.png']").is_visible()
            page.wait_for_selector("#plan-chart .main-svg", timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / "demo-radio.png"), full_page=True)
        finally:
            browser.close()
    assert problems == [], problems
