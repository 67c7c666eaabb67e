"""Modules plug in through their faces: a toy module shows up in the CLI, the web app, the
pipeline and the store; a module with a missing dependency drops out with one line; core and
web name no module, and dependencies point one way."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ssckit.core import modules
from ssckit.core.modules import ModuleFace, Step
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from tests.core.toy.face import FACE as TOY

SRC = Path(__file__).resolve().parents[2] / "src" / "ssckit"


@pytest.fixture
def toy() -> Iterator[ModuleFace]:
    modules.register(TOY)
    try:
        yield TOY
    finally:
        modules.unregister(TOY.name)


def _workspace(root: Path, notes: bool = True) -> Path:
    root.mkdir()
    ring = [[500000, 3500000], [501000, 3500000], [501000, 3501000], [500000, 3500000]]
    (root / "boundary.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "T"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    config = {"name": "Toytown", "country": "Testland", "year": 2026, "crs": "EPSG:32636",
              "boundary": "boundary.geojson", "synthetic": True}
    if notes:
        (root / "notes.txt").write_text("one\ntwo\nthree\n")
        config["inputs"] = {"toy": {"notes": "notes.txt"}}
    (root / "city.yaml").write_text(yaml.safe_dump(config))
    return root


def test_every_builtin_module_has_a_face():
    names = [f.name for f in modules.faces()]
    assert {"kpi", "radio", "emf", "school", "skills", "cyber", "access"} <= set(names)
    for face in modules.faces():
        assert face.title and face.summary, face.name
        for step in face.steps:
            assert callable(step.load()), f"{face.name}: {step.compute}"
        if face.cli:
            assert modules.load_ref(face.cli).name == face.name


def test_toy_module_in_cli(toy: ModuleFace):
    from ssckit.cli import cli

    runner = CliRunner()
    out = runner.invoke(cli, ["--help"])
    assert out.exit_code == 0 and "toy" in out.output
    out = runner.invoke(cli, ["toy", "hello", "Ada"])
    assert out.exit_code == 0, out.output
    assert "hello Ada from the toy module" in out.output
    out = runner.invoke(cli, ["compute", "--help"])
    assert "lines of the notes file (needs: inputs.toy.notes)" in out.output


def test_toy_module_in_pipeline_and_store(toy: ModuleFace, tmp_path: Path):
    from ssckit.pipeline import run_all

    ws = Workspace.load(_workspace(tmp_path / "city"))
    with Store.open(ws.store_path) as store:
        run = run_all(ws, store, only=["toy"])
        step = next(s for s in run.steps if s.module == "toy")
        assert step.ran and step.n_values == 1
        (value,) = store.query_values(indicator="toy:lines")
        assert value.value == 3
        assert store.cursor().execute("SELECT lines FROM toy_runs").fetchall() == [(3,)]
        assert store.count_values_by_module()["toy"] == 1

    bare = Workspace.load(_workspace(tmp_path / "bare", notes=False))
    with Store.open(bare.store_path) as store:
        run = run_all(bare, store, only=["toy"])
    step = next(s for s in run.steps if s.module == "toy")
    assert not step.ran and step.reason == "city.yaml has no inputs.toy.notes"


def test_toy_module_in_web_app(toy: ModuleFace, tmp_path: Path):
    from ssckit.web.app import create_app

    app = create_app(_workspace(tmp_path / "city"))
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/toy")
        assert page.status_code == 200 and "Runs so far: 0" in page.text
        assert '<a href="/toy"' in page.text          # in the navigation
        assert client.get("/api/v1/toy/runs").json() == {"runs": 0}
        home = client.get("/")
        assert "Toy module" in home.text and "Counts the lines" in home.text
        assert "/api/v1/toy/runs" in client.get("/openapi.json").text


def test_module_with_missing_dependency_drops_out(tmp_path: Path):
    from ssckit.cli import cli

    ghost = ModuleFace(name="ghost", title="Ghost", summary="needs a package nobody has",
                       cli="ghost_module_xyz.cli:ghost", requires=("ghost_module_xyz",),
                       extra="ghost", steps=(Step("haunt", "ghost_module_xyz:compute"),))
    modules.register(ghost)
    try:
        assert "ghost" not in [f.name for f in modules.faces()]
        assert "pip install 'ssckit[ghost]'" in modules.unavailable()["ghost"]
        runner = CliRunner()
        assert runner.invoke(cli, ["--help"]).exit_code == 0
        out = runner.invoke(cli, ["ghost"])
        assert out.exit_code == 2 and "the ghost module is not available" in out.output
    finally:
        modules.unregister("ghost")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("ssckit.")}


def _package(module: str) -> str:
    return module.split(".")[1]


def test_core_and_web_name_no_module():
    names = {f.name for f in modules.faces()}
    for folder in ("core", "web"):
        for path in (SRC / folder).rglob("*.py"):
            named = {_package(m) for m in _imports(path)} & names
            assert not named, f"{path.relative_to(SRC)} imports {sorted(named)}"


def test_dependencies_point_one_way():
    """core <- modules <- web/cli/pipeline/demo; modules import no other module, except emf
    using radio's public face (sites, antennas, its sample panel) and its probe feed writing
    E-field readings through the Smart School ingest (emf/probe_feed.py only)."""
    names = {f.name for f in modules.faces()}
    upper = {"web", "cli", "commands", "pipeline", "demo"}
    allowed = {("emf", "radio"), ("emf", "school")}
    for module in names:
        for path in (SRC / module).rglob("*.py"):
            for imported in _imports(path):
                pkg = _package(imported)
                assert pkg not in upper, f"{path.relative_to(SRC)} imports {imported}"
                if pkg in names and pkg != module:
                    assert (module, pkg) in allowed, f"{path.relative_to(SRC)} imports {imported}"
                    assert pkg != "school" or path.name == "probe_feed.py", \
                        f"{path.relative_to(SRC)} imports {imported}"
    for path in (SRC / "core").rglob("*.py"):
        for imported in _imports(path):
            assert _package(imported) == "core", f"{path.relative_to(SRC)} imports {imported}"
