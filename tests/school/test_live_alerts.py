"""Alerts inside ``ssckit serve --live``: a real server with its Mosquitto, ingester and
simulator, a CO₂ excursion published to its broker, and a real SMTP mailbox and webhook
receiver: exactly one e-mail (in the city's Russian) and one signed webhook, with
``ssckit school alerts --watch`` running beside it and across a restart of the server."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from ssckit.core.i18n import CYRILLIC_RE
from ssckit.core.notify import verify_signature
from ssckit.school.payload import Reading, to_us
from ssckit.school.publisher import publish_readings
from tests.conftest import _free_port
from tests.notify_receivers import WebhookReceiver, local_mailbox
from tests.school.conftest import find_mosquitto, load_registry, write_registry
from tests.school.ingest_helpers import wait_for

SECRET = "live-hook-secret"
DEVICE = "S01-R101-env0"
BOUNDARY = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            '"geometry": {"type": "Polygon", "coordinates": [[[500000, 0], [501000, 0], '
            '[501000, 1000], [500000, 1000], [500000, 0]]]}}]}')
CLI = [sys.executable, "-c", "from ssckit.cli import main; main()"]


def _city(root: Path, smtp_port: int, hook_url: str) -> Path:
    write_registry(root)
    (root / "boundary.geojson").write_text(BOUNDARY)
    doc = {"name": "Тестоград", "country": "XX", "year": 2026, "crs": "EPSG:32636",
           "boundary": "boundary.geojson", "synthetic": True, "language": "ru",
           "inputs": {"school": {"schools": "schools.csv", "rooms": "rooms.csv",
                                 "devices": "devices.csv"}},
           "settings": {"school": {"utc_offset_min": 180, "alerts": {
               "live_interval_s": 5,
               "email": {"smtp_host": "127.0.0.1", "smtp_port": smtp_port,
                         "sender": "alerts@city.test"},
               "webhook": {"secret_env": "SSCKIT_SCHOOL_HOOK"},
               "subscriptions": [{"role": "headteacher", "schools": ["S01"], "rules": ["co2"],
                                  "email": ["head@s01.test"], "webhook": hook_url}]}}}}
    (root / "city.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    return root


class _Process:
    """A command whose output lines are collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float, since: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[since:]:
                if m := re.search(pattern, line):
                    return m
            assert self.proc.poll() is None, "".join(self.lines)
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} within {timeout} s:\n" + "".join(self.lines))

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=10)
        self.proc.stdout.close()
        return "".join(self.lines)


def _excursion(start: datetime) -> list[Reading]:
    """30 minutes of CO₂ at 2 400-2 600 ppm (17 s past each minute: keys of their own)."""
    return [Reading(DEVICE, "co2", to_us(start + timedelta(minutes=k, seconds=17)),
                    2400.0 + 200 * (k % 2)) for k in range(30)]


def test_serve_live_sends_one_email_and_one_webhook(tmp_path: Path):
    if find_mosquitto() is None:
        pytest.skip("needs the Mosquitto MQTT broker (scripts/setup --test)")
    env = {**os.environ, "SSCKIT_SCHOOL_HOOK": SECRET, "COLUMNS": "200"}
    with local_mailbox() as (smtp_port, mails), WebhookReceiver() as hooks:
        city = _city(tmp_path / "city", smtp_port, hooks.url)
        serve = [*CLI, "serve", "-w", str(city), "--live", "--port", str(_free_port())]
        server = _Process(serve, env)
        watch = None
        try:
            port = int(server.wait_for(r"Mosquitto 127\.0\.0\.1:(\d+)", 120)[1])
            server.wait_for(r"school alerts: \d+ found", 120)
            watch = _Process([*CLI, "school", "alerts", "-w", str(city), "--watch", "2"], env)
            watch.wait_for(r"school alerts: \d+ found", 120)
            start = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) - \
                timedelta(hours=3)
            publish_readings("127.0.0.1", port, _excursion(start),
                             registry=load_registry(city), per_message=5)
            wait_for(lambda: bool(mails and hooks.received), 120, "the e-mail and the webhook")
            time.sleep(12)      # rounds of both the server (every 5 s) and --watch (2 s)
            assert len(mails) == 1 and len(hooks.received) == 1
            # a restart of the server: its first round sends nothing again
            server.stop()
            server = _Process(serve, env)
            server.wait_for(r"school alerts: \d+ found", 120)
            time.sleep(6)
        finally:
            out = server.stop() + (watch.stop() if watch else "")
        assert "Traceback" not in out, out
        assert len(mails) == 1 and len(hooks.received) == 1, out

        mail = mails[0]
        assert mail.rcpt_tos == ["head@s01.test"]
        msg = email.message_from_bytes(mail.original_content, policy=email.policy.default)
        subject, body = str(msg["Subject"]), msg.get_content()
        assert msg["X-Ssckit-Alert"].startswith(f"co2:S01:R101:{start:%Y%m%dT%H%M}")
        # the city speaks Russian: subject and body in Russian, numbers with Russian digits
        assert CYRILLIC_RE.search(subject) and "CO₂" in subject
        assert "выше 2\u202f000 ppm" in subject and "пик 2\u202f600 ppm" in subject
        assert "Правило: co2" in body and "Школа: S01 (North School)" in body
        # started 3 h ago in UTC, shown in the city's time (UTC+3)
        local = start + timedelta(hours=3)
        assert f"{local:%H:%M} (UTC+03:00)" in body

        headers, raw = hooks.received[0]
        assert verify_signature(SECRET.encode(), headers["x-ssckit-timestamp"], raw,
                                headers["x-ssckit-signature"])
        payload = json.loads(raw)
        assert payload["rule"] == "co2" and payload["school_id"] == "S01"
        assert payload["language"] == "ru" and payload["peak"] == 2600.0
