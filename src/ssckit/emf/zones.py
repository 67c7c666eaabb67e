"""Compliance boundaries of base-station antennas: exclusion zones, installation classes and
checks of publicly accessible points.

* ``exclusion_distance``: distance where the spherical-model power density falls to the limit,
  r = sqrt(F_R F_PR EIRP g / (4 pi S_L));
* ``exclusion_zones``: the box enclosing each antenna's exclusion zone (in front, behind, to
  the side, above and below the antenna), from its 3D pattern;
* ``installation_class``: the EIRP classes E0, E2, E10, E100, E+ of IEC 62232;
* ``check_accessible_points``: TER at ground, roof and balcony points and whether each lies in
  an exclusion zone (TER >= 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ssckit.emf.exposure import (
    Transmitters,
    _check,
    _coefficients,
    _gain_db_towards,
    exposure_ratios,
    total_exposure_ratio,
)
from ssckit.emf.limits import LimitSet

__all__ = [
    "EVALUATION_HEIGHT_M",
    "INSTALLATION_CLASSES",
    "AccessCheck",
    "ExclusionZones",
    "check_accessible_points",
    "exclusion_distance",
    "exclusion_zones",
    "installation_class",
]

#: Height of the evaluation point above an accessible surface [m] (a standing person).
EVALUATION_HEIGHT_M = 1.5

#: Installation classes by EIRP: (class, upper EIRP bound [W], inclusive). IEC 62232:2022
#: Table on product installation classes (E2, E10, E100, E+, as in EN 50401:2017); E0, the
#: inherently compliant class, is bounded here by the 20 mW low-power level of IEC 62479:2010
#: for the general public.
INSTALLATION_CLASSES: tuple[tuple[str, float], ...] = (
    ("E0", 0.02), ("E2", 2.0), ("E10", 10.0), ("E100", 100.0), ("E+", math.inf),
)


def exclusion_distance(eirp: ArrayLike, limit_w_m2: ArrayLike, relative_gain: ArrayLike = 1.0,
                       *, reflection_factor: ArrayLike = 1.0,
                       power_reduction_factor: ArrayLike = 1.0) -> NDArray[np.float64] | float:
    """Distance from the antenna where the spherical-model power density equals the limit.

    Parameters
    ----------
    eirp : array_like
        Main-beam EIRP [W], >= 0.
    limit_w_m2 : array_like
        Power-density limit S_L [W/m^2], > 0 (``ssckit.emf.limits.limit_power_density``).
    relative_gain : array_like, optional
        Gain in the direction considered relative to the maximum [-] (default 1: main beam).
    reflection_factor : array_like, optional
        Power-density reflection factor F_R [-], 1 to 4 (default 1; 2.56 with the ground
        reflection of ``ssckit.emf.exposure.ground_reflection_factor``).
    power_reduction_factor : array_like, optional
        Actual-maximum power reduction factor F_PR [-], 0 < F_PR <= 1 (default 1: off).

    Returns
    -------
    float or numpy.ndarray
        Compliance distance r [m].

    Notes
    -----
    Solving F_R F_PR EIRP g / (4 pi r^2) = S_L for r::

        r = sqrt(F_R F_PR EIRP g / (4 pi S_L))

    References
    ----------
    IEC 62232:2022, Annex B (compliance boundary from the spherical formula); ITU-T K.52
    (08/2024) Appendix II; ITU-T K.70 (01/2018) clause 7.
    """
    p, s = np.asarray(eirp, dtype=float), np.asarray(limit_w_m2, dtype=float)
    g = np.asarray(relative_gain, dtype=float)
    fr = np.asarray(reflection_factor, dtype=float)
    fpr = np.asarray(power_reduction_factor, dtype=float)
    _check("eirp", p, 0.0, unit="W")
    _check("limit_w_m2", s, 0.0, strict=True, unit="W/m^2")
    _check("relative_gain", g, 0.0)
    _check("reflection_factor", fr, 1.0, hi=4.0)
    _check("power_reduction_factor", fpr, 0.0, strict=True, hi=1.0)
    r = np.sqrt(fr * fpr * p * g / (4.0 * math.pi * s))
    return float(r) if r.ndim == 0 else r


@dataclass(frozen=True)
class ExclusionZones:
    """Box enclosing the exclusion zone of each transmitter (one entry per transmitter).

    Distances are from the antenna centre, in the horizontal frame of the antenna (front along
    its azimuth, not along the tilted beam).

    Attributes
    ----------
    label : tuple of str
        Transmitter names.
    boresight_m : numpy.ndarray
        Main-beam compliance distance r_0 [m] (``exclusion_distance`` with g = 1).
    front_m, back_m : numpy.ndarray
        Largest horizontal extent in front of and behind the antenna [m].
    side_m : numpy.ndarray
        Largest horizontal extent to either side [m].
    above_m, below_m : numpy.ndarray
        Largest vertical extent above and below the antenna centre [m].
    """

    label: tuple[str, ...]
    boresight_m: NDArray[np.float64]
    front_m: NDArray[np.float64]
    back_m: NDArray[np.float64]
    side_m: NDArray[np.float64]
    above_m: NDArray[np.float64]
    below_m: NDArray[np.float64]


def exclusion_zones(transmitters: Transmitters, limit_set: str | LimitSet, *,
                    reflection_factor: ArrayLike = 1.0, power_reduction_factor: ArrayLike = 1.0,
                    step_deg: float = 0.5) -> ExclusionZones:
    """Exclusion-zone dimensions of each transmitter taken alone, from its 3D pattern.

    Parameters
    ----------
    transmitters : Transmitters
        The antennas (pattern, tilts, EIRP, frequency).
    limit_set : str or LimitSet
        Limit set giving S_L at each transmitter frequency.
    reflection_factor : array_like, optional
        Power-density reflection factor F_R [-], scalar or per transmitter (default 1).
    power_reduction_factor : array_like, optional
        Actual-maximum power reduction factor F_PR [-], scalar or per transmitter
        (default 1: off).
    step_deg : float, optional
        Angular step of the direction grid [deg], 0 < step <= 5 (default 0.5).

    Returns
    -------
    ExclusionZones

    Notes
    -----
    The zone boundary in direction (az, el) is at r(az, el) = r_0 sqrt(g(az, el)) with
    r_0 = sqrt(F_R F_PR EIRP / (4 pi S_L)) (spherical model). The box is the extreme of
    r cos(el) cos(az'), r cos(el) sin(az') and r sin(el) over the direction grid, az' being
    the azimuth from the antenna's bearing. Sources of other transmitters are not added: the
    TER of all of them together is checked by ``check_accessible_points``.

    References
    ----------
    IEC 62232:2022, Annex B (compliance boundary); ITU-T K.52 (08/2024) clause 11.2
    (exceedance zone); ITU-T K.70 (01/2018) clause 7.
    """
    if not (0.0 < step_deg <= 5.0):
        raise ValueError(f"step_deg must be in (0, 5] deg; found {step_deg!r}")
    coef = _coefficients(transmitters, limit_set, reflection_factor, power_reduction_factor)
    r0 = np.sqrt(coef)   # coef = F_R F_PR EIRP / (4 pi S_L) [m^2]
    rel_az = np.radians(np.arange(-180.0, 180.0, step_deg))
    el = np.radians(np.linspace(-90.0, 90.0, int(round(180.0 / step_deg)) + 1))
    AZ, EL = np.meshgrid(rel_az, el)
    n = len(transmitters)
    out = {k: np.empty(n) for k in ("front", "back", "side", "above", "below")}
    for k in range(n):
        bearing = np.radians(transmitters.azimuth_deg[k]) + AZ
        dx = np.cos(EL) * np.sin(bearing)
        dy = np.cos(EL) * np.cos(bearing)
        dz = np.sin(EL)
        g = 10.0 ** ((_gain_db_towards(transmitters, k, dx, dy, dz)
                      - transmitters.max_gain_dbi[k]) / 10.0)
        r = r0[k] * np.sqrt(g)
        fwd = r * np.cos(EL) * np.cos(AZ)
        out["front"][k] = max(fwd.max(), 0.0)
        out["back"][k] = max((-fwd).max(), 0.0)
        out["side"][k] = np.abs(r * np.cos(EL) * np.sin(AZ)).max()
        out["above"][k] = max((r * np.sin(EL)).max(), 0.0)
        out["below"][k] = max((-r * np.sin(EL)).max(), 0.0)
    return ExclusionZones(label=transmitters.label, boresight_m=r0, front_m=out["front"],
                          back_m=out["back"], side_m=out["side"], above_m=out["above"],
                          below_m=out["below"])


def installation_class(eirp: ArrayLike) -> NDArray[np.str_] | str:
    """Installation class of a base station from its total EIRP.

    Parameters
    ----------
    eirp : array_like
        Total EIRP of the installation [W], >= 0 (sum over its bands and carriers).

    Returns
    -------
    str or numpy.ndarray of str
        ``"E0"`` (EIRP <= 0.02 W), ``"E2"`` (<= 2 W), ``"E10"`` (<= 10 W), ``"E100"``
        (<= 100 W) or ``"E+"`` (> 100 W); see ``INSTALLATION_CLASSES``.

    Notes
    -----
    Classes E2, E10 and E100 need no site-specific assessment when installed as their class
    requires (E10: lowest radiating part >= 2.2 m above the public walkway; E100: >= 2.5 m,
    and the public kept >= 5 m from the main lobe); E+ installations need a compliance
    boundary assessment (``exclusion_zones``, ``check_accessible_points``).

    References
    ----------
    IEC 62232:2022, clause on product installation classes and its table; EN 50401:2017;
    ITU-T K.52 (08/2024) Annex B (installation categories); IEC 62479:2010 (low-power
    exclusion, E0 bound).
    """
    p = np.asarray(eirp, dtype=float)
    _check("eirp", p, 0.0, unit="W")
    bounds = np.array([b for _, b in INSTALLATION_CLASSES])
    names = np.array([c for c, _ in INSTALLATION_CLASSES])
    cls = names[np.searchsorted(bounds, p, side="left")]
    return str(cls) if cls.ndim == 0 else cls


@dataclass(frozen=True)
class AccessCheck:
    """Exposure at publicly accessible points.

    Attributes
    ----------
    ter : numpy.ndarray
        Total exposure ratio at each point [-].
    inside : numpy.ndarray of bool
        True where TER >= 1: the point is inside an exclusion zone (not compliant).
    dominant : tuple of str
        Label of the transmitter contributing most at each point.
    z_m : numpy.ndarray
        Height of each evaluation point above ground [m].
    """

    ter: NDArray[np.float64]
    inside: NDArray[np.bool_]
    dominant: tuple[str, ...]
    z_m: NDArray[np.float64]


def check_accessible_points(x_m: ArrayLike, y_m: ArrayLike, surface_height_m: ArrayLike,
                            transmitters: Transmitters, limit_set: str | LimitSet, *,
                            evaluation_height_m: float = EVALUATION_HEIGHT_M,
                            reflection_factor: ArrayLike = 1.0,
                            power_reduction_factor: ArrayLike = 1.0,
                            near_field: bool = False) -> AccessCheck:
    """Whether publicly accessible points lie inside an exclusion zone (TER >= 1).

    Parameters
    ----------
    x_m, y_m : array_like
        Positions of the points [m], projected CRS.
    surface_height_m : array_like
        Height above ground of the surface a person stands on [m]: 0 for the ground, the roof
        or balcony floor height otherwise.
    transmitters : Transmitters
        All transmitters (all operators and bands) to sum.
    limit_set : str or LimitSet
        Limit set (e.g. ``"icnirp2020-public"`` for the general public).
    evaluation_height_m : float, optional
        Height of the evaluation point above the surface [m] (default 1.5).
    reflection_factor : array_like, optional
        Power-density reflection factor F_R [-] (default 1; 2.56 for ground reflection).
    power_reduction_factor : array_like, optional
        Actual-maximum power reduction factor F_PR [-] (default 1: off).
    near_field : bool, optional
        Use the cylindrical near-field estimate where applicable (default False).

    Returns
    -------
    AccessCheck

    Notes
    -----
    TER = sum_i S_i / S_L(f_i) (``ssckit.emf.exposure.total_exposure_ratio``); a point is in
    an exclusion zone when TER >= 1.

    References
    ----------
    ITU-T K.52 (08/2024) clause 6.1 and Appendix II (ground level, adjacent building);
    IEC 62232:2022, total exposure ratio; ICNIRP (2020), simultaneous exposure.
    """
    if not (math.isfinite(evaluation_height_m) and evaluation_height_m >= 0):
        raise ValueError("evaluation_height_m must be finite and >= 0 [m]")
    x, y, h = np.broadcast_arrays(np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float),
                                  np.asarray(surface_height_m, dtype=float))
    z = h + evaluation_height_m
    kw = dict(reflection_factor=reflection_factor,
              power_reduction_factor=power_reduction_factor, near_field=near_field)
    ter = np.asarray(total_exposure_ratio(x, y, z, transmitters, limit_set, **kw), dtype=float)
    ratios = exposure_ratios(x, y, z, transmitters, limit_set, **kw)
    dominant = tuple(transmitters.label[i] for i in np.argmax(ratios, axis=-1).ravel())
    return AccessCheck(ter=ter.reshape(x.shape), inside=(ter >= 1.0).reshape(x.shape),
                       dominant=dominant, z_m=z)


