"""core.csvfile: every module's CSV inputs are checked the same way (file, line, field, range)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssckit.core.csvfile import read_csv_rows
from ssckit.core.errors import InputError


def _csv(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_rows_numbers_and_choices(tmp_path: Path):
    path = _csv(tmp_path, "\ufeffsite , lat,kind\nA, 52.5 ,x\nB,-1,y\n")
    rows = read_csv_rows(path, ("site", "lat"), ("kind",))
    assert rows.columns == ["site", "lat", "kind"]
    got = [(r["site"], r.number("lat", -90, 90), r.choice("kind", ("x", "y")), r.line)
           for r in rows]
    assert got == [("A", 52.5, "x", 2), ("B", -1.0, "y", 3)]


@pytest.mark.parametrize(("text", "location", "words"), [
    ("site,lon\nA,1\n", "line 1 (header)", "missing column(s) lat; required: site, lat"),
    ("site,lat,extra\nA,1,2\n", "line 1 (header)", "unknown column(s) extra"),
    ("site,lat\nA,1\nB\n", "line 3", "1 fields where the header has 2"),
    ("site,lat\nA,1,9\n", "line 2", "3 fields where the header has 2"),
])
def test_header_and_shape_errors(tmp_path: Path, text: str, location: str, words: str):
    with pytest.raises(InputError) as e:
        read_csv_rows(_csv(tmp_path, text), ("site", "lat"), strict=True)
    assert e.value.location == location and words in e.value.message


@pytest.mark.parametrize(("cell", "words"), [
    ("north", "'north' is not a number"),
    ("nan", "is not a finite number"),
    ("91", "91 is outside the allowed range -90..90"),
    ("", "'' is not a number"),
])
def test_number_errors_name_line_and_field(tmp_path: Path, cell: str, words: str):
    (row,) = read_csv_rows(_csv(tmp_path, f"site,lat\nA,{cell}\n"), ("site", "lat"))
    with pytest.raises(InputError) as e:
        row.number("lat", -90, 90)
    assert str(e.value).startswith(str(tmp_path / "in.csv"))
    assert e.value.location == "line 2, field 'lat'" and words in e.value.message


def test_whole_numbers_defaults_and_multiline_cells(tmp_path: Path):
    rows = list(read_csv_rows(_csv(tmp_path, 'id,n,note\n1,3,"two\nlines"\n2,,x\n'),
                              ("id", "n", "note")))
    assert rows[0].number("n", 0, 10, integer=True) == 3
    assert rows[1].number("n", 0, 10, default=7) == 7
    assert rows[1].line == 4                      # the quoted cell spans lines 2-3
    with pytest.raises(InputError, match="'2.5' is not a whole number"):
        list(read_csv_rows(_csv(tmp_path, "id,n\n1,2.5\n", "b.csv"), ("id", "n")))[0].number(
            "n", integer=True)


def test_file_problems(tmp_path: Path):
    with pytest.raises(InputError, match="file not found"):
        read_csv_rows(tmp_path / "absent.csv", ("a",))
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("a\nK\xf6ln\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_csv_rows(bad, ("a",))
    with pytest.raises(InputError, match="no data rows"):
        read_csv_rows(_csv(tmp_path, "a\n", "empty.csv"), ("a",), allow_empty=False)
