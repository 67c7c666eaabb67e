"""Site planning: choose few candidate sites that reach a population-coverage target.

Greedy maximum coverage with lazy evaluation (the "CELF" scheme of Leskovec et al., 2007):
the gain of a candidate can only shrink as sites are added (coverage is submodular), so a
stale gain is an upper bound and most candidates need no re-evaluation. Pure NumPy.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PlanStep:
    """One chosen site: its index, the population it adds and the coverage after adding it."""

    candidate: int
    added_population: float
    coverage: float


@dataclass(frozen=True)
class Plan:
    steps: list[PlanStep]
    initial_coverage: float
    target: float
    reached: bool
    evaluations: int     # gain evaluations done (a full greedy would do about n_candidates x steps)


def greedy_plan(covered_now: np.ndarray, candidate_cover: np.ndarray, population: np.ndarray,
                target: float, max_sites: int | None = None) -> Plan:
    """Choose candidates, one at a time, each adding the most newly covered population.

    Parameters
    ----------
    covered_now : bool array (n_pixels,)
        Pixels already covered by the existing network.
    candidate_cover : bool array (n_candidates, n_pixels)
        Pixels each candidate site would cover on its own.
    population : array (n_pixels,)
        Inhabitants per pixel.
    target : float
        Population-coverage share to reach, 0..1.
    max_sites : int, optional
        Stop after this many sites even if the target is not reached.

    Returns
    -------
    Plan
        The chosen candidates in order with the coverage after each.
    """
    if not 0 < target <= 1:
        raise ValueError(f"target {target} is outside the allowed range (0, 1]")
    pop = np.asarray(population, dtype=float)
    total = pop.sum()
    if total <= 0:
        raise ValueError("population is zero: nothing to cover")
    covered = np.asarray(covered_now, dtype=bool).copy()
    cand = np.asarray(candidate_cover, dtype=bool)
    n = cand.shape[0]
    limit = n if max_sites is None else min(max_sites, n)

    def gain(i: int) -> float:
        return float(pop[cand[i] & ~covered].sum())

    heap = [(-gain(i), i, 0) for i in range(n)]      # (−gain, index, round it was computed in)
    heapq.heapify(heap)
    evaluations = n
    initial = float(pop[covered].sum() / total)
    steps: list[PlanStep] = []
    coverage = initial
    while coverage < target and len(steps) < limit and heap:
        neg, i, rnd = heapq.heappop(heap)
        if rnd != len(steps):                        # stale: recompute and push back
            heapq.heappush(heap, (-gain(i), i, len(steps)))
            evaluations += 1
            continue
        if -neg <= 0:
            break                                    # no candidate adds anyone
        covered |= cand[i]
        coverage = float(pop[covered].sum() / total)
        steps.append(PlanStep(i, -neg, coverage))
    return Plan(steps, initial, target, coverage >= target, evaluations)
