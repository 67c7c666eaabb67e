"""RF-EMF exposure near base stations: power density models and the total exposure ratio.

Models (all time-averaged, at the maximum transmitted power unless a power reduction factor
is applied):

* spherical (far-field) model, S = EIRP g / (4 pi r^2), optionally multiplied by a
  ground-reflection factor (1 + |Gamma|)^2;
* cylindrical near-field estimate of a vertical array, S = P / (phi_3dB R L), used where it
  is lower than the spherical one close to the antenna;
* total exposure ratio TER = sum_i S_i / S_L(f_i) over every transmitter (sector, band,
  operator) at each point;
* the "actual maximum" power reduction factor F_PR for massive-MIMO base stations.

Geometry: x, y [m] in a projected CRS, z [m] above local ground, for both points and antennas
(flat ground: a terrain model is outside this module). Antenna directions follow
``ssckit.radio.antenna``: azimuth clockwise from north, tilts positive downward.

``total_exposure_ratio`` evaluates points x transmitters with a parallel Numba kernel for the
TR 38.901 element pattern and with NumPy (``ssckit.radio.antenna.msi_gain``) for measured
patterns; ``exposure_ratios`` returns the per-transmitter matrix with NumPy only and serves as
its reference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ssckit.emf.limits import LimitSet, limit_power_density
from ssckit.radio.antenna import MsiPattern, msi_gain, read_msi, sector_gain_38901

if TYPE_CHECKING:
    from ssckit.radio.sites import Sectors

__all__ = [
    "DEFAULT_GROUND_REFLECTION",
    "Transmitters",
    "cylindrical_crossover_distance",
    "eirp_w",
    "exposure_ratios",
    "ground_reflection_factor",
    "power_density_cylindrical",
    "power_density_spherical",
    "relative_gain",
    "total_exposure_ratio",
]

#: Field reflection coefficient |Gamma| of the ground used by default for the ground-reflection
#: factor: (1 + 0.6)^2 = 2.56 (US FCC OET Bulletin 65, Ed. 97-01, Eq. (6)).
DEFAULT_GROUND_REFLECTION = 0.6

_FOUR_PI = 4.0 * math.pi


def _arr(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=float)


def _out(x: NDArray[np.float64]) -> NDArray[np.float64] | float:
    return float(x) if np.ndim(x) == 0 else x


def _check(name: str, x: NDArray[np.float64], lo: float, *, strict: bool = False,
           hi: float = math.inf, unit: str = "") -> None:
    ok = np.isfinite(x) | (x == hi)
    ok &= (x > lo) if strict else (x >= lo)
    ok &= x <= hi
    if not np.all(ok):
        rng = (f"> {lo:g}" if strict else f">= {lo:g}") + (f" and <= {hi:g}"
                                                           if math.isfinite(hi) else "")
        bad = x[~ok].ravel()[0] if x.ndim else float(x)
        raise ValueError(f"{name} must be finite and {rng}{' ' + unit if unit else ''}; "
                         f"found {bad:g}")


# --------------------------------------------------------------------------- point formulas


def eirp_w(tx_power_dbm: ArrayLike, max_gain_dbi: ArrayLike) -> NDArray[np.float64] | float:
    """Equivalent isotropically radiated power from port power and antenna gain.

    Parameters
    ----------
    tx_power_dbm : array_like
        Power at the antenna port [dBm] (total over the carrier, time-averaged).
    max_gain_dbi : array_like
        Maximum antenna gain [dBi].

    Returns
    -------
    float or numpy.ndarray
        EIRP [W] = 10^((P[dBm] + G[dBi] - 30) / 10).

    References
    ----------
    IEC 62232:2022, clause 3 (definition of EIRP); ITU-T K.52 (08/2024), clause 3.
    """
    p, g = _arr(tx_power_dbm), _arr(max_gain_dbi)
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(g))):
        raise ValueError("tx_power_dbm [dBm] and max_gain_dbi [dBi] must be finite")
    return _out(10.0 ** ((p + g - 30.0) / 10.0))


def relative_gain(gain_dbi: ArrayLike, max_gain_dbi: ArrayLike) -> NDArray[np.float64] | float:
    """Numeric gain relative to the maximum, g = 10^((G - G_max) / 10).

    Parameters
    ----------
    gain_dbi : array_like
        Gain towards the point [dBi].
    max_gain_dbi : array_like
        Maximum gain of the antenna [dBi].

    Returns
    -------
    float or numpy.ndarray
        g [-], 0 < g <= 1 for a gain not above the maximum.
    """
    return _out(10.0 ** ((_arr(gain_dbi) - _arr(max_gain_dbi)) / 10.0))


def ground_reflection_factor(reflection_coefficient: ArrayLike = DEFAULT_GROUND_REFLECTION
                             ) -> NDArray[np.float64] | float:
    """Power-density factor for a ground reflection adding in phase, (1 + |Gamma|)^2.

    Parameters
    ----------
    reflection_coefficient : array_like, optional
        Magnitude of the field reflection coefficient |Gamma| [-], 0 to 1 (default 0.6).

    Returns
    -------
    float or numpy.ndarray
        Factor [-] multiplying the free-space power density: 2.56 for |Gamma| = 0.6, 4 for a
        perfect reflector.

    Notes
    -----
    The direct and reflected fields add in phase at worst, E = (1 + |Gamma|) E_0, hence
    S = (1 + |Gamma|)^2 S_0. The value 0.6 (factor 2.56) is the conservative ground
    reflection of FCC OET Bulletin 65, Ed. 97-01, Eq. (6), also used by manufacturers'
    ground-level assessments under IEC 62232.

    References
    ----------
    US FCC OET Bulletin 65, Edition 97-01 (1997), section 2, Eqs. (6) and (7).
    """
    g = _arr(reflection_coefficient)
    _check("reflection_coefficient", g, 0.0, hi=1.0)
    return _out((1.0 + g) ** 2)


def power_density_spherical(eirp: ArrayLike, distance_m: ArrayLike, relative_gain: ArrayLike = 1.0,
                            *, reflection_factor: ArrayLike = 1.0,
                            power_reduction_factor: ArrayLike = 1.0
                            ) -> NDArray[np.float64] | float:
    """Far-field (spherical-wave) power density of an antenna.

    Parameters
    ----------
    eirp : array_like
        Equivalent isotropically radiated power in the main beam [W], >= 0.
    distance_m : array_like
        Distance from the antenna's centre of radiation [m], > 0.
    relative_gain : array_like, optional
        Gain towards the point relative to the maximum, g [-] (default 1: main beam).
    reflection_factor : array_like, optional
        Multiplier for reflections, e.g. ``ground_reflection_factor()`` = 2.56 [-], >= 1
        (default 1: free space).
    power_reduction_factor : array_like, optional
        Actual-maximum power reduction factor F_PR [-], 0 < F_PR <= 1 (default 1: the
        theoretical maximum). Applies to massive-MIMO beam-forming base stations only when
        the assessment follows the actual maximum approach.

    Returns
    -------
    float or numpy.ndarray
        Power density S [W/m^2].

    Notes
    -----
    Spherical (far-field) formula::

        S = F_R * F_PR * EIRP * g(theta, phi) / (4 pi r^2)

    (IEC 62232:2022 Annex B, basic far-field formula; ITU-T K.52 Appendix II, simple
    evaluation; ITU-T K.70 clause 7 and the EMF-estimator model), with F_R the reflection
    factor and F_PR the power reduction factor (IEC 62232:2022, actual maximum approach;
    IEC TR 62669:2019 case studies; ITU-T K.100).

    References
    ----------
    IEC 62232:2022, Annex B (computation methods, far-field formulas) and clause on the
    actual maximum approach; ITU-T K.52 (08/2024) Appendix II; ITU-T K.70 (01/2018) clause 7;
    ITU-T K.100 (06/2021).
    """
    p, r, g = _arr(eirp), _arr(distance_m), _arr(relative_gain)
    fr, fpr = _arr(reflection_factor), _arr(power_reduction_factor)
    _check("eirp", p, 0.0, unit="W")
    _check("distance_m", r, 0.0, strict=True, unit="m")
    _check("relative_gain", g, 0.0)
    _check("reflection_factor", fr, 1.0, hi=4.0)
    _check("power_reduction_factor", fpr, 0.0, strict=True, hi=1.0)
    return _out(fr * fpr * p * g / (_FOUR_PI * r**2))


def power_density_cylindrical(power_w: ArrayLike, distance_m: ArrayLike, *,
                              antenna_length_m: ArrayLike, hpbw_deg: ArrayLike = 360.0,
                              power_reduction_factor: ArrayLike = 1.0
                              ) -> NDArray[np.float64] | float:
    """Near-field (cylindrical-wave) power density in front of a vertical array antenna.

    Parameters
    ----------
    power_w : array_like
        Power delivered to the antenna [W], >= 0 (not the EIRP).
    distance_m : array_like
        Horizontal distance from the antenna axis R [m], > 0.
    antenna_length_m : array_like
        Physical (vertical) length of the antenna L [m], > 0.
    hpbw_deg : array_like, optional
        Horizontal half-power beamwidth phi_3dB [deg], 0 < phi_3dB <= 360 (default 360:
        omnidirectional).
    power_reduction_factor : array_like, optional
        Actual-maximum power reduction factor F_PR [-], 0 < F_PR <= 1 (default 1).

    Returns
    -------
    float or numpy.ndarray
        Power density S [W/m^2] within the half-power sector and within the height of the
        antenna (|z - z_antenna| <= L/2).

    Notes
    -----
    Cylindrical-wave formula: the power leaves through a cylinder sector of radius R, height
    L and opening phi_3dB (rad)::

        S_cyl = F_PR * P / (phi_3dB R L)        (omnidirectional: P / (2 pi R L))

    It applies in the radiating near field, R below the crossover distance
    ``cylindrical_crossover_distance`` where it meets the spherical formula on boresight;
    beyond, the spherical formula applies.

    References
    ----------
    IEC 62232:2022, Annex B, cylindrical-wave formulas for the near field of array antennas;
    CENELEC EN 50383:2010, Annex on cylindrical-wave estimation.
    """
    p, r, length = _arr(power_w), _arr(distance_m), _arr(antenna_length_m)
    bw, fpr = _arr(hpbw_deg), _arr(power_reduction_factor)
    _check("power_w", p, 0.0, unit="W")
    _check("distance_m", r, 0.0, strict=True, unit="m")
    _check("antenna_length_m", length, 0.0, strict=True, unit="m")
    _check("hpbw_deg", bw, 0.0, strict=True, hi=360.0, unit="deg")
    _check("power_reduction_factor", fpr, 0.0, strict=True, hi=1.0)
    return _out(fpr * p / (np.radians(bw) * r * length))


def cylindrical_crossover_distance(hpbw_deg: ArrayLike, antenna_length_m: ArrayLike,
                                   max_gain_dbi: ArrayLike) -> NDArray[np.float64] | float:
    """Distance where the cylindrical and spherical formulas agree on boresight.

    Parameters
    ----------
    hpbw_deg : array_like
        Horizontal half-power beamwidth phi_3dB [deg].
    antenna_length_m : array_like
        Antenna length L [m].
    max_gain_dbi : array_like
        Maximum gain G [dBi], taken equal to the directivity (lossless antenna).

    Returns
    -------
    float or numpy.ndarray
        R_c [m] = phi_3dB G L / (4 pi), phi_3dB in rad and G numeric.

    Notes
    -----
    Equating P/(phi_3dB R L) with P G/(4 pi R^2) gives R_c; for R < R_c the cylindrical
    estimate is the lower (closer to the true near field), for R > R_c the spherical one.

    References
    ----------
    IEC 62232:2022, Annex B (cylindrical and spherical formulas and their ranges).
    """
    bw, length, g = _arr(hpbw_deg), _arr(antenna_length_m), _arr(max_gain_dbi)
    _check("hpbw_deg", bw, 0.0, strict=True, hi=360.0, unit="deg")
    _check("antenna_length_m", length, 0.0, strict=True, unit="m")
    return _out(np.radians(bw) * 10.0 ** (g / 10.0) * length / _FOUR_PI)


# --------------------------------------------------------------------------- transmitters


@dataclass(frozen=True, eq=False)
class Transmitters:
    """Column arrays describing every transmitter (one sector on one carrier) to sum.

    Attributes
    ----------
    x_m, y_m : numpy.ndarray
        Antenna position [m], projected CRS.
    z_m : numpy.ndarray
        Antenna centre height above local ground [m].
    azimuth_deg : numpy.ndarray
        Boresight azimuth [deg], clockwise from north.
    mech_tilt_deg, elec_tilt_deg : numpy.ndarray
        Mechanical and electrical downtilt [deg], positive downward.
    tx_power_dbm : numpy.ndarray
        Time-averaged power at the antenna port [dBm].
    max_gain_dbi : numpy.ndarray
        Maximum antenna gain [dBi].
    freq_mhz : numpy.ndarray
        Carrier frequency [MHz] (selects the limit).
    pattern : tuple of (MsiPattern or None)
        Measured pattern, or None for the 3GPP TR 38.901 Table 7.3-1 element (65 deg
        beamwidths, 30 dB side-lobe and front-to-back limits).
    antenna_length_m : numpy.ndarray
        Physical antenna length [m] for the cylindrical near-field estimate; NaN: unknown
        (spherical model everywhere).
    hpbw_h_deg : numpy.ndarray
        Horizontal half-power beamwidth [deg] (cylindrical estimate only).
    label : tuple of str
        Names for reports, e.g. ``"S1/A"``.
    """

    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    z_m: NDArray[np.float64]
    azimuth_deg: NDArray[np.float64]
    mech_tilt_deg: NDArray[np.float64]
    elec_tilt_deg: NDArray[np.float64]
    tx_power_dbm: NDArray[np.float64]
    max_gain_dbi: NDArray[np.float64]
    freq_mhz: NDArray[np.float64]
    pattern: tuple[MsiPattern | None, ...] = ()
    antenna_length_m: NDArray[np.float64] = field(default_factory=lambda: np.array([np.nan]))
    hpbw_h_deg: NDArray[np.float64] = field(default_factory=lambda: np.array([65.0]))
    label: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = np.size(self.x_m)
        names = ("x_m", "y_m", "z_m", "azimuth_deg", "mech_tilt_deg", "elec_tilt_deg",
                 "tx_power_dbm", "max_gain_dbi", "freq_mhz", "antenna_length_m", "hpbw_h_deg")
        for name in names:
            v = np.broadcast_to(np.asarray(getattr(self, name), dtype=float).ravel()
                                if np.size(getattr(self, name)) != 1
                                else np.asarray(getattr(self, name), dtype=float).reshape(1),
                                (n,)).copy()
            object.__setattr__(self, name, v)
            if name != "antenna_length_m" and not np.all(np.isfinite(v)):
                raise ValueError(f"Transmitters.{name} must be finite")
        _check("Transmitters.freq_mhz", self.freq_mhz, 0.0, strict=True, unit="MHz")
        _check("Transmitters.hpbw_h_deg", self.hpbw_h_deg, 0.0, strict=True, hi=360.0,
               unit="deg")
        ok_len = np.isnan(self.antenna_length_m) | (self.antenna_length_m > 0)
        if not np.all(ok_len):
            raise ValueError("Transmitters.antenna_length_m must be > 0 [m] or NaN (unknown)")
        pattern = tuple(self.pattern) if self.pattern else (None,) * n
        if len(pattern) != n:
            raise ValueError(f"Transmitters.pattern has {len(pattern)} entries for {n} "
                             "transmitters")
        object.__setattr__(self, "pattern", pattern)
        label = tuple(self.label) if self.label else tuple(f"tx{i}" for i in range(n))
        if len(label) != n:
            raise ValueError(f"Transmitters.label has {len(label)} entries for {n} transmitters")
        object.__setattr__(self, "label", label)

    def __len__(self) -> int:
        return int(np.size(self.x_m))

    @property
    def eirp_w(self) -> NDArray[np.float64]:
        """Main-beam EIRP of each transmitter [W]."""
        return np.asarray(eirp_w(self.tx_power_dbm, self.max_gain_dbi))

    @classmethod
    def from_sectors(cls, sectors: Sectors, *, antenna_length_m: ArrayLike = np.nan,
                     patterns: dict[str, MsiPattern] | None = None) -> Transmitters:
        """Transmitters from a ``sites.csv`` table (``ssckit.radio.sites.Sectors``).

        Parameters
        ----------
        sectors : ssckit.radio.sites.Sectors
            The sectors; antenna ``"3gpp"`` (8 dBi), ``"3gpp:G"`` (G dBi) or an MSI file.
        antenna_length_m : array_like, optional
            Antenna lengths [m] for the near-field estimate (default NaN: not used).
        patterns : dict of str to MsiPattern, optional
            Already-read patterns by path; other MSI files are read with ``read_msi``.

        Returns
        -------
        Transmitters
        """
        cache = dict(patterns or {})
        pats: list[MsiPattern | None] = []
        gains, hpbw = [], []
        for ant in sectors.antenna.tolist():
            if ant.startswith("3gpp"):
                g = ant.partition(":")[2]
                pats.append(None)
                gains.append(float(g) if g else 8.0)
                hpbw.append(65.0)
            else:
                if ant not in cache:
                    cache[ant] = read_msi(Path(ant))
                pat = cache[ant]
                pats.append(pat)
                gains.append(pat.gain_dbi)
                hpbw.append(pat.h_width_deg or 65.0)
        return cls(x_m=sectors.x, y_m=sectors.y, z_m=sectors.height_m,
                   azimuth_deg=sectors.azimuth_deg, mech_tilt_deg=sectors.mech_tilt_deg,
                   elec_tilt_deg=sectors.elec_tilt_deg, tx_power_dbm=sectors.tx_power_dbm,
                   max_gain_dbi=np.array(gains), freq_mhz=sectors.freq_mhz,
                   pattern=tuple(pats), antenna_length_m=np.asarray(antenna_length_m),
                   hpbw_h_deg=np.array(hpbw), label=tuple(sectors.sector_labels()))


# --------------------------------------------------------------------------- evaluation


def _per_tx(value: ArrayLike, n: int, name: str, lo: float, hi: float,
            strict: bool) -> NDArray[np.float64]:
    v = np.broadcast_to(_arr(value), (n,)) if np.ndim(value) == 0 else _arr(value).ravel()
    if v.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have one value per transmitter ({n})")
    _check(name, v, lo, strict=strict, hi=hi)
    return np.ascontiguousarray(v, dtype=float)


def _coefficients(tx: Transmitters, limit_set: str | LimitSet, reflection_factor: ArrayLike,
                  power_reduction_factor: ArrayLike) -> NDArray[np.float64]:
    """F_R F_PR EIRP / (4 pi S_L) per transmitter [m^2]: TER_i = coef_i g / r^2."""
    n = len(tx)
    fr = _per_tx(reflection_factor, n, "reflection_factor", 1.0, 4.0, False)
    fpr = _per_tx(power_reduction_factor, n, "power_reduction_factor", 0.0, 1.0, True)
    s_lim = np.asarray(limit_power_density(limit_set, tx.freq_mhz), dtype=float).reshape(n)
    return fr * fpr * tx.eirp_w / (_FOUR_PI * s_lim)


def _points(x_m: ArrayLike, y_m: ArrayLike, z_m: ArrayLike
            ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64],
                       tuple[int, ...]]:
    x, y, z = np.broadcast_arrays(_arr(x_m), _arr(y_m), _arr(z_m))
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(np.isfinite(z))):
        raise ValueError("point coordinates x_m, y_m, z_m [m] must be finite")
    return (np.ascontiguousarray(x, dtype=float).ravel(),
            np.ascontiguousarray(y, dtype=float).ravel(),
            np.ascontiguousarray(z, dtype=float).ravel(), x.shape)


def _gain_db_towards(tx: Transmitters, k: int, dx: NDArray[np.float64],
                     dy: NDArray[np.float64], dz: NDArray[np.float64]) -> NDArray[np.float64]:
    """Gain of transmitter k towards the offsets (dx, dy, dz) [dBi] via ssckit.radio.antenna."""
    az = np.degrees(np.arctan2(dx, dy)) % 360.0
    el = np.degrees(np.arctan2(dz, np.hypot(dx, dy)))
    pat = tx.pattern[k]
    if pat is None:
        return np.asarray(sector_gain_38901(
            az, el, antenna_azimuth_deg=tx.azimuth_deg[k],
            mechanical_tilt_deg=tx.mech_tilt_deg[k], electrical_tilt_deg=tx.elec_tilt_deg[k],
            max_gain_dbi=tx.max_gain_dbi[k]), dtype=float)
    return np.asarray(msi_gain(pat, az, el, antenna_azimuth_deg=tx.azimuth_deg[k],
                               mechanical_tilt_deg=tx.mech_tilt_deg[k]), dtype=float)


def _near_field_cap(tx: Transmitters, k: int, coef_k: float, ratio: NDArray[np.float64],
                    dx: NDArray[np.float64], dy: NDArray[np.float64],
                    dz: NDArray[np.float64]) -> NDArray[np.float64]:
    length = tx.antenna_length_m[k]
    if not np.isfinite(length):
        return ratio
    gmax = 10.0 ** (tx.max_gain_dbi[k] / 10.0)
    bw = math.radians(tx.hpbw_h_deg[k])
    rho = np.hypot(dx, dy)
    r_c = bw * gmax * length / _FOUR_PI
    inside = (np.abs(dz) <= 0.5 * length) & (rho < r_c) & (rho > 0)
    # coef = F EIRP / (4 pi S_L); cylindrical ratio = F (EIRP/G) / (bw rho L S_L)
    cyl = coef_k * _FOUR_PI / (gmax * bw * length * np.where(rho > 0, rho, 1.0))
    return np.where(inside, np.minimum(ratio, cyl), ratio)


def exposure_ratios(x_m: ArrayLike, y_m: ArrayLike, z_m: ArrayLike, transmitters: Transmitters,
                    limit_set: str | LimitSet, *, reflection_factor: ArrayLike = 1.0,
                    power_reduction_factor: ArrayLike = 1.0,
                    near_field: bool = False) -> NDArray[np.float64]:
    """Exposure ratio of each transmitter at each point, S_i / S_L(f_i) (NumPy reference).

    Parameters
    ----------
    x_m, y_m : array_like
        Point positions [m], projected CRS (broadcast together with ``z_m``).
    z_m : array_like
        Point heights above local ground [m] (1.5 m for a person standing on the ground).
    transmitters : Transmitters
        Antennas, powers, patterns and frequencies.
    limit_set : str or LimitSet
        Limit set giving S_L(f) (see ``ssckit.emf.limits``).
    reflection_factor : array_like, optional
        Power-density reflection factor [-], scalar or one per transmitter, 1 to 4 (default 1;
        ``ground_reflection_factor()`` = 2.56 for the conservative ground reflection).
    power_reduction_factor : array_like, optional
        Actual-maximum power reduction factor F_PR [-], scalar or one per transmitter,
        0 < F_PR <= 1 (default 1: off). Apply it only to massive-MIMO transmitters assessed
        with the actual maximum approach.
    near_field : bool, optional
        Use the cylindrical estimate where it is lower than the spherical one, within the
        antenna height and crossover distance, for transmitters with a known
        ``antenna_length_m`` (default False: spherical everywhere, conservative).

    Returns
    -------
    numpy.ndarray
        Shape ``points.shape + (n_transmitters,)``, exposure ratios [-]; ``inf`` at a point
        that coincides with an antenna.

    Notes
    -----
    ER_i = F_R F_PR EIRP_i g_i(theta, phi) / (4 pi r_i^2 S_L(f_i)), the spherical formula of
    ``power_density_spherical`` divided by the limit; g_i from ``sector_gain_38901`` or
    ``msi_gain``.

    References
    ----------
    IEC 62232:2022, Annex B; ITU-T K.70 (01/2018) clause 7; ITU-T K.52 (08/2024) clause 6.1.
    """
    px, py, pz, shape = _points(x_m, y_m, z_m)
    coef = _coefficients(transmitters, limit_set, reflection_factor, power_reduction_factor)
    out = np.empty((px.size, len(transmitters)))
    with np.errstate(divide="ignore"):
        for k in range(len(transmitters)):
            dx, dy = px - transmitters.x_m[k], py - transmitters.y_m[k]
            dz = pz - transmitters.z_m[k]
            r2 = dx * dx + dy * dy + dz * dz
            g = 10.0 ** ((_gain_db_towards(transmitters, k, dx, dy, dz)
                          - transmitters.max_gain_dbi[k]) / 10.0)
            ratio = np.where(r2 > 0, coef[k] * g / np.where(r2 > 0, r2, 1.0), np.inf)
            if near_field:
                ratio = _near_field_cap(transmitters, k, coef[k], ratio, dx, dy, dz)
            out[:, k] = ratio
    return out.reshape(shape + (len(transmitters),))


# Numba kernel: TR 38.901 element, per point sum over transmitters.
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}


@numba.njit(inline="always", fastmath=_FASTMATH, cache=True)
def _atan(x: float) -> float:  # pragma: no cover - compiled
    """arctan(x) [rad], |error| < 1e-8 rad: range reduction to |x| <= tan(pi/8), then the
    odd minimax polynomial of the Cephes ``atanf`` routine."""
    s = 1.0
    if x < 0.0:
        s = -1.0
        x = -x
    y0 = 0.0
    if x > 2.414213562373095:
        y0 = 0.5 * math.pi
        x = -1.0 / x
    elif x > 0.4142135623730950:
        y0 = 0.25 * math.pi
        x = (x - 1.0) / (x + 1.0)
    z = x * x
    y = ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z
          - 3.33329491539e-1) * z * x + x)
    return s * (y0 + y)


_BLOCK = 1024


@numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
def _ter_kernel_38901(px, py, pz, sx, sy, sz, ax, ay, az, bx, by, cx, cy, cz, coef,
                      etilt, theta3, phi3, sla, amax, cos_phic, r_cut2,
                      nf_len, nf_rc, nf_cyl, out):  # pragma: no cover - compiled
    """Add sum_k coef_k g_k / r_k^2 into ``out`` for blocks of consecutive points; a
    transmitter is skipped for a whole block when the block's bounding box lies beyond
    its cut-off distance sqrt(r_cut2)."""
    n_pts = px.size
    n_tx = sx.size
    ln10_10 = math.log(10.0) / 10.0
    rad2deg = 180.0 / math.pi
    n_blocks = (n_pts + _BLOCK - 1) // _BLOCK
    for blk in numba.prange(n_blocks):
        i0 = blk * _BLOCK
        i1 = min(i0 + _BLOCK, n_pts)
        x_lo = px[i0]
        x_hi = px[i0]
        y_lo = py[i0]
        y_hi = py[i0]
        z_lo = pz[i0]
        z_hi = pz[i0]
        for i in range(i0, i1):
            x_lo = min(x_lo, px[i])
            x_hi = max(x_hi, px[i])
            y_lo = min(y_lo, py[i])
            y_hi = max(y_hi, py[i])
            z_lo = min(z_lo, pz[i])
            z_hi = max(z_hi, pz[i])
        for k in range(n_tx):
            ex = max(x_lo - sx[k], 0.0, sx[k] - x_hi)
            ey = max(y_lo - sy[k], 0.0, sy[k] - y_hi)
            ez = max(z_lo - sz[k], 0.0, sz[k] - z_hi)
            if ex * ex + ey * ey + ez * ez > r_cut2[k]:
                continue
            for i in range(i0, i1):
                dx = px[i] - sx[k]
                dy = py[i] - sy[k]
                dz = pz[i] - sz[k]
                r2 = dx * dx + dy * dy + dz * dz
                if r2 > r_cut2[k]:
                    continue
                if r2 == 0.0:
                    out[i] += math.inf
                    continue
                u = dx * ax[k] + dy * ay[k] + dz * az[k]      # along boresight (LCS x')
                v = abs(dx * bx[k] + dy * by[k])              # |LCS y'|, symmetric pattern
                w = dx * cx[k] + dy * cy[k] + dz * cz[k]      # LCS z'
                h = math.sqrt(u * u + v * v)
                if u <= cos_phic[k] * h:
                    att = amax[k]                              # A_H saturated: back region
                else:
                    if u > 0.0:
                        phi = _atan(v / u) * rad2deg
                    else:
                        phi = (0.5 * math.pi + _atan(-u / v)) * rad2deg
                    el = _atan(w / h) * rad2deg
                    a_h = min(12.0 * (phi / phi3[k]) ** 2, amax[k])
                    t = (el + etilt[k]) / theta3[k]
                    a_v = min(12.0 * t * t, sla[k])
                    att = min(a_v + a_h, amax[k])
                ratio = coef[k] * math.exp(-att * ln10_10) / r2
                if nf_len[k] > 0.0 and abs(dz) <= 0.5 * nf_len[k]:
                    rho = math.sqrt(dx * dx + dy * dy)
                    if rho > 0.0 and rho < nf_rc[k]:
                        ratio = min(ratio, nf_cyl[k] / rho)
                out[i] += ratio


def _lcs_axes(azimuth_deg: NDArray[np.float64], tilt_deg: NDArray[np.float64]
              ) -> tuple[NDArray[np.float64], ...]:
    """TR 38.901 §7.1.3 LCS unit vectors x', y', z' (gamma = 0) in (east, north, up)."""
    alpha = np.radians(90.0 - azimuth_deg)
    beta = np.radians(tilt_deg)
    ax, ay, az = np.cos(alpha) * np.cos(beta), np.sin(alpha) * np.cos(beta), -np.sin(beta)
    bx, by = -np.sin(alpha), np.cos(alpha)
    cx, cy, cz = np.cos(alpha) * np.sin(beta), np.sin(alpha) * np.sin(beta), np.cos(beta)
    return ax, ay, az, bx, by, cx, cy, cz


def total_exposure_ratio(x_m: ArrayLike, y_m: ArrayLike, z_m: ArrayLike,
                         transmitters: Transmitters, limit_set: str | LimitSet, *,
                         reflection_factor: ArrayLike = 1.0,
                         power_reduction_factor: ArrayLike = 1.0, near_field: bool = False,
                         min_ratio: float = 0.0, engine: str = "numba"
                         ) -> NDArray[np.float64] | float:
    """Total exposure ratio TER = sum_i S_i / S_L(f_i) at each point.

    Parameters
    ----------
    x_m, y_m : array_like
        Point positions [m], projected CRS (broadcast together with ``z_m``).
    z_m : array_like
        Point heights above local ground [m].
    transmitters : Transmitters
        All transmitters to sum (sectors, bands, operators).
    limit_set : str or LimitSet
        Limit set giving S_L(f) per transmitter frequency.
    reflection_factor : array_like, optional
        Power-density reflection factor [-], scalar or per transmitter, 1 to 4 (default 1).
    power_reduction_factor : array_like, optional
        Actual-maximum power reduction factor F_PR [-], scalar or per transmitter,
        0 < F_PR <= 1 (default 1: off).
    near_field : bool, optional
        Apply the cylindrical near-field estimate (see ``exposure_ratios``; default False).
    min_ratio : float, optional
        Skip a transmitter at points where even its main-beam ratio
        F_R F_PR EIRP / (4 pi r^2 S_L) is below ``min_ratio`` [-] (default 0: nothing
        skipped, exact). Each skipped term is below ``min_ratio``, so the TER is
        underestimated by less than ``n_transmitters * min_ratio``.
    engine : {"numba", "numpy"}, optional
        ``"numba"`` (default): compiled parallel kernel for TR 38.901 transmitters, NumPy for
        measured patterns; ``"numpy"``: NumPy only (``exposure_ratios`` summed).

    Returns
    -------
    float or numpy.ndarray
        TER [-] with the broadcast shape of the points; compliance requires TER < 1.

    Raises
    ------
    ValueError
        Unknown limit set or a transmitter frequency outside it; factors out of range;
        unknown engine.

    Notes
    -----
    Total exposure ratio for simultaneous exposure to several frequencies (thermal
    effects, 100 kHz-300 GHz)::

        TER = sum_i S_i / S_L,i  <= 1

    (ICNIRP 2020, "Simultaneous exposure to multiple frequency fields", summation for the
    whole-body reference levels; IEC 62232:2022, total exposure ratio;
    ITU-T K.52 (08/2024) clause 6.1; ITU-T K.70 (01/2018) clause 6).

    References
    ----------
    ICNIRP (2020), Health Phys. 118(5), section on simultaneous exposure; IEC 62232:2022;
    ITU-T K.52 (08/2024) clause 6.1; ITU-T K.70 (01/2018).
    """
    if engine not in ("numba", "numpy"):
        raise ValueError(f"engine must be 'numba' or 'numpy', found {engine!r}")
    if not (math.isfinite(min_ratio) and min_ratio >= 0):
        raise ValueError(f"min_ratio must be finite and >= 0, found {min_ratio!r}")
    px, py, pz, shape = _points(x_m, y_m, z_m)
    tx = transmitters
    n = len(tx)
    coef = _coefficients(tx, limit_set, reflection_factor, power_reduction_factor)
    r_cut2 = coef / min_ratio if min_ratio > 0 else np.full(n, np.inf)
    is_3gpp = np.array([p is None for p in tx.pattern], dtype=bool)
    if engine == "numpy":
        is_3gpp[:] = False
    out = np.zeros(px.size)
    if np.any(is_3gpp):
        sel = np.flatnonzero(is_3gpp)
        axes = _lcs_axes(tx.azimuth_deg[sel], tx.mech_tilt_deg[sel])
        theta3 = np.full(sel.size, 65.0)
        phi3 = np.full(sel.size, 65.0)
        sla = np.full(sel.size, 30.0)
        amax = np.full(sel.size, 30.0)
        phic = np.minimum(phi3 * np.sqrt(amax / 12.0), 180.0)
        length = np.where(np.isfinite(tx.antenna_length_m[sel]) & near_field,
                          tx.antenna_length_m[sel], 0.0)
        gmax = 10.0 ** (tx.max_gain_dbi[sel] / 10.0)
        bw = np.radians(tx.hpbw_h_deg[sel])
        nf_rc = bw * gmax * length / _FOUR_PI
        nf_cyl = np.where(length > 0, coef[sel] * _FOUR_PI
                          / (gmax * bw * np.where(length > 0, length, 1.0)), 0.0)
        c = np.ascontiguousarray
        _ter_kernel_38901(px, py, pz, c(tx.x_m[sel]), c(tx.y_m[sel]), c(tx.z_m[sel]),
                          *(c(a) for a in axes), c(coef[sel]), c(tx.elec_tilt_deg[sel]),
                          theta3, phi3, sla, amax, np.cos(np.radians(phic)), c(r_cut2[sel]),
                          c(length), nf_rc, nf_cyl, out)
    rest = np.flatnonzero(~is_3gpp)
    if rest.size:
        sub = _subset(tx, rest)
        with np.errstate(invalid="ignore"):
            for start in range(0, px.size, 65_536):
                stop = min(start + 65_536, px.size)
                ratios = exposure_ratios(px[start:stop], py[start:stop], pz[start:stop], sub,
                                         limit_set,
                                         reflection_factor=_pick(reflection_factor, rest),
                                         power_reduction_factor=_pick(power_reduction_factor,
                                                                      rest),
                                         near_field=near_field)
                if min_ratio > 0:
                    dx = px[start:stop, None] - sub.x_m
                    dy = py[start:stop, None] - sub.y_m
                    dz = pz[start:stop, None] - sub.z_m
                    ratios = np.where(dx * dx + dy * dy + dz * dz > r_cut2[rest], 0.0, ratios)
                out[start:stop] += ratios.sum(axis=1)
    return _out(out.reshape(shape))


def _pick(value: ArrayLike, idx: NDArray[np.intp]) -> ArrayLike:
    return value if np.ndim(value) == 0 else _arr(value).ravel()[idx]


def _subset(tx: Transmitters, idx: Sequence[int] | NDArray[np.intp]) -> Transmitters:
    idx = np.asarray(idx)
    return Transmitters(
        x_m=tx.x_m[idx], y_m=tx.y_m[idx], z_m=tx.z_m[idx], azimuth_deg=tx.azimuth_deg[idx],
        mech_tilt_deg=tx.mech_tilt_deg[idx], elec_tilt_deg=tx.elec_tilt_deg[idx],
        tx_power_dbm=tx.tx_power_dbm[idx], max_gain_dbi=tx.max_gain_dbi[idx],
        freq_mhz=tx.freq_mhz[idx], pattern=tuple(tx.pattern[i] for i in idx),
        antenna_length_m=tx.antenna_length_m[idx], hpbw_h_deg=tx.hpbw_h_deg[idx],
        label=tuple(tx.label[i] for i in idx))
