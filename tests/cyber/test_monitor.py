"""Continuous monitoring: scheduled scans of a lab service, a regression planted between two
scans raises exactly one alert, delivered once by e-mail (local aiosmtpd) and once by a signed
webhook (local HTTP server, which refuses the first try: the retry is logged, nothing is sent
twice)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.cyber import alerts
from ssckit.cyber.baseline import load_profile
from ssckit.cyber.locallab import Lab, Site
from ssckit.cyber.model import Finding, ServiceResult, Status
from ssckit.cyber.monitor import Cron, Monitor, monitor_settings, start_monitor
from ssckit.cyber.scan import Scan
from tests.notify_receivers import WebhookReceiver, local_mailbox

from .conftest import write_workspace

SECRET = "lab-webhook-secret"


@pytest.fixture
def mailbox() -> Iterator[tuple[int, list]]:
    with local_mailbox() as box:
        yield box


def _monitored_workspace(root: Path, lab: Lab, smtp_port: int, hook_url: str) -> Workspace:
    write_workspace(root)
    targets = [dict(t, organisation="Ministry of Lab") for t in lab.targets()]
    (root / "targets.yaml").write_text(yaml.safe_dump({"services": targets}))
    doc = yaml.safe_load((root / "city.yaml").read_text())
    doc["inputs"] = {"cyber": {"targets": "targets.yaml"}}
    doc["settings"] = {"cyber": {"loopback_only": True, "monitor": {
        "interval_s": 1, "timeout_s": 60, "connect_timeout_s": 3,
        "email": {"smtp_host": "127.0.0.1", "smtp_port": smtp_port,
                  "sender": "monitor@city.test", "to": ["soc@city.test"]},
        "webhook": {"url": hook_url, "secret_env": "SSCKIT_TEST_HOOK_SECRET"}}}}
    (root / "city.yaml").write_text(yaml.safe_dump(doc))
    return Workspace.load(root)


def test_planted_regression_raises_one_alert(tmp_path, mailbox, monkeypatch):
    monkeypatch.setenv("SSCKIT_TEST_HOOK_SECRET", SECRET)
    smtp_port, mails = mailbox
    site = Site("portal", host="portal.city.test")
    lines: list[str] = []
    with Lab([site]) as lab, WebhookReceiver(refuse_status=500) as hooks:
        ws = _monitored_workspace(tmp_path / "city", lab, smtp_port, hooks.url)
        monitor = start_monitor(ws, lines.append)
        assert isinstance(monitor, Monitor)
        try:
            assert monitor.wait_rounds(1, 120), monitor.errors
            assert monitor.reports[0].alerts == []  # the first scan is the reference
            del site.headers["Strict-Transport-Security"]  # the regression
            rounds = 1
            while not any(r.alerts for r in monitor.reports) and rounds < 4:
                rounds += 1
                assert monitor.wait_rounds(rounds, 120), monitor.errors
            # Two more rounds with the fault still there: nothing new, the failed webhook
            # delivery is retried.
            assert monitor.wait_rounds(rounds + 2, 240), monitor.errors
        finally:
            monitor.stop()
    assert monitor.errors == []
    with Store.open(ws.store_path) as store:
        stored = alerts.load_alerts(store)
        log = alerts.delivery_log(store)
    assert len(stored) == 1
    a = stored[0]
    assert a.service == "portal" and a.organisation == "Ministry of Lab"
    assert set(a.kinds) == {"grade_drop", "requirement_failing"}
    assert any(r.get("requirement") == "hsts-one-year" for r in a.reasons)
    # E-mail: one message naming the service.
    assert len(mails) == 1
    assert mails[0].rcpt_tos == ["soc@city.test"]
    body = mails[0].content.decode()
    assert "portal" in body and "HSTS" in body and a.key in body
    # Webhook: refused once, then delivered once, signed.
    assert hooks.refused == 1 and len(hooks.received) == 1
    headers, payload = hooks.received[0]
    assert alerts.verify_signature(SECRET.encode(), headers["x-ssckit-timestamp"], payload,
                                   headers["x-ssckit-signature"])
    assert not alerts.verify_signature(b"wrong", headers["x-ssckit-timestamp"], payload,
                                       headers["x-ssckit-signature"])
    assert json.loads(payload)["key"] == a.key
    # The delivery log: e-mail ok once; webhook failed once, then ok once.
    rows = sorted((r["channel"], r["attempt"], r["ok"]) for r in log)
    assert rows == [("email", 1, True), ("webhook", 1, False), ("webhook", 2, True)]
    assert any("new alert" in line for line in lines)


def _result(name: str, days_left: float, hsts: bool = True) -> ServiceResult:
    findings = [
        Finding("cert.expiry", "certificate", Status.PASS if days_left >= 30 else Status.WARN,
                "d", "cert-valid" if days_left >= 30 else "cert-expires-soon",
                evidence={"days_left": days_left}),
        Finding("headers.hsts", "headers", Status.PASS if hsts else Status.FAIL, "d",
                "hsts-implemented-max-age-at-least-one-year" if hsts else "hsts-not-implemented",
                evidence={"max_age": 31536000} if hsts else {}),
    ]
    return ServiceResult(name, f"https://{name}/", findings=findings)


def _scan(minute: int, *results: ServiceResult) -> Scan:
    t = datetime(2026, 3, 1, 10, minute)
    return Scan(t, t + timedelta(seconds=1), list(results))


def test_expiry_alerts_once_per_threshold_and_keys_are_stable():
    profile = load_profile("national-baseline")
    s1 = _scan(0, _result("a", 40))
    s2 = _scan(1, _result("a", 29))
    s3 = _scan(2, _result("a", 28))
    s4 = _scan(3, _result("a", 6))
    assert alerts.detect(None, s1, profile) == []
    a2 = alerts.detect(s1, s2, profile)
    assert [r["threshold_days"] for r in a2[0].reasons if r["kind"] == "certificate_expiring"] \
        == [30]
    assert a2[0].severity == "high"  # cert-30-days (weight 5) newly failing too
    assert alerts.detect(s2, s3, profile) == []
    a4 = alerts.detect(s3, s4, profile)
    assert [r["threshold_days"] for r in a4[0].reasons] == [7]
    # Re-running the same comparison (a round repeated after a crash) gives the same key.
    assert alerts.detect(s1, s2, profile)[0].key == a2[0].key
    # A first scan of an already-expiring certificate alerts (nothing to compare with).
    assert alerts.detect(None, _scan(0, _result("b", 3)), profile)[0].reasons[0]["kind"] \
        == "certificate_expiring"


def test_record_is_idempotent(tmp_path):
    profile = load_profile("national-baseline")
    found = alerts.detect(_scan(0, _result("a", 40)), _scan(1, _result("a", 40, hsts=False)),
                          profile)
    with Store.open(tmp_path / "s.duckdb") as store:
        assert len(alerts.record(store, found)) == 1
        assert alerts.record(store, found) == []
        assert len(alerts.load_alerts(store)) == 1


@pytest.mark.parametrize(("expr", "after", "expected"), [
    ("*/15 * * * *", datetime(2026, 1, 1, 10, 7), datetime(2026, 1, 1, 10, 15)),
    ("0 6 * * 1", datetime(2026, 1, 1), datetime(2026, 1, 5, 6, 0)),  # a Monday
    ("30 2 1 * *", datetime(2026, 1, 1, 3), datetime(2026, 2, 1, 2, 30)),
    ("0 0 29 2 *", datetime(2026, 1, 1), datetime(2028, 2, 29)),
    ("5,10 8-9 * * *", datetime(2026, 1, 1, 8, 10), datetime(2026, 1, 1, 9, 5)),
])
def test_cron_next_after(expr, after, expected):
    assert Cron.parse(expr).next_after(after) == expected


def test_monitor_settings_mistakes_are_one_line(tmp_path):
    root = write_workspace(tmp_path / "c")
    doc = yaml.safe_load((root / "city.yaml").read_text())
    doc["settings"] = {"cyber": {"monitor": {"schedule": "61 * * * *"}}}
    (root / "city.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError, match="settings.cyber.monitor.schedule"):
        monitor_settings(Workspace.load(root))


def test_no_monitor_without_settings_or_secret(tmp_path, monkeypatch):
    root = write_workspace(tmp_path / "c")
    assert start_monitor(Workspace.load(root), print) is None
    doc = yaml.safe_load((root / "city.yaml").read_text())
    (root / "t.yaml").write_text("services: [{name: a, url: 'https://a.test/'}]\n")
    doc["inputs"] = {"cyber": {"targets": "t.yaml"}}
    doc["settings"] = {"cyber": {"monitor": {"webhook": {"url": "http://127.0.0.1:9/",
                                                         "secret_env": "SSCKIT_NO_SUCH_VAR"}}}}
    (root / "city.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.delenv("SSCKIT_NO_SUCH_VAR", raising=False)
    said: list[str] = []
    assert start_monitor(Workspace.load(root), said.append) is None
    assert "SSCKIT_NO_SUCH_VAR is not set" in said[0]


def test_monitor_command_runs_one_round(tmp_path, mailbox, monkeypatch):
    from click.testing import CliRunner

    from ssckit.cyber.cli import cyber

    monkeypatch.setenv("SSCKIT_TEST_HOOK_SECRET", SECRET)
    site = Site("portal", host="portal.city.test")
    with Lab([site]) as lab, WebhookReceiver(refuse_status=500) as hooks:
        ws = _monitored_workspace(tmp_path / "city", lab, mailbox[0], hooks.url)
        first = CliRunner().invoke(cyber, ["monitor", "-w", str(ws.root)])
        assert first.exit_code == 0, first.output
        assert "0 new alert(s)" in first.output
        site.headers["Content-Security-Policy"] = "script-src 'unsafe-inline'"
        del site.headers["Strict-Transport-Security"]
        second = CliRunner().invoke(cyber, ["monitor", "-w", str(ws.root)])
    assert second.exit_code == 0, second.output
    assert "1 new alert(s)" in second.output and "portal: grade" in second.output
