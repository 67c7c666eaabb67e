"""The compliance report in process: per organisation over two scans, worst services, fix first,
CSV and JSON exports, alerts; sign-in required."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.cyber import alerts
from ssckit.cyber.baseline import load_profile
from ssckit.cyber.model import Finding, ServiceResult, Status
from ssckit.cyber.scan import Scan
from ssckit.cyber.store import save_scan
from ssckit.web.app import create_app

PASSWORD = "correct horse battery staple"


def _f(check: str, ok: bool, **evidence) -> Finding:
    return Finding(check, "headers", Status.PASS if ok else Status.FAIL, f"{check} detail",
                   "", "" if ok else f"fix {check}", "ref", evidence)


def _svc(name: str, org: str, hsts: bool, csp: bool) -> ServiceResult:
    return ServiceResult(name, f"https://{name}.city.test/", findings=[
        _f("headers.hsts", hsts, max_age=31536000 if hsts else 0),
        _f("headers.csp", csp, **({"value": "default-src 'self'"} if csp else {}))],
        organisation=org)


@pytest.fixture
def client(workspace: Path) -> Iterator[TestClient]:
    ws = Workspace.load(workspace)
    t0 = datetime(2026, 1, 5, 8, 0)
    first = Scan(t0, t0, [_svc("portal", "Ministry A", True, True),
                          _svc("tax", "Ministry A", False, True),
                          _svc("library", "City B", True, True)], "t.yaml")
    second = Scan(t0 + timedelta(days=1), t0 + timedelta(days=1),
                  [_svc("portal", "Ministry A", True, True),
                   _svc("tax", "Ministry A", False, False),
                   _svc("library", "City B", False, True)], "t.yaml")
    with Store.open(ws.store_path) as store:
        save_scan(store, first)
        save_scan(store, second)
        alerts.record(store, alerts.detect(first, second, load_profile("national-baseline")))
        auth.add_user(store, "vic", "viewer", PASSWORD)
    with TestClient(create_app(workspace), base_url="https://testserver") as c:
        yield c


def _login(client: TestClient, name: str) -> None:
    html = client.get("/login").text
    csrf = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post("/login", follow_redirects=False,
                    data={"username": name, "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 303, r.text


def test_sign_in_required(client: TestClient):
    assert client.get("/cyber/compliance", follow_redirects=False).status_code == 303
    for path in ("/api/v1/cyber/compliance", "/api/v1/cyber/compliance.csv",
                 "/api/v1/cyber/alerts"):
        assert client.get(path).status_code == 401


def test_compliance_json(client: TestClient):
    _login(client, "vic")
    data = client.get("/api/v1/cyber/compliance").json()
    orgs = {o["organisation"]: o for o in data["organisations"]}
    # Two requirements judged per service (hsts-one-year, csp-present); the others n/a.
    assert orgs["Ministry A"]["share"] == 50.0 and orgs["Ministry A"]["compliant_services"] == 1
    assert orgs["City B"]["share"] == 50.0 and orgs["City B"]["compliant_services"] == 0
    assert data["overall"]["share"] == 50.0
    hist = {(h["scan_id"][:8], h["organisation"]): h["share"] for h in data["history"]}
    assert hist[("20260105", "City B")] == 100.0 and hist[("20260106", "City B")] == 50.0
    assert data["worst_services"][0]["service"] == "tax"
    assert [f["requirement"] for f in data["fix_first"]] == ["hsts-one-year", "csp-present"]
    assert data["fix_first"][0]["services"] == ["library", "tax"]


def test_compliance_csv_exports(client: TestClient):
    _login(client, "vic")
    r = client.get("/api/v1/cyber/compliance.csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 6  # two scans x (two organisations + all)
    r = client.get("/api/v1/cyber/compliance.csv?table=services")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {(x["service"], x["requirement"]) for x in rows if x["status"] == "fail"} == {
        ("tax", "hsts-one-year"), ("tax", "csp-present"), ("library", "hsts-one-year")}
    assert client.get("/api/v1/cyber/compliance.csv?table=nope").status_code == 422


def test_compliance_page(client: TestClient):
    _login(client, "vic")
    html = client.get("/cyber/compliance").text
    assert "National baseline for public web and mail services" in html
    assert 'id="compliance-history"' in html and 'role="img"' in html
    assert "Requirements met [%] per scan and organisation" in html  # table alternative
    assert "What to fix first" in html and "HSTS with max-age of at least one year" in html
    assert "library:" in html and "Recent alerts" in html  # the alert of the second scan
    assert "/api/v1/cyber/compliance.csv?table=history" in html


def test_bad_baseline_is_one_line_on_the_page(client: TestClient, workspace: Path):
    cfg = yaml.safe_load((workspace / "city.yaml").read_text())
    cfg["settings"] = {"cyber": {"baseline": "missing.yaml"}}
    (workspace / "city.yaml").write_text(yaml.safe_dump(cfg))
    client.app.state.workspace = Workspace.load(workspace)  # type: ignore[attr-defined]
    _login(client, "vic")
    r = client.get("/cyber/compliance")
    assert r.status_code == 200 and "The baseline cannot be read" in r.text
    assert client.get("/api/v1/cyber/compliance").status_code == 422
