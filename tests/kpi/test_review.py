"""A KPI value goes draft -> submitted -> verified through the CLI, by role, with evidence and
an append-only audit log; a new value for a verified KPI is a draft again."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ssckit.core.store import Store

from .conftest import run_cli

CODE = "EC:ICT:ICT:1C"
HEADER = "code,value,unit,period,source,quality\n"
PASSWORD = "a long enough password for tests\n"


def _as(user: str) -> dict[str, str]:
    return {**os.environ, "SSCKIT_USER": user}


def _ok(*args: str, user: str | None = None) -> str:
    r = run_cli(*args, env=_as(user) if user else None)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _refused(*args: str, user: str | None = None) -> str:
    r = run_cli(*args, env=_as(user) if user else None)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return " ".join(r.stderr.split())


def _show(city: Path) -> dict:
    return json.loads(_ok("kpi", "show", CODE, "-w", str(city), "--format", "json"))


def _import(city: Path, tmp_path: Path, value: float, user: str = "ana") -> None:
    f = tmp_path / f"v{value}.csv"
    f.write_text(HEADER + f"{CODE},{value},%,2026,Household survey 2026,A\n")
    _ok("kpi", "import", str(f), "-w", str(city), user=user)


def test_draft_submitted_verified_with_audit(city: Path, tmp_path: Path):
    w = ("-w", str(city))
    for name, role in (("ana", "analyst"), ("bob", "analyst"), ("vera", "verifier")):
        r = run_cli("users", "add", name, "--role", role, "--password-stdin", *w,
                    stdin=PASSWORD)
        assert r.returncode == 0, r.stderr
    # A verifier cannot enter values, nor an unknown user.
    f = tmp_path / "x.csv"
    f.write_text(HEADER + f"{CODE},70,%,2026,x,A\n")
    assert "needs the role analyst" in _refused("kpi", "import", str(f), *w, user="vera")
    assert "not a user" in _refused("kpi", "import", str(f), *w, user="nobody")
    _import(city, tmp_path, 77.7)
    assert _show(city)["status"] == "draft"
    # No evidence, no submission.
    assert "no evidence" in _refused("kpi", "submit", CODE, *w, user="ana")
    doc = tmp_path / "survey tables.pdf"
    doc.write_bytes(b"%PDF-1.4 household survey 2026, table 3: 77.7 %\n")
    out = _ok("kpi", "evidence", "add", CODE, "--file", str(doc), *w, user="ana")
    digest = hashlib.sha256(doc.read_bytes()).hexdigest()
    assert digest in out.replace("\n", "")
    kept = city / "evidence" / f"{digest}-survey_tables.pdf"
    assert kept.read_bytes() == doc.read_bytes()
    assert "is in the future" in _refused("kpi", "evidence", "add", CODE, "--url",
                                          "https://stat.example/ict", "--read-on", "2999-01-01",
                                          *w, user="ana")
    _ok("kpi", "evidence", "add", CODE, "--url", "https://stat.example/ict", "--read-on",
        "2026-11-30", *w, user="ana")
    # The verifier cannot verify a draft; the analyst submits.
    assert "not submitted" in _refused("kpi", "verify", CODE, *w, user="vera")
    assert "needs the role analyst" in _refused("kpi", "submit", CODE, *w, user="vera")
    _ok("kpi", "submit", CODE, "--comment", "table 3", *w, user="ana")
    assert _show(city)["status"] == "submitted"
    # Whoever entered or submitted it cannot verify it.
    assert "cannot also verify" in _refused("kpi", "verify", CODE, *w, user="ana")
    _ok("kpi", "verify", CODE, "--comment", "matches table 3", *w, user="vera")
    shown = _show(city)
    assert shown["status"] == "verified" and shown["review"]["decided_by"] == "vera"
    assert [e["kind"] for e in shown["evidence"]] == ["file", "url"]
    assert shown["evidence"][0]["sha256"] == digest
    # Verified only: this KPI keeps its value, an unverified one has none.
    card = json.loads(_ok("kpi", "scorecard", *w, "--format", "json", "--verified-only"))
    by_code = {k["code"]: k for k in card["kpis"]}
    assert by_code[CODE]["value"] == 77.7 and by_code[CODE]["status"] == "verified"
    assert by_code["EC:ICT:ICT:2C"]["value"] is None
    assert card["totals"]["n_with_data"] == 1
    # A new value for the verified KPI starts a new draft.
    _import(city, tmp_path, 78.4, user="bob")
    assert _show(city)["status"] == "draft"
    # Another analyst may verify what bob entered and ana submitted... but not bob.
    _ok("kpi", "submit", CODE, *w, user="ana")
    assert "cannot also verify" in _refused("kpi", "verify", CODE, *w, user="bob")
    r = run_cli("kpi", "reject", CODE, *w, env=_as("vera"))
    assert r.returncode == 2 and "--comment" in r.stderr
    _ok("kpi", "reject", CODE, "--comment", "survey year is 2024", *w, user="vera")
    assert _show(city)["status"] == "rejected"
    log = json.loads(_ok("kpi", "audit", CODE, *w, "--format", "json"))
    trail = [(a["actor"], a["action"], a["old"], a["new"]) for a in log if a["period"] == "2026"]
    assert trail == [
        ("city.yaml", "manual value", "", "81.2"),
        ("ana", "manual value", "81.2", "77.7"),
        ("ana", "evidence", "", f"evidence/{digest}-survey_tables.pdf"),
        ("ana", "evidence", "", "https://stat.example/ict"),
        ("ana", "status", "draft", "submitted"),
        ("vera", "status", "submitted", "verified"),
        ("bob", "manual value", "77.7", "78.4"),
        ("ssckit", "status", "verified", "draft"),
        ("ana", "status", "draft", "submitted"),
        ("vera", "status", "submitted", "rejected"),
    ]
    assert log[-1]["comment"].endswith("survey year is 2024")


def test_audit_log_is_append_only_and_rows_keep_their_ids(city: Path, tmp_path: Path):
    _import(city, tmp_path, 60.0, user="")
    _import(city, tmp_path, 61.0, user="")
    with Store.open(city / "ssckit.duckdb", read_only=True) as s:
        ids = [r[0] for r in s.cursor().execute("SELECT id FROM kpi_audit ORDER BY id")
               .fetchall()]
    assert ids == list(range(1, len(ids) + 1))
    log = json.loads(_ok("kpi", "audit", CODE, "-w", str(city), "--format", "json"))
    assert [(a["actor"], a["new"]) for a in log if a["period"] == "2026"][-2:] == [
        ("cli", "60"), ("cli", "61")]
