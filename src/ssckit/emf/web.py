"""The emf module's public web face: a map of sites and exposure, and a point query.

No login: this is what residents see. The point query sums every transmitter of the city at
1.5 m above ground, with the same assumptions as the compliance check (full power, spherical
model, ground reflection as configured).
"""

from __future__ import annotations

import csv
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import plotly.graph_objects as go
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from pyproj import Transformer

from ssckit.core.errors import InputError
from ssckit.core.geo import read_raster
from ssckit.core.i18n import N_, format_number, gettext
from ssckit.core.webkit import chart_json, get_workspace, render
from ssckit.core.workspace import Workspace
from ssckit.emf.exposure import Transmitters, exposure_ratios
from ssckit.emf.limits import LimitSet
from ssckit.emf.run import (
    OUTPUT_DIR,
    EmfSettings,
    load_sectors,
    resolve_limit_set,
    transmitters_for,
    user_limit_sets,
)
from ssckit.emf.zones import EVALUATION_HEIGHT_M

router = APIRouter(prefix="/emf", tags=["emf"])
pages = APIRouter(include_in_schema=False)
NAV = [(N_("EMF safety"), "/emf", None)]

#: Largest distance from the city's grid at which a point query is answered [m].
QUERY_MARGIN_M = 2000.0


@dataclass(frozen=True)
class _Model:
    tx: Transmitters
    site: np.ndarray
    limit_set: LimitSet
    settings: EmfSettings
    stamp: tuple[float, ...]


_cache: dict[str, _Model] = {}
_lock = threading.Lock()


def _stamp(ws: Workspace) -> tuple[float, ...]:
    files = [ws.path("city.yaml")] + [p for p in (ws.input_path("radio", "sites"),
                                                  ws.input_path("emf", "extra_sites")) if p]
    return tuple(p.stat().st_mtime for p in files if p.is_file())


def _model(ws: Workspace) -> _Model:
    """Transmitters and limit set of the workspace, reread when its files change."""
    key = str(ws.root)
    stamp = _stamp(ws)
    with _lock:
        m = _cache.get(key)
        if m is None or m.stamp != stamp:
            settings = ws.module_settings("emf", EmfSettings)
            ls = resolve_limit_set(settings.limit_set, user_limit_sets(ws, settings),
                                   str(ws.path("city.yaml")))
            sectors, paths = load_sectors(ws)
            m = _Model(transmitters_for(sectors, paths), sectors.site, ls, settings, stamp)
            _cache[key] = m
    return m


def point_exposure(ws: Workspace, x: float, y: float, height_m: float = EVALUATION_HEIGHT_M
                   ) -> dict[str, Any]:
    """Exposure at one place: total as % of the limit, and the sites contributing most."""
    m = _model(ws)
    ratios = exposure_ratios(np.array([x]), np.array([y]), np.array([height_m]), m.tx,
                             m.limit_set, reflection_factor=m.settings.reflection_factor,
                             power_reduction_factor=m.settings.power_reduction_factor)[0]
    by_site: dict[str, float] = {}
    for s, r in zip(m.site.tolist(), ratios.tolist(), strict=True):
        by_site[s] = by_site.get(s, 0.0) + r
    total = float(ratios.sum())
    top = sorted(by_site.items(), key=lambda kv: -kv[1])[:5]
    dist = {s: float(np.hypot(m.tx.x_m[m.site == s][0] - x, m.tx.y_m[m.site == s][0] - y))
            for s, _ in top}
    return {
        "x": x, "y": y, "height_m": height_m, "limit_set": m.limit_set.name,
        "limit_source": m.limit_set.source,
        "percent_of_limit": 100 * total,
        "times_below_limit": (1 / total) if total > 0 else None,
        "compliant": total < 1,
        "contributions": [{"site": s, "percent_of_limit": 100 * r, "distance_m": dist[s]}
                          for s, r in top],
        "assumptions": [
            gettext("every antenna transmitting at full power, all the time (worst case)"),
            gettext("far-field (spherical) model, free space"),
            gettext("ground reflection counted (power density × 2.56)")
            if m.settings.ground_reflection else gettext("no ground reflection"),
            gettext("{height} m above ground").format(height=format_number(height_m)),
        ] + ([gettext("massive-MIMO actual-maximum factor {factor}").format(
            factor=format_number(m.settings.power_reduction_factor))]
             if m.settings.power_reduction_factor < 1 else []),
    }


def plain_language(result: dict[str, Any]) -> str:
    """The answer for a place in one or two sentences, in the language in force."""
    p = result["percent_of_limit"]
    if p < 1:
        times = result["times_below_limit"]
        return gettext("Here the estimated exposure is {p} % of the limit — about {times} times "
                 "below it, even assuming every antenna at full power.").format(
            p=format_number(float(f"{p:.2g}")), times=format_number(round(times)))
    if p < 100:
        return gettext("Here the estimated exposure is {p} % of the limit: below it, under "
                 "worst-case assumptions.").format(p=format_number(round(p)))
    return gettext("Here the worst-case estimate is {p} % of the limit. This place is inside an "
             "antenna's exclusion zone; the operator must restrict access or reduce "
             "power.").format(p=format_number(round(p)))


def _xy(ws: Workspace, lat: float | None, lon: float | None, x: float | None,
        y: float | None) -> tuple[float, float]:
    if x is not None and y is not None:
        return x, y
    if lat is None or lon is None:
        raise HTTPException(422, gettext("give lat and lon (WGS 84 degrees) or x and y (metres)"))
    tx, ty = Transformer.from_crs("EPSG:4326", ws.config.crs, always_xy=True).transform(lon, lat)
    return float(tx), float(ty)


def _check_inside(ws: Workspace, x: float, y: float) -> None:
    tif = ws.root / "outputs" / OUTPUT_DIR / f"ter_{EVALUATION_HEIGHT_M:g}m.tif"
    if not tif.is_file():
        return
    _, grid, _ = read_raster(tif)
    xmin, ymin, xmax, ymax = grid.bounds
    m = QUERY_MARGIN_M
    if not (xmin - m <= x <= xmax + m and ymin - m <= y <= ymax + m):
        raise HTTPException(422, gettext("this place is outside the city's area"))


Lat = Annotated[float | None, Query(ge=-90, le=90, description="latitude [deg]")]
Lon = Annotated[float | None, Query(ge=-180, le=180, description="longitude [deg]")]
Height = Annotated[float, Query(ge=0, le=300, description="height above ground [m], e.g. a "
                                                         "balcony's floor + 1.5")]


@router.get("/point")
def api_point(request: Request, lat: Lat = None, lon: Lon = None, x: float | None = None,
              y: float | None = None, height_m: Height = EVALUATION_HEIGHT_M) -> dict[str, Any]:
    """Estimated exposure at a place (lat/lon or projected x/y), % of the limit, top sites."""
    ws = get_workspace(request)
    px, py = _xy(ws, lat, lon, x, y)
    _check_inside(ws, px, py)
    try:
        res = point_exposure(ws, px, py, height_m)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    res["summary"] = plain_language(res)
    return res


class SiteCompliance(BaseModel):
    """One site's compliance from the last check (``outputs/emf/sites.csv``)."""

    model_config = ConfigDict(extra="allow")

    site: str
    sectors: int
    eirp_w: float = Field(description="total EIRP of the site's sectors [W]")
    installation_class: str = Field(description="ITU-T K.52 / IEC 62232 installation class")
    boresight_m: float = Field(description="exclusion distance along the main beam [m]")
    front_m: float
    back_m: float
    side_m: float
    above_m: float
    below_m: float
    worst_place: str = Field(description="the public place with the highest exposure")
    worst_ter: float = Field(description="total exposure ratio there (1 = the limit)")
    margin_db: float = Field(description="10·log10(1 / worst_ter) [dB]")
    percent_of_limit: float = Field(description="100 · worst_ter [%]")
    compliant: bool


class SitesAnswer(BaseModel):
    sites: list[SiteCompliance]


@router.get("/sites", response_model=SitesAnswer)
def api_sites(request: Request) -> dict[str, Any]:
    """Every site's compliance from the last `ssckit emf check` (numbers and booleans typed;
    ``compliant_<set>`` for each further limit set of the report)."""
    path = get_workspace(request).root / "outputs" / OUTPUT_DIR / "sites.csv"
    if not path.is_file():
        raise HTTPException(404, "no EMF check yet; run `ssckit emf check`")
    return {"sites": _read_sites(path)}


def _read_sites(path: Path) -> list[dict[str, Any]]:
    """``sites.csv`` as written by :func:`ssckit.emf.outputs.write_outputs`, typed."""
    texts = {"site", "installation_class", "worst_place"}
    out = []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            typed: dict[str, Any] = {}
            for key, value in row.items():
                if key in texts:
                    typed[key] = value
                elif key == "compliant" or key.startswith("compliant_"):
                    typed[key] = value == "True"
                elif key == "sectors":
                    typed[key] = int(value)
                else:
                    typed[key] = float(value)
            out.append(typed)
    return out


def _sites(ws: Workspace) -> list[dict[str, Any]]:
    path = ws.root / "outputs" / OUTPUT_DIR / "sites.csv"
    return _read_sites(path) if path.is_file() else []


_GROUND_PLACE = re.compile(r"^ground, (?P<d>[0-9.]+) m at (?P<a>-?[0-9]+)°$")


def place_label(place: str) -> str:
    """A worst place of a site check ("ground, 30 m at 120°", or a named place) for readers."""
    m = _GROUND_PLACE.match(place)
    if m is None:
        return place
    return gettext("ground, {d} m at {a}°").format(d=format_number(float(m["d"])), a=m["a"])


def _map_figure(ws: Workspace, sites: list[dict[str, Any]]) -> go.Figure | None:
    tif = ws.root / "outputs" / OUTPUT_DIR / f"ter_{EVALUATION_HEIGHT_M:g}m.tif"
    if not tif.is_file():
        return None
    ter, grid, _ = read_raster(tif)
    step = max(1, int(np.ceil(max(grid.shape) / 160)))
    ter = ter[::step, ::step]
    x, y = grid.cell_centres()
    xs, ys = x[0, ::step], y[::step, 0]
    pct = np.log10(np.clip(100 * ter, 1e-3, 100))
    m = _model(ws)
    fig = go.Figure(go.Heatmap(
        x=xs, y=ys, z=pct, colorscale="YlOrRd", zmin=-3, zmax=2,
        colorbar={"title": gettext("% of limit"), "tickvals": [-3, -2, -1, 0, 1, 2],
                  "ticktext": ["0.001", "0.01", "0.1", "1", "10", "100"]},
        hovertemplate=gettext("click for the exposure here") + "<extra></extra>"))
    ok = {s["site"]: s["compliant"] for s in sites}
    first: dict[str, int] = {}
    for i, s in enumerate(m.site.tolist()):
        first.setdefault(s, i)
    for flag, name, colour in ((True, gettext("compliant site"), "#009E73"),
                               (False, gettext("site NOT compliant"), "#D55E00")):
        idx = [i for s, i in first.items() if ok.get(s, True) == flag]
        if idx:
            fig.add_scatter(x=m.tx.x_m[idx], y=m.tx.y_m[idx], mode="markers",
                            marker={"size": 10, "color": colour, "line": {"width": 1,
                                                                         "color": "black"}},
                            text=[m.site[i] for i in idx], name=name,
                            hovertemplate=gettext("site") + " %{text}<extra></extra>")
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"visible": False, "scaleanchor": "y"}, yaxis={"visible": False},
                      legend={"orientation": "h", "y": -0.02}, clickmode="event")
    return fig


@pages.get("/emf", response_class=HTMLResponse)
def emf_page(request: Request, lat: Lat = None, lon: Lon = None,
             height_m: Height = EVALUATION_HEIGHT_M) -> HTMLResponse:
    ws = get_workspace(request)
    sites = _sites(ws)
    result = error = None
    if lat is not None and lon is not None:
        try:
            px, py = _xy(ws, lat, lon, None, None)
            _check_inside(ws, px, py)
            result = point_exposure(ws, px, py, height_m)
            result["summary"] = plain_language(result)
        except HTTPException as exc:
            error = str(exc.detail)
    fig = _map_figure(ws, sites) if sites else None
    m = _model(ws) if sites else None
    return render(request, "emf/public.html", {
        "sites": sites, "result": result, "error": error, "lat": lat, "lon": lon,
        "height_m": height_m,
        "map_chart": chart_json(fig) if fig else None,
        "limit_set": m.limit_set if m else None, "settings": m.settings if m else None,
        "n_ok": sum(s["compliant"] for s in sites),
        "place_label": place_label,
    })

