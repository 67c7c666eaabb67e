"""Benchmark: domain means with Taylor-linearisation SEs, 1 000 000 rows x 50 domains.

Run with ``python benchmarks/skills_survey.py`` (``--rows N`` for another size). Synthetic
stratified cluster sample: 100 strata x 20 PSUs, 50 domains (5 regions x 2 sexes x 5 age
groups), a 0/1 skill indicator. Measures, in the same run:

1. ``ssckit.skills.survey``: ``Design`` construction plus ``estimate(stat="mean")`` for all 50
   domains (full-design domain variances);
2. the baseline: ``samplics`` ``TaylorEstimator("mean")`` with the same strata, PSUs and
   domains (``pip install samplics``). Without samplics, a straightforward NumPy baseline
   that loops over the domains (one full-design variance per domain), said so in the output.

Prints the times, the speed-up ratio, and the largest SE difference between the two. Never used
as a CI gate.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from ssckit.skills.survey import Design, estimate

N_STRATA = 100
PSU_PER_STRATUM = 20


def _sample(n: int, seed: int = 2024) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, N_STRATA, n)
    psu = stratum * PSU_PER_STRATUM + rng.integers(0, PSU_PER_STRATUM, n)
    region = rng.integers(0, 5, n)
    sex = rng.integers(0, 2, n)
    age = rng.integers(0, 5, n)
    domain = region * 10 + sex * 5 + age  # 50 codes
    p = 0.2 + 0.1 * region / 4 + 0.05 * sex + 0.1 * (4 - age) / 4 + rng.normal(0, 0.05, n)
    y = (rng.random(n) < np.clip(p, 0, 1)).astype(np.float64)
    weight = rng.uniform(50, 400, n)
    return {"stratum": stratum, "psu": psu, "domain": domain, "y": y, "weight": weight}


def _ours(d: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    t0 = time.perf_counter()
    design = Design(d["weight"], strata=d["stratum"], psu=d["psu"])
    table = estimate(design, d["y"], "mean", domains=[d["domain"]])
    return time.perf_counter() - t0, table.se


def _samplics(d: dict[str, np.ndarray]) -> tuple[float, np.ndarray] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from samplics.estimation import TaylorEstimator
            from samplics.utils.types import PopParam
    except ImportError:
        return None
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = TaylorEstimator(PopParam.mean)
        est.estimate(d["y"], d["weight"], stratum=d["stratum"], psu=d["psu"],
                     domain=d["domain"])
    elapsed = time.perf_counter() - t0
    return elapsed, np.array([est.stderror[k] for k in sorted(est.stderror)])


def _loop_baseline(d: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    """One domain at a time: linearise, PSU totals, stratum-centred sum of squares."""
    t0 = time.perf_counter()
    w, y, dom = d["weight"], d["y"], d["domain"]
    psu_ids, psu_code = np.unique(d["psu"], return_inverse=True)
    psu_stratum = psu_ids // PSU_PER_STRATUM
    n_h = np.bincount(psu_stratum)
    ses = []
    for g in np.unique(dom):
        m = dom == g
        theta = np.sum(w[m] * y[m]) / np.sum(w[m])
        z = np.where(m, w * (y - theta), 0.0) / np.sum(w[m])
        totals = np.bincount(psu_code, weights=z, minlength=psu_ids.size)
        mean_h = np.bincount(psu_stratum, weights=totals) / n_h
        dev = totals - mean_h[psu_stratum]
        var = np.sum(np.bincount(psu_stratum, weights=dev * dev) * n_h / (n_h - 1))
        ses.append(np.sqrt(var))
    return time.perf_counter() - t0, np.array(ses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    d = _sample(args.rows)
    print(f"{args.rows:,} rows, {N_STRATA} strata x {PSU_PER_STRATUM} PSUs, "
          f"{np.unique(d['domain']).size} domains, Taylor SEs of domain means")
    _ours({k: v[:1000] for k, v in d.items()})  # warm-up (imports, first-call costs)
    t_ours, se_ours = min((_ours(d) for _ in range(3)), key=lambda r: r[0])
    print(f"  ssckit.skills.survey (design + estimate), best of 3: {t_ours:8.3f} s")
    base = _samplics(d)
    name = "samplics TaylorEstimator"
    if base is None:
        base = _loop_baseline(d)
        name = "per-domain NumPy loop (samplics not installed)"
    t_base, se_base = base
    print(f"  baseline: {name}: {t_base:8.3f} s")
    print(f"  speed-up: {t_base / t_ours:6.1f}x")
    print(f"  max relative SE difference: {np.max(np.abs(se_ours / se_base - 1)):.1e}")


if __name__ == "__main__":
    main()
