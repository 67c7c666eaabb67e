"""Population and area of the city and its districts, from the workspace's rasters and polygons."""

from __future__ import annotations

from ssckit import __version__
from ssckit.core.errors import InputError
from ssckit.core.geo import read_polygons, read_raster, zonal_sums
from ssckit.core.indicators import IndicatorValue
from ssckit.core.workspace import Workspace


def compute(ws: Workspace) -> list[IndicatorValue]:
    """Inhabitants, area [km2] and density [inhabitants/km2] for the city and each district.

    Population is the sum of the population raster's cells whose centre lies inside the boundary
    (or district); area is the polygon's area in the workspace's projected CRS.
    """
    c = ws.config
    if c.population is None:
        return []
    pop, grid, nodata = read_raster(ws.path(c.population))
    if grid.crs != _crs(ws):
        raise InputError(str(ws.path(c.population)), "CRS",
                         f"raster CRS {grid.crs.to_string()} differs from city.yaml crs {c.crs}; "
                         "reproject it onto the workspace CRS")
    if nodata is not None:
        pop[pop == nodata] = 0
    city_geoms = [g for _, g in read_polygons(ws.path(c.boundary))]
    city_mask = grid.labels(city_geoms) > 0
    totals: dict[str, tuple[float, float]] = {
        "city": (float(pop[city_mask].sum()), sum(g.area for g in city_geoms) / 1e6)}
    if c.districts:
        districts = read_polygons(ws.path(c.districts), "name")
        sums = zonal_sums(pop, grid.labels([g for _, g in districts]), len(districts))
        for (name, geom), s in zip(districts, sums, strict=True):
            totals[f"district:{name}"] = (float(s), geom.area / 1e6)
    src = {"module": "core.population", "inputs": [c.population, c.boundary]
           + ([c.districts] if c.districts else []), "version": __version__}
    quality = "D" if c.synthetic else "B"
    out = []
    for entity, (people, km2) in totals.items():
        for ind, val, unit in (("core:population", people, "inhabitants"),
                               ("core:area", km2, "km2"),
                               ("core:population_density", people / km2 if km2 else 0.0,
                                "inhabitants per km2")):
            out.append(IndicatorValue(indicator=ind, value=val, unit=unit, period=str(c.year),
                                      entity=entity, source=src, quality=quality))
    return out


def _crs(ws: Workspace):  # noqa: ANN202 - pyproj CRS
    from pyproj import CRS

    return CRS.from_user_input(ws.config.crs)
