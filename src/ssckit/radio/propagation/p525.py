"""ITU-R P.525 free-space attenuation and the field-strength / power conversions that go with it.

All functions are vectorised (inputs broadcast against each other) and refuse non-positive
frequencies and distances with ``ValueError``. Free-space formulas have no upper frequency or
distance limit (P.525 Annex 1 §1); they assume the far field, which is the caller's to ensure.

Units follow the Recommendation's practical forms: frequency in MHz, distance in km, field
strength E in dB(uV/m), power in dBW, power flux-density S in dB(W/m^2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "field_strength_from_eirp",
    "field_strength_from_power_flux_density",
    "free_space_basic_loss",
    "power_flux_density_from_field_strength",
    "received_power_from_field_strength",
]

#: Speed of light in vacuum [m/s] (exact, SI), used by the exact form of the free-space loss.
SPEED_OF_LIGHT_M_S = 299_792_458.0

_REF = "ITU-R P.525-4 Annex 1"


def _arr(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=float)


def _out(x: NDArray[np.float64]) -> NDArray[np.float64] | float:
    return float(x) if np.ndim(x) == 0 else x


def _positive(name: str, value: NDArray[np.float64], unit: str) -> None:
    bad = ~(value > 0)  # NaN refused too
    if np.any(bad):
        v = value[bad].flat[0] if value.ndim else float(value)
        raise ValueError(f"{name}={v:g} {unit} must be > 0 ({_REF})")


def free_space_basic_loss(freq_mhz: ArrayLike, distance_km: ArrayLike, *,
                          exact: bool = False) -> NDArray[np.float64] | float:
    """Free-space basic transmission loss L_bf between isotropic antennas.

    Parameters
    ----------
    freq_mhz : array_like
        Frequency f [MHz], > 0.
    distance_km : array_like
        Path length d [km], > 0.
    exact : bool, optional
        False (default): the Recommendation's practical form with the constant 32.4.
        True: 20 log10(4 pi d / lambda) with c = 299 792 458 m/s (constant 32.45).

    Returns
    -------
    float or numpy.ndarray
        L_bf [dB].

    Notes
    -----
    P.525 Annex 1 §2.2 (point-to-point links):
    L_bf = 20 log10(4 pi d / lambda) dB (d and lambda in the same unit), which in practical
    units is L_bf = 32.4 + 20 log10(f) + 20 log10(d), f in MHz, d in km.

    References
    ----------
    Recommendation ITU-R P.525-4 (08/2019), "Calculation of free-space attenuation",
    Annex 1 §2.2.
    """
    f, d = np.broadcast_arrays(_arr(freq_mhz), _arr(distance_km))
    _positive("freq_mhz", f, "MHz")
    _positive("distance_km", d, "km")
    if exact:
        wavelength_m = SPEED_OF_LIGHT_M_S / (f * 1e6)
        return _out(20.0 * np.log10(4.0 * np.pi * d * 1e3 / wavelength_m))
    return _out(32.4 + 20.0 * np.log10(f) + 20.0 * np.log10(d))


def field_strength_from_eirp(eirp_dbw: ArrayLike,
                             distance_km: ArrayLike) -> NDArray[np.float64] | float:
    """Free-space field strength at a distance from a transmitter of given e.i.r.p.

    Parameters
    ----------
    eirp_dbw : array_like
        Equivalent isotropically radiated power P towards the point [dBW].
    distance_km : array_like
        Distance d [km], > 0.

    Returns
    -------
    float or numpy.ndarray
        r.m.s. field strength E [dB(uV/m)].

    Notes
    -----
    P.525 Annex 1 §2.1 (point-to-area links): e = sqrt(30 p) / d (e in V/m, p in W, d in m);
    in practical units E = P - 20 log10(d) + 74.8, P in dBW, d in km. The constant is
    computed exactly here, 20 log10(sqrt(30) * 1e6 / 1e3) = 74.77 dB.

    References
    ----------
    Recommendation ITU-R P.525-4, Annex 1 §2.1.
    """
    p, d = np.broadcast_arrays(_arr(eirp_dbw), _arr(distance_km))
    _positive("distance_km", d, "km")
    const = 20.0 * np.log10(np.sqrt(30.0) * 1e6 / 1e3)
    return _out(p - 20.0 * np.log10(d) + const)


def power_flux_density_from_field_strength(
        field_dbuv_m: ArrayLike) -> NDArray[np.float64] | float:
    """Power flux-density of a plane wave of given field strength.

    Parameters
    ----------
    field_dbuv_m : array_like
        r.m.s. field strength E [dB(uV/m)].

    Returns
    -------
    float or numpy.ndarray
        Power flux-density S [dB(W/m^2)].

    Notes
    -----
    P.525 Annex 1 §2.3: S = E - 145.8, i.e. s = e^2 / (120 pi) with e in V/m
    (the constant is computed exactly, 120 + 10 log10(120 pi) = 145.76 dB).

    References
    ----------
    Recommendation ITU-R P.525-4, Annex 1 §2.3 (conversion formulae).
    """
    e = _arr(field_dbuv_m)
    return _out(e - (120.0 + 10.0 * np.log10(120.0 * np.pi)))


def field_strength_from_power_flux_density(
        pfd_dbw_m2: ArrayLike) -> NDArray[np.float64] | float:
    """Field strength of a plane wave of given power flux-density (inverse of the above).

    Parameters
    ----------
    pfd_dbw_m2 : array_like
        Power flux-density S [dB(W/m^2)].

    Returns
    -------
    float or numpy.ndarray
        r.m.s. field strength E [dB(uV/m)].

    Notes
    -----
    P.525 Annex 1 §2.3: E = S + 145.8.

    References
    ----------
    Recommendation ITU-R P.525-4, Annex 1 §2.3 (conversion formulae).
    """
    s = _arr(pfd_dbw_m2)
    return _out(s + (120.0 + 10.0 * np.log10(120.0 * np.pi)))


def received_power_from_field_strength(field_dbuv_m: ArrayLike,
                                       freq_mhz: ArrayLike) -> NDArray[np.float64] | float:
    """Power available from an isotropic antenna in a field of given strength.

    Parameters
    ----------
    field_dbuv_m : array_like
        r.m.s. field strength E [dB(uV/m)].
    freq_mhz : array_like
        Frequency f [MHz], > 0.

    Returns
    -------
    float or numpy.ndarray
        Received power P_r [dBW].

    Notes
    -----
    P.525 Annex 1 §2.3: P_r = S + 10 log10(lambda^2 / (4 pi)), which in practical units is
    P_r = E - 20 log10(f) - 167.2 with f in GHz, i.e. E - 20 log10(f) - 107.2 with f in MHz.
    Constants are computed exactly here (c = 299 792 458 m/s).

    References
    ----------
    Recommendation ITU-R P.525-4, Annex 1 §2.3 (conversion formulae).
    """
    e, f = np.broadcast_arrays(_arr(field_dbuv_m), _arr(freq_mhz))
    _positive("freq_mhz", f, "MHz")
    s = np.asarray(power_flux_density_from_field_strength(e))
    wavelength_m = SPEED_OF_LIGHT_M_S / (f * 1e6)
    return _out(s + 10.0 * np.log10(wavelength_m**2 / (4.0 * np.pi)))
