"""School alerts: rules with hysteresis over stored readings, routed by role and school,
delivered as real e-mail (local aiosmtpd) and signed webhooks (local HTTP server that refuses
its first request), rate-limited, held in quiet hours, never sent twice after a restart."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import pytest

from ssckit.core.errors import InputError
from ssckit.core.notify import verify_signature
from ssckit.core.store import Store
from ssckit.school import notify_rules as nr
from ssckit.school.schema import ensure_tables, store_registry
from ssckit.school.simulate import registry_from_rows
from tests.notify_receivers import WebhookReceiver, local_mailbox

SECRET = "school-hook-secret"
END = datetime(2026, 3, 10)
M0 = int((END - timedelta(hours=48) - datetime(1970, 1, 1)).total_seconds() // 60)


@pytest.fixture
def mailbox() -> Iterator[tuple[int, list]]:
    with local_mailbox() as box:
        yield box


def _registry():
    school = {"id": "S1", "name": "One", "lat": 40.0, "lon": 39.0, "pupils": 300, "staff": 30,
              "floor_area_m2": 2000.0, "contracted_down_mbps": 50.0, "contracted_up_mbps": 10.0,
              "benchmark_down_mbps": 20.0}
    rooms = [{"school_id": "S1", "room_id": "R1", "type": "classroom", "area_m2": 55.0,
              "capacity": 28, "timetable": "mon-fri 08:00-14:00"}]
    devices = [{"device_id": "S1-R1-env", "school_id": "S1", "room_id": "R1",
                "quantities": "co2;temperature"},
               {"device_id": "S1-meter", "school_id": "S1", "room_id": "",
                "quantities": "electricity"},
               {"device_id": "S1-probe", "school_id": "S1", "room_id": "",
                "quantities": "download;online"}]
    return registry_from_rows([school], rooms, devices)


def _rows():
    """Two days of readings with planted faults (minutes from the window's start)."""
    rows = []
    n = 48 * 60
    co2 = np.full(n, 800.0)
    co2[600:630] = 2100.0    # 30 min above 2000 ...
    co2[630:640] = 1800.0    # ... a dip that does not clear (>= 1500) ...
    co2[640:645] = 2100.0    # ... back up: still the same alert
    co2[1200:1215] = 2500.0  # 15 min: under the 20-minute rule, no alert
    co2[2000:] = 2200.0      # still on at the end: an open alert
    rows += [("S1-R1-env", "co2", M0 + i, float(co2[i])) for i in range(n)]
    temp = np.full(n // 5, 22.0)
    temp[180:198] = 29.0     # 90 min above 28 degC (5-minute readings)
    rows += [("S1-R1-env", "temperature", M0 + 5 * i, float(temp[i])) for i in range(n // 5)]
    e, meter = 1000.0, []
    for i in range(n // 15):
        e += 1.0
        if i == 100:
            e = 3.0          # counter reset
        if i == 160:
            e += 30.0        # a spike: 30 kWh in one quarter hour
        meter.append(("S1-meter", "electricity", M0 + 15 * i, e))
    rows += meter
    for i in range(n // 15):
        if 40 <= i < 80:     # the probe is silent for 10 h
            continue
        day = i // 96
        rows.append(("S1-probe", "download", M0 + 15 * i, 8.0 if day == 0 else 35.0))
        rows.append(("S1-probe", "online", M0 + 15 * i, 1.0))
    return rows


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    reg = _registry()
    with Store.open(tmp_path / "s.duckdb") as st:
        store_registry(st, reg)
        ensure_tables(st)
        rows = _rows()
        dev = {d.device_id: d for d in reg.devices.values()}
        with st.transaction() as cur:
            cur.executemany("INSERT INTO school_readings VALUES (?, ?, make_timestamp(? * "
                            "60000000::BIGINT), ?, ?, ?)",
                            [[d, q, m, v, dev[d].school_id, dev[d].room_id]
                             for d, q, m, v in rows])
        yield st


def _settings(smtp_port: int, hook_url: str, **extra):
    return nr.alert_settings({
        "email": {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "sender": "alerts@c.test"},
        "webhook": {"secret_env": "SSCKIT_SCHOOL_HOOK"},
        "subscriptions": [
            {"role": "headteacher", "schools": ["S1"], "rules": ["co2", "temperature"],
             "email": ["head@s1.test"]},
            {"role": "facilities", "rules": ["meter", "offline", "speed"],
             "email": ["fm@c.test"], "webhook": hook_url},
            {"role": "other-school", "schools": ["S2"], "email": ["nobody@s2.test"]}],
        **extra})


def test_rules_find_the_planted_faults(store):
    cfg = nr.alert_settings({})
    found = nr.detect_alerts(store, _registry(), cfg, None, END)
    got = sorted((a.rule, a.subject, a.ended_at is None) for a in found)
    assert got == [("co2", "R1", False), ("co2", "R1", True), ("meter", "S1-meter/electricity",
                                                                 False),
                   ("meter", "S1-meter/electricity", False),
                   ("offline", "S1-probe", False), ("speed", "S1-probe", False),
                   ("temperature", "R1", False)]
    co2 = min((a for a in found if a.rule == "co2"), key=lambda a: a.started_at)
    # raised 20 min after the run began, cleared at the first reading under 1500 ppm
    assert co2.started_at == datetime(1970, 1, 1) + timedelta(minutes=M0 + 600)
    assert co2.raised_at - co2.started_at == timedelta(minutes=20)
    assert co2.ended_at - co2.started_at == timedelta(minutes=45) and co2.peak == 2100.0
    kinds = sorted(a.extra["kind"] for a in found if a.rule == "meter")
    assert kinds == ["reset", "spike"]
    off = next(a for a in found if a.rule == "offline")
    assert off.ended_at - off.started_at == timedelta(minutes=15 * 41)   # 10 h + one step


def test_sustained_episodes_hysteresis_and_gap():
    t = np.arange(0, 200, 5)
    v = np.where((t >= 50) & (t < 80), 30.0, 22.0)    # 30 min at 5-minute readings
    assert nr.sustained_episodes(t, v, 28.0, 27.0, 25, max_gap_min=5)[0].end == 80
    assert nr.sustained_episodes(t, v, 28.0, 27.0, 30, max_gap_min=5) == []
    assert nr.sustained_episodes(t, v, 28.0, 27.0, 25, max_gap_min=1) == []


def test_delivery_email_and_signed_webhook_once(store, mailbox, monkeypatch):
    monkeypatch.setenv("SSCKIT_SCHOOL_HOOK", SECRET)
    port, mails = mailbox
    hooks = WebhookReceiver(refuse_status=503)
    try:
        cfg = _settings(port, hooks.url)
        r1 = nr.run_alerts(store, _registry(), cfg, None, END)
        assert r1.found == 7 and r1.new == 7
        # head: 3 (co2 x2, temperature); facilities e-mail 4; webhook 4, the first refused
        assert r1.deliveries == {"sent": 10, "failed": 1, "deferred": 0}
        by_rcpt = sorted(m.rcpt_tos[0] for m in mails)
        assert by_rcpt == ["fm@c.test"] * 4 + ["head@s1.test"] * 3
        co2_mail = next(m for m in mails if b"CO\xe2\x82\x82 above 2000" in m.content)
        assert b"X-Ssckit-Alert: co2:S1:R1:" in co2_mail.content
        # a restart: the same history evaluated again sends nothing new, retries the webhook
        r2 = nr.run_alerts(store, _registry(), cfg, None, END)
        assert r2.new == 0 and r2.deliveries == {"sent": 1, "failed": 0, "deferred": 0}
        assert len(mails) == 7 and len(hooks.received) == 4
        for headers, body in hooks.received:
            assert verify_signature(SECRET.encode(), headers["x-ssckit-timestamp"], body,
                                    headers["x-ssckit-signature"])
            assert not verify_signature(b"other", headers["x-ssckit-timestamp"], body,
                                        headers["x-ssckit-signature"])
        payloads = [json.loads(b) for _, b in hooks.received]
        assert {p["rule"] for p in payloads} == {"meter", "offline", "speed"}
        assert all(p["roles"] == ["facilities"] for p in payloads)
        cur = store.cursor()
        log = cur.execute(f"SELECT channel, ok, count(*) FROM {nr.DELIVERIES_TABLE} "
                          "GROUP BY ALL ORDER BY ALL").fetchall()
        cur.close()
        assert log == [("email", True, 7), ("webhook", False, 1), ("webhook", True, 4)]
    finally:
        hooks.close()


def test_rate_limit_and_quiet_hours(store, mailbox, monkeypatch):
    monkeypatch.setenv("SSCKIT_SCHOOL_HOOK", SECRET)
    port, mails = mailbox
    hooks = WebhookReceiver()
    try:
        quiet = _settings(port, hooks.url, quiet_hours="00:00-23:59")
        r = nr.run_alerts(store, _registry(), quiet, None, END, now=datetime(2026, 3, 10, 12))
        assert r.new == 7 and r.deliveries["sent"] == 0 and mails == []    # held back
        limited = _settings(port, hooks.url, rate_limit_per_hour=2)
        r = nr.run_alerts(store, _registry(), limited, None, END)
        # two per destination and hour: head 2 of 3, facilities e-mail 2 of 4, webhook 2 of 4
        assert r.deliveries == {"sent": 6, "failed": 0, "deferred": 5}
        assert len(mails) == 4 and len(hooks.received) == 2
    finally:
        hooks.close()
    assert nr.in_quiet_hours("22:00-07:00", datetime(2026, 1, 1, 23, 30))
    assert nr.in_quiet_hours("22:00-07:00", datetime(2026, 1, 1, 6, 59))
    assert not nr.in_quiet_hours("22:00-07:00", datetime(2026, 1, 1, 7, 0))


def test_bad_settings_are_one_line():
    with pytest.raises(InputError, match=r"settings.school.alerts.co2.raise_ppm"):
        nr.alert_settings({"co2": {"raise_ppm": 50}})
    with pytest.raises(InputError, match="neither email nor webhook"):
        nr.alert_settings({"subscriptions": [{"role": "x"}]})


def test_cli_dry_run_and_a_bad_setting(tmp_path):
    import csv

    import yaml
    from click.testing import CliRunner

    from ssckit.cli import cli

    root = tmp_path / "city"
    root.mkdir()
    reg = _registry()
    s = next(iter(reg.schools.values()))
    tables = {
        "schools.csv": [{"id": s.id, "name": s.name, "lat": s.lat, "lon": s.lon,
                         "pupils": s.pupils, "staff": s.staff,
                         "floor_area_m2": s.floor_area_m2,
                         "contracted_down_mbps": s.contracted_down_mbps,
                         "contracted_up_mbps": s.contracted_up_mbps,
                         "benchmark_down_mbps": s.benchmark_down_mbps}],
        "rooms.csv": [{"school_id": r.school_id, "room_id": r.room_id, "type": r.type,
                       "area_m2": r.area_m2, "capacity": r.capacity, "timetable": r.timetable}
                      for r in reg.rooms.values()],
        "devices.csv": [{"device_id": d.device_id, "school_id": d.school_id,
                         "room_id": d.room_id, "quantities": ";".join(d.quantities)}
                        for d in reg.devices.values()]}
    for name, rows in tables.items():
        with (root / name).open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    (root / "boundary.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[500000, 0], [501000, 0], '
        '[501000, 1000], [500000, 1000], [500000, 0]]]}}]}')
    doc = {"name": "Testville", "country": "XX", "year": 2026, "crs": "EPSG:32636",
           "boundary": "boundary.geojson", "synthetic": True,
           "inputs": {"school": {"schools": "schools.csv", "rooms": "rooms.csv",
                                 "devices": "devices.csv"}},
           "settings": {"school": {"alerts": {"co2": {"minutes": 20}}}}}
    (root / "city.yaml").write_text(yaml.safe_dump(doc))
    with Store.open(root / "ssckit.duckdb") as st:
        store_registry(st, reg)
        ensure_tables(st)
        with st.transaction() as cur:
            cur.executemany("INSERT INTO school_readings VALUES (?, ?, make_timestamp(? * "
                            "60000000::BIGINT), ?, ?, ?)",
                            [[d, q, m, v, reg.devices[d].school_id, reg.devices[d].room_id]
                             for d, q, m, v in _rows()])
    r = CliRunner().invoke(cli, ["school", "alerts", "-w", str(root), "--dry-run", "--until",
                                 "2026-03-10T00:00Z", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert sorted(a["rule"] for a in json.loads(r.output)) == [
        "co2", "co2", "meter", "meter", "offline", "speed", "temperature"]
    doc["settings"]["school"]["alerts"] = {"co2": {"minutes": 0}}
    (root / "city.yaml").write_text(yaml.safe_dump(doc))
    bad = CliRunner().invoke(cli, ["school", "alerts", "-w", str(root), "--dry-run"])
    assert isinstance(bad.exception, InputError)
    assert "field 'settings.school.alerts.co2.minutes'" in str(bad.exception)


def test_notices_speak_the_city_language(store, mailbox):
    import email
    import email.policy

    port, mails = mailbox
    cfg = nr.alert_settings({
        "email": {"smtp_host": "127.0.0.1", "smtp_port": port, "sender": "alerts@c.test"},
        "subscriptions": [
            {"role": "headteacher", "schools": ["S1"], "rules": ["co2"],
             "email": ["head@s1.test"]},
            {"role": "inspector", "rules": ["co2"], "email": ["inspector@c.test"],
             "language": "en"}]})
    r = nr.run_alerts(store, _registry(), cfg, None, END, utc_offset_min=180,
                      city_language="ru")
    assert r.deliveries["sent"] == 4          # two CO₂ alerts, each to both
    got = {}
    for m in mails:
        msg = email.message_from_bytes(m.original_content, policy=email.policy.default)
        got.setdefault(m.rcpt_tos[0], []).append((str(msg["Subject"]), msg.get_content()))
    ru_subject, ru_body = min(got["head@s1.test"])
    assert ru_subject.startswith("[ssckit, школа] S1, помещение R1: CO₂ выше 2\u202f000 ppm "
                                 "дольше 20 мин (пик ")
    assert "Правило: co2 (CO₂ выше предела)" in ru_body and "Школа: S1 (One)" in ru_body
    assert "Окончание: " in ru_body and "(UTC+03:00)" in ru_body
    en_subject, en_body = min(got["inspector@c.test"])
    assert en_subject.startswith("[ssckit school] S1 room R1: CO₂ above 2000 ppm for more "
                                 "than 20 min (peak ")
    assert "Rule: co2 (CO₂ above the limit)" in en_body
    # the store keeps the English summary whatever the notices' languages
    assert all(not re.search("[а-я]", a.summary) for a in nr.load_alerts(store))


def test_rounds_at_once_send_each_notice_once(store, mailbox, monkeypatch, tmp_path):
    """Two rounds started together (as `ssckit serve --live` and `ssckit school alerts
    --watch` may): the workspace's round lock lets one deliver, then the other finds the
    log written. Without it both read an empty log and both send."""
    import threading

    monkeypatch.setenv("SSCKIT_SCHOOL_HOOK", SECRET)
    port, mails = mailbox
    hooks = WebhookReceiver()
    try:
        cfg = _settings(port, hooks.url)
        start = threading.Barrier(2)
        results, errors = [], []

        def one_round() -> None:
            start.wait()
            try:
                results.append(nr.run_alerts(store, _registry(), cfg, None, END))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=one_round) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == [] and len(results) == 2
        assert sorted(r.deliveries["sent"] for r in results) == [0, 11]
        assert len(mails) == 7 and len(hooks.received) == 4
        assert nr.lock_path(store.path).exists()
    finally:
        hooks.close()
