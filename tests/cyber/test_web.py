"""The cyber pages and API, in process: sign-in required, grades, changes, the self-assessment;
the app's own security.txt; the sample city's cyber inputs and settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from ssckit.core import auth
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.cyber import gci, sample
from ssckit.cyber.checks.http import check_security_txt, parse_security_txt
from ssckit.cyber.indicators import compute
from ssckit.cyber.indicators import settings as cyber_settings
from ssckit.cyber.model import Finding, ServiceResult, Status
from ssckit.cyber.scan import Scan
from ssckit.cyber.securitytxt import security_txt
from ssckit.cyber.store import save_scan
from ssckit.cyber.targets import load_targets
from ssckit.web.app import create_app

PASSWORD = "correct horse battery staple"


def _finding(check: str, category: str, status: Status, code: str = "",
             remediation: str = "") -> Finding:
    return Finding(check, category, status, f"{check} detail", code, remediation, "ref")


GOOD = [
    _finding("tls.protocols", "tls", Status.PASS, "tls-good-protocols"),
    _finding("headers.csp", "headers", Status.PASS, "csp-implemented-with-no-unsafe"),
    _finding("headers.hsts", "headers", Status.PASS, "hsts-implemented-max-age-at-least-one-year"),
]
BAD = [
    _finding("tls.protocols", "tls", Status.FAIL, "tls-insufficient-protocol",
             "Disable TLS 1.0/1.1."),
    _finding("headers.csp", "headers", Status.FAIL, "csp-not-implemented",
             "Send a Content-Security-Policy."),
    _finding("headers.hsts", "headers", Status.FAIL, "hsts-not-implemented",
             "Send Strict-Transport-Security."),
]


def _scan(when: datetime, results: list[ServiceResult]) -> Scan:
    return Scan(when, when + timedelta(seconds=5), results, "targets.yaml")


def _result(name: str, findings: list[Finding], error: str | None = None) -> ServiceResult:
    return ServiceResult(name, f"https://{name}.city.test/", ["sample"], list(findings), error)


@pytest.fixture
def cyber_workspace(workspace: Path) -> Path:
    """Testville with two stored scans, a self-assessment and one user per role."""
    sample.write_answers(workspace / "answers.yaml", "Testville")
    cfg = yaml.safe_load((workspace / "city.yaml").read_text())
    cfg["inputs"] = {"cyber": {"answers": "answers.yaml"}}
    (workspace / "city.yaml").write_text(yaml.safe_dump(cfg))
    ws = Workspace.load(workspace)
    t0 = datetime(2026, 1, 5, 8, 0)
    with Store.open(ws.store_path) as store:
        save_scan(store, _scan(t0, [_result("portal", BAD), _result("intranet", BAD)]))
        save_scan(store, _scan(t0 + timedelta(days=7), [
            _result("portal", GOOD), _result("intranet", BAD),
            _result("library", [], error="library.city.test:443: connection refused")]))
        for name, role in (("vic", "viewer"), ("ada", "admin")):
            auth.add_user(store, name, role, PASSWORD)
    return workspace


@pytest.fixture
def client(cyber_workspace: Path) -> Iterator[TestClient]:
    with TestClient(create_app(cyber_workspace), base_url="https://testserver") as c:
        yield c


def _login(client: TestClient, name: str) -> None:
    html = client.get("/login").text
    csrf = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post("/login", follow_redirects=False,
                    data={"username": name, "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 303, r.text


def test_anonymous_is_sent_to_login_and_api_is_401(client: TestClient):
    for path in ("/cyber", "/cyber/assessment"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == f"/login?next={path}"
    for path in ("/api/v1/cyber/scans/latest", "/api/v1/cyber/assessment"):
        r = client.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "Cyber posture" not in client.get("/login").text  # not in the anonymous menu


def test_viewer_sees_grades_findings_and_changes(client: TestClient):
    _login(client, "vic")
    r = client.get("/cyber")
    assert r.status_code == 200
    html = r.text
    assert 'href="/cyber" aria-current="page">Cyber posture' in html
    assert re.search(r'class="points p4">A\+<', html)  # portal, fixed since last week
    assert re.search(r'class="points p1">D<', html)  # intranet
    assert "unreachable" in html and "connection refused" in html
    # remediation of the failing checks
    assert "Disable TLS 1.0/1.1." in html and "Send a Content-Security-Policy." in html
    # category pass rates
    assert "Security headers" in html and "100 %" in html and "0 %" in html
    # what changed
    assert "grade D → A+" in html
    assert "fixed: headers.csp, headers.hsts, tls.protocols" in html
    assert "library</strong>: first scanned now" in html
    assert "intranet</strong>" not in html.split("What changed", 1)[1].split("Findings", 1)[0]


def test_latest_scan_api_shape(client: TestClient):
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    token = auth.create_api_token(store, "vic", "tests")
    r = client.get("/api/v1/cyber/scans/latest", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    data = r.json()
    assert set(data) >= {"scan_id", "started_at", "finished_at", "source", "previous_scan_id",
                         "posture", "services", "changes"}
    assert data["scan_id"].startswith("20260112T080000")
    assert data["previous_scan_id"].startswith("20260105T080000")
    assert data["posture"] == {"services": 3, "scored": 2, "unreachable": 1, "mean_score": 70.0,
                               "share_grade_b_or_better": 50.0}
    by = {s["name"]: s for s in data["services"]}
    assert by["portal"]["grade"] == "A+" and by["portal"]["score"] == 105
    assert by["intranet"]["grade"] == "D" and by["intranet"]["score"] == 35
    assert by["intranet"]["pass_rates"] == {"tls": 0.0, "headers": 0.0}
    assert by["intranet"]["findings"][0]["status"] == "fail"
    assert by["intranet"]["findings"][0]["remediation"]
    assert by["library"]["status"] == "error/unreachable" and by["library"]["grade"] is None
    changes = {c["service"]: c for c in data["changes"]}
    assert changes["portal"]["grade_before"] == "D" and changes["portal"]["grade_now"] == "A+"
    assert changes["intranet"]["changed"] is False
    assert changes["library"]["new_service"] is True
    # the OpenAPI schema lists it
    assert "/api/v1/cyber/scans/latest" in client.get("/openapi.json").json()["paths"]


def test_assessment_page_and_api(client: TestClient):
    _login(client, "vic")
    html = client.get("/cyber/assessment").text
    assert 'data-chart="gci-radar"' in html and "Scores per pillar" in html
    for pillar in ("Legal measures", "Technical measures", "Cooperation measures"):
        assert pillar in html
    data = client.get("/api/v1/cyber/assessment").json()
    assert data["tier"] in ("T2", "T3") and 55 <= data["overall"] < 95
    assert "P3.2" in [q for p in data["pillars"] for q in p["unanswered"]]


def test_pages_without_scan_or_answers(workspace: Path):
    with Store.open(Workspace.load(workspace).store_path) as store:
        auth.add_user(store, "vic", "viewer", PASSWORD)
    with TestClient(create_app(workspace), base_url="https://testserver") as client:
        _login(client, "vic")
        assert "No scan is stored" in client.get("/cyber").text
        assert "No self-assessment" in client.get("/cyber/assessment").text
        assert client.get("/api/v1/cyber/scans/latest").status_code == 404
        assert client.get("/api/v1/cyber/assessment").status_code == 404


def test_security_txt_route(client: TestClient):
    r = client.get("/.well-known/security.txt")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    fields = parse_security_txt(r.text)
    assert fields["contact"] == ["mailto:security@testville.invalid"]
    expires = datetime.fromisoformat(fields["expires"][0].replace("Z", "+00:00"))
    assert 300 < (expires - datetime.now(UTC)).days < 365


def test_security_txt_contact_from_settings(workspace: Path):
    cfg = yaml.safe_load((workspace / "city.yaml").read_text())
    cfg["settings"] = {"cyber": {"security_contact": ["mailto:csirt@city.example",
                                                      "https://city.example/report"]}}
    (workspace / "city.yaml").write_text(yaml.safe_dump(cfg))
    text = security_txt(Workspace.load(workspace))
    assert parse_security_txt(text)["contact"] == ["mailto:csirt@city.example",
                                                   "https://city.example/report"]
    cfg["settings"]["cyber"]["security_contact"] = "csirt@city.example"
    (workspace / "city.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(InputError, match="security_contact"):
        security_txt(Workspace.load(workspace))


def test_security_txt_passes_our_own_check(workspace: Path):
    from ssckit.cyber.checks.http import HttpData, Response

    text = security_txt(Workspace.load(workspace))
    data = HttpData(url="https://x/", security_txt=Response(
        "https://x/.well-known/security.txt", 200,
        [("content-type", "text/plain; charset=utf-8")], text.encode()))
    assert check_security_txt(data).status == Status.PASS


def test_sample_inputs_are_valid(tmp_path: Path):
    from .conftest import sample_city

    part = sample.write_sample(sample_city(tmp_path, "Riverbend"))
    assert part.inputs == {"targets": "cyber_targets.yaml", "answers": "cyber_answers.yaml"}
    assert part.settings == {"local_lab": True, "loopback_only": True}
    assert part.config == {}
    targets = load_targets(tmp_path / part.inputs["targets"])
    assert [t.name for t in targets.services] == ["portal", "intranet", "permits", "library"]
    for t in targets.services:
        assert t.address == "127.0.0.1" and t.host.endswith(".riverbend.test")
        assert t.ca_bundle == tmp_path / "run" / "cyber-lab" / "ca" / "ca.pem"
    assert oct((tmp_path / "run" / "cyber-lab" / "ca" / "ca.key").stat().st_mode & 0o777) \
        == "0o600"
    header, answers = gci.load_answers(tmp_path / part.inputs["answers"])
    assert "synthetic" in header["respondent"]
    result = gci.assess(answers)
    assert result.tier == "T3" and 55 <= result.overall < 85


def _set_settings(workspace: Path, cyber: dict) -> Workspace:
    cfg = yaml.safe_load((workspace / "city.yaml").read_text())
    cfg["settings"] = {"cyber": cyber}
    (workspace / "city.yaml").write_text(yaml.safe_dump(cfg))
    return Workspace.load(workspace)


def test_settings_are_validated_as_a_whole(workspace: Path):
    ws = _set_settings(workspace, {})
    s = cyber_settings(ws)
    assert (s.local_lab, s.loopback_only, s.concurrency) == (False, True, 8)
    with Store.open(ws.store_path) as store:
        assert compute(ws, store) == []  # no inputs.cyber.targets: nothing to scan
    for bad, field, says in (
            ({"local_lab": "yes"}, "settings.cyber.local_lab", "valid boolean"),
            ({"concurrency": 0}, "settings.cyber.concurrency", "greater than or equal to 1"),
            ({"timeout_s": 5000}, "settings.cyber.timeout_s", "less than or equal to 3600"),
            ({"labs": True}, "settings.cyber.labs", "allowed: baseline, concurrency")):
        with pytest.raises(InputError) as err:
            cyber_settings(_set_settings(workspace, bad))
        assert field in str(err.value) and says in str(err.value), str(err.value)


@pytest.mark.browser
def test_pages_in_chromium(cyber_workspace: Path, browser_page) -> None:
    """Signed in, the posture page and the radar chart render under the CSP, without errors."""
    from tests.conftest import serve_workspace

    page = browser_page
    server = serve_workspace(cyber_workspace)
    url = next(server)
    try:
        page.goto(url + "/cyber", wait_until="networkidle")
        assert "/login" in page.url
        page.get_by_label("User name").fill("vic")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("networkidle")
        assert page.get_by_role("heading", name="Grades").is_visible()
        page.goto(url + "/cyber/assessment", wait_until="networkidle")
        page.wait_for_selector("#gci-radar .main-svg", timeout=15_000)
    finally:
        server.close()
    assert page.problems == [], page.problems
