"""The whole measurement-request flow in Chromium, served by the real app: a resident picks the
place on the map and sends the form → an analyst logs in, assigns, schedules and closes the
request with a PDF report → the resident's private link says "done" with the result → the
point is on the public map. Every new page passes axe-core (WCAG 2.2 A/AA) in English,
Russian and Belarusian, and shows no English text in Russian or Belarusian."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.emf.web import areas
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, MAP_BROWSER, axe_violations, serve_workspace
from tests.emf.test_requests import PASSWORD, PDF, copy_city
from tests.i18n.conftest import untranslated

pytestmark = MAP_BROWSER
ADDRESS = "Old Town, 7 Mill Lane, flat 4"


def _names(root: Path, ref: str) -> set[str]:
    """Proper names a page may show untranslated: the city, its named features (districts,
    river, ...), the requests' own addresses and references, user names."""
    import csv

    ws = Workspace.load(root)
    names = {ws.config.name, ADDRESS, ref, "ada", "PDF"}
    with (root / "emf_requests.csv").open(encoding="utf-8") as f:   # the sample's requests
        names |= {v for r in csv.DictReader(f) for v in (r["reference"], r["address"])}
    names |= {p["name"] for p in areas(ws)[1]}      # districts, river, ... named on the map
    return names


def test_request_flow_in_chromium(demo_workspace: Path, tmp_path: Path,
                                  artifacts_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    root = copy_city(demo_workspace, tmp_path)
    with Store.open(Workspace.load(root).store_path) as store:
        auth.add_user(store, "ada", "analyst", PASSWORD)
    (tmp_path / "lab.pdf").write_bytes(PDF)
    problems: list[str] = []
    audits: dict[str, list] = {}
    server = serve_workspace(root)
    base = next(server)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                # axe-core is injected as an inline script: a context that does not enforce
                # the CSP, as the audits do; the page's own scripts are the same.
                resident = browser.new_context(bypass_csp=True,
                                               viewport={"width": 390, "height": 844})
                page = resident.new_page()
                page.on("console", lambda m: problems.append(m.text)
                        if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                # -- the resident: the form, a click on the map, send
                page.goto(base + "/emf/request", wait_until="networkidle")
                page.wait_for_selector("#request-map .place-label", timeout=20_000)
                audits["form en"] = axe_violations(page)
                page.get_by_label("Address (street, house, flat)").fill(ADDRESS)
                page.locator("#request-map").scroll_into_view_if_needed()
                box = page.locator("#request-map").bounding_box()
                page.locator("#request-map").click(position={"x": box["width"] / 2,
                                                             "y": box["height"] / 2})
                lat = float(page.get_by_label("Latitude (degrees)").input_value())
                lon = float(page.get_by_label("Longitude (degrees)").input_value())
                assert page.locator("#request-map-chosen").inner_text().startswith(
                    "Chosen place:")
                assert page.get_by_label("The result may be shown on the public EMF map "
                                         "(without my address or name).").is_checked()
                with page.expect_navigation():
                    page.get_by_role("button", name="Send the request").click()
                status_url = page.url.split("?")[0]
                assert re.search(r"/emf/request/status/[A-Za-z0-9_-]{32}$", status_url)
                ref = page.locator("h1").inner_text().rsplit(" ", 1)[1]
                assert page.locator("[aria-current=step]").inner_text().startswith("received")
                audits["status en"] = axe_violations(page)
                page.screenshot(path=str(artifacts_dir / "emf-request-status-received.png"),
                                full_page=True)

                # -- the analyst: log in, assign, schedule, close with the report
                analyst = browser.new_context(bypass_csp=True,
                                              viewport={"width": 1280, "height": 900})
                a = analyst.new_page()
                a.on("pageerror", lambda e: problems.append(str(e)))
                a.goto(base + "/login")
                a.get_by_label("User name").fill("ada")
                a.get_by_label("Password").fill(PASSWORD)
                with a.expect_navigation():
                    a.get_by_role("button", name="Log in").click()
                a.goto(base + "/emf/requests")
                assert a.locator("tbody tr").count() == 3     # the sample's two and this one
                audits["queue en"] = axe_violations(a)
                with a.expect_navigation():
                    a.get_by_role("link", name=ref).click()
                with a.expect_navigation():
                    a.get_by_role("button", name="Assign").click()
                assert a.locator("#request-status").inner_text() == "assigned to an engineer"
                day = date.today() + timedelta(days=4)
                a.get_by_label("Day of the visit").fill(day.isoformat())
                with a.expect_navigation():
                    a.get_by_role("button", name="Schedule", exact=True).click()
                assert a.locator("#request-status").inner_text() == "measurement scheduled"
                audits["detail en"] = axe_violations(a)
                for lang in ("ru", "be"):
                    for name, path in (("queue", "/emf/requests"),
                                       ("detail", f"/emf/requests/{ref}")):
                        a.goto(f"{base}{path}?lang={lang}", wait_until="networkidle")
                        audits[f"{name} {lang}"] = axe_violations(a)
                        left = untranslated(a.content(), lang, _names(root, ref))
                        assert not left, (name, lang, left)
                a.goto(f"{base}/emf/requests/{ref}?lang=en")
                # a mistake in the closing form comes back beside it
                a.get_by_label("Measured electric field (V/m)").fill("abc")
                with a.expect_navigation():
                    a.get_by_role("button", name="Close the request").click()
                assert a.locator("#close-error").inner_text().startswith(
                    "Measured electric field (V/m): “abc” is not a number")
                a.get_by_label("Measured electric field (V/m)").fill("0,9")
                a.get_by_label("Share of the limit (per cent)").fill("0.12")
                a.get_by_label("Lab report (PDF)").set_input_files(str(tmp_path / "lab.pdf"))
                with a.expect_navigation():
                    a.get_by_role("button", name="Close the request").click()
                assert a.locator("#request-status").inner_text() == "done"
                history = a.locator("tbody").last.inner_text()
                assert [r.split("\t")[2] for r in history.splitlines()] == [
                    "received", "assigned to an engineer", "measurement scheduled", "done"]

                # -- the resident's link says done, with the result and the report
                page.goto(status_url, wait_until="networkidle")
                assert page.locator("[aria-current=step]").inner_text().startswith("done")
                assert page.locator("#request-result").inner_text() == (
                    "Measured electric field: 0.9 V/m, that is 0.12 % of the limit.")
                pdf = page.request.get(status_url + "/report.pdf")
                assert pdf.ok and pdf.body() == PDF
                for lang in ("en", "ru", "be"):
                    for name, path in (("status", status_url), ("form", base + "/emf/request")):
                        page.goto(f"{path}?lang={lang}", wait_until="networkidle")
                        if name == "form":
                            page.wait_for_selector("#request-map .place-label", timeout=20_000)
                        audits[f"{name} {lang} done"] = axe_violations(page)
                        if lang != "en":
                            left = untranslated(page.content(), lang, _names(root, ref))
                            assert not left, (name, lang, left)

                # -- the point on the public map, where the resident clicked
                page.goto(base + "/emf?lang=en", wait_until="networkidle")
                mark = page.locator(f'[data-request="{ref}"]')
                mark.wait_for(timeout=20_000)
                assert "0.9 V/m, 0.12 % of the limit" in page.locator(
                    "#requested-h + ul").inner_text()
                geo = page.request.get(base + "/api/v1/emf/requests/published.geojson").json()
                (feat,) = [f for f in geo["features"] if f["properties"]["ref"] == ref]
                assert feat["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-5)
                # opened from the keyboard (a lab report's marker may lie over it at this zoom)
                mark.focus()
                page.keyboard.press("Enter")
                popup = page.locator(".leaflet-popup-content")
                assert "Measurement a resident asked for" in popup.inner_text()
                # Leaflet fades a popup in: audit its colours once it is opaque
                page.wait_for_function("() => getComputedStyle(document.querySelector("
                                       "'.leaflet-popup')).opacity === '1'", timeout=5_000)
                audits["public map en"] = axe_violations(page)
                page.screenshot(path=str(artifacts_dir / "emf-request-on-map.png"),
                                full_page=True)
            finally:
                browser.close()
    finally:
        server.close()
    assert {k: v for k, v in audits.items() if v} == {}
    assert problems == [], problems
