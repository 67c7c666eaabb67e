"""Practical tasks on the web: scene pages, server-side scoring API, and real Chromium runs
(keyboard only, axe-core WCAG 2.2 A/AA on every scene, en, ru and be)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ssckit.skills import tasks as T
from ssckit.web.app import create_app
from tests.conftest import CHROMIUM, serve_workspace
from tests.skills.test_campaign import make_workspace
from tests.skills.test_web import no_axe_violations


@pytest.fixture
def city(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "city")


@pytest.fixture
def client(city: Path) -> Iterator[TestClient]:
    with TestClient(create_app(city), base_url="https://testserver") as c:
        yield c


def _token(html: str) -> str:
    return html.split('data-csrf="', 1)[1].split('"', 1)[0]


def test_task_pages_and_scoring_api(client: TestClient) -> None:
    listing = client.get("/skills/tasks").text
    for task_id in T.task_bank():
        assert f'href="/skills/tasks/{task_id}"' in listing
    html = client.get("/skills/tasks/share-document").text
    assert "Share a document safely" in html and 'data-event="choose"' in html
    url = "/api/v1/skills/tasks/share-document/score"
    events = [{"type": "set", "target": "who", "value": "pavel.k@school.example"},
              {"type": "choose", "target": "role", "value": "comment"},
              {"type": "press", "target": "share"}]
    r = client.post(url, json={"events": events}, headers={"X-CSRF-Token": _token(html)})
    assert r.status_code == 200
    assert r.json() == {"task": "share-document", "score": 2, "max_score": 3,
                        "submitted": True, "met": ["rule-1", "rule-3"]}
    # the client cannot send a score, an unknown widget, or an event without the CSRF token
    r = client.post(url, json={"events": events, "score": 3},
                    headers={"X-CSRF-Token": _token(html)})
    assert r.status_code == 422
    r = client.post(url, json={"events": [{"type": "press", "target": "delete-all"}]},
                    headers={"X-CSRF-Token": _token(html)})
    assert r.status_code == 422
    assert r.json()["detail"] == ("event 1, field 'target': 'delete-all' is not a widget that "
                                  "reports 'press' events")
    assert client.post(url, json={"events": events}).status_code == 403
    assert client.get("/skills/tasks/nope").status_code == 404


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_each_language_shows_its_own_task_texts(client: TestClient) -> None:
    """Russian pages show the Russian texts, Belarusian pages the Belarusian ones (no Russian
    fallback), each in the page's language."""
    ru = client.get("/skills/tasks/phishing-inbox?lang=ru").text
    assert "Найдите фишинговые письма" in ru and "Сообщить о фишинге" in ru
    be = _main(client.get("/skills/tasks/phishing-inbox?lang=be").text)
    assert "Знайдзіце фішынгавыя лісты" in be and "Паведаміць пра фішынг" in be
    assert "Найдите" not in be and 'lang="ru"' not in be
    assert '<div lang="be">' in be
    listing = _main(client.get("/skills/tasks?lang=be").text)
    for task in T.task_bank().values():
        assert task.texts("be")["title"] in listing
    assert 'lang="ru"' not in listing and "Вярніце ноўтбук у Інтэрнэт" in listing


def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    pytest.fail(f"Tab never reached {selector}")


def _result(page: Any) -> int:
    page.wait_for_selector("#task-result[data-score]", state="attached")
    return int(page.get_attribute("#task-result", "data-score"))


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium")
def test_tasks_in_chromium_keyboard_only(city: Path, browser_page: object,
                                         artifacts_dir: Path) -> None:
    """Every scene passes axe-core in en, ru and be; three tasks are done with the keyboard only
    (Tab, Space, arrows, typing, Enter) and scored by the server: correct, partial, wrong."""
    page: Any = browser_page
    server = serve_workspace(city)
    url = next(server)
    try:
        for lang in ("en", "ru", "be"):
            page.goto(f"{url}/skills/tasks?lang={lang}", wait_until="load")
            no_axe_violations(page)
            for task_id in T.task_bank():
                page.goto(f"{url}/skills/tasks/{task_id}?lang={lang}", wait_until="load")
                no_axe_violations(page)
        page.screenshot(path=str(artifacts_dir / "skills-task.png"), full_page=True)

        # phishing inbox, correct: report mails 2 and 4 only
        page.goto(f"{url}/skills/tasks/phishing-inbox?lang=ru", wait_until="load")
        _tab_to(page, "#w-report-2")
        page.keyboard.press("Space")
        _tab_to(page, "#w-report-4")
        page.keyboard.press("Space")
        _tab_to(page, "#w-done")
        page.keyboard.press("Enter")
        assert _result(page) == 3
        assert "3" in page.inner_text("#task-result")

        # share a document, partial: right person, but "Edit" and a public link
        page.goto(f"{url}/skills/tasks/share-document", wait_until="load")
        _tab_to(page, "#w-who")
        page.keyboard.type("pavel.k@school.example")
        _tab_to(page, "#w-role")
        page.keyboard.press("ArrowDown")  # Choose… -> Edit
        _tab_to(page, "#w-link")
        page.keyboard.press("Space")
        _tab_to(page, "#w-share")
        page.keyboard.press("Enter")
        assert _result(page) == 1

        # password and two-factor, wrong: a weak password and no second step
        page.goto(f"{url}/skills/tasks/password-2fa", wait_until="load")
        _tab_to(page, "#w-new")
        page.keyboard.type("ivan1234")
        page.keyboard.press("Tab")
        page.keyboard.type("ivan1234")
        _tab_to(page, "input[name=twofa]")
        page.keyboard.press("Space")  # the first option: None
        _tab_to(page, "#w-save")
        page.keyboard.press("Enter")
        assert _result(page) == 0
        # ... then corrected on the same page: the last press of "Save settings" counts
        page.fill("#w-new", "Tram!Bridge7Quiet")
        page.fill("#w-repeat", "Tram!Bridge7Quiet")
        page.check("#w-twofa-app")
        page.check("#w-saved")
        page.evaluate("document.getElementById('task-result').removeAttribute('data-score')")
        page.click("#w-save")
        assert _result(page) == 3
        assert page.problems == []  # type: ignore[attr-defined]
    finally:
        next(server, None)


@pytest.mark.parametrize("lang", ["ru", "be"])
def test_task_pages_are_translated(client: TestClient, lang: str) -> None:
    from tests.i18n.conftest import russian_as_belarusian, untranslated

    # proper names, addresses, codes and file names the scenes show as they are
    names = {"Testville", "testserver", "https", "JavaScript", "Tab", "Enter", "Wi‑Fi",
             "HOME-5G", "CAFE-FREE", "FLAT12", "PIN", "SMS", "SuperCleaner", "CC", "BY",
             "K.", "Novik", "B5", "A", "B", "PB5", "PDF", "ivan.petrov", "MB",
             "7KQ2-M9XA 4PLD-8WZN Q3RT-6VYH B5NC-2JEK H8UF-1SMG"}
    for path in ["/skills/tasks"] + [f"/skills/tasks/{t}" for t in T.task_bank()]:
        html = client.get(f"{path}?lang={lang}").text
        main = html.split("<main", 1)[1].split("</main>", 1)[0]
        assert untranslated("<main" + main + "</main>", lang, names) == [], (path, lang)
        if lang == "be":
            assert russian_as_belarusian("<main" + main + "</main>") == [], path
