"""Scaled-out ingest: workers on an MQTT 5 shared subscription, one writer, and the crashes
(worker SIGKILL, broker SIGKILL, writer SIGKILL) that must lose and duplicate nothing."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.school.ingest_workers import WorkerConfig, check_broker, run_workers, shared_topic
from ssckit.school.payload import Reading, to_us
from ssckit.school.publisher import group_messages, publish_payloads
from ssckit.school.schema import read_registry
from tests.school.ingest_helpers import IngestProcess, expected_readings, paced, wait_for

N_MINUTES = 1000           # x 40 room sensors x 5 quantities = 200 000 readings

def kill_broker(broker: object) -> None:
    """SIGKILL: no save on the way out; the broker restarts from its last autosave."""
    broker.proc.send_signal(signal.SIGKILL)
    broker.proc.wait(timeout=10)
    broker.proc = None


def save_every_second(broker: object) -> None:
    broker.conf.write_text(broker.conf.read_text().replace("autosave_interval 60",
                                                           "autosave_interval 1"))
    broker.restart()


def test_two_workers_survive_worker_broker_and_writer_sigkill(
        tmp_path: Path, registry_factory: Callable[..., Path], broker: object) -> None:
    """200 000 readings in 5-reading SenML packs through two workers on a shared subscription:
    a worker is SIGKILLed mid-stream (the supervisor restarts it), the broker is SIGKILLed
    (restored from its last autosave; the publisher replays its window), then the writer
    itself is SIGKILLed and started again; exactly the 200 000 readings are stored."""
    save_every_second(broker)
    reg_dir = registry_factory(tmp_path / "registry", devices_per_room=10)
    registry = read_registry(reg_dir / "schools.csv", reg_dir / "rooms.csv",
                             reg_dir / "devices.csv")
    start = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) - timedelta(
        minutes=N_MINUTES + 10)
    readings = expected_readings(registry, start, N_MINUTES)
    assert len(readings) == 200_000
    school_of = {d: dev.school_id for d, dev in registry.devices.items()}
    messages = list(group_messages(readings, school_of, "senml", per_message=5))
    assert len(messages) == 40_000                # one per device and minute

    sup = IngestProcess(tmp_path, reg_dir, broker, 1, client_id="crash", batch_size=1000,
                        workers=2)
    acked = [0]
    report = []

    def publish() -> None:
        report.append(publish_payloads(
            broker.host, broker.port, paced(messages, 4000.0), timeout=300,
            replay_window=8.0, progress=lambda m, _r: acked.__setitem__(0, m)))

    publisher = threading.Thread(target=publish)
    publisher.start()
    try:
        # 1. SIGKILL worker 1 while it is ingesting; the supervisor restarts it
        wait_for(lambda: acked[0] > 0.25 * len(messages) and sup.last("table_readings") > 0,
                 120, "a quarter of the stream")
        first_pid = sup.worker_pids(1)[-1]
        os.kill(first_pid, signal.SIGKILL)
        wait_for(lambda: len(sup.worker_pids(1)) == 2, 60, "worker 1 to be restarted")
        assert f"ingest worker 1 (pid {first_pid}) was killed by SIGKILL" in sup.text()
        # 2. SIGKILL the broker mid-stream and start it again from its last save
        wait_for(lambda: acked[0] > 0.5 * len(messages), 120, "half of the stream")
        assert publisher.is_alive()
        kill_broker(broker)
        time.sleep(0.3)
        broker.start()
        # 3. SIGKILL the writer (the supervisor): its workers leave; a new one takes over
        wait_for(lambda: acked[0] > 0.75 * len(messages), 120, "three quarters")
        sup.proc.send_signal(signal.SIGKILL)
        sup.proc.wait()
        workers = [p for k in (1, 2) for p in sup.worker_pids(k)[-1:]]
        wait_for(lambda: not any(Path(f"/proc/{p}").exists() for p in workers), 30,
                 "the orphaned workers to leave")
        assert 0 < sup.last("table_readings") < 200_000
        sup.close()
        sup = IngestProcess(tmp_path, reg_dir, broker, 2, client_id="crash", batch_size=1000,
                            workers=2)
        publisher.join(timeout=300)
        assert not publisher.is_alive() and report, "the publisher did not finish"
        assert report[0].messages == len(messages)
        assert report[0].replayed > 0            # the window before the broker's death
        wait_for(lambda: sup.last("table_readings") >= 200_000, 180, "200 000 readings")
        time.sleep(1.0)                           # late redeliveries are duplicates
        sup.proc.send_signal(signal.SIGTERM)
        assert sup.proc.wait(timeout=60) == 0, sup.text()
        assert "ingest stopped" in sup.text()
    finally:
        sup.close()
        publisher.join(timeout=5)

    with Store.open(tmp_path / "ssckit.duckdb", read_only=True) as store:
        cur = store.cursor()
        try:
            assert cur.execute("SELECT count(*), count(DISTINCT (device_id, quantity, ts)) "
                               "FROM school_readings").fetchone() == (200_000, 200_000)
            got = cur.execute("SELECT device_id, quantity, epoch_us(ts), value "
                              "FROM school_readings").fetchall()
            assert cur.execute("SELECT count(*) FROM school_quarantine").fetchone() == (0,)
        finally:
            cur.close()
    assert sorted(got) == sorted(tuple(r) for r in readings)


def test_workers_share_the_stream_and_stop_cleanly(
        tmp_path: Path, registry: object, broker: object) -> None:
    """In process: two workers each take part of the stream (the broker shares it), the
    counts add up, and a stop event ends both after their last batch."""
    t0 = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) - timedelta(hours=3)
    devices = sorted(d for d, dev in registry.devices.items() if dev.room_id)
    rs = [Reading(d, "co2", to_us(t0 + timedelta(minutes=m)), 500.0 + m)
          for m in range(120) for d in devices]
    school_of = {d: dev.school_id for d, dev in registry.devices.items()}
    stop = threading.Event()
    seen: list[object] = []
    log: list[str] = []
    config = WorkerConfig(broker.host, broker.port, client_id="share", batch_size=50,
                          flush_interval=0.1)
    runner = threading.Thread(target=lambda: seen.append(run_workers(
        tmp_path / "s.duckdb", registry, config, workers=2, stop_event=stop,
        progress=lambda s: seen.append(s.table_readings), log=log.append)))
    runner.start()
    try:
        wait_for(lambda: sum("ingest subscribed" in x for x in log) == 2, 90, "two workers")
        publish_payloads(broker.host, broker.port,
                         list(group_messages(rs, school_of, "senml", per_message=4)))
        wait_for(lambda: len(seen) > 0 and seen[-1] == len(rs), 60, "every reading")
    finally:
        stop.set()
        runner.join(timeout=90)
    assert not runner.is_alive()
    stats = seen[-1]
    assert (stats.accepted, stats.duplicates, stats.workers) == (len(rs), 0, 0)
    assert stats.messages == len(rs) // 4
    # both took part: the broker shared the stream between them
    shares = [int(n) for x in log for n in re.findall(r"ingest worker \d stopped after (\d+) "
                                                        "messages", x)]
    assert len(shares) == 2 and all(n > 0 for n in shares) and sum(shares) == stats.messages


def test_user_mistakes_are_one_line(tmp_path: Path, registry: object) -> None:
    with pytest.raises(InputError, match=r"--workers: 0: at least 1 worker"):
        run_workers(tmp_path / "s.duckdb", registry, WorkerConfig("127.0.0.1", 1), workers=0)
    with pytest.raises(InputError, match=r"share name must be non-empty"):
        shared_topic("a/b", "ssckit/school/+/+")
    port = _closed_port()
    with pytest.raises(ConnectionError, match=rf"cannot connect to the MQTT broker at "
                                              rf"127.0.0.1:{port} \(.*--host/--port"):
        check_broker("127.0.0.1", port, timeout=2)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
