"""The skills web pages: the adaptive test in-process and in a real browser, the dashboard."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.skills import results
from ssckit.web.app import create_app
from tests.conftest import CHROMIUM, serve_workspace

DISTRICTS = ["Hillcrest", "Old Town", "Riverside"]


@pytest.fixture(scope="module")
def base_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic city with the sample skills survey's indicators stored."""
    from ssckit.skills.population import skills_indicators
    from ssckit.skills.sample import write_sample_survey
    from tests.skills.test_campaign import make_workspace

    root = make_workspace(tmp_path_factory.mktemp("skills") / "city")
    data, design = write_sample_survey(root, DISTRICTS, seed=7, n_psu=6, per_psu=30)
    values = skills_indicators(root / data, root / design, "2026", "D").values
    with Store.open(Workspace.load(root).store_path) as store:
        store.write_values(values)
    return root


@pytest.fixture
def workspace(base_workspace: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "city"
    shutil.copytree(base_workspace, dest)
    return dest


@pytest.fixture
def client(workspace: Path) -> Iterator[TestClient]:
    # https: the CSRF cookie is Secure, and the test client only sends it over https.
    with TestClient(create_app(workspace), base_url="https://testserver") as c:
        yield c


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def take_test(client: TestClient, lang: str = "en", pick: int = 0,
              attributes: dict[str, str] | None = None) -> tuple[str, str]:
    """Start a test, answer every question with choice ``pick``, give ``attributes``; return
    the test id and the result page's HTML."""
    start = client.get("/skills/test")
    r = client.post("/skills/test", data={"csrf_token": csrf_of(start.text), "lang": lang},
                    follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    test_id = url.rsplit("/", 1)[1]
    assert results.is_test_id(test_id)
    for _ in range(results.TEST_CONFIG.max_items + 1):
        page = client.get(url)
        assert page.status_code == 200
        if 'name="item"' not in page.text:
            break
        item = re.search(r'name="item" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        values = re.findall(r'name="choice" value="([^"]+)"', page.text)
        r = client.post(url, data={"csrf_token": csrf_of(page.text), "item": item,
                                   "choice": values[min(pick, len(values) - 1)]},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
    else:
        pytest.fail("the test did not stop after max_items questions")
    assert 'action="/skills/test/' + test_id + '/about"' in page.text
    r = client.post(f"{url}/about", data={"csrf_token": csrf_of(page.text),
                                          **(attributes or {})})
    assert r.status_code == 200
    assert str(r.url).endswith(f"/skills/result/{test_id}")
    return test_id, r.text


def test_full_test_until_result_page(client: TestClient) -> None:
    page = client.get("/skills/test")
    assert page.status_code == 200
    assert 'name="lang" value="ru"' in page.text
    test_id, html = take_test(client, "en", pick=0, attributes={"sex": "F",
                                                                 "district": "Riverside"})
    assert "Your digital skills result" in html
    assert test_id in html
    for area in ("Information and data literacy", "Communication and collaboration",
                 "Digital content creation", "Safety", "Problem solving"):
        assert area in html
    assert "What to learn next" in html
    assert f'href="/skills/certificate/{test_id}.pdf"' in html
    # Stored without a name: the pseudonymous id, levels and the attributes given.
    store: Store = client.app.state.store
    row = store.cursor().execute(
        "SELECT n_items, level, sex, age_group, district FROM skills_results "
        "WHERE test_id = ?", [test_id]).fetchone()
    assert row[0] == results.TEST_CONFIG.max_items
    assert 1 <= row[1] <= 8
    assert row[2:] == ("F", None, "Riverside")
    # A finished test goes to its result; answering again changes nothing.
    r = client.get(f"/skills/test/{test_id}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/skills/result/{test_id}"


def test_russian_test(client: TestClient) -> None:
    start = client.get("/skills/test")
    r = client.post("/skills/test", data={"csrf_token": csrf_of(start.text), "lang": "ru"})
    assert r.status_code == 200
    assert 'lang="ru"' in r.text and "Вопрос 1" in r.text and "Не знаю" in r.text
    assert re.search(r"<legend[^>]*>[^<]*[а-яА-Я]", r.text)
    test_id, html = take_test(client, "ru", pick=99)  # always "I don't know"
    assert "Ваш результат" in html and "Что изучить дальше" in html
    # Every answer wrong: the lowest level everywhere.
    assert "Базовый (уровень 1)" in html


def test_stale_or_empty_answer(client: TestClient) -> None:
    start = client.get("/skills/test")
    r = client.post("/skills/test", data={"csrf_token": csrf_of(start.text), "lang": "en"})
    url = str(r.url)
    item = re.search(r'name="item" value="([^"]+)"', r.text)[1]  # type: ignore[index]
    token = csrf_of(r.text)
    empty = client.post(url, data={"csrf_token": token, "item": item})
    assert empty.status_code == 422 and "Choose one of the answers" in empty.text
    bad = client.post(url, data={"csrf_token": token, "item": item, "choice": "zz"})
    assert bad.status_code == 422
    stale = client.post(url, data={"csrf_token": token, "item": "not-this-one",
                                   "choice": "a"}, follow_redirects=False)
    assert stale.status_code == 303
    lang, state = results.load_test(client.app.state.store, url.rsplit("/", 1)[1])
    assert state.items == () and lang == "en"


def test_forms_refuse_a_missing_or_wrong_csrf_token(client: TestClient) -> None:
    r = client.post("/skills/test", data={"lang": "en"})
    assert r.status_code == 403
    start = client.get("/skills/test")
    r = client.post("/skills/test", data={"csrf_token": "forged", "lang": "en"})
    assert r.status_code == 403
    r = client.post("/skills/test", data={"csrf_token": csrf_of(start.text), "lang": "en"})
    assert r.status_code == 200
    url = str(r.url)
    item = re.search(r'name="item" value="([^"]+)"', r.text)[1]  # type: ignore[index]
    r = client.post(url, data={"item": item, "choice": "dont_know"})
    assert r.status_code == 403
    # Another browser (no CSRF cookie) cannot post with a token it copied.
    token = csrf_of(start.text)
    client.cookies.clear()
    r = client.post(url, data={"csrf_token": token, "item": item, "choice": "dont_know"})
    assert r.status_code == 403


def test_unknown_test_id_is_404(client: TestClient) -> None:
    assert client.get("/skills/test/DS-AAAA-AAAA-AAAA-AAAA").status_code == 404
    assert client.get("/skills/test/../../etc").status_code == 404
    assert client.get("/skills/result/nope").status_code == 404
    assert client.get("/skills/certificate/DS-AAAA-AAAA-AAAA-AAAA.pdf").status_code == 404


def test_certificate_is_a_pdf(client: TestClient) -> None:
    test_id, _ = take_test(client, "ru", pick=1)
    r = client.get(f"/skills/certificate/{test_id}.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"%PDF")
    assert r.content.rstrip().endswith(b"%%EOF")


def test_results_export_suppresses_small_cells(client: TestClient) -> None:
    for i in range(12):
        take_test(client, "en", pick=i % 3,
                  attributes={"sex": "F" if i < 10 else "M", "age_group": "25-34"})
    body = client.get("/api/v1/skills/results").json()
    assert body["min_cell"] == 10
    rows = {(r["variable"], r["group"]): r for r in body["rows"]}
    assert rows[("all", "all")]["n"] == 12 and not rows[("all", "all")]["suppressed"]
    assert rows[("sex", "F")]["n"] == 10 and rows[("sex", "F")]["mean_theta"] is not None
    men = rows[("sex", "M")]
    assert men["suppressed"] and men["n"] is None and men["mean_theta"] is None
    assert rows[("age_group", "25-34")]["n"] == 12
    assert rows[("district", "not stated")]["n"] == 12
    # The dashboard shows the same, with the small group hidden.
    html = client.get("/skills").text
    assert "fewer than 10" in html


def test_dashboard_shows_groups_with_cis(client: TestClient) -> None:
    r = client.get("/skills")
    assert r.status_code == 200
    html = r.text
    assert "Digital skills" in html and "household survey 2026" in html
    for caption in ("By sex", "By age group", "By district", "By education", "By disability"):
        assert caption in html
    assert "Women" in html and "15-24" in html and "Riverside" in html
    # Every cell has its confidence interval, and the chart has error bars.
    assert re.search(r'<span class="ci">\d+\.\d–\d+\.\d</span>', html)
    chart = json.loads(html.split('data-chart="levels-chart">', 1)[1].split("</script>", 1)[0])
    assert chart["data"][0]["error_x"]["array"]
    assert "Largest gaps between groups" in html
    assert "do not overlap" in html or "overlap: the gap may be chance" in html
    r = client.get("/skills", params={"measure": "area4"})
    assert r.status_code == 200 and "Safety: at least basic" in r.text
    assert client.get("/skills", params={"measure": "bogus"}).status_code == 422


def test_largest_gaps_orders_and_checks_overlap(client: TestClient) -> None:
    from ssckit.skills.web import largest_gaps, survey_levels

    levels = survey_levels(client.app.state.store)
    gaps = largest_gaps(levels)
    assert [g["gap"] for g in gaps] == sorted((g["gap"] for g in gaps), reverse=True)
    for g in gaps:
        hi, lo = g["highest_cell"], g["lowest_cell"]
        assert g["gap"] == pytest.approx(hi["value"] - lo["value"])
        assert g["ci_overlap"] == (hi["ci_low"] <= lo["ci_high"])
    # The synthetic survey makes skills fall with age: the age gap is real.
    age = next(g for g in gaps if g["variable"] == "age_group")
    assert age["highest"] == "15-24" and age["ci_overlap"] is False


def test_nav_has_skills_pages(client: TestClient) -> None:
    html = client.get("/skills/test").text
    assert '<a href="/skills">Digital skills</a>' in html
    assert 'href="/skills/test" aria-current="page">Take the test</a>' in html


# -- a real browser, keyboard only -----------------------------------------------------------
_AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
  return r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(' | '));
}"""


def no_axe_violations(page: Any) -> None:
    """axe-core finds no WCAG 2.2 A/AA violation on the page (evaluated through the
    DevTools protocol, which the page's CSP does not govern)."""
    from ssckit.access.audit import axe_script

    page.evaluate("() => {" + axe_script() + "}")
    assert page.evaluate(_AXE_RUN) == [], page.url


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium")
def test_keyboard_only_test_in_chromium(workspace: Path, browser_page: object,
                                        artifacts_dir: Path) -> None:
    """A person takes the test in Russian with Tab, arrow keys, Space and Enter only."""
    page: Any = browser_page
    server = serve_workspace(workspace)
    url = next(server)
    try:
        page.goto(url + "/skills/test", wait_until="load")
        no_axe_violations(page)

        def tab_to(selector: str, limit: int = 60) -> None:
            for _ in range(limit):
                page.keyboard.press("Tab")
                if page.evaluate(f"document.activeElement.matches({selector!r})"):
                    return
            pytest.fail(f"Tab never reached {selector}")

        # Language: Tab to the radio group, arrow to Русский, Tab to the button, Enter.
        tab_to("input[name=lang]")
        page.keyboard.press("ArrowDown")
        assert page.is_checked("#lang-ru")
        tab_to("button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/skills/test/DS-" in page.url, page.content()
        n = 0
        while page.locator("input[name=choice]").count():
            n += 1
            assert n <= results.TEST_CONFIG.max_items
            assert page.locator("fieldset legend").inner_text()
            tab_to("input[name=choice]")
            page.keyboard.press("Space")
            for _ in range(n % 3):
                page.keyboard.press("ArrowDown")
            assert page.locator("input[name=choice]:checked").count() == 1
            if n == 1:
                page.screenshot(path=str(artifacts_dir / "skills-question.png"))
                no_axe_violations(page)
            tab_to("button[type=submit]")
            with page.expect_navigation():
                page.keyboard.press("Enter")
        assert n == results.TEST_CONFIG.max_items
        # Optional questions: answer one (age) with the keyboard, leave the rest.
        assert "Вы закончили тест" in page.locator("h1").inner_text()
        no_axe_violations(page)
        tab_to("input[name=age_group]")
        page.keyboard.press("ArrowRight")  # from "prefer not to say" round to the first
        assert page.is_checked("#age_group-1")
        tab_to("button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/skills/result/DS-" in page.url
        assert "Ваш результат" in page.locator("h1").inner_text()
        assert page.locator("tbody tr").count() == 5
        page.screenshot(path=str(artifacts_dir / "skills-result.png"), full_page=True)
        no_axe_violations(page)
        # The certificate, by keyboard: Tab to its link, Enter downloads a PDF.
        tab_to("a[href$='.pdf']")
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        pdf = Path(info.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        assert info.value.suggested_filename.endswith(".pdf")
        # The dashboard draws its chart under the CSP.
        page.goto(url + "/skills", wait_until="networkidle")
        page.wait_for_selector("#levels-chart .main-svg", timeout=15_000)
        page.screenshot(path=str(artifacts_dir / "skills-dashboard.png"), full_page=True)
        no_axe_violations(page)
    finally:
        server.close()
    assert page.problems == []


def test_web_test_shuffles_options_and_scores_by_key(client: TestClient,
                                                      workspace: Path) -> None:
    """Answered by the key's *text* on every page: all answers score correct whatever order
    the options were shown in, each shown order is stable on reload and recorded."""
    import html as htmlmod

    from ssckit.skills import cat

    start = client.get("/skills/test")
    r = client.post("/skills/test", data={"csrf_token": csrf_of(start.text), "lang": "en"},
                    follow_redirects=False)
    url = r.headers["location"]
    test_id = url.rsplit("/", 1)[1]
    tb = results.question_bank()
    seen: list[tuple[str, ...]] = []
    for _ in range(results.TEST_CONFIG.max_items + 1):
        page = client.get(url)
        if 'name="item"' not in page.text:
            break
        assert client.get(url).text == page.text  # the same order on reload
        item = tb.items[[it.id for it in tb.items].index(
            re.search(r'name="item" value="([^"]+)"', page.text)[1])]  # type: ignore[index]
        pairs = [(v, htmlmod.unescape(lab)) for v, lab in re.findall(
            r'name="choice" value="([^"]+)" required><label for="[^"]+">([^<]*)</label>',
            page.text)]
        if item.type == "multiple_choice":
            seen.append(tuple(v for v, _ in pairs[:-1]))
            key_text = next(o.text.en for o in item.options if o.id == item.key)
        else:
            key_text = "True" if item.key else "False"
        value = next(v for v, lab in pairs if lab == key_text)
        r = client.post(url, data={"csrf_token": csrf_of(page.text), "item": item.id,
                                   "choice": value}, follow_redirects=False)
        assert r.status_code == 303
    with Store.open(Workspace.load(workspace).store_path) as store:
        _, state = results.load_test(store, test_id)  # type: ignore[misc]
    assert set(state.responses) == {1}
    theta, se = cat.estimate_theta(tb.cat, state.items, [1] * len(state.items))
    assert state.theta == pytest.approx(theta) and state.se == pytest.approx(se)
    mc_shown = [s for s in state.shown if s]
    assert [tuple(s.split(",")) for s in mc_shown] == seen
    assert any(list(s) != sorted(s) for s in seen)  # not the order of the bank file


def test_result_page_speaks_level_words_and_shows_the_scale_only_to_analysts(
        client: TestClient) -> None:
    from ssckit.core import auth

    test_id, html = take_test(client, "en", pick=0)
    store: Store = client.app.state.store
    _, _, result = results.load_result(store, test_id)  # type: ignore[misc]
    words = {"foundation": "Foundation", "intermediate": "Intermediate",
             "advanced": "Advanced", "highly_specialised": "Highly specialised"}
    # the public reads a DigComp level word per area (DigComp 2.2 proficiency groups) ...
    assert f"{words[result.group]} (level {result.level})" in html
    for a in result.areas:
        assert f"{words[a.group]} (level {a.level})" in html
    # ... and no scale score
    for hidden in ("θ", "±", "Scale score", "For analysts", f"{result.theta:.2f}"):
        assert hidden not in html, hidden
    password = "correct horse battery staple 42"
    auth.add_user(store, "vic", "viewer", password)
    auth.add_user(store, "ana", "analyst", password)

    def page_as(name: str) -> str:
        client.cookies.clear()
        r = client.post("/login", follow_redirects=False, data={
            "username": name, "password": password,
            "csrf_token": csrf_of(client.get("/login").text)})
        assert r.status_code == 303, r.text
        return client.get(f"/skills/result/{test_id}").text

    assert "For analysts" not in page_as("vic")
    analyst = page_as("ana")
    assert "For analysts" in analyst and "Scale score (θ ± standard error)" in analyst
    from ssckit.core.i18n import format_fixed

    assert f'<td class="num scale-score">{format_fixed(result.theta, 2, "en")}</td>' in analyst
    for a in result.areas:
        assert f"{words[a.group]} (level {a.level})" in analyst


def test_russian_result_page_level_words(client: TestClient) -> None:
    test_id, html = take_test(client, "ru", pick=0)
    _, _, result = results.load_result(client.app.state.store, test_id)  # type: ignore[misc]
    assert "θ" not in html and "±" not in html
    words = {"foundation": "Базовый", "intermediate": "Средний", "advanced": "Продвинутый",
             "highly_specialised": "Высокоспециализированный"}
    for a in result.areas:
        assert f"{words[a.group]} (уровень {a.level})" in html


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium")
def test_analyst_result_page_in_chromium(workspace: Path, browser_page: object) -> None:
    """The analysts' view of a result (level words and the scale-score table) has no axe-core
    WCAG 2.2 A/AA violation."""
    from ssckit.core import auth

    with TestClient(create_app(workspace), base_url="https://testserver") as c:
        test_id, _ = take_test(c, "en", pick=1)
    password = "correct horse battery staple 42"
    with Store.open(Workspace.load(workspace).store_path) as store:
        auth.add_user(store, "ana", "analyst", password)
    page: Any = browser_page
    server = serve_workspace(workspace)
    url = next(server)
    try:
        page.goto(url + "/login", wait_until="load")
        page.fill("#username", "ana")
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "/login" not in page.url
        page.goto(f"{url}/skills/result/{test_id}", wait_until="load")
        assert page.locator("#analysts-h").inner_text() == "For analysts"
        assert page.locator("td.scale-score").count() == 1
        no_axe_violations(page)
    finally:
        server.close()
