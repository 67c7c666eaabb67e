"""Ingestion through a real Mosquitto broker, HTTP bodies, and the reliability guarantees."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ssckit.core.store import Store
from ssckit.school.ingest import IngestStats, ingest_body, run_ingester
from ssckit.school.payload import Reading, to_us
from ssckit.school.publisher import group_messages, publish_payloads, publish_readings
from ssckit.school.schema import ensure_tables
from tests.school.ingest_helpers import IngestProcess, expected_readings, paced, wait_for

DEV = "S01-R101-env0"


def now_minute() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)


def stored(store_path: Path) -> tuple[int, int, list[tuple[str, str]]]:
    with Store.open(store_path, read_only=True) as s:
        cur = s.cursor()
        n = cur.execute("SELECT count(*) FROM school_readings").fetchone()[0]
        distinct = cur.execute("SELECT count(*) FROM (SELECT DISTINCT device_id, quantity, ts "
                               "FROM school_readings)").fetchone()[0]
        q = cur.execute("SELECT channel, reason FROM school_quarantine").fetchall()
    return n, distinct, q


# -- HTTP bodies -------------------------------------------------------------------------------
def test_ingest_body_counts(tmp_path: Path, registry: object) -> None:
    t = now_minute() - timedelta(minutes=5)
    with Store.open(tmp_path / "s.duckdb") as store:
        ensure_tables(store)
        body = json.dumps({"device": DEV, "ts": t.isoformat() + "Z",
                           "readings": {"co2": 700, "temperature": 21.5, "noise": 500}})
        r = ingest_body(store, registry, body)
        assert (r.accepted, r.duplicates, r.quarantined) == (2, 0, 1)
        assert r.reasons == {"out_of_range": 1}
        pack = [{"bn": f"urn:dev:ssckit:{DEV}:", "bt": to_us(t) / 1e6, "n": "co2", "v": 700},
                {"n": "co2", "t": 60, "v": 710}]
        r = ingest_body(store, registry, json.dumps(pack).encode())
        assert (r.accepted, r.duplicates, r.quarantined) == (1, 1, 0)
        r = ingest_body(store, registry, b"\x00garbage")
        assert (r.accepted, r.quarantined, r.reasons) == (0, 1, {"bad_json": 1})
        rows = store.cursor().execute(
            "SELECT channel, payload, reason FROM school_quarantine ORDER BY reason").fetchall()
    assert rows[0][0] == "http" and rows[0][2].startswith("bad_json: ")
    assert json.loads(rows[1][1])["readings"] == {"noise": 500}
    assert rows[1][2].startswith("out_of_range: noise value 500 dBA")


# -- through the broker, in process ------------------------------------------------------------
class InProcess:
    """run_ingester in a thread; ``stats`` is the latest progress report."""

    def __init__(self, store_path: Path, registry: object, broker: object, **kw: object):
        self.stop = threading.Event()
        self.stats: IngestStats | None = None
        self.result: list[IngestStats] = []
        self.log: list[str] = []
        self.thread = threading.Thread(target=lambda: self.result.append(run_ingester(
            store_path, registry, broker.host, broker.port, stop_event=self.stop,
            progress=self._progress, log=self.log.append, **kw)))

    def _progress(self, stats: IngestStats) -> None:
        self.stats = stats

    def __enter__(self) -> InProcess:
        self.thread.start()
        wait_for(lambda: any("subscribed" in line for line in self.log), 20, "a subscription")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()

    def readings(self) -> int:
        return self.stats.table_readings if self.stats and self.stats.table_readings else 0


def test_ingest_through_mosquitto(tmp_path: Path, registry: object, broker: object) -> None:
    db = tmp_path / "s.duckdb"
    t0 = now_minute() - timedelta(hours=1)
    rs = [Reading(d, q, to_us(t0 + timedelta(minutes=m)), 20.0 + m / 10)
          for m in range(30) for d in (DEV, "S02-R201-env0")
          for q in ("temperature", "humidity", "noise")]
    with InProcess(db, registry, broker, batch_size=10, flush_interval=0.1) as ing:
        senml = publish_readings(broker.host, broker.port, rs[:90], registry=registry,
                                 per_message=7)
        simple = publish_readings(broker.host, broker.port, rs[90:], registry=registry,
                                  fmt="simple")
        assert (senml.readings, simple.readings) == (90, 90)
        assert (senml.messages, simple.messages) == (14, 30)    # simple: per device and minute
        publish_payloads(broker.host, broker.port, [
            ("ssckit/school/S01/S01-R101-env0", b"not json", 0),
            ("ssckit/school/S02/S01-R101-env0", format_one(DEV, t0), 1),    # wrong school
            ("ssckit/school/S01/S01-R101-env0", format_one(DEV, t0), 1)])   # a duplicate
        wait_for(lambda: ing.readings() == 180 and ing.stats.quarantined == 2, 20,
                 "180 readings and 2 quarantined")
    stats = ing.result[0]
    assert (stats.accepted, stats.duplicates, stats.quarantined) == (180, 1, 2)
    assert stats.reasons == {"bad_json": 1, "topic_mismatch": 1}
    assert stats.messages == 14 + 30 + 3 and stats.batches >= 5
    n, distinct, quarantine = stored(db)
    assert n == distinct == 180
    assert sorted(q[0] for q in quarantine) == ["mqtt:ssckit/school/S01/S01-R101-env0",
                                                "mqtt:ssckit/school/S02/S01-R101-env0"]


def format_one(device: str, t: datetime) -> bytes:
    return json.dumps({"device": device, "ts": t.isoformat() + "Z",
                       "readings": {"temperature": 20.0}}).encode()


def test_messages_published_while_the_ingester_is_away_are_kept(
        tmp_path: Path, registry: object, broker: object) -> None:
    db = tmp_path / "s.duckdb"
    with InProcess(db, registry, broker, client_id="persist-test"):
        pass                                    # subscribes, then goes away
    t0 = now_minute() - timedelta(hours=2)
    rs = [Reading(DEV, "co2", to_us(t0 + timedelta(minutes=m)), 500.0) for m in range(100)]
    publish_readings(broker.host, broker.port, rs, registry=registry, per_message=10)
    broker.restart()                            # the queued messages survive this too
    with InProcess(db, registry, broker, client_id="persist-test") as ing:
        wait_for(lambda: ing.readings() == 100, 20, "100 readings after reconnecting")
    assert stored(db)[:2] == (100, 100)


# -- the reliability test ----------------------------------------------------------------------
N_MINUTES = 1000          # x 20 devices x 5 quantities = 100 000 readings
def malformed(t: datetime) -> list[tuple[str, str, bytes]]:
    """(expected reason code, topic, payload): ten and more kinds of bad message."""
    ok = {"device": DEV, "ts": t.isoformat() + "Z", "readings": {"co2": 800}}

    def simple(**kw: object) -> bytes:
        return json.dumps({**ok, **kw}).encode()

    topic = f"ssckit/school/S01/{DEV}"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    return [
        ("bad_json", topic, b'{"device": "S01-R101-env0", '),
        ("bad_structure", topic, b"[42]"),
        ("missing_field", topic, json.dumps({"device": DEV, "readings": {"co2": 1}}).encode()),
        ("unknown_device", "ssckit/school/S01/S01-ghost", simple(device="S01-ghost")),
        ("quantity_not_reported", topic, simple(readings={"download": 95.0})),
        ("wrong_unit", topic, simple(readings={"temperature": 70}, units={"temperature": "°F"})),
        ("out_of_range", topic, simple(readings={"co2": 40_000})),
        ("non_numeric", topic, simple(readings={"co2": "high"})),
        ("future_timestamp", topic, simple(ts=future)),
        ("old_timestamp", topic, simple(ts="1999-12-31T23:59:00Z")),
        ("bad_timestamp", topic, simple(ts="last tuesday")),
        ("bad_name", topic, json.dumps([{"n": "thermometer:co2", "v": 800}]).encode()),
        ("topic_mismatch", f"ssckit/school/S02/{DEV}", simple()),
        ("unsupported_senml", topic, json.dumps([{"bver": 99, "n": "co2", "v": 800}]).encode()),
    ]


def test_reliability_broker_restart_and_ingester_kill(
        tmp_path: Path, registry_factory: Callable[..., Path], broker: object) -> None:
    """100 000 readings at QoS 1; the broker restarts and the ingester is SIGKILLed mid-stream;
    exactly 100 000 distinct readings are stored; then every kind of bad message is
    quarantined with its reason."""
    from ssckit.school.schema import read_registry

    reg_dir = registry_factory(tmp_path / "registry", devices_per_room=5)
    registry = read_registry(reg_dir / "schools.csv", reg_dir / "rooms.csv",
                             reg_dir / "devices.csv")
    start = now_minute() - timedelta(minutes=N_MINUTES + 10)
    readings = expected_readings(registry, start, N_MINUTES)
    assert len(readings) == 100_000
    school_of = {d: dev.school_id for d, dev in registry.devices.items()}
    # S01 devices send SenML packs of 10 readings, S02 devices simple messages (5 readings)
    s01 = group_messages((r for r in readings if r.device_id.startswith("S01")), school_of,
                         "senml", per_message=10)
    s02 = group_messages((r for r in readings if r.device_id.startswith("S02")), school_of,
                         "simple")
    messages = [m for pair in itertools.zip_longest(s01, s02) for m in pair if m is not None]
    assert len(messages) == 5_000 + 10_000

    ingester = IngestProcess(tmp_path, reg_dir, broker, 1, client_id="reliability",
                             batch_size=2000)
    acked = [0]
    report = []
    restarted = threading.Event()

    def publish() -> None:
        report.append(publish_payloads(
            broker.host, broker.port,
            paced(iter(messages), 1500.0, (int(0.85 * len(messages)), restarted)),
            timeout=180, progress=lambda m, _r: acked.__setitem__(0, m)))

    publisher = threading.Thread(target=publish)
    publisher.start()
    try:
        # 1. kill the ingester (SIGKILL) once it has stored part of the stream
        wait_for(lambda: acked[0] > 0.3 * len(messages) and ingester.last("table_readings") > 0,
                 60, "a third of the stream")
        ingester.proc.send_signal(signal.SIGKILL)
        ingester.proc.wait()
        at_kill = ingester.last("table_readings")
        assert 0 < at_kill < 100_000
        ingester.close()
        time.sleep(0.5)
        ingester = IngestProcess(tmp_path, reg_dir, broker, 2, client_id="reliability",
                                 batch_size=2000)
        # 2. restart the broker while the publisher is still publishing
        wait_for(lambda: acked[0] > 0.6 * len(messages), 60, "two thirds of the stream")
        assert publisher.is_alive()
        broker.restart()
        restarted.set()
        publisher.join(timeout=150)
        assert not publisher.is_alive() and report, "the publisher did not finish"
        assert report[0].messages == len(messages)
        # 3. everything arrives
        wait_for(lambda: ingester.last("table_readings") >= 100_000 or ingester.proc.poll()
                 is not None, 120, "100 000 stored readings")
        # 4. bad messages are quarantined, each with its reason
        bad = malformed(start)
        publish_payloads(broker.host, broker.port, [(t, p, 1) for _, t, p in bad])
        wait_for(lambda: ingester.last("table_quarantine") >= len(bad), 30, "the quarantine")
        ingester.proc.send_signal(signal.SIGTERM)
        assert ingester.proc.wait(timeout=30) == 0
        assert "ingest stopped" in ingester.text()
    finally:
        ingester.close()
        publisher.join(timeout=5)

    with Store.open(tmp_path / "ssckit.duckdb", read_only=True) as store:
        cur = store.cursor()
        assert cur.execute("SELECT count(*), count(DISTINCT (device_id, quantity, ts)) "
                           "FROM school_readings").fetchone() == (100_000, 100_000)
        got = cur.execute("SELECT device_id, quantity, epoch_us(ts), value "
                          "FROM school_readings").fetchall()
        assert sorted(got) == sorted(tuple(r) for r in readings)
        quarantine = cur.execute("SELECT channel, payload, reason FROM school_quarantine"
                                 ).fetchall()
    assert len(quarantine) == len(bad)
    for code, topic, payload in bad:
        hits = [q for q in quarantine if q[0] == f"mqtt:{topic}" and q[2].startswith(code + ": ")]
        assert hits, f"no quarantine row for {code}: {quarantine}"
        if code in ("bad_json", "bad_structure", "missing_field"):     # the whole message
            assert hits[0][1] == payload.decode()


HOLD_STORE = """
import sys, time, duckdb
deadline = time.monotonic() + 20
while True:
    try:
        con = duckdb.connect(sys.argv[1])
        break
    except duckdb.IOException:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_ingester_outlasts_a_store_busy_longer_than_the_wait(
        tmp_path: Path, registry: object, broker: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds the store past the wait: the ingester (as inside `ssckit serve
    --live`) keeps its batch unacknowledged, says so in one line, and stores it afterwards."""
    monkeypatch.setenv("SSCKIT_STORE_WAIT", "0.3")
    db = tmp_path / "s.duckdb"
    t0 = now_minute() - timedelta(hours=1)
    rs = [Reading(DEV, "temperature", to_us(t0 + timedelta(minutes=m)), 20.0 + m / 10)
          for m in range(40)]
    with InProcess(db, registry, broker, batch_size=10, flush_interval=0.1) as ing:
        holder = subprocess.Popen([sys.executable, "-c", HOLD_STORE, str(db), "3"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "held"
            publish_readings(broker.host, broker.port, rs, registry=registry, per_message=5)
            wait_for(lambda: any("ingest waiting" in line for line in ing.log), 20,
                     "the ingester to find the store busy")
            assert ing.thread.is_alive()
        finally:
            holder.wait(timeout=30)
            holder.stdout.close()
        wait_for(lambda: ing.readings() == 40, 30, "40 readings after the store was freed")
    busy = [line for line in ing.log if "ingest waiting" in line]
    assert busy and all("\n" not in line and str(db) in line for line in busy), busy
    n, distinct, _q = stored(db)
    assert n == distinct == 40
