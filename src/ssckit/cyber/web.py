"""The cyber module's web face: the last scan of the city's services and the self-assessment.

Posture details (which service fails which check) help an attacker as much as a defender, so
every page and API call here needs a signed-in user (viewer role or above).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from ssckit.core.errors import InputError
from ssckit.core.i18n import N_, gettext
from ssckit.core.i18n import gettext as _
from ssckit.core.store import Store
from ssckit.core.webkit import Principal, chart_json, get_store, get_workspace, render, require_role
from ssckit.core.workspace import Workspace
from ssckit.cyber import api_models, gci
from ssckit.cyber.model import CATEGORIES, Status
from ssckit.cyber.scan import Scan
from ssckit.cyber.scoring import posture, score_service
from ssckit.cyber.securitytxt import security_txt
from ssckit.cyber.store import ServiceChange, diff, load_scan, previous_scan, scan_ids
from ssckit.cyber.texts import finding_detail

if TYPE_CHECKING:
    from ssckit.cyber.baseline import Profile

router = APIRouter(prefix="/cyber", tags=["cyber"])
pages = APIRouter(include_in_schema=False)


@pages.get("/.well-known/security.txt")
def well_known_security_txt(request: Request) -> Response:
    """RFC 9116 security contact of this server (settings.cyber.security_contact)."""
    return Response(security_txt(get_workspace(request)), media_type="text/plain; charset=utf-8")
NAV = [(N_("Cyber posture"), "/cyber", "viewer"),
       (N_("Cyber compliance"), "/cyber/compliance", "viewer")]

Viewer = Annotated[Principal, Depends(require_role("viewer"))]

#: Category keys -> labels shown in tables.
CATEGORY_LABELS = {
    "tls": "TLS", "certificate": N_("Certificate"), "http": N_("HTTPS and redirect"),
    "headers": N_("Security headers"), "cookies": N_("Cookies"), "security_txt": "security.txt",
    "dns": "DNS", "mail": N_("Mail"),
}
_BAD = (Status.FAIL, Status.WARN, Status.ERROR)
_STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.PASS: 3,
                 Status.NOT_APPLICABLE: 4}


def grade_class(grade: str | None) -> str:
    """CSS class of a grade badge (the scorecard's ``points`` colours)."""
    if not grade:
        return ""
    return {"A": "p4", "B": "p3", "C": "p2"}.get(grade[0], "p1")


def latest_scan(store: Store) -> tuple[Scan, Scan | None] | None:
    """The last stored scan and the one before it, or ``None`` when nothing was scanned."""
    ids = scan_ids(store)
    if not ids:
        return None
    return load_scan(store, ids[-1]), previous_scan(store, ids[-1])


def scan_report(scan: Scan, before: Scan | None) -> dict[str, Any]:
    """A scan as the page and the API show it: posture, services with scores, changes."""
    scores = [score_service(r) for r in scan.results]
    services = []
    for r, s in zip(scan.results, scores, strict=True):
        findings = sorted(r.findings, key=lambda f: _STATUS_ORDER.get(f.status, 9))
        services.append({
            "name": r.name, "url": r.url, "tags": list(r.tags), "status": r.status,
            "error": r.error, "score": s.score, "grade": s.grade,
            "pass_rates": s.pass_rates,
            "modifiers": [{"code": c, "modifier": m} for c, m in s.modifiers],
            "findings": [f.to_dict() for f in findings],
            "problems": sum(f.status in _BAD for f in r.findings),
        })
    return {
        "scan_id": scan.scan_id,
        "started_at": scan.started_at.isoformat(timespec="seconds"),
        "finished_at": scan.finished_at.isoformat(timespec="seconds"),
        "source": scan.source,
        "previous_scan_id": before.scan_id if before else None,
        "posture": posture(scores),
        "services": services,
        "changes": [c.to_dict() | {"changed": c.changed, "summary": change_summary(c)}
                    for c in diff(before, scan)],
    }


def change_summary(c: ServiceChange) -> str:
    """One line on what changed for a service, e.g. "grade B → A; fixed: headers.csp"."""
    if c.new_service:
        return _("first scanned now")
    parts = []
    if c.reachable_before != c.reachable_now:
        parts.append(_("now reachable") if c.reachable_now else _("now unreachable"))
    if c.grade_before != c.grade_now:
        parts.append(_("grade {before} → {now}").format(before=c.grade_before or "—",
                                                         now=c.grade_now or "—"))
    if c.new_failures:
        parts.append(_("new failures: {checks}").format(checks=", ".join(c.new_failures)))
    if c.fixed:
        parts.append(_("fixed: {checks}").format(checks=", ".join(c.fixed)))
    return "; ".join(parts) or _("no change")


def _assessment(ws: Workspace) -> tuple[gci.Assessment | None, str | None]:
    """The self-assessment of ``inputs.cyber.answers`` (or why there is none)."""
    path = ws.input_path("cyber", "answers")
    if path is None:
        return None, None
    try:
        questionnaire = gci.load_questionnaire()
        header, answers = gci.load_answers(path, questionnaire)
    except InputError as exc:
        return None, str(exc)
    return gci.assess(answers, questionnaire, header), None


# -- JSON API ---------------------------------------------------------------------------------
@router.get("/scans/latest", response_model=api_models.Scan)
def api_latest_scan(request: Request, _: Viewer) -> dict[str, Any]:
    """The last scan: posture, every service's grade, score, pass rates and findings, and
    what changed since the scan before it (viewer role)."""
    found = latest_scan(get_store(request))
    if found is None:
        raise HTTPException(404, "no scan yet; run `ssckit cyber scan --targets FILE -w DIR`")
    return scan_report(*found)


@router.get("/assessment", response_model=api_models.Assessment)
def api_assessment(request: Request, _: Viewer) -> dict[str, Any]:
    """The GCI-style self-assessment of ``inputs.cyber.answers`` (viewer role)."""
    result, error = _assessment(get_workspace(request))
    if error:
        raise HTTPException(422, error)
    if result is None:
        raise HTTPException(404, "no answers file; set inputs.cyber.answers in city.yaml")
    return result.to_dict()


# -- pages ------------------------------------------------------------------------------------
@pages.get("/cyber", response_class=HTMLResponse)
def posture_page(request: Request, _: Viewer) -> HTMLResponse:
    found = latest_scan(get_store(request))
    report = scan_report(*found) if found else None
    categories: list[str] = []
    if report:
        seen = {k for s in report["services"] for k in s["pass_rates"]}
        categories = [c for c in CATEGORIES if c in seen]
    return render(request, "cyber/posture.html", {
        "report": report, "categories": categories, "category_labels": CATEGORY_LABELS,
        "grade_class": grade_class, "detail": finding_detail, "tr": gettext,
        "changed": [c for c in report["changes"] if c["changed"]] if report else [],
    })


@pages.get("/cyber/assessment", response_class=HTMLResponse)
def assessment_page(request: Request, _: Viewer) -> HTMLResponse:
    result, error = _assessment(get_workspace(request))
    return render(request, "cyber/assessment.html", {
        "result": result, "error": error,
        "radar_chart": chart_json(gci.radar_figure(result)) if result else None,
        "tr": gettext,
    })


# -- compliance against the baseline ----------------------------------------------------------
def _profile(ws: Workspace) -> Profile:
    from ssckit.cyber.monitor import profile_for

    try:
        return profile_for(ws)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None


def _compliance(request: Request) -> dict[str, Any] | None:
    from ssckit.cyber.reports import compliance_report

    return compliance_report(get_store(request), _profile(get_workspace(request)))


@router.get("/compliance", response_model=api_models.Compliance)
def api_compliance(request: Request, _: Viewer) -> dict[str, Any]:
    """Compliance with the baseline (settings.cyber.baseline): per organisation over the last
    scans, per service and requirement in the last scan, worst services, what to fix first
    (viewer role)."""
    report = _compliance(request)
    if report is None:
        raise HTTPException(404, "no scan yet; run `ssckit cyber scan --targets FILE -w DIR`")
    return report


@router.get("/compliance.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def api_compliance_csv(request: Request, _: Viewer,
                       table: Literal["history", "services"] = "history") -> Response:
    """Compliance as CSV: ``history`` (per scan and organisation) or ``services`` (the last
    scan, per service and requirement) (viewer role)."""
    from ssckit.cyber.reports import history_csv, services_csv

    report = _compliance(request)
    if report is None:
        raise HTTPException(404, "no scan yet")
    text = history_csv(report) if table == "history" else services_csv(report)
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="cyber-compliance-{table}.csv"'})


@router.get("/alerts", response_model=api_models.Alerts)
def api_alerts(request: Request, _: Viewer) -> dict[str, Any]:
    """Alerts raised by monitoring, newest first, and the log of their deliveries (viewer
    role)."""
    from ssckit.cyber.alerts import delivery_log, load_alerts

    store = get_store(request)
    return {"alerts": [a.to_dict() for a in load_alerts(store)],
            "deliveries": delivery_log(store)}


@pages.get("/cyber/compliance", response_class=HTMLResponse)
def compliance_page(request: Request, _: Viewer,
                    print_view: Annotated[bool, Query(alias="print")] = False) -> HTMLResponse:
    """The compliance report; ``?print=1`` shows it as printed on A4 (no navigation, charts sized
    for the page, link addresses written out)."""
    from datetime import UTC, datetime

    from ssckit.cyber.alerts import delivery_log, load_alerts, shown_summary
    from ssckit.cyber.reports import history_figure

    ws = get_workspace(request)
    error = None
    try:
        report = _compliance(request)
    except HTTPException as exc:
        report, error = None, exc.detail
    found = latest_scan(get_store(request))
    scores = [score_service(r) for r in found[0].results] if found else []
    assessment, _err = _assessment(ws)
    store = get_store(request)
    return render(request, "cyber/compliance.html", {
        "report": report, "error": error,
        "history_chart": chart_json(history_figure(report)) if report else None,
        "posture": posture(scores) if scores else None,
        "assessment": assessment,
        "alerts": load_alerts(store, limit=20), "alert_summary": shown_summary,
        "deliveries": delivery_log(store, limit=20), "detail": finding_detail, "tr": gettext,
        "print_view": print_view, "site_origin": str(request.base_url).rstrip("/"),
        "printed_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
    })
