"""Numba kernels of ITU-R P.1812-6: the one implementation of the Recommendation's maths.

Every equation is coded once, here, as a small ``numba.njit`` function of scalars: the
smooth-Earth and horizon geometry of Attachment 1 (:func:`smooth_earth_heights`,
:func:`elevation_tan`, :func:`effective_heights`, ...), the Bullington terms and loss
(:func:`bullington_slope_tx`, :func:`fresnel_nu`, :func:`bullington_loss`), spherical-Earth
diffraction, troposcatter, ducting, and the combination of Section 4 with location
variability (:func:`prediction`). Two ways of walking profiles call them, and nothing else
computes any of it:

* :func:`path_loss_kernel` (and the parallel :func:`batch_kernel`,
  :func:`shared_profile_kernel`) loops over the points of one profile to find the maxima the
  Recommendation asks for — one profile at a time, given as 1-D arrays ``d`` [km], ``h`` [m],
  ``r`` [m] and ``zone`` (1 sea, 3 coastal land, 4 inland), allocating nothing per call;
* :mod:`ssckit.radio.radial` keeps those maxima up to date while it walks a radial (running
  maxima, convex hulls) and hands the same functions the point it found.

The public, validated entry points are in :mod:`ssckit.radio.propagation.p1812`; nothing here
checks its inputs. Every kernel is compiled once and cached (``cache=True``); Numba checks a
cached kernel against its own file only, so after editing this file delete the cached
kernels of :mod:`ssckit.radio.radial` too (``__pycache__/radial.*.nbi``, ``.nbc``), which
inline these functions.

Equation numbers are those of Recommendation ITU-R P.1812-6 (Annex 1 and its Attachments) as
labelled in the published validation logs of the ITU-R WP 3K reference implementation.
"""

from __future__ import annotations

import math

import numba

#: Names of the values the path kernel writes into its output vector, in order.
FIELDS = (
    "Lb", "Ep", "Ep_tx", "Lbfs", "Lb0p", "Lb0b", "Lbulla", "Lbulls", "Ldsph", "Ld50",
    "Ldb", "Ldp", "Lbd50", "Lbd", "Lminb0p", "Lba", "Lminbap", "Lbda", "Lbam", "Lbs",
    "Lbc", "Lloc", "Lbulla50", "Lbulls50", "Ldsph50", "Fi", "Fj", "Fk", "dtot", "dlt",
    "dlr", "theta_t", "theta_r", "theta", "hts", "hrs", "omega", "dtm", "dlm", "phi_path",
    "b0", "ae", "hst_n", "hsr_n", "hst", "hsr", "hstd", "hsrd", "hte", "hre", "hm",
    "pathtype",
)
N_FIELDS = len(FIELDS)
_I = {name: i for i, name in enumerate(FIELDS)}
(
    I_LB, I_EP, I_EPTX, I_LBFS, I_LB0P, I_LB0B, I_LBULLA, I_LBULLS, I_LDSPH, I_LD50,
    I_LDB, I_LDP, I_LBD50, I_LBD, I_LMINB0P, I_LBA, I_LMINBAP, I_LBDA, I_LBAM, I_LBS,
    I_LBC, I_LLOC, I_LBULLA50, I_LBULLS50, I_LDSPH50, I_FI, I_FJ, I_FK, I_DTOT, I_DLT,
    I_DLR, I_THT, I_THR, I_TH, I_HTS, I_HRS, I_OMEGA, I_DTM, I_DLM, I_PHI,
    I_B0, I_AE, I_HSTN, I_HSRN, I_HST, I_HSR, I_HSTD, I_HSRD, I_HTE, I_HRE, I_HM,
    I_PATHTYPE,
) = range(N_FIELDS)

# the runs of FIELDS that the kernels write in one go (see _store)
assert FIELDS[I_LD50:I_LLOC + 1] == ("Ld50", "Ldb", "Ldp", "Lbd50", "Lbd", "Lminb0p", "Lba",
                                     "Lminbap", "Lbda", "Lbam", "Lbs", "Lbc", "Lloc")
assert FIELDS[I_DTOT:] == ("dtot", "dlt", "dlr", "theta_t", "theta_r", "theta", "hts", "hrs",
                           "omega", "dtm", "dlm", "phi_path", "b0", "ae", "hst_n", "hsr_n", "hst",
                           "hsr", "hstd", "hsrd", "hte", "hre", "hm", "pathtype")

#: Names of the per-path scalar inputs, in the column order of the batch parameter matrix.
PARAMS = (
    "f", "p", "htg", "hrg", "pol", "phi_t", "phi_r", "lam_t", "lam_r", "dn", "n0", "dct",
    "dcr", "pL", "sigma", "lbe", "sigma_be", "ptx_kw", "gtx", "grx", "att4",
)
N_PARAMS = len(PARAMS)

RE_KM = 6371.0  # mean Earth radius [km], Eq. (7)
AB_KM = 3.0 * RE_KM  # effective Earth radius exceeded for beta0 % of time [km], Eq. (7b)
LAM_C = 0.2998  # speed of light [10^9 m/s] used for the wavelength, lambda = 0.2998 / f


@numba.njit(cache=True)
def _store(out, first, values):
    """Write the tuple of floats ``values`` into ``out[first:first + len(values)]``."""
    for j in range(len(values)):
        out[first + j] = values[j]


# --------------------------------------------------------------------------- Section 3
@numba.njit(cache=True)
def inv_cum_norm(x):
    """Approximate inverse complementary cumulative normal I(x), Attachment 2, Eqs. (96)-(97)."""
    if x < 0.000001:
        x = 0.000001
    if x > 0.999999:
        x = 0.999999
    y = x if x <= 0.5 else 1.0 - x
    t = math.sqrt(-2.0 * math.log(y))
    c = ((0.010328 * t + 0.802853) * t + 2.515516698) / (
        ((0.001308 * t + 0.189269) * t + 1.432788) * t + 1.0
    )
    return t - c if x <= 0.5 else -(t - c)


@numba.njit(cache=True)
def path_centre_latitude(phi_t, lam_t, phi_r, lam_r, dpnt):
    """Latitude [deg] of the point ``dpnt`` km from Tx on the great circle (P.2001 Att. H)."""
    rad = math.pi / 180.0
    dlon = lam_r - lam_t
    r = math.sin(phi_t * rad) * math.sin(phi_r * rad) + math.cos(phi_t * rad) * math.cos(
        phi_r * rad
    ) * math.cos(dlon * rad)
    x1 = math.sin(phi_r * rad) - r * math.sin(phi_t * rad)
    y1 = math.cos(phi_t * rad) * math.cos(phi_r * rad) * math.sin(dlon * rad)
    bt2r = lam_r if abs(x1) < 1e-9 and abs(y1) < 1e-9 else math.atan2(y1, x1) / rad
    phi_pnt = dpnt / RE_KM
    s = math.sin(phi_t * rad) * math.cos(phi_pnt) + math.cos(phi_t * rad) * math.sin(
        phi_pnt
    ) * math.cos(bt2r * rad)
    s = min(1.0, max(-1.0, s))
    return math.asin(s) / rad


@numba.njit(cache=True)
def _section_length(d, zone, n, code_a, code_b, longest):
    """Longest (or total) length [km] of the runs of profile points whose zone is a or b."""
    total = 0.0
    best = 0.0
    i = 0
    dtot = d[n - 1]
    while i < n:
        z = zone[i]
        if z in (code_a, code_b):
            start = i
            while i + 1 < n and zone[i + 1] in (code_a, code_b):
                i += 1
            stop = i
            delta = 0.0
            if d[stop] < dtot:
                delta += (d[stop + 1] - d[stop]) / 2.0
            if d[start] > 0.0:
                delta += (d[start] - d[start - 1]) / 2.0
            seg = d[stop] - d[start] + delta
            total += seg
            if seg > best:
                best = seg
        i += 1
    return best if longest else total


@numba.njit(cache=True)
def beta0(phi, dtm, dlm):
    """Time percentage beta0 [%] of anomalous refractivity gradients, Eqs. (2)-(5)."""
    tau = 1.0 - math.exp(-(4.12e-4 * dlm**2.41))
    mu1 = (10.0 ** (-dtm / (16.0 - 6.6 * tau)) + 10.0 ** (-5.0 * (0.496 + 0.354 * tau))) ** 0.2
    if mu1 > 1.0:
        mu1 = 1.0
    aphi = abs(phi)
    if aphi <= 70.0:
        mu4 = mu1 ** (-0.935 + 0.0176 * aphi)
        return 10.0 ** (-0.015 * aphi + 1.67) * mu1 * mu4
    mu4 = mu1**0.3
    return 4.17 * mu1 * mu4


@numba.njit(cache=True)
def effective_radius(dn):
    """Median effective Earth radius ae [km] for the lapse rate ΔN [N-units/km], Eqs. (6),
    (7a)."""
    return RE_KM * 157.0 / (157.0 - dn)


# --------------------------------------------------------------------------- Attachment 1
@numba.njit(cache=True)
def smooth_earth_terms(d0, h0, d1, h1):
    """The terms of the profile step from (d0, h0) to (d1, h1) [km, m] in the sums v1, v2 of
    Eqs. (83)-(84)."""
    dd = d1 - d0
    return dd * (h1 + h0), dd * (h1 * (2.0 * d1 + d0) + h0 * (d1 + 2.0 * d0))


@numba.njit(cache=True)
def smooth_earth_heights(v1, v2, dtot):
    """Heights hst, hsr [m] of the least-squares smooth-Earth line at the terminals,
    Eqs. (85)-(86)."""
    return (2.0 * v1 * dtot - v2) / dtot**2, (v2 - v1 * dtot) / dtot**2


@numba.njit(cache=True)
def height_above_terminal_line(hi, di, hts, hrs, dtot):
    """Height Hi [m] of a profile point above the straight line between the antennas,
    Eq. (87)."""
    return hi - (hts * (dtot - di) + hrs * di) / dtot


@numba.njit(cache=True)
def diffraction_smooth_heights(hst, hsr, hobs, a_obt, a_obr, h_tx, h_rx):
    """Smooth-surface heights hstd, hsrd [m] at the terminals for the diffraction model,
    from the highest obstruction hobs [m] and the obstruction slopes a_obt, a_obr,
    Eqs. (88)-(89)."""
    if hobs <= 0.0:
        hstp = hst
        hsrp = hsr
    else:
        hstp = hst - hobs * (a_obt / (a_obt + a_obr))
        hsrp = hsr - hobs * (a_obr / (a_obt + a_obr))
    hstd = h_tx if hstp >= h_tx else hstp
    hsrd = h_rx if hsrp > h_rx else hsrp
    return hstd, hsrd


@numba.njit(cache=True)
def elevation_tan(hi, hs, di, ae):
    """Tangent [-] of the elevation of a point at height ``hi`` [m], ``di`` km away, seen from
    a terminal at height ``hs`` [m] over the curved Earth: the argument of the arctangent of
    Eqs. (76), (77), (79) and (80)."""
    return (hi - hs) / (1000.0 * di) - di / (2.0 * ae)


@numba.njit(cache=True)
def elevation_mrad(tangent):
    """Elevation angle [mrad] of the tangent :func:`elevation_tan`, Eqs. (76)-(80)."""
    return 1000.0 * math.atan(tangent)


@numba.njit(cache=True)
def horizon_terms(dtot, ae, d_lt, d_lr, th_max, th_td, th_r):
    """From the horizon points at ``d_lt``, ``d_lr`` [km] and the elevations [mrad] of the
    transmitter's horizon ``th_max``, of the receiver ``th_td`` and of the receiver's horizon
    ``th_r``: the horizon distances dlt, dlr [km] (Eqs. (78), (81)), the transmitter's
    horizon elevation θt [mrad] (Eq. (77)) and the path angular distance θ [mrad]
    (Eq. (82))."""
    th_t = max(th_max, th_td)
    return d_lt, dtot - d_lr, th_t, 1e3 * dtot / ae + th_t + th_r


@numba.njit(cache=True)
def effective_heights(hst, hsr, h_tx, h_rx, htg, hrg, dtot):
    """Smooth-Earth heights limited to the terminals' ground hst, hsr [m] (Eq. (90)), the
    slope of that line [m/km] (Eq. (91)) and the effective antenna heights hte, hre [m]
    (Eq. (92))."""
    hst2 = min(hst, h_tx)
    hsr2 = min(hsr, h_rx)
    return hst2, hsr2, (hsr2 - hst2) / dtot, htg + h_tx - hst2, hrg + h_rx - hsr2


@numba.njit(cache=True)
def height_above_smooth_earth(hi, di, hst, slope):
    """Height [m] of a profile point above the smooth-Earth line, the term of the terrain
    roughness hm, Eq. (93)."""
    return hi - (hst + slope * di)


# --------------------------------------------------------------------------- Section 4.3
@numba.njit(cache=True)
def knife_edge(nu):
    """Knife-edge loss J(nu) [dB], Eq. (12); zero for nu <= -0.78."""
    if nu > -0.78:
        return 6.9 + 20.0 * math.log10(math.sqrt((nu - 0.1) ** 2 + 1.0) + nu - 0.1)
    return 0.0


@numba.njit(cache=True)
def bullington_slope_tx(gi, di, dtot, ce, hts):
    """Slope [m/km] of the line from the transmitter to a profile point of height ``gi``
    [m], Earth curvature ``ce`` [1/km] included, Eq. (14)."""
    return (gi + 500.0 * ce * di * (dtot - di) - hts) / di


@numba.njit(cache=True)
def bullington_slope_rx(gi, di, dtot, ce, hrs):
    """Slope [m/km] of the line from the receiver to a profile point, Eq. (17)."""
    return (gi + 500.0 * ce * di * (dtot - di) - hrs) / (dtot - di)


@numba.njit(cache=True)
def fresnel_nu(gi, di, dtot, ce, hts, hrs, lam):
    """Diffraction parameter ν [-] of a profile point of height ``gi`` [m], Eq. (15)."""
    return (gi + 500.0 * ce * di * (dtot - di) - (hts * (dtot - di) + hrs * di) / dtot) * (
        math.sqrt(0.002 * dtot / (lam * di * (dtot - di)))
    )


@numba.njit(cache=True)
def bullington_loss(los, numax, stim, srim, hts, hrs, dtot, lam):
    """Bullington loss Lbull [dB] from the extremes of the profile, Eqs. (16)-(21).

    ``los``: Stim < Str (Eq. (16)); then only ``numax``, the largest ν (Eq. (15)), is used;
    otherwise ``stim`` and ``srim`` (Eqs. (14), (17)) set the Bullington point.
    """
    nu = numax
    if not los:
        dbp = (hrs - hts + srim * dtot) / (stim + srim)  # Eq. (18)
        nu = (hts + stim * dbp - (hts * (dtot - dbp) + hrs * dbp) / dtot) * math.sqrt(
            0.002 * dtot / (lam * dbp * (dtot - dbp))
        )  # Eq. (19)
    luc = knife_edge(nu)  # Eqs. (16), (20)
    return luc + (1.0 - math.exp(-luc / 6.0)) * (10.0 + 0.02 * dtot)  # Eq. (21)


@numba.njit(cache=True)
def bullington(d, h, r, n, hts, hrs, ap, f, use_terrain):
    """Bullington diffraction loss Lbull [dB] of a profile, Section 4.3.1, Eqs. (13)-(21).

    Interior points carry the height ``h + r`` (terrain plus representative clutter); with
    ``use_terrain`` false every profile height is zero (the smooth path of Eq. (37)).
    """
    ce = 1.0 / ap
    dtot = d[n - 1] - d[0]
    stim = -1e300
    for i in range(1, n - 1):
        gi = h[i] + r[i] if use_terrain else 0.0
        stim = max(stim, bullington_slope_tx(gi, d[i], dtot, ce, hts))
    los = stim < (hrs - hts) / dtot
    lam = LAM_C / f
    numax = -1e300
    srim = -1e300
    if los:
        for i in range(1, n - 1):
            gi = h[i] + r[i] if use_terrain else 0.0
            numax = max(numax, fresnel_nu(gi, d[i], dtot, ce, hts, hrs, lam))
    else:
        for i in range(1, n - 1):
            gi = h[i] + r[i] if use_terrain else 0.0
            srim = max(srim, bullington_slope_rx(gi, d[i], dtot, ce, hrs))
    return bullington_loss(los, numax, stim, srim, hts, hrs, dtot, lam)


@numba.njit(cache=True)
def los_distance(hte, hre, ap):
    """Marginal line-of-sight distance [km] of a smooth path, Eq. (22)."""
    return math.sqrt(2.0 * ap) * (math.sqrt(0.001 * hte) + math.sqrt(0.001 * hre))


@numba.njit(cache=True)
def smooth_path_clearance(d, hte, hre, ap):
    """Distances dse1, dse2 [km] of the point of least clearance of a smooth line-of-sight
    path and that clearance hse [m], Eqs. (23)-(25)."""
    c = (hte - hre) / (hte + hre)
    m = 250.0 * d * d / (ap * (hte + hre))
    b = 2.0 * math.sqrt((m + 1.0) / (3.0 * m)) * math.cos(
        math.pi / 3.0
        + 1.0 / 3.0 * math.acos(3.0 * c / 2.0 * math.sqrt(3.0 * m / (m + 1.0) ** 3))
    )
    dse1 = d / 2.0 * (1.0 + b)
    dse2 = d - dse1
    hse = (hte - 500.0 * dse1 * dse1 / ap) * dse2 + (hre - 500.0 * dse2 * dse2 / ap) * dse1
    return dse1, dse2, hse / d


@numba.njit(cache=True)
def bullington_smooth_att4(dtot, hte, hre, ap, f):
    """Bullington loss of the smooth path without profile analysis [dB], Attachment 4."""
    lam = LAM_C / f
    los = dtot < los_distance(hte, hre, ap)
    nu = 0.0
    stm = 0.0
    srm = 0.0
    if los:
        dse1, _, hse = smooth_path_clearance(dtot, hte, hre, ap)
        nu = -hse * math.sqrt(0.002 * dtot / (lam * dse1 * (dtot - dse1)))
    else:
        ce = 1.0 / ap
        stm = 500.0 * ce * dtot - 2.0 * math.sqrt(500.0 * ce * hte)
        srm = 500.0 * ce * dtot - 2.0 * math.sqrt(500.0 * ce * hre)
    return bullington_loss(los, nu, stm, srm, hte, hre, dtot, lam)


@numba.njit(cache=True)
def _height_gain(by, gmin):
    """Height-gain function G(Y) [dB] of the first-term formula, limited to ``gmin``,
    Eqs. (34)-(35)."""
    if by > 2.0:
        g = 17.6 * (by - 1.1) ** 0.5 - 5.0 * math.log10(by - 1.1) - 8.0
    else:
        g = 20.0 * math.log10(by + 0.1 * by**3)
    return gmin if g < gmin else g


@numba.njit(cache=True)
def _first_term_inner(epsr, sigma, d, hte, hre, adft, f, vertical):
    """First-term spherical-Earth loss for one ground type [dB], Eqs. (29)-(36)."""
    k = 0.036 * (adft * f) ** (-1.0 / 3.0) * ((epsr - 1.0) ** 2 + (18.0 * sigma / f) ** 2.0) ** (
        -1.0 / 4.0
    )
    if vertical:
        k = k * (epsr**2 + (18.0 * sigma / f) ** 2) ** (1.0 / 2.0)
    k2 = k * k
    beta = (1.0 + 1.6 * k2 + 0.67 * k2 * k2) / (1.0 + 4.5 * k2 + 1.53 * k2 * k2)
    x = 21.88 * beta * (f / adft**2) ** (1.0 / 3.0) * d
    yt = 0.9575 * beta * (f**2 / adft) ** (1.0 / 3.0) * hte
    yr = 0.9575 * beta * (f**2 / adft) ** (1.0 / 3.0) * hre
    if x >= 1.6:
        fx = 11.0 + 10.0 * math.log10(x) - 17.6 * x
    else:
        fx = -20.0 * math.log10(x) - 5.6488 * x**1.425
    gmin = 2.0 + 20.0 * math.log10(k)
    return -fx - _height_gain(beta * yt, gmin) - _height_gain(beta * yr, gmin)


@numba.njit(cache=True)
def first_term(d, hte, hre, adft, f, omega, vertical):
    """First-term spherical-Earth diffraction loss Ldft [dB], Section 4.3.3, Eq. (28)."""
    land = _first_term_inner(22.0, 0.003, d, hte, hre, adft, f, vertical)
    if omega == 0.0:   # no sea on the path: the sea term has no weight
        return land
    sea = _first_term_inner(80.0, 5.0, d, hte, hre, adft, f, vertical)
    return omega * sea + (1.0 - omega) * land


@numba.njit(cache=True)
def spherical_earth(d, hte, hre, ap, f, omega, vertical):
    """Spherical-Earth diffraction loss Ldsph [dB], Section 4.3.2, Eqs. (22)-(27)."""
    beyond = d >= los_distance(hte, hre, ap)
    adft = ap  # beyond line of sight: the first term with the effective radius ap
    hse = 0.0
    hreq = 1.0
    if not beyond:
        dse1, dse2, hse = smooth_path_clearance(d, hte, hre, ap)
        hreq = 17.456 * math.sqrt(dse1 * dse2 * (LAM_C / f) / d)
        if hse > hreq:
            return 0.0
        adft = 500.0 * (d / (math.sqrt(hte) + math.sqrt(hre))) ** 2  # aem, Eq. (26)
    ldft = first_term(d, hte, hre, adft, f, omega, vertical)
    if beyond:
        return ldft
    if ldft < 0.0:
        ldft = 0.0
    return (1.0 - hse / hreq) * ldft


@numba.njit(cache=True)
def delta_bullington_loss(lbulla, lbulls, ldsph):
    """Delta-Bullington loss Ld [dB] from the Bullington losses of the actual and of the
    smooth profile and the spherical-Earth loss, Eq. (39)."""
    return lbulla + max(ldsph - lbulls, 0.0)


@numba.njit(cache=True)
def delta_bullington(d, h, r, n, hts, hrs, hstd, hsrd, ap, f, omega, vertical, att4):
    """Delta-Bullington loss [dB] of a profile, Section 4.3.4, Eqs. (37)-(39).

    Returns ``(Ld, Lbulla, Lbulls, Ldsph)``.
    """
    lbulla = bullington(d, h, r, n, hts, hrs, ap, f, True)
    hts1 = hts - hstd  # Eq. (37a)
    hrs1 = hrs - hsrd  # Eq. (37b)
    dtot = d[n - 1] - d[0]
    if att4:
        lbulls = bullington_smooth_att4(dtot, hts1, hrs1, ap, f)
    else:
        lbulls = bullington(d, h, r, n, hts1, hrs1, ap, f, False)
    ldsph = spherical_earth(dtot, hts1, hrs1, ap, f, omega, vertical)  # Eq. (38)
    return delta_bullington_loss(lbulla, lbulls, ldsph), lbulla, lbulls, ldsph


# --------------------------------------------------------------------------- Sections 4.4-4.9
@numba.njit(cache=True)
def tropo_loss(dtot, theta, f, p, n0):
    """Troposcatter basic transmission loss Lbs [dB], Section 4.4, Eqs. (44)-(45)."""
    lf = 25.0 * math.log10(f) - 2.5 * (math.log10(f / 2.0)) ** 2
    return (
        190.1 + lf + 20.0 * math.log10(dtot) + 0.573 * theta - 0.15 * n0
        - 10.125 * (math.log10(50.0 / p)) ** 0.7
    )


@numba.njit(cache=True)
def _site_shielding(theta_2, f, dl):
    """Site-shielding loss Ast or Asr [dB] for the angle theta'' [mrad], Eqs. (49)-(50)."""
    if theta_2 > 0.0:
        return 20.0 * math.log10(1.0 + 0.361 * theta_2 * math.sqrt(f * dl)) + (
            0.264 * theta_2 * f ** (1.0 / 3.0)
        )
    return 0.0


@numba.njit(cache=True)
def _coupling(dc, dl, omega, hs):
    """Over-sea surface-duct coupling correction Act or Acr [dB], Eqs. (51)-(52)."""
    if dc <= 5.0 and dc <= dl and omega >= 0.75:
        return -3.0 * math.exp(-0.25 * dc * dc) * (1.0 + math.tanh(0.07 * (50.0 - hs)))
    return 0.0


@numba.njit(cache=True)
def anomalous_loss(dtot, dlt, dlr, dct, dcr, dlm, hts, hrs, hte, hre, hm, theta_t, theta_r,
                   f, p, omega, ae, b0):
    """Ducting/layer-reflection basic transmission loss Lba [dB], Section 4.5, Eqs. (46)-(56)."""
    alf = 45.375 - 137.0 * f + 92.5 * f * f if f < 0.5 else 0.0
    ast = _site_shielding(theta_t - 0.1 * dlt, f, dlt)
    asr = _site_shielding(theta_r - 0.1 * dlr, f, dlr)
    act = _coupling(dct, dlt, omega, hts)
    acr = _coupling(dcr, dlr, omega, hrs)
    gamma_d = 5e-5 * ae * f ** (1.0 / 3.0)
    th_t1 = 0.1 * dlt if theta_t > 0.1 * dlt else theta_t
    th_r1 = 0.1 * dlr if theta_r > 0.1 * dlr else theta_r
    theta1 = 1e3 * dtot / ae + th_t1 + th_r1
    d_i = min(dtot - dlt - dlr, 40.0)
    mu3 = 1.0
    if hm > 10.0:
        mu3 = math.exp(-4.6e-5 * (hm - 10.0) * (43.0 + 6.0 * d_i))
    tau = 1.0 - math.exp(-(4.12e-4 * dlm**2.41))
    alpha = -0.6 - 3.5 * 1e-9 * dtot**3.1 * tau
    if alpha < -3.4:
        alpha = -3.4
    mu2 = (500.0 / ae * dtot**2 / (math.sqrt(hte) + math.sqrt(hre)) ** 2) ** alpha
    if mu2 > 1.0:
        mu2 = 1.0
    beta = b0 * mu2 * mu3
    lb = math.log10(beta)
    gam = 1.076 / (2.0058 - lb) ** 1.012 * math.exp(
        -(9.51 - 4.8 * lb + 0.198 * lb**2) * 1e-6 * dtot**1.13
    )
    ap_ = -12.0 + (1.2 + 3.7e-3 * dtot) * math.log10(p / beta) + 12.0 * (p / beta) ** gam
    adp = gamma_d * theta1 + ap_
    af = (
        102.45 + 20.0 * math.log10(f) + 20.0 * math.log10(dlt + dlr) + alf + ast + asr + act
        + acr
    )
    return af + adp


@numba.njit(cache=True)
def prediction(f, p, pL, sigma, lbe, sigma_be, rx_at_sea, b0, ae, omega, dtot, dlt, dlr, dct,
               dcr, dlm, hts, hrs, hte, hre, hm, theta_t, theta_r, theta, n0, ld50, ldb):
    """Basic transmission loss Lb [dB] from the path's geometry and its delta-Bullington
    losses for the median (``ld50``) and the β0 (``ldb``) effective Earth radius: Section 4,
    Eqs. (8)-(11), (40)-(63), (69).

    Returns the tuple ``(Lb, Lbfs, Lb0p, Lb0b, Ldp, Lbd50, Lbd, Lminb0p, Lba, Lminbap, Lbda,
    Lbam, Lbs, Lbc, Lloc, Fi, Fj, Fk)``.
    """
    fj = 1.0 - 0.5 * (1.0 + math.tanh(3.0 * 0.8 * (theta - 0.3) / 0.3))  # Eq. (57)
    fk = 1.0 - 0.5 * (1.0 + math.tanh(3.0 * 0.5 * (dtot - 20.0) / 20.0))  # Eq. (58)

    # Section 4.2, Eqs. (8)-(11)
    dfs2 = dtot**2 + ((hts - hrs) / 1000.0) ** 2
    lbfs = 92.4 + 20.0 * math.log10(f) + 10.0 * math.log10(dfs2)
    esc = 2.6 * (1.0 - math.exp(-0.1 * (dlt + dlr)))
    lb0p = lbfs + esc * math.log10(p / 50.0)
    lb0b = lbfs + esc * math.log10(b0 / 50.0)

    # Section 4.3.5, Eqs. (40)-(43)
    if p == 50.0:
        ldp = ld50
    else:
        fi41 = inv_cum_norm(p / 100.0) / inv_cum_norm(b0 / 100.0) if p > b0 else 1.0
        ldp = ld50 + fi41 * (ldb - ld50)
    lbd50 = lbfs + ld50  # Eq. (42)
    lbd = lb0p + ldp  # Eq. (43)
    fi = 1.0
    if p >= b0:
        fi = inv_cum_norm(p / 100.0) / inv_cum_norm(b0 / 100.0)  # Eq. (40)
        lminb0p = lbd50 + (lb0b + (1.0 - omega) * ldp - lbd50) * fi  # Eq. (59)
    else:
        lminb0p = lb0p + (1.0 - omega) * ldp

    lba = anomalous_loss(dtot, dlt, dlr, dct, dcr, dlm, hts, hrs, hte, hre, hm, theta_t,
                         theta_r, f, p, omega, ae, b0)
    # Eq. (60): 2.5 ln(exp(Lba/2.5) + exp(Lb0p/2.5)), evaluated without overflow
    big = max(lba, lb0p)
    lminbap = big + 2.5 * math.log1p(math.exp(-abs(lba - lb0p) / 2.5))
    lbda = lminbap + (lbd - lminbap) * fk if lminbap <= lbd else lbd  # Eq. (61)
    lbam = lbda + (lminb0p - lbda) * fj  # Eq. (62)
    lbs = tropo_loss(dtot, theta, f, p, n0)
    lbc = -5.0 * math.log10(10.0 ** (-0.2 * lbs) + 10.0 ** (-0.2 * lbam))  # Eq. (63)

    # Sections 4.7-4.9: location variability and building entry; none for a receiver at sea
    sig = 0.0 if rx_at_sea else math.sqrt(sigma * sigma + sigma_be * sigma_be)
    lloc = lbe - inv_cum_norm(pL / 100.0) * sig if sig > 0.0 else lbe
    lb = max(lb0p, lbc + lloc)  # Eq. (69)
    return (lb, lbfs, lb0p, lb0b, ldp, lbd50, lbd, lminb0p, lba, lminbap, lbda, lbam, lbs, lbc,
            lloc, fi, fj, fk)


# --------------------------------------------------------------------------- one profile
@numba.njit(cache=True)
def path_loss_kernel(f, p, d, h, r, zone, htg, hrg, pol, phi_t, phi_r, lam_t, lam_r, dn, n0,
                     dct, dcr, pL, sigma, lbe, sigma_be, ptx_kw, gtx, grx, att4, out):
    """Evaluate ITU-R P.1812-6 for one profile; write every value of ``FIELDS`` into ``out``.

    No argument is checked: call :func:`ssckit.radio.propagation.p1812.bt_loss` for a
    validated evaluation. Returns the basic transmission loss Lb [dB], Eq. (69).
    """
    n = d.shape[0]
    dtot = d[n - 1] - d[0]
    vertical = pol == 2

    if zone[0] == 1:  # Tx at sea (Section 3.4)
        dct = 0.0
    if zone[n - 1] == 1:  # Rx at sea
        dcr = 0.0

    phi_path = path_centre_latitude(phi_t, lam_t, phi_r, lam_r, 0.5 * dtot)
    dtm = _section_length(d, zone, n, 3, 4, True)  # Section 3.6, land (coastal + inland)
    dlm = _section_length(d, zone, n, 4, 4, True)  # inland
    b0 = beta0(phi_path, dtm, dlm)
    ae = effective_radius(dn)
    omega = _section_length(d, zone, n, 1, 1, False) / dtot  # Table 5, ω

    # --- Attachment 1, Section 5: path profile analysis ------------------------------
    hts = h[0] + htg
    hrs = h[n - 1] + hrg
    v1 = 0.0
    v2 = 0.0
    for i in range(1, n):
        t1, t2 = smooth_earth_terms(d[i - 1], h[i - 1], d[i], h[i])
        v1 += t1
        v2 += t2
    hst, hsr = smooth_earth_heights(v1, v2, dtot)

    hobs = -1e300
    a_obt = -1e300
    a_obr = -1e300
    for i in range(1, n - 1):
        hh = height_above_terminal_line(h[i], d[i], hts, hrs, dtot)
        hobs = max(hobs, hh)
        a_obt = max(a_obt, hh / d[i])
        a_obr = max(a_obr, hh / (dtot - d[i]))
    hstd, hsrd = diffraction_smooth_heights(hst, hsr, hobs, a_obt, a_obr, h[0], h[n - 1])

    th_max = -1e300
    lt = 1
    for i in range(1, n - 1):
        th = elevation_mrad(elevation_tan(h[i], hts, d[i], ae))
        if th > th_max:
            th_max = th
            lt = i
    th_td = elevation_mrad(elevation_tan(hrs, hts, dtot, ae))
    if th_max > th_td:  # trans-horizon: the receiver's horizon, the last one on ties
        pathtype = 2.0
        th_r = -1e300
        lr = n - 2
        for i in range(1, n - 1):
            th = elevation_mrad(elevation_tan(h[i], hrs, dtot - d[i], ae))
            if th >= th_r:
                th_r = th
                lr = i
    else:  # line of sight: the point of largest ν (Eq. (15)) is both horizons
        pathtype = 1.0
        th_r = elevation_mrad(elevation_tan(hts, hrs, dtot, ae))
        lam = LAM_C / f
        numax = -1e300
        for i in range(1, n - 1):
            nu = fresnel_nu(h[i], d[i], dtot, 1.0 / ae, hts, hrs, lam)
            if nu >= numax:
                numax = nu
                lt = i
        lr = lt
    dlt, dlr, th_t, theta = horizon_terms(dtot, ae, d[lt], d[lr], th_max, th_td, th_r)

    hst2, hsr2, slope, hte, hre = effective_heights(hst, hsr, h[0], h[n - 1], htg, hrg, dtot)
    hm = -1e300
    for i in range(lt, lr + 1):
        hm = max(hm, height_above_smooth_earth(h[i], d[i], hst2, slope))

    # --- Section 4: prediction ------------------------------------------------------
    ld50, lbulla50, lbulls50, ldsph50 = delta_bullington(
        d, h, r, n, hts, hrs, hstd, hsrd, ae, f, omega, vertical, att4
    )
    ldb, lbulla, lbulls, ldsph = delta_bullington(
        d, h, r, n, hts, hrs, hstd, hsrd, AB_KM, f, omega, vertical, att4
    )
    (lb, lbfs, lb0p, lb0b, ldp, lbd50, lbd, lminb0p, lba, lminbap, lbda, lbam, lbs, lbc, lloc,
     fi, fj, fk) = prediction(f, p, pL, sigma, lbe, sigma_be, zone[n - 1] == 1, b0, ae, omega,
                              dtot, dlt, dlr, dct, dcr, dlm, hts, hrs, hte, hre, hm, th_t, th_r,
                              theta, n0, ld50, ldb)
    ep = 199.36 + 20.0 * math.log10(f) - lb  # Eq. (70)
    _store(out, I_LB, (lb, ep, ep + 10.0 * math.log10(ptx_kw) + gtx + grx))
    _store(out, I_LBFS, (lbfs, lb0p, lb0b))
    _store(out, I_LD50, (ld50, ldb, ldp, lbd50, lbd, lminb0p, lba, lminbap, lbda, lbam, lbs,
                         lbc, lloc))
    _store(out, I_FI, (fi, fj, fk))
    _store(out, I_LBULLA, (lbulla, lbulls, ldsph))
    _store(out, I_LBULLA50, (lbulla50, lbulls50, ldsph50))
    _store(out, I_DTOT, (dtot, dlt, dlr, th_t, th_r, theta, hts, hrs, omega, dtm, dlm, phi_path,
                         b0, ae, hst, hsr, hst2, hsr2, hstd, hsrd, hte, hre, hm, pathtype))
    return lb


@numba.njit(cache=True)
def _row_kernel(prm, d, h, r, zone, out):
    return path_loss_kernel(
        prm[0], prm[1], d, h, r, zone, prm[2], prm[3], int(prm[4]), prm[5], prm[6], prm[7],
        prm[8], prm[9], prm[10], prm[11], prm[12], prm[13], prm[14], prm[15], prm[16],
        prm[17], prm[18], prm[19], prm[20] != 0.0, out,
    )


@numba.njit(cache=True, parallel=True)
def batch_kernel(params, d, h, r, zone, out):
    """Evaluate many independent equal-length profiles (rows of d, h, r, zone) in parallel."""
    for k in numba.prange(params.shape[0]):
        _row_kernel(params[k], d[k], h[k], r[k], zone[k], out[k])


@numba.njit(cache=True, parallel=True)
def shared_profile_kernel(params, d, h, r, zone, out):
    """Evaluate one profile for many parameter rows (frequencies, heights, p, ...) in parallel."""
    for k in numba.prange(params.shape[0]):
        _row_kernel(params[k], d, h, r, zone, out[k])


def field_index(name: str) -> int:
    """Position of ``name`` in :data:`FIELDS`."""
    return _I[name]


__all__ = [
    "AB_KM",
    "FIELDS",
    "LAM_C",
    "N_FIELDS",
    "N_PARAMS",
    "PARAMS",
    "RE_KM",
    "batch_kernel",
    "beta0",
    "bullington_loss",
    "bullington_slope_rx",
    "bullington_slope_tx",
    "bullington_smooth_att4",
    "delta_bullington_loss",
    "diffraction_smooth_heights",
    "effective_heights",
    "effective_radius",
    "elevation_mrad",
    "elevation_tan",
    "field_index",
    "fresnel_nu",
    "height_above_smooth_earth",
    "height_above_terminal_line",
    "inv_cum_norm",
    "horizon_terms",
    "path_centre_latitude",
    "path_loss_kernel",
    "prediction",
    "shared_profile_kernel",
    "smooth_earth_heights",
    "smooth_earth_terms",
    "spherical_earth",
    "tropo_loss",
]
