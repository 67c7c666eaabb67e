"""``ssckit emf``: compliance of every antenna site, field checks and the limit sets."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import click
import numpy as np
from rich.table import Table

from ssckit.core.cli_support import (
    console,
    format_option,
    quiet_option,
    with_store,
    workspace_option,
)
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import CONFIG_NAME, Workspace
from ssckit.emf.register_cli import measurements as register_measurements


@click.group(epilog="Example: ssckit emf check --workspace sample-city")
def emf() -> None:
    """EMF exposure compliance of antenna sites (ITU-T K.52/K.70/K.100, IEC 62232, ICNIRP)."""


emf.add_command(register_measurements)


def _user_sets(workspace_dir: Path | None):
    from ssckit.emf.run import EmfSettings, user_limit_sets

    if workspace_dir is None or not (workspace_dir / CONFIG_NAME).is_file():
        return {}
    ws = Workspace.load(workspace_dir)
    return user_limit_sets(ws, ws.module_settings("emf", EmfSettings))


@emf.command(epilog="Example: ssckit emf check -w sample-city --limits icnirp2020-public")
@click.option("--limits", "limit_set", help="Limit set to judge against (default: "
              "settings.emf.limit_set of city.yaml, else icnirp2020-public).")
@click.option("--no-maps", is_flag=True, help="Skip the exposure maps.")
@format_option("table", "json")
@quiet_option
@with_store
def check(limit_set: str | None, no_maps: bool, fmt: str, quiet: bool, ws: Workspace,
          store: Store) -> None:
    """Check every antenna site: exclusion zones, installation class, worst public place.

    Writes outputs/emf/report.html, sites.csv and the exposure maps (GeoTIFF, PNG), and
    stores the U4SSC KPI EN:EN:EQ:1C (share of sites in compliance).
    """
    from ssckit.emf.outputs import write_outputs
    from ssckit.emf.run import emf_values, run_check

    with console.status("checking sites", spinner="dots") if not quiet else nullcontext():
        run = run_check(ws, limit_set_name=limit_set, with_maps=not no_maps)
        write_outputs(run, ws)
        values = emf_values(run, ws)
        store.write_values(values, replace=lambda cur: cur.execute(
            "DELETE FROM indicator_values WHERE indicator IN "
            "('EN:EN:EQ:1C', 'emf:worst_exposure_ratio') AND source LIKE '%emf.check%'"))
    if fmt == "json":
        click.echo(json.dumps({
            "limit_set": run.limit_set.name, "kpi_EN:EN:EQ:1C": values[0].value,
            "sites": [{"site": s.site, "installation_class": s.installation_class,
                       "eirp_w": s.eirp_w, "zone": s.zone, "worst_place": s.worst_place,
                       "worst_ter": s.worst_ter, "margin_db": s.margin_db,
                       "compliant": s.compliant, "by_limit_set": s.by_limit_set}
                      for s in run.sites]}, indent=2))
        return
    t = Table(title=f"EMF compliance — {ws.label} — {run.limit_set.name}")
    for col in ("site", "class", "zone in beam", "worst public place", "% of limit", "margin",
                "compliant"):
        t.add_column(col, justify="right" if col in ("zone in beam", "% of limit", "margin")
                     else "left", overflow="fold")
    for s in run.sites:
        t.add_row(s.site, s.installation_class, f"{s.zone['boresight_m']:.1f} m",
                  s.worst_place, f"{100 * s.worst_ter:.3g}", f"{s.margin_db:.1f} dB",
                  "yes" if s.compliant else "[bold red]NO[/]")
    console.print(t)
    console.print(f"{sum(s.compliant for s in run.sites)}/{len(run.sites)} sites compliant "
                  f"(EN:EN:EQ:1C = {values[0].value:.1f} %); report: "
                  f"{ws.output_dir / 'emf' / 'report.html'}")


@emf.command(epilog="Example: ssckit emf zone --eirp-w 2000 --freq-mhz 3500 "
                    "--limits icnirp2020-public")
@click.option("--eirp-w", type=float, required=True, help="EIRP in the main beam [W].")
@click.option("--freq-mhz", type=float, required=True, help="Frequency [MHz].")
@click.option("--limits", "limit_set", default="icnirp2020-public", show_default=True,
              help="Limit set name (see `ssckit emf limits`).")
@click.option("--antenna", type=click.Path(dir_okay=False, path_type=Path),
              help="MSI pattern file: also print the zone's dimensions.")
@click.option("--tilt-deg", type=float, default=0.0, show_default=True,
              help="Mechanical downtilt with --antenna [deg].")
@click.option("--ground-reflection", is_flag=True, help="Multiply power density by 2.56.")
@click.option("--workspace", "-w", "workspace_dir", type=click.Path(file_okay=False,
              path_type=Path), default=None, help="Workspace with user-defined limit sets.")
@format_option("table", "json")
def zone(eirp_w: float, freq_mhz: float, limit_set: str, antenna: Path | None, tilt_deg: float,
         ground_reflection: bool, workspace_dir: Path | None, fmt: str) -> None:
    """Compliance distance of one transmitter in its main beam (and the zone box for a pattern):
    what an inspector needs on site."""
    from ssckit.emf.exposure import Transmitters, ground_reflection_factor
    from ssckit.emf.limits import get_limit_set, limit_power_density
    from ssckit.emf.zones import exclusion_distance, exclusion_zones, installation_class
    from ssckit.radio.antenna import read_msi

    if not eirp_w > 0:
        raise InputError("--eirp-w", None, f"{eirp_w:g} W: the EIRP must be > 0 W")
    try:
        ls = get_limit_set(limit_set, _user_sets(workspace_dir))
        s_lim = float(limit_power_density(ls, freq_mhz))
    except ValueError as exc:
        raise InputError("--limits/--freq-mhz", None, str(exc)) from None
    refl = float(ground_reflection_factor()) if ground_reflection else 1.0
    r0 = float(exclusion_distance(eirp_w, s_lim, reflection_factor=refl))
    out = {"limit_set": ls.name, "freq_mhz": freq_mhz, "limit_w_m2": s_lim, "eirp_w": eirp_w,
           "reflection_factor": refl, "boresight_distance_m": r0,
           "installation_class": str(installation_class(eirp_w))}
    if antenna is not None:
        pat = read_msi(antenna)
        tx_power_dbm = 10 * np.log10(eirp_w * 1000) - pat.gain_dbi
        tx = Transmitters(x_m=np.zeros(1), y_m=np.zeros(1), z_m=np.full(1, 30.0),
                          azimuth_deg=np.zeros(1), mech_tilt_deg=np.full(1, tilt_deg),
                          elec_tilt_deg=np.zeros(1), tx_power_dbm=np.array([tx_power_dbm]),
                          max_gain_dbi=np.array([pat.gain_dbi]), freq_mhz=np.array([freq_mhz]),
                          pattern=(pat,), label=(antenna.name,))
        z = exclusion_zones(tx, ls, reflection_factor=refl)
        out["zone_m"] = {k: float(getattr(z, k)[0]) for k in ("front_m", "back_m", "side_m",
                                                               "above_m", "below_m")}
    if fmt == "json":
        click.echo(json.dumps(out, indent=2))
        return
    console.print(f"{ls.name}: limit {s_lim:.4g} W/m² at {freq_mhz:g} MHz; EIRP {eirp_w:g} W "
                  f"(class {out['installation_class']})")
    console.print(f"compliance distance in the main beam: [bold]{r0:.2f} m[/]"
                  + (" (ground reflection ×2.56)" if ground_reflection else ""))
    if "zone_m" in out:
        z = out["zone_m"]
        console.print(f"zone box: front {z['front_m']:.2f} m, behind {z['back_m']:.2f} m, "
                      f"sides {z['side_m']:.2f} m, above {z['above_m']:.2f} m, below "
                      f"{z['below_m']:.2f} m")


@emf.command(epilog="Example: ssckit emf limits --freq-mhz 3500 -w sample-city")
@click.option("--freq-mhz", type=float, default=3500.0, show_default=True,
              help="Frequency at which to show each set's power-density limit [MHz].")
@click.option("--workspace", "-w", "workspace_dir", type=click.Path(file_okay=False,
              path_type=Path), default=None, help="Workspace with user-defined limit sets.")
@format_option("table", "json")
def limits(freq_mhz: float, workspace_dir: Path | None, fmt: str) -> None:
    """List the limit sets (built-in and the workspace's national ones) with their source."""
    from ssckit.emf.limits import LIMIT_SETS, limit_power_density

    sets = {**LIMIT_SETS, **_user_sets(workspace_dir)}
    rows = []
    for name, ls in sets.items():
        try:
            s = float(limit_power_density(ls, freq_mhz))
        except ValueError:
            s = None
        rows.append({"name": name, "source": ls.source, "covers": ls.coverage(),
                     "limit_w_m2_at_freq": s})
    if fmt == "json":
        click.echo(json.dumps({"freq_mhz": freq_mhz, "limit_sets": rows}, indent=2))
        return
    t = Table(title=f"EMF limit sets (power density at {freq_mhz:g} MHz)")
    for col in ("name", f"S at {freq_mhz:g} MHz", "covers", "source"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["name"], "—" if r["limit_w_m2_at_freq"] is None else
                  f"{r['limit_w_m2_at_freq']:.4g} W/m²", r["covers"], r["source"])
    console.print(t)


def _percent(ratio: float) -> str:
    """An exposure ratio as a plain percentage: 0.53, 97.2, 3,784."""
    pct = 100.0 * ratio
    return f"{pct:.2f}" if pct < 1 else f"{pct:.1f}" if pct < 100 else f"{pct:,.0f}"


@emf.command(epilog="Example: ssckit emf tradeoff -w sample-city --limits sampleland-national")
@click.option("--limits", "limit_set", required=True,
              help="The stricter limit set to comply with (see `ssckit emf limits`).")
@click.option("--max-radius-km", type=float, default=None,
              help="Service radius of a sector for the coverage runs [km] (default: "
                   "settings.radio.max_radius_km); smaller is faster.")
@click.option("--resolution", "resolution_m", type=float, default=None,
              help="Grid resolution of the coverage runs [m] (default: settings.radio).")
@format_option("table", "json")
@quiet_option
@workspace_option
def tradeoff(limit_set: str, max_radius_km: float | None, resolution_m: float | None, fmt: str,
             quiet: bool, workspace_dir: Path) -> None:
    """Power cut each site needs under a stricter limit set, and what it costs in coverage.

    Cuts every site's power until its public points are within the limit, runs coverage at
    full and at reduced power, and writes outputs/emf/tradeoff/LIMITS/ (tradeoff.json and the
    rsrp/covered layers before and after as Cloud-Optimized GeoTIFFs).
    """
    from ssckit.core import progress
    from ssckit.emf.tradeoff import run_tradeoff

    ws = Workspace.load(workspace_dir)
    with progress.progress_display(enabled=not quiet):
        result = run_tradeoff(ws, limit_set, max_radius_km=max_radius_km,
                              resolution_m=resolution_m)
    doc = result.document
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    t = Table(title=f"Power cuts under {doc['limit_set']} — {ws.label}")
    for col in ("site", "cut", "power before", "power after", "worst place",
                "% of limit before", "% after", "people lost", "schools lost"):
        t.add_column(col, justify="left" if col in ("site", "worst place", "schools lost")
                     else "right", overflow="fold")
    for r in doc["sites"]:
        t.add_row(r["site"], f"{r['cut_db']:.2f} dB", f"{r['power_before_w']:.1f} W",
                  f"{r['power_after_w']:.1f} W", r["worst_place"],
                  _percent(r["worst_ter_before"]), _percent(r["worst_ter_after"]),
                  f"{r['population_lost']:.0f}" if r["in_coverage"] else "—",
                  ", ".join(r["schools_lost"]) or "—")
    console.print(t)
    tot = doc["totals"]
    b, a = tot["before"], tot["after"]
    console.print(
        f"{tot['sites_cut']}/{tot['sites']} sites cut, {tot['power_cut_w']:.1f} W of "
        f"{tot['power_before_w']:.1f} W; population covered {b['population_covered_pct']:.2f} % "
        f"→ {a['population_covered_pct']:.2f} % ({tot['population_lost']:.0f} people), area "
        f"{b['area_covered_km2']:.2f} → {a['area_covered_km2']:.2f} km²"
        + (f", schools {b['schools_covered']} → {a['schools_covered']}"
           if "schools_covered" in b else "")
        + f"; files: {result.out_dir}")
    if not tot["feasible"]:
        console.print(f"[bold red]no cut up to {doc['sites'][0]['cut_db']:g} dB brings every "
                      "public point within the limit[/]")


# -- residents' measurement requests (ssckit.emf.requests) ---------------------------------------
@emf.group("requests", epilog="Example: ssckit emf requests list -w sample-city")
def requests_group() -> None:
    """Residents' EMF measurement requests: the queue, assigning, scheduling, closing."""


def _request_row(r: dict) -> dict:
    return {"ref": r["ref"], "status": r["status"],
            "received_at": r["received_at"].isoformat(timespec="minutes"),
            "channel": r["channel"], "address": r["address"], "place": r["place"],
            "lat": r["lat"], "lon": r["lon"], "lang": r["lang"],
            "consent_publish": r["consent_publish"], "assignee": r["assignee"],
            "scheduled_for": r["scheduled_for"].isoformat() if r["scheduled_for"] else None,
            "e_v_m": r["e_v_m"], "percent_of_limit": r["percent_of_limit"],
            "report_file": r["report_file"], "lab_report": r["lab_report"]}


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _notify(ws: Workspace, store: Store, ref: str) -> None:
    from ssckit.emf.requests import send_notices

    sent = send_notices(ws, store, ref)
    if sent is not None and (sent["sent"] or sent["failed"]):
        console.print(f"e-mail to the resident: {sent['sent']} sent, {sent['failed']} failed")


@requests_group.command("list", epilog="Example: ssckit emf requests list --status received")
@click.option("--status", type=click.Choice(["received", "assigned", "scheduled", "done"]),
              help="Only requests in this state.")
@format_option("table", "json")
@with_store
def requests_list(status: str | None, fmt: str, ws: Workspace, store: Store) -> None:
    """The queue of measurement requests, oldest first."""
    from ssckit.emf.requests import list_requests

    rows = [_request_row(r) for r in list_requests(store, status)]
    if fmt == "json":
        click.echo(json.dumps({"requests": rows}, indent=2, ensure_ascii=False))
        return
    t = Table(title=f"EMF measurement requests — {ws.label}")
    for col in ("ref", "received", "status", "address", "engineer", "visit", "result"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["ref"], r["received_at"], r["status"], r["address"], r["assignee"] or "",
                  r["scheduled_for"] or "", "" if r["e_v_m"] is None else
                  f"{r['e_v_m']:g} V/m, {r['percent_of_limit']:g} %")
    console.print(t)


@requests_group.command("assign", epilog="Example: ssckit emf requests assign EMF-2026-0001 "
                                         "--to ada")
@click.argument("ref")
@click.option("--to", "assignee", required=True, help="User name of an analyst.")
@with_store
def requests_assign(ref: str, assignee: str, ws: Workspace, store: Store) -> None:
    """Give a request to an analyst."""
    from ssckit.emf.requests import assign_request

    r = assign_request(store, ref, assignee, _actor())
    console.print(f"{r['ref']}: {r['status']}, engineer {r['assignee']}")
    _notify(ws, store, ref)


@requests_group.command("schedule", epilog="Example: ssckit emf requests schedule "
                                           "EMF-2026-0001 --date 2026-12-15")
@click.argument("ref")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Day of the visit (YYYY-MM-DD).")
@with_store
def requests_schedule(ref: str, day, ws: Workspace, store: Store) -> None:
    """Set the day of the measurement visit; the resident is told by e-mail."""
    from ssckit.emf.requests import schedule_request

    r = schedule_request(store, ref, day.date(), _actor())
    console.print(f"{r['ref']}: {r['status']} for {r['scheduled_for'].isoformat()}")
    _notify(ws, store, ref)


@requests_group.command("close", epilog="Example: ssckit emf requests close EMF-2026-0001 "
                                        "--e-v-m 1.2 --percent-of-limit 0.19 --report lab.pdf")
@click.argument("ref")
@click.option("--e-v-m", type=float, required=True,
              help="Measured total electric field strength [V/m].")
@click.option("--percent-of-limit", type=float, required=True,
              help="Measured total exposure ratio × 100 [% of the limit].")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="The lab report (PDF) to attach.")
@click.option("--lab-report", help="Reference of the lab report in the measurement register.")
@with_store
def requests_close(ref: str, e_v_m: float, percent_of_limit: float, report: Path | None,
                   lab_report: str | None, ws: Workspace, store: Store) -> None:
    """Record the result and close the request; the resident is told by e-mail, and the
    result is shown on the public map if they agreed."""
    from ssckit.emf.requests import close_request

    data = None
    if report is not None:
        try:
            data = report.read_bytes()
        except OSError as exc:
            raise InputError(str(report), None, f"cannot read the report: {exc.strerror}") \
                from None
    r = close_request(ws, store, ref, e_v_m=e_v_m, percent_of_limit=percent_of_limit,
                      actor=_actor(), report=data, lab_report=lab_report)
    console.print(f"{r['ref']}: done, {r['e_v_m']:g} V/m, {r['percent_of_limit']:g} % of the "
                  f"limit" + (" (published on the map)" if r["consent_publish"] else ""))
    _notify(ws, store, ref)


@requests_group.command("import", epilog="Example: ssckit emf requests import letters.csv")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_store
def requests_import(file: Path, ws: Workspace, store: Store) -> None:
    """Queue requests received by post, phone or e-mail (CSV: reference, received_at, address,
    lat, lon, language, consent_publish; optional place, email, reason, channel); prints the
    private status link of each new one, to send to the resident."""
    from ssckit.emf.requests import import_requests_csv, request_settings, status_link

    new = import_requests_csv(store, file)
    settings = request_settings(ws)
    for ref, token in new:
        console.print(f"{ref}: {status_link(settings, token)}", soft_wrap=True)
        _notify(ws, store, ref)
    console.print(f"{len(new)} new request(s) queued")
