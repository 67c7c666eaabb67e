"""ITU-R P.1812-6 path-specific basic transmission loss and field strength, 30 MHz to 6 GHz.

Pure functions: NumPy in, NumPy out, no I/O and no digital maps. The caller supplies the
radio-climatic zone and representative clutter height of every profile point and the
path-centre refractivity values ΔN and N0 (which the Recommendation takes from its digital
maps). Inputs outside the validity range of the Recommendation raise :class:`ValueError`
naming the parameter and the allowed range; nothing is extrapolated.

Three entry points share one Numba kernel:

* :func:`bt_loss` — one profile, any number of (broadcast) frequencies, heights,
  percentages, polarisations;
* :func:`bt_loss_batch` — many independent profiles of equal length, shape
  ``(n_paths, n_points)``, evaluated in parallel;
* :func:`path_loss_kernel` — the unchecked single-profile ``numba.njit`` kernel, for other
  compiled code (coverage along radials) that validates its inputs once and loops.

The method implemented is that of Recommendation ITU-R P.1812-6 (Annex 1, Sections 3-4 and
Attachments 1, 2 and 4), the edition of the ITU-R WP 3K reference implementation and of its
validation set, which this module reproduces to better than 1e-6 dB. Section numbers for
location variability and building entry loss (4.7-4.10) follow the layout of the -6/-7
editions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ssckit.radio.propagation._p1812_core import (
    FIELDS,
    N_FIELDS,
    PARAMS,
    batch_kernel,
    inv_cum_norm,
    path_loss_kernel,
    shared_profile_kernel,
)

__all__ = [
    "FIELDS",
    "P1812Result",
    "bt_loss",
    "bt_loss_batch",
    "inverse_complementary_normal",
    "location_sigma",
    "path_loss_kernel",
]

#: Validity ranges enforced on the inputs (ITU-R P.1812-6, Annex 1, Sections 1 and 3.1).
F_RANGE_GHZ = (0.03, 6.0)
P_RANGE = (1.0, 50.0)
PL_RANGE = (1.0, 99.0)
H_ANT_RANGE_M = (1.0, 3000.0)
D_RANGE_KM = (0.25, 3000.0)
DN_RANGE = (0.0, 157.0)  # open interval: the median effective-Earth factor k50 must be finite
MIN_POINTS = 5


class P1812Result(NamedTuple):
    """Basic transmission loss, field strength and every intermediate of ITU-R P.1812-6.

    All losses in dB, field strengths in dB(µV/m), distances in km, heights in m, angles in
    mrad, ``phi_path`` in degrees, ``omega`` as a fraction, ``b0`` in %.

    ``Lb`` Eq. (69); ``Ep`` Eq. (70) for 1 kW e.r.p.; ``Ep_tx`` is ``Ep`` scaled by the
    transmitter power and the antenna gains. ``Lbfs`` Eq. (8), ``Lb0p`` Eq. (10), ``Lb0b``
    Eq. (11); ``Lbulla``, ``Lbulls``, ``Ldsph`` (Eqs. (21), (27)) and ``Ldb`` (Eq. (39)) are
    for the effective Earth radius exceeded for β0 % of time, ``ab`` Eq. (7b) — the values
    the reference logs print under those names — and ``Lbulla50``, ``Lbulls50``,
    ``Ldsph50``, ``Ld50`` for the median radius ``ae`` Eq. (7a). ``Ldp`` Eq. (41), ``Lbd50``
    Eq. (42), ``Lbd`` Eq. (43), ``Lminb0p`` Eq. (59), ``Lba`` Eq. (46), ``Lminbap`` Eq. (60),
    ``Lbda`` Eq. (61), ``Lbam`` Eq. (62), ``Lbs`` Eq. (44), ``Lbc`` Eq. (63), ``Lloc`` the
    location/building-entry term added to ``Lbc`` in Eq. (69); ``Fi``, ``Fj``, ``Fk``
    Eqs. (40), (57), (58); ``pathtype`` 1 line of sight, 2 trans-horizon.
    """

    Lb: np.ndarray
    Ep: np.ndarray
    Ep_tx: np.ndarray
    Lbfs: np.ndarray
    Lb0p: np.ndarray
    Lb0b: np.ndarray
    Lbulla: np.ndarray
    Lbulls: np.ndarray
    Ldsph: np.ndarray
    Ld50: np.ndarray
    Ldb: np.ndarray
    Ldp: np.ndarray
    Lbd50: np.ndarray
    Lbd: np.ndarray
    Lminb0p: np.ndarray
    Lba: np.ndarray
    Lminbap: np.ndarray
    Lbda: np.ndarray
    Lbam: np.ndarray
    Lbs: np.ndarray
    Lbc: np.ndarray
    Lloc: np.ndarray
    Lbulla50: np.ndarray
    Lbulls50: np.ndarray
    Ldsph50: np.ndarray
    Fi: np.ndarray
    Fj: np.ndarray
    Fk: np.ndarray
    dtot: np.ndarray
    dlt: np.ndarray
    dlr: np.ndarray
    theta_t: np.ndarray
    theta_r: np.ndarray
    theta: np.ndarray
    hts: np.ndarray
    hrs: np.ndarray
    omega: np.ndarray
    dtm: np.ndarray
    dlm: np.ndarray
    phi_path: np.ndarray
    b0: np.ndarray
    ae: np.ndarray
    hst_n: np.ndarray
    hsr_n: np.ndarray
    hst: np.ndarray
    hsr: np.ndarray
    hstd: np.ndarray
    hsrd: np.ndarray
    hte: np.ndarray
    hre: np.ndarray
    hm: np.ndarray
    pathtype: np.ndarray


assert P1812Result._fields == FIELDS, "result fields and kernel output must agree"


# --------------------------------------------------------------------------- validation
def _check_range(name: str, value: np.ndarray, lo: float, hi: float, unit: str,
                 open_lo: bool = False, open_hi: bool = False) -> None:
    v = np.asarray(value, dtype=float)
    bad = ~np.isfinite(v)
    bad |= (v <= lo) if open_lo else (v < lo)
    bad |= (v >= hi) if open_hi else (v > hi)
    if np.any(bad):
        first = v[bad].flat[0] if v.ndim else float(v)
        lb = "(" if open_lo else "["
        rb = ")" if open_hi else "]"
        raise ValueError(
            f"{name} = {first:g} is outside the validity range {lb}{lo:g}, {hi:g}{rb} {unit}"
            " of ITU-R P.1812"
        )


def _check_min(name: str, value: np.ndarray, lo: float, unit: str, strict: bool = False) -> None:
    v = np.asarray(value, dtype=float)
    bad = ~np.isfinite(v) | ((v <= lo) if strict else (v < lo))
    if np.any(bad):
        first = v[bad].flat[0] if v.ndim else float(v)
        rel = ">" if strict else ">="
        raise ValueError(f"{name} = {first:g} is not allowed: it must be finite and {rel} {lo:g}"
                         f" {unit}")


def _check_profile(d: np.ndarray, h: np.ndarray, r: np.ndarray, zone: np.ndarray) -> None:
    """Profile checks on arrays shaped (..., n_points)."""
    n = d.shape[-1]
    if n < MIN_POINTS:
        raise ValueError(f"d_km has {n} points; the profile needs at least {MIN_POINTS} points")
    for name, arr in (("h_m", h), ("r_m", r), ("zone", zone)):
        if arr.shape != d.shape:
            raise ValueError(f"{name} has shape {arr.shape}; it must match d_km's shape {d.shape}")
    if not np.all(np.isfinite(d)) or not np.all(np.isfinite(h)):
        raise ValueError("d_km and h_m must be finite")
    if np.any(d[..., 0] != 0.0):
        raise ValueError("d_km must start at 0 km (the transmitter)")
    if np.any(np.diff(d, axis=-1) <= 0.0):
        raise ValueError("d_km must be strictly increasing along the profile")
    _check_range("path length d_km[-1]", d[..., -1], *D_RANGE_KM, "km")
    _check_min("r_m (representative clutter height)", r, 0.0, "m")
    ok = (zone == 4) | (zone == 3) | (zone == 1)
    if not np.all(ok):
        bad = zone[~ok].flat[0]
        raise ValueError(f"zone = {bad:g} is not allowed: radio-climatic zone codes are"
                         " 1 (sea), 3 (coastal land) or 4 (inland)")


def _check_params(prm: dict[str, np.ndarray]) -> None:
    _check_range("f_ghz", prm["f"], *F_RANGE_GHZ, "GHz")
    _check_range("p", prm["p"], *P_RANGE, "%")
    _check_range("pL", prm["pL"], *PL_RANGE, "%")
    _check_range("htg", prm["htg"], *H_ANT_RANGE_M, "m")
    _check_range("hrg", prm["hrg"], *H_ANT_RANGE_M, "m")
    pol = np.asarray(prm["pol"], dtype=float)
    if not np.all((pol == 1) | (pol == 2)):
        raise ValueError("pol must be 1 (horizontal) or 2 (vertical)")
    _check_range("phi_t", prm["phi_t"], -90.0, 90.0, "deg")
    _check_range("phi_r", prm["phi_r"], -90.0, 90.0, "deg")
    _check_range("lam_t", prm["lam_t"], -360.0, 360.0, "deg")
    _check_range("lam_r", prm["lam_r"], -360.0, 360.0, "deg")
    _check_range("dn", prm["dn"], *DN_RANGE, "N-units/km", open_lo=True, open_hi=True)
    _check_min("n0", prm["n0"], 0.0, "N-units", strict=True)
    _check_min("dct", prm["dct"], 0.0, "km")
    _check_min("dcr", prm["dcr"], 0.0, "km")
    _check_min("sigma", prm["sigma"], 0.0, "dB")
    _check_min("sigma_be", prm["sigma_be"], 0.0, "dB")
    _check_min("lbe", prm["lbe"], 0.0, "dB")
    _check_min("ptx_kw", prm["ptx_kw"], 0.0, "kW", strict=True)
    _check_min("gtx_dbi", prm["gtx"], -np.inf, "dBi")
    _check_min("grx_dbi", prm["grx"], -np.inf, "dBi")


def _param_matrix(prm: dict[str, object], shape: tuple[int, ...] | None) -> np.ndarray:
    """Broadcast the scalar inputs and stack them as columns in the order of PARAMS."""
    arrays = [np.asarray(prm[k], dtype=float) for k in PARAMS]
    try:
        target = np.broadcast_shapes(*(a.shape for a in arrays)) if shape is None else shape
        cols = [np.broadcast_to(a, target) for a in arrays]
    except ValueError as exc:
        raise ValueError(f"the scalar inputs cannot be broadcast together: {exc}") from None
    out = np.empty((*target, len(PARAMS)), dtype=float)
    for j, c in enumerate(cols):
        out[..., j] = c
    return out


def _profile_arrays(d_km, h_m, r_m, zone):
    d = np.ascontiguousarray(d_km, dtype=float)
    h = np.ascontiguousarray(h_m, dtype=float)
    r = np.zeros_like(d) if r_m is None else np.ascontiguousarray(r_m, dtype=float)
    if zone is None:
        return d, h, r, np.full(d.shape, 4, dtype=np.int64)
    z = np.asarray(zone)
    if z.dtype.kind in "iu":
        return d, h, r, np.ascontiguousarray(z, dtype=np.int64)
    zf = np.asarray(z, dtype=float)
    if np.all(zf == np.round(zf)):
        return d, h, r, np.ascontiguousarray(zf.astype(np.int64))
    return d, h, r, zf  # refused by _check_profile


def _result(out: np.ndarray) -> P1812Result:
    cols = [out[..., j] for j in range(N_FIELDS)]
    if out.ndim == 1:
        cols = [float(c) for c in cols]
    return P1812Result(*cols)


# --------------------------------------------------------------------------- public API
def bt_loss(f_ghz, p, d_km, h_m, r_m, zone, htg, hrg, pol, phi_t, phi_r, lam_t, lam_r, dn, n0,
            *, pL=50.0, sigma=0.0, dct=500.0, dcr=500.0, ptx_kw=1.0, gtx_dbi=0.0, grx_dbi=0.0,
            lbe=0.0, sigma_be=0.0, att4=False) -> P1812Result:
    """Basic transmission loss and field strength of ITU-R P.1812-6 over one path profile.

    The profile (``d_km``, ``h_m``, ``r_m``, ``zone``) is one 1-D array each; every other
    input may be a scalar or an array, and they are broadcast together: the result holds one
    prediction per element of the broadcast shape (plain floats when all are scalars).

    Parameters
    ----------
    f_ghz : float or array_like
        Frequency [GHz], 0.03 to 6.
    p : float or array_like
        Time percentage for which the loss is not exceeded [%], 1 to 50.
    d_km : array_like, shape (n,)
        Distance of each profile point from the transmitter [km]; starts at 0, strictly
        increasing, total 0.25 to 3000 km, at least 5 points.
    h_m : array_like, shape (n,)
        Terrain height of each profile point above mean sea level [m].
    r_m : array_like, shape (n,) or None
        Representative clutter height of each profile point [m] (Section 3.2.1); added to
        the terrain for the diffraction calculation except at the two terminals. ``None``:
        no clutter.
    zone : array_like of int, shape (n,) or None
        Radio-climatic zone of each point [-]: 1 sea, 3 coastal land, 4 inland
        (Section 3.3). ``None``: inland everywhere.
    htg, hrg : float or array_like
        Transmitter and receiver antenna height above ground [m], 1 to 3000.
    pol : int or array_like
        Polarisation [-]: 1 horizontal, 2 vertical.
    phi_t, phi_r : float or array_like
        Transmitter and receiver latitude [deg], positive north.
    lam_t, lam_r : float or array_like
        Transmitter and receiver longitude [deg], positive east.
    dn : float or array_like
        Average radio-refractivity lapse rate through the lowest 1 km, ΔN, at the path
        centre [N-units/km], positive (Section 3.5).
    n0 : float or array_like
        Sea-level surface refractivity N0 at the path centre [N-units] (Section 3.5).
    pL : float or array_like, default 50
        Location percentage for which the loss is not exceeded [%], 1 to 99.
    sigma : float or array_like, default 0
        Standard deviation of the location variability σL [dB] (Section 4.7, see
        :func:`location_sigma`); ignored when the receiver point is at sea.
    dct, dcr : float or array_like, default 500
        Distance over land from the transmitter / receiver to the coast along the path [km]
        (Section 3.4); set to 0 automatically when that terminal's point is at sea.
    ptx_kw : float or array_like, default 1
        Transmitter power [kW], used for ``Ep_tx`` only.
    gtx_dbi, grx_dbi : float or array_like, default 0
        Antenna gains towards the other terminal [dBi], used for ``Ep_tx`` only.
    lbe : float or array_like, default 0
        Median building entry loss [dB] for an indoor receiver (Section 4.8, from
        Recommendation ITU-R P.2109); 0 outdoors.
    sigma_be : float or array_like, default 0
        Standard deviation of the building entry loss [dB]; combined with ``sigma`` as the
        root sum of squares.
    att4 : bool, default False
        Compute the smooth-path Bullington loss of Section 4.3.4 with the method of
        Attachment 4 (no profile analysis) instead of from the zero-height profile.

    Returns
    -------
    P1812Result
        ``Lb`` [dB], ``Ep`` [dB(µV/m)] and every intermediate quantity (see
        :class:`P1812Result`).

    Raises
    ------
    ValueError
        An input outside its validity range, or a malformed profile; the message names the
        parameter and the allowed range.

    Notes
    -----
    The loss combines line of sight with multipath/focusing corrections (Eqs. (8)-(11)),
    delta-Bullington diffraction with the spherical-Earth part (Eqs. (12)-(39)) interpolated
    in time percentage between the median and β0 effective Earth radii (Eqs. (40)-(43)),
    troposcatter (Eqs. (44)-(45)) and ducting/layer reflection (Eqs. (46)-(56)), blended by
    Eqs. (57)-(63). Location variability and building entry enter Eq. (69):

    .. math:: L_b = \\max\\left(L_{b0p},\\; L_{bc} + L_{be} - I(p_L/100)\\,
              \\sqrt{\\sigma_L^2 + \\sigma_{be}^2}\\right)

    where I is the inverse complementary cumulative normal distribution of Attachment 2,
    Eqs. (96)-(97); and the field strength for 1 kW e.r.p. is
    :math:`E_p = 199.36 + 20\\log_{10} f - L_b` (Eq. (70)).

    Implementation conventions that match the ITU-R WP 3K reference implementation (and
    hence its validation logs): the horizon angles and smooth-Earth heights of Attachment 1
    use the bare terrain ``h``; the diffraction profile is ``h + r`` at interior points and
    ``h`` at the terminals; the wavelength is 0.2998/f m.

    References
    ----------
    .. [1] Recommendation ITU-R P.1812-6 (09/2021), "A path-specific propagation prediction
       method for point-to-area terrestrial services in the frequency range 30 MHz to
       6 000 MHz", Annex 1, Sections 3-4 and Attachments 1, 2 and 4.
    .. [2] Recommendation ITU-R P.2001-4, Attachment H (great-circle path centre).
    """
    d, h, r, z = _profile_arrays(d_km, h_m, r_m, zone)
    if d.ndim != 1:
        raise ValueError(f"d_km must be 1-D for bt_loss (got shape {d.shape}); "
                         "use bt_loss_batch for many profiles")
    _check_profile(d, h, r, z)
    prm = dict(f=f_ghz, p=p, htg=htg, hrg=hrg, pol=pol, phi_t=phi_t, phi_r=phi_r, lam_t=lam_t,
               lam_r=lam_r, dn=dn, n0=n0, dct=dct, dcr=dcr, pL=pL, sigma=sigma, lbe=lbe,
               sigma_be=sigma_be, ptx_kw=ptx_kw, gtx=gtx_dbi, grx=grx_dbi, att4=float(att4))
    _check_params(prm)
    mat = _param_matrix(prm, None)
    shape = mat.shape[:-1]
    flat = np.ascontiguousarray(mat.reshape(-1, len(PARAMS)))
    out = np.empty((flat.shape[0], N_FIELDS), dtype=float)
    if flat.shape[0] == 1:
        row = flat[0]
        path_loss_kernel(row[0], row[1], d, h, r, z, row[2], row[3], int(row[4]), row[5],
                         row[6], row[7], row[8], row[9], row[10], row[11], row[12], row[13],
                         row[14], row[15], row[16], row[17], row[18], row[19], bool(row[20]),
                         out[0])
    else:
        shared_profile_kernel(flat, d, h, r, z, out)
    return _result(out.reshape(*shape, N_FIELDS))


def bt_loss_batch(f_ghz, p, d_km, h_m, r_m, zone, htg, hrg, pol, phi_t, phi_r, lam_t, lam_r, dn,
                  n0, *, pL=50.0, sigma=0.0, dct=500.0, dcr=500.0, ptx_kw=1.0, gtx_dbi=0.0,
                  grx_dbi=0.0, lbe=0.0, sigma_be=0.0, att4=False,
                  check: bool = True) -> P1812Result:
    """ITU-R P.1812-6 over many independent profiles of equal length, in parallel.

    Parameters
    ----------
    f_ghz, p, htg, hrg, pol, phi_t, phi_r, lam_t, lam_r, dn, n0 : float or array_like
        As in :func:`bt_loss` (units [GHz], [%], [m], [m], [-], [deg], [deg], [deg], [deg],
        [N-units/km], [N-units]); scalars or arrays of shape ``(n_paths,)``.
    d_km, h_m : array_like, shape (n_paths, n_points)
        Distances [km] and terrain heights above mean sea level [m], one profile per row.
    r_m : array_like, shape (n_paths, n_points) or None
        Representative clutter heights [m]; ``None`` for none.
    zone : array_like of int, shape (n_paths, n_points) or None
        Radio-climatic zones [-] (1, 3, 4); ``None`` for inland everywhere.
    pL, sigma, dct, dcr, ptx_kw, gtx_dbi, grx_dbi, lbe, sigma_be, att4
        As in :func:`bt_loss` ([%], [dB], [km], [km], [kW], [dBi], [dBi], [dB], [dB], [-]);
        scalars or arrays of shape ``(n_paths,)``.
    check : bool, default True
        Validate every input (a few vectorised passes); pass ``False`` only for inputs
        already validated.

    Returns
    -------
    P1812Result
        Every field an array of shape ``(n_paths,)``.

    Raises
    ------
    ValueError
        As in :func:`bt_loss`.

    Notes
    -----
    Same equations as :func:`bt_loss` (ITU-R P.1812-6 Eqs. (1)-(70), (96)-(97)); the paths
    are spread over the CPU cores with ``numba.prange``.

    References
    ----------
    .. [1] Recommendation ITU-R P.1812-6 (09/2021), Annex 1, Sections 3-4.
    """
    d, h, r, z = _profile_arrays(d_km, h_m, r_m, zone)
    if d.ndim != 2:
        raise ValueError(f"d_km must be 2-D (n_paths, n_points) for bt_loss_batch (got shape "
                         f"{d.shape})")
    if check:
        _check_profile(d, h, r, z)
    prm = dict(f=f_ghz, p=p, htg=htg, hrg=hrg, pol=pol, phi_t=phi_t, phi_r=phi_r, lam_t=lam_t,
               lam_r=lam_r, dn=dn, n0=n0, dct=dct, dcr=dcr, pL=pL, sigma=sigma, lbe=lbe,
               sigma_be=sigma_be, ptx_kw=ptx_kw, gtx=gtx_dbi, grx=grx_dbi, att4=att4)
    if check:
        _check_params(prm)
    mat = np.ascontiguousarray(_param_matrix(prm, (d.shape[0],)))
    out = np.empty((d.shape[0], N_FIELDS), dtype=float)
    batch_kernel(mat, d, h, r, z, out)
    return _result(out)


def location_sigma(f_ghz, h_m, r_m, wa_m):
    """Standard deviation of the location variability σL [dB].

    Parameters
    ----------
    f_ghz : float or array_like
        Frequency [GHz].
    h_m : float or array_like
        Receiver antenna height above ground [m].
    r_m : float or array_like
        Representative clutter height at the receiver [m].
    wa_m : float or array_like
        Width of the square area over which the variability applies [m] (prediction
        resolution).

    Returns
    -------
    numpy.ndarray or float
        σL [dB].

    Notes
    -----
    :math:`\\sigma_L = (0.52 + 0.024 f)\\, w_a^{0.28}\\, u_h`, with :math:`u_h = 1` for
    h < R, :math:`1 - (h - R)/10` for R ≤ h < R + 10 and 0 above (Section 4.7).

    References
    ----------
    .. [1] Recommendation ITU-R P.1812-6 (09/2021), Annex 1, Section 4.7.
    """
    f = np.asarray(f_ghz, dtype=float)
    h = np.asarray(h_m, dtype=float)
    r = np.asarray(r_m, dtype=float)
    wa = np.asarray(wa_m, dtype=float)
    _check_range("f_ghz", f, *F_RANGE_GHZ, "GHz")
    _check_min("wa_m", wa, 0.0, "m", strict=True)
    uh = np.clip(1.0 - (h - r) / 10.0, 0.0, 1.0)
    out = (0.52 + 0.024 * f) * wa**0.28 * uh
    return float(out) if out.ndim == 0 else out


def inverse_complementary_normal(x):
    """Inverse complementary cumulative normal distribution I(x) [-] for 0 < x < 1.

    Parameters
    ----------
    x : float or array_like
        Probability [-].

    Returns
    -------
    numpy.ndarray or float
        I(x) [-], the approximation of Attachment 2 (error below 0.00054).

    References
    ----------
    .. [1] Recommendation ITU-R P.1812-6 (09/2021), Annex 1, Attachment 2, Eqs. (96)-(97).
    """
    xa = np.asarray(x, dtype=float)
    out = np.vectorize(inv_cum_norm, otypes=[float])(xa)
    return float(out) if out.ndim == 0 else out
