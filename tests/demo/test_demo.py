"""The sample city: deterministic, about 80 000 people, labelled synthetic, fully computed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from ssckit.core.geo import read_raster
from ssckit.core.store import Store
from ssckit.demo.generate import write_sample_city


def _digest(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.iterdir()) if p.suffix in (".csv", ".geojson", ".yaml")}


def test_deterministic_for_a_seed(tmp_path: Path):
    write_sample_city(tmp_path / "a", seed=3)
    write_sample_city(tmp_path / "b", seed=3)
    write_sample_city(tmp_path / "c", seed=4)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    pa, _, _ = read_raster(tmp_path / "a" / "population.tif")
    pb, _, _ = read_raster(tmp_path / "b" / "population.tif")
    assert np.array_equal(pa, pb)


def test_sample_city_population_and_districts(demo_workspace: Path):
    with Store.open(demo_workspace / "ssckit.duckdb", read_only=True) as s:
        pop = {v.entity: v.value for v in s.query_values(indicator="core:population")}
        area = {v.entity: v.value for v in s.query_values(indicator="core:area")}
    assert pop["city"] == pytest.approx(80_000, rel=1e-4)
    districts = {k: v for k, v in pop.items() if k.startswith("district:")}
    assert len(districts) == 5
    # The districts tile the boundary, so their people add up to the city's.
    assert sum(districts.values()) == pytest.approx(pop["city"], rel=1e-4)
    assert 40 < area["city"] < 70


def test_every_value_is_labelled_synthetic(demo_workspace: Path):
    with Store.open(demo_workspace / "ssckit.duckdb", read_only=True) as s:
        values = s.query_values()
    assert values and all(v.quality == "D" for v in values)


def test_demo_command_writes_report(tmp_path: Path):
    from click.testing import CliRunner

    from ssckit.commands import demo

    r = CliRunner().invoke(demo, ["-w", str(tmp_path / "city"), "--no-serve"],
                           terminal_width=200)
    assert r.exit_code == 0, r.output
    html = (tmp_path / "city" / "outputs" / "scorecard.html").read_text()
    assert "Synthetic sample data" in html and "Household Internet Access" in html
    # every module ran and stored values; the step table and the peak memory are printed
    from ssckit.core import auth, modules

    with Store.open(tmp_path / "city" / "ssckit.duckdb") as s:
        by_module = s.count_values_by_module()
        missing = [f.name for f in modules.faces()
                   if f.name != "kpi" and not by_module.get(f.name)]
        assert not missing, (missing, r.output)
        # kpi's manual values are kept beside the computed ones, in kpi's own table
        from ssckit.kpi.records import count_manual_values

        assert count_manual_values(s) > 0
        # the first admin's password is printed once and works
        password = r.output.split("admin login of the dashboard: admin / ")[1].split()[0]
        assert auth.authenticate(s, "admin", password, "127.0.0.1") is not None
    assert "peak memory" in r.output and "pipeline steps" in r.output
    # A non-empty folder that is not a sample city is never overwritten.
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    r = CliRunner().invoke(demo, ["-w", str(other), "--no-serve", "--quiet"])
    assert r.exit_code != 0
    assert (other / "notes.txt").read_text() == "keep me"
