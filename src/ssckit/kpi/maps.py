"""District maps of KPIs and indicators: a choropleth of the values stored per district
(entities ``district:<name>``) over the workspace's districts GeoJSON.

The map is drawn in the workspace's projected CRS (metres) as filled plotly shapes, so it needs
no base map, no tiles and no network: it works offline and under the dashboard's CSP. Colours
come from the Cividis scale (perceptually uniform and readable with colour-vision deficiency);
the colour bar carries the unit; every map has a table of the same numbers beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from ssckit.core.errors import InputError
from ssckit.core.i18n import gettext as _
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

COLORSCALE = "Cividis"
#: Colour of a district without a value.
NO_VALUE = "#e0e0e0"


@dataclass(frozen=True)
class District:
    """A district's name and outline: rings of (x, y) in the workspace's projected CRS [m]."""

    name: str
    rings: list[list[tuple[float, float]]]


def read_districts(path: Path) -> list[District]:
    """The districts of a GeoJSON FeatureCollection (Polygon or MultiPolygon features with a
    ``name`` property); outer rings only (holes are not drawn)."""
    try:
        gj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(str(path), None, f"cannot be read as GeoJSON ({exc})") from None
    out = []
    for i, f in enumerate(gj.get("features", [])):
        name = (f.get("properties") or {}).get("name")
        geom = f.get("geometry") or {}
        if not name:
            raise InputError(str(path), f"feature {i}", "has no 'name' property")
        polys = {"Polygon": [geom.get("coordinates")],
                 "MultiPolygon": geom.get("coordinates")}.get(geom.get("type"))
        if not polys:
            raise InputError(str(path), f"feature {i} ({name})", "is not a Polygon or "
                             "MultiPolygon")
        out.append(District(str(name), [[(float(p[0]), float(p[1])) for p in poly[0]]
                                        for poly in polys]))
    return out


def district_values(store: Store, indicator: str, year: str) -> dict[str, float]:
    """District name -> value of ``indicator`` (latest period in or before ``year``, no
    breakdown), from the computed values and the current manual ones (a manual value of the
    same period is used only where no computed one exists)."""
    from ssckit.kpi.records import current_manual_values

    out: dict[str, tuple[str, float]] = {}
    for m in current_manual_values(store, indicator=indicator, latest_until=year):
        if m.value.entity.startswith("district:"):
            out[m.value.entity.removeprefix("district:")] = (m.value.period, m.value.value)
    for v in store.query_values(indicator=indicator, breakdown={}, latest_until=year):
        if v.entity.startswith("district:"):
            name = v.entity.removeprefix("district:")
            if name not in out or out[name][0] <= v.period:
                out[name] = (v.period, v.value)
    return {k: float(pv[1]) for k, pv in sorted(out.items())}


def choropleth(title: str, unit: str, values: dict[str, float],
               districts: list[District]) -> go.Figure:
    """A choropleth of ``values`` (district name -> value, in ``unit``) over ``districts``."""
    lo = min(values.values(), default=0.0)
    hi = max(values.values(), default=1.0)
    span = (hi - lo) or 1.0
    fig = go.Figure()
    for d in districts:
        v = values.get(d.name)
        colour = NO_VALUE if v is None else sample_colorscale(COLORSCALE, (v - lo) / span)[0]
        label = f"{d.name}: " + ("–" if v is None else f"{v:,.4g} {unit}")
        for k, ring in enumerate(d.rings):
            fig.add_scatter(x=[p[0] for p in ring], y=[p[1] for p in ring], fill="toself",
                            mode="lines", line={"color": "#333333", "width": 1},
                            fillcolor=colour, name=d.name, legendgroup=d.name,
                            showlegend=False, hoveron="fills", text=label, hoverinfo="text")
            if k == 0:
                xs, ys = zip(*ring, strict=True)
                fig.add_scatter(x=[sum(xs) / len(xs)], y=[sum(ys) / len(ys)], mode="text",
                                text=[d.name], textfont={"color": "#000000", "size": 11},
                                showlegend=False, hoverinfo="skip")
    # The colour bar: an invisible marker trace carrying the scale and the unit.
    fig.add_scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                    marker={"colorscale": COLORSCALE, "cmin": lo, "cmax": hi, "color": [lo],
                            "showscale": True, "colorbar": {"title": {"text": unit}}})
    fig.update_layout(title=title, height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      plot_bgcolor="#ffffff",
                      xaxis={"visible": False},
                      yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1})
    return fig


def workspace_district_map(ws: Workspace, store: Store, indicator: str, name: str, unit: str,
                           year: str | None = None) -> tuple[go.Figure, dict[str, float]] | None:
    """The district map of ``indicator`` and its values, or None when the workspace has no
    districts or the indicator no district values."""
    if not ws.config.districts:
        return None
    values = district_values(store, indicator, year or str(ws.config.year))
    if not values:
        return None
    districts = read_districts(ws.path(ws.config.districts))
    return choropleth(_("{name} by district").format(name=name), unit, values,
                      districts), values


def maps_for_card(ws: Workspace, store: Store, codes_units: list[tuple[str, str, str]],
                  year: str) -> list[dict[str, Any]]:
    """Maps of every KPI of ``codes_units`` ((code, name, unit)) with district values."""
    out = []
    for code, name, unit in codes_units:
        got = workspace_district_map(ws, store, code, name, unit, year)
        if got is not None:
            out.append({"code": code, "name": name, "unit": unit, "figure": got[0],
                        "values": got[1]})
    return out


def card_maps(ws: Workspace, store: Store, card: Any) -> list[dict[str, Any]]:
    """The district maps of every KPI of a scorecard (for the HTML report)."""
    return maps_for_card(ws, store, [(k.code, k.name, k.unit) for k in card.kpis],
                         card.period[:4])
