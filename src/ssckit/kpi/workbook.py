"""The U4SSC verification workbook: the city's KPI values as the U4SSC process exchanges them
(an .xlsx file, openpyxl), written for the verifier and read back with their answers.

Layout of the sheet ``KPI data`` (one header row, one row per KPI). Columns O to W follow the
"KPI data" tab of the U4SSC Data Collection Template as ITU's *U4SSC KPIs Verification Manual –
A guide for verifiers* (2022), §10.1, describes it: O the KPI result ("NR", not reported, when
there is none), Q reported YES/NO, R the U4SSC benchmark performance, S the verifier's YES/NO,
T the data quality (one of six choices), U the data origin, V-W the sources. The manual's
description of columns A-N (the KPI's identification, numerator, denominator and units) could
not be confirmed column by column from the public text, so A-N here carry ssckit's own fields;
X holds the verifier's comment. See docs/kpi.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssckit.core.errors import InputError
from ssckit.core.indicators import QUALITY_GRADES, IndicatorValue
from ssckit.kpi.catalogue import Catalogue
from ssckit.kpi.precedence import Choice
from ssckit.kpi.scorecard import Scorecard

SHEET = "KPI data"
EVIDENCE_SHEET = "Evidence"
ABOUT_SHEET = "About"
#: Column letter -> header, in order.
COLUMNS: dict[str, str] = {
    "A": "KPI code", "B": "Dimension", "C": "Sub-dimension", "D": "Category", "E": "KPI",
    "F": "Type", "G": "Unit", "H": "Period", "I": "Entity", "J": "Target",
    "K": "Origin of value used", "L": "ssckit status", "M": "Evidence", "N": "Why this value",
    "O": "KPI result", "P": "Achievement of target (%)", "Q": "Reported", "R": "Benchmark points",
    "S": "Verified", "T": "Data quality", "U": "Data origin", "V": "Data source",
    "W": "Source details", "X": "Verifier comment",
}
NOT_REPORTED = "NR"

#: The six data-quality choices of column T (Verification Manual §10.1) and the ssckit grade
#: each maps to. Export writes the first choice listed for a grade; import accepts all six.
QUALITY_CHOICES: dict[str, str] = {
    "Based on accurate measurements": "A",
    "Extrapolated based on higher-level data": "B",
    "Extrapolated based on survey of inhabitants": "C",
    "Estimation based on certain assumptions": "D",
    "Personal estimation": "D",
    "Unknown methodology, not traceable": "D",
}
GRADE_TO_CHOICE = {g: next(c for c, gg in QUALITY_CHOICES.items() if gg == g)
                   for g in QUALITY_GRADES}


def _norm(text: str) -> str:
    """A choice compared by its words only (the dropdown list cannot hold commas)."""
    return " ".join(re.findall(r"[a-z]+", text.lower()))


_QUALITY_BY_WORDS = {_norm(c): g for c, g in QUALITY_CHOICES.items()}
_PERIOD = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _yes_no(b: bool) -> str:
    return "YES" if b else "NO"


def workbook_rows(card: Scorecard, evidence: dict[str, list[str]] | None = None
                  ) -> list[list[Any]]:
    """One row per KPI of ``card`` in the column order of :data:`COLUMNS` (numbers as
    numbers)."""
    evidence = evidence or {}
    names = {g.key: g.name for g in card.groups}
    rows = []
    for k in card.kpis:
        sub = f"{k.dimension}:{k.subdimension}"
        cat = f"{sub}:{k.category}"
        src = k.source or {}
        details = ", ".join(f"{key} {src[key]}" for key in ("module", "file", "line")
                            if src.get(key))
        rows.append([
            k.code, names.get(k.dimension, k.dimension), names.get(sub, k.subdimension),
            names.get(cat, k.category), k.name,
            "Core" if k.core else "Additional", k.unit, k.period or card.period, "city",
            k.target, k.origin or "", k.status or "" if k.value is not None else "",
            "; ".join(evidence.get(k.code, [])), k.reason,
            NOT_REPORTED if k.value is None else k.value,
            None if k.ratio is None or math.isinf(k.ratio) else round(100 * k.ratio, 1),
            _yes_no(k.value is not None), k.points or None,
            {"verified": "YES", "rejected": "NO"}.get(k.status or ""),
            GRADE_TO_CHOICE.get(k.quality or ""),
            k.origin or None, src.get("reference") or src.get("module") or None,
            details or None, None,
        ])
    return rows


def write_workbook(card: Scorecard, path: Path, evidence: dict[str, list[str]] | None = None,
                   evidence_rows: list[list[Any]] | None = None) -> Path:
    """Write the workbook to ``path`` (atomically): sheets KPI data, Evidence, About."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(COLUMNS.values()))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in workbook_rows(card, evidence):
        ws.append(row)
    n = ws.max_row
    yes_no = DataValidation(type="list", formula1='"YES,NO"', allow_blank=True)
    quality = DataValidation(type="list", allow_blank=True,
                             formula1='"' + ",".join(c.replace(",", "") for c in QUALITY_CHOICES)
                             + '"')
    quality.showErrorMessage = False  # the list drops the comma of the sixth choice
    ws.add_data_validation(yes_no)
    ws.add_data_validation(quality)
    yes_no.add(f"S2:S{n}")
    quality.add(f"T2:T{n}")
    ws.freeze_panes = "B2"
    for letter, width in (("A", 15), ("E", 40), ("N", 30), ("V", 30), ("X", 30)):
        ws.column_dimensions[letter].width = width
    ev = wb.create_sheet(EVIDENCE_SHEET)
    ev.append(["KPI code", "Period", "Kind", "Location", "SHA-256", "Read on", "Added by"])
    for row in evidence_rows or []:
        ev.append(row)
    about = wb.create_sheet(ABOUT_SHEET)
    for line in (
        [f"U4SSC KPI data of {card.city}, {card.period}"
         + (" (synthetic sample data)" if card.synthetic else "")],
        ["Layout: columns O-W as the KPI data tab of the U4SSC Data Collection Template "
         "(ITU, U4SSC KPIs Verification Manual - A guide for verifiers, 2022, section 10.1); "
         "A-N and X are ssckit's."],
        ["Verifier: answer column S (YES or NO) and, for NO, give the reason in column X."],
        ["Quality classes (column T) from ssckit grades:"],
        *[[f"{g}: {d}", GRADE_TO_CHOICE[g]] for g, d in QUALITY_GRADES.items()],
        [f"Precedence of manual and computed values: {card.precedence}"],
    ):
        about.append(line)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)
    return path


@dataclass
class WorkbookRow:
    """What one row of a returned workbook asks for."""

    row: int
    code: str
    period: str
    value: float | None  # None: NR
    quality: str | None  # ssckit grade
    source: str
    verdict: str | None  # "verified" | "rejected" | None
    comment: str


@dataclass
class WorkbookProblems:
    """Problems found in a workbook, each with sheet, row and column."""

    source: str
    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, row: int, col: str, msg: str) -> None:
        self.items.append((f"sheet '{SHEET}', row {row}, column {col} ({COLUMNS[col]})", msg))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first_loc, first = self.items[0]
        rest = "; ".join(f"{loc}: {m}" for loc, m in self.items[1:10])
        more = len(self.items) - 10
        raise InputError(self.source, first_loc, first + (f"; also {rest}" if rest else "")
                         + (f"; and {more} more" if more > 0 else "") + " — nothing was stored")


def read_workbook(path: Path, catalogue: Catalogue) -> tuple[list[WorkbookRow],
                                                              WorkbookProblems]:
    """Every row of the KPI data sheet checked cell by cell; the rows and the problems found
    (the caller adds its own, e.g. about roles, before raising)."""
    from openpyxl import load_workbook

    problems = WorkbookProblems(str(path))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and format errors of a file that is not a workbook
        raise InputError(str(path), None, f"is not an .xlsx workbook ({type(exc).__name__}); "
                         "export one with `ssckit kpi workbook export`") from None
    if SHEET not in wb.sheetnames:
        raise InputError(str(path), None, f"has no sheet '{SHEET}' (sheets: "
                         f"{', '.join(wb.sheetnames)})")
    sheet = wb[SHEET]
    letters = list(COLUMNS)
    out: list[WorkbookRow] = []
    seen: dict[tuple[str, str], int] = {}
    for i, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = list(cells) + [None] * (len(letters) - len(cells))
        if i == 1:
            for letter, want, got in zip(letters, COLUMNS.values(), cells, strict=False):
                if (got or "") != want:
                    problems.add(1, letter, f"header {got!r}; expected {want!r}")
            if problems.items:
                break
            continue
        if all(c in (None, "") for c in cells):
            continue
        c = dict(zip(letters, cells, strict=False))
        code = str(c["A"] or "").strip()
        kpi = catalogue.get(code)
        if kpi is None:
            problems.add(i, "A", f"unknown KPI code {code!r}")
            continue
        period = str(c["H"] or "").strip()
        if not _PERIOD.match(period):
            problems.add(i, "H", f"{period!r} is not a period; allowed YYYY, YYYY-MM or "
                         "YYYY-MM-DD")
        if (code, period) in seen:
            problems.add(i, "A", f"duplicates row {seen[(code, period)]} (same KPI and period)")
        seen[(code, period)] = i
        if str(c["I"] or "city") != "city":
            problems.add(i, "I", f"{c['I']!r}: the workbook carries city values only")
        raw = c["O"]
        value: float | None = None
        if raw is None or (isinstance(raw, str) and raw.strip().upper() == NOT_REPORTED):
            value = None
        elif isinstance(raw, bool) or not isinstance(raw, (int, float)):
            problems.add(i, "O", f"{raw!r} is not a number; write the KPI result or NR")
        elif not math.isfinite(raw):
            problems.add(i, "O", f"{raw!r} is not a finite number")
        else:
            value = float(raw)
            lo, hi = kpi.value_range
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                allowed = (f"{lo:g}..{hi:g}" if lo is not None and hi is not None
                           else f">= {lo:g}" if lo is not None else f"<= {hi:g}")
                problems.add(i, "O", f"{value:g} is impossible for {code}; allowed {allowed} "
                             f"{kpi.unit}")
            elif kpi.kind == "yes_no" and value not in (0.0, 1.0):
                problems.add(i, "O", f"{value:g} is not 0 (no) or 1 (yes)")
        unit = str(c["G"] or "").strip()
        if unit and unit != kpi.unit:
            problems.add(i, "G", f"{unit!r} is not the unit of {code}; expected {kpi.unit!r}")
        quality = None
        if c["T"] not in (None, ""):
            choice = str(c["T"]).strip()
            quality = _QUALITY_BY_WORDS.get(_norm(choice))
            if quality is None:
                problems.add(i, "T", f"{choice!r} is not a data-quality choice; allowed: "
                             + "; ".join(QUALITY_CHOICES))
        verdict = None
        answer = str(c["S"] or "").strip().upper()
        if answer == "YES":
            verdict = "verified"
        elif answer == "NO":
            verdict = "rejected"
        elif answer:
            problems.add(i, "S", f"{c['S']!r}; allowed YES, NO or empty")
        comment = str(c["X"] or "").strip()
        if verdict == "rejected" and not comment:
            problems.add(i, "X", "a NO in column S needs the reason here")
        out.append(WorkbookRow(i, code, period, value, quality, str(c["V"] or "").strip(),
                               verdict, comment))
    wb.close()
    return out, problems


def changed_values(rows: list[WorkbookRow], choices: dict[str, Choice], catalogue: Catalogue,
                   filename: str, problems: WorkbookProblems) -> list[IndicatorValue]:
    """The rows whose KPI result differs from the value used now: new manual values (a data
    source in column V is then required)."""
    out = []
    for r in rows:
        ch = choices.get(r.code)
        current = ch.value if ch is not None else None
        if r.value is None:
            continue
        if current is not None and current.period == r.period and current.value == r.value:
            continue
        if not r.source:
            problems.add(r.row, "V", "a new KPI result needs its data source")
            continue
        kpi = catalogue.get(r.code)
        assert kpi is not None
        out.append(IndicatorValue(
            indicator=r.code, value=r.value, unit=kpi.unit, period=r.period,
            source={"module": "kpi.workbook", "file": filename, "line": r.row,
                    "reference": r.source},
            quality=r.quality or "A"))
    return out


def import_workbook(store: Any, ws: Any, path: Path, user: Any, choices: dict[str, Choice]
                    ) -> tuple[int, int]:
    """Read a returned workbook and store what it asks: changed KPI results as new manual
    values (analysts and admins), YES/NO answers as verifications or rejections (by the rules
    of :func:`ssckit.kpi.review.decide`). Every cell and every permission is checked first;
    on any problem nothing is stored. Returns (values recorded, decisions made)."""
    from ssckit.kpi.catalogue import load_catalogue
    from ssckit.kpi.records import record_manual_values
    from ssckit.kpi.review import decide, effective_status, get_review

    catalogue = load_catalogue()
    rows, problems = read_workbook(path, catalogue)
    problems.raise_if_any()
    new_values = changed_values(rows, choices, catalogue, Path(path).name, problems)
    changed = {v.indicator for v in new_values}
    if new_values and not user.has_role("analyst"):
        for r in rows:
            if r.code in changed:
                problems.add(r.row, "O", f"{user.name} is a {user.role} and cannot change "
                             "values; leave the KPI result as exported")
    verdicts = []
    for r in rows:
        if r.verdict is None:
            continue
        ch = choices.get(r.code)
        if ch is None or ch.value is None:
            problems.add(r.row, "S", "the KPI has no value to verify")
            continue
        if r.code in changed:
            problems.add(r.row, "S", "the KPI result was changed in this workbook; it is a "
                         "new draft and must be submitted before it is verified")
            continue
        review = get_review(store, (r.code, "city", ch.value.period))
        status = effective_status(review, ch)
        if status == r.verdict:
            continue  # the answer already stored
        if status != "submitted" or review is None:
            problems.add(r.row, "S", f"the value is {status}, not submitted; only submitted "
                         "values are verified or rejected")
            continue
        if not user.has_role("verifier"):
            problems.add(r.row, "S", f"{user.name} is a {user.role}; verifying needs the "
                         "role verifier")
        elif user.name in (review.submitted_by, review.author):
            problems.add(r.row, "S", f"{user.name} entered or submitted this value and "
                         "cannot also verify it")
        verdicts.append((r, ch))
    problems.raise_if_any()
    n_values = record_manual_values(store, new_values, "workbook", user.name) \
        if new_values else 0
    for r, ch in verdicts:
        decide(store, r.code, ch, user, r.verdict or "", r.comment)
    return n_values, len(verdicts)
