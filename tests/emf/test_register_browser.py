"""The measurement register in Chromium: markers on the public map read in plain words, the
one above the prediction drawn on top, the analysts' list behind a login, axe on both, and
the Russian page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ssckit.core import auth
from ssckit.core.store import Store
from tests.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MAP_BROWSER,
    axe_violations,
    serve_workspace,
    watched_page,
)

PASSWORD = "correct horse battery staple"
pytestmark = MAP_BROWSER


@pytest.fixture(scope="module")
def server(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("register-browser") / "city"
    shutil.copytree(demo_workspace, root, ignore=shutil.ignore_patterns("data"))
    (root / "data").symlink_to(demo_workspace / "data", target_is_directory=True)
    with Store.open(root / "ssckit.duckdb") as store:
        auth.add_user(store, "ana", "analyst", PASSWORD)
    yield from serve_workspace(root)


@pytest.mark.parametrize("width", [390, 1400])
def test_markers_and_the_analysts_list(server: str, artifacts_dir: Path, width: int) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = watched_page(browser, problems, width, 844)
            page.goto(server + "/emf", wait_until="networkidle")
            page.wait_for_selector("#emf-map .measure-mark", timeout=20_000)
            marks = page.locator("#emf-map .measure-mark")
            assert marks.count() == 5
            # the report above the prediction is dark red and drawn last (on top)
            high = page.locator('#emf-map [data-measurement="LAB-2026-05"]')
            assert "measure-high" in (high.get_attribute("class") or "")
            assert marks.nth(4).get_attribute("data-measurement") == "LAB-2026-05"
            # the list below the map says the same in plain words, and its button (keyboard)
            # shows the measurement on the map with its words
            item = page.locator('ul.measurements li[data-measurement="LAB-2026-05"]')
            assert item.inner_text().startswith(
                "Lab measurement LAB-2026-05 of 2026-07-15 (ITU-T K.83): measured 12 % of the "
                "limit, predicted 4.6 %")
            item.get_by_role("button", name="Show on the map").focus()
            page.keyboard.press("Enter")
            popup = page.locator(".leaflet-popup-content")
            popup.wait_for(timeout=10_000)
            assert "LAB-2026-05" in popup.inner_text()
            assert "measured 12 % of the limit, predicted 4.6 %" in popup.inner_text()
            assert "the site needs a look" in popup.inner_text()
            # a click on a marker opens its words too (LAB-2026-03, 52 m away, is in view)
            page.locator('#emf-map [data-measurement="LAB-2026-03"]').dispatch_event("click")
            page.wait_for_function("() => document.querySelector('.leaflet-popup-content')"
                                   ".textContent.includes('LAB-2026-03')", timeout=10_000)
            # the same words without the map, in the page's list
            items = page.locator("ul.measurements li")
            assert items.count() == 5 and "LAB-2026-05" in items.first.inner_text()
            assert page.locator("ul.measurements button").count() == 5
            page.screenshot(path=str(artifacts_dir / f"emf-register-{width}.png"),
                            full_page=True)
            assert axe_violations(page) == []
            # analysts: a login, then the list with the one to look at
            page.goto(server + "/emf/measurements")
            assert "/login" in page.url
            page.fill("#username", "ana")
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.click("main form button[type=submit]")
            assert page.url.endswith("/emf/measurements")
            alert = page.locator(".alert-error").inner_text()
            assert "1 measurement is above the prediction" in alert and "LAB-2026-05" in alert
            assert page.locator("tbody tr").count() == 5
            page.screenshot(path=str(artifacts_dir / f"emf-register-analyst-{width}.png"),
                            full_page=True)
            assert axe_violations(page) == []
            # Russian
            page.goto(server + "/emf/measurements?lang=ru")
            assert "измерение превышает прогноз" in page.locator(".alert-error").inner_text()
            page.goto(server + "/emf?lang=ru", wait_until="networkidle")
            assert "измерено 12 % от предела, по прогнозу 4,6 %" in page.locator(
                "ul.measurements").inner_text()
            assert axe_violations(page) == []
        finally:
            browser.close()
    assert problems == [], problems
