"""Terrain and clutter on the workspace grid, and terrain profiles extracted in bulk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
import rasterio.errors
from rasterio.warp import Resampling, reproject
from scipy.ndimage import map_coordinates

from ssckit.core.errors import InputError
from ssckit.core.geo import Grid

#: Plausible terrain heights [m]: below the Dead Sea shore (−430 m) to above Everest (8 849 m).
ELEVATION_RANGE_M = (-500.0, 9000.0)
#: Plausible representative clutter heights [m] (ITU-R P.1812-6 Table 2 gives 10 to 20 m).
CLUTTER_HEIGHT_RANGE_M = (0.0, 100.0)


def _reproject(src, path: Path, what: str, **kw) -> None:
    """``rasterio.warp.reproject`` of band 1 of ``src``; a file whose data cannot be decoded
    (corrupt or truncated compressed blocks) is one InputError naming it."""
    try:
        reproject(source=rasterio.band(src, 1), **kw)
    except rasterio.errors.RasterioError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(str(path), "data", f"the {what} cannot be decoded ({first}); the file "
                         "is corrupt or truncated: export it again (e.g. gdal_translate "
                         "from the original)") from None


def load_dem(path: str | Path, grid: Grid, max_missing: float = 0.0) -> np.ndarray:
    """Heights [m] of a DEM GeoTIFF (any CRS) resampled bilinearly onto ``grid``.

    A DEM without a CRS is refused; so is one that leaves more than ``max_missing`` (a share,
    0..1) of the grid without data — no height is ever invented outside the DEM —, one whose
    data cannot be decoded, and one with heights outside :data:`ELEVATION_RANGE_M` (data
    type, scale or nodata value wrong).
    """
    path = Path(path)
    try:
        src = rasterio.open(path)
    except rasterio.RasterioIOError as exc:
        raise InputError(str(path), None, f"not a readable GeoTIFF ({exc})") from None
    with src:
        if src.crs is None:
            raise InputError(str(path), "CRS", "the DEM has no CRS; a georeferenced GeoTIFF "
                             "(any CRS) is required")
        out = np.full(grid.shape, np.nan, dtype=np.float64)
        _reproject(src, path, "DEM", destination=out, src_nodata=src.nodata,
                   dst_transform=grid.transform, dst_crs=grid.crs.to_wkt(), dst_nodata=np.nan,
                   resampling=Resampling.bilinear)
    lo, hi = ELEVATION_RANGE_M
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(out) & ~((out >= lo) & (out <= hi))
    if bad.any():
        vals = out[bad]
        raise InputError(str(path), "elevations", f"{int(bad.sum())} grid cells have "
                         f"implausible heights ({np.min(vals):.4g} to {np.max(vals):.4g} m; "
                         f"plausible {lo:g}..{hi:g} m): check the file's data type, scale "
                         "and nodata value")
    missing = float(np.isnan(out).mean())
    if missing > max_missing:
        raise InputError(str(path), "extent", f"the DEM leaves {100 * missing:.1f} % of the "
                         f"workspace grid without heights; allowed {100 * max_missing:.1f} %")
    return out


#: Land-cover classes of a clutter raster and their default representative clutter heights R
#: [m], ITU-R P.1812-6 Annex 1 Table 2 (water/sea 10, open/rural 10, suburban 10,
#: urban/trees/forest 15, dense urban 20).
CLUTTER_CLASSES = {1: "water/sea", 2: "open/rural", 3: "suburban", 4: "urban/trees/forest",
                   5: "dense urban"}
P1812_CLUTTER_HEIGHTS_M = {1: 10.0, 2: 10.0, 3: 10.0, 4: 15.0, 5: 20.0}


def load_clutter(path: str | Path, grid: Grid,
                 heights: dict[int, float] | None = None) -> np.ndarray:
    """Representative clutter heights [m] on ``grid`` from a land-cover raster (class codes),
    resampled by nearest neighbour; ``heights`` maps each class code to a height [m].

    A class found in the raster but absent from ``heights`` is refused. The default mapping is
    :data:`P1812_CLUTTER_HEIGHTS_M` over the classes of :data:`CLUTTER_CLASSES`.
    """
    heights = P1812_CLUTTER_HEIGHTS_M if heights is None else heights
    path = Path(path)
    lo, hi = CLUTTER_HEIGHT_RANGE_M
    wrong = {k: h for k, h in heights.items() if not lo <= h <= hi}
    if wrong:
        k, h = next(iter(wrong.items()))
        raise InputError(str(path), f"clutter height of class {k}", f"{h:g} m is outside the "
                         f"plausible {lo:g}..{hi:g} m")
    try:
        src = rasterio.open(path)
    except rasterio.RasterioIOError as exc:
        raise InputError(str(path), None, f"not a readable GeoTIFF ({exc})") from None
    with src:
        if src.crs is None:
            raise InputError(str(path), "CRS", "the clutter raster has no CRS")
        out = np.full(grid.shape, -1, dtype=np.int32)
        _reproject(src, path, "clutter raster", destination=out, src_nodata=src.nodata,
                   dst_transform=grid.transform, dst_crs=grid.crs.to_wkt(), dst_nodata=-1,
                   resampling=Resampling.nearest)
    classes = set(np.unique(out).tolist()) - {-1}
    unknown = sorted(classes - set(heights))
    if unknown:
        raise InputError(str(path), "class codes", f"no clutter height given for class(es) "
                         f"{unknown}; known: {sorted(heights)}")
    lut = np.zeros(max(classes | set(heights) | {0}) + 1)
    for k, h in heights.items():
        lut[k] = h
    return np.where(out >= 0, lut[np.clip(out, 0, None)], 0.0)


def sample_bilinear(layer: np.ndarray, grid: Grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Values of ``layer`` at points (x, y) [m], bilinear between cell centres; NaN outside."""
    t = grid.transform   # north-up: no rotation terms
    col = (np.asarray(x, dtype=float) - t.c) / t.a
    row = (np.asarray(y, dtype=float) - t.f) / t.e
    r, c = row - 0.5, col - 0.5
    nr, nc = layer.shape
    outside = (r < -0.5) | (r > nr - 0.5) | (c < -0.5) | (c > nc - 0.5)
    r = np.clip(r, 0, nr - 1)   # the outer half-cells take the edge value
    c = np.clip(c, 0, nc - 1)
    out = map_coordinates(layer, [r.ravel(), c.ravel()], order=1, mode="nearest",
                          prefilter=False).reshape(r.shape)
    return np.where(outside, np.nan, out)


def radial_profiles(layer: np.ndarray, grid: Grid, x0: float, y0: float, n_radials: int,
                    step_m: float, length_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Profiles of ``layer`` along ``n_radials`` rays from (x0, y0), every ``step_m`` metres.

    Returns (azimuths [deg clockwise from north], values of shape (n_radials, n_steps + 1));
    column 0 is the origin. All rays are sampled in one vectorised call.
    """
    az = np.arange(n_radials) * (360.0 / n_radials)
    d = np.arange(int(np.floor(length_m / step_m)) + 1) * step_m
    rad = np.deg2rad(az)[:, None]
    x = x0 + np.sin(rad) * d[None, :]
    y = y0 + np.cos(rad) * d[None, :]
    return az, sample_bilinear(layer, grid, x, y)


def point_profiles(layer: np.ndarray, grid: Grid, x0: float, y0: float, x: np.ndarray,
                   y: np.ndarray, n_points: int) -> np.ndarray:
    """Straight-line profiles of ``layer`` from (x0, y0) to each point (x, y), each with
    ``n_points`` equally spaced samples (endpoints included): shape (len(x), n_points)."""
    t = np.linspace(0.0, 1.0, n_points)[None, :]
    px = x0 + (np.asarray(x, dtype=float)[:, None] - x0) * t
    py = y0 + (np.asarray(y, dtype=float)[:, None] - y0) * t
    return sample_bilinear(layer, grid, px, py)
