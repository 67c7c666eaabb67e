"""The radio module's web face: coverage layers, population coverage by district, the plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import plotly.graph_objects as go
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from ssckit.core.webkit import chart_json, get_store, get_workspace, render
from ssckit.radio.io import LAYERS
from ssckit.radio.run import OUTPUT_DIR

router = APIRouter(prefix="/radio", tags=["radio"])
pages = APIRouter(include_in_schema=False)
NAV = [("5G coverage", "/radio", None)]

Layer = Literal["rsrp", "sinr", "server", "throughput"]


def _out_dir(request: Request) -> Path:
    return get_workspace(request).root / "outputs" / OUTPUT_DIR


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _district_rows(request: Request) -> list[dict[str, Any]]:
    store = get_store(request)
    by: dict[str, dict[str, Any]] = {}
    for v in store.query_values(indicator_prefix="radio:"):
        if v.entity != "city" and not v.entity.startswith("district:"):
            continue                     # per-school values have their own table
        if v.breakdown:
            continue                     # indoor coverage is shown apart
        row = by.setdefault(v.entity, {"entity": v.entity, "period": v.period})
        row[v.indicator.split(":", 1)[1]] = v.value
    for v in store.query_values(indicator="core:population"):
        if v.entity in by:
            by[v.entity]["population"] = v.value
    rows = sorted(by.values(), key=lambda r: (r["entity"] != "city", r["entity"]))
    for r in rows:
        r["name"] = "Whole city" if r["entity"] == "city" else r["entity"].split(":", 1)[1]
    return rows


def _plan_figure(plan: dict[str, Any]) -> go.Figure:
    xs = list(range(len(plan["steps"]) + 1))
    ys = [plan["initial_coverage_pct"]] + [s["coverage_after"] for s in plan["steps"]]
    labels = ["existing"] + [s["site"] for s in plan["steps"]]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers+text", text=labels,
                               textposition="top center", line={"color": "#0072B2"},
                               name="population covered"))
    fig.add_hline(y=100 * plan["target"], line_dash="dash", line_color="#D55E00",
                  annotation_text=f"target {100 * plan['target']:.0f} %")
    fig.update_layout(xaxis={"title": "new sites added", "dtick": 1},
                      yaxis={"title": "population covered (%)"}, height=360,
                      margin={"l": 10, "r": 10, "t": 30, "b": 40}, showlegend=False,
                      title="Coverage as candidate sites are added")
    return fig


@router.get("/coverage")
def api_coverage(request: Request) -> dict[str, Any]:
    """The last coverage run: settings, grid, speed and population coverage per zone."""
    summary = _read_json(_out_dir(request) / "coverage.json")
    if summary is None:
        raise HTTPException(404, "no coverage yet; run `ssckit radio coverage`")
    return {"summary": summary, "zones": _district_rows(request)}


@router.get("/plan")
def api_plan(request: Request) -> dict[str, Any]:
    """The last site plan (`ssckit radio plan`)."""
    plan = _read_json(_out_dir(request) / "plan.json")
    if plan is None:
        raise HTTPException(404, "no plan yet; run `ssckit radio plan`")
    return plan


@router.get("/layers/{name}.tif", response_class=FileResponse)
def api_layer_geotiff(request: Request, name: Layer) -> FileResponse:
    """A coverage layer as GeoTIFF (rsrp dBm, sinr dB, server index, throughput Mbit/s)."""
    path = _out_dir(request) / f"{name}.tif"
    if not path.is_file():
        raise HTTPException(404, "no coverage yet")
    return FileResponse(path, media_type="image/tiff", filename=f"{name}.tif")


@pages.get("/radio/layers/{name}.png", response_class=FileResponse)
def layer_png(request: Request, name: Layer) -> FileResponse:
    path = _out_dir(request) / f"{name}.png"
    if not path.is_file():
        raise HTTPException(404, "no coverage yet")
    return FileResponse(path, media_type="image/png")


@pages.get("/radio", response_class=HTMLResponse)
def coverage_page(request: Request, layer: Layer = "rsrp") -> HTMLResponse:
    out = _out_dir(request)
    summary = _read_json(out / "coverage.json")
    plan = _read_json(out / "plan.json")
    return render(request, "radio/coverage.html", {
        "summary": summary, "plan": plan, "layer": layer, "layers": LAYERS,
        "rows": _district_rows(request) if summary else [],
        "plan_chart": chart_json(_plan_figure(plan)) if plan else None,
    })
