"""The school module's national pages: did the pilot work (the last ``ssckit school
evaluate``), and the national ranking and map of every school (``ssckit school national``)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import plotly.graph_objects as go
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from ssckit.core.i18n import N_
from ssckit.core.i18n import gettext as _
from ssckit.core.webkit import Answer, chart_json, get_workspace, render

router = APIRouter(prefix="/school", tags=["school"])
pages = APIRouter(include_in_schema=False)

OUTCOME_LABELS = {
    "co2_cat_ii_share": (N_("Occupied hours in CO₂ category I–II"), "%"),
    "overheating_hours": (N_("Occupied hours above 28 °C per room"), N_("h/week")),
    "uptime": (N_("Connectivity uptime"), "%"),
    "energy_per_pupil": (N_("Energy per pupil"), N_("kWh/pupil/week")),
}


class EffectAnswer(Answer):
    """One outcome's difference-in-differences estimate (unit of the outcome)."""

    outcome: str = Field(description="co2_cat_ii_share [%], overheating_hours [h/week per "
                                     "room], uptime [%] or energy_per_pupil [kWh/pupil/week]")
    estimate: float
    se: float = Field(description="cluster-robust (CR1) standard error")
    ci_low: float
    ci_high: float
    df: int = Field(description="degrees of freedom of the t interval (schools - 1)")
    n_obs: int
    n_schools: int
    n_pilot: int
    pre_pilot: float
    post_pilot: float
    pre_other: float
    post_other: float


class EvaluationAnswer(Answer):
    """The last ``ssckit school evaluate`` (empty ``results`` when none)."""

    pilot_file: str | None = None
    level: float | None = Field(None, description="confidence level of the intervals [-]")
    pilot: dict[str, str] = Field(default_factory=dict, description="school -> start date")
    computed_at: str | None = None
    results: list[EffectAnswer] = Field(default_factory=list)


class NationalSchoolAnswer(Answer):
    """One school of the national report."""

    school_id: str
    name: str
    region: str
    district: str
    lat: float
    lon: float
    pupils: int
    rooms: int | None = None
    co2_cat_ii_share: float | None = Field(None, description="[%] of occupied room hours")
    overheating_hours: float | None = Field(None, description="[h] per room")
    uptime: float | None = Field(None, description="[%]")
    download_median: float | None = Field(None, description="[Mbit/s]")
    benchmark_share: float | None = Field(None, description="[%] of tests")
    kwh_m2: float | None = Field(None, description="[kWh/m²]")
    kwh_pupil: float | None = Field(None, description="[kWh/pupil]")
    status: str = Field(description="live, at-risk, drop-off or never")
    giga_category: str = Field(description="good, moderate, bad or unknown (Giga Maps)")
    giga_connected: bool


class NationalAnswer(Answer):
    total: int = Field(description="schools matching the filters")
    schools: list[NationalSchoolAnswer]


def load_evaluation(request: Request) -> dict[str, Any] | None:
    path = get_workspace(request).root / "data" / "school" / "evaluation.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _effects_figure(results: list[dict[str, Any]]) -> go.Figure:
    """Each effect with its interval, one row per outcome (units differ: each row is read on
    its own)."""
    fig = go.Figure()
    labels = [_(OUTCOME_LABELS[r["outcome"]][0]) for r in results]
    fig.add_scatter(x=[r["estimate"] for r in results], y=labels, mode="markers",
                    marker={"size": 11, "color": "#0072B2"},
                    error_x={"type": "data", "symmetric": False,
                             "array": [r["ci_high"] - r["estimate"] for r in results],
                             "arrayminus": [r["estimate"] - r["ci_low"] for r in results]},
                    name=_("effect"))
    fig.add_vline(x=0, line_dash="dot", line_color="#555")
    fig.update_layout(height=120 + 60 * len(results), showlegend=False,
                      margin={"l": 10, "r": 10, "t": 30, "b": 40},
                      xaxis={"title": _("difference-in-differences (unit of each outcome)")},
                      title=_("Effect of the pilot with its confidence interval"))
    return fig


@pages.get("/school/evaluation", response_class=HTMLResponse)
def evaluation_page(request: Request) -> HTMLResponse:
    doc = load_evaluation(request)
    rows = []
    if doc:
        for r in doc["results"]:
            label, unit = OUTCOME_LABELS[r["outcome"]]
            rows.append({**r, "label": label, "unit": unit,
                         "significant": r["ci_low"] > 0 or r["ci_high"] < 0})
    return render(request, "school/evaluation.html", {
        "doc": doc, "rows": rows,
        "chart": chart_json(_effects_figure(doc["results"])) if doc and doc["results"] else None,
    })


@router.get("/evaluation", response_model=EvaluationAnswer)
def api_evaluation(request: Request) -> dict[str, Any]:
    """The last pilot evaluation (``ssckit school evaluate``), or an empty result."""
    return load_evaluation(request) or {"results": []}


# -- national ranking and map ----------------------------------------------------------------------
STATUS_COLOURS = {"live": "#009E73", "at-risk": "#E69F00", "drop-off": "#B3480B",
                  "never": "#777777"}
STATUS_LABELS = {"live": N_("live"), "at-risk": N_("at risk"), "drop-off": N_("drop-off"),
                 "never": N_("no recent test")}
NATIONAL_COLUMNS = {
    "name": N_("School"), "region": N_("Region"), "pupils": N_("Pupils"),
    "co2_cat_ii_share": N_("Occupied hours in CO₂ category I–II"),
    "overheating_hours": N_("Hours above 28 °C per room"), "uptime": N_("Uptime"),
    "benchmark_share": N_("Tests meeting the benchmark"),
    "download_median": N_("Median download"), "kwh_m2": N_("Energy per m²"),
    "kwh_pupil": N_("Energy per pupil"),
}
PAGE_SIZE = 100


def _map_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """Every school as a point at its longitude and latitude, coloured by connectivity
    status (one trace per status, so the legend names them)."""
    fig = go.Figure()
    for status, colour in STATUS_COLOURS.items():
        sel = [r for r in rows if r["status"] == status]
        if not sel:
            continue
        fig.add_scattergl(x=[r["lon"] for r in sel], y=[r["lat"] for r in sel], mode="markers",
                          marker={"size": 5, "color": colour}, name=_(STATUS_LABELS[status]),
                          text=[r["name"] for r in sel], hoverinfo="text")
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 30, "b": 30},
                      xaxis={"title": _("longitude [°]")},
                      yaxis={"title": _("latitude [°]"), "scaleanchor": "x",
                             "scaleratio": 1.3},
                      legend={"orientation": "h", "y": -0.12},
                      title=_("Schools by connectivity status"))
    return fig


@pages.get("/school/national", response_class=HTMLResponse)
def national_page(request: Request, region: str | None = None, district: str | None = None,
                  sort: Annotated[str, Query(pattern="^[a-z_0-9]+$")] = "co2_cat_ii_share",
                  order: Literal["asc", "desc"] = "desc",
                  page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> HTMLResponse:
    from ssckit.school.national import (
        REPORT_FILE,
        REPORT_SORT_KEYS,
        national_root,
        read_report,
        report_summary,
    )

    root = national_root(get_workspace(request).root)
    if not (root / REPORT_FILE).exists():
        return render(request, "school/national.html", {"summary": None})
    if sort not in REPORT_SORT_KEYS:
        sort = "co2_cat_ii_share"
    summary = report_summary(root)
    region = region or None
    district = district if district and (not region or district.startswith(region)) else None
    points, total = read_report(root, region, district, sort, order == "desc")
    rows = points[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    return render(request, "school/national.html", {
        "summary": summary, "rows": rows, "total": total, "region": region,
        "district": district, "sort": sort, "order": order, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "columns": NATIONAL_COLUMNS,
        "status_labels": STATUS_LABELS, "first_rank": (page - 1) * PAGE_SIZE + 1,
        "districts": [d for d in summary["districts"] if not region or d.startswith(
            region + " / ")],
        "map_chart": chart_json(_map_figure(points)) if points else None,
    })


@router.get("/national", response_model=NationalAnswer)
def api_national(request: Request, region: str | None = None, district: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=5000)] = 100,
                 offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """The national ranking (``ssckit school national report``), best CO₂ share first."""
    from ssckit.school.national import REPORT_FILE, national_root, read_report

    root = national_root(get_workspace(request).root)
    if not (root / REPORT_FILE).exists():
        return {"total": 0, "schools": []}
    rows, total = read_report(root, region, district, limit=limit, offset=offset)
    for r in rows:
        r["last_probe"] = r["last_probe"].isoformat() if r["last_probe"] else None
    return {"total": total, "schools": rows}
