"""Performance tasks: simulated scenes done in the browser, scored on the server from events.

A task is data (``skills/data/tasks/<id>.yaml``): the DigComp area and competence it shows, the
texts in English, Russian and Belarusian, a *scene* of plain form widgets (notes, tables, text
fields, check boxes, choices, selects, buttons), and *rules* that give points for what the person
did.
The browser only reports events — ``{"type": "set"|"check"|"choose"|"press", "target": <widget
id>, "value": ...}`` — and :func:`score_events` replays them into the scene's final state and
applies the rules. An event of a type the task does not allow, on a widget it does not have, or
with a value the widget cannot take is refused with an :class:`~ssckit.core.errors.InputError`.

The score ``0 .. max_score`` is a partial-credit response on the generalized partial credit model
(:mod:`ssckit.skills.gpcm`) in the same latent scale as the knowledge items. The parameters in the
task files are **provisional** (set from the tasks' design, not yet from responses); calibrate them
from campaign responses with ``ssckit skills calibrate-tasks`` (MML-EM, Muraki 1992).

Tasks follow the Digital Skills Assessment Guidebook's performance-based assessment (ITU 2020,
section 4.3) and DigComp 2.2's areas and competences (Vuorikari et al. 2022).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ssckit.core.errors import InputError
from ssckit.skills.frameworks import AREA_IDS
from ssckit.skills.gpcm import GPCMItem, gpcm_information

#: Languages every task's texts are written in, those of the pages; a task file lacking one is
#: refused.
TASK_LANGUAGES = ("en", "ru", "be")
#: Widget kinds of a scene and the event type each one reports (``None``: shows only).
WIDGET_EVENTS: dict[str, str | None] = {"note": None, "table": None, "text": "set",
                                        "checkbox": "check", "choice": "choose",
                                        "select": "choose", "button": "press"}
EVENT_TYPES = ("set", "check", "choose", "press")
TEXT_INPUTS = ("text", "email", "password", "tel", "date", "time")
MAX_EVENTS = 2000
MAX_TEXT = 200
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_CONDITIONS = ("equals", "matches", "checked", "unchecked", "pressed", "not_pressed",
               "strong_password", "same", "all", "any")


@dataclass(frozen=True)
class Widget:
    """One element of a scene. ``label``/``text``/``heading`` are keys of the task's strings."""

    id: str
    kind: str
    label: str = ""
    heading: str = ""
    text: str = ""
    input: str = "text"
    options: tuple[str, ...] = ()
    head: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    autocomplete: str = "off"

    @property
    def event(self) -> str | None:
        return WIDGET_EVENTS[self.kind]


@dataclass(frozen=True)
class Rule:
    """``points`` when ``when`` holds at the end; within one ``group`` only the best rule counts."""

    points: int
    when: dict[str, Any]
    group: str


@dataclass(frozen=True)
class Task:
    """A performance task: scene, rules and provisional GPCM parameters."""

    id: str
    area: int
    competence: str
    strings: dict[str, dict[str, str]]
    scene: tuple[Widget, ...]
    rules: tuple[Rule, ...]
    submit: str
    gpcm: GPCMItem
    source: str

    @property
    def max_score(self) -> int:
        best: dict[str, int] = {}
        for r in self.rules:
            best[r.group] = max(best.get(r.group, 0), r.points)
        return sum(best.values())

    @property
    def allowed_events(self) -> tuple[str, ...]:
        """The event types this task's scene can report."""
        return tuple(t for t in EVENT_TYPES if any(w.event == t for w in self.scene))

    def widget(self, widget_id: str) -> Widget | None:
        return next((w for w in self.scene if w.id == widget_id), None)

    def texts(self, lang: str) -> dict[str, str]:
        """The task's strings in ``lang``, one of :data:`TASK_LANGUAGES`."""
        if lang not in TASK_LANGUAGES:
            raise ValueError(f"task texts are in {', '.join(TASK_LANGUAGES)}, not {lang!r}")
        return self.strings[lang]


# -- reading and checking the task files ------------------------------------------------------
def _need(d: dict[str, Any], key: str, source: str, where: str) -> Any:
    if key not in d:
        raise InputError(source, f"{where}field '{key}'", "is missing")
    return d[key]


def _widget(d: Any, source: str, i: int) -> Widget:
    where = f"scene item {i + 1}, "
    if not isinstance(d, dict):
        raise InputError(source, f"scene item {i + 1}", "must be a mapping with id and kind")
    wid = str(_need(d, "id", source, where))
    kind = str(_need(d, "kind", source, where))
    if not _ID_RE.match(wid):
        raise InputError(source, f"{where}field 'id'", f"{wid!r}: use a-z, 0-9 and '-'")
    if kind not in WIDGET_EVENTS:
        raise InputError(source, f"{where}field 'kind'",
                         f"{kind!r} is not one of {', '.join(WIDGET_EVENTS)}")
    inp = str(d.get("input", "text"))
    if inp not in TEXT_INPUTS:
        raise InputError(source, f"{where}field 'input'",
                         f"{inp!r} is not one of {', '.join(TEXT_INPUTS)}")
    return Widget(wid, kind, str(d.get("label", "")), str(d.get("heading", "")),
                  str(d.get("text", "")), inp, tuple(str(o) for o in d.get("options", ())),
                  tuple(str(h) for h in d.get("head", ())),
                  tuple(tuple(str(c) for c in row) for row in d.get("rows", ())),
                  str(d.get("autocomplete", "off")))


def _check_condition(cond: Any, task_widgets: dict[str, Widget], source: str, where: str) -> None:
    if not isinstance(cond, dict) or len(cond) != 1:
        raise InputError(source, where, "a condition is a mapping with one of "
                         + ", ".join(_CONDITIONS))
    (name, arg), = cond.items()
    if name not in _CONDITIONS:
        raise InputError(source, where, f"{name!r} is not one of {', '.join(_CONDITIONS)}")
    if name in ("all", "any"):
        for c in arg:
            _check_condition(c, task_widgets, source, where)
        return
    if name in ("equals", "matches"):
        ids = [arg["target"]]
        if name == "matches":
            re.compile(arg["pattern"])
    elif name in ("checked", "unchecked", "same"):
        ids = list(arg)
    elif name == "strong_password":
        ids = [arg["target"]]
    else:
        ids = [arg]
    for wid in ids:
        if wid not in task_widgets:
            raise InputError(source, where, f"names widget {wid!r}, which the scene lacks")


def parse_task(data: Any, source: str) -> Task:
    """A :class:`Task` from the mapping of a task file, checked; :class:`InputError` if not."""
    if not isinstance(data, dict):
        raise InputError(source, "top level", "a task file is a mapping (id, area, ...)")
    tid = str(_need(data, "id", source, ""))
    if not _ID_RE.match(tid):
        raise InputError(source, "field 'id'", f"{tid!r}: use a-z, 0-9 and '-'")
    area = int(_need(data, "area", source, ""))
    if area not in AREA_IDS:
        raise InputError(source, "field 'area'", f"{area} is not a DigComp area 1..5")
    strings = _need(data, "strings", source, "")
    for lang in TASK_LANGUAGES:
        if lang not in strings:
            raise InputError(source, f"field 'strings.{lang}'", "is missing: write the texts "
                             f"in {', '.join(TASK_LANGUAGES)}")
    keys = set(strings["en"])
    for lang in TASK_LANGUAGES:
        diff = keys ^ set(strings[lang])
        if diff:
            raise InputError(source, f"field 'strings.{lang}.{sorted(diff)[0]}'",
                             "every text must exist in every language")
    for key in ("title", "instructions"):
        if key not in keys:
            raise InputError(source, f"field 'strings.en.{key}'", "is missing")
    scene = tuple(_widget(d, source, i) for i, d in enumerate(_need(data, "scene", source, "")))
    widgets = {w.id: w for w in scene}
    if len(widgets) != len(scene):
        raise InputError(source, "field 'scene'", "widget ids must be unique")
    for w in scene:
        for k in (w.label, w.heading, w.text, *w.head, *(f"{w.id}.{o}" for o in w.options)):
            if k and k not in keys:
                raise InputError(source, f"scene widget {w.id!r}", f"text {k!r} is not in "
                                 "'strings'")
        if w.kind in ("choice", "select") and len(w.options) < 2:
            raise InputError(source, f"scene widget {w.id!r}", "give at least two options")
        if w.event in ("set", "check", "choose", "press") and not w.label:
            raise InputError(source, f"scene widget {w.id!r}", "needs a label (screen readers "
                             "announce it)")
    submit = str(_need(data, "submit", source, ""))
    if submit not in widgets or widgets[submit].kind != "button":
        raise InputError(source, "field 'submit'", f"{submit!r} is not a button of the scene")
    rules = []
    for i, r in enumerate(_need(data, "rules", source, "")):
        where = f"rule {i + 1}"
        points = int(_need(r, "points", source, f"{where}, "))
        if not 1 <= points <= 5:
            raise InputError(source, f"{where}, field 'points'", f"{points} is outside 1..5")
        _check_condition(_need(r, "when", source, f"{where}, "), widgets, source, where)
        rules.append(Rule(points, r["when"], str(r.get("group", f"rule-{i + 1}"))))
    g = _need(data, "gpcm", source, "")
    item = GPCMItem(float(g["a"]), tuple(float(b) for b in g["b"]))
    task = Task(tid, area, str(data.get("competence", "")), {k: dict(strings[k]) for k in strings},
                scene, tuple(rules), submit, item, source)
    if item.max_score != task.max_score:
        raise InputError(source, "field 'gpcm.b'", f"give {task.max_score} step difficulties "
                         f"(one per score point of the rules); got {item.max_score}")
    if not 0.1 <= item.a <= 5:
        raise InputError(source, "field 'gpcm.a'", f"{item.a} is outside 0.1..5")
    return task


def load_task_file(path: Path) -> Task:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise InputError(str(path), "YAML", str(e).splitlines()[0]) from None
    return parse_task(data, str(path))


@cache
def task_bank() -> dict[str, Task]:
    """The packaged tasks (``skills/data/tasks/*.yaml``) by id."""
    folder = resources.files("ssckit.skills") / "data" / "tasks"
    out: dict[str, Task] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            t = load_task_file(Path(str(entry)))
            out[t.id] = t
    return out


def get_task(task_id: str) -> Task:
    bank = task_bank()
    if task_id not in bank:
        raise InputError("task", "id", f"there is no task {task_id!r}; the tasks are "
                         + ", ".join(bank))
    return bank[task_id]


# -- events and scoring -----------------------------------------------------------------------
@dataclass
class SceneState:
    """What the scene looks like after the events: values, checks, choices, presses."""

    values: dict[str, Any]
    presses: dict[str, int]


def check_events(task: Task, events: Any) -> list[dict[str, Any]]:
    """The events, checked against the task's allowed event types and widgets.

    Raises :class:`InputError` naming the first bad event (position, field, what is allowed).
    """
    src = f"events of task {task.id}"
    if not isinstance(events, list):
        raise InputError(src, "events", "must be a list of {type, target, value} objects")
    if len(events) > MAX_EVENTS:
        raise InputError(src, "events", f"{len(events)} events; at most {MAX_EVENTS}")
    out = []
    allowed = task.allowed_events
    for i, e in enumerate(events):
        where = f"event {i + 1}"
        if not isinstance(e, dict):
            raise InputError(src, where, "must be an object with type, target and value")
        extra = set(e) - {"type", "target", "value", "t"}
        if extra:
            raise InputError(src, f"{where}, field '{sorted(extra)[0]}'",
                             "unknown; allowed fields are type, target, value, t")
        typ, target, value = e.get("type"), e.get("target"), e.get("value")
        if typ not in allowed:
            raise InputError(src, f"{where}, field 'type'",
                             f"{typ!r} is not one of this task's events: {', '.join(allowed)}")
        w = task.widget(target) if isinstance(target, str) else None
        if w is None or w.event != typ:
            raise InputError(src, f"{where}, field 'target'",
                             f"{target!r} is not a widget that reports {typ!r} events")
        if typ == "set" and not (isinstance(value, str) and len(value) <= MAX_TEXT):
            raise InputError(src, f"{where}, field 'value'",
                             f"text of at most {MAX_TEXT} characters expected")
        if typ == "check" and not isinstance(value, bool):
            raise InputError(src, f"{where}, field 'value'", "true or false expected")
        if typ == "choose" and value not in w.options:
            raise InputError(src, f"{where}, field 'value'",
                             f"{value!r} is not one of {', '.join(w.options)}")
        if typ == "press" and value is not None:
            raise InputError(src, f"{where}, field 'value'", "a press carries no value")
        out.append({"type": typ, "target": target, "value": value})
    return out


def replay(task: Task, events: list[dict[str, Any]]) -> SceneState | None:
    """The scene's state at the last press of the task's submit button (``None``: never)."""
    state = SceneState({w.id: (False if w.kind == "checkbox" else "") for w in task.scene
                        if w.event in ("set", "check", "choose")}, {})
    final = None
    for e in events:
        if e["type"] == "press":
            state.presses[e["target"]] = state.presses.get(e["target"], 0) + 1
            if e["target"] == task.submit:
                final = SceneState(dict(state.values), dict(state.presses))
        else:
            state.values[e["target"]] = e["value"]
    return final


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def is_strong_password(pw: str, avoid: tuple[str, ...] = (), min_length: int = 12) -> bool:
    """At least ``min_length`` characters, three of the four character classes, and none of the
    ``avoid`` words (the person's name, the service) in it — the length-first advice of NIST SP
    800-63B section 5.1.1.2 with a composition floor for the tasks' short-answer scoring."""
    classes = sum(bool(re.search(p, pw)) for p in (r"[a-zа-яё]", r"[A-ZА-ЯЁ]", r"\d", r"[^\w\s]"))
    low = pw.casefold()
    return len(pw) >= min_length and classes >= 3 and not any(a.casefold() in low for a in avoid)


def holds(cond: dict[str, Any], state: SceneState) -> bool:
    """Whether a rule's condition holds in the final state."""
    (name, arg), = cond.items()
    v = state.values
    if name == "all":
        return all(holds(c, state) for c in arg)
    if name == "any":
        return any(holds(c, state) for c in arg)
    if name == "equals":
        want = arg["value"]
        return _norm(v.get(arg["target"], "")) in {_norm(w) for w in
                                                   (want if isinstance(want, list) else [want])}
    if name == "matches":
        return re.fullmatch(arg["pattern"], str(v.get(arg["target"], "")).strip(),
                            re.IGNORECASE) is not None
    if name == "checked":
        return all(v.get(w) is True for w in arg)
    if name == "unchecked":
        return all(v.get(w) is not True for w in arg)
    if name == "pressed":
        return state.presses.get(arg, 0) > 0
    if name == "not_pressed":
        return state.presses.get(arg, 0) == 0
    if name == "strong_password":
        return is_strong_password(str(v.get(arg["target"], "")), tuple(arg.get("avoid", ())))
    if name == "same":
        vals = [v.get(w, "") for w in arg]
        return bool(vals[0]) and all(x == vals[0] for x in vals)
    raise AssertionError(name)  # parse_task refuses other names


@dataclass(frozen=True)
class TaskScore:
    """The score of one attempt and the rules it met (ids ``group``)."""

    task_id: str
    score: int
    max_score: int
    submitted: bool
    met: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task_id, "score": self.score, "max_score": self.max_score,
                "submitted": self.submitted, "met": list(self.met)}


def score_events(task: Task, events: Any) -> TaskScore:
    """Score an attempt from its recorded events: the best rule of each group that holds at the
    last press of the submit button adds its points; an attempt never submitted scores 0."""
    checked = check_events(task, events)
    state = replay(task, checked)
    if state is None:
        return TaskScore(task.id, 0, task.max_score, False, ())
    best: dict[str, int] = {}
    for r in task.rules:
        if holds(r.when, state):
            best[r.group] = max(best.get(r.group, 0), r.points)
    return TaskScore(task.id, sum(best.values()), task.max_score, True, tuple(sorted(best)))


# -- the hook of the campaigns' item mix ------------------------------------------------------
def performance_items(areas: tuple[int, ...] = AREA_IDS) -> list[Task]:
    """The tasks of DigComp ``areas`` a campaign's item mix can draw, in a stable order."""
    return [t for t in task_bank().values() if t.area in areas]


def tasks_for_mix(count: int, area_shares: tuple[float, ...], seed: int) -> list[Task]:
    """``count`` distinct tasks for one participant, shared over the DigComp areas as
    ``area_shares`` (largest-remainder rounding), drawn with ``seed`` (recorded by the caller);
    fewer when the bank has fewer tasks in an area."""
    shares = np.asarray(area_shares, float)
    if shares.size != len(AREA_IDS) or count < 0:
        raise InputError("item mix", "area_shares", "give 5 shares (DigComp areas 1-5)")
    raw = shares / max(shares.sum(), 1e-12) * count
    n = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - n), kind="stable")[: count - int(n.sum())]:
        n[k] += 1
    rng = np.random.default_rng(seed)
    out: list[Task] = []
    for area, k in zip(AREA_IDS, n, strict=True):
        pool = performance_items((area,))
        out += [pool[i] for i in sorted(rng.permutation(len(pool))[:k])]
    return out


def task_log_likelihood(theta: np.ndarray, task: Task, score: int) -> np.ndarray:
    """``log P(score | theta)`` of a task on the GPCM at nodes ``theta`` [SD of theta]: add it
    to the adaptive test's log-posterior at the same nodes to score knowledge items and tasks
    together on one scale (Muraki 1992, Eq. 1)."""
    from ssckit.skills.gpcm import gpcm_probs

    if not 0 <= score <= task.max_score:
        raise InputError(f"task {task.id}", "score", f"{score} is outside 0..{task.max_score}")
    return np.log(gpcm_probs(theta, task.gpcm.a, task.gpcm.b)[:, score])


def most_informative_task(theta: float, exclude: set[str] | frozenset[str] | tuple[str, ...],
                          area: int | None = None, pool: tuple[Task, ...] | None = None,
                          information: Callable[[Task], float] | None = None) -> Task | None:
    """The not yet given task with the largest GPCM information at ``theta`` [SD of theta]
    (Muraki 1993, Eq. 7), of DigComp ``area`` (1-5) if given, among ``pool`` (default: every
    packaged task); ``None`` when none is left. Ties go to the first in ``pool``'s order. The
    adaptive test weighs it against its best item (:func:`ssckit.skills.cat.select_unit`),
    passing its tasks' information at ``theta`` read from a table as ``information``
    [1 / SD of theta^2]."""
    left = [t for t in (performance_items() if pool is None else pool) if t.id not in exclude
            and (area is None or t.area == area)]
    if not left:
        return None
    info = [information(t) if information is not None
            else float(gpcm_information(theta, t.gpcm.a, t.gpcm.b)[0]) for t in left]
    return left[int(np.argmax(info))]
