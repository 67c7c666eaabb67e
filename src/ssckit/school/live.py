"""A live Smart School feed on one machine: a local Mosquitto broker, the ingester writing to
the workspace store, the simulator publishing each minute's readings as it comes, and the
alert rules evaluated as readings arrive (:mod:`ssckit.school.live_alerts`).

Used by ``ssckit serve --live`` (and ``ssckit demo``) so that the dashboard shows data arriving
through a real broker; ``ssckit school simulate`` publishes to any broker instead.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ssckit.school.payload import Reading
from ssckit.school.schema import Registry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Broker:
    """A Mosquitto broker on 127.0.0.1 with persistence in a temporary folder."""

    port: int
    proc: subprocess.Popen
    folder: Path

    @classmethod
    def start(cls, port: int | None = None) -> Broker:
        exe = shutil.which("mosquitto")
        if exe is None:
            raise RuntimeError("mosquitto is not installed (bash scripts/setup installs it)")
        port = port or free_port()
        folder = Path(tempfile.mkdtemp(prefix="ssckit-mqtt-"))
        conf = folder / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                        f"persistence_location {folder}/\nmax_queued_messages 200000\n",
                        encoding="utf-8")
        proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return cls(port, proc, folder)
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.05)
        proc.terminate()
        raise RuntimeError(f"mosquitto did not start on 127.0.0.1:{port}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def minute_readings(registry: Registry, start: datetime, minutes: int, seed: int,
                    utc_offset_min: int) -> Iterator[tuple[int, list[Reading]]]:
    """The simulator's readings from ``start`` on, grouped by minute: (epoch minute, readings).
    Simulated a day at a time, so memory stays that of one day however long the span."""
    from ssckit.school.simulate import MinuteSimulator

    days = max(1, int(np.ceil(minutes / 1440)))
    sim = MinuteSimulator(registry, np.datetime64(start.replace(tzinfo=None), "m"), days,
                          seed=seed, utc_offset_min=utc_offset_min, faults=False)
    for piece in sim.pieces():
        order = np.argsort(piece.ts, kind="stable")
        ts = piece.ts[order]
        dev = np.asarray(piece.device_ids, dtype=object)[piece.device[order]]
        qty = np.asarray(piece.quantities, dtype=object)[piece.quantity[order]]
        val = piece.value[order]
        bounds = np.flatnonzero(np.diff(ts)) + 1
        for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(ts)], strict=True):
            minute = int(ts[a])
            yield minute, [Reading(str(dev[i]), str(qty[i]), minute * 60_000_000,
                                   float(val[i])) for i in range(a, b)]


@dataclass
class LiveFeed:
    """Broker + ingester + simulator publisher, all stopped by :meth:`stop`."""

    store_path: Path
    registry: Registry
    seed: int = 0
    utc_offset_min: int = 0
    log: Callable[[str], None] = print
    broker: Broker | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    published: int = 0
    alerts: Any = None       # a ssckit.school.live_alerts.LiveAlerts, told of every batch

    def start(self) -> LiveFeed:
        from ssckit.school.ingest import run_ingester

        self.broker = Broker.start()
        port = self.broker.port
        ingest = threading.Thread(
            target=run_ingester, name="school-ingester", daemon=True,
            args=(self.store_path, self.registry, "127.0.0.1", port),
            kwargs={"stop_event": self.stop_event, "client_id": "ssckit-live-ingest",
                    "log": lambda m: None,
                    "on_batch": self.alerts.readings_stored if self.alerts else None})
        ingest.start()
        publish = threading.Thread(target=self._publish_loop, name="school-simulator",
                                   args=(port,), daemon=True)
        publish.start()
        self.threads = [ingest, publish]
        self.log(f"live Smart School feed: simulator → Mosquitto 127.0.0.1:{port} → store")
        if self.alerts is not None:
            self.alerts.start()
        return self

    def _publish_loop(self, port: int) -> None:
        from ssckit.school.publisher import publish_readings

        now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
        for minute, readings in minute_readings(self.registry, now, 1440, self.seed,
                                                self.utc_offset_min):
            while not self.stop_event.is_set() and time.time() < minute * 60:
                self.stop_event.wait(1.0)
            if self.stop_event.is_set():
                return
            try:
                rep = publish_readings("127.0.0.1", port, readings, registry=self.registry,
                                       per_message=200, client_id=None, timeout=30)
                self.published += getattr(rep, "readings", len(readings))
            except Exception as exc:  # noqa: BLE001 - a feed hiccup must not stop the server
                self.log(f"live feed: publishing failed ({exc}); retrying next minute")

    def stop(self) -> None:
        if self.alerts is not None:
            self.alerts.stop()
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=10)
        if self.broker is not None:
            self.broker.stop()
