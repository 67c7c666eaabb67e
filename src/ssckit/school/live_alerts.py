"""School alerts inside ``ssckit serve --live``: the rules of ``settings.school.alerts``
evaluated as readings arrive, delivered through the same delivery log as
``ssckit school alerts``.

A round runs soon after the live ingester stores a batch (a few seconds later, so that one
minute's readings are in), and at least every ``live_interval_s`` seconds (silent sensors,
retries, the end of quiet hours). Each round is :func:`ssckit.school.notify_rules.run_alerts`
under the workspace's alert-round lock, so this feed, a restart of it and a
``ssckit school alerts --watch`` beside it never send a notice twice: the alert key and the
delivery log say what went out, and only one round at a time reads and writes the log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssckit.core.errors import InputError
from ssckit.core.store import Store, StoreBusyError
from ssckit.school.notify_rules import AlertSettings, RoundResult, run_alerts
from ssckit.school.schema import Registry

#: Seconds between a stored batch and the round it triggers: the rest of that minute's
#: messages arrive meanwhile [s].
SETTLE_S = 2.0


@dataclass
class LiveAlerts:
    """A thread running alert rounds until :meth:`stop`; :meth:`readings_stored` (the live
    ingester's per-batch hook) asks for a round soon."""

    store_path: Path
    registry: Registry
    settings: AlertSettings
    root: Path | None
    utc_offset_min: int = 0
    where: str = "city.yaml"
    city_language: str | None = None
    log: Callable[[str], None] = print
    settle_s: float = SETTLE_S
    rounds: int = 0
    last: RoundResult | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _arrived: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _said: set[str] = field(default_factory=set)

    def start(self) -> LiveAlerts:
        self._thread = threading.Thread(target=self._loop, name="school-alerts", daemon=True)
        self._thread.start()
        self.log(f"school alerts evaluated live: after new readings and every "
                 f"{self.settings.live_interval_s:g} s")
        return self

    def readings_stored(self, *_args: Any) -> None:
        self._arrived.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        store = None
        while not self._stop.is_set():
            if store is None:
                try:
                    store = Store.open(self.store_path)
                except (InputError, StoreBusyError) as exc:     # busy: try again later
                    self._say_once(f"school alerts: {exc}")
            if store is not None:
                self.round(store)
            due = time.monotonic() + self.settings.live_interval_s
            while not self._stop.is_set() and not self._arrived.is_set() and \
                    time.monotonic() < due:
                self._arrived.wait(0.5)
            if self._arrived.is_set():
                self._stop.wait(self.settle_s)
                self._arrived.clear()
        if store is not None:
            store.close()

    def round(self, store: Store) -> RoundResult | None:
        """One round; a failure is said in one line (once per distinct text) and the feed
        goes on."""
        try:
            res = run_alerts(store, self.registry, self.settings, self.root,
                             datetime.now(UTC).replace(tzinfo=None), self.utc_offset_min,
                             self.where, log=self.log, city_language=self.city_language,
                             lock_wait_s=0.0)
        except (InputError, StoreBusyError) as exc:
            self._say_once(f"school alerts: {exc}")
            return None
        except Exception as exc:  # noqa: BLE001 - the server must outlive a failed round
            self._say_once(f"school alerts: the round failed ({type(exc).__name__}: {exc})")
            return None
        if res.skipped:           # `ssckit school alerts` is running a round right now
            self._say_once(res.line())
            return res
        self.rounds += 1
        self.last = res
        d = res.deliveries
        if self.rounds == 1 or res.new or d.get("sent") or d.get("failed"):
            self.log(res.line())
        return res

    def _say_once(self, line: str) -> None:
        if line not in self._said:
            self._said.add(line)
            self.log(line)


def live_alerts(ws: Any, registry: Registry, settings: Any,
                log: Callable[[str], None]) -> LiveAlerts | None:
    """The :class:`LiveAlerts` of workspace ``ws`` (not started), or None when
    ``settings.school.alerts`` is empty, says ``live: false``, or is wrong (then said in one
    line: the server runs on without them)."""
    from ssckit.school.notify_rules import alert_settings, channels
    from ssckit.school.storage import readings_root

    if not settings.alerts:
        return None
    where = str(ws.path("city.yaml"))
    try:
        cfg = alert_settings(settings.alerts, where)
        if not cfg.live:
            return None
        channels(cfg, where)            # a missing webhook secret is said now, once
    except InputError as exc:
        log(f"no live school alerts: {exc}")
        return None
    return LiveAlerts(ws.store_path, registry, cfg, readings_root(ws.root),
                      settings.utc_offset_min, where, ws.config.language, log)
