"""`ssckit emf tradeoff`: power cuts under a stricter limit set, checked against the exposure
formula and the published reference levels, and their cost in coverage on the sample city."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from click.testing import CliRunner

from ssckit.cli import cli
from ssckit.emf.exposure import Transmitters, exposure_ratios, total_exposure_ratio
from ssckit.emf.limits import limit_set_from_dict
from ssckit.emf.tradeoff import SITE_SHARE, coverage_cost, power_cuts, site_exposure_matrix
from ssckit.emf.zones import check_accessible_points

#: ICNIRP (2020) Table 5, general public, 2-300 GHz: S_inc = 10 W/m².
ICNIRP2020_PUBLIC_3500_W_M2 = 10.0
#: A strict national rule used below: 1 µW/cm² = 0.01 W/m² at every frequency.
STRICT = {"name": "strict-1uw", "s_uw_cm2": 1, "source": "test rule: 1 µW/cm²"}
#: 0.1 dB: how close to the limit the worst public point of a cut site must end up.
WITHIN_DB = 0.1


def _one_tx(x: float, y: float, power_dbm: float, azimuth: float = 0.0) -> dict:
    return dict(x_m=[x], y_m=[y], z_m=[30.0], azimuth_deg=[azimuth], mech_tilt_deg=[0.0],
                elec_tilt_deg=[0.0], tx_power_dbm=[power_dbm], max_gain_dbi=[17.0],
                freq_mhz=[3500.0])


def test_cut_of_one_antenna_matches_the_spherical_formula():
    # 49 dBm + 17 dBi: EIRP = 10^((49 + 17 - 30)/10) = 3981.07 W. A person 20 m in front of
    # the antenna at its height (main beam, g = 1): S = EIRP / (4 pi r^2) = 0.79201 W/m²
    # (IEC 62232:2022 Annex B far-field formula).
    tx = Transmitters(**_one_tx(0.0, 0.0, 49.0), label=("A/1",))
    x, y, z = np.array([0.0]), np.array([20.0]), np.array([30.0])
    eirp = 10 ** ((49 + 17 - 30) / 10)
    s = eirp / (4 * math.pi * 20.0**2)
    assert s == pytest.approx(0.79201, rel=1e-4)
    # ICNIRP 2020 public at 3.5 GHz (10 W/m²): 7.9 % of the limit, no cut needed.
    a = site_exposure_matrix(x, y, z, tx, np.array([0]), 1, "icnirp2020-public")
    assert a[0, 0] == pytest.approx(s / ICNIRP2020_PUBLIC_3500_W_M2, rel=1e-6)
    cut, ok = power_cuts(a)
    assert cut[0] == 0.0 and ok[0]
    # 1 µW/cm² = 0.01 W/m²: 79.2 times the limit, a cut of 10 log10(79.201) = 18.987 dB,
    # rounded up to 0.01 dB: 18.99 dB.
    strict = limit_set_from_dict(STRICT)
    a = site_exposure_matrix(x, y, z, tx, np.array([0]), 1, strict)
    cut, ok = power_cuts(a)
    assert 10 * math.log10(s / 0.01) == pytest.approx(18.987, abs=1e-3)
    assert cut[0] == pytest.approx(18.99, abs=1e-9) and ok[0]
    # after the cut the exposure model gives the limit within 0.1 dB, never above it
    cut_tx = Transmitters(**_one_tx(0.0, 0.0, 49.0 - cut[0]))
    ter = float(np.asarray(total_exposure_ratio(x, y, z, cut_tx, strict))[0])
    assert 10 ** (-WITHIN_DB / 10) <= ter <= 1.0
    assert ter * 0.01 == pytest.approx(eirp * 10 ** (-cut[0] / 10) / (4 * math.pi * 400))


def test_cuts_of_neighbouring_sites_account_for_each_other():
    # two sites 40 m apart facing each other; each one's public point lies between them and
    # also receives the other's main beam, so the cuts must leave room for both.
    tx = Transmitters(x_m=[0.0, 0.0], y_m=[0.0, 40.0], z_m=[30.0, 30.0],
                      azimuth_deg=[0.0, 180.0], mech_tilt_deg=[0.0, 0.0],
                      elec_tilt_deg=[0.0, 0.0], tx_power_dbm=[49.0, 46.0],
                      max_gain_dbi=[17.0, 17.0], freq_mhz=[3500.0, 3500.0])
    x = np.array([0.0, 0.0])
    y = np.array([15.0, 28.0])
    z = np.array([30.0, 30.0])
    strict = limit_set_from_dict(STRICT)
    a = site_exposure_matrix(x, y, z, tx, np.array([0, 1]), 2, strict)
    cut, ok = power_cuts(a)
    assert np.all(ok) and np.all(cut > 0)
    # cutting each site alone against its own share would not be enough: the sum exceeds it
    alone = np.ceil(100 * 10 * np.log10(np.diag(a))) / 100
    assert np.all(cut > alone)
    powers = np.array([49.0, 46.0]) - cut
    ter = total_exposure_ratio(x, y, z, replace(tx, tx_power_dbm=powers), strict)
    # no point above the limit, and the point both sites reach is at it (within 0.1 dB):
    # neither site is cut more than the two points require
    assert np.all(ter <= 1.0)
    assert ter.max() >= 10 ** (-WITHIN_DB / 10)


def test_coverage_cost_by_serving_site():
    before = np.array([[True, True], [True, False]])
    after = np.array([[True, False], [False, False]])
    server = np.array([[0, 1], [2, -1]])
    people, pixels = coverage_cost(before, after, server, np.array([0, 0, 1]),
                                   np.array([[5.0, 7.0], [11.0, 13.0]]), np.ones((2, 2), bool),
                                   2)
    assert people.tolist() == [7.0, 11.0] and pixels.tolist() == [1.0, 1.0]


@pytest.fixture
def strict_city(demo_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "city"
    shutil.copytree(demo_workspace, root)
    cfg = yaml.safe_load((root / "city.yaml").read_text(encoding="utf-8"))
    cfg["settings"]["emf"]["limit_sets"].append(STRICT)
    (root / "city.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False),
                                    encoding="utf-8")
    return root


def test_tradeoff_on_the_sample_city(strict_city: Path):
    from ssckit.core.workspace import Workspace
    from ssckit.emf.run import (
        EmfSettings,
        _site_points,
        check_sites,
        load_sectors,
        read_accessible_csv,
        transmitters_for,
    )

    r = CliRunner().invoke(cli, ["emf", "tradeoff", "-w", str(strict_city), "--limits",
                                 "strict-1uw", "--format", "json", "--quiet"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    rows = {s["site"]: s for s in doc["sites"]}
    assert doc["limit_set"] == "strict-1uw" and len(rows) == 19
    for s in rows.values():
        for k in ("cut_db", "power_before_w", "power_after_w", "worst_ter_before",
                  "worst_ter_after", "population_lost"):
            assert isinstance(s[k], int | float) and not isinstance(s[k], bool), k
        assert s["power_after_w"] == pytest.approx(
            s["power_before_w"] * 10 ** (-s["cut_db"] / 10), rel=1e-3, abs=2e-3)
    # the neighbour's terrace 12 m in front of R02 is the worst place of all
    assert rows["R02"]["cut_db"] == max(s["cut_db"] for s in rows.values())
    assert "terrace" in rows["R02"]["worst_place"]

    # the exposure model itself (the compliance check of `ssckit emf check`) at every public
    # point it checks, on the reduced powers: every point is within the limit, and each cut
    # site ends within 0.1 dB of it at the points where it causes 10 % or more of the
    # exposure: no site is cut more than the limit requires
    ws = Workspace.load(strict_city)
    settings = ws.module_settings("emf", EmfSettings)
    sectors, paths = load_sectors(ws)
    cut = np.array([rows[s]["cut_db"] for s in sectors.site])
    reduced = replace(sectors, tx_power_dbm=sectors.tx_power_dbm - cut)
    strict = limit_set_from_dict(STRICT)
    acc = read_accessible_csv(ws.input_path("emf", "accessible"), ws.config.crs)
    before = {s.site: s for s in check_sites(sectors, transmitters_for(sectors, paths),
                                             settings, strict, [], acc)}
    pts = [_site_points(reduced, s, acc) for s in reduced.site_ids]
    x, y, h = (np.concatenate([p[i] for p in pts]) for i in range(3))
    tx = transmitters_for(reduced, paths)
    chk = check_accessible_points(x, y, h, tx, strict,
                                  reflection_factor=settings.reflection_factor)
    assert np.all(chk.ter <= 1.0)
    per_tx = exposure_ratios(x, y, h + 1.5, tx, strict,
                             reflection_factor=settings.reflection_factor)
    per_site = np.stack([per_tx[:, reduced.site == s].sum(axis=1) for s in rows], axis=1)
    for j, (site, row) in enumerate(rows.items()):
        assert not before[site].compliant
        assert row["cut_db"] > 0
        mine = per_site[:, j] >= SITE_SHARE * chk.ter
        worst = chk.ter[mine].max()
        assert 10 ** (-WITHIN_DB / 10) <= worst <= 1.0, site
        assert worst == pytest.approx(row["worst_ter_after"], rel=1e-6)

    # what it costs: less power, fewer people and schools covered, files written
    tot = doc["totals"]
    assert tot["sites_cut"] == sum(s["cut_db"] > 0 for s in rows.values())
    assert tot["after"]["population_covered"] < tot["before"]["population_covered"]
    assert tot["population_lost"] == pytest.approx(
        tot["before"]["population_covered"] - tot["after"]["population_covered"], abs=0.2)
    assert tot["after"]["schools_covered"] <= tot["before"]["schools_covered"]
    assert tot["area_lost_km2"] > 0
    out = strict_city / "outputs" / "emf" / "tradeoff" / "strict-1uw"
    for part in ("before", "after"):
        with rasterio.open(out / part / "covered.tif") as src:
            assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            share = float((src.read(1) == 1).mean())
        assert 0 < share < 1
    assert json.loads((out / "tradeoff.json").read_text(encoding="utf-8")) == doc


def test_unknown_limit_set_is_one_line(demo_workspace: Path):
    r = subprocess.run([sys.executable, "-m", "ssckit.cli", "emf", "tradeoff", "-w",
                        str(demo_workspace), "--limits", "nope", "--quiet"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown limit set 'nope'" in lines[0]
    assert "icnirp2020-public" in lines[0] and "sampleland-national" in lines[0]
