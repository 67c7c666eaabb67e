"""The emf module's public web face: an interactive exposure map, place search, a point query.

No login: this is what residents see. The map draws the exposure raster of the last check
(``outputs/emf/ter_1.5m.tif``, total exposure ratio at 1.5 m) as XYZ tiles in bands of % of the
limit, over the workspace's own vector layers (boundary, districts, and river, roads, buildings
and places where the workspace has them), with the antenna sites on top; the point query sums
every transmitter of the city at the place asked for, with the same assumptions as the
compliance check (full power, spherical model, ground reflection as configured).
"""

from __future__ import annotations

import csv
import functools
import json
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import shapely
from babel import Locale
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from pydantic import BaseModel, ConfigDict, Field
from pyproj import Transformer
from shapely.geometry import mapping, shape
from starlette.background import BackgroundTask

from ssckit.core import auth, maptiles
from ssckit.core.errors import InputError
from ssckit.core.geo import read_raster
from ssckit.core.i18n import N_, format_date, format_number, gettext
from ssckit.core.webkit import (
    Principal,
    check_csrf,
    client_address,
    csrf_token,
    current_principal,
    get_store,
    get_workspace,
    render,
    request_language,
    require_role,
)
from ssckit.core.workspace import Workspace
from ssckit.emf import requests as rq
from ssckit.emf.exposure import Transmitters, exposure_ratios
from ssckit.emf.limits import LimitSet
from ssckit.emf.register_web import public_rows
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


#: Titles of the built-in limit sets, for readers (a user set's title is its ``source``).
_LIMIT_TITLES = {
    "icnirp2020-public": N_("ICNIRP 2020 guidelines, general public"),
    "icnirp2020-occupational": N_("ICNIRP 2020 guidelines, workers"),
    "icnirp1998-public": N_("ICNIRP 1998 guidelines, general public"),
    "icnirp1998-occupational": N_("ICNIRP 1998 guidelines, workers"),
}


def limit_title(ls: LimitSet) -> str:
    """What a resident reads as the limit's name: the title of a built-in set, or the
    document a user-defined (national) set comes from; never its registry id."""
    if ls.name in _LIMIT_TITLES:
        return gettext(_LIMIT_TITLES[ls.name])
    return ls.source


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
        "limit_title": limit_title(m.limit_set), "limit_source": m.limit_set.source,
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


def plain_percent(p: float) -> str:
    """A share of the limit [%] as a resident reads it, in the language in force: whole
    numbers from 10 % ("380 %"), one decimal from 1 % ("3.4 %"), two significant digits below
    ("0.034 %"), and "less than 0.01 %" below that; never in exponent notation."""
    if not math.isfinite(p):
        return "∞ %" if p > 0 else ""
    if p < 0.01:
        return gettext("less than {p} %").format(p=format_number(0.01))
    if p < 1:
        return f"{format_number(float(f'{p:.2g}'))} %"
    if p < 10:
        return f"{format_number(round(p, 1))} %"
    return f"{format_number(round(p))} %"


def plain_language(result: dict[str, Any]) -> str:
    """The answer for a place in one or two sentences, in the language in force."""
    p = result["percent_of_limit"]
    if p < 1:
        times = result["times_below_limit"]
        return gettext("Here the estimated exposure is {p} of the limit — about {times} times "
                       "below it, even assuming every antenna at full power.").format(
            p=plain_percent(p), times=format_number(round(times)))
    if p < 100:
        return gettext("Here the estimated exposure is {p} of the limit: below it, under "
                       "worst-case assumptions.").format(p=plain_percent(p))
    return gettext("Here the worst-case estimate is {p} of the limit. This place is inside an "
                   "antenna's exclusion zone; the operator must restrict access or reduce "
                   "power.").format(p=plain_percent(p))


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


# -- the exposure map -------------------------------------------------------------------------
#: Colour bands of the exposure map: (upper edge [% of the limit], colour, words). Below 10 %
#: calm sequential colours (ColorBrewer GnBu), warm ones only from 10 %, the limit at the top.
EXPOSURE_BANDS: tuple[tuple[float, str, str], ...] = (
    (0.1, "#e0f3db", N_("far below the limit")),
    (1.0, "#a8ddb5", N_("far below the limit")),
    (10.0, "#5bb5d1", N_("well below the limit")),
    (50.0, "#fee391", N_("below the limit")),
    (100.0, "#fe9929", N_("close to the limit")),
    (math.inf, "#a50026", N_("above the limit: exclusion zone")),
)
#: Opacity of the exposure tiles (0..255), so the vector layers below still show.
TILE_ALPHA = 200
TILE_MAX_AGE_S = 86_400


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def exposure_band(percent: np.ndarray) -> np.ndarray:
    """Index into :data:`EXPOSURE_BANDS` of each exposure [% of the limit] (a value on an
    edge belongs to the band above it: 10 % is "below the limit", 100 % is above it)."""
    edges = np.array([b[0] for b in EXPOSURE_BANDS[:-1]])
    return np.searchsorted(edges, percent, side="right")


def exposure_rgba(ter: np.ndarray | np.ma.MaskedArray, alpha: int = TILE_ALPHA) -> np.ndarray:
    """RGBA uint8 image (rows, cols, 4) of total exposure ratios ``ter`` [1 = the limit],
    coloured by band of ``100 * ter`` % (ITU-T K.100 total exposure ratio); transparent where
    masked or not finite."""
    data = np.ma.getdata(ter).astype(np.float64)
    valid = ~np.ma.getmaskarray(ter) & np.isfinite(data)
    lut = np.array([(*_hex_rgb(c), alpha) for _, c, _ in EXPOSURE_BANDS], dtype=np.uint8)
    rgba = lut[exposure_band(100.0 * np.where(valid, data, 0.0))]
    rgba[~valid] = 0
    return rgba


def _ter_path(ws: Workspace) -> Path:
    return ws.root / "outputs" / OUTPUT_DIR / f"ter_{EVALUATION_HEIGHT_M:g}m.tif"


def _version(path: Path) -> str:
    st = path.stat()
    return f"{st.st_mtime_ns:x}-{st.st_size:x}"


def legend() -> list[dict[str, str]]:
    """The map's legend, the limit first: colour, range of % of the limit, words."""
    out = []
    lower = 0.0
    for upper, colour, words in EXPOSURE_BANDS:
        if lower == 0:
            span = gettext("under {b}").format(b=plain_percent(upper))
        elif math.isinf(upper):
            span = gettext("{a} or more").format(a=plain_percent(lower))
        else:
            span = f"{plain_percent(lower).removesuffix(' %')}–{plain_percent(upper)}"
        out.append({"colour": colour, "range": span,
                    "words": gettext(words)})
        lower = upper
    return out[::-1]


@pages.get("/emf/tiles/{z}/{x}/{y}.png")
def exposure_tile(request: Request, z: int, x: int, y: int) -> Response:
    """Tile ``z/x/y`` (Web Mercator, 256 px) of the exposure at 1.5 m as PNG, coloured by band
    of % of the limit, transparent outside the computed area."""
    path = _ter_path(get_workspace(request))
    if not path.is_file():
        raise HTTPException(404, "no EMF exposure map yet; run `ssckit emf check`")
    try:
        maptiles.check_tile_address(z, x, y)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None
    etag = f'"{_version(path)}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={TILE_MAX_AGE_S}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    try:
        values = maptiles.read_tile(path, z, x, y)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    png = maptiles.empty_tile_png() if np.ma.getmaskarray(values).all() \
        else maptiles.encode_png(exposure_rgba(values))
    return Response(png, media_type="image/png", headers=headers)


# -- the workspace's own vector layers and place search -----------------------------------------
#: Optional vector layers drawn under the exposure and searched by name: kind -> file name in
#: the workspace folder (or ``inputs.emf.<kind>`` of city.yaml).
EXTRA_LAYERS = ("river", "roads", "buildings", "places")
_KIND_ORDER = {"district": 0, "places": 1, "roads": 2, "river": 3, "buildings": 4,
               "boundary": 5}


def _geojson_crs(doc: dict[str, Any], default: str) -> str:
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    return str(crs) if crs else default


def read_named_geometries(path: Path, default_crs: str) -> list[tuple[str, Any]]:
    """The features of a GeoJSON file as (name, shapely geometry in WGS 84 degrees); the
    file's ``crs`` member (GeoJSON 2008) when it has one, else ``default_crs`` for projected
    coordinates or WGS 84 (RFC 7946) for coordinates within ±180/±90."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        feats = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
        geoms = [(str((f.get("properties") or {}).get("name") or ""), shape(f["geometry"]))
                 for f in feats if f.get("geometry")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError,
            shapely.errors.GEOSException) as exc:
        raise InputError(str(path), None, f"not a readable GeoJSON FeatureCollection ({exc}); "
                                          "fix or remove the file") from None
    crs = _geojson_crs(doc, default_crs)
    if "crs" not in doc and geoms:
        xmin, ymin, xmax, ymax = shapely.total_bounds([g for _, g in geoms])
        if -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90:
            crs = "EPSG:4326"
    if crs in ("EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84"):
        return geoms
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return [(name, shapely.transform(g, lambda xy: np.column_stack(
        to_ll.transform(xy[:, 0], xy[:, 1])))) for name, g in geoms]


def _layer_files(ws: Workspace) -> list[tuple[str, Path]]:
    files = [("boundary", ws.path(ws.config.boundary))]
    if ws.config.districts:
        files.append(("district", ws.path(ws.config.districts)))
    for kind in EXTRA_LAYERS:
        path = ws.input_path("emf", kind) or ws.root / f"{kind}.geojson"
        if path.is_file():
            files.append((kind, path))
    return files


@functools.lru_cache(maxsize=8)
def _areas(files: tuple[tuple[str, str, int], ...], crs: str, city: str
           ) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    features: list[dict[str, Any]] = []
    places: list[dict[str, Any]] = []
    for kind, path, _mtime in files:
        for name, geom in read_named_geometries(Path(path), crs):
            if kind == "boundary":
                name = city
            features.append({"type": "Feature", "geometry": _rounded(mapping(geom)),
                             "properties": {"kind": kind, "name": name}})
            if name and kind != "boundary":
                if geom.geom_type in ("LineString", "MultiLineString"):
                    pt = geom.interpolate(0.5, normalized=True)
                else:
                    pt = geom.representative_point()
                w, s, e, n = geom.bounds
                places.append({"name": name, "kind": kind, "lat": round(pt.y, 6),
                               "lon": round(pt.x, 6),
                               "bounds": [round(v, 6) for v in (s, w, n, e)]})
    places.sort(key=lambda p: (_KIND_ORDER.get(p["kind"], 9), p["name"].casefold()))
    return {"type": "FeatureCollection", "features": features}, tuple(places)


def _rounded(geom: Any) -> dict[str, Any]:
    def rnd(c: Any) -> Any:
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(float(v), 6) for v in c]
        return [rnd(v) for v in c]
    return {"type": geom["type"], "coordinates": rnd(geom["coordinates"])}


def areas(ws: Workspace) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    """The workspace's vector layers as one GeoJSON FeatureCollection in WGS 84 (``kind``:
    boundary, district, river, roads, buildings, places; ``name``) and its named features
    (name, kind, lat, lon [degrees], bounds [south, west, north, east]) for place search."""
    files = tuple((kind, str(path), path.stat().st_mtime_ns if path.is_file() else 0)
                  for kind, path in _layer_files(ws))
    return _areas(files, ws.config.crs, ws.config.name)


def search_places(places: tuple[dict[str, Any], ...] | list[dict[str, Any]], query: str,
                  limit: int = 10) -> list[dict[str, Any]]:
    """Named features matching ``query`` (case- and accent-insensitive words): exact names
    first, then names starting with it, then names containing it."""
    q = " ".join(query.casefold().split())
    if not q:
        return []
    ranked = []
    for i, p in enumerate(places):
        name = " ".join(p["name"].casefold().split())
        if name == q:
            rank = 0
        elif name.startswith(q):
            rank = 1
        elif q in name:
            rank = 2
        else:
            continue
        ranked.append((rank, i, p))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [p for _, _, p in ranked[:limit]]


class Place(BaseModel):
    name: str
    kind: str = Field(description="district, places, roads, river or buildings")
    lat: float = Field(description="a point on the feature: latitude [degrees, WGS 84]")
    lon: float = Field(description="longitude of that point [degrees, WGS 84]")
    bounds: list[float] = Field(description="south, west, north, east [degrees, WGS 84]")


@router.get("/places", response_model=list[Place])
def api_places(request: Request, q: Annotated[str, Query(max_length=100,
               description="part of a place's name")] = "") -> list[dict[str, Any]]:
    """Named features of the workspace (districts, places, roads, river, buildings) whose
    name contains ``q``, best matches first."""
    try:
        _, places = areas(get_workspace(request))
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return search_places(places, q)


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


@router.get("/areas.geojson", response_class=GeoJSONResponse)
def api_areas(request: Request) -> dict[str, Any]:
    """The workspace's own vector layers in WGS 84: boundary, districts, and river, roads,
    buildings, places where present (``kind``, ``name``)."""
    try:
        return areas(get_workspace(request))[0]
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None


def sites_geojson(ws: Workspace, sites: list[dict[str, Any]]) -> dict[str, Any]:
    """The checked sites as points in WGS 84 with ``compliant``, ``percent_of_limit`` [%]
    and its plain text; non-compliant sites last, so a map drawing in order puts them on top."""
    m = _model(ws)
    to_ll = Transformer.from_crs(ws.config.crs, "EPSG:4326", always_xy=True)
    where: dict[str, tuple[float, float]] = {}
    for s, x, y in zip(m.site.tolist(), m.tx.x_m.tolist(), m.tx.y_m.tolist(), strict=True):
        where.setdefault(s, (x, y))
    feats = []
    for s in sorted(sites, key=lambda s: (not s["compliant"], s["percent_of_limit"])):
        if s["site"] not in where:
            continue
        lon, lat = to_ll.transform(*where[s["site"]])
        feats.append({"type": "Feature",
                      "geometry": {"type": "Point", "coordinates": [round(lon, 6),
                                                                    round(lat, 6)]},
                      "properties": {"site": s["site"], "compliant": s["compliant"],
                                     "percent_of_limit": s["percent_of_limit"],
                                     "percent_text": plain_percent(s["percent_of_limit"])}})
    return {"type": "FeatureCollection", "features": feats}


@router.get("/sites.geojson", response_class=GeoJSONResponse)
def api_sites_geojson(request: Request) -> dict[str, Any]:
    """The sites of the last check as GeoJSON points (site, compliant, percent_of_limit [%]
    at the worst place people can reach), non-compliant ones last."""
    ws = get_workspace(request)
    sites = _sites(ws)
    if not sites:
        raise HTTPException(404, "no EMF check yet; run `ssckit emf check`")
    try:
        return sites_geojson(ws, sites)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None


# -- the page -----------------------------------------------------------------------------------
_FIELDS = {
    "lat": (N_("Latitude"), -90.0, 90.0, "40.7"),
    "lon": (N_("Longitude"), -180.0, 180.0, "39.05"),
    "height_m": (N_("Height above ground"), 0.0, 300.0, "1.5"),
}


def parse_form_number(name: str, text: str | None) -> tuple[float | None, str | None]:
    """A number of the point form (``lat``, ``lon``, ``height_m``): (value, None), or (None,
    the one-line message to show beside the field, in the reader's language)."""
    label, lo, hi, example = _FIELDS[name]
    if text is None or not text.strip():
        return None, None
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return None, gettext("{field}: “{value}” is not a number; enter a number from {lo} "
                             "to {hi}, e.g. {example}.").format(
            field=gettext(label), value=text.strip()[:40], lo=format_number(lo),
            hi=format_number(hi), example=example)
    if not lo <= value <= hi:
        return None, gettext("{field}: {value} is outside {lo} to {hi}; enter a number in "
                             "that range.").format(field=gettext(label),
                                                   value=format_number(value),
                                                   lo=format_number(lo), hi=format_number(hi))
    return value, None


def _leaflet_config(bounds: list[list[float]], no_leaflet: str) -> dict[str, Any]:
    """What every EMF map's shared script (``static/citymap.js``) reads: the bounds
    ``[[south, west], [north, east]]`` [WGS 84 degrees], the deepest zoom, the city's areas and
    the texts of the zoom buttons and of a page without Leaflet, in the reader's language."""
    return {"bounds": bounds, "max_zoom": maptiles.MAX_ZOOM - 4,
            "areas_url": "/api/v1/emf/areas.geojson",
            "text": {"zoom_in": gettext("Zoom in"), "zoom_out": gettext("Zoom out"),
                     "no_leaflet": no_leaflet}}


def _map_config(ws: Workspace, focus: list[float] | None, marker: list[float] | None
                ) -> dict[str, Any] | None:
    path = _ter_path(ws)
    if not path.is_file():
        return None
    w, s, e, n = maptiles.raster_info(path).bounds_lonlat
    config = _leaflet_config([[s, w], [n, e]], gettext(
        "The interactive map needs Leaflet (Debian package libjs-leaflet); the form and the "
        "table of sites work without it."))
    config["text"].update({
        "not_compliant": gettext("not compliant"), "compliant": gettext("compliant"),
        "site": gettext("Site"), "loading": gettext("Working out the exposure here…"),
        "failed": gettext("The exposure of this place could not be worked out."),
        "less_than": gettext("less than {p} %").format(p="{p}"),
        "requested": gettext("Measurement a resident asked for")})
    return config | {
        "tiles": f"/emf/tiles/{{z}}/{{x}}/{{y}}.png?v={_version(path)}",
        "focus": focus, "marker": marker, "sites_url": "/api/v1/emf/sites.geojson",
        "point_url": "/api/v1/emf/point",
        "requests_url": "/api/v1/emf/requests/published.geojson"}


@pages.get("/emf", response_class=HTMLResponse)
def emf_page(request: Request) -> HTMLResponse:
    """The public page. Its form works without JavaScript: bad input is shown beside the
    field it concerns, the form keeps what was typed."""
    ws = get_workspace(request)
    qp = request.query_params
    sites = _sites(ws)
    errors: dict[str, str] = {}
    values: dict[str, float | None] = {}
    for name in _FIELDS:
        values[name], err = parse_form_number(name, qp.get(name))
        if err:
            errors[name] = err
    lat, lon = values["lat"], values["lon"]
    height = values["height_m"] if values["height_m"] is not None else EVALUATION_HEIGHT_M
    result = place = None
    focus = marker = None
    place_q = (qp.get("place") or "").strip()[:100]
    map_error = None
    try:
        places = areas(ws)[1]
    except InputError as exc:
        places, map_error = (), str(exc)
    if place_q and lat is None and lon is None and not errors:
        found = search_places(places, place_q, limit=1)
        if found:
            place = found[0]
            lat, lon, focus = place["lat"], place["lon"], place["bounds"]
        else:
            errors["place"] = gettext("No place called “{q}” in this city; pick a name from "
                                      "the list, e.g. {example}.").format(
                q=place_q, example=places[0]["name"] if places else ws.config.name)
    elif not errors and (lat is None) != (lon is None):
        errors["lon" if lon is None else "lat"] = gettext(
            "Give both latitude and longitude (WGS 84 degrees), or search for a place.")
    if lat is not None and lon is not None and not errors:
        try:
            px, py = _xy(ws, lat, lon, None, None)
            _check_inside(ws, px, py)
            result = point_exposure(ws, px, py, height)
            result["summary"] = plain_language(result)
            marker = [lat, lon]
        except HTTPException as exc:
            errors["place" if place else "lat"] = str(exc.detail)
        except InputError as exc:
            errors["lat"] = str(exc)
    m = _model(ws) if sites else None
    config = None
    if sites and map_error is None:
        try:
            config = _map_config(ws, focus, marker)
        except InputError as exc:
            map_error = str(exc)
    return render(request, "emf/public.html", {
        "sites": sites, "result": result, "errors": errors, "place": place,
        "form": {k: qp.get(k, "") for k in ("lat", "lon", "place")}
        | {"height_m": qp.get("height_m") or f"{EVALUATION_HEIGHT_M:g}"},
        "place_names": [p["name"] for p in places],
        "limit_set": m.limit_set if m else None,
        "limit_title": limit_title(m.limit_set) if m else None,
        "settings": m.settings if m else None,
        "n_ok": sum(s["compliant"] for s in sites),
        "place_label": place_label, "pct": plain_percent, "legend": legend(),
        "map_config": config, "map_error": map_error,
        "measurements": public_rows(ws, get_store(request)) if sites else [],
        "requested": [{**r, "text": measured_text(r)}
                      for r in rq.published_results(get_store(request))],
    }, status_code=200)


# -- residents' measurement requests (ssckit.emf.requests) --------------------------------------
NAV.append((N_("Measurement requests"), "/emf/requests", "analyst"))
#: Headers of the private status page: not cached, its address never sent on as a referrer.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                   "X-Robots-Tag": "noindex, nofollow"}
_REQUEST_FIELDS = ("address", "place", "lat", "lon", "email", "reason", "consent_publish")


def _inside_city(ws: Workspace) -> Callable[[float, float], bool]:
    """Whether a WGS 84 place [degrees] is in the city: its boundary, 500 m around."""
    fc, _ = areas(ws)
    shapes = [shape(f["geometry"]) for f in fc["features"] if f["properties"]["kind"] ==
              "boundary"]
    if not shapes:
        return lambda lat, lon: True
    area = shapely.union_all(shapes).buffer(0.005)
    return lambda lat, lon: bool(area.contains(shapely.Point(lon, lat)))


def _request_map_config(ws: Workspace) -> dict[str, Any] | None:
    try:
        fc, _ = areas(ws)
    except InputError:
        return None
    if not fc["features"]:
        return None
    w, s, e, n = shapely.total_bounds([shape(f["geometry"]) for f in fc["features"]])
    config = _leaflet_config([[s, w], [n, e]], gettext(
        "The interactive map needs Leaflet (Debian package libjs-leaflet); search for a place "
        "instead."))
    config["text"]["chosen"] = gettext("Chosen place: {lat}, {lon}")
    return config


def _request_form(request: Request, form: dict[str, str], errors: dict[str, str],
                  status_code: int = 200, headers: dict[str, str] | None = None
                  ) -> HTMLResponse:
    ws = get_workspace(request)
    try:
        places = areas(ws)[1]
    except InputError:
        places = ()
    return render(request, "emf/request_form.html", {
        "form": {k: form.get(k, "") for k in _REQUEST_FIELDS}, "errors": errors,
        "place_names": [p["name"] for p in places], "csrf_token": csrf_token(request),
        "map_config": _request_map_config(ws), "max_reason": rq.MAX_REASON_CHARS,
    }, status_code=status_code, headers=headers)


@pages.get("/emf/request", response_class=HTMLResponse)
def request_form_page(request: Request) -> HTMLResponse:
    """The public form of a measurement request (``?lat=&lon=`` or ``?place=`` fill it)."""
    qp = request.query_params
    return _request_form(request, {k: (qp.get(k) or "")[:100] for k in ("lat", "lon", "place")}
                         | {"consent_publish": "yes"}, {})


@pages.post("/emf/request", response_class=HTMLResponse)
def request_submit(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    consent_publish: Annotated[str, Form()] = "",
) -> Response:
    """Check and queue a request; its private status page comes next."""
    check_csrf(request, csrf_token)
    ws, store = get_workspace(request), get_store(request)
    fields = {"address": address[:400], "place": place[:200], "lat": lat[:40],
              "lon": lon[:40], "email": email[:300], "reason": reason[:rq.MAX_REASON_CHARS + 1],
              "consent_publish": consent_publish[:10]}
    errors: dict[str, str] = {}
    point: dict[str, float | None] = {}
    for name in ("lat", "lon"):
        point[name], err = parse_form_number(name, fields[name])
        if err:
            errors[name] = err
    if not errors and (point["lat"] is None) != (point["lon"] is None):
        errors["lon" if point["lon"] is None else "lat"] = gettext(
            "Give both latitude and longitude (WGS 84 degrees), or search for a place.")
    try:
        _, places = areas(ws)
        inside = _inside_city(ws)
    except InputError:
        places, inside = (), (lambda la, lo: True)

    def find(q: str) -> dict[str, Any] | None:
        found = search_places(places, q, limit=1)
        return found[0] if found else None

    given = (None, None) if errors else (point["lat"], point["lon"])
    form, more = rq.check_request_form(fields, *given, request_language(request), find, inside)
    if errors and not fields["place"]:
        more.pop("place", None)
    errors |= more
    if errors or form is None:
        return _request_form(request, fields, errors, 422)
    if current_principal(request) is None:
        wait = auth.take_rate_slot(store, rq.RATE_KIND, client_address(request),
                                   rq.request_settings(ws).per_client_per_day, timedelta(days=1))
        if wait is not None:
            return _request_form(request, fields, {"form": gettext(
                "Too many requests were sent from your address today. Try again in {hours} "
                "hours.").format(hours=wait // 3600 + 1)}, 429, {"Retry-After": str(wait)})
    ref, token = rq.create_request(store, form)
    # the e-mail goes out after the answer, so a slow mail server never holds the resident up
    return RedirectResponse(f"/emf/request/status/{token}?new=1", status_code=303,
                            background=BackgroundTask(rq.send_notices, ws, store, ref, token))


def _timeline(req: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps of a request as its resident sees them (no names of staff)."""
    when = {}
    for ev in events:
        when.setdefault(ev["action"], ev["happened_at"])
    reached = rq.STATUSES.index(req["status"])
    out = []
    for i, status in enumerate(rq.STATUSES):
        day = when.get(status) if i <= reached else None
        out.append({"status": status, "label": gettext(rq.STATUS_LABELS[status]),
                    "reached": i <= reached, "current": i == reached,
                    "date": format_date(day) if day else ""})
    return out


def _result_text(req: dict[str, Any]) -> str:
    return gettext("Measured electric field: {e} V/m, that is {p} of the limit.").format(
        e=format_number(req["e_v_m"]), p=plain_percent(req["percent_of_limit"]))


@pages.get("/emf/request/status/{token}", response_class=HTMLResponse)
def request_status_page(request: Request, token: str) -> HTMLResponse:
    """The resident's private page: where the request stands, and its result once done."""
    req = rq.request_for_token(get_store(request), token)
    if req is None:
        raise HTTPException(404, gettext("There is no request behind this link; check that the "
                                         "whole link was copied."))
    events = rq.request_events(get_store(request), req["ref"])
    return render(request, "emf/request_status.html", {
        "req": req, "timeline": _timeline(req, events), "token": token,
        "new": request.query_params.get("new") == "1",
        "scheduled": format_date(req["scheduled_for"]) if req["scheduled_for"] else "",
        "result": _result_text(req) if req["status"] == "done" else "",
        "has_report": rq.report_path(get_workspace(request), req) is not None,
    }, headers=PRIVATE_HEADERS)


def _pdf(path: Path | None) -> Response:
    if path is None:
        raise HTTPException(404, gettext("This request has no report file."))
    return FileResponse(path, media_type="application/pdf", headers=PRIVATE_HEADERS)


@pages.get("/emf/request/status/{token}/report.pdf")
def request_status_report(request: Request, token: str) -> Response:
    req = rq.request_for_token(get_store(request), token)
    if req is None:
        raise HTTPException(404, gettext("There is no request behind this link; check that the "
                                         "whole link was copied."))
    return _pdf(rq.report_path(get_workspace(request), req))


Analyst = Annotated[Principal, Depends(require_role("analyst"))]


@pages.get("/emf/requests", response_class=HTMLResponse)
def requests_queue_page(request: Request, _: Analyst) -> HTMLResponse:
    """The analysts' queue of measurement requests, open ones first."""
    store = get_store(request)
    rows = rq.list_requests(store)
    rows.sort(key=lambda r: (r["status"] == "done", r["received_at"]))
    return render(request, "emf/requests_queue.html", {
        "rows": rows, "labels": {k: gettext(v) for k, v in rq.STATUS_LABELS.items()},
        "fmt_date": format_date,
        "counts": {s: sum(r["status"] == s for r in rows) for s in rq.STATUSES}})


_CHANNEL_LABELS = {"web": N_("web form"), "post": N_("letter"), "phone": N_("phone call"),
                   "e-mail": N_("e-mail")}


def _event_rows(req: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log of a request for readers: who (the resident, a user, an import) and what, in
    the language in force."""
    out = []
    for e in events:
        actor = e["actor"]
        if actor == "resident":
            actor = gettext("resident")
        elif actor.startswith("import:"):
            actor = gettext("imported from {file}").format(file=actor.removeprefix("import:"))
        detail = e["detail"]
        if e["action"] == "received":
            detail = gettext(_CHANNEL_LABELS.get(req["channel"], req["channel"]))
            detail += f", {req['place']}" if req["place"] else ""
        elif e["action"] == "scheduled":
            detail = format_date(detail)
        elif e["action"] == "done":
            detail = _result_text(req)
        out.append({"when": format_date(e["happened_at"], True), "actor": actor,
                    "action": gettext(rq.STATUS_LABELS.get(e["action"], e["action"])),
                    "detail": detail})
    return out


def _request_detail(request: Request, ref: str, errors: dict[str, str] | None = None,
                    form: dict[str, str] | None = None, status_code: int = 200
                    ) -> HTMLResponse:
    store = get_store(request)
    req = rq.get_request(store, ref) if rq.REF_RE.match(ref) else None
    if req is None:
        raise HTTPException(404, gettext("There is no request {ref}.").format(ref=ref[:40]))
    return render(request, "emf/request_detail.html", {
        "req": req, "events": _event_rows(req, rq.request_events(store, ref)),
        "errors": errors or {}, "channel": gettext(_CHANNEL_LABELS.get(req["channel"], "")),
        "language_name": Locale.parse(req["lang"]).get_display_name(request_language(request)),
        "form": form or {}, "labels": {k: gettext(v) for k, v in rq.STATUS_LABELS.items()},
        "analysts": [u.name for u in auth.list_users(store) if u.has_role("analyst")],
        "notices": rq.notice_log(store, ref), "fmt_date": format_date,
        "today": date.today().isoformat(), "result": _result_text(req)
        if req["status"] == "done" else "",
        "has_report": rq.report_path(get_workspace(request), req) is not None,
    }, status_code=status_code)


@pages.get("/emf/requests/{ref}", response_class=HTMLResponse)
def request_detail_page(request: Request, ref: str, _: Analyst) -> HTMLResponse:
    return _request_detail(request, ref)


@pages.get("/emf/requests/{ref}/report.pdf")
def request_detail_report(request: Request, ref: str, _: Analyst) -> Response:
    req = rq.get_request(get_store(request), ref) if rq.REF_RE.match(ref) else None
    if req is None:
        raise HTTPException(404, gettext("There is no request {ref}.").format(ref=ref[:40]))
    return _pdf(rq.report_path(get_workspace(request), req))


#: The form's field for each ``source`` of the request queue's errors (emf.requests).
_SOURCE_FIELDS = {"assignee": N_("Engineer"), "date": N_("Day of the visit"),
                  "measured field": N_("Measured electric field (V/m)"),
                  "share of the limit": N_("Share of the limit (per cent)"),
                  "report": N_("Lab report (PDF)"), "lab report": N_("Reference of the lab report")}


def _after(request: Request, ref: str, action: str, change: Callable[[], Any],
           form: dict[str, str]) -> Response:
    """Apply a state change; back to the request, or its page with the error beside the form
    (in the page's language: the change words its errors in the language in force, and says
    what to do in the form rather than on the command line)."""
    ws, store = get_workspace(request), get_store(request)
    try:
        change()
    except InputError as exc:
        where = exc.location or gettext(_SOURCE_FIELDS.get(exc.source, exc.source))
        what = exc.on_page if isinstance(exc, rq.RequestError) else exc.message
        return _request_detail(request, ref, {action: f"{where[:1].upper()}{where[1:]}: "
                                              f"{what}"}, form, 422)
    return RedirectResponse(f"/emf/requests/{ref}", status_code=303,
                            background=BackgroundTask(rq.send_notices, ws, store, ref))


@pages.post("/emf/requests/{ref}/assign")
def request_assign(request: Request, ref: str, principal: Analyst,
                   csrf_token: Annotated[str, Form()] = "",
                   assignee: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    return _after(request, ref, "assign", lambda: rq.assign_request(
        get_store(request), ref, assignee[:64], principal.user.name), {"assignee": assignee})


@pages.post("/emf/requests/{ref}/schedule")
def request_schedule(request: Request, ref: str, principal: Analyst,
                     csrf_token: Annotated[str, Form()] = "",
                     day: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        return _request_detail(request, ref, {"schedule": gettext(
            "Day of the visit: “{value}” is not a date; write it as YYYY-MM-DD.").format(
            value=day[:20])}, {"day": day[:20]}, 422)
    return _after(request, ref, "schedule", lambda: rq.schedule_request(
        get_store(request), ref, when, principal.user.name), {"day": day[:20]})


@pages.post("/emf/requests/{ref}/close")
def request_close(request: Request, ref: str, principal: Analyst,
                  csrf_token: Annotated[str, Form()] = "",
                  e_v_m: Annotated[str, Form()] = "",
                  percent_of_limit: Annotated[str, Form()] = "",
                  lab_report: Annotated[str, Form()] = "",
                  report: Annotated[UploadFile | None, File()] = None) -> Response:
    check_csrf(request, csrf_token)
    form = {"e_v_m": e_v_m[:40], "percent_of_limit": percent_of_limit[:40],
            "lab_report": lab_report[:100]}
    numbers = {}
    for name, label in (("e_v_m", gettext("Measured electric field (V/m)")),
                        ("percent_of_limit", gettext("Share of the limit (per cent)"))):
        try:
            numbers[name] = float(form[name].strip().replace(",", "."))
        except ValueError:
            return _request_detail(request, ref, {"close": gettext(
                "{field}: “{value}” is not a number; enter a number from 0.").format(
                field=label, value=form[name])}, form, 422)
    data = None
    if report is not None and report.filename:
        data = report.file.read(int(8 * 1024 * 1024) + 1)
    return _after(request, ref, "close", lambda: rq.close_request(
        get_workspace(request), get_store(request), ref, actor=principal.user.name,
        report=data, lab_report=lab_report[:100], **numbers), form)


@router.get("/requests/published.geojson", response_class=GeoJSONResponse)
def api_published_requests(request: Request) -> dict[str, Any]:
    """Measurements made on residents' requests whose residents agreed to publish them:
    points in WGS 84 with the day, E [V/m] and % of the limit (no address, no person)."""
    feats = []
    for r in rq.published_results(get_store(request)):
        feats.append({"type": "Feature",
                      "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                      "properties": {**r, "percent_text": plain_percent(r["percent_of_limit"]),
                                     "text": measured_text(r)}})
    return {"type": "FeatureCollection", "features": feats}


def measured_text(r: dict[str, Any]) -> str:
    """One published measurement in words, in the language in force."""
    text = gettext("Measured on {day}: {e} V/m, {p} of the limit").format(
        day=format_date(r["measured_on"]), e=format_number(r["e_v_m"]),
        p=plain_percent(r["percent_of_limit"]))
    return f"{r['place']}: {text}" if r.get("place") else text


# -- power cuts under a stricter limit set and their coverage cost (ssckit emf tradeoff) ---------
NAV.append((N_("Limit tradeoff"), "/emf/tradeoff", "analyst"))
#: The coverage layers of a tradeoff run drawn on its maps, and the states compared.
TRADEOFF_LAYER = "rsrp"
TRADEOFF_STATES = ("before", "after")
#: RSRP colours of the tradeoff maps: those of the radio module's RSRP layer [dBm].
TRADEOFF_RSRP_RANGE = (-130.0, -60.0)


def _tradeoff_doc(ws: Workspace, limits: str) -> dict[str, Any]:
    from ssckit.emf.tradeoff import read_tradeoffs

    docs = read_tradeoffs(ws.output_dir)
    if limits not in docs:
        raise HTTPException(404, f"no tradeoff for limit set {limits!r}; computed: "
                                 f"{', '.join(docs) or 'none'} (run `ssckit emf tradeoff "
                                 f"--limits {limits}`)")
    return docs[limits]


def _tradeoff_layer(ws: Workspace, limits: str, state: str) -> Path:
    from ssckit.emf.tradeoff import TRADEOFF_DIR

    _tradeoff_doc(ws, limits)
    if state not in TRADEOFF_STATES:
        raise HTTPException(404, f"no state {state!r}; the states are before, after")
    path = ws.output_dir / OUTPUT_DIR / TRADEOFF_DIR / limits / state / f"{TRADEOFF_LAYER}.tif"
    if not path.is_file():
        raise HTTPException(404, f"{path.name} of this tradeoff is missing; run `ssckit emf "
                                 "tradeoff` again")
    return path


class _TradeoffModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class TradeoffSite(_TradeoffModel):
    """One site under the stricter limit set."""

    site: str = Field(description="Site id.")
    sectors: int = Field(description="Sectors of the site.")
    lat: float = Field(description="Latitude [degrees, WGS 84].")
    lon: float = Field(description="Longitude [degrees, WGS 84].")
    cut_db: float = Field(description="Power cut of every sector of the site [dB], >= 0.")
    power_before_w: float = Field(description="Port power of the site before [W].")
    power_after_w: float = Field(description="Port power of the site after the cut [W].")
    power_cut_w: float = Field(description="Power given up [W].")
    worst_place: str = Field(description="Worst public place before the cut.")
    worst_ter_before: float = Field(description="Worst total exposure ratio before [-].")
    worst_ter_after: float = Field(description="Worst total exposure ratio after [-], <= 1.")
    in_coverage: bool = Field(description="Whether the site is in the coverage model.")
    population_lost: float = Field(description="People it served who lose coverage.")
    area_lost_km2: float = Field(description="Area it served that loses coverage [km²].")
    schools_lost: list[str] = Field(description="Schools it served that lose coverage.")


class TradeoffCoverage(_TradeoffModel):
    population_covered: float = Field(description="People covered [persons].")
    population_covered_pct: float | None = Field(description="People covered [%].")
    area_covered_km2: float = Field(description="City area covered [km²].")
    area_covered_pct: float = Field(description="City area covered [%].")
    schools_covered: int | None = Field(None, description="Schools covered.")
    schools: int | None = Field(None, description="Schools on the grid.")


class TradeoffTotals(_TradeoffModel):
    sites: int = Field(description="Sites checked.")
    sites_cut: int = Field(description="Sites with a cut.")
    feasible: bool = Field(description="Whether every public point is within the limit.")
    power_before_w: float = Field(description="Port power of all sites before [W].")
    power_after_w: float = Field(description="Port power of all sites after [W].")
    power_cut_w: float = Field(description="Power given up [W].")
    before: TradeoffCoverage
    after: TradeoffCoverage
    population_lost: float = Field(description="People who lose coverage [persons].")
    area_lost_km2: float = Field(description="Area that loses coverage [km²].")
    schools_lost: int = Field(description="Schools that lose coverage.")


class TradeoffAnswer(_TradeoffModel):
    """The last `ssckit emf tradeoff` for one limit set (``tradeoff.json``)."""

    limit_set: str = Field(description="The stricter limit set.")
    limit_source: str = Field(description="The document its values come from.")
    sites: list[TradeoffSite]
    totals: TradeoffTotals
    synthetic: bool = Field(description="Whether the inputs are synthetic sample data.")


def _rsrp_colours() -> maptiles.ColourMap:
    return maptiles.colour_map("viridis", *TRADEOFF_RSRP_RANGE)


class TradeoffList(_TradeoffModel):
    tradeoffs: list[TradeoffAnswer] = Field(
        description="The last tradeoff of each limit set computed (or of the one asked for).")


Viewer = Annotated[Principal, Depends(require_role("viewer"))]


@router.get("/tradeoffs", response_model=TradeoffList)
def api_tradeoffs(request: Request, _: Viewer,
                  limits: Annotated[str | None, Query(
                      max_length=100, description="Only this limit set.")] = None
                  ) -> dict[str, Any]:
    """The last `ssckit emf tradeoff` of each limit set: per site the power cut [dB, W] and
    the worst exposure ratio before and after, the people [persons], area [km²] and schools
    that lose coverage; totals before and after. An empty list when none was computed."""
    from ssckit.emf.tradeoff import read_tradeoffs

    docs = read_tradeoffs(get_workspace(request).output_dir)
    if limits is not None:
        docs = {limits: _tradeoff_doc(get_workspace(request), limits)}
    return {"tradeoffs": list(docs.values())}


@router.get("/tradeoff/{limits}/{state}/rsrp.tif", response_class=FileResponse)
def api_tradeoff_layer(request: Request, limits: str, state: str, _: Analyst) -> FileResponse:
    """Best-server RSRP [dBm] at full power (``before``) or with the cuts (``after``), as a
    Cloud-Optimized GeoTIFF (analysts)."""
    path = _tradeoff_layer(get_workspace(request), limits, state)
    return FileResponse(path, media_type="image/tiff", filename=f"{limits}-{state}-rsrp.tif")


@pages.get("/emf/tradeoff/tiles/{limits}/{state}/{z}/{x}/{y}.png")
def tradeoff_tile(request: Request, limits: str, state: str, z: int, x: int, y: int,
                  _: Analyst) -> Response:
    """Tile ``z/x/y`` (Web Mercator, 256 px) of the RSRP before or after the cuts."""
    path = _tradeoff_layer(get_workspace(request), limits, state)
    try:
        maptiles.check_tile_address(z, x, y)
        png = maptiles.render_tile(path, z, x, y, _rsrp_colours())
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-cache"})


def _tradeoff_map_config(ws: Workspace, doc: dict[str, Any]) -> dict[str, Any] | None:
    """What the two maps of the page need: tiles, bounds, the sites with their cuts."""
    from ssckit.emf.tradeoff import TRADEOFF_DIR

    path = ws.output_dir / OUTPUT_DIR / TRADEOFF_DIR / doc["limit_set"] / "before" / "rsrp.tif"
    if not path.is_file():
        return None
    west, south, east, north = maptiles.raster_info(path).bounds_lonlat
    marks = []
    for row in doc["sites"]:
        marks.append({"site": row["site"], "lat": row["lat"], "lon": row["lon"],
                      "cut_db": row["cut_db"],
                      "label": gettext("{site}: cut {cut} dB").format(
                          site=row["site"], cut=format_number(row["cut_db"]))})
    name = doc["limit_set"]
    return _leaflet_config([[south, west], [north, east]], gettext(
        "The interactive maps need Leaflet (Debian package libjs-leaflet); the tables show the "
        "same results.")) | {
        "sites": marks, "tiles": {st: f"/emf/tradeoff/tiles/{name}/{st}/{{z}}/{{x}}/{{y}}.png"
                                  for st in TRADEOFF_STATES}}


@pages.get("/emf/tradeoff", response_class=HTMLResponse)
def tradeoff_page(request: Request, _: Analyst, limits: str | None = None) -> HTMLResponse:
    """Analysts: the power cut of every site under a stricter limit set and what it costs in
    coverage, with the RSRP before and after on two maps that move together."""
    from ssckit.emf.tradeoff import read_tradeoffs

    ws = get_workspace(request)
    docs = read_tradeoffs(ws.output_dir)
    chosen = limits if limits in docs else next(iter(docs), None)
    doc = docs.get(chosen) if chosen else None
    config = _tradeoff_map_config(ws, doc) if doc else None
    cmap = _rsrp_colours()
    return render(request, "emf/tradeoff.html", {
        "docs": docs, "chosen": chosen, "doc": doc, "asked": limits,
        "map_config": config, "pct": plain_percent, "place_label": place_label,
        "legend": {"gradient": cmap.css_gradient(), "ticks": [v for v, _ in cmap.legend()]},
    })
