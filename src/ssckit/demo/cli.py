"""``ssckit demo``: write the synthetic sample city, compute everything, report and serve it."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

import click

from ssckit.core.cli_support import console, quiet_option
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


def compute_workspace(ws: Workspace, quiet: bool):  # noqa: ANN201 - (counts, card, path)
    """Run the pipeline on ``ws``, then write outputs/scorecard.html and scorecard.json."""
    from ssckit.kpi.io import scorecard_json
    from ssckit.kpi.report import write_html_report
    from ssckit.kpi.scorecard import workspace_scorecard
    from ssckit.pipeline import run_all

    with Store.open(ws.store_path) as store:
        counts = run_all(ws, store, quiet=quiet)
        card = workspace_scorecard(ws, store)
    report = write_html_report(card, ws.output_dir / "scorecard.html")
    (ws.output_dir / "scorecard.json").write_text(scorecard_json(card), encoding="utf-8")
    if not quiet:
        from ssckit.pipeline import timings

        for step, n in counts.items():
            console.print(f"  {step}: {n} indicator values ({timings.get(step, 0):.1f} s)")
    return counts, card, report


@click.command(epilog="Example: ssckit demo --workspace sample-city --no-serve")
@click.option("--workspace", "-w", "workspace_dir", type=click.Path(file_okay=False,
              path_type=Path), default=Path("sample-city"), show_default=True,
              help="Folder to write the sample city into (created; an existing sample city is "
                   "rebuilt; any other non-empty folder is refused).")
@click.option("--seed", default=7, show_default=True, help="Random seed of the synthetic data.")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the dashboard when done.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@quiet_option
def demo(workspace_dir: Path, seed: int, serve: bool, host: str, port: int, quiet: bool) -> None:
    """Write a deterministic synthetic sample city and run every module on it.

    The sample city (a town of about 80 000 people on a river; all data synthetic and labelled
    so) gets terrain, population, districts and a plausible set of manual KPI values for two
    years. The demo computes every indicator, writes the HTML scorecard report to
    WORKSPACE/outputs/scorecard.html and serves the dashboard.
    """
    from ssckit.demo.generate import is_sample_workspace, write_sample_city

    if not is_sample_workspace(workspace_dir):
        raise InputError(str(workspace_dir), None, "folder is not empty and is not a sample "
                         "city; choose another --workspace")
    t0 = time.perf_counter()
    with console.status("writing the sample city", spinner="dots") if not quiet else nullcontext():
        write_sample_city(workspace_dir, seed)
    ws = Workspace.load(workspace_dir)
    _, card, report = compute_workspace(ws, quiet)
    if not quiet:
        tot = card.totals
        console.print(
            f"[bold]{ws.label}[/]: {tot.n_with_data}/{tot.n_kpis} U4SSC KPIs with data, "
            f"mean {tot.mean_points or 0:.2f} points; report: {report} "
            f"({time.perf_counter() - t0:.1f} s)"
        )
    if serve:
        from ssckit.web.cli import run_server

        console.print(f"dashboard: http://{host}:{port}/  (Ctrl+C to stop)")
        run_server(workspace_dir, host, port, live=True)



@click.command(epilog="Example: ssckit compute --workspace my-city")
@click.option("--workspace", "-w", "workspace_dir", type=click.Path(file_okay=False,
              path_type=Path), default=Path("."), show_default=True,
              help="City workspace folder (holds city.yaml).")
@quiet_option
def compute(workspace_dir: Path, quiet: bool) -> None:
    """Run every module the workspace has inputs for, then write the scorecard report.

    Manual KPI values (kpi.values), population, 5G coverage and site plan (inputs.radio),
    EMF compliance (inputs.radio / inputs.emf); each step's values are stored in one
    transaction, so a failing step leaves the earlier ones stored and its own untouched.
    """
    _, _, report = compute_workspace(Workspace.load(workspace_dir), quiet)
    if not quiet:
        console.print(f"report: {report}")
