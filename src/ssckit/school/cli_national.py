"""``ssckit school alerts | evaluate | national | giga-import``: alerts that reach people, the
pilot's evaluation, national-scale data and Giga connectivity (registered on the ``school``
group by importing this module)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from ssckit.core.cli_support import (
    console,
    format_option,
    quiet_option,
    with_store,
    workspace_option,
)
from ssckit.core.errors import InputError
from ssckit.core.store import Store, store_wait_seconds
from ssckit.core.workspace import Workspace
from ssckit.school.cli import _registry, _settings, school


def _utc(text: str | None, option: str) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(option, None, f"{text!r} is not an ISO 8601 time "
                                       "(e.g. 2026-03-01T08:00)") from None
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


@school.command(epilog="Example: ssckit school alerts -w sample-city --watch 60")
@click.option("--until", "until", help="End of the evaluated window, ISO 8601 UTC "
              "(default: now).")
@click.option("--watch", type=float, help="Evaluate again every N seconds until Ctrl+C.")
@click.option("--dry-run", is_flag=True, help="Show the alerts; record and send nothing.")
@format_option("table", "json")
@with_store
def alerts(until: str | None, watch: float | None, dry_run: bool, fmt: str, ws: Workspace,
           store: Store) -> None:
    """Evaluate the alert rules of settings.school.alerts over the stored readings, record new
    alerts and deliver them to their subscribers (e-mail, signed webhook); pending retries go
    out too. Nothing is sent twice, also after a restart, and not when `ssckit serve --live`
    evaluates them too (one round at a time per workspace; a round that waited the store's
    --wait for another is skipped). Notices are written in the subscription's language, else
    the city's (city.yaml language:)."""
    from ssckit.school.notify_rules import alert_settings, detect_alerts, run_alerts
    from ssckit.school.storage import readings_root

    reg = _registry(ws)
    st = _settings(ws)
    where = str(ws.path("city.yaml"))
    cfg = alert_settings(st.alerts, where)
    root = readings_root(ws.root)
    while True:
        end = _utc(until, "--until") or datetime.now(UTC).replace(tzinfo=None)
        if dry_run:
            found = detect_alerts(store, reg, cfg, root, end, st.utc_offset_min)
            if fmt == "json":
                click.echo(json.dumps([a.to_dict() for a in found], ensure_ascii=False,
                                      indent=1))
            else:
                t = Table("rule", "school", "where", "since (UTC)", "ended", "summary")
                for a in found:
                    t.add_row(a.rule, a.school_id, a.subject, f"{a.started_at:%Y-%m-%d %H:%M}",
                              f"{a.ended_at:%Y-%m-%d %H:%M}" if a.ended_at else "open",
                              a.summary)
                console.print(t)
        else:
            res = run_alerts(store, reg, cfg, root, end, st.utc_offset_min, where,
                             log=lambda m: console.print(m, highlight=False),
                             city_language=ws.config.language,
                             lock_wait_s=store_wait_seconds())
            if fmt == "json":
                click.echo(json.dumps({"found": res.found, "new": res.new, **res.deliveries}))
            else:
                console.print(res.line(), highlight=False)
        if not watch:
            return
        time.sleep(watch)



@school.command(epilog="Example: ssckit school evaluate -w sample-city --pilot pilot.csv")
@click.option("--pilot", "pilot_csv", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of the pilot schools: school_id,start (ISO date).")
@click.option("--level", default=0.95, show_default=True, type=click.FloatRange(0.5, 0.999),
              help="Confidence level of the intervals.")
@format_option("table", "json")
@with_store
def evaluate(pilot_csv: Path, level: float, fmt: str, ws: Workspace, store: Store) -> None:
    """Did the pilot work? Difference-in-differences of the pilot schools against the others,
    before and after the pilot started, per week: CO₂ category I–II share, overheating hours,
    connectivity uptime, energy per pupil, with cluster-robust (by school) confidence
    intervals. The result is also shown on the dashboard (/school/evaluation)."""
    from ssckit.school.evaluate import OUTCOMES, evaluate_pilot, read_pilot, weekly_panel
    from ssckit.school.storage import hourly_root, readings_root

    reg = _registry(ws)
    st = _settings(ws)
    pilot = read_pilot(pilot_csv, reg)
    panel = weekly_panel(store, reg, readings_root(ws.root), hourly_root(ws.root),
                         st.utc_offset_min)
    results = evaluate_pilot(panel, pilot, level)
    if not results:
        raise InputError(str(pilot_csv), None, "no outcome has weeks before and after the "
                         "start for both groups: check the start dates against the history")
    doc = {"pilot_file": pilot_csv.name, "level": level,
           "pilot": {s: d.isoformat() for s, d in sorted(pilot.items())},
           "computed_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
           "results": [r.to_dict() for r in results]}
    out = ws.root / "data" / "school" / "evaluation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    tmp.replace(out)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=1))
        return
    t = Table("outcome", "unit", "effect", f"{level:.0%} CI", "pilot before → after",
              "others before → after", "schools")
    for r in results:
        label, unit = OUTCOMES[r.outcome]
        t.add_row(label, unit, f"{r.estimate:+.2f}", f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}]",
                  f"{r.pre_pilot:.2f} → {r.post_pilot:.2f}",
                  f"{r.pre_other:.2f} → {r.post_other:.2f}",
                  f"{r.n_pilot} / {r.n_schools}")
    console.print(t)
    console.print(f"wrote {out}", highlight=False)


@school.group(epilog="Example: ssckit school national generate -w sample-city --schools 3000 "
                     "--days 30")
def national() -> None:
    """National scale: a synthetic national registry with its hourly history, and the
    national report (ranking, CO₂ categories, connectivity, energy) over Parquet."""


@national.command("generate", epilog="Example: ssckit school national generate -w sample-city "
                                     "--schools 3000 --days 30")
@workspace_option
@click.option("--schools", "n_schools", default=3000, show_default=True,
              type=click.IntRange(1, 100_000), help="Schools in the country.")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366),
              help="Days of hourly aggregates.")
@click.option("--start", default="2026-01-05T00:00", show_default=True,
              help="First UTC hour, ISO 8601.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder (default: WORKSPACE/data/school/national).")
@quiet_option
def national_generate(workspace_dir: Path, n_schools: int, days: int, start: str, seed: int,
                      out: Path | None, quiet: bool) -> None:
    """Write a synthetic national registry (schools spread over regions and districts, clearly
    synthetic) and its hourly aggregates, piece by piece, to Parquet."""
    from ssckit.core.progress import progress_display, task
    from ssckit.school.national import generate_national, national_root

    _utc(start, "--start")
    root = out or national_root(workspace_dir)
    with progress_display(enabled=not quiet), \
            task("national history: pieces of 100 schools",
                 total=-(-n_schools // 100)) as advance:
        res = generate_national(root, n_schools, days, start, seed,
                                progress=lambda done, total: advance())
    console.print(f"wrote {res['schools']:,} schools, {res['rooms']:,} rooms, {res['rows']:,} "
                  f"hourly rows to {root} in {res['seconds']:.1f} s", highlight=False)


@national.command("report", epilog="Example: ssckit school national report -w sample-city")
@workspace_option
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="National data folder (default: WORKSPACE/data/school/national).")
@click.option("--threads", type=click.IntRange(1, 256), help="DuckDB threads (default: all).")
@format_option("table", "json")
def national_report_cmd(workspace_dir: Path, root: Path | None, threads: int | None,
                        fmt: str) -> None:
    """Compute the national report (one row per school) into report.parquet and show the
    country and its regions; the dashboard shows it at /school/national."""
    from ssckit.school.national import national_report, national_root, report_summary

    root = root or national_root(workspace_dir)
    ws = Workspace.load(workspace_dir)
    res = national_report(root, _settings(ws).utc_offset_min, threads)
    summary = report_summary(root)
    if fmt == "json":
        click.echo(json.dumps({**res, **summary}, default=str, indent=1))
        return
    t = Table("region", "schools", "pupils", "CO₂ cat. I–II [%]", "live", "at risk",
              "kWh/m² (median)")
    for r in [*summary["regions"], {**summary["nation"], "region": "country"}]:
        t.add_row(r["region"], f"{r['schools']:,}", f"{r['pupils']:,}",
                  f"{r['co2_cat_ii_share']:.1f}" if r["co2_cat_ii_share"] is not None else "-",
                  str(r["live"]), str(r["at_risk"]),
                  f"{r['kwh_m2']:.1f}" if r["kwh_m2"] is not None else "-")
    console.print(t)
    console.print(f"national report of {res['schools']:,} schools in {res['seconds']:.2f} s "
                  f"-> {root / 'report.parquet'}", highlight=False)


@school.command("giga-import", epilog="Example: ssckit school giga-import -w sample-city "
                                       "measurements.csv")
@click.argument("measurements", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option("table", "json")
@with_store
def giga_import(measurements: Path, fmt: str, ws: Workspace, store: Store) -> None:
    """Import speed tests in the Giga Meter (Daily Check App) measurements layout: timestamp,
    giga_id_school or school_id, download and upload [kbit/s], latency [ms]. Schools are
    matched by the giga_id column of schools.csv (or by their id). Then show each school's
    Giga category (good > 20 Mbit/s, moderate >= 1 Mbit/s, bad) and whether it is connected."""
    from ssckit.school.giga import giga_summary, import_measurements, read_giga_ids, store_giga_ids

    reg = _registry(ws)
    schools_csv = ws.input_path("school", "schools")
    store_giga_ids(store, read_giga_ids(schools_csv, set(reg.schools)))
    res = import_measurements(store, measurements, {s: s for s in reg.schools})
    rows = giga_summary(store)
    if fmt == "json":
        click.echo(json.dumps({"imported": res.rows, "new": res.new,
                               "unknown_schools": res.unknown_schools, "schools": rows},
                              default=str, indent=1))
        return
    console.print(res.line(), highlight=False)
    t = Table("school", "Giga id", "tests", "download [Mbit/s]", "category", "connected",
              "status")
    for r in rows:
        t.add_row(r["school_id"], r["giga_id"], str(r["tests"]),
                  f"{r['download_mbps']:.1f}" if r["download_mbps"] is not None else "-",
                  r["category"], "yes" if r["connected"] else "no", r["status"])
    console.print(t)
