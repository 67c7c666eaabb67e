"""The access pages: stored audits of a local site with known defects, and caption review.

Two real audits (axe-core in Chromium) of a private copy of the test site are stored in a copy
of the sample city: between them one defect is fixed and another one added, so the pages can
show what got better and worse.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from ssckit.access.audit import AuditSettings, SiteAudit, audit_sites
from ssckit.access.history import save_audit
from ssckit.access.indicators import audit_values
from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.web.app import create_app

from .conftest import SITE, needs_chromium, serve

PASSWORD = "correct horse battery staple"
CUES = {"language": "en", "cues": [
    {"start": 0.0, "end": 2.0, "text": "Good evening and wellcome\nto the council meeting."},
    {"start": 2.5, "end": 4.2, "text": "First item: the new libary."},
    {"start": 5.0, "end": 6.5, "text": "Any questions?"},
]}


@dataclass
class Audited:
    root: Path
    site: str
    first: SiteAudit
    second: SiteAudit
    first_id: int


@pytest.fixture(scope="module")
def audited(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audited]:
    """The sample city with two stored audits of the defective site (see the module doc)."""
    tmp = tmp_path_factory.mktemp("access-web")
    root = tmp / "sample-city"
    shutil.copytree(demo_workspace, root)
    site_root = tmp / "site"
    shutil.copytree(SITE, site_root)
    shots = root / "outputs" / "access" / "screenshots"
    for base in serve(site_root):
        settings = AuditSettings(depth=1, max_pages=50, screenshots=shots)
        [first] = audit_sites([base + "index.html"], settings)
        (site_root / "missing-alt.html").write_text(
            (site_root / "missing-alt.html").read_text().replace(
                '<img src="logo.png"', '<img src="logo.png" alt="City logo"'))
        (site_root / "clean.html").write_text((site_root / "clean.html").read_text().replace(
            "</main>", '<img src="logo.png" width="10" height="10"></main>'))
        [second] = audit_sites([base + "index.html"], settings)
        with Store.open(root / "ssckit.duckdb") as store:
            ids = []
            for audit in (first, second):
                ids.append(save_audit(store, audit))
                store.write_values(audit_values(audit))
            for name, role in (("vic", "viewer"), ("ana", "analyst")):
                auth.add_user(store, name, role, PASSWORD)
        yield Audited(root, first.site, first, second, ids[0])


@pytest.fixture
def client(audited: Audited) -> Iterator[TestClient]:
    with TestClient(create_app(audited.root), base_url="https://testserver") as c:
        yield c


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _login(client: TestClient, name: str) -> None:
    r = client.post("/login", follow_redirects=False, data={
        "username": name, "password": PASSWORD, "csrf_token": _csrf(client.get("/login").text)})
    assert r.status_code == 303, r.text


# -- audits ---------------------------------------------------------------------------------------
@needs_chromium
@pytest.mark.browser
def test_access_page_shows_latest_audit(client: TestClient, audited: Audited) -> None:
    r = client.get("/access")
    assert r.status_code == 200
    html = r.text
    assert '<a href="/access" aria-current="page">Accessibility</a>' in html
    assert f">{audited.site}</h2>" in html
    assert f"{audited.second.score:.1f}" in html
    # violations by impact, with their rules, WCAG criteria and failing elements
    for text in ("Images must have alternative text", "image-alt", "1.1.1",
                 "Form elements must have labels", "4.1.2", "color-contrast", "1.4.3",
                 "html-has-lang", "3.1.1", "&lt;img src=&#34;logo.png&#34;"):
        assert text in html, text
    critical = html.split('<th scope="row">Critical</th>', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">2</td>' in critical  # image-alt and label
    # checks to review are listed apart from the violations
    review = html.split("Needs review by a person", 1)[1].split("Changes since", 1)[0]
    assert "Text on a picture" in review
    # what changed: the alt text was fixed on one page, a new image without it on another
    changes = html.split("Changes since the previous audit", 1)[1].split("<h3", 1)[0]
    worse, better = changes.split("<h4>Better</h4>", 1)
    assert "New violation <code>image-alt</code>" in worse and "clean.html" in worse
    assert "Fixed <code>image-alt</code>" in better and "missing-alt.html" in better
    # every audited page is listed with a link to its details
    for page in audited.second.pages:
        assert f'href="/access/page?url={quote(page.url, safe="/")}"' in html, page.url


@needs_chromium
@pytest.mark.browser
def test_page_drill_down(client: TestClient, audited: Audited) -> None:
    url = audited.site + "/contrast.html"
    r = client.get("/access/page", params={"url": url})
    assert r.status_code == 200
    html = r.text
    assert "<h1>Low contrast" in html
    assert "Elements must meet minimum color contrast ratio thresholds" in html
    assert "serious" in html and "1.4.3" in html
    stored = next(p for p in audited.second.pages if p.url == url)
    for node in stored.violations[0].nodes:
        assert node.target in html
    # the screenshot with the failing elements outlined comes from the workspace outputs
    src = html.split('<img src="', 1)[1].split('"', 1)[0]
    assert src.startswith("/access/screenshots/")
    shot = client.get(src)
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
    assert shot.content.startswith(b"\x89PNG")
    # the page whose defect is new says so
    r = client.get("/access/page", params={"url": audited.site + "/clean.html"})
    assert "Worse: new violation <code>image-alt</code>" in r.text
    # an older audit can be shown too, and says it is not the latest
    # (the sample city's own audits, from its pipeline step, come before these two)
    r = client.get("/access/page", params={"url": audited.site + "/missing-alt.html",
                                           "audit": audited.first_id})
    assert r.status_code == 200 and "not the latest one" in r.text
    assert "Images must have alternative text" in r.text


@needs_chromium
@pytest.mark.browser
def test_unknown_page_and_bad_screenshot_names(client: TestClient, audited: Audited) -> None:
    assert client.get("/access/page", params={"url": "https://nowhere.example/"}
                      ).status_code == 404
    assert client.get("/access/page").status_code == 422
    for name in ("..%2Fssckit.duckdb", "nothing.png", "%2E%2E%2F%2E%2E%2Fcity.yaml"):
        assert client.get(f"/access/screenshots/{name}").status_code == 404, name


@needs_chromium
@pytest.mark.browser
def test_api_latest_audits(client: TestClient, audited: Audited) -> None:
    r = client.get("/api/v1/access/audits/latest")
    assert r.status_code == 200
    # the sample city's own sites (audited by its pipeline step) are listed too
    [site] = [s for s in r.json()["sites"] if s["site"] == audited.site]
    assert site["score"] == pytest.approx(audited.second.score)
    assert site["violations"] == audited.second.violation_count
    got = {p["url"]: [(f["rule"], f["impact"], f["criteria"]) for f in p["violations"]]
           for p in site["pages"]}
    want = {p.url: [(f.rule, f.impact, list(f.criteria)) for f in p.violations]
            for p in audited.second.pages}
    assert got == want
    assert got[audited.site + "/clean.html"] == [("image-alt", "critical", ["1.1.1"])]
    contrast = next(p for p in site["pages"] if p["url"].endswith("/contrast.html"))
    assert contrast["violations"][0]["nodes"][0]["target"]
    assert contrast["screenshot"].startswith("/access/screenshots/")
    review = next(p for p in site["pages"] if p["url"].endswith("/review.html"))
    assert "color-contrast" in [f["rule"] for f in review["incomplete"]]
    changes = site["changes"]
    assert [audited.site + "/missing-alt.html", "image-alt"] in changes["fixed"]
    assert [audited.site + "/clean.html", "image-alt"] in changes["new"]
    assert client.get("/api/v1/access/audits/latest",
                      params={"site": "https://nowhere.example"}).json() == {"sites": []}


# -- captions -----------------------------------------------------------------------------------
@pytest.fixture
def captions(tmp_path: Path, demo_workspace: Path) -> Iterator[tuple[TestClient, Path]]:
    """The sample city with a caption job (a tiny cues JSON with typos) and users."""
    root = tmp_path / "sample-city"
    shutil.copytree(demo_workspace, root)
    folder = root / "outputs" / "access" / "captions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "council.cues.json").write_text(json.dumps(CUES), encoding="utf-8")
    (folder / "council.vtt").write_text("WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\nold\n")
    (folder / "notes.txt").write_text("not a caption file")
    with TestClient(create_app(root), base_url="https://testserver") as c:
        store = c.app.state.store  # type: ignore[attr-defined]
        for name, role in (("vic", "viewer"), ("ana", "analyst")):
            auth.add_user(store, name, role, PASSWORD)
        yield c, folder


def _form(html: str) -> tuple[str, str, list[str]]:
    digest = html.split('name="digest" value="', 1)[1].split('"', 1)[0]
    texts = [t.split(">", 1)[1].split("</textarea>", 1)[0]
             for t in html.split("<textarea")[1:]]
    return _csrf(html), digest, texts


def test_captions_list(captions: tuple[TestClient, Path]) -> None:
    client, _ = captions
    r = client.get("/access/captions")
    assert r.status_code == 200
    html = r.text
    assert '<th scope="row">council</th>' in html
    assert 'href="/access/captions/files/council.vtt"' in html
    assert 'href="/access/captions/files/council.cues.json"' in html
    assert "notes.txt" not in html
    assert 'href="/access/captions/council"' not in html  # review link only for analysts
    assert client.get("/api/v1/access/captions").json()["jobs"][0]["cues"] == 3
    d = client.get("/access/captions/files/council.vtt")
    assert d.status_code == 200 and d.headers["content-type"].startswith("text/vtt")
    assert "attachment" in d.headers["content-disposition"]
    for bad in ("notes.txt", "..%2Fcaptions%2Fcouncil.vtt", "missing.vtt"):
        assert client.get(f"/access/captions/files/{bad}").status_code == 404, bad


def test_captions_review_corrects_and_reexports(captions: tuple[TestClient, Path]) -> None:
    client, folder = captions
    _login(client, "ana")
    assert 'href="/access/captions/council"' in client.get("/access/captions").text
    r = client.get("/access/captions/council")
    assert r.status_code == 200
    csrf, digest, texts = _form(r.text)
    assert texts == ["Good evening and wellcome\nto the council meeting.",
                     "First item: the new libary.", "Any questions?"]
    assert '<label for="cue-2">Text of cue 2</label>' in r.text
    texts[0] = texts[0].replace("wellcome", "welcome")
    texts[1] = "First item: the new library."
    r = client.post("/access/captions/council", follow_redirects=False,
                    data={"csrf_token": csrf, "digest": digest, "text": texts})
    assert r.status_code == 303
    assert r.headers["location"] == "/access/captions/council?saved=3"
    page = client.get(r.headers["location"])
    assert "Saved 3 cues" in page.text and 'role="status"' in page.text
    vtt = (folder / "council.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\nLanguage: en\n")
    assert "00:00:02.500 --> 00:00:04.200\nFirst item: the new library." in vtt
    assert "Good evening and welcome" in " ".join(vtt.split())
    assert "libary" not in vtt and "wellcome" not in vtt
    srt = (folder / "council.srt").read_text(encoding="utf-8")
    assert "00:00:02,500 --> 00:00:04,200\nFirst item: the new library." in srt
    saved = json.loads((folder / "council.cues.json").read_text(encoding="utf-8"))
    assert saved["cues"][1] == {"start": 2.5, "end": 4.2, "text": "First item: the new library."}
    # the downloads are the corrected files
    assert "new library" in client.get("/access/captions/files/council.srt").text
    # the form now shows the corrected text
    assert _form(page.text)[2][1] == "First item: the new library."


def test_captions_refusals(captions: tuple[TestClient, Path]) -> None:
    client, folder = captions
    before = (folder / "council.cues.json").read_text(encoding="utf-8")
    data = {"text": ["a", "b", "c"], "digest": "x", "csrf_token": "x"}
    # anonymous: no form, and a POST is refused
    r = client.get("/access/captions/council", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.post("/access/captions/council", data=data).status_code == 401
    # a viewer may not correct
    _login(client, "vic")
    assert client.get("/access/captions/council").status_code == 403
    assert client.post("/access/captions/council", data=data).status_code == 403
    client.cookies.clear()
    _login(client, "ana")
    csrf, digest, texts = _form(client.get("/access/captions/council").text)
    # no or a wrong CSRF token
    assert client.post("/access/captions/council",
                       data={"text": texts, "digest": digest}).status_code == 403
    assert client.post("/access/captions/council", data={
        "text": texts, "digest": digest, "csrf_token": "forged"}).status_code == 403
    # a form for another number of cues, or one loaded before the file changed
    r = client.post("/access/captions/council",
                    data={"text": texts[:2], "digest": digest, "csrf_token": csrf})
    assert r.status_code == 422 and "2 cue texts for 3 cues" in r.text
    r = client.post("/access/captions/council",
                    data={"text": texts, "digest": "0" * 16, "csrf_token": csrf})
    assert r.status_code == 409
    assert (folder / "council.cues.json").read_text(encoding="utf-8") == before
    assert client.get("/access/captions/nothing-here").status_code == 404
