"""Importing manual KPI values: bad rows are refused with line and field, nothing is stored."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.kpi.catalogue import load_catalogue
from ssckit.kpi.io import read_values_csv
from ssckit.kpi.records import current_manual_values
from ssckit.kpi.settings import kpi_settings

HEADER = "code,value,unit,period,source,quality\n"
GOOD = ("EC:ICT:ICT:1C,84.5,%,2026,National statistics office household survey 2026,A\n"
        "EN:EN:WS:2C,151,l per capita per day,2026,Water utility annual report,A\n")


def _dump(store_path: Path) -> list[tuple]:
    with Store.open(store_path, read_only=True) as s:
        return (s.con.execute("SELECT * FROM indicator_values ORDER BY ALL").fetchall()
                + s.con.execute("SELECT * FROM kpi_manual_values ORDER BY ALL").fetchall()
                + s.con.execute("SELECT * FROM kpi_audit ORDER BY ALL").fetchall())


@pytest.fixture
def workspace(kpi_city: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(kpi_city, root)
    return root


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ssckit.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_good_import_is_stored(workspace: Path, tmp_path: Path):
    f = tmp_path / "good.csv"
    f.write_text(HEADER + GOOD)
    r = _run("kpi", "import", str(f), "-w", str(workspace))
    assert r.returncode == 0, r.stderr
    with Store.open(workspace / "ssckit.duckdb") as s:
        v = [m.value for m in current_manual_values(s, indicator="EC:ICT:ICT:1C", entity="city")
             if m.value.period == "2026"]
    assert len(v) == 1 and v[0].value == 84.5 and v[0].quality == "A"
    assert v[0].source["reference"].startswith("National statistics office")


@pytest.mark.parametrize(
    ("row", "expect"),
    [
        ("EC:ICT:ICT:9Z,50,%,2026,x,A", ["line 4", "field 'code'", "unknown KPI code"]),
        ("EC:ICT:ICT:1C,140,%,2026,x,A", ["line 4", "field 'value'", "140", "0..100"]),
        ("EC:ICT:ICT:1C,-3,%,2026,x,A", ["line 4", "field 'value'", "0..100"]),
        ("EN:EN:WS:2C,150,m3 per year,2026,x,A", ["line 4", "field 'unit'",
                                                   "l per capita per day"]),
        ("EC:ICT:ICT:1C,lots,%,2026,x,A", ["line 4", "field 'value'", "not a number"]),
        ("EC:ICT:ICT:1C,50,%,26,x,A", ["line 4", "field 'period'", "YYYY"]),
        ("EC:ICT:ICT:1C,50,%,2026,,A", ["line 4", "field 'source'"]),
        ("EC:ICT:ICT:1C,50,%,2026,x,Z", ["line 4", "field 'quality'", "A ("]),
        ("EC:ICT:ICT:1C,50,%,2026,x,A", ["line 4", "duplicates line 2"]),
        ("EC:I:UP:2A,0.5,yes/no,2026,x,A", ["line 4", "not 0 (no) or 1 (yes)"]),
        ("EC:ICT:ICT:1C,nan,%,2026,x,A", ["line 4", "not a finite number"]),
    ],
)
def test_bad_row_is_refused_and_store_unchanged(workspace: Path, tmp_path: Path, row: str,
                                                expect: list[str]):
    before = _dump(workspace / "ssckit.duckdb")
    f = tmp_path / "bad.csv"
    f.write_text(HEADER + GOOD + row + "\n")
    r = _run("kpi", "import", str(f), "-w", str(workspace))
    assert r.returncode == 2
    msg = r.stderr
    assert str(f) in msg.replace("\n", "")
    for part in expect:
        assert part in msg.replace("\n", ""), (part, msg)
    assert "Traceback" not in msg
    assert _dump(workspace / "ssckit.duckdb") == before


def test_missing_column_is_refused(tmp_path: Path):
    f = tmp_path / "bad.csv"
    f.write_text("code,value,period\nEC:ICT:ICT:1C,50,2026\n")
    with pytest.raises(InputError) as e:
        read_values_csv(f, load_catalogue(), "2026")
    assert e.value.location == "line 1 (header)"
    assert "unit" in e.value.message and "source" in e.value.message


def test_every_problem_is_reported(tmp_path: Path):
    f = tmp_path / "bad.csv"
    f.write_text(HEADER + "EC:ICT:ICT:1C,140,%,2026,x,A\nEN:EN:WS:2C,150,kg,2026,x,A\n")
    with pytest.raises(InputError) as e:
        read_values_csv(f, load_catalogue(), "2026")
    assert "line 2" in str(e.value) and "line 3" in str(e.value)
    assert "nothing was imported" in str(e.value)


def test_failed_write_rolls_back(workspace: Path):
    ws = Workspace.load(workspace)
    before = _dump(ws.store_path)
    values = read_values_csv(ws.path(kpi_settings(ws).values[0]), load_catalogue(), "2026")

    def explode(cur):
        cur.execute("DELETE FROM indicator_values")
        raise RuntimeError("disk full")

    with Store.open(ws.store_path) as s, pytest.raises(RuntimeError):
        s.write_values(values, replace=explode)
    assert _dump(ws.store_path) == before


def test_school_enrolment_may_exceed_100_percent(tmp_path: Path):
    """The Verification Manual (2022, p.118) allows School Enrolment above 100 % (pupils from
    outside the city); its catalogue range has no upper bound, other percentages keep 0..100."""
    f = tmp_path / "enrolment.csv"
    f.write_text(HEADER + "SC:EH:ED:2C,104.5,%,2026,Education department census,A\n")
    rows = read_values_csv(f, load_catalogue(), "2026")
    assert [r.value for r in rows] == [104.5]
    f.write_text(HEADER + "SC:EH:ED:2C,-1,%,2026,Education department census,A\n")
    with pytest.raises(InputError, match=">= 0"):
        read_values_csv(f, load_catalogue(), "2026")
