"""School commands, HTTP ingestion and the live feed, on the sample city with real parts."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ssckit.cli import cli
from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.school.run import load_registry
from ssckit.web.app import create_app


@pytest.fixture
def city(demo_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "city"
    shutil.copytree(demo_workspace, root)
    return root


def test_report_and_ngsi_commands(city: Path):
    r = CliRunner().invoke(cli, ["school", "report", "-w", str(city), "--school", "SCH01",
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    rooms = json.loads(r.stdout)
    assert rooms and all(x["school_id"] == "SCH01" for x in rooms)
    assert all(abs(sum(x["co2_share"]) - 100) < 1e-6 for x in rooms if x["occupied_co2_minutes"])
    out = city / "ngsi.json"
    r = CliRunner().invoke(cli, ["school", "ngsi", "-w", str(city), "-o", str(out)])
    assert r.exit_code == 0, r.output
    types = {e["type"] for e in json.loads(out.read_text())}
    assert types == {"Building", "Device", "IndoorEnvironmentObserved"}


def test_archive_downsample_retention_keep_every_reading(city: Path):
    from ssckit.school.storage import readings_root, readings_sql

    def count(s: Store) -> tuple[int, float]:
        union, params = readings_sql(readings_root(city))
        return s.con.execute(f"SELECT count(*), sum(value) FROM ({union})", params).fetchone()

    with Store.open(city / "ssckit.duckdb", read_only=True) as s:
        db_before = s.con.execute("SELECT count(*) FROM school_readings").fetchone()[0]
        before = count(s)
    r = CliRunner().invoke(cli, ["school", "archive", "-w", str(city), "--older-than-days", "1"])
    assert r.exit_code == 0, r.output
    with Store.open(city / "ssckit.duckdb", read_only=True) as s:
        in_db = s.con.execute("SELECT count(*) FROM school_readings").fetchone()[0]
        both = count(s)
    assert in_db < db_before
    assert both[0] == before[0] and both[1] == pytest.approx(before[1])
    r = CliRunner().invoke(cli, ["school", "downsample", "-w", str(city)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["school", "retention", "-w", str(city), "--keep-days", "0"])
    assert r.exit_code != 0


def test_http_ingestion_needs_a_role_and_quarantines(city: Path):
    ws = Workspace.load(city)
    with Store.open(ws.store_path) as s:
        auth.add_user(s, "gateway", "analyst", "correct horse battery staple")
        token = auth.create_api_token(s, "gateway", "school gateway")
    reg = load_registry(ws)
    dev = next(d for d in reg.devices.values() if "co2" in d.quantities)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    good = {"device": dev.device_id, "ts": now, "readings": {"co2": 812}}
    bad = {"device": "no-such-device", "ts": now, "readings": {"co2": 812}}
    with TestClient(create_app(city), base_url="https://testserver") as client:
        assert client.post("/api/v1/school/readings", json=good).status_code == 401
        h = {"Authorization": f"Bearer {token}"}
        r = client.post("/api/v1/school/readings", json=good, headers=h)
        assert r.status_code == 202 and r.json()["accepted"] == 1
        r = client.post("/api/v1/school/readings", json=good, headers=h)
        assert r.json()["duplicates"] == 1 and r.json()["accepted"] == 0
        r = client.post("/api/v1/school/readings", json=bad, headers=h)
        assert r.json()["quarantined"] == 1 and "unknown_device" in r.json()["reasons"]
        r = client.post("/api/v1/school/readings", content=b"{not json", headers=h)
        assert r.json()["quarantined"] == 1


def test_live_feed_through_mosquitto(city: Path):
    from ssckit.school.live import LiveFeed

    if shutil.which("mosquitto") is None:
        pytest.skip("needs Debian mosquitto (bash scripts/setup --test)")
    ws = Workspace.load(city)
    start = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    feed = LiveFeed(ws.store_path, load_registry(ws), utc_offset_min=180, log=lambda m: None)
    feed.start()
    try:
        deadline = time.monotonic() + 60
        n = 0
        while time.monotonic() < deadline and n == 0:
            time.sleep(1)
            with Store.open(ws.store_path) as s:
                n = s.con.execute("SELECT count(*) FROM school_readings WHERE ts >= ?",
                                  [start]).fetchone()[0]
    finally:
        feed.stop()
    assert n > 0, "no live reading arrived through the broker within 60 s"


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ingest_command_mistakes_are_one_line(city: Path):
    import subprocess
    import sys

    run = [sys.executable, "-c", "from ssckit.cli import main; main()", "school", "ingest",
           "-w", str(city), "--host", "127.0.0.1"]
    for extra, code, text in (
            (["--port", "1883", "--workers", "0"], 2, "--workers: 0: at least 1 process"),
            (["--port", str(_closed_port()), "--workers", "2"], 1,
             "cannot connect to the MQTT broker at 127.0.0.1:")):
        r = subprocess.run(run + extra, capture_output=True, text=True, timeout=120)
        assert r.returncode == code, r.stderr
        assert text in r.stderr and "Traceback" not in r.stderr + r.stdout
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_ingest_command_with_two_workers_stores_every_reading(city: Path, broker: object):
    import signal
    import subprocess
    import sys

    from ssckit.school.payload import Reading, to_us
    from ssckit.school.publisher import publish_readings

    ws = Workspace.load(city)
    reg = load_registry(ws)
    devs = sorted(d.device_id for d in reg.devices.values() if "co2" in d.quantities)[:10]
    t0 = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    # 17 s past the minute: keys the sample city's own minute readings do not have
    rs = [Reading(d, "co2", to_us(t0) - (k + 1) * 60_000_000 + 17_000_000, 600.0 + k)
          for k in range(50) for d in devs]
    with Store.open(ws.store_path) as s:
        before = s.con.execute("SELECT count(*) FROM school_readings").fetchone()[0]
    cmd = [sys.executable, "-c", "from ssckit.cli import main; main()", "school", "ingest",
           "-w", str(city), "--host", broker.host, "--port", str(broker.port), "--workers", "2",
           "--flush-interval", "0.2"]
    published = False
    for _ in range(3):          # a stop may come before every message reached a worker
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        lines: list[str] = []
        deadline = time.monotonic() + 90
        while sum("ingest subscribed" in x for x in lines) < 2:
            line = proc.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(lines)
            lines.append(line)
        if not published:
            publish_readings(broker.host, broker.port, rs, registry=reg, per_message=5)
            published = True
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        out = "".join(lines) + proc.communicate(timeout=90)[0]
        assert proc.returncode == 0, out
        assert "Traceback" not in out and "workers=0 restarts=0" in out
        with Store.open(ws.store_path) as s:
            n = s.con.execute("SELECT count(*) FROM school_readings").fetchone()[0]
        if n - before == len(rs):
            break
    assert n - before == len(rs)
