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
        #: ``on_raw_publish(topic, mid, payload)``: when set, QoS 1 PUBLISH packets of MQTT 5
        #: without properties (what Mosquitto sends a subscriber) go to it, decoded here, and
        #: skip paho's MQTTMessage, Properties and callback matching (most of its cost a
        #: message); manual acknowledgement is assumed. Anything else takes paho's way.
        self.on_raw_publish: Callable[[str, int, bytes], None] | None = None
        #: ``on_raw_puback(mid)``: the PUBACK of a message sent with :meth:`write_raw`.
        self.on_raw_puback: Callable[[int], None] | None = None

    def _to_raw_hook(self, header: int, buf: bytes | bytearray, a: int, b: int) -> bool:
        """Hand the PUBLISH whose variable header and payload are ``buf[a:b]`` to
        :attr:`on_raw_publish` when it is QoS 1, MQTT 5 and without properties; False (and
        nothing done) otherwise.

        MQTT 5.0 §3.3.2: topic name (2-byte length + UTF-8), packet identifier (QoS > 0),
        property length (variable byte integer, §1.5.5: none is the single byte 0)."""
        hook = self.on_raw_publish
        if hook is None or header & 0x06 != 0x02 or b - a < 5 or \
                self._protocol != MQTTProtocolVersion.MQTTv5:
            return False
        n = (buf[a] << 8) | buf[a + 1]
        if not n or b - a < n + 5 or buf[a + n + 4] != 0:
            return False
        try:
            topic = bytes(buf[a + 2:a + 2 + n]).decode("utf-8")
        except UnicodeDecodeError:
            return False
        hook(topic, (buf[a + n + 2] << 8) | buf[a + n + 3], bytes(buf[a + n + 5:b]))
        return True

    def _handle_publish(self) -> MQTTErrorCode:
        packet = self._in_packet["packet"]
        if self._to_raw_hook(self._in_packet["command"], packet, 0, len(packet)):
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        return super()._handle_publish()

    def _chunk_publish(self) -> bool:
        """A whole QoS 1 PUBLISH at the head of the chunk read, handed to
        :attr:`on_raw_publish` straight from the buffer (paho reads a header byte a call)."""
        buf, at = self._chunk, self._chunk_at
        if self.on_raw_publish is None or self._in_packet["command"] != 0 or \
                len(buf) - at < 2 or buf[at] & 0xF6 != 0x32:   # type 3 (PUBLISH), QoS 1
            return False
        length, shift, i = 0, 0, at + 1
        while True:          # remaining length, a variable byte integer (§1.5.5), 4 bytes at most
            if i >= len(buf) or i - at > 4:
                return False
            byte = buf[i]
            length |= (byte & 0x7F) << shift
            shift += 7
            i += 1
            if not byte & 0x80:
                break
        if i + length > len(buf) or not self._to_raw_hook(buf[at], buf, i, i + length):
            return False
        self._chunk_at = i + length
        return True

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
        self.write_raw(b"".join(_PUBACK.pack(0x40, 2, mid) for mid in mids))

    def write_raw(self, packets: bytes) -> None:
        """Queue packets already encoded (one buffer, written as one) for the network
        thread; queued as a PUBACK so that paho takes no other action once it is written.
        A lost connection drops what was not written yet (paho's reconnect)."""
        if packets:
            self._packet_queue(0x40, packets, 0, 1)

    def _handle_pubackcomp(self, cmd: Any) -> MQTTErrorCode:
        # the PUBACK of a message written by write_raw: paho does not know its mid
        hook = self.on_raw_puback
        packet = self._in_packet["packet"]
        if hook is not None and cmd == "PUBACK" and len(packet) >= 2:
            mid = (packet[0] << 8) | packet[1]
            with self._out_message_mutex:
                own = mid in self._out_messages
            if not own:
                hook(mid)
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        return super()._handle_pubackcomp(cmd)

    def reconnect(self) -> MQTTErrorCode:
        self._chunk, self._chunk_at = b"", 0     # nothing of the old connection is parsed
        return super().reconnect()

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        n = fast = 0
        try:
            # a packet left in the buffer would wait for select(), which only sees the socket
            while n < self.MAX_PACKETS or self._chunk_at < len(self._chunk):
                if self._sock is None:
                    return MQTTErrorCode.MQTT_ERR_NO_CONN
                if self._chunk_publish():
                    n += 1
                    fast += 1
                    continue
                rc = self._packet_read()
                if rc > 0:
                    return self._loop_rc_handle(rc)
                if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                    break
                n += 1
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        finally:
            if fast:         # what paho's keepalive watches, once for them all
                with self._msgtime_mutex:
                    self._last_bytes_received = mqtt.time_func()


#: QoS 1 PUBLISH packets gathered into one write to the socket.
WRITE_PACKETS = 64


def publish_packet(topic: str, payload: bytes, mid: int, dup: bool = False) -> bytes:
    """An MQTT 3.1.1 PUBLISH packet with QoS 1 (§3.3): fixed header (type 3, DUP flag, QoS 1),
    remaining length (§2.2.3), topic name (§1.5.3), packet identifier, payload."""
    name = topic.encode()
    body = len(name).to_bytes(2, "big") + name + mid.to_bytes(2, "big") + payload
    n, length = len(body), bytearray()
    while True:
        n, digit = n >> 7, n & 0x7F
        length.append(digit | (0x80 if n else 0))
        if not n:
            break
    return bytes((0x3A if dup else 0x32,)) + bytes(length) + body


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
            if raw:      # what the lost connection left unacknowledged, again (DUP, §3.3.1.1)
                with cond:
                    again = list(pending.items())
                client.write_raw(b"".join(publish_packet(t, p, mid, dup=True)
                                          for mid, (t, p, _n) in again))
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

    def wait_for_room() -> None:
        with cond:    # the QoS 1 window: at most max_inflight unacknowledged messages
            if len(pending) < max_inflight:
                return
        flush()
        with cond:
            while len(pending) >= max_inflight:
                if not cond.wait(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError("the broker stopped acknowledging messages")

    def send(topic: str, payload: bytes, n: int) -> None:
        wait_for_room()
        if raw:
            with cond:
                mid = next_mid[0]
                while mid in pending or mid == 0:
                    mid = mid % 65535 + 1
                next_mid[0] = mid % 65535 + 1
                pending[mid] = (topic, payload, n)   # before it is sent: a PUBACK may be quick
            out.append(publish_packet(topic, payload, mid))
            if len(out) >= WRITE_PACKETS:
                flush()
            return
        # never call paho while holding ``cond``: its thread holds its own locks when it
        # calls on_publish
        info = client.publish(topic, payload, qos)
        with cond:
            when = early.pop(info.mid, None)
            if qos > 0 and when is None:
                pending[info.mid] = (topic, payload, n)
            else:
                _acknowledged((topic, payload, n), when or time.monotonic())

    def flush() -> None:
        if out:
            client.write_raw(b"".join(out))
            out.clear()

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

    # QoS 1: PUBLISH packets encoded here, many written at once, their PUBACKs matched here
    # (paho's publish() costs more than the rest of the path a message)
    raw = qos == 1
    next_mid = [1]
    out: list[bytes] = []
    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_publish = on_publish
    if raw:
        client.on_raw_puback = lambda mid: on_publish(None, None, mid, None, None)
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
        flush()
        while True:
            if lost_at:
                replay()
                flush()
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
