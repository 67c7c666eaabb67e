"""Antenna gain: TR 38.901 element pattern, TR 38.901 §7.1.3 rotations, MSI/Planet files."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ssckit.core.errors import InputError
from ssckit.radio import antenna as ant

# --------------------------------------------------------------------------- TR 38.901


def test_element_pattern_hand_values():
    # TR 38.901 Table 7.3-1 by hand: 12 (32.5/65)^2 = 3 dB; 12 (90/65)^2 = 23.006 dB;
    # back lobe capped at A_max = 30 dB; G_max = 8 dBi.
    gains = ant.sector_gain_38901([0.0, 32.5, -32.5, 90.0, 180.0], 0.0)
    assert_allclose(gains, [8.0, 5.0, 5.0, 8.0 - 12 * (90 / 65) ** 2, 8.0 - 30.0])
    # vertical cut: 32.5 deg below the horizon on boresight -> -3 dB; SLA_V = 30 dB floor
    assert_allclose(ant.sector_gain_38901(0.0, [-32.5, 32.5, -89.0]),
                    [5.0, 5.0, 8.0 - min(12 * (89 / 65) ** 2, 30.0)])
    assert isinstance(ant.sector_gain_38901(0.0, 0.0), float)


def test_element_attenuation_combination_capped():
    # A'' = -min(-(A_V + A_H), A_max): 20 dB + 20 dB is capped to 30 dB
    theta = 90.0 + 65.0 * math.sqrt(20 / 12)
    phi = 65.0 * math.sqrt(20 / 12)
    assert_allclose(ant.element_attenuation_38901(theta, phi), -30.0)
    assert_allclose(ant.element_attenuation_38901(theta, 0.0), -20.0)


def test_gcs_to_lcs_identity_and_bearing():
    # With no rotation the LCS equals the GCS (TR 38.901 Eqs. 7.1-7/7.1-8)
    th, ph = ant.gcs_to_lcs([30.0, 90.0, 150.0], [10.0, -120.0, 170.0])
    assert_allclose(th, [30.0, 90.0, 150.0], atol=1e-9)
    assert_allclose(ph, [10.0, -120.0, 170.0], atol=1e-9)
    # bearing only shifts azimuth
    th, ph = ant.gcs_to_lcs(90.0, 50.0, bearing_deg=30.0)
    assert_allclose([th, ph], [90.0, 20.0], atol=1e-9)
    # downtilt beta = 10 deg: the horizon in front appears 10 deg above boresight
    th, ph = ant.gcs_to_lcs(90.0, 0.0, downtilt_deg=10.0)
    assert_allclose([th, ph], [80.0, 0.0], atol=1e-9)


def test_compass_conventions():
    # antenna facing east (90 deg): a direction 10 deg clockwise of boresight (100 deg)
    az, el = ant.antenna_frame_angles(100.0, 0.0, antenna_azimuth_deg=90.0)
    assert_allclose([az, el], [10.0, 0.0], atol=1e-9)
    # 5 deg mechanical downtilt: boresight direction (elevation -5) is on the antenna axis;
    # the horizon ahead is 5 deg above it
    az, el = ant.antenna_frame_angles(90.0, [-5.0, 0.0], antenna_azimuth_deg=90.0,
                                      mechanical_tilt_deg=5.0)
    assert_allclose(az, [0.0, 0.0], atol=1e-9)
    assert_allclose(el, [0.0, 5.0], atol=1e-9)
    # off-axis: asin(sin 5 cos 10) = 4.9238 deg (spherical trigonometry by hand)
    _, el = ant.antenna_frame_angles(100.0, 0.0, antenna_azimuth_deg=90.0,
                                     mechanical_tilt_deg=5.0)
    assert_allclose(el, math.degrees(math.asin(math.sin(math.radians(5)) *
                                               math.cos(math.radians(10)))), atol=1e-9)
    with pytest.raises(ValueError, match="elevation"):
        ant.antenna_frame_angles(0.0, 95.0)


def test_mechanical_and_electrical_tilt():
    # either tilt puts the maximum 6 deg below the horizon on boresight
    for kw in ({"mechanical_tilt_deg": 6.0}, {"electrical_tilt_deg": 6.0}):
        g = ant.sector_gain_38901(120.0, [-6.0, 0.0], antenna_azimuth_deg=120.0, **kw)
        assert_allclose(g, [8.0, 8.0 - 12 * (6 / 65) ** 2], atol=1e-9)
    # they differ off boresight: electrical tilt keeps the cone, mechanical tilts the plane
    mech = ant.sector_gain_38901(210.0, 0.0, antenna_azimuth_deg=120.0, mechanical_tilt_deg=6.0)
    elec = ant.sector_gain_38901(210.0, 0.0, antenna_azimuth_deg=120.0, electrical_tilt_deg=6.0)
    assert_allclose(elec, 8.0 - 12 * (90 / 65) ** 2 - 12 * (6 / 65) ** 2)
    # 90 deg off boresight the horizon lies on the tilt axis: a mechanical tilt leaves it
    assert_allclose(mech, 8.0 - 12 * (90 / 65) ** 2)


def test_arrays_broadcast():
    az = np.linspace(0, 359, 360)[:, None]
    el = np.array([-10.0, 0.0, 10.0])[None, :]
    g = ant.sector_gain_38901(az, el, antenna_azimuth_deg=240.0, mechanical_tilt_deg=4.0)
    assert g.shape == (360, 3)
    assert g.max() <= 8.0 + 1e-12
    assert int(np.argmax(g[:, 0])) == 240


# --------------------------------------------------------------------------- MSI / Planet


def _h_att(angle):
    """Horizontal attenuation of the synthetic test antenna [dB]."""
    a = (angle + 180.0) % 360.0 - 180.0
    return min(12.0 * (a / 65.0) ** 2, 25.0)


def _v_att(angle):
    """Vertical attenuation: front beam on the horizon, 7 deg wide, 20 dB floor; back 25 dB."""
    a = (angle + 180.0) % 360.0 - 180.0
    return min(12.0 * (a / 7.0) ** 2, 20.0) if abs(a) <= 90 else 25.0


def _msi_text(gain="15.85 dBd", h_count=360, v_count=360, extra_header="", tilt="ELECTRICAL",
              h_override=None):
    lines = ["NAME TEST-65-15", "MAKE Example", "FREQUENCY 3500", "H_WIDTH 65",
             "V_WIDTH 7", "FRONT_TO_BACK 25", f"GAIN {gain}", f"TILT {tilt}",
             "POLARIZATION +45", "COMMENT synthetic pattern for tests"]
    if extra_header:
        lines.append(extra_header)
    lines.append(f"HORIZONTAL {h_count}")
    for k in range(360):
        if h_override and k in h_override:
            lines.append(h_override[k])
        else:
            lines.append(f"{k} {_h_att(k):.2f}")
    lines.append(f"VERTICAL {v_count}")
    lines += [f"{k}\t{_v_att(k):.2f}" for k in range(360)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def msi_file(tmp_path):
    path = tmp_path / "test.msi"
    path.write_text(_msi_text())
    return path


def test_read_msi_header(msi_file):
    pat = ant.read_msi(msi_file)
    assert pat.name == "TEST-65-15"
    assert pat.make == "Example"
    assert pat.frequency_mhz == 3500.0
    assert (pat.h_width_deg, pat.v_width_deg, pat.front_to_back_db) == (65.0, 7.0, 25.0)
    assert_allclose(pat.gain_dbi, 15.85 + 2.15)  # dBd -> dBi
    assert pat.tilt_type == "ELECTRICAL" and pat.tilt_deg is None
    assert pat.extra == {"POLARIZATION": "+45"}
    assert pat.horizontal_deg.shape == (360,) and pat.vertical_deg.shape == (360,)


@pytest.mark.parametrize(("gain", "dbi"), [("18 dBi", 18.0), ("15.85", 18.0),
                                           ("15.85 dBd", 18.0), ("18.0DBI", 18.0)])
def test_gain_units(tmp_path, gain, dbi):
    path = tmp_path / "g.msi"
    path.write_text(_msi_text(gain=gain))
    assert_allclose(ant.read_msi(path).gain_dbi, dbi)


def test_msi_gain_reproduces_cuts(msi_file):
    pat = ant.read_msi(msi_file)
    gmax = pat.gain_dbi
    # on the horizon the horizontal cut is returned exactly (values written to 0.01 dB)
    az = np.array([0.0, 30.0, 90.0, 200.0, 330.0])
    assert_allclose(ant.msi_gain(pat, az, 0.0),
                    [gmax - round(_h_att(a), 2) for a in az], atol=1e-9)
    # in the boresight vertical plane the vertical cut (angles positive downward)
    assert_allclose(ant.msi_gain(pat, 0.0, [-3.0, 3.0, -60.0]),
                    [gmax - round(_v_att(3), 2), gmax - round(_v_att(357), 2),
                     gmax - round(_v_att(60), 2)], atol=1e-9)
    # linear interpolation between tabulated points: 30.5 deg
    assert_allclose(ant.msi_gain(pat, 30.5, 0.0),
                    gmax - 0.5 * (round(_h_att(30), 2) + round(_h_att(31), 2)), atol=1e-9)
    # scalar in, float out
    assert isinstance(ant.msi_gain(pat, 10.0, -2.0), float)


def test_msi_gain_installed_antenna(msi_file):
    pat = ant.read_msi(msi_file)
    # antenna facing 120 deg with 4 deg mechanical downtilt: maximum 4 deg below horizon
    g = ant.msi_gain(pat, 120.0, [-4.0, 0.0], antenna_azimuth_deg=120.0,
                     mechanical_tilt_deg=4.0)
    assert_allclose(g[0], pat.gain_dbi, atol=1e-9)
    # the horizon ahead is 4 deg above the tilted axis: vertical cut read at 356 deg
    assert_allclose(g[1], pat.gain_dbi - round(_v_att(356), 2), atol=1e-9)
    # 3D grid: never above the maximum, maximum towards boresight
    az = np.arange(0.0, 360.0, 1.0)[:, None]
    el = np.arange(-90.0, 91.0, 1.0)[None, :]
    grid = ant.msi_gain(pat, az, el, antenna_azimuth_deg=120.0, mechanical_tilt_deg=4.0)
    assert grid.shape == (360, 181)
    assert grid.max() <= pat.gain_dbi + 1e-9
    i, j = np.unravel_index(np.argmax(grid), grid.shape)
    assert (az[i, 0], el[0, j]) == (120.0, -4.0)


def test_msi_attenuation_back_plane(msi_file):
    pat = ant.read_msi(msi_file)
    # back vertical plane reproduces the vertical cut read at 180 + e (consistent cuts)
    assert_allclose(ant.msi_attenuation(pat, 180.0, [0.0, -10.0, 10.0]),
                    [round(_v_att(180), 2), round(_v_att(170), 2), round(_v_att(190), 2)],
                    atol=1e-9)


# --------------------------------------------------------------------------- malformed files


def _expect_error(tmp_path, text, location_part, message_part):
    path = tmp_path / "bad.msi"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        ant.read_msi(path)
    assert err.value.source == str(path)
    if location_part is None:
        assert err.value.location is None
    else:
        assert location_part in err.value.location
    assert message_part in err.value.message
    return err.value


def test_bad_gain_unit(tmp_path):
    # GAIN is line 7 of the synthetic file
    _expect_error(tmp_path, _msi_text(gain="18 dBm"), "line 7, field 'GAIN'", "dBd|dBi")


def test_short_block(tmp_path):
    # VERTICAL announces 361 points but only 360 follow
    _expect_error(tmp_path, _msi_text(v_count=361), "block 'VERTICAL'", "the file ends")


def test_horizontal_count_mismatch(tmp_path):
    # HORIZONTAL announces 359 points but 360 follow: the last is stray data (line 371)
    err = _expect_error(tmp_path, _msi_text(h_count=359), "line 371", "outside a HORIZONTAL")
    assert "more points than the block announced" in err.message


def test_non_numeric_point(tmp_path):
    # line 12 is the first HORIZONTAL data line (after 10 header lines and 'HORIZONTAL 360')
    text = _msi_text(h_override={0: "0 abc"})
    _expect_error(tmp_path, text, "line 12, HORIZONTAL point 1 of 360", "two numbers")


def test_three_columns(tmp_path):
    text = _msi_text(h_override={5: "5 0.07 0.1"})
    _expect_error(tmp_path, text, "line 17, HORIZONTAL point 6 of 360", "angle attenuation")


def test_angle_out_of_range(tmp_path):
    text = _msi_text(h_override={10: "360 1.0"})
    _expect_error(tmp_path, text, "line 22", "outside 0 <= angle < 360")


def test_negative_attenuation(tmp_path):
    text = _msi_text(h_override={3: "3 -0.5"})
    _expect_error(tmp_path, text, "line 15", "must be a finite number >= 0")


def test_duplicate_angle(tmp_path):
    text = _msi_text(h_override={3: "2 0.5"})
    _expect_error(tmp_path, text, "block 'HORIZONTAL'", "appears more than once")


def test_missing_blocks_and_gain(tmp_path):
    text = _msi_text()
    no_vertical = text[: text.index("VERTICAL")]
    _expect_error(tmp_path, no_vertical, None, "VERTICAL")
    no_gain = text.replace("GAIN 15.85 dBd\n", "")
    _expect_error(tmp_path, no_gain, None, "missing the GAIN line")
    _expect_error(tmp_path, "   \n\n", None, "empty")


def test_bad_numeric_header_and_tilt(tmp_path):
    _expect_error(tmp_path, _msi_text().replace("H_WIDTH 65", "H_WIDTH wide"),
                  "line 4, field 'H_WIDTH'", "expected a number")
    _expect_error(tmp_path, _msi_text(tilt="SIDEWAYS"), "line 8, field 'TILT'",
                  "ELECTRICAL")
    _expect_error(tmp_path, _msi_text(extra_header="GAIN 3"), "field 'GAIN'",
                  "more than once")
    _expect_error(tmp_path, _msi_text().replace("HORIZONTAL 360", "HORIZONTAL many"),
                  "line 11, field 'HORIZONTAL'", "number of data points")


def test_tilt_with_angle_and_missing_name_keyword(tmp_path):
    text = _msi_text(tilt="MECHANICAL 6").replace("NAME TEST-65-15", "Vendor Model X 3.5GHz")
    path = tmp_path / "t.msi"
    path.write_text(text)
    pat = ant.read_msi(path)
    assert (pat.tilt_type, pat.tilt_deg) == ("MECHANICAL", 6.0)
    assert pat.name == "Vendor Model X 3.5GHz"


def test_parse_msi_from_string_and_unreadable_file(tmp_path):
    pat = ant.parse_msi(_msi_text(), source="inline")
    assert pat.name == "TEST-65-15"
    with pytest.raises(InputError) as err:
        ant.read_msi(tmp_path / "absent.msi")
    assert "cannot read" in err.value.message


# --------------------------------------------------------------------------- gain tables
# Bilinear lookup in the 0.1-deg gain table against the direct evaluation (TR 38.901
# Table 7.3-1 element, which test_38901_* check against the Table; and the sample city's
# MSI panel), 2 deg mechanical tilt, boresight 77.3 deg. Measured: within ±85 deg of
# elevation max 0.084 dB (MSI) and 0.028 dB (TR 38.901), 99.9 % within 0.018 dB.
LUT_MAX_DB = 0.12
LUT_P999_DB = 0.03


@pytest.mark.parametrize("kind", ["msi", "3gpp"])
def test_gain_table_matches_direct_gain(kind):
    import functools

    from ssckit.radio.sample import panel_msi_text

    bore = 77.3
    if kind == "msi":
        pat = ant.parse_msi(panel_msi_text())
        fn = functools.partial(ant.msi_gain, pat, mechanical_tilt_deg=2.0)
        direct = functools.partial(ant.msi_gain, pat, mechanical_tilt_deg=2.0,
                                   antenna_azimuth_deg=bore)
    else:
        kw = dict(mechanical_tilt_deg=2.0, electrical_tilt_deg=4.0, max_gain_dbi=17.0)
        fn = functools.partial(ant.sector_gain_38901, **kw)
        direct = functools.partial(ant.sector_gain_38901, antenna_azimuth_deg=bore, **kw)
    table = ant.gain_table(fn)
    rng = np.random.default_rng(1)
    az = rng.uniform(0.0, 360.0, 100_000)
    el = np.concatenate([rng.uniform(-85.0, 85.0, 50_000), rng.uniform(-15.0, 5.0, 50_000)])
    err = np.abs(table.lookup(az, el, antenna_azimuth_deg=bore) - direct(az, el))
    assert err.max() <= LUT_MAX_DB
    assert np.percentile(err, 99.9) <= LUT_P999_DB
    # on the table's own points the lookup is the direct value (float32 rounding)
    pts_az = np.array([bore, bore + 10.0, bore - 100.0])
    pts_el = np.array([0.0, -3.0, 12.5])
    assert_allclose(table.lookup(pts_az, pts_el, antenna_azimuth_deg=bore),
                    direct(pts_az, pts_el), atol=1e-4)
    with pytest.raises(ValueError, match="step_deg"):
        ant.gain_table(fn, 0.7)
