"""Sensor ingestion of the Smart School module: MQTT subscriber and HTTP body, into DuckDB.

The MQTT ingester subscribes (MQTT 5, QoS 1) to ``ssckit/school/<school_id>/<device_id>``
with a fixed client id and a persistent session (``clean_start`` false, a long session expiry),
so the broker keeps queueing while the ingester is down. Messages are collected into batches
(``batch_size`` messages or ``flush_interval`` seconds, whichever comes first), parsed
(:mod:`ssckit.school.payload`) and written in one DuckDB transaction per batch: readings with
``INSERT OR IGNORE`` on (device, quantity, time), refused messages and readings into
``school_quarantine`` with their reason. Only after the commit are the messages acknowledged
(manual PUBACK), so an ingester killed at any moment loses nothing: the broker redelivers what
was not acknowledged, and what was already stored is ignored as a duplicate.

The DuckDB file has one writing process; the ingester owns the store while it runs.

Run as ``python -m ssckit.school.ingest --store ssckit.duckdb --registry DIR`` (``DIR`` holds
``schools.csv``, ``rooms.csv`` and ``devices.csv``); SIGINT or SIGTERM stops it after the
current batch is stored and acknowledged.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ssckit.core.errors import InputError
from ssckit.core.store import Store, StoreBusyError
from ssckit.school.payload import (
    DEFAULT_LIMITS,
    MAX_AGE,
    FastPacks,
    Limits,
    Parsed,
    Reading,
    Rejection,
    parse_message,
    to_us,
)
from ssckit.school.publisher import ChunkReadingClient
from ssckit.school.schema import Registry, ensure_tables, read_registry
from ssckit.school.storage import (
    ReadingColumns,
    RegistryCodes,
    insert_quarantine,
    insert_reading_columns,
)

DEFAULT_TOPIC = "ssckit/school/+/+"
DEFAULT_CLIENT_ID = "ssckit-school-ingest"
DEFAULT_BATCH_SIZE = 5000
DEFAULT_FLUSH_INTERVAL = 0.5
BUSY_RETRY_S = 1.0   # pause before writing a batch again after the store stayed busy [s]
#: Seconds the broker keeps the ingester's session (and queues for it) while it is away.
SESSION_EXPIRY_S = 7 * 24 * 3600
#: Longest payload kept verbatim in the quarantine table [characters].
MAX_QUARANTINE_PAYLOAD = 65_536


@dataclass
class IngestStats:
    """Running counts of an ingester (or of one HTTP body)."""

    messages: int = 0
    accepted: int = 0          # readings newly stored
    duplicates: int = 0        # readings already stored (same device, quantity, time)
    quarantined: int = 0       # quarantine rows written (whole messages or single readings)
    reasons: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    started: float = field(default_factory=time.monotonic)
    table_readings: int | None = None      # rows in school_readings after the last batch
    table_quarantine: int | None = None    # rows in school_quarantine after the last batch
    workers: int | None = None             # worker processes alive (None: one process)
    restarts: int = 0                      # workers restarted after dying

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """Readings stored per second since the start [1/s]."""
        return self.accepted / self.elapsed if self.elapsed > 0 else 0.0

    def add(self, other: IngestStats) -> None:
        self.messages += other.messages
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.reasons.update(other.reasons)
        self.batches += other.batches

    def as_dict(self) -> dict[str, Any]:
        return {"messages": self.messages, "accepted": self.accepted,
                "duplicates": self.duplicates, "quarantined": self.quarantined,
                "reasons": dict(sorted(self.reasons.items())), "batches": self.batches,
                "rate": round(self.rate, 1), "table_readings": self.table_readings,
                "table_quarantine": self.table_quarantine, "workers": self.workers,
                "restarts": self.restarts}

    def line(self) -> str:
        """One ``key=value`` line for logs."""
        reasons = ",".join(f"{k}:{v}" for k, v in sorted(self.reasons.items())) or "-"
        line = (f"batches={self.batches} messages={self.messages} accepted={self.accepted} "
                f"duplicates={self.duplicates} quarantined={self.quarantined} "
                f"reasons={reasons} rate={self.rate:.0f}/s "
                f"table_readings={self.table_readings} table_quarantine={self.table_quarantine}")
        if self.workers is not None:
            line += f" workers={self.workers} restarts={self.restarts}"
        return line


@dataclass(frozen=True)
class Message:
    """A received message: where it came from and its raw body."""

    channel: str                   # 'mqtt:<topic>' or 'http'
    body: bytes
    topic_school: str | None = None
    topic_device: str | None = None


def _safe_parse(msg: Message, registry: Registry, received_at: datetime,
                limits: Limits) -> Parsed:
    try:
        return parse_message(msg.body, registry, received_at, limits, msg.topic_school,
                             msg.topic_device)
    except Exception as exc:       # a parser bug must not stop ingestion; keep the message
        return Parsed([], [Rejection("parse_error", f"the parser failed ({exc!r})")])


def _payload_text(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    if len(text) > MAX_QUARANTINE_PAYLOAD:
        text = text[:MAX_QUARANTINE_PAYLOAD] + f"... [{len(text)} characters in all]"
    return text


@dataclass
class ParsedBatch:
    """A batch of messages parsed: its accepted readings as columns, its quarantine rows
    (received_at, channel, payload, reason) and its counts so far (messages, reasons)."""

    columns: ReadingColumns
    quarantine: list[tuple[datetime, str, str, str]]
    stats: IngestStats

    def __getstate__(self) -> dict[str, Any]:      # sent to the writer without the clock
        return {"columns": self.columns, "quarantine": self.quarantine,
                "stats": (self.stats.messages, dict(self.stats.reasons))}

    def __setstate__(self, state: dict[str, Any]) -> None:
        messages, reasons = state["stats"]
        self.columns, self.quarantine = state["columns"], state["quarantine"]
        self.stats = IngestStats(messages=messages, reasons=Counter(reasons), batches=1)


def parse_messages(codes: RegistryCodes, registry: Registry, messages: Sequence[Message],
                   received_at: datetime | None = None,
                   limits: Limits = DEFAULT_LIMITS) -> ParsedBatch:
    """Parse and check ``messages`` (pure: no store): the accepted readings as columns, every
    refused message or reading as a quarantine row with its reason."""
    now = received_at if received_at is not None else datetime.now(UTC).replace(tzinfo=None)
    stats = IngestStats(messages=len(messages), batches=1)
    packs = FastPacks()            # the usual packs: no Reading, no Parsed per message
    readings: list[Reading] = []   # the others' accepted readings
    quarantine: list[tuple[datetime, str, str, str]] = []
    now_us = to_us(now)
    for msg in messages:
        try:
            if packs.add(msg.body, registry, now_us, limits, msg.topic_school,
                         msg.topic_device):
                continue
        except Exception:    # noqa: BLE001 - the full parser below says what is wrong
            pass
        parsed = _safe_parse(msg, registry, now, limits)
        readings += parsed.readings
        for rej in parsed.rejections:
            payload = rej.record if rej.record is not None else _payload_text(msg.body)
            quarantine.append((now, msg.channel, payload, str(rej)))
            stats.reasons[rej.code] += 1
    dev, qty = packs.codes()
    cols = ReadingColumns(np.array(dev, dtype=np.int32), np.array(qty, dtype=np.int8),
                          np.array(packs.ts_us, dtype=np.int64),
                          np.array(packs.values, dtype=np.float64))
    if readings:             # after the packs: a key repeated in one batch keeps one value
        rest = codes.encode(readings)
        cols = ReadingColumns(*(np.concatenate([a, b]) for a, b in zip(cols, rest,
                                                                       strict=True)))
    return ParsedBatch(cols, quarantine, stats)


def store_parsed(cur: duckdb.DuckDBPyConnection, codes: RegistryCodes,
                 batch: ParsedBatch) -> IngestStats:
    """Write a parsed batch with ``cur`` (the caller owns the transaction); returns its counts
    with the readings newly stored, the duplicates and the quarantine rows filled in."""
    stats = batch.stats
    stats.accepted = insert_reading_columns(cur, codes, batch.columns)
    stats.duplicates = len(batch.columns) - stats.accepted
    stats.quarantined = insert_quarantine(cur, batch.quarantine)
    return stats


def store_messages(cur: duckdb.DuckDBPyConnection, registry: Registry,
                   messages: Sequence[Message], received_at: datetime | None = None,
                   limits: Limits = DEFAULT_LIMITS) -> IngestStats:
    """Parse ``messages`` and write their readings and rejections with ``cur`` (the caller
    owns the transaction). Returns the counts of this batch."""
    codes = RegistryCodes(registry)
    return store_parsed(cur, codes, parse_messages(codes, registry, messages, received_at,
                                                   limits))


@dataclass(frozen=True)
class BodyResult:
    """What became of one HTTP body."""

    accepted: int
    duplicates: int
    quarantined: int
    reasons: dict[str, int]


def ingest_body(store: Store, registry: Registry, body: bytes | str,
                received_at: datetime | None = None, limits: Limits = DEFAULT_LIMITS,
                channel: str = "http") -> BodyResult:
    """Store one POSTed body (SenML pack or simple message) in one transaction.

    For the web layer: it runs in the process that owns the store. Rejections go to the
    quarantine table like MQTT ones; the result says how many readings were stored, were
    duplicates, and how many quarantine rows were written, by reason code.
    """
    raw = body.encode() if isinstance(body, str) else bytes(body)
    with store.transaction() as cur:
        s = store_messages(cur, registry, [Message(channel, raw)], received_at, limits)
    return BodyResult(s.accepted, s.duplicates, s.quarantined, dict(s.reasons))


#: Where an ingester hands its parsed batches: returns the batch's counts once it is stored.
Sink = Callable[[ParsedBatch], IngestStats]


class StoreSink:
    """Writes each parsed batch into ``store`` in one transaction (the process that calls it
    is the store's writer); with ``count_tables`` the counts carry the table sizes."""

    def __init__(self, store: Store, codes: RegistryCodes, count_tables: bool = False) -> None:
        self.store, self.codes, self.count_tables = store, codes, count_tables

    def __call__(self, batch: ParsedBatch) -> IngestStats:
        with self.store.transaction() as cur:
            s = store_parsed(cur, self.codes, batch)
            if self.count_tables:
                s.table_readings = cur.execute(
                    "SELECT count(*) FROM school_readings").fetchone()[0]
                s.table_quarantine = cur.execute(
                    "SELECT count(*) FROM school_quarantine").fetchone()[0]
        return s


class Ingester:
    """An MQTT subscriber handing parsed batches to a sink (the store, or the writer of
    :mod:`ssckit.school.ingest_workers`) and acknowledging them once stored; see the module
    docstring."""

    def __init__(self, sink: Sink, registry: Registry, host: str, port: int, *,
                 topic: str = DEFAULT_TOPIC, client_id: str = DEFAULT_CLIENT_ID,
                 batch_size: int = DEFAULT_BATCH_SIZE,
                 flush_interval: float = DEFAULT_FLUSH_INTERVAL, qos: int = 1,
                 limits: Limits = DEFAULT_LIMITS, keepalive: int = 30,
                 progress: Callable[[IngestStats], None] | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        if batch_size < 1 or flush_interval <= 0:
            raise ValueError("batch_size must be >= 1 and flush_interval > 0")
        self.sink, self.registry = sink, registry
        self.codes = RegistryCodes(registry)
        self.host, self.port, self.topic, self.qos = host, port, topic, qos
        self.batch_size, self.flush_interval = batch_size, flush_interval
        self.limits, self.keepalive = limits, keepalive
        self.progress, self.log = progress, log or (lambda _line: None)
        self.stats = IngestStats()
        self.subscribed = threading.Event()
        self._topic_ids = topic.endswith("/+/+")
        self._queue: deque[tuple[int, int, int, Message, float]] = deque()
        self._cond = threading.Condition()
        self._generation = 0
        self.client = ChunkReadingClient(CallbackAPIVersion.VERSION2, client_id=client_id,
                                          protocol=MQTTProtocolVersion.MQTTv5,
                                          manual_ack=True)
        self.client.manual_ack_set(True)
        self.client.reconnect_delay_set(1, 5)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_raw_publish = self._on_raw_publish

    # -- paho callbacks (network thread) --------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any,
                    _props: Any) -> None:
        if reason.is_failure:
            self.log(f"ingest connect refused: {reason}")
            return
        with self._cond:
            self._generation += 1
        client.subscribe(self.topic, self.qos)

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any,
                       _props: Any) -> None:
        with self._cond:
            self._generation += 1   # acks for messages of the old connection are not sent
        self.log(f"ingest disconnected: {reason}")

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int,
                      reasons: list[Any], _props: Any) -> None:
        if any(r.is_failure for r in reasons):
            self.log(f"ingest subscription to {self.topic} refused: {reasons}")
            return
        self.subscribed.set()
        self.log(f"ingest subscribed topic={self.topic} host={self.host} port={self.port}")

    def _on_message(self, _client: mqtt.Client, _userdata: Any,
                    msg: mqtt.MQTTMessage) -> None:
        self._received(msg.topic, msg.mid, msg.qos, msg.payload)

    def _on_raw_publish(self, topic: str, mid: int, payload: bytes) -> None:
        self._received(topic, mid, 1, payload)

    def _received(self, topic: str, mid: int, qos: int, payload: bytes) -> None:
        school = device = None
        if self._topic_ids:
            levels = topic.split("/")
            school, device = levels[-2], levels[-1]
        item = Message(f"mqtt:{topic}", payload, school, device)
        with self._cond:
            self._queue.append((self._generation, mid, qos, item, time.monotonic()))
            if len(self._queue) >= self.batch_size:
                self._cond.notify()

    # -- batching (caller's thread) -------------------------------------------------------------
    def _next_batch(self, stop: threading.Event) -> list[tuple[int, int, int, Message, float]]:
        with self._cond:
            while len(self._queue) < self.batch_size and not stop.is_set():
                if self._queue:
                    wait = self._queue[0][4] + self.flush_interval - time.monotonic()
                    if wait <= 0:
                        break
                else:
                    wait = self.flush_interval
                self._cond.wait(min(wait, 0.25))
            n = min(len(self._queue), self.batch_size)
            return [self._queue.popleft() for _ in range(n)]

    def _write(self, batch: list[tuple[int, int, int, Message, float]],
               stop: threading.Event | None = None) -> None:
        parsed = parse_messages(self.codes, self.registry, [b[3] for b in batch],
                                limits=self.limits)
        while True:
            try:
                s = self.sink(parsed)
                break
            except StoreBusyError as exc:
                # nothing acknowledged yet: the batch is kept and written once the store is
                # free again (an ingester inside `ssckit serve --live` must not die of it)
                self.log(f"ingest waiting: {exc}")
                if stop is not None and stop.wait(BUSY_RETRY_S):
                    raise
                if stop is None:
                    time.sleep(BUSY_RETRY_S)
        # committed: now, and only now, acknowledge (in the order received)
        with self._cond:
            generation = self._generation
        self.client.ack_many(mid for gen, mid, qos, _msg, _t in batch
                             if qos == 1 and gen == generation)
        for gen, mid, qos, _msg, _t in batch:
            if qos == 2 and gen == generation:
                self.client.ack(mid, qos)
        self.stats.add(s)
        self.stats.table_readings = s.table_readings
        self.stats.table_quarantine = s.table_quarantine
        if self.progress is not None:
            self.progress(self.stats)

    def run(self, stop: threading.Event) -> IngestStats:
        """Connect, ingest until ``stop`` is set, store and acknowledge the rest, disconnect."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        # the broker may send this many unacknowledged messages: room for a batch being
        # written and the next one filling
        props.ReceiveMaximum = min(65_535, 2 * self.batch_size)
        self.client.connect_async(self.host, self.port, self.keepalive, clean_start=False,
                                  properties=props)
        self.client.loop_start()
        try:
            while not stop.is_set():
                batch = self._next_batch(stop)
                if batch:
                    self._write(batch, stop)
            while True:     # drain what was received before the stop
                with self._cond:
                    batch = [self._queue.popleft()
                             for _ in range(min(len(self._queue), self.batch_size))]
                if not batch:
                    break
                self._write(batch, stop)
        finally:
            self.client.disconnect()
            self.client.loop_stop()
        return self.stats


def run_ingester(store_path: str | Path, registry: Registry, broker_host: str = "127.0.0.1",
                 broker_port: int = 1883, *, topic: str = DEFAULT_TOPIC,
                 client_id: str = DEFAULT_CLIENT_ID, batch_size: int = DEFAULT_BATCH_SIZE,
                 flush_interval: float = DEFAULT_FLUSH_INTERVAL, qos: int = 1,
                 limits: Limits = DEFAULT_LIMITS, stop_event: threading.Event | None = None,
                 progress: Callable[[IngestStats], None] | None = None,
                 log: Callable[[str], None] | None = None,
                 on_batch: Callable[[IngestStats], None] | None = None) -> IngestStats:
    """Ingest MQTT sensor messages into the store at ``store_path`` until stopped.

    Parameters
    ----------
    store_path : path
        The workspace DuckDB file (created and migrated if needed).
    registry : Registry
        Known schools, rooms and devices.
    broker_host, broker_port : str, int
        The MQTT broker.
    topic : str
        Subscription filter; when it ends in ``/+/+`` the last two topic levels are the
        school and device id, and messages must agree with them.
    client_id : str
        Fixed MQTT client id: the broker keeps this id's session while the ingester is away.
    batch_size : int
        Messages per transaction at most.
    flush_interval : float
        Longest wait for a batch to fill [s].
    qos : int
        Subscription QoS (1: at least once).
    limits : Limits
        Timestamp plausibility limits.
    stop_event : threading.Event, optional
        Set it to stop. Without one, SIGINT and SIGTERM stop the ingester (main thread only).
    progress : callable, optional
        Called with the running :class:`IngestStats` after every batch (table counts filled).
    log : callable, optional
        Receives connection events as text lines.
    on_batch : callable, optional
        Called with the running :class:`IngestStats` after every stored batch, without the
        table counts (e.g. the live alerts' "new readings" hook).

    Returns
    -------
    IngestStats
        Counts since the start.
    """
    stop = stop_event if stop_event is not None else threading.Event()
    restore: dict[int, Any] = {}
    if stop_event is None and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            restore[sig] = signal.signal(sig, lambda _s, _f: stop.set())
    try:
        with Store.open(store_path) as store:
            ensure_tables(store)
            sink = StoreSink(store, RegistryCodes(registry), count_tables=progress is not None)
            hooks = [h for h in (progress, on_batch) if h is not None]

            def after_batch(stats: IngestStats) -> None:
                for hook in hooks:
                    hook(stats)

            ingester = Ingester(sink, registry, broker_host, broker_port, topic=topic,
                                client_id=client_id, batch_size=batch_size,
                                flush_interval=flush_interval, qos=qos, limits=limits,
                                progress=after_batch if hooks else None, log=log)
            return ingester.run(stop)
    finally:
        for sig, handler in restore.items():
            signal.signal(sig, handler)


def registry_from_dir(folder: str | Path) -> Registry:
    """Read ``schools.csv``, ``rooms.csv`` and ``devices.csv`` from ``folder``."""
    folder = Path(folder)
    return read_registry(folder / "schools.csv", folder / "rooms.csv", folder / "devices.csv")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ssckit.school.ingest``: run the MQTT ingester until SIGINT/SIGTERM."""
    ap = argparse.ArgumentParser(prog="python -m ssckit.school.ingest", description=__doc__
                                 .splitlines()[0])
    ap.add_argument("--store", required=True, type=Path, help="workspace DuckDB file")
    ap.add_argument("--registry", required=True, type=Path,
                    help="folder with schools.csv, rooms.csv, devices.csv")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1883)
    ap.add_argument("--topic", default=DEFAULT_TOPIC)
    ap.add_argument("--client-id", default=DEFAULT_CLIENT_ID,
                    help="MQTT client id; with --workers N, worker k is <client-id>-<k>")
    ap.add_argument("--workers", type=int, default=1,
                    help="1: one process; N >= 2: a supervisor writing what N worker processes "
                         "receive on a shared subscription (see ssckit.school.ingest_workers)")
    ap.add_argument("--group", default="ssckit-ingest",
                    help="shared-subscription group of the workers")
    ap.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    ap.add_argument("--flush-interval", type=float, default=DEFAULT_FLUSH_INTERVAL,
                    help="seconds")
    ap.add_argument("--max-age-days", type=float, default=MAX_AGE.days,
                    help="refuse readings older than this many days (0: no limit)")
    ap.add_argument("--progress-interval", type=float, default=10.0,
                    help="seconds between progress lines on stderr (0: after every batch)")
    args = ap.parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    last = [0.0]

    def progress(stats: IngestStats) -> None:
        now = time.monotonic()
        if now - last[0] >= args.progress_interval:
            last[0] = now
            say("ingest " + stats.line())

    try:
        registry = registry_from_dir(args.registry)
    except InputError as exc:
        say(f"error: {exc}")
        return 2
    limits = Limits(max_age=timedelta(days=args.max_age_days) if args.max_age_days > 0 else None)
    if args.workers != 1:
        from ssckit.school.ingest_workers import WorkerConfig, run_workers

        config = WorkerConfig(args.host, args.port, args.topic, args.group, args.client_id,
                              args.batch_size, args.flush_interval, limits=limits)
        try:
            stats = run_workers(args.store, registry, config, workers=args.workers,
                                progress=progress, log=say)
        except InputError as exc:
            say(f"error: {exc}")
            return 2
        say("ingest stopped " + stats.line())
        return 0
    stats = run_ingester(args.store, registry, args.host, args.port, topic=args.topic,
                         client_id=args.client_id, batch_size=args.batch_size,
                         flush_interval=args.flush_interval, limits=limits, progress=progress,
                         log=say)
    say("ingest stopped " + stats.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
