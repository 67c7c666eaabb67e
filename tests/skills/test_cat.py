"""Tests for ssckit.skills.cat: item selection, stopping, state, simulation."""

from __future__ import annotations

import importlib.util
import time

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ssckit.core.errors import InputError
from ssckit.skills import cat, irt
from ssckit.skills.gpcm import gpcm_information

TARGETS = (0.3, 0.2, 0.2, 0.2, 0.1)


def _bank(n_items: int = 300, seed: int = 3) -> cat.ItemBank:
    rng = np.random.default_rng(seed)
    params = irt.ItemParams("2pl", rng.lognormal(0.2, 0.3, n_items), rng.normal(0, 1.2, n_items))
    return cat.ItemBank(params, areas=rng.integers(0, 5, n_items))


@pytest.fixture(scope="module")
def bank() -> cat.ItemBank:
    return _bank()


def test_stops_at_se_or_max_length(bank: cat.ItemBank) -> None:
    cfg = cat.CATConfig(max_items=12, min_items=4, se_target=0.3)
    res = cat.simulate_cat(bank, cfg, 150, seed=2)
    assert np.all(res.lengths >= 4) and np.all(res.lengths <= 12)
    by_se = res.lengths < 12
    assert np.all(res.se[by_se] <= 0.3)
    assert sum(res.stop_reasons.values()) == 150
    assert res.stop_reasons.get("se", 0) + res.stop_reasons.get("max_items", 0) == 150
    assert abs(res.bias) < 0.1 and res.rmse < 0.45
    assert res.rmse == pytest.approx(np.sqrt(np.mean((res.theta_hat - res.theta_true) ** 2)))


def test_max_length_reached_with_strict_se(bank: cat.ItemBank) -> None:
    res = cat.simulate_cat(bank, cat.CATConfig(max_items=6, se_target=0.01), 20, seed=1)
    assert np.all(res.lengths == 6)
    assert res.stop_reasons == {"max_items": 20}


def test_content_balance_within_one_item(bank: cat.ItemBank) -> None:
    cfg = cat.CATConfig(max_items=25, se_target=0.0, content_targets=TARGETS)
    t = np.array(TARGETS)
    for seed in range(10):
        state = cat.start_test(bank, cfg, seed)
        rng = np.random.default_rng(seed)
        while not state.finished:
            state, item = cat.next_item(bank, state)
            state = cat.answer(bank, state, int(rng.random() < 0.5))
            counts = np.bincount(bank.areas[list(state.items)], minlength=5)
            assert np.all(np.abs(counts - t * len(state.items)) <= 1.0 + 1e-9)
    res = cat.simulate_cat(bank, cat.CATConfig(content_targets=TARGETS), 100, seed=4)
    assert np.all(np.abs(res.area_counts - res.lengths[:, None] * t) <= 1.0 + 1e-9)


def test_randomesque_reduces_max_exposure(bank: cat.ItemBank) -> None:
    pure = cat.simulate_cat(bank, cat.CATConfig(randomesque=1), 200, seed=6)
    rand = cat.simulate_cat(bank, cat.CATConfig(randomesque=5), 200, seed=6)
    assert pure.max_exposure == 1.0  # the first item is always the same
    assert rand.max_exposure < 0.8 * pure.max_exposure
    assert rand.share_unused <= pure.share_unused
    assert rand.rmse < pure.rmse + 0.1


def test_simulation_is_deterministic_for_a_seed(bank: cat.ItemBank) -> None:
    cfg = cat.CATConfig(content_targets=TARGETS)
    r1 = cat.simulate_cat(bank, cfg, 40, seed=9)
    r2 = cat.simulate_cat(bank, cfg, 40, seed=9)
    r3 = cat.simulate_cat(bank, cfg, 40, seed=10)
    assert_allclose(r1.theta_hat, r2.theta_hat, rtol=0, atol=0)
    assert_allclose(r1.exposure, r2.exposure)
    assert not np.allclose(r1.theta_hat, r3.theta_hat)


def test_state_round_trips_through_json(bank: cat.ItemBank) -> None:
    cfg = cat.CATConfig(content_targets=TARGETS, max_items=15, se_target=0.0)
    rng = np.random.default_rng(0)
    answers = (rng.random(50) < 0.6).astype(int)
    straight = cat.start_test(bank, cfg, seed=77)
    resumed = straight
    for i in range(15):
        straight, _ = cat.next_item(bank, straight)
        straight = cat.answer(bank, straight, int(answers[i]))
        text = resumed.to_json()
        resumed = cat.CATState.from_json(text)
        assert resumed.to_json() == text
        resumed, item = cat.next_item(bank, resumed)
        again = cat.CATState.from_json(resumed.to_json())
        assert cat.next_item(bank, again)[1] == item  # a pending item survives a reload
        resumed = cat.answer(bank, again, int(answers[i]))
    assert resumed == straight
    assert resumed.finished and resumed.stop_reason == "max_items"
    assert cat.next_item(bank, resumed) == (resumed, None)


def test_answer_validation(bank: cat.ItemBank) -> None:
    state = cat.start_test(bank, cat.CATConfig(), seed=1)
    with pytest.raises(InputError, match="no item"):
        cat.answer(bank, state, 1)
    state, _ = cat.next_item(bank, state)
    with pytest.raises(InputError, match="outside"):
        cat.answer(bank, state, 2)
    with pytest.raises(InputError, match="bank"):
        cat.next_item(_bank(50, seed=1), state)
    with pytest.raises(InputError):
        cat.CATConfig(content_targets=(0.5, 0.2))


def test_eap_matches_irt_scoring(bank: cat.ItemBank) -> None:
    items, resp = [3, 10, 50, 7], [1, 0, 1, 1]
    theta, se = cat.estimate_theta(bank, items, resp)
    row = np.full(bank.n_items, np.nan)
    row[items] = resp
    e, s = irt.eap(row[None], bank.params, n_quad=bank.grid.size)
    assert theta == pytest.approx(e[0], abs=1e-10)
    assert se == pytest.approx(s[0], abs=1e-10)
    tm, sm = cat.estimate_theta(bank, items, resp, estimator="map")
    m, ms = irt.map_theta(row[None], bank.params)
    assert tm == pytest.approx(m[0], abs=1e-6) and sm == pytest.approx(ms[0], abs=1e-6)


def test_map_estimator_cat(bank: cat.ItemBank) -> None:
    res = cat.simulate_cat(bank, cat.CATConfig(estimator="map"), 60, seed=3)
    assert abs(res.bias) < 0.15 and res.rmse < 0.5


def test_grm_bank_runs() -> None:
    rng = np.random.default_rng(1)
    params = irt.ItemParams("grm", rng.uniform(1, 2, 100),
                            rng.normal(0, 1, (100, 1)) + np.array([1.0, 0.0, -1.0]))
    res = cat.simulate_cat(cat.ItemBank(params), cat.CATConfig(), 30, seed=0)
    assert res.mean_length < 30 and res.rmse < 0.5


def test_selection_under_2ms_with_1000_items() -> None:
    big = _bank(1000, seed=8)
    rng = np.random.default_rng(0)
    used = list(range(0, 60, 3))
    cat.select_item(big, 0.2, used, randomesque=5, content_targets=TARGETS, rng=rng)
    times = []
    for th in np.linspace(-2, 2, 50):
        t0 = time.perf_counter()
        cat.select_item(big, th, used, randomesque=5, content_targets=TARGETS, rng=rng)
        times.append(time.perf_counter() - t0)
    assert np.median(times) < 2e-3


def test_pure_max_information_is_the_argmax(bank: cat.ItemBank) -> None:
    used = [0, 5, 9]
    for th in (-1.5, 0.0, 0.7):
        info = bank.information(th)
        info[used] = -1
        assert cat.select_item(bank, th, used) == int(np.argmax(info))


def test_consistent_with_catsim_max_information(bank: cat.ItemBank) -> None:
    if importlib.util.find_spec("catsim") is None:
        pytest.skip("catsim is not installed (pip install catsim); comparison skipped")
    from catsim.item_bank import ItemBank as CatsimBank
    from catsim.selection import MaxInfoSelector

    _, b = irt.slope_intercept_to_ab(bank.params.a, bank.params.d)
    cs_bank = CatsimBank(np.column_stack([bank.params.a, b, np.zeros_like(b)]))
    selector = MaxInfoSelector()
    rng = np.random.default_rng(2)
    for th in np.linspace(-2.5, 2.5, 11):
        used = rng.choice(bank.n_items, 10, replace=False).tolist()
        ours = cat.select_item(bank, float(th), used)
        theirs = selector.select(item_bank=cs_bank, administered_items=used, est_theta=float(th))
        assert ours == int(theirs)


# -- performance tasks interleaved by information ---------------------------------------------
def _real_bank_and_pool() -> tuple[cat.ItemBank, cat.TaskPool]:
    from ssckit.skills import results
    from ssckit.skills.tasks import performance_items

    tb = results.question_bank()
    return tb.cat, cat.TaskPool(performance_items(), tb.cat)


def _item_information_2pl(bank: cat.ItemBank, theta: float) -> np.ndarray:
    """a^2 P (1 - P) of the bank's 2PL items, written out (Lord 1980, Eq. 5-7)."""
    a, d = bank.params.a, np.ravel(bank.params.d)
    p = 1 / (1 + np.exp(-(a * theta + d)))
    return a * a * p * (1 - p)


def _run_with_tasks(bank: cat.ItemBank, pool: cat.TaskPool, cfg: cat.CATConfig, theta: float,
                    seed: int) -> tuple[cat.CATState, list[tuple[int, str, float, float]]]:
    """A test answered by a person at ``theta`` (answers drawn from the models); for every
    task given: (items answered, task, its information and the best remaining item's
    information, both at the estimate that chose it)."""
    from ssckit.skills.gpcm import gpcm_information, gpcm_probs

    rng = np.random.default_rng(seed)
    state = cat.start_test(bank, cfg, seed)
    picks = []
    a, d = bank.params.a, np.ravel(bank.params.d)
    while True:
        at = state.theta
        state, unit = cat.next_item(bank, state, pool)
        if unit is None:
            return state, picks
        if isinstance(unit, str):
            t = pool.task(unit)
            left = np.ones(bank.n_items, bool)
            left[list(state.items)] = False
            picks.append((len(state.items), unit,
                          float(gpcm_information(at, t.gpcm.a, t.gpcm.b)[0]),
                          float(_item_information_2pl(bank, at)[left].max())))
            p = gpcm_probs(theta, t.gpcm.a, t.gpcm.b)[0]
            state = cat.answer_task(bank, state, int(rng.choice(p.size, p=p)), pool)
        else:
            p = 1 / (1 + np.exp(-(a[unit] * theta + d[unit])))
            state = cat.answer(bank, state, int(rng.random() < p), tasks=pool)


def test_a_more_informative_task_comes_between_the_items() -> None:
    """A person at theta 0.5, where the tasks' GPCM information (Muraki 1993, Eq. 7: up to
    ~1 for the e-government form) beats every 2PL item of the bank (at most ~0.25), gets a
    task as soon as one is allowed, and questions still follow it."""
    bank, pool = _real_bank_and_pool()
    cfg = cat.CATConfig(max_items=15, min_items=5, se_target=0.0, randomesque=3,
                        content_targets=(0.2,) * 5, max_tasks=2, tasks_from=5)
    state, picks = _run_with_tasks(bank, pool, cfg, 0.5, seed=3)
    assert len(picks) == 2 and state.tasks == tuple(p[1] for p in picks)
    for n_before, _, task_info, item_info in picks:
        assert task_info > item_info  # more informative than any remaining item
        assert n_before < len(state.items)  # ... and given before the items ran out
    assert state.task_after[0] == cfg.tasks_from  # the first moment a task is allowed
    assert state.n_units == 15 and len(state.items) == 13 and state.stop_reason == "max_items"
    # content balance counts the tasks: 3 units per DigComp area
    areas = np.bincount(bank.areas[list(state.items)], minlength=5)
    areas += np.bincount([pool.areas[t] for t in state.tasks], minlength=5)
    assert areas.tolist() == [3, 3, 3, 3, 3]


def test_a_task_less_informative_than_the_items_is_not_given() -> None:
    """The same tasks with a slope of 0.2 carry less information than the items (a^2 Var(X)
    <= 0.04 * m^2 / 4): the test gives questions only."""
    from dataclasses import replace

    from ssckit.skills.gpcm import GPCMItem

    bank, pool = _real_bank_and_pool()
    flat = cat.TaskPool([replace(t, gpcm=GPCMItem(0.2, t.gpcm.b)) for t in pool.tasks], bank)
    cfg = cat.CATConfig(max_items=15, se_target=0.0, content_targets=(0.2,) * 5, max_tasks=3)
    state, picks = _run_with_tasks(bank, flat, cfg, 0.5, seed=3)
    assert picks == [] and len(state.items) == 15


@pytest.mark.parametrize("cap", [0, 1, 3])
def test_the_cap_on_tasks_is_honoured(cap: int) -> None:
    """However informative the tasks, no test gives more than ``max_tasks`` of them; the
    length rule counts a task as one unit."""
    bank, pool = _real_bank_and_pool()
    cfg = cat.CATConfig(max_items=15, se_target=0.0, randomesque=3,
                        content_targets=(0.2,) * 5, max_tasks=cap)
    counts = []
    for k, theta in enumerate(np.linspace(-2.5, 2.5, 21)):
        state, picks = _run_with_tasks(bank, pool, cfg, float(theta), seed=k)
        counts.append(len(state.tasks))
        assert len(state.tasks) == len(picks) <= cap and state.n_units == 15
        assert len(set(state.tasks)) == len(state.tasks)  # never the same task twice
        # the content balance counts the tasks given, also once the cap is reached
        areas = np.bincount(bank.areas[list(state.items)], minlength=5)
        areas += np.bincount([pool.areas[t] for t in state.tasks], minlength=5)
        assert areas.tolist() == [3, 3, 3, 3, 3]
    assert max(counts) == cap  # the cap binds: tasks are more informative than items


def test_a_task_counts_in_the_se_rule_by_its_information() -> None:
    """A task with one step is a 2PL item (slope a, intercept -a b): its score moves the
    estimate exactly as that item's answer (irt.eap, Bock & Mislevy 1982), so the SE rule
    counts it by its information, not as one answer."""
    from dataclasses import replace

    from ssckit.skills.gpcm import GPCMItem
    from ssckit.skills.tasks import performance_items

    bank = _bank(60, seed=5)
    one_step = replace(performance_items()[0], gpcm=GPCMItem(1.4, (0.3,)), rules=())
    pool = cat.TaskPool([one_step], bank)
    items, resp = [3, 10, 50, 7], [1, 0, 1, 1]
    theta, se = cat.estimate_theta(bank, items, resp,
                                   task_loglik=pool.log_likelihood([one_step.id], [1]))
    params = irt.ItemParams("2pl", np.append(bank.params.a, 1.4),
                            np.append(np.ravel(bank.params.d), -1.4 * 0.3))
    row = np.full(bank.n_items + 1, np.nan)
    row[items + [bank.n_items]] = resp + [1]
    e, s = irt.eap(row[None], params, n_quad=bank.grid.size)
    assert theta == pytest.approx(e[0], abs=1e-10) and se == pytest.approx(s[0], abs=1e-10)
    # MAP with a task: the posterior mode and its curvature, as irt.map_theta gives them
    tm, sm = cat.estimate_theta(bank, items, resp, estimator="map",
                                task_loglik=pool.log_likelihood([one_step.id], [1]))
    m, ms = irt.map_theta(row[None], params)
    assert tm == pytest.approx(m[0], abs=bank.grid[1] - bank.grid[0])
    assert sm == pytest.approx(ms[0], rel=0.01)


def test_se_rule_stops_sooner_with_tasks() -> None:
    """With an SE target of 0.45, tests that may give informative tasks reach it in fewer
    units than tests of questions only (about 11 against 19)."""
    bank, pool = _real_bank_and_pool()
    base = dict(max_items=40, min_items=5, se_target=0.45, randomesque=1,
                content_targets=(0.2,) * 5)
    with_tasks = cat.CATConfig(**base, max_tasks=3)  # type: ignore[arg-type]
    without = cat.CATConfig(**base)  # type: ignore[arg-type]
    n_with, n_without = [], []
    for k, theta in enumerate(np.linspace(-1.5, 1.5, 9)):
        s1, _ = _run_with_tasks(bank, pool, with_tasks, float(theta), seed=k)
        s0, _ = _run_with_tasks(bank, pool, without, float(theta), seed=k)
        assert s1.stop_reason == s0.stop_reason == "se" and max(s1.se, s0.se) <= 0.45
        n_with.append(s1.n_units)
        n_without.append(s0.n_units)
    assert np.mean(n_with) < np.mean(n_without) - 4, (n_with, n_without)


def test_a_half_done_test_with_tasks_resumes_from_json() -> None:
    """Saved after every step (a task pending, a question pending), reloaded and continued, a
    test with tasks goes on exactly as one run without a break."""
    bank, pool = _real_bank_and_pool()
    cfg = cat.CATConfig(max_items=15, se_target=0.0, randomesque=3,
                        content_targets=(0.2,) * 5, max_tasks=3)
    rng = np.random.default_rng(4)
    answers = (rng.random(bank.n_items) < 0.6).astype(int)

    def respond(state: cat.CATState, unit: int | str, reload: bool) -> cat.CATState:
        if reload:
            state = cat.CATState.from_json(state.to_json())
            assert cat.next_item(bank, state, pool)[1] == unit  # a pending unit survives
        if isinstance(unit, str):
            return cat.answer_task(bank, state, 1, pool)
        return cat.answer(bank, state, int(answers[unit]), tasks=pool)

    straight = resumed = cat.start_test(bank, cfg, seed=11)
    seen_task_pending = False
    while not straight.finished:
        straight, unit = cat.next_item(bank, straight, pool)
        straight = respond(straight, unit, False)  # type: ignore[arg-type]
        resumed = cat.CATState.from_json(resumed.to_json())
        resumed, again = cat.next_item(bank, resumed, pool)
        assert again == unit
        seen_task_pending |= resumed.pending_task is not None
        resumed = respond(resumed, again, True)  # type: ignore[arg-type]
    assert resumed == straight and seen_task_pending and len(straight.tasks) == 3
    with pytest.raises(InputError, match="pool"):  # the tasks' likelihood needs their pool
        cat.answer(bank, cat.next_item(bank, cat.CATState.from_json(
            straight.to_json().replace('"finished": true', '"finished": false')))[0], 1)


def test_task_answer_validation() -> None:
    bank, pool = _real_bank_and_pool()
    state = cat.start_test(bank, cat.CATConfig(max_tasks=1, tasks_from=0,
                                               content_targets=(0.2,) * 5), seed=1)
    with pytest.raises(InputError, match="no task"):
        cat.answer_task(bank, state, 1, pool)
    state, unit = cat.next_item(bank, state, pool)
    assert isinstance(unit, str) and state.pending_task == unit
    with pytest.raises(InputError, match="outside"):
        cat.answer_task(bank, state, pool.task(unit).max_score + 1, pool)
    with pytest.raises(InputError, match="no item"):
        cat.answer(bank, state, 1)
    with pytest.raises(InputError):
        cat.CATConfig(max_tasks=-1)


def test_task_information_table_matches_the_gpcm() -> None:
    """The pool reads a task's information from a table on the bank's grid: within 1e-4 of
    a^2 Var(X | theta) (Muraki 1993, Eq. 7) between the nodes."""
    bank, pool = _real_bank_and_pool()
    for t in pool.tasks:
        for th in np.linspace(-3.01, 3.01, 37):
            exact = float(gpcm_information(th, t.gpcm.a, t.gpcm.b)[0])
            assert pool.information(th, t.id) == pytest.approx(exact, abs=1e-4)


def test_randomesque_spreads_the_tasks_exposure() -> None:
    """Drawing the task among the 3 most informative that beat the items (as the items'
    randomesque draw does) spreads the tasks over the people: no task goes to more than 80 %
    of them and most tasks are used, against one task for nearly everyone with the pure
    maximum (Kingsbury & Zara 1989)."""
    bank, pool = _real_bank_and_pool()
    thetas = np.random.default_rng(8).standard_normal(60)
    exposure = {}
    for k in (1, 3):
        cfg = cat.CATConfig(max_items=15, se_target=0.0, randomesque=k,
                            content_targets=(0.2,) * 5, max_tasks=3)
        given = [t for i, th in enumerate(thetas)
                 for t in _run_with_tasks(bank, pool, cfg, float(th), seed=i)[0].tasks]
        exposure[k] = {t: given.count(t) / thetas.size for t in set(given)}
    assert max(exposure[1].values()) > 0.9
    assert max(exposure[3].values()) < 0.8 and len(exposure[3]) >= 6, exposure[3]
