"""``ssckit cyber``: scan public services, self-assess against the GCI 2024 pillars."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich import box
from rich.table import Table

from ssckit.core.cli_support import console, err_console, format_option, quiet_option
from ssckit.core.progress import progress_display
from ssckit.cyber import gci
from ssckit.cyber.model import ServiceResult, Status
from ssckit.cyber.netpolicy import loopback_only_default
from ssckit.cyber.scan import ScanOptions, scan_targets
from ssckit.cyber.scoring import indicator_values, posture, score_service
from ssckit.cyber.store import ServiceChange, diff, previous_scan, save_scan
from ssckit.cyber.targets import load_targets

_STATUS_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "red",
                 Status.ERROR: "magenta", Status.NOT_APPLICABLE: "dim"}


@click.group(epilog="Example: ssckit cyber scan --targets targets.yaml -w sample-city")
def cyber() -> None:
    """Security posture of public services (TLS, headers, mail) and a GCI self-assessment."""


@cyber.command(epilog="Example: ssckit cyber scan --targets targets.yaml -w sample-city "
                      "--concurrency 16 --format json")
@click.option("--targets", "targets_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="targets.yaml to scan.")
@click.option("--workspace", "-w", "workspace_dir", default=None,
              type=click.Path(file_okay=False, path_type=Path),
              help="Store the scan and its indicators in this workspace (and compare with the "
                   "last stored scan).")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Services scanned at once.")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(1, 3600),
              help="Time limit per service [s].")
@click.option("--loopback-only", is_flag=True, default=loopback_only_default,
              help="Never contact an address outside 127.0.0.0/8 and ::1 "
                   "(also SSCKIT_CYBER_LOOPBACK_ONLY=1).")
@click.option("--dkim-selector", "dkim_selectors", multiple=True, metavar="SELECTOR",
              help="DKIM selector to look up on each mail domain (repeatable; default: "
                   "settings.cyber.dkim_selectors of the workspace).")
@format_option("table", "json")
@quiet_option
def scan(targets_file: Path, workspace_dir: Path | None, concurrency: int, timeout: float,
         loopback_only: bool, dkim_selectors: tuple[str, ...], fmt: str, quiet: bool) -> None:
    """Scan every service of the targets file: grade, findings and changes since the last scan.

    A service that cannot be reached (DNS failure, refused port, timeout, no TLS) is reported as
    error/unreachable with the reason; the others are still scanned.
    """
    targets = load_targets(targets_file)
    if not dkim_selectors and workspace_dir is not None:
        from ssckit.core.workspace import Workspace
        from ssckit.cyber.indicators import settings

        dkim_selectors = tuple(settings(Workspace.load(workspace_dir)).dkim_selectors)
    options = ScanOptions(concurrency=concurrency, timeout=timeout,
                          connect_timeout=min(5.0, timeout), loopback_only=loopback_only,
                          dkim_selectors=dkim_selectors)

    with progress_display(enabled=not quiet and fmt == "table", console=err_console):
        result = scan_targets(targets, options, source=str(targets_file))
    scores = [score_service(r) for r in result.results]
    changes: list[ServiceChange] | None = None
    if workspace_dir is not None:
        from ssckit.core.store import Store
        from ssckit.core.workspace import Workspace

        ws = Workspace.load(workspace_dir)
        with Store.open(ws.store_path) as store:
            before = previous_scan(store, result.scan_id + "~")
            save_scan(store, result)
            values = indicator_values(scores, result.started_at.strftime("%Y-%m-%d"),
                                      {"targets": str(targets_file), "scan_id": result.scan_id})
            store.write_values(values)
            changes = diff(before, result)
    if fmt == "json":
        out = {"scan_id": result.scan_id, "posture": posture(scores),
               "services": [{**r.to_dict(), **s.to_dict()}
                            for r, s in zip(result.results, scores, strict=True)],
               "changes": None if changes is None else [c.to_dict() for c in changes]}
        click.echo(json.dumps(out, indent=2, ensure_ascii=False, default=str))
        return
    _print_scan(result.results, scores)
    p = posture(scores)
    console.print(f"posture: mean score {p['mean_score']}, {p['share_grade_b_or_better']} % "
                  f"graded B or better, {p['unreachable']} unreachable of {p['services']}")
    if changes is not None:
        _print_changes(changes)


def _print_scan(results: list[ServiceResult], scores: list) -> None:
    t = Table(title="Service security scan", box=box.SIMPLE_HEAVY)
    for col in ("service", "grade", "score", "findings (fail / warn)"):
        t.add_column(col, overflow="fold")
    for r, s in zip(results, scores, strict=True):
        if r.error:
            t.add_row(r.name, "—", "—", f"[magenta]error/unreachable: {r.error}[/]")
            continue
        lines = [f"[{_STATUS_STYLE[f.status]}]{f.status.value}[/] {f.check}: {f.detail}"
                 for f in r.findings if f.status in (Status.FAIL, Status.WARN, Status.ERROR)]
        t.add_row(r.name, s.grade, str(s.score), "\n".join(lines) or "[green]all pass[/]")
    console.print(t)


def _print_changes(changes: list[ServiceChange]) -> None:
    changed = [c for c in changes if c.changed]
    if not changed:
        console.print("changes since the last scan: none")
        return
    console.print("changes since the last scan:")
    for c in changed:
        parts = []
        if c.new_service:
            parts.append("first scan")
        elif c.grade_before != c.grade_now:
            parts.append(f"grade {c.grade_before or '—'} → {c.grade_now or '—'}")
        if c.new_failures:
            parts.append("new failures: " + ", ".join(c.new_failures))
        if c.fixed:
            parts.append("fixed: " + ", ".join(c.fixed))
        console.print(f"  {c.service}: " + "; ".join(parts), highlight=False)


@cyber.command(epilog="Example: ssckit cyber monitor -w sample-city")
@click.option("--workspace", "-w", "workspace_dir", default=".",
              type=click.Path(file_okay=False, path_type=Path), help="City workspace.")
@click.option("--forever", is_flag=True, help="Keep scanning on settings.cyber.monitor's "
              "schedule until interrupted (as `ssckit serve --live` does).")
def monitor(workspace_dir: Path, forever: bool) -> None:
    """Scan the targets, judge them against the baseline, raise and deliver alerts for what
    got worse since the last stored scan (settings.cyber.monitor)."""
    import time

    from ssckit.core.store import Store
    from ssckit.core.workspace import Workspace
    from ssckit.cyber.monitor import Monitor, MonitorSettings, run_round

    ws = Workspace.load(workspace_dir)
    if not forever:
        with Store.open(ws.store_path) as store:
            report = run_round(ws, store)
        console.print(report.line(), highlight=False)
        for a in report.alerts:
            console.print(f"  {a.severity}: {a.summary}", highlight=False)
        return
    from ssckit.cyber.indicators import settings

    running = Monitor(ws, settings(ws).monitor or MonitorSettings(),
                      lambda m: console.print(m, highlight=False)).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        running.stop()


@cyber.command(epilog="Example: ssckit cyber assess --answers answers.yaml --format csv "
                      "--chart radar.html")
@click.option("--answers", "answers_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Answers YAML file.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the radar chart to this HTML file.")
@format_option("table", "json", "csv")
def assess(answers_file: Path, chart: Path | None, fmt: str) -> None:
    """Score a GCI 2024-style self-assessment: share of yes per pillar, overall score, tier."""
    questionnaire = gci.load_questionnaire()
    header, answers = gci.load_answers(answers_file, questionnaire)
    result = gci.assess(answers, questionnaire, header)
    if chart is not None:
        gci.radar_figure(result).write_html(str(chart), include_plotlyjs=True)
    if fmt == "json":
        click.echo(gci.export_json(result))
        return
    if fmt == "csv":
        click.echo(gci.export_csv(result, questionnaire), nl=False)
        return
    t = Table(title=f"Self-assessment ({result.edition})", box=box.SIMPLE_HEAVY)
    for col in ("pillar", "yes (weighted %)", "points", "unanswered", "answered no"):
        t.add_column(col, overflow="fold")
    for p in result.pillars:
        t.add_row(p.name, f"{p.share:.1f}", f"{p.points:.1f} / {p.weight:g}",
                  ", ".join(p.unanswered) or "—", ", ".join(p.missing) or "—")
    console.print(t)
    console.print(f"overall {result.overall:.1f} / 100: tier {result.tier} ({result.tier_name})")


@cyber.command(epilog="Example: ssckit cyber questionnaire > answers.yaml")
@format_option("yaml", "json", default="yaml")
def questionnaire(fmt: str) -> None:
    """Print the blank questionnaire (YAML: an answers template to fill in)."""
    q = gci.load_questionnaire()
    if fmt == "json":
        click.echo(json.dumps(q.model_dump(), indent=2, ensure_ascii=False))
        return
    click.echo(gci.blank_answers(q), nl=False)


__all__ = ["cyber"]
