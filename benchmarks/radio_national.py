"""Benchmark: national-scale 5G coverage — pixel-paths per second, memory and parallel efficiency.

Run with ``python benchmarks/radio_national.py [--quick] [--cores 1,2] [--dask] [--model M]
[--cog DIR]``.

The region is synthetic and deterministic (seed 12): 60 km x 60 km at 25 m (2400 x 2400 =
5.76 M pixels; ``--quick``: 20 km x 20 km, 640 000 pixels), rolling terrain (sums of smoothed
noise, 40 to about 400 m) with towns (ITU-R P.1812 Table 2 clutter: dense urban cores, urban
and suburban rings, forest patches, open land), and three-sector n78 sites (3.5 GHz, 100 MHz,
49 dBm, TR 38.901 element of 17 dBi, 4 deg electrical downtilt, 25-35 m masts) placed as an
operator would: a 1.5 km grid in the towns, a 5 km grid in the country between them
(>= 200 sites on the full region, one per 17 km^2 on average). ITU-R P.1812 over the terrain and
clutter (radial engine), service radius ``--radius`` km (default: the settings' 15 km).

It prints, all measured in this run:

1. the streamed engine (tiles reduced to best-server maps and written into COGs): pixel-paths
   per second for each local thread count of ``--cores``, the parallel efficiency
   (rate(n) / (n rate(1))), and peak RSS of this process;
2. ``--dask``: the same with a Dask ``LocalCluster`` of single-threaded worker processes;
3. the engine before this work on a sub-region (``--previous-km``, default 6 km square, the
   same sites that reach it): radials fitted to each tile, every site to every pixel, antenna
   gains evaluated per pixel (TR 38.901 rotations), the whole per-sector stack held and then
   summarised — its pixel-paths per second against the streamed engine's on the same
   sub-region, one thread each;
4. what the figures mean for 200 000 km^2 at 25 m on N machines of C cores.

Absolute figures depend on the machine and its load (``uptime`` is printed); ratios are
measured in the same run. Nothing here gates CI.

Figures measured here (2-core machine shared with other work, load average 12 to 14: this
process got about a quarter of the CPU, so the wall rates are a floor; the rates per
CPU-second are what a dedicated core does):

    python benchmarks/radio_national.py --quick --previous-km 4
      region 20 km x 20 km at 25 m: 0.64 M pixels, 2 towns, 30 sites (90 sectors), radius 15 km
      streamed, 1 thread: 16,511,367 pixel-paths in 350.9 s = 47 k/s wall;
          208 k pixel-paths per CPU-second
      streamed, 2 threads: 235.4 s = 70 k/s wall (efficiency 0.75 under that load);
          237 k pixel-paths per CPU-second
      peak RSS 0.35 GB (0.42 GB at the end of the run)
      previous engine on the central 4 km (2 sites, no radius, 1 thread): 72 k/s wall,
          226 k per CPU-second; streamed engine 62 k/s: 0.9 x (a small sub-region: the
          site's fan is sized for its whole reach, the previous radials for the tile)
      200 000 km^2 (0.075 sites/km^2, 15 km radius): 17 G pixel-paths; at 237 k/s per core
          and 70 % efficiency: 1.8 h on one machine of 16 cores, 0.45 h on four (the wall
          rate of this shared run, 35 k/s per core, gave 12 h on one)

On the same 2-core machine idle (load 0.2), each task's kernels on one Numba thread:

    python benchmarks/radio_national.py --size-km 8 --cores 1,2 --dask --previous-km 0
      8 km x 8 km: 0.10 M pixels, 30 sites (90 sectors); 3.07 M pixel-paths
      1 thread 392 k/s, 2 threads 691 k/s (1.76 x, efficiency 0.88), peak RSS 0.31 GB
      Dask LocalCluster: 1 process 359 k/s (0.92 x), 2 processes 535 k/s (0.77 x 2 threads:
          on a region this small the broadcast and per-task costs still weigh)

The same 2-core machine idle (load 1.2), after the kernels released the GIL and with the Dask
workers warmed as the threads are:

    python benchmarks/radio_national.py --quick --cores 1,2 --dask --dask-cores 2 --previous-km 0
      20 km x 20 km, 30 sites (90 sectors), 16.5 M pixel-paths
      1 thread 371 k/s, 2 threads 728 k/s (1.96 x), Dask LocalCluster 2 processes 620 k/s
          (0.85 x 2 threads), peak RSS 0.53 GB
    python benchmarks/radio_national.py --quick --model free-space --cores 1,2 --previous-km 0
      1 thread 6.97 M pixel-paths/s, 2 threads 12.3 M/s

On a 16-core machine (16 vCPUs of an Intel Xeon under gVisor, load 0.1; one core there does
178 k pixel-paths/s, 0.45 of a core of the machine above), before the kernels released the GIL:

    python benchmarks/radio_national.py --size-km 24 --tile 80 --cores 1,2,4,8,16 --dask \
        --dask-cores 2,4,8,16 --previous-km 4
      24 km x 24 km: 0.92 M pixels, 46 sites (138 sectors), 27.0 M pixel-paths, 144 tiles
      threads      1       2       4       8      16
      k/s        178     370     611     986   1 315
      efficiency 1.00    1.04    0.86    0.69    0.46
      (the Dask part of this run was cut by its time limit)
    python benchmarks/radio_national.py --cores 16 --previous-km 0      # the full region
      60 km x 60 km: 5.76 M pixels, 12 towns, 296 sites (888 sectors), 287.7 M pixel-paths
      16 threads: 170.5 s = 1 688 k/s (efficiency 0.59), peak RSS 1.02 GB

and after (``nogil`` kernels), on a smaller region with small tiles (256 tiles):

    python benchmarks/radio_national.py --size-km 16 --tile 40 --cores 1,4,16 --dask \
        --dask-cores 4,16 --previous-km 0
      16 km x 16 km: 0.41 M pixels, 17 sites (51 sectors), 6.84 M pixel-paths
      threads 1: 161 k/s; 4: 567 k/s (0.88); 16: 562 k/s (0.22)
      Dask LocalCluster of single-threaded processes: 4: 438 k/s (0.68);
          16: 1 413 k/s (0.55, 2.5 x 16 threads)

What limits it: each tile's Python part (the loop over the sites that reach it, the radial
set-up) holds the GIL, so threads beyond 4 wait for each other, the more so the smaller the
tiles; worker processes do not share a GIL and go further, but a 16-process cluster still
reached 0.55, short of the 0.7 asked. The radial engine also scanned the whole clutter layer
for bad values on every site and tile (46 MB per call on the full region, memory bandwidth
shared by all cores); it is now checked once per run — not yet measured on 16 cores.

Since then a tile is two kernel calls (P.1812 from every reaching site along its fan in one
nogil kernel, the antenna gains of every sector in another; the Python around them is
whole-tile array work): the interpreter's share of a tile fell from 22 % to about 2 % on
40-pixel tiles (cProfile, one thread, 8 km region), rasters are bit-identical, and a core does
17 % more pixel-paths per CPU-second on such tiles (296 -> 353 k, the two versions run
alternately). Tiles run costliest first, and the LocalCluster takes
``coverage.DASK_WORKER_CONFIG`` (no worker profiler, slower monitors). The 2-core machine,
idle (load 1.6):

    python benchmarks/radio_national.py --quick --cores 1,2 --dask --dask-cores 2 --previous-km 0
      1 thread 394 k/s, 2 threads 771 k/s (1.96 x, efficiency 0.98), Dask LocalCluster
          2 processes 715 k/s (0.93 x 2 threads; 0.89 x with Dask's default settings)

The 16-core table above has not been measured again since these changes.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from pyproj import Transformer
from scipy.ndimage import gaussian_filter, zoom

from ssckit.core.geo import Grid
from ssckit.radio import antenna as ant
from ssckit.radio import coverage as cov
from ssckit.radio.io import CogWriter
from ssckit.radio.layers import shippable_inputs
from ssckit.radio.linkbudget import n_rb, rsrp_dbm
from ssckit.radio.propagation import p1812
from ssckit.radio.radial import site_loss_radial
from ssckit.radio.sites import Sectors
from ssckit.radio.terrain import P1812_CLUTTER_HEIGHTS_M

CRS = "EPSG:32635"   # UTM 35N (Lithuania)
X0, Y0 = 500_000.0, 6_000_000.0
RES = 25.0
SEED = 12


def region(size_km: float) -> tuple[Grid, np.ndarray, np.ndarray, list[tuple[float, float, float]]]:
    """Grid, terrain [m], clutter heights [m] and towns (x, y, radius [m]) of the region."""
    n = int(round(size_km * 1000 / RES))
    grid = Grid.from_bounds(X0, Y0, X0 + n * RES, Y0 + n * RES, RES, CRS)
    rng = np.random.default_rng(SEED)
    # rolling terrain: smoothed noise at three scales on a coarse grid, then resampled
    coarse = max(n // 8, 8)
    z = np.zeros((coarse, coarse))
    for sigma, amp in ((coarse / 6, 70.0), (coarse / 20, 25.0), (2.0, 6.0)):
        f = gaussian_filter(rng.standard_normal((coarse, coarse)), sigma, mode="wrap")
        z += amp * f / (f.std() + 1e-12)
    dem = zoom(z, n / coarse, order=3)[:n, :n]
    dem = dem - dem.min() + 40.0
    # towns: about one per 300 km^2, radius 1.5 to 4 km
    n_towns = max(2, int(round(size_km * size_km / 300)))
    towns = [(X0 + float(rng.uniform(0.1, 0.9)) * n * RES, Y0 + float(rng.uniform(0.1, 0.9))
              * n * RES, float(rng.uniform(1500, 4000))) for _ in range(n_towns)]
    x, y = grid.cell_centres()
    cls = np.full((n, n), 2, dtype=np.int16)   # open / rural
    forest = gaussian_filter(rng.standard_normal((n // 4, n // 4)), 6)
    forest = zoom(forest, 4, order=1)[:n, :n] > 0.6 * forest.std()
    cls[forest] = 4
    for tx, ty, tr in towns:
        d = np.hypot(x - tx, y - ty)
        cls[d < tr] = 3
        cls[d < 0.6 * tr] = 4
        cls[d < 0.25 * tr] = 5
    lut = np.zeros(6)
    for k, h in P1812_CLUTTER_HEIGHTS_M.items():
        lut[k] = h
    clutter = np.where(cls == 2, 0.0, lut[cls])   # open land: no clutter
    return grid, np.ascontiguousarray(dem), clutter, towns


def sites(grid: Grid, towns) -> Sectors:
    """Three-sector n78 sites: 1.5 km grid in the towns, 5 km grid elsewhere."""
    rng = np.random.default_rng(SEED + 1)
    xmin, ymin, xmax, ymax = grid.bounds
    pts = []
    for tx, ty, tr in towns:
        step = 1500.0
        for gx in np.arange(tx - tr, tx + tr, step):
            for gy in np.arange(ty - tr, ty + tr, step * math.sqrt(3) / 2):
                if math.hypot(gx - tx, gy - ty) < tr:
                    pts.append((gx + rng.normal(0, 100), gy + rng.normal(0, 100)))
    for gx in np.arange(xmin + 2500, xmax, 5000.0):
        for gy in np.arange(ymin + 2500, ymax, 5000.0):
            if all(math.hypot(gx - tx, gy - ty) > tr + 1000 for tx, ty, tr in towns):
                pts.append((gx + rng.normal(0, 300), gy + rng.normal(0, 300)))
    pts = [(min(max(px, xmin + 100), xmax - 100), min(max(py, ymin + 100), ymax - 100))
           for px, py in pts]
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    cols: dict[str, list] = {k: [] for k in Sectors.__dataclass_fields__}
    for i, (px, py) in enumerate(pts):
        lon, lat = to_ll.transform(px, py)
        rot = float(rng.uniform(0, 120))
        h = float(rng.choice([25.0, 30.0, 35.0]))
        for s in range(3):
            for k, v in (("site", f"N{i:04d}"), ("sector", str(s + 1)), ("x", px), ("y", py),
                         ("lat", lat), ("lon", lon), ("height_m", h),
                         ("azimuth_deg", (rot + 120 * s) % 360), ("mech_tilt_deg", 0.0),
                         ("elec_tilt_deg", 4.0), ("antenna", "3gpp:17"), ("band", "n78"),
                         ("freq_mhz", 3500.0), ("bandwidth_mhz", 100.0), ("tx_power_dbm", 49.0),
                         ("line", i + 2)):
                cols[k].append(v)
    return Sectors(**{k: np.array(v) for k, v in cols.items()})


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def streamed(inputs: cov.CoverageInputs, threads: int, scheduler: str | None = None,
             cog_dir: Path | None = None, layer_dir: Path | None = None
             ) -> tuple[float, cov.TileStats, float]:
    """Wall seconds, stats and CPU seconds of a streamed run (tiles reduced, written into
    COGs); the CPU seconds of this process (all its threads) tell on a shared machine what the
    wall time cannot."""
    with tempfile.TemporaryDirectory(dir=cog_dir) as tmp:
        writer = CogWriter(Path(tmp), inputs.grid)
        total = cov.TileStats()
        t0 = time.perf_counter()
        c0 = time.process_time()
        for tile in cov.stream_coverage(inputs, scheduler, threads, layer_dir=layer_dir):
            writer(tile)
            total.add(tile.stats)
        writer.close()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        if scheduler is None:
            print(f"    ({cpu:.1f} CPU-s in this process: {total.paths / cpu / 1e3:,.0f} k "
                  f"pixel-paths per CPU-second; wall {wall:.1f} s)")
        return wall, total, cpu


# --------------------------------------------------------------------------- previous engine
def previous_tile(inputs: cov.CoverageInputs, window: tuple[int, int, int, int]):
    """The engine before partition independence: radials fitted to the tile's pixels, every
    site to every pixel, antenna gains through the TR 38.901 rotations per pixel."""
    r0, r1, c0, c1 = window
    g, st, s = inputs.grid, inputs.settings, inputs.sectors
    x, y = g.cell_centres()
    px, py = x[r0:r1, c0:c1].ravel(), y[r0:r1, c0:c1].ravel()
    hp = inputs.dem[r0:r1, c0:c1].ravel()
    plon, plat = Transformer.from_crs(g.crs, "EPSG:4326", always_xy=True).transform(px, py)
    ground = inputs.prepared.site_ground
    out = np.empty((len(s), px.size), dtype=np.float32)
    nrb = n_rb(s.bandwidth_mhz)
    paths = 0
    for ks in inputs.prepared.groups:
        k0 = int(ks[0])
        dx, dy = px - s.x[k0], py - s.y[k0]
        d_m = np.hypot(dx, dy)
        lb = np.empty(d_m.shape)
        far = d_m >= p1812.D_RANGE_KM[0] * 1000.0
        lb[far] = site_loss_radial(inputs.dem, g, s.x[k0], s.y[k0], s.lat[k0], s.lon[k0],
                                   s.height_m[k0], s.freq_mhz[k0] / 1000.0, px[far], py[far],
                                   plat[far], plon[far], clutter=inputs.clutter)
        d3 = np.hypot(np.maximum(d_m[~far], 1.0), ground[k0] + s.height_m[k0] - hp[~far] - 1.5)
        lb[~far] = 32.4 + 20 * np.log10(s.freq_mhz[k0]) + 20 * np.log10(d3 / 1000.0)
        paths += d_m.size
        az = np.degrees(np.arctan2(dx, dy)) % 360
        el = np.degrees(np.arctan2(hp + st.rx_height_m - (ground[k0] + s.height_m[k0]),
                                   np.maximum(d_m, 1.0)))
        for k in ks:
            gain = ant.sector_gain_38901(az, el, antenna_azimuth_deg=s.azimuth_deg[k],
                                         mechanical_tilt_deg=s.mech_tilt_deg[k],
                                         electrical_tilt_deg=s.elec_tilt_deg[k],
                                         max_gain_dbi=17.0)
            out[k] = rsrp_dbm(s.tx_power_dbm[k], nrb[k], gain, lb)
    return window, out.reshape(len(s), r1 - r0, c1 - c0), paths


def previous_run(inputs: cov.CoverageInputs) -> tuple[float, int]:
    windows = cov.tile_windows(inputs.grid.shape, inputs.settings.tile_size)
    t0 = time.perf_counter()
    stack = np.full((len(inputs.sectors), *inputs.grid.shape), np.nan, np.float32)
    paths = 0
    for (r0, r1, c0, c1), tile, n in (previous_tile(inputs, w) for w in windows):
        stack[:, r0:r1, c0:c1] = tile
        paths += n
    cov.summarise(stack, inputs)
    return time.perf_counter() - t0, paths


def sub_region(grid, dem, clutter, sectors, size_km, settings):
    """The central ``size_km`` square of the region with the sites whose radius reaches it."""
    n = int(round(size_km * 1000 / RES))
    r0 = (grid.shape[0] - n) // 2
    t = grid.transform
    xmin, ymax = t.c + r0 * RES, t.f - r0 * RES
    sub = Grid.from_bounds(xmin, ymax - n * RES, xmin + n * RES, ymax, RES, CRS)
    sl = (slice(r0, r0 + n), slice(r0, r0 + n))
    radius = (settings.max_radius_km or 1e9) * 1000.0
    cx, cy = xmin + n * RES / 2, ymax - n * RES / 2
    keep = np.hypot(sectors.x - cx, sectors.y - cy) <= radius
    # sites outside the sub-grid cannot be sampled by its DEM: keep those inside
    keep &= ((sectors.x > xmin) & (sectors.x < xmin + n * RES) & (sectors.y > ymax - n * RES)
             & (sectors.y < ymax))
    return sub, np.ascontiguousarray(dem[sl]), np.ascontiguousarray(clutter[sl]), \
        sectors.select(keep)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="20 km x 20 km instead of 60 km")
    ap.add_argument("--size-km", type=float, help="region edge [km] (overrides --quick)")
    ap.add_argument("--cores", default="1,2", help="local thread counts to measure")
    ap.add_argument("--dask", action="store_true",
                    help="also a LocalCluster of single-threaded processes per core count")
    ap.add_argument("--dask-cores", help="process counts of the LocalClusters (default: "
                    "--cores)")
    ap.add_argument("--radius", type=float, default=cov.DEFAULT_MAX_RADIUS_KM,
                    help="service radius [km]")
    ap.add_argument("--tile", type=int, default=128, help="tile edge [pixels]")
    ap.add_argument("--model", default="p1812",
                    help="propagation model (p1812, free-space, tr38901-uma, tr38901-rma)")
    ap.add_argument("--previous-km", type=float, default=6.0,
                    help="sub-region edge [km] for the previous engine (0: skip)")
    ap.add_argument("--cog", type=Path, help="folder for the working COGs (default: /tmp)")
    args = ap.parse_args()
    size = args.size_km or (20.0 if args.quick else 60.0)
    print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    grid, dem, clutter, towns = region(size)
    sec = sites(grid, towns)
    n_sites = len(sec.site_ids)
    print(f"region {size:g} km x {size:g} km at {RES:g} m: {grid.shape[0]} x {grid.shape[1]} "
          f"= {grid.shape[0] * grid.shape[1] / 1e6:.2f} M pixels, {len(towns)} towns, "
          f"{n_sites} sites ({len(sec)} sectors), {args.model}, radius {args.radius:g} km, tiles "
          f"{args.tile} px; {os.cpu_count()} cores")
    settings = cov.RadioSettings(tile_size=args.tile, max_radius_km=args.radius,
                                 model=args.model)
    inputs = cov.CoverageInputs(grid, dem, sec, settings, clutter=clutter)
    t0 = time.perf_counter()
    _ = inputs.prepared
    print(f"prepared (gain tables, fans) in {time.perf_counter() - t0:.1f} s")
    # warm the Numba caches on a corner tile so that compilation is not timed
    cov.coverage_tile(inputs, (0, 16, 0, 16))
    rates: dict[tuple[str, int], float] = {}
    per_cpu = 0.0
    cores = [int(c) for c in args.cores.split(",")]
    # n task threads = n cores: each task's kernels on one Numba thread (as Dask tasks run),
    # so that the efficiency figure compares core counts (ssckit itself shares the cores out)
    cov._numba_threads = lambda _task_threads: 1
    for n in cores:
        secs, st, cpu = streamed(inputs, n, cog_dir=args.cog)
        rates[("threads", n)] = st.paths / secs
        per_cpu = max(per_cpu, st.paths / cpu)
        print(f"streamed, {n} thread(s): {st.paths:,} pixel-paths in {secs:.1f} s = "
              f"{st.paths / secs / 1e3:,.0f} k/s; efficiency "
              f"{rates[('threads', n)] / (n * rates[('threads', cores[0])] / cores[0]):.2f}; "
              f"peak RSS {peak_rss_gb():.2f} GB")
    if args.dask:
        import dask
        from distributed import Client, LocalCluster

        base = rates[("threads", cores[0])] / cores[0]
        for n in [int(c) for c in (args.dask_cores or args.cores).split(",")]:
            with dask.config.set(cov.DASK_WORKER_CONFIG), \
                    LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster, \
                    tempfile.TemporaryDirectory(dir=args.cog) as layers:
                # as for the local threads: the workers load the compiled kernels first;
                # terrain and clutter reach them as memory-mapped files (ssckit.radio.layers)
                with Client(cluster) as client:
                    shipped = shippable_inputs(inputs, client, layers)
                    client.run(cov._in_task, cov.coverage_tile, shipped, (0, 16, 0, 16), 1)
                secs, st, _ = streamed(inputs, n, cluster.scheduler_address, args.cog,
                                       Path(layers))
            rates[("dask", n)] = st.paths / secs
            vs = (f"{rates[('dask', n)] / rates[('threads', n)]:.2f} x local threads"
                  if ("threads", n) in rates else "")
            print(f"dask LocalCluster, {n} process(es): {st.paths / secs / 1e3:,.0f} k/s; "
                  f"efficiency {rates[('dask', n)] / (n * base):.2f}; {vs}")
    if args.previous_km > 0:
        sg, sd, sc, ss = sub_region(grid, dem, clutter, sec, args.previous_km, settings)
        sub_new = cov.CoverageInputs(sg, sd, ss, settings.replace(max_radius_km=None),
                                     clutter=sc)
        sub_old = cov.CoverageInputs(sg, sd, ss, settings.replace(max_radius_km=None),
                                     clutter=sc)
        _ = sub_new.prepared, sub_old.prepared
        previous_tile(sub_old, (0, 8, 0, 8))
        c0 = time.process_time()
        t_old, p_old = previous_run(sub_old)
        print(f"    (previous engine: {p_old / (time.process_time() - c0) / 1e3:,.0f} k "
              "pixel-paths per CPU-second)")
        t_new, st, _ = streamed(sub_new, 1, cog_dir=args.cog)
        print(f"previous engine on the central {args.previous_km:g} km ({len(ss.site_ids)} "
              f"sites, no radius, 1 thread): {p_old / t_old / 1e3:,.0f} k pixel-paths/s; "
              f"streamed engine {st.paths / t_new / 1e3:,.0f} k/s: "
              f"{(st.paths / t_new) / (p_old / t_old):.1f} x")
    # what it means for a country
    area_km2 = 200_000.0
    px_per_km2 = (1000.0 / RES) ** 2
    density = n_sites / (size * size)
    reach_km2 = math.pi * args.radius ** 2
    paths = area_km2 * px_per_km2 * density * reach_km2
    # per core: the wall rate at the best measured parallelism, or the rate per CPU-second
    # when that is higher (a shared machine gives this process less than its cores)
    best = max(max(rates.values()) / max(cores), per_cpu)
    eff = 0.7
    print(f"200 000 km^2 at {RES:g} m with {density:.3f} sites/km^2 and a {args.radius:g} km "
          f"radius: {paths / 1e9:,.0f} G pixel-paths; at {best / 1e3:,.0f} k/s per core and "
          f"{eff:.0%} parallel efficiency:")
    for machines, c in ((1, 16), (4, 16), (16, 16), (64, 16)):
        hours = paths / (best * machines * c * eff) / 3600
        print(f"  {machines:3d} machine(s) x {c} cores: {hours:,.1f} h")
    print(f"peak RSS of this process: {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    main()
