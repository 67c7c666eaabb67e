"""Benchmark: map tile latency from a national-size layer, with and without overviews.

Run with ``python benchmarks/maptiles.py [--size 2400] [--workspace DIR]``. Measures, in the
same run:

1. a synthetic RSRP layer of ``size`` x ``size`` pixels at 25 m (2400: 60 km x 60 km, the
   national benchmark's region), written twice: as a tiled GeoTIFF without overviews (the
   baseline: what a reader without overviews must decimate) and as a Cloud-Optimized GeoTIFF
   with overviews (GDAL's COG driver);
2. for each file, ``ssckit.core.maptiles.render_tile`` (read through the warper, colour, PNG)
   of a zoomed-out tile (the zoom at which the whole layer fits in a 1280 x 900 map) and of
   zoomed-in tiles (zoom 15, ~3.6 m pixels), median and 95th percentile over repeated
   tiles, and the time to draw every tile of the first view of the map (what "opening the
   layer" costs), one thread and two;
3. with ``--workspace``, the same through the web app (``/radio/tiles/...``, in process) on
   that workspace's coverage layer: the latency a browser sees, less the network. Each
   request carries a distinct query, so that no answer cache serves it.

Prints the figures and the ratio baseline / COG. Never used as a CI gate.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.shutil import copy as rio_copy

from ssckit.core import maptiles

CRS = "EPSG:32637"
RES_M = 25.0
VIEW_PX = (1280, 900)
RSRP = maptiles.colour_map("viridis", -130.0, -60.0)


def synthetic_layer(size: int, seed: int = 5) -> np.ndarray:
    """RSRP-like values [dBm]: smooth large-scale field plus pixel noise, NaN at the edges."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(-125, -65, (size // 100 + 2, size // 100 + 2))
    from scipy.ndimage import zoom

    field = zoom(coarse, size / (coarse.shape[0] - 1), order=1)[:size, :size]
    data = (field + rng.normal(0, 3, (size, size))).astype(np.float32)
    data[:, : size // 40] = np.nan
    return data


def write_layers(folder: Path, size: int) -> tuple[Path, Path]:
    data = synthetic_layer(size)
    profile = dict(driver="GTiff", width=size, height=size, count=1, dtype="float32", crs=CRS,
                   transform=Affine(RES_M, 0, 500_000, 0, -RES_M, 4_560_000), nodata=np.nan,
                   compress="deflate", tiled=True, blockxsize=256, blockysize=256)
    plain = folder / "plain.tif"
    with rasterio.open(plain, "w", **profile) as dst:
        dst.write(data, 1)
    cog = folder / "cog.tif"
    rio_copy(plain, cog, driver="COG", BLOCKSIZE=256, COMPRESS="DEFLATE",
             OVERVIEW_RESAMPLING="NEAREST")
    return plain, cog


def fit_zoom(bounds_lonlat: tuple[float, float, float, float]) -> int:
    """The deepest zoom at which the layer fits in a VIEW_PX map (as Leaflet's fitBounds)."""
    w, s, e, n = bounds_lonlat
    merc = lambda lat: math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))  # noqa: E731
    for z in range(maptiles.MAX_ZOOM, -1, -1):
        world = 256 * 2 ** z
        if (e - w) / 360 * world <= VIEW_PX[0] and (merc(n) - merc(s)) / (2 * math.pi) * \
                world <= VIEW_PX[1]:
            return z
    return 0


def view_tiles(bounds_lonlat: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """The tiles of the first view: every tile the layer's extent touches at zoom ``z``."""
    w, s, e, n = bounds_lonlat
    x0, y0 = maptiles.lonlat_to_tile(w, n, z)
    x1, y1 = maptiles.lonlat_to_tile(e, s, z)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def inner_tiles(bounds_lonlat: tuple[float, float, float, float], z: int, n: int,
                seed: int = 3) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    w, s, e, nn = bounds_lonlat
    return [maptiles.lonlat_to_tile(rng.uniform(w + 0.2 * (e - w), e - 0.05 * (e - w)),
                                    rng.uniform(s + 0.05 * (nn - s), nn - 0.05 * (nn - s)), z)
            for _ in range(n)]


def timings(fn: Callable[[int, int, int], object], z: int, tiles: list[tuple[int, int]],
            repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        for x, y in tiles:
            t0 = time.perf_counter()
            fn(z, x, y)
            out.append(time.perf_counter() - t0)
    return out


def summary(ms: list[float]) -> str:
    q = np.percentile(np.asarray(ms) * 1e3, [50, 95])
    return f"median {q[0]:6.1f} ms  p95 {q[1]:6.1f} ms  (n={len(ms)})"


def open_view(path: Path, z: int, tiles: list[tuple[int, int]], threads: int) -> float:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda xy: maptiles.render_tile(path, z, xy[0], xy[1], RSRP), tiles))
    return time.perf_counter() - t0


def bench_files(size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        plain, cog = write_layers(Path(tmp), size)
        print(f"layer {size} x {size} px at {RES_M:g} m ({size * RES_M / 1000:g} km square) "
              f"written in {time.perf_counter() - t0:.1f} s; COG overviews "
              f"{maptiles.raster_info(cog).overviews}")
        bounds = maptiles.raster_info(cog).bounds_lonlat
        z_out = fit_zoom(bounds)
        view = view_tiles(bounds, z_out)
        zoomed_in = inner_tiles(bounds, 15, 40)
        results: dict[str, dict[str, list[float] | float]] = {}
        for name, path in (("plain GeoTIFF, no overviews", plain), ("COG with overviews", cog)):
            render = lambda z, x, y, p=path: maptiles.render_tile(p, z, x, y, RSRP)  # noqa: E731
            render(z_out, *view[0])  # warm-up: imports, GDAL's first open
            r = {"out": timings(render, z_out, view, max(1, 40 // len(view))),
                 "in": timings(render, 15, zoomed_in, 1),
                 "view1": open_view(path, z_out, view, 1),
                 "view2": open_view(path, z_out, view, 2)}
            results[name] = r
            print(f"\n{name}")
            print(f"  zoomed out (z={z_out}, {len(view)} tiles): {summary(r['out'])}")
            print(f"  zoomed in  (z=15):            {summary(r['in'])}")
            print(f"  first view, {len(view)} tiles: 1 thread {r['view1']:.2f} s, "
                  f"2 threads {r['view2']:.2f} s")
        base, cogr = results.values()
        ratio = statistics.median(base["out"]) / statistics.median(cogr["out"])
        print(f"\nzoomed-out tile, plain / COG (median): {ratio:.1f}x; first view "
              f"{base['view2'] / cogr['view2']:.1f}x")


def bench_workspace(root: Path) -> None:
    from fastapi.testclient import TestClient

    from ssckit.web.app import create_app

    tif = root / "outputs" / "radio" / "rsrp.tif"
    bounds = maptiles.raster_info(tif).bounds_lonlat
    z_out = fit_zoom(bounds)
    view = view_tiles(bounds, z_out)
    zoomed_in = inner_tiles(bounds, 16, 40)
    counter = iter(range(10**9))
    with TestClient(create_app(root), base_url="https://testserver") as client:
        def get(z: int, x: int, y: int) -> None:
            r = client.get(f"/radio/tiles/rsrp/{z}/{x}/{y}.png?n={next(counter)}")
            assert r.status_code == 200, r.text

        get(z_out, *view[0])
        out = timings(get, z_out, view, max(1, 40 // len(view)))
        inn = timings(get, 16, zoomed_in, 1)
    print(f"\nworkspace {root} (rsrp.tif, overviews "
          f"{maptiles.raster_info(tif).overviews or 'none'}), through the web app:")
    print(f"  zoomed out (z={z_out}, {len(view)} tiles): {summary(out)}")
    print(f"  zoomed in  (z=16):            {summary(inn)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2400, help="layer width in pixels")
    parser.add_argument("--workspace", type=Path, help="also time a workspace's tiles")
    args = parser.parse_args()
    bench_files(args.size)
    if args.workspace:
        bench_workspace(args.workspace)


if __name__ == "__main__":
    main()
