"""Loading city.yaml: valid workspaces load; a mistake names the file, field and what is allowed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ssckit.core.errors import InputError
from ssckit.core.workspace import Workspace
from ssckit.kpi.settings import kpi_settings


@pytest.fixture
def ws_copy(demo_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(demo_workspace, root)
    return root


def _edit(root: Path, **changes) -> None:
    cfg = yaml.safe_load((root / "city.yaml").read_text())
    cfg.update(changes)
    (root / "city.yaml").write_text(yaml.safe_dump(cfg))


def test_demo_workspace_loads(demo_workspace: Path):
    ws = Workspace.load(demo_workspace)
    assert ws.config.synthetic
    assert "synthetic" in ws.label
    assert kpi_settings(ws).targets["EC:ICT:ICT:1C"] == 100


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"crs": "EPSG:4326"}, "field 'crs'", "geographic CRS"),
        ({"crs": "EPSG:999999"}, "field 'crs'", "not a CRS"),
        ({"year": 1800}, "field 'year'", "greater than or equal to 1990"),
        ({"population": "missing.tif"}, "field 'population'", "does not exist"),
        ({"colour": "blue"}, "field 'colour'", "allowed: boundary"),
        ({"kpi": {"targets": {}}}, "field 'kpi'", "unknown field"),
    ],
)
def test_bad_config_is_named(ws_copy: Path, change, field, words):
    _edit(ws_copy, **change)
    with pytest.raises(InputError) as e:
        Workspace.load(ws_copy)
    assert e.value.source.endswith("city.yaml")
    assert e.value.location == field
    assert words in e.value.message


@pytest.mark.parametrize(
    ("settings", "field", "words"),
    [
        ({"targets": {"EC:ICT:ICT:1C": "high"}}, "field 'settings.kpi.targets.EC:ICT:ICT:1C'",
         "number"),
        ({"target": {}}, "field 'settings.kpi.target'", "unknown setting; allowed:"),
        ({"values": "one.csv"}, "field 'settings.kpi.values'", "valid list"),
    ],
)
def test_bad_module_settings_are_named(ws_copy: Path, settings, field, words):
    cfg = yaml.safe_load((ws_copy / "city.yaml").read_text())
    cfg["settings"]["kpi"] = settings
    (ws_copy / "city.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(InputError) as e:
        kpi_settings(Workspace.load(ws_copy))
    assert e.value.location == field
    assert words in e.value.message


def test_missing_required_field(ws_copy: Path):
    cfg = yaml.safe_load((ws_copy / "city.yaml").read_text())
    del cfg["name"]
    (ws_copy / "city.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(InputError, match="field 'name': required field is missing"):
        Workspace.load(ws_copy)


def test_broken_yaml_names_the_line(ws_copy: Path):
    (ws_copy / "city.yaml").write_text("name: x\ncountry: [unclosed\n")
    with pytest.raises(InputError) as e:
        Workspace.load(ws_copy)
    assert e.value.location and e.value.location.startswith("line ")


def test_no_city_yaml(tmp_path: Path):
    with pytest.raises(InputError, match="no city.yaml here"):
        Workspace.load(tmp_path)
