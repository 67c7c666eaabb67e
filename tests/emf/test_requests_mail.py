"""E-mail notices of measurement requests through a real SMTP server (aiosmtpd on 127.0.0.1):
received, scheduled and done, each once, in the resident's language, with the private link in
the first; an unreachable server is logged and does not lose the request."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from ssckit.core import auth
from ssckit.core.i18n import format_date
from ssckit.emf import requests as rq
from ssckit.web.app import create_app
from tests.conftest import _free_port
from tests.emf.test_requests import PASSWORD, PDF, _csrf, copy_city
from tests.notify_receivers import local_mailbox

RESIDENT = "resident@example.org"


def _messages(got: list) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(e.original_content, policy=email.policy.default)
            for e in got]


def _submit(c: TestClient, lang: str) -> str:
    page = c.get(f"/emf/request?lang={lang}")
    r = c.post("/emf/request", data={"csrf_token": _csrf(page.text),
                                     "address": "Old Town, 5 Mill Lane, flat 2",
                                     "place": "Old Town", "email": RESIDENT,
                                     "consent_publish": "yes"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].split("?")[0].rsplit("/", 1)[1]


def test_notices_in_the_residents_language(demo_workspace: Path, tmp_path: Path) -> None:
    with local_mailbox() as (port, got):
        root = copy_city(demo_workspace, tmp_path, {
            "email": {"smtp_host": "127.0.0.1", "smtp_port": port,
                      "sender": "emf@city.example"},
            "public_url": "https://emf.city.example/"})
        with TestClient(create_app(root), base_url="https://testserver") as c:
            token = _submit(c, "ru")
            store, ws = c.app.state.store, c.app.state.workspace  # type: ignore[attr-defined]
            req = rq.request_for_token(store, token)
            ref = req["ref"]
            assert req["lang"] == "ru"
            (received,) = _messages(got)
            assert received["To"] == RESIDENT and received["From"] == "emf@city.example"
            assert received["X-Ssckit-Alert"] == f"{ref}:received:1"
            assert received["Subject"] == f"Ваш запрос на измерение ЭМП {ref} получен"
            body = received.get_content()
            assert f"https://emf.city.example/emf/request/status/{token}" in body
            assert "Old Town, 5 Mill Lane, flat 2" in body
            # the analyst's steps: assigning sends nothing, scheduling and closing do
            auth.add_user(store, "ada", "analyst", PASSWORD)
            day = date.today() + timedelta(days=5)
            rq.assign_request(store, ref, "ada", "ada")
            assert rq.send_notices(ws, store, ref) == {"sent": 0, "failed": 0, "deferred": 0}
            rq.schedule_request(store, ref, day, "ada")
            assert rq.send_notices(ws, store, ref)["sent"] == 1
            rq.close_request(ws, store, ref, e_v_m=1.25, percent_of_limit=0.19, actor="ada",
                             report=PDF)
            assert rq.send_notices(ws, store, ref)["sent"] == 1
            assert rq.send_notices(ws, store, ref)["sent"] == 0   # never twice
            scheduled, done = _messages(got)[1:]
            assert scheduled["Subject"] == f"Измерение ЭМП {ref} запланировано"
            assert format_date(day, lang="ru") in scheduled.get_content()
            assert done["Subject"] == f"Измерение ЭМП {ref} выполнено"
            text = done.get_content()
            assert "1,25 В/м" in text and "0,19 %" in text, text
            assert not re.search(r"[A-Za-z]{4,}", text.replace(req["address"], "")
                                 .replace(ref, "")), text
            log = rq.notice_log(store, ref)
            assert sorted(d["alert_key"] for d in log if d["ok"]) == [
                f"{ref}:done:4", f"{ref}:received:1", f"{ref}:scheduled:3"]
            assert [e.rcpt_tos for e in got] == [[RESIDENT]] * 3


def test_english_and_belarusian_subjects(demo_workspace: Path, tmp_path: Path) -> None:
    with local_mailbox() as (port, got):
        root = copy_city(demo_workspace, tmp_path, {
            "email": {"smtp_host": "127.0.0.1", "smtp_port": port,
                      "sender": "emf@city.example"}})
        with TestClient(create_app(root), base_url="https://testserver") as c:
            refs = [rq.request_for_token(c.app.state.store, _submit(c, lang))["ref"]  # type: ignore[attr-defined]
                    for lang in ("en", "be")]
        en, be = _messages(got)
        assert en["Subject"] == f"Your EMF measurement request {refs[0]} is received"
        assert be["Subject"] == f"Ваш запыт на вымярэнне ЭМП {refs[1]} атрыманы"
        # without public_url the message has no link, and says so by leaving it out
        assert "/emf/request/status/" not in en.get_content()


def test_unreachable_smtp_is_logged_and_the_request_kept(demo_workspace: Path,
                                                         tmp_path: Path) -> None:
    root = copy_city(demo_workspace, tmp_path, {
        "email": {"smtp_host": "127.0.0.1", "smtp_port": _free_port(),
                  "sender": "emf@city.example"}})
    with TestClient(create_app(root), base_url="https://testserver") as c:
        token = _submit(c, "en")
        store = c.app.state.store  # type: ignore[attr-defined]
        req = rq.request_for_token(store, token)
        assert req["status"] == "received"
        (attempt,) = rq.notice_log(store, req["ref"])
        assert not attempt["ok"] and "ConnectionRefusedError" in attempt["detail"]
        assert c.get(f"/emf/request/status/{token}").status_code == 200
