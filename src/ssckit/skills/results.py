"""Adaptive-test results: the test over the item bank, DigComp levels, advice, pseudonymous storage.

The pure part (:func:`question_bank`, :func:`score_test`, :func:`level_of`) serves both the terminal
test (``ssckit skills test``) and the web test; the store part keeps tests and their results
without names: a random pseudonymous id, the answers, the levels, the optional group attributes
a person chose to give, and a timestamp.

Levels
------
The bank's provisional 2PL priors place an item of DigComp level ``L`` (1-8) at difficulty
``b_L = (L - 4.5) * 4 / 7`` (:func:`ssckit.skills.bank.provisional_2pl`). A person with trait
``theta`` *reaches* level ``L`` when a typical level-``L`` item is answered correctly with
probability at least 1/2, i.e. ``theta >= b_L``, so

    level(theta) = clip(floor(4.5 + 7 * theta / 4), 1, 8),

and the DigComp 2.2 proficiency group is foundation (levels 1-2), intermediate (3-4), advanced
(5-6) or highly specialised (7-8). The mapping inherits the provisional status of the priors: it
becomes a standard-setting decision once the bank is calibrated.
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import numpy as np

from ssckit.core.store import Store
from ssckit.skills import cat
from ssckit.skills.bank import Item, default_bank
from ssckit.skills.frameworks import AREA_IDS, default_frameworks
from ssckit.skills.irt import ItemParams

#: Rules of the web and terminal test: at most 15 questions, three per DigComp area.
TEST_CONFIG = cat.CATConfig(max_items=15, min_items=5, se_target=0.3, randomesque=3,
                            content_targets=(0.2,) * 5)
#: An area estimate from fewer answers than this is reported as uncertain.
MIN_AREA_ANSWERS = 3
#: Prior SD of an area's trait around the overall estimate [SD of theta]: the areas of digital
#: competence correlate strongly, so an area estimate from three answers borrows strength from
#: the whole test instead of starting from the population mean.
AREA_PRIOR_SD = 0.7
#: Groups with fewer people than this are suppressed in aggregate exports.
MIN_CELL = 10
#: The choice that means "I don't know" (scored as not correct).
DONT_KNOW = "dont_know"
LANGS = ("en", "ru")

#: Group attributes a person may give after the test (all optional; "" = prefer not to say).
AGE_GROUPS = ("15-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "sex": ("F", "M"),
    "age_group": AGE_GROUPS,
    "district": (),  # the workspace's districts, given by the caller
    "education": ("primary", "secondary", "tertiary"),
    "disability": ("yes", "no"),
}
_ID_RE = re.compile(r"^DS-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")

#: Words shared by the terminal and the web test.
WORDS: dict[str, dict[str, str]] = {
    "true": {"en": "True", "ru": "Верно"},
    "false": {"en": "False", "ru": "Неверно"},
    "dont_know": {"en": "I don't know", "ru": "Не знаю"},
    "level": {"en": "level", "ru": "уровень"},
    "uncertain": {"en": "uncertain: few answers", "ru": "неточно: мало ответов"},
}


# --------------------------------------------------------------------------------------------
# the test over the bank
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionBank:
    """The calibrated (IRT) items of the bank and the CAT tables over them, in the same order."""

    items: tuple[Item, ...]
    cat: cat.ItemBank

    def item(self, index: int) -> Item:
        return self.items[index]


@cache
def question_bank() -> QuestionBank:
    """The packaged bank's items with IRT parameters (self-ratings are not part of the test)."""
    items = tuple(it for it in default_bank() if it.irt is not None)
    params = ItemParams("2pl", np.array([it.irt.a for it in items]),  # type: ignore[union-attr]
                        np.array([it.irt.d for it in items]))  # type: ignore[union-attr]
    areas = [AREA_IDS.index(it.area) for it in items]
    return QuestionBank(items, cat.ItemBank(params, areas=areas))


def option_order(item: Item, seed: int) -> tuple[str, ...]:
    """The order in which a multiple-choice item's options are shown in one test.

    A uniform random permutation of the option ids drawn from ``(seed, CRC-32 of the item
    id)``: the same test (``seed`` of its :class:`~ssckit.skills.cat.CATState`) shows an item
    the same way on every reload, other tests show it in other orders, so the position of the
    key carries no cue. True/false items keep their fixed order (``()``).
    """
    if item.type != "multiple_choice":
        return ()
    rng = np.random.default_rng([int(seed), zlib.crc32(item.id.encode())])
    ids = item.option_ids
    return tuple(ids[i] for i in rng.permutation(len(ids)))


def choices(item: Item, lang: str, order: tuple[str, ...] | None = None
            ) -> list[tuple[str, str]]:
    """The answer choices of an item as ``(value, label)``, "I don't know" last.

    ``order`` (see :func:`option_order`) gives the order of a multiple-choice item's options;
    the values stay the option ids, so scoring uses the bank's key whatever the order shown.
    """
    if item.type == "true_false":
        out = [("true", WORDS["true"][lang]), ("false", WORDS["false"][lang])]
    else:
        texts = {o.id: o.text.get(lang) for o in item.options}
        out = [(i, texts[i]) for i in (order or item.option_ids)]
    return out + [(DONT_KNOW, WORDS["dont_know"][lang])]


def response_code(item: Item, choice: str) -> int:
    """1 if ``choice`` (an option id, ``true``/``false`` or ``dont_know``) is correct, else 0.

    Raises ``ValueError`` for a choice the item does not offer.
    """
    if choice == DONT_KNOW:
        return 0
    if item.type == "true_false":
        if choice not in ("true", "false"):
            raise ValueError(f"{choice!r} is not true or false")
        return int((choice == "true") == item.key)
    if choice not in item.option_ids:
        raise ValueError(f"{choice!r} is not one of {item.option_ids}")
    return int(choice == item.key)


def level_of(theta: float) -> int:
    """DigComp proficiency level 1-8 reached at ``theta`` (see the module docstring)."""
    return int(np.clip(math.floor(4.5 + 1.75 * float(theta) + 1e-9), 1, 8))


@dataclass(frozen=True)
class AreaResult:
    """The estimate for one DigComp area."""

    area: int
    n: int
    theta: float
    se: float
    level: int
    group: str
    uncertain: bool


@dataclass(frozen=True)
class SkillsResult:
    """The outcome of one finished (or stopped) test."""

    theta: float
    se: float
    level: int
    group: str
    n_items: int
    areas: tuple[AreaResult, ...]
    weakest_area: int
    advice: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SkillsResult:
        d = dict(d)
        d["areas"] = tuple(AreaResult(**a) for a in d["areas"])
        d["advice"] = tuple(d["advice"])
        return cls(**d)


def score_test(tb: QuestionBank, state: cat.CATState) -> SkillsResult:
    """Overall and per-area levels of a test, the weakest area and what to learn next.

    Notes
    -----
    The overall estimate is the test's EAP. An area's estimate is the EAP from that area's
    answers alone, under a normal prior centred on the overall estimate with SD
    :data:`AREA_PRIOR_SD`; with fewer than :data:`MIN_AREA_ANSWERS` answers it is flagged
    uncertain. The weakest area is the one with the lowest estimate (ties: fewer answers
    first, then the lower area number); the advice lists its DigComp competences, those with a
    question answered wrongly first.
    """
    fw = default_frameworks()
    items = np.asarray(state.items, dtype=int)
    resp = np.asarray(state.responses, dtype=int)
    areas = []
    for k, area in enumerate(AREA_IDS):
        sel = tb.cat.areas[items] == k if items.size else np.zeros(0, bool)
        th, se = cat.estimate_theta(tb.cat, items[sel], resp[sel], prior_mean=state.theta,
                                    prior_sd=AREA_PRIOR_SD)
        n = int(sel.sum())
        lv = level_of(th)
        areas.append(AreaResult(area, n, round(th, 4), round(se, 4), lv,
                                fw.proficiency_group(lv).id, n < MIN_AREA_ANSWERS))
    weakest = min(areas, key=lambda a: (a.theta, a.n, a.area))
    missed = [tb.item(int(i)).competence for i, r in zip(items, resp, strict=True)
              if r == 0 and tb.item(int(i)).area == weakest.area]
    comps = [c.id for c in fw.competences if c.area == weakest.area]
    advice = sorted(comps, key=lambda c: (c not in missed, comps.index(c)))
    lv = level_of(state.theta)
    return SkillsResult(round(state.theta, 4), round(state.se, 4), lv, fw.proficiency_group(lv).id,
                      len(state.items), tuple(areas), weakest.area, tuple(advice))


def _named(named: Any, lang: str) -> str:
    """A DigComp name in ``lang``: the framework's own (en, ru), else the catalogues' (be),
    else Russian."""
    own = getattr(named, lang, None) if lang in ("en", "ru") else None
    if own:
        return own
    from ssckit.core import i18n

    with i18n.language(lang):
        found = i18n.gettext(named.en)
    return found if found != named.en else named.ru


def group_name(group_id: str, lang: str) -> str:
    """The DigComp proficiency group's name in ``lang``."""
    for g in default_frameworks().proficiency_groups:
        if g.id == group_id:
            return _named(g, lang)
    raise KeyError(group_id)


def area_name(area: int, lang: str) -> str:
    return _named(default_frameworks().area(area), lang)


def competence_name(comp: str, lang: str) -> str:
    return _named(default_frameworks().competence(comp), lang)


# --------------------------------------------------------------------------------------------
# storage
# --------------------------------------------------------------------------------------------

#: The skills module's own tables (see ``Store.migrate_module``). Append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE skills_tests (
        test_id    VARCHAR PRIMARY KEY,
        lang       VARCHAR NOT NULL,
        state      VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE skills_results (
        test_id    VARCHAR PRIMARY KEY,
        taken_at   TIMESTAMP NOT NULL,
        lang       VARCHAR NOT NULL,
        bank       VARCHAR NOT NULL,
        n_items    INTEGER NOT NULL,
        theta      DOUBLE NOT NULL,
        se         DOUBLE NOT NULL,
        level      INTEGER NOT NULL,
        result     VARCHAR NOT NULL,
        sex        VARCHAR,
        age_group  VARCHAR,
        district   VARCHAR,
        education  VARCHAR,
        disability VARCHAR
    );
    """,
    # assessment campaigns (ssckit.skills.campaign): cohorts of codes, sessions, attempts
    """
    CREATE TABLE skills_campaigns (
        campaign_id VARCHAR PRIMARY KEY,
        name        VARCHAR NOT NULL,
        grp         VARCHAR NOT NULL,
        cohort      VARCHAR NOT NULL,
        pre_id      VARCHAR,
        langs       VARCHAR NOT NULL,
        mix         VARCHAR NOT NULL,
        opens       DATE NOT NULL,
        closes      DATE NOT NULL,
        proctored   BOOLEAN NOT NULL,
        created_at  TIMESTAMP NOT NULL
    );
    CREATE TABLE skills_participants (
        cohort     VARCHAR NOT NULL,
        code       VARCHAR NOT NULL,
        age_group  VARCHAR,
        sex        VARCHAR,
        region     VARCHAR,
        disability VARCHAR,
        PRIMARY KEY (cohort, code)
    );
    CREATE TABLE skills_sessions (
        campaign_id VARCHAR NOT NULL,
        session_no  INTEGER NOT NULL,
        label       VARCHAR NOT NULL,
        opened_at   TIMESTAMP NOT NULL,
        closed_at   TIMESTAMP,
        PRIMARY KEY (campaign_id, session_no)
    );
    CREATE TABLE skills_attempts (
        campaign_id VARCHAR NOT NULL,
        code        VARCHAR NOT NULL,
        test_id     VARCHAR NOT NULL UNIQUE,
        session_no  INTEGER,
        started_at  TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        simulated   BOOLEAN NOT NULL,
        PRIMARY KEY (campaign_id, code)
    );
    """,
    # performance tasks of a campaign attempt (ssckit.skills.campaign): one score per task
    """
    CREATE TABLE skills_task_scores (
        test_id   VARCHAR NOT NULL,
        task_id   VARCHAR NOT NULL,
        score     INTEGER NOT NULL,
        max_score INTEGER NOT NULL,
        events    VARCHAR NOT NULL,
        scored_at TIMESTAMP NOT NULL,
        PRIMARY KEY (test_id, task_id)
    );
    """,
]


def migrate(store: Store) -> int:
    return store.migrate_module("skills", MIGRATIONS)


def new_test_id() -> str:
    """A random pseudonymous id, e.g. ``DS-K7QF-2MXA-PL4D-9RTE`` (80 random bits)."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode()
    return "DS-" + "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def is_test_id(text: str) -> bool:
    return bool(_ID_RE.match(text))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def save_test(store: Store, test_id: str, lang: str, state: cat.CATState) -> None:
    """Insert or update a test in progress."""
    now = _now()
    with store.transaction() as cur:
        cur.execute(
            "INSERT INTO skills_tests VALUES (?, ?, ?, ?, ?) ON CONFLICT (test_id) DO UPDATE "
            "SET state = excluded.state, updated_at = excluded.updated_at",
            [test_id, lang, state.to_json(), now, now])


def load_test(store: Store, test_id: str) -> tuple[str, cat.CATState] | None:
    """The language and state of a test, or None."""
    cur = store.cursor()
    try:
        row = cur.execute("SELECT lang, state FROM skills_tests WHERE test_id = ?",
                          [test_id]).fetchone()
    finally:
        cur.close()
    return None if row is None else (row[0], cat.CATState.from_json(row[1]))


def save_result(store: Store, test_id: str, lang: str, bank: str, result: SkillsResult,
                attributes: dict[str, str | None]) -> None:
    """Store a finished test's result once (a second call keeps the first)."""
    attrs = [attributes.get(k) or None for k in ATTRIBUTES]
    with store.transaction() as cur:
        cur.execute(
            "INSERT INTO skills_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (test_id) DO NOTHING",
            [test_id, _now(), lang, bank, result.n_items, result.theta, result.se,
             result.level, json.dumps(result.to_dict()), *attrs])


def load_result(store: Store, test_id: str) -> tuple[datetime, str, SkillsResult] | None:
    """When a test was finished, its language and its result, or None."""
    cur = store.cursor()
    try:
        row = cur.execute("SELECT taken_at, lang, result FROM skills_results WHERE test_id = ?",
                          [test_id]).fetchone()
    finally:
        cur.close()
    return None if row is None else (row[0], row[1], SkillsResult.from_dict(json.loads(row[2])))


def aggregate(store: Store, min_cell: int = MIN_CELL) -> list[dict[str, Any]]:
    """Counts and mean trait of stored public test results, overall and by each attribute
    (campaign attempts are reported by their campaign, not here).

    A group with fewer than ``min_cell`` people is suppressed: its ``n`` and means are None
    and ``suppressed`` is true. People who gave no answer for an attribute form the group
    ``"not stated"``.
    """
    cur = store.cursor()
    try:
        rows = []
        for var in ("all", *ATTRIBUTES):
            key = "'all'" if var == "all" else f"coalesce({var}, 'not stated')"
            rows += [(var, *r) for r in cur.execute(
                f"SELECT {key} AS grp, count(*), avg(theta), avg(level) "
                "FROM skills_results WHERE test_id NOT IN (SELECT test_id FROM "
                "skills_attempts) GROUP BY grp ORDER BY grp").fetchall()]
    finally:
        cur.close()
    out = []
    for var, grp, n, mean_theta, mean_level in rows:
        small = n < min_cell
        out.append({"variable": var, "group": grp, "n": None if small else int(n),
                    "mean_theta": None if small else round(float(mean_theta), 3),
                    "mean_level": None if small else round(float(mean_level), 2),
                    "suppressed": small})
    return out


def export_responses(store: Store) -> tuple[list[str], list[list[str]]]:
    """The answers of every finished test for a DIF analysis: a header and one row per test.

    Columns: ``test_id, lang, sex, age_group, district, education, disability,
    theta_stratum`` (the trait estimate floored to 0.5 SD, e.g. ``-0.5``, to match people on
    in an adaptive test, where total scores are not comparable) and one column per item of the
    bank, ``1``/``0`` when answered, empty when not shown.
    """
    tb = question_bank()
    with store.cursor() as cur:
        rows = cur.execute(
            f"SELECT r.test_id, r.lang, {', '.join('r.' + k for k in ATTRIBUTES)}, r.theta, "
            "t.state FROM skills_results r JOIN skills_tests t USING (test_id) "
            "ORDER BY r.taken_at, r.test_id").fetchall()
    header = ["test_id", "lang", *ATTRIBUTES, "theta_stratum", *(it.id for it in tb.items)]
    out = []
    for r in rows:
        state = cat.CATState.from_json(r[-1])
        answers = [""] * len(tb.items)
        for j, x in zip(state.items, state.responses, strict=True):
            answers[j] = str(int(x))
        stratum = math.floor(float(r[-2]) * 2) / 2
        out.append([r[0], r[1], *(v or "" for v in r[2:2 + len(ATTRIBUTES)]),
                    f"{stratum:g}", *answers])
    return header, out
