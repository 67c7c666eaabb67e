"""Benchmark: ITU-R P.1812-6 path loss, per path and over a whole coverage run.

Run with ``python benchmarks/radio.py [--clutter] [--exact-every N] [--skip-paths]``.

1. Path-loss throughput on independent 100- and 1000-point profiles: the Numba batch kernel
   against the plain per-path NumPy version, both timed in this run
   (``benchmarks/radio_p1812.py``, reused as is).
2. A whole coverage run on the sample city: its 10 km x 10 km grid at 25 m (160 000 pixels),
   the 15 three-sector sample sites, P.1812 over the terrain from every site to every pixel
   (2.4 million pixel-paths), antenna gains and RSRP of the 45 sectors included. The radial
   engine runs on the whole grid; the exact per-pixel engine on every N-th tile (it is about
   ten times slower), and its whole-grid time is extrapolated from its pixel-paths per
   second, as the output says. Both run in this process, on the same threads, and their
   results on the common tiles are compared: |ΔRSRP| of every sector at the pixels where
   P.1812 applies (>= 0.25 km from the site), and of the best-server RSRP.

Absolute figures depend on the machine and on whatever else runs on it; ratios are measured
in the same run. Nothing here gates CI.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import radio_p1812  # noqa: E402  (the sibling benchmark, reused for part 1)

from ssckit.demo.city import CRS, make_sample_city  # noqa: E402
from ssckit.radio import coverage as cov  # noqa: E402
from ssckit.radio.antenna import read_msi  # noqa: E402
from ssckit.radio.sample import write_sample_sites  # noqa: E402
from ssckit.radio.sites import read_sites_csv  # noqa: E402

TARGET = 450_000  # pixel-paths/s aimed at for the radial run on a 2-core machine


def _inputs(engine: str, clutter: bool) -> cov.CoverageInputs:
    city = make_sample_city()
    with tempfile.TemporaryDirectory() as tmp:
        write_sample_sites(Path(tmp), city.boundary, CRS, seed=7)
        sectors = read_sites_csv(Path(tmp) / "sites.csv", CRS)
        patterns = {name: read_msi(name) for name in set(sectors.antenna.tolist())
                    if not name.startswith("3gpp")}
    heights = None
    if clutter:
        from ssckit.radio.terrain import P1812_CLUTTER_HEIGHTS_M

        lut = np.zeros(256)
        for code, h in P1812_CLUTTER_HEIGHTS_M.items():
            lut[code] = h
        heights = lut[np.asarray(city.clutter, dtype=np.intp)]
    return cov.CoverageInputs(city.grid, city.dem, sectors,
                              cov.RadioSettings(model="p1812", engine=engine),
                              clutter=heights, patterns=patterns)


def _far_mask(inputs: cov.CoverageInputs, window: tuple[int, int, int, int]) -> np.ndarray:
    """(n_sectors, rows, cols): pixels at >= 0.25 km from the sector's site."""
    r0, r1, c0, c1 = window
    x, y = inputs.grid.cell_centres()
    px, py = x[r0:r1, c0:c1], y[r0:r1, c0:c1]
    s = inputs.sectors
    return np.stack([np.hypot(px - s.x[k], py - s.y[k]) >= 250.0 for k in range(len(s))])


def coverage_run(exact_every: int, clutter: bool, threads: int) -> None:
    radial = _inputs("radial", clutter)
    exact = _inputs("exact", clutter)
    grid = radial.grid
    windows = cov.tile_windows(grid.shape, radial.settings.tile_size)
    subset = windows[::exact_every]
    n_sites = len(set(zip(radial.sectors.x.tolist(), radial.sectors.y.tolist(), strict=True)))
    print(f"\nCoverage run: sample city {grid.shape[0]} x {grid.shape[1]} pixels at {grid.res:g} m,"
          f" {n_sites} sites / {len(radial.sectors)} sectors, ITU-R P.1812 over the terrain"
          f"{' and clutter' if clutter else ''}, {len(windows)} tiles of "
          f"{radial.settings.tile_size}, {threads} threads")
    for inp in (radial, exact):   # load the compiled kernels
        cov.sector_rsrp_tile(inp, (0, 4, 0, 4))

    t0 = time.perf_counter()
    stack, stats = cov.compute_coverage(radial, threads=threads)
    t_radial = time.perf_counter() - t0
    rate_radial = stats.paths / t_radial

    t0 = time.perf_counter()
    ex = list(cov.run_tiles(cov.sector_rsrp_tile, exact, subset, None, threads))
    t_exact = time.perf_counter() - t0
    paths_exact = sum(r[2].paths for r in ex)
    rate_exact = paths_exact / t_exact

    d_all, d_best = [], []
    for win, tile, _ in ex:
        r0, r1, c0, c1 = win
        mine = stack[:, r0:r1, c0:c1]
        far = _far_mask(radial, win)
        d_all.append(np.abs(mine - tile)[far])
        d_best.append(np.abs(mine.max(axis=0) - tile.max(axis=0)).ravel())
    d_all = np.concatenate(d_all)
    d_best = np.concatenate(d_best)

    print(f"  radial engine, whole grid      : {stats.paths:>10,} pixel-paths in {t_radial:6.2f} s"
          f" = {rate_radial:10,.0f} pixel-paths/s  x{rate_radial / rate_exact:5.1f} vs exact"
          f"  (target >= {TARGET:,}: {'met' if rate_radial >= TARGET else 'NOT met'})")
    print(f"  exact per-pixel engine         : {paths_exact:>10,} pixel-paths in {t_exact:6.2f} s"
          f" = {rate_exact:10,.0f} pixel-paths/s  x  1.0")
    print(f"    (measured on {len(subset)} of {len(windows)} tiles, every {exact_every}; "
          f"whole grid extrapolated: {stats.paths / rate_exact:6.1f} s)")
    print(f"  radial vs exact on those tiles, |dRSRP| [dB] per sector at P.1812 pixels "
          f"({d_all.size:,}): median {np.median(d_all):.3f}, 95 % {np.percentile(d_all, 95):.3f}"
          f", 99 % {np.percentile(d_all, 99):.3f}, max {d_all.max():.2f}")
    print(f"  best-server RSRP |d| [dB] ({d_best.size:,} pixels): median {np.median(d_best):.3f},"
          f" 95 % {np.percentile(d_best, 95):.3f}, 99 % {np.percentile(d_best, 99):.3f}, "
          f"max {d_best.max():.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exact-every", type=int, default=3,
                    help="time the exact engine on every N-th tile (default 3)")
    ap.add_argument("--clutter", action="store_true",
                    help="add the sample city's representative clutter heights (P.1812 Table 2)")
    ap.add_argument("--threads", type=int, default=2, help="tile threads (default 2)")
    ap.add_argument("--skip-paths", action="store_true", help="skip part 1")
    args = ap.parse_args()
    print(f"ssckit radio benchmark: numba {numba.__version__}, {numba.get_num_threads()} threads,"
          f" {os.cpu_count()} CPUs")
    if not args.skip_paths:
        print("\n1. ITU-R P.1812-6 path loss, independent profiles (benchmarks/radio_p1812.py)")
        radio_p1812.run(100, 50_000, 500)
        radio_p1812.run(1000, 5_000, 250)
    print("\n2. Whole coverage run")
    coverage_run(max(args.exact_every, 1), args.clutter, args.threads)


if __name__ == "__main__":
    main()
