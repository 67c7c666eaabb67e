"""What the ingest tests share: the ingester started as its own process (one process or a
supervisor with workers), the expected readings of a stream, pacing, and waiting."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ssckit.school.payload import Reading, to_us

INGEST = [sys.executable, "-m", "ssckit.school.ingest"]


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def expected_readings(registry: object, start: datetime, minutes: int) -> list[Reading]:
    """Every room sensor's every quantity each minute from ``start``, with values that vary
    by minute (so that a stored reading can be told from another)."""
    devices = sorted(d for d, dev in registry.devices.items() if dev.room_id)
    value = {"co2": lambda m: 400.0 + m % 900, "temperature": lambda m: 19.0 + (m % 50) / 10,
             "humidity": lambda m: 35.0 + m % 20, "pm25": lambda m: (m % 37) / 2,
             "noise": lambda m: 30.0 + m % 40}
    return [Reading(d, q, to_us(start + timedelta(minutes=m)), value[q](m))
            for m in range(minutes) for d in devices for q in registry.devices[d].quantities]


def paced(messages: Iterable[tuple[str, bytes, int]], per_second: float,
          hold: tuple[int, threading.Event] | None = None) -> Iterator[tuple[str, bytes, int]]:
    """``messages`` at ``per_second`` at most; with ``hold=(i, event)``, message ``i`` waits
    for ``event`` (so that the publisher is still publishing when the test needs it)."""
    start = time.monotonic()
    for i, m in enumerate(messages):
        if hold is not None and i == hold[0]:
            hold[1].wait(120)
        if i % 50 == 0:
            time.sleep(max(0.0, start + i / per_second - time.monotonic()))
        yield m


class IngestProcess:
    """``python -m ssckit.school.ingest`` (``workers`` > 1: the supervisor and its workers)
    with its output in a log file; returns once every process has subscribed."""

    def __init__(self, folder: Path, registry_dir: Path, broker: object, run: int, *,
                 client_id: str, batch_size: int, workers: int = 1) -> None:
        name = "ingest" if workers == 1 else "supervisor"
        self.log = folder / f"{name}-{run}.log"
        self.out = self.log.open("wb")
        self.proc = subprocess.Popen(
            INGEST + ["--store", str(folder / "ssckit.duckdb"), "--registry", str(registry_dir),
                      "--host", broker.host, "--port", str(broker.port),
                      "--workers", str(workers), "--client-id", client_id,
                      "--batch-size", str(batch_size), "--flush-interval", "0.2",
                      "--progress-interval", "0"],
            stdout=self.out, stderr=subprocess.STDOUT)
        marks = (["ingest subscribed"] if workers == 1 else
                 [f"worker {k}: ingest subscribed" for k in range(1, workers + 1)])
        wait_for(lambda: all(m in self.text() for m in marks) or self.proc.poll() is not None,
                 90, "the ingester to subscribe")
        assert self.proc.poll() is None, self.text()

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def last(self, key: str) -> int:
        found = re.findall(rf"\b{key}=(\d+)", self.text())
        return int(found[-1]) if found else 0

    def worker_pids(self, index: int) -> list[int]:
        return [int(p) for p in re.findall(rf"ingest worker {index} started pid=(\d+)",
                                           self.text())]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
