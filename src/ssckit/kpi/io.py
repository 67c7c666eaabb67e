"""Reading manual KPI values from CSV, and writing scorecards as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from ssckit.core.csvfile import read_csv_rows
from ssckit.core.errors import InputError
from ssckit.core.indicators import QUALITY_GRADES, IndicatorValue
from ssckit.kpi.catalogue import Catalogue
from ssckit.kpi.scorecard import Scorecard

REQUIRED_COLUMNS = ("code", "value", "unit", "source")
OPTIONAL_COLUMNS = ("period", "entity", "quality", "notes")
PERIOD_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_UNIT_ALIASES = {"percent": "%", "pct": "%", "per cent": "%", "yes/no": "yes/no"}
MAX_REPORTED_PROBLEMS = 10


def normalise_unit(unit: str) -> str:
    """Unit text compared case- and space-insensitively, with a few common spellings of '%'."""
    u = " ".join(unit.strip().lower().split())
    return _UNIT_ALIASES.get(u, u)


def read_values_csv(
    path: str | Path, catalogue: Catalogue, default_period: str
) -> list[IndicatorValue]:
    """Parse and validate a CSV of manual KPI values; raise :class:`InputError` on any problem.

    Columns: ``code, value, unit, source`` (required) and ``period`` (``YYYY[-MM[-DD]]``, default
    the workspace year), ``entity`` (default ``city``), ``quality`` (A-D, default A), ``notes``.
    Every row is checked before anything is returned, and every problem found is reported (up to
    ten), each with its line and field.
    """
    path = Path(path)
    rows = read_csv_rows(path, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, strict=True)
    problems: list[tuple[str, str]] = []
    values: list[IndicatorValue] = []
    seen: dict[tuple[str, ...], int] = {}
    for csv_row in rows:
        line = csv_row.line
        value = _validate_row(csv_row.cells, line, catalogue, default_period, path, problems)
        if value is None:
            continue
        key = value.key()
        if key in seen:
            problems.append((f"line {line}", f"duplicates line {seen[key]} (same code, entity, "
                             "period)"))
            continue
        seen[key] = line
        values.append(value)
    if problems:
        shown = problems[:MAX_REPORTED_PROBLEMS]
        more = len(problems) - len(shown)
        msg = "; ".join(f"{loc}: {m}" for loc, m in shown[1:])
        first_loc, first_msg = shown[0]
        full = first_msg + (f"; also {msg}" if msg else "") + (f"; and {more} more" if more else "")
        raise InputError(str(path), first_loc, full + " — nothing was imported")
    if not values:
        raise InputError(str(path), None, "no data rows — nothing was imported")
    return values


def _validate_row(
    row: dict[str, str], line: int, catalogue: Catalogue, default_period: str, path: Path,
    problems: list[tuple[str, str]],
) -> IndicatorValue | None:
    def bad(field: str, msg: str) -> None:
        problems.append((f"line {line}, field '{field}'", msg))

    n_before = len(problems)
    code = row.get("code", "")
    kpi = catalogue.get(code)
    if kpi is None:
        bad("code", f"unknown KPI code {code!r} (see `ssckit kpi catalogue` for the 91 codes)")
        return None
    raw = row.get("value", "")
    try:
        value = float(raw)
    except ValueError:
        bad("value", f"{raw!r} is not a number")
        return None
    lo, hi = kpi.value_range
    if not math.isfinite(value):
        bad("value", f"{raw!r} is not a finite number")
    elif (lo is not None and value < lo) or (hi is not None and value > hi):
        allowed = (f"{lo:g}..{hi:g}" if lo is not None and hi is not None
                   else f">= {lo:g}" if lo is not None else f"<= {hi:g}")
        bad("value", f"{value:g} is impossible for {code} ({kpi.kind}); allowed {allowed} "
            f"{kpi.unit}")
    elif kpi.kind == "yes_no" and value not in (0.0, 1.0):
        bad("value", f"{value:g} is not 0 (no) or 1 (yes) for {code}")
    unit = row.get("unit", "")
    if normalise_unit(unit) != normalise_unit(kpi.unit):
        bad("unit", f"{unit!r} is not the unit of {code}; expected {kpi.unit!r}")
    period = row.get("period") or default_period
    if not PERIOD_RE.match(period):
        bad("period", f"{period!r} is not a period; allowed YYYY, YYYY-MM or YYYY-MM-DD")
    source = row.get("source", "")
    if not source:
        bad("source", "empty; say where the value comes from (statistics office, report, URL)")
    quality = (row.get("quality") or "A").upper()
    if quality not in QUALITY_GRADES:
        bad("quality", f"{quality!r} is not a grade; allowed " + ", ".join(
            f"{g} ({d})" for g, d in QUALITY_GRADES.items()))
    entity = row.get("entity") or "city"
    if len(problems) > n_before:
        return None
    src: dict[str, Any] = {"module": "kpi.import", "file": path.name, "line": line,
                           "reference": source}
    if row.get("notes"):
        src["notes"] = row["notes"]
    return IndicatorValue(indicator=code, value=value, unit=kpi.unit, period=period,
                          entity=entity, source=src, quality=quality)


SCORECARD_CSV_COLUMNS = ("code", "name", "dimension", "subdimension", "category", "core", "unit",
                         "value", "period", "target", "ratio", "points", "band", "quality",
                         "origin", "reason", "status", "source")


def scorecard_csv(card: Scorecard) -> str:
    """The scorecard's KPI lines as CSV text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SCORECARD_CSV_COLUMNS)
    for k in card.kpis:
        row = [getattr(k, c) for c in SCORECARD_CSV_COLUMNS[:-1]]
        w.writerow(["" if x is None else x for x in row]
                   + [json.dumps(k.source, sort_keys=True) if k.source else ""])
    return buf.getvalue()


def scorecard_json(card: Scorecard) -> str:
    return json.dumps(card.to_dict(), indent=2, ensure_ascii=False)
