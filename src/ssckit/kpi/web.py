"""The KPI module's web face: scorecard and catalogue API, value upload, scorecard and KPI pages."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

import plotly.graph_objects as go
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from ssckit.core.errors import InputError
from ssckit.core.i18n import N_, gettext
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.webkit import (
    PERIOD_PATTERN,
    Principal,
    chart_json,
    check_csrf,
    get_store,
    get_workspace,
    render,
    request_language,
    require_role,
)
from ssckit.core.workspace import Workspace
from ssckit.kpi import api_models
from ssckit.kpi.catalogue import load_catalogue
from ssckit.kpi.charts import achievement_by_group
from ssckit.kpi.io import read_values_csv
from ssckit.kpi.maps import workspace_district_map
from ssckit.kpi.precedence import Choice, reason_text
from ssckit.kpi.records import audit_log, manual_history, parse_date, record_manual_values
from ssckit.kpi.review import (
    MAX_EVIDENCE_BYTES,
    add_evidence_bytes,
    add_evidence_url,
    audit_in_language,
    decide,
    effective_status,
    evidence_by_id,
    evidence_path,
    get_review,
    list_evidence,
    list_reviews,
    reset_changed_reviews,
    submit,
)
from ssckit.kpi.scorecard import KpiScore, Scorecard, city_choices, workspace_scorecard
from ssckit.kpi.settings import kpi_settings

router = APIRouter(prefix="/kpi", tags=["kpi"])
pages = APIRouter(include_in_schema=False)
NAV = [(N_("Scorecard"), "/kpi/scorecard", None), (N_("Import values"), "/kpi/import", "analyst"),
       (N_("Verification"), "/kpi/review", "verifier")]

#: Largest CSV of KPI values accepted in one upload [bytes].
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

Period = Annotated[str | None, Query(pattern=PERIOD_PATTERN,
                                     description="YYYY, YYYY-MM or YYYY-MM-DD")]


def home_panel(request: Request) -> Markup:
    """The home page's scorecard panel: totals and benchmark points per dimension."""
    from ssckit.kpi.charts import points_distribution

    card = workspace_scorecard(get_workspace(request), get_store(request),
                               lang=request_language(request))
    dims = [g for g in card.groups if g.level == "dimension"]
    counts = {d.key: [sum(1 for k in card.kpis if k.dimension == d.key and k.points == p)
                      for p in range(5)] for d in dims}
    template = request.app.state.templates.get_template("kpi/_home.html")
    return Markup(template.render(totals=card.totals, dims=dims, counts=counts,
                                  headline=card.headline(),
                                  points_chart=chart_json(points_distribution(card))))


def import_values(ws: Workspace, store: Store, data: bytes, filename: str,
                  actor: str = "web") -> list[IndicatorValue]:
    """Validate a CSV of KPI values (see :func:`ssckit.kpi.io.read_values_csv`) and record them
    as manual values by ``actor`` (kept beside computed ones; reviewed values that change are
    drafts again).

    Nothing is stored unless every row is valid; :class:`InputError` names ``filename``.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(filename, None, f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
    name = _SAFE_NAME.sub("_", Path(filename).name).strip("._") or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="ssckit-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            values = read_values_csv(path, load_catalogue(), str(ws.config.year))
        except InputError as exc:
            raise InputError(name, exc.location, exc.message) from None
    record_manual_values(store, values, "web", actor)
    reset_changed_reviews(store, city_choices(store, str(ws.config.year),
                                              kpi_settings(ws).precedence))
    return values


# -- API --------------------------------------------------------------------------------------
@router.get("/scorecard", response_model=api_models.Scorecard)
def api_scorecard(request: Request, period: Period = None) -> dict[str, Any]:
    """The city's U4SSC scorecard for ``period`` (default: the workspace's reporting year)."""
    return workspace_scorecard(get_workspace(request), get_store(request), period).to_dict()


@router.get("/catalogue", response_model=api_models.Catalogue)
def api_catalogue() -> dict[str, Any]:
    """The 91 U4SSC KPIs with their dimensions, sub-dimensions, categories and benchmark bands."""
    cat = load_catalogue()
    return {
        "dimensions": cat.dimensions, "subdimensions": cat.subdimensions,
        "categories": cat.categories, "bands": [b.__dict__ for b in cat.bands],
        "bands_source": cat.bands_source, "kpis": [k.to_dict() for k in cat.kpis],
    }


@router.post(
    "/values", status_code=201,
    responses={401: {"description": "no credentials"}, 403: {"description": "role too low"},
               413: {"description": "body too large"},
               422: {"description": "invalid CSV; nothing was stored"}},
    openapi_extra={"requestBody": {"content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}}},
    }}},
)
async def api_upload_values(
    request: Request, principal: Annotated[Principal, Depends(require_role("analyst"))],
) -> JSONResponse:
    """Import KPI values from a CSV (``code,value,unit,source[,period,entity,quality,notes]``),
    sent as the body (``text/csv``) or as the ``file`` field of a form. All or nothing."""
    filename = "upload.csv"
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if isinstance(upload, str) or upload is None:
                raise HTTPException(422, "multipart upload without a 'file' field")
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            filename = upload.filename or filename
    else:
        data = await request.body()
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
    try:
        values = await run_in_threadpool(
            import_values, get_workspace(request), get_store(request), data, filename,
            principal.user.name)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return JSONResponse({"written": len(values), "user": principal.user.name,
                         "values": [v.to_dict() for v in values]}, status_code=201)


# -- pages ------------------------------------------------------------------------------------
def _tree(card: Scorecard, only_with_data: bool) -> list[dict[str, Any]]:
    """Dimensions -> sub-dimensions -> categories -> KPI scores, for the drill-down page."""
    by_level: dict[str, list[Any]] = {"dimension": [], "subdimension": [], "category": []}
    for g in card.groups:
        by_level.setdefault(g.level, []).append(g)
    kpis_of: dict[str, list[KpiScore]] = {}
    for k in card.kpis:
        if k.value is not None or not only_with_data:
            kpis_of.setdefault(f"{k.dimension}:{k.subdimension}:{k.category}", []).append(k)
    tree = []
    for dim in by_level["dimension"]:
        subs = []
        for sub in by_level["subdimension"]:
            if not sub.key.startswith(dim.key + ":"):
                continue
            cats = [{"group": c, "kpis": kpis_of[c.key]} for c in by_level["category"]
                    if c.key.startswith(sub.key + ":") and c.key in kpis_of]
            if cats:
                subs.append({"group": sub, "categories": cats})
        if subs:
            tree.append({"group": dim, "subdimensions": subs})
    return tree


@pages.get("/kpi/scorecard", response_class=HTMLResponse)
def scorecard_page(request: Request, period: Period = None, data: bool = False,
                   verified: bool = False) -> HTMLResponse:
    ws = get_workspace(request)
    card = workspace_scorecard(ws, get_store(request), period, lang=request_language(request),
                               verified_only=verified)
    return render(request, "kpi/scorecard.html", {
        "card": card, "tree": _tree(card, data), "only_with_data": data,
        "dims": [g for g in card.groups if g.level == "dimension"],
        "achievement_chart": chart_json(achievement_by_group(card)), "reason_text": reason_text,
    })


@pages.get("/kpi/import", response_class=HTMLResponse)
def import_page(request: Request,
                _: Annotated[Principal, Depends(require_role("analyst"))]) -> HTMLResponse:
    return render(request, "kpi/import.html", {})


@pages.post("/kpi/import", response_class=HTMLResponse)
def import_submit(
    request: Request,
    principal: Annotated[Principal, Depends(require_role("analyst"))],
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    check_csrf(request, csrf_token)
    if file is None or not file.filename:
        return render(request, "kpi/import.html",
                      {"error": gettext("Choose a CSV file to import.")}, status_code=422)
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    try:
        values = import_values(get_workspace(request), get_store(request), data, file.filename,
                               principal.user.name)
    except InputError as exc:
        return render(request, "kpi/import.html", {"error": str(exc)}, status_code=422)
    return render(request, "kpi/import.html", {"imported": values})


# -- verification workflow (pages) -------------------------------------------------------------
def _city_choices(request: Request) -> dict[str, Choice]:
    ws = get_workspace(request)
    return city_choices(get_store(request), str(ws.config.year), kpi_settings(ws).precedence)


def _lines(request: Request) -> list[dict[str, Any]]:
    """Every KPI with a city value: code, name, value, origin, status, review."""
    store = get_store(request)
    cat = load_catalogue(request_language(request))
    reviews = {r.key: r for r in list_reviews(store)}
    out = []
    for code, ch in _city_choices(request).items():
        kpi = cat.get(code)
        if kpi is None or ch.value is None:
            continue
        review = reviews.get((code, "city", ch.value.period))
        out.append({"code": code, "kpi": kpi, "choice": ch, "value": ch.value,
                    "status": effective_status(review, ch), "review": review})
    return out


@pages.get("/kpi/review", response_class=HTMLResponse)
def review_queue(request: Request,
                 principal: Annotated[Principal, Depends(require_role("verifier"))]
                 ) -> HTMLResponse:
    """Verifiers' queue (values submitted, waiting for a decision) and every value's status."""
    lines = _lines(request)
    return render(request, "kpi/queue.html", {
        "queue": [x for x in lines if x["status"] == "submitted"], "lines": lines,
        "can_submit": principal.user.has_role("analyst"),
    })


def _review_context(request: Request, code: str) -> dict[str, Any]:
    kpi = load_catalogue(request_language(request)).get(code)
    if kpi is None:
        raise HTTPException(404, f"no U4SSC KPI {code!r}")
    choice = _city_choices(request).get(code)
    if choice is None or choice.value is None:
        raise HTTPException(404, f"{code} has no value for this period")
    store = get_store(request)
    key = (code, "city", choice.value.period)
    review = get_review(store, key)
    return {"kpi": kpi, "choice": choice, "value": choice.value, "review": review,
            "status": effective_status(review, choice), "evidence": list_evidence(store, key),
            "audit": [audit_in_language(a) for a in audit_log(store, code)[-10:]], "key": key,
            "reason_text": reason_text}


@pages.get("/kpi/review/{code}", response_class=HTMLResponse)
def review_page(request: Request, code: str,
                principal: Annotated[Principal, Depends(require_role("verifier"))]
                ) -> HTMLResponse:
    """One value beside its evidence; verify or reject it (verifiers), or submit it with new
    evidence (analysts)."""
    ctx = _review_context(request, code)
    ctx["can_submit"] = principal.user.has_role("analyst")
    return render(request, "kpi/review.html", ctx)


@pages.post("/kpi/review/{code}", response_class=HTMLResponse)
def review_submit(
    request: Request, code: str,
    principal: Annotated[Principal, Depends(require_role("verifier"))],
    action: Annotated[str, Form()] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    read_on: Annotated[str, Form(max_length=10)] = "",
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """``action``: ``evidence`` or ``submit`` (analyst: optional file or URL + date, then
    submit), ``verified`` or ``rejected`` (verifier, with comment)."""
    check_csrf(request, csrf_token)
    ctx = _review_context(request, code)
    store, ws, user = get_store(request), get_workspace(request), principal.user
    try:
        if action in ("evidence", "submit"):
            if not user.has_role("analyst"):
                raise HTTPException(403, "adding evidence and submitting need the analyst role")
            if file is not None and file.filename:
                data = file.file.read(MAX_EVIDENCE_BYTES + 1)
                add_evidence_bytes(store, ws, ctx["key"], data, file.filename, user)
            if url.strip():
                try:
                    day = parse_date(read_on)
                except ValueError:
                    raise InputError(gettext("Date read"), None, gettext(
                        "give the date the page was read (YYYY-MM-DD)")) from None
                add_evidence_url(store, ctx["key"], url.strip(), day, user)
            if action == "submit":
                submit(store, code, ctx["choice"], user, comment.strip())
            message = gettext("Submitted for verification.") if action == "submit" \
                else gettext("Evidence added.")
        elif action in ("verified", "rejected"):
            decide(store, code, ctx["choice"], user, action, comment.strip())
            message = gettext("Verified.") if action == "verified" else gettext("Rejected.")
        else:
            raise HTTPException(422, "unknown action")
    except InputError as exc:
        ctx = _review_context(request, code)
        ctx.update(can_submit=user.has_role("analyst"), error=exc.message)
        return render(request, "kpi/review.html", ctx, status_code=422)
    ctx = _review_context(request, code)
    ctx.update(can_submit=user.has_role("analyst"), message=message)
    return render(request, "kpi/review.html", ctx)


@pages.get("/kpi/evidence/{evidence_id}", response_class=FileResponse)
def evidence_file(request: Request, evidence_id: int,
                  _: Annotated[Principal, Depends(require_role("verifier"))]) -> FileResponse:
    """An evidence file, downloaded as it was kept (never rendered in the page's origin)."""
    store, ws = get_store(request), get_workspace(request)
    ev = evidence_by_id(store, evidence_id)
    if ev is None or ev.kind != "file":
        raise HTTPException(404, "no such evidence file")
    try:
        path = evidence_path(ws, ev)
    except InputError:
        raise HTTPException(404, "no such evidence file") from None
    if not path.is_file():
        raise HTTPException(404, "the evidence file is missing from the workspace")
    return FileResponse(path, media_type="application/octet-stream", filename=ev.name,
                        headers={"X-Content-Type-Options": "nosniff"})


def _history_figure(name: str, unit: str, values: list[IndicatorValue]) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=[v.period for v in values], y=[v.value for v in values],
                    mode="lines+markers", name=name, marker_color="#0072B2")
    fig.update_layout(title=gettext("{name}: city value by period").format(name=name), height=320,
                      xaxis={"title": gettext("Period"), "type": "category"}, yaxis={"title": unit},
                      margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return fig


@pages.get("/kpi/{code}", response_class=HTMLResponse)
def kpi_page(request: Request, code: str) -> HTMLResponse:
    lang = request_language(request)
    kpi = load_catalogue(lang).get(code)
    if kpi is None:
        raise HTTPException(404, f"no U4SSC KPI {code!r}; see the scorecard for the 91 codes")
    ws = get_workspace(request)
    store = get_store(request)
    card = workspace_scorecard(ws, store, lang=lang)
    score = next(k for k in card.kpis if k.code == code)
    history = store.query_values(indicator=code)
    city = [v for v in history if v.entity == "city" and not v.breakdown]
    manual = manual_history(store, code)
    key = (code, "city", score.period) if score.period else None
    evidence = list_evidence(store, key) if key else []
    cat = load_catalogue(lang)
    district = workspace_district_map(ws, store, code, kpi.name, kpi.unit)
    return render(request, "kpi/kpi.html", {
        "district_chart": None if district is None else chart_json(district[0]),
        "district_values": None if district is None else district[1],
        "kpi": kpi, "score": score, "history": history, "city_history": city, "card": card,
        "manual": manual, "evidence": evidence,
        "dimension": cat.dimensions.get(kpi.dimension, kpi.dimension),
        "subdimension": cat.subdimensions.get(kpi.subdimension_key, kpi.subdimension),
        "category": cat.categories.get(kpi.category_key, kpi.category),
        "history_chart": chart_json(_history_figure(kpi.name, kpi.unit, city))
        if len(city) > 1 else None,
    })
