"""The web face of assessment campaigns: organiser, proctor and report pages, participants' join.

Organiser pages (role analyst): ``/skills/campaigns`` (list, create), ``/skills/campaigns/<id>``
(settings, codes, progress, results by group with intervals), ``/skills/campaigns/<id>/proctor``
(open and close sessions, live progress), ``/skills/campaigns/<id>/change`` (before/after
report) and its CSV. Participants need no login: ``/skills/join/<id>?code=...`` starts their
adaptive test, which then runs on the public test pages (:mod:`ssckit.skills.web`). API:
``/api/v1/skills/campaigns`` (progress of every campaign; any signed-in role).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from ssckit.core import i18n
from ssckit.core.errors import InputError
from ssckit.core.i18n import N_
from ssckit.core.store import Store
from ssckit.core.webkit import Answer, Principal, check_csrf, csrf_token, render, require_role
from ssckit.skills import campaign as cp
from ssckit.skills import results as res
from ssckit.skills.web import _store

router = APIRouter(prefix="/skills/campaigns", tags=["skills"])
pages = APIRouter(include_in_schema=False)
NAV = [(N_("Skills campaigns"), "/skills/campaigns", "analyst")]
Organiser = Annotated[Principal, Depends(require_role("analyst"))]
Viewer = Annotated[Principal, Depends(require_role("viewer"))]

#: Names of the scores of the before/after report.
SCORE_LABELS = {"overall": N_("Overall")}
VARIABLE_LABELS = {"all": N_("Everyone"), "age_group": N_("Age group"), "sex": N_("Sex"),
                   "region": N_("Region"), "disability": N_("Disability")}
VALUE_LABELS = {"F": N_("Women"), "M": N_("Men"), "yes": N_("With a disability"),
                "no": N_("Without a disability"), "not stated": N_("not stated")}


class Progress(Answer):
    """Progress of a campaign."""

    campaign: str
    codes: int = Field(description="Participant codes issued")
    started: int = Field(description="Tests started")
    finished: int = Field(description="Tests finished")
    in_progress: int = Field(description="Tests started and not finished")
    open_sessions: list[int] = Field(description="Numbers of the sessions open now")


class CampaignList(Answer):
    """Progress of every campaign."""

    campaigns: list[Progress]


def csv_download(rows: list[dict[str, Any]], fieldnames: list[str], filename: str) -> Response:
    """Rows as a CSV attachment (UTF-8, header first)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fieldnames, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _campaign(store: Store, campaign_id: str) -> cp.Campaign:
    try:
        return cp.load_campaign(store, campaign_id)
    except InputError:
        raise HTTPException(404, "there is no campaign with this id") from None


def _today() -> date:
    return datetime.now(UTC).date()


def score_label(score: str) -> str:
    if score in SCORE_LABELS:
        return i18n.gettext(SCORE_LABELS[score])
    return res.area_name(int(score.removeprefix("area")), i18n.current_language())


def _group_label(variable: str, group: str) -> str:
    if variable == "all":
        return i18n.gettext(VARIABLE_LABELS["all"])
    return i18n.gettext(VALUE_LABELS[group]) if group in VALUE_LABELS else group


# -- organiser --------------------------------------------------------------------------------
@pages.get("/skills/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, _: Organiser) -> HTMLResponse:
    return _campaigns_page(request)


def _campaigns_page(request: Request, error: str | None = None,
                    status_code: int = 200) -> HTMLResponse:
    store = _store(request)
    rows = [(c, cp.progress(store, c)) for c in cp.list_campaigns(store)]
    return render(request, "skills/campaigns.html", {
        "rows": rows, "csrf_token": csrf_token(request), "error": error,
        "today": _today().isoformat(), "test_languages": i18n.LANGUAGES,
        "areas": [(a, res.area_name(a, i18n.current_language())) for a in range(1, 6)],
    }, status_code=status_code)


@pages.post("/skills/campaigns")
def create_campaign(
    request: Request,
    _: Organiser,
    csrf_token: Annotated[str, Form()] = "",
    campaign_id: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    group: Annotated[str, Form(max_length=200)] = "",
    langs: Annotated[list[str] | None, Form()] = None,
    max_items: Annotated[int, Form(ge=5, le=50)] = 15,
    max_tasks: Annotated[int | None, Form()] = None,
    performance_share: Annotated[float, Form(ge=0, le=cp.MAX_PERFORMANCE_SHARE)] = 0.0,
    opens: Annotated[str, Form(max_length=10)] = "",
    closes: Annotated[str, Form(max_length=10)] = "",
    proctored: Annotated[str, Form(max_length=3)] = "",
    pre_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    store = _store(request)
    try:
        try:
            d_open, d_close = date.fromisoformat(opens), date.fromisoformat(closes)
        except ValueError:
            raise InputError("form", "fields 'opens', 'closes'", "give dates as YYYY-MM-DD"
                             ) from None
        pre = cp.load_campaign(store, pre_id) if pre_id else None
        # the cap on tasks; a share of performance tasks is the older way to set it
        mix = cp.ItemMix(max_items, kinds={"knowledge": 1.0 - performance_share,
                                           "performance": performance_share},
                         max_tasks=max_tasks)
        c = cp.new_campaign(campaign_id.strip(), name, group, tuple(langs or ()), mix,
                            d_open, d_close, proctored == "yes", pre, "form")
        cp.save_campaign(store, c)
    except InputError as exc:
        return _campaigns_page(request, exc.message, 422)
    return RedirectResponse(f"/skills/campaigns/{c.campaign_id}", status_code=303)


def _results_context(request: Request, c: cp.Campaign) -> dict[str, Any]:
    store = _store(request)
    report = cp.campaign_report(store, c)
    return {"c": c, "report": report, "progress": report.progress,
            "sessions": cp.sessions(store, c), "csrf_token": csrf_token(request),
            "min_cell": res.MIN_CELL, "score_label": score_label,
            "variable_label": lambda v: i18n.gettext(VARIABLE_LABELS.get(v, v)),
            "group_label": _group_label,
            "join_url": f"{str(request.base_url).rstrip('/')}/skills/join/{c.campaign_id}"}


@pages.get("/skills/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: str, _: Organiser) -> HTMLResponse:
    c = _campaign(_store(request), campaign_id)
    return render(request, "skills/campaign.html", _results_context(request, c))


@pages.post("/skills/campaigns/{campaign_id}/codes")
def add_codes(request: Request, campaign_id: str, _: Organiser,
              csrf_token: Annotated[str, Form()] = "",
              count: Annotated[int, Form(ge=1, le=10_000)] = 1) -> Response:
    check_csrf(request, csrf_token)
    store = _store(request)
    c = _campaign(store, campaign_id)
    if c.pre_id:
        raise HTTPException(422, f"this campaign uses the codes of {c.pre_id}")
    cp.add_participants(store, c, [{} for _ in range(count)])
    return RedirectResponse(f"/skills/campaigns/{campaign_id}", status_code=303)


@pages.get("/skills/campaigns/{campaign_id}/codes.csv")
def codes_csv(request: Request, campaign_id: str, _: Organiser) -> Response:
    store = _store(request)
    c = _campaign(store, campaign_id)
    base = f"{str(request.base_url).rstrip('/')}/skills/join/{c.campaign_id}?code="
    return csv_download([{**p, "link": base + p["code"]} for p in cp.participants(store, c)],
                        ["code", *cp.ATTRIBUTES, "link"], f"{c.campaign_id}-codes.csv")


@pages.get("/skills/campaigns/{campaign_id}/proctor", response_class=HTMLResponse)
def proctor_page(request: Request, campaign_id: str, _: Organiser) -> HTMLResponse:
    c = _campaign(_store(request), campaign_id)
    return render(request, "skills/proctor.html", _results_context(request, c))


@pages.post("/skills/campaigns/{campaign_id}/sessions")
def open_session(request: Request, campaign_id: str, _: Organiser,
                 csrf_token: Annotated[str, Form()] = "",
                 label: Annotated[str, Form(max_length=80)] = "") -> Response:
    check_csrf(request, csrf_token)
    store = _store(request)
    cp.open_session(store, _campaign(store, campaign_id), label)
    return RedirectResponse(f"/skills/campaigns/{campaign_id}/proctor", status_code=303)


@pages.post("/skills/campaigns/{campaign_id}/sessions/{session_no}/close")
def close_session(request: Request, campaign_id: str, session_no: int, _: Organiser,
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    store = _store(request)
    cp.close_session(store, _campaign(store, campaign_id), session_no)
    return RedirectResponse(f"/skills/campaigns/{campaign_id}/proctor", status_code=303)


@pages.get("/skills/campaigns/{campaign_id}/change", response_class=HTMLResponse)
def change_page(request: Request, campaign_id: str, _: Organiser) -> HTMLResponse:
    c = _campaign(_store(request), campaign_id)
    return render(request, "skills/change.html", _results_context(request, c))


@pages.get("/skills/campaigns/{campaign_id}/change.csv")
def change_csv(request: Request, campaign_id: str, _: Organiser) -> Response:
    store = _store(request)
    c = _campaign(store, campaign_id)
    rows = cp.change_rows(cp.campaign_report(store, c))
    return csv_download(rows, list(rows[0]) if rows else [], f"{c.campaign_id}-change.csv")


@router.get("", response_model=CampaignList)
def api_campaigns(request: Request, _: Viewer) -> dict[str, Any]:
    """Every campaign's progress: codes issued, tests started, finished and in progress, and
    the sessions open now (no personal data; any signed-in role)."""
    store = _store(request)
    return {"campaigns": [
        {"campaign": c.campaign_id, **cp.progress(store, c),
         "open_sessions": [s["session_no"] for s in cp.sessions(store, c)
                           if s["closed_at"] is None]} for c in cp.list_campaigns(store)]}


# -- participants -----------------------------------------------------------------------------
def _join_page(request: Request, c: cp.Campaign, code: str = "", error: str | None = None,
               status_code: int = 200) -> HTMLResponse:
    return render(request, "skills/join.html", {
        "c": c, "code": code, "error": error, "csrf_token": csrf_token(request),
        "test_languages": {k: v for k, v in i18n.LANGUAGES.items() if k in c.langs},
        "chosen": c.langs[0],
    }, status_code=status_code)


@pages.get("/skills/join/{campaign_id}", response_class=HTMLResponse)
def join_page(request: Request, campaign_id: str, code: str = "") -> HTMLResponse:
    c = _campaign(_store(request), campaign_id)
    return _join_page(request, c, cp.normalise_code(code) or code[:20])


@pages.post("/skills/join/{campaign_id}")
def join(request: Request, campaign_id: str, csrf_token: Annotated[str, Form()] = "",
         code: Annotated[str, Form(max_length=20)] = "",
         lang: Annotated[str, Form(pattern="^(en|ru|be)$")] = "en") -> Response:
    check_csrf(request, csrf_token)
    store = _store(request)
    c = _campaign(store, campaign_id)
    canon = cp.normalise_code(code)
    if not canon or cp.participant(store, c, canon) is None:
        return _join_page(request, c, code, i18n.gettext(
            "This code is not one of this campaign's codes. Check it and try again."), 422)
    if not c.is_open_on(_today()):
        return _join_page(request, c, canon, i18n.gettext(
            "This campaign is open from {opens} to {closes}.").format(
                opens=c.opens.isoformat(), closes=c.closes.isoformat()), 403)
    session = cp.open_session_no(store, c) if c.proctored else None
    if c.proctored and session is None:
        return _join_page(request, c, canon, i18n.gettext(
            "The test starts when the proctor opens the session. Wait, then try again."), 403)
    test_id = cp.start_attempt(store, c, canon, lang if lang in c.langs else c.langs[0],
                               session)
    return RedirectResponse(f"/skills/test/{test_id}", status_code=303)
