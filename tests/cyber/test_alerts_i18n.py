"""Alert e-mails and webhook texts in the city's language (``language:`` of city.yaml) or in a
subscriber's own (``settings.cyber.monitor.email.language`` / ``webhook.language``): a planted
regression in a Russian city reaches the real local SMTP mailbox in Russian."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ssckit.core.i18n import CYRILLIC_RE, language
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.cyber import alerts
from ssckit.cyber.baseline import load_profile
from ssckit.cyber.locallab import Lab, Site
from tests.notify_receivers import WebhookReceiver, local_mailbox

from .conftest import write_workspace
from .test_monitor import _result, _scan

SECRET = "lab-webhook-secret"


def _regression(days_left: float) -> alerts.Alert:
    """HSTS dropped and the certificate now ``days_left`` days from expiry."""
    found = alerts.detect(_scan(0, _result("portal", 40)),
                          _scan(1, _result("portal", days_left, hsts=False)),
                          load_profile("national-baseline"))
    assert len(found) == 1
    return found[0]


def test_alert_notice_in_russian() -> None:
    notice = alerts.to_notice(_regression(3), "ru")
    assert notice.subject.startswith("[ssckit, кибербезопасность] высокая: portal: оценка A+ → B")
    lines = notice.text.splitlines()
    assert "Сервис: portal" in lines and "Важность: высокая" in lines
    assert "Организация: —" in lines
    assert ("- HSTS с max-age не менее одного года: теперь не выполняется "
            "(headers.hsts: d)") in lines
    assert "- срок действия сертификата истекает через 3 дня (порог: 7)" in lines
    # The date of the alert as Russian readers write it (CLDR long format), 24-hour time.
    raised = next(x for x in lines if x.startswith("Зарегистрировано: "))
    assert " г. " in raised.replace("\u202f", " ") and raised.endswith(" UTC")
    assert notice.payload["language"] == "ru" and notice.payload["subject"] == notice.subject
    # The stored record stays English (the API and the CLI log speak English).
    assert notice.payload["summary"].startswith("portal: grade A+ → B")


@pytest.mark.parametrize(("days", "ru", "be"), [
    (1, "истекает через 1 день", "сканчаецца праз 1 дзень"),
    (3, "истекает через 3 дня", "сканчаецца праз 3 дні"),
    (6, "истекает через 6 дней", "сканчаецца праз 6 дзён"),
    (21, "истекает через 21 день", "сканчаецца праз 21 дзень"),
])
def test_days_left_take_the_plural_of_the_language(days: int, ru: str, be: str) -> None:
    alert = _regression(days)
    assert ru in alerts.to_notice(alert, "ru").text
    assert be in alerts.to_notice(alert, "be").text
    english = f"certificate expires in {days} day{'' if days == 1 else 's'} (< "
    assert english in alerts.to_notice(alert, "en").text


def test_english_notice_is_unchanged_in_substance() -> None:
    alert = _regression(3)
    notice = alerts.to_notice(alert, "en")
    assert notice.subject == f"[ssckit cyber] high: {alert.summary}"
    assert notice.text.startswith(alert.summary + "\n")
    assert "Service: portal" in notice.text and f"Alert key: {alert.key}" in notice.text


def test_reason_without_wording_fields_keeps_its_english_text() -> None:
    """An alert stored before its reasons kept the fields to reword them."""
    old = {"kind": "requirement_failing", "requirement": "hsts-one-year",
           "text": "HSTS with max-age of at least one year: now failing (headers.hsts: d)"}
    with language("ru"):
        assert alerts.reason_text(old) == old["text"]
        assert alerts.reason_text({"kind": "unreachable", "text": "now unreachable: x",
                                   "error": "connection refused"}).startswith("теперь ")


def test_wording_fields_do_not_change_the_alert_key() -> None:
    """The key is made of what the English text says: a round repeated after an upgrade finds
    the alert it raised before."""
    import hashlib

    alert = _regression(3)
    plain = [{k: v for k, v in r.items() if k not in ("title", "detail", "days_left", "error")}
             for r in alert.reasons]
    fingerprint = json.dumps([_scan(0).scan_id,
                              sorted(json.dumps(x, sort_keys=True) for x in plain)])
    assert alert.key == f"portal:{hashlib.sha256(fingerprint.encode()).hexdigest()[:24]}"


def _russian_city(root: Path, lab: Lab, smtp_port: int, hook_url: str,
                  email_language: str | None, hook_language: str | None) -> Workspace:
    write_workspace(root)
    targets = [dict(t, organisation="Министерство связи") for t in lab.targets()]
    (root / "targets.yaml").write_text(yaml.safe_dump({"services": targets},
                                                      allow_unicode=True))
    doc = yaml.safe_load((root / "city.yaml").read_text())
    doc["language"] = "ru"
    email = {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "sender": "monitor@city.test",
             "to": ["soc@city.test"]}
    hook = {"url": hook_url, "secret_env": "SSCKIT_TEST_HOOK_SECRET"}
    if email_language:
        email["language"] = email_language
    if hook_language:
        hook["language"] = hook_language
    doc["inputs"] = {"cyber": {"targets": "targets.yaml"}}
    doc["settings"] = {"cyber": {"loopback_only": True, "monitor": {
        "interval_s": 1, "timeout_s": 60, "connect_timeout_s": 3, "email": email,
        "webhook": hook}}}
    (root / "city.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    return Workspace.load(root)


def _two_rounds(ws: Workspace, site: Site) -> None:
    from ssckit.cyber.cli import cyber

    first = CliRunner().invoke(cyber, ["monitor", "-w", str(ws.root)])
    assert first.exit_code == 0, first.output
    del site.headers["Strict-Transport-Security"]  # the regression
    second = CliRunner().invoke(cyber, ["monitor", "-w", str(ws.root)])
    assert second.exit_code == 0, second.output
    assert "1 new alert(s)" in second.output


def test_russian_city_gets_russian_email_and_a_subscriber_its_own_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The e-mail follows the city (ru); the webhook's subscriber asked for Belarusian."""
    monkeypatch.setenv("SSCKIT_TEST_HOOK_SECRET", SECRET)
    site = Site("portal", host="portal.city.test")
    with local_mailbox() as (smtp_port, mails), Lab([site]) as lab, WebhookReceiver() as hooks:
        ws = _russian_city(tmp_path / "city", lab, smtp_port, hooks.url, None, "be")
        _two_rounds(ws, site)
    assert len(mails) == 1 and mails[0].rcpt_tos == ["soc@city.test"]
    mail = message_from_bytes(mails[0].content, policy=default_policy)
    subject, body = str(mail["Subject"]), mail.get_content()
    assert subject.startswith("[ssckit, кибербезопасность] ")
    assert "portal: оценка " in subject
    assert "Сервис: portal" in body and "Организация: Министерство связи" in body
    assert "HSTS с max-age не менее одного года: теперь не выполняется" in body
    with Store.open(ws.store_path) as store:
        (alert,) = alerts.load_alerts(store)
        log = alerts.delivery_log(store)
    assert f"Ключ оповещения: {alert.key}" in body and mail["X-Ssckit-Alert"] == alert.key
    # The webhook: the alert's data as before, its texts in Belarusian.
    assert len(hooks.received) == 1
    payload = json.loads(hooks.received[0][1])
    assert payload["key"] == alert.key and payload["language"] == "be"
    assert payload["subject"].startswith("[ssckit, кібербяспека] ")
    assert "HSTS з max-age не менш за адзін год: цяпер не выконваецца" in payload["text"]
    # One delivery per channel, nothing twice.
    assert sorted((r["channel"], r["ok"]) for r in log) == [("email", True), ("webhook", True)]


def test_subscriber_language_overrides_the_city(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A Russian city whose security team reads its e-mail in English."""
    monkeypatch.setenv("SSCKIT_TEST_HOOK_SECRET", SECRET)
    site = Site("portal", host="portal.city.test")
    with local_mailbox() as (smtp_port, mails), Lab([site]) as lab, WebhookReceiver() as hooks:
        ws = _russian_city(tmp_path / "city", lab, smtp_port, hooks.url, "en", None)
        _two_rounds(ws, site)
    mail = message_from_bytes(mails[0].content, policy=default_policy)
    assert str(mail["Subject"]).startswith("[ssckit cyber] ")
    assert not CYRILLIC_RE.search(mail.get_content().replace("Министерство связи", ""))
    assert json.loads(hooks.received[0][1])["language"] == "ru"


def test_email_language_outside_the_list_is_one_line(tmp_path: Path) -> None:
    from ssckit.core.errors import InputError
    from ssckit.cyber.monitor import monitor_settings

    root = write_workspace(tmp_path / "c")
    doc = yaml.safe_load((root / "city.yaml").read_text())
    doc["settings"] = {"cyber": {"monitor": {"email": {
        "smtp_host": "127.0.0.1", "sender": "a@b.test", "to": ["c@d.test"], "language": "de"}}}}
    (root / "city.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError, match=r"settings.cyber.monitor.email.language"):
        monitor_settings(Workspace.load(root))


def test_compliance_page_lists_alerts_in_the_readers_language(tmp_path: Path) -> None:
    """The "Recent alerts" list of /cyber/compliance: a new alert in Russian; one stored before
    its reasons kept their wording fields stays English, marked lang="en"."""
    import re
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from ssckit.core import auth
    from ssckit.web.app import create_app

    root = write_workspace(tmp_path / "city")
    new = _regression(3)
    old = replace(_regression(20), key="portal:old", reasons=[
        {"kind": "requirement_failing", "requirement": "hsts-one-year",
         "text": "HSTS with max-age of at least one year: now failing (headers.hsts: d)"}],
        summary="portal: HSTS with max-age of at least one year: now failing (headers.hsts: d)")
    from ssckit.cyber.store import save_scan

    with Store.open(Workspace.load(root).store_path) as store:
        save_scan(store, _scan(0, _result("portal", 40)))
        save_scan(store, _scan(1, _result("portal", 3, hsts=False)))
        alerts.record(store, [new, old])
        auth.add_user(store, "vic", "viewer", "a long enough password for tests")
    with TestClient(create_app(root), base_url="https://testserver") as client:
        html = client.get("/login").text
        csrf = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = client.post("/login", follow_redirects=False, data={
            "username": "vic", "password": "a long enough password for tests",
            "csrf_token": csrf})
        assert r.status_code == 303
        page = client.get("/cyber/compliance?lang=ru").text
    items = re.findall(r"<li><strong>(.*?)</li>", page.split('id="alerts-h"', 1)[1], re.S)
    assert len(items) == 2
    fresh = next(i for i in items if "оценка A+ → B" in i)
    assert "срок действия сертификата истекает через 3 дня (порог: 7)" in fresh
    assert 'lang="en"' not in fresh
    stored = next(i for i in items if i is not fresh)
    assert '<span lang="en">portal: HSTS with max-age' in stored
