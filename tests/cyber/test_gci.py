"""GCI 2024-style questionnaire, answers validation, scoring, chart and export."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from ssckit.core.errors import InputError
from ssckit.cyber.gci import (
    assess,
    blank_answers,
    export_csv,
    export_json,
    load_answers,
    load_questionnaire,
    parse_answers,
    radar_figure,
)


def test_questionnaire_has_the_five_gci_pillars():
    q = load_questionnaire()
    assert "GCI 2024" in q.edition and q.wording_confirmed is False
    assert [p.id for p in q.pillars] == ["legal", "technical", "organizational", "capacity",
                                         "cooperation"]
    assert sum(p.weight for p in q.pillars) == 100
    ids = [x.id for p in q.pillars for x in p.questions]
    assert len(ids) == len(set(ids)) >= 30


def _all_yes(q):
    return {x.id: {"answer": "yes", "evidence": f"https://gov.test/{x.id}"}
            for p in q.pillars for x in p.questions}


def test_scoring_per_pillar_and_overall():
    q = load_questionnaire()
    answers = parse_answers({"answers": _all_yes(q)}, "a.yaml", q)
    full = assess(answers, q)
    assert full.overall == 100 and full.tier == "T1"
    legal = next(p for p in q.pillars if p.id == "legal")
    half = {x.id: {"answer": "yes", "evidence": "doc"} for x in legal.questions}
    res = assess(parse_answers({"answers": half}, "a.yaml", q), q)
    assert res.pillars[0].share == 100 and res.pillars[0].points == 20
    assert res.overall == 20 and res.tier == "T4"
    assert res.pillars[1].unanswered  # technical not answered: counted as no, and listed
    # Weighted: T1.1 carries weight 2 of the technical pillar's total.
    tech = next(p for p in q.pillars if p.id == "technical")
    one = parse_answers({"answers": {"T1.1": {"answer": True, "evidence": "x"}}}, "a", q)
    total = sum(x.weight for x in tech.questions)
    assert assess(one, q).pillars[1].share == pytest.approx(round(200 / total, 2))


@pytest.mark.parametrize(("answers", "where", "text"), [
    ({"X9.9": "yes"}, "answers.X9.9", "unknown question id"),
    ({"L1.1": {"answer": "maybe"}}, "answers.L1.1, field 'answer'", "yes or no"),
    ({"L1.1": {"answer": "yes"}}, "answers.L1.1, field 'evidence'", "needs evidence"),
    ({"L1.1": {"answer": "no", "colour": 1}}, "answers.L1.1, field 'colour'", "unknown field"),
])
def test_bad_answers_name_the_question_and_field(answers, where, text):
    with pytest.raises(InputError) as exc:
        parse_answers({"answers": answers}, "answers.yaml", load_questionnaire())
    assert exc.value.location == where and text in exc.value.message
    assert exc.value.source == "answers.yaml"


def test_answers_file_roundtrip_chart_and_export(tmp_path):
    q = load_questionnaire()
    template = yaml.safe_load(blank_answers(q))
    assert set(template["answers"]) == {x.id for p in q.pillars for x in p.questions}
    path = tmp_path / "answers.yaml"
    data = {"respondent": "Ministry of ICT", "date": "2026-05-01",
            "answers": {"L1.1": {"answer": "yes", "evidence": "https://law.test/cc"},
                        "O1.1": {"answer": "yes", "evidence": "Strategy 2025, p. 3"},
                        "C1.1": "no"}}
    path.write_text(yaml.safe_dump(data))
    header, answers = load_answers(path, q)
    assert header["respondent"] == "Ministry of ICT"
    result = assess(answers, q, header)
    fig = radar_figure(result)
    assert list(fig.data[0].theta)[:5] == [p.name for p in q.pillars]
    doc = json.loads(export_json(result))
    assert doc["respondent"] == "Ministry of ICT" and len(doc["pillars"]) == 5
    rows = list(csv.reader(io.StringIO(export_csv(result, q))))
    row = next(r for r in rows if r and r[2] == "L1.1")
    assert row[5:] == ["yes", "https://law.test/cc"]
    assert rows[-1][0] == "overall"
