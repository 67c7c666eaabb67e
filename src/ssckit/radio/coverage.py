"""Coverage over the workspace grid: per-sector RSRP, best server, SINR and throughput.

The grid is cut into tiles that are computed independently (:func:`sector_rsrp_tile`), on
local threads or on a Dask distributed cluster (:func:`run_tiles`); :func:`summarise` then
turns the per-sector RSRP stack into best-server maps. Pure computation: arrays in, arrays
out; reading sites, terrain and writing GeoTIFFs happens in ``radio.io``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from pyproj import Transformer

from ssckit.core.geo import Grid
from ssckit.radio import antenna as ant
from ssckit.radio.linkbudget import n_rb, noise_dbm, rsrp_dbm, sinr_db, throughput_mbps
from ssckit.radio.propagation import p1812, tr38901
from ssckit.radio.propagation.p525 import free_space_basic_loss
from ssckit.radio.propagation.p1812 import DN_RANGE, P_RANGE, PL_RANGE
from ssckit.radio.propagation.p2109 import building_entry_loss
from ssckit.radio.radial import site_loss_radial
from ssckit.radio.sites import Sectors
from ssckit.radio.terrain import point_profiles, sample_bilinear

MODELS = ("p1812", "tr38901-uma", "tr38901-rma", "tr38901-umi", "free-space")
#: P.1812 engines: along shared radials (fast) or one straight profile per pixel.
ENGINES = ("radial", "exact")
#: Building types of ITU-R P.2109 for indoor coverage.
BUILDING_TYPES = ("traditional", "thermally_efficient")

#: Subcarrier spacing assumed for NR FR1 carriers [Hz].
SCS_HZ = 30e3


class RadioSettings(BaseModel):
    """Model choices and receiver assumptions of a coverage run (``settings.radio`` of
    city.yaml), validated as a whole: every field has its allowed range or choices, and an
    unknown field is refused.

    model: propagation model (``p1812``); rx_height_m: receiver above ground [m] (1.5);
    time_percent / location_percent: P.1812 p and pL [%] (50, 50; the validity ranges of
    ITU-R P.1812-6); dn, n0: refractivity ΔN [N-units/km] and N0 [N-units] at the path centre
    (45, 325: typical temperate values of the P.453 maps; set the city's own from those maps);
    polarisation 1 horizontal, 2 vertical (2); noise_figure_db: UE noise figure [dB] (7);
    layers: downlink MIMO layers (4); rsrp_threshold_dbm, sinr_threshold_db: the service
    thresholds (−110 dBm, −5 dB; within the reporting ranges of 3GPP TS 38.133);
    tile_size: tile edge [pixels] of the tiled computation (128); resolution_m: grid
    resolution [m] (``None``: that of the population raster); pixels closer to a site than
    P.1812's 0.25 km minimum use ITU-R P.525 free space (3D distance) and are counted in
    ``near_pixels``; building_entry: ``None`` for outdoor coverage, or ``traditional`` /
    ``thermally_efficient`` for indoor coverage, adding the median ITU-R P.2109 building
    entry loss (horizontal incidence); engine: how P.1812 reaches the pixels: ``radial``
    (default; profiles along radials from the site shared by the pixels on them,
    :mod:`ssckit.radio.radial`: 6 to 16 times the speed, |ΔLb| within about 0.6 dB of the
    exact engine at 95 % of the pixels) or ``exact`` (one straight profile per pixel).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Literal["p1812", "tr38901-uma", "tr38901-rma", "tr38901-umi", "free-space"] = "p1812"
    rx_height_m: float = Field(1.5, ge=1.0, le=30.0, allow_inf_nan=False)
    time_percent: float = Field(50.0, ge=P_RANGE[0], le=P_RANGE[1], allow_inf_nan=False)
    location_percent: float = Field(50.0, ge=PL_RANGE[0], le=PL_RANGE[1], allow_inf_nan=False)
    dn: float = Field(45.0, gt=DN_RANGE[0], lt=DN_RANGE[1], allow_inf_nan=False)
    n0: float = Field(325.0, ge=200.0, le=500.0, allow_inf_nan=False)
    polarisation: Literal[1, 2] = 2
    noise_figure_db: float = Field(7.0, ge=0.0, le=20.0, allow_inf_nan=False)
    layers: int = Field(4, ge=1, le=8)
    rsrp_threshold_dbm: float = Field(-110.0, ge=-156.0, le=-31.0, allow_inf_nan=False)
    sinr_threshold_db: float = Field(-5.0, ge=-23.0, le=40.0, allow_inf_nan=False)
    tile_size: int = Field(128, ge=1, le=4096)
    resolution_m: float | None = Field(None, ge=1.0, le=1000.0, allow_inf_nan=False)
    engine: Literal["radial", "exact"] = "radial"
    building_entry: Literal["traditional", "thermally_efficient"] | None = None

    def replace(self, **changes: Any) -> RadioSettings:
        """A copy with ``changes``, validated like the original (ValidationError if not)."""
        return type(self).model_validate({**self.model_dump(), **changes})


assert get_args(RadioSettings.model_fields["model"].annotation) == MODELS
assert get_args(RadioSettings.model_fields["engine"].annotation) == ENGINES
assert get_args(RadioSettings.model_fields["building_entry"].annotation)[0] == Literal[
    BUILDING_TYPES]


@dataclass(frozen=True)
class CoverageInputs:
    """Everything a tile computation needs (sent once to each worker)."""

    grid: Grid
    dem: np.ndarray                    # [m] on the grid
    sectors: Sectors
    settings: RadioSettings
    clutter: np.ndarray | None = None  # representative clutter heights [m] on the grid
    patterns: dict[str, Any] = field(default_factory=dict)   # antenna name -> MsiPattern

    @property
    def site_ground(self) -> np.ndarray:
        """Terrain height [m] under each sector's site."""
        return sample_bilinear(self.dem, self.grid, self.sectors.x, self.sectors.y)


@dataclass
class TileStats:
    near_pixels: int = 0      # pixel-site pairs closer than the model's minimum distance
    paths: int = 0            # pixel-site path evaluations


def tile_windows(shape: tuple[int, int], size: int) -> list[tuple[int, int, int, int]]:
    """Windows (row0, row1, col0, col1) cutting a grid of ``shape`` into tiles of ``size``."""
    rows, cols = shape
    return [(r, min(r + size, rows), c, min(c + size, cols))
            for r in range(0, rows, size) for c in range(0, cols, size)]


def _antenna_gain(inputs: CoverageInputs, k: int, az: np.ndarray, el: np.ndarray) -> np.ndarray:
    s = inputs.sectors
    name = str(s.antenna[k])
    if name.startswith("3gpp"):
        gmax = float(name.split(":", 1)[1]) if ":" in name else 8.0
        return np.asarray(ant.sector_gain_38901(
            az, el, antenna_azimuth_deg=s.azimuth_deg[k], mechanical_tilt_deg=s.mech_tilt_deg[k],
            electrical_tilt_deg=s.elec_tilt_deg[k], max_gain_dbi=gmax))
    return np.asarray(ant.msi_gain(inputs.patterns[name], az, el,
                                   antenna_azimuth_deg=s.azimuth_deg[k],
                                   mechanical_tilt_deg=s.mech_tilt_deg[k]))


def _p1812_loss(inputs: CoverageInputs, site_x: float, site_y: float, h_ant: float,
                f_ghz: float, lat_t: float, lon_t: float, px: np.ndarray, py: np.ndarray,
                plat: np.ndarray, plon: np.ndarray, d_km: np.ndarray) -> np.ndarray:
    """P.1812 basic transmission loss [dB] from one site to pixels at d_km >= 0.25 km.

    Pixels are grouped by profile length so that each profile is sampled at about the grid
    resolution; every group is one batch call.
    """
    st = inputs.settings
    res_km = inputs.grid.res / 1000.0
    n_pts = np.maximum(np.ceil(d_km / res_km).astype(int) + 1, 5)
    n_pts = ((n_pts + 7) // 8) * 8            # fewer, larger groups
    out = np.empty(d_km.shape)
    for n in np.unique(n_pts):
        idx = np.flatnonzero(n_pts == n)
        h = point_profiles(inputs.dem, inputs.grid, site_x, site_y, px[idx], py[idx], int(n))
        d = d_km[idx, None] * np.linspace(0.0, 1.0, int(n))[None, :]
        r = None
        if inputs.clutter is not None:
            r = point_profiles(inputs.clutter, inputs.grid, site_x, site_y, px[idx], py[idx],
                               int(n))
        res = p1812.bt_loss_batch(
            f_ghz, st.time_percent, d, h, r, None, h_ant, st.rx_height_m, st.polarisation,
            lat_t, plat[idx], lon_t, plon[idx], st.dn, st.n0, pL=st.location_percent,
            check=False)
        out[idx] = res.Lb
    return out


def _empirical_loss(model: str, f_ghz: float, d2d_m: np.ndarray, h_bs: float, h_ut: float
                    ) -> np.ndarray:
    scenario = {"tr38901-uma": "UMa", "tr38901-rma": "RMa", "tr38901-umi": "UMi"}[model]
    return np.asarray(tr38901.path_loss(scenario, "NLOS", f_ghz, d2d_m, h_bs_m=h_bs,
                                        h_ut_m=h_ut))


def sector_rsrp_tile(inputs: CoverageInputs, window: tuple[int, int, int, int]
                     ) -> tuple[tuple[int, int, int, int], np.ndarray, TileStats]:
    """RSRP [dBm] of every sector on one tile: array (n_sectors, rows, cols), float32.

    The path loss is computed once per site and shared by its sectors; each sector adds its
    antenna gain towards every pixel (azimuth and elevation from the terrain heights).
    """
    r0, r1, c0, c1 = window
    g = inputs.grid
    st = inputs.settings
    s = inputs.sectors
    x, y = g.cell_centres()
    px = x[r0:r1, c0:c1].ravel()
    py = y[r0:r1, c0:c1].ravel()
    hp = inputs.dem[r0:r1, c0:c1].ravel()
    to_ll = Transformer.from_crs(g.crs, "EPSG:4326", always_xy=True)
    plon, plat = to_ll.transform(px, py)
    ground = inputs.site_ground
    stats = TileStats()
    out = np.empty((len(s), px.size), dtype=np.float32)
    nrb = n_rb(s.bandwidth_mhz)
    # one path-loss evaluation per (site position, height, frequency)
    keys: dict[tuple[float, float, float, float], list[int]] = {}
    for k in range(len(s)):
        keys.setdefault((s.x[k], s.y[k], s.height_m[k], s.freq_mhz[k]), []).append(k)
    for (sx, sy, h_ant, f_mhz), ks in keys.items():
        dx, dy = px - sx, py - sy
        d_m = np.hypot(dx, dy)
        f_ghz = f_mhz / 1000.0
        k0 = ks[0]
        if st.model == "p1812":
            lb = np.empty(d_m.shape)
            far = d_m >= p1812.D_RANGE_KM[0] * 1000.0
            if far.any() and st.engine == "radial":
                lb[far] = site_loss_radial(
                    inputs.dem, g, sx, sy, s.lat[k0], s.lon[k0], h_ant, f_ghz, px[far], py[far],
                    plat[far], plon[far], rx_height_m=st.rx_height_m,
                    time_percent=st.time_percent, location_percent=st.location_percent,
                    dn=st.dn, n0=st.n0, polarisation=st.polarisation, clutter=inputs.clutter)
            elif far.any():
                lb[far] = _p1812_loss(inputs, sx, sy, h_ant, f_ghz, s.lat[k0], s.lon[k0],
                                      px[far], py[far], plat[far], plon[far], d_m[far] / 1000.0)
            near = ~far
            d3 = np.hypot(np.maximum(d_m[near], 1.0),
                          ground[k0] + h_ant - hp[near] - st.rx_height_m)
            lb[near] = free_space_basic_loss(f_mhz, d3 / 1000.0)
            stats.near_pixels += int(near.sum())
        elif st.model == "free-space":
            d3 = np.hypot(np.maximum(d_m, 1.0), ground[k0] + h_ant - hp - st.rx_height_m)
            lb = np.asarray(free_space_basic_loss(f_mhz, d3 / 1000.0))
        else:
            lb = _empirical_loss(st.model, f_ghz, np.maximum(d_m, 10.0), h_ant, st.rx_height_m)
        if st.building_entry is not None:
            lb = lb + float(building_entry_loss(f_ghz, 50.0, st.building_entry, 0.0))
        stats.paths += d_m.size
        az = np.degrees(np.arctan2(dx, dy)) % 360
        el = np.degrees(np.arctan2(hp + st.rx_height_m - (ground[k0] + h_ant),
                                   np.maximum(d_m, 1.0)))
        for k in ks:
            gain = _antenna_gain(inputs, k, az, el)
            out[k] = rsrp_dbm(s.tx_power_dbm[k], nrb[k], gain, lb)
    return window, out.reshape(len(s), r1 - r0, c1 - c0), stats


def run_tiles(fn: Callable[..., tuple], inputs: CoverageInputs,
              windows: list[tuple[int, int, int, int]], scheduler: str | None = None,
              threads: int = 2) -> Iterator[tuple]:
    """Run ``fn(inputs, window)`` for every window; yield results as they finish.

    ``scheduler`` None runs on ``threads`` local threads (the Numba kernels release the GIL);
    ``tcp://HOST:PORT`` sends the tiles to that Dask distributed scheduler, with the inputs
    scattered to the workers once.
    """
    if scheduler is None:
        if threads <= 1:
            for w in windows:
                yield fn(inputs, w)
            return
        with ThreadPoolExecutor(threads) as pool:
            yield from pool.map(lambda w: fn(inputs, w), windows)
        return
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        remote = client.scatter(inputs, broadcast=True)
        futures = [client.submit(fn, remote, w, pure=False) for w in windows]
        for fut in as_completed(futures):
            yield fut.result()


def assemble(shape: tuple[int, int], n_sectors: int, results) -> tuple[np.ndarray, TileStats]:
    """Put tile results back into one (n_sectors, rows, cols) stack."""
    stack = np.full((n_sectors, *shape), np.nan, dtype=np.float32)
    total = TileStats()
    for (r0, r1, c0, c1), tile, stats in results:
        stack[:, r0:r1, c0:c1] = tile
        total.near_pixels += stats.near_pixels
        total.paths += stats.paths
    return stack, total


@dataclass(frozen=True)
class CoverageMaps:
    rsrp_dbm: np.ndarray        # best-server RSRP [dBm]
    sinr_db: np.ndarray         # SINR of the best server, full-load interference [dB]
    server: np.ndarray          # index of the serving sector, int16
    throughput_mbps: np.ndarray  # downlink throughput estimate [Mbit/s]
    covered: np.ndarray         # RSRP and SINR at or above the thresholds


def summarise(stack: np.ndarray, sectors: Sectors, settings: RadioSettings) -> CoverageMaps:
    """Best server, SINR (interference from every other sector on the same frequency, at full
    load) and throughput from the per-sector RSRP stack."""
    # A NaN (no prediction, e.g. a profile leaving the terrain) never wins nor interferes.
    stack = np.where(np.isnan(stack), -np.inf, stack)
    server = np.argmax(stack, axis=0).astype(np.int16)
    best = np.take_along_axis(stack, server[None].astype(np.intp), axis=0)[0]
    lin = 10 ** (stack.astype(np.float64) / 10)
    freq = sectors.freq_mhz
    interf = np.zeros(best.shape)
    for f in np.unique(freq):
        same = freq == f
        tot = lin[same].sum(axis=0)
        on_f = same[server]
        interf = np.where(on_f, tot - 10 ** (best / 10), interf)
    noise_re = noise_dbm(SCS_HZ, settings.noise_figure_db)
    sinr = sinr_db(best, np.maximum(interf, 0.0), noise_re)
    nrb = n_rb(sectors.bandwidth_mhz)[server]
    thr = throughput_mbps(sinr, nrb, layers=settings.layers)
    covered = (best >= settings.rsrp_threshold_dbm) & (sinr >= settings.sinr_threshold_db)
    return CoverageMaps(best.astype(np.float32), sinr.astype(np.float32), server,
                        thr.astype(np.float32), covered)


def compute_coverage(inputs: CoverageInputs, scheduler: str | None = None, threads: int = 2,
                     progress: Callable[[int, int], None] | None = None
                     ) -> tuple[np.ndarray, TileStats]:
    """The per-sector RSRP stack over the whole grid, tile by tile."""
    windows = tile_windows(inputs.grid.shape, inputs.settings.tile_size)
    results = []
    for i, res in enumerate(run_tiles(sector_rsrp_tile, inputs, windows, scheduler, threads)):
        results.append(res)
        if progress:
            progress(i + 1, len(windows))
    return assemble(inputs.grid.shape, len(inputs.sectors), results)
