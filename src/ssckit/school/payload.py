"""Sensor messages of the Smart School module: parse, validate and format, as pure functions.

Two message formats are accepted, over MQTT and HTTP alike.

**SenML JSON** (RFC 8428), a pack: a JSON array of records. Base fields ``bn`` (name),
``bt`` (time), ``bu`` (unit), ``bv`` (value) and ``bver`` apply to their record and every later
one until replaced (RFC 8428 §4.1); records are resolved as in §4.6 (name = bn + n,
time = bt + t, unit = u or bu, value = bv + v). Values are ``v`` (number) or ``vb`` (boolean,
only for the ``online`` quantity, stored as 1/0); ``vs``, ``vd`` and sum-only records are
refused. Times are seconds since 1970-01-01 UTC; a resolved time below 2**28 is relative to the
time of receipt (§4.5.3), so a record with no time at all was measured "now". Fields whose name
ends in ``_`` must be understood (§4.4) and are refused. Accepted resolved names:

- ``urn:dev:ssckit:<device_id>:<quantity>`` (RFC 8428 §5 style URN),
- ``<device_id>/<quantity>``,
- ``<quantity>`` alone when the device is known from the MQTT topic
  (``ssckit/school/<school_id>/<device_id>``).

Example::

    [{"bn": "urn:dev:ssckit:S01-R101-env:", "bt": 1772438460, "bu": "ppm",
      "n": "co2", "v": 812},
     {"n": "co2", "t": 60, "v": 815},
     {"n": "temperature", "u": "Cel", "v": 21.3}]

**Simple JSON**, one device at one time::

    {"device": "S01-R101-env", "ts": "2026-03-02T08:01:00Z",
     "readings": {"co2": 812, "temperature": 21.3},
     "units": {"temperature": "Cel"}}

``ts`` is ISO 8601 with a UTC offset (``Z`` or ``+01:00``) or seconds since the epoch;
``units`` is optional (a missing unit means the quantity's canonical unit).

Every reading is checked against the registry and :data:`~ssckit.school.schema.QUANTITIES`:
known device, a quantity the device reports, a unit that is the canonical unit or one of its
aliases, a finite number within the plausible range, a time at most ``max_ahead`` after receipt
and at most ``max_age`` before it. A problem with the whole message rejects the message; a
problem with one reading rejects that reading only. Each rejection carries a stable ``code``
(one of :data:`REASONS`) and a sentence for people.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import msgspec

from ssckit.school.schema import QUANTITIES, Registry

#: SenML version this parser implements (RFC 8428 §4.4: ``bver`` defaults to 10).
SENML_VERSION = 10
#: RFC 8428 §4.5.3: resolved times below 2**28 s are relative to "now".
SENML_RELATIVE_LIMIT = 2**28
#: RFC 8428 §4.5.1: names start with a letter or digit; then letters, digits, ``-:./_``.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-:./_]*$")
#: Prefix of the device URNs this project publishes.
URN_PREFIX = "urn:dev:ssckit:"
#: Default limits on a reading's timestamp relative to the time of receipt.
MAX_AHEAD = timedelta(minutes=5)
MAX_AGE = timedelta(days=366)

_EPOCH = datetime(1970, 1, 1)
_US = 1_000_000

#: Rejection codes, each with what it means.
REASONS: dict[str, str] = {
    "bad_json": "the body is not UTF-8 JSON",
    "bad_structure": "neither a SenML pack (array) nor a simple message (object with 'device')",
    "missing_field": "a required field is absent",
    "unsupported_senml": "a SenML feature this receiver must refuse (bver, fields ending in _)",
    "bad_name": "a SenML name that is not one of the accepted forms",
    "topic_mismatch": "the device or school in the message differs from the MQTT topic",
    "unknown_device": "the device is not in the registry",
    "unknown_quantity": "the quantity is not one the platform knows",
    "quantity_not_reported": "the device is not registered as reporting this quantity",
    "wrong_unit": "the unit is neither the canonical unit nor one of its aliases",
    "non_numeric": "the value is not a finite number",
    "out_of_range": "the value is outside the quantity's plausible range",
    "bad_timestamp": "the timestamp cannot be read",
    "future_timestamp": "the timestamp is too far after the time of receipt",
    "old_timestamp": "the timestamp is implausibly old",
}


class Reading(NamedTuple):
    """One validated measurement; ``ts_us`` is UTC microseconds since 1970-01-01."""

    device_id: str
    quantity: str
    ts_us: int
    value: float

    @property
    def ts(self) -> datetime:
        """The timestamp as a naive UTC datetime."""
        return _EPOCH + timedelta(microseconds=self.ts_us)


@dataclass(frozen=True)
class Rejection:
    """Why a message, or one reading of it, was refused.

    ``record`` is the offending record as compact JSON when only part of the message was
    refused, ``None`` when the whole message was.
    """

    code: str
    message: str
    record: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Parsed:
    """The outcome of parsing one message: the accepted readings and the rejections."""

    readings: list[Reading] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    """Timestamp plausibility limits; ``max_age=None`` accepts any time after 1970."""

    max_ahead: timedelta = MAX_AHEAD
    max_age: timedelta | None = MAX_AGE


#: The default limits: 5 minutes ahead, 366 days old.
DEFAULT_LIMITS = Limits()


# -- time helpers ------------------------------------------------------------------------------
def to_us(ts: datetime) -> int:
    """UTC microseconds since the epoch of ``ts`` (naive datetimes are taken as UTC)."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return (ts - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    """Naive UTC datetime of ``us`` microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=us)


def _iso(us: int) -> str:
    return from_us(us).isoformat(timespec="seconds" if us % _US == 0 else "microseconds") + "Z"


# -- parsing -----------------------------------------------------------------------------------
def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)


def load_json(body: bytes | str) -> tuple[Any, Rejection | None]:
    """Decode ``body`` as strict JSON (``NaN``/``Infinity`` refused)."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else body
        return json.loads(text, parse_constant=_refuse_constant), None
    except UnicodeDecodeError as exc:
        return None, Rejection("bad_json", f"the body is not UTF-8 ({exc.reason} at byte "
                                           f"{exc.start})")
    except ValueError as exc:       # JSONDecodeError is a ValueError
        return None, Rejection("bad_json", f"the body is not valid JSON ({exc})")


def resolve_senml(pack: Sequence[Any]) -> tuple[list[dict[str, Any]], Rejection | None]:
    """Resolve the records of a SenML pack (RFC 8428 §4.6): base fields folded in.

    Returns the resolved records, each a dict with ``n`` and, where present, ``u``, ``v``,
    ``vb``, ``vs``, ``vd``, ``s`` and ``t`` (absolute or still relative, see
    :data:`SENML_RELATIVE_LIMIT`), or a whole-pack rejection.
    """
    if not isinstance(pack, list):
        return [], Rejection("bad_structure", "a SenML pack must be a JSON array")
    if not pack:
        return [], Rejection("bad_structure", "the SenML pack is empty")
    bn, bu = "", None
    bt = bv = bs = 0.0
    has_bv = False
    out: list[dict[str, Any]] = []
    for i, rec in enumerate(pack):
        if not isinstance(rec, dict):
            return [], Rejection("bad_structure", f"record {i} is not a JSON object")
        for key in rec:
            if key.endswith("_"):
                return [], Rejection("unsupported_senml", f"record {i} has the must-understand "
                                     f"field {key!r} (RFC 8428 §4.4), which this receiver does "
                                     "not understand")
        if "bver" in rec:
            ver = rec["bver"]
            if not isinstance(ver, int) or isinstance(ver, bool) or ver > SENML_VERSION:
                return [], Rejection("unsupported_senml", f"record {i}: SenML version {ver!r} "
                                     f"is not supported (at most {SENML_VERSION})")
        try:
            if "bn" in rec:
                bn = _str_field(rec, "bn")
            if "bu" in rec:
                bu = _str_field(rec, "bu")
            if "bt" in rec:
                bt = _num_field(rec, "bt")
            if "bv" in rec:
                bv, has_bv = _num_field(rec, "bv"), True
            if "bs" in rec:
                bs = _num_field(rec, "bs")
            res: dict[str, Any] = {"n": bn + (_str_field(rec, "n") if "n" in rec else "")}
            res["t"] = bt + (_num_field(rec, "t") if "t" in rec else 0.0)
        except _FieldError as exc:
            return [], Rejection("bad_structure", f"record {i}: {exc}")
        unit = rec.get("u", bu)
        if unit is not None:
            res["u"] = unit
        if "v" in rec:
            v = rec["v"]
            res["v"] = bv + v if _is_number(v) else v
        elif has_bv and not any(k in rec for k in ("vs", "vb", "vd", "s")):
            res["v"] = bv           # an absent value counts as 0, like an absent time
        for key in ("vs", "vb", "vd"):
            if key in rec:
                res[key] = rec[key]
        if "s" in rec:
            s = rec["s"]
            res["s"] = bs + s if _is_number(s) else s
        out.append(res)
    return out, None


class _FieldError(ValueError):
    pass


def _str_field(rec: Mapping[str, Any], key: str) -> str:
    v = rec[key]
    if not isinstance(v, str):
        raise _FieldError(f"field {key!r} must be a string, not {_compact(v)}")
    return v


def _num_field(rec: Mapping[str, Any], key: str) -> float:
    v = rec[key]
    if not _is_number(v):
        raise _FieldError(f"field {key!r} must be a number, not {_compact(v)}")
    return float(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


class _Checker:
    """Validates (device, quantity, unit, value, time) against the registry and limits."""

    def __init__(self, registry: Registry, received_us: int, limits: Limits,
                 topic_school: str | None, topic_device: str | None) -> None:
        self.registry = registry
        self.received_us = received_us
        self.ahead_us = received_us + limits.max_ahead // timedelta(microseconds=1)
        self.oldest_us = (0 if limits.max_age is None
                          else received_us - limits.max_age // timedelta(microseconds=1))
        self.topic_school = topic_school
        self.topic_device = topic_device

    def device(self, device_id: str) -> Rejection | None:
        dev = self.registry.devices.get(device_id)
        if dev is None:
            return Rejection("unknown_device", f"device {device_id!r} is not in the registry")
        if self.topic_device is not None and device_id != self.topic_device:
            return Rejection("topic_mismatch", f"device {device_id!r} differs from the topic's "
                                               f"device {self.topic_device!r}")
        if self.topic_school is not None and dev.school_id != self.topic_school:
            return Rejection("topic_mismatch", f"device {device_id!r} belongs to school "
                             f"{dev.school_id!r}, not the topic's school {self.topic_school!r}")
        return None

    def reading(self, device_id: str, quantity: str, unit: Any, value: Any,
                ts_us: int) -> Reading | Rejection:
        q = QUANTITIES.get(quantity)
        if q is None:
            return Rejection("unknown_quantity", f"{quantity!r} is not a known quantity; known: "
                             + ", ".join(QUANTITIES))
        dev = self.registry.devices[device_id]
        if quantity not in dev.quantities:
            return Rejection("quantity_not_reported", f"device {device_id!r} reports "
                             f"{', '.join(dev.quantities)}, not {quantity!r}")
        if unit is not None and unit != q.unit and unit not in q.aliases:
            return Rejection("wrong_unit", f"{quantity} is measured in {q.unit} (also written "
                             f"{', '.join(a for a in q.aliases if a != q.unit) or 'nothing else'}"
                             f"), not {unit!r}")
        if isinstance(value, bool) and q.unit == "bool":
            value = float(value)
        if not _is_number(value) or not math.isfinite(value):
            return Rejection("non_numeric", f"{quantity} value {_compact(value)} is not a finite "
                                            "number")
        if not q.lo <= value <= q.hi:
            return Rejection("out_of_range", f"{quantity} value {value:g} {q.unit} is outside "
                                             f"the plausible range {q.lo:g}..{q.hi:g} {q.unit}")
        if ts_us > self.ahead_us:
            return Rejection("future_timestamp", f"time {_iso(ts_us)} is "
                             f"{(ts_us - self.received_us) / _US:.0f} s after receipt at "
                             f"{_iso(self.received_us)}; at most "
                             f"{(self.ahead_us - self.received_us) / _US:.0f} s is allowed")
        if ts_us < self.oldest_us:
            return Rejection("old_timestamp", f"time {_iso(ts_us)} is before the oldest accepted "
                             f"time {_iso(self.oldest_us)}")
        return Reading(device_id, quantity, ts_us, float(value))


def split_name(name: str, topic_device: str | None) -> tuple[str, str] | None:
    """(device_id, quantity) of a resolved SenML name, or ``None`` if not an accepted form."""
    if not _NAME_RE.match(name):
        return None
    if name.startswith(URN_PREFIX):
        device, sep, quantity = name[len(URN_PREFIX):].rpartition(":")
    else:
        device, sep, quantity = name.rpartition("/")
        if not sep:
            if topic_device is None or ":" in name:
                return None
            return topic_device, name
    if not device or not quantity or not sep:
        return None
    return device, quantity


def parse_senml(pack: Any, registry: Registry, received_us: int, limits: Limits = DEFAULT_LIMITS,
                topic_school: str | None = None, topic_device: str | None = None) -> Parsed:
    """Validate an already decoded SenML pack; see the module docstring for the rules."""
    out = Parsed()
    records, rej = resolve_senml(pack)
    if rej is not None:
        out.rejections.append(rej)
        return out
    check = _Checker(registry, received_us, limits, topic_school, topic_device)
    known: dict[str, Rejection | None] = {}
    for rec in records:
        name = rec["n"]
        parts = split_name(name, topic_device)
        if parts is None:
            why = (Rejection("missing_field", "the record has no name (n or bn)") if not name
                   else Rejection("bad_name", f"name {name!r} is not "
                                  f"'{URN_PREFIX}<device>:<quantity>' nor '<device>/<quantity>'"))
            out.rejections.append(Rejection(why.code, why.message, _compact(rec)))
            continue
        device_id, quantity = parts
        if device_id not in known:
            known[device_id] = check.device(device_id)
        if (dev_rej := known[device_id]) is not None:
            out.rejections.append(Rejection(dev_rej.code, dev_rej.message, _compact(rec)))
            continue
        if "v" in rec:
            value = rec["v"]
        elif "vb" in rec:
            q = QUANTITIES.get(quantity)
            vb = rec["vb"]
            value = (float(vb) if isinstance(vb, bool) and q is not None and q.unit == "bool"
                     else f"boolean {_compact(vb)}")
        elif "vs" in rec or "vd" in rec:
            value = f"string {_compact(rec.get('vs', rec.get('vd')))}"
        else:
            out.rejections.append(Rejection("missing_field", "the record has no value (v or vb)",
                                            _compact(rec)))
            continue
        t = rec["t"]
        ts_us = (round(t * _US) if t >= SENML_RELATIVE_LIMIT
                 else received_us + round(t * _US))
        r = check.reading(device_id, quantity, rec.get("u"), value, ts_us)
        if isinstance(r, Reading):
            out.readings.append(r)
        else:
            out.rejections.append(Rejection(r.code, r.message, _compact(rec)))
    return out


class _SenMLRecord(msgspec.Struct, forbid_unknown_fields=True):
    """The SenML record fields of the common pack (RFC 8428 §4.1, §4.2); any other field makes
    :func:`parse_senml_fast` leave the pack to the full parser."""

    bn: str | None = None
    bt: float | None = None
    bu: str | None = None
    n: str = ""
    u: str | None = None
    v: float | None = None
    t: float = 0.0


_PACK_DECODER = msgspec.json.Decoder(list[_SenMLRecord])
#: (device, quantity, units accepted, lowest, highest plausible value, device code, quantity
#: code): what a resolved name is checked against, and its codes (:func:`device_codes`,
#: :data:`QUANTITY_CODES`).
_Accepted = tuple[str, str, frozenset[str], float, float, int, int]
#: Per registry (by identity): resolved name and topic -> its :data:`_Accepted`, or None when
#: such a record is refused.
_NAME_CACHES: dict[int, tuple[Registry, dict[tuple[str, str | None, str | None],
                                             _Accepted | None]]] = {}
_NAME_CACHE_SIZE = 200_000
#: Code of each known quantity: its position in :data:`~ssckit.school.schema.QUANTITIES`.
QUANTITY_CODES: dict[str, int] = {q: i for i, q in enumerate(QUANTITIES)}
_DEVICE_CODES: dict[int, tuple[Registry, dict[str, int]]] = {}


def device_codes(registry: Registry) -> dict[str, int]:
    """Code of each device of ``registry``: its position among the device ids sorted (the
    codes of :class:`ssckit.school.storage.RegistryCodes`); computed once per registry."""
    hit = _DEVICE_CODES.get(id(registry))
    if hit is not None and hit[0] is registry:
        return hit[1]
    if len(_DEVICE_CODES) > 8:
        _DEVICE_CODES.clear()
    codes = {d: i for i, d in enumerate(sorted(registry.devices))}
    _DEVICE_CODES[id(registry)] = (registry, codes)
    return codes


def _name_cache(registry: Registry) -> dict[tuple[str, str | None, str | None],
                                            _Accepted | None]:
    hit = _NAME_CACHES.get(id(registry))
    if hit is not None and hit[0] is registry:
        if len(hit[1]) > _NAME_CACHE_SIZE:
            hit[1].clear()
        return hit[1]
    if len(_NAME_CACHES) > 8:
        _NAME_CACHES.clear()
    cache: dict[tuple[str, str | None, str | None], _Accepted | None] = {}
    _NAME_CACHES[id(registry)] = (registry, cache)
    return cache


def _accepted_name(registry: Registry, name: str, topic_school: str | None,
                   topic_device: str | None) -> _Accepted | None:
    parts = split_name(name, topic_device)
    if parts is None:
        return None
    device_id, quantity = parts
    dev = registry.devices.get(device_id)
    q = QUANTITIES.get(quantity)
    if dev is None or q is None or quantity not in dev.quantities or (
            topic_device is not None and device_id != topic_device) or (
            topic_school is not None and dev.school_id != topic_school):
        return None
    return (device_id, quantity, frozenset((q.unit, *q.aliases)), q.lo, q.hi,
            device_codes(registry)[device_id], QUANTITY_CODES[quantity])


class FastPacks:
    """Readings of common SenML packs gathered as three lists (the accepted name of each, its
    time [µs since 1970], its value): no object per reading. :meth:`add` takes a pack whole or
    not at all; :meth:`readings` and :meth:`codes` give what was gathered."""

    __slots__ = ("accepted", "ts_us", "values")

    def __init__(self) -> None:
        self.accepted: list[_Accepted] = []
        self.ts_us: list[int] = []
        self.values: list[float] = []

    def __len__(self) -> int:
        return len(self.ts_us)

    def add(self, body: bytes | str, registry: Registry, received_us: int,
            limits: Limits = DEFAULT_LIMITS, topic_school: str | None = None,
            topic_device: str | None = None) -> bool:
        """Gather the readings of ``body`` if it is a SenML pack whose every record is
        accepted (see :func:`parse_senml_fast`); False, gathering nothing, otherwise."""
        try:
            records = _PACK_DECODER.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return False
        if not records:
            return False
        cache = _name_cache(registry)
        ahead_us = received_us + limits.max_ahead // timedelta(microseconds=1)
        oldest_us = (0 if limits.max_age is None
                     else received_us - limits.max_age // timedelta(microseconds=1))
        accepted, times, values = self.accepted, self.ts_us, self.values
        n0 = len(times)
        bn, bu = "", None
        bt = 0.0
        for rec in records:
            if rec.bn is not None:
                bn = rec.bn
            if rec.bu is not None:
                bu = rec.bu
            if rec.bt is not None:
                bt = rec.bt
            value = rec.v
            key = (bn + rec.n, topic_school, topic_device)
            try:
                acc = cache[key]
            except KeyError:
                acc = cache[key] = _accepted_name(registry, key[0], topic_school, topic_device)
            unit = rec.u if rec.u is not None else bu
            if value is None or acc is None or (unit is not None and unit not in acc[2]) or \
                    not acc[3] <= value <= acc[4]:
                break
            t = bt + rec.t
            ts_us = (round(t * _US) if t >= SENML_RELATIVE_LIMIT
                     else received_us + round(t * _US))
            if ts_us > ahead_us or ts_us < oldest_us:
                break
            accepted.append(acc)
            times.append(ts_us)
            values.append(float(value))
        else:
            return True
        del accepted[n0:], times[n0:], values[n0:]      # the pack goes to the full parser
        return False

    def readings(self) -> list[Reading]:
        return [Reading(a[0], a[1], t, v)
                for a, t, v in zip(self.accepted, self.ts_us, self.values, strict=True)]

    def codes(self) -> tuple[list[int], list[int]]:
        """Device and quantity codes of the gathered readings."""
        return [a[5] for a in self.accepted], [a[6] for a in self.accepted]


def parse_senml_fast(body: bytes | str, registry: Registry, received_us: int,
                     limits: Limits = DEFAULT_LIMITS, topic_school: str | None = None,
                     topic_device: str | None = None) -> list[Reading] | None:
    """The readings of a SenML pack whose every record is accepted, or ``None``.

    The fast path of :func:`parse_message` for what sensors send almost always: a pack of
    records with only ``bn``, ``bt``, ``bu``, ``n``, ``u``, ``v`` and ``t`` (RFC 8428 §4.1,
    §4.2), decoded by msgspec into typed records and resolved (§4.6) and checked by the same
    rules as :func:`parse_senml` (a name's device and quantity are checked once per registry
    and topic, then remembered). It returns ``None`` - and the caller parses the body with the
    full parser, which then says what is wrong - for anything else: another field, a boolean
    or string value, a record that would be refused, a body that is not such a pack.
    :class:`FastPacks` gathers many packs' readings without a :class:`Reading` each.
    """
    packs = FastPacks()
    if not packs.add(body, registry, received_us, limits, topic_school, topic_device):
        return None
    return packs.readings()


def parse_time(ts: Any) -> int | Rejection:
    """Microseconds since the epoch of an ISO 8601 string with offset, or epoch seconds."""
    if _is_number(ts):
        if not math.isfinite(ts) or not 0 <= ts < 253_402_300_800:       # year 10000
            return Rejection("bad_timestamp", f"ts {_compact(ts)} is not a time in seconds since "
                                              "1970-01-01")
        return round(ts * _US)
    if not isinstance(ts, str):
        return Rejection("bad_timestamp", f"ts {_compact(ts)} is neither an ISO 8601 string nor "
                                          "a number of seconds")
    try:
        dt = datetime.fromisoformat(ts)
    except ValueError:
        return Rejection("bad_timestamp", f"ts {ts!r} is not an ISO 8601 date-time")
    if dt.tzinfo is None:
        return Rejection("bad_timestamp", f"ts {ts!r} has no UTC offset (write e.g. "
                                          "'2026-03-02T08:01:00Z' or '...+01:00')")
    return to_us(dt)


def parse_simple(msg: Any, registry: Registry, received_us: int, limits: Limits = DEFAULT_LIMITS,
                 topic_school: str | None = None, topic_device: str | None = None) -> Parsed:
    """Validate an already decoded simple-format message; see the module docstring."""
    out = Parsed()
    if not isinstance(msg, dict):
        out.rejections.append(Rejection("bad_structure", "a simple message must be a JSON object"))
        return out
    missing = [k for k in ("device", "ts", "readings") if k not in msg]
    if missing:
        out.rejections.append(Rejection("missing_field", f"field(s) {', '.join(missing)} "
                                        "absent; required: device, ts, readings"))
        return out
    device_id, readings, units = msg["device"], msg["readings"], msg.get("units", {})
    if not isinstance(device_id, str) or not isinstance(readings, dict) or not readings \
            or not isinstance(units, dict):
        out.rejections.append(Rejection("bad_structure", "'device' must be a string, 'readings' "
                                        "a non-empty object of quantity: number and 'units' "
                                        "an object of quantity: unit"))
        return out
    ts_us = parse_time(msg["ts"])
    if isinstance(ts_us, Rejection):
        out.rejections.append(ts_us)
        return out
    check = _Checker(registry, received_us, limits, topic_school, topic_device)
    if (rej := check.device(device_id)) is not None:
        out.rejections.append(rej)
        return out
    for quantity, value in readings.items():
        r = check.reading(device_id, quantity, units.get(quantity), value, ts_us)
        if isinstance(r, Reading):
            out.readings.append(r)
        else:
            part = {"device": device_id, "ts": msg["ts"], "readings": {quantity: value}}
            if quantity in units:
                part["units"] = {quantity: units[quantity]}
            out.rejections.append(Rejection(r.code, r.message, _compact(part)))
    return out


def parse_message(body: bytes | str, registry: Registry, received_at: datetime | None = None,
                  limits: Limits = DEFAULT_LIMITS, topic_school: str | None = None,
                  topic_device: str | None = None) -> Parsed:
    """Parse and validate one message body in either format (told apart by its JSON type).

    Parameters
    ----------
    body : bytes | str
        The raw message (UTF-8 JSON).
    registry : Registry
        Known schools, rooms and devices.
    received_at : datetime, optional
        Time of receipt [UTC]; relative SenML times and timestamp limits refer to it.
        Default: now.
    limits : Limits
        How far ahead of, and behind, the time of receipt a reading may be.
    topic_school, topic_device : str, optional
        The school and device named by the MQTT topic; readings must match them, and a bare
        SenML quantity name refers to ``topic_device``.
    """
    received_us = to_us(received_at if received_at is not None else datetime.now(UTC))
    fast = parse_senml_fast(body, registry, received_us, limits, topic_school, topic_device)
    if fast is not None:
        return Parsed(fast, [])
    obj, rej = load_json(body)
    if rej is not None:
        return Parsed([], [rej])
    if isinstance(obj, list):
        return parse_senml(obj, registry, received_us, limits, topic_school, topic_device)
    if isinstance(obj, dict) and "device" in obj:
        return parse_simple(obj, registry, received_us, limits, topic_school, topic_device)
    if isinstance(obj, dict) and "readings" in obj:
        return Parsed([], [Rejection("missing_field", "field device absent; required: device, "
                                                      "ts, readings")])
    return Parsed([], [Rejection("bad_structure", "expected a SenML pack (JSON array) or a "
                                 "simple message (object with device, ts, readings), got "
                                 f"{type(obj).__name__ if obj is not None else 'null'}")])


# -- formatting --------------------------------------------------------------------------------
def _num_json(x: float) -> int | float:
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else x


def format_senml(device_id: str, readings: Iterable[Reading]) -> bytes:
    """One SenML pack for ``readings`` of one device: base name, base time, canonical units.

    The first record carries ``bn`` = ``urn:dev:ssckit:<device_id>:`` and ``bt`` = the earliest
    time; each record carries ``n`` (the quantity), ``u``, ``v`` and ``t`` relative to ``bt``.
    """
    rs = list(readings)
    if not rs:
        raise ValueError("no readings to format")
    t0 = min(r.ts_us for r in rs)
    records: list[dict[str, Any]] = []
    for i, r in enumerate(rs):
        if r.device_id != device_id:
            raise ValueError(f"reading of {r.device_id!r} in a pack for {device_id!r}")
        rec: dict[str, Any] = {"n": r.quantity, "u": QUANTITIES[r.quantity].unit,
                               "v": _num_json(r.value)}
        if r.ts_us != t0:
            rec["t"] = _num_json((r.ts_us - t0) / _US)
        if i == 0:
            rec = {"bn": f"{URN_PREFIX}{device_id}:", "bt": _num_json(t0 / _US), **rec}
        records.append(rec)
    return _compact(records).encode()


def format_simple(device_id: str, readings: Iterable[Reading]) -> bytes:
    """One simple-format message; every reading must be of ``device_id`` at the same time."""
    rs = list(readings)
    if not rs:
        raise ValueError("no readings to format")
    ts = rs[0].ts_us
    values: dict[str, int | float] = {}
    for r in rs:
        if r.device_id != device_id or r.ts_us != ts:
            raise ValueError("a simple message holds one device at one time")
        values[r.quantity] = _num_json(r.value)
    return _compact({"device": device_id, "ts": _iso(ts), "readings": values}).encode()


def format_message(device_id: str, readings: Iterable[Reading], fmt: str = "senml") -> bytes:
    """Format ``readings`` of one device as ``fmt`` (``"senml"`` or ``"simple"``)."""
    if fmt == "senml":
        return format_senml(device_id, readings)
    if fmt == "simple":
        return format_simple(device_id, readings)
    raise ValueError(f"unknown message format {fmt!r}; use 'senml' or 'simple'")
