"""Fixtures of the school tests: a real Mosquitto broker and a small registry."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssckit.school.schema import SCHOOL_COLUMNS, Registry, read_registry

MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/bin/mosquitto")


def find_mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((p for p in MOSQUITTO_PATHS if Path(p).exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A Mosquitto process on 127.0.0.1 with persistence in a private folder; restartable."""

    def __init__(self, exe: str, folder: Path) -> None:
        self.exe = exe
        self.folder = folder
        self.host = "127.0.0.1"
        self.port = free_port()
        self.log = folder / "mosquitto.log"
        self.conf = folder / "mosquitto.conf"
        (folder / "data").mkdir(exist_ok=True)
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            f"user {getpass.getuser()}\n"
            "persistence true\n"
            f"persistence_location {folder / 'data'}/\n"
            "autosave_interval 60\n"
            "max_queued_messages 200000\n"
            "max_inflight_messages 1000\n"
            "message_size_limit 0\n"
            f"log_dest file {self.log}\n"
            "log_type error\nlog_type warning\nlog_type notice\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = self.log.read_text() if self.log.exists() else ""
                    raise RuntimeError(
                        f"mosquitto did not start on port {self.port}:\n{log}") from None
                time.sleep(0.02)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM): Mosquitto saves its persistent sessions and queues."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running Mosquitto broker (persistence on) that a test may restart."""
    exe = find_mosquitto()
    if exe is None:
        pytest.skip("needs the Mosquitto MQTT broker (Debian: apt-get install mosquitto, "
                    "or scripts/setup --test)")
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    b = Broker(exe, folder)
    b.start()
    try:
        yield b
    finally:
        b.stop()


SCHOOLS_CSV = ",".join(SCHOOL_COLUMNS) + """
S01,North School,46.2,6.1,400,40,3000,100,20,50
S02,South School,46.1,6.2,250,25,2000,50,10,50
"""
ROOMS_CSV = """school_id,room_id,type,area_m2,capacity,timetable
S01,R101,classroom,60,28,mon-fri 08:00-15:00
S01,R102,classroom,60,28,mon-fri 08:00-15:00
S02,R201,lab,80,24,mon-fri 08:00-15:00
S02,R202,gym,300,60,mon-fri 08:00-15:00
"""
ENV = "co2;temperature;humidity;pm25;noise"


def write_registry(folder: Path, devices_per_room: int = 1) -> Path:
    """Write schools.csv, rooms.csv, devices.csv into ``folder``; return ``folder``.

    Each room gets ``devices_per_room`` environment sensors ``<school>-<room>-env<k>`` reporting
    co2, temperature, humidity, pm25 and noise; each school a meter ``<school>-meter`` and a
    connectivity probe ``<school>-net``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schools.csv").write_text(SCHOOLS_CSV)
    (folder / "rooms.csv").write_text(ROOMS_CSV)
    lines = ["device_id,school_id,room_id,quantities"]
    for school, room in (("S01", "R101"), ("S01", "R102"), ("S02", "R201"), ("S02", "R202")):
        for k in range(devices_per_room):
            lines.append(f"{school}-{room}-env{k},{school},{room},{ENV}")
    for school in ("S01", "S02"):
        lines.append(f"{school}-meter,{school},,electricity;heat")
        lines.append(f"{school}-net,{school},,download;upload;latency;online")
    (folder / "devices.csv").write_text("\n".join(lines) + "\n")
    return folder


def load_registry(folder: Path) -> Registry:
    return read_registry(folder / "schools.csv", folder / "rooms.csv", folder / "devices.csv")


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    return write_registry(tmp_path / "registry")


@pytest.fixture
def registry(registry_dir: Path) -> Registry:
    return load_registry(registry_dir)


@pytest.fixture
def registry_factory() -> object:
    """``registry_factory(folder, devices_per_room=1) -> folder``: write a registry there."""
    return write_registry
