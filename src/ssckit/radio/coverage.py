"""Coverage over the workspace grid: per-sector RSRP, best server, SINR and throughput.

The grid is cut into tiles that are computed independently, on local threads or on a Dask
distributed cluster (:func:`run_tiles`). Each tile reduces on its own to the best-server maps
(:func:`coverage_tile`: RSRP, SINR with the interference summed over the sectors, serving
sector, throughput, covered), so memory is bounded by the tile, not by sectors x grid; the
per-sector stack (:func:`sector_rsrp_tile`, :func:`compute_coverage`) is only built where the
site planner needs it. A pixel's values depend on the site, the pixel and the inputs alone —
never on the tile size, the thread count or the scheduler:

* the P.1812 radial engine uses one fan of radials per site (:func:`ssckit.radio.radial.fan_size`
  at the site's reach), shared by every tile;
* a sector reaches the pixels within ``max_radius_km`` of its site (none beyond: no service,
  no interference), decided pixel by pixel;
* the reduction visits the sectors in their global order, skipping those without a
  prediction, so the sum of the interference is the same whatever the tile holds.

Pixels outside a model's validity range (TR 38.901: d2D outside 10 m..5 km, a base-station
height the scenario does not allow) and P.1812 profiles leaving the terrain get no prediction
(NaN): they never serve nor interfere, and are counted in :class:`TileStats`. Antenna gains
come from per-antenna lookup tables computed once (:func:`ssckit.radio.antenna.gain_table`).

Pure computation: arrays in, arrays out; reading sites and terrain and writing GeoTIFFs
happens in ``radio.run`` and ``radio.io``.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, get_args

import numba
import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from pyproj import Transformer

from ssckit.core.geo import Grid
from ssckit.radio import antenna as ant
from ssckit.radio.linkbudget import n_rb, noise_dbm, sinr_db, throughput_mbps
from ssckit.radio.propagation import p1812, tr38901
from ssckit.radio.propagation.p525 import free_space_basic_loss
from ssckit.radio.propagation.p1812 import DN_RANGE, P_RANGE, PL_RANGE
from ssckit.radio.propagation.p2109 import building_entry_loss
from ssckit.radio.radial import check_layers, fan_size, path_params, sites_loss_radial
from ssckit.radio.sites import Sectors
from ssckit.radio.terrain import point_profiles, sample_bilinear

MODELS = ("p1812", "tr38901-uma", "tr38901-rma", "tr38901-umi", "free-space")
#: P.1812 engines: along shared radials (fast) or one straight profile per pixel.
ENGINES = ("radial", "exact")
#: Building types of ITU-R P.2109 for indoor coverage.
BUILDING_TYPES = ("traditional", "thermally_efficient")

#: Subcarrier spacing assumed for NR FR1 carriers [Hz].
SCS_HZ = 30e3

#: Default service radius [km] of a sector (see docs/radio-national.md for the measurement
#: on the sample city that chose it).
DEFAULT_MAX_RADIUS_KM = 15.0

#: Validity of the TR 38.901 NLOS formulas used in coverage (Table 7.4.1-1): d2D [m],
#: base-station height h_BS [m] and receiver height h_UT [m], each (min, max).
EMPIRICAL_RANGES: dict[str, tuple[tuple[float, float], ...]] = {
    "tr38901-uma": (tr38901._UMX_D2D_M, (tr38901._UMA_H_BS_M,) * 2, tr38901._UMX_H_UT_M),
    "tr38901-umi": (tr38901._UMX_D2D_M, (tr38901._UMI_H_BS_M,) * 2, tr38901._UMX_H_UT_M),
    "tr38901-rma": (tr38901._RMA_NLOS_D2D_M, tr38901._RMA_H_BS_M, tr38901._RMA_H_UT_M),
}


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
    tile_size: tile edge [pixels] of the tiled computation (128; the results do not depend
    on it); resolution_m: grid resolution [m] (``None``: that of the population raster);
    max_radius_km: service radius of a sector [km] (15; ``None``: unlimited): beyond it a
    sector neither serves nor interferes; pixels closer to a site than P.1812's 0.25 km
    minimum use ITU-R P.525 free space (3D distance) and are counted in ``near_pixels``;
    building_entry: ``None`` for outdoor coverage, or ``traditional`` /
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
    tile_size: int = Field(128, ge=8, le=4096)
    resolution_m: float | None = Field(None, ge=1.0, le=1000.0, allow_inf_nan=False)
    max_radius_km: float | None = Field(DEFAULT_MAX_RADIUS_KM, ge=0.5, le=1000.0,
                                        allow_inf_nan=False)
    engine: Literal["radial", "exact"] = "radial"
    building_entry: Literal["traditional", "thermally_efficient"] | None = None

    def replace(self, **changes: Any) -> RadioSettings:
        """A copy with ``changes``, validated like the original (ValidationError if not)."""
        return type(self).model_validate({**self.model_dump(), **changes})


assert get_args(RadioSettings.model_fields["model"].annotation) == MODELS
assert get_args(RadioSettings.model_fields["engine"].annotation) == ENGINES
assert get_args(RadioSettings.model_fields["building_entry"].annotation)[0] == Literal[
    BUILDING_TYPES]


@dataclass(frozen=True, eq=False)
class Prepared:
    """What every tile shares, computed once per run (and shipped once to each worker).

    site_ground [m] per sector; groups: the sectors sharing one path loss (same position,
    height and frequency); fans: radials of each group's P.1812 fan; tables: antenna gain
    tables (n_tables, n_el, n_az) [dBi] of step ``table_step`` [deg], ``table_of`` the table
    of each sector; const_dbm: P_tx − 10 log10(12 N_RB) − building entry loss [dBm] per
    sector; freq_group: index of each sector's frequency in ``freqs`` [MHz]; radius_m: the
    service radius [m] (inf: none); valid: sectors whose height the model allows;
    group_of: the group of each sector; group_first (its first sector), group_xy [m],
    group_top [m] (antenna above sea level) and group_valid per group; group_params: the
    P.1812 inputs of each group (:func:`ssckit.radio.radial.path_params`, checked once
    here), empty for other models.
    """

    site_ground: np.ndarray
    groups: tuple[np.ndarray, ...]
    fans: np.ndarray
    tables: np.ndarray
    table_of: np.ndarray
    table_step: float
    const_dbm: np.ndarray
    freq_group: np.ndarray
    freqs: np.ndarray
    radius_m: float
    valid: np.ndarray
    group_of: np.ndarray
    group_first: np.ndarray
    group_xy: np.ndarray
    group_top: np.ndarray
    group_valid: np.ndarray
    group_params: np.ndarray


@dataclass(frozen=True, eq=False)
class CoverageInputs:
    """Everything a tile computation needs (sent once to each worker)."""

    grid: Grid
    dem: np.ndarray                    # [m] on the grid
    sectors: Sectors
    settings: RadioSettings
    clutter: np.ndarray | None = None  # representative clutter heights [m] on the grid
    patterns: dict[str, Any] = field(default_factory=dict)   # antenna name -> MsiPattern
    rx_offset_db: np.ndarray | None = None  # per-pixel correction [dB] (drive-test calibration)

    @property
    def site_ground(self) -> np.ndarray:
        """Terrain height [m] under each sector's site."""
        return self.prepared.site_ground

    @cached_property
    def prepared(self) -> Prepared:
        """The shared part of every tile (:class:`Prepared`), computed on first use."""
        return prepare(self)


def _gain_function(inputs: CoverageInputs, k: int) -> Callable[..., Any]:
    """Gain [dBi] of sector k's antenna (pattern and tilts) with its boresight north."""
    s = inputs.sectors
    name = str(s.antenna[k])
    if name.startswith("3gpp"):
        gmax = float(name.split(":", 1)[1]) if ":" in name else 8.0
        return functools.partial(ant.sector_gain_38901, mechanical_tilt_deg=s.mech_tilt_deg[k],
                                 electrical_tilt_deg=s.elec_tilt_deg[k], max_gain_dbi=gmax)
    return functools.partial(ant.msi_gain, inputs.patterns[name],
                             mechanical_tilt_deg=s.mech_tilt_deg[k])


def _reach_m(grid: Grid, x: float, y: float) -> float:
    """Distance [m] from (x, y) to the farthest cell centre of ``grid``."""
    xmin, ymin, xmax, ymax = grid.bounds
    h = grid.res / 2.0
    return math.hypot(max(abs(x - xmin - h), abs(xmax - h - x)),
                      max(abs(y - ymin - h), abs(ymax - h - y)))


def prepare(inputs: CoverageInputs) -> Prepared:
    """Site grounds, path-loss groups, radial fans, gain tables and link-budget constants."""
    s = inputs.sectors
    st = inputs.settings
    if st.model == "p1812" and st.engine == "radial":
        check_layers(inputs.dem, inputs.clutter)   # once here, not per site and tile
    ground = sample_bilinear(inputs.dem, inputs.grid, s.x, s.y)
    keys: dict[tuple[float, float, float, float], list[int]] = {}
    for k in range(len(s)):
        keys.setdefault((s.x[k], s.y[k], s.height_m[k], s.freq_mhz[k]), []).append(k)
    groups = tuple(np.array(ks, dtype=np.int64) for ks in keys.values())
    radius = math.inf if st.max_radius_km is None else st.max_radius_km * 1000.0
    fans = np.array([fan_size(min(radius, _reach_m(inputs.grid, s.x[g[0]], s.y[g[0]])),
                              inputs.grid.res) for g in groups], dtype=np.int64)
    table_key: dict[tuple[str, float, float], int] = {}
    tables = []
    table_of = np.empty(len(s), dtype=np.int64)
    for k in range(len(s)):
        key = (str(s.antenna[k]), float(s.mech_tilt_deg[k]),
               0.0 if not str(s.antenna[k]).startswith("3gpp") else float(s.elec_tilt_deg[k]))
        if key not in table_key:
            table_key[key] = len(tables)
            tables.append(ant.gain_table(_gain_function(inputs, k)).gain_dbi)
        table_of[k] = table_key[key]
    bel = 0.0
    const = np.empty(len(s))
    nrb = n_rb(s.bandwidth_mhz)
    for k in range(len(s)):
        if st.building_entry is not None:
            bel = float(building_entry_loss(s.freq_mhz[k] / 1000.0, 50.0, st.building_entry,
                                            0.0))
        const[k] = s.tx_power_dbm[k] - 10.0 * np.log10(12.0 * nrb[k]) - bel
    freqs, freq_group = np.unique(np.asarray(s.freq_mhz, dtype=float), return_inverse=True)
    valid = np.ones(len(s), dtype=bool)
    if st.model in EMPIRICAL_RANGES:
        _, (hlo, hhi), _ = EMPIRICAL_RANGES[st.model]
        valid = (s.height_m >= hlo) & (s.height_m <= hhi)
    first = np.array([g[0] for g in groups], dtype=np.int64)
    group_of = np.empty(len(s), dtype=np.int64)
    for gi, g in enumerate(groups):
        group_of[g] = gi
    group_xy = np.stack([np.asarray(s.x, float)[first], np.asarray(s.y, float)[first]], axis=1) \
        if len(first) else np.zeros((0, 2))
    params = np.zeros((len(first), 0))
    if st.model == "p1812" and len(first):
        lat, lon = _grid_lonlat_range(inputs.grid)
        params = np.stack([path_params(
            s.freq_mhz[k] / 1000.0, s.height_m[k], st.rx_height_m, st.time_percent,
            st.location_percent, st.polarisation, s.lat[k], s.lon[k], st.dn, st.n0, lat, lon)
            for k in first])
    return Prepared(ground, groups, fans, np.stack(tables) if tables else np.zeros((0, 2, 2),
                    np.float32), table_of, ant.GAIN_TABLE_STEP_DEG, const,
                    freq_group.astype(np.int64), freqs, radius, valid, group_of, first, group_xy,
                    (ground + np.asarray(s.height_m, float))[first], valid[first], params)


def _grid_lonlat_range(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes [deg] of the grid's edges (9 points along each), whose
    extremes bound those of every pixel of a north-up projected grid."""
    xmin, ymin, xmax, ymax = grid.bounds
    t = np.linspace(0.0, 1.0, 9)
    x = np.concatenate([xmin + (xmax - xmin) * t, xmin + (xmax - xmin) * t,
                        np.full(9, xmin), np.full(9, xmax)])
    y = np.concatenate([np.full(9, ymin), np.full(9, ymax), ymin + (ymax - ymin) * t,
                        ymin + (ymax - ymin) * t])
    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(x, y)
    return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)


@dataclass
class TileStats:
    """Counts of a tile (or a whole run), in pixel-site paths unless said otherwise."""

    near_pixels: int = 0      # closer than the model's minimum distance (P.1812: free space)
    paths: int = 0            # path evaluations (pixels within a site's radius)
    outside_range: int = 0    # outside the model's validity range: no prediction
    no_terrain: int = 0       # P.1812 profile leaving the terrain grid: no prediction
    beyond_radius: int = 0    # farther than max_radius_km: not computed
    unserved_pixels: int = 0  # pixels without any prediction (no server, no RSRP)

    def add(self, other: TileStats) -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @property
    def no_prediction(self) -> int:
        """Pixel-site paths without a prediction (outside the model's range or the terrain)."""
        return self.outside_range + self.no_terrain


def tile_windows(shape: tuple[int, int], size: int) -> list[tuple[int, int, int, int]]:
    """Windows (row0, row1, col0, col1) cutting a grid of ``shape`` into tiles of ``size``."""
    rows, cols = shape
    return [(r, min(r + size, rows), c, min(c + size, cols))
            for r in range(0, rows, size) for c in range(0, cols, size)]


def _box_distance(prep: Prepared, x0: np.ndarray, x1: np.ndarray, y0: np.ndarray,
                  y1: np.ndarray) -> np.ndarray:
    """Distance [m] from each path-loss group's site to the nearest point of each box
    [x0, x1] x [y0, y1] (boxes along the first axis, groups along the last)."""
    gx, gy = prep.group_xy[:, 0], prep.group_xy[:, 1]
    x0, x1, y0, y1 = (np.asarray(v, dtype=float)[..., None] for v in (x0, x1, y0, y1))
    return np.hypot(np.clip(gx, x0, x1) - gx, np.clip(gy, y0, y1) - gy)


def costliest_first(inputs: CoverageInputs, windows: list[tuple[int, int, int, int]]
                    ) -> list[tuple[int, int, int, int]]:
    """``windows`` in decreasing order of their estimated work (pixels x sites whose service
    radius reaches the window), so that the last tiles to run are short ones and no core
    waits long at the end; the order changes no result."""
    prep = inputs.prepared
    if not windows or prep.group_xy.shape[0] == 0:
        return list(windows)
    t = inputs.grid.transform
    w = np.asarray(windows, dtype=float)
    x0, x1 = t.c + w[:, 2] * t.a, t.c + w[:, 3] * t.a
    ya, yb = t.f + w[:, 0] * t.e, t.f + w[:, 1] * t.e
    y0, y1 = np.minimum(ya, yb), np.maximum(ya, yb)
    sites = (_box_distance(prep, x0, x1, y0, y1) <= prep.radius_m).sum(axis=1)
    cost = sites * (w[:, 1] - w[:, 0]) * (w[:, 3] - w[:, 2])
    return [windows[i] for i in np.argsort(-cost, kind="stable")]


# --------------------------------------------------------------------------- kernels
@numba.njit(cache=True, parallel=True, nogil=True)
def _tile_rsrp(px, py, hp, rx_height, gxy, gtop, lb, sec_ptr, sec_k, sec_row, tables, inv_step,
               table_of, boresight, const, out):
    """RSRP [dBm] = const + G(az, el) − Lb of the sectors of each path-loss group g of a tile
    (``sec_k[sec_ptr[g]:sec_ptr[g + 1]]``, into the rows ``sec_row`` of ``out``) at the
    pixels (px, py) [m] where ``lb[g]`` is a number; the elevation from the pixel's terrain
    ``hp`` + ``rx_height`` to the antenna top ``gtop[g]`` [m]; G bilinear in the sector's
    gain table (azimuth relative to the boresight, elevation)."""
    n_e = tables.shape[1]
    n_a = tables.shape[2]
    for g in numba.prange(lb.shape[0]):
        if sec_ptr[g + 1] == sec_ptr[g]:
            continue
        for i in range(px.shape[0]):
            loss = lb[g, i]
            if loss != loss:
                continue
            dx = px[i] - gxy[g, 0]
            dy = py[i] - gxy[g, 1]
            dz = hp[i] + rx_height - gtop[g]
            d = math.sqrt(dx * dx + dy * dy)
            az = math.degrees(math.atan2(dx, dy))
            el = math.degrees(math.atan2(dz, max(d, 1.0)))
            e = (min(max(el, -90.0), 90.0) + 90.0) * inv_step
            ie = min(int(e), n_e - 2)
            fe = e - ie
            for m in range(sec_ptr[g], sec_ptr[g + 1]):
                k = sec_k[m]
                rel = az - boresight[k] + 180.0
                rel -= 360.0 * math.floor(rel / 360.0)
                a = rel * inv_step
                ja = min(int(a), n_a - 2)
                fa = a - ja
                t = table_of[k]
                gain = ((tables[t, ie, ja] * (1.0 - fa) + tables[t, ie, ja + 1] * fa) * (1.0 - fe)
                        + (tables[t, ie + 1, ja] * (1.0 - fa) + tables[t, ie + 1, ja + 1] * fa)
                        * fe)
                out[sec_row[m], i] = const[k] + gain - loss


@numba.njit(cache=True, nogil=True)
def _reduce(stack, sector_of_row, freq_group, n_freq, best, server, interf, power):
    """Best server and interference per pixel of a per-sector RSRP stack (n_rows, n_pix),
    rows in increasing sector order: NaN rows never serve nor interfere; the power [mW] on
    each frequency is summed in sector order; interference = power on the serving
    frequency − the server's."""
    tot = np.zeros(n_freq)
    for i in range(stack.shape[1]):
        tot[:] = 0.0
        b = -np.inf
        arg = -1
        for m in range(stack.shape[0]):
            v = np.float64(stack[m, i])
            if v != v:
                continue
            k = sector_of_row[m]
            tot[freq_group[k]] += 10.0 ** (v / 10.0)
            if v > b:
                b = v
                arg = k
        for f in range(n_freq):
            power[f, i] = tot[f]
        if arg < 0:
            best[i] = np.nan
            server[i] = -1
            interf[i] = np.nan
        else:
            best[i] = b
            server[i] = arg
            interf[i] = max(tot[freq_group[arg]] - 10.0 ** (b / 10.0), 0.0)


# --------------------------------------------------------------------------- path loss
def _p1812_loss(inputs: CoverageInputs, site_x: float, site_y: float, h_ant: float,
                f_ghz: float, lat_t: float, lon_t: float, px: np.ndarray, py: np.ndarray,
                plat: np.ndarray, plon: np.ndarray, d_km: np.ndarray) -> np.ndarray:
    """P.1812 basic transmission loss [dB] from one site to pixels at d_km >= 0.25 km,
    one straight profile per pixel (the ``exact`` engine).

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


def _free_space(f_mhz: float, d3_m: np.ndarray) -> np.ndarray:
    """ITU-R P.525 free-space basic loss [dB] over the 3D distance ``d3_m`` [m]."""
    return np.asarray(free_space_basic_loss(f_mhz, d3_m / 1000.0))


def _tile_loss(inputs: CoverageInputs, groups: np.ndarray, dist: np.ndarray, px: np.ndarray,
               py: np.ndarray, hp: np.ndarray, lonlat: Callable[[], tuple[np.ndarray, np.ndarray]],
               stats: TileStats) -> np.ndarray:
    """Basic transmission loss [dB] of the path-loss ``groups`` to the pixels (px, py) of a
    tile, ground ``hp`` [m], at the distances ``dist`` [m] (n_groups, n_pixels; NaN beyond
    the service radius); NaN where the model gives no prediction (counted in ``stats``).
    ``lonlat()`` gives the pixels' longitudes and latitudes [deg] (P.1812 only)."""
    prep = inputs.prepared
    st = inputs.settings
    s = inputs.sectors
    first = prep.group_first[groups]
    f_mhz = np.asarray(s.freq_mhz, dtype=float)[first]
    h_ant = np.asarray(s.height_m, dtype=float)[first]
    inside = ~np.isnan(dist)
    lb = np.full(dist.shape, np.nan)

    def free_space(mask: np.ndarray) -> None:
        """P.525 over the 3D distance at the pixels of ``mask``."""
        d3 = np.hypot(np.maximum(dist, 1.0),
                      prep.group_top[groups][:, None] - hp[None, :] - st.rx_height_m)
        mask = mask & np.isfinite(d3)
        lb[mask] = _free_space(np.broadcast_to(f_mhz[:, None], dist.shape)[mask], d3[mask])

    if st.model == "p1812":
        with np.errstate(invalid="ignore"):
            far = dist >= p1812.D_RANGE_KM[0] * 1000.0
            near = dist < p1812.D_RANGE_KM[0] * 1000.0
        if far.any():
            lon, lat = lonlat()
            if st.engine == "radial":
                lb[:] = sites_loss_radial(
                    inputs.dem, inputs.grid, prep.group_xy[groups], prep.fans[groups],
                    prep.group_params[groups], dist, px, py, lat, lon, clutter=inputs.clutter,
                    check_layers=False)
            else:
                for m, k0 in enumerate(first):
                    f = np.flatnonzero(far[m])
                    lb[m, f] = _p1812_loss(inputs, s.x[k0], s.y[k0], h_ant[m],
                                           f_mhz[m] / 1000.0, s.lat[k0], s.lon[k0], px[f],
                                           py[f], lat[f], lon[f], dist[m, f] / 1000.0)
        free_space(near)
        stats.near_pixels += int(near.sum())
        stats.no_terrain += int(np.isnan(lb[inside]).sum())
    elif st.model == "free-space":
        free_space(inside)
        stats.no_terrain += int(np.isnan(lb[inside]).sum())
    else:
        (dlo, dhi), _, _ = EMPIRICAL_RANGES[st.model]
        scenario = {"tr38901-uma": "UMa", "tr38901-rma": "RMa", "tr38901-umi": "UMi"}[st.model]
        with np.errstate(invalid="ignore"):
            ok = (dist >= dlo) & (dist <= dhi)
        for m in range(groups.size):
            f = np.flatnonzero(ok[m])
            if f.size:
                lb[m, f] = tr38901.path_loss(scenario, "NLOS", f_mhz[m] / 1000.0, dist[m, f],
                                             h_bs_m=h_ant[m], h_ut_m=st.rx_height_m)
        stats.outside_range += int((inside & ~ok).sum())
    return lb


def _pixels(grid: Grid, window: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """x, y [m] of the cell centres of ``window``, flattened (as ``Grid.cell_centres``)."""
    r0, r1, c0, c1 = window
    t = grid.transform
    c, r = np.meshgrid(np.arange(c0, c1) + 0.5, np.arange(r0, r1) + 0.5)
    return (t.c + c * t.a).ravel(), (t.f + r * t.e).ravel()


def _tile_sectors(inputs: CoverageInputs, window: tuple[int, int, int, int]
                  ) -> tuple[np.ndarray, np.ndarray, TileStats]:
    """RSRP [dBm] on one tile of the sectors that reach it: (sector indices in increasing
    order, float32 array (n_reaching, n_pixels) with NaN where there is no prediction or the
    pixel is beyond the service radius, stats).

    Whole-tile array operations and one call of each kernel (no per-site Python work), so
    that concurrent tiles hold the interpreter lock for little of their time."""
    r0, r1, c0, c1 = window
    prep = inputs.prepared
    st = inputs.settings
    px, py = _pixels(inputs.grid, window)
    hp = np.asarray(inputs.dem[r0:r1, c0:c1], dtype=float).ravel()
    stats = TileStats()
    n_px = px.size
    gx, gy = prep.group_xy[:, 0], prep.group_xy[:, 1]
    # the groups whose service radius reaches the tile's box (then pixel by pixel)
    box = _box_distance(prep, px.min(), px.max(), py.min(), py.max())
    reach = np.flatnonzero(box <= prep.radius_m * (1 + 1e-12) + 1e-6)
    stats.beyond_radius += (len(prep.groups) - reach.size) * n_px
    in_reach = np.zeros(len(prep.groups), dtype=bool)
    in_reach[reach] = True
    sectors = np.flatnonzero(in_reach[prep.group_of])
    out = np.full((sectors.size, n_px), np.nan, dtype=np.float32)
    if reach.size:
        dist = np.hypot(px[None, :] - gx[reach, None], py[None, :] - gy[reach, None])
        dist[dist > prep.radius_m] = np.nan
        n_in = (~np.isnan(dist)).sum(axis=1)
        stats.beyond_radius += int(reach.size * n_px - n_in.sum())
        live = prep.group_valid[reach]   # a group shares one height: all its sectors or none
        stats.outside_range += int(n_in[~live].sum())
        stats.paths += int(n_in[live].sum())
        lb = np.full(dist.shape, np.nan)
        rows = np.flatnonzero(live & (n_in > 0))
        tile_ll: list[tuple[np.ndarray, np.ndarray]] = []

        def lonlat() -> tuple[np.ndarray, np.ndarray]:
            if not tile_ll:
                t = Transformer.from_crs(inputs.grid.crs, "EPSG:4326", always_xy=True)
                lon, lat = t.transform(px, py)
                tile_ll.append((np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)))
            return tile_ll[0]

        if rows.size:
            lb[rows] = _tile_loss(inputs, reach[rows], dist[rows], px, py, hp, lonlat, stats)
        # each reaching group's sectors the model allows, in increasing order
        row_idx = np.flatnonzero(prep.valid[sectors])
        pos = np.searchsorted(reach, prep.group_of[sectors[row_idx]])
        order = np.argsort(pos, kind="stable")
        sec_row = row_idx[order]
        sec_ptr = np.searchsorted(pos[order], np.arange(reach.size + 1))
        _tile_rsrp(px, py, hp, float(st.rx_height_m), np.ascontiguousarray(prep.group_xy[reach]),
                   prep.group_top[reach], lb, sec_ptr, sectors[sec_row], sec_row, prep.tables,
                   1.0 / prep.table_step, prep.table_of,
                   np.asarray(inputs.sectors.azimuth_deg, dtype=float), prep.const_dbm, out)
    if inputs.rx_offset_db is not None:
        out += inputs.rx_offset_db[r0:r1, c0:c1].ravel().astype(np.float32)
    return sectors, out, stats


def sector_rsrp_tile(inputs: CoverageInputs, window: tuple[int, int, int, int]
                     ) -> tuple[tuple[int, int, int, int], np.ndarray, TileStats]:
    """RSRP [dBm] of every sector on one tile: array (n_sectors, rows, cols), float32; NaN
    where a sector gives no prediction or the pixel is beyond its service radius.

    The path loss is computed once per site and shared by its sectors; each sector adds its
    antenna gain towards every pixel (azimuth and elevation from the terrain heights).
    """
    r0, r1, c0, c1 = window
    sectors, sub, stats = _tile_sectors(inputs, window)
    out = np.full((len(inputs.sectors), sub.shape[1]), np.nan, dtype=np.float32)
    out[sectors] = sub
    return window, out.reshape(len(inputs.sectors), r1 - r0, c1 - c0), stats


@dataclass
class TileMaps:
    """The best-server maps of one tile (window = row0, row1, col0, col1)."""

    window: tuple[int, int, int, int]
    rsrp_dbm: np.ndarray          # best-server RSRP [dBm], NaN without prediction
    sinr_db: np.ndarray           # [dB], NaN without prediction
    server: np.ndarray            # serving sector index, int16, -1 without prediction
    throughput_mbps: np.ndarray   # [Mbit/s], NaN without prediction
    covered: np.ndarray           # bool
    power_mw: np.ndarray          # (n_freq, rows, cols) total received power [mW]
    stats: TileStats


def reduce_stack(sectors: np.ndarray, stack: np.ndarray, inputs: CoverageInputs,
                 shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """Best server, RSRP, SINR, throughput, covered and power per frequency of a per-sector
    RSRP stack (rows = ``sectors``, increasing), at full load: interference from every other
    sector on the serving sector's frequency (3GPP TS 38.215 RSRP, per resource element)."""
    prep = inputs.prepared
    st = inputs.settings
    n = stack.shape[1]
    best = np.empty(n)
    server = np.empty(n, dtype=np.int64)
    interf = np.empty(n)
    power = np.empty((prep.freqs.size, n))
    _reduce(np.ascontiguousarray(stack), np.asarray(sectors, dtype=np.int64), prep.freq_group,
            prep.freqs.size, best, server, interf, power)
    noise_re = noise_dbm(SCS_HZ, st.noise_figure_db)
    served = server >= 0
    sinr = np.full(n, np.nan)
    thr = np.full(n, np.nan)
    sinr[served] = sinr_db(best[served], interf[served], noise_re)
    nrb = n_rb(inputs.sectors.bandwidth_mhz)
    thr[served] = throughput_mbps(sinr[served], nrb[server[served]], layers=st.layers)
    with np.errstate(invalid="ignore"):
        covered = (best >= st.rsrp_threshold_dbm) & (sinr >= st.sinr_threshold_db)
    return (best.astype(np.float32).reshape(shape), sinr.astype(np.float32).reshape(shape),
            server.astype(np.int16).reshape(shape), thr.astype(np.float32).reshape(shape),
            covered.reshape(shape), power.reshape(prep.freqs.size, *shape))


def coverage_tile(inputs: CoverageInputs, window: tuple[int, int, int, int]) -> TileMaps:
    """One tile reduced to its best-server maps (the unit of work of a streamed run)."""
    r0, r1, c0, c1 = window
    sectors, stack, stats = _tile_sectors(inputs, window)
    rsrp, sinr, server, thr, covered, power = reduce_stack(sectors, stack, inputs,
                                                           (r1 - r0, c1 - c0))
    stats.unserved_pixels += int((server < 0).sum())
    return TileMaps(window, rsrp, sinr, server, thr, covered, power, stats)


# --------------------------------------------------------------------------- scheduling
def _numba_threads(task_threads: int) -> int:
    """Numba threads for each of ``task_threads`` concurrent tasks: the cores shared out."""
    cores = os.cpu_count() or 1
    return max(1, min(numba.config.NUMBA_NUM_THREADS, cores // max(task_threads, 1)))


def _in_task(fn: Callable[..., Any], inputs: CoverageInputs, window: tuple[int, int, int, int],
             numba_threads: int) -> Any:
    """``fn(inputs, window)`` with ``numba_threads`` threads for the kernels of this task
    (Numba's thread count is per calling thread): task threads and Numba threads never
    add up to more than the cores."""
    numba.set_num_threads(numba_threads)
    return fn(inputs, window)


#: Dask settings for the processes of a coverage cluster: each worker's statistical profiler
#: (a stack sample every 10 ms), the 20 ms event-loop health checks and the 0.1-0.5 s
#: system and memory monitors cost several per cent of the CPU of compute-bound tiles on
#: every worker and nanny (national benchmark, --quick, 2 idle cores: 2 single-threaded
#: workers 0.89x of 2 local threads with Dask's defaults, 0.93x with these). Apply them
#: with ``dask.config.set`` before creating a ``LocalCluster``, or in the environment of
#: ``dask scheduler`` / ``dask worker`` (``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``
#: ...; docs/radio-national.md).
DASK_WORKER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def run_tiles(fn: Callable[..., Any], inputs: CoverageInputs,
              windows: list[tuple[int, int, int, int]], scheduler: str | None = None,
              threads: int = 2, layer_dir: str | os.PathLike[str] | None = None
              ) -> Iterator[Any]:
    """Run ``fn(inputs, window)`` for every window; yield results as they finish.

    ``scheduler`` None runs on ``threads`` local threads (the Numba kernels release the GIL;
    each task gets ``cores // threads`` Numba threads); ``tcp://HOST:PORT`` sends the tiles
    to that Dask distributed scheduler: the inputs (terrain, clutter, sites, gain tables) are
    prepared here and broadcast to every worker once, each task carries its window only, and
    runs its kernels on one Numba thread (start workers with ``--nthreads`` = their cores).
    With ``layer_dir``, terrain, clutter and calibration go to the workers as memory-mapped
    files in that folder when every worker can read them (:mod:`ssckit.radio.layers`), and
    are broadcast otherwise.
    """
    inputs.prepared   # noqa: B018 — computed once here, shipped with the inputs
    windows = costliest_first(inputs, windows)
    if scheduler is None:
        nt = _numba_threads(threads)
        if threads <= 1:
            for w in windows:
                yield _in_task(fn, inputs, w, nt)
            return
        with ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(_in_task, fn, inputs, w, nt) for w in windows]
            for fut in as_completed(futures):
                yield fut.result()
        return
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(scheduler) as client:
        if layer_dir is not None:
            from ssckit.radio.layers import shippable_inputs

            inputs = shippable_inputs(inputs, client, layer_dir)
        remote = client.scatter(inputs, broadcast=True, hash=False)
        futures = [client.submit(_in_task, fn, remote, w, 1, pure=False,
                                 priority=len(windows) - i) for i, w in enumerate(windows)]
        for fut in dask_completed(futures):
            yield fut.result()
            fut.release()


@dataclass(frozen=True)
class CoverageMaps:
    rsrp_dbm: np.ndarray        # best-server RSRP [dBm], NaN without prediction
    sinr_db: np.ndarray         # SINR of the best server, full-load interference [dB]
    server: np.ndarray          # index of the serving sector, int16, -1 without prediction
    throughput_mbps: np.ndarray  # downlink throughput estimate [Mbit/s], NaN without prediction
    covered: np.ndarray         # RSRP and SINR at or above the thresholds
    power_mw: np.ndarray | None = None   # (n_freq, rows, cols) total power per frequency [mW]
    freqs_mhz: np.ndarray | None = None  # the frequencies of power_mw [MHz]


def stream_coverage(inputs: CoverageInputs, scheduler: str | None = None, threads: int = 2,
                    progress: Callable[[int, int], None] | None = None,
                    layer_dir: str | os.PathLike[str] | None = None) -> Iterator[TileMaps]:
    """The best-server maps tile by tile (:func:`coverage_tile`), as the tiles finish
    (``layer_dir``: see :func:`run_tiles`)."""
    windows = tile_windows(inputs.grid.shape, inputs.settings.tile_size)
    for i, tile in enumerate(run_tiles(coverage_tile, inputs, windows, scheduler, threads,
                                       layer_dir)):
        if progress:
            progress(i + 1, len(windows))
        yield tile


def coverage_maps(inputs: CoverageInputs, scheduler: str | None = None, threads: int = 2,
                  progress: Callable[[int, int], None] | None = None,
                  sink: Callable[[TileMaps], None] | None = None,
                  layer_dir: str | os.PathLike[str] | None = None
                  ) -> tuple[CoverageMaps, TileStats]:
    """The best-server maps over the whole grid, assembled from the streamed tiles; each tile
    is also handed to ``sink`` (e.g. the GeoTIFF writer of ``radio.io``) as it arrives."""
    shape = inputs.grid.shape
    n_f = inputs.prepared.freqs.size
    rsrp = np.full(shape, np.nan, np.float32)
    sinr = np.full(shape, np.nan, np.float32)
    server = np.full(shape, -1, np.int16)
    thr = np.full(shape, np.nan, np.float32)
    covered = np.zeros(shape, bool)
    power = np.zeros((n_f, *shape))
    total = TileStats()
    for t in stream_coverage(inputs, scheduler, threads, progress, layer_dir):
        r0, r1, c0, c1 = t.window
        rsrp[r0:r1, c0:c1] = t.rsrp_dbm
        sinr[r0:r1, c0:c1] = t.sinr_db
        server[r0:r1, c0:c1] = t.server
        thr[r0:r1, c0:c1] = t.throughput_mbps
        covered[r0:r1, c0:c1] = t.covered
        power[:, r0:r1, c0:c1] = t.power_mw
        total.add(t.stats)
        if sink is not None:
            sink(t)
    return CoverageMaps(rsrp, sinr, server, thr, covered, power,
                        inputs.prepared.freqs), total


def assemble(shape: tuple[int, int], n_sectors: int, results) -> tuple[np.ndarray, TileStats]:
    """Put tile results back into one (n_sectors, rows, cols) stack."""
    stack = np.full((n_sectors, *shape), np.nan, dtype=np.float32)
    total = TileStats()
    for (r0, r1, c0, c1), tile, stats in results:
        stack[:, r0:r1, c0:c1] = tile
        total.add(stats)
    return stack, total


def summarise(stack: np.ndarray, inputs: CoverageInputs) -> CoverageMaps:
    """Best server, SINR (interference from every other sector on the same frequency, at full
    load) and throughput from a per-sector RSRP stack (n_sectors, rows, cols), by the same
    reduction as the streamed tiles."""
    shape = stack.shape[1:]
    rsrp, sinr, server, thr, covered, power = reduce_stack(
        np.arange(stack.shape[0]), stack.reshape(stack.shape[0], -1), inputs, shape)
    return CoverageMaps(rsrp, sinr, server, thr, covered, power, inputs.prepared.freqs)


def compute_coverage(inputs: CoverageInputs, scheduler: str | None = None, threads: int = 2,
                     progress: Callable[[int, int], None] | None = None,
                     layer_dir: str | os.PathLike[str] | None = None
                     ) -> tuple[np.ndarray, TileStats]:
    """The per-sector RSRP stack over the whole grid, tile by tile (the site planner's
    input; coverage maps stream with :func:`coverage_maps` instead)."""
    windows = tile_windows(inputs.grid.shape, inputs.settings.tile_size)
    results = []
    for i, res in enumerate(run_tiles(sector_rsrp_tile, inputs, windows, scheduler, threads,
                                      layer_dir)):
        results.append(res)
        if progress:
            progress(i + 1, len(windows))
    return assemble(inputs.grid.shape, len(inputs.sectors), results)
