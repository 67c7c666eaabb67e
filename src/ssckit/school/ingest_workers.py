"""Horizontal MQTT ingest: N worker processes share one MQTT 5 shared subscription, one writer.

Layout::

    sensors ─► Mosquitto ─► $share/<group>/ssckit/school/+/+ ─┬─► worker 1 ─┐  parsed batches
                                                            ├─► worker 2 ─┼─► writer ─► DuckDB
                                                            └─► worker N ─┘  (the supervisor)

- Each **worker** is a process running :class:`~ssckit.school.ingest.Ingester` on the shared
  subscription ``$share/<group>/<topic>`` (MQTT 5.0 §4.8.2): the broker hands each message to
  one member of the group. A worker has its own client id ``<client_id>-<k>`` and its own
  persistent session (clean start false, session expiry :data:`SESSION_EXPIRY_S`), so what the
  broker routed to it while it was away waits for it. A worker does the costly part: receiving,
  decoding (msgspec), checking against the registry, turning a batch into columns of codes.
- The **supervisor** is the only process that opens the store. It writes each batch a worker
  sends in one DuckDB transaction (``INSERT OR IGNORE`` on the natural key (device, quantity,
  time), after dropping repeats within the batch) and answers with the counts; only then does
  the worker acknowledge (PUBACK) the batch's messages. It restarts a worker that dies, with
  the same index and so the same session, and stops them all gracefully on SIGINT/SIGTERM.

Why one writer fed by the workers, rather than one writer per worker (each its own part files,
deduplicated when read or compacted): a DuckDB file has one writing process, and the history
everything else reads (dashboard, IEQ report, archive to Parquet, downsampling) is the
``school_readings`` table with its primary key. With one writer that key decides "already
stored" at the moment of writing, so every reading is in the table exactly once however the
messages were spread, redelivered or replayed, and no reader has to deduplicate. Writing is the
cheap part (about 2 µs a reading as registered NumPy columns); parsing is the costly part, and
it is what the workers spread over cores. When one writer is not enough, the natural cut is one
supervisor per region with its own workspace store, merged by the indicators.

Exactly once, whoever dies:

- a worker killed at any moment (SIGKILL included): what it had not acknowledged is
  redelivered to its session, which its restart resumes; readings already stored are ignored;
- the supervisor killed: its workers see the pipe close and exit without acknowledging; the
  store keeps its last committed transaction; the next start resumes every session;
- the broker killed (SIGKILL) with persistence on: Mosquitto restores its last save
  (``autosave_interval``); messages it acknowledged after that save are gone from it, and
  Mosquitto 2.0 restores no shared subscription, so it drops what arrives before the workers
  have subscribed again. Publishers cover both by replaying what the broker acknowledged from
  a few seconds before they lost it until a few seconds after they are back
  (:func:`ssckit.school.publisher.publish_payloads`, ``replay_window``); messages redelivered
  from the older save are duplicates the key ignores.

Known limit: a session keeps what the broker routed to it. Lowering the number of workers
leaves the sessions of the missing ones holding their messages until they expire: run with the
old number until the publishers stop, or start the missing workers once to drain them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.school.ingest import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CLIENT_ID,
    DEFAULT_FLUSH_INTERVAL,
    DEFAULT_TOPIC,
    SESSION_EXPIRY_S,
    Ingester,
    IngestStats,
    ParsedBatch,
    StoreSink,
)
from ssckit.school.payload import DEFAULT_LIMITS, Limits
from ssckit.school.schema import Registry, ensure_tables
from ssckit.school.storage import RegistryCodes

__all__ = ["DEFAULT_GROUP", "SESSION_EXPIRY_S", "WorkerConfig", "check_broker", "run_workers",
           "shared_topic"]

#: Shared-subscription group of the ingest workers.
DEFAULT_GROUP = "ssckit-ingest"
#: Longest wait for a worker to store its last batch after being asked to stop [s].
STOP_GRACE_S = 30.0
#: A worker that dies sooner than this after its start is restarted after a growing pause [s].
QUICK_DEATH_S = 10.0
MAX_RESTART_PAUSE_S = 30.0


def shared_topic(group: str, topic: str) -> str:
    """The MQTT 5 shared subscription ``$share/<group>/<topic>`` (MQTT 5.0 §4.8.2)."""
    if not group or any(c in group for c in "/+#"):
        raise InputError("--group", None, f"{group!r}: a share name must be non-empty and hold "
                         "no '/', '+' or '#'")
    return f"$share/{group}/{topic}"


def check_broker(host: str, port: int, timeout: float = 5.0) -> None:
    """Raise :class:`ConnectionError` (one line for the CLI, exit code 1) when nothing accepts
    TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        raise ConnectionError(f"cannot connect to the MQTT broker at {host}:{port} "
                              f"({exc.strerror or exc}; --host/--port or "
                              "settings.school.broker_host/broker_port)") from None


@dataclass(frozen=True)
class WorkerConfig:
    """What every worker is started with (pickled to the worker process)."""

    host: str
    port: int
    topic: str = DEFAULT_TOPIC
    group: str = DEFAULT_GROUP
    client_id: str = DEFAULT_CLIENT_ID
    batch_size: int = DEFAULT_BATCH_SIZE
    flush_interval: float = DEFAULT_FLUSH_INTERVAL
    qos: int = 1
    limits: Limits = DEFAULT_LIMITS


# -- the worker process ------------------------------------------------------------------------
class _PipeSink:
    """Sends a parsed batch to the writer and waits for its counts (the batch is stored when
    they come back). A closed pipe means the supervisor is gone: the worker ends without
    acknowledging, and the broker keeps the messages for its session."""

    def __init__(self, conn: multiprocessing.connection.Connection,
                 send_lock: threading.Lock) -> None:
        self.conn, self.send_lock = conn, send_lock

    def __call__(self, batch: ParsedBatch) -> IngestStats:
        try:
            with self.send_lock:
                self.conn.send(("batch", batch))
            kind, counts = self.conn.recv()
        except (EOFError, OSError):
            os._exit(3)           # nothing acknowledged: the broker redelivers to the session
        stats = batch.stats
        stats.accepted, stats.duplicates, stats.quarantined = counts[:3]
        stats.table_readings, stats.table_quarantine = counts[3:]
        return stats


def _worker_main(index: int, conn: multiprocessing.connection.Connection, registry: Registry,
                 config: WorkerConfig, parent_pid: int) -> None:
    """Body of worker ``index``: ingest its share until SIGTERM (SIGINT is the supervisor's)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _s, _f: stop.set())
    send_lock = threading.Lock()

    def log(line: str) -> None:
        try:
            with send_lock:
                conn.send(("log", line))
        except OSError:
            pass

    def watch_parent() -> None:          # the supervisor killed: leave, acknowledging nothing
        while not stop.is_set():
            if os.getppid() != parent_pid:
                os._exit(3)
            time.sleep(0.5)

    threading.Thread(target=watch_parent, daemon=True, name="watch-supervisor").start()
    ingester = Ingester(_PipeSink(conn, send_lock), registry, config.host, config.port,
                        topic=shared_topic(config.group, config.topic),
                        client_id=f"{config.client_id}-{index}", batch_size=config.batch_size,
                        flush_interval=config.flush_interval, qos=config.qos,
                        limits=config.limits, log=log)
    ingester.run(stop)
    conn.close()


# -- the supervisor ----------------------------------------------------------------------------
@dataclass
class _Worker:
    index: int
    proc: Any                                   # multiprocessing.Process (spawn context)
    conn: multiprocessing.connection.Connection
    started: float = field(default_factory=time.monotonic)
    messages: int = 0                           # messages of the batches it sent


def _exit_text(code: int | None) -> str:
    if code is None:
        return "ended"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def run_workers(store_path: str | Path, registry: Registry, config: WorkerConfig, *,
                workers: int = 2, stop_event: threading.Event | None = None,
                progress: Callable[[IngestStats], None] | None = None,
                log: Callable[[str], None] | None = None) -> IngestStats:
    """Run ``workers`` ingest processes on a shared subscription and write what they parse
    into the store at ``store_path`` until stopped; see the module docstring.

    Parameters
    ----------
    store_path : path
        The workspace DuckDB file (created and migrated if needed); this process is its writer.
    registry : Registry
        Known schools, rooms and devices (sent to every worker).
    config : WorkerConfig
        Broker, topic filter, share group, client id prefix (worker ``k`` is
        ``<client_id>-<k>``), batch size [messages], flush interval [s], QoS, limits.
    workers : int
        Worker processes, at least 1.
    stop_event : threading.Event, optional
        Set it to stop. Without one, SIGINT and SIGTERM stop (main thread only).
    progress : callable, optional
        Called with the running counts after every stored batch (``workers`` alive,
        ``restarts`` and the table sizes filled in).
    log : callable, optional
        Receives worker starts, deaths and restarts and the workers' connection events.

    Returns
    -------
    IngestStats
        Counts since the start, summed over the workers.
    """
    if workers < 1:
        raise InputError("--workers", None, f"{workers}: at least 1 worker")
    shared_topic(config.group, config.topic)          # a bad group is one line, before any start
    say = log or (lambda _line: None)
    stop = stop_event if stop_event is not None else threading.Event()
    restore: dict[int, Any] = {}
    if stop_event is None and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            restore[sig] = signal.signal(sig, lambda _s, _f: stop.set())
    ctx = multiprocessing.get_context("spawn")
    stats = IngestStats(workers=0)
    running: dict[int, _Worker] = {}
    pauses: dict[int, float] = {}               # index -> pause before the next restart [s]
    due: dict[int, float] = {}                  # index -> when to restart it (monotonic)

    def start(index: int) -> None:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, name=f"ssckit-ingest-{index}", daemon=False,
                           args=(index, child, registry, config, os.getpid()))
        proc.start()
        child.close()
        running[index] = _Worker(index, proc, parent)
        say(f"ingest worker {index} started pid={proc.pid} "
            f"client_id={config.client_id}-{index}")

    def serve(w: _Worker, sink: StoreSink) -> bool:
        """Handle what worker ``w`` sent; False once its pipe is closed."""
        try:
            kind, body = w.conn.recv()
        except (EOFError, OSError):
            return False
        if kind == "log":
            say(f"worker {w.index}: {body}")
            return True
        s = sink(body)
        w.messages += s.messages
        with contextlib.suppress(OSError):   # died after sending: its messages come again
            w.conn.send(("stored", (s.accepted, s.duplicates, s.quarantined,
                                    s.table_readings, s.table_quarantine)))
        stats.add(s)
        stats.table_readings, stats.table_quarantine = s.table_readings, s.table_quarantine
        stats.workers = sum(1 for x in running.values() if x.proc.is_alive())
        if progress is not None:
            progress(stats)
        return True

    def reap(w: _Worker, sink: StoreSink, stopping: bool) -> None:
        while w.conn.poll():                # what it sent before dying is still stored
            if not serve(w, sink):
                break
        w.proc.join()
        w.conn.close()
        del running[w.index]
        stats.workers = len(running)
        if stopping:
            say(f"ingest worker {w.index} stopped after {w.messages} messages")
            return
        lived = time.monotonic() - w.started
        pause = pauses.get(w.index, 0.5)
        pauses[w.index] = min(MAX_RESTART_PAUSE_S, pause * 2) if lived < QUICK_DEATH_S else 0.5
        due[w.index] = time.monotonic() + (pause if lived < QUICK_DEATH_S else 0.0)
        stats.restarts += 1
        say(f"ingest worker {w.index} (pid {w.proc.pid}) {_exit_text(w.proc.exitcode)} after "
            f"{lived:.1f} s; restarting it in {due[w.index] - time.monotonic():.1f} s (its "
            "session keeps its messages)")

    try:
        with Store.open(store_path) as store:
            ensure_tables(store)
            sink = StoreSink(store, RegistryCodes(registry), count_tables=progress is not None)
            for k in range(1, workers + 1):
                start(k)
            stats.workers = workers
            stopping_since: float | None = None
            while running or (due and stopping_since is None):
                if stop.is_set() and stopping_since is None:
                    stopping_since = time.monotonic()
                    due.clear()
                    for w in running.values():
                        w.proc.terminate()          # SIGTERM: store the last batch, then leave
                waitables: list[Any] = [w.conn for w in running.values()]
                waitables += [w.proc.sentinel for w in running.values()]
                ready = multiprocessing.connection.wait(waitables, timeout=0.25)
                for w in list(running.values()):
                    if (w.conn in ready and not serve(w, sink)) or w.proc.sentinel in ready:
                        reap(w, sink, stopping_since is not None)
                now = time.monotonic()
                for index, when in list(due.items()):
                    if when <= now:
                        del due[index]
                        start(index)
                if stopping_since is not None and now - stopping_since > STOP_GRACE_S:
                    for w in running.values():
                        say(f"ingest worker {w.index} did not stop within {STOP_GRACE_S:g} s; "
                            "killing it (its session keeps what it had not acknowledged)")
                        w.proc.kill()
                    stopping_since = now
    finally:
        for w in list(running.values()):
            w.proc.kill()
            w.proc.join()
        for sig, handler in restore.items():
            signal.signal(sig, handler)
    return stats
