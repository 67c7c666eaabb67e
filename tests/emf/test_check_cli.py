"""`ssckit emf check`, `zone` and `limits` on real files; bad input refused with no report."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ssckit.cli import cli


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ssckit.cli", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def city(demo_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "city"
    shutil.copytree(demo_workspace, root)
    return root


def test_zone_closed_form():
    # r = sqrt(EIRP / (4 pi S_lim)); ICNIRP 2020 public at 3.5 GHz: 10 W/m².
    # 2000 W: sqrt(2000 / (4 pi 10)) = sqrt(15.915) = 3.9894 m.
    r = CliRunner().invoke(cli, ["emf", "zone", "--eirp-w", "2000", "--freq-mhz", "3500",
                                 "--limits", "icnirp2020-public", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["limit_w_m2"] == pytest.approx(10.0)
    assert out["boresight_distance_m"] == pytest.approx(math.sqrt(2000 / (4 * math.pi * 10)))
    assert out["installation_class"] == "E+"
    # 900 MHz, ICNIRP 2020 public S = f/200 = 4.5 W/m²; with ground reflection (×2.56):
    # sqrt(2.56 · 2000 / (4 pi 4.5)) = 9.5153 m.
    r = CliRunner().invoke(cli, ["emf", "zone", "--eirp-w", "2000", "--freq-mhz", "900",
                                 "--ground-reflection", "--format", "json"])
    assert json.loads(r.output)["boresight_distance_m"] == pytest.approx(
        math.sqrt(2.56 * 2000 / (4 * math.pi * 4.5)))


def test_zone_with_pattern_and_user_limit(demo_workspace: Path):
    msi = next(demo_workspace.glob("*.msi"))
    r = CliRunner().invoke(cli, ["emf", "zone", "--eirp-w", "1000", "--freq-mhz", "3500",
                                 "--limits", "sampleland-national", "-w", str(demo_workspace),
                                 "--antenna", str(msi), "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    # 10 µW/cm² = 0.1 W/m²: sqrt(1000 / (4 pi 0.1)) = 28.209 m in the main beam.
    assert out["boresight_distance_m"] == pytest.approx(28.2095, rel=1e-4)
    z = out["zone_m"]
    assert z["front_m"] == pytest.approx(28.2095, rel=2e-2) and z["back_m"] < z["front_m"] / 10


def test_limits_lists_builtin_and_user_sets(demo_workspace: Path):
    r = CliRunner().invoke(cli, ["emf", "limits", "-w", str(demo_workspace), "--format", "json"])
    sets = {s["name"]: s for s in json.loads(r.output)["limit_sets"]}
    assert {"icnirp2020-public", "icnirp2020-occupational", "icnirp1998-public",
            "sampleland-national"} <= set(sets)
    assert sets["sampleland-national"]["limit_w_m2_at_freq"] == pytest.approx(0.1)
    assert "ICNIRP" in sets["icnirp2020-public"]["source"]


def test_check_writes_report_and_kpi(city: Path):
    shutil.rmtree(city / "outputs" / "emf")
    r = _cli("emf", "check", "-w", str(city), "--format", "json", "--quiet")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    bad = [s["site"] for s in out["sites"] if not s["compliant"]]
    assert bad == ["R02"]
    assert out["sites"][0]["by_limit_set"]["icnirp2020-public"]["compliant"]
    assert out["kpi_EN:EN:EQ:1C"] == pytest.approx(100 * 18 / 19)
    emf_dir = city / "outputs" / "emf"
    assert {"report.html", "sites.csv", "ter_1.5m.tif", "ter_1.5m.png"} <= {
        p.name for p in emf_dir.iterdir()}
    assert "NOT compliant" in (emf_dir / "report.html").read_text()
    # Judged against ICNIRP instead, every site complies.
    r = _cli("emf", "check", "-w", str(city), "--limits", "icnirp2020-public", "--no-maps",
             "--format", "json", "--quiet")
    assert all(s["compliant"] for s in json.loads(r.stdout)["sites"])


def _set(city: Path, **emf_settings) -> None:
    cfg = yaml.safe_load((city / "city.yaml").read_text())
    cfg["settings"]["emf"].update(emf_settings)
    (city / "city.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True))


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ({"limit_set": "no-such-set"}, ["no-such-set", "icnirp2020-public"]),
        ({"limit_sets": [{"name": "narrow", "source": "test", "s_w_m2": 0.1,
                          "f_min_mhz": 3600, "f_max_mhz": 6000}], "limit_set": "narrow"},
         ["freq_mhz", "3600"]),
        ({"power_reduction_factor": 1.5}, ["settings.emf", "power_reduction_factor"]),
        ({"limit_sets": [{"name": "bad", "source": "test", "s_w_m2": -1}]}, ["s_w_m2"]),
    ],
)
def test_bad_settings_refused_and_old_report_kept(city: Path, edit, words):
    before = (city / "outputs" / "emf" / "sites.csv").read_bytes()
    _set(city, **edit)
    r = _cli("emf", "check", "-w", str(city), "--quiet")
    assert r.returncode == 2, r.stdout
    for w in words:
        assert w in r.stderr.replace("\n", ""), (w, r.stderr)
    assert "Traceback" not in r.stderr
    assert (city / "outputs" / "emf" / "sites.csv").read_bytes() == before
    assert not (city / "outputs" / "emf.part").exists()


def test_bad_sites_refused(city: Path):
    text = (city / "rooftop_sites.csv").read_text()
    (city / "rooftop_sites.csv").write_text(text.replace("panel_65deg_17dBi.msi", "gone.msi", 1))
    r = _cli("emf", "check", "-w", str(city), "--quiet")
    assert r.returncode == 2 and "rooftop_sites.csv" in r.stderr and "line 2" in r.stderr
    assert "antenna" in r.stderr
    r = CliRunner().invoke(cli, ["emf", "zone", "--eirp-w", "-5", "--freq-mhz", "3500"])
    assert r.exit_code != 0 and "must be > 0" in str(r.exception)
