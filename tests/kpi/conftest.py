"""A small sample city for the kpi tests: the demo's inputs, with only the kpi and emf steps
computed (emf gives EN:EN:EQ:1C a computed value beside the sample's manual one)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """``ssckit ARGS`` in a fresh process, as a user would run it."""
    return subprocess.run([sys.executable, "-m", "ssckit.cli", *args], capture_output=True,
                          text=True, timeout=300, input=stdin, env=env)


@pytest.fixture(scope="session")
def kpi_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ssckit.demo.generate import write_sample_city

    root = tmp_path_factory.mktemp("kpi-city") / "city"
    write_sample_city(root, seed=7)
    r = run_cli("compute", "-w", str(root), "--only", "kpi", "--only", "emf", "-q")
    assert r.returncode == 0, r.stderr
    return root


@pytest.fixture
def city(kpi_city: Path, tmp_path: Path) -> Path:
    """A private copy of the small sample city."""
    root = tmp_path / "city"
    shutil.copytree(kpi_city, root)
    return root
