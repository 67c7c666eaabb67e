"""``ssckit emf measurements``: the EMF measurement register (lab reports, probes) beside the
predicted exposure."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from ssckit.core.cli_support import console, format_option, with_store
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


@click.group(epilog="Example: ssckit emf measurements import lab_reports.csv -w sample-city")
def measurements() -> None:
    """EMF measurements (lab reports, E-field probes) beside the predicted exposure."""


@measurements.command(name="import",
                      epilog="Example: ssckit emf measurements import lab_reports.csv")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_store
def measurements_import(file: Path, ws: Workspace, store: Store) -> None:
    """Import lab reports from a CSV file, one row per band: report_id, date, lab, protocol,
    lat, lon, band, e_v_m (required) and freq_mhz, uncertainty_db or uncertainty_pct,
    height_m, report_file. A row with band ``total`` gives the broadband field. Every row is
    checked first; nothing is stored when one is wrong; a report imported again is replaced."""
    from ssckit.emf.register import import_lab_reports

    res = import_lab_reports(store, file)
    console.print(f"{res.reports} lab report(s) with {res.bands} band value(s) imported from "
                  f"{file.name}" + (f" ({res.replaced} replaced)" if res.replaced else ""),
                  highlight=False)


@measurements.command(name="list",
                      epilog="Example: ssckit emf measurements list -w sample-city --format json")
@click.option("--above-prediction", is_flag=True,
              help="Only the measurements above the prediction beyond their uncertainty.")
@format_option("table", "json")
@with_store
def measurements_list(above_prediction: bool, fmt: str, ws: Workspace, store: Store) -> None:
    """Every lab report and probe: measured and predicted exposure as % of the limit, and
    whether the measurement exceeds the prediction beyond its expanded uncertainty (then the
    model is wrong there and the site needs a look)."""
    from ssckit.emf.register import assess, assessment_dict

    rows, ls = assess(ws, store)
    if above_prediction:
        rows = [a for a in rows if a.exceeds]
    if fmt == "json":
        click.echo(json.dumps({"limit_set": ls.name,
                               "measurements": [assessment_dict(a) for a in rows]}, indent=2))
        return
    t = Table(title=f"EMF measurements — {ws.label} — {ls.name}")
    for col in ("measurement", "date", "E [V/m]", "measured", "predicted", "U [dB]", "site",
                "verdict"):
        t.add_column(col, justify="right" if col in ("E [V/m]", "measured", "predicted",
                                                     "U [dB]") else "left", overflow="fold")
    for a in rows:
        t.add_row(f"{a.kind} {a.id}", a.when, f"{a.e_v_m:.3g}",
                  f"{100 * a.measured_ratio:.3g} %", f"{100 * a.predicted_ratio:.3g} %",
                  f"{a.uncertainty_db:.1f}", a.site or "—",
                  "[bold red]above the prediction: the site needs a look[/]" if a.exceeds
                  else "within the prediction")
    console.print(t)
    n = sum(a.exceeds for a in rows)
    console.print(f"{len(rows)} measurement(s); {n} above the prediction beyond their "
                  "uncertainty", highlight=False)
