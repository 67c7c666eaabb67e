"""Residents' measurement requests: the form's checks, the queue's states and their log, the
private link, publication only with consent, the rate limit and CSRF of the public form, and
the analysts' CLI, on a copy of the sample city (whose two pending requests come from its
``emf_requests.csv``)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ssckit.cli import cli
from ssckit.core import auth
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.emf import requests as rq
from ssckit.web.app import create_app

PASSWORD = "a long enough password for tests"
PDF = b"%PDF-1.4\n% lab report\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def copy_city(demo_workspace: Path, tmp: Path, requests: dict | None = None) -> Path:
    """A private copy of the sample city, with ``settings.emf.requests`` when given."""
    root = tmp / "city"
    shutil.copytree(demo_workspace, root)
    if requests is not None:
        doc = yaml.safe_load((root / "city.yaml").read_text(encoding="utf-8"))
        doc.setdefault("settings", {}).setdefault("emf", {})["requests"] = requests
        (root / "city.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True),
                                        encoding="utf-8")
    return root


@pytest.fixture
def city(demo_workspace: Path, tmp_path: Path) -> Iterator[tuple[Workspace, Store]]:
    root = copy_city(demo_workspace, tmp_path)
    ws = Workspace.load(root)
    with Store.open(ws.store_path) as store:
        auth.add_user(store, "ada", "analyst", PASSWORD)
        auth.add_user(store, "vic", "viewer", PASSWORD)
        yield ws, store


def form(**kw) -> rq.RequestForm:
    base = {"address": "Old Town, 5 Mill Lane, flat 2", "place": "", "lat": 40.7,
            "lon": 39.05, "email": "", "lang": "en", "reason": "", "consent_publish": True}
    return rq.RequestForm(**(base | kw))


# -- the form's checks (pure) -----------------------------------------------------------------
PLACES = {"old town": {"name": "Old Town", "lat": 40.70, "lon": 39.05}}


def _check(fields: dict, lat=None, lon=None, inside=True):
    return rq.check_request_form(fields, lat, lon, "en", lambda q: PLACES.get(q.casefold()),
                                 lambda la, lo: inside)


def test_form_finds_the_place_by_name() -> None:
    got, errors = _check({"address": "  5  Mill Lane ", "place": "old town",
                          "consent_publish": "yes"})
    assert errors == {}
    assert (got.address, got.place, got.lat, got.lon) == ("5 Mill Lane", "Old Town", 40.7, 39.05)
    assert got.consent_publish and got.email == ""


def test_form_takes_the_map_click_over_the_place() -> None:
    got, errors = _check({"address": "5 Mill Lane", "place": "somewhere"}, 40.71, 39.06)
    assert errors == {} and (got.lat, got.lon) == (40.71, 39.06) and not got.consent_publish


@pytest.mark.parametrize(("fields", "inside", "field", "start"), [
    ({"address": "ab", "place": "Old Town"}, True, "address", "Address: enter the street"),
    ({"address": "5 Mill Lane", "place": "Atlantis"}, True, "place",
     "No place called “Atlantis”"),
    ({"address": "5 Mill Lane"}, True, "place", "Location: search for your street"),
    ({"address": "5 Mill Lane", "place": "Old Town"}, False, "place",
     "This place is outside the city"),
    ({"address": "5 Mill Lane", "place": "Old Town", "email": "me@home"}, True, "email",
     "E-mail: “me@home” is not an e-mail address"),
    ({"address": "5 Mill Lane", "place": "Old Town", "reason": "x" * 1001}, True, "reason",
     "Reason: at most 1000 characters"),
])
def test_form_errors_name_the_field(fields: dict, inside: bool, field: str, start: str) -> None:
    got, errors = _check(fields, inside=inside)
    assert got is None
    assert list(errors) == [field] and errors[field].startswith(start), errors


# -- the queue --------------------------------------------------------------------------------
def test_sample_city_has_two_pending_requests(city: tuple[Workspace, Store]) -> None:
    ws, store = city
    with (ws.root / "emf_requests.csv").open(encoding="utf-8") as f:
        refs = [r["reference"] for r in csv.DictReader(f)]
    pending = rq.list_requests(store, "received")
    assert [r["ref"] for r in pending] == refs and len(refs) == 2
    assert all(r["channel"] == "post" and r["assignee"] is None for r in pending)
    # importing the file again queues nothing twice
    assert rq.import_requests_csv(store, ws.root / "emf_requests.csv") == []


def test_workflow_states_and_log(city: tuple[Workspace, Store]) -> None:
    ws, store = city
    now = datetime(2026, 12, 1, 9, 0)
    ref, token = rq.create_request(store, form(), now=now)
    assert ref == "EMF-2026-0003"          # after the sample's EMF-2026-0001 and -0002
    # the private link: found by its token, and the token itself is not stored
    assert rq.request_for_token(store, token)["ref"] == ref
    assert rq.request_for_token(store, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    dump = store.cursor().execute("SELECT * FROM emf_requests").fetchall()
    assert token not in repr(dump)

    with pytest.raises(InputError, match="assign it to an analyst first"):
        rq.schedule_request(store, ref, date(2026, 12, 10), "ada", now=now)
    with pytest.raises(InputError, match="assign it before closing it"):
        rq.close_request(ws, store, ref, e_v_m=1, percent_of_limit=1, actor="ada",
                         lab_report="L-1", now=now)
    with pytest.raises(InputError, match="'vic' is not an analyst"):
        rq.assign_request(store, ref, "vic", "ada", now=now)
    with pytest.raises(InputError, match="no such request"):
        rq.assign_request(store, "EMF-1999-0001", "ada", "ada", now=now)
    assert rq.assign_request(store, ref, "ada", "ada", now=now)["status"] == "assigned"
    with pytest.raises(InputError, match="2026-11-30 is outside 2026-12-01..2027-12-02"):
        rq.schedule_request(store, ref, date(2026, 11, 30), "ada", now=now)
    got = rq.schedule_request(store, ref, date(2026, 12, 10), "ada", now=now)
    assert (got["status"], got["scheduled_for"]) == ("scheduled", date(2026, 12, 10))
    with pytest.raises(InputError, match="attach the lab report"):
        rq.close_request(ws, store, ref, e_v_m=1.2, percent_of_limit=0.19, actor="ada", now=now)
    with pytest.raises(InputError, match="not a PDF file"):
        rq.close_request(ws, store, ref, e_v_m=1.2, percent_of_limit=0.19, actor="ada",
                         report=b"<html>", now=now)
    with pytest.raises(InputError, match="1200 is outside 0..1000 V/m"):
        rq.close_request(ws, store, ref, e_v_m=1200, percent_of_limit=0.19, actor="ada",
                         report=PDF, now=now)
    done = rq.close_request(ws, store, ref, e_v_m=1.2, percent_of_limit=0.19, actor="ada",
                            report=PDF, lab_report="LAB-2026/17", now=now + timedelta(days=9))
    assert done["status"] == "done" and done["report_file"] == f"emf_requests/{ref}.pdf"
    assert rq.report_path(ws, done).read_bytes() == PDF
    with pytest.raises(InputError, match="is done already"):
        rq.assign_request(store, ref, "ada", "ada")
    log = rq.request_events(store, ref)
    assert [(e["action"], e["actor"]) for e in log] == [
        ("received", "resident"), ("assigned", "ada"), ("scheduled", "ada"), ("done", "ada")]
    assert log[2]["detail"] == "2026-12-10"
    assert log[3]["detail"].startswith("1.2 V/m, 0.19 % of the limit; lab report LAB-2026/17")


def test_only_consented_results_are_published(city: tuple[Workspace, Store]) -> None:
    ws, store = city
    refs = []
    for consent in (True, False):
        ref, _ = rq.create_request(store, form(consent_publish=consent, lat=40.712345678))
        rq.assign_request(store, ref, "ada", "ada")
        rq.close_request(ws, store, ref, e_v_m=0.8, percent_of_limit=0.08, actor="ada",
                         lab_report="L-7")
        refs.append(ref)
    pub = rq.published_results(store)
    assert [p["ref"] for p in pub] == refs[:1]
    assert pub[0]["lat"] == 40.71235 and "address" not in pub[0] and "email" not in pub[0]


def test_settings_errors_are_one_line(demo_workspace: Path, tmp_path: Path) -> None:
    ws = Workspace.load(copy_city(demo_workspace, tmp_path, {"per_client_per_day": 0}))
    with pytest.raises(InputError) as exc:
        rq.request_settings(ws)
    assert "field 'settings.emf.requests.per_client_per_day'" in str(exc.value)
    assert "greater than or equal to 1" in str(exc.value) and "\n" not in str(exc.value)


# -- the public form over HTTP ----------------------------------------------------------------
@pytest.fixture
def client(demo_workspace: Path, tmp_path: Path) -> Iterator[TestClient]:
    root = copy_city(demo_workspace, tmp_path, {"per_client_per_day": 2})
    with TestClient(create_app(root), base_url="https://testserver") as c:
        yield c


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_form_keeps_input_and_shows_errors(client: TestClient) -> None:
    page = client.get("/emf/request")
    assert page.status_code == 200 and 'id="request-form"' in page.text
    r = client.post("/emf/request", data={"csrf_token": _csrf(page.text), "address": "x",
                                          "lat": "abc", "lon": "39.05", "email": "nope"})
    assert r.status_code == 422
    assert 'id="address-error"' in r.text and 'id="email-error"' in r.text
    assert "Latitude: “abc” is not a number" in r.text
    assert 'value="abc"' in r.text and 'value="nope"' in r.text
    assert 'id="place-error"' not in r.text       # the coordinates are what is wrong


def test_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/emf/request")
    r = client.post("/emf/request", data={"address": "5 Mill Lane", "place": "Old Town"})
    assert r.status_code == 403


def test_submit_then_rate_limit(client: TestClient) -> None:
    token = _csrf(client.get("/emf/request").text)
    data = {"csrf_token": token, "address": "Old Town, 5 Mill Lane", "place": "Old Town",
            "consent_publish": "yes"}
    for _ in range(2):
        r = client.post("/emf/request", data=data, follow_redirects=False)
        assert r.status_code == 303, r.text
        link = r.headers["location"]
        assert link.startswith("/emf/request/status/") and link.endswith("?new=1")
    status = client.get(link)
    assert status.status_code == 200 and "your request is received" in status.text
    assert status.headers["referrer-policy"] == "no-referrer"
    assert status.headers["cache-control"] == "no-store"
    r = client.post("/emf/request", data=data, follow_redirects=False)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 3600 * 23
    assert "Too many requests were sent from your address today" in r.text
    assert 'value="Old Town, 5 Mill Lane"' in r.text
    assert client.get("/emf/request/status/" + "x" * 32).status_code == 404


def test_queue_needs_an_analyst(client: TestClient) -> None:
    assert client.get("/emf/requests", follow_redirects=False).status_code in (303, 401)
    store = client.app.state.store  # type: ignore[attr-defined]
    auth.add_user(store, "vic", "viewer", PASSWORD)
    token = _csrf(client.get("/login").text)
    client.post("/login", data={"username": "vic", "password": PASSWORD, "csrf_token": token})
    assert client.get("/emf/requests").status_code == 403


# -- the analysts' CLI ------------------------------------------------------------------------
def test_cli_list_assign_schedule_close(demo_workspace: Path, tmp_path: Path) -> None:
    ws = Workspace.load(copy_city(demo_workspace, tmp_path))
    with Store.open(ws.store_path) as store:
        auth.add_user(store, "ada", "analyst", PASSWORD)
        auth.add_user(store, "vic", "viewer", PASSWORD)
        ref = rq.list_requests(store, "received")[0]["ref"]
    w = ["-w", str(ws.root)]

    run = CliRunner().invoke
    r = run(cli, ["emf", "requests", "list", "--format", "json", *w])
    assert r.exit_code == 0, r.output
    assert [x["status"] for x in json.loads(r.output)["requests"]] == ["received", "received"]
    # a mistake is one line and exit code 2, as the installed command prints it
    p = subprocess.run([sys.executable, "-c", "from ssckit.cli import main; main()", "emf",
                        "requests", "assign", ref, "--to", "vic", *w], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "'vic' is not an analyst" in p.stderr and "`ssckit users list`" in p.stderr
    assert "Traceback" not in p.stderr
    assert run(cli, ["emf", "requests", "assign", ref, "--to", "ada", *w]).exit_code == 0
    day = (date.today() + timedelta(days=3)).isoformat()
    r = run(cli, ["emf", "requests", "schedule", ref, "--date", day, *w])
    assert r.exit_code == 0 and day in r.output, r.output
    (tmp_path / "lab.pdf").write_bytes(PDF)
    r = run(cli, ["emf", "requests", "close", ref, "--e-v-m", "1.5", "--percent-of-limit",
                   "0.3", "--report", str(tmp_path / "lab.pdf"), *w])
    assert r.exit_code == 0 and "done, 1.5 V/m" in r.output, r.output
    r = run(cli, ["emf", "requests", "list", "--status", "done", "--format", "json", *w])
    (done,) = json.loads(r.output)["requests"]
    assert (done["ref"], done["e_v_m"], done["scheduled_for"]) == (ref, 1.5, day)
    assert (ws.root / done["report_file"]).read_bytes() == PDF
