"""``ssckit kpi``: the U4SSC catalogue, importing manual values, the scorecard and comparisons."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
from rich import box
from rich.table import Table

from ssckit.core.cli_support import console, format_option, with_store
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.kpi.catalogue import load_catalogue
from ssckit.kpi.io import read_values_csv, scorecard_csv, scorecard_json
from ssckit.kpi.scorecard import Scorecard, workspace_scorecard


@click.group(epilog="Example: ssckit kpi scorecard --workspace sample-city --format json")
def kpi() -> None:
    """U4SSC KPIs (ITU-T Y.4903): catalogue, manual values, scorecard, comparison, report."""


LANG_OPTION = click.option("--lang", type=click.Choice(["en", "ru", "be"]), default="en",
                           show_default=True, help="Language of KPI names and units.")


@kpi.command(epilog="Example: ssckit kpi catalogue --dimension EC --format csv --lang ru")
@format_option("table", "json", "csv")
@click.option("--dimension", help="Only this dimension (EC, EN or SC).")
@LANG_OPTION
def catalogue(fmt: str, dimension: str | None, lang: str) -> None:
    """List the 91 U4SSC KPIs with their unit, target and SDG targets."""
    cat = load_catalogue(lang)
    kpis = [k for k in cat.kpis if dimension is None or k.dimension == dimension.upper()]
    if fmt == "json":
        click.echo(json.dumps([k.to_dict() for k in kpis], indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        buf = io.StringIO()
        cols = list(kpis[0].to_dict()) if kpis else []
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for k in kpis:
            d = k.to_dict()
            d["sdg_targets"] = " ".join(d["sdg_targets"])
            w.writerow(d)
        click.echo(buf.getvalue(), nl=False)
        return
    t = Table(title=f"U4SSC KPIs ({len(kpis)})", show_lines=False)
    for col in ("code", "name", "unit", "target", "SDG"):
        t.add_column(col, overflow="fold")
    for k in kpis:
        t.add_row(k.code, k.name, k.unit, "" if k.target is None else f"{k.target:g}",
                  " ".join(k.sdg_targets))
    console.print(t)


@kpi.command(name="import", epilog="Example: ssckit kpi import values.csv --workspace sample-city")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@with_store
def import_values(csv_file: Path, ws: Workspace, store: Store) -> None:
    """Load manual KPI values (city statistics) from CSV_FILE.

    Columns: code, value, unit, source (required); period, entity, quality, notes (optional).
    Every row is checked first; if any row is wrong nothing is stored and each problem is
    reported with its line and field.
    """
    values = read_values_csv(csv_file, load_catalogue(), str(ws.config.year))
    n = store.write_values(values)
    console.print(f"imported {n} KPI value(s) from {csv_file}")


def format_value(v: float | None) -> str:
    """A KPI value for people: thousands separated, three significant digits below 1000."""
    if v is None:
        return "—"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _render_scorecard_table(card: Scorecard) -> None:
    title = f"U4SSC scorecard — {card.city}{' (synthetic sample data)' if card.synthetic else ''}"
    wide = console.width >= 120
    t = Table(title=f"{title}, {card.period}", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("code", no_wrap=True)
    t.add_column("KPI", min_width=16, ratio=3, overflow="fold")
    t.add_column("value", justify="right", no_wrap=True)
    t.add_column("target", justify="right", no_wrap=True)
    t.add_column("unit", min_width=5, ratio=1, overflow="fold")
    t.add_column("ach.", justify="right", no_wrap=True)
    t.add_column("pts", no_wrap=True, min_width=4)
    if wide:
        t.add_column("period", no_wrap=True)
        t.add_column("grade", no_wrap=True)
    dim = None
    for k in card.kpis:
        if k.dimension != dim:
            dim = k.dimension
            t.add_section()
        row = [k.code, k.name, format_value(k.value),
               "" if k.target is None else format_value(k.target), k.unit,
               "" if k.ratio is None else f"{100 * k.ratio:.0f}%", "●" * k.points]
        if wide:
            row += [k.period or "", k.quality or ""]
        t.add_row(*row)
    console.print(t)
    g = Table(title="Totals", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("group", "KPIs", "with data", "complete", "points", "score", "mean ach."):
        g.add_column(col, justify="left" if col == "group" else "right",
                     overflow="fold", ratio=3 if col == "group" else None)
    subs = [x for x in card.groups if x.level == "subdimension"]
    ordered = [card.totals]
    for d in (x for x in card.groups if x.level == "dimension"):
        ordered += [d] + [x for x in subs if x.key.startswith(d.key + ":")]
    indent = {"total": "", "dimension": "", "subdimension": "  "}
    for grp in ordered:
        g.add_row(
            indent[grp.level] + grp.name, str(grp.n_kpis), str(grp.n_with_data),
            f"{100 * grp.completeness:.0f}%", f"{grp.points}/{grp.max_points}",
            "" if grp.score is None else f"{100 * grp.score:.0f}% {'●' * grp.score_points}",
            "" if grp.mean_achievement is None else f"{100 * grp.mean_achievement:.0f}%",
        )
    console.print(g)


@kpi.command(epilog="Example: ssckit kpi scorecard --workspace sample-city --format json")
@format_option("table", "json", "csv")
@click.option("--period", help="Reporting period (YYYY); default: the workspace year.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of the terminal.")
@LANG_OPTION
@with_store
def scorecard(fmt: str, period: str | None, output: Path | None, lang: str, ws: Workspace,
              store: Store) -> None:
    """Score every KPI against its target: value, achievement, 1-4 points, totals, completeness."""
    card = workspace_scorecard(ws, store, period, lang=lang)
    if fmt == "table" and output is None:
        _render_scorecard_table(card)
        return
    text = scorecard_json(card) if fmt in ("json", "table") else scorecard_csv(card)
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@kpi.command(epilog="Example: ssckit kpi compare cityA cityB --period 2025 --period 2026")
@click.argument("workspaces", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--period", "periods", multiple=True,
              help="Period(s) to compare (repeat); default: each workspace's year.")
@format_option("table", "json", "csv")
@click.option("--only-data", is_flag=True, help="Hide KPIs with no value in any column.")
def compare(workspaces: tuple[Path, ...], periods: tuple[str, ...], fmt: str,
            only_data: bool) -> None:
    """Put the scorecards of several workspaces and/or years side by side."""
    cards: list[Scorecard] = []
    for d in workspaces:
        ws = Workspace.load(d)
        with Store.open(ws.store_path, read_only=True) as store:
            for p in periods or (None,):
                cards.append(workspace_scorecard(ws, store, p))
    labels = [f"{c.city} {c.period}" for c in cards]
    codes = [k.code for k in cards[0].kpis]
    rows = []
    for i, code in enumerate(codes):
        cells = [c.kpis[i] for c in cards]
        if only_data and all(k.value is None for k in cells):
            continue
        rows.append((code, cells[0].name, cells[0].unit, cells))
    if fmt == "json":
        click.echo(json.dumps({
            "columns": labels,
            "kpis": [{"code": code, "name": name, "unit": unit,
                      "values": [k.value for k in cells], "points": [k.points for k in cells]}
                     for code, name, unit, cells in rows],
            "totals": [{"column": lab, **c.to_dict()["totals"]} for lab, c in zip(labels, cards,
                                                                                 strict=True)],
        }, indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["code", "name", "unit"] + [f"{lab} value" for lab in labels]
                   + [f"{lab} points" for lab in labels])
        for code, name, unit, cells in rows:
            w.writerow([code, name, unit] + ["" if k.value is None else k.value for k in cells]
                       + [k.points for k in cells])
        click.echo(buf.getvalue(), nl=False)
        return
    t = Table(title="U4SSC KPIs compared")
    t.add_column("code")
    t.add_column("KPI", overflow="fold")
    for lab in labels:
        t.add_column(lab, justify="right")
    for code, name, unit, cells in rows:
        t.add_row(code, f"{name} [{unit}]", *[
            f"{format_value(k.value)} {'●' * k.points}".strip() for k in cells])
    t.add_row("", "completeness", *[f"{100 * c.totals.completeness:.0f} %" for c in cards])
    console.print(t)


@kpi.command(epilog="Example: ssckit kpi report --workspace sample-city -o report.html")
@click.option("--period", help="Reporting period (YYYY); default: the workspace year.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write (default: WORKSPACE/outputs/scorecard.html).")
@LANG_OPTION
@with_store
def report(period: str | None, output: Path | None, lang: str, ws: Workspace,
           store: Store) -> None:
    """Write the scorecard as a self-contained HTML report with charts (works offline)."""
    from ssckit.core import i18n
    from ssckit.kpi.report import write_html_report

    with i18n.language(lang):
        path = write_html_report(workspace_scorecard(ws, store, period, lang=lang), output or
                                 ws.output_dir / "scorecard.html")
    console.print(f"wrote {path}")
