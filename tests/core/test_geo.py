"""Grid, raster I/O and zonal sums."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from numpy.testing import assert_allclose
from shapely.geometry import box

from ssckit.core.errors import InputError
from ssckit.core.geo import (
    Grid,
    read_polygons,
    read_raster,
    write_polygons,
    write_raster,
    zonal_sums,
)


def test_grid_geometry():
    g = Grid.from_bounds(1000, 2000, 2000, 2500, 50, "EPSG:32637")
    assert g.shape == (10, 20) and g.res == 50
    assert g.bounds == (1000, 2000, 2000, 2500)
    x, y = g.cell_centres()
    assert (x[0, 0], y[0, 0]) == (1025, 2475)


def test_masks_and_zonal_sums():
    g = Grid.from_bounds(0, 0, 100, 100, 10, "EPSG:32637")
    left, right = box(0, 0, 50, 100), box(50, 0, 100, 100)
    labels = g.labels([left, right])
    assert (labels == 1).sum() == 50 and (labels == 2).sum() == 50
    ones = np.ones(g.shape)
    assert_allclose(zonal_sums(ones, labels, 2), [50, 50])
    assert g.mask(box(0, 0, 30, 30)).sum() == 9


def test_raster_roundtrip(tmp_path: Path):
    g = Grid.from_bounds(0, 0, 300, 200, 10, "EPSG:32637")
    data = np.arange(600, dtype=np.float32).reshape(g.shape)
    write_raster(tmp_path / "r.tif", data, g, nodata=-1)
    back, g2, nodata = read_raster(tmp_path / "r.tif")
    assert_allclose(back, data)
    assert g2.shape == g.shape and g2.transform == g.transform and g2.crs == g.crs
    assert nodata == -1
    assert not list(tmp_path.glob("*.part"))


def test_raster_without_crs_is_refused(tmp_path: Path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       transform=Affine(1, 0, 0, 0, -1, 4)) as dst:
        dst.write(np.zeros((4, 4), np.float32), 1)
    with pytest.raises(InputError, match="no CRS"):
        read_raster(path)


def test_polygons_roundtrip_and_errors(tmp_path: Path):
    g = Grid.from_bounds(0, 0, 10, 10, 1, "EPSG:32637")
    write_polygons(tmp_path / "p.geojson", [({"name": "A"}, box(0, 0, 5, 5))], g.crs)
    (name, geom), = read_polygons(tmp_path / "p.geojson", "name")
    assert name == "A" and geom.area == 25
    with pytest.raises(InputError, match="property 'label'"):
        read_polygons(tmp_path / "p.geojson", "label")
    (tmp_path / "pt.geojson").write_text(
        '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}')
    with pytest.raises(InputError, match="Point found"):
        read_polygons(tmp_path / "pt.geojson")
