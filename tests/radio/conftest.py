"""Fixtures of the radio tests."""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

SMALL_CITY_CRS = "EPSG:32635"


@pytest.fixture(scope="session")
def reference_bt_loss() -> Callable[..., float]:
    """``reference_bt_loss`` of ``p1812_reference.py``, the plain NumPy coding of ITU-R P.1812
    that the Numba kernels are checked against (a test oracle, kept out of the package)."""
    path = Path(__file__).with_name("p1812_reference.py")
    spec = importlib.util.spec_from_file_location("p1812_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_bt_loss


@pytest.fixture
def small_city(tmp_path: Path) -> Path:
    """A 2 km x 2 km workspace: flat population and DEM, one three-sector site."""
    from pyproj import Transformer
    from shapely.geometry import box

    from ssckit.core.geo import Grid, write_polygons, write_raster

    grid = Grid.from_bounds(500_000, 5_970_000, 502_000, 5_972_000, 100, SMALL_CITY_CRS)
    write_raster(tmp_path / "population.tif", np.full(grid.shape, 5.0, np.float32), grid)
    write_raster(tmp_path / "dem.tif", np.full(grid.shape, 120.0, np.float32), grid)
    write_polygons(tmp_path / "boundary.geojson", [({"name": "Test"},
                                                    box(*grid.bounds).buffer(-100))], grid.crs)
    to_ll = Transformer.from_crs(SMALL_CITY_CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(501_000, 5_971_000)
    with open(tmp_path / "sites.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["site", "sector", "lat", "lon", "height_m", "azimuth_deg", "freq_mhz",
                    "bandwidth_mhz", "tx_power_dbm"])
        for s, az in enumerate((0, 120, 240)):
            w.writerow(["A", s + 1, f"{lat:.6f}", f"{lon:.6f}", 30, az, 3500, 100, 49])
    config = {"name": "Small test city", "country": "LT", "year": 2026, "crs": SMALL_CITY_CRS,
              "boundary": "boundary.geojson", "population": "population.tif",
              "dem": "dem.tif", "inputs": {"radio": {"sites": "sites.csv"}}}
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(config))
    return tmp_path
