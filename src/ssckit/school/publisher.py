"""A fast MQTT publisher of sensor readings, for the simulator and the benchmarks.

Readings are grouped per device into messages (a SenML pack of up to ``per_message``
readings, or one simple message per device and time) and published with QoS 1 to
``<topic_prefix>/<school_id>/<device_id>``. :func:`publish_readings` returns once the broker
has acknowledged every message (PUBACK); paho reconnects on its own and resends what was not
acknowledged, so a broker restart while publishing loses nothing (it may duplicate, which the
ingester ignores). A broker killed outright (SIGKILL, power loss) forgets what it acknowledged
since its last save to disk; with ``replay_window`` the publisher sends those messages again
once it is back.
"""

from __future__ import annotations

import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from ssckit.school.payload import Reading, format_message
from ssckit.school.schema import Registry

DEFAULT_TOPIC_PREFIX = "ssckit/school"


_PUBACK = struct.Struct("!BBH")


class ChunkReadingClient(mqtt.Client):
    """paho's MQTT client reading its socket in large chunks, and every packet that has
    arrived at each wake-up.

    paho reads a packet with a system call per header byte and handles one packet per
    ``select()`` when it has nothing of its own in flight (a subscriber's case): four or five
    system calls a message, three for each PUBACK a publisher gets. Here a wake-up reads what
    the socket holds in one call and parses the packets from that buffer until it is empty
    (at least :attr:`MAX_PACKETS` at a time, then until the buffer is empty, so that
    acknowledgements still go out)."""

    READ_CHUNK = 1 << 18
    MAX_PACKETS = 2000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chunk = b""
        self._chunk_at = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._chunk_at >= len(self._chunk):
            chunk = super()._sock_recv(max(bufsize, self.READ_CHUNK))
            if len(chunk) <= bufsize:
                return chunk
            self._chunk, self._chunk_at = chunk, 0
        out = self._chunk[self._chunk_at:self._chunk_at + bufsize]
        self._chunk_at += len(out)
        return out

    def ack_many(self, mids: Iterable[int]) -> None:
        """Acknowledge the QoS 1 messages ``mids`` (a PUBACK each: MQTT 3.1.1 §3.4, MQTT 5.0
        §3.4 with the success reason and no properties left out, §3.4.2.1) written as one
        buffer, instead of paho's ``ack`` queueing and writing one packet at a time."""
        packet = b"".join(_PUBACK.pack(0x40, 2, mid) for mid in mids)
        if packet:
            self._packet_queue(0x40, packet, 0, 1)

    def reconnect(self) -> MQTTErrorCode:
        self._chunk, self._chunk_at = b"", 0     # nothing of the old connection is parsed
        return super().reconnect()

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        n = 0
        # a packet left in the buffer would wait for select(), which only sees the socket
        while n < self.MAX_PACKETS or self._chunk_at < len(self._chunk):
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                break
            n += 1
        return MQTTErrorCode.MQTT_ERR_SUCCESS


@dataclass(frozen=True)
class PublishReport:
    """What was published and how fast (until the last PUBACK)."""

    messages: int
    readings: int
    bytes: int
    seconds: float
    replayed: int = 0      # messages published again after a lost connection

    @property
    def rate(self) -> float:
        """Readings per second [1/s]."""
        return self.readings / self.seconds if self.seconds > 0 else float("inf")

    @property
    def message_rate(self) -> float:
        """Messages per second [1/s]."""
        return self.messages / self.seconds if self.seconds > 0 else float("inf")

    def line(self) -> str:
        return (f"published {self.readings} readings in {self.messages} messages "
                f"({self.bytes / max(self.messages, 1):.0f} B each) in {self.seconds:.2f} s: "
                f"{self.rate:,.0f} readings/s, {self.message_rate:,.0f} messages/s"
                + (f"; {self.replayed} replayed after a lost connection" if self.replayed
                   else ""))


def group_messages(readings: Iterable[Reading], school_of: Mapping[str, str], fmt: str = "senml",
                   per_message: int = 100, topic_prefix: str = DEFAULT_TOPIC_PREFIX,
                   ) -> Iterator[tuple[str, bytes, int]]:
    """(topic, payload, number of readings) of the messages carrying ``readings``.

    SenML: consecutive readings of a device fill a pack of up to ``per_message``. Simple: a
    message holds one device at one time (``per_message`` is ignored).
    """
    if fmt not in ("senml", "simple"):
        raise ValueError(f"unknown message format {fmt!r}; use 'senml' or 'simple'")
    if per_message < 1:
        raise ValueError("per_message must be >= 1")
    buffers: dict[str, list[Reading]] = {}

    def emit(device: str, rs: list[Reading]) -> tuple[str, bytes, int]:
        return (f"{topic_prefix}/{school_of[device]}/{device}",
                format_message(device, rs, fmt), len(rs))

    for r in readings:
        buf = buffers.setdefault(r.device_id, [])
        if fmt == "simple" and buf and buf[0].ts_us != r.ts_us:
            yield emit(r.device_id, buf)
            buf = buffers[r.device_id] = []
        buf.append(r)
        if fmt == "senml" and len(buf) >= per_message:
            yield emit(r.device_id, buf)
            buffers[r.device_id] = []
    for device, buf in buffers.items():
        if buf:
            yield emit(device, buf)


def publish_payloads(host: str, port: int, messages: Iterable[tuple[str, bytes, int]], *,
                     qos: int = 1, client_id: str | None = None, max_inflight: int = 1000,
                     timeout: float = 600.0, replay_window: float = 0.0,
                     progress: Callable[[int, int], None] | None = None) -> PublishReport:
    """Publish (topic, payload, readings in it) messages; wait for every acknowledgement.

    Messages are pipelined: up to ``max_inflight`` QoS 1 messages are on the wire awaiting
    their PUBACK (MQTT 3.1.1 §4.3.2) while the next ones are sent.

    Parameters
    ----------
    host, port : str, int
        The MQTT broker.
    messages : iterable of (str, bytes, int)
        Topic, payload and how many readings it carries (for the report).
    qos : int
        0, 1 or 2.
    client_id : str, optional
        Default: a random ``ssckit-pub-…`` id.
    max_inflight : int
        The QoS 1/2 window: messages sent but not yet acknowledged, at most.
    timeout : float
        Give up [s] when the broker has not acknowledged everything by then.
    replay_window : float
        [s] After losing the connection, publish again the messages the broker acknowledged
        from this many seconds before the loss until this many seconds after the reconnection
        (then, once). Before: a broker acknowledges a message before it writes it to disk
        (Mosquitto saves its state every ``autosave_interval`` seconds), so a broker killed
        outright forgets what it acknowledged since its last save. After: Mosquitto 2.0 does
        not restore shared subscriptions (``$share/…``) when it restarts, killed or not, so
        until the ingest workers have reconnected and subscribed again it drops what it
        receives. A window longer than the autosave interval and than the subscribers' time
        to reconnect covers both; the receiver's deduplication on (device, quantity, time)
        makes the second copies harmless. 0: off.
    progress : callable, optional
        ``progress(messages_acknowledged, readings_acknowledged)``, at most ~10 times a second.
    """
    client = ChunkReadingClient(CallbackAPIVersion.VERSION2,
                                client_id=client_id or f"ssckit-pub-{uuid.uuid4().hex[:12]}",
                                protocol=MQTTProtocolVersion.MQTTv311, clean_session=True)
    # paho's own in-flight limit rescans its whole outgoing queue on every PUBACK (quadratic
    # in the window); the window is kept here instead and paho sends every message at once
    client.max_inflight_messages_set(0)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(1, 2)
    cond = threading.Condition()
    pending: dict[int, tuple[str, bytes, int]] = {}    # mid -> message, until acknowledged
    acked = [0, 0]                     # messages, readings (replayed copies not counted)
    recent: deque[tuple[float, str, bytes]] = deque()  # (when acknowledged, topic, payload)
    lost_at: list[float] = []          # when the connection was lost, not yet replayed
    back_at = [0.0]                    # when it was connected again
    connected = threading.Event()

    def on_connect(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            back_at[0] = time.monotonic()
            connected.set()

    def on_disconnect(_c: Any, _u: Any, _f: Any, _reason: Any, _p: Any) -> None:
        connected.clear()
        if replay_window > 0:
            with cond:
                lost_at.append(time.monotonic())

    early: dict[int, float] = {}       # acknowledged before publish() returned its mid

    def on_publish(_c: Any, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        now = time.monotonic()
        with cond:
            msg = pending.pop(mid, None)
            if msg is None:
                early[mid] = now
            else:
                _acknowledged(msg, now)
            cond.notify_all()

    def _acknowledged(msg: tuple[str, bytes, int], now: float) -> None:   # holding cond
        if msg[2] >= 0:
            acked[0] += 1
            acked[1] += msg[2]
        if replay_window > 0:
            recent.append((now, msg[0], msg[1]))
            # kept whole while a loss awaits its replay: the window is before the loss
            while not lost_at and recent and recent[0][0] < now - replay_window:
                recent.popleft()

    def send(topic: str, payload: bytes, n: int) -> None:
        with cond:    # the QoS 1 window: at most max_inflight unacknowledged messages
            while len(pending) >= max_inflight:
                if not cond.wait(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError("the broker stopped acknowledging messages")
        # never call paho while holding ``cond``: its thread holds its own locks when it
        # calls on_publish
        info = client.publish(topic, payload, qos)
        with cond:
            when = early.pop(info.mid, None)
            if qos > 0 and when is None:
                pending[info.mid] = (topic, payload, n)
            else:
                _acknowledged((topic, payload, n), when or time.monotonic())

    def replay() -> None:
        """After a lost connection, once connected again for ``replay_window`` seconds: what
        was acknowledged from ``replay_window`` seconds before the loss until now, again."""
        with cond:
            if not lost_at or not connected.is_set() or \
                    time.monotonic() < back_at[0] + replay_window:
                return
            since = lost_at[0] - replay_window
            again = [(t, p) for when, t, p in recent if when >= since]
            lost_at.clear()
        replayed[0] += len(again)
        for topic, payload in again:
            send(topic, payload, -1)      # n = -1: a copy, not counted again

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_publish = on_publish
    client.connect_async(host, port, keepalive=30)
    client.loop_start()
    sent = nbytes = nread = 0
    replayed = [0]
    last_report = 0.0
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    try:
        if not connected.wait(min(timeout, 30.0)):
            raise ConnectionError(f"could not connect to the MQTT broker at {host}:{port}")
        started = time.monotonic()
        for topic, payload, n in messages:
            if lost_at:
                replay()
            send(topic, payload, n)
            sent += 1
            nbytes += len(payload)
            nread += n
            if progress is not None and time.monotonic() - last_report > 0.1:
                last_report = time.monotonic()
                with cond:
                    progress(acked[0], acked[1])
        while True:
            if lost_at:
                replay()
            with cond:
                if not pending and not lost_at:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(pending)} of {sent} messages were not "
                                       f"acknowledged within {timeout:g} s")
                cond.wait(0.2)
        seconds = time.monotonic() - started
        if progress is not None:
            progress(acked[0], acked[1])
    finally:
        client.disconnect()
        client.loop_stop()
    return PublishReport(sent, nread, nbytes, seconds, replayed[0])


def publish_readings(host: str, port: int, readings: Iterable[Reading], *,
                     registry: Registry | Mapping[str, str], fmt: str = "senml", qos: int = 1,
                     per_message: int = 100, topic_prefix: str = DEFAULT_TOPIC_PREFIX,
                     client_id: str | None = None, max_inflight: int = 1000,
                     timeout: float = 600.0, replay_window: float = 0.0,
                     progress: Callable[[int, int], None] | None = None) -> PublishReport:
    """Publish ``readings`` as ``fmt`` messages (see :func:`group_messages`) and wait until the
    broker has acknowledged all of them.

    ``registry`` gives each device's school (for the topic): a :class:`Registry` or a
    ``{device_id: school_id}`` mapping. Other parameters as :func:`publish_payloads`.
    """
    school_of = ({d.device_id: d.school_id for d in registry.devices.values()}
                 if isinstance(registry, Registry) else registry)
    return publish_payloads(host, port, group_messages(readings, school_of, fmt, per_message,
                                                       topic_prefix),
                            qos=qos, client_id=client_id, max_inflight=max_inflight,
                            timeout=timeout, replay_window=replay_window, progress=progress)
