"""Coverage at the schools: locations read from inputs.school.schools, no school module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pyproj import Transformer

from ssckit.core.errors import InputError
from ssckit.core.workspace import Workspace
from ssckit.radio import run as radio_run

SCHOOLS = """id,name,lat,lon,pupils
S1,Near the site,{lat1:.6f},{lon1:.6f},300
S2,Corner,{lat2:.6f},{lon2:.6f},120
S3,Outside the grid,{lat3:.6f},{lon3:.6f},80
"""


def _with_schools(city: Path, text: str | None = None) -> Path:
    to_ll = Transformer.from_crs("EPSG:32635", "EPSG:4326", always_xy=True)
    pts = [(501_250, 5_971_050), (500_050, 5_970_050), (510_000, 5_980_000)]
    ll = {}
    for i, (x, y) in enumerate(pts, 1):
        ll[f"lon{i}"], ll[f"lat{i}"] = to_ll.transform(x, y)
    path = city / "schools.csv"
    path.write_text(text if text is not None else SCHOOLS.format(**ll))
    cfg = yaml.safe_load((city / "city.yaml").read_text())
    cfg["inputs"]["school"] = {"schools": "schools.csv"}
    (city / "city.yaml").write_text(yaml.safe_dump(cfg))
    return path


def test_values_at_each_school(small_city: Path):
    _with_schools(small_city)
    ws = Workspace.load(small_city)
    settings = radio_run.settings_for(ws)
    area = radio_run.load_area(ws)
    sites = ws.input_path("radio", "sites")
    run = radio_run.run_coverage(ws, sites, settings, area)
    values = radio_run.coverage_values(run, ws, sites)
    at = {(v.indicator, v.entity): v.value for v in values}
    # S1 at (501 250, 5 971 050): row (5 972 000 - 5 971 050) // 100 = 9, col 12; S2 row 19,
    # col 0; S3 lies outside the grid and gets no values
    for sid, (r, c) in {"S1": (9, 12), "S2": (19, 0)}.items():
        assert at[("radio:school_rsrp", f"school:{sid}")] == pytest.approx(
            float(run.maps.rsrp_dbm[r, c]))
        assert at[("radio:school_throughput", f"school:{sid}")] == pytest.approx(
            float(run.maps.throughput_mbps[r, c]))
        assert at[("radio:school_covered", f"school:{sid}")] == float(run.maps.covered[r, c])
    assert not any(e == "school:S3" for _, e in at)
    share = 100.0 * (int(run.maps.covered[9, 12]) + int(run.maps.covered[19, 0])) / 2
    assert at[("radio:school_coverage", "city")] == pytest.approx(share)
    # the site is 260 m from S1: well covered
    assert at[("radio:school_covered", "school:S1")] == 1.0


@pytest.mark.parametrize(("text", "location", "words"), [
    ("id,name,lat,lon\nS1,A,95.0,25.0\n", "line 2, field 'lat'", ["95", "-90..90"]),
    ("id,name,lat,lon\nS1,A,54.0,east\n", "line 2, field 'lon'", ["'east' is not a number"]),
    ("id,name,lat\nS1,A,54.0\n", "line 1 (header)", ["missing column(s) lon"]),
    ("id,name,lat,lon\nS1,A,54.0,25.0\nS1,B,54.1,25.0\n", "line 3, field 'id'",
     ["already given on line 2"]),
])
def test_bad_school_file(small_city: Path, text, location, words):
    path = _with_schools(small_city, text)
    with pytest.raises(InputError) as info:
        radio_run.school_locations(path)
    assert info.value.source == str(path) and info.value.location == location
    for w in words:
        assert w in info.value.message


def test_radio_does_not_import_the_school_module():
    code = ("import sys, ssckit.radio.run, ssckit.radio.cli, ssckit.radio.indicators; "
            "print(sorted(m for m in sys.modules if m.startswith('ssckit.school')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_school_locations_agree_with_the_school_registry(tmp_path: Path):
    """The columns radio reads give the school module's own registry locations (the sample
    city's generator; the test may use the school module, radio does not)."""
    import csv

    from ssckit.school.schema import read_registry
    from ssckit.school.simulate import sample_registry

    tables = sample_registry(7, 20, (54.69, 25.28), radius_km=3.5)
    paths = []
    for name, rows in zip(("schools", "rooms", "devices"), tables, strict=True):
        path = tmp_path / f"{name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        paths.append(path)
    reg = read_registry(*paths)
    ids, lat, lon = radio_run.school_locations(paths[0])
    assert ids == list(reg.schools) and len(ids) == 20
    assert lat.tolist() == [reg.schools[i].lat for i in ids]
    assert lon.tolist() == [reg.schools[i].lon for i in ids]
