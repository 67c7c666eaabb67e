"""Writing coverage results: GeoTIFF layers, PNG maps and the sector table."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from ssckit.core.geo import Grid, write_raster
from ssckit.radio.coverage import CoverageMaps
from ssckit.radio.sites import Sectors

#: Layer name -> (title, unit, colormap, value range) for maps.
LAYERS: dict[str, tuple[str, str, str, tuple[float, float]]] = {
    "rsrp": ("Best-server RSRP", "dBm", "viridis", (-130.0, -60.0)),
    "sinr": ("SINR at full load", "dB", "RdYlGn", (-10.0, 30.0)),
    "server": ("Serving sector", "index", "tab20", (0.0, 19.0)),
    "throughput": ("Downlink throughput estimate", "Mbit/s", "magma", (0.0, 2000.0)),
}


def layer_arrays(maps: CoverageMaps) -> dict[str, np.ndarray]:
    return {"rsrp": maps.rsrp_dbm, "sinr": maps.sinr_db, "server": maps.server,
            "throughput": maps.throughput_mbps}


def write_layers(out_dir: Path, maps: CoverageMaps, grid: Grid, sectors: Sectors,
                 boundary=None, synthetic: bool = False) -> dict[str, Path]:
    """Write every layer as GeoTIFF and PNG into ``out_dir`` (files replaced atomically)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, data in layer_arrays(maps).items():
        title, unit, _, _ = LAYERS[name]
        nodata = -1 if name == "server" else None
        paths[f"{name}.tif"] = write_raster(out_dir / f"{name}.tif", data, grid, nodata=nodata,
                                            description=f"{title} [{unit}]")
        paths[f"{name}.png"] = write_png(out_dir / f"{name}.png", name, data, grid, sectors,
                                         boundary, synthetic)
    with open(out_dir / "sectors.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["index", "site", "sector", "x", "y", "azimuth_deg", "freq_mhz"])
        for i in range(len(sectors)):
            w.writerow([i, sectors.site[i], sectors.sector[i], round(float(sectors.x[i]), 1),
                        round(float(sectors.y[i]), 1), sectors.azimuth_deg[i],
                        sectors.freq_mhz[i]])
    paths["sectors.csv"] = out_dir / "sectors.csv"
    return paths


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
