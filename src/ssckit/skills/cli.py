"""``ssckit skills``: survey estimation for analysts, population skill indicators, IRT, CAT."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
from rich.table import Table

from ssckit.core.cli_support import console, err_console, format_option, with_store
from ssckit.core.csvfile import read_csv_rows
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


def _echo_csv(rows: list[dict[str, object]], fieldnames: list[str] | None = None) -> None:
    """Print dict rows as CSV (header from ``fieldnames`` or the first row; nothing if none)."""
    import csv
    import io

    if not rows and fieldnames is None:
        return
    buf = io.StringIO()
    wr = csv.DictWriter(buf, fieldnames=fieldnames or list(rows[0]), lineterminator="\n")
    wr.writeheader()
    wr.writerows(rows)
    click.echo(buf.getvalue(), nl=False)


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
        _echo_csv(rows)
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
        "DELETE FROM indicator_values WHERE starts_with(indicator, 'skills:') AND NOT "
        "starts_with(indicator, 'skills:campaign:')"))
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


# -- item calibration, CAT simulation study and the terminal test ----------------------------
_MISSING = {"", "na", "nan", ".", "-1"}


def _read_responses(path: Path, count_column: str | None
                    ) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Item names, a respondents x items matrix (NaN = missing) and the pattern counts."""
    rows = read_csv_rows(path, (count_column,) if count_column else (), allow_empty=False)
    header = rows.columns
    ci = header.index(count_column) if count_column else None
    data = np.full((len(rows), len(header)), np.nan)
    for i, row in enumerate(rows):
        for j, column in enumerate(header):
            cell = row[column]
            if cell.lower() in _MISSING:
                continue
            try:
                data[i, j] = float(cell)
            except ValueError:
                raise row.error(column, f"{cell!r} is not a response code (0, 1, 2, ...) or "
                                        "empty") from None
    items = [h for k, h in enumerate(header) if k != ci]
    resp = np.delete(data, ci, axis=1) if ci is not None else data
    counts = data[:, ci] if ci is not None else None
    if counts is not None and (np.any(~np.isfinite(counts)) or np.any(counts < 0)):
        raise InputError(str(path), f"field '{count_column}'", "counts must be numbers >= 0")
    rows_list = list(rows)
    bad = np.isfinite(resp) & ((resp < 0) | (resp != np.round(resp)))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise rows_list[i].error(items[j], f"{resp[i, j]:g} is not a response code "
                                           "(0, 1, 2, ...)")
    return items, resp, counts


def _param_index(model: str, ncat: np.ndarray) -> list[tuple[int, list[int]]]:
    """Positions of each item's slope and intercepts in the calibration's covariance matrix."""
    if model == "1pl":
        return [(0, [1 + j]) for j in range(ncat.size)]
    if model != "grm":
        size = 3 if model == "3pl" else 2
        return [(size * j, [size * j + 1]) for j in range(ncat.size)]
    out: list[tuple[int, list[int]]] = [(0, [])] * ncat.size
    offset = 0
    for kk in sorted(set(int(k) for k in ncat)):
        for j in np.flatnonzero(ncat == kk):
            out[int(j)] = (offset, list(range(offset + 1, offset + kk)))
            offset += kk
    return out


def _difficulty_se(model: str, params: object, cov: np.ndarray | None) -> list[list[float]]:
    """Delta-method SEs of b = -d / a: var(b) = (d/a^2)^2 var(a) + var(d)/a^2 - 2 d/a^3 cov."""
    from ssckit.skills.irt import ItemParams

    assert isinstance(params, ItemParams)
    d = params.d if params.d.ndim == 2 else params.d[:, None]
    out = []
    for j, (ia, ids) in enumerate(_param_index(model, params.n_categories)):
        a = params.a[j]
        ses = []
        for m, idx in enumerate(ids):
            if cov is None:
                ses.append(float("nan"))
                continue
            dj = d[j, m]
            var = ((dj / a**2) ** 2 * cov[ia, ia] + cov[idx, idx] / a**2
                   - 2 * dj / a**3 * cov[ia, idx])
            ses.append(float(np.sqrt(var)) if var > 0 else float("nan"))
        out.append(ses)
    return out


def _num(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


@skills.command(epilog="Example: ssckit skills calibrate lsat7.csv --model 2pl "
                       "--count-column count")
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", type=click.Choice(["1pl", "2pl", "3pl", "grm"]), default="2pl",
              show_default=True, help="Response model (grm: ordered categories 0..K-1).")
@click.option("--count-column", help="Column holding how many respondents gave each row's "
              "pattern (rows are then response patterns).")
@format_option("table", "json")
def calibrate(responses: Path, model: str, count_column: str | None, fmt: str) -> None:
    """Calibrate items by marginal maximum likelihood (Bock-Aitkin EM): slope-intercept
    (a, d) and IRT (a, b = -d/a) parameters with standard errors, and the log-likelihood.

    RESPONSES is a CSV with one column per item (0/1, or 0..K-1 for grm; empty or NA =
    not answered) and one row per respondent, or per pattern with --count-column."""
    from ssckit.skills.irt import calibrate as irt_calibrate

    items, resp, counts = _read_responses(responses, count_column)
    cal = irt_calibrate(resp, model, counts=counts)
    p, se = cal.params, cal.se
    b_se = _difficulty_se(model, p, cal.cov)
    d = p.d if p.d.ndim == 2 else p.d[:, None]
    sd = se.d if se.d.ndim == 2 else se.d[:, None]
    rows = []
    for j, name in enumerate(items):
        k = len(b_se[j])
        row: dict[str, object] = {"item": name, "a": _num(p.a[j]), "se_a": _num(se.a[j])}
        if model == "grm":
            row.update(d=[_num(x) for x in d[j, :k]], se_d=[_num(x) for x in sd[j, :k]],
                       b=[_num(-x / p.a[j]) for x in d[j, :k]], se_b=[_num(x) for x in b_se[j]])
        else:
            row.update(d=_num(d[j, 0]), se_d=_num(sd[j, 0]), b=_num(-d[j, 0] / p.a[j]),
                       se_b=_num(b_se[j][0]))
        if model == "3pl":
            row.update(g=_num(p.g[j]), se_g=_num(se.g[j]))
        rows.append(row)
    summary = {"model": model, "file": responses.name, "n_respondents": cal.n_respondents,
               "n_items": len(items), "loglik": round(cal.loglik, 4), "n_iter": cal.n_iter,
               "converged": cal.converged, "items": rows}
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return

    def pair(v: object, s: object) -> str:
        if isinstance(v, list):
            return "; ".join(pair(x, y) for x, y in zip(v, s, strict=True))  # type: ignore[arg-type]
        return "–" if v is None else f"{v:.4f}" + ("" if s is None else f" ({s:.4f})")

    t = Table(title=f"{model.upper()} item parameters of {responses.name} (SE in brackets)")
    t.add_column("item")
    for col in ("a", "d", "b = -d/a") + (("g",) if model == "3pl" else ()):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(str(r["item"]), pair(r["a"], r["se_a"]), pair(r["d"], r["se_d"]),
                  pair(r["b"], r["se_b"]), *((pair(r["g"], r["se_g"]),) if model == "3pl"
                                             else ()))
    console.print(t)
    console.print(f"log-likelihood {cal.loglik:.3f} · {cal.n_respondents:g} respondents · "
                  f"{cal.n_iter} EM cycles · {'converged' if cal.converged else 'NOT converged'}")


@skills.command(epilog="Example: ssckit skills simulate --examinees 1000 --max-items 15 "
                       "--se-target 0.3 --seed 1")
@click.option("--examinees", type=click.IntRange(1, 1_000_000), default=500, show_default=True,
              help="Number of simulated people, trait drawn from N(0, 1).")
@click.option("--max-items", type=click.IntRange(1, 200), default=15, show_default=True,
              help="Longest test [questions].")
@click.option("--se-target", type=click.FloatRange(0, 5), default=0.3, show_default=True,
              help="Stop when the standard error is at or below this [SD of theta].")
@click.option("--seed", type=int, default=0, show_default=True)
@format_option("table", "json")
def simulate(examinees: int, max_items: int, se_target: float, seed: int, fmt: str) -> None:
    """Simulation study of the adaptive test on the starter item bank: bias, RMSE, mean test
    length, stop reasons and item exposure (simulated people answer by the bank's own
    provisional IRT parameters)."""
    from dataclasses import replace

    from ssckit.skills.cat import simulate_cat
    from ssckit.skills.results import TEST_CONFIG, question_bank

    tb = question_bank()
    cfg = replace(TEST_CONFIG, max_items=max_items, min_items=min(TEST_CONFIG.min_items,
                                                                    max_items),
                  se_target=se_target)
    res = simulate_cat(tb.cat, cfg, examinees, seed=seed)
    order = np.argsort(-res.exposure)
    summary = {
        "examinees": examinees, "bank_items": tb.cat.n_items, "max_items": max_items,
        "se_target": se_target, "bias": round(res.bias, 4), "rmse": round(res.rmse, 4),
        "mean_length": round(res.mean_length, 3), "mean_se": round(float(res.se.mean()), 4),
        "max_exposure": round(res.max_exposure, 4), "share_unused": round(res.share_unused, 4),
        "stop_reasons": res.stop_reasons,
        "mean_items_per_area": [round(float(x), 3) for x in res.area_counts.mean(axis=0)],
        "exposure": {tb.items[j].id: round(float(res.exposure[j]), 4) for j in order},
    }
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    t = Table(title=f"Adaptive test, {examinees} simulated people, {tb.cat.n_items} items")
    t.add_column("measure")
    t.add_column("value", justify="right")
    for label, key in (("bias of theta", "bias"), ("RMSE of theta", "rmse"),
                       ("mean test length", "mean_length"), ("mean final SE", "mean_se"),
                       ("largest item exposure", "max_exposure"),
                       ("share of items never used", "share_unused")):
        t.add_row(label, f"{summary[key]:g}")
    t.add_row("stop reasons", ", ".join(f"{k}: {v}" for k, v in sorted(res.stop_reasons.items())))
    t.add_row("mean questions per area",
              " / ".join(f"{x:g}" for x in summary["mean_items_per_area"]))  # type: ignore[union-attr]
    console.print(t)
    top = Table(title="Most exposed items")
    top.add_column("item")
    top.add_column("exposure", justify="right")
    for j in order[:10]:
        top.add_row(tb.items[j].id, f"{res.exposure[j]:.1%}")
    console.print(top)


_TERMINAL = {
    "intro": {"en": "Digital skills test: up to {n} questions. Type the number of your answer "
                    "and press Enter. Nothing is stored.",
              "ru": "Тест цифровых навыков: до {n} вопросов. Введите номер ответа и нажмите "
                    "Enter. Ничего не сохраняется."},
    "question": {"en": "Question {i}", "ru": "Вопрос {i}"},
    "answer": {"en": "Your answer", "ru": "Ваш ответ"},
    "overall": {"en": "Your overall level", "ru": "Ваш общий уровень"},
    "areas": {"en": "Level per area", "ru": "Уровень по областям"},
    "area": {"en": "area", "ru": "область"},
    "answers": {"en": "answers", "ru": "ответов"},
    "next": {"en": "What to learn next ({area}):", "ru": "Что изучить дальше ({area}):"},
}


@skills.command("test", epilog="Example: ssckit skills test --lang ru")
@click.option("--lang", type=click.Choice(["en", "ru"]), default="en", show_default=True,
              help="Language of the questions.")
@click.option("--seed", type=int, help="Seed of the question draw (default: random).")
@click.option("--max-items", type=click.IntRange(5, 50), default=15, show_default=True,
              help="Longest test [questions].")
def take_test(lang: str, seed: int | None, max_items: int) -> None:
    """Take the adaptive digital-skills test in the terminal: one question at a time, then
    your level overall and per DigComp area, and what to learn next."""
    import secrets
    from dataclasses import replace

    from rich.markup import escape

    from ssckit.skills import cat
    from ssckit.skills.results import (
        TEST_CONFIG,
        WORDS,
        area_name,
        choices,
        competence_name,
        group_name,
        option_order,
        question_bank,
        response_code,
        score_test,
    )

    def tr(key: str, **kw: object) -> str:
        return _TERMINAL[key][lang].format(**kw)

    tb = question_bank()
    cfg = replace(TEST_CONFIG, max_items=max_items)
    state = cat.start_test(tb.cat, cfg, secrets.randbelow(2**31) if seed is None else seed)
    click.echo(tr("intro", n=max_items))
    while True:
        state, index = cat.next_item(tb.cat, state)
        if index is None:
            break
        item = tb.item(index)
        order = option_order(item, state.seed)  # shuffled per test and question
        opts = choices(item, lang, order)
        click.echo("")
        click.echo(f"{tr('question', i=len(state.items) + 1)} · {area_name(item.area, lang)}")
        click.echo(item.stem.get(lang))
        for k, (_, label) in enumerate(opts, 1):
            click.echo(f"  {k}) {label}")
        pick = click.prompt(tr("answer"), type=click.IntRange(1, len(opts)))
        state = cat.answer(tb.cat, state, response_code(item, opts[pick - 1][0]),
                           shown=",".join(order))
    res = score_test(tb, state)
    click.echo("")
    # level words, as on the public result page; the scale score is for analysts only
    console.print(f"[bold]{tr('overall')}: {escape(group_name(res.group, lang))}, "
                  f"{WORDS['level'][lang]} {res.level}[/]")
    t = Table(title=tr("areas"))
    for col in (tr("area"), WORDS["level"][lang], tr("answers")):
        t.add_column(col.capitalize())
    for a in res.areas:
        note = f" ({WORDS['uncertain'][lang]})" if a.uncertain else ""
        t.add_row(area_name(a.area, lang), f"{group_name(a.group, lang)}, {a.level}{note}",
                  str(a.n))
    console.print(t)
    console.print(tr("next", area=area_name(res.weakest_area, lang)))
    for comp in res.advice:
        console.print(f"  • {comp} {escape(competence_name(comp, lang))}")


@skills.command("lint-bank", epilog="Example: ssckit skills lint-bank  (the packaged bank), or "
                "ssckit skills lint-bank my-bank.yaml")
@click.argument("bank", required=False, type=click.Path(dir_okay=False, path_type=Path))
def lint_bank_command(bank: Path | None) -> None:
    """Check an item bank for cues a test taker could use: key positions, the key as the
    longest option, duplicate stems, reading load (one line per finding; exit 1 if any)."""
    from ssckit.skills.banklint import main as banklint_main

    code = banklint_main([str(bank)] if bank is not None else [])
    if code:
        raise SystemExit(code)


# -- assessment campaigns ---------------------------------------------------------------------
def _date(value: str, option: str) -> object:
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(option, None, f"{value!r} is not a date YYYY-MM-DD") from None


def _floats(text: str, option: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise InputError(option, None, f"{text!r}: give numbers separated by commas") from None


def _campaign_store(store: Store) -> Store:
    from ssckit.skills.results import migrate

    migrate(store)
    return store


@skills.group(epilog="Example: ssckit skills campaign create teachers-pre --name 'Teachers, "
                     "before the course' --group 'Teachers of the region' --opens 2026-09-01 "
                     "--closes 2026-09-30")
def campaign() -> None:
    """Assessment campaigns for groups: codes for participants, proctored sessions, results by
    group and before/after reports (non-probability samples, kept apart from the survey)."""


@campaign.command("create", epilog="Example: ssckit skills campaign create teachers-post "
                  "--name 'Teachers, after the course' --group 'Teachers of the region' "
                  "--pre teachers-pre --opens 2026-11-01 --closes 2026-11-30 --proctored")
@click.argument("campaign_id")
@click.option("--name", required=True, help="Title participants and reports show.")
@click.option("--group", "group_", default="", help="Who is assessed, e.g. 'Library "
              "programme, pensioners'.")
@click.option("--langs", default="en,ru", show_default=True, help="Languages offered "
              "(en, ru, be), comma-separated.")
@click.option("--max-items", type=int, default=15, show_default=True,
              help="Longest test [questions], 5-50.")
@click.option("--area-shares", default="0.2,0.2,0.2,0.2,0.2", show_default=True,
              help="Share of the questions per DigComp area 1-5 (sum 1).")
@click.option("--max-tasks", type=int, default=None,
              help="Most performance tasks per participant, 0-6 (each takes minutes); the "
              "adaptive test gives one where it tells more than the next question.  "
              "[default: 0, or from --performance-share]")
@click.option("--performance-share", type=float, default=0.0, show_default=True,
              help="Older form of --max-tasks: round(share x max-items) tasks at most, "
              "share 0-0.5.")
@click.option("--opens", required=True, help="First day participants can take the test "
              "(YYYY-MM-DD).")
@click.option("--closes", required=True, help="Last day (YYYY-MM-DD).")
@click.option("--proctored", is_flag=True, help="Tests start only while a proctor has a "
              "session open (web: /skills/campaigns/ID/proctor).")
@click.option("--pre", "pre_id", help="The pre-training campaign this one follows: the same "
              "codes, the report shows the change.")
@with_store
def campaign_create(campaign_id: str, name: str, group_: str, langs: str, max_items: int,
                    area_shares: str, max_tasks: int | None, performance_share: float,
                    opens: str, closes: str,
                    proctored: bool, pre_id: str | None, ws: Workspace, store: Store) -> None:
    """Create a campaign (its id: lower-case letters, digits and '-')."""
    from ssckit.skills import campaign as cp

    del ws
    _campaign_store(store)
    pre = cp.load_campaign(store, pre_id) if pre_id else None
    mix = cp.ItemMix(max_items, _floats(area_shares, "--area-shares"),
                     {"knowledge": 1.0 - performance_share, "performance": performance_share},
                     max_tasks)
    c = cp.new_campaign(campaign_id, name, group_, tuple(langs.split(",")), mix,
                        _date(opens, "--opens"), _date(closes, "--closes"),  # type: ignore[arg-type]
                        proctored, pre, "command line")
    cp.save_campaign(store, c)
    console.print(f"created campaign {c.campaign_id} ({c.opens} – {c.closes}"
                  + (f", after {c.pre_id}" if c.pre_id else "") + "); next: ssckit skills "
                  f"campaign codes {c.campaign_id} --count N")


@campaign.command("codes", epilog="Example: ssckit skills campaign codes teachers-pre "
                  "--attributes people.csv --base-url https://skills.city.example > codes.csv")
@click.argument("campaign_id")
@click.option("--count", type=click.IntRange(0, 100_000), default=0,
              help="New codes to add without attributes.")
@click.option("--attributes", "attributes_path", type=click.Path(dir_okay=False,
              path_type=Path), help="CSV with one row per new participant and any of the "
              "columns age_group, sex, region, disability (values may be empty).")
@click.option("--base-url", default="", help="Address of the ssckit server, to print each "
              "participant's link.")
@format_option("csv", "table", default="csv")
@with_store
def campaign_codes(campaign_id: str, count: int, attributes_path: Path | None, base_url: str,
                   fmt: str, ws: Workspace, store: Store) -> None:
    """Add participant codes (no personal data) and list all codes of the campaign's cohort
    with their attributes and links. A post campaign lists its pre campaign's codes."""
    from ssckit.skills import campaign as cp

    del ws
    c = cp.load_campaign(_campaign_store(store), campaign_id)
    new: list[dict[str, str]] = [{} for _ in range(count)]
    if attributes_path is not None:
        rows = read_csv_rows(attributes_path, (), tuple(cp.ATTRIBUTES), strict=True)
        for row in rows:
            new.append(cp.check_attributes({k: row[k] for k in rows.columns},
                                           str(attributes_path), f"line {row.line}"))
    if new and c.pre_id:
        raise InputError("--count", None, f"{c.campaign_id} follows {c.pre_id} and uses its "
                         f"codes; add codes to {c.pre_id}")
    cp.add_participants(store, c, new)
    people = cp.participants(store, c)
    base = base_url.rstrip("/")
    rows_out = [{**p, "link": f"{base}/skills/join/{c.campaign_id}?code={p['code']}"}
                for p in people]
    if fmt == "csv":
        _echo_csv(rows_out, ["code", *cp.ATTRIBUTES, "link"])  # type: ignore[arg-type]
        return
    t = Table(title=f"Codes of {c.campaign_id} ({len(people)})")
    for col in ("code", *cp.ATTRIBUTES, "link"):
        t.add_column(col)
    for r in rows_out:
        t.add_row(*(r[k] for k in ("code", *cp.ATTRIBUTES, "link")))
    console.print(t)


@campaign.command("status", epilog="Example: ssckit skills campaign status teachers-pre")
@click.argument("campaign_id", required=False)
@format_option("table", "json")
@with_store
def campaign_status(campaign_id: str | None, fmt: str, ws: Workspace, store: Store) -> None:
    """Progress of one campaign (codes, started, finished, sessions), or of all."""
    from ssckit.skills import campaign as cp

    del ws
    _campaign_store(store)
    chosen = [cp.load_campaign(store, campaign_id)] if campaign_id else cp.list_campaigns(store)
    out = [{"id": c.campaign_id, "name": c.name, "group": c.group, "pre": c.pre_id,
            "opens": str(c.opens), "closes": str(c.closes), "proctored": c.proctored,
            **cp.progress(store, c),
            "sessions": [{k: (str(v) if k.endswith("_at") and v else v) for k, v in s.items()}
                         for s in cp.sessions(store, c)]} for c in chosen]
    if fmt == "json":
        click.echo(json.dumps(out, indent=2))
        return
    t = Table(title="Assessment campaigns")
    for col in ("id", "name", "dates", "codes", "started", "finished", "open sessions"):
        t.add_column(col, justify="right" if col in ("codes", "started", "finished") else "left")
    for r in out:
        t.add_row(r["id"], r["name"], f"{r['opens']} – {r['closes']}", str(r["codes"]),
                  str(r["started"]), str(r["finished"]),
                  ", ".join(s["label"] for s in r["sessions"] if not s["closed_at"]) or "–")
    console.print(t)


@campaign.command("report", epilog="Example: ssckit skills campaign report teachers-post "
                  "--format csv > change.csv")
@click.argument("campaign_id")
@click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Confidence level of the intervals.")
@format_option("table", "json", "csv")
@with_store
def campaign_report_command(campaign_id: str, level: float, fmt: str, ws: Workspace,
                            store: Store) -> None:
    """Results by group (mean score, share at intermediate level or above, with intervals)
    and, for a post campaign, the paired change per DigComp area since the pre campaign
    (interval, Cohen's d_z, share who moved up a level). Stores them as indicator values of
    entity campaign:ID, marked as a non-probability sample. CSV: the before/after table."""
    from ssckit.skills import campaign as cp

    del ws
    c = cp.load_campaign(_campaign_store(store), campaign_id)
    rep = cp.campaign_report(store, c, level)
    n = cp.store_indicator_values(store, rep)
    if fmt == "json":
        click.echo(json.dumps(rep.to_dict(), indent=2, default=str))
        return
    if fmt == "csv":
        _echo_csv(cp.change_rows(rep) if rep.change else [
            {"campaign": c.campaign_id, **g.__dict__} for g in rep.groups])
        return
    pct = int(round(100 * level))
    p = rep.progress
    console.print(f"[bold]{c.name}[/] ({c.campaign_id}) · {p['finished']} of {p['codes']} "
                  f"finished, {p['in_progress']} in progress · non-probability sample"
                  + (" · SIMULATED participants" if rep.simulated else ""))
    t = Table(title=f"Results by group ({pct} % intervals)")
    for col in ("variable", "group", "n", "mean θ", "interval", "level 3+ %", "interval"):
        t.add_column(col, justify="left" if col in ("variable", "group") else "right")
    for g in rep.groups:
        if g.suppressed:
            t.add_row(g.variable, g.group, f"<{res_min_cell()}", "–", "–", "–", "–")
            continue
        t.add_row(g.variable, g.group, str(g.n), f"{g.mean_theta:.2f}",
                  f"{g.mean_low:.2f} – {g.mean_high:.2f}", f"{g.share_intermediate:.1f}",
                  f"{g.share_low:.1f} – {g.share_high:.1f}")
    console.print(t)
    if rep.change:
        t = Table(title=f"Change since {c.pre_id} (paired, {pct} % intervals)")
        for col in ("score", "n", "before", "after", "change", "interval", "d_z",
                    "moved up %", "moved down %"):
            t.add_column(col, justify="left" if col == "score" else "right")
        for ch in rep.change:
            if ch.mean_change is None:
                t.add_row(ch.score, str(ch.n), *["–"] * 7)
                continue
            t.add_row(ch.score, str(ch.n), f"{ch.mean_before:.2f}", f"{ch.mean_after:.2f}",
                      f"{ch.mean_change:+.2f}", f"{ch.ci_low:+.2f} – {ch.ci_high:+.2f}",
                      "–" if ch.d_z is None else f"{ch.d_z:.2f}", f"{ch.moved_up:.1f}",
                      f"{ch.moved_down:.1f}")
        console.print(t)
    console.print(f"stored {n} indicator values (entity campaign:{c.campaign_id})")


def res_min_cell() -> int:
    from ssckit.skills.results import MIN_CELL

    return MIN_CELL


@campaign.command("simulate", epilog="Example: ssckit skills campaign simulate teachers-post "
                  "--seed 7 --shift 0.3,0.5,0.4,0.6,0.2")
@click.argument("campaign_id")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the simulated people: the same seed gives each code the same "
                   "person in the pre and the post campaign.")
@click.option("--shift", default="0,0,0,0,0", show_default=True,
              help="Planted improvement per DigComp area 1-5 [SD of theta] (0 for a pre "
                   "campaign).")
@click.option("--lang", type=click.Choice(["en", "ru", "be"]), default="en", show_default=True)
@with_store
def campaign_simulate(campaign_id: str, seed: int, shift: str, lang: str, ws: Workspace,
                      store: Store) -> None:
    """Let simulated people take the test for every code without an attempt (answers drawn
    from the bank's 2PL parameters); marked as simulated in the store and the report."""
    from ssckit.skills import campaign as cp

    del ws
    c = cp.load_campaign(_campaign_store(store), campaign_id)
    planted = _floats(shift, "--shift")
    if len(planted) != 5:
        raise InputError("--shift", None, "give 5 numbers, one per DigComp area")
    n = cp.simulate_campaign(store, c, seed, planted, lang)
    console.print(f"{n} simulated attempts added to {c.campaign_id}")


# -- differential item functioning ------------------------------------------------------------
#: Columns of a response file that describe the person, not an item.
_PERSON_COLUMNS = ("id", "test_id", "code", "lang", "sex", "age_group", "district", "region",
                   "education", "disability", "weight", "theta_stratum")


@skills.command("responses", epilog="Example: ssckit skills responses -w sample-city > "
                "responses.csv; ssckit skills dif responses.csv --group lang --reference en "
                "--match theta_stratum")
@with_store
def responses_command(ws: Workspace, store: Store) -> None:
    """Export the answers of every finished adaptive test (public and campaign) as CSV for
    ssckit skills dif: one row per test with its language, the attributes given, the stratum
    of its trait estimate (0.5 SD wide) and one 0/1 column per bank item (empty: not shown)."""
    import csv
    import io

    from ssckit.skills.results import export_responses, migrate

    del ws
    migrate(store)
    header, rows = export_responses(store)
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(header)
    wr.writerows(rows)
    click.echo(buf.getvalue(), nl=False)


@skills.command("dif", epilog="Example: ssckit skills dif responses.csv --group lang "
                "--reference en --focal ru")
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--group", "group_col", required=True, help="Column of the group (lang, "
              "age_group, sex, ...).")
@click.option("--reference", required=True, help="Value of the reference group.")
@click.option("--focal", help="Value of the focal group (default: each other value in turn).")
@click.option("--match", "match_col", help="Column to match people on (e.g. strata of θ for "
              "an adaptive test); default: the total score over the item columns.")
@click.option("--level", type=click.FloatRange(0.001, 0.2), default=0.05, show_default=True,
              help="Significance level of the ETS classification.")
@click.option("--min-n", type=click.IntRange(0, 100_000), default=100, show_default=True,
              help="Fewest answers per group for an item to be classified (else class '-').")
@format_option("table", "json", "csv")
def dif_command(responses: Path, group_col: str, reference: str, focal: str | None,
                match_col: str | None, level: float, min_n: int, fmt: str) -> None:
    """Differential item functioning by the Mantel-Haenszel procedure with the ETS A/B/C
    classes. RESPONSES: one row per person, one 0/1 column per item (empty = not presented),
    the group column and optionally the matching column; the person columns id, code, lang,
    sex, age_group, district, region, education, disability and weight are not items. Exit 1
    if an item is in class C."""
    from ssckit.skills.dif import dif_mantel_haenszel

    rows = read_csv_rows(responses, (group_col,) + ((match_col,) if match_col else ()),
                         allow_empty=False)
    items = [c for c in rows.columns if c not in (group_col, match_col, *_PERSON_COLUMNS)]
    x = np.full((len(rows), len(items)), np.nan)
    groups, match = [], []
    for i, row in enumerate(rows):
        groups.append(row[group_col].strip())
        if match_col:
            match.append(row[match_col].strip())
        for j, item in enumerate(items):
            cell = row[item].strip()
            if cell.lower() in _MISSING:
                continue
            if cell not in ("0", "1"):
                raise row.error(item, f"{cell!r} is not 0, 1 or empty")
            x[i, j] = float(cell)
    g = np.array(groups, dtype=object)
    values = sorted(set(groups) - {"", reference})
    if reference not in groups:
        raise InputError(str(responses), f"field '{group_col}'", f"no row has {reference!r}; "
                         f"values: {', '.join(sorted(set(groups)))}")
    focals = [focal] if focal else values
    if focal and focal not in groups:
        raise InputError(str(responses), f"field '{group_col}'", f"no row has {focal!r}; "
                         f"values: {', '.join(sorted(set(groups)))}")
    out = []
    for f in focals:
        sel = (g == reference) | (g == f)
        m = np.array(match, dtype=object)[sel] if match_col else None
        for r in dif_mantel_haenszel(x[sel], g[sel] == f, items, m, level, min_n):
            out.append({"group": group_col, "reference": reference, "focal": f,
                        **{k: (round(v, 4) if isinstance(v, float) and np.isfinite(v) else v)
                           for k, v in r.to_dict().items()}})
    if fmt == "json":
        click.echo(json.dumps(out, indent=2))
    elif fmt == "csv":
        _echo_csv(out)
    else:
        t = Table(title=f"Mantel-Haenszel DIF by {group_col} (reference {reference})")
        for col in ("focal", "item", "n ref", "n focal", "alpha MH", "MH D-DIF", "SE",
                    "p", "ETS class"):
            t.add_column(col, justify="left" if col in ("focal", "item") else "right")
        for r in out:
            t.add_row(r["focal"], r["item"], str(r["n_reference"]), str(r["n_focal"]),
                      f"{r['alpha']:.3f}", f"{r['d_dif']:+.2f}", f"{r['se_d']:.2f}",
                      f"{r['p']:.3g}", r["ets_class"])
        console.print(t)
        flagged = [r for r in out if r["ets_class"] in ("B", "C")]
        console.print(f"{len(flagged)} item(s) in class B or C: "
                      + (", ".join(f"{r['item']} ({r['ets_class']}, {r['focal']})"
                                   for r in flagged) or "none"))
    if any(r["ets_class"] == "C" for r in out):
        raise SystemExit(1)


# -- practical (performance) tasks ------------------------------------------------------------
@skills.command("calibrate-tasks", epilog="Example: ssckit skills calibrate-tasks "
                "task_scores.csv --format json")
@click.argument("scores", type=click.Path(dir_okay=False, path_type=Path))
@format_option("table", "json")
def calibrate_tasks(scores: Path, fmt: str) -> None:
    """Calibrate the practical tasks' generalized partial credit model (Muraki 1992) by marginal
    maximum likelihood (EM), replacing the provisional parameters of the task files.

    SCORES is a CSV with one column per task id (score 0..max, empty = not taken) and one row
    per person. Copy each task's fitted ``a`` and ``b`` into its ``gpcm`` field."""
    from ssckit.skills import tasks as perf
    from ssckit.skills.gpcm import calibrate_gpcm

    names, resp, _ = _read_responses(scores, None)
    bank = perf.task_bank()
    for name in names:
        if name not in bank:
            raise InputError(str(scores), f"column {name!r}", "is not a task id; the tasks are "
                             + ", ".join(bank))
    maxes = [bank[n].max_score for n in names]
    for j, (name, m) in enumerate(zip(names, maxes, strict=True)):
        over = np.isfinite(resp[:, j]) & (resp[:, j] > m)
        if over.any():
            raise InputError(str(scores), f"line {int(np.argmax(over)) + 2}, field '{name}'",
                             f"{resp[over, j][0]:g} is outside 0..{m} (the task's points)")
    fit = calibrate_gpcm(resp, maxes)
    rows = [{"task": n, "area": bank[n].area, "max_score": m, "a": round(it.a, 4),
             "b": [round(x, 4) for x in it.b],
             "provisional_a": bank[n].gpcm.a, "provisional_b": list(bank[n].gpcm.b)}
            for n, m, it in zip(names, maxes, fit.items, strict=True)]
    summary = {"model": "gpcm", "file": scores.name, "n_people": int(resp.shape[0]),
               "loglik": round(fit.loglik, 4), "em_cycles": fit.cycles,
               "converged": fit.converged, "tasks": rows}
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    t = Table(title=f"GPCM parameters of the practical tasks from {scores.name}")
    for col in ("task", "area", "a", "b (steps)", "provisional a", "provisional b"):
        t.add_column(col, justify="left" if col == "task" else "right")
    for r in rows:
        t.add_row(str(r["task"]), str(r["area"]), f"{r['a']:.3f}",
                  ", ".join(f"{x:.3f}" for x in r["b"]), f"{r['provisional_a']:.2f}",
                  ", ".join(f"{x:.2f}" for x in r["provisional_b"]))
    console.print(t)
    console.print(f"log-likelihood {fit.loglik:.3f} · {resp.shape[0]} people · {fit.cycles} EM "
                  f"cycles · {'converged' if fit.converged else 'NOT converged'}")
