"""Reading the CSV input files of every module: header checks and numbers with line and field.

Every module reads its CSV inputs (sites, schools, KPI values, accessible places, ...) through
:func:`read_csv_rows`, so a missing file, a file that is not UTF-8, a missing or unknown column
and a value out of range are all reported the same way: one :class:`InputError` naming the file,
the line and the field, and what is allowed.

Example::

    rows = read_csv_rows(path, required=("site", "lat", "lon"), optional=("name",))
    for row in rows:
        lat = row.number("lat", -90, 90)
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ssckit.core.errors import InputError


@dataclass(frozen=True)
class CsvRow:
    """One data row: its 1-based line in the file and its stripped cells by column name."""

    path: Path
    line: int
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")

    def get(self, column: str, default: str = "") -> str:
        value = self.cells.get(column, "")
        return value if value != "" else default

    def error(self, column: str | None, message: str) -> InputError:
        """An InputError for this row (and ``column``), to raise."""
        where = f"line {self.line}" + (f", field '{column}'" if column else "")
        return InputError(str(self.path), where, message)

    def number(self, column: str, lo: float = -math.inf, hi: float = math.inf, *,
               integer: bool = False, default: float | None = None) -> float:
        """The cell as a finite number within ``lo..hi`` (an integer if asked); an empty cell
        is ``default`` where one is given, else an error."""
        raw = self.cells.get(column, "")
        if raw == "" and default is not None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise self.error(column, f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise self.error(column, f"{raw!r} is not a finite number")
        if integer and value != int(value):
            raise self.error(column, f"{raw!r} is not a whole number")
        if not lo <= value <= hi:
            raise self.error(column, f"{value:g} is outside the allowed range {lo:g}..{hi:g}")
        return int(value) if integer else value

    def choice(self, column: str, allowed: Sequence[str], default: str | None = None) -> str:
        """The cell, which must be one of ``allowed`` (``default`` when empty, if given)."""
        raw = self.cells.get(column, "")
        if raw == "" and default is not None:
            return default
        if raw not in allowed:
            raise self.error(column, f"{raw!r} is not allowed; use one of {', '.join(allowed)}")
        return raw


class CsvRows:
    """The data rows of a checked CSV file (iterate; ``columns`` is the header)."""

    def __init__(self, path: Path, columns: list[str], rows: list[CsvRow]) -> None:
        self.path, self.columns, self._rows = path, columns, rows

    def __iter__(self) -> Iterator[CsvRow]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def read_csv_rows(path: str | Path, required: Sequence[str], optional: Sequence[str] = (), *,
                  strict: bool = False, allow_empty: bool = True) -> CsvRows:
    """Read a UTF-8 CSV file (a BOM is allowed) and check its header.

    Parameters
    ----------
    path : file to read.
    required : columns that must be in the header.
    optional : further columns the file may have (named in the error message).
    strict : refuse columns that are neither required nor optional.
    allow_empty : accept a file with a header and no data rows.

    Raises
    ------
    InputError
        naming the file (and line 1 for the header, the byte for bad encoding).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except IsADirectoryError:
        raise InputError(str(path), None, "is a folder, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"byte {exc.start}", "not UTF-8 text; save the file as "
                         "UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    allowed = f"required: {', '.join(required)}" + (
        f"; optional: {', '.join(optional)}" if optional else "")
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(str(path), "line 1 (header)",
                         f"missing column(s) {', '.join(missing)}; {allowed}")
    if strict:
        unknown = [c for c in header if c not in (*required, *optional)]
        if unknown:
            raise InputError(str(path), "line 1 (header)",
                             f"unknown column(s) {', '.join(unknown)}; {allowed}")
    rows = []
    try:
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                n = len(header) + len(row.get(None) or []) - sum(v is None for v in row.values())
                raise InputError(str(path), f"line {reader.line_num}",
                                 f"{n} fields where the header has {len(header)}")
            rows.append(CsvRow(path, reader.line_num,
                               {k: v.strip() for k, v in row.items() if k}))
    except csv.Error as exc:
        raise InputError(str(path), f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    if not rows and not allow_empty:
        raise InputError(str(path), None, "no data rows below the header")
    return CsvRows(path, header, rows)
