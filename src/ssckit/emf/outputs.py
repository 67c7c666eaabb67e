"""The files of an EMF compliance run: per-site CSV, HTML report, exposure maps (GeoTIFF, PNG)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np

from ssckit.core.geo import Grid, read_polygons, write_raster
from ssckit.core.workspace import Workspace
from ssckit.emf.report import render_report
from ssckit.emf.run import OUTPUT_DIR, EmfRun


def write_outputs(run: EmfRun, ws: Workspace) -> dict[str, Path]:
    """Per-site CSV and HTML report, exposure maps (GeoTIFF + PNG). Files are written to a
    temporary folder and moved in place together, so a failure leaves the old report intact."""
    final = ws.output_dir / OUTPUT_DIR
    tmp = ws.output_dir / (OUTPUT_DIR + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    names = [run.limit_set.name, *[n for s in run.sites[:1] for n in s.by_limit_set
                                   if n != run.limit_set.name]]
    with open(tmp / "sites.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["site", "sectors", "eirp_w", "installation_class", "boresight_m", "front_m",
                    "back_m", "side_m", "above_m", "below_m", "worst_place", "worst_ter",
                    "margin_db", "percent_of_limit", "compliant"]
                   + [f"compliant_{n}" for n in names[1:]])
        for s in run.sites:
            w.writerow([s.site, s.sectors, round(s.eirp_w, 1), s.installation_class,
                        *[round(s.zone[k], 2) for k in ("boresight_m", "front_m", "back_m",
                                                        "side_m", "above_m", "below_m")],
                        s.worst_place, f"{s.worst_ter:.6g}", round(s.margin_db, 2),
                        round(100 * s.worst_ter, 3), s.compliant]
                       + [s.by_limit_set[n]["compliant"] for n in names[1:]])
    boundary = None
    if run.grid is not None:
        from shapely.ops import unary_union

        boundary = unary_union([g for _, g in read_polygons(ws.path(ws.config.boundary))])
        for h, ter in run.ter_maps.items():
            stem = f"ter_{h:g}m"
            write_raster(tmp / f"{stem}.tif", ter, run.grid,
                         description=f"total exposure ratio at {h:g} m, {run.limit_set.name}")
            write_map_png(tmp / f"{stem}.png", ter, run.grid, run, boundary, ws.config.synthetic)
    (tmp / "report.html").write_text(render_report(run, ws), encoding="utf-8")
    if (final / "tradeoff").is_dir():      # `ssckit emf tradeoff` runs are kept
        (final / "tradeoff").rename(tmp / "tradeoff")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return {p.name: p for p in final.iterdir()}


def write_map_png(path: Path, ter: np.ndarray, grid: Grid, run: EmfRun, boundary,
                  synthetic: bool) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    xmin, ymin, xmax, ymax = grid.bounds
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    img = ax.imshow(np.clip(100 * ter, 1e-4, None), extent=(xmin, xmax, ymin, ymax),
                    cmap="YlOrRd", norm=LogNorm(vmin=1e-3, vmax=100), interpolation="nearest")
    fig.colorbar(img, ax=ax, label=f"exposure, % of the {run.limit_set.name} limit", shrink=0.8)
    if boundary is not None:
        for geom in getattr(boundary, "geoms", [boundary]):
            bx, by = geom.exterior.xy
            ax.plot(bx, by, color="black", lw=0.8)
    ok = {s.site: s.compliant for s in run.sites}
    first = {}
    for i, s in enumerate(run.sectors.site):
        first.setdefault(s, i)
    xs = np.array([run.sectors.x[i] for i in first.values()])
    ys = np.array([run.sectors.y[i] for i in first.values()])
    colours = ["#009E73" if ok[s] else "#D55E00" for s in first]
    ax.scatter(xs, ys, s=28, c=colours, edgecolors="black", linewidths=0.6, zorder=3)
    ax.set_title("Total exposure ratio" + (" (synthetic sample data)" if synthetic else ""))
    ax.set_xlabel("easting [m]")
    ax.set_ylabel("northing [m]")
    ax.ticklabel_format(style="plain", useOffset=False)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
