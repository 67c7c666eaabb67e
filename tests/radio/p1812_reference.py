"""Plain NumPy, one-path-at-a-time ITU-R P.1812-6: the test oracle of the Numba kernels.

An independent coding of the equations of :mod:`ssckit.radio.propagation._p1812_core`, written
the direct way (array expressions over the profile, Python control flow, no shared helper),
so that the kernels are checked against a second reading of the Recommendation; also the
baseline of ``benchmarks/radio_p1812.py``. Returns the basic transmission loss Lb [dB] only;
no input checks. Test code only: nothing under ``src/`` imports it.
"""

from __future__ import annotations

import math

import numpy as np

_RE = 6371.0


def _icn(x: float) -> float:
    """Inverse complementary cumulative normal, P.1812-6 Attachment 2, Eqs. (96)-(97)."""
    x = min(max(x, 1e-6), 0.999999)
    y = x if x <= 0.5 else 1.0 - x
    t = math.sqrt(-2.0 * math.log(y))
    c = (((0.010328 * t + 0.802853) * t) + 2.515516698) / (
        ((0.001308 * t + 0.189269) * t + 1.432788) * t + 1.0
    )
    return (t - c) if x <= 0.5 else -(t - c)


def _runs(d: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Lengths [km] of the runs of consecutive True points, half-spacings added at the ends."""
    m = mask.astype(int)
    starts = np.flatnonzero(np.diff(np.r_[0, m]) == 1)
    stops = np.flatnonzero(np.diff(np.r_[m, 0]) == -1)
    if starts.size == 0:
        return np.zeros(0)
    dd = np.diff(d)
    right = np.where(stops < d.size - 1, np.r_[dd, 0.0][stops] / 2.0, 0.0)
    left = np.where(starts > 0, np.r_[0.0, dd][starts] / 2.0, 0.0)
    return d[stops] - d[starts] + right + left


def _j(nu: float) -> float:
    if nu <= -0.78:
        return 0.0
    return 6.9 + 20.0 * math.log10(math.sqrt((nu - 0.1) ** 2 + 1.0) + nu - 0.1)


def _bull(d, g, hts, hrs, ap, f):
    lam = 0.2998 / f
    dtot = d[-1] - d[0]
    di, gi = d[1:-1], g[1:-1]
    bulge = gi + 500.0 / ap * di * (dtot - di)
    stim = np.max((bulge - hts) / di)
    if stim < (hrs - hts) / dtot:
        nu = (bulge - (hts * (dtot - di) + hrs * di) / dtot) * np.sqrt(
            0.002 * dtot / (lam * di * (dtot - di)))
        luc = _j(float(np.max(nu)))
    else:
        srim = np.max((bulge - hrs) / (dtot - di))
        dbp = (hrs - hts + srim * dtot) / (stim + srim)
        nub = (hts + stim * dbp - (hts * (dtot - dbp) + hrs * dbp) / dtot) * math.sqrt(
            0.002 * dtot / (lam * dbp * (dtot - dbp)))
        luc = _j(nub)
    return luc + (1.0 - math.exp(-luc / 6.0)) * (10.0 + 0.02 * dtot)


def _ft(d, hte, hre, a, f, omega, vertical):
    total = 0.0
    for w, epsr, sig in ((omega, 80.0, 5.0), (1.0 - omega, 22.0, 0.003)):
        k = 0.036 * (a * f) ** (-1 / 3) * ((epsr - 1) ** 2 + (18 * sig / f) ** 2) ** -0.25
        if vertical:
            k *= math.sqrt(epsr**2 + (18 * sig / f) ** 2)
        beta = (1 + 1.6 * k**2 + 0.67 * k**4) / (1 + 4.5 * k**2 + 1.53 * k**4)
        x = 21.88 * beta * (f / a**2) ** (1 / 3) * d
        fx = 11 + 10 * math.log10(x) - 17.6 * x if x >= 1.6 else (
            -20 * math.log10(x) - 5.6488 * x**1.425)
        gs = []
        for hh in (hte, hre):
            b = beta * 0.9575 * beta * (f**2 / a) ** (1 / 3) * hh
            g = (17.6 * (b - 1.1) ** 0.5 - 5 * math.log10(b - 1.1) - 8) if b > 2 else (
                20 * math.log10(b + 0.1 * b**3))
            gs.append(max(g, 2 + 20 * math.log10(k)))
        total += w * (-fx - gs[0] - gs[1])
    return total


def _sph(d, hte, hre, ap, f, omega, vertical):
    if d >= math.sqrt(2 * ap) * (math.sqrt(0.001 * hte) + math.sqrt(0.001 * hre)):
        return _ft(d, hte, hre, ap, f, omega, vertical)
    c = (hte - hre) / (hte + hre)
    m = 250 * d * d / (ap * (hte + hre))
    b = 2 * math.sqrt((m + 1) / (3 * m)) * math.cos(
        math.pi / 3 + math.acos(1.5 * c * math.sqrt(3 * m / (m + 1) ** 3)) / 3)
    d1 = d / 2 * (1 + b)
    d2 = d - d1
    hse = ((hte - 500 * d1 * d1 / ap) * d2 + (hre - 500 * d2 * d2 / ap) * d1) / d
    hreq = 17.456 * math.sqrt(d1 * d2 * (0.2998 / f) / d)
    if hse > hreq:
        return 0.0
    aem = 500 * (d / (math.sqrt(hte) + math.sqrt(hre))) ** 2
    return (1 - hse / hreq) * max(_ft(d, hte, hre, aem, f, omega, vertical), 0.0)


def _dbull(d, g, hts, hrs, hstd, hsrd, ap, f, omega, vertical):
    la = _bull(d, g, hts, hrs, ap, f)
    ls = _bull(d, np.zeros_like(g), hts - hstd, hrs - hsrd, ap, f)
    sph = _sph(d[-1] - d[0], hts - hstd, hrs - hsrd, ap, f, omega, vertical)
    return la + max(sph - ls, 0.0)


def reference_bt_loss(f, p, d, h, r, zone, htg, hrg, pol, phi_t, phi_r, lam_t, lam_r, dn, n0,
                  pL=50.0, sigma=0.0, dct=500.0, dcr=500.0) -> float:
    """Basic transmission loss Lb [dB] of ITU-R P.1812-6 Eq. (69) for one profile."""
    d = np.asarray(d, float)
    h = np.asarray(h, float)
    r = np.asarray(r, float)
    zone = np.asarray(zone)
    dtot = d[-1] - d[0]
    dct = 0.0 if zone[0] == 1 else dct
    dcr = 0.0 if zone[-1] == 1 else dcr
    rad = math.pi / 180
    # path centre latitude (P.2001 Attachment H)
    dl = (lam_r - lam_t) * rad
    st, ct, sr, cr = math.sin(phi_t * rad), math.cos(phi_t * rad), math.sin(phi_r * rad), \
        math.cos(phi_r * rad)
    q = st * sr + ct * cr * math.cos(dl)
    x1, y1 = sr - q * st, ct * cr * math.sin(dl)
    brg = lam_r * rad if abs(x1) < 1e-9 and abs(y1) < 1e-9 else math.atan2(y1, x1)
    a = 0.5 * dtot / _RE
    phi = math.degrees(math.asin(st * math.cos(a) + ct * math.sin(a) * math.cos(brg)))
    # meteorology, Eqs. (1)-(7)
    land = _runs(d, (zone == 3) | (zone == 4))
    inland = _runs(d, zone == 4)
    dtm = float(land.max()) if land.size else 0.0
    dlm = float(inland.max()) if inland.size else 0.0
    omega = float(_runs(d, zone == 1).sum()) / dtot
    tau = 1 - math.exp(-(4.12e-4 * dlm**2.41))
    mu1 = min((10 ** (-dtm / (16 - 6.6 * tau)) + 10 ** (-5 * (0.496 + 0.354 * tau))) ** 0.2, 1)
    if abs(phi) <= 70:
        b0 = 10 ** (-0.015 * abs(phi) + 1.67) * mu1 * mu1 ** (-0.935 + 0.0176 * abs(phi))
    else:
        b0 = 4.17 * mu1 * mu1**0.3
    ae = _RE * 157 / (157 - dn)
    ab = 3 * _RE
    # Attachment 1: profile analysis
    hts, hrs = h[0] + htg, h[-1] + hrg
    dd = np.diff(d)
    v1 = np.sum(dd * (h[1:] + h[:-1]))
    v2 = np.sum(dd * (h[1:] * (2 * d[1:] + d[:-1]) + h[:-1] * (d[1:] + 2 * d[:-1])))
    hst = (2 * v1 * dtot - v2) / dtot**2
    hsr = (v2 - v1 * dtot) / dtot**2
    di, hi = d[1:-1], h[1:-1]
    hh = hi - (hts * (dtot - di) + hrs * di) / dtot
    hobs, aot, aor = hh.max(), (hh / di).max(), (hh / (dtot - di)).max()
    hstp = hst - hobs * aot / (aot + aor) if hobs > 0 else hst
    hsrp = hsr - hobs * aor / (aot + aor) if hobs > 0 else hsr
    hstd = h[0] if hstp >= h[0] else hstp
    hsrd = h[-1] if hsrp > h[-1] else hsrp
    th = 1000 * np.arctan((hi - hts) / (1000 * di) - di / (2 * ae))
    thtd = 1000 * math.atan((hrs - hts) / (1000 * dtot) - dtot / (2 * ae))
    thrd = 1000 * math.atan((hts - hrs) / (1000 * dtot) - dtot / (2 * ae))
    if th.max() > thtd:
        lt = int(np.argmax(th)) + 1
        thr_i = 1000 * np.arctan((hi - hrs) / (1000 * (dtot - di)) - (dtot - di) / (2 * ae))
        thr = float(thr_i.max())
        lr = int(np.flatnonzero(thr_i == thr)[-1]) + 1
        dlt, dlr = d[lt], dtot - d[lr]
    else:
        thr = thrd
        nu = (hi + 500 / ae * di * (dtot - di) - (hts * (dtot - di) + hrs * di) / dtot) * np.sqrt(
            0.002 * dtot / ((0.2998 / f) * di * (dtot - di)))
        lt = lr = int(np.flatnonzero(nu == nu.max())[-1]) + 1
        dlt, dlr = d[lt], dtot - d[lt]
    tht = max(float(th.max()), thtd)
    theta = 1e3 * dtot / ae + tht + thr
    hst2, hsr2 = min(hst, h[0]), min(hsr, h[-1])
    hte, hre = htg + h[0] - hst2, hrg + h[-1] - hsr2
    idx = np.arange(lt, lr + 1)
    hm = float(np.max(h[idx] - (hst2 + (hsr2 - hst2) / dtot * d[idx])))
    # Section 4
    vertical = pol == 2
    lbfs = 92.4 + 20 * math.log10(f) + 10 * math.log10(dtot**2 + ((hts - hrs) / 1000) ** 2)
    es = 2.6 * (1 - math.exp(-0.1 * (dlt + dlr)))
    lb0p = lbfs + es * math.log10(p / 50)
    lb0b = lbfs + es * math.log10(b0 / 50)
    g = h + r
    g[0], g[-1] = h[0], h[-1]
    ld50 = _dbull(d, g, hts, hrs, hstd, hsrd, ae, f, omega, vertical)
    ldb = _dbull(d, g, hts, hrs, hstd, hsrd, ab, f, omega, vertical)
    ratio = _icn(p / 100) / _icn(b0 / 100)
    ldp = ld50 if p == 50 else ld50 + (ratio if p > b0 else 1.0) * (ldb - ld50)
    lbd50 = lbfs + ld50
    lbd = lb0p + ldp
    if p >= b0:
        lminb0p = lbd50 + (lb0b + (1 - omega) * ldp - lbd50) * ratio
    else:
        lminb0p = lb0p + (1 - omega) * ldp
    # ducting / layer reflection, Eqs. (46)-(56)
    alf = 45.375 - 137 * f + 92.5 * f * f if f < 0.5 else 0.0
    ast = asr = act = acr = 0.0
    t2, r2 = tht - 0.1 * dlt, thr - 0.1 * dlr
    if t2 > 0:
        ast = 20 * math.log10(1 + 0.361 * t2 * math.sqrt(f * dlt)) + 0.264 * t2 * f ** (1 / 3)
    if r2 > 0:
        asr = 20 * math.log10(1 + 0.361 * r2 * math.sqrt(f * dlr)) + 0.264 * r2 * f ** (1 / 3)
    if dct <= 5 and dct <= dlt and omega >= 0.75:
        act = -3 * math.exp(-0.25 * dct**2) * (1 + math.tanh(0.07 * (50 - hts)))
    if dcr <= 5 and dcr <= dlr and omega >= 0.75:
        acr = -3 * math.exp(-0.25 * dcr**2) * (1 + math.tanh(0.07 * (50 - hrs)))
    theta1 = 1e3 * dtot / ae + min(tht, 0.1 * dlt) + min(thr, 0.1 * dlr)
    mu3 = math.exp(-4.6e-5 * (hm - 10) * (43 + 6 * min(dtot - dlt - dlr, 40))) if hm > 10 else 1.0
    alpha = max(-0.6 - 3.5e-9 * dtot**3.1 * tau, -3.4)
    mu2 = min((500 / ae * dtot**2 / (math.sqrt(hte) + math.sqrt(hre)) ** 2) ** alpha, 1.0)
    beta = b0 * mu2 * mu3
    lgb = math.log10(beta)
    gam = 1.076 / (2.0058 - lgb) ** 1.012 * math.exp(
        -(9.51 - 4.8 * lgb + 0.198 * lgb**2) * 1e-6 * dtot**1.13)
    ap_ = -12 + (1.2 + 3.7e-3 * dtot) * math.log10(p / beta) + 12 * (p / beta) ** gam
    lba = (102.45 + 20 * math.log10(f) + 20 * math.log10(dlt + dlr) + alf + ast + asr + act + acr
           + 5e-5 * ae * f ** (1 / 3) * theta1 + ap_)
    lminbap = 2.5 * np.logaddexp(lba / 2.5, lb0p / 2.5)
    fk = 1 - 0.5 * (1 + math.tanh(1.5 * (dtot - 20) / 20))
    fj = 1 - 0.5 * (1 + math.tanh(2.4 * (theta - 0.3) / 0.3))
    lbda = lminbap + (lbd - lminbap) * fk if lminbap <= lbd else lbd
    lbam = lbda + (lminb0p - lbda) * fj
    lf = 25 * math.log10(f) - 2.5 * math.log10(f / 2) ** 2
    lbs = (190.1 + lf + 20 * math.log10(dtot) + 0.573 * theta - 0.15 * n0
           - 10.125 * math.log10(50 / p) ** 0.7)
    lbc = -5 * math.log10(10 ** (-0.2 * lbs) + 10 ** (-0.2 * lbam))
    lloc = 0.0 if zone[-1] == 1 else -_icn(pL / 100) * sigma
    return max(lb0p, lbc + lloc)
