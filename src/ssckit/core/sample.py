"""The synthetic sample city as the modules see it while the demo writes it.

``ssckit demo`` makes the town (terrain, population, boundary, districts, land cover), then asks
every module's face (``sample``) for the inputs it adds: each writes its files into
:attr:`SampleCity.root` and returns a :class:`SampleInputs` that the demo merges into city.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from ssckit.core.geo import Grid


@dataclass(frozen=True)
class SampleTown:
    """The town itself: rasters on ``grid`` and its polygons (all synthetic)."""

    grid: Grid
    dem: np.ndarray            # [m] above sea level
    population: np.ndarray     # inhabitants per cell
    boundary: Polygon
    districts: list[tuple[str, BaseGeometry]]
    river: LineString
    clutter: np.ndarray        # land-cover class, ITU-R P.1812 Table 2 (ssckit.radio.terrain)


@dataclass(frozen=True)
class SampleCity:
    """What a module's sample writer gets: where to write, the town, its name, year and seed."""

    root: Path
    name: str
    years: tuple[int, ...]
    seed: int
    town: SampleTown

    @property
    def crs(self) -> str:
        return self.town.grid.crs.to_string()

    @property
    def centre_xy(self) -> tuple[float, float]:
        c = self.town.boundary.centroid
        return (c.x, c.y)

    @property
    def district_names(self) -> list[str]:
        return [n for n, _ in self.town.districts]


@dataclass
class SampleInputs:
    """What a module adds to the sample city's city.yaml.

    inputs: ``inputs.<module>`` (input name -> file, relative to the workspace);
    settings: ``settings.<module>``;
    config: other top-level fields of city.yaml (e.g. ``kpi``), merged key by key.
    """

    inputs: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
