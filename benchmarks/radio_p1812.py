"""Benchmark: ITU-R P.1812-6 paths per second, Numba batch kernel vs the naive NumPy version.

Run with ``python benchmarks/radio_p1812.py [--paths N] [--naive-paths M]``. Both versions
are timed in the same run on the same random profiles (100 and 1000 points); the output is
paths/s and the ratio batch/naive. Absolute times depend on the machine and are never gated.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numba
import numpy as np

from ssckit.radio.propagation.p1812 import bt_loss, bt_loss_batch

# the plain NumPy coding is the radio tests' oracle; it lives with them, outside the package
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "radio"))
from p1812_reference import reference_bt_loss as naive_bt_loss  # noqa: E402

COMMON = dict(phi_t=51.0, phi_r=51.3, lam_t=0.0, lam_r=0.4, dn=45.0, n0=325.0)


def make_profiles(n_paths: int, n_points: int, seed: int = 1):
    """Random terrain (random walk), clutter and zones over 5-80 km paths."""
    rng = np.random.default_rng(seed)
    length = rng.uniform(5.0, 80.0, n_paths)[:, None]
    d = np.linspace(0.0, 1.0, n_points)[None, :] * length
    h = 150.0 + np.cumsum(rng.normal(0.0, 400.0 / np.sqrt(n_points), (n_paths, n_points)),
                          axis=1)
    r = rng.choice([0.0, 10.0, 15.0, 20.0], (n_paths, n_points))
    zone = np.where(rng.random((n_paths, n_points)) < 0.1, 3, 4).astype(np.int64)
    f = rng.uniform(0.1, 3.0, n_paths)
    p = rng.uniform(1.0, 50.0, n_paths)
    return f, p, d, h, r, zone


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(n_points: int, n_paths: int, n_naive: int) -> None:
    f, p, d, h, r, zone = make_profiles(n_paths, n_points)

    def batch(check=True):
        return bt_loss_batch(f, p, d, h, r, zone, 30.0, 10.0, 1, **COMMON, check=check)

    res = batch()  # compile / load cache
    t_batch = best_of(batch, 3)
    t_batch_nocheck = best_of(lambda: batch(False), 3)

    k = min(n_naive, n_paths)
    t0 = time.perf_counter()
    naive = [naive_bt_loss(f[i], p[i], d[i], h[i], r[i], zone[i], 30.0, 10.0, 1, 51.0, 51.3,
                           0.0, 0.4, 45.0, 325.0) for i in range(k)]
    t_naive = time.perf_counter() - t0

    k1 = min(2000, n_paths)
    t0 = time.perf_counter()
    for i in range(k1):
        bt_loss(f[i], p[i], d[i], h[i], r[i], zone[i], 30.0, 10.0, 1, **COMMON)
    t_single = time.perf_counter() - t0

    dev = float(np.max(np.abs(res.Lb[:k] - np.asarray(naive))))
    rate_batch = n_paths / t_batch
    rate_nocheck = n_paths / t_batch_nocheck
    rate_naive = k / t_naive
    rate_single = k1 / t_single
    print(f"\n{n_points}-point profiles ({n_paths} paths; naive on {k}); max |dLb| = {dev:.1e} dB")
    print(f"  batch, numba prange, validated : {rate_batch:12,.0f} paths/s"
          f"  x{rate_batch / rate_naive:8.1f} vs naive")
    print(f"  batch, numba prange, check=False: {rate_nocheck:12,.0f} paths/s"
          f"  x{rate_nocheck / rate_naive:8.1f} vs naive")
    print(f"  bt_loss per path (validated)   : {rate_single:12,.0f} paths/s"
          f"  x{rate_single / rate_naive:8.1f} vs naive")
    print(f"  naive NumPy per path (baseline) : {rate_naive:12,.0f} paths/s  x     1.0")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=50_000, help="paths for the 100-point run")
    ap.add_argument("--naive-paths", type=int, default=500, help="paths timed with the baseline")
    args = ap.parse_args()
    print(f"ITU-R P.1812-6 benchmark: numba {numba.__version__}, "
          f"{numba.get_num_threads()} threads, {os.cpu_count()} CPUs")
    run(100, args.paths, args.naive_paths)
    run(1000, max(args.paths // 10, 1), max(args.naive_paths // 2, 1))


if __name__ == "__main__":
    main()
