"""Smart School alerts that reach people: rules of ``settings.school.alerts`` evaluated over the
stored readings (DuckDB and the Parquet history), with hysteresis, routed to subscribers by role
and school, and delivered by e-mail and signed webhook through :mod:`ssckit.core.notify`.

Rules (each can be switched off with ``enabled: false``):

- ``co2``: CO₂ above 2 000 ppm for more than 20 consecutive minutes (the BB101 (2018) peak
  rule, :data:`ssckit.school.ieq.BB101_PEAK_PPM`), cleared once it falls below 1 500 ppm (the
  BB101 daily-mean limit, used as the hysteresis floor);
- ``temperature``: air temperature above 28 °C for more than 60 minutes (BB101 (2006) §2
  criterion (a): no more than 120 hours above 28 °C; the alert warns as hours accrue),
  cleared below 27 °C;
- ``offline``: a sensor or the connectivity probe silent for more than N hours (default 6);
- ``speed``: the median measured download speed of a local day below the school's benchmark
  (``benchmark_down_mbps``), cleared when a day's median is back at 110 % of it;
- ``meter``: an electricity or heat meter whose counter went backwards (a reset or a swap),
  or whose consumption in one hour exceeds ``factor`` x the median of its non-zero hours.

An alert's key is made of its rule, school, subject (room or device) and the minute it began,
so evaluating the same history again (after a restart, or on a schedule) finds the same keys:
nothing is recorded or sent twice (the ``school_alerts`` table and the delivery log).
Quiet hours hold notices back (they go out at the first evaluation after the quiet hours);
the rate limit caps accepted deliveries per destination and hour.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ssckit.core import notify
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.school.ieq import BB101_DAILY_MEAN_PPM, BB101_PEAK_MINUTES, BB101_PEAK_PPM
from ssckit.school.ieq import hysteresis_alerts as _hysteresis
from ssckit.school.schema import Registry
from ssckit.school.storage import readings_sql

RULES = ("co2", "temperature", "offline", "speed", "meter")
ALERTS_TABLE = "school_alerts"
DELIVERIES_TABLE = "school_alert_deliveries"

#: The tables of school alerts (``Store.migrate_module`` under the key ``school_alerts``).
MIGRATIONS: list[str] = [
    f"""
    CREATE TABLE {ALERTS_TABLE} (
        alert_key  VARCHAR PRIMARY KEY,
        rule       VARCHAR NOT NULL,
        school_id  VARCHAR NOT NULL,
        subject    VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,     -- UTC, when the condition began
        raised_at  TIMESTAMP NOT NULL,     -- UTC, when the rule was met
        ended_at   TIMESTAMP,              -- UTC, when it cleared (NULL while open)
        peak       DOUBLE,
        summary    VARCHAR NOT NULL,
        recorded_at TIMESTAMP NOT NULL
    );
    """ + notify.delivery_table_sql(DELIVERIES_TABLE),
]


# -- settings ------------------------------------------------------------------------------------
class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True


class Co2Rule(_Rule):
    raise_ppm: float = Field(BB101_PEAK_PPM, gt=400, le=10_000)
    clear_ppm: float = Field(BB101_DAILY_MEAN_PPM, gt=400, le=10_000)
    minutes: int = Field(BB101_PEAK_MINUTES, ge=1, le=1440)


class TemperatureRule(_Rule):
    raise_c: float = Field(28.0, ge=15, le=45)
    clear_c: float = Field(27.0, ge=15, le=45)
    minutes: int = Field(60, ge=1, le=1440)


class OfflineRule(_Rule):
    hours: float = Field(6.0, gt=0, le=24 * 30)


class SpeedRule(_Rule):
    clear_factor: float = Field(1.1, ge=1.0, le=3.0)


class MeterRule(_Rule):
    factor: float = Field(4.0, gt=1.0, le=100.0)


class EmailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    smtp_host: str = Field(min_length=1)
    smtp_port: int = Field(25, ge=1, le=65535)
    sender: str = Field(min_length=3)
    starttls: bool = False


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    secret_env: str = Field(min_length=1, description="Environment variable of the HMAC key.")


class Subscription(BaseModel):
    """Who is told what: a role, the schools ("*": all), the rules, and where."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: str = Field(min_length=1)
    schools: list[str] | Literal["*"] = "*"
    rules: list[Literal["co2", "temperature", "offline", "speed", "meter"]] = list(RULES)
    email: list[str] = []
    webhook: str | None = None
    quiet_hours: str | None = Field(None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")

    def wants(self, alert: Alert) -> bool:
        return alert.rule in self.rules and (self.schools == "*"
                                             or alert.school_id in self.schools)


class AlertSettings(BaseModel):
    """``settings.school.alerts`` of city.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    co2: Co2Rule = Co2Rule()
    temperature: TemperatureRule = TemperatureRule()
    offline: OfflineRule = OfflineRule()
    speed: SpeedRule = SpeedRule()
    meter: MeterRule = MeterRule()
    window_hours: float = Field(48.0, gt=0, le=24 * 400, description=(
        "How far back each evaluation looks [h]."))
    quiet_hours: str | None = Field(None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
                                    description="Local 'HH:MM-HH:MM' when nothing is sent.")
    rate_limit_per_hour: int = Field(30, ge=1, le=10_000)
    max_attempts: int = Field(3, ge=1, le=20)
    email: EmailSettings | None = None
    webhook: WebhookSettings | None = None
    subscriptions: list[Subscription] = []

    @field_validator("subscriptions")
    @classmethod
    def _destinations(cls, subs: list[Subscription]) -> list[Subscription]:
        for s in subs:
            if not s.email and not s.webhook:
                raise ValueError(f"subscription of role {s.role!r} has neither email nor webhook")
        return subs


def alert_settings(raw: dict[str, Any] | None, where: str = "city.yaml") -> AlertSettings:
    """Validate ``settings.school.alerts``; a bad entry is one InputError naming the field."""
    try:
        return AlertSettings.model_validate(raw or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputError(where, f"field 'settings.school.alerts.{loc}'", err["msg"]) from None


# -- pure detection ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Episode:
    """One alert episode of one series [epoch min]."""

    start: int           # first reading of the episode (the condition began)
    raised: int          # when the rule was met (duration reached)
    end: int | None      # the clearing reading; None while open
    peak: float


def sustained_episodes(ts_min: ArrayLike, values: ArrayLike, raise_above: float,
                       clear_below: float, min_minutes: float, max_gap_min: int = 1
                       ) -> list[Episode]:
    """Episodes of a reading series above ``raise_above`` for more than ``min_minutes``,
    with hysteresis.

    Parameters
    ----------
    ts_min : array_like of int
        Time stamps [epoch min], sorted, unique.
    values : array_like
        Readings (e.g. CO₂ [ppm], temperature [°C]).
    raise_above : float
        A reading counts when strictly above it (BB101: "not above 2000 ppm for more than
        20 consecutive minutes").
    clear_below : float
        An episode ends at the first reading below it (<= ``raise_above``).
    min_minutes : float
        A run of counted readings must last longer than this [min] to raise the alert.
    max_gap_min : int
        Readings further apart than this [min] break a run (a sensor reading every 5 minutes
        needs 5).

    Returns
    -------
    list of Episode

    Notes
    -----
    A run's length is ``t_last - t_first + max_gap_min`` (each reading stands for its
    interval). Episodes are the hysteresis intervals of
    :func:`ssckit.school.ieq.hysteresis_alerts` that contain a qualifying run; an episode is
    raised at the first run's start plus ``min_minutes``.
    """
    t = np.asarray(ts_min, dtype=np.int64)
    v = np.asarray(values, dtype=float)
    if t.size == 0:
        return []
    idx = np.flatnonzero(v > raise_above)
    if idx.size == 0:
        return []
    brk = np.flatnonzero((np.diff(idx) != 1) | (np.diff(t[idx]) > max_gap_min))
    first = idx[np.r_[0, brk + 1]]
    last = idx[np.r_[brk, idx.size - 1]]
    length = t[last] - t[first] + max_gap_min
    ok = length > min_minutes
    if not ok.any():
        return []
    hy = _hysteresis(t, np.where(v > raise_above, np.inf, v), np.inf, clear_below)
    out: list[Episode] = []
    seen: set[int] = set()
    for f in first[ok]:
        k = int(np.searchsorted(hy.start, t[f], side="right")) - 1
        if k < 0 or k in seen:
            continue
        seen.add(k)
        a, b = np.searchsorted(t, [hy.start[k], hy.end[k]])
        out.append(Episode(int(hy.start[k]), int(t[f] + min_minutes),
                           None if hy.open[k] else int(hy.end[k]),
                           float(v[a:max(b, a + 1)].max())))
    return out


def silent_gaps(ts_min: ArrayLike, now_min: int, hours: float) -> list[tuple[int, int | None]]:
    """(last reading before the gap, next reading or None) of every gap longer than ``hours``
    [h] in ``ts_min`` [epoch min, sorted], including the silence from the last reading to
    ``now_min``."""
    t = np.asarray(ts_min, dtype=np.int64)
    lim = hours * 60.0
    if t.size == 0:
        return []
    gaps = np.flatnonzero(np.diff(t) > lim)
    out: list[tuple[int, int | None]] = [(int(t[i]), int(t[i + 1])) for i in gaps]
    if now_min - t[-1] > lim:
        out.append((int(t[-1]), None))
    return out


def meter_anomalies(ts_min: ArrayLike, reading_kwh: ArrayLike, factor: float
                    ) -> list[tuple[int, float, str]]:
    """(epoch minute, value, kind) of a cumulative meter's anomalies: ``reset`` where the
    counter went backwards [kWh], ``spike`` where an hour's consumption [kWh] exceeds
    ``factor`` x the median of the non-zero hourly consumptions."""
    t = np.asarray(ts_min, dtype=np.int64)
    e = np.asarray(reading_kwh, dtype=float)
    out: list[tuple[int, float, str]] = []
    if t.size < 3:
        return out
    d = np.diff(e)
    out += [(int(t[i + 1]), float(d[i]), "reset") for i in np.flatnonzero(d < -0.01)]
    hour = t[1:] // 60
    use = np.where(d > 0, d, 0.0)
    hours, inv = np.unique(hour, return_inverse=True)
    per_hour = np.bincount(inv, weights=use)
    nz = per_hour[per_hour > 0]
    if nz.size >= 24:
        lim = factor * float(np.median(nz))
        out += [(int(h * 60), float(x), "spike") for h, x in zip(hours, per_hour, strict=True)
                if x > lim]
    return sorted(out)


# -- alerts over the store ------------------------------------------------------------------------
@dataclass
class Alert:
    key: str
    rule: str
    school_id: str
    subject: str
    started_at: datetime
    raised_at: datetime
    ended_at: datetime | None
    peak: float | None
    summary: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        iso = (lambda d: None if d is None else d.isoformat(timespec="minutes"))  # noqa: E731
        return {"key": self.key, "rule": self.rule, "school_id": self.school_id,
                "subject": self.subject, "started_at": iso(self.started_at),
                "raised_at": iso(self.raised_at), "ended_at": iso(self.ended_at),
                "peak": self.peak, "summary": self.summary}


def _dt(m: int | None) -> datetime | None:
    return None if m is None else datetime(1970, 1, 1) + timedelta(minutes=int(m))


def _key(rule: str, school: str, subject: str, start: int) -> str:
    return f"{rule}:{school}:{subject}:{_dt(start):%Y%m%dT%H%M}"


def _series(store: Store, root: Path | None, quantities: Sequence[str], start: datetime,
            end: datetime) -> list[tuple[str, str, str, str, NDArray[np.int64],
                                         NDArray[np.float64]]]:
    """(school, room, device, quantity, epoch minutes, values) of each series in the window."""
    source, params = readings_sql(root, None, start, end)
    names = {f"al_q{i}": q for i, q in enumerate(quantities)}
    cur = store.cursor()
    try:
        rel = cur.execute(
            f"SELECT school_id, room_id, device_id, quantity, epoch(ts)::BIGINT // 60 AS m, "
            f"avg(value) AS v FROM ({source}) WHERE quantity IN "
            f"({', '.join('$' + k for k in names)}) GROUP BY ALL "
            "ORDER BY device_id, quantity, m", {**params, **names}).fetchnumpy()
    finally:
        cur.close()
    out = []
    dev, qty = rel["device_id"], rel["quantity"]
    n = len(dev)
    if n == 0:
        return out
    bounds = np.flatnonzero((dev[1:] != dev[:-1]) | (qty[1:] != qty[:-1])) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, n], strict=True):
        out.append((str(rel["school_id"][a]), str(rel["room_id"][a]), str(dev[a]), str(qty[a]),
                    rel["m"][a:b].astype(np.int64), rel["v"][a:b].astype(float)))
    return out


def detect_alerts(store: Store, registry: Registry, settings: AlertSettings,
                  root: Path | None, end: datetime, utc_offset_min: int = 0) -> list[Alert]:
    """Every alert of the rules over ``[end - window_hours, end)`` [naive UTC]."""
    start = end - timedelta(hours=settings.window_hours)
    now_min = int((end - datetime(1970, 1, 1)).total_seconds() // 60)
    out: list[Alert] = []
    s = settings
    for school, room, device, q, t, v in _series(
            store, root, ("co2", "temperature", "electricity", "heat", "download"), start, end):
        if q == "co2" and s.co2.enabled and room:
            for ep in sustained_episodes(t, v, s.co2.raise_ppm, s.co2.clear_ppm, s.co2.minutes):
                out.append(Alert(_key("co2", school, room, ep.start), "co2", school, room,
                                 _dt(ep.start), _dt(ep.raised), _dt(ep.end), ep.peak,
                                 f"{school} room {room}: CO₂ above {s.co2.raise_ppm:.0f} ppm "
                                 f"for more than {s.co2.minutes} min (peak {ep.peak:.0f} ppm)"))
        elif q == "temperature" and s.temperature.enabled and room:
            gap = int(np.median(np.diff(t))) if t.size > 1 else 1
            r = s.temperature
            for ep in sustained_episodes(t, v, r.raise_c, r.clear_c, r.minutes, gap):
                out.append(Alert(_key("temperature", school, room, ep.start), "temperature",
                                 school, room, _dt(ep.start), _dt(ep.raised), _dt(ep.end),
                                 ep.peak, f"{school} room {room}: above {r.raise_c:g} °C for "
                                 f"more than {r.minutes} min (peak {ep.peak:.1f} °C)"))
        elif q in ("electricity", "heat") and s.meter.enabled:
            for m, x, kind in meter_anomalies(t, v, s.meter.factor):
                what = (f"counter went back by {-x:.2f} kWh" if kind == "reset"
                        else f"{x:.1f} kWh in one hour (over {s.meter.factor:g} x its median)")
                out.append(Alert(_key("meter", school, f"{device}/{q}", m), "meter", school,
                                 f"{device}/{q}", _dt(m), _dt(m), _dt(m), x,
                                 f"{school} {q} meter {device}: {what}", {"kind": kind}))
        elif q == "download" and s.speed.enabled and school in registry.schools:
            bench = registry.schools[school].benchmark_down_mbps
            day = (t + utc_offset_min) // 1440
            days, inv = np.unique(day, return_inverse=True)
            med = np.array([np.median(v[inv == i]) for i in range(days.size)])
            al = _hysteresis(days, -med, -bench, -bench * s.speed.clear_factor)
            for a, e, is_open in zip(al.start, al.end, al.open, strict=True):
                m0 = int(a * 1440 - utc_offset_min)
                worst = float(med[(days >= a) & (days < e)].min())
                out.append(Alert(_key("speed", school, device, m0), "speed", school, device,
                                 _dt(m0), _dt(m0 + 1440), None if is_open else _dt(
                                     int(e * 1440 - utc_offset_min)), worst,
                                 f"{school}: median download {worst:.1f} Mbit/s below the "
                                 f"benchmark of {bench:g} Mbit/s"))
    if s.offline.enabled:
        out += _offline(store, registry, root, start, end, now_min, s.offline.hours)
    out.sort(key=lambda a: (a.raised_at, a.key))
    return out


def _offline(store: Store, registry: Registry, root: Path | None, start: datetime,
             end: datetime, now_min: int, hours: float) -> list[Alert]:
    source, params = readings_sql(root, None, start, end)
    cur = store.cursor()
    try:
        rows = cur.execute(f"SELECT device_id, list(DISTINCT epoch(ts)::BIGINT // 60 ORDER BY "
                           f"epoch(ts)::BIGINT // 60) FROM ({source}) GROUP BY device_id",
                           params).fetchall()
    finally:
        cur.close()
    seen = {d: np.asarray(m, dtype=np.int64) for d, m in rows}
    start_min = int((start - datetime(1970, 1, 1)).total_seconds() // 60)
    out = []
    for dev in sorted(registry.devices.values(), key=lambda d: d.device_id):
        t = seen.get(dev.device_id)
        if t is None:            # silent over the whole window
            t = np.array([start_min], dtype=np.int64)
        kind = "probe" if "online" in dev.quantities else "sensor"
        for last, back in silent_gaps(t, now_min, hours):
            out.append(Alert(_key("offline", dev.school_id, dev.device_id, last), "offline",
                             dev.school_id, dev.device_id, _dt(last),
                             _dt(int(last + hours * 60)), _dt(back), None,
                             f"{dev.school_id} {kind} {dev.device_id}: silent for more than "
                             f"{hours:g} h since {_dt(last):%Y-%m-%d %H:%M} UTC"))
    return out


# -- record and deliver ---------------------------------------------------------------------------
def ensure_tables(store: Store) -> None:
    store.migrate_module("school_alerts", MIGRATIONS)


def record_alerts(store: Store, alerts: Sequence[Alert]) -> list[Alert]:
    """Store alerts not stored before (by key) and close those that have cleared; return the
    new ones."""
    ensure_tables(store)
    new = []
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.transaction() as cur:
        known = {k: e for k, e in cur.execute(f"SELECT alert_key, ended_at FROM {ALERTS_TABLE}"
                                              ).fetchall()}
        for a in alerts:
            if a.key in known:
                if known[a.key] is None and a.ended_at is not None:
                    cur.execute(f"UPDATE {ALERTS_TABLE} SET ended_at = ? WHERE alert_key = ?",
                                [a.ended_at, a.key])
                continue
            cur.execute(f"INSERT INTO {ALERTS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [a.key, a.rule, a.school_id, a.subject, a.started_at, a.raised_at,
                         a.ended_at, a.peak, a.summary, now])
            new.append(a)
    return new


def load_alerts(store: Store, limit: int = 500) -> list[Alert]:
    """Stored alerts, newest first."""
    ensure_tables(store)
    cur = store.cursor()
    try:
        rows = cur.execute(f"SELECT alert_key, rule, school_id, subject, started_at, raised_at, "
                           f"ended_at, peak, summary FROM {ALERTS_TABLE} ORDER BY raised_at "
                           "DESC, alert_key LIMIT ?", [limit]).fetchall()
    finally:
        cur.close()
    return [Alert(*r) for r in rows]


def in_quiet_hours(spec: str | None, local: datetime) -> bool:
    """Whether local time ``local`` falls in ``"HH:MM-HH:MM"`` (may wrap over midnight)."""
    if not spec:
        return False
    a, b = (int(x[:2]) * 60 + int(x[3:]) for x in spec.split("-"))
    m = local.hour * 60 + local.minute
    return a <= m < b if a <= b else (m >= a or m < b)


def notices(alerts: Sequence[Alert], settings: AlertSettings, local_now: datetime
            ) -> list[notify.Notice]:
    """One notice per alert with the destinations of every subscription that wants it and is
    not in its quiet hours (alerts nobody may hear now are left for later)."""
    out = []
    for a in alerts:
        dest: dict[str, list[str]] = {"email": [], "webhook": []}
        roles = []
        for sub in settings.subscriptions:
            if not sub.wants(a) or in_quiet_hours(sub.quiet_hours or settings.quiet_hours,
                                                  local_now):
                continue
            roles.append(sub.role)
            dest["email"] += [e for e in sub.email if e not in dest["email"]]
            if sub.webhook and sub.webhook not in dest["webhook"]:
                dest["webhook"].append(sub.webhook)
        if not roles:
            continue
        text = "\n".join([a.summary, "", f"Rule: {a.rule}", f"School: {a.school_id}",
                          f"Where: {a.subject}", f"Since: {a.started_at:%Y-%m-%d %H:%M} UTC",
                          "Ended: " + (f"{a.ended_at:%Y-%m-%d %H:%M} UTC" if a.ended_at
                                       else "still on"), f"Alert: {a.key}"])
        out.append(notify.Notice(a.key, f"[ssckit school] {a.summary}", text,
                                 {"type": "ssckit.school.alert", "roles": sorted(set(roles)),
                                  **a.to_dict()}, dest))
    return out


def channels(settings: AlertSettings, where: str = "city.yaml") -> list[Any]:
    out: list[Any] = []
    if settings.email is not None:
        e = settings.email
        out.append(notify.EmailChannel(e.smtp_host, e.smtp_port, e.sender, [], e.starttls,
                                       local_hostname="ssckit.school"))
    if settings.webhook is not None:
        secret = os.environ.get(settings.webhook.secret_env, "")
        if not secret:
            raise InputError(where, "field 'settings.school.alerts.webhook.secret_env'",
                             f"environment variable {settings.webhook.secret_env} is not set "
                             "(the webhook's HMAC secret)")
        out.append(notify.WebhookChannel(None, secret.encode()))
    return out


@dataclass
class RoundResult:
    found: int
    new: int
    deliveries: dict[str, int]

    def line(self) -> str:
        d = self.deliveries
        return (f"school alerts: {self.found} found, {self.new} new, {d.get('sent', 0)} sent, "
                f"{d.get('failed', 0)} failed, {d.get('deferred', 0)} deferred")


def run_alerts(store: Store, registry: Registry, settings: AlertSettings, root: Path | None,
               end: datetime, utc_offset_min: int = 0, where: str = "city.yaml",
               log: Callable[[str], None] = lambda m: None, now: datetime | None = None
               ) -> RoundResult:
    """Detect, record, and deliver whatever is pending (new alerts, and retries); ``now`` is
    the wall clock [naive UTC] that quiet hours are judged by (default: the system's)."""
    found = detect_alerts(store, registry, settings, root, end, utc_offset_min)
    new = record_alerts(store, found)
    chans = channels(settings, where)
    pending = sorted(load_alerts(store, 10_000), key=lambda a: (a.raised_at, a.key))
    local_now = (now or datetime.now(UTC).replace(tzinfo=None)) + timedelta(
        minutes=utc_offset_min)
    counts = notify.deliver(store, DELIVERIES_TABLE, notices(pending, settings, local_now),
                            chans, max_attempts=settings.max_attempts,
                            rate_limit_per_hour=settings.rate_limit_per_hour,
                            log=log) if chans else {}
    return RoundResult(len(found), len(new), counts)
