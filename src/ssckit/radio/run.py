"""Coverage and planning runs for a workspace: read inputs, compute, write layers and values."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from pyproj import Transformer
from rasterio.warp import Resampling, reproject

from ssckit import __version__
from ssckit.core.csvfile import read_csv_rows
from ssckit.core.errors import InputError
from ssckit.core.geo import Grid, read_polygons, read_raster
from ssckit.core.indicators import IndicatorValue
from ssckit.core.workspace import Workspace
from ssckit.radio.antenna import read_msi
from ssckit.radio.coverage import (
    EMPIRICAL_RANGES,
    SCS_HZ,
    CoverageInputs,
    CoverageMaps,
    RadioSettings,
    TileStats,
    compute_coverage,
    coverage_maps,
)
from ssckit.radio.io import CogWriter, write_layers, write_summary
from ssckit.radio.linkbudget import noise_dbm
from ssckit.radio.measurements import offset_grid
from ssckit.radio.plan import NetworkState, Plan, greedy_plan_sinr
from ssckit.radio.sites import Sectors, read_sites_csv
from ssckit.radio.terrain import load_clutter, load_dem, sample_bilinear

OUTPUT_DIR = "radio"
#: Where a workspace keeps the layer files its Dask workers map (``ssckit.radio.layers``);
#: derived data only, safe to delete between runs.
LAYER_CACHE = Path(".ssckit") / "cache" / "layers"
log = logging.getLogger(__name__)


def layer_dir(ws: Workspace, scheduler: str | None) -> Path | None:
    """The folder of the memory-mapped layers of a run on ``scheduler`` (None: local threads,
    which read the layers in this process)."""
    return None if scheduler is None else ws.root / LAYER_CACHE


class StepTimes:
    """Wall-clock seconds of the named steps of a run, in the order they ran.

    ``with times("coverage"): ...`` times one step; :meth:`line` says them all on one line.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 2) for k, v in self.seconds.items()}

    def line(self) -> str:
        parts = [f"{k} {v:.1f} s" for k, v in self.seconds.items()]
        return f"{', '.join(parts)}; total {sum(self.seconds.values()):.1f} s"


@dataclass
class Area:
    """The grid a run works on, its population and the zones that indicators are given for."""

    grid: Grid
    dem: np.ndarray
    population: np.ndarray
    zones: dict[str, np.ndarray]        # entity -> boolean mask ("city", "district:NAME")
    clutter: np.ndarray | None = None   # representative clutter heights [m]


@dataclass
class CoverageRun:
    area: Area
    sectors: Sectors
    settings: RadioSettings
    maps: CoverageMaps
    stats: TileStats
    seconds: float
    streamed: dict[str, Path] | None = None   # layers already written as COGs (name -> path)
    calibration: dict[str, Any] | None = None  # drive-test calibration applied, if any


#: The command-line option that overrides each setting.
OPTION_OF = {"model": "--model", "rsrp_threshold_dbm": "--rsrp-threshold",
             "sinr_threshold_db": "--sinr-threshold", "resolution_m": "--resolution",
             "building_entry": "--indoor", "tile_size": "--tile-size",
             "max_radius_km": "--max-radius-km"}


def settings_for(ws: Workspace, **overrides: Any) -> RadioSettings:
    """The workspace's ``settings.radio`` with command-line overrides (None = keep); a value
    out of its range is an InputError naming the setting (city.yaml) or the option."""
    base = ws.module_settings("radio", RadioSettings)
    changes = {k: v for k, v in overrides.items() if v is not None}
    try:
        return base.replace(**changes)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else ""
        raise InputError("command line", f"option {OPTION_OF.get(name, name)}",
                         err["msg"]) from None


def load_area(ws: Workspace, resolution_m: float | None = None) -> Area:
    """The workspace grid (that of its population raster), optionally resampled to another
    resolution [m] (population summed, DEM bilinear), with the city and district masks."""
    c = ws.config
    if c.population is None:
        raise InputError(str(ws.path("city.yaml")), "field 'population'",
                         "a population raster is needed for coverage indicators")
    if c.dem is None:
        raise InputError(str(ws.path("city.yaml")), "field 'dem'",
                         "a DEM (GeoTIFF, any CRS) is needed for terrain-based coverage")
    pop, grid, nodata = read_raster(ws.path(c.population))
    if nodata is not None:
        pop[pop == nodata] = 0
    pop = np.nan_to_num(pop)
    if resolution_m is not None and abs(resolution_m - grid.res) > 1e-9:
        xmin, ymin, xmax, ymax = grid.bounds
        new = Grid.from_bounds(xmin, ymin, xmax, ymax, resolution_m, grid.crs)
        out = np.zeros(new.shape)
        reproject(pop, out, src_transform=grid.transform, src_crs=grid.crs.to_wkt(),
                  dst_transform=new.transform, dst_crs=new.crs.to_wkt(),
                  resampling=Resampling.sum)
        pop, grid = out, new
    dem = load_dem(ws.path(c.dem), grid)
    zones = {"city": grid.labels([g for _, g in read_polygons(ws.path(c.boundary))]) > 0}
    if c.districts:
        districts = read_polygons(ws.path(c.districts), "name")
        labels = grid.labels([g for _, g in districts])
        for i, (name, _) in enumerate(districts):
            zones[f"district:{name}"] = labels == i + 1
    clutter_path = ws.input_path("radio", "clutter")
    clutter = load_clutter(clutter_path, grid) if clutter_path else None
    return Area(grid, dem, pop, zones, clutter)


#: Frequency range [MHz] each coverage model is valid for (P.1812-6 §1; TR 38.901 §7.4.1;
#: P.525 has no limit of its own, the range here is that of the NR bands).
MODEL_FREQ_MHZ = {"p1812": (30.0, 6000.0), "tr38901-uma": (500.0, 100_000.0),
                  "tr38901-rma": (500.0, 30_000.0), "tr38901-umi": (500.0, 100_000.0),
                  "free-space": (30.0, 100_000.0)}


def load_sectors(path: Path, area: Area, model: str = "p1812") -> tuple[Sectors, dict[str, Any]]:
    """Sites of ``path`` with their antenna patterns; refuses a site outside the DEM and a
    frequency outside the model's validity range."""
    sectors = read_sites_csv(path, area.grid.crs.to_string())
    lo, hi = MODEL_FREQ_MHZ[model]
    bad_f = np.flatnonzero((sectors.freq_mhz < lo) | (sectors.freq_mhz > hi))
    if bad_f.size:
        i = int(bad_f[0])
        raise InputError(str(path), f"line {sectors.line[i]}, field 'freq_mhz'",
                         f"{sectors.freq_mhz[i]:g} MHz is outside the validity range of model "
                         f"{model}: {lo:g}..{hi:g} MHz")
    ground = sample_bilinear(area.dem, area.grid, sectors.x, sectors.y)
    bad = np.flatnonzero(np.isnan(ground))
    if bad.size:
        i = int(bad[0])
        xmin, ymin, xmax, ymax = area.grid.bounds
        raise InputError(str(path), f"line {sectors.line[i]} (site {sectors.site[i]})",
                         f"lat {sectors.lat[i]:.6f}, lon {sectors.lon[i]:.6f} is outside the "
                         f"terrain grid (x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f} m)")
    if model in EMPIRICAL_RANGES:
        _, (hlo, hhi), _ = EMPIRICAL_RANGES[model]
        n_out = int(((sectors.height_m < hlo) | (sectors.height_m > hhi)).sum())
        if n_out == len(sectors):
            allowed = f"{hlo:g} m" if hlo == hhi else f"{hlo:g}..{hhi:g} m"
            raise InputError(str(path), "field 'height_m'",
                             f"no sector has a height model {model} allows ({allowed}): every "
                             f"pixel would be without prediction; use --model p1812")
    patterns = {}
    for name in set(sectors.antenna.tolist()):
        if not name.startswith("3gpp"):
            pat = read_msi(name)
            patterns[name] = pat
    return sectors, patterns


def check_model_settings(settings: RadioSettings) -> None:
    """Refuse a receiver height the chosen model does not allow (one line naming the
    setting and the range)."""
    if settings.model in EMPIRICAL_RANGES:
        _, _, (lo, hi) = EMPIRICAL_RANGES[settings.model]
        if not lo <= settings.rx_height_m <= hi:
            raise InputError("city.yaml", "field 'settings.radio.rx_height_m'",
                             f"{settings.rx_height_m:g} m is outside the range of model "
                             f"{settings.model}: {lo:g}..{hi:g} m")


def run_coverage(ws: Workspace, sites: Path, settings: RadioSettings, area: Area,
                 scheduler: str | None = None, threads: int = 2, progress=None,
                 times: StepTimes | None = None, out_dir: Path | None = None) -> CoverageRun:
    """Coverage of the sites in ``sites`` over ``area`` (steps ``sites`` and ``coverage``
    timed into ``times``). With ``out_dir``, the GeoTIFF layers are streamed there tile by
    tile as Cloud-Optimized GeoTIFFs (:class:`ssckit.radio.io.CogWriter`)."""
    times = times or StepTimes()
    check_model_settings(settings)
    with times("sites"):
        sectors, patterns = load_sectors(sites, area, settings.model)
        offsets, calibration = offset_grid(ws, area.grid)
    inputs = CoverageInputs(area.grid, area.dem, sectors, settings, clutter=area.clutter,
                            patterns=patterns, rx_offset_db=offsets)
    t0 = time.perf_counter()
    streamed = None
    with times("coverage"):
        writer = CogWriter(out_dir, area.grid) if out_dir is not None else None
        try:
            maps, stats = coverage_maps(inputs, scheduler=scheduler, threads=threads,
                                        progress=progress, sink=writer,
                                        layer_dir=layer_dir(ws, scheduler))
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        seconds = time.perf_counter() - t0
        if writer is not None:
            streamed = writer.close()
    return CoverageRun(area, sectors, settings, maps, stats, seconds, streamed, calibration)


def coverage_values(run: CoverageRun, ws: Workspace, sites: Path) -> list[IndicatorValue]:
    """Population coverage per zone (%, at the run's thresholds), the 5G extension of the U4SSC
    wireless-broadband-coverage KPI (EC:ICT:ICT:4C, breakdown technology = 5G NR), area
    coverage and the population-weighted median throughput."""
    st = run.settings
    src = {"module": "radio.coverage", "inputs": [sites.name, ws.config.dem,
                                                  ws.config.population],
           "model": st.model, "version": __version__,
           "thresholds": {"rsrp_dbm": st.rsrp_threshold_dbm, "sinr_db": st.sinr_threshold_db}}
    quality = "D" if ws.config.synthetic else "B"
    period = str(ws.config.year)
    pop = run.area.population
    scope = breakdown_scope(st)
    out = []
    for entity, mask in run.area.zones.items():
        p = pop[mask]
        total = p.sum()
        if total <= 0:
            continue
        cov = run.maps.covered[mask]
        share = 100.0 * float(p[cov].sum() / total)
        thr = np.nan_to_num(run.maps.throughput_mbps[mask])   # no prediction: no service
        order = np.argsort(thr)
        cum = np.cumsum(p[order])
        median_thr = float(thr[order][np.searchsorted(cum, cum[-1] / 2)])

        def v(ind: str, value: float, unit: str, breakdown: dict | None = None,
              entity: str = entity) -> IndicatorValue:
            return IndicatorValue(indicator=ind, value=value, unit=unit, period=period,
                                  entity=entity, breakdown={**scope, **(breakdown or {})},
                                  source=src, quality=quality)

        out += [
            v("radio:population_coverage", share, "%"),
            v("radio:area_coverage", 100.0 * float(cov.mean()), "%"),
            v("radio:median_throughput", median_thr, "Mbit/s"),
            v("EC:ICT:ICT:4C", share, "%", {"technology": "5G NR"}),
        ]
    out += _school_values(run, ws, scope, src, quality, period)
    return out


def school_locations(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Ids, latitudes and longitudes [deg] of the schools in the school registry's CSV
    (``inputs.school.schools``): only the columns coverage needs (id, name, lat, lon), read
    through core's CSV reader; a missing or repeated id or a coordinate out of range is an
    InputError naming the file, line and field."""
    ids: list[str] = []
    lat: list[float] = []
    lon: list[float] = []
    seen: dict[str, int] = {}
    for row in read_csv_rows(path, ("id", "name", "lat", "lon")):
        if not row["id"]:
            raise row.error("id", "empty")
        if row["id"] in seen:
            raise row.error("id", f"school {row['id']} already given on line "
                                  f"{seen[row['id']]}")
        seen[row["id"]] = row.line
        ids.append(row["id"])
        lat.append(row.number("lat", -90.0, 90.0))
        lon.append(row.number("lon", -180.0, 180.0))
    return ids, np.array(lat, dtype=float), np.array(lon, dtype=float)


def _school_values(run: CoverageRun, ws: Workspace, scope: dict[str, str], src: dict,
                   quality: str, period: str) -> list[IndicatorValue]:
    """Share of the registry's schools whose location is covered, and RSRP/SINR/throughput at
    each school (entity ``school:ID``), when the workspace lists its schools
    (``inputs.school.schools``)."""
    path = ws.input_path("school", "schools")
    if path is None:
        return []
    ids, lat, lon = school_locations(path)
    if not ids:
        return []
    x, y = Transformer.from_crs("EPSG:4326", run.area.grid.crs, always_xy=True).transform(lon, lat)
    t = run.area.grid.transform
    col = np.floor((np.asarray(x) - t.c) / t.a).astype(int)
    row = np.floor((np.asarray(y) - t.f) / t.e).astype(int)
    rows, cols = run.area.grid.shape
    inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    out = []
    covered = 0
    for i, sid in enumerate(ids):
        if not inside[i]:
            continue
        r_, c_ = row[i], col[i]
        ok = bool(run.maps.covered[r_, c_])
        covered += ok
        for ind, val, unit in (("radio:school_covered", float(ok), "yes/no"),
                               ("radio:school_rsrp", float(run.maps.rsrp_dbm[r_, c_]), "dBm"),
                               ("radio:school_throughput",
                                float(run.maps.throughput_mbps[r_, c_]), "Mbit/s")):
            out.append(IndicatorValue(indicator=ind, value=val, unit=unit, period=period,
                                      entity=f"school:{sid}", breakdown=dict(scope),
                                      source=src, quality=quality))
    n = int(inside.sum())
    if n:
        out.append(IndicatorValue(indicator="radio:school_coverage", value=100.0 * covered / n,
                                  unit="%", period=period, breakdown=dict(scope), source=src,
                                  quality=quality))
    return out


def breakdown_scope(settings: RadioSettings) -> dict[str, str]:
    """The breakdown that tells this run's values apart: ``{}`` outdoors, ``{"indoor": type}``
    for indoor coverage (so an indoor run never replaces the outdoor figures)."""
    return {"indoor": settings.building_entry} if settings.building_entry else {}


def write_run(run: CoverageRun, ws: Workspace, sites: Path,
              times: StepTimes | None = None) -> dict[str, Path]:
    """Write the run's layers, sector table and summary under WORKSPACE/outputs/radio/; the
    summary holds the step times of ``times`` (this step, ``layers``, included)."""
    times = times or StepTimes()
    out_dir = ws.output_dir / OUTPUT_DIR
    boundary = [g for _, g in read_polygons(ws.path(ws.config.boundary))]
    from shapely.ops import unary_union

    with times("layers"):
        paths = write_layers(out_dir, run.maps, run.area.grid, run.sectors,
                             unary_union(boundary), ws.config.synthetic,
                             geotiff=run.streamed is None)
        paths.update(run.streamed or {})
    city = run.area.zones["city"]
    st = run.stats
    summary = {
        "sites": sites.name, "sectors": len(run.sectors), "model": run.settings.model,
        "settings": run.settings.model_dump(),
        "grid": {"shape": list(run.area.grid.shape), "resolution_m": run.area.grid.res,
                 "crs": run.area.grid.crs.to_string(), "bounds": list(run.area.grid.bounds)},
        "pixel_paths": st.paths, "near_site_pixels_free_space": st.near_pixels,
        "max_radius_km": run.settings.max_radius_km,
        "paths_beyond_radius": st.beyond_radius,
        "paths_without_prediction": st.no_prediction,
        "paths_outside_model_range": st.outside_range,
        "paths_leaving_terrain": st.no_terrain,
        "pixels_without_prediction": st.unserved_pixels,
        "tile_size": run.settings.tile_size,
        "seconds": round(run.seconds, 2),
        "pixel_paths_per_second": round(run.stats.paths / max(run.seconds, 1e-9)),
        "population_coverage_pct": {
            e: round(100 * float(run.area.population[m & run.maps.covered].sum()
                                 / max(run.area.population[m].sum(), 1e-9)), 2)
            for e, m in run.area.zones.items()},
        "city_area_coverage_pct": round(100 * float(run.maps.covered[city].mean()), 2),
        "synthetic": ws.config.synthetic,
        "calibration": run.calibration,
        "step_seconds": times.rounded(),
    }
    paths["coverage.json"] = write_summary(out_dir / "coverage.json", summary)
    return paths


@dataclass
class PlanResult:
    plan: Plan
    candidates: Sectors
    site_ids: list[str]
    final_coverage: float          # population share covered (RSRP and SINR) with the chosen
    explanation: list[dict[str, Any]]


def run_plan(ws: Workspace, existing: CoverageRun, candidates_path: Path, target: float,
             max_sites: int | None = None, scheduler: str | None = None, threads: int = 2,
             progress=None) -> PlanResult:
    """Choose candidate sites greedily until ``target`` (0..1) of the city's population is
    covered, coverage meaning RSRP and SINR above the thresholds with the interference of
    every site counted (see :func:`ssckit.radio.plan.greedy_plan_sinr`)."""
    area = existing.area
    cand, patterns = load_sectors(candidates_path, area, existing.settings.model)
    offsets, _ = offset_grid(ws, area.grid)
    inputs = CoverageInputs(area.grid, area.dem, cand, existing.settings, clutter=area.clutter,
                            patterns=patterns, rx_offset_db=offsets)
    stack, _ = compute_coverage(inputs, scheduler=scheduler, threads=threads,
                                progress=progress, layer_dir=layer_dir(ws, scheduler))
    # no prediction (beyond the radius, outside the model's range): no power
    stack = np.where(np.isnan(stack), -np.inf, stack)
    city = area.zones["city"]
    pop = np.where(city, area.population, 0.0).ravel()
    site_ids = cand.site_ids
    st = existing.settings
    n_pix = pop.size
    base = network_state(existing)
    per_site = [NetworkState.of(stack[cand.site == sid].reshape(-1, n_pix),
                                cand.freq_mhz[cand.site == sid]) for sid in site_ids]
    noise_mw = 10 ** (noise_dbm(SCS_HZ, st.noise_figure_db) / 10)
    plan = greedy_plan_sinr(base, per_site, pop, target, noise_mw, st.rsrp_threshold_dbm,
                            st.sinr_threshold_db, max_sites)
    final_cov = float(plan.steps[-1].coverage if plan.steps else plan.initial_coverage)
    explanation = []
    for s in plan.steps:
        sid = site_ids[s.candidate]
        mask = per_site[s.candidate].covered(noise_mw, st.rsrp_threshold_dbm, -np.inf
                                             ).reshape(area.grid.shape)
        where = sorted(((float(area.population[m & mask].sum()), e.split(":", 1)[1])
                        for e, m in area.zones.items() if e.startswith("district:")),
                       reverse=True)
        explanation.append({
            "site": sid, "added_population": round(s.added_population),
            "coverage_after": round(100 * s.coverage, 2),
            "main_districts": [name for people, name in where[:2] if people > 0],
        })
    return PlanResult(plan, cand, site_ids, final_cov, explanation)


def network_state(run: CoverageRun) -> NetworkState:
    """The planner's view of a network (best RSRP, its frequency, power per frequency) from
    the streamed maps of ``run``, without a per-sector stack."""
    maps = run.maps
    assert maps.power_mw is not None and maps.freqs_mhz is not None
    best = np.where(np.isnan(maps.rsrp_dbm), -np.inf, maps.rsrp_dbm).astype(float).ravel()
    server = maps.server.ravel().astype(np.int64)
    freq_of = np.where(server >= 0, run.sectors.freq_mhz[np.maximum(server, 0)], 0.0)
    totals = {float(f): maps.power_mw[i].ravel() for i, f in enumerate(maps.freqs_mhz)}
    return NetworkState(best, freq_of, totals)


def _concat(a: Sectors, b: Sectors) -> Sectors:
    return Sectors(**{k: np.concatenate([getattr(a, k), getattr(b, k)])
                      for k in a.__dict__})


def read_layer(ws: Workspace, name: str) -> tuple[np.ndarray, Grid]:
    """A coverage layer written by the last run (``rsrp``, ``sinr``, ``server``,
    ``throughput``)."""
    path = ws.output_dir / OUTPUT_DIR / f"{name}.tif"
    if not path.is_file():
        raise InputError(str(path), None, "no coverage yet; run `ssckit radio coverage`")
    data, grid, _ = read_raster(path)
    return data, grid



def compute(ws: Workspace) -> list[IndicatorValue]:
    """Pipeline step: coverage of ``inputs.radio.sites`` (and the site plan when
    ``inputs.radio.candidates`` is given), layers written, indicator values returned."""
    sites = ws.input_path("radio", "sites")
    if sites is None:
        return []
    times = StepTimes()
    with times("area"):
        settings = settings_for(ws)
        area = load_area(ws, settings.resolution_m)
    result = run_coverage(ws, sites, settings, area, times=times,
                          out_dir=ws.output_dir / OUTPUT_DIR)
    write_run(result, ws, sites, times)
    candidates = ws.input_path("radio", "candidates")
    out_dir = ws.output_dir / OUTPUT_DIR
    if candidates is not None:
        with times("plan"):
            plan = run_plan(ws, result, candidates, target=0.95)
            write_summary(out_dir / "plan.json", plan_document(plan, candidates, ws))
    with times("values"):
        values = coverage_values(result, ws, sites)
    # the summary written with the layers gets the times of the whole step
    summary = json.loads((out_dir / "coverage.json").read_text(encoding="utf-8"))
    write_summary(out_dir / "coverage.json", {**summary, "step_seconds": times.rounded()})
    log.info("radio step times: %s", times.line())
    return values


def plan_document(result: PlanResult, candidates: Path, ws: Workspace) -> dict[str, Any]:
    """The plan as written to ``outputs/radio/plan.json`` (read by the dashboard)."""
    return {
        "target": result.plan.target, "candidates": candidates.name,
        "reached": result.plan.reached,
        "initial_coverage_pct": round(100 * result.plan.initial_coverage, 2),
        "final_coverage_with_interference_pct": round(100 * result.final_coverage, 2),
        "evaluations": result.plan.evaluations, "steps": result.explanation,
        "synthetic": ws.config.synthetic,
    }
