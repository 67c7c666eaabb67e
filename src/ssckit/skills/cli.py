"""``ssckit skills``: survey estimation for analysts, population skill indicators, IRT, CAT."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
from rich.table import Table

from ssckit.core.cli_support import console, err_console, format_option, with_store
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


@click.group(epilog="Example: ssckit skills estimate survey.csv --y can_copy --stat prop "
                    "--weight w --strata stratum --psu psu --by sex,age_group")
def skills() -> None:
    """Digital-skills assessment: adaptive tests for people, survey statistics for groups."""


@skills.command(epilog="Example: ssckit skills estimate survey.csv --y read_news --stat prop "
                       "--weight weight --strata stratum --psu psu --by sex")
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--y", "y_col", required=True, help="Variable to estimate.")
@click.option("--y-equals", help="Estimate the indicator y == VALUE (e.g. --y-equals 1 for "
              "'answered yes'); rows with no value of y are left out.")
@click.option("--stat", type=click.Choice(["mean", "prop", "total"]), default="mean",
              show_default=True)
@click.option("--weight", help="Weight column (default: every row weighs 1).")
@click.option("--strata", help="Stratum column.")
@click.option("--psu", help="First-stage PSU column.")
@click.option("--fpc", help="FPC column: stratum population of PSUs, or sampling fraction.")
@click.option("--by", "by", help="Group columns, comma-separated, e.g. sex,age_group.")
@click.option("--repweights", help="Prefix of the replicate-weight columns.")
@click.option("--rep-method", type=click.Choice(["jk1", "jkn", "brr", "fay", "bootstrap"]))
@click.option("--rho", type=float, help="Fay's rho (with --rep-method fay).")
@click.option("--lonely-psu", type=click.Choice(["fail", "remove", "certainty", "adjust",
                                                 "average"]), default="fail", show_default=True)
@click.option("--level", type=float, default=0.95, show_default=True)
@format_option("table", "json", "csv")
def estimate(data: Path, y_col: str, y_equals: str | None, stat: str, weight: str | None,
             strata: str | None,
             psu: str | None, fpc: str | None, by: str | None, repweights: str | None,
             rep_method: str | None, rho: float | None, lonely_psu: str, level: float,
             fmt: str) -> None:
    """Design-based estimate of a mean, proportion or total, overall or per domain, with SE,
    confidence interval (logit for proportions), design effect and n."""
    from ssckit.skills.population import _column, _group_labels, read_microdata
    from ssckit.skills.survey import Design, ReplicateDesign
    from ssckit.skills.survey import estimate as svy_estimate

    cols = read_microdata(data)
    n = len(next(iter(cols.values())))
    w = _column(cols, weight, data, "weight").astype(float) if weight else np.ones(n)
    raw = cols[y_col] if y_col in cols else _column(cols, y_col, data, "--y")
    missing = np.ma.getmaskarray(raw) if isinstance(raw, np.ma.MaskedArray) else np.zeros(
        len(raw), bool)
    y = np.asarray(np.ma.getdata(raw))
    if y_equals is not None:
        y = (y.astype(str) == y_equals).astype(float)
    elif y.dtype == bool:
        y = y.astype(float)
    elif y.dtype.kind not in "fiu":
        raise InputError(str(data), f"column '{y_col}'", "not numeric; use --y-equals VALUE "
                         "to estimate the share of one answer")
    keep = ~missing & np.isfinite(y.astype(float))
    if not keep.all():
        err_console.print(f"[yellow]note:[/] {int((~keep).sum())} row(s) with no value of "
                          f"{y_col} left out (item non-response)")
    if repweights:
        if not rep_method:
            raise InputError("--rep-method", None, "required with --repweights")
        rep_cols = [c for c in cols if c.startswith(repweights)]
        if not rep_cols:
            raise InputError(str(data), f"columns '{repweights}*'", "no replicate-weight columns")
        reps = np.column_stack([cols[c].astype(float) for c in rep_cols])[keep]
        method = {"jk1": "JK1", "jkn": "JKn", "brr": "BRR", "fay": "Fay",
                  "bootstrap": "bootstrap"}[rep_method]
        design = ReplicateDesign(w[keep], reps, method, rho=rho)
    else:
        design = Design(
            w[keep],
            strata=_column(cols, strata, data, "strata")[keep] if strata else None,
            psu=_column(cols, psu, data, "psu")[keep] if psu else None,
            fpc=_column(cols, fpc, data, "fpc").astype(float)[keep] if fpc else None,
            lonely_psu=lonely_psu)
    groups = ({g: _group_labels(_column(cols, g, data, "--by"))[keep]
               for g in by.split(",")} if by else None)
    tab = svy_estimate(design, y[keep].astype(float), stat, groups, level)
    rows = tab.rows()
    if fmt == "json":
        click.echo(json.dumps({"y": y_col, "stat": stat, "rows": rows}, indent=2))
        return
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        wr = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        wr.writeheader()
        wr.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
        return
    t = Table(title=f"{stat} of {y_col} ({tab.method}, {int(100 * level)} % CI)")
    for g in tab.group_names:
        t.add_column(g)
    for col in ("estimate", "SE", "CI", "deff", "n"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(*[str(r[g]) for g in tab.group_names], f"{r['estimate']:.6g}",
                  f"{r['se']:.4g}", f"{r['ci_low']:.4g} – {r['ci_high']:.4g}",
                  f"{r['deff']:.3g}", str(r["n"]))
    console.print(t)


@skills.command(epilog="Example: ssckit skills survey skills_survey.csv --design "
                       "skills_design.yaml -w sample-city")
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--design", "design_path", type=click.Path(dir_okay=False, path_type=Path),
              help="design.yaml (default: inputs.skills.design of city.yaml).")
@with_store
def survey(data: Path | None, design_path: Path | None, ws: Workspace, store: Store) -> None:
    """ITU ICT-skill indicators (SDG 4.4.1) from survey microdata: each activity, each area at
    basic or above, overall basic or above — overall and by every group, with CIs — stored in
    the workspace (replacing the previous survey's values)."""
    from ssckit.skills.population import skills_indicators

    data = data or ws.input_path("skills", "survey")
    design_path = design_path or ws.input_path("skills", "design")
    if data is None or design_path is None:
        raise InputError(str(ws.path("city.yaml")), "field 'inputs.skills'",
                         "give DATA and --design, or inputs.skills.survey/design in city.yaml")
    res = skills_indicators(data, design_path, str(ws.config.year),
                            "D" if ws.config.synthetic else "C")
    n = store.write_values(res.values, replace=lambda cur: cur.execute(
        "DELETE FROM indicator_values WHERE starts_with(indicator, 'skills:')"))
    overall = [v for v in res.values if v.indicator == "skills:overall_basic_or_above"]
    t = Table(title="Share of people with at least basic overall ICT skills")
    for col in ("group", "value", "share", "95 % CI", "n"):
        t.add_column(col, justify="left" if col in ("group", "value") else "right")
    for v in overall:
        (g, val), = v.breakdown.items() if v.breakdown else (("all", ""),)
        t.add_row(g, val, f"{v.value:.1f} %", f"{v.source['ci_low']:.1f}–{v.source['ci_high']:.1f}",
                  str(v.source["n"]))
    console.print(t)
    console.print(f"stored {n} indicator values")
