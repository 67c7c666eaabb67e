"""Scan history in DuckDB and the diff between scans."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from ssckit.core.store import Store
from ssckit.cyber.model import Finding, ServiceResult, Status
from ssckit.cyber.scan import Scan
from ssckit.cyber.store import MIGRATIONS, diff, load_scan, previous_scan, save_scan, scan_ids


def test_save_load_and_diff(lab_scan, tmp_path):
    with Store.open(tmp_path / "s.duckdb") as store:
        save_scan(store, lab_scan)
        loaded = load_scan(store, lab_scan.scan_id)
        assert {r.name for r in loaded.results} == {r.name for r in lab_scan.results}
        good = next(r for r in loaded.results if r.name == "good")
        assert good.finding("tls.protocols").status == Status.PASS
        assert good.finding("tls.protocols").evidence["offered"] == ["TLS 1.2", "TLS 1.3"]

        # A later scan: 'good' lost its HSTS header, 'bare' gained one, 'nowhere' came back.
        def edit(r: ServiceResult) -> ServiceResult:
            fs = []
            for f in r.findings:
                if r.name == "good" and f.check == "headers.hsts":
                    f = replace(f, status=Status.FAIL, code="hsts-not-implemented")
                if r.name == "bare" and f.check == "headers.hsts":
                    f = replace(f, status=Status.PASS,
                                code="hsts-implemented-max-age-at-least-one-year")
                fs.append(f)
            if r.name == "nowhere":
                return ServiceResult(r.name, r.url, findings=[
                    Finding("headers.hsts", "headers", Status.PASS, "", "")])
            return replace(r, findings=fs)

        later = Scan(lab_scan.started_at + timedelta(days=1),
                     lab_scan.finished_at + timedelta(days=1),
                     [edit(r) for r in lab_scan.results])
        save_scan(store, later)
        assert scan_ids(store) == [lab_scan.scan_id, later.scan_id]
        before = previous_scan(store, later.scan_id)
        assert before is not None and before.scan_id == lab_scan.scan_id
        changes = {c.service: c for c in diff(before, load_scan(store, later.scan_id))}
    assert changes["good"].new_failures == ["headers.hsts"]
    assert changes["good"].grade_before == "A+" and changes["good"].grade_now != "A+"
    assert changes["bare"].fixed == ["headers.hsts"]
    assert not changes["legacy"].changed
    assert changes["nowhere"].reachable_before is False and changes["nowhere"].reachable_now
    assert changes["nowhere"].changed


def test_first_scan_diff_marks_everything_new(lab_scan):
    changes = diff(None, lab_scan)
    assert all(c.new_service for c in changes)
    assert "tls.protocols" in next(c for c in changes if c.service == "legacy").new_failures


def test_migrations_are_recorded(tmp_path):
    with Store.open(tmp_path / "m.duckdb") as store:
        scan_ids(store)
        cur = store.cursor()
        row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version:cyber'").fetchone()
        cur.close()
    assert row == (str(len(MIGRATIONS)),)
