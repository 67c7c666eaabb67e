"""EMF compliance runs for a workspace: read sites and accessible points, check every site,
map the total exposure ratio and give the EMF-exposure KPI (files: :mod:`ssckit.emf.outputs`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ssckit import __version__
from ssckit.core import progress
from ssckit.core.csvfile import read_csv_rows
from ssckit.core.errors import InputError
from ssckit.core.geo import Grid, read_raster
from ssckit.core.indicators import IndicatorValue
from ssckit.core.workspace import Workspace
from ssckit.emf.exposure import Transmitters, ground_reflection_factor, total_exposure_ratio
from ssckit.emf.limits import LIMIT_SETS, LimitSet, get_limit_set, limit_set_from_dict
from ssckit.emf.zones import (
    EVALUATION_HEIGHT_M,
    check_accessible_points,
    exclusion_zones,
    installation_class,
)
from ssckit.radio.antenna import read_msi
from ssckit.radio.sites import Sectors, read_sites_csv

OUTPUT_DIR = "emf"
#: Ground points checked around each site: distances [m] and directions [deg].
GROUND_RING_M = np.array([2, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300], dtype=float)
GROUND_RING_DEG = np.arange(0.0, 360.0, 5.0)
ACCESSIBLE_COLUMNS = ("site", "name", "lat", "lon", "surface_height_m")


class EmfSettings(BaseModel):
    """``settings.emf`` of city.yaml.

    limit_set: the set compliance and the KPI are judged against (icnirp2020-public);
    report_limit_sets: further sets shown side by side in the report; limit_sets: user-defined
    (national) sets, each ``{name, source, s_uw_cm2 | s_w_m2 | ranges}``; ground_reflection:
    multiply power density by (1 + Γ)² = 2.56 for Γ = 0.6 (true, conservative);
    power_reduction_factor: the actual-maximum factor F_PR for massive-MIMO sites, 0 < F ≤ 1
    (1: off, full power); heights_m: heights above ground of the exposure maps ([1.5], each
    0..300 m); requests: residents' measurement requests (rate limit, public URL, SMTP;
    see :class:`ssckit.emf.requests.RequestSettings`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit_set: str = "icnirp2020-public"
    report_limit_sets: list[str] = Field(default_factory=list)
    limit_sets: list[dict[str, Any]] = Field(default_factory=list)
    ground_reflection: bool = True
    power_reduction_factor: float = Field(default=1.0, gt=0, le=1)
    heights_m: list[Annotated[float, Field(ge=0, le=300)]] = Field(
        default_factory=lambda: [EVALUATION_HEIGHT_M], min_length=1)
    #: residents' measurement requests: checked by ``ssckit.emf.requests.RequestSettings``
    requests: dict[str, Any] = Field(default_factory=dict)

    @property
    def reflection_factor(self) -> float:
        return float(ground_reflection_factor()) if self.ground_reflection else 1.0


def user_limit_sets(ws: Workspace, settings: EmfSettings) -> dict[str, LimitSet]:
    source = str(ws.path("city.yaml"))
    sets = {}
    for i, spec in enumerate(settings.limit_sets):
        try:
            ls = limit_set_from_dict(spec, f"{source}: settings.emf.limit_sets[{i}]")
        except ValueError as exc:
            raise InputError(source, f"field 'settings.emf.limit_sets[{i}]'", str(exc)) from None
        if ls.name in LIMIT_SETS:
            raise InputError(source, f"field 'settings.emf.limit_sets[{i}].name'",
                             f"{ls.name!r} is a built-in set; choose another name")
        sets[ls.name] = ls
    return sets


def resolve_limit_set(name: str, user: dict[str, LimitSet], where: str) -> LimitSet:
    try:
        return get_limit_set(name, user)
    except ValueError as exc:
        raise InputError(where, None, str(exc)) from None


@dataclass(frozen=True)
class AccessiblePoints:
    site: np.ndarray
    name: np.ndarray
    x: np.ndarray
    y: np.ndarray
    surface_height_m: np.ndarray


def read_accessible_csv(path: Path, crs: str) -> AccessiblePoints:
    """Publicly accessible places near antennas: roofs, balconies, terraces.

    Columns: site (the site it belongs to, for the report), name, lat, lon (WGS 84 degrees),
    surface_height_m (height of the floor a person stands on, above ground, 0..300 m).
    """
    from pyproj import Transformer

    rows = []
    for row in read_csv_rows(path, ACCESSIBLE_COLUMNS):
        rows.append((row["site"], row["name"], row.number("lat", -90, 90),
                     row.number("lon", -180, 180), row.number("surface_height_m", 0, 300)))
    if not rows:
        raise InputError(str(path), None, "no accessible points")
    lat = np.array([r[2] for r in rows])
    lon = np.array([r[3] for r in rows])
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return AccessiblePoints(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                            np.asarray(x), np.asarray(y), np.array([r[4] for r in rows]))


def load_sectors(ws: Workspace) -> tuple[Sectors, list[Path]]:
    """Every transmitter of the city: the radio sites plus ``inputs.emf.extra_sites``."""
    paths = [p for p in (ws.input_path("radio", "sites"), ws.input_path("emf", "extra_sites"))
             if p is not None]
    if not paths:
        raise InputError(str(ws.path("city.yaml")), "field 'inputs.radio.sites'",
                         "no sites file configured (inputs.radio.sites or inputs.emf.extra_sites)")
    parts = [read_sites_csv(p, ws.config.crs) for p in paths]
    merged = Sectors(**{k: np.concatenate([getattr(s, k) for s in parts])
                        for k in parts[0].__dict__})
    return merged, paths


def transmitters_for(sectors: Sectors, paths: list[Path]) -> Transmitters:
    patterns = {}
    for name in set(sectors.antenna.tolist()):
        if not name.startswith("3gpp"):
            patterns[name] = read_msi(name)
    return Transmitters.from_sectors(sectors, patterns=patterns)


@dataclass
class SiteResult:
    site: str
    sectors: int
    eirp_w: float
    installation_class: str
    zone: dict[str, float]           # largest extents over the site's sectors [m]
    worst_ter: float                 # over the ground ring and the site's accessible points
    worst_place: str
    worst_dominant: str
    compliant: bool
    by_limit_set: dict[str, dict[str, float | bool]]

    @property
    def margin_db(self) -> float:
        return -10 * math.log10(self.worst_ter) if self.worst_ter > 0 else math.inf


@dataclass
class EmfRun:
    settings: EmfSettings
    limit_set: LimitSet
    sites: list[SiteResult]
    sectors: Sectors
    ter_maps: dict[float, np.ndarray]
    grid: Grid | None


def _site_points(sectors: Sectors, site: str, acc: AccessiblePoints | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    k = np.flatnonzero(sectors.site == site)
    sx, sy = float(sectors.x[k[0]]), float(sectors.y[k[0]])
    d, a = np.meshgrid(GROUND_RING_M, np.deg2rad(GROUND_RING_DEG))
    xs = list((sx + d * np.sin(a)).ravel())
    ys = list((sy + d * np.cos(a)).ravel())
    hs = [0.0] * len(xs)
    names = [f"ground, {dd:g} m at {np.rad2deg(aa):.0f}°" for dd, aa in zip(d.ravel(), a.ravel(),
                                                                           strict=True)]
    if acc is not None:
        mine = np.flatnonzero(acc.site == site)
        xs += acc.x[mine].tolist()
        ys += acc.y[mine].tolist()
        hs += acc.surface_height_m[mine].tolist()
        names += [str(n) for n in acc.name[mine]]
    return np.array(xs), np.array(ys), np.array(hs), names


def check_sites(sectors: Sectors, tx: Transmitters, settings: EmfSettings, chosen: LimitSet,
                others: list[LimitSet], acc: AccessiblePoints | None) -> list[SiteResult]:
    """Per site: zone extents, installation class, worst public point and compliance."""
    refl = settings.reflection_factor
    fpr = settings.power_reduction_factor
    zones = exclusion_zones(tx, chosen, reflection_factor=refl, power_reduction_factor=fpr,
                            step_deg=1.0)
    eirp = tx.eirp_w * fpr
    results = []
    for site in progress.track(list(sectors.site_ids), "emf: checking sites"):
        k = np.flatnonzero(sectors.site == site)
        x, y, h, names = _site_points(sectors, site, acc)
        by_set: dict[str, dict[str, float | bool]] = {}
        worst = None
        for ls in [chosen, *others]:
            chk = check_accessible_points(x, y, h, tx, ls, reflection_factor=refl,
                                          power_reduction_factor=fpr)
            i = int(np.argmax(chk.ter))
            ter = float(chk.ter[i])
            by_set[ls.name] = {"worst_ter": ter, "compliant": bool(ter < 1.0)}
            if ls is chosen:
                worst = (ter, names[i], chk.dominant[i])
        assert worst is not None
        results.append(SiteResult(
            site=site, sectors=len(k), eirp_w=float(eirp[k].sum()),
            installation_class=str(installation_class(float(eirp[k].sum()))),
            zone={"boresight_m": float(zones.boresight_m[k].max()),
                  "front_m": float(zones.front_m[k].max()),
                  "back_m": float(zones.back_m[k].max()),
                  "side_m": float(zones.side_m[k].max()),
                  "above_m": float(zones.above_m[k].max()),
                  "below_m": float(zones.below_m[k].max())},
            worst_ter=worst[0], worst_place=worst[1], worst_dominant=worst[2],
            compliant=bool(worst[0] < 1.0), by_limit_set=by_set,
        ))
    return results


#: Map cells skip a transmitter whose main-beam ratio there is below this: the map's TER is
#: then low by less than n_transmitters × MAP_MIN_RATIO (0.03 % of the limit for 300
#: transmitters), which makes country-size maps about 10 times faster. Compliance checks of
#: sites and public places are always exact.
MAP_MIN_RATIO = 1e-6


def exposure_map(grid: Grid, tx: Transmitters, limit_set: LimitSet, settings: EmfSettings,
                 height_m: float) -> np.ndarray:
    """Total exposure ratio on every grid cell at ``height_m`` above ground (flat ground),
    with the bounded truncation of :data:`MAP_MIN_RATIO`."""
    x, y = grid.cell_centres()
    return np.asarray(total_exposure_ratio(
        x, y, np.full(x.shape, height_m), tx, limit_set,
        reflection_factor=settings.reflection_factor,
        power_reduction_factor=settings.power_reduction_factor, min_ratio=MAP_MIN_RATIO),
        dtype=np.float32)


def run_check(ws: Workspace, settings: EmfSettings | None = None,
              limit_set_name: str | None = None, with_maps: bool = True) -> EmfRun:
    settings = settings or ws.module_settings("emf", EmfSettings)
    user = user_limit_sets(ws, settings)
    where = f"{ws.path('city.yaml')}: settings.emf"
    chosen = resolve_limit_set(limit_set_name or settings.limit_set, user, where)
    others = [resolve_limit_set(n, user, where) for n in settings.report_limit_sets
              if n != chosen.name]
    sectors, paths = load_sectors(ws)
    try:
        tx = transmitters_for(sectors, paths)
        acc_path = ws.input_path("emf", "accessible")
        acc = read_accessible_csv(acc_path, ws.config.crs) if acc_path else None
        sites = check_sites(sectors, tx, settings, chosen, others, acc)
    except ValueError as exc:     # e.g. a frequency outside every range of the limit set
        raise InputError(", ".join(str(p) for p in paths), "field 'freq_mhz'", str(exc)) from None
    maps: dict[float, np.ndarray] = {}
    grid = None
    if with_maps and ws.config.population:
        _, grid, _ = read_raster(ws.path(ws.config.population))
        for h in progress.track(settings.heights_m, "emf: exposure maps"):
            maps[h] = exposure_map(grid, tx, chosen, settings, h)
    return EmfRun(settings, chosen, sites, sectors, maps, grid)


def emf_values(run: EmfRun, ws: Workspace) -> list[IndicatorValue]:
    """EN:EN:EQ:1C (share of antenna sites compliant with the chosen limit set) and per-site
    worst exposure ratios."""
    src = {"module": "emf.check", "limit_set": run.limit_set.name,
           "ground_reflection": run.settings.ground_reflection,
           "power_reduction_factor": run.settings.power_reduction_factor,
           "version": __version__}
    q = "D" if ws.config.synthetic else "B"
    period = str(ws.config.year)
    n_ok = sum(s.compliant for s in run.sites)
    out = [IndicatorValue(indicator="EN:EN:EQ:1C", value=100.0 * n_ok / len(run.sites), unit="%",
                          period=period, source=src, quality=q)]
    for s in run.sites:
        out.append(IndicatorValue(indicator="emf:worst_exposure_ratio", value=s.worst_ter,
                                  unit="ratio", period=period, entity=f"site:{s.site}",
                                  source=src, quality=q))
    return out
