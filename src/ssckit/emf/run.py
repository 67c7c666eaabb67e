"""EMF compliance runs for a workspace: read sites and accessible points, check every site,
map the total exposure ratio, write the report and the EMF-exposure KPI."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ssckit import __version__
from ssckit.core.errors import InputError
from ssckit.core.geo import Grid, read_polygons, read_raster, write_raster
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


@dataclass(frozen=True)
class EmfSettings:
    """``settings.emf`` of city.yaml.

    limit_set: the set compliance and the KPI are judged against (icnirp2020-public);
    report_limit_sets: further sets shown side by side in the report; limit_sets: user-defined
    (national) sets, each ``{name, source, s_uw_cm2 | s_w_m2 | ranges}``; ground_reflection:
    multiply power density by (1 + Γ)² = 2.56 for Γ = 0.6 (true, conservative);
    power_reduction_factor: the actual-maximum factor F_PR for massive-MIMO sites, 0 < F ≤ 1
    (1: off, full power); heights_m: heights above ground of the exposure maps ([1.5]).
    """

    limit_set: str = "icnirp2020-public"
    report_limit_sets: list[str] = field(default_factory=list)
    limit_sets: list[dict[str, Any]] = field(default_factory=list)
    ground_reflection: bool = True
    power_reduction_factor: float = 1.0
    heights_m: list[float] = field(default_factory=lambda: [EVALUATION_HEIGHT_M])

    def __post_init__(self) -> None:
        if not 0 < self.power_reduction_factor <= 1:
            raise ValueError(f"power_reduction_factor {self.power_reduction_factor} is outside "
                             "the allowed range (0, 1]")
        for h in self.heights_m:
            if not 0 <= h <= 300:
                raise ValueError(f"heights_m {h} is outside 0..300 m")

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

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ACCESSIBLE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(str(path), "line 1 (header)", f"missing column(s) {', '.join(missing)};"
                         f" required: {', '.join(ACCESSIBLE_COLUMNS)}")
    rows = []
    for row in reader:
        line = reader.line_num
        vals = []
        for col, lo, hi in (("lat", -90, 90), ("lon", -180, 180), ("surface_height_m", 0, 300)):
            try:
                v = float(row[col])
            except (TypeError, ValueError):
                raise InputError(str(path), f"line {line}, field '{col}'",
                                 f"{row[col]!r} is not a number") from None
            if not (math.isfinite(v) and lo <= v <= hi):
                raise InputError(str(path), f"line {line}, field '{col}'",
                                 f"{v:g} is outside the allowed range {lo}..{hi}")
            vals.append(v)
        rows.append((row["site"].strip(), row["name"].strip(), *vals))
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
    for site in sectors.site_ids:
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
        for h in settings.heights_m:
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


def write_outputs(run: EmfRun, ws: Workspace) -> dict[str, Path]:
    """Per-site CSV and HTML report, exposure maps (GeoTIFF + PNG). Files are written to a
    temporary folder and moved in place together, so a failure leaves the old report intact."""
    import shutil

    final = ws.output_dir / OUTPUT_DIR
    tmp = ws.output_dir / (OUTPUT_DIR + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    names = [run.limit_set.name, *[n for s in run.sites[:1] for n in s.by_limit_set
                                   if n != run.limit_set.name]]
    with open(tmp / "sites.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["site", "sectors", "eirp_w", "installation_class", "boresight_m", "front_m",
                    "back_m", "side_m", "above_m", "below_m", "worst_place", "worst_ter",
                    "margin_db", "percent_of_limit", "compliant"]
                   + [f"compliant_{n}" for n in names[1:]])
        for s in run.sites:
            w.writerow([s.site, s.sectors, round(s.eirp_w, 1), s.installation_class,
                        *[round(s.zone[k], 2) for k in ("boresight_m", "front_m", "back_m",
                                                        "side_m", "above_m", "below_m")],
                        s.worst_place, f"{s.worst_ter:.6g}", round(s.margin_db, 2),
                        round(100 * s.worst_ter, 3), s.compliant]
                       + [s.by_limit_set[n]["compliant"] for n in names[1:]])
    boundary = None
    if run.grid is not None:
        from shapely.ops import unary_union

        boundary = unary_union([g for _, g in read_polygons(ws.path(ws.config.boundary))])
        for h, ter in run.ter_maps.items():
            stem = f"ter_{h:g}m"
            write_raster(tmp / f"{stem}.tif", ter, run.grid,
                         description=f"total exposure ratio at {h:g} m, {run.limit_set.name}")
            write_map_png(tmp / f"{stem}.png", ter, run.grid, run, boundary, ws.config.synthetic)
    from ssckit.emf.report import render_report

    (tmp / "report.html").write_text(render_report(run, ws), encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return {p.name: p for p in final.iterdir()}


def write_map_png(path: Path, ter: np.ndarray, grid: Grid, run: EmfRun, boundary,
                  synthetic: bool) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    xmin, ymin, xmax, ymax = grid.bounds
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    img = ax.imshow(np.clip(100 * ter, 1e-4, None), extent=(xmin, xmax, ymin, ymax),
                    cmap="YlOrRd", norm=LogNorm(vmin=1e-3, vmax=100), interpolation="nearest")
    fig.colorbar(img, ax=ax, label=f"exposure, % of the {run.limit_set.name} limit", shrink=0.8)
    if boundary is not None:
        for geom in getattr(boundary, "geoms", [boundary]):
            bx, by = geom.exterior.xy
            ax.plot(bx, by, color="black", lw=0.8)
    ok = {s.site: s.compliant for s in run.sites}
    first = {}
    for i, s in enumerate(run.sectors.site):
        first.setdefault(s, i)
    xs = np.array([run.sectors.x[i] for i in first.values()])
    ys = np.array([run.sectors.y[i] for i in first.values()])
    colours = ["#009E73" if ok[s] else "#D55E00" for s in first]
    ax.scatter(xs, ys, s=28, c=colours, edgecolors="black", linewidths=0.6, zorder=3)
    ax.set_title("Total exposure ratio" + (" (synthetic sample data)" if synthetic else ""))
    ax.set_xlabel("easting [m]")
    ax.set_ylabel("northing [m]")
    ax.ticklabel_format(style="plain", useOffset=False)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def compute(ws: Workspace) -> list[IndicatorValue]:
    """Pipeline step: EMF check of every site when the workspace has sites."""
    if ws.input_path("radio", "sites") is None and ws.input_path("emf", "extra_sites") is None:
        return []
    run = run_check(ws)
    write_outputs(run, ws)
    return emf_values(run, ws)
