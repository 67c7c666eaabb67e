"""``ssckit school``: ingest sensor streams, simulate them, report, and manage the history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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
from ssckit.core.progress import active, progress_display, task
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


@click.group(epilog="Example: ssckit school ingest --workspace sample-city --port 1883")
def school() -> None:
    """Smart School: classroom sensors and connectivity streamed in, scored and shown."""


def _registry(ws: Workspace):  # noqa: ANN202
    from ssckit.school.run import load_registry

    reg = load_registry(ws)
    if reg is None:
        raise InputError(str(ws.path("city.yaml")), "field 'inputs.school'",
                         "no school registry: set inputs.school.schools, rooms and devices")
    return reg


def _settings(ws: Workspace):  # noqa: ANN202
    from ssckit.school.run import SchoolSettings

    return ws.module_settings("school", SchoolSettings)


@school.command(epilog="Example: ssckit school ingest -w sample-city --host 127.0.0.1 "
                       "--port 1883 --workers 2")
@workspace_option
@click.option("--host", help="MQTT broker (default: settings.school.broker_host).")
@click.option("--port", type=int, help="MQTT port (default: settings.school.broker_port).")
@click.option("--topic", help="Subscription (default: ssckit/school/+/+).")
@click.option("--batch-size", default=5000, show_default=True, help="Messages per transaction.")
@click.option("--flush-interval", default=0.5, show_default=True, help="Seconds per batch.")
@click.option("--workers", default=1, show_default=True, help="Ingest processes: 1 is one "
              "process; N >= 2 starts N workers on an MQTT 5 shared subscription, written by "
              "this process, which restarts any that dies.")
@click.option("--group", default="ssckit-ingest", show_default=True,
              help="Shared-subscription group of the workers.")
@quiet_option
def ingest(workspace_dir: Path, host: str | None, port: int | None, topic: str | None,
           batch_size: int, flush_interval: float, workers: int, group: str,
           quiet: bool) -> None:
    """Ingest sensor readings from MQTT (QoS 1, persistent sessions, reconnects) until Ctrl+C.

    Payloads: SenML (RFC 8428) or the simple JSON of docs/school.md. Each batch is one
    transaction, acknowledged only once stored; duplicates are stored once; malformed or
    implausible messages go to the quarantine table with their reason. With --workers N the
    load is shared by N processes (see "Ingest at national scale" in docs/school.md).
    """
    import time

    from ssckit.school.ingest import run_ingester
    from ssckit.school.ingest_workers import WorkerConfig, check_broker, run_workers
    from ssckit.school.schema import ensure_tables, store_registry

    if workers < 1:
        raise InputError("--workers", None, f"{workers}: at least 1 process")
    if batch_size < 1 or flush_interval <= 0:
        raise InputError("--batch-size/--flush-interval", None,
                         f"{batch_size} messages, {flush_interval} s: the batch size must be "
                         "at least 1 and the flush interval above 0 s")
    ws = Workspace.load(workspace_dir)
    reg = _registry(ws)
    st = _settings(ws)
    host, port, topic = host or st.broker_host, port or st.broker_port, topic or st.topic
    check_broker(host, port)
    with Store.open(ws.store_path) as store:
        store_registry(store, reg)
        ensure_tables(store)
    console.print(f"ingesting from mqtt://{host}:{port}/{topic} into {ws.store_path} with "
                  f"{workers} process{'es' if workers > 1 else ''} (Ctrl+C to stop)",
                  highlight=False)
    last = [time.monotonic()]

    def say(line: str) -> None:
        console.print(line, highlight=False)

    with progress_display(enabled=not quiet), task("ingesting") as advance:
        def progress(stats) -> None:  # noqa: ANN001 - IngestStats
            alive = "" if stats.workers is None else (f", {stats.workers} workers, "
                                                       f"{stats.restarts} restarts")
            advance(0, description=f"ingesting: {stats.table_readings or 0:,} readings stored, "
                                   f"{stats.rate:,.0f}/s, {stats.quarantined:,} quarantined"
                                   + alive)
            if not quiet and not active() and time.monotonic() - last[0] >= 10:
                last[0] = time.monotonic()
                say(stats.line())

        if workers == 1:
            stats = run_ingester(ws.store_path, reg, host, port, topic=topic,
                                 batch_size=batch_size, flush_interval=flush_interval,
                                 progress=progress)
        else:
            stats = run_workers(ws.store_path, reg,
                                WorkerConfig(host, port, topic, group,
                                             batch_size=batch_size,
                                             flush_interval=flush_interval),
                                workers=workers, progress=progress, log=say)
    say(stats.line())


@school.command(epilog="Example: ssckit school simulate -w sample-city --port 1883 --days 1 "
                       "--fast")
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True, help="MQTT broker.")
@click.option("--port", default=1883, show_default=True, help="MQTT port.")
@click.option("--days", default=1, show_default=True, help="Days of one-minute readings.")
@click.option("--start", help="First minute, ISO 8601 UTC (default: now minus --days).")
@click.option("--fast", is_flag=True, help="Publish as fast as the broker takes it (a load "
              "test) instead of one minute of readings per minute.")
@click.option("--format", "fmt", type=click.Choice(["senml", "simple"]), default="senml",
              show_default=True, help="Payload format.")
@click.option("--seed", type=int, help="Simulator seed (default: settings.school.seed).")
@quiet_option
def simulate(workspace_dir: Path, host: str, port: int, days: int, start: str | None,
             fast: bool, fmt: str, seed: int | None, quiet: bool) -> None:
    """Publish realistic classroom and connectivity streams of the registry's schools to MQTT:
    CO₂ from a mass balance driven by the timetable's occupancy and ventilation, temperature
    with heating schedule and weather, meters, probes, occasional faults and outages."""
    import time

    from ssckit.school.live import minute_readings
    from ssckit.school.publisher import publish_readings

    ws = Workspace.load(workspace_dir)
    reg = _registry(ws)
    st = _settings(ws)
    if start:
        t0 = datetime.fromisoformat(start.replace("Z", "+00:00")).replace(tzinfo=None)
    else:
        t0 = (datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
              - (timedelta(days=days) if fast else timedelta(0)))
    total = 0
    t_start = time.perf_counter()
    with progress_display(enabled=not quiet), \
            task("publishing simulated minutes", total=days * 1440) as advance:
        for minute, readings in minute_readings(reg, t0, days * 1440, seed if seed is not None
                                                else st.seed, st.utc_offset_min):
            if not fast:
                while time.time() < minute * 60:
                    time.sleep(0.5)
            publish_readings(host, port, readings, registry=reg, fmt=fmt, per_message=200)
            total += len(readings)
            advance()
            if not quiet and (fast and minute % 60 == 0 or not fast):
                rate = total / max(time.perf_counter() - t_start, 1e-9)
                console.print(f"{datetime.fromtimestamp(minute * 60, UTC):%Y-%m-%d %H:%M} UTC: "
                              f"{total:,} readings published ({rate:,.0f}/s)", highlight=False)
    console.print(f"published {total:,} readings")


@school.command(epilog="Example: ssckit school report -w sample-city --school S01 --format json")
@click.option("--school", "school_ids", multiple=True, help="Schools (repeat); default all.")
@click.option("--days", type=int, help="Only the last N days.")
@click.option("--outdoor-co2", default=400.0, show_default=True, help="Outdoor CO₂ [ppm].")
@format_option("table", "json")
@with_store
def report(school_ids: tuple[str, ...], days: int | None, outdoor_co2: float, fmt: str,
           ws: Workspace, store: Store) -> None:
    """Indoor climate per room over occupied hours: EN 16798-1 CO₂ and temperature categories,
    daily-average CO₂ and the BB101 rule (CO₂ > 2000 ppm for more than 20 minutes)."""
    from ssckit.school.ieq import ieq_report
    from ssckit.school.schema import ensure_tables

    reg = _registry(ws)
    ensure_tables(store)
    start = (datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)) if days else None
    cur = store.cursor()
    try:
        rows = ieq_report(cur, school_ids or None, start=start, outdoor_co2=outdoor_co2,
                          rooms=list(reg.rooms.values()),
                          utc_offset_min=_settings(ws).utc_offset_min)
    finally:
        cur.close()
    if fmt == "json":
        click.echo(json.dumps(rows, indent=1, default=str))
        return
    t = Table(title=f"Indoor climate in occupied hours — {ws.label}")
    for col in ("school", "room", "CO₂ I/II/III/IV [%]", "mean CO₂", "max daily mean",
                "days > 2000 ppm 20 min", "temp I/II/III/IV [%]"):
        t.add_column(col, justify="left" if col in ("school", "room") else "right")
    for r in rows:
        t.add_row(r["school_id"], r["room_id"], "/".join(f"{x:.0f}" for x in r["co2_share"]),
                  f"{r['co2_mean_occupied']:.0f}", f"{r['max_daily_co2_mean']:.0f}",
                  str(r["days_over_2000_20min"]),
                  "/".join("–" if x != x else f"{x:.0f}" for x in r["temperature_share"]))
    console.print(t)


@school.command(epilog="Example: ssckit school archive -w sample-city --older-than-days 7")
@click.option("--older-than-days", type=int, default=7, show_default=True,
              help="Move minute readings older than this to Parquet.")
@quiet_option
@with_store
def archive(older_than_days: int, quiet: bool, ws: Workspace, store: Store) -> None:
    """Move minute readings older than N days from DuckDB to the Parquet history (partitioned
    by day and school), atomically per partition."""
    from ssckit.school.storage import archive as do_archive
    from ssckit.school.storage import readings_root

    cutoff = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=older_than_days)
    with progress_display(enabled=not quiet):
        res = do_archive(store, readings_root(ws.root), cutoff)
    console.print(f"archived {res.rows:,} readings into {res.partitions} partitions under "
                  f"{readings_root(ws.root)}")


@school.command(epilog="Example: ssckit school downsample -w sample-city")
@quiet_option
@with_store
def downsample(quiet: bool, ws: Workspace, store: Store) -> None:
    """Recompute hourly aggregates (n, mean, min, max) from the minute readings."""
    from ssckit.school.storage import downsample as do_downsample
    from ssckit.school.storage import readings_root

    with progress_display(enabled=not quiet), task("hourly aggregates") as advance:
        n = do_downsample(store, readings_root(ws.root))
        advance()
    console.print(f"{n:,} hourly aggregates written")


@school.command(epilog="Example: ssckit school retention -w sample-city --keep-days 90")
@click.option("--keep-days", type=int, required=True, help="Keep raw minute data this long.")
@quiet_option
@with_store
def retention(keep_days: int, quiet: bool, ws: Workspace, store: Store) -> None:
    """Delete raw minute data older than N days, after archiving and aggregating it."""
    from ssckit.school.storage import readings_root
    from ssckit.school.storage import retention as do_retention

    if keep_days < 1:
        raise InputError("--keep-days", None, f"{keep_days}: must be at least 1 day")
    with progress_display(enabled=not quiet):
        res = do_retention(store, readings_root(ws.root), keep_days)
    console.print(f"archived {res.archived_rows:,} readings first; deleted the raw minute data "
                  f"of {res.days_deleted} day(s) ({res.files_deleted} files)")


@school.command(epilog="Example: ssckit school ngsi -w sample-city -o entities.json")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: the terminal).")
@with_store
def ngsi(output: Path | None, ws: Workspace, store: Store) -> None:
    """Export schools, devices and the latest indoor conditions as NGSI-LD entities (FIWARE
    Smart Data Models Building, Device, IndoorEnvironmentObserved)."""
    from ssckit.school.ngsi import to_json
    from ssckit.school.schema import ensure_tables

    ensure_tables(store)
    text = to_json(_registry(ws), store)
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        click.echo(text)
import ssckit.school.cli_national  # noqa: E402,F401,I001 - its commands join the group
