"""Greedy site planning with lazy evaluation: same choice as a plain greedy, fewer evaluations."""

from __future__ import annotations

import numpy as np
import pytest

from ssckit.radio.plan import greedy_plan


def _plain_greedy(covered, cand, pop, target):
    covered = covered.copy()
    chosen = []
    while pop[covered].sum() / pop.sum() < target:
        gains = [pop[c & ~covered].sum() if i not in chosen else -1 for i, c in enumerate(cand)]
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        covered |= cand[best]
    return chosen


def test_hand_made_case():
    pop = np.array([10.0, 10, 10, 10, 60])
    covered = np.array([True, False, False, False, False])
    cand = np.array([
        [0, 1, 1, 0, 0],   # adds 20
        [0, 0, 0, 0, 1],   # adds 60
        [0, 1, 1, 1, 0],   # adds 30
    ], dtype=bool)
    plan = greedy_plan(covered, cand, pop, target=0.95)
    assert [s.candidate for s in plan.steps] == [1, 2]
    assert plan.initial_coverage == pytest.approx(0.1)
    assert [s.coverage for s in plan.steps] == pytest.approx([0.7, 1.0])
    assert plan.reached


def test_matches_plain_greedy_with_fewer_evaluations():
    rng = np.random.default_rng(1)
    pop = rng.gamma(1.0, 10.0, 4000)
    cand = rng.random((60, 4000)) < 0.05
    covered = rng.random(4000) < 0.3
    plan = greedy_plan(covered, cand, pop, target=0.8)
    assert [s.candidate for s in plan.steps] == _plain_greedy(covered, cand, pop, 0.8)
    assert plan.evaluations < 60 * len(plan.steps)


def test_unreachable_target_and_bad_input():
    pop = np.ones(4)
    cand = np.array([[1, 0, 0, 0]], dtype=bool)
    plan = greedy_plan(np.zeros(4, bool), cand, pop, target=0.9)
    assert not plan.reached and len(plan.steps) == 1
    with pytest.raises(ValueError, match="allowed range"):
        greedy_plan(np.zeros(4, bool), cand, pop, target=1.5)
