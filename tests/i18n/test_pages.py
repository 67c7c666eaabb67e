"""Every page of the sample city in Russian and in Belarusian: no text a reader sees may stay
English (numbers, units, codes and proper names aside)."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.web.app import create_app

from .conftest import russian_as_belarusian, untranslated

PASSWORD = "a long enough password for tests"
#: Pages whose templates and texts are in the catalogues, and who may see them.
TRANSLATED = {
    "/": None, "/login": None, "/kpi/scorecard": None, "/kpi/EC:ICT:ICT:1C": None,
    "/kpi/scorecard?verified=true": None,
    "/emf": None, "/skills": None, "/skills/test": None, "/no-such-page": None,
    "/skills/tasks": None, "/skills/tasks/phishing-inbox": None,
    "/school": None, "/school/SCH01": None, "/school/evaluation": None, "/school/national": None,
    "/kpi/review": "admin",
    "/cyber": "admin", "/cyber/assessment": "admin", "/cyber/compliance": "admin",
    "/access": None, "/access/captions": None, "/radio": None,
    "/access/page?url=http%3A//www.riverbend.test/index.html": None,
    "/access/review": "admin",
    "/access/review/page?url=http%3A//www.riverbend.test/index.html": "admin",
    "/access/statement?site=http%3A//www.riverbend.test": None,
    "/emf/request": None, "/emf/requests": "admin", "/emf/tradeoff": "admin",
    "/account": "admin", "/admin/users": "admin", "/kpi/import": "admin",
    "/kpi/review/EC:ICT:ICT:1C": "admin",
}
REVIEWED = "EC:ICT:ICT:1C"
#: What the verifier typed: shown as typed in every language.
TYPED = "совпадает с таблицей 3 обследования"
#: Pages of the public (the audit of tests/i18n/test_audit_languages.py loads them in
#: Belarusian without signing in).
PUBLIC = ("/", "/emf", "/emf/request", "/skills", "/skills/test", "/school", "/school/SCH01",
          "/login", "/kpi/scorecard", "/kpi/EC:ICT:ICT:1C", "/radio", "/access",
          "/access/captions", "/access/page?url=http%3A//www.riverbend.test/index.html")


@pytest.fixture(scope="module")
def client(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("i18n") / "city"
    shutil.copytree(demo_workspace, root)
    ws = Workspace.load(root)
    with Store.open(ws.store_path) as store:
        auth.add_user(store, "ada", "admin", PASSWORD)
        _review_workflow(ws, store)
    with TestClient(create_app(root), base_url="https://testserver") as c:
        yield c


def _review_workflow(ws: Workspace, store: Store) -> None:
    """An audit log with every kind of line ssckit writes: a value imported from a file, a web
    page read on a date, a submission, a verification with a typed comment, and a new value that
    makes the verified one a draft again."""
    from datetime import date

    from ssckit.kpi.catalogue import load_catalogue
    from ssckit.kpi.io import read_values_csv
    from ssckit.kpi.records import record_manual_values
    from ssckit.kpi.review import add_evidence_url, decide, reset_changed_reviews, submit
    from ssckit.kpi.scorecard import city_choices
    from ssckit.kpi.settings import kpi_settings

    ana = auth.add_user(store, "ana", "analyst", PASSWORD)
    vera = auth.add_user(store, "vera", "verifier", PASSWORD)
    year = str(ws.config.year)

    def choices() -> dict:
        return city_choices(store, year, kpi_settings(ws).precedence)

    for i, value in enumerate(("77.25", "78.5")):
        f = ws.root / f"ict-{i}.csv"
        f.write_text("code,value,unit,period,source,quality\n"
                     f"{REVIEWED},{value},%,{year},Обследование домохозяйств,A\n",
                     encoding="utf-8")
        record_manual_values(store, read_values_csv(f, load_catalogue(), year), "import",
                             "ana")
        reset_changed_reviews(store, choices())
        if i == 0:
            key = (REVIEWED, "city", year)
            add_evidence_url(store, key, "https://stat.example/ict", date(2026, 11, 30), ana)
            submit(store, REVIEWED, choices()[REVIEWED], ana, "таблица 3")
            decide(store, REVIEWED, choices()[REVIEWED], vera, "verified", TYPED)


def _names(client: TestClient) -> set[str]:
    """Proper names of the sample city's data: the city, its districts, sites and schools."""
    ws = client.app.state.workspace  # type: ignore[attr-defined]
    names = {ws.config.name, ws.config.country, "ada", "ana", "vera"}  # and the tests' users
    # The city's own records, written in the city's language: limit sets and accessible places.
    for rule in (ws.config.settings.get("emf") or {}).get("limit_sets", []):
        names |= {rule["name"], f"({rule.get('source', '')}).", rule.get("source", "")} - {""}
    # Every CSV input's names (sites, schools, accessible places), the references of EMF
    # measurement requests received by post, and the scanned services.
    for module in ("emf", "radio", "school"):
        for rel in (ws.config.inputs.get(module) or {}).values():
            if rel.endswith(".csv"):
                with ws.path(rel).open(encoding="utf-8") as fh:
                    for row in csv.DictReader(fh):
                        names |= {v for k, v in row.items()
                                  if k in ("name", "place", "reference") and v}
    targets = (ws.config.inputs.get("cyber") or {}).get("targets")
    if targets:
        import yaml

        doc = yaml.safe_load(ws.path(targets).read_text(encoding="utf-8"))
        names |= {s["name"] for s in doc.get("services", [])}
    # Titles of the web pages the access step audited: the audited sites' own words.
    audits = client.get("/api/v1/access/audits/latest").json()
    names |= {p["title"] for a in audits["sites"] for p in a["pages"] if p["title"]}
    # ... and the titles of the PDF documents those pages link to (the documents' own words)
    cur = client.app.state.store.cursor()  # type: ignore[attr-defined]
    names |= {t for (t,) in cur.execute(
        "SELECT DISTINCT title FROM access_documents WHERE title <> ''").fetchall()}
    if ws.config.districts:
        gj = json.loads(ws.path(ws.config.districts).read_text(encoding="utf-8"))
        names |= {f["properties"]["name"] for f in gj["features"]}
    return names


def _get(client: TestClient, path: str, lang: str, role: str | None) -> str:
    client.cookies.clear()
    if role:
        csrf = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"')[0]
        r = client.post("/login", data={"username": "ada", "password": PASSWORD,
                                        "csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303
    sep = "&" if "?" in path else "?"
    r = client.get(f"{path}{sep}lang={lang}")
    assert r.status_code in (200, 404), (path, r.status_code)
    assert f'<html lang="{lang}">' in r.text
    return r.text


@pytest.mark.parametrize("path", sorted(TRANSLATED))
def test_page_in_russian(client: TestClient, path: str) -> None:
    html = _get(client, path, "ru", TRANSLATED[path])
    left = untranslated(html, "ru", _names(client))
    assert not left, f"{path}: texts without a Russian translation:\n" + "\n".join(left)


@pytest.mark.parametrize("path", sorted(TRANSLATED))
def test_page_in_belarusian(client: TestClient, path: str) -> None:
    html = _get(client, path, "be", TRANSLATED[path])
    left = untranslated(html, "be", _names(client))
    assert not left, f"{path}: texts without a Belarusian translation:\n" + "\n".join(left)
    # what people typed in Russian (a value's source, a submission's note) stays as typed
    typed = {TYPED, "Обследование домохозяйств", "таблица 3"}
    russian = russian_as_belarusian(html, _names(client) | typed)
    assert not russian, f"{path}: Russian texts not marked lang=\"ru\":\n" + "\n".join(russian)


def test_emf_point_answer_in_belarusian(client: TestClient) -> None:
    html = _get(client, "/emf", "be", None)
    point = re.search(r'href="(/[^"]*)"', html)
    assert point
    ws = client.app.state.workspace  # type: ignore[attr-defined]
    from pyproj import Transformer
    from shapely.geometry import shape

    gj = json.loads(ws.path(ws.config.boundary).read_text(encoding="utf-8"))
    c = shape(gj["features"][0]["geometry"]).centroid
    lon, lat = Transformer.from_crs(ws.config.crs, "EPSG:4326", always_xy=True).transform(c.x, c.y)
    r = client.get(f"/emf?lat={lat}&lon={lon}&lang=be")
    assert r.status_code == 200
    assert "Тут " in r.text and "ад мяжы" in r.text  # the plain-language answer
    assert not untranslated(r.text, "be", _names(client))
    api = client.get(f"/api/v1/emf/point?lat={lat}&lon={lon}",
                     headers={"Accept-Language": "be"}).json()
    assert api["summary"].startswith("Тут ") if "summary" in api else True


def _audit_rows(html: str) -> list[list[str]]:
    """The cells of the review page's audit table (When, Who, What, Old, New, Comment)."""
    body = html.split('id="audit-caption"', 1)[1].split("</tbody>", 1)[0]
    return [[" ".join(re.sub(r"<[^>]+>", "", c).split()) for c in re.findall(
        r"<td>(.*?)</td>", row, re.S)] for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        if "<td>" in row]


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["imported: ict-0.csv, line 2, Обследование домохозяйств",
            "read on 2026-11-30", "manual value 77.25: таблица 3", f"manual value 77.25: {TYPED}",
            "new manual value 77.25 → 78.5"]),
    ("ru", ["импортировано: ict-0.csv, строка 2, Обследование домохозяйств",
            "дата обращения: 30 ноября 2026 г.", "введённое вручную значение 77,25: таблица 3",
            f"введённое вручную значение 77,25: {TYPED}",
            "новое введённое вручную значение: 77,25 → 78,5"]),
    ("be", ["імпартавана: ict-0.csv, радок 2, Обследование домохозяйств",
            "дата звароту: 30 лістапада 2026 г.", "уведзенае ўручную значэнне 77,25: таблица 3",
            f"уведзенае ўручную значэнне 77,25: {TYPED}",
            "новае ўведзенае ўручную значэнне: 77,25 → 78,5"]),
])
def test_audit_log_comments_in_the_readers_language(client: TestClient, lang: str,
                                                    expected: list[str]) -> None:
    """What ssckit wrote in the audit log is translated; what people typed stays as typed."""
    rows = _audit_rows(_get(client, f"/kpi/review/{REVIEWED}", lang, "admin"))
    comments = [r[5].replace("\u202f", " ").replace("\u00a0", " ") for r in rows]
    for text in expected:
        assert any(c.endswith(text) for c in comments), (text, comments)
    statuses = {(r[3], r[4]) for r in rows if r[2] in ("status", "статус")}
    draft, submitted, verified = {"en": ("draft", "submitted", "verified"),
                                  "ru": ("черновик", "подано", "подтверждено"),
                                  "be": ("чарнавік", "падана", "пацверджана")}[lang]
    assert (draft, submitted) in statuses and (verified, draft) in statuses


@pytest.mark.parametrize("lang", ["ru", "be"])
def test_axe_check_messages_of_the_sample_pages_are_translated(client: TestClient,
                                                               lang: str) -> None:
    """Every line axe-core wrote about an element of the sample city's audited pages is shown
    in the reader's language (none is left marked as English)."""
    audits = client.get("/api/v1/access/audits/latest").json()
    urls = [p["url"] for a in audits["sites"] for p in a["pages"]]
    shown = 0
    for url in urls:
        html = _get(client, f"/access/page?url={url}", lang, None)
        for cell in re.findall(r'<td class="pre-line">(.*?)</td>', html, re.S):
            assert 'lang="en"' not in cell, (url, cell)
            shown += 1
    assert shown > 0


@pytest.mark.parametrize(("lang", "expected"), [("ru", "укажите"), ("be", "укажыце")])
def test_pdf_document_problems_of_the_sample_pages_are_translated(client: TestClient, lang: str,
                                                                  expected: str) -> None:
    """What the checks of linked PDF documents found, and what to do, in the reader's language
    (none left marked as English)."""
    html = _get(client, "/access", lang, None)
    cells = [c for c in re.findall(r"<td>(.*?)</td>", html, re.S) if "<ul><li><strong>" in c]
    assert cells, "the sample city's PDF documents show no problem"
    for cell in cells:
        assert 'lang="en"' not in cell, cell
    assert any(expected in c for c in cells)


@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", "введено вручную: есть только введённое вручную значение"),
    ("be", "уведзена ўручную: ёсць толькі ўведзенае ўручную значэнне")])
def test_why_a_value_is_used_in_the_readers_language(client: TestClient, lang: str,
                                                     expected: str) -> None:
    """The review page says which value the scorecard uses and why, in the reader's words."""
    html = _get(client, f"/kpi/review/{REVIEWED}", lang, "admin")
    assert f"<dd>{expected}</dd>" in html
