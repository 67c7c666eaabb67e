"""Benchmark: total exposure ratio on a 2000 x 2000 grid for 100 sites x 3 sectors.

Run with ``python benchmarks/emf.py``. Measures, in the same run:

1. the baseline, a per-point pure-Python loop (``math`` only) over the 300 transmitters, timed
   on a random sample of grid points and extrapolated to the full grid (stated as such);
2. ``ssckit.emf.total_exposure_ratio`` (Numba kernel), exact (``min_ratio=0``);
3. the same with ``min_ratio=1e-5``: a transmitter is skipped where even its main-beam
   exposure ratio is below 1e-5, so the TER is low by less than 300 x 1e-5 = 3e-3 (the
   measured maximum difference from the exact run is printed).

Prints times and the speed-up ratios against the baseline. Never used as a CI gate.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ssckit.emf import Transmitters, limit_power_density, total_exposure_ratio
from ssckit.emf.run import MAP_MIN_RATIO

N_SITES = 100
GRID = 2000
SIZE_M = 10_000.0
LIMITS = "icnirp2020-public"


def _network(seed: int = 11) -> Transmitters:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, SIZE_M, N_SITES), rng.uniform(0, SIZE_M, N_SITES)
    return Transmitters(
        x_m=np.repeat(x, 3), y_m=np.repeat(y, 3), z_m=np.repeat(rng.uniform(15, 45, N_SITES), 3),
        azimuth_deg=(np.tile([0.0, 120.0, 240.0], N_SITES)
                     + np.repeat(rng.uniform(0, 120, N_SITES), 3)) % 360,
        mech_tilt_deg=2.0, elec_tilt_deg=np.tile([4.0, 6.0, 8.0], N_SITES),
        tx_power_dbm=np.tile([43.0, 46.0, 49.0], N_SITES), max_gain_dbi=17.0,
        freq_mhz=np.tile([800.0, 1800.0, 3500.0], N_SITES))


def main() -> None:
    tx = _network()
    s_lim = np.asarray(limit_power_density(LIMITS, tx.freq_mhz)).tolist()
    axis = np.linspace(0.0, SIZE_M, GRID)
    X, Y = np.meshgrid(axis, axis)
    n_pts = X.size

    # warm-up compiles (or loads from the cache) the kernel outside the timings
    total_exposure_ratio(X[:2, :2], Y[:2, :2], 1.5, tx, LIMITS)

    rng = np.random.default_rng(0)
    sample = rng.choice(n_pts, 2000, replace=False)
    t0 = time.perf_counter()
    ref = [_python_ter_ratio(X.flat[i], Y.flat[i], 1.5, tx, s_lim) for i in sample]
    t_py = (time.perf_counter() - t0) / sample.size * n_pts

    t0 = time.perf_counter()
    exact = total_exposure_ratio(X, Y, 1.5, tx, LIMITS)
    t_exact = time.perf_counter() - t0

    t0 = time.perf_counter()
    cut = total_exposure_ratio(X, Y, 1.5, tx, LIMITS, min_ratio=1e-5)
    t_cut = time.perf_counter() - t0

    t0 = time.perf_counter()
    cut6 = total_exposure_ratio(X, Y, 1.5, tx, LIMITS, min_ratio=MAP_MIN_RATIO)
    t_cut6 = time.perf_counter() - t0

    err_ref = np.max(np.abs(exact.ravel()[sample] - np.array(ref)) / np.array(ref))
    print(f"grid {GRID} x {GRID} = {n_pts:,} points at 1.5 m, {len(tx)} transmitters "
          f"({N_SITES} sites x 3 sectors), limits {LIMITS}")
    print(f"python loop (per point)   : {t_py:10.1f} s  (extrapolated from {sample.size} "
          f"sampled points)")
    print(f"numba, exact              : {t_exact:10.2f} s  speed-up x{t_py / t_exact:,.0f}")
    print(f"numba, min_ratio=1e-6 (map default): {t_cut6:6.2f} s  speed-up "
          f"x{t_py / t_cut6:,.0f}  (max abs. diff {np.max(exact - cut6):.1e}, bound "
          f"{len(tx) * MAP_MIN_RATIO:.0e})")
    print(f"numba, min_ratio=1e-5     : {t_cut:10.2f} s  speed-up x{t_py / t_cut:,.0f}")
    print(f"max TER {exact.max():.4g}; exact vs python loop max rel. diff {err_ref:.1e}; "
          f"min_ratio run max abs. diff {np.max(exact - cut):.1e} (bound {len(tx) * 1e-5:.0e})")


def _python_ter_ratio(px: float, py: float, pz: float, tx: Transmitters,
                      s_lim: list[float]) -> float:
    total = 0.0
    for k in range(len(tx)):
        dx, dy, dz = px - tx.x_m[k], py - tx.y_m[k], pz - tx.z_m[k]
        a, b = math.radians(90.0 - tx.azimuth_deg[k]), math.radians(tx.mech_tilt_deg[k])
        hx = dx * math.cos(a) + dy * math.sin(a)
        u = hx * math.cos(b) - dz * math.sin(b)
        v = -dx * math.sin(a) + dy * math.cos(a)
        w = hx * math.sin(b) + dz * math.cos(b)
        phi = math.degrees(math.atan2(v, u))
        el = math.degrees(math.atan2(w, math.hypot(u, v)))
        a_h = min(12.0 * (phi / 65.0) ** 2, 30.0)
        a_v = min(12.0 * ((el + tx.elec_tilt_deg[k]) / 65.0) ** 2, 30.0)
        att = min(a_h + a_v, 30.0)
        eirp = 10.0 ** ((tx.tx_power_dbm[k] + tx.max_gain_dbi[k] - 30.0) / 10.0)
        s = eirp * 10.0 ** (-att / 10.0) / (4 * math.pi * (dx * dx + dy * dy + dz * dz))
        total += s / s_lim[k]
    return total


if __name__ == "__main__":
    main()
