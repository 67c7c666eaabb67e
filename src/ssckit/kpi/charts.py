"""Plotly figures of a scorecard, shared by the HTML report and the web pages."""

from __future__ import annotations

import plotly.graph_objects as go

from ssckit.core.i18n import gettext as _
from ssckit.core.i18n import ngettext
from ssckit.kpi.scorecard import Scorecard

# Band colours chosen for contrast on white and for colour-blind readers (Okabe-Ito palette).
POINT_COLOURS = {0: "#999999", 1: "#D55E00", 2: "#E69F00", 3: "#56B4E9", 4: "#009E73"}


def achievement_by_group(card: Scorecard, level: str = "dimension") -> go.Figure:
    """Horizontal bars: mean achievement of target (capped at 100 %) and completeness per group."""
    groups = [g for g in card.groups if g.level == level]
    names = [g.name for g in groups]
    ach = [None if g.mean_achievement is None else 100 * g.mean_achievement for g in groups]
    comp = [100 * g.completeness for g in groups]
    fig = go.Figure()
    fig.add_bar(y=names, x=ach, orientation="h", name=_("Mean achievement of target (%)"),
                marker_color="#0072B2")
    fig.add_bar(y=names, x=comp, orientation="h", name=_("Completeness (% of KPIs with data)"),
                marker_color="#999999")
    fig.update_layout(
        barmode="group", xaxis={"range": [0, 100], "title": "%"},
        yaxis={"autorange": "reversed"}, height=120 + 60 * len(groups),
        margin={"l": 10, "r": 10, "t": 30, "b": 40}, legend={"orientation": "h", "y": -0.25},
        title=(_("{city}: achievement by dimension") if level == "dimension" else
               _("{city}: achievement by sub-dimension")).format(city=card.city),
    )
    return fig


def points_distribution(card: Scorecard) -> go.Figure:
    """Stacked bars: how many KPIs of each dimension earn 0 (no data/target) to 4 points."""
    dims = [g for g in card.groups if g.level == "dimension"]
    fig = go.Figure()
    for p in sorted(POINT_COLOURS):
        label = _("not scored") if p == 0 else ngettext("{n} point", "{n} points", p).format(n=p)
        counts = [sum(1 for k in card.kpis if k.dimension == d.key and k.points == p) for d in dims]
        fig.add_bar(x=[d.name for d in dims], y=counts, name=label, marker_color=POINT_COLOURS[p])
    fig.update_layout(barmode="stack", yaxis={"title": _("KPIs")}, height=360,
                      margin={"l": 10, "r": 10, "t": 30, "b": 40},
                      title=_("Benchmark points per dimension"))
    return fig
