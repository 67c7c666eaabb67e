"""Write the sample-city workspace: city.yaml, rasters, polygons and manual KPI values."""

from __future__ import annotations

import csv
from pathlib import Path

from shapely.geometry import mapping

from ssckit.core.geo import write_polygons, write_raster
from ssckit.core.workspace import CONFIG_NAME, CityConfig, KpiSettings, write_config
from ssckit.cyber.demo import write_demo_inputs
from ssckit.demo.city import make_sample_city
from ssckit.demo.kpi_values import sample_kpi_values
from ssckit.demo.radio_sites import write_sample_rooftops, write_sample_sites
from ssckit.demo.skills_survey import write_sample_survey
from ssckit.kpi.catalogue import load_catalogue

CITY_NAME = "Riverbend"
YEARS = (2025, 2026)


def write_sample_city(root: Path, seed: int = 7) -> CityConfig:
    """Write a complete synthetic workspace into ``root``; return its configuration."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    city = make_sample_city(seed)
    write_raster(root / "dem.tif", city.dem, city.grid, description="elevation [m] (synthetic)")
    write_raster(root / "population.tif", city.population, city.grid, nodata=None,
                 description="inhabitants per cell (synthetic)")
    write_polygons(root / "boundary.geojson", [({"name": CITY_NAME}, city.boundary)],
                   city.grid.crs)
    write_polygons(root / "districts.geojson",
                   [({"name": n}, g) for n, g in city.districts], city.grid.crs)
    (root / "river.geojson").write_text(
        '{"type":"Feature","properties":{"name":"river"},"geometry":'
        + __import__("json").dumps(mapping(city.river)) + "}", encoding="utf-8")

    cat = load_catalogue()
    value_files = []
    targets: dict[str, float] = {}
    for i, year in enumerate(YEARS):
        rows, targets = sample_kpi_values(cat, year, seed + i)
        name = f"kpi_values_{year}.csv"
        with open(root / name, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        value_files.append(name)

    sites, candidates = write_sample_sites(root, city.boundary, city.grid.crs.to_string(), seed)
    c = city.boundary.centroid
    rooftops, accessible = write_sample_rooftops(root, (c.x, c.y), city.grid.crs.to_string())
    school_files = write_school_registry(root, (c.x, c.y), city.grid.crs.to_string(), seed)
    survey, design = write_sample_survey(root, [n for n, _ in city.districts], seed)
    cyber_inputs = write_demo_inputs(root, CITY_NAME)
    write_raster(root / "clutter.tif", city.clutter, city.grid, nodata=0,
                 description="land-cover class, ITU-R P.1812 Table 2 (synthetic)")

    config = CityConfig(
        name=CITY_NAME, country="Sampleland (synthetic)", year=YEARS[-1],
        crs=city.grid.crs.to_string(), boundary="boundary.geojson",
        population="population.tif", districts="districts.geojson", dem="dem.tif",
        synthetic=True, inputs={"radio": {"sites": sites, "candidates": candidates,
                                         "clutter": "clutter.tif"},
                "emf": {"extra_sites": rooftops, "accessible": accessible},
                "school": school_files,
                "skills": {"survey": survey, "design": design},
                "cyber": cyber_inputs},
        kpi=KpiSettings(targets=targets, values=value_files),
        # 50 m keeps the demo quick; `ssckit radio coverage --resolution 25` for full detail
        settings={
            "radio": {"resolution_m": 50.0, "rsrp_threshold_dbm": -115.0},
            "cyber": {"local_lab": True, "loopback_only": True},
            "school": {"utc_offset_min": 180, "simulate_days": 28,
                       "simulate_hourly_days": 337, "seed": seed},
            "emf": {
                "limit_set": "sampleland-national",
                "report_limit_sets": ["icnirp2020-public"],
                "limit_sets": [{"name": "sampleland-national", "s_uw_cm2": 10,
                                "source": "synthetic national rule: 10 µW/cm² at every "
                                          "frequency (sample data)"}],
            },
        },
    )
    write_config(root, config)
    return config


def write_school_registry(root: Path, centre_xy: tuple[float, float], crs: str, seed: int
                          ) -> dict[str, str]:
    """The sample city's 20 schools (registry CSVs), with pupils' classroom ICT access."""
    from pyproj import Transformer

    from ssckit.school.simulate import sample_registry

    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(*centre_xy)
    schools, rooms, devices = sample_registry(seed, 20, (lat, lon), radius_km=3.5)
    rng = __import__("numpy").random.default_rng(seed + 200)
    for s in schools:
        s["pupils_with_ict_access"] = int(round(int(s["pupils"]) * rng.uniform(0.45, 0.98)))
    names = {}
    for name, rows in (("schools", schools), ("rooms", rooms), ("devices", devices)):
        with open(root / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        names[name] = f"{name}.csv"
    return names


def is_sample_workspace(root: Path) -> bool:
    """True when ``root`` is empty, absent, or already a synthetic sample workspace."""
    root = Path(root)
    if not root.exists() or not any(root.iterdir()):
        return True
    cfg = root / CONFIG_NAME
    return cfg.is_file() and "synthetic: true" in cfg.read_text(encoding="utf-8")
