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
