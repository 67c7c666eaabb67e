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
    return Plan(steps, initial, target, bool(coverage >= target), evaluations)


@dataclass
class NetworkState:
    """What a SINR-aware coverage check needs of a network, per pixel: the best RSRP [dBm],
    the frequency it is on, and the total received power [mW] on each frequency."""

    best: np.ndarray
    best_freq: np.ndarray
    totals: dict[float, np.ndarray]

    @classmethod
    def of(cls, stack: np.ndarray, freq: np.ndarray) -> NetworkState:
        """From a per-sector RSRP stack (n_sectors, n_pixels) and each sector's frequency."""
        stack = np.asarray(stack, dtype=float)
        if stack.shape[0] == 0:
            n = stack.shape[1]
            return cls(np.full(n, -np.inf), np.zeros(n), {})
        k = np.argmax(stack, axis=0)
        best = np.take_along_axis(stack, k[None], axis=0)[0]
        totals = {float(f): (10 ** (stack[freq == f] / 10)).sum(axis=0) for f in np.unique(freq)}
        return cls(best, np.asarray(freq, dtype=float)[k], totals)

    def plus(self, other: NetworkState) -> NetworkState:
        take = other.best > self.best
        totals = dict(self.totals)
        for f, t in other.totals.items():
            totals[f] = totals[f] + t if f in totals else t
        return NetworkState(np.where(take, other.best, self.best),
                            np.where(take, other.best_freq, self.best_freq), totals)

    def covered(self, noise_mw: float, rsrp_min_dbm: float, sinr_min_db: float) -> np.ndarray:
        """RSRP at or above ``rsrp_min_dbm`` and SINR (full-load interference from every other
        sector on the serving frequency) at or above ``sinr_min_db``."""
        total = np.zeros_like(self.best)
        for f, t in self.totals.items():
            total = np.where(self.best_freq == f, t, total)
        signal = 10 ** (self.best / 10)
        interference = np.maximum(total - signal, 0.0)
        with np.errstate(divide="ignore"):
            sinr = 10 * np.log10(signal / (interference + noise_mw))
        return (self.best >= rsrp_min_dbm) & (sinr >= sinr_min_db)


def greedy_plan_sinr(existing: NetworkState, candidates: list[NetworkState],
                     population: np.ndarray, target: float, noise_mw: float,
                     rsrp_min_dbm: float, sinr_min_db: float,
                     max_sites: int | None = None) -> Plan:
    """Greedy site choice on SINR-aware population coverage, with lazy evaluation.

    Each step adds the candidate whose sectors raise the covered population most, counting
    the interference they add. The objective is not submodular (a new site can push its
    neighbours' SINR below the threshold), so the stale gains of the lazy queue are a
    heuristic bound, not a guarantee: a popped candidate is re-evaluated and taken only if it
    still beats the next stale gain. The search stops at the target, when ``max_sites`` are
    chosen, or when no candidate adds coverage.
    """
    if not 0 < target <= 1:
        raise ValueError(f"target {target} is outside the allowed range (0, 1]")
    pop = np.asarray(population, dtype=float)
    total = pop.sum()
    if total <= 0:
        raise ValueError("population is zero: nothing to cover")
    state = existing

    def covered_pop(s: NetworkState) -> float:
        return float(pop[s.covered(noise_mw, rsrp_min_dbm, sinr_min_db)].sum())

    current = covered_pop(state)
    initial = current / total
    heap = []
    for i, c in enumerate(candidates):
        heap.append((-(covered_pop(state.plus(c)) - current), i, 0))
    heapq.heapify(heap)
    evaluations = len(candidates)
    limit = len(candidates) if max_sites is None else min(max_sites, len(candidates))
    steps: list[PlanStep] = []
    while current / total < target and len(steps) < limit and heap:
        neg, i, rnd = heapq.heappop(heap)
        if rnd != len(steps):
            gain = covered_pop(state.plus(candidates[i])) - current
            evaluations += 1
            if heap and gain < -heap[0][0]:
                heapq.heappush(heap, (-gain, i, len(steps)))
                continue
        else:
            gain = -neg
        if gain <= 0:
            break
        state = state.plus(candidates[i])
        current += gain
        steps.append(PlanStep(i, float(gain), float(current / total)))
    return Plan(steps, initial, target, bool(current / total >= target), evaluations)
