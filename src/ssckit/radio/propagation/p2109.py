"""ITU-R P.2109 building entry loss, traditional and thermally-efficient buildings.

``building_entry_loss`` gives the loss not exceeded with probability P for a terminal just
inside the external wall, vectorised over frequency, probability and elevation angle, for
0.08 to 100 GHz. Inputs outside the Recommendation's ranges raise ``ValueError`` naming the
parameter and the range. The inverse normal distribution is evaluated exactly
(``p2108.inverse_complementary_normal``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ssckit.radio.propagation.p2108 import inverse_complementary_normal

__all__ = ["BUILDING_COEFFICIENTS", "building_entry_loss"]

_REF = "ITU-R P.2109-2 Annex 1"

#: Table 1 of P.2109: building type -> coefficients (r, s, t, u, v, w, x, y, z).
BUILDING_COEFFICIENTS: dict[str, tuple[float, ...]] = {
    "traditional": (12.64, 3.72, 0.96, 9.6, 2.0, 9.1, -3.0, 4.5, -2.0),
    "thermally_efficient": (28.19, -3.00, 8.48, 13.5, 3.8, 27.8, -2.9, 9.4, -2.1),
}

_FREQ_GHZ = (0.08, 100.0)


def _arr(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=float)


def _check(name: str, v: NDArray[np.float64], ok: NDArray[np.bool_], allowed: str) -> None:
    bad = ~ok
    if np.any(bad):
        first = float(v[bad].flat[0]) if v.ndim else float(v)
        raise ValueError(f"{name}={first:g} is outside the allowed range {allowed} ({_REF})")


def building_entry_loss(freq_ghz: ArrayLike, p_percent: ArrayLike, building_type: str,
                        elevation_deg: ArrayLike = 0.0) -> NDArray[np.float64] | float:
    """Building entry loss not exceeded with probability P.

    Parameters
    ----------
    freq_ghz : array_like
        Frequency f [GHz], 0.08 to 100 GHz.
    p_percent : array_like
        Probability with which the loss is not exceeded, P [%], 0 < P < 100.
    building_type : str
        'traditional' or 'thermally_efficient' (Table 1).
    elevation_deg : array_like, optional
        Elevation angle of the path at the building facade theta [deg], -90 to 90,
        positive above the horizontal (default 0, horizontal incidence).

    Returns
    -------
    float or numpy.ndarray
        Building entry loss L_BEL(P) [dB].

    Notes
    -----
    Annex 1 §3::

        L_BEL(P) = 10 log10(10^(0.1 A(P)) + 10^(0.1 B(P)) + 10^(0.1 C))    (1)
        A(P) = F^-1(P) sigma_1 + mu_1,  B(P) = F^-1(P) sigma_2 + mu_2      (2), (3)
        C = -3                                                             (4)
        mu_1 = L_h + L_e,  mu_2 = w + x log10(f)                           (5), (6)
        sigma_1 = u + v log10(f),  sigma_2 = y + z log10(f)                (7), (8)
        L_h = r + s log10(f) + t (log10(f))^2                              (9)
        L_e = 0.212 |theta|                                                (10)

    F^-1 is the inverse cumulative normal distribution, F^-1(P) = Q^-1(1 - P/100).

    References
    ----------
    Recommendation ITU-R P.2109-2 (08/2023), "Prediction of building entry loss",
    Annex 1 §3, Eqs. (1)-(10) and Table 1 (unchanged since P.2109-0).
    """
    key = str(building_type).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in BUILDING_COEFFICIENTS:
        raise ValueError(f"building_type={building_type!r} is not one of "
                         f"{sorted(BUILDING_COEFFICIENTS)} ({_REF} Table 1)")
    r, s, t, u, v, w, x, y, z = BUILDING_COEFFICIENTS[key]
    f, p, theta = np.broadcast_arrays(_arr(freq_ghz), _arr(p_percent), _arr(elevation_deg))
    _check("freq_ghz", f, (f >= _FREQ_GHZ[0]) & (f <= _FREQ_GHZ[1]),
           "0.08 <= freq_ghz <= 100 GHz")
    _check("p_percent", p, (p > 0) & (p < 100), "0 < p_percent < 100 %")
    _check("elevation_deg", theta, (theta >= -90) & (theta <= 90),
           "-90 <= elevation_deg <= 90 deg")

    lf = np.log10(f)
    l_e = 0.212 * np.abs(theta)  # (10)
    l_h = r + s * lf + t * lf**2  # (9)
    sigma_2 = y + z * lf  # (8)
    sigma_1 = u + v * lf  # (7)
    mu_2 = w + x * lf  # (6)
    mu_1 = l_h + l_e  # (5)
    c = -3.0  # (4)
    f_inv = np.asarray(inverse_complementary_normal(1.0 - p / 100.0))
    a = f_inv * sigma_1 + mu_1  # (2)
    b = f_inv * sigma_2 + mu_2  # (3)
    loss = 10.0 * np.log10(10.0 ** (0.1 * a) + 10.0 ** (0.1 * b) + 10.0 ** (0.1 * c))  # (1)
    return float(loss) if np.ndim(loss) == 0 else loss
