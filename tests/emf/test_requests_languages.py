"""The analysts' mistakes on a request (assign, schedule, close) come back beside the form in the
page's language, from the real app served by uvicorn; the same mistakes stay English in the
library and on the command line."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from ssckit.core import auth
from ssckit.core.errors import InputError
from ssckit.core.i18n import language
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.emf import requests as rq
from tests.conftest import serve_workspace
from tests.emf.test_requests import PASSWORD, copy_city
from tests.i18n.conftest import russian_as_belarusian

NNBSP = "\u202f"  # the group separator of Russian and Belarusian numbers


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _error(r: httpx.Response, action: str) -> str:
    """The text shown under the form of ``action`` (a 422 page)."""
    assert r.status_code == 422, r.text[:300]
    found = re.search(rf'id="{action}-error"[^>]*>(.*?)</p>', r.text, re.S)
    assert found, f"no {action} error on the page"
    return html.unescape(found.group(1))


@pytest.fixture
def served(demo_workspace: Path, tmp_path: Path):
    root = copy_city(demo_workspace, tmp_path)
    with Store.open(Workspace.load(root).store_path) as store:
        auth.add_user(store, "ada", "analyst", PASSWORD)
        auth.add_user(store, "vic", "viewer", PASSWORD)
        ref = rq.list_requests(store, "received")[0]["ref"]
    server = serve_workspace(root)
    base = next(server)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            login = client.get("/login")
            r = client.post("/login", data={"username": "ada", "password": PASSWORD,
                                            "csrf_token": _csrf(login.text)})
            assert r.status_code in (200, 303), r.text[:300]
            yield client, ref
    finally:
        next(server, None)


def _post(client: httpx.Client, ref: str, action: str, lang: str,
          data: dict[str, str], files: dict | None = None) -> httpx.Response:
    page = client.get(f"/emf/requests/{ref}?lang={lang}")
    assert page.status_code == 200
    return client.post(f"/emf/requests/{ref}/{action}?lang={lang}",
                       data={"csrf_token": _csrf(page.text), **data}, files=files)


def test_request_errors_in_russian_on_the_served_app(served) -> None:
    client, ref = served
    past = (date.today() - timedelta(days=3)).isoformat()
    # before the request has an analyst: neither a visit nor a result
    assert _error(_post(client, ref, "schedule", "ru", {"day": date.today().isoformat()}),
                  "schedule") == f"Запрос '{ref}': сначала назначьте его аналитику"
    assert _error(_post(client, ref, "close", "ru", {"e_v_m": "1", "percent_of_limit": "1",
                                                      "lab_report": "L-1"}), "close") == (
        f"Запрос '{ref}': имеет статус «получен»; назначьте его аналитику, прежде чем "
        "закрывать")
    # a viewer cannot be given the request
    r = _post(client, ref, "assign", "ru", {"assignee": "vic"})
    assert _error(r, "assign") == ("Инженер: 'vic' не аналитик; выберите одного из аналитиков, "
                                   "перечисленных в этой форме (роль аналитика назначает "
                                   "администратор на странице «Пользователи»)")
    assert '<html lang="ru">' in r.text
    assert client.post(f"/emf/requests/{ref}/assign?lang=ru", data={
        "csrf_token": _csrf(client.get(f"/emf/requests/{ref}").text), "assignee": "ada"},
        follow_redirects=False).status_code == 303
    assert _error(_post(client, ref, "schedule", "ru", {"day": past}), "schedule").startswith(
        f"День выезда: {past} вне диапазона с {date.today().isoformat()} по ")
    # the result: numbers as Russian readers write them, the unit in Russian
    assert _error(_post(client, ref, "close", "ru", {"e_v_m": "1200", "percent_of_limit": "1",
                                                      "lab_report": "L-1"}), "close") == (
        f"Измеренная напряжённость электрического поля (В/м): 1{NNBSP}200 вне диапазона от 0 "
        f"до 1{NNBSP}000 В/м")
    assert _error(_post(client, ref, "close", "ru", {"e_v_m": "1.5", "percent_of_limit": "1"}),
                  "close") == ("Протокол измерений (PDF): приложите протокол измерений (PDF) "
                               "или укажите номер протокола в реестре измерений")
    assert _error(_post(client, ref, "close", "ru", {"e_v_m": "1.5", "percent_of_limit": "1"},
                        files={"report": ("lab.pdf", b"not a pdf", "application/pdf")}),
                  "close") == ("Протокол измерений (PDF): это не файл PDF; приложите протокол "
                               "измерений в формате PDF")
    assert _error(_post(client, ref, "close", "ru", {"e_v_m": "1.5", "percent_of_limit": "1",
                                                      "lab_report": "протокол 7"}), "close") == (
        "Номер протокола измерений: 'протокол 7' не номер протокола; используйте от 1 до 80 "
        "латинских букв, цифр и знаков . _ : / # -")


def test_request_errors_in_belarusian_and_english_on_the_served_app(served) -> None:
    client, ref = served
    r = _post(client, ref, "assign", "be", {"assignee": "vic"})
    shown = _error(r, "assign")
    assert shown == ("Інжынер: 'vic' не аналітык; выберыце аднаго з аналітыкаў, пералічаных у "
                     "гэтай форме (ролю аналітыка прызначае адміністратар на старонцы "
                     "«Карыстальнікі»)")
    assert '<html lang="be">' in r.text and not russian_as_belarusian(f"<p>{shown}</p>")
    assert _error(_post(client, ref, "close", "be", {"e_v_m": "0.5", "percent_of_limit": "-1",
                                                      "lab_report": "L-1"}), "close") == (
        f"Запыт '{ref}': мае статус «атрыманы»; прызначце яго аналітыку, перш чым закрываць")
    shown = _error(_post(client, ref, "assign", "en", {"assignee": "vic"}), "assign")
    assert shown == (
        "Engineer: 'vic' is not an analyst; choose one of the analysts listed in this form (an "
        "administrator gives users the analyst role on the Users page)")
    assert "ssckit" not in shown  # the page names no command to run


def test_the_library_and_command_line_stay_english(demo_workspace: Path, tmp_path: Path) -> None:
    ws = Workspace.load(copy_city(demo_workspace, tmp_path))
    with Store.open(ws.store_path) as store:
        auth.add_user(store, "ada", "analyst", PASSWORD)
        ref = rq.list_requests(store, "received")[0]["ref"]
        rq.assign_request(store, ref, "ada", "ada")
        with pytest.raises(InputError) as exc:
            rq.close_request(ws, store, ref, e_v_m=0.5, percent_of_limit=200_000, actor="ada",
                             lab_report="L-1")
        assert str(exc.value) == "share of the limit: 200000 is outside 0..100000 %"
        # the command line's remedy is a command, in English whatever the language in force
        with language("ru"), pytest.raises(InputError) as exc:
            rq.assign_request(store, ref, "nobody", "ada")
        assert str(exc.value) == ("assignee: 'nobody' is not an analyst; give the user name of "
                                  "an analyst or admin (see `ssckit users list`)")
        assert exc.value.on_page == ("'nobody' не аналитик; выберите одного из аналитиков, "
                                     "перечисленных в этой форме (роль аналитика назначает "
                                     "администратор на странице «Пользователи»)")


def test_a_report_over_the_limit_names_the_setting_only_on_the_command_line(
        demo_workspace: Path, tmp_path: Path) -> None:
    ws = Workspace.load(copy_city(demo_workspace, tmp_path, {"max_report_mb": 0.5}))
    with Store.open(ws.store_path) as store:
        auth.add_user(store, "ada", "analyst", PASSWORD)
        ref = rq.list_requests(store, "received")[0]["ref"]
        rq.assign_request(store, ref, "ada", "ada")
        big = rq.PDF_MAGIC + b"0" * 600_000
        with language("ru"), pytest.raises(rq.RequestError) as exc:
            rq.close_request(ws, store, ref, e_v_m=0.5, percent_of_limit=1, actor="ada",
                             report=big)
    assert str(exc.value) == ("report: 0.6 MB is over the limit of 0.5 MB "
                              "(settings.emf.requests.max_report_mb in city.yaml)")
    assert exc.value.on_page == ("0,6 МБ больше допустимых 0,5 МБ; приложите PDF меньшего "
                                 "размера или укажите номер протокола в реестре измерений")
