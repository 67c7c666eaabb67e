"""The sample city's drive test: the radio step imports the route once, reports calibration
figures without applying them, and `ssckit radio calibrate` recovers the offsets the
generator planted per clutter class."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssckit.cli import cli
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.radio.indicators import DRIVE_TEST_REPORT, compute
from ssckit.radio.measurements import load_measurements
from ssckit.radio.sample import DRIVE_TEST_DAYS, DRIVE_TEST_NAME, PLANTED_OFFSETS_DB


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample city after its radio step, run twice (the second run must store nothing)."""
    from ssckit.demo.generate import write_sample_city

    root = tmp_path_factory.mktemp("sample-drive-test")
    write_sample_city(root, seed=7)
    ws = Workspace.load(root)
    with Store.open(ws.store_path) as store:
        compute(ws, store)
        compute(ws, store)
    return root


def test_route_is_named_in_the_sample_and_spaced_about_50_m(city: Path):
    ws = Workspace.load(city)
    assert ws.input_path("radio", "drive_tests") == city / DRIVE_TEST_NAME
    with open(city / DRIVE_TEST_NAME, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {"time", "lat", "lon", "rsrp_dbm"} <= set(rows[0])
    assert len(rows) >= 300   # a route of 15 km or more
    assert {r["time"][:10] for r in rows} == set(DRIVE_TEST_DAYS)
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    steps = [geod.inv(float(a["lon"]), float(a["lat"]), float(b["lon"]), float(b["lat"]))[2]
             for a, b in zip(rows, rows[1:], strict=False) if a["time"][:10] == b["time"][:10]]
    steps.sort()
    assert 40.0 < steps[len(steps) // 2] < 60.0


def test_step_stores_the_route_once_and_applies_nothing(city: Path):
    ws = Workspace.load(city)
    with open(city / DRIVE_TEST_NAME, newline="", encoding="utf-8") as f:
        n_rows = sum(1 for _ in csv.DictReader(f))
    with Store.open(ws.store_path, read_only=True) as store:
        meas = load_measurements(store)
    assert len(meas) == n_rows          # two runs of the step, one copy
    assert set(meas.group) == set(DRIVE_TEST_DAYS)
    out = city / "outputs" / "radio"
    assert not (out / "calibration.json").exists()
    assert json.loads((out / "coverage.json").read_text())["calibration"] is None
    report = json.loads((out / DRIVE_TEST_REPORT).read_text())
    assert report["n"] == n_rows and report["applied"] is False
    assert report["after"]["rmse_db"] < report["before"]["rmse_db"]


def test_calibrate_recovers_the_planted_offsets(city: Path):
    r = CliRunner().invoke(cli, ["radio", "calibrate", "-w", str(city), "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert {"n", "before", "after", "by_clutter"} <= set(doc)
    seen = set()
    for c in doc["by_clutter"]:
        if c["n"] < 10:
            continue
        planted = PLANTED_OFFSETS_DB[c["class"]]
        assert abs(c["offset_db"] - planted) <= 3 * c["se_db"], c
        seen.add(c["class"])
    assert len(seen) >= 3, doc["by_clutter"]
    # the planted noise (σ = 4 dB) is what remains after the correction
    assert 3.0 < doc["after"]["std_db"] < 5.5
