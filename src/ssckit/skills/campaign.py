"""Assessment campaigns for groups: cohorts with participant codes, proctored sessions,
attempts, results by group, before/after reports and their indicator values.

A *campaign* (a region's teachers, a training centre's trainees) has a group description, the
languages offered, an item mix, the dates it is open and, optionally, proctored sessions. Its
participants are a *cohort* of access codes without names, each with optional attributes (age
group, sex, region, disability). A post-training campaign names its pre-training campaign and
shares its cohort, so that the two attempts of one code are the before and after of one person.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import zlib
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import numpy as np

from ssckit.core.errors import InputError
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.skills import cat
from ssckit.skills import results as res
from ssckit.skills import tasks as perf
from ssckit.skills.cohort import (
    QUAD_GRID,
    GroupResult,
    PairedChange,
    area_scores,
    group_results,
    paired_changes,
    wle_with_tasks,
)
from ssckit.skills.frameworks import AREA_IDS
from ssckit.skills.gpcm import gpcm_information

#: Participant attributes a campaign may record per code (all optional).
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "age_group": res.AGE_GROUPS,
    "sex": ("F", "M"),
    "region": (),  # free text: the organiser's regions
    "disability": ("yes", "no"),
}
#: Kinds of item in a campaign's mix.
ITEM_KINDS = ("knowledge", "performance")
#: The largest share of performance tasks in a campaign's mix (each takes minutes).
MAX_PERFORMANCE_SHARE = 0.5
#: The fewest adaptive knowledge questions a campaign's test keeps beside its tasks.
MIN_KNOWLEDGE_ITEMS = 5
#: The most performance tasks one participant may be given (each takes a few minutes: six
#: tasks are about half an hour on top of the questions).
MAX_TASKS = 6
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_CODE_RE = re.compile(r"^[A-Z2-7]{4}-[A-Z2-7]{4}$")


@dataclass(frozen=True)
class ItemMix:
    """What a campaign's test is made of.

    ``max_items`` units at most, shared over the DigComp areas by ``area_shares`` (summing
    to 1), of two kinds (``knowledge``: the bank's multiple-choice and true/false questions;
    ``performance``: tasks done in a simulated environment, :mod:`ssckit.skills.tasks`). The
    adaptive test picks each next unit, question or task, by its Fisher information at the
    current estimate (:func:`ssckit.skills.cat.select_unit`), giving at most
    :attr:`n_tasks` tasks: ``max_tasks`` (0..:data:`MAX_TASKS`), or, for a campaign set by
    a share of performance tasks ``kinds["performance"]``, ``round(max_items * share)``.
    """

    max_items: int = 15
    area_shares: tuple[float, ...] = (0.2,) * 5
    kinds: dict[str, float] = field(default_factory=lambda: {"knowledge": 1.0,
                                                             "performance": 0.0})
    max_tasks: int | None = None

    def check(self, source: str = "campaign") -> ItemMix:
        if not 5 <= self.max_items <= 50:
            raise InputError(source, "field 'max_items'", f"{self.max_items} is outside 5..50 "
                             "questions")
        shares = tuple(float(x) for x in self.area_shares)
        if len(shares) != len(AREA_IDS) or any(x < 0 for x in shares) \
                or abs(sum(shares) - 1) > 1e-6:
            raise InputError(source, "field 'area_shares'", "give 5 shares >= 0 (DigComp areas "
                             f"1-5) that sum to 1, e.g. 0.2,0.2,0.2,0.2,0.2; got {shares}")
        unknown = set(self.kinds) - set(ITEM_KINDS)
        if unknown:
            raise InputError(source, "field 'kinds'", f"{sorted(unknown)[0]!r} is not one of "
                             f"{', '.join(ITEM_KINDS)}")
        if self.max_tasks is not None:
            n_bank = len(perf.performance_items())
            top = min(MAX_TASKS, n_bank)
            if not 0 <= int(self.max_tasks) <= top:
                raise InputError(source, "field 'max_tasks'", f"{self.max_tasks} is outside "
                                 f"0..{top} (performance tasks per participant; each takes "
                                 "a few minutes)")
            share = round(int(self.max_tasks) / self.max_items, 6)
        else:
            share = float(self.kinds.get("performance", 0.0))
            if not 0 <= share <= MAX_PERFORMANCE_SHARE:
                raise InputError(source, "field 'kinds.performance'", f"{share} is outside 0.."
                                 f"{MAX_PERFORMANCE_SHARE} (the share of performance tasks)")
        out = replace(self, area_shares=shares,
                      kinds={"knowledge": round(1.0 - share, 6), "performance": share})
        if self.max_items - out.n_tasks < MIN_KNOWLEDGE_ITEMS:
            what = "max_tasks" if self.max_tasks is not None else "the share"
            raise InputError(source, "field 'max_items'", f"{self.max_items} items with "
                             f"{out.n_tasks} tasks leaves fewer than {MIN_KNOWLEDGE_ITEMS} "
                             f"knowledge questions; raise max_items or lower {what}")
        return out

    @property
    def n_tasks(self) -> int:
        """The most performance tasks one participant is given: ``max_tasks``, or
        ``round(max_items * share)`` (at least 1 when the share is above 0)."""
        if self.max_tasks is not None:
            return int(self.max_tasks)
        share = float(self.kinds.get("performance", 0.0))
        return 0 if share <= 0 else max(1, int(round(self.max_items * share)))

    def cat_config(self) -> cat.CATConfig:
        """The adaptive test's rules: the web test's, with this length (questions and tasks
        together), area balance and cap on tasks."""
        return replace(res.TEST_CONFIG, max_items=self.max_items,
                       min_items=min(res.TEST_CONFIG.min_items, self.max_items),
                       content_targets=self.area_shares, max_tasks=self.n_tasks)


@dataclass(frozen=True)
class Campaign:
    """One assessment campaign (see the module docstring)."""

    campaign_id: str
    name: str
    group: str
    langs: tuple[str, ...]
    mix: ItemMix
    opens: date
    closes: date
    proctored: bool = False
    pre_id: str | None = None
    cohort: str = ""

    def is_open_on(self, day: date) -> bool:
        return self.opens <= day <= self.closes


def check_campaign_id(text: str, source: str = "campaign") -> str:
    if not _ID_RE.match(text):
        raise InputError(source, "field 'id'", f"{text!r}: use 2-40 lower-case letters, digits "
                         "and '-', starting with a letter or digit (e.g. teachers-2026-pre)")
    return text


def new_campaign(campaign_id: str, name: str, group: str, langs: tuple[str, ...], mix: ItemMix,
                 opens: date, closes: date, proctored: bool = False,
                 pre: Campaign | None = None, source: str = "campaign") -> Campaign:
    """A checked campaign; a post campaign (``pre`` given) shares the pre campaign's cohort."""
    check_campaign_id(campaign_id, source)
    if not name.strip():
        raise InputError(source, "field 'name'", "give the campaign a name")
    bad = [x for x in langs if x not in ("en", "ru", "be")]
    if not langs or bad:
        raise InputError(source, "field 'langs'", "choose among en, ru, be (comma-separated)")
    if closes < opens:
        raise InputError(source, "field 'closes'", f"{closes} is before the opening {opens}")
    return Campaign(campaign_id, name.strip(), group.strip(), tuple(dict.fromkeys(langs)),
                    mix.check(source), opens, closes, proctored,
                    pre.campaign_id if pre else None, pre.cohort if pre else campaign_id)


# --------------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _to_row(c: Campaign) -> list[Any]:
    return [c.campaign_id, c.name, c.group, c.cohort, c.pre_id, ",".join(c.langs),
            json.dumps(asdict(c.mix)), c.opens, c.closes, c.proctored, _now()]


def _from_row(r: tuple[Any, ...]) -> Campaign:
    mix = json.loads(r[6])
    return Campaign(r[0], r[1], r[2], tuple(r[5].split(",")),
                    ItemMix(mix["max_items"], tuple(mix["area_shares"]), mix["kinds"],
                            mix.get("max_tasks")),
                    r[7], r[8], bool(r[9]), r[4], r[3])


_COLS = ("campaign_id, name, grp, cohort, pre_id, langs, mix, opens, closes, proctored, "
         "created_at")


def save_campaign(store: Store, c: Campaign) -> None:
    """Store a new campaign (an existing id is an error)."""
    with store.transaction() as cur:
        if cur.execute("SELECT 1 FROM skills_campaigns WHERE campaign_id = ?",
                       [c.campaign_id]).fetchone():
            raise InputError("campaign", "field 'id'", f"{c.campaign_id!r} exists already; "
                             "choose another id")
        cur.execute(f"INSERT INTO skills_campaigns ({_COLS}) VALUES "
                    f"({', '.join('?' * 11)})", _to_row(c))


def load_campaign(store: Store, campaign_id: str) -> Campaign:
    """The campaign with this id; an :class:`InputError` naming the known ids otherwise."""
    with store.cursor() as cur:
        row = cur.execute(f"SELECT {_COLS} FROM skills_campaigns WHERE campaign_id = ?",
                          [campaign_id]).fetchone()
    if row is None:
        known = [c.campaign_id for c in list_campaigns(store)]
        hint = ", ".join(known) or "none (create one: ssckit skills campaign create)"
        raise InputError("campaign", "field 'id'", f"no campaign {campaign_id!r}; known: {hint}")
    return _from_row(row)


def list_campaigns(store: Store) -> list[Campaign]:
    with store.cursor() as cur:
        rows = cur.execute(f"SELECT {_COLS} FROM skills_campaigns ORDER BY opens DESC, "
                           "campaign_id").fetchall()
    return [_from_row(r) for r in rows]


def new_code() -> str:
    """A random participant code, e.g. ``K7QF-2MXA`` (40 random bits, no personal data)."""
    raw = base64.b32encode(secrets.token_bytes(5)).decode()
    return f"{raw[:4]}-{raw[4:8]}"


def normalise_code(text: str) -> str:
    """A code as typed (lower case, spaces, no dash) in its canonical form, or ``""``."""
    t = re.sub(r"[\s-]", "", text.upper())
    code = f"{t[:4]}-{t[4:]}" if len(t) == 8 else t
    return code if _CODE_RE.match(code) else ""


def check_attributes(attrs: dict[str, str], source: str, where: str) -> dict[str, str]:
    """Attributes of one participant, checked against :data:`ATTRIBUTES`."""
    out = {}
    for key, value in attrs.items():
        if key not in ATTRIBUTES:
            raise InputError(source, f"{where} field '{key}'", "not an attribute; allowed: "
                             f"{', '.join(ATTRIBUTES)}")
        value = (value or "").strip()
        allowed = ATTRIBUTES[key]
        if value and allowed and value not in allowed:
            raise InputError(source, f"{where} field '{key}'", f"{value!r} is not one of "
                             f"{', '.join(allowed)} (or empty)")
        out[key] = value
    return out


def add_participants(store: Store, c: Campaign, attributes: list[dict[str, str]]) -> list[str]:
    """New codes in the campaign's cohort, one per entry of ``attributes``; return them."""
    codes: list[str] = []
    with store.transaction() as cur:
        taken = {r[0] for r in cur.execute("SELECT code FROM skills_participants WHERE "
                                           "cohort = ?", [c.cohort]).fetchall()}
        rows = []
        for attrs in attributes:
            code = new_code()
            while code in taken:
                code = new_code()
            taken.add(code)
            codes.append(code)
            rows.append([c.cohort, code, *(attrs.get(k) or None for k in ATTRIBUTES)])
        if rows:
            cur.executemany("INSERT INTO skills_participants VALUES (?, ?, ?, ?, ?, ?)", rows)
    return codes


def participants(store: Store, c: Campaign) -> list[dict[str, str]]:
    """The cohort's codes with their attributes (``""`` where not given), in code order."""
    with store.cursor() as cur:
        rows = cur.execute(f"SELECT code, {', '.join(ATTRIBUTES)} FROM skills_participants "
                           "WHERE cohort = ? ORDER BY code", [c.cohort]).fetchall()
    return [{"code": r[0], **{k: r[i + 1] or "" for i, k in enumerate(ATTRIBUTES)}}
            for r in rows]


def participant(store: Store, c: Campaign, code: str) -> dict[str, str] | None:
    with store.cursor() as cur:
        r = cur.execute(f"SELECT code, {', '.join(ATTRIBUTES)} FROM skills_participants "
                        "WHERE cohort = ? AND code = ?", [c.cohort, code]).fetchone()
    return None if r is None else {"code": r[0], **{k: r[i + 1] or ""
                                                     for i, k in enumerate(ATTRIBUTES)}}


# -- proctored sessions -----------------------------------------------------------------------
def open_session(store: Store, c: Campaign, label: str) -> int:
    """Open a new session (a sitting the proctor supervises); return its number."""
    with store.transaction() as cur:
        n = cur.execute("SELECT coalesce(max(session_no), 0) + 1 FROM skills_sessions WHERE "
                        "campaign_id = ?", [c.campaign_id]).fetchone()[0]
        cur.execute("INSERT INTO skills_sessions VALUES (?, ?, ?, ?, NULL)",
                    [c.campaign_id, n, label.strip()[:80] or f"Session {n}", _now()])
    return int(n)


def close_session(store: Store, c: Campaign, session_no: int) -> None:
    with store.transaction() as cur:
        cur.execute("UPDATE skills_sessions SET closed_at = ? WHERE campaign_id = ? AND "
                    "session_no = ? AND closed_at IS NULL", [_now(), c.campaign_id, session_no])


def sessions(store: Store, c: Campaign) -> list[dict[str, Any]]:
    """Sessions with their counts: ``session_no, label, opened_at, closed_at, started,
    finished``."""
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT s.session_no, s.label, s.opened_at, s.closed_at, count(a.code), "
            "count(a.finished_at) FROM skills_sessions s LEFT JOIN skills_attempts a ON "
            "a.campaign_id = s.campaign_id AND a.session_no = s.session_no WHERE "
            "s.campaign_id = ? GROUP BY ALL ORDER BY s.session_no", [c.campaign_id]).fetchall()
    return [{"session_no": r[0], "label": r[1], "opened_at": r[2], "closed_at": r[3],
             "started": int(r[4]), "finished": int(r[5])} for r in rows]


def open_session_no(store: Store, c: Campaign) -> int | None:
    """The most recently opened session still open, or None."""
    with store.cursor() as cur:
        r = cur.execute("SELECT max(session_no) FROM skills_sessions WHERE campaign_id = ? "
                        "AND closed_at IS NULL", [c.campaign_id]).fetchone()
    return None if r is None or r[0] is None else int(r[0])


def session_is_open(store: Store, campaign_id: str, session_no: int) -> bool:
    with store.cursor() as cur:
        r = cur.execute("SELECT closed_at IS NULL FROM skills_sessions WHERE campaign_id = ? "
                        "AND session_no = ?", [campaign_id, session_no]).fetchone()
    return bool(r and r[0])


# -- attempts ---------------------------------------------------------------------------------
def attempt_of_test(store: Store, test_id: str) -> dict[str, Any] | None:
    """The campaign attempt a test belongs to: ``campaign_id, code, session_no,
    finished_at``, or None for a public test."""
    with store.cursor() as cur:
        r = cur.execute("SELECT campaign_id, code, session_no, finished_at FROM "
                        "skills_attempts WHERE test_id = ?", [test_id]).fetchone()
    return None if r is None else dict(zip(("campaign_id", "code", "session_no",
                                            "finished_at"), r, strict=True))


def start_attempt(store: Store, c: Campaign, code: str, lang: str, session_no: int | None,
                  seed: int | None = None) -> str:
    """The test id of this code's attempt: its existing one, or a new adaptive test (also when
    an unfinished one expired after a long pause and was purged)."""
    with store.cursor() as cur:
        r = cur.execute("SELECT test_id, finished_at FROM skills_attempts WHERE campaign_id = ? "
                        "AND code = ?", [c.campaign_id, code]).fetchone()
    if r is not None:
        if r[1] is not None or res.load_test(store, r[0]) is not None:
            return str(r[0])
        with store.transaction() as cur:
            cur.execute("DELETE FROM skills_attempts WHERE test_id = ?", [r[0]])
    tb = res.question_bank()
    test_id = res.new_test_id()
    state = cat.start_test(tb.cat, c.mix.cat_config(),
                           secrets.randbelow(2**31) if seed is None else seed)
    state, _ = cat.next_item(tb.cat, state, task_pool(state.config))
    res.save_test(store, test_id, lang, state)
    with store.transaction() as cur:
        cur.execute("INSERT INTO skills_attempts VALUES (?, ?, ?, ?, ?, NULL, false) "
                    "ON CONFLICT DO NOTHING",
                    [c.campaign_id, code, test_id, session_no, _now()])
        r = cur.execute("SELECT test_id FROM skills_attempts WHERE campaign_id = ? AND "
                        "code = ?", [c.campaign_id, code]).fetchone()
    return str(r[0])


def finish_attempt(store: Store, test_id: str, lang: str, state: cat.CATState) -> None:
    """Score a finished campaign test and store its result with the code's attributes."""
    att = attempt_of_test(store, test_id)
    if att is None or att["finished_at"] is not None:
        return
    c = load_campaign(store, att["campaign_id"])
    p = participant(store, c, att["code"]) or {}
    tb = res.question_bank()
    attrs = {"sex": p.get("sex"), "age_group": p.get("age_group"),
             "district": p.get("region"), "disability": p.get("disability")}
    result = score_with_tasks(tb, state, task_scores(store, [test_id]).get(test_id, []))
    res.save_result(store, test_id, lang, tb.cat.fingerprint, result, attrs)
    with store.transaction() as cur:
        cur.execute("UPDATE skills_attempts SET finished_at = ? WHERE test_id = ?",
                    [_now(), test_id])


# -- performance tasks of an attempt ----------------------------------------------------------
@cache
def _pool(areas: tuple[int, ...]) -> cat.TaskPool:
    return cat.TaskPool(perf.performance_items(areas), res.question_bank().cat)


def task_pool(config: cat.CATConfig) -> cat.TaskPool | None:
    """The performance tasks an adaptive campaign test interleaves: the packaged tasks of the
    DigComp areas its content targets give a share above 0; None for a test without tasks
    (``config.max_tasks == 0``: the public test, a campaign of questions only)."""
    if config.max_tasks <= 0:
        return None
    targets = config.content_targets or (1.0,) * len(AREA_IDS)
    return _pool(tuple(a for a, t in zip(AREA_IDS, targets, strict=True) if t > 0))


def _interleaves(state: cat.CATState) -> bool:
    """Whether the test picks its tasks itself (every test started since tasks are
    interleaved); an attempt started before gives its drawn tasks after the questions."""
    return state.config.max_tasks > 0


def attempt_tasks(c: Campaign, test_id: str) -> list[perf.Task]:
    """The performance tasks drawn for an attempt whose adaptive test does not interleave
    tasks (started before tasks were interleaved): :func:`~ssckit.skills.tasks.tasks_for_mix`
    with the campaign's task count and area shares, seeded by the test id, given after the
    questions."""
    n = c.mix.n_tasks
    return perf.tasks_for_mix(n, c.mix.area_shares, zlib.crc32(test_id.encode())) if n else []


def task_scores(store: Store, test_ids: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Stored ``(task id, score)`` of each test, in the order scored."""
    if not test_ids:
        return {}
    with store.cursor() as cur:
        rows = cur.execute("SELECT test_id, task_id, score FROM skills_task_scores WHERE "
                           "test_id IN (SELECT unnest(?)) ORDER BY test_id, scored_at, task_id",
                           [list(test_ids)]).fetchall()
    out: dict[str, list[tuple[str, int]]] = {}
    for t, task, score in rows:
        out.setdefault(t, []).append((task, int(score)))
    return out


def pending_task(store: Store, c: Campaign, test_id: str) -> perf.Task | None:
    """The performance task the attempt waits for, or None: the one its adaptive test chose
    (``pending_task`` of the state), or, for an attempt whose test does not interleave
    tasks, the next drawn task not yet scored once the questions are done."""
    loaded = res.load_test(store, test_id)
    if loaded is None:
        return None
    state = loaded[1]
    if state.pending_task is not None:
        return perf.get_task(state.pending_task)
    if _interleaves(state) or not state.finished:
        return None
    done = {t for t, _ in task_scores(store, [test_id]).get(test_id, [])}
    return next((t for t in attempt_tasks(c, test_id) if t.id not in done), None)


def store_task_score(store: Store, c: Campaign, test_id: str, task_id: str,
                     events: Any) -> perf.TaskScore:
    """Score a task of the attempt from its events (:func:`~ssckit.skills.tasks.score_events`)
    and store it with the events; a task already scored keeps its first score. When the
    adaptive test chose this task, its score joins the test's estimate
    (:func:`~ssckit.skills.cat.answer_task`) and the test picks its next unit.

    Raises :class:`InputError` for a task that is not one of the attempt's or bad events.
    """
    loaded = res.load_test(store, test_id)
    if loaded is None:
        raise InputError(f"test {test_id}", "test", "there is no such test")
    lang, state = loaded
    if _interleaves(state):
        ids = [*state.tasks, *([state.pending_task] if state.pending_task else [])]
    else:
        ids = [t.id for t in attempt_tasks(c, test_id)]
    if task_id not in ids:
        raise InputError(f"test {test_id}", "task", f"{task_id!r} is not one of this "
                         f"attempt's tasks ({', '.join(ids) or 'none'})")
    task = perf.get_task(task_id)
    score = perf.score_events(task, events)
    with store.transaction() as cur:
        cur.execute("INSERT INTO skills_task_scores VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING", [test_id, task_id, score.score, score.max_score,
                                               json.dumps(events), _now()])
    if state.pending_task == task_id:
        tb = res.question_bank()
        pool = task_pool(state.config)
        assert pool is not None
        first = dict(task_scores(store, [test_id]).get(test_id, []))[task_id]
        state = cat.answer_task(tb.cat, state, first, pool)
        if not state.finished:
            state, _ = cat.next_item(tb.cat, state, pool)
        res.save_test(store, test_id, lang, state)
    return score


def tasks_log_likelihood(grid: np.ndarray, scores: list[tuple[str, int]],
                         area: int | None = None) -> np.ndarray:
    """Sum of :func:`~ssckit.skills.tasks.task_log_likelihood` of the ``(task id, score)``
    pairs at the nodes ``grid`` [SD of theta], of DigComp ``area`` only if given."""
    out = np.zeros(len(grid))
    for task_id, score in scores:
        task = perf.get_task(task_id)
        if area is None or task.area == area:
            out += perf.task_log_likelihood(grid, task, score)
    return out


def _eap(grid: np.ndarray, logpost: np.ndarray) -> tuple[float, float]:
    post = np.exp(logpost - logpost.max())
    post /= post.sum()
    mean = float(post @ grid)
    return mean, float(np.sqrt(max(float(post @ (grid - mean) ** 2), 0.0)))


def score_with_tasks(tb: res.QuestionBank, state: cat.CATState,
                     scores: list[tuple[str, int]]) -> res.SkillsResult:
    """:func:`~ssckit.skills.results.score_test` with the performance tasks' scores joined.

    The overall EAP's log-posterior on the bank's grid (N(0, 1) prior plus the answers' 2PL
    log-likelihood, Bock & Mislevy 1982) gains each task's GPCM ``log P(score | theta)``
    (Muraki 1992, Eq. 1; same scale); an area's EAP (prior centred on the new overall
    estimate, SD :data:`~ssckit.skills.results.AREA_PRIOR_SD`) gains its area's tasks, which
    also count in its number of items. Without tasks it is ``score_test`` unchanged [SD of
    theta].
    """
    if not scores:
        return res.score_test(tb, state)
    grid = tb.cat.grid
    items = np.asarray(state.items, dtype=int)
    resp = np.asarray(state.responses, dtype=int)
    known = tb.cat.log_probs[items, resp].sum(axis=0) if items.size else np.zeros(len(grid))
    theta, se = _eap(grid, -0.5 * grid ** 2 + known + tasks_log_likelihood(grid, scores))
    base = res.score_test(tb, replace(state, theta=theta, se=se))
    areas = []
    for k, a in enumerate(base.areas):
        extra = [s for s in scores if perf.get_task(s[0]).area == a.area]
        if not extra:
            areas.append(a)
            continue
        sel = tb.cat.areas[items] == k if items.size else np.zeros(0, bool)
        ll = tb.cat.log_probs[items[sel], resp[sel]].sum(axis=0) if sel.any() else 0.0
        th, s_e = _eap(grid, -0.5 * ((grid - theta) / res.AREA_PRIOR_SD) ** 2 + ll
                       + tasks_log_likelihood(grid, extra))
        lv = res.level_of(th)
        n = a.n + len(extra)
        areas.append(replace(a, n=n, theta=round(th, 4), se=round(s_e, 4), level=lv,
                             group=res.default_frameworks().proficiency_group(lv).id,
                             uncertain=n < res.MIN_AREA_ANSWERS))
    return replace(base, n_items=base.n_items + len(scores), areas=tuple(areas))


def progress(store: Store, c: Campaign) -> dict[str, int]:
    """Codes, attempts started and finished so far."""
    with store.cursor() as cur:
        codes = cur.execute("SELECT count(*) FROM skills_participants WHERE cohort = ?",
                            [c.cohort]).fetchone()[0]
        started, finished = cur.execute(
            "SELECT count(*), count(finished_at) FROM skills_attempts WHERE campaign_id = ?",
            [c.campaign_id]).fetchone()
    return {"codes": int(codes), "started": int(started), "finished": int(finished),
            "in_progress": int(started) - int(finished)}


def finished_responses(store: Store, c: Campaign) -> tuple[list[str], np.ndarray, bool]:
    """Codes of the finished attempts, their 0/1 answers over the bank (NaN: not shown) and
    whether any attempt was simulated."""
    tb = res.question_bank()
    with store.cursor() as cur:
        rows = cur.execute("SELECT a.code, t.state, a.simulated FROM skills_attempts a JOIN "
                           "skills_tests t USING (test_id) WHERE a.campaign_id = ? AND "
                           "a.finished_at IS NOT NULL ORDER BY a.code",
                           [c.campaign_id]).fetchall()
    x = np.full((len(rows), tb.cat.n_items), np.nan)
    for i, (_, text, _) in enumerate(rows):
        st = cat.CATState.from_json(text)
        x[i, list(st.items)] = st.responses
    return [r[0] for r in rows], x, any(bool(r[2]) for r in rows)


def task_log_likelihoods(store: Store, c: Campaign, codes: list[str]
                         ) -> dict[str, np.ndarray]:
    """The performance tasks' log-likelihoods of the attempts of ``codes`` at
    :data:`~ssckit.skills.cohort.QUAD_GRID`: ``{"overall": (N, G), "area1": ...}``; empty when
    none of them has a task score."""
    with store.cursor() as cur:
        rows = dict(cur.execute("SELECT code, test_id FROM skills_attempts WHERE campaign_id = ?",
                                [c.campaign_id]).fetchall())
    ids = [rows.get(code, "") for code in codes]
    stored = task_scores(store, [i for i in ids if i])
    if not stored:
        return {}
    out = {"overall": np.array([tasks_log_likelihood(QUAD_GRID, stored.get(i, []))
                                for i in ids]).reshape(len(ids), len(QUAD_GRID))}
    for area in AREA_IDS:
        out[f"area{area}"] = np.array([tasks_log_likelihood(QUAD_GRID, stored.get(i, []), area)
                                       for i in ids]).reshape(len(ids), len(QUAD_GRID))
    return out


#: Nodes of the joint WLE of answers and tasks [SD of theta].
WLE_GRID = np.linspace(-6.0, 6.0, 2401)


def overall_with_tasks(store: Store, c: Campaign, codes: list[str], x: np.ndarray,
                       knowledge: np.ndarray) -> np.ndarray:
    """Each person's overall score for the results by group: the WLE of the knowledge
    answers (``knowledge``) or, for a person with performance task scores, the joint WLE of
    answers and tasks (:func:`~ssckit.skills.cohort.wle_with_tasks`, 0.005 SD nodes)."""
    with store.cursor() as cur:
        rows = dict(cur.execute("SELECT code, test_id FROM skills_attempts WHERE campaign_id = ?",
                                [c.campaign_id]).fetchall())
    ids = [rows.get(code, "") for code in codes]
    stored = task_scores(store, [i for i in ids if i])
    who = [k for k, i in enumerate(ids) if stored.get(i)]
    if not who:
        return knowledge
    ll = np.array([tasks_log_likelihood(WLE_GRID, stored[ids[k]]) for k in who])
    info = np.array([sum((gpcm_information(WLE_GRID, perf.get_task(t).gpcm.a,
                                           perf.get_task(t).gpcm.b) for t, _ in stored[ids[k]]),
                         np.zeros(len(WLE_GRID))) for k in who])
    tb = res.question_bank()
    out = np.array(knowledge, dtype=float)
    out[who] = wle_with_tasks(x[who], tb.cat.params.a, np.ravel(tb.cat.params.d), ll, info,
                              WLE_GRID)
    return out


def scores(store: Store, c: Campaign) -> tuple[list[str], dict[str, np.ndarray], bool]:
    """Codes of the finished attempts and their WLE scores overall and per area."""
    tb = res.question_bank()
    codes, x, simulated = finished_responses(store, c)
    return codes, area_scores(x, tb.cat.params.a, np.ravel(tb.cat.params.d), tb.cat.areas), \
        simulated


@dataclass(frozen=True)
class CampaignReport:
    """A campaign's results by group and, for a post campaign, the change since the pre one."""

    campaign: Campaign
    progress: dict[str, int]
    groups: list[GroupResult]
    change: list[PairedChange]
    simulated: bool
    level: float

    def to_dict(self) -> dict[str, Any]:
        c = self.campaign
        return {"campaign": {"id": c.campaign_id, "name": c.name, "group": c.group,
                             "pre": c.pre_id, "opens": str(c.opens), "closes": str(c.closes),
                             "sample": "non-probability"},
                "progress": self.progress, "level": self.level, "simulated": self.simulated,
                "groups": [asdict(g) for g in self.groups],
                "change": [p.to_dict() for p in self.change]}


def campaign_report(store: Store, c: Campaign, level: float = 0.95,
                    min_cell: int = res.MIN_CELL) -> CampaignReport:
    """Results by attribute with intervals and, with a pre campaign, the paired change of
    every score (overall and per DigComp area) of the codes that finished both."""
    codes, x, simulated = finished_responses(store, c)
    tb = res.question_bank()
    sc = area_scores(x, tb.cat.params.a, np.ravel(tb.cat.params.d), tb.cat.areas)
    people = {p["code"]: p for p in participants(store, c)}
    attrs = {k: np.array([people.get(code, {}).get(k, "") for code in codes], dtype=object)
             for k in ATTRIBUTES}
    overall = overall_with_tasks(store, c, codes, x, sc["overall"])
    groups = group_results(overall, attrs, min_cell, level) if codes else []
    change: list[PairedChange] = []
    if c.pre_id:
        pre = load_campaign(store, c.pre_id)
        pre_codes, pre_x, pre_sim = finished_responses(store, pre)
        simulated = simulated or pre_sim
        index = {code: i for i, code in enumerate(pre_codes)}
        both = [(i, index[code]) for i, code in enumerate(codes) if code in index]
        ia = np.array([i for i, _ in both], dtype=int)
        ib = np.array([j for _, j in both], dtype=int)
        tb = res.question_bank()
        after_ll = task_log_likelihoods(store, c, [codes[i] for i in ia])
        before_ll = task_log_likelihoods(store, pre, [pre_codes[j] for j in ib])
        change = paired_changes(pre_x[ib], x[ia], tb.cat.params.a, np.ravel(tb.cat.params.d),
                                tb.cat.areas, level, before_ll or None, after_ll or None)
    return CampaignReport(c, progress(store, c), groups, change, simulated, level)


def change_rows(report: CampaignReport) -> list[dict[str, Any]]:
    """The before/after table as flat rows (the CSV export)."""
    return [{"campaign": report.campaign.campaign_id, "pre_campaign": report.campaign.pre_id,
             **p.to_dict()} for p in report.change]


# -- indicator values -------------------------------------------------------------------------
def indicator_values(report: CampaignReport) -> list[IndicatorValue]:
    """The campaign's results as indicator values of entity ``campaign:<id>``.

    ``skills:campaign:intermediate_or_above`` [%] and ``skills:campaign:mean_theta``
    [SD of theta] for everyone and by each attribute (suppressed groups left out), and for a
    post campaign ``skills:campaign:change:<score>`` [SD of theta] and
    ``skills:campaign:moved_up:<score>`` [%]. Every value's source says ``sample:
    non-probability``: these describe the people assessed, not the city's population, and are
    kept apart from the survey's ``skills:*`` estimates (entity ``city``).
    """
    c = report.campaign
    period = c.closes.isoformat()
    src = {"module": "skills.campaign", "campaign": c.campaign_id, "group": c.group,
           "sample": "non-probability", "level": report.level}
    quality = "D" if report.simulated else "C"
    out = []
    for g in report.groups:
        if g.suppressed:
            continue
        bd = {} if g.variable == "all" else {g.variable: g.group}
        out.append(IndicatorValue("skills:campaign:intermediate_or_above",
                                  float(g.share_intermediate), "%", period,  # type: ignore[arg-type]
                                  f"campaign:{c.campaign_id}", bd,
                                  dict(src, n=g.n, ci_low=g.share_low, ci_high=g.share_high),
                                  quality))
        out.append(IndicatorValue("skills:campaign:mean_theta", float(g.mean_theta),  # type: ignore[arg-type]
                                  "SD of theta", period, f"campaign:{c.campaign_id}", bd,
                                  dict(src, n=g.n, ci_low=g.mean_low, ci_high=g.mean_high),
                                  quality))
    for p in report.change:
        if p.mean_change is None:
            continue
        meta = dict(src, pre_campaign=c.pre_id, n=p.n, ci_low=p.ci_low, ci_high=p.ci_high,
                    se=p.se, d_z=p.d_z)
        out.append(IndicatorValue(f"skills:campaign:change:{p.score}", p.mean_change,
                                  "SD of theta", period, f"campaign:{c.campaign_id}", {}, meta,
                                  quality))
        if p.moved_up is not None:
            out.append(IndicatorValue(
                f"skills:campaign:moved_up:{p.score}", p.moved_up, "%", period,
                f"campaign:{c.campaign_id}", {},
                dict(src, pre_campaign=c.pre_id, n=p.n, ci_low=p.moved_up_low,
                     ci_high=p.moved_up_high), quality))
    return out


def store_indicator_values(store: Store, report: CampaignReport) -> int:
    """Replace the campaign's stored indicator values by this report's."""
    entity = f"campaign:{report.campaign.campaign_id}"
    return store.write_values(indicator_values(report), replace=lambda cur: cur.execute(
        "DELETE FROM indicator_values WHERE entity = ? AND starts_with(indicator, "
        "'skills:campaign:')", [entity]))


# -- simulated participants -------------------------------------------------------------------
def true_traits(person: int, seed: int, shift: tuple[float, ...], spread: float = 0.25
                ) -> np.ndarray:
    """A simulated person's trait per DigComp area [SD of theta].

    Person ``person`` (the rank of the code in the cohort, in code order) has a general trait
    drawn from N(0, 1) by ``(seed, person)``, so the same code is the same person in the pre
    and the post campaign and a simulation does not depend on the random codes drawn; area k
    adds ``shift[k]`` (the planted improvement) plus a personal deviation N(0, ``spread``)
    where ``shift[k]`` is not 0, so people improve by different amounts.
    """
    rng = np.random.default_rng([int(seed), int(person)])
    theta = rng.normal()
    gain = rng.normal(0.0, spread, len(AREA_IDS))
    planted = np.asarray(shift, dtype=float)
    return theta + planted + np.where(planted != 0, gain, 0.0)


def simulate_attempt(tb: res.QuestionBank, config: cat.CATConfig, traits: np.ndarray,
                     rng: np.random.Generator, seed: int) -> cat.CATState:
    """One adaptive test answered by a simulated person whose chance of a right answer to an
    item of area k is the bank's 2PL at ``traits[k]``; a performance task the test chooses
    (``config.max_tasks > 0``) is scored by :func:`simulate_task_score` at the trait of the
    task's area."""
    pool = task_pool(config)
    state = cat.start_test(tb.cat, config, seed)
    a, d = tb.cat.params.a, np.ravel(tb.cat.params.d)
    while True:
        state, j = cat.next_item(tb.cat, state, pool)
        if j is None:
            return state
        if isinstance(j, str):
            assert pool is not None
            task = pool.task(j)
            state = cat.answer_task(tb.cat, state,
                                    simulate_task_score(task, float(traits[task.area - 1]), rng),
                                    pool)
            continue
        p = 1.0 / (1.0 + np.exp(-(a[j] * traits[tb.cat.areas[j]] + d[j])))
        state = cat.answer(tb.cat, state, int(rng.random() < p), tasks=pool)


def simulate_task_score(task: perf.Task, theta: float, rng: np.random.Generator) -> int:
    """A simulated person's score on a performance task: a draw from the task's GPCM category
    probabilities at ``theta`` [SD of theta] (Muraki 1992, Eq. 1)."""
    from ssckit.skills.gpcm import gpcm_probs

    p = gpcm_probs(np.array([theta]), task.gpcm.a, task.gpcm.b)[0]
    return int(rng.choice(len(p), p=p / p.sum()))


def simulate_campaign(store: Store, c: Campaign, seed: int, shift: tuple[float, ...],
                      lang: str = "en") -> int:
    """Every code of the cohort without an attempt takes the test as a simulated person
    (:func:`true_traits`) and scores the performance tasks the test gives
    (:func:`simulate_attempt`); attempts, task scores and results are stored marked as
    simulated. Return how
    many attempts were added. Simulate after all codes are issued: a person is the rank of
    the code in the cohort."""
    tb = res.question_bank()
    cfg = c.mix.cat_config()
    with store.cursor() as cur:
        done = {r[0] for r in cur.execute("SELECT code FROM skills_attempts WHERE "
                                          "campaign_id = ?", [c.campaign_id]).fetchall()}
    people = [(k, p) for k, p in enumerate(participants(store, c)) if p["code"] not in done]
    now = _now()
    tests, results, attempts, scored = [], [], [], []
    for k, p in people:
        code = p["code"]
        rng = np.random.default_rng([int(seed), k, zlib.crc32(c.campaign_id.encode())])
        traits = true_traits(k, seed, shift)
        state = simulate_attempt(tb, cfg, traits, rng, int(rng.integers(2**31)))
        test_id = res.new_test_id()
        task_pairs = list(zip(state.tasks, state.task_scores, strict=True))
        scored += [[test_id, t, s_, perf.get_task(t).max_score, "null", now]
                   for t, s_ in task_pairs]
        r = score_with_tasks(tb, state, task_pairs)
        tests.append([test_id, lang, state.to_json(), now, now])
        results.append([test_id, now, lang, tb.cat.fingerprint, r.n_items, r.theta, r.se,
                        r.level, json.dumps(r.to_dict()), p["sex"] or None,
                        p["age_group"] or None, p["region"] or None, None,
                        p["disability"] or None])
        attempts.append([c.campaign_id, code, test_id, None, now, now, True])
    with store.transaction() as cur:
        if tests:
            cur.executemany("INSERT INTO skills_tests VALUES (?, ?, ?, ?, ?)", tests)
            cur.executemany("INSERT INTO skills_results VALUES "
                            f"({', '.join('?' * 14)})", results)
            cur.executemany("INSERT INTO skills_attempts VALUES (?, ?, ?, ?, ?, ?, ?)",
                            attempts)
        if scored:
            cur.executemany("INSERT INTO skills_task_scores VALUES (?, ?, ?, ?, ?, ?)", scored)
    return len(people)
