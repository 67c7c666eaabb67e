"""``ssckit school alerts | evaluate | national | giga-import``: alerts that reach people, the
pilot's evaluation, national-scale data and Giga connectivity (registered on the ``school``
group by importing this module)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

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

