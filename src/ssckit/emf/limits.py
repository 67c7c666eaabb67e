"""EMF exposure limits as data: ICNIRP 2020, ICNIRP 1998 (EU 1999/519/EC) and national tables.

A limit set is a list of frequency ranges, each with its reference levels written as power
laws of the frequency in MHz, ``value = coefficient * f_MHz ** exponent``, which is the form of
every entry of the ICNIRP tables used here. Ranges follow the tables' ``>f_min-f_max``
convention: a frequency on a boundary belongs to the lower range, and the lowest range also
includes its own lower edge.

Built-in sets (see ``LIMIT_SETS``):

* ``icnirp2020-public``, ``icnirp2020-occupational``: ICNIRP (2020) Table 5, whole-body
  exposure averaged over 30 min, 100 kHz-300 GHz;
* ``icnirp1998-public``, ``icnirp1998-occupational``: ICNIRP (1998) Tables 7 and 6 from
  100 kHz to 300 GHz; the general-public table is the one adopted by Council Recommendation
  1999/519/EC, Annex III, Table 2.

User-defined (national) sets come from a mapping such as a ``city.yaml`` section and are read by
``limit_set_from_dict``, which accepts numbers or a tiny formula grammar and never evaluates code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ssckit.core.errors import InputError

__all__ = [
    "LIMIT_SETS",
    "Z0_OHM",
    "LimitRange",
    "LimitSet",
    "PowerLaw",
    "get_limit_set",
    "limit_field_strength",
    "limit_power_density",
    "limit_set_from_dict",
    "parse_power_law",
]

#: Impedance of free space used for plane-wave equivalents [ohm], Z0 = 120*pi ~ 376.7 (far
#: field: S_eq = E^2 / Z0 = Z0 H^2, ICNIRP 2020 definition of equivalent plane-wave power
#: density).
Z0_OHM = 120.0 * math.pi


@dataclass(frozen=True)
class PowerLaw:
    """A reference level written as ``coefficient * f_MHz ** exponent``.

    Attributes
    ----------
    coefficient : float
        Value at 1 MHz, in the unit of the quantity ([W/m^2], [V/m] or [A/m]).
    exponent : float
        Power of the frequency in MHz [-] (0 for a flat level).
    """

    coefficient: float
    exponent: float = 0.0

    def __call__(self, f_mhz: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.exponent == 0.0:
            return np.full(np.shape(f_mhz), self.coefficient)
        return self.coefficient * np.power(f_mhz, self.exponent)


@dataclass(frozen=True)
class LimitRange:
    """One row of a limit table.

    Attributes
    ----------
    f_min_mhz, f_max_mhz : float
        Frequency range [MHz]: ``f_min < f <= f_max`` (the lowest row also takes ``f_min``).
    s_w_m2 : PowerLaw or None
        Incident (or equivalent plane-wave) power density [W/m^2]; None where the table says
        "NA" or gives none.
    e_v_m : PowerLaw or None
        Electric field strength, rms [V/m]; None where not given.
    h_a_m : PowerLaw or None
        Magnetic field strength, rms [A/m]; None where not given.
    """

    f_min_mhz: float
    f_max_mhz: float
    s_w_m2: PowerLaw | None
    e_v_m: PowerLaw | None = None
    h_a_m: PowerLaw | None = None


@dataclass(frozen=True)
class LimitSet:
    """A named table of reference levels with the document it comes from.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"icnirp2020-public"``.
    source : str
        The document, table and clause the values come from.
    ranges : tuple of LimitRange
        Rows sorted by frequency, not overlapping.
    averaging_time_min : float or None
        Averaging time of the reference levels [min], where the source states one.
    """

    name: str
    source: str
    ranges: tuple[LimitRange, ...]
    averaging_time_min: float | None = None

    def __post_init__(self) -> None:
        if not self.ranges:
            raise ValueError(f"limit set {self.name!r} has no frequency range")
        prev = -math.inf
        for r in self.ranges:
            if not (0.0 <= r.f_min_mhz < r.f_max_mhz):
                raise ValueError(f"limit set {self.name!r}: range {r.f_min_mhz:g}-"
                                 f"{r.f_max_mhz:g} MHz must have 0 <= f_min < f_max")
            if r.f_min_mhz < prev:
                raise ValueError(f"limit set {self.name!r}: ranges must be sorted and must "
                                 f"not overlap (range starting at {r.f_min_mhz:g} MHz)")
            prev = r.f_max_mhz

    @property
    def f_min_mhz(self) -> float:
        """Lowest frequency covered [MHz]."""
        return self.ranges[0].f_min_mhz

    @property
    def f_max_mhz(self) -> float:
        """Highest frequency covered [MHz]."""
        return self.ranges[-1].f_max_mhz

    def coverage(self) -> str:
        """The covered frequencies, for messages: ``"0.1-300000 MHz"`` (gaps listed)."""
        parts = [f"{r.f_min_mhz:g}-{r.f_max_mhz:g}" for r in self.ranges]
        merged: list[str] = []
        for r, text in zip(self.ranges, parts, strict=True):
            if merged and float(merged[-1].rsplit("-", 1)[1]) == r.f_min_mhz:
                merged[-1] = merged[-1].rsplit("-", 1)[0] + f"-{r.f_max_mhz:g}"
            else:
                merged.append(text)
        return ", ".join(merged) + " MHz"


def _pl(coefficient: float, exponent: float = 0.0) -> PowerLaw:
    return PowerLaw(float(coefficient), float(exponent))


# --------------------------------------------------------------------------- ICNIRP 2020

_ICNIRP2020 = ("ICNIRP (2020), Guidelines for limiting exposure to electromagnetic fields "
               "(100 kHz to 300 GHz), Health Phys. 118(5):483-524, Table 5 (whole body, "
               "averaged over 30 min, unperturbed rms values)")

#: ICNIRP 2020 Table 5, general public. E and H are given up to 2 GHz only, S_inc from 30 MHz.
ICNIRP2020_PUBLIC = LimitSet(
    name="icnirp2020-public", source=_ICNIRP2020 + ", general public", averaging_time_min=30.0,
    ranges=(
        LimitRange(0.1, 30.0, None, _pl(300.0, -0.7), _pl(2.2, -1.0)),
        LimitRange(30.0, 400.0, _pl(2.0), _pl(27.7), _pl(0.073)),
        LimitRange(400.0, 2000.0, _pl(1.0 / 200.0, 1.0), _pl(1.375, 0.5), _pl(0.0037, 0.5)),
        LimitRange(2000.0, 300_000.0, _pl(10.0)),
    ))

#: ICNIRP 2020 Table 5, occupational.
ICNIRP2020_OCCUPATIONAL = LimitSet(
    name="icnirp2020-occupational", source=_ICNIRP2020 + ", occupational",
    averaging_time_min=30.0,
    ranges=(
        LimitRange(0.1, 30.0, None, _pl(660.0, -0.7), _pl(4.9, -1.0)),
        LimitRange(30.0, 400.0, _pl(10.0), _pl(61.0), _pl(0.16)),
        LimitRange(400.0, 2000.0, _pl(1.0 / 40.0, 1.0), _pl(3.0, 0.5), _pl(0.008, 0.5)),
        LimitRange(2000.0, 300_000.0, _pl(50.0)),
    ))

# --------------------------------------------------------------------------- ICNIRP 1998

_ICNIRP1998 = ("ICNIRP (1998), Guidelines for limiting exposure to time-varying electric, "
               "magnetic and electromagnetic fields (up to 300 GHz), Health Phys. "
               "74(4):494-522")

#: ICNIRP 1998 Table 7 (general public), 100 kHz-300 GHz; identical to Council Recommendation
#: 1999/519/EC Annex III Table 2. S_eq is given from 10 MHz; 6-min averaging below 10 GHz.
ICNIRP1998_PUBLIC = LimitSet(
    name="icnirp1998-public",
    source=_ICNIRP1998 + ", Table 7 (general public); Council Recommendation 1999/519/EC, "
                         "Annex III, Table 2",
    averaging_time_min=6.0,
    ranges=(
        LimitRange(0.1, 0.15, None, _pl(87.0), _pl(5.0)),
        LimitRange(0.15, 1.0, None, _pl(87.0), _pl(0.73, -1.0)),
        LimitRange(1.0, 10.0, None, _pl(87.0, -0.5), _pl(0.73, -1.0)),
        LimitRange(10.0, 400.0, _pl(2.0), _pl(28.0), _pl(0.073)),
        LimitRange(400.0, 2000.0, _pl(1.0 / 200.0, 1.0), _pl(1.375, 0.5), _pl(0.0037, 0.5)),
        LimitRange(2000.0, 300_000.0, _pl(10.0), _pl(61.0), _pl(0.16)),
    ))

#: ICNIRP 1998 Table 6 (occupational), 100 kHz-300 GHz.
ICNIRP1998_OCCUPATIONAL = LimitSet(
    name="icnirp1998-occupational", source=_ICNIRP1998 + ", Table 6 (occupational)",
    averaging_time_min=6.0,
    ranges=(
        LimitRange(0.1, 1.0, None, _pl(610.0), _pl(1.6, -1.0)),
        LimitRange(1.0, 10.0, None, _pl(610.0, -1.0), _pl(1.6, -1.0)),
        LimitRange(10.0, 400.0, _pl(10.0), _pl(61.0), _pl(0.16)),
        LimitRange(400.0, 2000.0, _pl(1.0 / 40.0, 1.0), _pl(3.0, 0.5), _pl(0.008, 0.5)),
        LimitRange(2000.0, 300_000.0, _pl(50.0), _pl(137.0), _pl(0.36)),
    ))

#: The built-in limit sets by name (read-only).
LIMIT_SETS: Mapping[str, LimitSet] = MappingProxyType({
    s.name: s for s in (ICNIRP2020_PUBLIC, ICNIRP2020_OCCUPATIONAL, ICNIRP1998_PUBLIC,
                        ICNIRP1998_OCCUPATIONAL)
})


def get_limit_set(limit_set: str | LimitSet,
                  user_sets: Iterable[LimitSet] | Mapping[str, LimitSet] = ()) -> LimitSet:
    """Resolve a limit-set name (built-in or user-defined) to its ``LimitSet``.

    Parameters
    ----------
    limit_set : str or LimitSet
        A name from ``LIMIT_SETS`` or from ``user_sets``, or a ``LimitSet`` (returned as is).
    user_sets : iterable or mapping of LimitSet, optional
        User-defined sets (e.g. from ``limit_set_from_dict``); a user set may not reuse a
        built-in name.

    Returns
    -------
    LimitSet

    Raises
    ------
    ValueError
        Unknown name (the message lists the known ones) or a user set shadowing a built-in.
    """
    if isinstance(limit_set, LimitSet):
        return limit_set
    users = list(user_sets.values()) if isinstance(user_sets, Mapping) else list(user_sets)
    known = dict(LIMIT_SETS)
    for s in users:
        if s.name in LIMIT_SETS:
            raise ValueError(f"user limit set {s.name!r} reuses a built-in name; "
                             f"built-in: {', '.join(LIMIT_SETS)}")
        known[s.name] = s
    try:
        return known[str(limit_set)]
    except KeyError:
        raise ValueError(f"unknown limit set {limit_set!r}; known: "
                         f"{', '.join(sorted(known))}") from None


def _row_index(ls: LimitSet, f: NDArray[np.float64]) -> NDArray[np.intp]:
    """Row of each frequency (``f_min < f <= f_max``, lowest row closed); raises outside."""
    f_min = np.array([r.f_min_mhz for r in ls.ranges])
    f_max = np.array([r.f_max_mhz for r in ls.ranges])
    idx = np.searchsorted(f_max, f, side="left")
    inside = idx < len(f_max)
    safe = np.minimum(idx, len(f_max) - 1)
    inside &= (f > f_min[safe]) | ((safe == 0) & (f == f_min[0]))
    if not np.all(inside):
        bad = f[~inside].ravel()
        shown = ", ".join(f"{v:g}" for v in bad[:5]) + (" ..." if bad.size > 5 else "")
        raise ValueError(f"f_mhz {shown} MHz is outside every range of limit set "
                         f"{ls.name!r} (covers {ls.coverage()})")
    return idx


def _frequencies(f_mhz: ArrayLike) -> NDArray[np.float64]:
    f = np.asarray(f_mhz, dtype=float)
    if np.any(~np.isfinite(f)) or np.any(f <= 0):
        raise ValueError("f_mhz must be finite and > 0 [MHz]")
    return f


def _evaluate(laws: list[PowerLaw | None], idx: NDArray[np.intp],
              f: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full(f.shape, np.nan)
    for i, law in enumerate(laws):
        sel = idx == i
        if law is not None and np.any(sel):
            out[sel] = law(f[sel])
    return out


def limit_field_strength(limit_set: str | LimitSet, f_mhz: ArrayLike
                         ) -> tuple[NDArray[np.float64] | float, NDArray[np.float64] | float]:
    """Reference levels of electric and magnetic field strength.

    Parameters
    ----------
    limit_set : str or LimitSet
        Limit-set name (see ``LIMIT_SETS``) or a ``LimitSet``.
    f_mhz : array_like
        Frequency [MHz].

    Returns
    -------
    e_v_m : float or numpy.ndarray
        Electric field strength E_L, rms [V/m]; NaN where the table gives none (ICNIRP 2020
        above 2 GHz).
    h_a_m : float or numpy.ndarray
        Magnetic field strength H_L, rms [A/m]; NaN where the table gives none.

    Raises
    ------
    ValueError
        Unknown set, or a frequency outside every range of the set.

    References
    ----------
    ICNIRP (2020) Table 5; ICNIRP (1998) Tables 6 and 7; Council Recommendation 1999/519/EC,
    Annex III, Table 2.
    """
    ls = get_limit_set(limit_set)
    f = _frequencies(f_mhz)
    idx = _row_index(ls, f)
    e = _evaluate([r.e_v_m for r in ls.ranges], idx, f)
    h = _evaluate([r.h_a_m for r in ls.ranges], idx, f)
    if e.ndim == 0:
        return float(e), float(h)
    return e, h


def limit_power_density(limit_set: str | LimitSet, f_mhz: ArrayLike, *,
                        plane_wave_equivalent: bool = True) -> NDArray[np.float64] | float:
    """Reference level of power density S_L at given frequencies.

    Parameters
    ----------
    limit_set : str or LimitSet
        Limit-set name (``icnirp2020-public``, ``icnirp2020-occupational``,
        ``icnirp1998-public``, ``icnirp1998-occupational``) or a ``LimitSet`` (built-in or
        from ``limit_set_from_dict``).
    f_mhz : array_like
        Frequency [MHz], > 0.
    plane_wave_equivalent : bool, optional
        Where the table gives no power density but gives E and/or H (ICNIRP 2020 below
        30 MHz, ICNIRP 1998 below 10 MHz), return the far-field plane-wave equivalent
        ``min(E_L^2 / Z0, Z0 H_L^2)`` (default True); with False such frequencies raise.

    Returns
    -------
    float or numpy.ndarray
        S_L [W/m^2], same shape as ``f_mhz``.

    Raises
    ------
    ValueError
        Unknown set; a frequency outside every range of the set (the message names the set
        and the range it covers); no power density at that frequency with
        ``plane_wave_equivalent=False``.

    Notes
    -----
    ICNIRP 2020 Table 5, general public: S_inc = 2 W/m^2 (>30-400 MHz), f_M/200 W/m^2
    (>400-2000 MHz), 10 W/m^2 (>2-300 GHz); occupational: 10, f_M/40, 50 W/m^2.
    ICNIRP 1998 Tables 7/6: S_eq = 2 (10-400 MHz), f/200 (400-2000 MHz), 10 W/m^2
    (2-300 GHz) for the public; 10, f/40, 50 W/m^2 for workers.

    In the far field E, H and S are tied by S = E^2/Z0 = Z0 H^2 (ICNIRP 2020 Table 5
    note 5: one of S_inc, E_inc, H_inc suffices there, S_eq may replace S_inc); taking the
    smaller of the two equivalents keeps both the E and the H reference level.

    References
    ----------
    ICNIRP (2020) Health Phys. 118(5):483-524, Table 5 and its notes; ICNIRP (1998) Health
    Phys. 74(4):494-522, Tables 6 and 7; Council Recommendation 1999/519/EC, Annex III,
    Table 2.
    """
    ls = get_limit_set(limit_set)
    f = _frequencies(f_mhz)
    idx = _row_index(ls, f)
    s = _evaluate([r.s_w_m2 for r in ls.ranges], idx, f)
    missing = np.isnan(s)
    if np.any(missing):
        e = _evaluate([r.e_v_m for r in ls.ranges], idx, f)
        h = _evaluate([r.h_a_m for r in ls.ranges], idx, f)
        eq = np.fmin(e**2 / Z0_OHM, Z0_OHM * h**2)
        if not plane_wave_equivalent or np.any(np.isnan(eq[missing])):
            bad = f[missing & (np.isnan(eq) | (not plane_wave_equivalent))].ravel()
            raise ValueError(f"limit set {ls.name!r} gives no power density at "
                             f"f_mhz = {bad[0]:g} MHz"
                             + ("" if plane_wave_equivalent else
                                "; allow plane_wave_equivalent to use E/H there"))
        s = np.where(missing, eq, s)
    return float(s) if s.ndim == 0 else s


# --------------------------------------------------------------------------- user tables

_NUM = r"[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?"
_LAW_RE = re.compile(
    rf"^(?:(?P<coef>{_NUM})\s*\*\s*)?f_mhz(?:\s*(?:\*\*|\^)\s*(?P<exp>[-+]?(?:{_NUM})))?"
    rf"(?:\s*/\s*(?P<div>{_NUM}))?$")
_CONST_RE = re.compile(rf"^(?:{_NUM})$")


def parse_power_law(text: str | float | int) -> PowerLaw:
    """Read a reference level written as a number or a one-term power law of f_mhz.

    Parameters
    ----------
    text : str or float
        A number, or one of ``"a"``, ``"f_mhz"``, ``"a*f_mhz"``, ``"f_mhz/b"``,
        ``"a*f_mhz/b"``, ``"a*f_mhz**c"`` (``^`` accepted for ``**``), with a, b, c decimal
        numbers (c may be signed). Nothing else is accepted; nothing is evaluated.

    Returns
    -------
    PowerLaw
        ``coefficient * f_mhz ** exponent`` with the coefficient in the unit of the level.

    Raises
    ------
    ValueError
        Text outside that grammar, or a non-finite or negative coefficient.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a number or a formula in f_mhz, found {text!r}")
    if isinstance(text, int | float):
        coef, exp = float(text), 0.0
    else:
        t = str(text).strip().replace(" ", "")
        m = _LAW_RE.match(t)
        if _CONST_RE.match(t):
            coef, exp = float(t), 0.0
        elif m:
            coef = float(m["coef"]) if m["coef"] else 1.0
            exp = float(m["exp"]) if m["exp"] else 1.0
            if m["div"]:
                div = float(m["div"])
                if div == 0.0:
                    raise ValueError(f"{text!r}: division by zero")
                coef /= div
        else:
            raise ValueError(f"{text!r} is not a number or a formula of the form a, a*f_mhz, "
                             "f_mhz/b, a*f_mhz/b or a*f_mhz**c (f in MHz)")
    if not (math.isfinite(coef) and coef >= 0.0 and math.isfinite(exp)):
        raise ValueError(f"{text!r}: coefficient must be a finite number >= 0")
    return PowerLaw(coef, exp)


def _number(value: Any, source: str, where: str, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(source, where, f"expected a number [{unit}], found {value!r}")
    try:
        v = float(value)
    except ValueError:
        raise InputError(source, where, f"expected a number [{unit}], found {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise InputError(source, where, f"{value!r} must be a finite number >= 0 [{unit}]")
    return v


def limit_set_from_dict(spec: Mapping[str, Any], source: str = "<limits>") -> LimitSet:
    """Build a user-defined (national) limit set from a mapping, e.g. a city.yaml section.

    Parameters
    ----------
    spec : mapping
        ``{"name": str, "source": str, "ranges": [{"f_min_mhz": number, "f_max_mhz": number,
        "s_w_m2": number or formula}, ...]}``. A flat limit may instead be written as
        ``{"name": ..., "source": ..., "s_w_m2": 0.1}`` (optionally with ``f_min_mhz`` and
        ``f_max_mhz``; default 0.1-300000 MHz). ``s_uw_cm2`` [uW/cm^2] may replace
        ``s_w_m2`` (1 uW/cm^2 = 0.01 W/m^2). Formulas: see ``parse_power_law``.
    source : str, optional
        Where the mapping came from, for error messages (e.g. the city.yaml path).

    Returns
    -------
    LimitSet

    Raises
    ------
    ssckit.core.errors.InputError
        Missing or malformed field, naming it (``ranges[1].s_w_m2``) and what is allowed.
    """
    if not isinstance(spec, Mapping):
        raise InputError(source, None, "a limit set must be a mapping with name, source and "
                                       "ranges (or s_w_m2)")
    name = spec.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", name):
        raise InputError(source, "field 'name'", f"{name!r}: expected a name of letters, "
                         "digits, '-', '_', '.', ':'")
    if name in LIMIT_SETS:
        raise InputError(source, "field 'name'", f"{name!r} is a built-in limit set; choose "
                         "another name")
    doc = spec.get("source")
    if not isinstance(doc, str) or not doc.strip():
        raise InputError(source, "field 'source'", "expected the regulation or document the "
                         "values come from (text)")
    unknown = set(spec) - {"name", "source", "ranges", "s_w_m2", "s_uw_cm2", "f_min_mhz",
                           "f_max_mhz"}
    if unknown:
        raise InputError(source, f"field '{sorted(unknown)[0]}'", "unknown field; allowed: "
                         "name, source, ranges (or s_w_m2 / s_uw_cm2, f_min_mhz, f_max_mhz)")
    if "ranges" in spec:
        rows = spec["ranges"]
        if not isinstance(rows, list) or not rows:
            raise InputError(source, "field 'ranges'", "expected a non-empty list of "
                             "{f_min_mhz, f_max_mhz, s_w_m2}")
        prefix = "ranges"
    else:
        rows = [{k: spec[k] for k in ("s_w_m2", "s_uw_cm2", "f_min_mhz", "f_max_mhz")
                 if k in spec}]
        rows[0].setdefault("f_min_mhz", 0.1)
        rows[0].setdefault("f_max_mhz", 300_000.0)
        prefix = ""
    ranges = []
    for i, row in enumerate(rows):
        at = f"{prefix}[{i}]." if prefix else ""
        if not isinstance(row, Mapping):
            raise InputError(source, f"field '{prefix}[{i}]'", "expected a mapping with "
                             "f_min_mhz, f_max_mhz and s_w_m2")
        extra = set(row) - {"f_min_mhz", "f_max_mhz", "s_w_m2", "s_uw_cm2"}
        if extra:
            raise InputError(source, f"field '{at}{sorted(extra)[0]}'", "unknown field; "
                             "allowed: f_min_mhz, f_max_mhz, s_w_m2 (or s_uw_cm2)")
        for key in ("f_min_mhz", "f_max_mhz"):
            if key not in row:
                raise InputError(source, f"field '{at}{key}'", "missing [MHz]")
        f_lo = _number(row["f_min_mhz"], source, f"field '{at}f_min_mhz'", "MHz")
        f_hi = _number(row["f_max_mhz"], source, f"field '{at}f_max_mhz'", "MHz")
        if not f_lo < f_hi:
            raise InputError(source, f"field '{at}f_max_mhz'",
                             f"{f_hi:g} MHz must exceed f_min_mhz = {f_lo:g} MHz")
        if ("s_w_m2" in row) == ("s_uw_cm2" in row):
            raise InputError(source, f"field '{at}s_w_m2'", "give exactly one of s_w_m2 "
                             "[W/m^2] or s_uw_cm2 [uW/cm^2]")
        key = "s_w_m2" if "s_w_m2" in row else "s_uw_cm2"
        try:
            law = parse_power_law(row[key])
        except ValueError as exc:
            raise InputError(source, f"field '{at}{key}'", str(exc)) from None
        if law.coefficient == 0.0:
            raise InputError(source, f"field '{at}{key}'", "a limit must be > 0")
        if key == "s_uw_cm2":
            law = PowerLaw(law.coefficient * 0.01, law.exponent)
        ranges.append(LimitRange(f_lo, f_hi, law))
    ranges.sort(key=lambda r: r.f_min_mhz)
    for a, b in zip(ranges, ranges[1:], strict=False):
        if b.f_min_mhz < a.f_max_mhz:
            raise InputError(source, "field 'ranges'", f"ranges {a.f_min_mhz:g}-"
                             f"{a.f_max_mhz:g} MHz and {b.f_min_mhz:g}-{b.f_max_mhz:g} MHz "
                             "overlap")
    return LimitSet(name=name, source=doc.strip(), ranges=tuple(ranges))
