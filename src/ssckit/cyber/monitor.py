"""Continuous monitoring: the targets scanned on a schedule, each scan judged against the
baseline, regressions raised as alerts (:mod:`ssckit.cyber.alerts`) and delivered.

city.yaml::

    settings:
      cyber:
        baseline: national-baseline        # or a profile YAML file of the workspace
        monitor:
          schedule: "*/30 * * * *"         # cron (UTC): minute hour day-of-month month weekday
          # interval_s: 600                # or every so many seconds instead of a schedule
          concurrency: 8                   # services scanned at once
          per_host: 2                      # at most so many services of one host at once
          expiry_days: [30, 7]             # certificate alert thresholds [days]
          email: {smtp_host: 127.0.0.1, smtp_port: 25, sender: cert@city.example,
                  to: [soc@city.example], starttls: false}  # language: ru (else the city's)
          webhook: {url: "https://hooks.city.example/ssckit",
                    secret_env: SSCKIT_CYBER_WEBHOOK_SECRET}

``ssckit serve --live`` runs the schedule in a thread beside the web app (the face's ``live``);
``ssckit cyber monitor`` runs one round (or, with ``--forever``, the schedule) from the CLI.
A round that runs past the next slot is not run twice: the schedule continues at the first
slot after it ended.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ssckit.core.errors import InputError
from ssckit.core.notify import SmtpServer
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.cyber import alerts as alerting
from ssckit.cyber.baseline import DEFAULT_PROFILE, Profile, load_profile
from ssckit.cyber.scan import Scan, ScanOptions, scan_targets
from ssckit.cyber.scoring import indicator_values, score_service
from ssckit.cyber.store import latest_scan_id, load_scan, save_scan
from ssckit.cyber.targets import load_targets

# -- cron ---------------------------------------------------------------------------------------
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


def _field(text: str, lo: int, hi: int) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"step {step_text!r} must be at least 1")
        if body == "*":
            a, b = lo, hi
        elif "-" in body:
            a_text, b_text = body.split("-", 1)
            a, b = int(a_text), int(b_text)
        else:
            a = b = int(body)
            if step_text:
                b = hi
        if not (lo <= a <= b <= hi):
            raise ValueError(f"{part!r} is outside {lo}..{hi}")
        out.update(range(a, b + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class Cron:
    """A five-field cron schedule (minute hour day-of-month month weekday, 0 = Sunday), UTC.

    As in Vixie cron, when both day-of-month and weekday are restricted, a day matching
    either runs."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        parts = text.split()
        if len(parts) != 5:
            raise ValueError("a schedule has five fields: minute hour day month weekday")
        fields = [_field(p.replace("7", "0") if i == 4 else p, *_RANGES[i])
                  for i, p in enumerate(parts)]
        return cls(*fields, any_day=parts[2] == "*", any_weekday=parts[4] == "*")

    def _day_ok(self, t: datetime) -> bool:
        dom = t.day in self.days
        dow = (t.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow

    def next_after(self, t: datetime) -> datetime:
        """The first time of the schedule strictly after ``t`` (naive UTC)."""
        t = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + timedelta(days=366 * 5)
        while t < limit:
            if t.month not in self.months or not self._day_ok(t):
                t = (t + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if t.hour not in self.hours:
                t = (t + timedelta(hours=1)).replace(minute=0)
                continue
            if t.minute not in self.minutes:
                t += timedelta(minutes=1)
                continue
            return t
        raise ValueError("the schedule never runs")


# -- settings -----------------------------------------------------------------------------------
class EmailSettings(SmtpServer):
    to: list[str] = Field(min_length=1)
    language: str | None = Field(default=None, pattern=r"^(en|ru|be)$",
                                 description="Language of these recipients' alerts "
                                             "(default: the city's).")

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for a in value:
            if "@" not in a or any(c in a for c in " ,\r\n"):
                raise ValueError(f"{a!r} is not an e-mail address")
        return value


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://[^\s/]+")
    secret_env: str = Field(default="SSCKIT_CYBER_WEBHOOK_SECRET",
                            pattern=r"^[A-Z_][A-Z0-9_]*$",
                            description="Environment variable holding the HMAC secret.")
    language: str | None = Field(default=None, pattern=r"^(en|ru|be)$",
                                 description="Language of the payload's subject and text "
                                             "(default: the city's).")


class MonitorSettings(BaseModel):
    """``settings.cyber.monitor`` of city.yaml."""

    model_config = ConfigDict(extra="forbid")

    schedule: str | None = Field(default=None, description="Cron schedule (UTC).")
    interval_s: float | None = Field(default=None, ge=1, le=7 * 86400)
    concurrency: int = Field(default=8, ge=1, le=256)
    per_host: int = Field(default=2, ge=1, le=64)
    timeout_s: float = Field(default=60.0, ge=1, le=3600)
    connect_timeout_s: float = Field(default=5.0, ge=0.5, le=60)
    expiry_days: list[int] = Field(default_factory=lambda: [30, 7])
    email: EmailSettings | None = None
    webhook: WebhookSettings | None = None

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            Cron.parse(value).next_after(datetime(2026, 1, 1))
        return value

    @model_validator(mode="after")
    def _when(self) -> MonitorSettings:
        if self.schedule is None and self.interval_s is None:
            self.schedule = "*/30 * * * *"
        if self.schedule is not None and self.interval_s is not None:
            raise ValueError("give schedule or interval_s, not both")
        return self

    def next_after(self, t: datetime) -> datetime:
        if self.interval_s is not None:
            return t + timedelta(seconds=self.interval_s)
        return Cron.parse(self.schedule or "").next_after(t)

    def channels(self, where: str) -> list[Any]:
        out: list[Any] = []
        if self.email is not None:
            e = self.email
            out.append(alerting.EmailChannel(e.smtp_host, e.smtp_port, e.sender, list(e.to),
                                             e.starttls, ca_bundle=e.ca_bundle,
                                             language=e.language))
        if self.webhook is not None:
            secret = os.environ.get(self.webhook.secret_env, "")
            if not secret:
                raise InputError(where, "field 'settings.cyber.monitor.webhook.secret_env'",
                                 f"environment variable {self.webhook.secret_env} is not set "
                                 "(the webhook's HMAC secret)")
            out.append(alerting.WebhookChannel(self.webhook.url, secret.encode(),
                                               language=self.webhook.language))
        return out


def monitor_settings(ws: Workspace) -> MonitorSettings | None:
    from ssckit.cyber.indicators import settings

    return settings(ws).monitor


def profile_for(ws: Workspace) -> Profile:
    """The workspace's baseline (``settings.cyber.baseline``), by default the national one."""
    from ssckit.cyber.indicators import settings

    return load_profile(settings(ws).baseline or DEFAULT_PROFILE, Path(ws.root))


# -- one round ----------------------------------------------------------------------------------
@dataclass
class RoundReport:
    scan_id: str
    services: int
    alerts: list[alerting.Alert] = field(default_factory=list)
    deliveries: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return (f"cyber monitor: scan {self.scan_id}, {self.services} services, "
                f"{len(self.alerts)} new alert(s), {self.deliveries.get('sent', 0)} sent, "
                f"{self.deliveries.get('failed', 0)} failed deliveries")


def run_round(ws: Workspace, store: Store, log: Callable[[str], None] = lambda m: None,
              scan_hook: Callable[[Scan], None] | None = None) -> RoundReport:
    """Scan the workspace's targets once, store the scan and its indicator values, raise the
    alerts of what got worse since the last stored scan and deliver what is undelivered."""
    from ssckit.cyber.indicators import settings

    s = settings(ws)
    m = s.monitor or MonitorSettings()
    path = ws.input_path("cyber", "targets")
    if path is None:
        raise InputError(str(Path(ws.root) / "city.yaml"), "field 'inputs.cyber.targets'",
                         "monitoring needs a targets file")
    profile = profile_for(ws)
    channels = m.channels(str(Path(ws.root) / "city.yaml"))
    targets = load_targets(path)
    options = ScanOptions(concurrency=m.concurrency, timeout=m.timeout_s,
                          connect_timeout=m.connect_timeout_s, loopback_only=s.loopback_only,
                          per_host=m.per_host, dkim_selectors=tuple(s.dkim_selectors))
    with contextlib.ExitStack() as stack:
        if s.local_lab:
            from ssckit.cyber.sample import sample_lab

            targets = stack.enter_context(sample_lab(Path(ws.root), targets))
        scan = scan_targets(targets, options, source=path.name)
    if scan_hook is not None:
        scan_hook(scan)
    last = latest_scan_id(store)
    before = load_scan(store, last) if last else None
    found = alerting.detect(before, scan, profile, tuple(m.expiry_days))
    new = alerting.record(store, found)
    save_scan(store, scan)
    scores = [score_service(r) for r in scan.results]
    store.write_values(indicator_values(scores, scan.started_at.strftime("%Y-%m-%d"),
                                        {"targets": path.name, "scan_id": scan.scan_id,
                                         "monitor": True}))
    deliveries = (alerting.deliver(store, channels, s.loopback_only, log, ws.config.language)
                  if channels else {})
    report = RoundReport(scan.scan_id, len(scan.results), new, deliveries)
    log(report.line())
    return report


# -- the schedule -------------------------------------------------------------------------------
class Monitor:
    """Runs :func:`run_round` on the workspace's schedule in one thread until :meth:`stop`."""

    def __init__(self, ws: Workspace, settings: MonitorSettings,
                 log: Callable[[str], None] = print, run_first: bool = True) -> None:
        self.ws, self.settings, self.log = ws, settings, log
        self.run_first = run_first
        self.rounds = 0
        self.errors: list[str] = []
        self.reports: list[RoundReport] = []
        self._stop = threading.Event()
        self._round_done = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> Monitor:
        self._thread = threading.Thread(target=self._loop, name="ssckit-cyber-monitor",
                                        daemon=True)
        self._thread.start()
        when = "now, then " if self.run_first else ""
        how = (f"every {self.settings.interval_s:g} s" if self.settings.interval_s
               else f"on '{self.settings.schedule}' (UTC)")
        self.log(f"cyber monitor: scanning {when}{how}")
        return self

    def _loop(self) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        due = now if self.run_first else self.settings.next_after(now)
        while not self._stop.is_set():
            wait = (due - datetime.now(UTC).replace(tzinfo=None)).total_seconds()
            if wait > 0 and self._stop.wait(wait):
                return
            try:
                with Store.open(self.ws.store_path) as store:
                    self.reports.append(run_round(self.ws, store, self.log))
            except Exception as exc:  # one bad round must not end the monitoring
                msg = f"cyber monitor: round failed: {type(exc).__name__}: {exc}"
                self.errors.append(msg)
                self.log(msg)
            with self._round_done:
                self.rounds += 1
                self._round_done.notify_all()
            ended = datetime.now(UTC).replace(tzinfo=None)
            due = self.settings.next_after(due)
            while due <= ended:  # overran a slot: continue at the next one, never twice
                due = self.settings.next_after(due)

    def wait_rounds(self, n: int, timeout: float) -> bool:
        """Block until ``n`` rounds have ended (True) or ``timeout`` seconds passed."""
        with self._round_done:
            return self._round_done.wait_for(lambda: self.rounds >= n, timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
            self._thread = None


def start_monitor(ws: Workspace, log: Callable[[str], None]) -> Monitor | None:
    """The face's ``live``: monitor the targets when city.yaml has ``settings.cyber.monitor``
    and ``inputs.cyber.targets``; otherwise nothing (None)."""
    m = monitor_settings(ws)
    if m is None or ws.input_path("cyber", "targets") is None:
        return None
    try:
        profile_for(ws)
        m.channels(str(Path(ws.root) / "city.yaml"))
    except InputError as exc:
        log(f"no cyber monitoring: {exc}")
        return None
    return Monitor(ws, m, log).start()
