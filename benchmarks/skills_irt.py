"""Benchmark: 2PL calibration (100 000 x 40) and CAT next-item selection (1 000-item bank).

Run with ``python benchmarks/skills_irt.py``. Measures, in the same run:

1. ``ssckit.skills.irt.calibrate`` (Bock-Aitkin EM, 61-node rectangular quadrature, no SEs) on
   100 000 simulated respondents x 40 items, against the peer library ``girth``
   (``twopl_mml``) on the same data when it is installed (``pip install girth``), else against
   a straightforward non-vectorised EM (a Python loop over items in the E-step, the same
   M-step) timed on 10 000 respondents and scaled to 100 000 (said so in the output);
2. next-item selection with a 1 000-item bank: ``ssckit.skills.cat.select_item`` against
   ``catsim``'s ``MaxInfoSelector`` when installed (``pip install catsim``), else against a
   per-item Python loop computing the information of every item;
3. a CAT simulation study (500 simulees) with ssckit and, when installed, with catsim's
   ``Simulator`` on the same bank (maximum information, SE <= 0.3, 5..30 items).

Prints times, accuracy and ratios. Never used as a CI gate.
"""

from __future__ import annotations

import importlib.util
import math
import time

import numpy as np

from ssckit.skills import cat, irt

N_RESP, N_ITEMS, N_BANK = 100_000, 40, 1_000
TARGETS = (0.2, 0.2, 0.2, 0.2, 0.2)


def _naive_em_time(y: np.ndarray, iters: int) -> float:
    """Seconds for ``iters`` cycles of a loop-over-items EM E-step (the baseline)."""
    nodes, w = irt.quadrature(61)
    a, d = np.ones(y.shape[1]), np.zeros(y.shape[1])
    t0 = time.perf_counter()
    for _ in range(iters):
        like = np.ones((y.shape[0], nodes.size))
        for j in range(y.shape[1]):
            p = 1.0 / (1.0 + np.exp(-(a[j] * nodes + d[j])))
            like *= np.where(y[:, j:j + 1] == 1, p, 1.0 - p)
        post = like * w
        post /= post.sum(axis=1, keepdims=True)
        for j in range(y.shape[1]):
            r1 = post[y[:, j] == 1].sum(axis=0)
            n1 = post.sum(axis=0)
            for _k in range(5):  # Newton on (a_j, d_j)
                p = 1.0 / (1.0 + np.exp(-(a[j] * nodes + d[j])))
                g = np.array([np.sum((r1 - n1 * p) * nodes), np.sum(r1 - n1 * p)])
                ww = n1 * p * (1 - p)
                h = np.array([[np.sum(ww * nodes ** 2), np.sum(ww * nodes)],
                              [np.sum(ww * nodes), np.sum(ww)]])
                a[j], d[j] = np.array([a[j], d[j]]) + np.linalg.solve(h, g)
    return time.perf_counter() - t0


def calibration() -> None:
    rng = np.random.default_rng(1)
    true = irt.ItemParams("2pl", rng.lognormal(0.0, 0.3, N_ITEMS), rng.normal(0.0, 1.0, N_ITEMS))
    y = irt.simulate_responses(rng.standard_normal(N_RESP), true, rng)
    irt.calibrate(y[:2000, :5], se=False)  # warm-up
    t0 = time.perf_counter()
    fit = irt.calibrate(y, se=False)
    t_ours = time.perf_counter() - t0
    err_a = np.max(np.abs(fit.params.a - true.a))
    err_d = np.max(np.abs(fit.params.d - true.d))
    print(f"2PL calibration {N_RESP} x {N_ITEMS}")
    print(f"  ssckit EM          : {t_ours:7.2f} s  ({fit.n_iter} cycles, converged="
          f"{fit.converged}, max|a err| {err_a:.3f}, max|d err| {err_d:.3f})")
    if importlib.util.find_spec("girth") is not None:
        from girth import twopl_mml

        t0 = time.perf_counter()
        res = twopl_mml(y.T.astype(int))
        t_peer = time.perf_counter() - t0
        a_g = np.asarray(res["Discrimination"])
        d_g = -a_g * np.asarray(res["Difficulty"])
        print(f"  girth twopl_mml    : {t_peer:7.2f} s  (max|a err| "
              f"{np.max(np.abs(a_g - true.a)):.3f}, max|d err| {np.max(np.abs(d_g - true.d)):.3f})")
        print(f"  ratio girth / ssckit: {t_peer / t_ours:.1f}x")
    else:
        sub = 10_000
        t_naive = _naive_em_time(y[:sub], fit.n_iter) * N_RESP / sub
        print(f"  girth not installed; baseline = non-vectorised EM, {fit.n_iter} cycles on {sub}"
              f" respondents scaled to {N_RESP}: {t_naive:.2f} s")
        print(f"  ratio baseline / ssckit: {t_naive / t_ours:.1f}x")


def _median_time(fn, n: int = 200) -> float:  # noqa: ANN001
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def selection() -> tuple[cat.ItemBank, np.ndarray]:
    rng = np.random.default_rng(2)
    params = irt.ItemParams("2pl", rng.lognormal(0.2, 0.3, N_BANK), rng.normal(0, 1.2, N_BANK))
    bank = cat.ItemBank(params, areas=rng.integers(0, 5, N_BANK))
    used = rng.choice(N_BANK, 20, replace=False).tolist()
    thetas = iter(np.tile(np.linspace(-2, 2, 50), 100))
    t_pure = _median_time(lambda: cat.select_item(bank, next(thetas), used))
    t_full = _median_time(lambda: cat.select_item(bank, next(thetas), used, randomesque=5,
                                                  content_targets=TARGETS, rng=rng))
    print(f"Next-item selection, {N_BANK}-item bank, 20 items given (median of 200 calls)")
    print(f"  ssckit max-information                  : {t_pure * 1e3:7.3f} ms")
    print(f"  ssckit randomesque-5 + content balancing: {t_full * 1e3:7.3f} ms")
    _, b = irt.slope_intercept_to_ab(params.a, params.d)
    items = np.column_stack([params.a, b, np.zeros(N_BANK)])
    if importlib.util.find_spec("catsim") is not None:
        from catsim.item_bank import ItemBank as CatsimBank
        from catsim.selection import MaxInfoSelector

        cs_bank, sel = CatsimBank(items), MaxInfoSelector()
        t_peer = _median_time(lambda: sel.select(item_bank=cs_bank, administered_items=used,
                                                 est_theta=float(next(thetas))))
        print(f"  catsim MaxInfoSelector                  : {t_peer * 1e3:7.3f} ms")
        print(f"  ratio catsim / ssckit (max-information) : {t_peer / t_pure:.1f}x")
    else:
        def naive() -> int:
            th = float(next(thetas))
            best, arg = -1.0, -1
            for j in range(N_BANK):
                if j in used:
                    continue
                p = 1.0 / (1.0 + math.exp(-(params.a[j] * th + params.d[j])))
                info = params.a[j] ** 2 * p * (1 - p)
                if info > best:
                    best, arg = info, j
            return arg
        t_peer = _median_time(naive)
        print(f"  catsim not installed; baseline = per-item Python loop: {t_peer * 1e3:.3f} ms")
        print(f"  ratio baseline / ssckit: {t_peer / t_pure:.1f}x")
    return bank, items


def simulation(bank: cat.ItemBank, items: np.ndarray) -> None:
    n = 500
    theta = np.random.default_rng(3).standard_normal(n)
    print(f"CAT simulation, {n} simulees, max information, SE <= 0.3, 5..30 items")
    for label, cfg in [
        ("ssckit EAP, pure max-info         ", cat.CATConfig(randomesque=1)),
        ("ssckit EAP, randomesque 5 + content", cat.CATConfig(content_targets=TARGETS)),
        ("ssckit MAP, pure max-info         ", cat.CATConfig(randomesque=1, estimator="map")),
    ]:
        t0 = time.perf_counter()
        r = cat.simulate_cat(bank, cfg, seed=4, theta_true=theta)
        dt = time.perf_counter() - t0
        print(f"  {label}: {dt:6.2f} s  bias {r.bias:+.3f}  RMSE {r.rmse:.3f}  length "
              f"{r.mean_length:5.1f}  max exposure {r.max_exposure:.2f}  unused "
              f"{r.share_unused:.2f}")
    if importlib.util.find_spec("catsim") is None:
        print("  catsim not installed; no peer simulation")
        return
    from catsim.estimation import NumericalSearchEstimator
    from catsim.initialization import FixedPointInitializer
    from catsim.selection import MaxInfoSelector
    from catsim.simulation import Simulator
    from catsim.stopping import MinErrorStopper

    t0 = time.perf_counter()
    sim = Simulator(items, theta, FixedPointInitializer(0.0), MaxInfoSelector(),
                    NumericalSearchEstimator(), MinErrorStopper(0.3, min_items=5, max_items=30),
                    seed=4)
    sim.simulate()
    dt = time.perf_counter() - t0
    est = np.asarray(sim.latest_estimations)
    lengths = np.array([len(x) for x in sim.administered_items])
    exposure = np.bincount(np.concatenate(sim.administered_items).astype(int),
                           minlength=N_BANK) / n
    err = est - theta
    print(f"  catsim ML (numerical), max-info    : {dt:6.2f} s  bias {err.mean():+.3f}  RMSE "
          f"{np.sqrt(np.mean(err ** 2)):.3f}  length {lengths.mean():5.1f}  max exposure "
          f"{exposure.max():.2f}  unused {np.mean(exposure == 0):.2f}")


def main() -> None:
    calibration()
    bank, items = selection()
    simulation(bank, items)


if __name__ == "__main__":
    main()
