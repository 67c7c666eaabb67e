"""Write the sample-city workspace: the town (terrain, population, boundary, districts, land
cover), then every module's sample inputs (its face's ``sample``), then city.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shapely.geometry import mapping

from ssckit.core import progress
from ssckit.core.geo import write_polygons, write_raster
from ssckit.core.modules import faces, load_ref
from ssckit.core.sample import SampleCity, SampleInputs
from ssckit.core.workspace import CONFIG_NAME, CityConfig, write_config
from ssckit.demo.city import make_sample_city

CITY_NAME = "Riverbend"
YEARS = (2025, 2026)


def write_sample_city(root: Path, seed: int = 7) -> CityConfig:
    """Write a complete synthetic workspace into ``root``; return its configuration."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    town = make_sample_city(seed)
    write_raster(root / "dem.tif", town.dem, town.grid, description="elevation [m] (synthetic)")
    write_raster(root / "population.tif", town.population, town.grid, nodata=None,
                 description="inhabitants per cell (synthetic)")
    write_polygons(root / "boundary.geojson", [({"name": CITY_NAME}, town.boundary)],
                   town.grid.crs)
    write_polygons(root / "districts.geojson",
                   [({"name": n}, g) for n, g in town.districts], town.grid.crs)
    (root / "river.geojson").write_text(json.dumps(
        {"type": "Feature", "properties": {"name": "river"}, "geometry": mapping(town.river)}),
        encoding="utf-8")

    city = SampleCity(root=root, name=CITY_NAME, years=YEARS, seed=seed, town=town)
    inputs: dict[str, dict[str, str]] = {}
    settings: dict[str, dict[str, Any]] = {}
    extra: dict[str, Any] = {}
    for face in progress.track([f for f in faces() if f.sample], "sample city: inputs"):
        part: SampleInputs = load_ref(face.sample)(city)
        if part.inputs:
            inputs[face.name] = dict(part.inputs)
        if part.settings:
            settings[face.name] = dict(part.settings)
        extra.update(part.config)

    config = CityConfig.model_validate({
        "name": CITY_NAME, "country": "Sampleland (synthetic)", "year": YEARS[-1],
        "crs": town.grid.crs.to_string(), "boundary": "boundary.geojson",
        "population": "population.tif", "districts": "districts.geojson", "dem": "dem.tif",
        "synthetic": True, "inputs": inputs, "settings": settings, **extra,
    })
    write_config(root, config)
    return config


def is_sample_workspace(root: Path) -> bool:
    """True when ``root`` is empty, absent, or already a synthetic sample workspace."""
    root = Path(root)
    if not root.exists() or not any(root.iterdir()):
        return True
    cfg = root / CONFIG_NAME
    return cfg.is_file() and "synthetic: true" in cfg.read_text(encoding="utf-8")
