"""The radio module's web face: coverage layers as map tiles, the value of a place, sites and
sector wedges, population coverage by district, the plan."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import plotly.graph_objects as go
import shapely
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import Field
from pyproj import Transformer
from shapely.geometry import mapping

from ssckit.core import maptiles
from ssckit.core.errors import InputError
from ssckit.core.geo import read_polygons
from ssckit.core.i18n import N_
from ssckit.core.i18n import gettext as _
from ssckit.core.webkit import Answer, chart_json, get_store, get_workspace, render
from ssckit.radio.io import LAYERS
from ssckit.radio.run import OUTPUT_DIR

router = APIRouter(prefix="/radio", tags=["radio"])
pages = APIRouter(include_in_schema=False)
NAV = [(N_("5G coverage"), "/radio", None)]

Layer = Literal["rsrp", "sinr", "server", "throughput"]
#: The layers of the interactive map, in the order of its layer switcher.
MAP_LAYERS: tuple[str, ...] = ("rsrp", "sinr", "server", "throughput")
#: Titles and units of the layers, marked for translation (the titles of ``radio.io.LAYERS``).
_LAYER_TEXT = {"rsrp": (N_("Best-server RSRP"), "dBm"),
               "sinr": (N_("SINR at full load"), "dB"),
               "server": (N_("Serving sector"), N_("index")),
               "throughput": (N_("Downlink throughput estimate"), "Mbit/s")}
#: Browsers may keep a tile this long [s]; its URL carries the layer file's version (``v=``),
#: so a new coverage run is fetched at once.
TILE_MAX_AGE_S = 86_400
#: Half the opening of a drawn sector wedge [degrees] (a sketch of the azimuth, not the beam).
WEDGE_HALF_ANGLE_DEG = 30.0


def _out_dir(request: Request) -> Path:
    return get_workspace(request).root / "outputs" / OUTPUT_DIR


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _layer_title(name: str) -> str:
    return _(_LAYER_TEXT[name][0]) if name in _LAYER_TEXT else LAYERS[name][0]


def _layer_unit(name: str) -> str:
    return _(_LAYER_TEXT[name][1]) if name in _LAYER_TEXT else LAYERS[name][1]


def _colour_map(name: str) -> maptiles.ColourMap:
    _title, _unit, cmap, (vmin, vmax) = LAYERS[name]
    return maptiles.colour_map(cmap, vmin, vmax, categorical=name == "server")


def _layer_path(request: Request, name: str) -> Path:
    """The GeoTIFF of a map layer: 404 for a layer we do not have or a run not made yet."""
    if name not in MAP_LAYERS:
        raise HTTPException(404, f"no map layer {name!r}; the layers are "
                                 f"{', '.join(MAP_LAYERS)}")
    path = _out_dir(request) / f"{name}.tif"
    if not path.is_file():
        raise HTTPException(404, "no coverage yet; run `ssckit radio coverage`")
    return path


def _version(path: Path) -> str:
    st = path.stat()
    return f"{st.st_mtime_ns:x}-{st.st_size:x}"


# -- response models of the API ---------------------------------------------------------------
class GridInfo(Answer):
    shape: list[int] = Field(description="Rows and columns of the coverage grid [pixels].")
    resolution_m: float = Field(description="Pixel size of the grid [m].")
    crs: str = Field(description="Projected CRS of the grid, e.g. EPSG:32637.")
    bounds: list[float] = Field(description="xmin, ymin, xmax, ymax of the grid in its CRS [m].")


class CoverageSummary(Answer):
    """The settings and results of the last coverage run (``coverage.json``)."""

    sites: str = Field(description="The sites file the run read (relative to the workspace).")
    sectors: int = Field(description="Number of sectors computed.")
    model: str = Field(description="Propagation model (p1812, tr38901-uma, ...).")
    settings: dict[str, Any] = Field(
        description="settings.radio in force (heights [m], thresholds [dBm] and [dB], ...).")
    grid: GridInfo
    pixel_paths: int | None = Field(None, description="Sector-to-pixel paths computed.")
    seconds: float | None = Field(None, description="Time of the coverage step [s].")
    pixel_paths_per_second: float | None = Field(
        None, description="Speed of the coverage step [paths/s].")
    population_coverage_pct: dict[str, float] = Field(
        default_factory=dict, description="Population covered per zone (city, district:NAME) "
                                          "[% of inhabitants].")
    city_area_coverage_pct: float | None = Field(
        None, description="Area of the city covered [% of its area].")
    synthetic: bool = Field(False, description="Whether the inputs are synthetic sample data.")


class ZoneCoverage(Answer):
    """Coverage indicators of one zone (the city or a district), as stored."""

    entity: str = Field(description="city or district:NAME.")
    name: str = Field(description="The zone's name.")
    period: str = Field(description="Reporting period (YYYY).")
    population: float | None = Field(None, description="Inhabitants [persons].")
    population_coverage: float | None = Field(None, description="Population covered [%].")
    area_coverage: float | None = Field(None, description="Area covered [%].")
    median_throughput: float | None = Field(
        None, description="Median downlink throughput estimate over covered places [Mbit/s].")


class CoverageResponse(Answer):
    summary: CoverageSummary
    zones: list[ZoneCoverage]


class PlanStep(Answer):
    site: str = Field(description="The candidate site added at this step.")
    added_population: float = Field(description="People brought into coverage [persons].")
    coverage_after: float = Field(description="Population covered after the step [%].")
    main_districts: list[str] = Field(default_factory=list,
                                      description="Districts where most of them live.")


class Plan(Answer):
    """The last site plan (``plan.json``)."""

    target: float = Field(description="Population coverage aimed at [fraction, 0..1].")
    candidates: str = Field(description="The candidate sites file.")
    reached: bool = Field(description="Whether the plan reaches the target.")
    initial_coverage_pct: float = Field(description="Coverage of the existing network [%].")
    final_coverage_with_interference_pct: float | None = Field(
        None, description="Coverage with every added site, interference counted [%].")
    evaluations: int | None = Field(None, description="Candidate evaluations made.")
    steps: list[PlanStep] = Field(description="Sites in the order the plan adds them.")


class LegendStop(Answer):
    value: float = Field(description="A value of the layer, in the layer's unit.")
    colour: str = Field(description="Its colour on the map tiles, #rrggbb.")


class MapLayer(Answer):
    """One coverage layer as a map: where its tiles are and how its colours read."""

    name: str = Field(description="rsrp, sinr, server or throughput.")
    title: str = Field(description="What the layer shows.")
    unit: str = Field(description="Unit of its values: dBm, dB, index (of sectors.csv), Mbit/s.")
    vmin: float = Field(description="Value drawn with the first colour [unit of the layer].")
    vmax: float = Field(description="Value drawn with the last colour [unit of the layer].")
    categorical: bool = Field(description="Colours repeat every len(legend) whole values "
                                          "(serving sector index) instead of a colour ramp.")
    legend: list[LegendStop]
    tiles: str = Field(description="XYZ tile URL template ({z}/{x}/{y}, Web Mercator, 256 px).")
    geotiff: str = Field(description="The layer as GeoTIFF, in the grid's CRS.")
    bounds: list[float] = Field(
        description="west, south, east, north of the layer [degrees, WGS 84].")


class PointValues(Answer):
    """The coverage layers at the grid pixel holding a point."""

    lat: float = Field(description="Latitude asked for [degrees, WGS 84].")
    lon: float = Field(description="Longitude asked for [degrees, WGS 84].")
    crs: str = Field(description="CRS of the coverage grid.")
    x_m: float = Field(description="Easting of the point in the grid's CRS [m].")
    y_m: float = Field(description="Northing of the point in the grid's CRS [m].")
    row: int = Field(description="Row of the pixel (0 at the north edge of the grid).")
    col: int = Field(description="Column of the pixel (0 at the west edge of the grid).")
    rsrp_dbm: float | None = Field(description="Best-server RSRP [dBm]; null where no sector "
                                               "has a prediction.")
    sinr_db: float | None = Field(description="SINR with every sector at full load [dB].")
    server: int | None = Field(description="Index of the serving sector (row of sectors.csv, "
                                           "from 0); null where none serves.")
    site: str | None = Field(None, description="Site of the serving sector.")
    sector: str | None = Field(None, description="Sector of the serving site.")
    azimuth_deg: float | None = Field(
        None, description="Azimuth of the serving sector [degrees from north, clockwise].")
    throughput_mbps: float | None = Field(
        description="Downlink throughput estimate [Mbit/s].")
    covered: bool | None = Field(
        None, description="Whether the place counts as covered (RSRP and SINR at least the "
                          "run's thresholds); null without RSRP or SINR.")


class Feature(Answer):
    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any] = Field(
        description="GeoJSON geometry, [longitude, latitude] in degrees (WGS 84, RFC 7946).")
    properties: dict[str, Any] = Field(description="What the feature is (see the endpoint).")


class FeatureCollection(Answer):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


# -- reading the run's outputs ----------------------------------------------------------------
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
        r["name"] = _("Whole city") if r["entity"] == "city" else r["entity"].split(":", 1)[1]
    return rows


def _sectors(out: Path) -> list[dict[str, Any]]:
    """The sectors of the last run (``sectors.csv`` it wrote), with numbers as numbers."""
    path = out / "sectors.csv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return [{"index": int(r["index"]), "site": r["site"], "sector": r["sector"],
                 "x": float(r["x"]), "y": float(r["y"]),
                 "azimuth_deg": float(r["azimuth_deg"]), "freq_mhz": float(r["freq_mhz"])}
                for r in csv.DictReader(f)]


def _to_lonlat(crs: str) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _grid_crs(request: Request) -> str:
    summary = _read_json(_out_dir(request) / "coverage.json") or {}
    return (summary.get("grid") or {}).get("crs") or get_workspace(request).config.crs


def sector_wedge(x: float, y: float, azimuth_deg: float, radius_m: float,
                 half_angle_deg: float = WEDGE_HALF_ANGLE_DEG, steps: int = 8
                 ) -> list[tuple[float, float]]:
    """A closed ring drawing a sector: from the site at ``x``, ``y`` [m] out to ``radius_m``
    [m] between ``azimuth_deg`` ± ``half_angle_deg`` [degrees clockwise from grid north]."""
    ring = [(x, y)]
    for i in range(steps + 1):
        a = math.radians(azimuth_deg - half_angle_deg + 2 * half_angle_deg * i / steps)
        ring.append((x + radius_m * math.sin(a), y + radius_m * math.cos(a)))
    ring.append((x, y))
    return ring


def _wedge_radius_m(summary: dict[str, Any] | None) -> float:
    """2.5 % of the grid's width (as the printed maps draw them), within 100..1500 m."""
    bounds = ((summary or {}).get("grid") or {}).get("bounds")
    width = (bounds[2] - bounds[0]) if bounds else 12_000.0
    return min(1500.0, max(100.0, 0.025 * width))


def _round(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)):
        if coords and isinstance(coords[0], (int, float)):
            return [round(float(c), 6) for c in coords]
        return [_round(c) for c in coords]
    return coords


def sites_geojson(out: Path, crs: str) -> FeatureCollection:
    """The run's sites (points) and sectors (wedges) in WGS 84."""
    to_ll = _to_lonlat(crs)
    sectors = _sectors(out)
    radius = _wedge_radius_m(_read_json(out / "coverage.json"))
    features: list[Feature] = []
    sites: dict[str, dict[str, Any]] = {}
    for s in sectors:
        site = sites.setdefault(s["site"], {"x": s["x"], "y": s["y"], "sectors": 0})
        site["sectors"] += 1
        ring = [to_ll.transform(px, py)
                for px, py in sector_wedge(s["x"], s["y"], s["azimuth_deg"], radius)]
        features.append(Feature(
            geometry={"type": "Polygon", "coordinates": [_round(ring)]},
            properties={"kind": "sector", "index": s["index"], "site": s["site"],
                        "sector": s["sector"], "azimuth_deg": s["azimuth_deg"],
                        "freq_mhz": s["freq_mhz"]}))
    for name, site in sites.items():
        lon, lat = to_ll.transform(site["x"], site["y"])
        features.append(Feature(
            geometry={"type": "Point", "coordinates": _round([lon, lat])},
            properties={"kind": "site", "site": name, "sectors": site["sectors"]}))
    return FeatureCollection(features=features)


def areas_geojson(request: Request) -> FeatureCollection:
    """The workspace's own vector layers, the city boundary and its districts, in WGS 84."""
    ws = get_workspace(request)
    to_ll = _to_lonlat(ws.config.crs)
    features: list[Feature] = []
    layers = [("boundary", ws.config.boundary, None)]
    if ws.config.districts:
        layers.append(("district", ws.config.districts, "name"))
    for kind, rel, name_field in layers:
        try:
            polygons = read_polygons(ws.path(rel), name_field)
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        for name, geom in polygons:
            ll = shapely.transform(geom, lambda xy: np.column_stack(
                to_ll.transform(xy[:, 0], xy[:, 1])))
            features.append(Feature(
                geometry=_round_geometry(mapping(ll)),
                properties={"kind": kind, "name": ws.config.name if kind == "boundary"
                            else name}))
    return FeatureCollection(features=features)


def _round_geometry(geom: Any) -> dict[str, Any]:
    return {"type": geom["type"], "coordinates": _round(geom["coordinates"])}


def map_layers(request: Request) -> list[MapLayer]:
    """The coverage layers the last run wrote, as map layers."""
    out = _out_dir(request)
    layers = []
    for name in MAP_LAYERS:
        path = out / f"{name}.tif"
        if not path.is_file():
            continue
        cmap = _colour_map(name)
        info = maptiles.raster_info(path)
        layers.append(MapLayer(
            name=name, title=_layer_title(name), unit=_layer_unit(name), vmin=cmap.vmin,
            vmax=cmap.vmax, categorical=cmap.categorical,
            legend=[LegendStop(value=v, colour=c) for v, c in cmap.legend()],
            tiles=f"/radio/tiles/{name}/{{z}}/{{x}}/{{y}}.png?v={_version(path)}",
            geotiff=f"/api/v1/radio/layers/{name}.tif", bounds=list(info.bounds_lonlat)))
    return layers


def point_values(out: Path, lat: float, lon: float, crs: str) -> PointValues | None:
    """The layers at the pixel holding ``lat``, ``lon``; None outside the grid."""
    import rasterio

    rsrp_path = out / "rsrp.tif"
    maptiles.raster_info(rsrp_path)  # one line for a file that is not a GeoTIFF
    with rasterio.open(rsrp_path) as src:
        grid_crs = src.crs.to_string() if src.crs else crs
        x, y = Transformer.from_crs("EPSG:4326", grid_crs, always_xy=True).transform(lon, lat)
        row, col = src.index(x, y)
        if not (0 <= row < src.height and 0 <= col < src.width):
            return None
    values = {name: maptiles.read_point(out / f"{name}.tif", x, y)
              if (out / f"{name}.tif").is_file() else None for name in MAP_LAYERS}
    server = None if values["server"] is None or values["server"] < 0 else int(values["server"])
    sector = next((s for s in _sectors(out) if s["index"] == server), None)
    covered: bool | None = None
    if (out / "covered.tif").is_file():
        c = maptiles.read_point(out / "covered.tif", x, y)
        covered = None if c is None else bool(c)
    elif values["rsrp"] is not None and values["sinr"] is not None:
        settings = (_read_json(out / "coverage.json") or {}).get("settings") or {}
        if "rsrp_threshold_dbm" in settings and "sinr_threshold_db" in settings:
            covered = (values["rsrp"] >= settings["rsrp_threshold_dbm"]
                       and values["sinr"] >= settings["sinr_threshold_db"])
    return PointValues(
        lat=lat, lon=lon, crs=grid_crs, x_m=round(x, 2), y_m=round(y, 2), row=row, col=col,
        rsrp_dbm=values["rsrp"], sinr_db=values["sinr"],
        server=server,
        site=sector["site"] if sector else None, sector=sector["sector"] if sector else None,
        azimuth_deg=sector["azimuth_deg"] if sector else None,
        throughput_mbps=values["throughput"], covered=covered)


def _plan_figure(plan: dict[str, Any]) -> go.Figure:
    xs = list(range(len(plan["steps"]) + 1))
    ys = [plan["initial_coverage_pct"]] + [s["coverage_after"] for s in plan["steps"]]
    labels = [_("existing")] + [s["site"] for s in plan["steps"]]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers+text", text=labels,
                               textposition="top center", line={"color": "#0072B2"},
                               name=_("population covered")))
    fig.add_hline(y=100 * plan["target"], line_dash="dash", line_color="#D55E00",
                  annotation_text=_("target {pct} %").format(pct=f"{100 * plan['target']:.0f}"))
    fig.update_layout(xaxis={"title": _("new sites added"), "dtick": 1},
                      yaxis={"title": _("population covered (%)")}, height=360,
                      margin={"l": 10, "r": 10, "t": 30, "b": 40}, showlegend=False,
                      title=_("Coverage as candidate sites are added"))
    return fig


# -- drive tests against the prediction (ssckit radio measurements / calibrate) ---------------
#: Colour classes of measured − predicted RSRP [dB] on the map: upper bounds and colours
#: (ColorBrewer RdBu, 7 classes, colour-blind safe): blue where the model predicts too much,
#: red where it predicts too little.
ERROR_CLASSES: tuple[tuple[float, str], ...] = (
    (-10.0, "#2166ac"), (-5.0, "#67a9cf"), (-2.0, "#d1e5f0"), (2.0, "#f7f7f7"),
    (5.0, "#fddbc7"), (10.0, "#ef8a62"), (math.inf, "#b2182b"))
#: Names of the clutter classes (:data:`ssckit.radio.terrain.CLUTTER_CLASSES`), translated.
_CLUTTER_TEXT = {1: N_("water/sea"), 2: N_("open/rural"), 3: N_("suburban"),
                 4: N_("urban/trees/forest"), 5: N_("dense urban")}
#: Width of the predicted-RSRP bins of the scatter's table alternative [dB].
SCATTER_BIN_DB = 10.0


def error_colour(error_db: float) -> str:
    """The map colour of a measured − predicted difference [dB] (:data:`ERROR_CLASSES`)."""
    return next(c for hi, c in ERROR_CLASSES if error_db <= hi)


def drive_test_comparison(ws: Any, store: Any) -> dict[str, Any] | None:
    """Stored drive-test points against the last coverage run: at each point the measured
    RSRP [dBm], the RSRP layer's value (what the map shows), the prediction without
    calibration ("before") and with the stored calibration's clutter offsets ("after"), and
    the error statistics of both (mean error, RMSE, standard deviation [dB], as
    ``ssckit radio calibrate``). None without a coverage run or without measurements."""
    from ssckit.core.geo import read_raster
    from ssckit.radio.calibrate import error_stats
    from ssckit.radio.measurements import (
        clutter_class_grid,
        load_measurements,
        pixel_of,
        read_calibration,
    )
    from ssckit.radio.terrain import CLUTTER_CLASSES

    out = ws.output_dir / OUTPUT_DIR
    if not (out / "rsrp.tif").is_file():
        return None
    meas = load_measurements(store)
    if len(meas) == 0:
        return None
    rsrp, grid, _nodata = read_raster(out / "rsrp.tif")
    row, col, inside = pixel_of(grid, meas.lat, meas.lon)
    shown = np.where(inside, rsrp[row, col], np.nan).astype(float)
    clutter = ws.input_path("radio", "clutter")
    cls = (np.where(inside, clutter_class_grid(clutter, grid)[row, col], -1) if clutter
           else np.full(len(meas), -1))
    applied = ((_read_json(out / "coverage.json") or {}).get("calibration")
               or {}).get("offsets_db", {})
    base = shown.copy()
    for k, off in applied.items():
        base[cls == int(k)] -= off
    cal = read_calibration(ws)
    after = None
    if cal is not None:
        after = base.copy()
        for c in cal.get("by_clutter", []):
            after[cls == int(c["class"])] += float(c["offset_db"])
    ok = inside & np.isfinite(shown)
    if not np.any(ok):
        return None

    def r1(v: float) -> float | None:
        return round(float(v), 2) if np.isfinite(v) else None

    points = []
    for i in np.flatnonzero(ok):
        points.append({"lat": float(meas.lat[i]), "lon": float(meas.lon[i]),
                       "measured_dbm": r1(meas.rsrp_dbm[i]), "predicted_dbm": r1(shown[i]),
                       "error_db": r1(meas.rsrp_dbm[i] - shown[i]),
                       "before_dbm": r1(base[i]),
                       "after_dbm": r1(after[i]) if after is not None else None,
                       "clutter": int(cls[i]), "group": str(meas.group[i])})
    m = meas.rsrp_dbm[ok]
    stats = {"before": {"n": int(ok.sum()), **error_stats(m - base[ok]).as_dict()}}
    if after is not None:
        stats["after"] = {"n": int(ok.sum()), **error_stats(m - after[ok]).as_dict()}
    bins = []
    lo = math.floor(np.nanmin(base[ok]) / SCATTER_BIN_DB) * SCATTER_BIN_DB
    while lo <= np.nanmax(base[ok]):
        sel = (base[ok] >= lo) & (base[ok] < lo + SCATTER_BIN_DB)
        if np.any(sel):
            bins.append({"from_dbm": lo, "to_dbm": lo + SCATTER_BIN_DB, "n": int(sel.sum()),
                         "measured_dbm": r1(m[sel].mean()),
                         "before_dbm": r1(base[ok][sel].mean()),
                         "after_dbm": r1(after[ok][sel].mean()) if after is not None
                         else None})
        lo += SCATTER_BIN_DB
    by_clutter = [{**c, "name": _(_CLUTTER_TEXT[int(c["class"])])
                   if int(c["class"]) in _CLUTTER_TEXT
                   else CLUTTER_CLASSES.get(int(c["class"]), str(c["class"]))}
                  for c in (cal or {}).get("by_clutter", [])]
    return {"n": int(ok.sum()), "left_out": int((~ok).sum()), "points": points,
            "stats": stats, "bins": bins, "by_clutter": by_clutter,
            "layer_calibrated": bool(applied), "calibrated": cal is not None,
            "computed_at": (cal or {}).get("computed_at")}


def drive_test_geojson(comparison: dict[str, Any]) -> dict[str, Any]:
    """The compared points as GeoJSON (WGS 84), each with its error colour."""
    feats = []
    for p in comparison["points"]:
        props = {k: v for k, v in p.items() if k not in ("lat", "lon")}
        props["colour"] = error_colour(p["error_db"])
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Point",
                                   "coordinates": [round(p["lon"], 7), round(p["lat"], 7)]}})
    return {"type": "FeatureCollection", "features": feats}


def _scatter_figure(comparison: dict[str, Any]) -> go.Figure:
    pts = comparison["points"]
    measured = [p["measured_dbm"] for p in pts]
    fig = go.Figure()
    fig.add_trace(go.Scattergl(x=[p["before_dbm"] for p in pts], y=measured, mode="markers",
                               name=_("before calibration"),
                               marker={"color": "#E69F00", "size": 5, "opacity": 0.6}))
    if comparison["calibrated"]:
        fig.add_trace(go.Scattergl(x=[p["after_dbm"] for p in pts], y=measured,
                                   mode="markers", name=_("after calibration"),
                                   marker={"color": "#0072B2", "size": 5, "opacity": 0.6,
                                           "symbol": "diamond"}))
    values = [v for p in pts for v in (p["measured_dbm"], p["before_dbm"], p["after_dbm"])
              if v is not None]
    lo, hi = math.floor(min(values) / 5) * 5, math.ceil(max(values) / 5) * 5
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name=_("measured = predicted"),
                             line={"color": "#1b1f24", "dash": "dash", "width": 1}))
    fig.update_layout(xaxis={"title": _("predicted RSRP (dBm)"), "range": [lo, hi]},
                      yaxis={"title": _("measured RSRP (dBm)"), "range": [lo, hi]},
                      height=420, margin={"l": 10, "r": 10, "t": 30, "b": 40},
                      legend={"orientation": "h", "y": -0.2},
                      title=_("Measured against predicted RSRP"))
    return fig


# -- the API ----------------------------------------------------------------------------------
@router.get("/coverage", response_model=CoverageResponse)
def api_coverage(request: Request) -> dict[str, Any]:
    """The last coverage run: settings, grid, speed and population coverage per zone."""
    summary = _read_json(_out_dir(request) / "coverage.json")
    if summary is None:
        raise HTTPException(404, "no coverage yet; run `ssckit radio coverage`")
    return {"summary": summary, "zones": _district_rows(request)}


@router.get("/plan", response_model=Plan)
def api_plan(request: Request) -> dict[str, Any]:
    """The last site plan (`ssckit radio plan`)."""
    plan = _read_json(_out_dir(request) / "plan.json")
    if plan is None:
        raise HTTPException(404, "no plan yet; run `ssckit radio plan`")
    return plan


@router.get("/layers", response_model=list[MapLayer])
def api_map_layers(request: Request) -> list[MapLayer]:
    """The coverage layers as web map layers: XYZ tile URLs, value ranges and legends."""
    try:
        return map_layers(request)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/point", response_model=PointValues)
def api_point(
    request: Request,
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude [degrees, WGS 84].")],
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude [degrees, WGS 84].")],
) -> PointValues:
    """RSRP [dBm], SINR [dB], serving site and sector, and throughput [Mbit/s] at the grid
    pixel holding a point."""
    out = _out_dir(request)
    if not (out / "rsrp.tif").is_file():
        raise HTTPException(404, "no coverage yet; run `ssckit radio coverage`")
    try:
        found = point_values(out, lat, lon, _grid_crs(request))
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    if found is None:
        raise HTTPException(404, f"lat={lat}, lon={lon} is outside the coverage grid; "
                                 "pick a point inside the computed area")
    return found


@router.get("/sites.geojson", response_model=FeatureCollection,
            response_class=GeoJSONResponse)
def api_sites_geojson(request: Request) -> FeatureCollection:
    """Sites of the last run (points: kind=site, site, sectors) and their sectors (wedges of
    ±30° along the azimuth: kind=sector, index, site, sector, azimuth_deg [degrees],
    freq_mhz [MHz]), in WGS 84."""
    out = _out_dir(request)
    if not (out / "sectors.csv").is_file():
        raise HTTPException(404, "no coverage yet; run `ssckit radio coverage`")
    return sites_geojson(out, _grid_crs(request))


@router.get("/areas.geojson", response_model=FeatureCollection,
            response_class=GeoJSONResponse)
def api_areas_geojson(request: Request) -> FeatureCollection:
    """The city boundary (kind=boundary) and districts (kind=district, name) of the
    workspace, in WGS 84."""
    return areas_geojson(request)


@router.get("/drive-tests.geojson", response_model=FeatureCollection,
            response_class=GeoJSONResponse)
def api_drive_tests(request: Request) -> dict[str, Any]:
    """Stored drive-test points against the last coverage run, in WGS 84: measured_dbm,
    predicted_dbm (the RSRP layer), error_db (measured − predicted) [dB], before_dbm and
    after_dbm (prediction without and with the stored calibration), clutter class, group
    (day or file) and the map colour of the error."""
    comparison = drive_test_comparison(get_workspace(request), get_store(request))
    if comparison is None:
        raise HTTPException(404, "no drive-test points on a coverage run; run `ssckit radio "
                                 "measurements import FILE.csv` and `ssckit radio coverage`")
    return drive_test_geojson(comparison)


@router.get("/layers/{name}.tif", response_class=FileResponse)
def api_layer_geotiff(request: Request, name: Layer) -> FileResponse:
    """A coverage layer as GeoTIFF (rsrp dBm, sinr dB, server index, throughput Mbit/s)."""
    path = _out_dir(request) / f"{name}.tif"
    if not path.is_file():
        raise HTTPException(404, "no coverage yet")
    return FileResponse(path, media_type="image/tiff", filename=f"{name}.tif")


# -- pages and tiles --------------------------------------------------------------------------
@pages.get("/radio/tiles/{layer}/{z}/{x}/{y}.png")
def map_tile(request: Request, layer: str, z: int, x: int, y: int) -> Response:
    """Tile ``z/x/y`` (Web Mercator, 256 px) of a coverage layer as PNG, transparent where
    the layer has no data."""
    path = _layer_path(request, layer)
    try:
        maptiles.check_tile_address(z, x, y)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None
    etag = f'"{_version(path)}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={TILE_MAX_AGE_S}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    try:
        png = maptiles.render_tile(path, z, x, y, _colour_map(layer))
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return Response(png, media_type="image/png", headers=headers)


@pages.get("/radio/layers/{name}.png", response_class=FileResponse)
def layer_png(request: Request, name: Layer) -> FileResponse:
    path = _out_dir(request) / f"{name}.png"
    if not path.is_file():
        raise HTTPException(404, "no coverage yet")
    return FileResponse(path, media_type="image/png")


def _map_config(request: Request, layer: str, layers: list[MapLayer],
                drive: bool = False) -> dict[str, Any]:
    """What the page's script needs: layers, bounds, data URLs and its texts."""
    west, south, east, north = layers[0].bounds
    return {
        "layer": layer, "bounds": [[south, west], [north, east]],
        "layers": {m.name: {"tiles": m.tiles, "title": m.title, "unit": m.unit}
                   for m in layers},
        "point_url": "/api/v1/radio/point", "sites_url": "/api/v1/radio/sites.geojson",
        "areas_url": "/api/v1/radio/areas.geojson", "max_zoom": maptiles.MAX_ZOOM - 4,
        "drive_url": "/api/v1/radio/drive-tests.geojson" if drive else None,
        "text": {
            "rsrp": _("RSRP"), "sinr": _("SINR"), "server": _("Serving sector"),
            "throughput": _("Throughput"), "covered": _("Covered"), "yes": _("yes"),
            "no": _("no"), "none": _("none"), "site": _("site"), "sector": _("sector"),
            "outside": _("Outside the computed area."), "loading": _("Reading the map…"),
            "failed": _("The values of this place could not be read."),
            "zoom_in": _("Zoom in"), "zoom_out": _("Zoom out"),
            "values_at": _("Values at {lat}, {lon}"),
            "drive_point": _("Drive test: measured {m} dBm, predicted {p} dBm, difference "
                             "{d} dB"),
            "no_leaflet": _("The interactive map needs Leaflet (Debian package libjs-leaflet); "
                            "the tables and the map image show the same results."),
        },
    }


@pages.get("/radio", response_class=HTMLResponse)
def coverage_page(request: Request, layer: Layer = "rsrp") -> HTMLResponse:
    out = _out_dir(request)
    summary = _read_json(out / "coverage.json")
    plan = _read_json(out / "plan.json")
    layers, map_error = [], None
    if summary:
        try:
            layers = map_layers(request)
        except InputError as exc:
            map_error = str(exc)
    comparison = None
    if summary:
        try:
            comparison = drive_test_comparison(get_workspace(request), get_store(request))
        except InputError as exc:
            map_error = map_error or str(exc)
    return render(request, "radio/coverage.html", {
        "summary": summary, "plan": plan, "layer": layer,
        "drive": comparison, "error_classes": _error_legend(),
        "drive_chart": chart_json(_scatter_figure(comparison)) if comparison else None,
        "layers": {name: (_layer_title(name), _layer_unit(name)) for name in MAP_LAYERS},
        "map_layers": layers, "map_error": map_error,
        "legends": {m.name: {"gradient": None if m.categorical
                             else _colour_map(m.name).css_gradient(), "layer": m}
                    for m in layers},
        "map_config": _map_config(request, layer, layers, comparison is not None)
        if layers else None,
        "layer_png": (out / f"{layer}.png").is_file(),
        "rows": _district_rows(request) if summary else [],
        "plan_chart": chart_json(_plan_figure(plan)) if plan else None,
    })


def _error_legend() -> list[tuple[str, str]]:
    """The map's error classes as (range in words, colour) [dB]."""
    out = []
    lo = None
    for hi, colour in ERROR_CLASSES:
        if lo is None:
            text = _("below {hi} dB").format(hi=f"{hi:g}")
        elif math.isinf(hi):
            text = _("above {lo} dB").format(lo=f"{lo:+g}")
        else:
            text = f"{lo:+g} … {hi:+g} dB"
        out.append((text, colour))
        lo = hi
    return out
