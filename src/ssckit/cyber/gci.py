"""GCI-style self-assessment: the questionnaire, answers, pillar and overall scores, tier,
radar chart and export.

The questionnaire (``data/gci.yaml``) follows the five pillars of the ITU Global Cybersecurity
Index 2024 (5th edition); see the file for what was and was not confirmed.

Scoring: per pillar, the weighted share of questions answered *yes* [%]; the pillar's points are
that share of its weight (20 each, 100 in all); the overall score is the sum of the points,
placed in a GCI 2024 tier. An unanswered question counts as *no* and is listed.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ssckit.core.errors import InputError
from ssckit.core.i18n import gettext


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    text: str
    weight: float = Field(default=1.0, gt=0)


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    questions: list[Question]


class Pillar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    weight: float = Field(gt=0)
    indicators: list[Indicator]

    @property
    def questions(self) -> list[Question]:
        return [q for i in self.indicators for q in i.questions]


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tier: str
    name: str
    min_score: float


class Questionnaire(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edition: str
    source: str
    wording_confirmed: bool
    tiers: list[Tier]
    pillars: list[Pillar]

    def question_ids(self) -> dict[str, Question]:
        return {q.id: q for p in self.pillars for q in p.questions}


def load_questionnaire(path: str | Path | None = None) -> Questionnaire:
    """The questionnaire shipped with ssckit (or the one at ``path``)."""
    if path is None:
        text = resources.files("ssckit.cyber").joinpath("data/gci.yaml").read_text("utf-8")
        source = "ssckit/cyber/data/gci.yaml"
    else:
        text, source = Path(path).read_text("utf-8"), str(path)
    try:
        return Questionnaire.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(source, "field '" + ".".join(map(str, err["loc"])) + "'",
                         err["msg"]) from None


@dataclass(frozen=True)
class Answer:
    question: str
    yes: bool
    evidence: str = ""
    note: str = ""


class _AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: bool | str
    evidence: str = ""
    note: str = ""


def parse_answers(data: object, source: str, questionnaire: Questionnaire) -> dict[str, Answer]:
    """Validate an answers mapping. Raises :class:`InputError` naming the question and field."""
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise InputError(source, None, gettext(
            "expected a mapping with an 'answers' mapping (question id -> {answer: yes|no, "
            "evidence: URL or document})"))
    known = questionnaire.question_ids()
    out: dict[str, Answer] = {}
    for qid, raw in data["answers"].items():
        qid = str(qid)
        where = f"answers.{qid}"
        if qid not in known:
            raise InputError(source, where, gettext(
                "unknown question id (see `ssckit cyber questionnaire` for the list)"))
        if isinstance(raw, bool | str):
            raw = {"answer": raw}
        try:
            a = _AnswerIn.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            field_ = ".".join(str(x) for x in err["loc"])
            msg = gettext("unknown field") if err["type"] == "extra_forbidden" else err["msg"]
            raise InputError(source, gettext("{where}, field '{field}'").format(
                where=where, field=field_), msg) from None
        value = a.answer
        if isinstance(value, str):
            if value.strip().lower() not in ("yes", "no"):
                raise InputError(source, gettext("{where}, field '{field}'").format(
                    where=where, field="answer"), gettext(
                        "{value} is not allowed (yes or no)").format(value=repr(value)))
            value = value.strip().lower() == "yes"
        if value and not a.evidence.strip():
            raise InputError(source, gettext("{where}, field '{field}'").format(
                where=where, field="evidence"), gettext(
                    "a 'yes' needs evidence: a URL or a document reference"))
        out[qid] = Answer(qid, value, a.evidence.strip(), a.note)
    return out


def load_answers(path: str | Path, questionnaire: Questionnaire | None = None
                 ) -> tuple[dict[str, Any], dict[str, Answer]]:
    """Read an answers YAML file: (its header fields, the answers)."""
    questionnaire = questionnaire or load_questionnaire()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise InputError(str(path), None, gettext("cannot read: {reason}").format(
            reason=exc.strerror)) from None
    except yaml.YAMLError as exc:
        raise InputError(str(path), None, gettext("not valid YAML: {reason}").format(
            reason=exc)) from None
    answers = parse_answers(data, str(path), questionnaire)
    header = {k: (v.isoformat() if isinstance(v, date) else v)
              for k, v in data.items() if k != "answers"}
    return header, answers


@dataclass
class PillarScore:
    id: str
    name: str
    weight: float
    share: float  # weighted share of yes [%]
    points: float  # share * weight / 100
    answered: int
    questions: int
    unanswered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # answered no


@dataclass
class Assessment:
    edition: str
    pillars: list[PillarScore]
    overall: float
    tier: str
    tier_name: str
    header: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "edition": self.edition, **self.header, "overall": self.overall, "tier": self.tier,
            "tier_name": self.tier_name,
            "pillars": [p.__dict__ for p in self.pillars],
            "answers": [a.__dict__ for a in self.answers.values()],
        }


def assess(answers: dict[str, Answer], questionnaire: Questionnaire | None = None,
           header: dict[str, Any] | None = None) -> Assessment:
    """Score ``answers`` per pillar and overall."""
    q = questionnaire or load_questionnaire()
    pillars: list[PillarScore] = []
    for p in q.pillars:
        total = sum(x.weight for x in p.questions)
        yes = sum(x.weight for x in p.questions if x.id in answers and answers[x.id].yes)
        share = 100.0 * yes / total if total else 0.0
        pillars.append(PillarScore(
            p.id, p.name, p.weight, round(share, 2), round(share * p.weight / 100.0, 2),
            sum(x.id in answers for x in p.questions), len(p.questions),
            [x.id for x in p.questions if x.id not in answers],
            [x.id for x in p.questions if x.id in answers and not answers[x.id].yes]))
    overall = round(sum(p.points for p in pillars) * 100.0 / sum(p.weight for p in q.pillars), 2)
    tier = next((t for t in sorted(q.tiers, key=lambda t: -t.min_score)
                 if overall >= t.min_score), q.tiers[-1])
    return Assessment(q.edition, pillars, overall, tier.tier, tier.name, header or {}, answers)


def radar_figure(assessment: Assessment) -> Any:
    """Plotly radar chart of the pillar shares [%]."""
    import plotly.graph_objects as go

    from ssckit.core.i18n import gettext as _

    names = [_(p.name) for p in assessment.pillars]
    values = [p.share for p in assessment.pillars]
    fig = go.Figure(go.Scatterpolar(r=values + values[:1], theta=names + names[:1], fill="toself",
                                    name=_("share of yes (%)"), line_color="#0072B2"))
    fig.update_layout(polar={"radialaxis": {"range": [0, 100], "ticksuffix": " %"}},
                      showlegend=False,
                      title=_("Cybersecurity self-assessment ({edition}): {score}/100, tier "
                              "{tier}").format(edition=_(assessment.edition),
                                               score=f"{assessment.overall:.1f}",
                                               tier=assessment.tier))
    return fig


def export_json(assessment: Assessment) -> str:
    return json.dumps(assessment.to_dict(), indent=2, ensure_ascii=False)


def export_csv(assessment: Assessment, questionnaire: Questionnaire | None = None) -> str:
    """One row per question: pillar, indicator, question, answer, evidence, weight."""
    q = questionnaire or load_questionnaire()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["pillar", "indicator", "question_id", "question", "weight", "answer", "evidence"])
    for p in q.pillars:
        for ind in p.indicators:
            for x in ind.questions:
                a = assessment.answers.get(x.id)
                answer = "" if a is None else ("yes" if a.yes else "no")
                w.writerow([p.name, ind.name, x.id, x.text, x.weight, answer,
                            a.evidence if a else ""])
    w.writerow([])
    w.writerow(["pillar", "share_pct", "points", "weight"])
    for ps in assessment.pillars:
        w.writerow([ps.name, ps.share, ps.points, ps.weight])
    w.writerow(["overall", "", assessment.overall, 100])
    return buf.getvalue()


def blank_answers(questionnaire: Questionnaire | None = None) -> str:
    """A YAML answers template with every question as a comment."""
    q = questionnaire or load_questionnaire()
    lines = [f"# Self-assessment answers ({q.edition}). answer: yes|no; evidence: URL or "
             "document (required for yes).", "respondent: ''", "date: ''", "answers:"]
    for p in q.pillars:
        lines.append(f"  # --- {p.name} ({p.weight:g} points)")
        for ind in p.indicators:
            lines.append(f"  # {ind.id} {ind.name}")
            for x in ind.questions:
                lines.append(f"  # {x.text}")
                lines.append(f"  {x.id}: {{answer: no, evidence: ''}}")
    return "\n".join(lines) + "\n"
