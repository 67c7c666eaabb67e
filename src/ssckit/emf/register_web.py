"""The EMF measurement register on the web: measurements beside the prediction on the public
map and its table (plain words), the JSON API, and the analysts' list of measurements above
the prediction (login)."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ssckit.core.errors import InputError
from ssckit.core.i18n import N_, gettext
from ssckit.core.store import Store
from ssckit.core.webkit import Principal, get_store, get_workspace, render, require_role
from ssckit.core.workspace import Workspace
from ssckit.emf.api_models import Measurements
from ssckit.emf.register import Assessment, assess, assessment_dict

router = APIRouter(prefix="/emf", tags=["emf"])
pages = APIRouter(include_in_schema=False)
NAV = [(N_("EMF measurements"), "/emf/measurements", "analyst")]

_cache: dict[str, tuple[tuple[Any, ...], list[Assessment], Any]] = {}
_lock = threading.Lock()


def _stamp(ws: Workspace, store: Store) -> tuple[Any, ...]:
    files = [ws.path("city.yaml")] + [p for p in (
        ws.input_path("radio", "sites"), ws.input_path("emf", "extra_sites"),
        ws.input_path("emf", "probes")) if p]
    return (store.version(), *(p.stat().st_mtime_ns for p in files if p.is_file()))


def assessments(ws: Workspace, store: Store) -> tuple[list[Assessment], Any]:
    """The register measured beside predicted (:func:`ssckit.emf.register.assess`), kept until
    the store or the sites change."""
    key = str(ws.root)
    stamp = _stamp(ws, store)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1], hit[2]
    rows, ls = assess(ws, store)
    with _lock:
        _cache[key] = (stamp, rows, ls)
    return rows, ls


def comparison_words(a: Assessment) -> str:
    """The comparison in plain words: "measured 0.6 % of the limit, predicted 0.4 %"."""
    from ssckit.emf.web import plain_percent

    words = gettext("measured {measured} of the limit, predicted {predicted}").format(
        measured=plain_percent(100 * a.measured_ratio),
        predicted=plain_percent(100 * a.predicted_ratio))
    if a.exceeds:
        words += " — " + gettext("higher than predicted, beyond the measurement's "
                                 "uncertainty: the model is wrong here and the site needs a "
                                 "look")
    return words


def measurement_title(a: Assessment) -> str:
    """What a measurement is, for readers: a lab's report of a date, or a probe."""
    if a.kind == "lab":
        return gettext("Lab measurement {id} of {date} ({protocol})").format(
            id=a.id, date=a.when, protocol=a.protocol)
    return gettext("Permanent probe “{name}”, highest reading of the last 24 hours").format(
        name=a.name)


def public_rows(ws: Workspace, store: Store) -> list[dict[str, Any]]:
    """The register for the public page and map: each measurement's numbers, title and plain
    words (empty when there is none, or the sites cannot be read)."""
    try:
        rows, _ = assessments(ws, store)
    except InputError:
        return []
    return [assessment_dict(a) | {"title": measurement_title(a),
                                  "summary": comparison_words(a)} for a in rows]


def _answer(request: Request) -> dict[str, Any]:
    from ssckit.emf.web import limit_title

    ws, store = get_workspace(request), get_store(request)
    try:
        rows, ls = assessments(ws, store)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"limit_set": ls.name, "limit_title": limit_title(ls),
            "measurements": [assessment_dict(a) | {"summary": comparison_words(a)}
                             for a in rows]}


@router.get("/measurements", response_model=Measurements)
def api_measurements(request: Request) -> dict[str, Any]:
    """Every lab report and probe of the register beside the exposure predicted at its place
    (% of the limit), those above the prediction beyond their uncertainty first."""
    return _answer(request)


class _GeoJSON(JSONResponse):
    media_type = "application/geo+json"


@router.get("/measurements.geojson", response_class=_GeoJSON)
def api_measurements_geojson(request: Request) -> dict[str, Any]:
    """The register as GeoJSON points for the map: kind, id, title, plain words, measured and
    predicted % of the limit, ``exceeds_prediction``; those above the prediction last (on
    top)."""
    rows = _answer(request)["measurements"]
    feats = []
    for m in sorted(rows, key=lambda m: m["exceeds_prediction"]):
        a = Assessment(m["kind"], m["id"], m["name"], m["lat"], m["lon"], m["height_m"],
                       m["when"], m["e_v_m"], m["measured_percent"] / 100,
                       m["predicted_percent"] / 100, m["uncertainty_db"], m["site"],
                       protocol=m["protocol"])
        feats.append({"type": "Feature",
                      "geometry": {"type": "Point", "coordinates": [round(m["lon"], 6),
                                                                    round(m["lat"], 6)]},
                      "properties": {"kind": m["kind"], "id": m["id"],
                                     "title": measurement_title(a), "summary": m["summary"],
                                     "measured_percent": m["measured_percent"],
                                     "predicted_percent": m["predicted_percent"],
                                     "exceeds_prediction": m["exceeds_prediction"]}})
    return {"type": "FeatureCollection", "features": feats}


@pages.get("/emf/measurements", response_class=HTMLResponse)
def measurements_page(request: Request,
                      _: Annotated[Principal, Depends(require_role("analyst"))]
                      ) -> HTMLResponse:
    """For analysts: every measurement beside the prediction, those above it first."""
    from ssckit.emf.web import limit_title, plain_percent

    ws, store = get_workspace(request), get_store(request)
    error = None
    rows: list[Assessment] = []
    title = ""
    try:
        rows, ls = assessments(ws, store)
        title = limit_title(ls)
    except InputError as exc:
        error = str(exc)
    return render(request, "emf/measurements.html", {
        "rows": rows, "above": [a for a in rows if a.exceeds], "limit_title": title,
        "error": error, "pct": plain_percent, "words": comparison_words,
        "what": measurement_title})
