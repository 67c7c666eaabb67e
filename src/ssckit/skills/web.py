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
from typing import Annotated, Any

import plotly.graph_objects as go
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.webkit import (
    chart_json,
    check_csrf,
    csrf_token,
    get_store,
    get_workspace,
    render,
)
from ssckit.skills import cat
from ssckit.skills import results as res
from ssckit.skills.frameworks import AREA_IDS, default_frameworks

router = APIRouter(prefix="/skills", tags=["skills"])
pages = APIRouter(include_in_schema=False)
NAV = [("Digital skills", "/skills", None), ("Take the test", "/skills/test", None)]

#: Variables of the survey breakdowns and of the test's optional questions, as people read them.
VARIABLE_LABELS = {"sex": "Sex", "age_group": "Age group", "district": "District",
                   "area": "Urban or rural", "education": "Education", "disability": "Disability",
                   "all": "Everyone"}
VALUE_LABELS = {"sex": {"F": "Women", "M": "Men"},
                "disability": {"yes": "With a disability", "no": "Without a disability"}}
#: Colour-blind-safe palette (Okabe & Ito 2008), one colour per group variable.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

#: Words of the test pages in each language (plain language, short sentences).
UI: dict[str, dict[str, str]] = {
    "title": {"en": "Digital skills test", "ru": "Тест цифровых навыков"},
    "question": {"en": "Question {i}", "ru": "Вопрос {i}"},
    "progress": {"en": "Question {i} of at most {n}. Topic: {area}.",
                 "ru": "Вопрос {i} из не более чем {n}. Тема: {area}."},
    "choose": {"en": "Choose one answer. If you are not sure, choose “I don't know”.",
               "ru": "Выберите один ответ. Если вы не уверены, выберите «Не знаю»."},
    "answer": {"en": "Answer", "ru": "Ответить"},
    "no_choice": {"en": "Choose one of the answers, then press “Answer”.",
                  "ru": "Выберите один из ответов и нажмите «Ответить»."},
    "about_h": {"en": "You have finished the test", "ru": "Вы закончили тест"},
    "about_p": {"en": "These questions are optional. Your answers help the city see which "
                      "groups need training. They are stored without your name.",
                "ru": "Эти вопросы необязательны. Ваши ответы помогут городу понять, каким "
                      "группам нужно обучение. Они хранятся без вашего имени."},
    "no_say": {"en": "Prefer not to say", "ru": "Не хочу отвечать"},
    "sex": {"en": "Sex", "ru": "Пол"},
    "sex.F": {"en": "Woman", "ru": "Женщина"},
    "sex.M": {"en": "Man", "ru": "Мужчина"},
    "age_group": {"en": "Age", "ru": "Возраст"},
    "district": {"en": "District where you live", "ru": "Район, где вы живёте"},
    "education": {"en": "Highest education finished", "ru": "Законченное образование"},
    "education.primary": {"en": "Primary school", "ru": "Начальное"},
    "education.secondary": {"en": "Secondary school", "ru": "Среднее"},
    "education.tertiary": {"en": "College or university", "ru": "Высшее или колледж"},
    "disability": {"en": "Do you have a disability?", "ru": "Есть ли у вас инвалидность?"},
    "disability.yes": {"en": "Yes", "ru": "Да"},
    "disability.no": {"en": "No", "ru": "Нет"},
    "show_result": {"en": "Show my result", "ru": "Показать результат"},
    "result_h": {"en": "Your digital skills result", "ru": "Ваш результат"},
    "your_id": {"en": "Your pseudonymous id", "ru": "Ваш псевдоним"},
    "keep_id": {"en": "Keep it to open this page again. It is not linked to your name.",
                "ru": "Сохраните его, чтобы снова открыть эту страницу. Он не связан с вашим "
                      "именем."},
    "overall": {"en": "Overall level", "ru": "Общий уровень"},
    "questions": {"en": "Questions answered", "ru": "Отвечено вопросов"},
    "estimate": {"en": "Estimate (θ ± standard error)", "ru": "Оценка (θ ± стандартная ошибка)"},
    "areas_h": {"en": "Your level in each area", "ru": "Ваш уровень в каждой области"},
    "area": {"en": "Area", "ru": "Область"},
    "level": {"en": "Level", "ru": "Уровень"},
    "answers": {"en": "Answers", "ru": "Ответов"},
    "uncertain": {"en": "Uncertain: few answers in this area",
                  "ru": "Неточно: мало ответов в этой области"},
    "next_h": {"en": "What to learn next", "ru": "Что изучить дальше"},
    "next_p": {"en": "Your weakest area is “{area}”. These skills belong to it; start with "
                     "the first ones:",
               "ru": "Ваша самая слабая область — «{area}». В неё входят эти навыки; начните "
                     "с первых:"},
    "next_level": {"en": "Next step: level {n} ({group}).",
                   "ru": "Следующий шаг: уровень {n} ({group})."},
    "top_level": {"en": "You are at the highest level.", "ru": "У вас самый высокий уровень."},
    "cert_h": {"en": "Certificate", "ru": "Сертификат"},
    "cert_link": {"en": "Download your certificate (PDF)",
                  "ru": "Скачать сертификат (PDF)"},
    "cert_p": {"en": "The certificate shows your pseudonymous id, the date and your levels. "
                     "It has no name.",
               "ru": "В сертификате указаны псевдоним, дата и ваши уровни. Имени в нём нет."},
    "how_h": {"en": "How the levels are set", "ru": "Как определяются уровни"},
    "how_p": {"en": "Levels 1 to 8 follow the European Digital Competence Framework "
                    "(DigComp 2.2): 1-2 foundation, 3-4 intermediate, 5-6 advanced, 7-8 highly "
                    "specialised. You reach a level when you would answer about half of its "
                    "typical questions correctly. The difficulty of the questions is still "
                    "provisional, so treat the result as a guide, not a qualification.",
              "ru": "Уровни от 1 до 8 соответствуют Европейской рамке цифровых компетенций "
                    "(DigComp 2.2): 1-2 базовый, 3-4 средний, 5-6 продвинутый, "
                    "7-8 высокоспециализированный. Уровень достигнут, если вы ответили бы "
                    "правильно примерно на половину его типичных вопросов. Сложность вопросов "
                    "пока предварительная, поэтому результат — ориентир, а не квалификация."},
    "again": {"en": "Take the test again", "ru": "Пройти тест ещё раз"},
}


def _t(lang: str) -> dict[str, str]:
    return {k: v[lang] for k, v in UI.items()}


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
    fw = default_frameworks()
    return [("overall", "skills:overall_basic_or_above", "At least basic skills overall")] + [
        (f"area{a}", f"skills:area_basic_or_above:{a}", f"{fw.area(a).en}: at least basic")
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
        out.append({"key": var, "label": VARIABLE_LABELS.get(var, var.replace("_", " ").title()),
                    "groups": [{"value": g, "label": labels.get(g, g), "cells": cells}
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
                      line_color="#4f5963", annotation_text="everyone",
                      annotation_position="top")
    fig.update_layout(
        title=f"{label}, share of people (%) with 95 % CI", height=120 + 24 * max(n_bars, 1),
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
        "variable_labels": VARIABLE_LABELS,
    })


@router.get("/results")
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


def _load(request: Request, test_id: str) -> tuple[str, cat.CATState]:
    loaded = res.load_test(_store(request), test_id)
    if loaded is None:
        raise HTTPException(404, "there is no test with this id; start a new one at /skills/test")
    return loaded


def _question_page(request: Request, test_id: str, lang: str, state: cat.CATState,
                   error: str | None = None, status_code: int = 200) -> HTMLResponse:
    tb = res.question_bank()
    assert state.pending is not None
    item = tb.item(state.pending)
    t = _t(lang)
    n = len(state.items) + 1
    return render(request, "skills/question.html", {
        "t": t, "lang": lang, "test_id": test_id, "item": item,
        "stem": item.stem.get(lang), "choices": res.choices(item, lang),
        "heading": t["question"].format(i=n),
        "progress": t["progress"].format(i=n, n=state.config.max_items,
                                         area=res.area_name(item.area, lang)),
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
    })


@pages.post("/skills/test")
def start_test(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    lang: Annotated[str, Form(pattern="^(en|ru)$")] = "en",
) -> Response:
    check_csrf(request, csrf_token)
    import secrets

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
        return _about_page(request, test_id, lang)
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
    if not choice:
        return _question_page(request, test_id, lang, state, _t(lang)["no_choice"], 422)
    try:
        code = res.response_code(question, choice)
    except ValueError:
        return _question_page(request, test_id, lang, state, _t(lang)["no_choice"], 422)
    state = cat.answer(tb.cat, state, code)
    if not state.finished:
        state, _ = cat.next_item(tb.cat, state)
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
    nxt = result.level + 1 if result.level < 8 else None
    return render(request, "skills/result.html", {
        "t": t, "lang": lang, "test_id": test_id, "taken_at": taken_at, "r": result,
        "group": res.group_name(result.group, lang),
        "area_name": lambda a: res.area_name(a, lang),
        "group_name": lambda g: res.group_name(g, lang),
        "weakest": res.area_name(result.weakest_area, lang),
        "advice": [(c, res.competence_name(c, lang)) for c in result.advice],
        "next_level": t["next_level"].format(
            n=nxt, group=getattr(fw.proficiency_group(nxt), lang)) if nxt else t["top_level"],
    })


@pages.get("/skills/certificate/{test_id}.pdf")
def certificate(request: Request, test_id: str) -> Response:
    from ssckit.skills.certificate import certificate_pdf

    taken_at, lang, result = _result(request, test_id)
    pdf = certificate_pdf(test_id, taken_at, result, lang, get_workspace(request).label)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="digital-skills-{test_id}.pdf"'})
