"""Performance tasks: task files, event checking and server-side scoring."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ssckit.core.errors import InputError
from ssckit.skills import tasks as T
from ssckit.skills.frameworks import AREA_IDS


def s(target: str, value: str) -> dict[str, Any]:
    return {"type": "set", "target": target, "value": value}


def c(target: str, value: bool = True) -> dict[str, Any]:
    return {"type": "check", "target": target, "value": value}


def ch(target: str, value: str) -> dict[str, Any]:
    return {"type": "choose", "target": target, "value": value}


def p(target: str) -> dict[str, Any]:
    return {"type": "press", "target": target}


#: task -> (correct, partial, wrong) event sequences and the partial score expected.
Events = list[dict[str, Any]]
SEQUENCES: dict[str, tuple[Events, Events, Events, int]] = {
    "phishing-inbox": (
        [c("report-2"), c("report-4"), c("report-1"), c("report-1", False), p("done")],
        [c("report-2"), c("report-3"), p("done")], [c("report-1"), c("report-5"), p("done")], 1),
    "password-2fa": (
        [s("new", "Tram!Bridge7Quiet"), s("repeat", "Tram!Bridge7Quiet"), ch("twofa", "app"),
         c("saved"), p("save")],
        [s("new", "Tram!Bridge7Quiet"), s("repeat", "Tram!Bridge7Quiet"), ch("twofa", "sms"),
         p("save")],
        [s("new", "ivan.petrov1"), s("repeat", "ivan.petrov1"), ch("twofa", "none"), p("save")], 2),
    "egov-form": (
        [ch("service", "residence"), s("name", "Olga  Sidorova"), s("pnum", "4120387a011pb5"),
         s("email", "olga.s@mail.example"), c("consent"), p("send")],
        [ch("service", "residence"), s("name", "Olga Sidorova"), s("pnum", "4120387A011PB"),
         s("email", "olga.s@mail.example"), p("send")],
        [ch("service", "passport"), s("name", "Olga"), p("send")], 1),
    "trust-web-page": (
        [ch("verdict", "no"), c("cue-address"), c("cue-author"), c("cue-card"), p("done")],
        [ch("verdict", "no"), c("cue-card"), p("done")],
        [ch("verdict", "yes"), c("cue-https"), p("done")], 1),
    "attach-file": (
        [s("to", "housing@city.example"), ch("file", "c"), p("send")],
        [s("to", "housing@city.example"), ch("file", "a"), p("send")],
        [s("to", "olga@mail.example"), ch("file", "b"), p("send")], 1),
    "share-document": (
        [s("who", "pavel.k@school.example"), ch("role", "view"), p("share")],
        [s("who", "pavel.k@school.example"), ch("role", "edit"), c("link"), p("share")],
        [s("who", "pavel@school.example"), ch("role", "edit"), c("link"), p("share")], 1),
    "spreadsheet-sum": (
        [s("b5", "=SUM(B2:B4)"), p("save")], [s("b5", "790"), p("save")],
        [s("b5", "=B2+B3"), p("save")], 1),
    "image-licence": (
        [ch("photo", "p2"), s("credit", "Photo: K. Novik, CC BY 4.0"), p("insert")],
        [ch("photo", "p2"), s("credit", "Old bridge"), p("insert")],
        [ch("photo", "p1"), s("credit", "M. Ivanova, CC BY"), p("insert")], 1),
    "wifi-fix": (
        [c("wifi"), ch("network", "home"), s("password", "river-Lake-42"), p("connect")],
        [c("wifi"), ch("network", "cafe"), p("connect")],
        [ch("network", "home"), s("password", "river-Lake-42"), p("connect")], 1),
    "safe-update": (
        [p("check"), p("install")], [p("install")], [p("download"), p("check"), p("install")], 1),
}


def test_at_least_ten_tasks_over_the_five_areas() -> None:
    bank = T.task_bank()
    assert len(bank) >= 10
    assert {t.area for t in bank.values()} == set(AREA_IDS)
    assert set(SEQUENCES) == set(bank)
    for t in bank.values():
        assert set(t.strings) >= set(T.TASK_LANGUAGES)
        assert t.gpcm.max_score == t.max_score >= 2


@pytest.mark.parametrize("task_id", sorted(SEQUENCES))
def test_correct_partial_and_wrong_sequences(task_id: str) -> None:
    task = T.get_task(task_id)
    good, partial, wrong, partial_score = SEQUENCES[task_id]
    assert T.score_events(task, good).score == task.max_score
    got = T.score_events(task, partial).score
    assert got == partial_score and 0 < got < task.max_score
    assert T.score_events(task, wrong).score == 0


def test_unsubmitted_attempt_scores_zero_and_last_submit_counts() -> None:
    task = T.get_task("share-document")
    r = T.score_events(task, [s("who", "pavel.k@school.example"), ch("role", "view")])
    assert (r.score, r.submitted) == (0, False)
    # changes after the last press of the submit button do not count
    r = T.score_events(task, [s("who", "pavel.k@school.example"), ch("role", "view"),
                              p("share"), c("link")])
    assert r.score == 3


@pytest.mark.parametrize(("events", "where"), [
    ([{"type": "keylog", "target": "who", "value": "x"}], "event 1, field 'type'"),
    ([p("share"), {"type": "press", "target": "admin"}], "event 2, field 'target'"),
    ([ch("role", "owner")], "event 1, field 'value'"),
    ([c("link", "yes")], "event 1, field 'value'"),  # type: ignore[arg-type]
    ([s("who", "x" * 201)], "event 1, field 'value'"),
    ([{"type": "press", "target": "share", "score": 3}], "event 1, field 'score'"),
    ([{"type": "set", "target": "share", "value": "x"}], "event 1, field 'target'"),
    ("press share", "events"),
])
def test_tampered_events_are_refused_in_one_line(events: Any, where: str) -> None:
    with pytest.raises(InputError) as e:
        T.score_events(T.get_task("share-document"), events)
    assert e.value.location == where
    assert "\n" not in str(e.value)


def test_event_types_are_those_of_the_scene() -> None:
    # the phishing inbox has check boxes and a button only
    assert T.get_task("phishing-inbox").allowed_events == ("check", "press")
    with pytest.raises(InputError, match="not one of this task's events: check, press"):
        T.score_events(T.get_task("phishing-inbox"), [s("report-1", "x")])


def test_a_bad_task_file_is_one_line(tmp_path: Any) -> None:
    from pathlib import Path

    import yaml

    def load() -> Any:
        return yaml.safe_load(Path(T.get_task("attach-file").source).read_text(encoding="utf-8"))

    data = load()
    del data["strings"]["ru"]["send"]
    with pytest.raises(InputError, match="every text must exist in every language"):
        T.parse_task(data, "bad.yaml")
    # Belarusian is a language of the pages: a task without its texts is refused, naming it
    data = load()
    del data["strings"]["be"]
    with pytest.raises(InputError) as e:
        T.parse_task(data, "bad.yaml")
    assert (e.value.source, e.value.location) == ("bad.yaml", "field 'strings.be'")
    assert "\n" not in str(e.value) and "en, ru, be" in str(e.value)
    data = load()
    del data["strings"]["be"]["send"]
    with pytest.raises(InputError) as e:
        T.parse_task(data, "bad.yaml")
    assert e.value.location == "field 'strings.be.send'"
    data = load()
    data["gpcm"]["b"] = [0.0]
    with pytest.raises(InputError, match="give 2 step difficulties"):
        T.parse_task(data, "bad.yaml")
    data = load()
    data["rules"][0]["when"] = {"checked": ["nope"]}
    with pytest.raises(InputError, match="names widget 'nope'"):
        T.parse_task(data, "bad.yaml")


def test_belarusian_texts_are_belarusian_and_score_alike() -> None:
    """Every task has its own Belarusian texts (letters Russian lacks, none only Russian has),
    the same keys as the English ones; the e-government form accepts the name as the
    Belarusian ID card writes it, as it does the Russian and Latin ones."""
    for t in T.task_bank().values():
        be = t.texts("be")
        assert be.keys() == t.texts("en").keys()
        assert re.search("[іўІЎ]", be["title"] + be["instructions"]), t.id
        assert not re.search("[ищъИЩЪ]", " ".join(be.values())), t.id
    task = T.get_task("egov-form")
    assert "Вольга Сідарава" in task.texts("be")["card_text"]
    for name in ("Вольга Сідарава", "Ольга Сидорова", "Olga Sidorova", "сідарава вольга"):
        events = [s("name", name), s("pnum", "4120387A011PB5"), p("send")]
        assert T.score_events(task, events).score == 1, name
    with pytest.raises(ValueError, match="not 'de'"):
        task.texts("de")


def test_strong_password_rule() -> None:
    assert T.is_strong_password("Tram!Bridge7Quiet")
    assert not T.is_strong_password("short1A!")
    assert not T.is_strong_password("alllowercaseletters")
    assert not T.is_strong_password("Ivan!Petrov2026x", avoid=("petrov",))


def test_the_item_mix_hook_picks_the_most_informative_task() -> None:
    assert {t.area for t in T.performance_items((4,))} == {4}
    easy = T.most_informative_task(-2.0, set())
    hard = T.most_informative_task(2.0, set())
    assert easy is not None and hard is not None
    mean_b = [sum(t.gpcm.b) / len(t.gpcm.b) for t in (easy, hard)]
    assert mean_b[0] < mean_b[1]
    assert T.most_informative_task(0.0, set(T.task_bank())) is None


def test_tasks_for_a_campaign_mix_follow_the_area_shares() -> None:
    picked = T.tasks_for_mix(5, (0.2, 0.2, 0.2, 0.2, 0.2), seed=4)
    assert sorted(t.area for t in picked) == [1, 2, 3, 4, 5]
    assert [t.id for t in T.tasks_for_mix(5, (0.2,) * 5, seed=4)] == [t.id for t in picked]
    only_safety = T.tasks_for_mix(3, (0, 0, 0, 1, 0), seed=1)
    assert len(only_safety) == 2 and {t.area for t in only_safety} == {4}  # two in the bank


def test_task_likelihood_moves_the_posterior() -> None:
    import numpy as np

    from ssckit.skills.irt import quadrature

    nodes, w = quadrature(61)
    task = T.get_task("wifi-fix")
    means = []
    for score in range(task.max_score + 1):
        post = np.log(w) + T.task_log_likelihood(nodes, task, score)
        post = np.exp(post - post.max())
        means.append(float(nodes @ post / post.sum()))
    assert means == sorted(means) and means[0] < -0.3 < 0.3 < means[-1]
    with pytest.raises(InputError, match="outside 0..3"):
        T.task_log_likelihood(nodes, task, 4)
