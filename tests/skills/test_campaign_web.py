"""Campaigns through the web: an organiser creates them, simulated participants answer the
adaptive test over HTTP with their codes, a proctor opens and closes sessions, the before/after
page and its CSV recover the planted improvement; one participant in Chromium."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.skills import campaign as cp
from ssckit.skills import results
from ssckit.skills.campaign import true_traits
from ssckit.web.app import create_app
from tests.conftest import CHROMIUM, serve_workspace
from tests.skills.test_campaign import SHIFT, make_workspace
from tests.skills.test_web import csrf_of, no_axe_violations

PASSWORD = "correct horse battery staple 42"
N_PEOPLE = 500


def login(client: TestClient, name: str = "org") -> None:
    r = client.post("/login", follow_redirects=False, data={
        "username": name, "password": PASSWORD,
        "csrf_token": csrf_of(client.get("/login").text)})
    assert r.status_code == 303, r.text


def create(client: TestClient, **fields: Any) -> Any:
    page = client.get("/skills/campaigns")
    assert page.status_code == 200
    data = {"csrf_token": csrf_of(page.text), "langs": ["en", "ru"], "max_items": "15",
            "opens": "2026-01-01", "closes": "2099-12-31", **fields}
    return client.post("/skills/campaigns", data=data, follow_redirects=False)


def answer_as(client: TestClient, campaign_id: str, code: str, traits: np.ndarray,
              rng: np.random.Generator, lang: str = "en") -> str:
    """A simulated person joins with ``code`` and answers every question over HTTP, right
    with the bank's 2PL probability at their trait in the question's area; return the test
    id."""
    tb = results.question_bank()
    index = {it.id: j for j, it in enumerate(tb.items)}
    a, d = tb.cat.params.a, np.ravel(tb.cat.params.d)
    join = client.get(f"/skills/join/{campaign_id}?code={code}")
    assert join.status_code == 200 and f'value="{code}"' in join.text
    r = client.post(f"/skills/join/{campaign_id}", data={
        "csrf_token": csrf_of(join.text), "code": code.lower().replace("-", ""), "lang": lang},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    test_id = url.rsplit("/", 1)[1]
    page = client.get(url)
    for _ in range(51):
        if 'name="item"' not in page.text:
            break
        item_id = re.search(r'name="item" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        j = index[item_id]
        item = tb.item(j)
        right = rng.random() < 1 / (1 + np.exp(-(a[j] * traits[tb.cat.areas[j]] + d[j])))
        values = re.findall(r'name="choice" value="([^"]+)"', page.text)
        choice = next(v for v in values if (v != results.DONT_KNOW and
                                            results.response_code(item, v) == int(right)))
        page = client.post(url, data={"csrf_token": csrf_of(page.text), "item": item_id,
                                      "choice": choice})
        assert page.status_code == 200, page.text
    assert str(page.url).endswith(f"/skills/result/{test_id}"), page.url
    return test_id


@pytest.fixture(scope="module")
def web_campaigns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, TestClient]]:
    """Pre and post campaigns created through the organiser's form, 500 codes with
    attributes; every participant takes both tests over HTTP (the post one with the planted
    improvement :data:`SHIFT`)."""
    ws = make_workspace(tmp_path_factory.mktemp("campaign-web") / "city")
    with Store.open(Workspace.load(ws).store_path) as store:
        store.migrate_modules()
        auth.add_user(store, "org", "analyst", PASSWORD)
    with TestClient(create_app(ws), base_url="https://testserver") as client:
        login(client)
        assert create(client, campaign_id="web-pre", name="Library course, before",
                      group="Pensioners").status_code == 303
        assert create(client, campaign_id="web-post", name="Library course, after",
                      group="Pensioners", pre_id="web-pre").status_code == 303
        store = client.app.state.store
        pre = cp.load_campaign(store, "web-pre")
        rng = np.random.default_rng(8)
        cp.add_participants(store, pre, [
            {"age_group": str(rng.choice(["55-64", "65-74", "75+"])),
             "sex": str(rng.choice(["F", "M"])), "region": "", "disability": ""}
            for _ in range(N_PEOPLE)])
        codes = [p["code"] for p in cp.participants(store, pre)]
        # participants need no login: a second, anonymous client
        with TestClient(client.app, base_url="https://testserver") as people:
            for k, code in enumerate(codes):
                answer_as(people, "web-pre", code, true_traits(k, 21, (0,) * 5),
                          np.random.default_rng([21, k, 1]))
                answer_as(people, "web-post", code, true_traits(k, 21, SHIFT),
                          np.random.default_rng([21, k, 2]), lang="ru" if k % 2 else "en")
        yield ws, client


def test_web_report_recovers_the_planted_improvement(
        web_campaigns: tuple[Path, TestClient]) -> None:
    _, client = web_campaigns
    page = client.get("/skills/campaigns/web-post/change")
    assert page.status_code == 200
    assert "Before and after" in page.text and "not a random sample" in page.text
    text = client.get("/skills/campaigns/web-post/change.csv").text
    rows = {r["score"]: r for r in csv.DictReader(io.StringIO(text))}
    planted = {"overall": float(np.mean(SHIFT)),
               **{f"area{a}": s for a, s in zip(range(1, 6), SHIFT, strict=True)}}
    for score, truth in planted.items():
        r = rows[score]
        assert int(r["n"]) == N_PEOPLE
        lo, hi = float(r["ci_low"]), float(r["ci_high"])
        # 95 % for the overall score; the areas' 95 % intervals widened to 99 % (x 2.576 /
        # 1.965): Bonferroni over the five areas
        if score != "overall":
            mid, half = float(r["mean_change"]), (hi - lo) / 2 * 2.576 / 1.965
            lo, hi = mid - half, mid + half
        assert lo <= truth <= hi, (score, truth, r)
        assert f"{float(r['mean_change']):.2f}" in page.text
    # results by group on the campaign page, and the progress API
    results_page = client.get("/skills/campaigns/web-post")
    assert "Results by group" in results_page.text and "Age group: 75+" in results_page.text
    p = next(x for x in client.get("/api/v1/skills/campaigns").json()["campaigns"]
             if x["campaign"] == "web-post")
    assert p["finished"] == N_PEOPLE == p["codes"] and p["in_progress"] == 0


def test_campaign_tests_stay_out_of_the_public_aggregate(
        web_campaigns: tuple[Path, TestClient]) -> None:
    _, client = web_campaigns
    # 1000 campaign tests are stored, none of them a public test
    with client.app.state.store.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM skills_results").fetchone()[0] >= 2 * N_PEOPLE
    rows = client.get("/api/v1/skills/results").json()["rows"]
    assert not [r for r in rows if r["variable"] == "all" and r["n"]]


def test_organiser_pages_need_the_analyst_role(web_campaigns: tuple[Path, TestClient]) -> None:
    _, client = web_campaigns
    with TestClient(client.app, base_url="https://testserver") as anonymous:
        for path in ("/skills/campaigns", "/skills/campaigns/web-post",
                     "/skills/campaigns/web-post/proctor", "/skills/campaigns/web-post/change",
                     "/skills/campaigns/web-post/codes.csv", "/api/v1/skills/campaigns"):
            assert anonymous.get(path, follow_redirects=False).status_code in (401, 303), path
        # participants need no login, but a wrong code starts nothing
        join = anonymous.get("/skills/join/web-pre")
        r = anonymous.post("/skills/join/web-pre", data={
            "csrf_token": csrf_of(join.text), "code": "AAAA-AAAA", "lang": "en"})
        assert r.status_code == 422 and "not one of this campaign" in r.text


def test_form_errors_are_one_line(web_campaigns: tuple[Path, TestClient]) -> None:
    _, client = web_campaigns
    r = create(client, campaign_id="web-pre", name="Again")
    assert r.status_code == 422 and "exists already" in r.text
    r = create(client, campaign_id="late", name="Late", opens="2026-05-01", closes="2026-04-01")
    assert r.status_code == 422 and "is before the opening" in r.text


def test_proctor_opens_and_closes_sessions(web_campaigns: tuple[Path, TestClient]) -> None:
    _, client = web_campaigns
    assert create(client, campaign_id="exam", name="Exam", proctored="yes").status_code == 303
    store = client.app.state.store
    c = cp.load_campaign(store, "exam")
    code, late = cp.add_participants(store, c, [{}, {}])
    with TestClient(client.app, base_url="https://testserver") as person:
        def join(who: str) -> Any:
            page = person.get(f"/skills/join/exam?code={who}")
            return person.post("/skills/join/exam", data={
                "csrf_token": csrf_of(page.text), "code": who, "lang": "en"},
                follow_redirects=False)

        r = join(code)
        assert r.status_code == 403 and "proctor opens the session" in r.text
        page = client.get("/skills/campaigns/exam/proctor")
        assert "No session yet." in page.text
        client.post("/skills/campaigns/exam/sessions", data={
            "csrf_token": csrf_of(page.text), "label": "Room 2, 10:00"})
        page = client.get("/skills/campaigns/exam/proctor")
        assert "Room 2, 10:00" in page.text and "open" in page.text
        r = join(code)
        assert r.status_code == 303
        url = r.headers["location"]
        q = person.get(url)
        item = re.search(r'name="item" value="([^"]+)"', q.text)[1]  # type: ignore[index]
        # the proctor closes the session: the running test cannot go on, nobody can start
        client.post("/skills/campaigns/exam/sessions/1/close",
                    data={"csrf_token": csrf_of(page.text)})
        r = person.post(url, data={"csrf_token": csrf_of(q.text), "item": item,
                                   "choice": "dont_know"})
        assert r.status_code == 403 and "closed this session" in r.text
        assert join(late).status_code == 403
    status = next(x for x in client.get("/api/v1/skills/campaigns").json()["campaigns"]
                  if x["campaign"] == "exam")
    assert status == {"campaign": "exam", "codes": 2, "started": 1, "finished": 0,
                      "in_progress": 1, "open_sessions": []}


@pytest.mark.parametrize("lang", ["ru", "be"])
def test_campaign_pages_are_translated(web_campaigns: tuple[Path, TestClient],
                                       lang: str) -> None:
    from tests.i18n.conftest import untranslated

    _, client = web_campaigns
    names = {"Testville", "Library course, before", "Library course, after", "Pensioners",
             "Exam", "exam", "web-pre", "web-post", "testserver", "https", "d", "z", "CSV"}
    for path in ("/skills/campaigns", "/skills/campaigns/web-post",
                 "/skills/campaigns/web-pre/proctor", "/skills/campaigns/web-post/change",
                 "/skills/join/web-pre"):
        html = client.get(f"{path}?lang={lang}").text
        main = html.split("<main", 1)[1].split("</main>", 1)[0]  # the page, not the nav
        assert untranslated("<main" + main + "</main>", lang, names) == [], (path, lang)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium")
def test_campaign_walk_through_in_chromium(web_campaigns: tuple[Path, TestClient],
                                           browser_page: object, artifacts_dir: Path) -> None:
    """The organiser's pages and one participant's test in a real browser, each page without
    an axe-core WCAG 2.2 A/AA violation."""
    ws, client = web_campaigns
    store = client.app.state.store
    c = cp.load_campaign(store, "web-pre")
    code, = cp.add_participants(store, c, [{"age_group": "65-74", "sex": "F",
                                            "region": "", "disability": ""}])
    client.app.state.store.close()  # the server process opens the file (the last test here)
    page: Any = browser_page
    server = serve_workspace(ws)
    url = next(server)
    try:
        page.goto(f"{url}/skills/join/web-pre?code={code}", wait_until="load")
        no_axe_violations(page)
        assert page.input_value("#code") == code
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        n = 0
        while page.locator("input[name=choice]").count():
            n += 1
            assert n <= 15
            page.locator("input[name=choice]").first.check()
            with page.expect_navigation():
                page.click("main form button[type=submit]")
        assert "/skills/result/DS-" in page.url  # no optional questions: the code has them
        no_axe_violations(page)
        page.goto(url + "/login", wait_until="load")
        page.fill("#username", "org")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        for path, shot in (("/skills/campaigns", "campaigns"),
                           ("/skills/campaigns/web-pre", "campaign"),
                           ("/skills/campaigns/web-pre/proctor", "proctor"),
                           ("/skills/campaigns/web-post/change", "change")):
            page.goto(url + path, wait_until="load")
            page.screenshot(path=str(artifacts_dir / f"skills-{shot}.png"), full_page=True)
            no_axe_violations(page)
        assert page.locator("td.change").count() == 6
        page.goto(url + "/skills/campaigns/web-pre", wait_until="load")
        assert page.locator("[data-count=finished]").inner_text() == str(N_PEOPLE + 1)
    finally:
        server.close()
    assert page.problems == []
