"""Reading sites.csv and pathloss cases through core's CSV reader: file, line, field, range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ssckit.cli import cli
from ssckit.core.errors import InputError
from ssckit.radio.sites import read_sites_csv

HEADER = "site,sector,lat,lon,height_m,azimuth_deg,freq_mhz,bandwidth_mhz,tx_power_dbm"
GOOD = "A,1,54.69,25.28,30,0,3500,100,49"


def _write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "sites.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_reads_sectors_with_defaults(tmp_path: Path):
    path = _write(tmp_path, GOOD, "A,2,54.69,25.28,30,360,3500,100,49")
    s = read_sites_csv(path, "EPSG:3346")
    assert len(s) == 2 and s.line.tolist() == [2, 3]
    assert s.azimuth_deg.tolist() == [0.0, 0.0]   # 360 is north again
    assert s.mech_tilt_deg.tolist() == [0.0, 0.0] and s.antenna.tolist() == ["3gpp", "3gpp"]
    # LKS94 (EPSG:3346) of Vilnius: easting about 582 km, northing about 6 061 km
    assert np.all(np.abs(s.x - 582_000) < 3_000) and np.all(np.abs(s.y - 6_061_000) < 3_000)


@pytest.mark.parametrize(("lines", "header", "location", "words"), [
    ([GOOD], HEADER.replace(",tx_power_dbm", ""), "line 1 (header)",
     ["missing column(s) tx_power_dbm", "required:", "optional:"]),
    ([GOOD + ",x"], HEADER + ",colour", "line 1 (header)", ["unknown column(s) colour"]),
    (["A,1,54.69,25.28,0.5,0,3500,100,49"], HEADER, "line 2, field 'height_m'",
     ["0.5 is outside the allowed range 1..300 m above ground"]),
    ([GOOD, "A,1,54.70,25.28,30,0,3500,100,49"], HEADER, "line 3",
     ["site A sector 1 already given on line 2"]),
    (["A,1,north,25.28,30,0,3500,100,49"], HEADER, "line 2, field 'lat'",
     ["'north' is not a number"]),
    (["A,1,54.69,25.28,30,0,3500,100,nan"], HEADER, "line 2, field 'tx_power_dbm'",
     ["not a finite number"]),
    ([",1,54.69,25.28,30,0,3500,100,49"], HEADER, "line 2, field 'site'", ["empty"]),
    (["A,1,54.69,25.28,30,0,3500,100,49,3gpp:45"], HEADER + ",antenna",
     "line 2, field 'antenna'", ["0..30 dBi"]),
    (["A,1,54.69,25.28,30,0,3500,100"], HEADER, "line 2", ["8 fields", "has 9"]),
    ([], HEADER, None, ["no sectors"]),
])
def test_refusals_name_file_line_field(tmp_path: Path, lines, header, location, words):
    path = _write(tmp_path, *lines, header=header)
    with pytest.raises(InputError) as info:
        read_sites_csv(path, "EPSG:3346")
    err = info.value
    assert err.source == str(path) and err.location == location
    for w in words:
        assert w in err.message, (w, err.message)


def test_not_utf8_and_missing_file(tmp_path: Path):
    path = tmp_path / "sites.csv"
    path.write_bytes((HEADER + "\nA,1,54.69,25.28,30,0,3500,100,49,Šiauliai\n").encode("cp1257"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_sites_csv(path, "EPSG:3346")
    with pytest.raises(InputError, match="file not found"):
        read_sites_csv(tmp_path / "none.csv", "EPSG:3346")


@pytest.mark.parametrize(("text", "location", "words"), [
    ("scenario,condition,freq_ghz,h_bs_m,h_ut_m\n", "line 1 (header)",
     ["missing column(s) d2d_m", "optional: h_building_m, street_width_m"]),
    ("scenario,condition,freq_ghz,h_bs_m,h_ut_m,d2d_m\nUMa,LOS,3.5,25,1.5,far\n",
     "line 2, field 'd2d_m'", ["'far' is not a number"]),
    ("scenario,condition,freq_ghz,h_bs_m,h_ut_m,d2d_m\n", None, ["no data rows"]),
])
def test_pathloss_cases_refusals(tmp_path: Path, text, location, words):
    path = tmp_path / "cases.csv"
    path.write_text(text)
    r = CliRunner().invoke(cli, ["radio", "pathloss", "--cases", str(path)])
    assert isinstance(r.exception, InputError)
    assert r.exception.source == str(path) and r.exception.location == location
    for w in words:
        assert w in r.exception.message, (w, r.exception.message)
