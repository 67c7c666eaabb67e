"""Cue building, caption formats, re-export from corrected JSON and word error rate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ssckit.access.captions import reexport, review_page
from ssckit.access.cues import (
    Cue,
    Word,
    build_cues,
    cues_from_json,
    normalise_text,
    problems,
    to_srt,
    to_webvtt,
    word_error_rate,
    wrap,
)
from ssckit.core.errors import InputError


def _words(text: str, start: float = 0.0, step: float = 0.3) -> list[Word]:
    return [Word(w, start + i * step, start + i * step + 0.25) for i, w in enumerate(text.split())]


def test_wrap_balances_two_lines() -> None:
    assert wrap("short line") == ["short line"]
    lines = wrap("the council meets every second tuesday in the town hall annex")
    assert len(lines) == 2 and all(len(line) <= 42 for line in lines)
    assert abs(len(lines[0]) - len(lines[1])) <= 8
    assert len(wrap(" ".join(["word"] * 30))) > 2  # too long for two lines: greedy


def test_build_cues_rules() -> None:
    text = ("Welcome to the meeting of the city council. Tonight we discuss the new library "
            "opening hours and the budget for accessible public transport across all districts "
            "of the city")
    words = _words(text)
    words.append(Word("Thanks.", 40.0, 40.2))  # after a long pause, a short last cue
    cues = build_cues(words)
    assert problems(cues) == []
    assert " ".join(c.text.replace("\n", " ") for c in cues) == text + " Thanks."
    assert cues[0].text == "Welcome to the meeting\nof the city council."  # sentence end
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.end <= b.start
    assert cues[-1].start == 40.0 and cues[-1].end == pytest.approx(41.0)  # held 1 s


def test_max_duration_splits_slow_speech() -> None:
    cues = build_cues(_words("one two three four five six seven eight", step=2.0))
    assert all(c.end - c.start <= 7.0 for c in cues) and len(cues) >= 3
    assert problems(cues) == []


def test_formats() -> None:
    cues = [Cue(0.5, 2.0, "Hello <world> & you"), Cue(3661.25, 3663.0, "line one\nline two")]
    vtt = to_webvtt(cues, "en")
    assert vtt.startswith("WEBVTT\nLanguage: en\n\n1\n00:00:00.500 --> 00:00:02.000\n")
    assert "Hello &lt;world&gt; &amp; you" in vtt
    assert "01:01:01.250 --> 01:01:03.000\nline one\nline two\n" in vtt
    srt = to_srt(cues)
    assert srt.startswith("1\n00:00:00,500 --> 00:00:02,000\nHello <world> & you\n\n2\n")


def test_reexport_corrected_json(tmp_path: Path) -> None:
    data = {"language": "en", "cues": [
        {"start": 0, "end": 1.5, "text": "Corrected   first cue"},
        {"start": 1.6, "end": 4, "text": "a much longer corrected second cue that needs two lines"},
    ]}
    src = tmp_path / "talk.corrected.cues.json"
    src.write_text(json.dumps(data))
    res = reexport(src)
    assert res.vtt == tmp_path / "talk.vtt" and res.srt == tmp_path / "talk.srt"
    assert res.cues[0].text == "Corrected first cue"
    assert len(res.cues[1].lines) == 2
    assert "00:00:01.600 --> 00:00:04.000" in res.vtt.read_text()
    assert res.problems == []


@pytest.mark.parametrize(("data", "message"), [
    ({"cues": [{"start": 2, "end": 1, "text": "x"}]}, "before end"),
    ([{"start": 0, "end": 2, "text": "a"}, {"start": 1, "end": 3, "text": "b"}], "overlap"),
    ([{"start": "soon", "end": 2, "text": "a"}], "numeric"),
    ({"nothing": []}, "list of cues"),
])
def test_bad_corrections(data: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        cues_from_json(data)


def test_review_page_is_self_contained() -> None:
    page = review_page([Cue(0, 1.2, "Hello <b>")], title="talk.mp4", language="en",
                       media_src="talk.mp4")
    assert '<html lang="en">' in page and "Hello &lt;b&gt;" in page
    assert page.count("<form") == 1 and 'for="t1"' in page
    assert "http://" not in page and "https://" not in page


def test_word_error_rate() -> None:
    assert normalise_text("It's the Town-Hall, OK?") == ["it's", "the", "town-hall", "ok"]
    assert word_error_rate("the cat sat", "the cat sat") == 0.0
    assert word_error_rate("the cat sat on the mat", "the cat sat on mat") == pytest.approx(1 / 6)
    assert word_error_rate("a b c", "a x c d") == pytest.approx(2 / 3)  # 1 sub + 1 ins
    assert word_error_rate("", "") == 0.0
