"""``settings.radio`` validated as a whole: every field bounded, a bad value one line naming it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from ssckit.core.errors import InputError
from ssckit.core.workspace import Workspace
from ssckit.radio import run as radio_run
from ssckit.radio.coverage import RadioSettings


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ssckit.cli", *args], capture_output=True,
                          text=True, timeout=300)


def _set(city: Path, **radio) -> None:
    cfg = yaml.safe_load((city / "city.yaml").read_text())
    cfg["settings"] = {"radio": radio}
    (city / "city.yaml").write_text(yaml.safe_dump(cfg))


def test_defaults_and_a_valid_city_setting(small_city: Path):
    s = RadioSettings()
    assert (s.model, s.engine, s.rx_height_m, s.time_percent, s.polarisation) == (
        "p1812", "radial", 1.5, 50.0, 2)
    _set(small_city, rx_height_m=10, engine="exact", building_entry="traditional")
    got = radio_run.settings_for(Workspace.load(small_city), rsrp_threshold_dbm=-100.0)
    assert (got.rx_height_m, got.engine, got.building_entry, got.rsrp_threshold_dbm) == (
        10.0, "exact", "traditional", -100.0)
    assert got.replace(engine="radial").engine == "radial"
    with pytest.raises(ValidationError):
        got.replace(engine="fast")


# every field: a value just outside what is allowed
@pytest.mark.parametrize(("field", "value", "words"), [
    ("model", "hata", ["'p1812'", "'free-space'"]),
    ("rx_height_m", 31.0, ["less than or equal to 30"]),
    ("rx_height_m", 0.5, ["greater than or equal to 1"]),
    ("time_percent", 60.0, ["less than or equal to 50"]),
    ("location_percent", 0.0, ["greater than or equal to 1"]),
    ("location_percent", 99.5, ["less than or equal to 99"]),
    ("dn", 157.0, ["less than 157"]),
    ("dn", 0.0, ["greater than 0"]),
    ("n0", 100.0, ["greater than or equal to 200"]),
    ("polarisation", 3, ["1 or 2"]),
    ("noise_figure_db", -1.0, ["greater than or equal to 0"]),
    ("layers", 9, ["less than or equal to 8"]),
    ("layers", 2.5, ["integer"]),
    ("rsrp_threshold_dbm", -200.0, ["greater than or equal to -156"]),
    ("sinr_threshold_db", 45.0, ["less than or equal to 40"]),
    ("tile_size", 0, ["greater than or equal to 8"]),
    ("max_radius_km", 0.1, ["greater than or equal to 0.5"]),
    ("resolution_m", 0.5, ["greater than or equal to 1"]),
    ("engine", "fast", ["'radial' or 'exact'"]),
    ("building_entry", "glass", ["'traditional' or 'thermally_efficient'"]),
    ("rx_height_m", float("nan"), ["finite"]),
])
def test_each_field_is_bounded(field, value, words):
    with pytest.raises(ValidationError) as info:
        RadioSettings(**{field: value})
    (err,) = info.value.errors()
    assert err["loc"] == (field,)
    for w in words:
        assert w in err["msg"], (w, err["msg"])


@pytest.mark.parametrize(("radio", "words"), [
    ({"rx_height_m": 50}, ["field 'settings.radio.rx_height_m'", "less than or equal to 30"]),
    ({"time_percent": 0.1}, ["field 'settings.radio.time_percent'",
                             "greater than or equal to 1"]),
    ({"layers": 16}, ["field 'settings.radio.layers'", "less than or equal to 8"]),
    ({"engine": "quick"}, ["field 'settings.radio.engine'", "'radial' or 'exact'"]),
    ({"rx_heigth_m": 2}, ["field 'settings.radio.rx_heigth_m'", "unknown setting",
                          "rx_height_m"]),
])
def test_bad_city_setting_is_one_line(small_city: Path, radio, words):
    _set(small_city, **radio)
    with pytest.raises(InputError) as info:
        radio_run.settings_for(Workspace.load(small_city))
    text = str(info.value)
    assert "city.yaml" in text
    for w in words:
        assert w in text, (w, text)
    r = _cli("radio", "coverage", "-w", str(small_city), "--quiet")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert not (small_city / "outputs" / "radio").exists()


def test_bad_option_names_the_option(small_city: Path):
    r = _cli("radio", "coverage", "-w", str(small_city), "--quiet", "--rsrp-threshold", "-200")
    assert r.returncode == 2
    line = r.stderr.strip()
    assert "\n" not in line and "option --rsrp-threshold" in line
    assert "greater than or equal to -156" in line


def test_small_city_runs_and_times_its_steps(small_city: Path):
    _set(small_city, rx_height_m=3, tile_size=8)
    r = _cli("radio", "coverage", "-w", str(small_city))
    assert r.returncode == 0, r.stderr
    assert (small_city / "outputs" / "radio" / "rsrp.tif").is_file()
    out = " ".join(r.stdout.split())
    assert "steps: area" in out and "coverage" in out and "total" in out
    summary = json.loads((small_city / "outputs" / "radio" / "coverage.json").read_text())
    steps = summary["step_seconds"]
    assert list(steps) == ["area", "sites", "coverage", "layers"]
    assert all(v >= 0 for v in steps.values())
    assert summary["settings"]["rx_height_m"] == 3.0 and summary["settings"]["tile_size"] == 8
