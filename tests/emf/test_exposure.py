"""Exposure model: spherical and cylindrical formulas, reflection, F_PR, total exposure ratio."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ssckit.emf as emf
from ssckit.emf import (
    Transmitters,
    cylindrical_crossover_distance,
    eirp_w,
    exposure_ratios,
    ground_reflection_factor,
    power_density_cylindrical,
    power_density_spherical,
    relative_gain,
    total_exposure_ratio,
)
from ssckit.radio.antenna import sector_gain_38901


def test_all_is_complete_and_sorted():
    import types

    # submodules (exposure, limits, zones, and run/report/web once imported) are not API names
    public = [n for n in dir(emf) if not n.startswith("_")
              and not isinstance(getattr(emf, n), types.ModuleType)]
    assert emf.__all__ == sorted(emf.__all__)
    assert set(public) == set(emf.__all__)


def test_eirp():
    # 43 dBm + 17 dBi = 60 dBm = 1000 W; 46 + 17 = 63 dBm = 1995.26 W
    assert_allclose(eirp_w(43.0, 17.0), 1000.0, rtol=1e-12)
    assert_allclose(eirp_w([46.0, 30.0], [17.0, 0.0]), [1995.262, 1.0], rtol=1e-6)
    assert_allclose(relative_gain(14.0, 17.0), 10 ** -0.3, rtol=1e-12)


def test_spherical_hand_value():
    # EIRP 1000 W at 10 m: S = 1000 / (4 pi 100) = 0.795775 W/m^2
    assert_allclose(power_density_spherical(1000.0, 10.0), 0.7957747, rtol=1e-6)
    # with g = 0.5, ground reflection 2.56 and F_PR = 0.25: 0.795775*0.5*2.56*0.25 = 0.254648
    s = power_density_spherical(1000.0, 10.0, 0.5, reflection_factor=2.56,
                                power_reduction_factor=0.25)
    assert_allclose(s, 0.2546479, rtol=1e-6)
    # vectorised: inverse-square law
    s = power_density_spherical(1000.0, np.array([1.0, 2.0, 4.0]))
    assert_allclose(s[0] / s, [1.0, 4.0, 16.0])


def test_ground_reflection_factor():
    assert_allclose(ground_reflection_factor(), 2.56, rtol=1e-12)   # (1 + 0.6)^2
    assert_allclose(ground_reflection_factor(1.0), 4.0)
    assert_allclose(ground_reflection_factor(0.0), 1.0)


def test_cylindrical_hand_value_and_crossover():
    # P = 20 W, L = 1.3 m, phi_3dB = 65 deg = 1.134464 rad, R = 2 m:
    # S = 20 / (1.134464 * 2 * 1.3) = 20 / 2.949606 = 6.780566 W/m^2
    assert_allclose(power_density_cylindrical(20.0, 2.0, antenna_length_m=1.3, hpbw_deg=65.0),
                    6.780566, rtol=1e-6)
    # omnidirectional: 20 / (2 pi 2 1.3) = 1.224268
    assert_allclose(power_density_cylindrical(20.0, 2.0, antenna_length_m=1.3), 1.224268,
                    rtol=1e-6)
    # crossover R_c = phi G L / (4 pi): 1.134464 * 50.11872 * 1.3 / 12.566371 = 5.881989 m
    r_c = cylindrical_crossover_distance(65.0, 1.3, 17.0)
    assert_allclose(r_c, 5.881989, rtol=1e-6)
    # both formulas agree there: P/(phi R L) == P G / (4 pi R^2)
    g = 10 ** 1.7
    assert_allclose(power_density_cylindrical(20.0, r_c, antenna_length_m=1.3, hpbw_deg=65.0),
                    power_density_spherical(20.0 * g, r_c), rtol=1e-12)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: power_density_spherical(-1.0, 10.0), "eirp must be finite and >= 0"),
    (lambda: power_density_spherical(1.0, 0.0), "distance_m must be finite and > 0"),
    (lambda: power_density_spherical(1.0, 1.0, power_reduction_factor=1.5),
     "power_reduction_factor"),
    (lambda: power_density_spherical(1.0, 1.0, power_reduction_factor=0.0),
     "power_reduction_factor"),
    (lambda: power_density_spherical(1.0, 1.0, reflection_factor=0.5), "reflection_factor"),
    (lambda: power_density_cylindrical(-2.0, 1.0, antenna_length_m=1.0), "power_w"),
    (lambda: power_density_cylindrical(2.0, 1.0, antenna_length_m=0.0), "antenna_length_m"),
    (lambda: ground_reflection_factor(1.2), "reflection_coefficient"),
])
def test_refusals(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _one(**kw):
    base = dict(x_m=0.0, y_m=0.0, z_m=30.0, azimuth_deg=0.0, mech_tilt_deg=0.0,
                elec_tilt_deg=0.0, tx_power_dbm=43.0, max_gain_dbi=17.0, freq_mhz=3500.0)
    base.update(kw)
    return Transmitters(**base)


def test_ter_on_boresight_hand_value():
    # EIRP 1000 W, point 100 m north at the antenna height: S = 1000/(4 pi 1e4) =
    # 7.957747e-3 W/m^2; ICNIRP 2020 public at 3.5 GHz: 10 W/m^2 -> TER = 7.957747e-4
    tx = _one()
    for engine in ("numba", "numpy"):
        ter = total_exposure_ratio(0.0, 100.0, 30.0, tx, "icnirp2020-public", engine=engine)
        assert_allclose(ter, 7.957747e-4, rtol=1e-6)
    # 900 MHz: S_L = 4.5 W/m^2 -> TER = 7.957747e-3 / 4.5 = 1.768388e-3
    ter = total_exposure_ratio(0.0, 100.0, 30.0, _one(freq_mhz=900.0), "icnirp2020-public")
    assert_allclose(ter, 1.768388e-3, rtol=1e-6)
    # ground reflection and F_PR scale linearly: * 2.56 * 0.25
    ter = total_exposure_ratio(0.0, 100.0, 30.0, tx, "icnirp2020-public",
                               reflection_factor=2.56, power_reduction_factor=0.25)
    assert_allclose(ter, 7.957747e-4 * 0.64, rtol=1e-6)


def test_ter_sums_transmitters():
    # two identical transmitters at 800 MHz (S_L = 4 W/m^2) and 2100 MHz (10 W/m^2):
    # TER = 7.957747e-3/4 + 7.957747e-3/10 = 2.785212e-3
    tx = Transmitters(x_m=[0.0, 0.0], y_m=0.0, z_m=30.0, azimuth_deg=0.0, mech_tilt_deg=0.0,
                      elec_tilt_deg=0.0, tx_power_dbm=43.0, max_gain_dbi=17.0,
                      freq_mhz=[800.0, 2100.0])
    assert_allclose(total_exposure_ratio(0.0, 100.0, 30.0, tx, "icnirp2020-public"),
                    2.785212e-3, rtol=1e-6)
    er = exposure_ratios(0.0, 100.0, 30.0, tx, "icnirp2020-public")
    assert er.shape == (2,)
    assert_allclose(er, [1.989437e-3, 7.957747e-4], rtol=1e-6)


def test_kernel_matches_radio_antenna_pattern():
    rng = np.random.default_rng(3)
    tx = Transmitters(x_m=rng.uniform(-200, 200, 9), y_m=rng.uniform(-200, 200, 9),
                      z_m=rng.uniform(10, 40, 9), azimuth_deg=rng.uniform(0, 360, 9),
                      mech_tilt_deg=rng.uniform(-2, 10, 9), elec_tilt_deg=rng.uniform(0, 10, 9),
                      tx_power_dbm=rng.uniform(30, 46, 9), max_gain_dbi=rng.uniform(8, 18, 9),
                      freq_mhz=rng.choice([700.0, 1800.0, 3500.0], 9))
    x, y = rng.uniform(-500, 500, 3000), rng.uniform(-500, 500, 3000)
    z = rng.uniform(0, 60, 3000)
    fast = total_exposure_ratio(x, y, z, tx, "icnirp2020-public")
    # independent evaluation with ssckit.radio.antenna.sector_gain_38901
    ref = np.zeros_like(x)
    for k in range(len(tx)):
        dx, dy, dz = x - tx.x_m[k], y - tx.y_m[k], z - tx.z_m[k]
        az = np.degrees(np.arctan2(dx, dy)) % 360
        el = np.degrees(np.arctan2(dz, np.hypot(dx, dy)))
        g_db = sector_gain_38901(az, el, antenna_azimuth_deg=tx.azimuth_deg[k],
                                 mechanical_tilt_deg=tx.mech_tilt_deg[k],
                                 electrical_tilt_deg=tx.elec_tilt_deg[k],
                                 max_gain_dbi=tx.max_gain_dbi[k])
        s = power_density_spherical(10 ** ((tx.tx_power_dbm[k] + g_db - 30) / 10),
                                    np.sqrt(dx**2 + dy**2 + dz**2))
        ref += s / emf.limit_power_density("icnirp2020-public", tx.freq_mhz[k])
    assert_allclose(fast, ref, rtol=1e-6)


def test_grid_shape_and_scalar():
    tx = _one()
    X, Y = np.meshgrid(np.linspace(-50, 50, 7), np.linspace(-50, 50, 5))
    ter = total_exposure_ratio(X, Y, 1.5, tx, "icnirp1998-public")
    assert ter.shape == (5, 7)
    assert isinstance(total_exposure_ratio(1.0, 1.0, 1.5, tx, "icnirp1998-public"), float)


def test_min_ratio_error_bound():
    rng = np.random.default_rng(5)
    n = 12
    tx = Transmitters(x_m=rng.uniform(0, 3000, n), y_m=rng.uniform(0, 3000, n), z_m=25.0,
                      azimuth_deg=rng.uniform(0, 360, n), mech_tilt_deg=2.0, elec_tilt_deg=4.0,
                      tx_power_dbm=46.0, max_gain_dbi=17.0, freq_mhz=1800.0)
    x, y = rng.uniform(0, 3000, 5000), rng.uniform(0, 3000, 5000)
    exact = total_exposure_ratio(x, y, 1.5, tx, "icnirp2020-public")
    cut = total_exposure_ratio(x, y, 1.5, tx, "icnirp2020-public", min_ratio=1e-4)
    assert np.all(cut <= exact + 1e-15)
    assert np.all(exact - cut < n * 1e-4)
    assert np.any(exact - cut > 0)


def test_near_field_cylindrical_cap():
    # L = 1.3 m, 17 dBi, 65 deg: R_c = 5.88 m. At 2 m in front, same height:
    # spherical S = 1000/(4 pi 4) = 19.894 W/m^2; cylindrical with P = 1000/50.1187 = 19.9526 W:
    # 19.9526/(1.134464*2*1.3) = 6.7645 W/m^2 -> TER = 0.67645 at 3.5 GHz (10 W/m^2)
    tx = _one(antenna_length_m=1.3, hpbw_h_deg=65.0)
    far = total_exposure_ratio(0.0, 2.0, 30.0, tx, "icnirp2020-public")
    assert_allclose(far, 1.98944, rtol=1e-5)
    for engine in ("numba", "numpy"):
        near = total_exposure_ratio(0.0, 2.0, 30.0, tx, "icnirp2020-public", near_field=True,
                                    engine=engine)
        assert_allclose(near, 0.676446, rtol=1e-5)
    # beyond the crossover distance, or above the antenna's height, spherical applies
    for pt in ((0.0, 8.0, 30.0), (0.0, 2.0, 31.0)):
        assert_allclose(total_exposure_ratio(*pt, tx, "icnirp2020-public", near_field=True),
                        total_exposure_ratio(*pt, tx, "icnirp2020-public"), rtol=1e-12)


def test_from_sectors(tmp_path):
    from ssckit.radio.sites import read_sites_csv
    csv = tmp_path / "sites.csv"
    csv.write_text("site,sector,lat,lon,height_m,azimuth_deg,mech_tilt_deg,freq_mhz,"
                   "bandwidth_mhz,tx_power_dbm,antenna\n"
                   "S1,A,46.0,6.0,30,0,2,3500,100,46,3gpp:17\n"
                   "S1,B,46.0,6.0,30,120,2,800,10,43,3gpp\n")
    tx = Transmitters.from_sectors(read_sites_csv(csv, "EPSG:2056"))
    assert tx.label == ("S1/A", "S1/B")
    assert_allclose(tx.max_gain_dbi, [17.0, 8.0])
    assert_allclose(tx.eirp_w, [10 ** 3.3, 10 ** 2.1], rtol=1e-12)


def test_transmitter_refusals():
    with pytest.raises(ValueError, match="freq_mhz"):
        _one(freq_mhz=0.0)
    with pytest.raises(ValueError, match="outside every range"):
        total_exposure_ratio(0.0, 1.0, 1.0, _one(freq_mhz=400_000.0), "icnirp2020-public")
    with pytest.raises(ValueError, match="unknown limit set"):
        total_exposure_ratio(0.0, 1.0, 1.0, _one(), "fcc")
    with pytest.raises(ValueError, match="engine"):
        total_exposure_ratio(0.0, 1.0, 1.0, _one(), "icnirp2020-public", engine="gpu")
    with pytest.raises(ValueError, match="one value per transmitter"):
        total_exposure_ratio(0.0, 1.0, 1.0, _one(), "icnirp2020-public",
                             power_reduction_factor=[0.5, 0.5])
    assert math.isinf(total_exposure_ratio(0.0, 0.0, 30.0, _one(), "icnirp2020-public"))
