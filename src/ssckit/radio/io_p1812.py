"""Readers for ITU-R P.1812 path-profile files (SG3 databank CSV layout) and result logs.

A profile file holds a header of ``key:,value`` lines (terminal coordinates), a
``{Begin of Meteorology}`` block with ΔN and N0, a ``{Begin of Profile}`` block
(``Number of Points:,n`` then ``d km, h m, coverage code, R m, radio-climatic zone`` rows) and
a ``{Begin of Measurements}`` block (frequency MHz, Tx height, Tx effective height, Rx height,
polarisation, ..., total e.r.p. dBW (column 13), time percentage (column 15), field strength
(column 17), basic transmission loss (column 18)). A result log holds ``name,ref,,value,`` rows.

Malformed input raises :class:`ssckit.core.errors.InputError` naming the file, the line and
what is expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ssckit.core.errors import InputError

__all__ = [
    "LogEntry",
    "P1812Log",
    "P1812Measurement",
    "P1812ProfileFile",
    "read_p1812_log",
    "read_p1812_profile",
]

# Measurement-row columns (0-based) of the SG3 databank CSV layout.
_COL_F, _COL_HTX, _COL_HRX, _COL_POL = 0, 1, 3, 4
_COL_ERP_TOTAL, _COL_TIME, _COL_E, _COL_LB = 12, 14, 16, 17


@dataclass(frozen=True)
class P1812Measurement:
    """One measurement row: frequency [MHz], heights [m], polarisation (1 H, 2 V),
    total e.r.p. [dBW], time percentage [%], field strength [dB(µV/m)], basic loss [dB].

    Empty fields are NaN; ``line`` is the 1-based line number in the file.
    """

    f_mhz: float
    htx_m: float
    hrx_m: float
    pol: int
    erp_total_dbw: float
    time_percent: float
    field_strength_dbuv: float
    basic_loss_db: float
    line: int

    @property
    def ptx_kw(self) -> float:
        """Transmitter power [kW] from the total e.r.p. (NaN when the e.r.p. is missing)."""
        return 10.0 ** (self.erp_total_dbw / 10.0) * 1e-3


@dataclass(frozen=True)
class P1812ProfileFile:
    """A parsed profile file: coordinates [deg], ΔN [N-units/km], N0 [N-units], and the
    profile as arrays (distance [km], terrain height [m amsl], coverage code, representative
    clutter height [m], radio-climatic zone 1/3/4), plus the measurement rows.

    ``first_point_tx`` is False when the file says the profile starts at the receiver; the
    arrays are returned as stored (not reversed).
    """

    source: str
    tx_lat: float
    tx_lon: float
    rx_lat: float
    rx_lon: float
    first_point_tx: bool
    dn: float
    n0: float
    d_km: np.ndarray
    h_m: np.ndarray
    coverage_code: np.ndarray
    r_m: np.ndarray
    zone: np.ndarray
    measurements: tuple[P1812Measurement, ...]


@dataclass(frozen=True)
class LogEntry:
    """One row of a result log: quantity name, equation reference, value, 1-based line."""

    name: str
    ref: str
    value: float
    line: int


@dataclass(frozen=True)
class P1812Log:
    """A parsed result log (the rows in file order)."""

    source: str
    entries: tuple[LogEntry, ...]

    def get(self, name: str, ref: str | None = None) -> float:
        """Value of the first row whose name (and reference, if given) matches.

        Names and references are compared with surrounding spaces removed. Raises
        :class:`KeyError` when no row matches.
        """
        for e in self.entries:
            if e.name == name.strip() and (ref is None or e.ref == ref.strip()):
                return e.value
        raise KeyError(f"{name!r} (ref {ref!r}) is not in {self.source}")

    def __contains__(self, name: object) -> bool:
        return any(e.name == str(name).strip() for e in self.entries)


def _num(source: str, lineno: int, field: str, text: str, *, allow_empty: bool = False) -> float:
    t = text.strip()
    if t == "" and allow_empty:
        return math.nan
    try:
        v = float(t)
    except ValueError:
        raise InputError(source, f"line {lineno}, field '{field}'",
                         f"{t!r} is not a number; a decimal number is expected") from None
    if not math.isfinite(v):
        raise InputError(source, f"line {lineno}, field '{field}'",
                         f"{t!r} is not a finite number")
    return v


def _key(text: str) -> str:
    return text.replace(" ", "").replace("(", "").replace(")", "").lower()


def read_p1812_profile(path: str | Path) -> P1812ProfileFile:
    """Parse a P.1812 validation/profile CSV file.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to read.

    Returns
    -------
    P1812ProfileFile
        Coordinates, meteorology, profile arrays and measurement rows.

    Raises
    ------
    InputError
        The file is malformed: the error names the line and what was expected.
    """
    source = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise InputError(source, None, f"cannot be read: {exc.strerror or exc}") from None

    header: dict[str, tuple[int, str]] = {}
    profile_rows: list[tuple[int, list[str]]] = []
    meas_rows: list[tuple[int, list[str]]] = []
    n_points: int | None = None
    n_points_line = 0
    section = "header"
    seen = set()
    for idx, raw in enumerate(lines, start=1):
        line = raw.strip()
        low = line.lower()
        if low.startswith("{begin of profile"):
            section = "profile"
            seen.add("profile")
            continue
        if low.startswith("{end of profile"):
            section = "after-profile"
            continue
        if low.startswith("{begin of measurements"):
            section = "measurements"
            seen.add("measurements")
            continue
        if low.startswith("{end of measurements"):
            section = "after-measurements"
            continue
        if low.startswith("{begin of meteorology"):
            seen.add("meteorology")
            continue
        if line == "" or line.startswith("#"):
            continue
        cells = raw.split(",")
        if section == "profile":
            if _key(cells[0]).startswith("numberofpoints"):
                if len(cells) < 2:
                    raise InputError(source, f"line {idx}",
                                     "'Number of Points:' needs a value: an integer >= 5")
                try:
                    n_points = int(cells[1].strip())
                except ValueError:
                    raise InputError(source, f"line {idx}, field 'Number of Points'",
                                     f"{cells[1].strip()!r} is not an integer") from None
                n_points_line = idx
                continue
            profile_rows.append((idx, cells))
        elif section == "measurements":
            meas_rows.append((idx, cells))
        elif (section in ("header", "after-profile") and len(cells) >= 2
              and cells[0].strip().endswith(":")):
            header.setdefault(_key(cells[0]), (idx, cells[1]))

    def need(prefix: str, label: str) -> float:
        for k, (ln, val) in header.items():
            if k.startswith(prefix):
                if val.strip() == "":
                    raise InputError(source, f"line {ln}, field '{label}'",
                                     "a value is required here")
                return _num(source, ln, label, val)
        raise InputError(source, None, f"the header line '{label}:,<value>' is missing")

    tx_lat = need("txlat", "Tx LAT")
    tx_lon = need("txlon", "Tx LON")
    rx_lat = need("rxlat", "Rx LAT")
    rx_lon = need("rxlon", "Rx LON")
    dn = need("averageannualvaluesdn", "Average annual values dN (N-units/km)")
    n0 = need("averageannualsea-levelsurfacerefractivityno",
              "Average annual sea-level surface refractivity No (N-units)")
    first = header.get(_key("First Point TX or RX:"))
    first_tx = True if first is None else not first[1].strip().upper().startswith("R")

    if "profile" not in seen:
        raise InputError(source, None, "the '{Begin of Profile}' block is missing")
    if n_points is None:
        raise InputError(source, None,
                         "the profile block needs a 'Number of Points:,<n>' line before its rows")
    if len(profile_rows) != n_points:
        where = profile_rows[-1][0] if profile_rows else n_points_line
        raise InputError(source, f"line {where}",
                         f"'Number of Points' (line {n_points_line}) says {n_points} rows, "
                         f"the profile block has {len(profile_rows)}")
    d = np.empty(n_points)
    h = np.empty(n_points)
    cov = np.empty(n_points)
    r = np.empty(n_points)
    zone = np.empty(n_points, dtype=np.int64)
    for k, (ln, cells) in enumerate(profile_rows):
        if len(cells) < 5:
            raise InputError(source, f"line {ln}",
                             f"{len(cells)} fields; a profile row needs 5: d [km], h [m], "
                             "coverage code, R [m], radio-climatic zone (1, 3 or 4)")
        d[k] = _num(source, ln, "d", cells[0])
        h[k] = _num(source, ln, "h", cells[1])
        cov[k] = _num(source, ln, "coverage code", cells[2], allow_empty=True)
        r[k] = _num(source, ln, "R", cells[3], allow_empty=True)
        z = _num(source, ln, "radio-climatic zone", cells[4])
        if z not in (1.0, 3.0, 4.0):
            raise InputError(source, f"line {ln}, field 'radio-climatic zone'",
                             f"{cells[4].strip()!r} is not 1 (sea), 3 (coastal) or 4 (inland)")
        zone[k] = int(z)
        if k > 0 and d[k] <= d[k - 1]:
            raise InputError(source, f"line {ln}, field 'd'",
                             f"{d[k]:g} km does not increase on the previous row ({d[k-1]:g} km)")

    if "measurements" not in seen:
        raise InputError(source, None, "the '{Begin of Measurements}' block is missing")
    meas = []
    for ln, cells in meas_rows:
        if len(cells) < 18:
            raise InputError(source, f"line {ln}",
                             f"{len(cells)} fields; a measurement row needs at least 18")
        pol = _num(source, ln, "polarisation", cells[_COL_POL])
        if pol not in (1.0, 2.0):
            raise InputError(source, f"line {ln}, field 'polarisation'",
                             f"{cells[_COL_POL].strip()!r} is not 1 (horizontal) or 2 (vertical)")
        time = _num(source, ln, "time percentage", cells[_COL_TIME], allow_empty=True)
        meas.append(P1812Measurement(
            f_mhz=_num(source, ln, "frequency", cells[_COL_F]),
            htx_m=_num(source, ln, "Tx antenna height", cells[_COL_HTX]),
            hrx_m=_num(source, ln, "Rx antenna height", cells[_COL_HRX]),
            pol=int(pol),
            erp_total_dbw=_num(source, ln, "ERP_max_total", cells[_COL_ERP_TOTAL],
                               allow_empty=True),
            time_percent=50.0 if math.isnan(time) else time,
            field_strength_dbuv=_num(source, ln, "field strength", cells[_COL_E],
                                     allow_empty=True),
            basic_loss_db=_num(source, ln, "basic transmission loss", cells[_COL_LB],
                               allow_empty=True),
            line=ln,
        ))
    return P1812ProfileFile(
        source=source, tx_lat=tx_lat, tx_lon=tx_lon, rx_lat=rx_lat, rx_lon=rx_lon,
        first_point_tx=first_tx, dn=dn, n0=n0, d_km=d, h_m=h, coverage_code=cov, r_m=r,
        zone=zone, measurements=tuple(meas),
    )


def read_p1812_log(path: str | Path) -> P1812Log:
    """Parse a P.1812 result log (``name,ref,,value,`` rows, ``#`` header, blank rows).

    Parameters
    ----------
    path : str or pathlib.Path
        The log file.

    Returns
    -------
    P1812Log
        The rows in file order.

    Raises
    ------
    InputError
        A row whose value is not a number.
    """
    source = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise InputError(source, None, f"cannot be read: {exc.strerror or exc}") from None
    entries = []
    for idx, raw in enumerate(lines, start=1):
        if raw.startswith("#"):
            continue
        cells = raw.rstrip().split(",")
        while cells and cells[-1].strip() == "":
            cells.pop()
        if not cells or all(c.strip() == "" for c in cells):
            continue
        if len(cells) < 4:
            raise InputError(source, f"line {idx}",
                             "a log row needs 'name,ref,,value'; found "
                             f"{len(cells)} fields")
        value = _num(source, idx, "value", cells[-1])
        rest = cells[:-1]
        entries.append(LogEntry(name=",".join(rest[:-2]).strip(), ref=rest[-2].strip(),
                                value=value, line=idx))
    return P1812Log(source=source, entries=tuple(entries))
