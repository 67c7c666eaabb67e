"""Sensor message parsing, validation and formatting (SenML per RFC 8428, and simple JSON)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ssckit.school.payload import (
    REASONS,
    Limits,
    Reading,
    format_message,
    format_senml,
    format_simple,
    parse_message,
    parse_time,
    resolve_senml,
    split_name,
    to_us,
)

NOW = datetime(2026, 3, 2, 8, 5, 0)          # time of receipt in these tests (naive UTC)
T1 = datetime(2026, 3, 2, 8, 1, 0)
DEV = "S01-R101-env0"


def parse(body: object, registry: object, **kw: object):
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return parse_message(raw, registry, received_at=NOW, **kw)


def only_reason(result: object) -> str:
    assert not result.readings, result.readings
    assert len(result.rejections) == 1, result.rejections
    return result.rejections[0].code


# -- RFC 8428 resolution -----------------------------------------------------------------------
def test_rfc8428_single_datapoint() -> None:
    # RFC 8428 §5.1.1, "Single Datapoint"
    recs, rej = resolve_senml([{"n": "urn:dev:ow:10e2073a01080063", "u": "Cel", "v": 23.1}])
    assert rej is None
    assert recs == [{"n": "urn:dev:ow:10e2073a01080063", "u": "Cel", "v": 23.1, "t": 0.0}]


def test_rfc8428_multiple_datapoints_base_name() -> None:
    # RFC 8428 §5.1.2, "Multiple Datapoints": bn is prepended to every later n
    recs, rej = resolve_senml([
        {"bn": "urn:dev:ow:10e2073a01080063:", "n": "voltage", "u": "V", "v": 120.1},
        {"n": "current", "u": "A", "v": 1.2}])
    assert rej is None
    assert [(r["n"], r["u"], r["v"]) for r in recs] == [
        ("urn:dev:ow:10e2073a01080063:voltage", "V", 120.1),
        ("urn:dev:ow:10e2073a01080063:current", "A", 1.2)]


def test_rfc8428_multiple_measurements_base_time_and_unit() -> None:
    # RFC 8428 §5.1.3, "Multiple Measurements" (bver 5 is accepted: not above 10); resolved as
    # in §4.6: t = bt + t, u = u or bu
    pack = [{"bn": "urn:dev:ow:10e2073a0108006:", "bt": 1.276020076001e+09, "bu": "A",
             "bver": 5, "n": "voltage", "u": "V", "v": 120.1},
            {"n": "current", "t": -5, "v": 1.2}, {"n": "current", "t": -4, "v": 1.3},
            {"n": "current", "t": -3, "v": 1.4}, {"n": "current", "t": -2, "v": 1.5},
            {"n": "current", "t": -1, "v": 1.6}, {"n": "current", "v": 1.7}]
    recs, rej = resolve_senml(pack)
    assert rej is None
    assert recs[0] == {"n": "urn:dev:ow:10e2073a0108006:voltage", "u": "V", "v": 120.1,
                       "t": 1.276020076001e+09}
    assert [r["u"] for r in recs[1:]] == ["A"] * 6
    assert [r["t"] for r in recs[1:]] == pytest.approx(
        [1.276020071001e+09 + k for k in range(6)], abs=1e-6)


def test_base_value_is_added() -> None:
    # RFC 8428 §4.1: "A base value is added to the value found in an entry"
    recs, _ = resolve_senml([{"bn": "a/", "bv": 400, "n": "co2", "v": 12},
                             {"n": "co2", "t": 60, "v": -5}])
    assert [r["v"] for r in recs] == [412, 395]


def test_relative_time_is_relative_to_receipt(registry: object) -> None:
    # RFC 8428 §4.5.3: times below 2**28 are relative to now; no time at all means "now"
    res = parse([{"bn": f"urn:dev:ssckit:{DEV}:", "n": "co2", "u": "ppm", "v": 800, "t": -60},
                 {"n": "co2", "v": 810}], registry)
    assert not res.rejections
    assert [r.ts for r in res.readings] == [NOW - timedelta(minutes=1), NOW]


# -- accepted forms ----------------------------------------------------------------------------
def test_senml_names_and_unit_aliases(registry: object) -> None:
    bt = to_us(T1) / 1e6
    res = parse([{"bn": f"urn:dev:ssckit:{DEV}:", "bt": bt, "n": "co2", "u": "ppm", "v": 812},
                 {"bn": "", "n": f"{DEV}/temperature", "u": "°C", "v": 21.3},
                 {"n": f"{DEV}/humidity", "u": "%", "v": 40}], registry)
    assert not res.rejections
    assert res.readings == [Reading(DEV, "co2", to_us(T1), 812.0),
                            Reading(DEV, "temperature", to_us(T1), 21.3),
                            Reading(DEV, "humidity", to_us(T1), 40.0)]
    assert res.readings[0].ts == T1


def test_bare_quantity_name_takes_the_topic_device(registry: object) -> None:
    body = [{"bt": to_us(T1) / 1e6, "n": "noise", "u": "dBA", "v": 42}]
    assert only_reason(parse(body, registry)) == "bad_name"
    res = parse(body, registry, topic_school="S01", topic_device=DEV)
    assert res.readings == [Reading(DEV, "noise", to_us(T1), 42.0)]


def test_boolean_value_for_online(registry: object) -> None:
    res = parse([{"bn": "urn:dev:ssckit:S01-net:", "bt": to_us(T1) / 1e6, "n": "online",
                  "vb": True}, {"n": "online", "t": 60, "vb": False}], registry)
    assert [r.value for r in res.readings] == [1.0, 0.0]


def test_simple_message(registry: object) -> None:
    res = parse({"device": DEV, "ts": "2026-03-02T09:01:00+01:00",
                 "readings": {"co2": 812, "temperature": 21.3},
                 "units": {"temperature": "degC"}}, registry)
    assert not res.rejections
    assert res.readings == [Reading(DEV, "co2", to_us(T1), 812.0),
                            Reading(DEV, "temperature", to_us(T1), 21.3)]
    epoch = parse({"device": DEV, "ts": to_us(T1) / 1e6, "readings": {"co2": 812}}, registry)
    assert epoch.readings == res.readings[:1]


def test_parse_time() -> None:
    assert parse_time("2026-03-02T08:01:00Z") == to_us(T1)
    assert parse_time("2026-03-02T08:01:00.5+00:00") == to_us(T1) + 500_000
    assert parse_time(1_772_438_460) == to_us(T1)
    assert parse_time("2026-03-02T08:01:00").code == "bad_timestamp"    # no offset


def test_split_name() -> None:
    assert split_name("urn:dev:ssckit:S01-R101-env0:co2", None) == ("S01-R101-env0", "co2")
    assert split_name("S01-R101-env0/co2", None) == ("S01-R101-env0", "co2")
    assert split_name("co2", "S01-net") == ("S01-net", "co2")
    assert split_name("co2", None) is None
    assert split_name("thermometer:co2", "S01-net") is None
    assert split_name("urn:dev:ssckit:co2", None) is None
    assert split_name("-bad/co2", None) is None       # RFC 8428 §4.5.1 first character


# -- every rejection reason --------------------------------------------------------------------
def senml(**rec: object) -> list[dict[str, object]]:
    return [{"bn": f"urn:dev:ssckit:{DEV}:", "bt": to_us(T1) / 1e6, "n": "co2", "u": "ppm",
             "v": 812, **rec}]


def simple(**kw: object) -> dict[str, object]:
    return {"device": DEV, "ts": "2026-03-02T08:01:00Z", "readings": {"co2": 812}, **kw}


CASES = [
    ("bad_json", b"{not json"),
    ("bad_json", b'[{"n": "x", "v": NaN}]'),
    ("bad_json", b"\xff\xfe"),
    ("bad_structure", b'"a string"'),
    ("bad_structure", b"[]"),
    ("bad_structure", b"[1, 2]"),
    ("bad_structure", senml(bt="yesterday")),
    ("bad_structure", simple(readings=[812])),
    ("missing_field", {"device": DEV, "readings": {"co2": 812}}),
    ("missing_field", {"ts": 1, "readings": {"co2": 812}}),
    ("missing_field", [{"u": "ppm", "v": 1}]),
    ("missing_field", [{"bn": f"urn:dev:ssckit:{DEV}:", "n": "co2"}]),
    ("unsupported_senml", senml(bver=11)),
    ("unsupported_senml", senml(foo_="x")),
    ("bad_name", senml(bn="urn:dev:other:", n="x")),
    ("unknown_device", simple(device="S09-nowhere")),
    ("unknown_device", senml(bn="urn:dev:ssckit:S09-nowhere:")),
    ("unknown_quantity", simple(readings={"radon": 50})),
    ("quantity_not_reported", simple(readings={"electricity": 50})),
    ("wrong_unit", simple(readings={"temperature": 70}, units={"temperature": "°F"})),
    ("wrong_unit", senml(u="ppb")),
    ("non_numeric", simple(readings={"co2": "812"})),
    ("non_numeric", simple(readings={"co2": None})),
    ("non_numeric", senml(v="812")),
    ("non_numeric", b'[{"n": "S01-R101-env0/co2", "bt": 1772438460, "v": 1e400}]'),
    ("non_numeric", [{"bn": f"urn:dev:ssckit:{DEV}:", "n": "co2", "vs": "high"}]),
    ("non_numeric", [{"bn": f"urn:dev:ssckit:{DEV}:", "n": "co2", "vb": True}]),
    ("out_of_range", simple(readings={"co2": 50_000})),
    ("out_of_range", senml(n="humidity", u="%RH", v=-1)),
    ("bad_timestamp", simple(ts="yesterday")),
    ("bad_timestamp", simple(ts="2026-03-02 08:01")),
    ("bad_timestamp", simple(ts=True)),
    ("future_timestamp", simple(ts="2026-03-02T08:10:01Z")),
    ("future_timestamp", senml(t=600)),
    ("old_timestamp", simple(ts="2001-01-01T00:00:00Z")),
]


@pytest.mark.parametrize(("code", "body"), CASES, ids=[f"{c}-{i}" for i, (c, _) in
                                                       enumerate(CASES)])
def test_rejection_reasons(registry: object, code: str, body: object) -> None:
    res = parse(body, registry)
    assert only_reason(res) == code
    rej = res.rejections[0]
    assert code in REASONS
    assert str(rej).startswith(f"{code}: ") and len(rej.message) > 10


def test_topic_mismatch(registry: object) -> None:
    assert only_reason(parse(simple(), registry, topic_school="S01",
                             topic_device="S01-R102-env0")) == "topic_mismatch"
    assert only_reason(parse(simple(), registry, topic_school="S02",
                             topic_device=DEV)) == "topic_mismatch"


def test_reason_messages_are_readable(registry: object) -> None:
    msg = str(parse(simple(readings={"co2": 50_000}), registry).rejections[0])
    assert msg == ("out_of_range: co2 value 50000 ppm is outside the plausible range "
                   "250..10000 ppm")
    msg = str(parse(simple(readings={"electricity": 5}), registry).rejections[0])
    assert "reports co2, temperature, humidity, pm25, noise" in msg


def test_time_limits_are_configurable(registry: object) -> None:
    old = simple(ts="2001-01-01T00:00:00Z")
    assert parse(old, registry, limits=Limits(max_age=None)).readings
    ahead = simple(ts="2026-03-02T09:00:00Z")
    assert parse(ahead, registry, limits=Limits(max_ahead=timedelta(hours=1))).readings


def test_one_bad_reading_does_not_reject_the_others(registry: object) -> None:
    res = parse(simple(readings={"co2": 812, "temperature": 99, "humidity": 40}), registry)
    assert [r.quantity for r in res.readings] == ["co2", "humidity"]
    [rej] = res.rejections
    assert rej.code == "out_of_range"
    assert json.loads(rej.record)["readings"] == {"temperature": 99}
    res = parse(senml() + [{"n": "co2", "t": 60, "v": "x"}, {"n": "co2", "t": 120, "v": 900}],
                registry)
    assert [r.value for r in res.readings] == [812.0, 900.0]
    assert [r.code for r in res.rejections] == ["non_numeric"]


# -- formatting --------------------------------------------------------------------------------
def test_format_senml_round_trip(registry: object) -> None:
    rs = [Reading(DEV, "co2", to_us(T1) + k * 60_000_000, 800.0 + k) for k in range(3)]
    rs.append(Reading(DEV, "temperature", to_us(T1), 21.25))
    body = format_senml(DEV, rs)
    pack = json.loads(body)
    assert pack[0]["bn"] == f"urn:dev:ssckit:{DEV}:" and pack[0]["bt"] == to_us(T1) / 1e6
    assert pack[1] == {"n": "co2", "u": "ppm", "v": 801, "t": 60}
    assert parse(body, registry).readings == rs
    assert format_message(DEV, rs, "senml") == body


def test_format_simple_round_trip(registry: object) -> None:
    rs = [Reading(DEV, "co2", to_us(T1), 812.0), Reading(DEV, "noise", to_us(T1), 41.5)]
    body = format_simple(DEV, rs)
    assert json.loads(body) == {"device": DEV, "ts": "2026-03-02T08:01:00Z",
                                "readings": {"co2": 812, "noise": 41.5}}
    assert parse(body, registry).readings == rs
    with pytest.raises(ValueError, match="one device at one time"):
        format_simple(DEV, rs + [Reading(DEV, "co2", to_us(T1) + 1, 1.0)])
    with pytest.raises(ValueError, match="unknown message format"):
        format_message(DEV, rs, "xml")


def test_received_at_defaults_to_now(registry: object) -> None:
    now = datetime.now(UTC)
    res = parse_message(json.dumps(simple(ts=now.isoformat())), registry)
    assert len(res.readings) == 1


# -- the msgspec fast path agrees with the full parser -----------------------------------------
def _variants() -> list[tuple[object, str | None, str | None]]:
    """(pack, topic school, topic device): common packs and every field the fast path leaves
    to the full parser, refused records, base-field resets and relative times."""
    import random

    rnd = random.Random(8428)
    t = to_us(T1) / 1e6
    urn = f"urn:dev:ssckit:{DEV}:"
    base = [{"bn": urn, "bt": t, "n": "co2", "u": "ppm", "v": 812},
            {"n": "temperature", "u": "Cel", "v": 21.3, "t": 60},
            {"n": "humidity", "v": 41}]
    extras = [{}, {"bu": "ppm"}, {"bt": 0}, {"bt": -3600}, {"bn": ""}, {"bn": f"{DEV}/"},
              {"u": "°C"}, {"u": "K"}, {"v": True}, {"v": "812"}, {"v": 1e400}, {"v": -5},
              {"v": 20_000}, {"vb": True}, {"vs": "x"}, {"bver": 10}, {"bver": 11},
              {"x_": 1}, {"ut": 60}, {"t": 1e9}, {"t": -1e9}, {"n": "co2 "}, {"n": "ghost"},
              {"n": "S02-R201-env0/co2", "bn": ""}, {"n": "online", "v": 1},
              {"bv": 5}, {"s": 1}, {"t": 86400 * 30}]
    cases: list[tuple[object, str | None, str | None]] = [(base, None, None),
                                                           (base, "S01", DEV)]
    for extra in extras:
        for at in range(3):
            pack = [dict(r) for r in base]
            pack[at].update(extra)
            cases.append((pack, "S01", DEV))
            cases.append((pack, None, None))
    for _ in range(200):
        pack = [dict(r) for r in rnd.sample(base, k=rnd.randint(1, 3))]
        pack[0].setdefault("bn", urn)
        for r in pack:
            if rnd.random() < 0.3:
                r.update(rnd.choice(extras))
        cases.append((pack, rnd.choice([None, "S01", "S02"]), rnd.choice([None, DEV])))
    cases += [([], None, None), ({"device": DEV}, None, None), ("[1]", None, None),
              ('[{"bn": "a", "bn": "' + urn + '", "n": "co2", "v": 800}]', None, None)]
    return cases


@pytest.mark.parametrize("limits", [Limits(), Limits(max_age=None)])
def test_fast_path_agrees_with_the_full_parser(registry: object, limits: Limits) -> None:
    from ssckit.school.payload import load_json, parse_senml, parse_senml_fast

    received = to_us(NOW)
    fast_taken = 0
    for pack, school, device in _variants():
        body = pack if isinstance(pack, str) else json.dumps(pack)
        fast = parse_senml_fast(body, registry, received, limits, school, device)
        obj, rej = load_json(body)
        full = (parse_senml(obj, registry, received, limits, school, device)
                if rej is None and isinstance(obj, list) else None)
        if fast is not None:
            fast_taken += 1
            assert full is not None and not full.rejections, body
            assert fast == full.readings, body
        if full is not None:            # parse_message gives what the full parser gives
            assert parse_message(body, registry, NOW, limits, school, device) == full, body
    assert fast_taken > 50          # the common packs do take the fast path


def test_fast_path_takes_the_packs_this_project_publishes(registry: object) -> None:
    from ssckit.school.payload import parse_senml_fast

    rs = [Reading(DEV, q, to_us(T1) + k * 60_000_000, v)
          for k in range(3) for q, v in (("co2", 812.0), ("temperature", 21.25))]
    body = format_senml(DEV, rs)
    assert parse_senml_fast(body, registry, to_us(NOW), Limits(), "S01", DEV) == rs


def test_a_batch_of_mixed_messages_gives_what_each_full_parse_gives(registry: object) -> None:
    """The ingester's batch parse (packs gathered as columns of codes, the rest parsed in
    full) keeps exactly the readings the full parser accepts message by message, a pack
    refused halfway included (nothing of it is taken twice)."""
    from ssckit.school.ingest import Message, parse_messages
    from ssckit.school.storage import RegistryCodes

    t = to_us(T1)
    good = [Reading(DEV, q, t + k * 60_000_000, v)
            for k in range(4) for q, v in (("co2", 800.0 + k), ("temperature", 21.5))]
    half_bad = json.loads(format_senml(DEV, good[:3]))
    half_bad.append({"n": "co2", "v": 99_999})
    bodies = [format_senml(DEV, good[:4]), json.dumps(half_bad).encode(),
              json.dumps({"device": DEV, "ts": T1.isoformat() + "Z",
                          "readings": {"co2": 700}}).encode(),
              format_senml(DEV, good[4:])]
    messages = [Message("mqtt:t", b, "S01", DEV) for b in bodies]
    codes = RegistryCodes(registry)
    batch = parse_messages(codes, registry, messages, NOW)
    got = sorted(zip(codes.device_names[batch.columns.device].tolist(),
                     codes.quantity_names[batch.columns.quantity].tolist(),
                     batch.columns.ts_us.tolist(), batch.columns.value.tolist(), strict=True))
    want = sorted(tuple(r) for b in bodies
                  for r in parse_message(b, registry, NOW, Limits(), "S01", DEV).readings)
    assert got == want and len(got) == 8 + 3 + 1
    assert [q[3] for q in batch.quarantine] and batch.stats.reasons == {"out_of_range": 1}
