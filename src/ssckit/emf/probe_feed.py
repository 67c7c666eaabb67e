"""The sample city's E-field probe, streaming beside ``ssckit serve --live`` (synthetic data).

Only a synthetic (sample) workspace streams: each probe of ``inputs.emf.probes`` reports
``e_field_v_m`` once a minute as a SenML pack through the Smart School ingest (the function
behind ``POST /api/v1/school/readings``, the same validation as MQTT), after a back-fill of
the last 24 hours every 15 minutes. The sample school registry lists each probe as a device of
the school nearest to it (``devices.csv``, written by :func:`write_probe_devices`);
a probe it does not list is left out of the feed, said in one line. A real city's probes report
themselves over MQTT or HTTP and need no feed.
"""

from __future__ import annotations

import csv
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from ssckit.core.errors import InputError
from ssckit.core.sample import SampleCity
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.emf.limits import Z0_OHM, limit_power_density
from ssckit.emf.register import (
    PROBE_QUANTITY,
    Probe,
    load_probes,
    predicted_at,
    read_probes_csv,
    sample_probe_field,
    strictest_power_density,
)

#: Minutes between two back-filled readings, and how far back the back-fill reaches.
BACKFILL_STEP_MIN = 15
BACKFILL_H = 24


def _minute(t: datetime) -> int:
    return int(t.replace(tzinfo=UTC).timestamp() // 60)


def _senml(readings: list[tuple[str, datetime, float]]) -> str:
    import json

    return json.dumps([{"n": f"urn:dev:ssckit:{dev}:{PROBE_QUANTITY}", "u": "V/m",
                        "t": t.replace(tzinfo=UTC).timestamp(), "v": v}
                       for dev, t, v in readings])


class ProbeFeed:
    """A thread storing each probe's synthetic reading once a minute; :meth:`stop` ends it."""

    def __init__(self, ws: Workspace, probes: list[Probe], registry: Any,
                 predicted_e_v_m: dict[str, float], log: Callable[[str], None]) -> None:
        self.ws, self.probes, self.registry = ws, probes, registry
        self.predicted = predicted_e_v_m
        self.log = log
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="emf-probe-feed", daemon=True)
        self.stored = 0

    def readings(self, times: list[datetime]) -> list[tuple[str, datetime, float]]:
        return [(p.device_id, t, sample_probe_field(self.predicted[p.device_id], _minute(t)))
                for t in times for p in self.probes]

    def store(self, times: list[datetime]) -> None:
        from ssckit.school.ingest import ingest_body
        from ssckit.school.schema import ensure_tables

        with Store.open(self.ws.store_path) as store:
            ensure_tables(store)
            res = ingest_body(store, self.registry, _senml(self.readings(times)))
        self.stored += res.accepted
        if res.quarantined:
            self.log(f"EMF probe feed: {res.quarantined} reading(s) refused "
                     f"({', '.join(res.reasons)})")

    def _run(self) -> None:
        now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
        steps = BACKFILL_H * 60 // BACKFILL_STEP_MIN
        try:
            self.store([now - timedelta(minutes=BACKFILL_STEP_MIN * k)
                        for k in range(steps, -1, -1)])
        except Exception as exc:  # noqa: BLE001 - a feed hiccup must not stop the server
            self.log(f"EMF probe feed: back-fill failed ({exc})")
        while not self.stop_event.wait(60 - datetime.now(UTC).second):
            try:
                self.store([datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)])
            except Exception as exc:  # noqa: BLE001
                self.log(f"EMF probe feed: storing failed ({exc}); retrying next minute")

    def start(self) -> ProbeFeed:
        self.thread.start()
        self.log(f"live EMF probe feed (synthetic): {', '.join(p.device_id for p in self.probes)}"
                 " → Smart School ingest → store")
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)


def write_probe_devices(city: SampleCity, probes_file: str) -> str:
    """Register each E-field probe of ``probes_file`` as a building-level device of the sample
    school nearest to it, reporting ``e_field_v_m``, in the school registry's ``devices.csv``.

    The emf module's sample part (:func:`ssckit.emf.sample.write_sample`) runs before the
    school module's, which writes its schools' own devices into the same file after these rows
    (``ssckit.school.sample``). The distance is measured on a local equirectangular plane.
    """
    from ssckit.school.sample import sample_registry_rows
    from ssckit.school.schema import DEVICE_COLUMNS

    schools = sample_registry_rows(city)[0]
    rows = []
    for p in read_probes_csv(city.root / probes_file):
        cos = math.cos(math.radians(p.lat))
        near = min(schools, key=lambda s: (float(s["lat"]) - p.lat) ** 2
                   + ((float(s["lon"]) - p.lon) * cos) ** 2)
        rows.append({"device_id": p.device_id, "school_id": near["id"], "room_id": "",
                     "quantities": PROBE_QUANTITY})
    with open(city.root / "devices.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(DEVICE_COLUMNS))
        w.writeheader()
        w.writerows(rows)
    return "devices.csv"


def start_probe_feed(ws: Workspace, log: Callable[[str], None]) -> ProbeFeed | None:
    """The sample city's probe feed, started; None for a real city, a workspace without
    probes or without a school registry (said in one line)."""
    if not ws.config.synthetic:
        return None
    from ssckit.school.run import load_registry

    try:
        probes = load_probes(ws)
        registry = load_registry(ws) if probes else None
        if not probes or registry is None or not registry.schools:
            return None
        predicted, _, ls = predicted_at(ws, np.array([p.lat for p in probes]),
                                        np.array([p.lon for p in probes]),
                                        np.array([p.height_m for p in probes]))
    except InputError as exc:
        log(f"no EMF probe feed: {exc}")
        return None
    unlisted = [p.device_id for p in probes if p.device_id not in registry.devices]
    if unlisted:
        log(f"EMF probe feed: {', '.join(unlisted)} not in the school registry's devices "
            "(inputs.school.devices); add each as a device reporting e_field_v_m to feed it")
    e_pred = {}
    for p, r in zip(probes, predicted.tolist(), strict=True):
        s_lim = (float(limit_power_density(ls, p.freq_mhz)) if p.freq_mhz is not None
                 else strictest_power_density(ls))
        e_pred[p.device_id] = math.sqrt(r * Z0_OHM * s_lim)
    listed = [p for p in probes if p.device_id in registry.devices]
    return ProbeFeed(ws, listed, registry, e_pred, log).start() if listed else None
