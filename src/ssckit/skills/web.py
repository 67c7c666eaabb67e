"""The skills module's web face: the public skills dashboard, the adaptive test, certificates.

Pages: ``/skills`` (levels by population group from the stored survey indicators, with CIs and
the largest gaps), ``/skills/test`` (the adaptive test: no login, one question per page, plain
HTML forms that work without JavaScript), ``/skills/result/<id>`` and
``/skills/certificate/<id>.pdf``. API: ``/api/v1/skills/results`` (aggregate test results with
small groups suppressed).

A test is kept server-side under a random pseudonymous id (``skills_tests``); a finished test's
levels and the group attributes the person chose to give are stored without any name
(``skills_results``). Forms carry the CSRF token of :func:`ssckit.core.webkit.csrf_token` (the
anonymous cookie-and-field pair of the login form, or the session's token when logged in).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import plotly.graph_objects as go
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ssckit.core import auth, i18n
from ssckit.core.i18n import N_
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.webkit import (
    chart_json,
    check_csrf,
    client_address,
    csrf_token,
    current_principal,
    get_store,
    get_workspace,
    render,
    request_language,
)
from ssckit.skills import api_models, campaign, cat
from ssckit.skills import results as res
from ssckit.skills.bank import LANGUAGES as BANK_LANGUAGES
from ssckit.skills.frameworks import AREA_IDS, default_frameworks

router = APIRouter(prefix="/skills", tags=["skills"])
pages = APIRouter(include_in_schema=False)
NAV = [(N_("Digital skills"), "/skills", None), (N_("Take the test"), "/skills/test", None),
       (N_("Practical tasks"), "/skills/tasks", None)]

#: Variables of the survey breakdowns and of the test's optional questions, as people read them.
VARIABLE_LABELS = {"sex": N_("Sex"), "age_group": N_("Age group"), "district": N_("District"),
                   "area": N_("Urban or rural"), "education": N_("Education"),
                   "disability": N_("Disability"), "all": N_("Everyone")}
VALUE_LABELS = {"sex": {"F": N_("Women"), "M": N_("Men")},
                "disability": {"yes": N_("With a disability"), "no": N_("Without a disability")},
                "area": {"urban": N_("urban"), "rural": N_("rural")},
                "education": {"primary": N_("primary"), "secondary": N_("secondary"),
                              "tertiary": N_("tertiary")}}
#: Colour-blind-safe palette (Okabe & Ito 2008), one colour per group variable.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

#: Words of the test pages (plain language, short sentences), translated through the
#: catalogues (ssckit/locale) into the language of the test.
UI: dict[str, str] = {
    "title": N_("Digital skills test"),
    "question": N_("Question {i}"),
    "progress": N_("Question {i} of at most {n}. Topic: {area}."),
    "choose": N_("Choose one answer. If you are not sure, choose “I don't know”."),
    "answer": N_("Answer"),
    "no_choice": N_("Choose one of the answers, then press “Answer”."),
    "about_h": N_("You have finished the test"),
    "about_p": N_("These questions are optional. Your answers help the city see which groups need "
             "training. They are stored without your name."),
    "no_say": N_("Prefer not to say"),
    "sex": N_("Sex"),
    "sex.F": N_("Woman"),
    "sex.M": N_("Man"),
    "age_group": N_("Age"),
    "district": N_("District where you live"),
    "education": N_("Highest education finished"),
    "education.primary": N_("Primary school"),
    "education.secondary": N_("Secondary school"),
    "education.tertiary": N_("College or university"),
    "disability": N_("Do you have a disability?"),
    "disability.yes": N_("Yes"),
    "disability.no": N_("No"),
    "show_result": N_("Show my result"),
    "result_h": N_("Your digital skills result"),
    "your_id": N_("Your pseudonymous id"),
    "keep_id": N_("Keep it to open this page again. It is not linked to your name."),
    "overall": N_("Overall level"),
    "questions": N_("Questions answered"),
    "estimate": N_("Scale score (θ ± standard error)"),
    "analysts_h": N_("For analysts"),
    "analysts_p": N_("The trait estimate on the test's scale, in standard deviations of the "
                     "population, with its standard error. It is shown only to analysts."),
    "level_word": N_("{group} (level {n})"),
    "areas_h": N_("Your level in each area"),
    "area": N_("Area"),
    "level": N_("Level"),
    "answers": N_("Answers"),
    "uncertain": N_("Uncertain: few answers in this area"),
    "next_h": N_("What to learn next"),
    "next_p": N_("Your weakest area is “{area}”. These skills belong to it; start with the "
                 "first ones:"),
    "next_level": N_("Next step: level {n} ({group})."),
    "top_level": N_("You are at the highest level."),
    "cert_h": N_("Certificate"),
    "cert_link": N_("Download your certificate (PDF)"),
    "cert_p": N_("The certificate shows your pseudonymous id, the date and your levels. It has no "
             "name."),
    "how_h": N_("How the levels are set"),
    "how_p": N_("Levels 1 to 8 follow the European Digital Competence Framework (DigComp 2.2): 1-2 "
             "foundation, 3-4 intermediate, 5-6 advanced, 7-8 highly specialised. You reach a "
             "level when you would answer about half of its typical questions correctly. The "
             "difficulty of the questions is still provisional, so treat the result as a guide, "
             "not a qualification."),
    "again": N_("Take the test again"),
}


#: Answers that are words of the test rather than texts of the question bank.
WORD_CHOICES = ("true", "false", res.DONT_KNOW)
N_("True"), N_("False"), N_("I don't know")


def content_language(lang: str) -> str:
    """The language of the question bank and the DigComp names for a test in ``lang``: the bank
    has English and Russian; a Belarusian test shows the Russian questions."""
    return lang if lang in BANK_LANGUAGES else "ru"


def _t(lang: str) -> dict[str, str]:
    with i18n.language(lang):
        return {k: i18n.gettext(v) for k, v in UI.items()}


area_name = res.area_name
group_name = res.group_name


def _store(request: Request) -> Store:
    """The store, with the skills tables created on first use."""
    store = get_store(request)
    if not getattr(request.app.state, "skills_migrated", False):
        res.migrate(store)
        request.app.state.skills_migrated = True
    return store


# -- the survey dashboard ---------------------------------------------------------------------
def _measures() -> list[tuple[str, str, str]]:
    """(key, indicator, label) of the level indicators the dashboard shows."""
    lang = i18n.current_language()
    return [("overall", "skills:overall_basic_or_above",
             i18n.gettext("At least basic skills overall"))] + [
        (f"area{a}", f"skills:area_basic_or_above:{a}",
         i18n.gettext("{area}: at least basic").format(area=area_name(a, lang)))
        for a in AREA_IDS]


def _cell(v: IndicatorValue) -> dict[str, Any]:
    s = v.source or {}
    return {"value": v.value, "ci_low": s.get("ci_low"), "ci_high": s.get("ci_high"),
            "se": s.get("se"), "n": s.get("n")}


def survey_levels(store: Store) -> dict[str, Any]:
    """The stored survey level indicators of the latest period, by group variable.

    Returns ``{"period", "measures", "everyone": {measure: cell}, "variables": [{"key",
    "label", "groups": [{"value", "label", "cells": {measure: cell}}]}]}`` with each cell
    ``{"value", "ci_low", "ci_high", "se", "n"}`` in %.
    """
    measures = _measures()
    by_indicator = {ind: key for key, ind, _ in measures}
    values = [v for v in store.query_values(indicator_prefix="skills:")
              if v.indicator in by_indicator and v.entity == "city"]
    if not values:
        return {"period": None, "measures": measures, "everyone": {}, "variables": []}
    period = max(v.period for v in values)
    everyone: dict[str, Any] = {}
    variables: dict[str, dict[str, dict[str, Any]]] = {}
    for v in values:
        if v.period != period or len(v.breakdown) > 1:
            continue
        key = by_indicator[v.indicator]
        if not v.breakdown:
            everyone[key] = _cell(v)
            continue
        (var, val), = v.breakdown.items()
        variables.setdefault(var, {}).setdefault(str(val), {})[key] = _cell(v)
    out = []
    for var, groups in variables.items():
        labels = VALUE_LABELS.get(var, {})
        label = VARIABLE_LABELS.get(var)
        out.append({"key": var,
                    "label": i18n.gettext(label) if label else var.replace("_", " ").title(),
                    "groups": [{"value": g, "label": i18n.gettext(labels[g]) if g in labels
                                else g, "cells": cells}
                               for g, cells in sorted(groups.items())]})
    order = list(VARIABLE_LABELS)
    out.sort(key=lambda x: (order.index(x["key"]) if x["key"] in order else len(order),
                            x["key"]))
    return {"period": period, "measures": measures, "everyone": everyone, "variables": out}


def largest_gaps(levels: dict[str, Any], measure: str = "overall") -> list[dict[str, Any]]:
    """Per group variable: the highest and lowest group on ``measure``, their difference
    [percentage points] and whether their confidence intervals overlap; largest gap first."""
    gaps = []
    for var in levels["variables"]:
        groups = [g for g in var["groups"] if measure in g["cells"]]
        if len(groups) < 2:
            continue
        hi = max(groups, key=lambda g: g["cells"][measure]["value"])
        lo = min(groups, key=lambda g: g["cells"][measure]["value"])
        h, lw = hi["cells"][measure], lo["cells"][measure]
        overlap = None
        if None not in (h["ci_low"], lw["ci_high"]):
            overlap = h["ci_low"] <= lw["ci_high"]
        gaps.append({"variable": var["key"], "label": var["label"], "highest": hi["label"],
                     "highest_cell": h, "lowest": lo["label"], "lowest_cell": lw,
                     "gap": h["value"] - lw["value"], "ci_overlap": overlap})
    return sorted(gaps, key=lambda g: -g["gap"])


def _levels_figure(levels: dict[str, Any], measure: str, label: str) -> go.Figure:
    fig = go.Figure()
    n_bars = 0
    for i, var in enumerate(levels["variables"]):
        groups = [g for g in var["groups"] if measure in g["cells"]]
        if not groups:
            continue
        cells = [g["cells"][measure] for g in groups]
        n_bars += len(groups)
        fig.add_bar(
            name=var["label"], orientation="h", marker_color=PALETTE[i % len(PALETTE)],
            y=[f"{var['label']}: {g['label']}" for g in groups], x=[c["value"] for c in cells],
            error_x={"type": "data", "symmetric": False, "color": "#1b1f24", "thickness": 1.2,
                     "array": [(c["ci_high"] or c["value"]) - c["value"] for c in cells],
                     "arrayminus": [c["value"] - (c["ci_low"] or c["value"]) for c in cells]},
            hovertemplate="%{y}: %{x:.1f} %<extra></extra>")
    if measure in levels["everyone"]:
        fig.add_vline(x=levels["everyone"][measure]["value"], line_dash="dash",
                      line_color="#4f5963", annotation_text=i18n.gettext("everyone"),
                      annotation_position="top")
    fig.update_layout(
        title=i18n.gettext("{measure}, share of people (%) with 95 % CI").format(measure=label),
        height=120 + 24 * max(n_bars, 1),
        xaxis={"title": "%", "range": [0, 100]},
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        margin={"l": 10, "r": 10, "t": 50, "b": 40}, showlegend=False, barmode="overlay",
        bargap=0.25)
    return fig


@pages.get("/skills", response_class=HTMLResponse)
def dashboard(request: Request,
              measure: Annotated[str, Query(pattern=r"^(overall|area[1-5])$")] = "overall",
              ) -> HTMLResponse:
    store = _store(request)
    levels = survey_levels(store)
    label = dict((k, lab) for k, _, lab in levels["measures"])[measure]
    has_data = bool(levels["variables"] or levels["everyone"])
    return render(request, "skills/dashboard.html", {
        "levels": levels, "measure": measure, "measure_label": label,
        "gaps": largest_gaps(levels, measure) if has_data else [],
        "levels_chart": chart_json(_levels_figure(levels, measure, label)) if has_data else None,
        "tests": res.aggregate(store), "min_cell": res.MIN_CELL,
        "variable_labels": {k: i18n.gettext(v) for k, v in VARIABLE_LABELS.items()},
    })


@router.get("/results", response_model=api_models.Results)
def api_results(request: Request) -> dict[str, Any]:
    """Adaptive-test results so far: people and mean trait (θ) and level, for everyone and by
    each optional attribute; groups of fewer than ``min_cell`` people are suppressed."""
    return {"min_cell": res.MIN_CELL, "rows": res.aggregate(_store(request))}


# -- the adaptive test ------------------------------------------------------------------------
def _districts(request: Request) -> list[str]:
    """District names: from the stored survey breakdowns, else the workspace's districts file."""
    found = {str(v.breakdown["district"]) for v in get_store(request).query_values(
        indicator="skills:overall_basic_or_above") if "district" in v.breakdown}
    if not found:
        ws = get_workspace(request)
        if ws.config.districts:
            try:
                gj = json.loads(ws.path(ws.config.districts).read_text(encoding="utf-8"))
                found = {str(f["properties"]["name"]) for f in gj.get("features", [])
                         if (f.get("properties") or {}).get("name")}
            except (OSError, ValueError):
                found = set()
    return sorted(found)


class TestSettings(BaseModel):
    """``settings.skills`` of city.yaml: limits of the anonymous adaptive test."""

    model_config = ConfigDict(extra="forbid")

    tests_per_hour: int = Field(30, ge=1, le=100_000, description="Tests one client address "
                                "may start per hour without logging in (a class of pupils "
                                "behind one school address fits).")
    abandoned_after_h: float = Field(24.0, gt=0, le=8760, description="Hours after its last "
                                     "answer a test in progress expires and is deleted [h].")


def test_settings(request: Request) -> TestSettings:
    return get_workspace(request).module_settings("skills", TestSettings)


def purge_abandoned_tests(store: Store, older_than: datetime) -> int:
    """Delete tests in progress last answered before ``older_than`` (UTC) that have no
    result; return how many."""
    with store.transaction() as cur:
        n = cur.execute("SELECT count(*) FROM skills_tests WHERE updated_at < ? AND test_id "
                        "NOT IN (SELECT test_id FROM skills_results)", [older_than]).fetchone()[0]
        if n:
            cur.execute("DELETE FROM skills_tests WHERE updated_at < ? AND test_id NOT IN "
                        "(SELECT test_id FROM skills_results)", [older_than])
    return int(n)


def _expiry(request: Request) -> datetime:
    """Tests last answered before this (UTC) have expired."""
    hours = test_settings(request).abandoned_after_h
    return datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=hours)


def _load(request: Request, test_id: str) -> tuple[str, cat.CATState]:
    store = _store(request)
    loaded = res.load_test(store, test_id)
    if loaded is None:
        raise HTTPException(404, "there is no test with this id; start a new one at /skills/test")
    with store.cursor() as cur:
        row = cur.execute("SELECT updated_at FROM skills_tests WHERE test_id = ?",
                          [test_id]).fetchone()
    if row is not None and row[0] < _expiry(request) and \
            res.load_result(store, test_id) is None:
        raise HTTPException(404, "this test expired after a long pause; start a new one at "
                                 "/skills/test")
    return loaded


def _question_page(request: Request, test_id: str, lang: str, state: cat.CATState,
                   error: str | None = None, status_code: int = 200) -> HTMLResponse:
    tb = res.question_bank()
    assert state.pending is not None
    item = tb.item(state.pending)
    t = _t(lang)
    n = state.n_units + 1  # questions and performance tasks
    content = content_language(lang)
    order = res.option_order(item, state.seed)
    choices = res.choices(item, content, order)
    if lang != content:  # "True", "False", "I don't know" in the language of the test
        words = dict(res.choices(item, "en"))
        with i18n.language(lang):
            choices = [(v, i18n.gettext(words[v]) if v in WORD_CHOICES else label)
                       for v, label in choices]
    return render(request, "skills/question.html", {
        "t": t, "lang": lang, "content_lang": content, "test_id": test_id, "item": item,
        "stem": item.stem.get(content), "choices": choices,
        "heading": t["question"].format(i=n),
        "progress": t["progress"].format(i=n, n=state.config.max_items,
                                         area=area_name(item.area, lang)),
        "csrf_token": csrf_token(request), "error": error,
    }, status_code=status_code)


def _about_page(request: Request, test_id: str, lang: str,
                error: str | None = None, status_code: int = 200) -> HTMLResponse:
    t = _t(lang)
    options = {k: [(v, t.get(f"{k}.{v}", v)) for v in vals]
               for k, vals in res.ATTRIBUTES.items()}
    options["district"] = [(d, d) for d in _districts(request)]
    return render(request, "skills/about.html", {
        "t": t, "lang": lang, "test_id": test_id, "options": options,
        "csrf_token": csrf_token(request), "error": error,
    }, status_code=status_code)


@pages.get("/skills/test", response_class=HTMLResponse)
def start_page(request: Request) -> HTMLResponse:
    return render(request, "skills/start.html", {
        "csrf_token": csrf_token(request), "max_items": res.TEST_CONFIG.max_items,
        "test_languages": i18n.LANGUAGES, "chosen": request_language(request),
    })


@pages.post("/skills/test")
def start_test(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    lang: Annotated[str, Form(pattern="^(en|ru|be)$")] = "en",
) -> Response:
    check_csrf(request, csrf_token)
    import secrets

    settings = test_settings(request)
    store = _store(request)
    if current_principal(request) is None:
        wait = auth.take_rate_slot(store, "skills-test", client_address(request),
                                   settings.tests_per_hour, timedelta(hours=1))
        if wait is not None:
            raise HTTPException(429, i18n.gettext(
                "Too many tests were started from your address. Try again in {minutes} "
                "minutes.").format(minutes=wait // 60 + 1), headers={"Retry-After": str(wait)})
    purge_abandoned_tests(store, _expiry(request))
    tb = res.question_bank()
    test_id = res.new_test_id()
    state = cat.start_test(tb.cat, res.TEST_CONFIG, seed=secrets.randbelow(2**31))
    state, _ = cat.next_item(tb.cat, state)
    res.save_test(_store(request), test_id, lang, state)
    return RedirectResponse(f"/skills/test/{test_id}", status_code=303)


@pages.get("/skills/test/{test_id}", response_class=HTMLResponse)
def test_page(request: Request, test_id: str) -> Response:
    if not res.is_test_id(test_id):
        raise HTTPException(404, "there is no test with this id; start a new one at /skills/test")
    lang, state = _load(request, test_id)
    if res.load_result(_store(request), test_id) is not None:
        return RedirectResponse(f"/skills/result/{test_id}", status_code=303)
    if state.finished:
        att = campaign.attempt_of_test(_store(request), test_id)
        if att is not None:
            # a campaign's performance tasks follow the adaptive questions
            c = campaign.load_campaign(_store(request), att["campaign_id"])
            task = campaign.pending_task(_store(request), c, test_id)
            if task is not None:
                return _campaign_task_page(request, test_id, lang, task)
            # a campaign's participant gave the group attributes with the code
            campaign.finish_attempt(_store(request), test_id, lang, state)
            return RedirectResponse(f"/skills/result/{test_id}", status_code=303)
        return _about_page(request, test_id, lang)
    if state.pending_task is not None:
        # a campaign's performance task, chosen by the adaptive test between its questions
        from ssckit.skills import tasks as perf

        return _campaign_task_page(request, test_id, lang, perf.get_task(state.pending_task))
    return _question_page(request, test_id, lang, state)


@pages.post("/skills/test/{test_id}")
def answer_question(
    request: Request,
    test_id: str,
    csrf_token: Annotated[str, Form()] = "",
    item: Annotated[str, Form(max_length=40)] = "",
    choice: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    if not res.is_test_id(test_id):
        raise HTTPException(404, "there is no test with this id; start a new one at /skills/test")
    lang, state = _load(request, test_id)
    tb = res.question_bank()
    here = RedirectResponse(f"/skills/test/{test_id}", status_code=303)
    # A resubmitted or stale form (back button, double click) answers nothing.
    if state.finished or state.pending is None or tb.item(state.pending).id != item:
        return here
    question = tb.item(state.pending)
    att = campaign.attempt_of_test(_store(request), test_id)
    if att is not None and att["session_no"] is not None and not campaign.session_is_open(
            _store(request), att["campaign_id"], att["session_no"]):
        raise HTTPException(403, i18n.gettext("The proctor has closed this session."))
    if not choice:
        return _question_page(request, test_id, lang, state, _t(lang)["no_choice"], 422)
    try:
        code = res.response_code(question, choice)
    except ValueError:
        return _question_page(request, test_id, lang, state, _t(lang)["no_choice"], 422)
    pool = campaign.task_pool(state.config)  # a campaign's performance tasks, if any
    state = cat.answer(tb.cat, state, code,
                       shown=",".join(res.option_order(question, state.seed)), tasks=pool)
    if not state.finished:
        state, _ = cat.next_item(tb.cat, state, pool)
    res.save_test(_store(request), test_id, lang, state)
    return here


@pages.post("/skills/test/{test_id}/about")
def about_submit(
    request: Request,
    test_id: str,
    csrf_token: Annotated[str, Form()] = "",
    sex: Annotated[str, Form(max_length=40)] = "",
    age_group: Annotated[str, Form(max_length=40)] = "",
    district: Annotated[str, Form(max_length=200)] = "",
    education: Annotated[str, Form(max_length=40)] = "",
    disability: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    if not res.is_test_id(test_id):
        raise HTTPException(404, "there is no test with this id; start a new one at /skills/test")
    lang, state = _load(request, test_id)
    if not state.finished:
        return RedirectResponse(f"/skills/test/{test_id}", status_code=303)
    given = {"sex": sex, "age_group": age_group, "district": district, "education": education,
             "disability": disability}
    allowed = dict(res.ATTRIBUTES, district=tuple(_districts(request)))
    for key, value in given.items():
        if value and value not in allowed[key]:
            raise HTTPException(422, f"{key}: {value!r} is not one of the choices")
    tb = res.question_bank()
    res.save_result(_store(request), test_id, lang, tb.cat.fingerprint,
                    res.score_test(tb, state), given)
    return RedirectResponse(f"/skills/result/{test_id}", status_code=303)


def _result(request: Request, test_id: str) -> tuple[Any, str, res.SkillsResult]:
    found = res.load_result(_store(request), test_id) if res.is_test_id(test_id) else None
    if found is None:
        raise HTTPException(404, "there is no finished test with this id")
    return found


@pages.get("/skills/result/{test_id}", response_class=HTMLResponse)
def result_page(request: Request, test_id: str) -> HTMLResponse:
    taken_at, lang, result = _result(request, test_id)
    t = _t(lang)
    fw = default_frameworks()
    principal = current_principal(request)
    nxt = result.level + 1 if result.level < 8 else None
    return render(request, "skills/result.html", {
        "t": t, "lang": lang, "test_id": test_id, "taken_at": taken_at, "r": result,
        "content_lang": content_language(lang),
        "group": group_name(result.group, lang),
        "level_word": lambda group, n: t["level_word"].format(group=group_name(group, lang),
                                                              n=n),
        # the scale score is for analysts; the public reads the DigComp level words
        "show_scale": principal is not None and principal.user.has_role("analyst"),
        "area_name": lambda a: area_name(a, lang),
        "group_name": lambda g: group_name(g, lang),
        "weakest": area_name(result.weakest_area, lang),
        "advice": [(c, res.competence_name(c, content_language(lang))) for c in result.advice],
        "next_level": t["next_level"].format(
            n=nxt, group=group_name(fw.proficiency_group(nxt).id, lang))
        if nxt else t["top_level"],
    })


@pages.get("/skills/certificate/{test_id}.pdf")
def certificate(request: Request, test_id: str) -> Response:
    from ssckit.skills.certificate import certificate_pdf

    taken_at, lang, result = _result(request, test_id)
    pdf = certificate_pdf(test_id, taken_at, result, lang, get_workspace(request).label)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="digital-skills-{test_id}.pdf"'})


# -- practical (performance) tasks: scenes, and scoring from the recorded events ---------------
def _task_texts(lang: str) -> tuple[str, list[dict[str, str]]]:
    from ssckit.skills import tasks as perf

    # tasks are written in every language of the pages (tasks.TASK_LANGUAGES)
    return lang, [{"id": t.id, "title": t.texts(lang)["title"],
                   "area": area_name(t.area, lang)} for t in perf.task_bank().values()]


@pages.get("/skills/tasks", response_class=HTMLResponse)
def tasks_page(request: Request) -> HTMLResponse:
    content, tasks = _task_texts(request_language(request))
    return render(request, "skills/tasks.html", {"tasks": tasks, "content_lang": content})


@pages.get("/skills/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, task_id: str) -> HTMLResponse:
    from ssckit.skills import tasks as perf

    task = perf.task_bank().get(task_id)
    if task is None:
        raise HTTPException(404, "there is no task with this id; see the list at /skills/tasks")
    content = request_language(request)
    return render(request, "skills/task.html", {
        "task": task, "tx": task.texts(content), "content_lang": content,
        "area": area_name(task.area, content), "csrf_token": csrf_token(request)})


def _campaign_task_page(request: Request, test_id: str, lang: str, task: Any) -> HTMLResponse:
    """A campaign attempt's next performance task, in the test's language; scored and stored
    by :func:`score_campaign_task`."""
    content = lang
    return render(request, "skills/task.html", {
        "task": task, "tx": task.texts(content), "content_lang": content,
        "area": area_name(task.area, content), "csrf_token": csrf_token(request),
        "score_url": f"/api/v1/skills/test/{test_id}/tasks/{task.id}/score",
        "next_url": f"/skills/test/{test_id}"})


class TaskEvents(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[Any] = Field(description="What the person did, in order: {type, target, value}")


@router.post("/tasks/{task_id}/score")
def score_task(request: Request, task_id: str, body: TaskEvents) -> dict[str, Any]:
    """Score a practical task from its recorded events (checked against the task's scene)."""
    from ssckit.core.errors import InputError
    from ssckit.core.webkit import CSRF_HEADER
    from ssckit.skills import tasks as perf

    check_csrf(request, request.headers.get(CSRF_HEADER, ""))
    task = perf.task_bank().get(task_id)
    if task is None:
        raise HTTPException(404, f"there is no task {task_id!r}")
    try:
        return perf.score_events(task, body.events).to_dict()
    except InputError as exc:
        raise HTTPException(422, f"{exc.location}: {exc.message}") from None


@router.post("/test/{test_id}/tasks/{task_id}/score")
def score_campaign_task(request: Request, test_id: str, task_id: str,
                        body: TaskEvents) -> dict[str, Any]:
    """Score a performance task of a campaign attempt from its recorded events and store the
    score with the attempt (the first score of a task counts; the test page then shows the
    next task or the result)."""
    from ssckit.core.errors import InputError
    from ssckit.core.webkit import CSRF_HEADER

    check_csrf(request, request.headers.get(CSRF_HEADER, ""))
    store = _store(request)
    att = campaign.attempt_of_test(store, test_id) if res.is_test_id(test_id) else None
    if att is None or att["finished_at"] is not None:
        raise HTTPException(404, "there is no unfinished campaign test with this id")
    if att["session_no"] is not None and not campaign.session_is_open(
            store, att["campaign_id"], att["session_no"]):
        raise HTTPException(403, i18n.gettext("The proctor has closed this session."))
    c = campaign.load_campaign(store, att["campaign_id"])
    try:
        score = campaign.store_task_score(store, c, test_id, task_id, body.events)
    except InputError as exc:
        raise HTTPException(422, f"{exc.location}: {exc.message}") from None
    return {**score.to_dict(), "next": f"/skills/test/{test_id}"}
