"""Coverage layers streamed tile by tile into Cloud-Optimized GeoTIFFs (real files, GDAL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from numpy.testing import assert_array_equal

from ssckit.core.geo import Grid
from ssckit.radio.coverage import TileMaps, TileStats, tile_windows
from ssckit.radio.io import COG_BLOCK, CogWriter


def _tile(window, rng) -> TileMaps:
    r0, r1, c0, c1 = window
    shape = (r1 - r0, c1 - c0)
    rsrp = rng.uniform(-130, -60, shape).astype(np.float32)
    rsrp[0, 0] = np.nan
    server = rng.integers(0, 40, shape).astype(np.int16)
    server[0, 0] = -1
    return TileMaps(window, rsrp, rsrp + 100, server, rsrp + 200, rsrp > -100,
                    np.zeros((1, *shape)), TileStats())


def test_tiles_in_any_order_make_cloud_optimized_geotiffs(tmp_path: Path):
    grid = Grid.from_bounds(500_000, 6_000_000, 500_000 + 700 * 25, 6_000_000 + 600 * 25, 25,
                            "EPSG:32635")
    rng = np.random.default_rng(3)
    windows = tile_windows(grid.shape, 77)          # not aligned with the 256-pixel blocks
    tiles = [_tile(w, rng) for w in windows]
    writer = CogWriter(tmp_path, grid)
    for i in rng.permutation(len(tiles)):
        writer(tiles[i])
    paths = writer.close()
    assert set(paths) == {f"{n}.tif" for n in ("rsrp", "sinr", "server", "throughput",
                                               "covered")}
    assert not list(tmp_path.glob(".tiles-*"))       # working files removed
    full = np.full(grid.shape, np.nan, np.float32)
    for t in tiles:
        r0, r1, c0, c1 = t.window
        full[r0:r1, c0:c1] = t.rsrp_dbm
    with rasterio.open(paths["rsrp.tif"]) as src:
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert src.profile["tiled"] and src.block_shapes[0] == (COG_BLOCK, COG_BLOCK)
        assert src.compression.name.lower() == "deflate"
        assert src.overviews(1)                          # at least one overview level
        assert np.isnan(src.nodata) and src.crs.to_epsg() == 32635
        assert src.transform == grid.transform
        assert_array_equal(src.read(1), full)
    with rasterio.open(paths["server.tif"]) as src:
        assert src.nodata == -1 and src.dtypes[0] == "int16"
        assert (src.read(1)[[t.window[0] for t in tiles], [t.window[2] for t in tiles]]
                == -1).all()
    with rasterio.open(paths["covered.tif"]) as src:
        assert src.nodata == 255 and set(np.unique(src.read(1))) <= {0, 1}
