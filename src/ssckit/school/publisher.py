"""A fast MQTT publisher of sensor readings, for the simulator and the benchmarks.

Readings are grouped per device into messages (a SenML pack of up to ``per_message``
readings, or one simple message per device and time) and published with QoS 1 to
``<topic_prefix>/<school_id>/<device_id>``. :func:`publish_readings` returns once the broker
has acknowledged every message (PUBACK); paho reconnects on its own and resends what was not
acknowledged, so a broker restart while publishing loses nothing (it may duplicate, which the
ingester ignores).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from ssckit.school.payload import Reading, format_message
from ssckit.school.schema import Registry

DEFAULT_TOPIC_PREFIX = "ssckit/school"


@dataclass(frozen=True)
class PublishReport:
    """What was published and how fast (until the last PUBACK)."""

    messages: int
    readings: int
    bytes: int
    seconds: float

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
                f"{self.rate:,.0f} readings/s, {self.message_rate:,.0f} messages/s")


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
                     timeout: float = 600.0,
                     progress: Callable[[int, int], None] | None = None) -> PublishReport:
    """Publish (topic, payload, readings in it) messages; wait for every acknowledgement.

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
        Messages sent but not yet acknowledged, at most; more wait in the client.
    timeout : float
        Give up [s] when the broker has not acknowledged everything by then.
    progress : callable, optional
        ``progress(messages_acknowledged, readings_acknowledged)``, at most ~10 times a second.
    """
    client = mqtt.Client(CallbackAPIVersion.VERSION2,
                         client_id=client_id or f"ssckit-pub-{uuid.uuid4().hex[:12]}",
                         protocol=MQTTProtocolVersion.MQTTv311, clean_session=True)
    # paho's own in-flight limit rescans its whole outgoing queue on every PUBACK (quadratic
    # in the window); the window is kept here instead and paho sends every message at once
    client.max_inflight_messages_set(0)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(1, 2)
    cond = threading.Condition()
    counts: dict[int, int] = {}        # mid -> readings, until acknowledged
    acked = [0, 0]                     # messages, readings
    connected = threading.Event()

    def on_connect(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            connected.set()

    early: set[int] = set()            # acknowledged before publish() returned its mid

    def on_publish(_c: Any, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        with cond:
            n = counts.pop(mid, None)
            if n is None:
                early.add(mid)
            else:
                acked[0] += 1
                acked[1] += n
            cond.notify_all()

    client.on_connect = on_connect
    client.on_publish = on_publish
    client.connect_async(host, port, keepalive=30)
    client.loop_start()
    sent = nbytes = nread = 0
    last_report = 0.0
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    try:
        if not connected.wait(min(timeout, 30.0)):
            raise ConnectionError(f"could not connect to the MQTT broker at {host}:{port}")
        started = time.monotonic()
        for topic, payload, n in messages:
            with cond:    # the QoS 1 window: at most max_inflight unacknowledged messages
                while len(counts) >= max_inflight:
                    if not cond.wait(max(0.0, deadline - time.monotonic())):
                        raise TimeoutError("the broker stopped acknowledging messages")
            # never call paho while holding ``cond``: its thread holds its own locks when it
            # calls on_publish
            info = client.publish(topic, payload, qos)
            with cond:
                if qos > 0 and info.mid not in early:
                    counts[info.mid] = n
                else:
                    early.discard(info.mid)
                    acked[0] += 1
                    acked[1] += n
            sent += 1
            nbytes += len(payload)
            nread += n
            if progress is not None and time.monotonic() - last_report > 0.1:
                last_report = time.monotonic()
                with cond:
                    progress(acked[0], acked[1])
        with cond:
            while counts:
                if not cond.wait(max(0.0, deadline - time.monotonic())) and counts:
                    raise TimeoutError(f"{len(counts)} of {sent} messages were not "
                                       f"acknowledged within {timeout:g} s")
        seconds = time.monotonic() - started
        if progress is not None:
            progress(acked[0], acked[1])
    finally:
        client.disconnect()
        client.loop_stop()
    return PublishReport(sent, nread, nbytes, seconds)


def publish_readings(host: str, port: int, readings: Iterable[Reading], *,
                     registry: Registry | Mapping[str, str], fmt: str = "senml", qos: int = 1,
                     per_message: int = 100, topic_prefix: str = DEFAULT_TOPIC_PREFIX,
                     client_id: str | None = None, max_inflight: int = 1000,
                     timeout: float = 600.0,
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
                            timeout=timeout, progress=progress)
