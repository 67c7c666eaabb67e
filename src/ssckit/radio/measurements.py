"""Drive-test measurements: import into radio's own table, predictions at the measured points,
and the stored calibration that later coverage runs apply."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.warp import Resampling, reproject

from ssckit.core.csvfile import read_csv_rows
from ssckit.core.errors import InputError
from ssckit.core.geo import Grid
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.radio.calibrate import calibration_report, distance_slope_report
from ssckit.radio.terrain import CLUTTER_CLASSES

#: RSRP reporting range [dBm], 3GPP TS 38.133 §10.1.6.1 (SS-RSRP report mapping).
RSRP_RANGE_DBM = (-156.0, -31.0)
#: SINR reporting range [dB], 3GPP TS 38.133 §10.1.16.1 (SS-SINR report mapping).
SINR_RANGE_DB = (-23.0, 40.0)
REQUIRED = ("lat", "lon", "rsrp_dbm")
OPTIONAL = ("time", "site", "sector", "pci", "band", "sinr_db")
CALIBRATION_FILE = "calibration.json"

MIGRATIONS: list[str] = [
    """
    CREATE TABLE radio_measurements (
        batch    VARCHAR NOT NULL,
        source   VARCHAR NOT NULL,
        line     INTEGER NOT NULL,
        lat      DOUBLE NOT NULL,
        lon      DOUBLE NOT NULL,
        rsrp_dbm DOUBLE NOT NULL,
        time     TIMESTAMP,
        site     VARCHAR,
        sector   VARCHAR,
        pci      INTEGER,
        band     VARCHAR,
        sinr_db  DOUBLE,
        imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    """,
]


@dataclass
class Measurements:
    """Measured points: WGS 84 positions [deg], RSRP [dBm], and the group (route/day) of each."""

    lat: np.ndarray
    lon: np.ndarray
    rsrp_dbm: np.ndarray
    group: np.ndarray
    site: np.ndarray
    sector: np.ndarray

    def __len__(self) -> int:
        return int(self.lat.size)


def read_measurements_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of a drive-test CSV (``lat, lon, rsrp_dbm`` required; ``time, site, sector, pci,
    band, sinr_db`` optional; WGS 84), checked: a value out of range is an InputError naming
    the file, line, field and the allowed range. ``time`` is ISO 8601."""
    rows = []
    for row in read_csv_rows(path, REQUIRED, OPTIONAL, allow_empty=False):
        t = None
        if row["time"]:
            try:
                t = datetime.fromisoformat(row["time"].replace("Z", "+00:00"))
            except ValueError:
                raise row.error("time", f"{row['time']!r} is not an ISO 8601 date-time "
                                        "(e.g. 2026-05-04T10:15:00)") from None
            if t.tzinfo is not None:
                t = t.astimezone(UTC).replace(tzinfo=None)   # stored in UTC
        sinr = row.number("sinr_db", *SINR_RANGE_DB) if row["sinr_db"] else None
        pci = int(row.number("pci", 0, 1007, integer=True)) if row["pci"] else None
        rows.append({"line": row.line, "lat": row.number("lat", -90.0, 90.0),
                     "lon": row.number("lon", -180.0, 180.0),
                     "rsrp_dbm": row.number("rsrp_dbm", *RSRP_RANGE_DBM),
                     "time": t, "site": row["site"] or None, "sector": row["sector"] or None,
                     "pci": pci, "band": row["band"] or None, "sinr_db": sinr})
    return rows


def migrate(store: Store) -> int:
    return store.migrate_module("radio", MIGRATIONS)


def _insert_rows(store: Store, batch: str, source: str, rows: list[dict[str, Any]]) -> None:
    with store.transaction() as cur:
        cur.executemany(
            "INSERT INTO radio_measurements (batch, source, line, lat, lon, rsrp_dbm, time, "
            "site, sector, pci, band, sinr_db) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[batch, source, r["line"], r["lat"], r["lon"], r["rsrp_dbm"], r["time"],
              r["site"], r["sector"], r["pci"], r["band"], r["sinr_db"]] for r in rows])


def import_measurements(store: Store, path: Path) -> tuple[str, int]:
    """Check every row of ``path`` then store them all in one transaction (nothing stored on
    error); return the batch id and the number of points."""
    rows = read_measurements_csv(path)
    migrate(store)
    batch = uuid.uuid4().hex[:12]
    _insert_rows(store, batch, path.name, rows)
    return batch, len(rows)


def import_measurements_once(store: Store, path: Path) -> tuple[str, int, bool]:
    """Import ``path`` unless the same content is already stored (its batch id is the first
    12 hex digits of the file's SHA-256); return the batch id, its number of points and
    whether it was stored now."""
    rows = read_measurements_csv(path)
    batch = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    migrate(store)
    with store.cursor() as cur:
        n = cur.execute("SELECT count(*) FROM radio_measurements WHERE batch = ?",
                        [batch]).fetchone()[0]
    if n:
        return batch, int(n), False
    _insert_rows(store, batch, path.name, rows)
    return batch, len(rows), True


def load_measurements(store: Store) -> Measurements:
    """Every stored measurement; its group is the date of ``time`` where given, else its
    import batch (one group per file)."""
    migrate(store)
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT lat, lon, rsrp_dbm, coalesce(strftime(time, '%Y-%m-%d'), 'file:' || batch),"
            " coalesce(site, ''), coalesce(sector, '') FROM radio_measurements "
            "ORDER BY batch, line").fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 6
    return Measurements(np.array(cols[0], float), np.array(cols[1], float),
                        np.array(cols[2], float), np.array(cols[3], dtype=object),
                        np.array(cols[4], dtype=object), np.array(cols[5], dtype=object))


def clutter_class_grid(path: Path, grid: Grid) -> np.ndarray:
    """Clutter class codes of a land-cover GeoTIFF on ``grid`` (nearest neighbour; −1 where
    the raster has no data)."""
    try:
        src = rasterio.open(path)
    except rasterio.RasterioIOError as exc:
        raise InputError(str(path), None, f"not a readable GeoTIFF ({exc})") from None
    with src:
        if src.crs is None:
            raise InputError(str(path), "CRS", "the clutter raster has no CRS")
        out = np.full(grid.shape, -1, dtype=np.int32)
        reproject(rasterio.band(src, 1), out, src_nodata=src.nodata, dst_nodata=-1,
                  dst_transform=grid.transform, dst_crs=grid.crs.to_wkt(),
                  resampling=Resampling.nearest)
    return out


def pixel_of(grid: Grid, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    """Row and column of each WGS 84 point on ``grid``, and whether it falls inside."""
    x, y = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True).transform(lon, lat)
    t = grid.transform
    col = np.floor((np.asarray(x) - t.c) / t.a).astype(int)
    row = np.floor((np.asarray(y) - t.f) / t.e).astype(int)
    rows, cols = grid.shape
    inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    return np.where(inside, row, 0), np.where(inside, col, 0), inside


def read_calibration(ws: Workspace) -> dict[str, Any] | None:
    """The stored calibration (``outputs/radio/calibration.json``), or None."""
    path = ws.output_dir / "radio" / CALIBRATION_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def offset_grid(ws: Workspace, grid: Grid) -> tuple[np.ndarray | None, dict[str, Any] | None]:
    """The per-pixel RSRP correction [dB] of the stored calibration on ``grid`` (each
    pixel's clutter class offset, 0 for a class not calibrated), and what was applied; (None,
    None) without a calibration or a clutter raster."""
    cal = read_calibration(ws)
    clutter = ws.input_path("radio", "clutter")
    if cal is None or clutter is None:
        return None, None
    classes = clutter_class_grid(clutter, grid)
    out = np.zeros(grid.shape, dtype=np.float32)
    offsets = {int(c["class"]): float(c["offset_db"]) for c in cal["by_clutter"]}
    for c, off in offsets.items():
        out[classes == c] = off
    applied = {"file": f"outputs/radio/{CALIBRATION_FILE}", "computed_at": cal.get("computed_at"),
               "n": cal["n"], "offsets_db": {str(c): o for c, o in offsets.items()}}
    return out, applied


def serving_distance_m(ws: Workspace, grid: Grid, row: np.ndarray, col: np.ndarray
                       ) -> np.ndarray:
    """Distance [m] from each pixel (row, col) of ``grid`` to the site of its serving sector
    in the last coverage run (``server.tif`` and ``sectors.csv``); NaN without a server."""
    from ssckit.radio.run import OUTPUT_DIR, read_layer

    server, _ = read_layer(ws, "server")
    table = ws.output_dir / OUTPUT_DIR / "sectors.csv"
    sx: dict[int, tuple[float, float]] = {}
    for r in read_csv_rows(table, ("index", "x", "y")):
        sx[int(r.number("index", 0, integer=True))] = (r.number("x"), r.number("y"))
    t = grid.transform
    px = t.c + (col + 0.5) * t.a
    py = t.f + (row + 0.5) * t.e
    out = np.full(row.shape, np.nan)
    for i, (r_, c_) in enumerate(zip(row, col, strict=True)):
        k = int(server[r_, c_]) if np.isfinite(server[r_, c_]) else -1
        if k in sx:
            out[i] = float(np.hypot(px[i] - sx[k][0], py[i] - sx[k][1]))
    return out


def calibrate_workspace(ws: Workspace, store: Store, folds: int = 5,
                        distance_slope: bool = False, write: bool = True) -> dict[str, Any]:
    """Compare the stored measurements with the last coverage run's best-server RSRP at the
    same points, fit an offset per clutter class, write ``outputs/radio/calibration.json``
    (unless ``write`` is False: figures only, nothing applied) and return its document.
    The prediction is taken without any calibration that run applied, so calibrating twice
    gives the same offsets."""
    from ssckit.radio.io import write_summary
    from ssckit.radio.run import OUTPUT_DIR, read_layer

    if not 2 <= folds <= 100:
        raise InputError("command line", "option --folds", f"{folds} is outside 2..100")
    meas = load_measurements(store)
    if len(meas) == 0:
        raise InputError("radio_measurements", None, "no measurements stored; run `ssckit "
                         "radio measurements import FILE.csv`")
    rsrp, grid = read_layer(ws, "rsrp")
    clutter = ws.input_path("radio", "clutter")
    if clutter is None:
        raise InputError(str(ws.path("city.yaml")), "field 'inputs.radio.clutter'",
                         "calibration per clutter class needs a clutter raster")
    classes_grid = clutter_class_grid(clutter, grid)
    r, c, inside = pixel_of(grid, meas.lat, meas.lon)
    pred = np.where(inside, rsrp[r, c], np.nan).astype(float)
    cls = np.where(inside, classes_grid[r, c], -1)
    summary_path = ws.output_dir / OUTPUT_DIR / "coverage.json"
    applied = {}
    if summary_path.is_file():
        applied = (json.loads(summary_path.read_text(encoding="utf-8")).get("calibration")
                   or {}).get("offsets_db", {})
    for k, off in applied.items():
        pred[cls == int(k)] -= off
    use = inside & np.isfinite(pred) & (cls >= 0)
    if use.sum() < 2:
        raise InputError("radio_measurements", None,
                         f"only {int(use.sum())} measured point(s) fall on predicted pixels of "
                         "the coverage grid; at least 2 are needed")
    _, doc = calibration_report(meas.rsrp_dbm[use], pred[use], cls[use], meas.group[use],
                                folds, class_names=CLUTTER_CLASSES)
    if distance_slope:
        d = serving_distance_m(ws, grid, r[use], c[use])
        ok = np.isfinite(d)
        doc["distance_slope"] = {
            **distance_slope_report(meas.rsrp_dbm[use][ok], pred[use][ok], cls[use][ok],
                                    meas.group[use][ok], d[ok], folds),
            "n": int(ok.sum()),
            "applied": False}
    named = bool(np.any(meas.sector[use] != "") or np.any(meas.site[use] != ""))
    doc["prediction"] = "best server"
    doc["notes"] = []
    if named:
        doc["notes"].append("points name their site/sector, but the coverage run keeps no "
                            "per-sector layer: compared with the best server")
    if (~use).sum():
        doc["notes"].append(f"{int((~use).sum())} point(s) outside the grid or without "
                            "prediction left out")
    doc["computed_at"] = datetime.now().isoformat(timespec="seconds")
    if write:
        write_summary(ws.output_dir / OUTPUT_DIR / CALIBRATION_FILE, doc)
    return doc
