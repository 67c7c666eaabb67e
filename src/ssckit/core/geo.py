"""Grid: a raster on a projected CRS, with the population layer and zonal sums over polygons."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.features import rasterize
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from ssckit.core.errors import InputError


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: ``shape`` (rows, cols), affine ``transform``, projected ``crs``."""

    shape: tuple[int, int]
    transform: Affine
    crs: CRS

    @classmethod
    def from_bounds(cls, xmin: float, ymin: float, xmax: float, ymax: float, res: float,
                    crs: str | CRS) -> Grid:
        """A grid covering the bounds [m] at resolution ``res`` [m]."""
        cols = int(round((xmax - xmin) / res))
        rows = int(round((ymax - ymin) / res))
        return cls((rows, cols), Affine(res, 0, xmin, 0, -res, ymax), CRS.from_user_input(crs))

    @property
    def res(self) -> float:
        return float(self.transform.a)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        rows, cols = self.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (cols, rows)
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y [m] of every cell centre, each of shape ``self.shape``."""
        rows, cols = self.shape
        c, r = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
        x = self.transform.c + c * self.transform.a
        y = self.transform.f + r * self.transform.e
        return x, y

    def mask(self, geom: BaseGeometry) -> np.ndarray:
        """Boolean mask of the cells whose centre lies in ``geom``."""
        return rasterize([(mapping(geom), 1)], out_shape=self.shape, transform=self.transform,
                         fill=0, dtype="uint8").astype(bool)

    def labels(self, geoms: list[BaseGeometry]) -> np.ndarray:
        """Cell labels: ``i + 1`` for cells in ``geoms[i]``, 0 elsewhere."""
        return rasterize([(mapping(g), i + 1) for i, g in enumerate(geoms)],
                         out_shape=self.shape, transform=self.transform, fill=0, dtype="int32")


def read_raster(path: str | Path, band: int = 1) -> tuple[np.ndarray, Grid, float | None]:
    """One band of a GeoTIFF: (data as float64, its grid, nodata). Refuses a file with no CRS."""
    path = Path(path)
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError(str(path), "CRS", "the raster has no CRS; a georeferenced "
                                 "GeoTIFF is required")
            data = src.read(band).astype(np.float64)
            grid = Grid(src.shape, src.transform, CRS.from_user_input(src.crs.to_wkt()))
            return data, grid, src.nodata
    except rasterio.RasterioIOError as exc:
        raise InputError(str(path), None, f"not a readable raster ({exc})") from None


def write_raster(path: str | Path, data: np.ndarray, grid: Grid, nodata: float | None = None,
                 description: str | None = None) -> Path:
    """Write a single-band GeoTIFF (deflate-compressed, tiled), atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    profile: dict[str, Any] = dict(
        driver="GTiff", height=grid.shape[0], width=grid.shape[1], count=1, dtype=data.dtype,
        crs=grid.crs.to_wkt(), transform=grid.transform, compress="deflate", nodata=nodata,
    )
    if grid.shape[0] >= 256 and grid.shape[1] >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data, 1)
        if description:
            dst.set_band_description(1, description)
    tmp.replace(path)
    return path


def read_polygons(path: str | Path, name_field: str | None = None
                  ) -> list[tuple[str, BaseGeometry]]:
    """Read polygon features of a GeoJSON file as (name, geometry) pairs.

    Coordinates are taken as they are (in the workspace CRS); a feature without a polygon
    geometry, or without ``name_field`` when one is asked for, is refused.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(str(path), None, f"not a readable GeoJSON file ({exc})") from None
    features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    out = []
    for i, feat in enumerate(features or []):
        geom_json = feat.get("geometry") if feat.get("type") == "Feature" else feat
        try:
            geom = shape(geom_json)
        except Exception as exc:  # noqa: BLE001 - shapely raises several kinds
            raise InputError(str(path), f"feature {i}", f"invalid geometry ({exc})") from None
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(str(path), f"feature {i}",
                             f"{geom.geom_type} found; Polygon or MultiPolygon required")
        props = feat.get("properties") or {}
        if name_field and not props.get(name_field):
            raise InputError(str(path), f"feature {i}, property '{name_field}'", "missing")
        out.append((str(props.get(name_field, f"feature {i}")) if name_field else str(i), geom))
    if not out:
        raise InputError(str(path), None, "no polygon features")
    return out


def write_polygons(path: str | Path, features: list[tuple[dict[str, Any], BaseGeometry]],
                   crs: CRS) -> Path:
    """Write polygons with properties as a GeoJSON FeatureCollection in the given CRS.

    The CRS is recorded with the (RFC 7946-deprecated but GDAL-read) ``crs`` member, since the
    workspace keeps its geometry in a projected CRS.
    """
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": crs.to_string()}},
        "features": [{"type": "Feature", "properties": p, "geometry": mapping(g)}
                     for p, g in features],
    }
    path = Path(path)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def zonal_sums(values: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Sum of ``values`` over each label 1..n (NaN counts as 0): array of length n."""
    v = np.nan_to_num(values, nan=0.0).ravel()
    return np.bincount(labels.ravel(), weights=v, minlength=n + 1)[1:n + 1]
