"""A compute run is atomic: killed (SIGKILL) at any point, it publishes nothing and the last
complete run stays what every reader sees; `ssckit runs` says what happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ssckit.core.store import Store
from tests.core.test_modules import _workspace

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ("import sys; from ssckit.core import modules; from tests.core.slow.steps import FACE; "
          "modules.register(FACE); from ssckit.commands import compute; "
          "compute.main(['-w', sys.argv[1], '-q', '--only', 'slow'], standalone_mode=True)")


def _compute(root: Path, value: float, hang: str = "", marker: Path | None = None
             ) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SLOW_VALUE": str(value), "SLOW_HANG": hang,
           "SLOW_MARKER": str(marker or root / "marker")}
    return subprocess.Popen([sys.executable, "-c", DRIVER, str(root)], cwd=ROOT, env=env)


def _published(root: Path) -> dict[str, float]:
    with Store.open(root / "ssckit.duckdb", read_only=True) as store:
        return {v.indicator: v.value for v in store.query_values() if v.indicator.startswith(
            "slow:") and v.indicator != "slow:published"}


@pytest.mark.parametrize("kill_in", ["first", "second"])
def test_killed_run_publishes_nothing(tmp_path: Path, kill_in: str):
    root = _workspace(tmp_path / "city", notes=False)
    assert _compute(root, 1.0).wait(timeout=120) == 0
    assert _published(root) == {"slow:first": 1.0, "slow:second": 1.0}

    marker = tmp_path / "marker"
    proc = _compute(root, 2.0, hang=kill_in, marker=marker)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    assert _published(root) == {"slow:first": 1.0, "slow:second": 1.0}
    assert _compute(root, 3.0).wait(timeout=120) == 0
    assert _published(root) == {"slow:first": 3.0, "slow:second": 3.0}
    with Store.open(root / "ssckit.duckdb", read_only=True) as store:
        runs = store.list_runs()
    assert [r["status"] for r in runs] == ["complete", "killed", "complete"]
    assert "nothing of it was published" in runs[1]["message"]
    ran = [s["title"] for s in runs[2]["steps"] if s["ran"]]
    assert ran[-3:] == ["first", "second", "report"]   # the after-publish step is logged too


def test_a_run_of_a_live_process_is_not_taken_for_killed(tmp_path: Path):
    """Two computes at once on one workspace (the store is opened only for moments): the
    second completes while the first still runs, and leaves the first alone."""
    root = _workspace(tmp_path / "city", notes=False)
    marker = tmp_path / "marker"
    slow = _compute(root, 1.0, hang="second", marker=marker)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert slow.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        assert _compute(root, 2.0).wait(timeout=120) == 0
        assert _published(root) == {"slow:first": 2.0, "slow:second": 2.0}
        with Store.open(root / "ssckit.duckdb", read_only=True) as store:
            assert [r["status"] for r in store.list_runs()] == ["complete", "running"]
    finally:
        os.kill(slow.pid, signal.SIGKILL)
        slow.wait()
    assert _compute(root, 3.0).wait(timeout=120) == 0
    with Store.open(root / "ssckit.duckdb", read_only=True) as store:
        runs = store.list_runs()
        published = store.query_values(indicator="slow:published")
    assert [r["status"] for r in runs] == ["complete", "complete", "killed"]
    assert [v.value for v in published] == [2.0]   # the report saw the two published values
    shown = subprocess.run([sys.executable, "-m", "ssckit.cli", "runs", "-w", str(root),
                            "--steps", "--limit", "1"], capture_output=True, text=True,
                           cwd=ROOT, timeout=120)
    assert shown.returncode == 0 and "report" in shown.stdout and "complete" in shown.stdout


def test_failed_step_publishes_nothing_and_says_why(tmp_path: Path):
    from ssckit.core import modules
    from ssckit.core.modules import ModuleFace, Step
    from ssckit.core.workspace import Workspace
    from ssckit.pipeline import run_all

    root = _workspace(tmp_path / "city", notes=False)
    bad = ModuleFace(name="broken", title="Broken", summary="its step fails",
                     steps=(Step("fails", "tests.core.slow.steps:no_such_function"),))
    modules.register(bad)
    try:
        ws = Workspace.load(root)
        with Store.open(ws.store_path) as store:
            before = store.count_values()
            with pytest.raises(AttributeError):
                run_all(ws, store, only=["broken"])
            assert store.count_values() == before
            (last,) = store.list_runs(limit=1)
            assert last["status"] == "failed" and "no_such_function" in last["message"]
    finally:
        modules.unregister("broken")
