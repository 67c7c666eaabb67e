"""One workspace, many hands: `ssckit serve --live` (Mosquitto, ingester, simulator) answers
requests while `kpi import`, `compute`, `users add` and `kpi scorecard` run on the same
workspace as real processes; every command exits 0 and every write arrives exactly once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ssckit.core.store import Store
from tests.conftest import _free_port

SSCKIT = [sys.executable, "-m", "ssckit.cli", "--wait", "120"]
IMPORTED = {"EC:ICT:ICT:1C": 12.5, "EC:ICT:ICT:2C": 23.5, "EC:ICT:ICT:4C": 34.5}


def _readings(root: Path) -> tuple[int, int]:
    """(rows, duplicated keys) of the live readings table."""
    with Store.open(root / "ssckit.duckdb", read_only=True) as store, store.cursor() as cur:
        rows = cur.execute("SELECT count(*) FROM school_readings").fetchone()[0]
        dups = cur.execute("SELECT count(*) FROM (SELECT 1 FROM school_readings GROUP BY "
                           "device_id, quantity, ts HAVING count(*) > 1)").fetchone()[0]
    return int(rows), int(dups)


@pytest.fixture
def city(demo_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "sample-city"
    shutil.copytree(demo_workspace, root)
    return root


def test_serve_live_ingest_and_cli_commands_share_one_workspace(city: Path, tmp_path: Path):
    if shutil.which("mosquitto") is None:
        pytest.fail("mosquitto is not installed (bash scripts/setup installs it)")
    rows_before, _ = _readings(city)
    port = _free_port()
    server = subprocess.Popen([*SSCKIT, "serve", "-w", str(city), "--port", str(port), "--live"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    statuses: list[int] = []
    stop = threading.Event()

    def browse() -> None:
        """A reader of the public dashboard and API all along."""
        while not stop.is_set():
            for path in ("/", "/api/v1/kpi/scorecard"):
                try:
                    with urllib.request.urlopen(url + path, timeout=150) as r:
                        statuses.append(r.status)
                except urllib.error.HTTPError as exc:
                    statuses.append(exc.code)
                except OSError:
                    statuses.append(-1)

    csv = tmp_path / "values.csv"
    csv.write_text("code,value,unit,period,source,quality\n" + "".join(
        f"{code},{value},%,2019,concurrency test,B\n" for code, value in IMPORTED.items()))
    reader = threading.Thread(target=browse)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/login", timeout=5):
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        reader.start()
        commands = {
            "import": [*SSCKIT, "kpi", "import", str(csv), "-w", str(city)],
            "compute": [*SSCKIT, "compute", "-w", str(city), "-q", "--only", "kpi"],
            "users": [*SSCKIT, "users", "add", "conc", "--role", "analyst", "--password-stdin",
                      "-w", str(city)],
            "scorecard": [*SSCKIT, "kpi", "scorecard", "-w", str(city), "--format", "json"],
        }
        procs = {name: subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
                 for name, cmd in commands.items()}
        outs = {name: p.communicate("a long enough password 1\n", timeout=300)
                for name, p in procs.items()}
        for name, p in procs.items():
            assert p.returncode == 0, f"{name}: {outs[name][1]}"
            assert "Traceback" not in outs[name][1]
        assert json.loads(outs["scorecard"][0])   # a complete answer, read beside the others
        # the live ingest keeps writing beside the commands
        deadline = time.monotonic() + 90
        while _readings(city)[0] <= rows_before:
            assert time.monotonic() < deadline, "the live feed stored no readings"
            time.sleep(1)
        stop.set()
        reader.join(timeout=200)
        assert server.poll() is None, "the server stopped"
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()
    assert statuses and set(statuses) == {200}, sorted(set(statuses))

    rows, dups = _readings(city)
    assert rows > rows_before and dups == 0
    with Store.open(city / "ssckit.duckdb", read_only=True) as store, store.cursor() as cur:
        imported = cur.execute(
            "SELECT indicator, value FROM kpi_manual_values WHERE origin = 'import' "
            "AND period = '2019' ORDER BY indicator").fetchall()
        users = cur.execute("SELECT count(*) FROM users WHERE name = 'conc'").fetchone()[0]
        runs = store.list_runs(limit=2)
    assert dict(imported) == IMPORTED and len(imported) == len(IMPORTED)   # each once
    assert users == 1
    assert runs[0]["status"] == "complete"
    assert any(s["ran"] and s["module"] == "kpi" for s in runs[0]["steps"])
