"""DigComp 2.2, ITU ICT-skills activities and skill-level rules, read from data/frameworks.yaml.

``load_frameworks()`` reads and checks the file; ``compute_skill_levels()`` turns a boolean
matrix (respondents x activities) into per-area level codes (0 none, 1 basic, 2 above basic)
and an overall level code, following one of the rule sets of the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ssckit.core.errors import InputError

AREA_IDS = (1, 2, 3, 4, 5)
SKILL_CLASSES = ("basic", "standard", "advanced")
NOT_ASSESSED = -1
_COMPETENCE_RE = re.compile(r"^(?P<area>[1-9])\.(?P<num>[1-9]\d*)$")
_DEFAULT_NAME = "frameworks.yaml"


@dataclass(frozen=True)
class Area:
    """One DigComp competence area."""

    id: int
    key: str
    en: str
    ru: str


@dataclass(frozen=True)
class Competence:
    """One DigComp competence, e.g. ``1.1``."""

    id: str
    area: int
    en: str
    ru: str


@dataclass(frozen=True)
class ProficiencyGroup:
    """A group of DigComp proficiency levels (foundation: 1-2, ...)."""

    id: str
    en: str
    ru: str
    levels: tuple[int, ...]


@dataclass(frozen=True)
class Activity:
    """An ICT activity asked in household surveys (ITU HH15 / SDG 4.4.1 and the area grouping)."""

    id: str
    en: str
    ru: str
    sdg_code: str | None
    skill_class: str | None
    area: int | None
    en_2020: str | None = None


@dataclass(frozen=True)
class OverallCategory:
    """One overall skill level; ``matches`` is tried top-down by ``LevelRules``."""

    code: int
    id: str
    en: str
    ru: str
    all_above_basic: bool
    at_least_basic_min: int


@dataclass(frozen=True)
class LevelRules:
    """Per-area thresholds and overall categories of one rule set."""

    id: str
    status: str
    thresholds: Mapping[int, tuple[int, int]]  # area -> (basic_min, above_basic_min)
    overall: tuple[OverallCategory, ...]  # top-down order

    def category(self, code: int) -> OverallCategory:
        for c in self.overall:
            if c.code == code:
                return c
        raise KeyError(code)


@dataclass(frozen=True)
class Frameworks:
    """Everything frameworks.yaml holds, checked."""

    source: str
    areas: tuple[Area, ...]
    competences: tuple[Competence, ...]
    proficiency_groups: tuple[ProficiencyGroup, ...]
    activities: Mapping[str, Activity]
    activity_lists: Mapping[str, tuple[str, ...]]
    skill_areas: Mapping[int, tuple[str, ...]]
    rules: Mapping[str, LevelRules]
    default_rules: str
    area_level_labels: Mapping[int, str]
    sources: Mapping[str, Mapping[str, Any]]

    @property
    def competence_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.competences)

    def area(self, area_id: int) -> Area:
        for a in self.areas:
            if a.id == area_id:
                return a
        raise KeyError(area_id)

    def competence(self, competence_id: str) -> Competence:
        for c in self.competences:
            if c.id == competence_id:
                return c
        raise KeyError(competence_id)

    def proficiency_group(self, level: int) -> ProficiencyGroup:
        """The group (foundation, intermediate, advanced, highly specialised) of a level 1-8."""
        for g in self.proficiency_groups:
            if level in g.levels:
                return g
        raise KeyError(level)

    @property
    def levels(self) -> tuple[int, ...]:
        return tuple(sorted(lv for g in self.proficiency_groups for lv in g.levels))

    @property
    def skill_area_activity_ids(self) -> tuple[str, ...]:
        """The activities of the five-area grouping, area 1 first: the default matrix columns."""
        return tuple(a for area in AREA_IDS for a in self.skill_areas[area])


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------


def _text(d: Mapping[str, Any], key: str, src: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v.strip():
        raise InputError(src, f"{where}, field '{key}'", "a non-empty text is required")
    return v


def _mapping(v: Any, src: str, where: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise InputError(src, where, f"a mapping is required, got {type(v).__name__}")
    return v


def _list(v: Any, src: str, where: str) -> list[Any]:
    if not isinstance(v, list) or not v:
        raise InputError(src, where, "a non-empty list is required")
    return v


def _int(v: Any, src: str, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(src, where, f"an integer is required, got {v!r}")
    return v


def parse_frameworks(data: Any, source: str = _DEFAULT_NAME) -> Frameworks:
    """Check the parsed YAML document and build ``Frameworks``; bad data raises ``InputError``."""
    src = str(source)
    doc = _mapping(data, src, "document")
    sources = _mapping(doc.get("sources"), src, "sources")
    dig = _mapping(doc.get("digcomp"), src, "digcomp")

    areas: list[Area] = []
    for i, a in enumerate(_list(dig.get("areas"), src, "digcomp.areas")):
        where = f"digcomp.areas[{i}]"
        a = _mapping(a, src, where)
        areas.append(Area(_int(a.get("id"), src, f"{where}, field 'id'"),
                          _text(a, "key", src, where), _text(a, "en", src, where),
                          _text(a, "ru", src, where)))
    area_ids = [a.id for a in areas]
    if sorted(area_ids) != list(AREA_IDS):
        raise InputError(src, "digcomp.areas", f"area ids must be exactly 1..5, got {area_ids}")

    competences: list[Competence] = []
    seen: set[str] = set()
    for i, c in enumerate(_list(dig.get("competences"), src, "digcomp.competences")):
        where = f"digcomp.competences[{i}]"
        c = _mapping(c, src, where)
        cid = _text(c, "id", src, where)
        m = _COMPETENCE_RE.match(cid)
        if not m:
            raise InputError(src, f"{where}, field 'id'",
                             f"{cid!r} is not a competence id like '1.1'")
        area = _int(c.get("area"), src, f"{where}, field 'area'")
        if area not in area_ids or int(m["area"]) != area:
            raise InputError(src, f"{where} ({cid}), field 'area'",
                             f"area {area} does not match the id or is not one of {area_ids}")
        if cid in seen:
            raise InputError(src, f"{where}, field 'id'", f"competence {cid} is listed twice")
        seen.add(cid)
        competences.append(Competence(cid, area, _text(c, "en", src, where),
                                      _text(c, "ru", src, where)))

    prof = _mapping(dig.get("proficiency"), src, "digcomp.proficiency")
    groups: list[ProficiencyGroup] = []
    for i, g in enumerate(_list(prof.get("groups"), src, "digcomp.proficiency.groups")):
        where = f"digcomp.proficiency.groups[{i}]"
        g = _mapping(g, src, where)
        levels = tuple(_int(v, src, f"{where}, field 'levels'")
                       for v in _list(g.get("levels"), src, f"{where}, field 'levels'"))
        groups.append(ProficiencyGroup(_text(g, "id", src, where), _text(g, "en", src, where),
                                       _text(g, "ru", src, where), levels))
    all_levels = sorted(lv for g in groups for lv in g.levels)
    if all_levels != list(range(1, 9)):
        raise InputError(src, "digcomp.proficiency.groups",
                         f"the groups must cover levels 1..8 once each, got {all_levels}")

    itu = _mapping(doc.get("itu"), src, "itu")
    activities: dict[str, Activity] = {}
    for i, a in enumerate(_list(itu.get("activities"), src, "itu.activities")):
        where = f"itu.activities[{i}]"
        a = _mapping(a, src, where)
        aid = _text(a, "id", src, where)
        where = f"itu.activities[{i}] ({aid})"
        if aid in activities:
            raise InputError(src, f"{where}, field 'id'", f"activity {aid!r} is listed twice")
        skill_class = a.get("skill_class")
        if skill_class is not None and skill_class not in SKILL_CLASSES:
            raise InputError(src, f"{where}, field 'skill_class'",
                             f"{skill_class!r} is not one of {SKILL_CLASSES} or null")
        area = a.get("area")
        if area is not None and _int(area, src, f"{where}, field 'area'") not in area_ids:
            raise InputError(src, f"{where}, field 'area'", f"{area!r} is not one of {area_ids}")
        activities[aid] = Activity(aid, _text(a, "en", src, where), _text(a, "ru", src, where),
                                   a.get("sdg_code"), skill_class, area, a.get("en_2020"))

    lists: dict[str, tuple[str, ...]] = {}
    for name, lst in _mapping(itu.get("lists"), src, "itu.lists").items():
        where = f"itu.lists.{name}"
        ids = tuple(_list(_mapping(lst, src, where).get("activities"), src, f"{where}.activities"))
        for aid in ids:
            if aid not in activities:
                raise InputError(src, f"{where}.activities", f"unknown activity {aid!r}")
        if len(set(ids)) != len(ids):
            raise InputError(src, f"{where}.activities", "an activity is listed twice")
        lists[str(name)] = ids

    grouping = _mapping(_mapping(itu.get("skill_areas"), src, "itu.skill_areas").get("areas"),
                        src, "itu.skill_areas.areas")
    skill_areas: dict[int, tuple[str, ...]] = {}
    placed: dict[str, int] = {}
    for key, ids in grouping.items():
        area = _int(key, src, f"itu.skill_areas.areas, key {key!r}")
        where = f"itu.skill_areas.areas.{area}"
        if area not in area_ids:
            raise InputError(src, where, f"{area} is not one of {area_ids}")
        members = tuple(_list(ids, src, where))
        for aid in members:
            if aid not in activities:
                raise InputError(src, where, f"unknown activity {aid!r}")
            if aid in placed:
                raise InputError(src, where, f"activity {aid!r} is already in area {placed[aid]}")
            if activities[aid].area != area:
                raise InputError(src, where, f"activity {aid!r} says area "
                                 f"{activities[aid].area}, the grouping says {area}")
            placed[aid] = area
        skill_areas[area] = members
    if sorted(skill_areas) != list(AREA_IDS):
        raise InputError(src, "itu.skill_areas.areas", "every area 1..5 needs activities")
    for aid, act in activities.items():
        if act.area is not None and aid not in placed:
            raise InputError(src, f"itu.activities ({aid}), field 'area'",
                             f"area {act.area} is set but the activity is in no skill_areas list")

    lr = _mapping(doc.get("level_rules"), src, "level_rules")
    area_labels: dict[int, str] = {}
    for i, lv in enumerate(_list(lr.get("area_levels"), src, "level_rules.area_levels")):
        lv = _mapping(lv, src, f"level_rules.area_levels[{i}]")
        area_labels[_int(lv.get("code"), src, f"level_rules.area_levels[{i}], field 'code'")] = \
            _text(lv, "id", src, f"level_rules.area_levels[{i}]")
    if sorted(area_labels) != [0, 1, 2]:
        raise InputError(src, "level_rules.area_levels", "codes must be exactly 0, 1, 2")
    na = _mapping(lr.get("not_assessed"), src, "level_rules.not_assessed")
    if na.get("code") != NOT_ASSESSED:
        raise InputError(src, "level_rules.not_assessed, field 'code'", f"must be {NOT_ASSESSED}")
    area_labels[NOT_ASSESSED] = _text(na, "id", src, "level_rules.not_assessed")

    rules: dict[str, LevelRules] = {}
    for name, body in lr.items():
        if name in ("default", "area_levels", "not_assessed"):
            continue
        rules[str(name)] = _parse_rules(str(name), _mapping(body, src, f"level_rules.{name}"), src)
    default = lr.get("default")
    if default not in rules:
        raise InputError(src, "level_rules.default", f"{default!r} is not one of {sorted(rules)}")

    return Frameworks(
        source=src, areas=tuple(areas), competences=tuple(competences),
        proficiency_groups=tuple(groups), activities=activities, activity_lists=lists,
        skill_areas=skill_areas, rules=rules, default_rules=str(default),
        area_level_labels=area_labels, sources=dict(sources),
    )


def _parse_rules(name: str, body: Mapping[str, Any], src: str) -> LevelRules:
    base = f"level_rules.{name}"
    th = _mapping(body.get("area_thresholds"), src, f"{base}.area_thresholds")
    parsed: dict[Any, tuple[int, int]] = {}
    for key, t in th.items():
        where = f"{base}.area_thresholds.{key}"
        t = _mapping(t, src, where)
        b = _int(t.get("basic_min"), src, f"{where}, field 'basic_min'")
        ab = _int(t.get("above_basic_min"), src, f"{where}, field 'above_basic_min'")
        if not 1 <= b < ab:
            raise InputError(src, where, f"need 1 <= basic_min < above_basic_min, got {b}, {ab}")
        if key != "default" and key not in AREA_IDS:
            raise InputError(src, where, f"{key!r} is neither 'default' nor an area 1..5")
        parsed[key] = (b, ab)
    thresholds: dict[int, tuple[int, int]] = {}
    for area in AREA_IDS:
        if area in parsed:
            thresholds[area] = parsed[area]
        elif "default" in parsed:
            thresholds[area] = parsed["default"]
        else:
            raise InputError(src, f"{base}.area_thresholds", f"no threshold for area {area}")

    overall: list[OverallCategory] = []
    for i, c in enumerate(_list(body.get("overall"), src, f"{base}.overall")):
        where = f"{base}.overall[{i}]"
        c = _mapping(c, src, where)
        all_ab = c.get("all_above_basic", False) is True
        mn = c.get("at_least_basic_min")
        if not all_ab:
            mn = _int(mn, src, f"{where}, field 'at_least_basic_min'")
            if not 0 <= mn <= len(AREA_IDS):
                raise InputError(src, f"{where}, field 'at_least_basic_min'",
                                 f"{mn} is outside 0..5")
        overall.append(OverallCategory(
            _int(c.get("code"), src, f"{where}, field 'code'"), _text(c, "id", src, where),
            _text(c, "en", src, where), _text(c, "ru", src, where), all_ab,
            len(AREA_IDS) if all_ab else mn))
    codes = [c.code for c in overall]
    if len(set(codes)) != len(codes) or NOT_ASSESSED in codes:
        raise InputError(src, f"{base}.overall", f"codes must be unique and not {NOT_ASSESSED}")
    last = overall[-1]
    if last.all_above_basic or last.at_least_basic_min != 0:
        raise InputError(src, f"{base}.overall", "the last category must catch everyone "
                         "(at_least_basic_min: 0)")
    status = body.get("status")
    return LevelRules(name, str(status), thresholds, tuple(overall))


def load_frameworks(path: str | Path | None = None) -> Frameworks:
    """Read and check frameworks.yaml (the packaged file when ``path`` is None)."""
    if path is None:
        return default_frameworks()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(str(p), None, f"cannot be read: {e.strerror or e}") from e
    return _parse_text(text, str(p))


def _parse_text(text: str, source: str) -> Frameworks:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InputError(source, None, f"is not valid YAML: {e}") from e
    return parse_frameworks(data, source)


@cache
def default_frameworks() -> Frameworks:
    """The packaged frameworks.yaml, read once."""
    res = resources.files("ssckit.skills").joinpath("data", _DEFAULT_NAME)
    return _parse_text(res.read_text(encoding="utf-8"), f"ssckit/skills/data/{_DEFAULT_NAME}")


# --------------------------------------------------------------------------------------------
# skill levels
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillLevels:
    """Level codes for n respondents.

    ``area_levels[i, j]`` is the code (0 none, 1 basic, 2 above basic, -1 not assessed) of
    respondent i in area ``AREA_IDS[j]``; ``overall[i]`` the code of the overall category of
    ``rules`` (-1 not assessed); ``counts[i, j]`` the number of activities done in the area.
    """

    rules: LevelRules
    activity_ids: tuple[str, ...]
    counts: np.ndarray
    area_levels: np.ndarray
    overall: np.ndarray

    @property
    def overall_ids(self) -> list[str]:
        """Overall level ids (``'basic'``, ``'low'`` ...), one per respondent."""
        by_code = {c.code: c.id for c in self.rules.overall}
        by_code[NOT_ASSESSED] = "not_assessed"
        return [by_code[int(c)] for c in self.overall]

    def area_ids(self, labels: Mapping[int, str] | None = None) -> list[dict[int, str]]:
        """Per-area level ids, one ``{area: 'none'|'basic'|'above_basic'|...}`` per respondent."""
        lab = labels or default_frameworks().area_level_labels
        return [{a: lab[int(v)] for a, v in zip(AREA_IDS, row, strict=True)}
                for row in self.area_levels]


def compute_skill_levels(
    answers: Any,
    activity_ids: Sequence[str] | None = None,
    *,
    rules: str | None = None,
    assessed: Any = None,
    frameworks: Frameworks | None = None,
    source: str = "answers",
) -> SkillLevels:
    """Per-area and overall ICT skill levels from yes/no activity answers.

    Parameters
    ----------
    answers : array-like of bool or 0/1, shape (respondents, activities)
        Whether each respondent did each activity in the last three months. A 1-D array
        is one respondent.
    activity_ids : sequence of str, optional
        The activity id of each column (see frameworks.yaml ``itu.activities``). Defaults to
        ``Frameworks.skill_area_activity_ids`` (22 columns, area 1 first). Columns whose
        activity belongs to no area (``copy_move_file``) are accepted and not counted.
    rules : str, optional
        A rule set of ``level_rules`` (``itu_egh_2023``, the default, or ``eurostat_dsi_2_0``).
    assessed : array-like of bool, shape (respondents,), optional
        False for respondents who could not be assessed (no internet use in the last three
        months): their codes are -1.
    """
    fw = frameworks or default_frameworks()
    rule_id = rules or fw.default_rules
    if rule_id not in fw.rules:
        raise InputError(source, "option 'rules'", f"{rule_id!r} is not one of {sorted(fw.rules)}")
    rule = fw.rules[rule_id]
    cols = tuple(activity_ids) if activity_ids is not None else fw.skill_area_activity_ids

    for j, aid in enumerate(cols):
        if aid not in fw.activities:
            raise InputError(source, f"column {j} ({aid!r})",
                             f"unknown activity; known: {', '.join(sorted(fw.activities))}")
    if len(set(cols)) != len(cols):
        dup = next(a for a in cols if cols.count(a) > 1)
        raise InputError(source, f"column {cols.index(dup)} ({dup!r})", "activity given twice")
    missing = [a for a in AREA_IDS if not any(fw.activities[c].area == a for c in cols)]
    if missing:
        raise InputError(source, "columns", f"no activity of area(s) {missing}: "
                         "the five areas are all needed for the levels")

    x = _as_bool_matrix(answers, len(cols), source)
    member = np.zeros((len(cols), len(AREA_IDS)), dtype=np.int64)
    for j, aid in enumerate(cols):
        area = fw.activities[aid].area
        if area is not None:
            member[j, AREA_IDS.index(area)] = 1
    counts = x.astype(np.int64) @ member

    basic_min = np.array([rule.thresholds[a][0] for a in AREA_IDS])
    above_min = np.array([rule.thresholds[a][1] for a in AREA_IDS])
    area_levels = ((counts >= basic_min).astype(np.int8) + (counts >= above_min).astype(np.int8))

    n_basic = (area_levels >= 1).sum(axis=1)
    n_above = (area_levels == 2).sum(axis=1)
    conds = [(n_above == len(AREA_IDS)) if c.all_above_basic else (n_basic >= c.at_least_basic_min)
             for c in rule.overall]
    overall = np.select(conds, [c.code for c in rule.overall], default=NOT_ASSESSED).astype(np.int8)

    if assessed is not None:
        mask = np.asarray(assessed)
        if mask.shape != (x.shape[0],) or mask.dtype != bool:
            raise InputError(source, "option 'assessed'",
                             f"a boolean vector of length {x.shape[0]} is required, "
                             f"got shape {mask.shape} and type {mask.dtype}")
        area_levels = np.where(mask[:, None], area_levels, NOT_ASSESSED).astype(np.int8)
        overall = np.where(mask, overall, NOT_ASSESSED).astype(np.int8)

    return SkillLevels(rule, cols, counts, area_levels, overall)


def _as_bool_matrix(answers: Any, n_cols: int, source: str) -> np.ndarray:
    a = np.asarray(answers)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != n_cols:
        raise InputError(source, "shape",
                         f"expected (respondents, {n_cols}) answers, got {a.shape}")
    if a.dtype == bool:
        return a
    if a.dtype.kind in "iuf":
        bad = ~np.isin(a, (0, 1))
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            raise InputError(source, f"row {i}, column {j}",
                             f"{a[i, j]!r} is not a yes/no answer (allowed: true/false, 1/0)")
        return a.astype(bool)
    raise InputError(source, None, f"answers must be booleans or 0/1, got type {a.dtype}")
