"""The analysts' page of `ssckit emf tradeoff` in Chromium, served by the real app: the tables
show the stored numbers, both maps draw their RSRP tiles, it passes axe-core (WCAG 2.2 A/AA) at
390 px and 1400 px, and reads in Russian and Belarusian with no English left."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssckit.cli import cli
from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from tests.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MAP_BROWSER,
    axe_violations,
    serve_workspace,
    watched_page,
)
from tests.emf.test_tradeoff import strict_city
from tests.i18n.conftest import untranslated

PASSWORD = "a long enough password for tests"
__all__ = ["strict_city"]   # the fixture of test_tradeoff, shared
pytestmark = MAP_BROWSER


@pytest.fixture
def city(strict_city: Path) -> Path:
    """The sample city with a strict national limit, its tradeoff computed, an analyst."""
    r = CliRunner().invoke(cli, ["emf", "tradeoff", "-w", str(strict_city), "--limits",
                                 "strict-1uw", "--quiet", "--format", "json"])
    assert r.exit_code == 0, r.output
    with Store.open(Workspace.load(strict_city).store_path) as store:
        auth.add_user(store, "ana", "analyst", PASSWORD)
    return strict_city


def test_tradeoff_page_in_chromium(city: Path, artifacts_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    doc = json.loads((city / "outputs/emf/tradeoff/strict-1uw/tradeoff.json").read_text(
        encoding="utf-8"))
    names = {Workspace.load(city).config.name, "strict-1uw", "test rule: 1 µW/cm²", "P1812"}
    names |= {s["site"] for s in doc["sites"]}
    # data of the workspace: school ids and the names of its accessible places
    names |= {sid for s in doc["sites"] for sid in s["schools_lost"]}
    names |= {s["worst_place"] for s in doc["sites"] if not s["worst_place"].startswith("ground")}
    server = serve_workspace(city)
    base = next(server)
    problems: list[str] = []
    audits: dict[str, list] = {}
    try:
        # the page is for analysts, its data for signed-in users
        req = urllib.request.Request(base + "/api/v1/emf/tradeoffs?limits=strict-1uw")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 401
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = watched_page(browser, problems)
                page.goto(base + "/login")
                page.get_by_label("User name").fill("ana")
                page.get_by_label("Password").fill(PASSWORD)
                with page.expect_navigation():
                    page.get_by_role("button", name="Log in").click()
                page.goto(base + "/emf/tradeoff", wait_until="networkidle")
                rows = page.locator("#sites-caption >> xpath=.. >> tbody tr")
                assert rows.count() == len(doc["sites"])
                first = doc["sites"][0]
                assert rows.nth(0).locator("th").inner_text() == first["site"]
                assert f"{first['cut_db']:.2f}" in rows.nth(0).inner_text()
                # both maps draw tiles of their own state
                for state in ("before", "after"):
                    box = page.locator(f"#tradeoff-map-{state}")
                    page.wait_for_function(
                        "s => [...document.querySelectorAll(`#tradeoff-map-${s} img.coverage-"
                        "tiles, #tradeoff-map-${s} .coverage-tiles img`)].some(i => "
                        "i.complete && i.naturalWidth === 256)", arg=state, timeout=15_000)
                    srcs = box.locator(".coverage-tiles img").evaluate_all(
                        "els => els.map(e => e.src)")
                    assert srcs and all(f"/tradeoff/tiles/strict-1uw/{state}/" in s
                                        for s in srcs)
                # moving one map moves the other
                page.locator("#tradeoff-map-before").focus()
                zoom = "s => Math.max(...[...document.querySelectorAll(`#tradeoff-map-${s} " \
                       ".coverage-tiles img`)].map(i => +i.src.split('/').slice(-3)[0]))"
                z0 = page.evaluate(zoom, "after")
                page.keyboard.press("+")
                page.wait_for_function(f"() => ({zoom})('after') > {z0}", timeout=10_000)
                assert page.evaluate(zoom, "before") == page.evaluate(zoom, "after")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(artifacts_dir / "emf-tradeoff-1400.png"), full_page=True)
                audits["en 1400"] = axe_violations(page)
                page.set_viewport_size({"width": 390, "height": 844})
                page.goto(base + "/emf/tradeoff", wait_until="networkidle")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, f"the page scrolls sideways at 390 px ({width} px)"
                page.screenshot(path=str(artifacts_dir / "emf-tradeoff-390.png"), full_page=True)
                audits["en 390"] = axe_violations(page)
                for lang in ("ru", "be"):
                    page.goto(f"{base}/emf/tradeoff?lang={lang}", wait_until="networkidle")
                    audits[lang] = axe_violations(page)
                    left = untranslated(page.content(), lang, names)
                    assert not left, (lang, left)
            finally:
                browser.close()
    finally:
        next(server, None)
    assert not problems, problems
    assert all(not v for v in audits.values()), audits
