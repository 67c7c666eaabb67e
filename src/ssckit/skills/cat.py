"""Computerized adaptive testing (CAT) over a calibrated item bank.

Maximum-information item selection with randomesque exposure control and content balancing over
competence areas, EAP or MAP trait updates after every answer, and SE / length stopping rules.
A test is driven one answer at a time through an immutable, JSON-serialisable
:class:`CATState` (a web page or a terminal keeps the JSON between requests):

>>> state = start_test(bank, CATConfig(content_targets=(0.2,) * 5), seed=42)  # doctest: +SKIP
>>> state, item = next_item(bank, state)                                      # doctest: +SKIP
>>> state = answer(bank, state, response=1)                                   # doctest: +SKIP

A test may interleave *performance tasks* (partial-credit units on the GPCM, a
:class:`TaskPool`): with ``CATConfig(max_tasks=3)`` the next unit is an item or a task, whichever
is more informative at the current estimate in the area the content balance asks for; a task
chosen is pending as ``state.pending_task`` and answered with :func:`answer_task`.

:func:`simulate_cat` runs a Monte-Carlo study (bias, RMSE, test length, item exposure).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from ssckit.core.errors import InputError
from ssckit.skills.gpcm import gpcm_information, gpcm_probs
from ssckit.skills.irt import (
    ItemParams,
    item_information,
    log_category_probs,
    map_theta,
    simulate_responses,
)
from ssckit.skills.tasks import Task, most_informative_task

#: The five competence areas of the European Digital Competence Framework (DigComp 2.2).
DIGCOMP_AREAS = (
    "information and data literacy",
    "communication and collaboration",
    "digital content creation",
    "safety",
    "problem solving",
)


# --------------------------------------------------------------------------------------------
# bank and configuration
# --------------------------------------------------------------------------------------------


class ItemBank:
    """A calibrated item bank with the per-item tables a CAT needs, computed once.

    Parameters
    ----------
    params : ItemParams
        Calibrated item parameters (any model of :mod:`ssckit.skills.irt`).
    areas : array_like of int, shape (J,), optional
        Competence area of each item, an index into ``area_names``; default all area 0.
    area_names : sequence of str
        Names of the areas (default: the five DigComp 2.2 areas).
    grid_limit : float
        Posterior grid range ``[-grid_limit, grid_limit]`` [SD of theta].
    grid_step : float
        Posterior grid spacing [SD of theta].

    Notes
    -----
    Holds ``log P_j(k | theta_g)`` on the grid (J x K x G), so a posterior update after an
    answer is one vector addition, and the slopes/intercepts as flat arrays, so the information
    of all J items at the current estimate is one vectorised evaluation.
    """

    def __init__(self, params: ItemParams, areas: np.ndarray | list[int] | None = None,
                 area_names: tuple[str, ...] | list[str] = DIGCOMP_AREAS,
                 grid_limit: float = 6.0, grid_step: float = 0.02) -> None:
        self.params = params
        jn = params.n_items
        self.areas = np.zeros(jn, dtype=int) if areas is None else np.asarray(areas, dtype=int)
        self.area_names = tuple(area_names)
        if self.areas.shape != (jn,) or np.any(self.areas < 0) \
                or np.any(self.areas >= len(self.area_names)):
            raise InputError("item bank", "field 'areas'",
                             f"need {jn} area indices in 0..{len(self.area_names) - 1}")
        self.grid = np.arange(-grid_limit, grid_limit + 0.5 * grid_step, grid_step)
        self.log_probs = np.transpose(log_category_probs(self.grid, params), (1, 2, 0)).copy()
        self.n_categories = params.n_categories
        digest = json.dumps(params.to_dict(), sort_keys=True) + json.dumps(self.areas.tolist())
        self.fingerprint = hashlib.sha256(digest.encode()).hexdigest()[:16]

    @property
    def n_items(self) -> int:
        """Number of items in the bank."""
        return self.params.n_items

    def information(self, theta: float) -> np.ndarray:
        """Fisher information of every item at ``theta`` [1 / SD^2], shape (J,)."""
        return item_information(float(theta), self.params)


class TaskPool:
    """Performance tasks an adaptive test may interleave with its items, with their tables on
    the item bank's posterior grid.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks (:class:`ssckit.skills.tasks.Task`: id, DigComp area 1-5, GPCM parameters).
    bank : ItemBank
        The item bank the test runs on (its grid; a task of DigComp area ``k`` counts in the
        bank's area index ``k - 1`` for content balancing).

    Notes
    -----
    Holds ``log P_t(k | theta_g)`` of every task on the bank's grid (Muraki 1992, Eq. 1), so a
    task's score joins the posterior as one vector addition, as an item's answer does, and
    each task's information on the same grid, read at an estimate by linear interpolation
    (the grid's 0.02 SD steps keep it within 1e-4 of the exact value).
    """

    def __init__(self, tasks: Sequence[Task], bank: ItemBank) -> None:
        self.tasks = tuple(tasks)
        self.by_id = {t.id: t for t in self.tasks}
        if len(self.by_id) != len(self.tasks):
            raise InputError("task pool", "field 'id'", "task ids must be unique")
        self.areas = {t.id: int(t.area) - 1 for t in self.tasks}
        self.log_probs = {t.id: np.log(gpcm_probs(bank.grid, t.gpcm.a, t.gpcm.b)).T
                          for t in self.tasks}
        self.grid = bank.grid
        self.info_grid = {t.id: gpcm_information(bank.grid, t.gpcm.a, t.gpcm.b)
                          for t in self.tasks}
        digest = json.dumps([[t.id, t.area, t.gpcm.a, list(t.gpcm.b)] for t in self.tasks])
        self.fingerprint = hashlib.sha256(digest.encode()).hexdigest()[:16]

    def task(self, task_id: str) -> Task:
        """The task with this id; :class:`InputError` if the pool has none."""
        if task_id not in self.by_id:
            raise InputError("task pool", "task", f"{task_id!r} is not one of the pool's tasks "
                             f"({', '.join(self.by_id) or 'none'})")
        return self.by_id[task_id]

    def information(self, theta: float, task_id: str) -> float:
        """GPCM information of one task at ``theta`` [1 / SD^2] (Muraki 1993, Eq. 7),
        interpolated in the table on the bank's grid."""
        return float(np.interp(theta, self.grid, self.info_grid[self.task(task_id).id]))

    def log_likelihood(self, task_ids: Sequence[str], scores: Sequence[int]) -> np.ndarray:
        """``sum log P(score | theta_g)`` of the scored tasks on the bank's grid."""
        out = 0.0
        for tid, k in zip(task_ids, scores, strict=True):
            out = out + self.log_probs[self.task(tid).id][int(k)]
        return np.asarray(out)


@dataclass(frozen=True)
class CATConfig:
    """Rules of an adaptive test.

    Parameters
    ----------
    max_items : int
        Maximum test length [items].
    min_items : int
        Minimum test length before the SE rule may stop the test [items].
    se_target : float
        Stop once the standard error of the estimate is at or below this [SD of theta].
    randomesque : int
        Exposure control: the next item is drawn at random among this many most informative
        eligible items (1 = pure maximum information).
    estimator : {"eap", "map"}
        Trait estimate after each answer: EAP with posterior SD, or MAP with the inverse
        square root of the posterior information.
    content_targets : tuple of float, optional
        Target share of the test per competence area (summing to 1); None = no balancing.
    prior_mean, prior_sd : float
        Normal prior of theta [SD of theta].
    start_theta : float
        Trait value used to select the first item [SD of theta].
    max_tasks : int
        Most performance tasks (of a :class:`TaskPool`) one test may give [tasks]; 0 = items
        only. A task counts as one unit of ``max_items`` and ``min_items``.
    tasks_from : int
        A task is eligible only once this many items are answered (the estimate that picks a
        task, which takes minutes, rests on one answer per DigComp area) [items].
    """

    max_items: int = 30
    min_items: int = 5
    se_target: float = 0.3
    randomesque: int = 5
    estimator: str = "eap"
    content_targets: tuple[float, ...] | None = None
    prior_mean: float = 0.0
    prior_sd: float = 1.0
    start_theta: float = 0.0
    max_tasks: int = 0
    tasks_from: int = 5

    def __post_init__(self) -> None:
        if self.estimator not in ("eap", "map"):
            raise InputError("CAT configuration", "field 'estimator'",
                             f"{self.estimator!r} is not 'eap' or 'map'")
        if not 1 <= self.min_items <= self.max_items:
            raise InputError("CAT configuration", "fields 'min_items', 'max_items'",
                             "need 1 <= min_items <= max_items")
        if self.randomesque < 1:
            raise InputError("CAT configuration", "field 'randomesque'", "must be >= 1")
        if self.max_tasks < 0 or self.tasks_from < 0:
            raise InputError("CAT configuration", "fields 'max_tasks', 'tasks_from'",
                             "must be >= 0")
        if self.content_targets is not None:
            t = tuple(float(x) for x in self.content_targets)
            if any(x < 0 for x in t) or abs(sum(t) - 1.0) > 1e-6:
                raise InputError("CAT configuration", "field 'content_targets'",
                                 f"shares must be >= 0 and sum to 1, got {t}")
            object.__setattr__(self, "content_targets", t)


@dataclass(frozen=True)
class CATState:
    """Where one examinee's adaptive test stands; immutable and JSON-serialisable.

    Attributes
    ----------
    config : CATConfig
        The rules of the test.
    seed : int
        Random seed of the randomesque draws (the draw for the n-th item uses ``(seed, n)``, so
        a test resumed from JSON continues exactly as it would have).
    bank : str
        Fingerprint of the item bank the test runs on.
    items : tuple of int
        Items answered so far, in order.
    responses : tuple of int
        Category codes of those answers.
    pending : int or None
        Item selected and shown but not yet answered.
    theta, se : float
        Current estimate and its standard error [SD of theta].
    finished : bool
        Whether a stopping rule has been met.
    stop_reason : str or None
        ``"se"``, ``"max_items"`` or ``"bank_exhausted"``.
    shown : tuple of str
        How each answered item was presented, in the order of ``items`` (for a shuffled
        multiple-choice item the option ids in the order shown, e.g. ``"c,a,d,b"``; ``""``
        when not recorded). Kept for review; scoring never reads it.
    tasks : tuple of str
        Performance tasks scored so far, in order.
    task_scores : tuple of int
        Their scores (0 .. the task's maximum).
    task_after : tuple of int
        For each task, how many items had been answered when it was given (the place of the
        task in the test).
    pending_task : str or None
        Task selected and shown but not yet scored (never at the same time as ``pending``).
    task_pool : str
        Fingerprint of the :class:`TaskPool` the tasks come from (``""`` before any task).
    """

    config: CATConfig
    seed: int
    bank: str
    items: tuple[int, ...] = ()
    responses: tuple[int, ...] = ()
    pending: int | None = None
    theta: float = 0.0
    se: float = 1.0
    finished: bool = False
    stop_reason: str | None = None
    shown: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    task_scores: tuple[int, ...] = ()
    task_after: tuple[int, ...] = ()
    pending_task: str | None = None
    task_pool: str = ""

    @property
    def n_units(self) -> int:
        """Items answered plus tasks scored."""
        return len(self.items) + len(self.tasks)

    def to_json(self) -> str:
        """Serialise to a JSON string."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CATState:
        """Inverse of :meth:`to_json`."""
        d = json.loads(text)
        cfg = d.pop("config")
        if cfg.get("content_targets") is not None:
            cfg["content_targets"] = tuple(cfg["content_targets"])
        seqs = {k: tuple(d.pop(k, ())) for k in ("items", "responses", "shown", "tasks",
                                                  "task_scores", "task_after")}
        return cls(config=CATConfig(**cfg), **seqs, **d)


# --------------------------------------------------------------------------------------------
# selection, estimation, stopping
# --------------------------------------------------------------------------------------------


def select_item(bank: ItemBank, theta: float, administered: np.ndarray | list[int] | tuple,
                *, randomesque: int = 1, content_targets: tuple[float, ...] | None = None,
                rng: np.random.Generator | None = None) -> int | None:
    """Next item by maximum Fisher information, with exposure control and content balancing:
    :func:`select_unit` without performance tasks (the parameters as there).

    Returns
    -------
    int or None
        Index of the chosen item; None when no item is eligible.

    Notes
    -----
    Content balancing (Kingsbury & Zara 1989): with ``n`` items given and ``c_a`` of them from
    area ``a``, the area with the largest deficit :math:`t_a (n + 1) - c_a` among the areas that
    still have items is chosen (ties to the lower area index); the item is then the most
    informative in that area, :math:`\\arg\\max_j I_j(\\hat\\theta)`, or one drawn among the
    ``k`` most informative (the randomesque method, Kingsbury & Zara 1989).

    References
    ----------
    Kingsbury, G. G. & Zara, A. R. (1989). Procedures for selecting items for computerized
    adaptive tests. *Applied Measurement in Education* 2, 359-375.
    """
    unit = select_unit(bank, theta, administered, randomesque=randomesque,
                       content_targets=content_targets, rng=rng)
    return None if unit is None else int(unit)


def select_unit(bank: ItemBank, theta: float, administered: np.ndarray | list[int] | tuple,
                *, pool: TaskPool | None = None, tasks_given: Sequence[str] = (),
                tasks_allowed: bool = False, randomesque: int = 1,
                content_targets: tuple[float, ...] | None = None,
                rng: np.random.Generator | None = None) -> int | str | None:
    """Next unit of the test, an item or a performance task, by maximum Fisher information.

    Parameters
    ----------
    bank : ItemBank
        The item bank.
    theta : float
        Current trait estimate [SD of theta].
    administered : sequence of int
        Items already used (not eligible).
    pool : TaskPool, optional
        Performance tasks that may be given.
    tasks_given : sequence of str
        Tasks already given (not eligible; they count in their area's share).
    tasks_allowed : bool
        Whether a task may be chosen now (the caller's cap and warm-up, see
        :class:`CATConfig`).
    randomesque : int
        Draw the item uniformly among this many most informative eligible items.
    content_targets : tuple of float, optional
        Target share per area; the unit comes from the area furthest below its target.
    rng : numpy.random.Generator, optional
        Random source of the randomesque draw (required when ``randomesque > 1``).

    Returns
    -------
    int, str or None
        Index of the chosen item, id of the chosen task, or None when nothing is eligible.

    Notes
    -----
    The areas due are those with the largest deficit, as in :func:`select_item`, counting
    items and tasks alike (a task is one unit of its DigComp area); an area whose items are
    used up stays eligible while it has tasks. A task of an area due is given when its GPCM
    information :math:`I_t(\\hat\\theta) = a_t^2 \\operatorname{Var}(X_t \\mid \\hat\\theta)`
    (Muraki 1993, Eq. 7) exceeds that of every eligible item of its area (2PL/3PL/GRM
    information at :math:`\\hat\\theta`, Lord 1980); among such tasks one is drawn from the
    ``randomesque`` most informative (ranked by
    :func:`ssckit.skills.tasks.most_informative_task`), so that the tasks' exposure spreads as
    the items' does. Otherwise the item is chosen as by :func:`select_item` (the first area
    due).

    References
    ----------
    Kingsbury, G. G. & Zara, A. R. (1989). Procedures for selecting items for computerized
    adaptive tests. *Applied Measurement in Education* 2, 359-375.
    Muraki, E. (1993). Information functions of the generalized partial credit model.
    *Applied Psychological Measurement* 17(4), 351-363.
    """
    eligible = np.ones(bank.n_items, dtype=bool)
    used = np.asarray(administered, dtype=int)
    eligible[used] = False
    given = set(tasks_given)
    item_info = bank.information(theta)
    open_tasks = [] if pool is None or not tasks_allowed else \
        [t for t in pool.tasks if t.id not in given]
    if not eligible.any() and not open_tasks:
        return None
    area: int | None = None
    due: list[int | None] = [None]  # the areas the next unit may come from (None: any)
    if content_targets is not None:
        targets = np.asarray(content_targets, dtype=float)
        task_areas = [pool.areas[t] for t in tasks_given] if pool is not None else []
        counts = (np.bincount(bank.areas[used], minlength=targets.size)[: targets.size]
                  + np.bincount(np.asarray(task_areas, dtype=int),
                                minlength=targets.size)[: targets.size])
        has = np.bincount(bank.areas[eligible], minlength=targets.size)[: targets.size] > 0
        for t in open_tasks:
            if pool is not None and pool.areas[t.id] < targets.size:
                has[pool.areas[t.id]] = True
        deficit = np.where(has, targets * (used.size + len(given) + 1) - counts, -np.inf)
        if np.isfinite(deficit).any():
            area = int(np.argmax(deficit))
            due = [int(a) for a in np.flatnonzero(deficit >= deficit[area] - 1e-9)]
    if open_tasks and pool is not None:
        task = _draw_task(bank, pool, theta, item_info, eligible, given, open_tasks, due,
                          randomesque, rng)
        if task is not None:
            return task
    if area is not None:
        eligible &= bank.areas == area
    info = np.where(eligible, item_info, -np.inf)
    if not eligible.any():
        return None
    k = min(int(randomesque), int(eligible.sum()))
    if k <= 1:
        return int(np.argmax(info))
    top = np.argpartition(-info, k - 1)[:k]
    if rng is None:
        raise InputError("select_item", "argument 'rng'", "needed when randomesque > 1")
    return int(np.sort(top)[rng.integers(k)])


def _draw_task(bank: ItemBank, pool: TaskPool, theta: float, item_info: np.ndarray,
               eligible: np.ndarray, given: set[str], open_tasks: list[Task],
               due: list[int | None], randomesque: int,
               rng: np.random.Generator | None) -> str | None:
    """A task of an area in ``due`` more informative at ``theta`` than every eligible item of
    its area (``item_info``: every item's information at ``theta``), drawn among the
    ``randomesque`` most informative such tasks; None when no task beats the items."""
    def info(t: Task) -> float:
        return pool.information(theta, t.id)

    winners: list[Task] = []
    for a in due:
        items = item_info[eligible if a is None else eligible & (bank.areas == a)]
        best_item = float(items.max()) if items.size else -np.inf
        winners += [t for t in open_tasks if (a is None or pool.areas[t.id] == a)
                    and info(t) > best_item]
    ranked: list[Task] = []
    for _ in range(min(int(randomesque), len(winners))):
        best = most_informative_task(theta, given | {t.id for t in ranked}, None,
                                     tuple(winners), info)
        if best is None:
            break
        ranked.append(best)
    if len(ranked) <= 1:
        return ranked[0].id if ranked else None
    if rng is None:
        raise InputError("select_unit", "argument 'rng'", "needed when randomesque > 1")
    return ranked[int(rng.integers(len(ranked)))].id


def estimate_theta(bank: ItemBank, items: list[int] | tuple, responses: list[int] | tuple, *,
                   estimator: str = "eap", prior_mean: float = 0.0,
                   prior_sd: float = 1.0,
                   task_loglik: np.ndarray | None = None) -> tuple[float, float]:
    """Trait estimate and standard error from the answers so far.

    Parameters
    ----------
    bank : ItemBank
        The item bank.
    items : sequence of int
        Items answered.
    responses : sequence of int
        Their category codes.
    estimator : {"eap", "map"}
        EAP on the bank's grid (posterior mean and SD, rectangular rule), or MAP by
        Newton-Raphson (SE from the posterior information).
    prior_mean, prior_sd : float
        Normal prior of theta [SD of theta].
    task_loglik : ndarray, shape (G,), optional
        Log-likelihood of the performance tasks' scores on the bank's grid
        (:meth:`TaskPool.log_likelihood`), added to the posterior.

    Returns
    -------
    theta, se : float
        Estimate and standard error [SD of theta].

    Notes
    -----
    EAP: :math:`\\log \\pi(\\theta_g) = -\\tfrac12((\\theta_g-\\mu)/\\sigma)^2 + \\sum_{i}
    \\log P_{j_i}(y_i \\mid \\theta_g)`; the mean and SD of the normalised posterior over the
    grid (Bock & Mislevy 1982). MAP: see :func:`ssckit.skills.irt.map_theta`; with tasks, the
    grid's mode of the same posterior and the SE from its curvature there (second difference
    of the log-posterior), the tasks' GPCM log-likelihood added (Muraki 1992, Eq. 1).
    """
    it = np.asarray(items, dtype=int)
    resp = np.asarray(responses, dtype=int)
    if task_loglik is not None:
        grid = bank.grid
        logpost = -0.5 * ((grid - prior_mean) / prior_sd) ** 2 + task_loglik
        if it.size:
            logpost = logpost + bank.log_probs[it, resp].sum(axis=0)
        if estimator == "map":
            g = int(np.clip(np.argmax(logpost), 1, grid.size - 2))
            h = grid[1] - grid[0]
            curv = -(logpost[g + 1] - 2 * logpost[g] + logpost[g - 1]) / h ** 2
            return float(grid[g]), float(1.0 / np.sqrt(max(curv, 1e-12)))
        post = np.exp(logpost - logpost.max())
        post /= post.sum()
        mean = float(post @ grid)
        return mean, float(np.sqrt(max(post @ (grid - mean) ** 2, 0.0)))
    if estimator == "map":
        th, se = map_theta(resp[None, :], bank.params.take(it), prior_mean=prior_mean,
                           prior_sd=prior_sd)
        return float(th[0]), float(se[0])
    grid = bank.grid
    logpost = -0.5 * ((grid - prior_mean) / prior_sd) ** 2
    if it.size:
        logpost = logpost + bank.log_probs[it, resp].sum(axis=0)
    post = np.exp(logpost - logpost.max())
    post /= post.sum()
    mean = float(post @ grid)
    return mean, float(np.sqrt(max(post @ (grid - mean) ** 2, 0.0)))


def _tasks_allowed(cfg: CATConfig, state: CATState, pool: TaskPool | None) -> bool:
    return pool is not None and len(state.tasks) < cfg.max_tasks \
        and len(state.items) >= cfg.tasks_from


def _stop_reason(bank: ItemBank, cfg: CATConfig, state: CATState, se: float,
                 pool: TaskPool | None = None) -> str | None:
    """Length counts items and tasks as one unit each; the SE counts each task by the
    information its score adds to the posterior."""
    n = state.n_units
    if n >= cfg.max_items:
        return "max_items"
    if n >= cfg.min_items and se <= cfg.se_target:
        return "se"
    tasks_left = pool is not None and len(state.tasks) < cfg.max_tasks \
        and any(t.id not in state.tasks for t in pool.tasks)
    if len(state.items) >= bank.n_items and not tasks_left:
        return "bank_exhausted"
    return None


def start_test(bank: ItemBank, config: CATConfig | None = None, seed: int = 0) -> CATState:
    """A new test for one examinee (nothing answered yet).

    Parameters
    ----------
    bank : ItemBank
        The item bank.
    config : CATConfig, optional
        The rules (defaults of :class:`CATConfig`).
    seed : int
        Seed of the randomesque draws.

    Returns
    -------
    CATState
    """
    cfg = config or CATConfig()
    return CATState(config=cfg, seed=int(seed), bank=bank.fingerprint,
                    theta=float(cfg.start_theta), se=float(cfg.prior_sd))


def _check_bank(bank: ItemBank, state: CATState) -> None:
    if state.bank != bank.fingerprint:
        raise InputError("CAT state", "field 'bank'",
                         f"state is for bank {state.bank}, not {bank.fingerprint}")


def next_item(bank: ItemBank, state: CATState, tasks: TaskPool | None = None
              ) -> tuple[CATState, int | str | None]:
    """Choose the next unit (idempotent until it is answered).

    Parameters
    ----------
    bank : ItemBank
        The item bank the test was started on.
    state : CATState
        Current state.
    tasks : TaskPool, optional
        Performance tasks the test may interleave (up to ``config.max_tasks``, once
        ``config.tasks_from`` items are answered; see :func:`select_unit`).

    Returns
    -------
    state : CATState
        The state with the chosen item (``pending``) or task (``pending_task``) pending.
    unit : int, str or None
        The item to present, the id of the task to present, or None when the test is
        finished.
    """
    _check_bank(bank, state)
    if state.finished:
        return state, None
    if state.pending is not None:
        return state, state.pending
    if state.pending_task is not None:
        return state, state.pending_task
    cfg = state.config
    # the draw for the n-th unit uses (seed, n): a resumed test continues as it would have
    rng = np.random.default_rng([state.seed, state.n_units])
    theta = cfg.start_theta if not state.n_units else state.theta
    allowed = _tasks_allowed(cfg, state, tasks)
    unit = select_unit(bank, theta, state.items, pool=tasks, tasks_given=state.tasks,
                       tasks_allowed=allowed,
                       randomesque=cfg.randomesque, content_targets=cfg.content_targets,
                       rng=rng)
    if unit is None:
        return replace(state, finished=True, stop_reason="bank_exhausted"), None
    if isinstance(unit, str):
        assert tasks is not None
        return replace(state, pending_task=unit, task_pool=tasks.fingerprint), unit
    return replace(state, pending=unit), unit


def answer(bank: ItemBank, state: CATState, response: int, shown: str = "",
           tasks: TaskPool | None = None) -> CATState:
    """Record the answer to the pending item, update the estimate and apply the stop rules.

    Parameters
    ----------
    bank : ItemBank
        The item bank the test was started on.
    state : CATState
        Current state, with an item pending (see :func:`next_item`).
    response : int
        Category code of the answer (0/1 for dichotomous items).
    shown : str
        How the item was presented (e.g. the shuffled option order), recorded in
        ``state.shown`` beside the answer; it does not change the estimate.
    tasks : TaskPool, optional
        The pool of the test's performance tasks (needed once a task is scored: its
        likelihood stays in the estimate).

    Returns
    -------
    CATState
        The updated state; ``finished`` is set when a stopping rule is met: SE at or below
        ``se_target`` after at least ``min_items`` units (answers and task scores),
        ``max_items`` units, or no item nor allowed task left.
    """
    _check_bank(bank, state)
    if state.pending is None or state.finished:
        raise InputError("CAT state", "field 'pending'", "no item is waiting for an answer")
    k = int(bank.n_categories[state.pending])
    if not 0 <= int(response) < k:
        raise InputError("answer", f"item {state.pending}",
                         f"response {response} is outside 0..{k - 1}")
    items = state.items + (int(state.pending),)
    responses = state.responses + (int(response),)
    # older states recorded no presentation: pad so that shown[i] belongs to items[i]
    shown_all = state.shown + ("",) * (len(state.items) - len(state.shown)) + (str(shown),)
    new = replace(state, items=items, responses=responses, pending=None, shown=shown_all)
    return _update(bank, new, tasks)


def _update(bank: ItemBank, state: CATState, pool: TaskPool | None) -> CATState:
    """The estimate from everything answered and scored, and the stopping rules."""
    cfg = state.config
    ll = None
    if state.tasks:
        if pool is None or pool.fingerprint != state.task_pool:
            raise InputError("CAT state", "field 'task_pool'",
                             f"state has tasks of pool {state.task_pool}; pass that pool")
        ll = pool.log_likelihood(state.tasks, state.task_scores)
    theta, se = estimate_theta(bank, state.items, state.responses, estimator=cfg.estimator,
                               prior_mean=cfg.prior_mean, prior_sd=cfg.prior_sd,
                               task_loglik=ll)
    reason = _stop_reason(bank, cfg, state, se, pool)
    return replace(state, theta=theta, se=se, finished=reason is not None, stop_reason=reason)


def answer_task(bank: ItemBank, state: CATState, score: int, tasks: TaskPool) -> CATState:
    """Record the score of the pending performance task, update the estimate and apply the
    stop rules.

    Parameters
    ----------
    bank : ItemBank
        The item bank the test was started on.
    state : CATState
        Current state, with a task pending (see :func:`next_item`).
    score : int
        The task's score, 0 .. its maximum [points].
    tasks : TaskPool
        The pool the task was chosen from.

    Returns
    -------
    CATState
        The updated state: the task's GPCM log-likelihood joins the posterior (Muraki 1992,
        Eq. 1), so the SE rule counts the task by the information its score adds.
    """
    _check_bank(bank, state)
    if state.pending_task is None or state.finished:
        raise InputError("CAT state", "field 'pending_task'", "no task is waiting for a score")
    task = tasks.task(state.pending_task)
    if not 0 <= int(score) <= task.max_score:
        raise InputError("task score", f"task {task.id}",
                         f"score {score} is outside 0..{task.max_score}")
    new = replace(state, tasks=state.tasks + (task.id,),
                  task_scores=state.task_scores + (int(score),),
                  task_after=state.task_after + (len(state.items),), pending_task=None,
                  task_pool=tasks.fingerprint)
    return _update(bank, new, tasks)


# --------------------------------------------------------------------------------------------
# simulation study
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate_cat`.

    Attributes
    ----------
    theta_true, theta_hat, se : ndarray, shape (N,)
        True traits, final estimates and their standard errors [SD of theta].
    lengths : ndarray of int, shape (N,)
        Test length of each simulee [items].
    exposure : ndarray, shape (J,)
        Share of simulees who saw each item.
    area_counts : ndarray of int, shape (N, A)
        Items per competence area for each simulee.
    bias, rmse : float
        Mean of ``theta_hat - theta_true`` and its root mean square [SD of theta].
    mean_length : float
        Mean test length [items].
    max_exposure : float
        Largest item exposure rate.
    share_unused : float
        Share of the bank never administered.
    stop_reasons : dict
        Number of tests ended by each rule.
    """

    theta_true: np.ndarray
    theta_hat: np.ndarray
    se: np.ndarray
    lengths: np.ndarray
    exposure: np.ndarray
    area_counts: np.ndarray
    bias: float
    rmse: float
    mean_length: float
    max_exposure: float
    share_unused: float
    stop_reasons: dict


def simulate_cat(bank: ItemBank, config: CATConfig | None = None, n_examinees: int = 1000,
                 seed: int = 0, theta_true: np.ndarray | None = None) -> SimulationResult:
    """Monte-Carlo study of a CAT: simulees with known traits answer by the model.

    Parameters
    ----------
    bank : ItemBank
        The item bank (its parameters also generate the answers).
    config : CATConfig, optional
        Test rules.
    n_examinees : int
        Number of simulees (ignored when ``theta_true`` is given).
    seed : int
        Seed for the true traits, the answers and the randomesque draws.
    theta_true : array_like, optional
        True traits [SD of theta]; default ``N(0, 1)`` draws.

    Returns
    -------
    SimulationResult
        Bias, RMSE, test lengths and item exposure.

    Notes
    -----
    Bias :math:`= \\overline{\\hat\\theta - \\theta}`, RMSE
    :math:`= \\sqrt{\\overline{(\\hat\\theta - \\theta)^2}}`; the exposure rate of an item is the
    share of simulees it was given to (Chang & Ying 1999 use its maximum and the share of
    unused items as the exposure summary).

    References
    ----------
    Chang, H.-H. & Ying, Z. (1999). a-stratified multistage computerized adaptive testing.
    *Applied Psychological Measurement* 23, 211-222.
    """
    cfg = config or CATConfig()
    rng = np.random.default_rng(seed)
    th = rng.standard_normal(n_examinees) if theta_true is None \
        else np.asarray(theta_true, dtype=float)
    n = th.size
    seeds = rng.integers(0, 2**31 - 1, size=n)
    est, ses = np.empty(n), np.empty(n)
    lengths = np.empty(n, dtype=int)
    used = np.zeros(bank.n_items)
    n_areas = len(bank.area_names)
    area_counts = np.zeros((n, n_areas), dtype=int)
    reasons: dict[str, int] = {}
    for i in range(n):
        # all answers of simulee i are drawn up front; only the administered ones are used
        resp_all = simulate_responses(th[i:i + 1], bank.params,
                                      np.random.default_rng([int(seeds[i]), 1]))[0]
        state = start_test(bank, cfg, int(seeds[i]))
        while not state.finished:
            state, item = next_item(bank, state)
            if item is None:
                break
            state = answer(bank, state, int(resp_all[item]))
        est[i], ses[i] = state.theta, state.se
        lengths[i] = len(state.items)
        used[list(state.items)] += 1
        area_counts[i] = np.bincount(bank.areas[list(state.items)], minlength=n_areas)
        reasons[state.stop_reason or "none"] = reasons.get(state.stop_reason or "none", 0) + 1
    err = est - th
    exposure = used / n
    return SimulationResult(
        theta_true=th, theta_hat=est, se=ses, lengths=lengths, exposure=exposure,
        area_counts=area_counts, bias=float(err.mean()), rmse=float(np.sqrt(np.mean(err ** 2))),
        mean_length=float(lengths.mean()), max_exposure=float(exposure.max()),
        share_unused=float(np.mean(used == 0)), stop_reasons=reasons)
