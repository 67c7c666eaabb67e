"""``ssckit kpi``: the U4SSC catalogue, importing manual values, the scorecard and comparisons."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.table import Table

from ssckit.core.cli_support import console, format_option, with_store
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.kpi.catalogue import load_catalogue
from ssckit.kpi.io import read_values_csv, scorecard_csv, scorecard_json
from ssckit.kpi.precedence import Choice
from ssckit.kpi.records import (
    AuditEntry,
    audit_log,
    manual_history,
    parse_date,
    record_manual_values,
)
from ssckit.kpi.review import (
    add_evidence_file,
    add_evidence_url,
    decide,
    effective_status,
    get_review,
    list_evidence,
    require_user,
    reset_changed_reviews,
)
from ssckit.kpi.review import submit as submit_value
from ssckit.kpi.scorecard import Scorecard, city_choices, workspace_scorecard
from ssckit.kpi.settings import kpi_settings


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


AS_OPTION = click.option("--as", "as_user", envvar="SSCKIT_USER", metavar="NAME",
                         help="The user doing this (a user of `ssckit users list`; "
                              "default: $SSCKIT_USER).")
PERIOD_OPTION = click.option("--period", help="Reporting period (YYYY); default: the "
                             "workspace year.")


@kpi.command(name="import", epilog="Example: ssckit kpi import values.csv --workspace sample-city")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@AS_OPTION
@with_store
def import_values(csv_file: Path, as_user: str | None, ws: Workspace, store: Store) -> None:
    """Record manual KPI values (city statistics) from CSV_FILE.

    Columns: code, value, unit, source (required); period, entity, quality, notes (optional).
    Every row is checked first; if any row is wrong nothing is stored and each problem is
    reported with its line and field. A manual value never replaces a computed one: both are
    kept and settings.kpi.precedence of city.yaml says which the scorecard uses.
    """
    actor = require_user(store, as_user, "analyst", "imports values").name if as_user \
        else "cli"
    values = read_values_csv(csv_file, load_catalogue(), str(ws.config.year))
    n = record_manual_values(store, values, "import", actor)
    reset = reset_changed_reviews(store, _choices(ws, store, None))
    console.print(f"imported {n} KPI value(s) from {csv_file}"
                  + (f"; {reset} reviewed value(s) changed and are drafts again" if reset
                     else ""))


def _choices(ws: Workspace, store: Store, period: str | None) -> dict[str, Choice]:
    return city_choices(store, period or str(ws.config.year), kpi_settings(ws).precedence)


def _choice(ws: Workspace, store: Store, code: str, period: str | None) -> Choice | None:
    if load_catalogue().get(code) is None:
        raise InputError(code, None, "unknown KPI code (see `ssckit kpi catalogue` for the 91 "
                         "codes)")
    return _choices(ws, store, period).get(code)


@kpi.command(epilog="Example: ssckit kpi show EC:ICT:ICT:1C --workspace sample-city")
@click.argument("code")
@PERIOD_OPTION
@format_option("table", "json")
@with_store
def show(code: str, period: str | None, fmt: str, ws: Workspace, store: Store) -> None:
    """One KPI's city value: the value used and why, the other value kept, status, evidence,
    every manual value recorded and the audit log."""
    choice = _choice(ws, store, code, period)
    key = (code, "city", choice.value.period) if choice and choice.value else None
    review = get_review(store, key) if key else None
    status = effective_status(review, choice) if choice and choice.value else None
    evidence = list_evidence(store, key) if key else []
    history = manual_history(store, code)
    log = audit_log(store, code)
    if fmt == "json":
        click.echo(json.dumps({
            "code": code, "precedence": kpi_settings(ws).precedence,
            "used": None if not choice or not choice.value else {
                "origin": choice.origin, **choice.value.to_dict()},
            "reason": choice.reason if choice else "no value",
            "other": choice.other_dict() if choice else None, "status": status,
            "review": None if review is None else {
                "status": review.status, "value": review.value, "origin": review.origin,
                "submitted_by": review.submitted_by, "decided_by": review.decided_by,
                "comment": review.comment},
            "evidence": [e.to_dict() for e in evidence],
            "manual_values": [{"origin": m.origin, "recorded_by": m.recorded_by,
                               **m.value.to_dict()} for m in history],
            "audit": [a.to_dict() for a in log],
        }, indent=2, ensure_ascii=False))
        return
    if not choice or not choice.value:
        console.print(f"{code}: no value")
        return
    v = choice.value
    console.print(f"{code} = {format_value(v.value)} {v.unit} ({v.period}), "
                  f"{choice.origin}: {choice.reason}")
    console.print(f"  source: {_source_text(v.source)}; quality {v.quality}; status {status}")
    if choice.other is not None:
        o = choice.other
        console.print(f"  also kept ({choice.other_origin}): {format_value(o.value)} "
                      f"({o.period}), {_source_text(o.source)}")
    for e in evidence:
        console.print(f"  evidence: {e.location} "
                      + (f"sha256 {e.sha256[:16]}…" if e.sha256 else f"read on {e.read_on}"))
    _print_audit(log)


def _source_text(src: dict[str, Any]) -> str:
    parts = [str(src.get(k)) for k in ("module", "reference", "file") if src.get(k)]
    if src.get("recorded_by"):
        parts.append(f"by {src['recorded_by']}")
    return ", ".join(parts) or "—"


def _print_audit(log: list[AuditEntry]) -> None:
    t = Table(title="Audit log", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("when (UTC)", "who", "what", "KPI", "old → new", "comment"):
        t.add_column(col, overflow="fold")
    for a in log:
        t.add_row(a.at.strftime("%Y-%m-%d %H:%M:%S"), a.actor, a.action,
                  f"{a.indicator} {a.period}", f"{a.old or '—'} → {a.new}", a.comment)
    console.print(t)


@kpi.group(epilog="Example: ssckit kpi evidence add EC:ICT:ICT:1C --file survey.pdf --as ana")
def evidence() -> None:
    """Evidence of KPI values: files kept in the workspace with their SHA-256, or URLs."""


@evidence.command("add", epilog="Example: ssckit kpi evidence add EC:ICT:ICT:1C --url "
                  "https://stat.example/ict --read-on 2026-11-30 --as ana")
@click.argument("code")
@click.option("--file", "file_", type=click.Path(dir_okay=False, path_type=Path),
              help="A document to keep in the workspace (evidence/<sha256>-<name>).")
@click.option("--url", help="A web page or document the value is read from.")
@click.option("--read-on", help="The date the URL was read (YYYY-MM-DD).")
@PERIOD_OPTION
@AS_OPTION
@with_store
def evidence_add(code: str, file_: Path | None, url: str | None, read_on: str | None,
                 period: str | None, as_user: str | None, ws: Workspace, store: Store) -> None:
    """Attach evidence to the value of CODE now used (a file, or a URL with --read-on)."""
    user = require_user(store, as_user, "analyst", "adds evidence")
    if (file_ is None) == (url is None):
        raise InputError("--file/--url", None, "give one: a file (--file) or a URL (--url "
                         "with --read-on)")
    choice = _choice(ws, store, code, period)
    if choice is None or choice.value is None:
        raise InputError(code, None, "has no value for this period; import or compute one "
                         "first")
    key = (code, "city", choice.value.period)
    if file_ is not None:
        ev = add_evidence_file(store, ws, key, file_, user)
        console.print(f"kept {ev.location} (sha256 {ev.sha256}) as evidence of {code}")
        return
    if not read_on:
        raise InputError("--read-on", None, "give the date the URL was read (YYYY-MM-DD)")
    try:
        day = parse_date(read_on)
    except ValueError:
        raise InputError("--read-on", None, f"{read_on!r} is not a date (YYYY-MM-DD)") from None
    ev = add_evidence_url(store, key, str(url), day, user)
    console.print(f"added {ev.location} (read on {day}) as evidence of {code}")


@kpi.command(epilog="Example: ssckit kpi submit EC:ICT:ICT:1C --as ana")
@click.argument("code")
@click.option("--comment", default="", help="A note for the verifier.")
@PERIOD_OPTION
@AS_OPTION
@with_store
def submit(code: str, comment: str, period: str | None, as_user: str | None, ws: Workspace,
           store: Store) -> None:
    """Submit the value of CODE now used, with its evidence, for verification (analyst)."""
    user = require_user(store, as_user, "analyst", "submits values")
    key = submit_value(store, code, _choice(ws, store, code, period), user, comment)
    console.print(f"{code} {key[2]}: submitted for verification")


def _decide(verdict: str, code: str, comment: str, period: str | None, as_user: str | None,
            ws: Workspace, store: Store) -> None:
    user = require_user(store, as_user, "verifier", "verifies values")
    key = decide(store, code, _choice(ws, store, code, period), user, verdict, comment)
    console.print(f"{code} {key[2]}: {verdict}")


@kpi.command(epilog="Example: ssckit kpi verify EC:ICT:ICT:1C --as vera")
@click.argument("code")
@click.option("--comment", default="", help="What was checked.")
@PERIOD_OPTION
@AS_OPTION
@with_store
def verify(code: str, comment: str, period: str | None, as_user: str | None, ws: Workspace,
           store: Store) -> None:
    """Mark the submitted value of CODE verified (verifier; never the one who entered it)."""
    _decide("verified", code, comment, period, as_user, ws, store)


@kpi.command(epilog="Example: ssckit kpi reject EC:ICT:ICT:1C --comment 'survey year is 2024' "
             "--as vera")
@click.argument("code")
@click.option("--comment", required=True, help="What is wrong (required).")
@PERIOD_OPTION
@AS_OPTION
@with_store
def reject(code: str, comment: str, period: str | None, as_user: str | None, ws: Workspace,
           store: Store) -> None:
    """Reject the submitted value of CODE with a comment (verifier)."""
    _decide("rejected", code, comment, period, as_user, ws, store)


@kpi.group(epilog="Example: ssckit kpi workbook export -o riverbend-2026.xlsx")
def workbook() -> None:
    """The U4SSC verification workbook (.xlsx): export the city's values, import a verifier's
    answers or corrected values."""


@workbook.command("export", epilog="Example: ssckit kpi workbook export -o riverbend-2026.xlsx")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .xlsx file to write.")
@PERIOD_OPTION
@with_store
def workbook_export(output: Path, period: str | None, ws: Workspace, store: Store) -> None:
    """Write every KPI's city value in the layout of the U4SSC verification workbook."""
    from ssckit.kpi.workbook import write_workbook

    card = workspace_scorecard(ws, store, period)
    evidence: dict[str, list[str]] = {}
    evidence_rows = []
    for k in card.kpis:
        if k.value is None or k.period is None:
            continue
        for e in list_evidence(store, (k.code, "city", k.period)):
            evidence.setdefault(k.code, []).append(e.location)
            evidence_rows.append([k.code, k.period, e.kind, e.location, e.sha256 or None,
                                  None if e.read_on is None else e.read_on.isoformat(),
                                  e.added_by])
    write_workbook(card, output, evidence, evidence_rows)
    console.print(f"wrote {output} ({len(card.kpis)} KPIs, {card.totals.n_with_data} with a "
                  "value)")


@workbook.command("import", epilog="Example: ssckit kpi workbook import answered.xlsx --as vera")
@click.argument("xlsx_file", type=click.Path(dir_okay=False, path_type=Path))
@PERIOD_OPTION
@AS_OPTION
@with_store
def workbook_import(xlsx_file: Path, period: str | None, as_user: str | None, ws: Workspace,
                    store: Store) -> None:
    """Read a workbook back: changed KPI results become manual values (analyst), YES/NO in
    column S verify or reject submitted values (verifier). Every cell is checked first; on any
    problem nothing is stored."""
    from ssckit.kpi.workbook import import_workbook

    user = require_user(store, as_user, "verifier", "imports a workbook")
    if not xlsx_file.is_file():
        raise InputError(str(xlsx_file), None, "no such file")
    n_values, n_decisions = import_workbook(store, ws, xlsx_file, user,
                                            _choices(ws, store, period))
    reset_changed_reviews(store, _choices(ws, store, period))
    console.print(f"{xlsx_file}: {n_values} new value(s), {n_decisions} verification answer(s)")


@kpi.command(epilog="Example: ssckit kpi factsheet --format pdf -o riverbend-2026.pdf")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: WORKSPACE/outputs/factsheet.<format>).")
@PERIOD_OPTION
@click.option("--verified-only", is_flag=True, help="Count only verified values.")
@LANG_OPTION
@with_store
def factsheet(fmt: str, output: Path | None, period: str | None, verified_only: bool, lang: str,
              ws: Workspace, store: Store) -> None:
    """The city factsheet: headline, points per dimension and sub-dimension, verified status
    and the changes since the previous year (PDF or self-contained HTML)."""
    from ssckit.core import i18n
    from ssckit.kpi.factsheet import build_factsheet, previous_period, write_factsheet

    period = period or str(ws.config.year)
    with i18n.language(lang):
        card = workspace_scorecard(ws, store, period, lang=lang, verified_only=verified_only)
        before = workspace_scorecard(ws, store, previous_period(period), lang=lang,
                                     verified_only=verified_only)
        path = write_factsheet(build_factsheet(card, before),
                               output or ws.output_dir / f"factsheet.{fmt}", fmt)
    console.print(f"wrote {path}")


@kpi.command(epilog="Example: ssckit kpi audit EC:ICT:ICT:1C --format json")
@click.argument("code", required=False)
@click.option("--last", type=click.IntRange(1), help="Only the last N lines.")
@format_option("table", "json")
@with_store
def audit(code: str | None, last: int | None, fmt: str, ws: Workspace, store: Store) -> None:
    """The append-only audit log of KPI values (of CODE when given): who, when, what, old → new."""
    del ws
    log = audit_log(store, code, last)
    if fmt == "json":
        click.echo(json.dumps([a.to_dict() for a in log], indent=2, ensure_ascii=False))
    else:
        _print_audit(log)


def format_value(v: float | None) -> str:
    """A KPI value for people: thousands separated, three significant digits below 1000."""
    if v is None:
        return "—"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


#: How the narrow table marks a value's origin and status (the legend printed under it).
_ORIGIN_MARK = {"computed": "c", "manual": "m"}
_STATUS_MARK = {"draft": "", "submitted": "?", "verified": "✓", "rejected": "✗"}


def _render_scorecard_table(card: Scorecard) -> None:
    """The scorecard for a terminal: columns chosen by its width, names cut (…) rather than
    wrapped, so each KPI is one line; at 120 columns and more every column is shown."""
    width = console.width
    wide = width >= 120
    title = f"U4SSC scorecard — {card.city}{' (synthetic sample data)' if card.synthetic else ''}"
    cols = ["code", "KPI", "value", "target"] + (["unit"] if width >= 100 else []) \
        + ["ach.", "pts"] + (["from", "status", "period", "grade"] if wide else ["src"])
    rows: list[list[str] | None] = []
    dim = None
    for k in card.kpis:
        if k.dimension != dim:
            dim = k.dimension
            rows.append(None)
        row = [k.code, k.name, format_value(k.value),
               "" if k.target is None else format_value(k.target)]
        if width >= 100:
            row.append(k.unit[:14])
        row += ["" if k.ratio is None else f"{100 * k.ratio:.0f}%", "●" * k.points]
        if wide:
            row += [k.origin or "", "" if k.value is None else (k.status or ""),
                    k.period or "", k.quality or ""]
        else:
            row.append(_ORIGIN_MARK.get(k.origin or "", "")
                       + _STATUS_MARK.get(k.status or "", ""))
        rows.append(row)
    widths = [max([len(c)] + [len(r[i]) for r in rows if r]) for i, c in enumerate(cols)]
    name_width = max(8, width - sum(w for i, w in enumerate(widths) if i != 1) - 3 * len(cols))
    t = Table(title=f"{title}, {card.period}", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, c in enumerate(cols):
        t.add_column(c, no_wrap=True, justify="right" if c in ("value", "target", "ach.")
                     else "left", overflow="ellipsis",
                     max_width=name_width if i == 1 else None)
    for row in rows:
        if row is None:
            t.add_section()
        else:
            t.add_row(*row)
    console.print(t)
    if not wide:
        console.print(f"src: c computed, m manual (settings.kpi.precedence: {card.precedence}); "
                      "? submitted, ✓ verified, ✗ rejected. `ssckit kpi show CODE` says why.",
                      overflow="fold")
    g = Table(title="Totals", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    g.add_column("group", ratio=1, no_wrap=True, overflow="ellipsis", min_width=10)
    for col in ("KPIs", "with value", "points", "score"):
        g.add_column(col, justify="right", no_wrap=True)
    if width >= 100:
        g.add_column("mean ach.", justify="right", no_wrap=True)
    for grp, depth in card.nested_groups():
        row = ["  " * depth + grp.name, str(grp.n_kpis),
               f"{grp.n_with_data} ({100 * grp.completeness:.0f}%)",
               f"{grp.points}/{grp.max_points}",
               "" if grp.score is None else f"{100 * grp.score:.0f}% {'●' * grp.score_points}"]
        if width >= 100:
            row.append("" if grp.mean_achievement is None else
                       f"{100 * grp.mean_achievement:.0f}%")
        g.add_row(*row)
    console.print(g)
    console.print(card.headline().text(), overflow="fold")


@kpi.command(epilog="Example: ssckit kpi scorecard --workspace sample-city --format json")
@format_option("table", "json", "csv")
@click.option("--period", help="Reporting period (YYYY); default: the workspace year.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of the terminal.")
@click.option("--verified-only", is_flag=True,
              help="Count only values a verifier has verified (others show as without value).")
@LANG_OPTION
@with_store
def scorecard(fmt: str, period: str | None, output: Path | None, verified_only: bool, lang: str,
              ws: Workspace, store: Store) -> None:
    """Score every KPI against its target: value, achievement, 1-4 points, totals, completeness.

    Where a KPI has a computed and a manual value, the one settings.kpi.precedence picks is
    used; the 'from' column (JSON/CSV: origin, reason) says which and why."""
    card = workspace_scorecard(ws, store, period, lang=lang, verified_only=verified_only)
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
    from ssckit.kpi.maps import card_maps
    from ssckit.kpi.report import write_html_report

    with i18n.language(lang):
        card = workspace_scorecard(ws, store, period, lang=lang)
        path = write_html_report(card, output or ws.output_dir / "scorecard.html",
                                 card_maps(ws, store, card))
    console.print(f"wrote {path}")
