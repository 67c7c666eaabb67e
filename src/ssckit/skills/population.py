"""Survey microdata → ITU ICT-skill indicators (SDG 4.4.1) by population group.

Reads a household-survey extract (CSV) and a design file, computes each activity's share, the
per-area and overall skill levels (``frameworks.compute_skill_levels``) and their design-based
estimates with confidence intervals (``survey.estimate``) overall and by every group variable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ssckit import __version__
from ssckit.core.errors import InputError
from ssckit.core.indicators import IndicatorValue
from ssckit.skills.frameworks import AREA_IDS, compute_skill_levels, default_frameworks
from ssckit.skills.survey import Design, estimate

LEVEL_NAMES = {0: "none", 1: "basic", 2: "above_basic"}


class SurveyDesignFile(BaseModel):
    """``design.yaml``: which columns hold the design and the answers."""

    model_config = ConfigDict(extra="forbid")

    weight: str = Field(description="Column of the survey weights (persons per respondent).")
    strata: str | None = Field(default=None, description="Column of the first-stage strata.")
    psu: str | None = Field(default=None, description="Column of the first-stage PSU codes.")
    fpc: str | None = Field(default=None, description="Column of the finite-population "
                                                      "correction (PSUs in stratum or fraction).")
    lonely_psu: str = Field(default="fail", description="fail|remove|certainty|adjust|average")
    groups: list[str] = Field(default_factory=list,
                              description="Group columns to break results down by.")
    activities: dict[str, str] = Field(
        default_factory=dict,
        description="Activity id -> answer column (1 = did it in the last 3 months); default: "
                    "every column named after an ITU activity id.")
    internet_user: str | None = Field(
        default=None, description="Column (1/0): used the internet in the last 3 months; "
                                  "non-users are not assessed for levels.")
    rules: str | None = Field(default=None, description="Level rule set (default: ITU EGH 2023).")


@dataclass
class SurveyResult:
    values: list[IndicatorValue]
    table: list[dict[str, Any]] = field(default_factory=list)


def read_design(path: Path) -> SurveyDesignFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except yaml.YAMLError as exc:
        raise InputError(str(path), None, f"not valid YAML: {exc}") from None
    try:
        return SurveyDesignFile.model_validate(raw or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(document)"
        raise InputError(str(path), f"field '{loc}'", err["msg"]) from None


def read_microdata(path: Path) -> dict[str, np.ndarray]:
    """Every column of a CSV as NumPy arrays (types inferred by DuckDB's CSV reader)."""
    if not path.is_file():
        raise InputError(str(path), None, "file not found")
    con = duckdb.connect()
    try:
        return con.execute("SELECT * FROM read_csv_auto(?, header=true)",
                           [str(path)]).fetchnumpy()
    except duckdb.Error as exc:
        raise InputError(str(path), None, f"not a readable CSV ({exc})") from None
    finally:
        con.close()


def _column(data: dict[str, np.ndarray], name: str, path: Path, what: str) -> np.ndarray:
    if name not in data:
        raise InputError(str(path), f"column '{name}'",
                         f"{what} column not found; columns: {', '.join(data)}")
    col = data[name]
    return col.filled(np.nan) if isinstance(col, np.ma.MaskedArray) and col.dtype.kind == "f" \
        else np.asarray(col)


def skills_indicators(data_path: Path, design_path: Path, period: str, quality: str = "C",
                      level: float = 0.95) -> SurveyResult:
    """Indicator values (with SE and CI in their source) for every activity, area level and
    overall level, overall and by each group of the design file."""
    d = read_design(design_path)
    data = read_microdata(data_path)
    fw = default_frameworks()
    acts = d.activities or {a: a for a in fw.activities if a in data}
    if not acts:
        raise InputError(str(data_path), None, "no activity columns: name them after ITU "
                         "activity ids or map them in design.yaml 'activities'")
    unknown = [a for a in acts if a not in fw.activities]
    if unknown:
        raise InputError(str(design_path), f"field 'activities.{unknown[0]}'",
                         f"unknown ITU activity id; known: {', '.join(sorted(fw.activities))}")
    answers = np.column_stack([_answers(data, col, data_path) for col in acts.values()])
    n = answers.shape[0]
    design = Design(
        weights=_column(data, d.weight, data_path, "weight").astype(float),
        strata=_column(data, d.strata, data_path, "strata") if d.strata else None,
        psu=_column(data, d.psu, data_path, "psu") if d.psu else None,
        fpc=_column(data, d.fpc, data_path, "fpc").astype(float) if d.fpc else None,
        lonely_psu=d.lonely_psu,
    )
    users = (_answers(data, d.internet_user, data_path).astype(bool) if d.internet_user
             else np.ones(n, bool))
    ids = list(acts)
    area_acts = [a for a in ids if fw.activities[a].area is not None]
    levels = None
    if {fw.activities[a].area for a in area_acts} >= set(AREA_IDS):
        cols = [ids.index(a) for a in area_acts]
        levels = compute_skill_levels(answers[:, cols].astype(bool), area_acts, rules=d.rules,
                                      assessed=users, source=str(data_path))
    groups = {g: _group_labels(_column(data, g, data_path, "group")) for g in d.groups}
    src = {"module": "skills.survey", "file": data_path.name, "design": design_path.name,
           "version": __version__}
    out = SurveyResult([])

    def add(indicator: str, y: np.ndarray, unit_scale: float = 100.0) -> None:
        for domains in [None, *[{g: v} for g, v in groups.items()]]:
            tab = estimate(design, y.astype(float), "prop", domains, level)
            for row in tab.rows():
                breakdown = {g: str(row[g]) for g in tab.group_names}
                meta = dict(src, se=_r(row["se"] * unit_scale), ci_low=_r(row["ci_low"] *
                            unit_scale), ci_high=_r(row["ci_high"] * unit_scale),
                            n=int(row["n"]), level=level)
                out.values.append(IndicatorValue(
                    indicator=indicator, value=float(row["estimate"]) * unit_scale, unit="%",
                    period=period, breakdown=breakdown, source=meta, quality=quality))
                out.table.append({"indicator": indicator, **breakdown,
                                  "estimate": row["estimate"] * unit_scale, **{
                                      k: meta[k] for k in ("se", "ci_low", "ci_high", "n")}})

    for j, a in enumerate(ids):
        add(f"skills:activity:{a}", answers[:, j])
    if levels is not None:
        assessed = levels.overall >= 0
        for k, area in enumerate(AREA_IDS):
            at_least_basic = (levels.area_levels[:, k] >= 1) & assessed
            add(f"skills:area_basic_or_above:{area}", at_least_basic)
        add("skills:overall_basic_or_above", (levels.overall >= _basic_code(d.rules)) & assessed)
    return out


def _basic_code(rules: str | None) -> int:
    fw = default_frameworks()
    rule = fw.rules[rules or fw.default_rules]
    for code in sorted(c.code for c in rule.overall):
        if rule.category(code).id == "basic":
            return code
    raise ValueError("the rule set has no 'basic' overall category")


def _answers(data: dict[str, np.ndarray], col: str, path: Path) -> np.ndarray:
    v = _column(data, col, path, "answer").astype(float)
    bad = np.flatnonzero(~np.isin(v, (0.0, 1.0)))
    if bad.size:
        raise InputError(str(path), f"row {int(bad[0]) + 2}, column '{col}'",
                         f"{v[bad[0]]!r} is not 0 or 1 ({bad.size} such rows)")
    return v


def _group_labels(col: np.ndarray) -> np.ndarray:
    """Group codes as text; yes/no columns that the CSV reader took for booleans stay yes/no."""
    if col.dtype == bool:
        return np.where(col, "yes", "no")
    return col.astype(str)


def _r(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)
