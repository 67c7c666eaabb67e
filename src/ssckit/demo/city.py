"""The synthetic sample city: a town of about 80 000 people on a river (terrain, population,
boundary, districts). Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.ops import voronoi_diagram

from ssckit.core.geo import Grid
from ssckit.core.sample import SampleTown

#: UTM zone 37N; the town's origin (south-west corner of its 10 km square) in metres.
CRS = "EPSG:32637"
ORIGIN = (500_000.0, 4_500_000.0)
SIZE_M = 10_000.0
RES_M = 25.0
POPULATION = 80_000
DISTRICT_NAMES = ("Old Town", "Riverside", "North Hill", "East Park", "South Gate")


def _river_x(y: np.ndarray, x0: float) -> np.ndarray:
    """x [m] of the river's centre line at northing y: a gentle meander."""
    t = (y - ORIGIN[1]) / SIZE_M
    return x0 + 900 * np.sin(2 * np.pi * 1.3 * t) + 400 * np.sin(2 * np.pi * 3.1 * t + 1.0)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale_cells: int
                  ) -> np.ndarray:
    """Smooth random field in [-1, 1]: white noise low-pass filtered in the Fourier domain."""
    noise = rng.standard_normal(shape)
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    filt = np.exp(-((fx**2 + fy**2) * (scale_cells**2)))
    field = np.fft.irfft2(np.fft.rfft2(noise) * filt, s=shape)
    return field / np.abs(field).max()


def make_sample_city(seed: int = 7) -> SampleTown:
    """Build the sample city's layers on a 10 km x 10 km grid at 25 m."""
    rng = np.random.default_rng(seed)
    x0, y0 = ORIGIN
    grid = Grid.from_bounds(x0, y0, x0 + SIZE_M, y0 + SIZE_M, RES_M, CRS)
    x, y = grid.cell_centres()
    cx = x0 + SIZE_M / 2
    cy = y0 + SIZE_M / 2

    # Terrain: a valley along the river, hills rising to the east and west, smooth relief.
    dist_river = np.abs(x - _river_x(y, cx))
    dem = 180 + 0.0025 * (y - y0)                      # the valley falls to the south
    dem = dem + 60 * (1 - np.exp(-((dist_river / 2500.0) ** 2)))
    dem = dem + 25 * _smooth_noise(rng, grid.shape, 40) + 8 * _smooth_noise(rng, grid.shape, 8)
    dem = dem + 70 * np.exp(-(((x - (x0 + 2500)) ** 2 + (y - (y0 + 7500)) ** 2) / 1.2e6))
    dem = np.where(dist_river < 60, dem.min() - 2 + 0.002 * (y - y0), dem)
    river_y = np.linspace(y0, y0 + SIZE_M, 200)
    river = LineString(np.column_stack([_river_x(river_y, cx), river_y]))

    # Boundary: an irregular closed curve of radius about 4.2 km around the centre.
    ang = np.linspace(0, 2 * np.pi, 73)[:-1]
    radius = 4200 * (1 + 0.08 * np.sin(3 * ang + rng.uniform(0, 6)) + 0.05 * np.cos(5 * ang))
    boundary = Polygon(np.column_stack([cx + radius * np.cos(ang), cy + radius * np.sin(ang)]))

    # Population: a dense old town on the west bank, neighbourhoods around it, none on the water.
    centres = [(cx - 600, cy + 300, 900, 1.0), (cx + 1500, cy - 800, 700, 0.6),
               (cx - 1800, cy + 2400, 800, 0.5), (cx + 800, cy + 2600, 600, 0.4),
               (cx - 900, cy - 2400, 900, 0.5)]
    dens = np.zeros(grid.shape)
    for px, py, sig, w in centres:
        dens += w * np.exp(-(((x - px) ** 2 + (y - py) ** 2) / (2 * sig**2)))
    dens += 0.03 * (1 + _smooth_noise(rng, grid.shape, 20))
    dens *= np.clip(1 - (dem - np.percentile(dem, 90)) / 40, 0.1, 1)   # fewer people on hilltops
    dens[dist_river < 80] = 0
    dens[~grid.mask(boundary)] = 0
    population = (dens / dens.sum() * POPULATION).astype(np.float32)

    # Districts: Voronoi cells of five seeds, clipped to the boundary.
    seeds = MultiPoint([Point(cx - 600, cy + 300), Point(cx + 900, cy - 300),
                        Point(cx - 1500, cy + 2800), Point(cx + 2400, cy + 1800),
                        Point(cx - 300, cy - 2800)])
    cells = list(voronoi_diagram(seeds, envelope=boundary.buffer(2000)).geoms)
    districts = []
    for name, seed_pt in zip(DISTRICT_NAMES, seeds.geoms, strict=True):
        cell = next(c for c in cells if c.contains(seed_pt))
        districts.append((name, cell.intersection(boundary)))
    # Land cover from the population density: dense urban, urban, suburban, open; the river.
    per_ha = population / (RES_M * RES_M / 1e4)
    clutter = np.full(grid.shape, 2, dtype=np.uint8)
    clutter[per_ha > 5] = 3
    clutter[per_ha > 25] = 4
    clutter[per_ha > 45] = 5
    clutter[dist_river < 60] = 1
    return SampleTown(grid, dem.astype(np.float32), population, boundary, districts, river,
                      clutter)
