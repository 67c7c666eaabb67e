"""``ssckit skills calibrate-tasks``: GPCM parameters of the practical tasks from scores."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from ssckit.cli import cli
from ssckit.skills import tasks as T
from ssckit.skills.gpcm import GPCMItem, simulate_gpcm


def _write(path: Path, names: list[str], scores: np.ndarray) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(names)
        for row in scores:
            w.writerow(["" if np.isnan(x) else int(x) for x in row])


def test_calibrate_tasks_recovers_planted_parameters(tmp_path: Path) -> None:
    bank = T.task_bank()
    names = sorted(bank)
    # planted parameters, unlike the provisional ones: slopes 0.7..1.6, shifted steps
    rng = np.random.default_rng(11)
    planted = [GPCMItem(0.7 + 0.1 * j, tuple(np.array(bank[n].gpcm.b) + 0.3 * (-1) ** j))
               for j, n in enumerate(names)]
    scores = simulate_gpcm(rng.standard_normal(2500), planted, rng).astype(float)
    scores[rng.random(scores.shape) < 0.3] = np.nan  # each person did some of the tasks
    _write(tmp_path / "scores.csv", names, scores)
    r = CliRunner().invoke(cli, ["skills", "calibrate-tasks", str(tmp_path / "scores.csv"),
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["converged"] and out["n_people"] == 2500
    a = np.array([t["a"] for t in out["tasks"]])
    b = np.concatenate([t["b"] for t in out["tasks"]])
    assert np.sqrt(np.mean((a - [p.a for p in planted]) ** 2)) < 0.15
    assert np.sqrt(np.mean((b - np.concatenate([p.b for p in planted])) ** 2)) < 0.15
    r = CliRunner().invoke(cli, ["skills", "calibrate-tasks", str(tmp_path / "scores.csv")])
    assert r.exit_code == 0 and "EM cycles" in r.output


def test_calibrate_tasks_bad_files_are_one_line(tmp_path: Path) -> None:
    """The real entry point: one line on stderr, exit code 2, no traceback."""
    import subprocess
    import sys

    def run(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from ssckit.cli import main; main()",
                               "skills", "calibrate-tasks", str(tmp_path / name)],
                              capture_output=True, text=True, timeout=120,
                              env={"COLUMNS": "400", "PATH": "/usr/bin:/bin"})

    _write(tmp_path / "a.csv", ["wifi-fix", "no-such-task"], np.array([[1.0, 0.0], [2, 1]]))
    r = run("a.csv")
    assert r.returncode == 2
    assert "column 'no-such-task'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    _write(tmp_path / "b.csv", ["wifi-fix", "safe-update"], np.array([[1.0, 0.0], [2, 3]]))
    r = run("b.csv")
    assert r.returncode == 2
    assert "line 3, field 'safe-update'" in r.stderr and "outside 0..2" in r.stderr
