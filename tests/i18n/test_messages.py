"""Messages about a reader's own input reach them in their language: the caption form's
errors and rule checks, a bad answers file of the cyber self-assessment, the findings of a
scan. The same messages stay English on the command line (no language set)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ssckit.access.captions import write_captions
from ssckit.access.cues import Cue, cues_from_json, problems
from ssckit.access.texts import check_message
from ssckit.core import auth, i18n
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.cyber import gci
from ssckit.cyber.texts import CODE, finding_detail
from ssckit.web.app import create_app

PASSWORD = "a long enough password for tests"


def test_cue_errors_in_russian_and_english() -> None:
    bad = [{"start": 0.0, "end": 1.0, "text": "a"}, {"start": 0.5, "end": 2.0, "text": "b"}]
    with i18n.language("ru"), pytest.raises(InputError) as ru:
        cues_from_json(bad, "meeting.cues.json")
    assert str(ru.value) == ("meeting.cues.json: фрагмент 2: начинается в 0.5 с, до окончания "
                             "предыдущего фрагмента (1.0 с); фрагменты не должны перекрываться")
    with pytest.raises(InputError) as en:
        cues_from_json(bad, "meeting.cues.json")
    assert str(en.value) == ("meeting.cues.json: cue 2: starts at 0.5 s, before the previous "
                             "cue ends (1.0 s); cues may not overlap")
    with i18n.language("be"):
        assert problems([Cue(0.0, 9.0, "a")]) == ["фрагмент 1: паказваецца 9.00 с, даўжэй за "
                                                  "7.0 с"]


def test_answers_file_errors_in_russian() -> None:
    q = gci.load_questionnaire()
    qid = sorted(q.question_ids())[0]
    with i18n.language("ru"), pytest.raises(InputError) as exc:
        gci.parse_answers({"answers": {qid: "maybe"}}, "answers.yaml", q)
    assert exc.value.location == f"answers.{qid}, поле 'answer'"
    assert exc.value.message == "'maybe' недопустимо (yes или no)"
    with i18n.language("ru"), pytest.raises(InputError) as exc:
        gci.parse_answers({"answers": {qid: "yes"}}, "answers.yaml", q)
    assert "нужно подтверждение" in exc.value.message


@pytest.mark.parametrize(("detail", "lang", "expected"), [
    ("max-age=86400 is below six months", "ru", "max-age=86400 меньше шести месяцев"),
    ("expires in 10 days (2026-12-14)", "be", "тэрмін дзеяння сканчаецца праз 10 дз. (2026-12-14)"),
    ("JSESSIONID: no Secure; JSESSIONID: no SameSite", "ru",
     "JSESSIONID: нет Secure; JSESSIONID: нет SameSite"),
    ("max-age=86400 is below six months", "en", "max-age=86400 is below six months"),
])
def test_finding_details_in_the_readers_language(detail: str, lang: str, expected: str) -> None:
    assert finding_detail(detail, lang) == (expected, lang)


def test_finding_details_without_a_translation_say_they_are_english() -> None:
    assert finding_detail("a detail no pattern knows", "ru") == ("a detail no pattern knows",
                                                                 "en")
    assert finding_detail("nosniff", "ru") == ("nosniff", CODE)  # a header value, shown as is


#: What axe-core 4.12 said about the sample city's pages (stored English).
CONTRAST = ("Element has insufficient color contrast of 2.09 (foreground color: #b3b3b3, "
            "background color: #ffffff, font size: 12.0pt (16px), font weight: normal). "
            "Expected contrast ratio of 4.5:1")


@pytest.mark.parametrize(("message", "lang", "expected"), [
    (CONTRAST, "ru", "Недостаточный контраст цветов элемента: 2,09 (цвет текста #b3b3b3, цвет "
     "фона #ffffff, размер шрифта 12 pt (16 px), обычное начертание). Требуется контраст не "
     "менее 4,5:1"),
    (CONTRAST, "be", "Недастатковы кантраст колераў элемента: 2,09 (колер тэксту #b3b3b3, колер "
     "фону #ffffff, памер шрыфту 12 pt (16 px), звычайнае накрэсленне). Патрабуецца кантраст "
     "не менш за 4,5:1"),
    ("Element does not have an alt attribute", "ru", "У элемента нет атрибута alt"),
    ("Element does not have an implicit (wrapped) <label>", "be",
     "Элемент не ўкладзены ў метку <label> (няма няяўнай меткі)"),
    ("aria-labelledby attribute does not exist, references elements that do not exist or "
     "references elements that are empty", "ru", "Атрибут aria-labelledby отсутствует, "
     "ссылается на несуществующие элементы или на пустые элементы"),
    ("Element has no title attribute", "en", "Element has no title attribute"),
])
def test_axe_check_messages_in_the_readers_language(message: str, lang: str,
                                                    expected: str) -> None:
    assert check_message(message, lang) == (expected, lang)


def test_axe_check_message_without_a_pattern_says_it_is_english() -> None:
    other = "Element has a tabindex greater than 0"
    assert check_message(other, "ru") == (other, "en")
    # A pattern matches the whole message, never a part of it.
    assert check_message("Element has no title attribute (2)", "be")[1] == "en"


@pytest.fixture(scope="module")
def client(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("i18n-forms") / "city"
    shutil.copytree(demo_workspace, root)
    with Store.open(root / "ssckit.duckdb") as store:
        auth.add_user(store, "ada", "admin", PASSWORD)
    write_captions([Cue(0.0, 2.0, "Good evening."), Cue(2.5, 4.0, "First item.")],
                   root / "outputs" / "access" / "captions", "council", "en")
    with TestClient(create_app(root), base_url="https://testserver") as c:
        csrf = c.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"')[0]
        r = c.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf},
                   follow_redirects=False)
        assert r.status_code == 303
        yield c


def _field(html: str, name: str) -> str:
    return html.split(f'name="{name}" value="', 1)[1].split('"')[0]


def test_caption_form_answers_in_russian(client: TestClient) -> None:
    form = client.get("/access/captions/council?lang=ru")
    assert form.status_code == 200 and "Исправление субтитров" in form.text
    data = {"csrf_token": _field(form.text, "csrf_token"), "digest": _field(form.text, "digest"),
            "text": ["Добрый вечер."]}
    r = client.post("/access/captions/council?lang=ru", data=data)
    assert r.status_code == 422
    assert "Форма отправила 1 текстов для 2 фрагментов; обновите страницу" in r.text
    r = client.post("/access/captions/council?lang=ru", data=data | {
        "text": ["Добрый вечер.", "Первый вопрос."]}, follow_redirects=True)
    assert r.status_code == 200
    assert "Сохранено 2 фрагмента; council.vtt и council.srt записаны заново" in r.text
