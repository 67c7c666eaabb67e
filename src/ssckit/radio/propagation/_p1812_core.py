"""Numba kernels of ITU-R P.1812-6 (one path profile at a time; no input checks here).

The public, validated entry points are in :mod:`ssckit.radio.propagation.p1812`. Every
function here works on one profile given as 1-D arrays ``d`` [km], ``h`` [m], ``r`` [m] and
``zone`` (1 sea, 3 coastal land, 4 inland) and allocates nothing per call, so that a caller
can loop over many profiles (radials, batches) at native speed.

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

#: Names of the per-path scalar inputs, in the column order of the batch parameter matrix.
PARAMS = (
    "f", "p", "htg", "hrg", "pol", "phi_t", "phi_r", "lam_t", "lam_r", "dn", "n0", "dct",
    "dcr", "pL", "sigma", "lbe", "sigma_be", "ptx_kw", "gtx", "grx", "att4",
)
N_PARAMS = len(PARAMS)

_RE = 6371.0  # mean Earth radius [km], Eq. (7)
_LAM_C = 0.2998  # speed of light [10^9 m/s] used for the wavelength, lambda = 0.2998 / f


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
    phi_pnt = dpnt / _RE
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
def _knife_edge(nu):
    """Knife-edge loss J(nu) [dB], Eq. (12); zero for nu <= -0.78."""
    if nu > -0.78:
        return 6.9 + 20.0 * math.log10(math.sqrt((nu - 0.1) ** 2 + 1.0) + nu - 0.1)
    return 0.0


@numba.njit(cache=True)
def bullington(d, h, r, n, hts, hrs, ap, f, use_terrain):
    """Bullington diffraction loss Lbull [dB], Section 4.3.1, Eqs. (13)-(21).

    Interior points carry the height ``h + r`` (terrain plus representative clutter); with
    ``use_terrain`` false every profile height is zero (the smooth path of Eq. (37)).
    """
    ce = 1.0 / ap
    lam = _LAM_C / f
    dtot = d[n - 1] - d[0]
    stim = -1e300
    for i in range(1, n - 1):
        di = d[i]
        gi = h[i] + r[i] if use_terrain else 0.0
        s = (gi + 500.0 * ce * di * (dtot - di) - hts) / di
        if s > stim:
            stim = s
    st_r = (hrs - hts) / dtot
    if stim < st_r:
        numax = -1e300
        for i in range(1, n - 1):
            di = d[i]
            gi = h[i] + r[i] if use_terrain else 0.0
            nu = (gi + 500.0 * ce * di * (dtot - di) - (hts * (dtot - di) + hrs * di) / dtot) * (
                math.sqrt(0.002 * dtot / (lam * di * (dtot - di)))
            )
            if nu > numax:
                numax = nu
        luc = _knife_edge(numax)
    else:
        srim = -1e300
        for i in range(1, n - 1):
            di = d[i]
            gi = h[i] + r[i] if use_terrain else 0.0
            s = (gi + 500.0 * ce * di * (dtot - di) - hrs) / (dtot - di)
            if s > srim:
                srim = s
        dbp = (hrs - hts + srim * dtot) / (stim + srim)
        nub = (hts + stim * dbp - (hts * (dtot - dbp) + hrs * dbp) / dtot) * math.sqrt(
            0.002 * dtot / (lam * dbp * (dtot - dbp))
        )
        luc = _knife_edge(nub)
    return luc + (1.0 - math.exp(-luc / 6.0)) * (10.0 + 0.02 * dtot)


@numba.njit(cache=True)
def bullington_smooth_att4(dtot, hte, hre, ap, f):
    """Bullington loss of the smooth path without profile analysis [dB], Attachment 4."""
    ce = 1.0 / ap
    lam = _LAM_C / f
    dlos = math.sqrt(2.0 * ap) * (math.sqrt(0.001 * hte) + math.sqrt(0.001 * hre))
    if dtot < dlos:
        c = (hte - hre) / (hte + hre)
        m = 250.0 * dtot * dtot / (ap * (hte + hre))
        b = 2.0 * math.sqrt((m + 1.0) / (3.0 * m)) * math.cos(
            math.pi / 3.0
            + 1.0 / 3.0 * math.acos(3.0 * c / 2.0 * math.sqrt(3.0 * m / ((m + 1.0) ** 3)))
        )
        dse1 = dtot / 2.0 * (1.0 + b)
        dse2 = dtot - dse1
        hse = ((hte - 500.0 * dse1 * dse1 / ap) * dse2 + (hre - 500.0 * dse2 * dse2 / ap) * dse1)
        hse = hse / dtot
        nu = -hse * math.sqrt(0.002 * dtot / (lam * dse1 * (dtot - dse1)))
    else:
        stm = 500.0 * ce * dtot - 2.0 * math.sqrt(500.0 * ce * hte)
        srm = 500.0 * ce * dtot - 2.0 * math.sqrt(500.0 * ce * hre)
        ds = (hre - hte + srm * dtot) / (stm + srm)
        nu = (hte + stm * ds - (hte * (dtot - ds) + hre * ds) / dtot) * math.sqrt(
            0.002 * dtot / (lam * ds * (dtot - ds))
        )
    lus = _knife_edge(nu)
    return lus + (1.0 - math.exp(-lus / 6.0)) * (10.0 + 0.02 * dtot)


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
    bt = beta * yt
    br = beta * yr
    if bt > 2.0:
        gyt = 17.6 * (bt - 1.1) ** 0.5 - 5.0 * math.log10(bt - 1.1) - 8.0
    else:
        gyt = 20.0 * math.log10(bt + 0.1 * bt**3)
    if br > 2.0:
        gyr = 17.6 * (br - 1.1) ** 0.5 - 5.0 * math.log10(br - 1.1) - 8.0
    else:
        gyr = 20.0 * math.log10(br + 0.1 * br**3)
    if gyr < gmin:
        gyr = gmin
    if gyt < gmin:
        gyt = gmin
    return -fx - gyt - gyr


@numba.njit(cache=True)
def first_term(d, hte, hre, adft, f, omega, vertical):
    """First-term spherical-Earth diffraction loss Ldft [dB], Section 4.3.3, Eq. (28)."""
    land = _first_term_inner(22.0, 0.003, d, hte, hre, adft, f, vertical)
    sea = _first_term_inner(80.0, 5.0, d, hte, hre, adft, f, vertical)
    return omega * sea + (1.0 - omega) * land


@numba.njit(cache=True)
def spherical_earth(d, hte, hre, ap, f, omega, vertical):
    """Spherical-Earth diffraction loss Ldsph [dB], Section 4.3.2, Eqs. (22)-(27)."""
    lam = _LAM_C / f
    dlos = math.sqrt(2.0 * ap) * (math.sqrt(0.001 * hte) + math.sqrt(0.001 * hre))
    if d >= dlos:
        return first_term(d, hte, hre, ap, f, omega, vertical)
    c = (hte - hre) / (hte + hre)
    m = 250.0 * d * d / (ap * (hte + hre))
    b = 2.0 * math.sqrt((m + 1.0) / (3.0 * m)) * math.cos(
        math.pi / 3.0
        + 1.0 / 3.0 * math.acos(3.0 * c / 2.0 * math.sqrt(3.0 * m / (m + 1.0) ** 3))
    )
    dse1 = d / 2.0 * (1.0 + b)
    dse2 = d - dse1
    hse = (hte - 500.0 * dse1 * dse1 / ap) * dse2 + (hre - 500.0 * dse2 * dse2 / ap) * dse1
    hse = hse / d
    hreq = 17.456 * math.sqrt(dse1 * dse2 * lam / d)
    if hse > hreq:
        return 0.0
    aem = 500.0 * (d / (math.sqrt(hte) + math.sqrt(hre))) ** 2
    ldft = first_term(d, hte, hre, aem, f, omega, vertical)
    if ldft < 0.0:
        ldft = 0.0
    return (1.0 - hse / hreq) * ldft


@numba.njit(cache=True)
def delta_bullington(d, h, r, n, hts, hrs, hstd, hsrd, ap, f, omega, vertical, att4):
    """Delta-Bullington loss [dB], Section 4.3.4, Eqs. (37)-(39).

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
    return lbulla + max(ldsph - lbulls, 0.0), lbulla, lbulls, ldsph


@numba.njit(cache=True)
def tropo_loss(dtot, theta, f, p, n0):
    """Troposcatter basic transmission loss Lbs [dB], Section 4.4, Eqs. (44)-(45)."""
    lf = 25.0 * math.log10(f) - 2.5 * (math.log10(f / 2.0)) ** 2
    return (
        190.1 + lf + 20.0 * math.log10(dtot) + 0.573 * theta - 0.15 * n0
        - 10.125 * (math.log10(50.0 / p)) ** 0.7
    )


@numba.njit(cache=True)
def anomalous_loss(dtot, dlt, dlr, dct, dcr, dlm, hts, hrs, hte, hre, hm, theta_t, theta_r,
                   f, p, omega, ae, b0):
    """Ducting/layer-reflection basic transmission loss Lba [dB], Section 4.5, Eqs. (46)-(56)."""
    alf = 45.375 - 137.0 * f + 92.5 * f * f if f < 0.5 else 0.0
    th_t2 = theta_t - 0.1 * dlt
    th_r2 = theta_r - 0.1 * dlr
    ast = 0.0
    asr = 0.0
    if th_t2 > 0.0:
        ast = 20.0 * math.log10(1.0 + 0.361 * th_t2 * math.sqrt(f * dlt)) + 0.264 * th_t2 * f ** (
            1.0 / 3.0
        )
    if th_r2 > 0.0:
        asr = 20.0 * math.log10(1.0 + 0.361 * th_r2 * math.sqrt(f * dlr)) + 0.264 * th_r2 * f ** (
            1.0 / 3.0
        )
    act = 0.0
    acr = 0.0
    if dct <= 5.0 and dct <= dlt and omega >= 0.75:
        act = -3.0 * math.exp(-0.25 * dct * dct) * (1.0 + math.tanh(0.07 * (50.0 - hts)))
    if dcr <= 5.0 and dcr <= dlr and omega >= 0.75:
        acr = -3.0 * math.exp(-0.25 * dcr * dcr) * (1.0 + math.tanh(0.07 * (50.0 - hrs)))
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
    ae = _RE * 157.0 / (157.0 - dn)  # Eqs. (6), (7a)
    ab = _RE * 3.0  # Eq. (7b)
    omega = _section_length(d, zone, n, 1, 1, False) / dtot  # Table 5, ω

    # --- Attachment 1, Section 5: path profile analysis ------------------------------
    hts = h[0] + htg
    hrs = h[n - 1] + hrg
    v1 = 0.0
    v2 = 0.0
    for i in range(1, n):
        dd = d[i] - d[i - 1]
        v1 += dd * (h[i] + h[i - 1])
        v2 += dd * (h[i] * (2.0 * d[i] + d[i - 1]) + h[i - 1] * (d[i] + 2.0 * d[i - 1]))
    dt2 = d[n - 1]
    hst = (2.0 * v1 * dt2 - v2) / dt2**2
    hsr = (v2 - v1 * dt2) / dt2**2

    hobs = -1e300
    a_obt = -1e300
    a_obr = -1e300
    for i in range(1, n - 1):
        hh = h[i] - (hts * (dt2 - d[i]) + hrs * d[i]) / dt2
        if hh > hobs:
            hobs = hh
        if hh / d[i] > a_obt:
            a_obt = hh / d[i]
        if hh / (dt2 - d[i]) > a_obr:
            a_obr = hh / (dt2 - d[i])
    if hobs <= 0.0:
        hstp = hst
        hsrp = hsr
    else:
        hstp = hst - hobs * (a_obt / (a_obt + a_obr))
        hsrp = hsr - hobs * (a_obr / (a_obt + a_obr))
    hstd = h[0] if hstp >= h[0] else hstp
    hsrd = h[n - 1] if hsrp > h[n - 1] else hsrp

    th_max = -1e300
    lt = 1
    for i in range(1, n - 1):
        th = 1000.0 * math.atan((h[i] - hts) / (1000.0 * d[i]) - d[i] / (2.0 * ae))
        if th > th_max:
            th_max = th
            lt = i
    th_td = 1000.0 * math.atan((hrs - hts) / (1000.0 * dt2) - dt2 / (2.0 * ae))
    th_rd = 1000.0 * math.atan((hts - hrs) / (1000.0 * dt2) - dt2 / (2.0 * ae))
    if th_max > th_td:
        pathtype = 2.0
        dlt = d[lt]
        th_r = -1e300
        lr = n - 2
        for i in range(1, n - 1):
            dr = dt2 - d[i]
            th = 1000.0 * math.atan((h[i] - hrs) / (1000.0 * dr) - dr / (2.0 * ae))
            if th >= th_r:
                th_r = th
                lr = i
        dlr = dt2 - d[lr]
    else:
        pathtype = 1.0
        th_r = th_rd
        lam = _LAM_C / f
        ce = 1.0 / ae
        numax = -1e300
        for i in range(1, n - 1):
            di = d[i]
            nu = (h[i] + 500.0 * ce * di * (dt2 - di) - (hts * (dt2 - di) + hrs * di) / dt2) * (
                math.sqrt(0.002 * dt2 / (lam * di * (dt2 - di)))
            )
            if nu >= numax:
                numax = nu
                lt = i
        dlt = d[lt]
        dlr = dt2 - dlt
        lr = lt
    th_t = max(th_max, th_td)
    theta = 1e3 * dt2 / ae + th_t + th_r

    hst2 = min(hst, h[0])
    hsr2 = min(hsr, h[n - 1])
    slope = (hsr2 - hst2) / dt2
    hte = htg + h[0] - hst2
    hre = hrg + h[n - 1] - hsr2
    hm = -1e300
    for i in range(lt, lr + 1):
        v = h[i] - (hst2 + slope * d[i])
        if v > hm:
            hm = v

    # --- Section 4: prediction ------------------------------------------------------
    fj = 1.0 - 0.5 * (1.0 + math.tanh(3.0 * 0.8 * (theta - 0.3) / 0.3))  # Eq. (57)
    fk = 1.0 - 0.5 * (1.0 + math.tanh(3.0 * 0.5 * (dtot - 20.0) / 20.0))  # Eq. (58)

    # Section 4.2, Eqs. (8)-(11)
    dfs2 = dtot**2 + ((hts - hrs) / 1000.0) ** 2
    lbfs = 92.4 + 20.0 * math.log10(f) + 10.0 * math.log10(dfs2)
    esc = 2.6 * (1.0 - math.exp(-0.1 * (dlt + dlr)))
    lb0p = lbfs + esc * math.log10(p / 50.0)
    lb0b = lbfs + esc * math.log10(b0 / 50.0)

    # Section 4.3.5, Eqs. (39)-(41)
    ld50, lbulla50, lbulls50, ldsph50 = delta_bullington(
        d, h, r, n, hts, hrs, hstd, hsrd, ae, f, omega, vertical, att4
    )
    ldb, lbulla, lbulls, ldsph = delta_bullington(
        d, h, r, n, hts, hrs, hstd, hsrd, ab, f, omega, vertical, att4
    )
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

    lba = anomalous_loss(dtot, dlt, dlr, dct, dcr, dlm, hts, hrs, hte, hre, hm, th_t, th_r,
                         f, p, omega, ae, b0)
    # Eq. (60): 2.5 ln(exp(Lba/2.5) + exp(Lb0p/2.5)), evaluated without overflow
    big = max(lba, lb0p)
    lminbap = big + 2.5 * math.log1p(math.exp(-abs(lba - lb0p) / 2.5))
    lbda = lminbap + (lbd - lminbap) * fk if lminbap <= lbd else lbd  # Eq. (61)
    lbam = lbda + (lminb0p - lbda) * fj  # Eq. (62)
    lbs = tropo_loss(dtot, theta, f, p, n0)
    lbc = -5.0 * math.log10(10.0 ** (-0.2 * lbs) + 10.0 ** (-0.2 * lbam))  # Eq. (63)

    # Sections 4.7-4.9: location variability and building entry
    # no location variability for a receiver at sea
    sig = 0.0 if zone[n - 1] == 1 else math.sqrt(sigma * sigma + sigma_be * sigma_be)
    lloc = lbe - inv_cum_norm(pL / 100.0) * sig
    lb = max(lb0p, lbc + lloc)  # Eq. (69)
    ep = 199.36 + 20.0 * math.log10(f) - lb  # Eq. (70)

    out[I_LB] = lb
    out[I_EP] = ep
    out[I_EPTX] = ep + 10.0 * math.log10(ptx_kw) + gtx + grx
    out[I_LBFS] = lbfs
    out[I_LB0P] = lb0p
    out[I_LB0B] = lb0b
    out[I_LBULLA] = lbulla
    out[I_LBULLS] = lbulls
    out[I_LDSPH] = ldsph
    out[I_LD50] = ld50
    out[I_LDB] = ldb
    out[I_LDP] = ldp
    out[I_LBD50] = lbd50
    out[I_LBD] = lbd
    out[I_LMINB0P] = lminb0p
    out[I_LBA] = lba
    out[I_LMINBAP] = lminbap
    out[I_LBDA] = lbda
    out[I_LBAM] = lbam
    out[I_LBS] = lbs
    out[I_LBC] = lbc
    out[I_LLOC] = lloc
    out[I_LBULLA50] = lbulla50
    out[I_LBULLS50] = lbulls50
    out[I_LDSPH50] = ldsph50
    out[I_FI] = fi
    out[I_FJ] = fj
    out[I_FK] = fk
    out[I_DTOT] = dtot
    out[I_DLT] = dlt
    out[I_DLR] = dlr
    out[I_THT] = th_t
    out[I_THR] = th_r
    out[I_TH] = theta
    out[I_HTS] = hts
    out[I_HRS] = hrs
    out[I_OMEGA] = omega
    out[I_DTM] = dtm
    out[I_DLM] = dlm
    out[I_PHI] = phi_path
    out[I_B0] = b0
    out[I_AE] = ae
    out[I_HSTN] = hst
    out[I_HSRN] = hsr
    out[I_HST] = hst2
    out[I_HSR] = hsr2
    out[I_HSTD] = hstd
    out[I_HSRD] = hsrd
    out[I_HTE] = hte
    out[I_HRE] = hre
    out[I_HM] = hm
    out[I_PATHTYPE] = pathtype
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
    "FIELDS",
    "N_FIELDS",
    "N_PARAMS",
    "PARAMS",
    "batch_kernel",
    "field_index",
    "inv_cum_norm",
    "path_loss_kernel",
    "shared_profile_kernel",
]
