"""``ssckit radio``: coverage maps, site planning and point checks of the propagation models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ssckit.core.cli_support import console, format_option, quiet_option, with_store
from ssckit.core.csvfile import read_csv_rows
from ssckit.core.errors import InputError
from ssckit.core.indicators import canonical_breakdown
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.radio.coverage import MODELS


@click.group(epilog="Example: ssckit radio coverage --workspace sample-city")
def radio() -> None:
    """5G coverage planning over terrain (ITU-R P.1812, 3GPP TR 38.901) and model checks."""


def _progress(quiet: bool, what: str):
    p = Progress(TextColumn(f"[bold]{what}[/]"), BarColumn(), TextColumn("{task.completed}/"
                 "{task.total} tiles"), TimeRemainingColumn(), disable=quiet, transient=True)
    task = p.add_task(what, total=None)

    def update(done: int, total: int) -> None:
        p.update(task, completed=done, total=total)

    return p, update


def _coverage_options(f):
    for opt in reversed([
        click.option("--sites", type=click.Path(dir_okay=False, path_type=Path),
                     help="Sites CSV (default: inputs.radio.sites of city.yaml)."),
        click.option("--model", type=click.Choice(MODELS), help="Propagation model "
                     "(default: settings.radio.model, else p1812)."),
        click.option("--resolution", type=float, help="Grid resolution [m] (default: that of "
                     "the population raster)."),
        click.option("--rsrp-threshold", type=float, help="Service threshold [dBm] "
                     "(default -110)."),
        click.option("--sinr-threshold", type=float, help="Service threshold [dB] (default -5)."),
        click.option("--indoor", type=click.Choice(["traditional", "thermally_efficient"]),
                     help="Indoor coverage: add the median ITU-R P.2109 building entry loss "
                          "of this building type."),
        click.option("--tile-size", type=int, help="Tile edge [pixels] of the tiled "
                     "computation, 8..4096 (default: settings.radio.tile_size, else 128); the "
                     "results do not depend on it."),
        click.option("--max-radius-km", type=_RADIUS, help="Service radius of a sector [km], "
                     "0.5..1000, or 'none' (default: settings.radio.max_radius_km, else 15): "
                     "beyond it a sector neither serves nor interferes."),
        click.option("--scheduler", help="Dask distributed scheduler address (tcp://HOST:PORT); "
                     "default: local threads."),
        click.option("--threads", default=2, show_default=True, help="Local threads."),
    ]):
        f = opt(f)
    return f


class _RadiusType(click.ParamType):
    """A radius [km] or ``none`` (no limit); 'none' is given to the settings as None."""

    name = "KM|none"

    def convert(self, value, param, ctx):
        if isinstance(value, float) or value is _NO_LIMIT:
            return value
        if str(value).strip().lower() in ("none", "inf", "unlimited"):
            return _NO_LIMIT
        try:
            return float(value)
        except ValueError:
            self.fail(f"{value!r} is not a number of km nor 'none'", param, ctx)


_NO_LIMIT = object()
_RADIUS = _RadiusType()


def _sites_path(ws: Workspace, given: Path | None, name: str = "sites") -> Path:
    path = given or ws.input_path("radio", name)
    if path is None:
        raise InputError(str(ws.path("city.yaml")), f"field 'inputs.radio.{name}'",
                         f"no {name} file configured; pass --{name} FILE")
    return path


def coverage_run(ws: Workspace, store: Store, sites: Path | None = None, *, model=None,
                 resolution=None, rsrp_threshold=None, sinr_threshold=None, indoor=None,
                 tile_size=None, max_radius_km=None, scheduler=None, threads: int = 2,
                 quiet: bool = True, times=None):
    """Compute coverage for the workspace, write its layers and store its indicator values;
    the steps are timed into ``times`` (a :class:`ssckit.radio.run.StepTimes`)."""
    from ssckit.radio import run as r

    sites = _sites_path(ws, sites)
    times = times if times is not None else r.StepTimes()
    if threads < 1:
        raise InputError("command line", "option --threads", f"{threads} must be >= 1")
    with times("area"):
        radius = None if max_radius_km is _NO_LIMIT else max_radius_km
        settings = r.settings_for(ws, model=model, rsrp_threshold_dbm=rsrp_threshold,
                                  sinr_threshold_db=sinr_threshold, resolution_m=resolution,
                                  building_entry=indoor, tile_size=tile_size,
                                  max_radius_km=radius)
        if max_radius_km is _NO_LIMIT:
            settings = settings.replace(max_radius_km=None)
        area = r.load_area(ws, settings.resolution_m)
    progress, update = _progress(quiet, "coverage")
    with progress:
        result = r.run_coverage(ws, sites, settings, area, scheduler, threads, update, times,
                                out_dir=ws.output_dir / r.OUTPUT_DIR)
    r.write_run(result, ws, sites, times)
    with times("values"):
        values = r.coverage_values(result, ws, sites)
        scope = canonical_breakdown(r.breakdown_scope(settings))
        kpi_scope = canonical_breakdown({**r.breakdown_scope(settings), "technology": "5G NR"})
        store.write_values(values, replace=lambda cur: cur.execute(
            "DELETE FROM indicator_values WHERE (starts_with(indicator, 'radio:') AND "
            "breakdown = ?) OR (indicator = 'EC:ICT:ICT:4C' AND breakdown = ?)",
            [scope, kpi_scope]))
    return result, values


@radio.command(epilog="Example: ssckit radio coverage -w sample-city --resolution 50")
@_coverage_options
@quiet_option
@with_store
def coverage(sites, model, resolution, rsrp_threshold, sinr_threshold, indoor, tile_size,
             max_radius_km, scheduler, threads, quiet, ws: Workspace, store: Store) -> None:
    """Best-server RSRP, SINR, serving sector and throughput maps, and population coverage.

    Writes GeoTIFF and PNG layers to WORKSPACE/outputs/radio/ and stores the coverage
    indicators (population and area coverage per district, median throughput). The grid is
    computed in independent tiles, on local threads or on a Dask cluster (--scheduler).
    """
    from ssckit.radio.run import StepTimes

    times = StepTimes()
    result, values = coverage_run(ws, store, sites, model=model, resolution=resolution,
                                  rsrp_threshold=rsrp_threshold, sinr_threshold=sinr_threshold,
                                  indoor=indoor, tile_size=tile_size,
                                  max_radius_km=max_radius_km, scheduler=scheduler,
                                  threads=threads, quiet=quiet, times=times)
    st = result.settings
    t = Table(title=f"Population coverage (RSRP ≥ {st.rsrp_threshold_dbm:g} dBm, SINR ≥ "
                    f"{st.sinr_threshold_db:g} dB) — {ws.label}")
    for col in ("zone", "population covered", "area covered", "median throughput"):
        t.add_column(col, justify="left" if col == "zone" else "right")
    by: dict[str, dict[str, float]] = {}
    for v in values:
        if v.entity == "city" or v.entity.startswith("district:"):
            by.setdefault(v.entity, {})[v.indicator] = v.value
    for entity, d in by.items():
        t.add_row(entity, f"{d['radio:population_coverage']:.1f} %",
                  f"{d['radio:area_coverage']:.1f} %",
                  f"{d['radio:median_throughput']:.0f} Mbit/s")
    console.print(t)
    schools = [v for v in values if v.indicator == "radio:school_coverage"]
    if schools:
        console.print(f"schools covered: {schools[0].value:.0f} %")
    rate = result.stats.paths / max(result.seconds, 1e-9)
    console.print(f"{len(result.sectors)} sectors, {result.stats.paths:,} pixel-paths in "
                  f"{result.seconds:.1f} s ({rate:,.0f}/s); layers in "
                  f"{ws.output_dir / 'radio'}")
    console.print(prediction_line(result))
    if result.calibration is not None:
        console.print(calibration_line(result.calibration))
    console.print(f"steps: {times.line()}")


def calibration_line(applied: dict[str, Any]) -> str:
    """The drive-test calibration a coverage run applied, in words."""
    offs = ", ".join(f"class {c} {o:+.1f} dB" for c, o in applied["offsets_db"].items())
    return (f"calibrated against {applied['n']} drive-test point(s) ({applied['file']}): "
            f"RSRP offset per clutter class {offs}")


def prediction_line(result) -> str:
    """What the run could not predict, in words: paths outside the model's validity range or
    leaving the terrain, pixels no sector reaches, and the service radius."""
    st = result.stats
    radius = result.settings.max_radius_km
    parts = [f"service radius {radius:g} km" if radius is not None else "no service radius"]
    parts.append(f"{st.beyond_radius:,} pixel-site pairs beyond it" if radius is not None
                 else "")
    parts.append(f"{st.outside_range:,} paths outside the validity range of "
                 f"{result.settings.model} (no prediction)")
    if st.no_terrain:
        parts.append(f"{st.no_terrain:,} profiles leaving the terrain (no prediction)")
    parts.append(f"{st.unserved_pixels:,} pixels without any prediction")
    return "; ".join(p for p in parts if p)


@radio.command(epilog="Example: ssckit radio plan -w sample-city --candidates candidates.csv "
                      "--target 0.95")
@click.option("--candidates", type=click.Path(dir_okay=False, path_type=Path),
              help="Candidate sites CSV (default: inputs.radio.candidates of city.yaml).")
@click.option("--target", type=float, default=0.95, show_default=True,
              help="Population-coverage share to reach (0..1).")
@click.option("--max-sites", type=int, help="Add at most this many sites.")
@_coverage_options
@format_option("table", "json")
@quiet_option
@with_store
def plan(candidates, target, max_sites, sites, model, resolution, rsrp_threshold,
         sinr_threshold, indoor, tile_size, max_radius_km, scheduler, threads, fmt, quiet,
         ws: Workspace, store: Store) -> None:
    """Choose a few candidate sites that bring population coverage to --target.

    Greedy with lazy evaluation: each step adds the candidate covering most people not yet
    served (RSRP above the threshold); the coverage after the plan is then recomputed with
    SINR, so interference from the new sites counts. Writes outputs/radio/plan.json.
    """
    from ssckit.radio import run as r

    if not 0 < target <= 1:
        raise InputError("--target", None, f"{target} is outside the allowed range (0, 1]")
    cand_path = _sites_path(ws, candidates, "candidates")
    times = r.StepTimes()
    existing, _ = coverage_run(ws, store, sites, model=model, resolution=resolution,
                               rsrp_threshold=rsrp_threshold, sinr_threshold=sinr_threshold,
                               indoor=indoor, tile_size=tile_size,
                               max_radius_km=max_radius_km, scheduler=scheduler,
                               threads=threads, quiet=quiet, times=times)
    progress, update = _progress(quiet, "candidates")
    with progress, times("plan"):
        result = r.run_plan(ws, existing, cand_path, target, max_sites, scheduler, threads,
                            update)
    doc = r.plan_document(result, cand_path, ws)
    out = ws.output_dir / "radio" / "plan.json"
    r.write_summary(out, doc)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    t = Table(title=f"Site plan for {ws.label}: target {100 * target:.0f} % of the population")
    for col in ("#", "site", "people added", "coverage after", "mainly in"):
        t.add_column(col, justify="left" if col in ("site", "mainly in") else "right")
    t.add_row("0", "existing network", "", f"{doc['initial_coverage_pct']:.1f} %", "")
    for i, s in enumerate(result.explanation, 1):
        t.add_row(str(i), s["site"], f"{s['added_population']:,}", f"{s['coverage_after']:.1f} %",
                  ", ".join(s["main_districts"]))
    console.print(t)
    verdict = "reaches" if result.plan.reached else "does not reach"
    st = existing.settings
    console.print(
        f"The plan {verdict} the target with {len(result.explanation)} new site(s): "
        f"{doc['final_coverage_with_interference_pct']:.1f} % of the population covered. Each "
        f"step took the candidate that brings most people to RSRP ≥ "
        f"{st.rsrp_threshold_dbm:g} dBm and SINR ≥ {st.sinr_threshold_db:g} dB, the "
        f"interference of every site (new ones included, at full load) counted. "
        f"{result.plan.evaluations} candidate evaluations. Written to {out}.")
    console.print(f"steps: {times.line()}")


@radio.command(name="p1812", epilog="Example: ssckit radio p1812 profile.csv --format json")
@click.argument("profile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--location-percent", "p_l", type=float, default=50.0, show_default=True,
              help="Location percentage pL [%], 1..99.")
@format_option("table", "json")
def p1812_cmd(profile: Path, p_l: float, fmt: str) -> None:
    """ITU-R P.1812 basic transmission loss Lb and field strength Ep for every measurement row
    of a profile file in the ITU-R validation layout."""
    from ssckit.radio.io_p1812 import read_p1812_profile
    from ssckit.radio.propagation.p1812 import bt_loss

    prof = read_p1812_profile(profile)
    rows = []
    for m in prof.measurements:
        try:
            res = bt_loss(m.f_mhz / 1e3, m.time_percent, prof.d_km, prof.h_m, prof.r_m,
                          prof.zone, m.htx_m, m.hrx_m, m.pol, prof.tx_lat, prof.rx_lat,
                          prof.tx_lon, prof.rx_lon, prof.dn, prof.n0, pL=p_l)
        except ValueError as exc:
            raise InputError(str(profile), f"line {m.line}", str(exc)) from None
        rows.append({"line": m.line, "f_mhz": m.f_mhz, "p_percent": m.time_percent,
                     "htx_m": m.htx_m, "hrx_m": m.hrx_m, "pol": m.pol,
                     "Lb_db": float(res.Lb), "Ep_dbuv_m": float(res.Ep)})
    if fmt == "json":
        click.echo(json.dumps({"profile": str(profile), "d_km": float(prof.d_km[-1]),
                               "rows": rows}, indent=2))
        return
    t = Table(title=f"ITU-R P.1812 — {profile.name} ({prof.d_km[-1]:.1f} km)")
    for col in ("line", "f [MHz]", "p [%]", "htx [m]", "hrx [m]", "pol", "Lb [dB]",
                "Ep [dBµV/m]"):
        t.add_column(col, justify="right")
    for r_ in rows:
        t.add_row(str(r_["line"]), f"{r_['f_mhz']:g}", f"{r_['p_percent']:g}",
                  f"{r_['htx_m']:g}", f"{r_['hrx_m']:g}", "HV"[r_["pol"] - 1],
                  f"{r_['Lb_db']:.3f}", f"{r_['Ep_dbuv_m']:.3f}")
    console.print(t)


CASE_COLUMNS = ("scenario", "condition", "freq_ghz", "h_bs_m", "h_ut_m", "d2d_m")
CASE_OPTIONAL = ("h_building_m", "street_width_m")


def _read_cases(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The cases of a CSV file: ``(line, values)``, numbers parsed (file, line and field
    named for a cell that is not one); TR 38.901 checks the ranges."""
    cases = []
    for row in read_csv_rows(path, CASE_COLUMNS, CASE_OPTIONAL, allow_empty=False):
        values: dict[str, Any] = {"scenario": row["scenario"], "condition": row["condition"]}
        values.update({k: row.number(k) for k in CASE_COLUMNS[2:]})
        values.update({k: row.number(k) for k in CASE_OPTIONAL if row[k]})
        cases.append((f"line {row.line}", values))
    return cases


@radio.command(epilog="Example: ssckit radio pathloss --scenario UMa --condition NLOS "
                      "--freq-ghz 3.5 --h-bs-m 25 --h-ut-m 1.5 --d2d-m 500")
@click.option("--cases", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of cases: scenario, condition, freq_ghz, h_bs_m, h_ut_m, d2d_m "
                   "[, h_building_m, street_width_m].")
@click.option("--scenario", type=click.Choice(["RMa", "UMa", "UMi", "InH-Office-Mixed",
                                               "InH-Office-Open"], case_sensitive=False))
@click.option("--condition", type=click.Choice(["LOS", "NLOS"], case_sensitive=False))
@click.option("--freq-ghz", type=float)
@click.option("--h-bs-m", type=float)
@click.option("--h-ut-m", type=float)
@click.option("--d2d-m", type=float)
@click.option("--h-building-m", type=float, default=5.0, show_default=True, help="RMa only.")
@click.option("--street-width-m", type=float, default=20.0, show_default=True, help="RMa only.")
@format_option("table", "json")
def pathloss(cases, scenario, condition, freq_ghz, h_bs_m, h_ut_m, d2d_m, h_building_m,
             street_width_m, fmt) -> None:
    """3GPP TR 38.901 Table 7.4.1-1 path loss for a table of cases or one case given by flags."""
    from ssckit.radio.propagation.tr38901 import path_loss

    if cases is not None:
        rows = _read_cases(cases)
        source = str(cases)
    else:
        single = dict(scenario=scenario, condition=condition, freq_ghz=freq_ghz, h_bs_m=h_bs_m,
                      h_ut_m=h_ut_m, d2d_m=d2d_m)
        missing = [f"--{k.replace('_', '-')}" for k, v in single.items() if v is None]
        if missing:
            raise InputError("command line", None, "give --cases FILE or every one of "
                             + ", ".join(missing))
        rows = [(None, {**single, "h_building_m": h_building_m,
                        "street_width_m": street_width_m})]
        source = "command line"
    out = []
    for loc, row in rows:
        nums = {k: row[k] for k in CASE_COLUMNS[2:]}
        extra = {k: row[k] for k in CASE_OPTIONAL if k in row}
        try:
            pl = float(path_loss(row["scenario"], row["condition"], nums["freq_ghz"],
                                 nums["d2d_m"], nums["h_bs_m"], nums["h_ut_m"], **extra))
        except ValueError as exc:
            raise InputError(source, loc, str(exc)) from None
        out.append({"scenario": row["scenario"], "condition": row["condition"], **nums,
                    "path_loss_db": pl})
    if fmt == "json":
        click.echo(json.dumps(out, indent=2))
        return
    t = Table(title="3GPP TR 38.901 path loss")
    for col in ("scenario", "condition", "f [GHz]", "h_BS [m]", "h_UT [m]", "d2D [m]",
                "PL [dB]"):
        t.add_column(col, justify="right")
    for o in out:
        t.add_row(o["scenario"], o["condition"], f"{o['freq_ghz']:g}", f"{o['h_bs_m']:g}",
                  f"{o['h_ut_m']:g}", f"{o['d2d_m']:g}", f"{o['path_loss_db']:.3f}")
    console.print(t)



@radio.group(epilog="Example: ssckit radio measurements import drive-test.csv -w sample-city")
def measurements() -> None:
    """Drive-test measurements (RSRP at WGS 84 points) stored in the workspace."""


@measurements.command(name="import",
                      epilog="Example: ssckit radio measurements import drive-test.csv")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_store
def measurements_import(file: Path, ws: Workspace, store: Store) -> None:
    """Import a drive-test CSV: lat, lon, rsrp_dbm (required; RSRP -156..-31 dBm, 3GPP TS
    38.133) and time, site, sector, pci, band, sinr_db (optional). Every row is checked
    first; nothing is stored when one is wrong."""
    from ssckit.radio.measurements import import_measurements

    batch, n = import_measurements(store, file)
    console.print(f"{n} measurement(s) imported from {file.name} (batch {batch})")


@radio.command(epilog="Example: ssckit radio calibrate -w sample-city --format json")
@click.option("--folds", type=int, default=5, show_default=True,
              help="Folds of the cross-validation grouped by route/day (2..100).")
@click.option("--distance-slope", is_flag=True,
              help="Also fit a common slope on log10 distance to the serving site and report "
                   "it (coverage runs apply the per-class offsets only).")
@format_option("table", "json")
@with_store
def calibrate(folds: int, distance_slope: bool, fmt: str, ws: Workspace,
              store: Store) -> None:
    """Compare the stored drive tests with the last coverage run (best-server RSRP at the
    same points), fit an RSRP offset per clutter class by least squares and store it in
    outputs/radio/calibration.json; later `radio coverage` runs apply it.

    Reports mean error (measured - predicted), RMSE and standard deviation before and
    after, overall, per clutter class and cross-validated by route/day."""
    from ssckit.radio.measurements import calibrate_workspace

    doc = calibrate_workspace(ws, store, folds, distance_slope)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return

    def st(d: dict[str, Any] | None) -> str:
        if d is None or d["rmse_db"] is None:
            return ""
        bias = d["bias_db"] + 0.0 if abs(d["bias_db"]) >= 0.005 else 0.0
        return f"{bias:+.2f} / {d['rmse_db']:.2f} / {d['std_db']:.2f}"

    t = Table(title=f"Drive-test calibration — {ws.label} ({doc['n']} points, "
                    f"{doc['groups']} route/day group(s)); errors measured − predicted \\[dB]")
    for col in ("clutter class", "points", "offset ± SE \\[dB]", "before: bias / RMSE / std",
                "after: bias / RMSE / std"):
        t.add_column(col, justify="left" if col == "clutter class" else "right")
    for c in doc["by_clutter"]:
        se = "" if c["se_db"] is None else f" ± {c['se_db']:.2f}"
        t.add_row(f"{c['class']} {c['name']}", str(c["n"]), f"{c['offset_db']:+.2f}{se}",
                  st(c["before"]), st(c["after"]))
    t.add_row("all", str(doc["n"]), "", st(doc["before"]), st(doc["after"]))
    console.print(t)
    cv = doc["cross_validated"]
    if cv is not None:
        console.print(f"cross-validated over {doc['folds']} folds (whole routes/days held "
                      f"out): bias {cv['bias_db']:+.2f} dB, RMSE {cv['rmse_db']:.2f} dB, "
                      f"std {cv['std_db']:.2f} dB")
    else:
        console.print("one route/day only: no cross-validation")
    ds = doc.get("distance_slope")
    if ds is not None:
        cvs = ds["cross_validated"]
        console.print(f"with a distance slope: {ds['slope_db_per_decade']:+.2f} ± "
                      f"{ds['slope_se_db']:.2f} dB per decade of distance; RMSE "
                      f"{ds['after']['rmse_db']:.2f} dB"
                      + (f", cross-validated {cvs['rmse_db']:.2f} dB" if cvs else "")
                      + " (reported only: coverage runs apply the per-class offsets)")
    for note in doc["notes"]:
        console.print(f"note: {note}")
    console.print(f"prediction: {doc['prediction']}; stored in "
                  f"{ws.output_dir / 'radio' / 'calibration.json'}; the next `ssckit radio "
                  "coverage` applies it")
