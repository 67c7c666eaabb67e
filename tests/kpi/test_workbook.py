"""The U4SSC verification workbook: exported, answered by a verifier, corrected by an analyst,
imported back; every cell checked with sheet/row/column, nothing stored on error."""

from __future__ import annotations

import json
import os
from pathlib import Path

from openpyxl import load_workbook

from ssckit.core.store import Store
from ssckit.kpi.workbook import COLUMNS, GRADE_TO_CHOICE, QUALITY_CHOICES

from .conftest import run_cli

PASSWORD = "a long enough password for tests\n"
CODE = "EC:ICT:ICT:1C"


def _ok(*args: str, user: str | None = None) -> str:
    env = {**os.environ, "SSCKIT_USER": user} if user else None
    r = run_cli(*args, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _dump(city: Path) -> list:
    with Store.open(city / "ssckit.duckdb", read_only=True) as s:
        cur = s.cursor()
        return [cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("kpi_manual_values", "kpi_reviews", "kpi_audit", "indicator_values")]


def _rows(path: Path) -> dict[str, dict[str, object]]:
    ws = load_workbook(path)["KPI data"]
    letters = list(COLUMNS)
    header = [c.value for c in ws[1]]
    assert header == list(COLUMNS.values())
    return {r[0]: dict(zip(letters, r, strict=True))
            for r in ws.iter_rows(min_row=2, values_only=True)}


def _edit(src: Path, dest: Path, cells: dict[str, object]) -> Path:
    wb = load_workbook(src)
    for ref, value in cells.items():
        wb["KPI data"][ref] = value
    wb.save(dest)
    return dest


def _row_of(path: Path, code: str) -> int:
    ws = load_workbook(path)["KPI data"]
    return next(i for i, r in enumerate(ws.iter_rows(values_only=True), start=1)
                if r[0] == code)


def test_workbook_round_trip_with_verifier_answers(city: Path, tmp_path: Path):
    w = ("-w", str(city))
    for name, role in (("ana", "analyst"), ("vera", "verifier")):
        assert run_cli("users", "add", name, "--role", role, "--password-stdin", *w,
                       stdin=PASSWORD).returncode == 0
    doc = tmp_path / "survey.pdf"
    doc.write_bytes(b"%PDF-1.4 survey")
    _ok("kpi", "evidence", "add", CODE, "--file", str(doc), *w, user="ana")
    _ok("kpi", "submit", CODE, *w, user="ana")
    out = tmp_path / "city.xlsx"
    _ok("kpi", "workbook", "export", "-o", str(out), *w)
    rows = _rows(out)
    assert len(rows) == 91
    card = json.loads(_ok("kpi", "scorecard", *w, "--format", "json"))
    for k in card["kpis"]:
        r = rows[k["code"]]
        assert r["O"] == ("NR" if k["value"] is None else k["value"])  # numbers as numbers
        assert r["Q"] == ("NO" if k["value"] is None else "YES")
        assert r["R"] == (k["points"] or None)
    assert rows[CODE]["T"] == GRADE_TO_CHOICE["D"]  # sample data are grade D
    assert rows[CODE]["L"] == "submitted" and rows[CODE]["M"].startswith("evidence/")
    assert rows["EN:EN:EQ:1C"]["K"] == "computed"
    # Importing the file unchanged stores nothing.
    before = _dump(city)
    _ok("kpi", "workbook", "import", str(out), *w, user="vera")
    assert _dump(city) == before
    # The verifier answers YES for the submitted KPI; the analyst corrects another one.
    row = _row_of(out, CODE)
    answered = _edit(out, tmp_path / "answered.xlsx", {f"S{row}": "YES",
                                                       f"X{row}": "survey table 3"})
    _ok("kpi", "workbook", "import", str(answered), *w, user="vera")
    shown = json.loads(_ok("kpi", "show", CODE, *w, "--format", "json"))
    assert shown["status"] == "verified" and shown["review"]["comment"] == "survey table 3"
    r2 = _row_of(out, "EC:ICT:ICT:2C")
    corrected = _edit(out, tmp_path / "corrected.xlsx", {
        f"O{r2}": 31.5, f"V{r2}": "Regulator's broadband report 2026",
        f"T{r2}": "Extrapolated based on survey of inhabitants"})
    _ok("kpi", "workbook", "import", str(corrected), *w, user="ana")
    again = tmp_path / "again.xlsx"
    _ok("kpi", "workbook", "export", "-o", str(again), *w)
    rows2 = _rows(again)
    assert rows2["EC:ICT:ICT:2C"]["O"] == 31.5 and rows2["EC:ICT:ICT:2C"]["K"] == "manual"
    assert rows2["EC:ICT:ICT:2C"]["T"] == "Extrapolated based on survey of inhabitants"
    assert rows2["EC:ICT:ICT:2C"]["V"] == "Regulator's broadband report 2026"
    assert rows2[CODE]["S"] == "YES" and rows2[CODE]["L"] == "verified"
    # Every other cell the round trip could change is as it was.
    for code, r in rows.items():
        if code in (CODE, "EC:ICT:ICT:2C"):
            continue
        assert rows2[code] == r, code


def test_bad_cells_are_named_and_nothing_is_stored(city: Path, tmp_path: Path):
    w = ("-w", str(city))
    for name, role in (("ana", "analyst"), ("vera", "verifier")):
        assert run_cli("users", "add", name, "--role", role, "--password-stdin", *w,
                       stdin=PASSWORD).returncode == 0
    out = tmp_path / "city.xlsx"
    _ok("kpi", "workbook", "export", "-o", str(out), *w)
    row = _row_of(out, CODE)
    before = _dump(city)
    cases = [
        ({f"O{row}": 140}, "ana", [f"row {row}, column O (KPI result)", "0..100"]),
        ({f"O{row}": "lots"}, "ana", ["column O", "not a number"]),
        ({f"S{row}": "maybe"}, "vera", ["column S (Verified)", "YES, NO or empty"]),
        ({f"S{row}": "NO"}, "vera", ["column X (Verifier comment)", "reason"]),
        ({f"S{row}": "YES"}, "vera", ["column S", "draft, not submitted"]),
        ({f"T{row}": "Very good"}, "ana", ["column T (Data quality)", "Personal estimation"]),
        ({f"A{row}": "EC:ICT:ICT:9Z"}, "ana", ["column A", "unknown KPI code"]),
        ({f"H{row}": "26"}, "ana", ["column H (Period)", "YYYY"]),
        ({"A1": "code"}, "ana", ["row 1, column A", "expected 'KPI code'"]),
        ({f"O{row}": 50.0, f"V{row}": "x"}, "vera", ["column O", "cannot change values"]),
        ({f"O{row}": 50.0, f"V{row}": None}, "ana", ["column V (Data source)", "needs its"]),
    ]
    for i, (cells, user, expect) in enumerate(cases):
        bad = _edit(out, tmp_path / f"bad{i}.xlsx", cells)
        r = run_cli("kpi", "workbook", "import", str(bad), *w,
                    env={**os.environ, "SSCKIT_USER": user})
        msg = " ".join(r.stderr.split())
        assert r.returncode == 2, (cells, r.stdout, msg)
        assert "Traceback" not in msg and "nothing was stored" in msg
        assert "sheet 'KPI data'" in msg
        for part in expect:
            assert part in msg, (cells, part, msg)
        assert _dump(city) == before, cells
    # Not a workbook at all: one line.
    junk = tmp_path / "junk.xlsx"
    junk.write_text("code,value\n")
    r = run_cli("kpi", "workbook", "import", str(junk), *w,
                env={**os.environ, "SSCKIT_USER": "ana"})
    assert r.returncode == 2 and "not an .xlsx workbook" in r.stderr


def test_quality_classes_map_both_ways():
    from ssckit.core.indicators import QUALITY_GRADES

    assert set(GRADE_TO_CHOICE) == set(QUALITY_GRADES)
    for grade, choice in GRADE_TO_CHOICE.items():
        assert QUALITY_CHOICES[choice] == grade
    assert len(QUALITY_CHOICES) == 6  # the six choices of the Verification Manual, column T
