"""Fixtures shared by every module's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The published reference data folder (../shared/data); tests skip, loudly, without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent; these tests need it")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete sample-city workspace with every indicator computed (built once per run)."""
    from ssckit.core.store import Store
    from ssckit.core.workspace import Workspace
    from ssckit.demo.generate import write_sample_city
    from ssckit.pipeline import run_all

    root = tmp_path_factory.mktemp("sample-city")
    write_sample_city(root, seed=7)
    ws = Workspace.load(root)
    with Store.open(ws.store_path) as store:
        run_all(ws, store, quiet=True)
    return root


@pytest.fixture
def artifacts_dir() -> Path:
    """Folder for screenshots and other files a person may want to look at after the tests."""
    d = ROOT / "test-artifacts"
    d.mkdir(exist_ok=True)
    return d
