"""The school module's national pages: did the pilot work (the last ``ssckit school
evaluate``), and the national ranking and map of every school (``ssckit school national``)."""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ssckit.core.i18n import N_
from ssckit.core.i18n import gettext as _
from ssckit.core.webkit import chart_json, get_workspace, render

router = APIRouter(prefix="/school", tags=["school"])
pages = APIRouter(include_in_schema=False)

OUTCOME_LABELS = {
    "co2_cat_ii_share": (N_("Occupied hours in CO₂ category I–II"), "%"),
    "overheating_hours": (N_("Occupied hours above 28 °C per room"), N_("h/week")),
    "uptime": (N_("Connectivity uptime"), "%"),
    "energy_per_pupil": (N_("Energy per pupil"), N_("kWh/pupil/week")),
}


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


@router.get("/evaluation")
def api_evaluation(request: Request) -> dict[str, Any]:
    """The last pilot evaluation (``ssckit school evaluate``), or an empty result."""
    return load_evaluation(request) or {"results": []}
