"""`ssckit radio p1812` and `ssckit radio pathloss` reproduce the published reference values."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssckit.cli import cli


def test_p1812_command_reproduces_validation_profile(shared_data: Path):
    profile = shared_data / "itu-r-p1812" / "profiles" / "b2iseac.csv"
    r = CliRunner().invoke(cli, ["radio", "p1812", str(profile), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)["rows"]
    assert len(rows) == 3
    for k, row in enumerate(rows):
        log = shared_data / "itu-r-p1812" / "results" / f"b2iseac_{k}_log.csv"
        ref = {}
        for line in log.read_text().splitlines():
            parts = line.split(",")
            if parts[0].startswith("Lb (dB)"):
                ref["Lb"] = float(parts[3])
            elif parts[0].startswith("Ep (dBuV/m)") and "w.r.t." not in parts[0]:
                ref["Ep"] = float(parts[3])
        assert row["Lb_db"] == pytest.approx(ref["Lb"], abs=1e-6)
        assert row["Ep_dbuv_m"] == pytest.approx(ref["Ep"], abs=1e-6)


def test_pathloss_cases_reproduce_tr38901_vectors(shared_data: Path):
    path = shared_data / "tr38901" / "pathloss_vectors.csv"
    r = CliRunner().invoke(cli, ["radio", "pathloss", "--cases", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    with path.open() as f:
        want = list(csv.DictReader(f))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g["path_loss_db"] == pytest.approx(-float(w["rx_power_dbm_at_0dbm_tx"]), abs=1e-3)


def test_pathloss_single_case_and_refusals(tmp_path: Path):
    r = CliRunner().invoke(cli, ["radio", "pathloss", "--scenario", "UMa", "--condition", "LOS",
                                 "--freq-ghz", "3.5", "--h-bs-m", "25", "--h-ut-m", "1.5",
                                 "--d2d-m", "200", "--format", "json"])
    assert r.exit_code == 0
    assert 80 < json.loads(r.output)[0]["path_loss_db"] < 110
    bad = tmp_path / "cases.csv"
    bad.write_text("scenario,condition,freq_ghz,h_bs_m,h_ut_m,d2d_m\nRMa,NLOS,3.5,35,1.5,9000\n")
    from ssckit.core.errors import InputError

    r = CliRunner().invoke(cli, ["radio", "pathloss", "--cases", str(bad)])
    assert isinstance(r.exception, InputError)
    assert r.exception.location == "line 2" and "d2d" in r.exception.message
