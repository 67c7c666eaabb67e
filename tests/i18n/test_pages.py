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

from .conftest import untranslated

PASSWORD = "a long enough password for tests"
#: Pages whose templates and texts are in the catalogues, and who may see them.
TRANSLATED = {
    "/": None, "/login": None, "/kpi/scorecard": None, "/kpi/EC:ICT:ICT:1C": None,
    "/emf": None, "/skills": None, "/skills/test": None, "/no-such-page": None,
    "/school": None, "/school/SCH01": None, "/school/evaluation": None, "/school/national": None,
    "/kpi/review": "admin",
    "/cyber": "admin", "/cyber/assessment": "admin", "/cyber/compliance": "admin",
    "/access": None, "/access/captions": None, "/radio": None,
    "/access/page?url=http%3A//www.riverbend.test/index.html": None,
    "/account": "admin", "/admin/users": "admin", "/kpi/import": "admin",
}
#: Pages of the public (the audit of tests/i18n/test_audit_languages.py loads them in
#: Belarusian without signing in).
PUBLIC = ("/", "/emf", "/skills", "/skills/test", "/school", "/school/SCH01", "/login",
          "/kpi/scorecard", "/kpi/EC:ICT:ICT:1C", "/radio", "/access", "/access/captions",
          "/access/page?url=http%3A//www.riverbend.test/index.html")


@pytest.fixture(scope="module")
def client(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("i18n") / "city"
    shutil.copytree(demo_workspace, root)
    with Store.open(Workspace.load(root).store_path) as store:
        auth.add_user(store, "ada", "admin", PASSWORD)
    with TestClient(create_app(root), base_url="https://testserver") as c:
        yield c


def _names(client: TestClient) -> set[str]:
    """Proper names of the sample city's data: the city, its districts, sites and schools."""
    ws = client.app.state.workspace  # type: ignore[attr-defined]
    names = {ws.config.name, ws.config.country, "ada"}  # and the user of the tests
    # The city's own records, written in the city's language: limit sets and accessible places.
    for rule in (ws.config.settings.get("emf") or {}).get("limit_sets", []):
        names |= {rule["name"], f"({rule.get('source', '')}).", rule.get("source", "")} - {""}
    # Every CSV input's names (sites, schools, accessible places) and the scanned services.
    for module in ("emf", "radio", "school"):
        for rel in (ws.config.inputs.get(module) or {}).values():
            if rel.endswith(".csv"):
                with ws.path(rel).open(encoding="utf-8") as fh:
                    for row in csv.DictReader(fh):
                        names |= {v for k, v in row.items() if k in ("name", "place") and v}
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
