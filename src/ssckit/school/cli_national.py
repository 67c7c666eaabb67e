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

from ssckit.core.cli_support import console, format_option, with_store
from ssckit.core.errors import InputError
from ssckit.core.store import Store
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
    out too. Nothing is sent twice, also after a restart."""
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
                             log=lambda m: console.print(m, highlight=False))
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
