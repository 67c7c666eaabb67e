"""3GPP TR 38.901 (v17) large-scale models: path loss, LOS probability and shadow fading.

Implements Table 7.4.1-1 (path loss of RMa, UMa, UMi-Street Canyon and InH-Office, LOS and NLOS,
with the breakpoint distances of its Notes 1 and 5), Table 7.4.2-1 (LOS probability) and the
shadow-fading standard deviations of Table 7.4.1-1. Every function is vectorised over NumPy
arrays (inputs broadcast against each other) and refuses, with ``ValueError`` naming the
parameter and the allowed range, any input outside the applicability range the Table gives for
the formula used; nothing is extrapolated.

Conventions: ``freq_ghz`` is the centre frequency f_c in GHz (the Table's f_c "normalised by
1 GHz"); distances and heights are in metres; d_2D is the ground distance between base station
(BS) and user terminal (UT), d_3D = sqrt(d_2D^2 + (h_BS - h_UT)^2) (TR 38.901 Figure 7.4.1-1).
Path loss is returned in dB, as a positive number.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "breakpoint_distance_rma",
    "breakpoint_distance_umx",
    "los_probability",
    "path_loss",
    "path_loss_inh_los",
    "path_loss_inh_nlos",
    "path_loss_rma_los",
    "path_loss_rma_nlos",
    "path_loss_uma_los",
    "path_loss_uma_nlos",
    "path_loss_umi_los",
    "path_loss_umi_nlos",
    "shadow_fading_std",
    "uma_effective_environment_height",
    "uma_h_e_one_probability",
]

#: c = 3.0e8 m/s, the value TR 38.901 Table 7.4.1-1 Notes 1 and 5 use for the breakpoint distances.
SPEED_OF_LIGHT_M_S = 3.0e8

Scenario = Literal["RMa", "UMa", "UMi", "InH"]
Condition = Literal["LOS", "NLOS"]

_TABLE = "3GPP TR 38.901 v17 Table 7.4.1-1"

# Applicability ranges, TR 38.901 v17 Table 7.4.1-1 (and its Note 6 for frequency).
_RMA_FREQ_GHZ = (0.5, 30.0)
_OTHER_FREQ_GHZ = (0.5, 100.0)
_RMA_H_BS_M = (10.0, 150.0)
_RMA_H_UT_M = (1.0, 10.0)
_RMA_H_M = (5.0, 50.0)  # average building height
_RMA_W_M = (5.0, 50.0)  # average street width
_RMA_LOS_D2D_M = (10.0, 10_000.0)
_RMA_NLOS_D2D_M = (10.0, 5_000.0)
_UMA_H_BS_M = 25.0
_UMI_H_BS_M = 10.0
_UMX_H_UT_M = (1.5, 22.5)
_UMX_D2D_M = (10.0, 5_000.0)
_INH_D3D_M = (1.0, 150.0)


# --------------------------------------------------------------------------- helpers


def _arr(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=float)


def _out(x: NDArray[np.float64]) -> NDArray[np.float64] | float:
    """0-d results come back as a Python float, everything else as an array."""
    return float(x) if np.ndim(x) == 0 else x


def _check_range(name: str, value: NDArray[np.float64], lo: float, hi: float, unit: str,
                 what: str) -> None:
    """Refuse values outside [lo, hi] (inclusive), naming the parameter and the range."""
    v = np.asarray(value, dtype=float)
    bad = ~((v >= lo) & (v <= hi))  # NaN is refused too
    if np.any(bad):
        first = v[bad].flat[0] if v.ndim else float(v)
        raise ValueError(
            f"{name}={first:g} {unit} is outside the {what} applicability range "
            f"{lo:g} <= {name} <= {hi:g} {unit} ({_TABLE})"
        )


def _check_equal(name: str, value: NDArray[np.float64], expected: float, unit: str,
                 what: str) -> None:
    v = np.asarray(value, dtype=float)
    bad = ~np.isclose(v, expected, rtol=0.0, atol=1e-9)
    if np.any(bad):
        first = v[bad].flat[0] if v.ndim else float(v)
        raise ValueError(
            f"{name}={first:g} {unit} is outside the {what} applicability range: "
            f"{_TABLE} defines the {what} formulas for {name} = {expected:g} {unit} only"
        )


def _d3d(d2d: NDArray[np.float64], h_bs: NDArray[np.float64],
         h_ut: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.sqrt(d2d**2 + (h_bs - h_ut) ** 2)


# --------------------------------------------------------------------------- breakpoints


def breakpoint_distance_rma(freq_ghz: ArrayLike, h_bs_m: ArrayLike,
                            h_ut_m: ArrayLike) -> NDArray[np.float64] | float:
    """Breakpoint distance d_BP of the RMa LOS model.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz].
    h_bs_m : array_like
        Base-station antenna height h_BS [m].
    h_ut_m : array_like
        User-terminal antenna height h_UT [m].

    Returns
    -------
    float or numpy.ndarray
        d_BP [m].

    Notes
    -----
    Table 7.4.1-1 Note 5: d_BP = 2 pi h_BS h_UT f_c / c, with f_c in Hz and c = 3.0e8 m/s.

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1, Note 5.
    """
    f_hz = _arr(freq_ghz) * 1e9
    return _out(2.0 * np.pi * _arr(h_bs_m) * _arr(h_ut_m) * f_hz / SPEED_OF_LIGHT_M_S)


def breakpoint_distance_umx(freq_ghz: ArrayLike, h_bs_m: ArrayLike, h_ut_m: ArrayLike,
                            h_e_m: ArrayLike = 1.0) -> NDArray[np.float64] | float:
    """Breakpoint distance d'_BP of the UMa and UMi-Street Canyon LOS models.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz].
    h_bs_m : array_like
        Base-station antenna height h_BS [m].
    h_ut_m : array_like
        User-terminal antenna height h_UT [m].
    h_e_m : array_like, optional
        Effective environment height h_E [m]; 1 m for UMi and (with probability
        ``uma_h_e_one_probability``) for UMa. Must be below both antenna heights.

    Returns
    -------
    float or numpy.ndarray
        d'_BP [m].

    Notes
    -----
    Table 7.4.1-1 Note 1: d'_BP = 4 h'_BS h'_UT f_c / c, with h'_BS = h_BS - h_E,
    h'_UT = h_UT - h_E, f_c in Hz and c = 3.0e8 m/s.

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1, Note 1.
    """
    h_e = _arr(h_e_m)
    h_bs, h_ut = _arr(h_bs_m), _arr(h_ut_m)
    if np.any(h_e < 0) or np.any(h_e >= h_ut) or np.any(h_e >= h_bs):
        raise ValueError(
            "h_e_m must satisfy 0 <= h_e_m < h_ut_m and h_e_m < h_bs_m "
            f"(effective antenna heights must be positive; {_TABLE}, Note 1)"
        )
    f_hz = _arr(freq_ghz) * 1e9
    return _out(4.0 * (h_bs - h_e) * (h_ut - h_e) * f_hz / SPEED_OF_LIGHT_M_S)


def uma_h_e_one_probability(d2d_m: ArrayLike, h_ut_m: ArrayLike) -> NDArray[np.float64] | float:
    """Probability that the UMa effective environment height h_E equals 1 m.

    Parameters
    ----------
    d2d_m : array_like
        2D distance d_2D [m].
    h_ut_m : array_like
        User-terminal antenna height h_UT [m], 1.5 <= h_UT <= 22.5 m (checked up to 23 m, the
        range of C(d_2D, h_UT)).

    Returns
    -------
    float or numpy.ndarray
        P(h_E = 1 m) = 1 / (1 + C(d_2D, h_UT)) [-].

    Notes
    -----
    Table 7.4.1-1 Note 1:
    C(d_2D, h_UT) = 0 for h_UT < 13 m and ((h_UT - 13)/10)^1.5 g(d_2D) for 13 <= h_UT <= 23 m,
    g(d_2D) = 0 for d_2D <= 18 m and (5/4)(d_2D/100)^3 exp(-d_2D/150) otherwise.

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1, Note 1.
    """
    d2d, h_ut = _arr(d2d_m), _arr(h_ut_m)
    _check_range("d2d_m", d2d, 0.0, np.inf, "m", "UMa h_E")
    _check_range("h_ut_m", h_ut, 0.0, 23.0, "m", "UMa h_E (C(d2D, hUT))")
    g = np.where(d2d > 18.0, 1.25 * (d2d / 100.0) ** 3 * np.exp(-d2d / 150.0), 0.0)
    c = np.where(h_ut >= 13.0, (np.clip(h_ut - 13.0, 0.0, None) / 10.0) ** 1.5 * g, 0.0)
    return _out(1.0 / (1.0 + c))


def uma_effective_environment_height(d2d_m: ArrayLike, h_ut_m: ArrayLike,
                                     rng: np.random.Generator) -> NDArray[np.float64] | float:
    """Draw the UMa effective environment height h_E, link by link.

    Parameters
    ----------
    d2d_m : array_like
        2D distance d_2D [m].
    h_ut_m : array_like
        User-terminal antenna height h_UT [m].
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    float or numpy.ndarray
        h_E [m]: 1 m with probability 1/(1 + C(d_2D, h_UT)), otherwise drawn from the discrete
        uniform distribution on {12, 15, ..., (h_UT - 1.5)} m.

    Notes
    -----
    Table 7.4.1-1 Note 1. When h_UT - 1.5 < 12 m (13 < h_UT < 13.5 m) the set has no member
    as written; 12 m is used, the set's first value. Pass the draw to ``path_loss_uma_los``
    through its ``h_e_m`` argument.

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1, Note 1.
    """
    d2d, h_ut = np.broadcast_arrays(_arr(d2d_m), _arr(h_ut_m))
    p_one = np.asarray(uma_h_e_one_probability(d2d, h_ut))
    u = rng.random(d2d.shape)
    n_choices = np.maximum(np.floor((h_ut - 1.5 - 12.0) / 3.0) + 1.0, 1.0)
    k = np.floor(rng.random(d2d.shape) * n_choices)
    h_e = np.where(u < p_one, 1.0, 12.0 + 3.0 * k)
    return _out(h_e)


# --------------------------------------------------------------------------- RMa


def _check_rma(freq: NDArray, h_bs: NDArray, h_ut: NDArray, h: NDArray, w: NDArray) -> None:
    _check_range("freq_ghz", freq, *_RMA_FREQ_GHZ, "GHz", "RMa")
    _check_range("h_bs_m", h_bs, *_RMA_H_BS_M, "m", "RMa")
    _check_range("h_ut_m", h_ut, *_RMA_H_UT_M, "m", "RMa")
    _check_range("h_building_m", h, *_RMA_H_M, "m", "RMa")
    _check_range("street_width_m", w, *_RMA_W_M, "m", "RMa")


def _rma_pl1(freq: NDArray, d3d: NDArray, h: NDArray) -> NDArray:
    """PL1 of RMa LOS, Table 7.4.1-1 (f_c in GHz, d_3D and h in m)."""
    return (20.0 * np.log10(40.0 * np.pi * d3d * freq / 3.0)
            + np.minimum(0.03 * h**1.72, 10.0) * np.log10(d3d)
            - np.minimum(0.044 * h**1.72, 14.77)
            + 0.002 * np.log10(h) * d3d)


def _rma_los(freq: NDArray, d2d: NDArray, h_bs: NDArray, h_ut: NDArray, h: NDArray) -> NDArray:
    d3d = _d3d(d2d, h_bs, h_ut)
    d_bp = 2.0 * np.pi * h_bs * h_ut * freq * 1e9 / SPEED_OF_LIGHT_M_S
    pl1 = _rma_pl1(freq, d3d, h)
    pl2 = _rma_pl1(freq, d_bp, h) + 40.0 * np.log10(d3d / d_bp)
    return np.where(d2d <= d_bp, pl1, pl2)


def path_loss_rma_los(freq_ghz: ArrayLike, d2d_m: ArrayLike, h_bs_m: ArrayLike = 35.0,
                      h_ut_m: ArrayLike = 1.5, h_building_m: ArrayLike = 5.0,
                      street_width_m: ArrayLike = 20.0) -> NDArray[np.float64] | float:
    """Rural macro (RMa) line-of-sight path loss.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz], 0.5 to 30 GHz.
    d2d_m : array_like
        2D BS-UT distance d_2D [m], 10 m to 10 km.
    h_bs_m : array_like, optional
        BS antenna height h_BS [m], 10 to 150 m (default 35 m).
    h_ut_m : array_like, optional
        UT antenna height h_UT [m], 1 to 10 m (default 1.5 m).
    h_building_m : array_like, optional
        Average building height h [m], 5 to 50 m (default 5 m).
    street_width_m : array_like, optional
        Average street width W [m], 5 to 50 m (default 20 m); it does not enter the LOS
        formula but its range is checked.

    Returns
    -------
    float or numpy.ndarray
        PL_RMa-LOS [dB].

    Notes
    -----
    Table 7.4.1-1, RMa LOS::

        PL1 = 20 log10(40 pi d_3D f_c / 3) + min(0.03 h^1.72, 10) log10(d_3D)
              - min(0.044 h^1.72, 14.77) + 0.002 log10(h) d_3D      10 m <= d_2D <= d_BP
        PL2 = PL1(d_BP) + 40 log10(d_3D / d_BP)                     d_BP <= d_2D <= 10 km

    with d_BP from Note 5 (``breakpoint_distance_rma``). PL1(d_BP) is PL1 evaluated with
    d_3D = d_BP, as in the ns-3 ThreeGppRmaPropagationLossModel.

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1 (RMa LOS) and Notes 5-6.
    """
    freq, d2d, h_bs, h_ut, h, w = np.broadcast_arrays(
        _arr(freq_ghz), _arr(d2d_m), _arr(h_bs_m), _arr(h_ut_m), _arr(h_building_m),
        _arr(street_width_m))
    _check_rma(freq, h_bs, h_ut, h, w)
    _check_range("d2d_m", d2d, *_RMA_LOS_D2D_M, "m", "RMa LOS")
    return _out(_rma_los(freq, d2d, h_bs, h_ut, h))


def path_loss_rma_nlos(freq_ghz: ArrayLike, d2d_m: ArrayLike, h_bs_m: ArrayLike = 35.0,
                       h_ut_m: ArrayLike = 1.5, h_building_m: ArrayLike = 5.0,
                       street_width_m: ArrayLike = 20.0) -> NDArray[np.float64] | float:
    """Rural macro (RMa) non-line-of-sight path loss.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz], 0.5 to 30 GHz.
    d2d_m : array_like
        2D BS-UT distance d_2D [m], 10 m to 5 km (the NLOS formula's range, narrower than
        the LOS one).
    h_bs_m : array_like, optional
        BS antenna height h_BS [m], 10 to 150 m (default 35 m).
    h_ut_m : array_like, optional
        UT antenna height h_UT [m], 1 to 10 m (default 1.5 m).
    h_building_m : array_like, optional
        Average building height h [m], 5 to 50 m (default 5 m).
    street_width_m : array_like, optional
        Average street width W [m], 5 to 50 m (default 20 m).

    Returns
    -------
    float or numpy.ndarray
        PL_RMa-NLOS [dB].

    Notes
    -----
    Table 7.4.1-1, RMa NLOS: PL_RMa-NLOS = max(PL_RMa-LOS, PL'_RMa-NLOS) for
    10 m <= d_2D <= 5 km, with::

        PL'_RMa-NLOS = 161.04 - 7.1 log10(W) + 7.5 log10(h)
                       - (24.37 - 3.7 (h/h_BS)^2) log10(h_BS)
                       + (43.42 - 3.1 log10(h_BS)) (log10(d_3D) - 3)
                       + 20 log10(f_c) - (3.2 (log10(11.75 h_UT))^2 - 4.97)

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1 (RMa NLOS) and Notes 5-6.
    """
    freq, d2d, h_bs, h_ut, h, w = np.broadcast_arrays(
        _arr(freq_ghz), _arr(d2d_m), _arr(h_bs_m), _arr(h_ut_m), _arr(h_building_m),
        _arr(street_width_m))
    _check_rma(freq, h_bs, h_ut, h, w)
    _check_range("d2d_m", d2d, *_RMA_NLOS_D2D_M, "m", "RMa NLOS")
    d3d = _d3d(d2d, h_bs, h_ut)
    pl_nlos = (161.04 - 7.1 * np.log10(w) + 7.5 * np.log10(h)
               - (24.37 - 3.7 * (h / h_bs) ** 2) * np.log10(h_bs)
               + (43.42 - 3.1 * np.log10(h_bs)) * (np.log10(d3d) - 3.0)
               + 20.0 * np.log10(freq)
               - (3.2 * np.log10(11.75 * h_ut) ** 2 - 4.97))
    return _out(np.maximum(_rma_los(freq, d2d, h_bs, h_ut, h), pl_nlos))


# --------------------------------------------------------------------------- UMa / UMi


def _check_umx(what: str, freq: NDArray, d2d: NDArray, h_bs: NDArray, h_ut: NDArray,
               h_bs_fixed: float) -> None:
    _check_range("freq_ghz", freq, *_OTHER_FREQ_GHZ, "GHz", what)
    _check_range("d2d_m", d2d, *_UMX_D2D_M, "m", what)
    _check_equal("h_bs_m", h_bs, h_bs_fixed, "m", what)
    _check_range("h_ut_m", h_ut, *_UMX_H_UT_M, "m", what)


def _umx_los(freq: NDArray, d2d: NDArray, h_bs: NDArray, h_ut: NDArray, h_e: NDArray,
             a: float, b1: float, c2: float) -> NDArray:
    """Two-slope LOS law of UMa (a=28, b1=22, c2=9) and UMi (a=32.4, b1=21, c2=9.5)."""
    d3d = _d3d(d2d, h_bs, h_ut)
    d_bp = np.asarray(breakpoint_distance_umx(freq, h_bs, h_ut, h_e))
    pl1 = a + b1 * np.log10(d3d) + 20.0 * np.log10(freq)
    pl2 = (a + 40.0 * np.log10(d3d) + 20.0 * np.log10(freq)
           - c2 * np.log10(d_bp**2 + (h_bs - h_ut) ** 2))
    return np.where(d2d <= d_bp, pl1, pl2)


def path_loss_uma_los(freq_ghz: ArrayLike, d2d_m: ArrayLike, h_bs_m: ArrayLike = 25.0,
                      h_ut_m: ArrayLike = 1.5, h_e_m: ArrayLike = 1.0
                      ) -> NDArray[np.float64] | float:
    """Urban macro (UMa) line-of-sight path loss.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz], 0.5 to 100 GHz.
    d2d_m : array_like
        2D BS-UT distance d_2D [m], 10 m to 5 km.
    h_bs_m : array_like, optional
        BS antenna height h_BS [m]; the Table defines UMa for h_BS = 25 m only (default).
    h_ut_m : array_like, optional
        UT antenna height h_UT [m], 1.5 to 22.5 m (default 1.5 m).
    h_e_m : array_like, optional
        Effective environment height h_E [m] (default 1 m). The Table draws it per link
        (``uma_effective_environment_height``); it is 1 m with certainty for h_UT < 13 m.

    Returns
    -------
    float or numpy.ndarray
        PL_UMa-LOS [dB].

    Notes
    -----
    Table 7.4.1-1, UMa LOS::

        PL1 = 28.0 + 22 log10(d_3D) + 20 log10(f_c)              10 m <= d_2D <= d'_BP
        PL2 = 28.0 + 40 log10(d_3D) + 20 log10(f_c)
              - 9 log10((d'_BP)^2 + (h_BS - h_UT)^2)             d'_BP <= d_2D <= 5 km

    with d'_BP from Note 1 (``breakpoint_distance_umx``).

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1 (UMa LOS) and Notes 1, 6.
    """
    freq, d2d, h_bs, h_ut, h_e = np.broadcast_arrays(
        _arr(freq_ghz), _arr(d2d_m), _arr(h_bs_m), _arr(h_ut_m), _arr(h_e_m))
    _check_umx("UMa LOS", freq, d2d, h_bs, h_ut, _UMA_H_BS_M)
    return _out(_umx_los(freq, d2d, h_bs, h_ut, h_e, 28.0, 22.0, 9.0))


def path_loss_uma_nlos(freq_ghz: ArrayLike, d2d_m: ArrayLike, h_bs_m: ArrayLike = 25.0,
                       h_ut_m: ArrayLike = 1.5, h_e_m: ArrayLike = 1.0, *,
                       optional: bool = False) -> NDArray[np.float64] | float:
    """Urban macro (UMa) non-line-of-sight path loss.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz], 0.5 to 100 GHz.
    d2d_m : array_like
        2D BS-UT distance d_2D [m], 10 m to 5 km.
    h_bs_m : array_like, optional
        BS antenna height h_BS [m]; 25 m only (default).
    h_ut_m : array_like, optional
        UT antenna height h_UT [m], 1.5 to 22.5 m (default 1.5 m).
    h_e_m : array_like, optional
        Effective environment height h_E [m] of the embedded LOS term (default 1 m).
    optional : bool, optional
        Use the Table's optional single-slope formula instead (default False).

    Returns
    -------
    float or numpy.ndarray
        PL_UMa-NLOS [dB].

    Notes
    -----
    Table 7.4.1-1, UMa NLOS: PL_UMa-NLOS = max(PL_UMa-LOS, PL'_UMa-NLOS),
    10 m <= d_2D <= 5 km, with
    PL'_UMa-NLOS = 13.54 + 39.08 log10(d_3D) + 20 log10(f_c) - 0.6 (h_UT - 1.5).
    Optional: PL = 32.4 + 20 log10(f_c) + 30 log10(d_3D).

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1 (UMa NLOS) and Notes 1, 6.
    """
    freq, d2d, h_bs, h_ut, h_e = np.broadcast_arrays(
        _arr(freq_ghz), _arr(d2d_m), _arr(h_bs_m), _arr(h_ut_m), _arr(h_e_m))
    _check_umx("UMa NLOS", freq, d2d, h_bs, h_ut, _UMA_H_BS_M)
    d3d = _d3d(d2d, h_bs, h_ut)
    if optional:
        return _out(32.4 + 20.0 * np.log10(freq) + 30.0 * np.log10(d3d))
    pl_nlos = 13.54 + 39.08 * np.log10(d3d) + 20.0 * np.log10(freq) - 0.6 * (h_ut - 1.5)
    pl_los = _umx_los(freq, d2d, h_bs, h_ut, h_e, 28.0, 22.0, 9.0)
    return _out(np.maximum(pl_los, pl_nlos))


def path_loss_umi_los(freq_ghz: ArrayLike, d2d_m: ArrayLike, h_bs_m: ArrayLike = 10.0,
                      h_ut_m: ArrayLike = 1.5) -> NDArray[np.float64] | float:
    """Urban micro, street canyon (UMi) line-of-sight path loss.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz], 0.5 to 100 GHz.
    d2d_m : array_like
        2D BS-UT distance d_2D [m], 10 m to 5 km.
    h_bs_m : array_like, optional
        BS antenna height h_BS [m]; the Table defines UMi for h_BS = 10 m only (default).
    h_ut_m : array_like, optional
        UT antenna height h_UT [m], 1.5 to 22.5 m (default 1.5 m).

    Returns
    -------
    float or numpy.ndarray
        PL_UMi-LOS [dB].

    Notes
    -----
    Table 7.4.1-1, UMi-Street Canyon LOS::

        PL1 = 32.4 + 21 log10(d_3D) + 20 log10(f_c)              10 m <= d_2D <= d'_BP
        PL2 = 32.4 + 40 log10(d_3D) + 20 log10(f_c)
              - 9.5 log10((d'_BP)^2 + (h_BS - h_UT)^2)           d'_BP <= d_2D <= 5 km

    with d'_BP from Note 1 and h_E = 1 m.

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1 (UMi-Street Canyon LOS) and Notes 1, 6.
    """
    freq, d2d, h_bs, h_ut = np.broadcast_arrays(
        _arr(freq_ghz), _arr(d2d_m), _arr(h_bs_m), _arr(h_ut_m))
    _check_umx("UMi LOS", freq, d2d, h_bs, h_ut, _UMI_H_BS_M)
    return _out(_umx_los(freq, d2d, h_bs, h_ut, np.ones_like(freq), 32.4, 21.0, 9.5))


def path_loss_umi_nlos(freq_ghz: ArrayLike, d2d_m: ArrayLike, h_bs_m: ArrayLike = 10.0,
                       h_ut_m: ArrayLike = 1.5, *,
                       optional: bool = False) -> NDArray[np.float64] | float:
    """Urban micro, street canyon (UMi) non-line-of-sight path loss.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz], 0.5 to 100 GHz.
    d2d_m : array_like
        2D BS-UT distance d_2D [m], 10 m to 5 km.
    h_bs_m : array_like, optional
        BS antenna height h_BS [m]; 10 m only (default).
    h_ut_m : array_like, optional
        UT antenna height h_UT [m], 1.5 to 22.5 m (default 1.5 m).
    optional : bool, optional
        Use the Table's optional single-slope formula instead (default False).

    Returns
    -------
    float or numpy.ndarray
        PL_UMi-NLOS [dB].

    Notes
    -----
    Table 7.4.1-1, UMi-Street Canyon NLOS: PL = max(PL_UMi-LOS, PL'_UMi-NLOS),
    10 m <= d_2D <= 5 km, with
    PL'_UMi-NLOS = 35.3 log10(d_3D) + 22.4 + 21.3 log10(f_c) - 0.3 (h_UT - 1.5).
    Optional: PL = 32.4 + 20 log10(f_c) + 31.9 log10(d_3D).

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1 (UMi-Street Canyon NLOS) and Notes 1, 6.
    """
    freq, d2d, h_bs, h_ut = np.broadcast_arrays(
        _arr(freq_ghz), _arr(d2d_m), _arr(h_bs_m), _arr(h_ut_m))
    _check_umx("UMi NLOS", freq, d2d, h_bs, h_ut, _UMI_H_BS_M)
    d3d = _d3d(d2d, h_bs, h_ut)
    if optional:
        return _out(32.4 + 20.0 * np.log10(freq) + 31.9 * np.log10(d3d))
    pl_nlos = 35.3 * np.log10(d3d) + 22.4 + 21.3 * np.log10(freq) - 0.3 * (h_ut - 1.5)
    pl_los = _umx_los(freq, d2d, h_bs, h_ut, np.ones_like(freq), 32.4, 21.0, 9.5)
    return _out(np.maximum(pl_los, pl_nlos))


# --------------------------------------------------------------------------- InH


def _inh_d3d(freq: NDArray, d2d: NDArray, h_bs: NDArray, h_ut: NDArray, what: str) -> NDArray:
    _check_range("freq_ghz", freq, *_OTHER_FREQ_GHZ, "GHz", what)
    _check_range("d2d_m", d2d, 0.0, np.inf, "m", what)
    d3d = _d3d(d2d, h_bs, h_ut)
    bad = ~((d3d >= _INH_D3D_M[0]) & (d3d <= _INH_D3D_M[1]))
    if np.any(bad):
        raise ValueError(
            f"d3d_m={float(d3d[bad].flat[0]) if d3d.ndim else float(d3d):g} m (from d2d_m, "
            f"h_bs_m and h_ut_m) is outside the {what} applicability range "
            f"1 <= d3d_m <= 150 m ({_TABLE})"
        )
    return d3d


def path_loss_inh_los(freq_ghz: ArrayLike, d2d_m: ArrayLike, h_bs_m: ArrayLike = 3.0,
                      h_ut_m: ArrayLike = 1.0) -> NDArray[np.float64] | float:
    """Indoor hotspot, office (InH-Office, mixed or open) line-of-sight path loss.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz], 0.5 to 100 GHz.
    d2d_m : array_like
        2D distance d_2D [m]; the resulting d_3D must be 1 to 150 m.
    h_bs_m : array_like, optional
        BS (access point) antenna height [m] (default 3 m, TR 38.901 Table 7.2-2).
    h_ut_m : array_like, optional
        UT antenna height [m] (default 1 m).

    Returns
    -------
    float or numpy.ndarray
        PL_InH-LOS [dB].

    Notes
    -----
    Table 7.4.1-1, InH-Office LOS: PL = 32.4 + 17.3 log10(d_3D) + 20 log10(f_c),
    1 m <= d_3D <= 150 m. The same formula serves the mixed and the open office; they differ
    only in LOS probability (``los_probability``).

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1 (InH-Office LOS).
    """
    freq, d2d, h_bs, h_ut = np.broadcast_arrays(
        _arr(freq_ghz), _arr(d2d_m), _arr(h_bs_m), _arr(h_ut_m))
    d3d = _inh_d3d(freq, d2d, h_bs, h_ut, "InH-Office LOS")
    return _out(32.4 + 17.3 * np.log10(d3d) + 20.0 * np.log10(freq))


def path_loss_inh_nlos(freq_ghz: ArrayLike, d2d_m: ArrayLike, h_bs_m: ArrayLike = 3.0,
                       h_ut_m: ArrayLike = 1.0, *,
                       optional: bool = False) -> NDArray[np.float64] | float:
    """Indoor hotspot, office (InH-Office, mixed or open) non-line-of-sight path loss.

    Parameters
    ----------
    freq_ghz : array_like
        Centre frequency f_c [GHz], 0.5 to 100 GHz.
    d2d_m : array_like
        2D distance d_2D [m]; the resulting d_3D must be 1 to 150 m.
    h_bs_m : array_like, optional
        BS antenna height [m] (default 3 m).
    h_ut_m : array_like, optional
        UT antenna height [m] (default 1 m).
    optional : bool, optional
        Use the Table's optional single-slope formula instead (default False).

    Returns
    -------
    float or numpy.ndarray
        PL_InH-NLOS [dB].

    Notes
    -----
    Table 7.4.1-1, InH-Office NLOS: PL = max(PL_InH-LOS, PL'_InH-NLOS), 1 m <= d_3D <= 150 m,
    PL'_InH-NLOS = 38.3 log10(d_3D) + 17.30 + 24.9 log10(f_c).
    Optional: PL = 32.4 + 20 log10(f_c) + 31.9 log10(d_3D).

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1 (InH-Office NLOS).
    """
    freq, d2d, h_bs, h_ut = np.broadcast_arrays(
        _arr(freq_ghz), _arr(d2d_m), _arr(h_bs_m), _arr(h_ut_m))
    d3d = _inh_d3d(freq, d2d, h_bs, h_ut, "InH-Office NLOS")
    if optional:
        return _out(32.4 + 20.0 * np.log10(freq) + 31.9 * np.log10(d3d))
    pl_los = 32.4 + 17.3 * np.log10(d3d) + 20.0 * np.log10(freq)
    pl_nlos = 38.3 * np.log10(d3d) + 17.30 + 24.9 * np.log10(freq)
    return _out(np.maximum(pl_los, pl_nlos))


# --------------------------------------------------------------------------- dispatcher

_SCENARIO_ALIASES = {
    "rma": "RMa",
    "uma": "UMa",
    "umi": "UMi",
    "umi-street canyon": "UMi",
    "umi-streetcanyon": "UMi",
    "inh": "InH",
    "inh-office": "InH",
    "inh-office-mixed": "InH",
    "inh-office-open": "InH",
    "inh-mixed": "InH",
    "inh-open": "InH",
}


def _scenario(scenario: str) -> str:
    key = str(scenario).strip().lower()
    if key not in _SCENARIO_ALIASES:
        raise ValueError(
            f"scenario={scenario!r} is not one of 'RMa', 'UMa', 'UMi', 'InH-Office-Mixed', "
            f"'InH-Office-Open' ({_TABLE})"
        )
    return _SCENARIO_ALIASES[key]


def _condition(condition: str) -> str:
    cond = str(condition).strip().upper()
    if cond not in ("LOS", "NLOS"):
        raise ValueError(f"condition={condition!r} is not 'LOS' or 'NLOS'")
    return cond


def path_loss(scenario: str, condition: str, freq_ghz: ArrayLike, d2d_m: ArrayLike,
              h_bs_m: ArrayLike, h_ut_m: ArrayLike, *, h_building_m: ArrayLike = 5.0,
              street_width_m: ArrayLike = 20.0, h_e_m: ArrayLike = 1.0,
              optional: bool = False) -> NDArray[np.float64] | float:
    """Path loss of TR 38.901 Table 7.4.1-1 for a named scenario and LOS condition.

    Parameters
    ----------
    scenario : str
        'RMa', 'UMa', 'UMi' (UMi-Street Canyon), 'InH-Office-Mixed' or 'InH-Office-Open'
        (case-insensitive; the two InH-Office variants share the path-loss formulas).
    condition : str
        'LOS' or 'NLOS'.
    freq_ghz : array_like
        Centre frequency f_c [GHz].
    d2d_m : array_like
        2D BS-UT distance d_2D [m].
    h_bs_m : array_like
        BS antenna height h_BS [m].
    h_ut_m : array_like
        UT antenna height h_UT [m].
    h_building_m : array_like, optional
        RMa average building height h [m] (default 5 m).
    street_width_m : array_like, optional
        RMa average street width W [m] (default 20 m).
    h_e_m : array_like, optional
        UMa effective environment height h_E [m] (default 1 m).
    optional : bool, optional
        UMa/UMi/InH NLOS: use the optional single-slope formula (default False).

    Returns
    -------
    float or numpy.ndarray
        Path loss [dB] (no shadow fading, isotropic antennas).

    Notes
    -----
    Dispatches to ``path_loss_<scenario>_<condition>``; see those for the formulas and
    applicability ranges.

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1.
    """
    sc, cond = _scenario(scenario), _condition(condition)
    if optional and (sc == "RMa" or cond == "LOS"):
        raise ValueError("optional=True exists only for the UMa, UMi and InH NLOS formulas "
                         f"({_TABLE})")
    if sc == "RMa":
        fn = path_loss_rma_los if cond == "LOS" else path_loss_rma_nlos
        return fn(freq_ghz, d2d_m, h_bs_m, h_ut_m, h_building_m, street_width_m)
    if sc == "UMa":
        if cond == "LOS":
            return path_loss_uma_los(freq_ghz, d2d_m, h_bs_m, h_ut_m, h_e_m)
        return path_loss_uma_nlos(freq_ghz, d2d_m, h_bs_m, h_ut_m, h_e_m, optional=optional)
    if sc == "UMi":
        if cond == "LOS":
            return path_loss_umi_los(freq_ghz, d2d_m, h_bs_m, h_ut_m)
        return path_loss_umi_nlos(freq_ghz, d2d_m, h_bs_m, h_ut_m, optional=optional)
    if cond == "LOS":
        return path_loss_inh_los(freq_ghz, d2d_m, h_bs_m, h_ut_m)
    return path_loss_inh_nlos(freq_ghz, d2d_m, h_bs_m, h_ut_m, optional=optional)


# --------------------------------------------------------------------------- LOS probability


def los_probability(scenario: str, d2d_m: ArrayLike,
                    h_ut_m: ArrayLike = 1.5) -> NDArray[np.float64] | float:
    """LOS probability of TR 38.901 Table 7.4.2-1.

    Parameters
    ----------
    scenario : str
        'RMa', 'UMa', 'UMi', 'InH-Office-Mixed' or 'InH-Office-Open' (case-insensitive).
    d2d_m : array_like
        2D distance [m]: d_2D-out for RMa, UMa and UMi, d_2D-in for InH-Office; >= 0.
    h_ut_m : array_like, optional
        UT height h_UT [m], used by UMa only, 0 to 23 m (default 1.5 m).

    Returns
    -------
    float or numpy.ndarray
        Pr_LOS [-], between 0 and 1.

    Notes
    -----
    Table 7.4.2-1::

        RMa:   1 for d <= 10 m; exp(-(d - 10)/1000) otherwise
        UMi:   1 for d <= 18 m; 18/d + exp(-d/36)(1 - 18/d) otherwise
        UMa:   1 for d <= 18 m; [18/d + exp(-d/63)(1 - 18/d)]
                                (1 + C'(h_UT) (5/4)(d/100)^3 exp(-d/150)) otherwise,
               C'(h_UT) = 0 for h_UT <= 13 m, ((h_UT - 13)/10)^1.5 for 13 < h_UT <= 23 m
        InH-Office-Mixed: 1 for d <= 1.2 m; exp(-(d - 1.2)/4.7) for 1.2 < d < 6.5 m;
                          0.32 exp(-(d - 6.5)/32.6) for d >= 6.5 m
        InH-Office-Open:  1 for d <= 5 m; exp(-(d - 5)/70.8) for 5 < d <= 49 m;
                          0.54 exp(-(d - 49)/211.7) for d > 49 m

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.2-1.
    """
    key = str(scenario).strip().lower()
    d = _arr(d2d_m)
    table = "3GPP TR 38.901 v17 Table 7.4.2-1"
    bad = ~(d >= 0)
    if np.any(bad):
        raise ValueError(f"d2d_m={d[bad].flat[0] if d.ndim else float(d):g} m must be >= 0 "
                         f"({table})")
    with np.errstate(divide="ignore", invalid="ignore"):
        if key == "rma":
            p = np.where(d <= 10.0, 1.0, np.exp(-(d - 10.0) / 1000.0))
        elif key in ("umi", "umi-street canyon", "umi-streetcanyon"):
            p = np.where(d <= 18.0, 1.0, 18.0 / d + np.exp(-d / 36.0) * (1.0 - 18.0 / d))
        elif key == "uma":
            h_ut = _arr(h_ut_m)
            bad_h = ~((h_ut >= 0) & (h_ut <= 23.0))
            if np.any(bad_h):
                v = h_ut[bad_h].flat[0] if h_ut.ndim else float(h_ut)
                raise ValueError(f"h_ut_m={v:g} m is outside the UMa LOS-probability range "
                                 f"0 <= h_ut_m <= 23 m ({table})")
            c = np.where(h_ut <= 13.0, 0.0, (np.clip(h_ut - 13.0, 0.0, None) / 10.0) ** 1.5)
            base = 18.0 / d + np.exp(-d / 63.0) * (1.0 - 18.0 / d)
            corr = 1.0 + c * 1.25 * (d / 100.0) ** 3 * np.exp(-d / 150.0)
            p = np.where(d <= 18.0, 1.0, base * corr)
        elif key in ("inh-office-mixed", "inh-mixed"):
            p = np.where(d <= 1.2, 1.0,
                         np.where(d < 6.5, np.exp(-(d - 1.2) / 4.7),
                                  0.32 * np.exp(-(d - 6.5) / 32.6)))
        elif key in ("inh-office-open", "inh-open"):
            p = np.where(d <= 5.0, 1.0,
                         np.where(d <= 49.0, np.exp(-(d - 5.0) / 70.8),
                                  0.54 * np.exp(-(d - 49.0) / 211.7)))
        else:
            raise ValueError(
                f"scenario={scenario!r} is not one of 'RMa', 'UMa', 'UMi', "
                f"'InH-Office-Mixed', 'InH-Office-Open' ({table})"
            )
    return _out(np.asarray(p, dtype=float))


# --------------------------------------------------------------------------- shadow fading


def shadow_fading_std(scenario: str, condition: str, *, freq_ghz: ArrayLike | None = None,
                      d2d_m: ArrayLike | None = None, h_bs_m: ArrayLike = 35.0,
                      h_ut_m: ArrayLike = 1.5,
                      optional: bool = False) -> NDArray[np.float64] | float:
    """Shadow-fading standard deviation sigma_SF of TR 38.901 Table 7.4.1-1.

    Parameters
    ----------
    scenario : str
        'RMa', 'UMa', 'UMi', 'InH-Office-Mixed' or 'InH-Office-Open' (case-insensitive).
    condition : str
        'LOS' or 'NLOS'.
    freq_ghz : array_like, optional
        Centre frequency f_c [GHz]; needed for RMa LOS only (it sets d_BP).
    d2d_m : array_like, optional
        2D distance d_2D [m]; needed for RMa LOS only (sigma changes at d_BP).
    h_bs_m : array_like, optional
        BS antenna height [m], RMa LOS only (default 35 m).
    h_ut_m : array_like, optional
        UT antenna height [m], RMa LOS only (default 1.5 m).
    optional : bool, optional
        The value that goes with the optional NLOS formula (UMa, UMi, InH; default False).

    Returns
    -------
    float or numpy.ndarray
        sigma_SF [dB].

    Notes
    -----
    Table 7.4.1-1: RMa LOS 4 dB (PL1, d_2D <= d_BP) and 6 dB (PL2); RMa NLOS 8 dB;
    UMa LOS 4 dB, NLOS 6 dB (optional 7.8 dB); UMi LOS 4 dB, NLOS 7.82 dB (optional 8.2 dB);
    InH-Office LOS 3 dB, NLOS 8.03 dB (optional 8.29 dB).

    References
    ----------
    3GPP TR 38.901 v17.0.0, Table 7.4.1-1 (column "Shadow fading std").
    """
    sc, cond = _scenario(scenario), _condition(condition)
    if optional and (sc == "RMa" or cond == "LOS"):
        raise ValueError("optional=True exists only for the UMa, UMi and InH NLOS formulas "
                         f"({_TABLE})")
    if sc == "RMa" and cond == "LOS":
        if freq_ghz is None or d2d_m is None:
            raise ValueError("RMa LOS sigma_SF depends on d_2D versus d_BP: give freq_ghz and "
                             f"d2d_m ({_TABLE})")
        d2d = _arr(d2d_m)
        d_bp = np.asarray(breakpoint_distance_rma(freq_ghz, h_bs_m, h_ut_m))
        return _out(np.where(d2d <= d_bp, 4.0, 6.0))
    values = {
        ("RMa", "NLOS"): 8.0,
        ("UMa", "LOS"): 4.0,
        ("UMa", "NLOS"): 7.8 if optional else 6.0,
        ("UMi", "LOS"): 4.0,
        ("UMi", "NLOS"): 8.2 if optional else 7.82,
        ("InH", "LOS"): 3.0,
        ("InH", "NLOS"): 8.29 if optional else 8.03,
    }
    return values[(sc, cond)]
