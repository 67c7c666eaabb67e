"""Writing coverage results: Cloud-Optimized GeoTIFF layers (streamed tile by tile), PNG maps and
the sector table."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ssckit.core.geo import Grid
from ssckit.radio.coverage import CoverageMaps, TileMaps
from ssckit.radio.sites import Sectors

#: Layer name -> (title, unit, colormap, value range) for maps.
LAYERS: dict[str, tuple[str, str, str, tuple[float, float]]] = {
    "rsrp": ("Best-server RSRP", "dBm", "viridis", (-130.0, -60.0)),
    "sinr": ("SINR at full load", "dB", "RdYlGn", (-10.0, 30.0)),
    "server": ("Serving sector", "index", "tab20", (0.0, 19.0)),
    "throughput": ("Downlink throughput estimate", "Mbit/s", "magma", (0.0, 2000.0)),
    "covered": ("Covered (RSRP and SINR at or above the thresholds)", "1 = yes", "Greens",
                (0.0, 1.0)),
}
#: The layers drawn as PNG maps as well.
PNG_LAYERS = ("rsrp", "sinr", "server", "throughput")
#: Data type, nodata value and overview resampling of each GeoTIFF layer.
LAYER_FORMAT: dict[str, tuple[str, float, str]] = {
    "rsrp": ("float32", float("nan"), "AVERAGE"),
    "sinr": ("float32", float("nan"), "AVERAGE"),
    "server": ("int16", -1, "NEAREST"),
    "throughput": ("float32", float("nan"), "AVERAGE"),
    "covered": ("uint8", 255, "MODE"),
}
#: Internal tile edge of the Cloud-Optimized GeoTIFFs [pixels].
COG_BLOCK = 256


def layer_arrays(maps: CoverageMaps | TileMaps) -> dict[str, np.ndarray]:
    return {"rsrp": maps.rsrp_dbm, "sinr": maps.sinr_db, "server": maps.server,
            "throughput": maps.throughput_mbps, "covered": maps.covered.astype(np.uint8)}


class CogWriter:
    """The coverage layers written tile by tile, then published as Cloud-Optimized GeoTIFFs.

    Each tile (:class:`ssckit.radio.coverage.TileMaps`) goes into a tiled, uncompressed
    working GeoTIFF per layer (window writes, in any order; memory bounded by the tile);
    :meth:`close` turns each into a deflate-compressed COG with internal tiles of
    :data:`COG_BLOCK` pixels and overviews (GDAL's COG driver: averaged for the measured
    layers, nearest for the serving sector, mode for ``covered``), in the grid's own CRS,
    with nodata set (NaN; -1 for ``server``; 255 for ``covered``), and moves it into place
    atomically. Call it as the ``sink`` of :func:`ssckit.radio.coverage.coverage_maps`.
    """

    def __init__(self, out_dir: Path, grid: Grid, layers: tuple[str, ...] = tuple(LAYERS)):
        import rasterio

        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix=".tiles-", dir=self.out_dir))
        self.grid = grid
        self.layers = layers
        self.dst = {}
        for name in layers:
            dtype, nodata, _ = LAYER_FORMAT[name]
            self.dst[name] = rasterio.open(
                self.work / f"{name}.tif", "w", driver="GTiff", height=grid.shape[0],
                width=grid.shape[1], count=1, dtype=dtype, crs=grid.crs.to_wkt(),
                transform=grid.transform, nodata=nodata, tiled=True, blockxsize=COG_BLOCK,
                blockysize=COG_BLOCK, BIGTIFF="IF_SAFER", SPARSE_OK=True)

    def __call__(self, tile: TileMaps) -> None:
        from rasterio.windows import Window

        r0, r1, c0, c1 = tile.window
        win = Window(c0, r0, c1 - c0, r1 - r0)
        arrays = layer_arrays(tile)
        for name in self.layers:
            self.dst[name].write(arrays[name].astype(LAYER_FORMAT[name][0]), 1, window=win)

    def close(self) -> dict[str, Path]:
        """Publish every layer as ``<name>.tif`` in ``out_dir``; return their paths."""
        import rasterio
        from rasterio.shutil import copy as rio_copy

        paths = {}
        try:
            for name in self.layers:
                self.dst[name].close()
            for name in self.layers:
                title, unit, _, _ = LAYERS[name]
                src = self.work / f"{name}.tif"
                with rasterio.open(src, "r+") as ds:
                    ds.set_band_description(1, f"{title} [{unit}]")
                final = self.out_dir / f"{name}.tif"
                part = self.work / f"{name}.cog.tif"
                pred = "3" if LAYER_FORMAT[name][0] == "float32" else "2"
                rio_copy(src, part, driver="COG", COMPRESS="DEFLATE", PREDICTOR=pred,
                         BLOCKSIZE=COG_BLOCK, OVERVIEWS="IGNORE_EXISTING",
                         RESAMPLING=LAYER_FORMAT[name][2], NUM_THREADS="ALL_CPUS",
                         BIGTIFF="IF_SAFER")
                part.replace(final)
                paths[f"{name}.tif"] = final
        finally:
            for d in self.dst.values():
                if not d.closed:
                    d.close()
            shutil.rmtree(self.work, ignore_errors=True)
        return paths

    def abort(self) -> None:
        """Drop the working files (a failed run leaves the previous layers in place)."""
        for d in self.dst.values():
            if not d.closed:
                d.close()
        shutil.rmtree(self.work, ignore_errors=True)


def write_layers(out_dir: Path, maps: CoverageMaps, grid: Grid, sectors: Sectors,
                 boundary=None, synthetic: bool = False, geotiff: bool = True
                 ) -> dict[str, Path]:
    """Write every layer as COG GeoTIFF (unless ``geotiff`` is False: already streamed by a
    :class:`CogWriter`) and PNG into ``out_dir``, and the sector table (files replaced
    atomically)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    arrays = layer_arrays(maps)
    if geotiff:
        writer = CogWriter(out_dir, grid)
        try:
            rows, cols = grid.shape
            writer(_WholeGrid((0, rows, 0, cols), maps))
        except BaseException:
            writer.abort()
            raise
        paths.update(writer.close())
    for name in PNG_LAYERS:
        paths[f"{name}.png"] = write_png(out_dir / f"{name}.png", name, arrays[name], grid,
                                         sectors, boundary, synthetic)
    with open(out_dir / "sectors.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["index", "site", "sector", "x", "y", "azimuth_deg", "freq_mhz"])
        for i in range(len(sectors)):
            w.writerow([i, sectors.site[i], sectors.sector[i], round(float(sectors.x[i]), 1),
                        round(float(sectors.y[i]), 1), sectors.azimuth_deg[i],
                        sectors.freq_mhz[i]])
    paths["sectors.csv"] = out_dir / "sectors.csv"
    return paths


@dataclass
class _WholeGrid:
    """Whole-grid maps in the shape of a tile, for :class:`CogWriter`."""

    window: tuple[int, int, int, int]
    maps: CoverageMaps

    def __getattr__(self, name: str):
        return getattr(self.maps, name)


def write_png(path: Path, name: str, data: np.ndarray, grid: Grid, sectors: Sectors,
              boundary=None, synthetic: bool = False) -> Path:
    """A map of one layer with a colour bar, the sites and the city boundary.

    Drawn on a bare matplotlib ``Figure`` with the Agg canvas and fixed margins (no pyplot,
    no layout pass: both cost more than the drawing itself).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Wedge

    title, unit, cmap, (vmin, vmax) = LAYERS[name]
    xmin, ymin, xmax, ymax = grid.bounds
    fig = Figure(figsize=(7, 6), dpi=110)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.155, right=0.97, bottom=0.085, top=0.935)
    ax = fig.add_subplot()
    if name == "server":
        # 20 qualitative colours, repeated: neighbouring cells differ; the ids are in the
        # GeoTIFF and sectors.csv, so no colour bar.
        data = np.where(data >= 0, np.mod(data, 20), np.nan)
    img = ax.imshow(data, extent=(xmin, xmax, ymin, ymax), cmap=cmap, vmin=vmin, vmax=vmax,
                    interpolation="nearest")
    if name != "server":
        fig.colorbar(img, ax=ax, label=f"{title} [{unit}]", shrink=0.8)
    if boundary is not None:
        for geom in getattr(boundary, "geoms", [boundary]):
            bx, by = geom.exterior.xy
            ax.plot(bx, by, color="white", lw=1.2)
            ax.plot(bx, by, color="black", lw=0.6)
    radius = 0.025 * (xmax - xmin)
    for x, y, az in zip(sectors.x, sectors.y, sectors.azimuth_deg, strict=True):
        theta = 90.0 - az          # matplotlib counts degrees counter-clockwise from east
        ax.add_patch(Wedge((x, y), radius, theta - 30, theta + 30, facecolor="white",
                           edgecolor="black", linewidth=0.5, alpha=0.85, zorder=3))
    ax.scatter(sectors.x, sectors.y, s=8, c="black", zorder=4)
    ax.set_title(title + (" (synthetic sample data)" if synthetic else ""))
    ax.set_xlabel("easting [m]")
    ax.set_ylabel("northing [m]")
    ax.ticklabel_format(style="plain", useOffset=False)
    tmp = path.with_name(path.name + ".part")
    fig.savefig(tmp, format="png")
    tmp.replace(path)
    return path


def write_summary(path: Path, summary: dict[str, Any]) -> Path:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path
