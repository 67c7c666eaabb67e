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
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ssckit.core import notify
from ssckit.core.errors import InputError
from ssckit.core.i18n import N_, format_date, format_fixed, language, notice_language
from ssckit.core.i18n import gettext as _
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
    language: Literal["en", "ru", "be"] | None = Field(None, description=(
        "Language of this subscription's notices (default: the city's language:)."))

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
    live: bool = Field(True, description=(
        "Evaluate the rules inside `ssckit serve --live`, as readings arrive."))
    live_interval_s: float = Field(60.0, ge=5, le=3600, description=(
        "Inside `ssckit serve --live`: evaluate at least this often [s] (offline rules, "
        "retries, the end of quiet hours), and soon after each stored batch of readings."))
    max_attempts: int = Field(3, ge=1, le=20)
    email: notify.SmtpServer | None = None
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
                                 _dt(ep.start), _dt(ep.raised), _dt(ep.end), ep.peak, ""))
        elif q == "temperature" and s.temperature.enabled and room:
            gap = int(np.median(np.diff(t))) if t.size > 1 else 1
            r = s.temperature
            for ep in sustained_episodes(t, v, r.raise_c, r.clear_c, r.minutes, gap):
                out.append(Alert(_key("temperature", school, room, ep.start), "temperature",
                                 school, room, _dt(ep.start), _dt(ep.raised), _dt(ep.end),
                                 ep.peak, ""))
        elif q in ("electricity", "heat") and s.meter.enabled:
            for m, x, kind in meter_anomalies(t, v, s.meter.factor):
                out.append(Alert(_key("meter", school, f"{device}/{q}", m), "meter", school,
                                 f"{device}/{q}", _dt(m), _dt(m), _dt(m), x, "",
                                 {"kind": kind}))
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
                                     int(e * 1440 - utc_offset_min)), worst, ""))
    if s.offline.enabled:
        out += _offline(store, registry, root, start, end, now_min, s.offline.hours)
    with language("en"):         # what the store keeps; notices are written in their own
        for a in out:
            a.summary = alert_summary(a, s, registry)
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
        for last, back in silent_gaps(t, now_min, hours):
            out.append(Alert(_key("offline", dev.school_id, dev.device_id, last), "offline",
                             dev.school_id, dev.device_id, _dt(last),
                             _dt(int(last + hours * 60)), _dt(back), None, ""))
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


#: What each rule watches, in a notice's words.
RULE_TITLES = {"co2": N_("CO₂ above the limit"), "temperature": N_("overheating"),
               "offline": N_("a sensor or probe silent"),
               "speed": N_("download speed below the benchmark"),
               "meter": N_("a meter anomaly")}


def alert_summary(alert: Alert, settings: AlertSettings, registry: Registry | None = None
                  ) -> str:
    """One line saying what happened, in the language in force (:mod:`ssckit.core.i18n`):
    the rule's limit and duration from ``settings``, the school's benchmark and whether a
    device is a connectivity probe from ``registry``. Numbers are written as readers of the
    language write them (decimal comma in ru/be)."""
    a, s = alert, settings
    peak = a.peak if a.peak is not None else float("nan")
    if a.rule == "co2":
        return _("{school} room {room}: CO₂ above {limit} ppm for more than {minutes} min "
                 "(peak {peak} ppm)").format(school=a.school_id, room=a.subject,
                                             limit=format_fixed(s.co2.raise_ppm, 0),
                                             minutes=s.co2.minutes, peak=format_fixed(peak, 0))
    if a.rule == "temperature":
        r = s.temperature
        return _("{school} room {room}: above {limit} °C for more than {minutes} min "
                 "(peak {peak} °C)").format(school=a.school_id, room=a.subject,
                                            limit=format_fixed(r.raise_c, 1),
                                            minutes=r.minutes, peak=format_fixed(peak, 1))
    if a.rule == "meter":
        device, _slash, q = a.subject.partition("/")
        what = _("heat") if q == "heat" else _("electricity")
        if peak < 0:             # the counter went back (see meter_anomalies)
            return _("{school}, meter {device} ({quantity}): the counter went back by {kwh} "
                     "kWh").format(school=a.school_id, device=device, quantity=what,
                                   kwh=format_fixed(-peak, 2))
        return _("{school}, meter {device} ({quantity}): {kwh} kWh in one hour (over "
                 "{factor} × its median)").format(school=a.school_id, device=device,
                                                  quantity=what, kwh=format_fixed(peak, 1),
                                                  factor=format_fixed(s.meter.factor, 1))
    if a.rule == "speed":
        school = registry.schools.get(a.school_id) if registry is not None else None
        bench = school.benchmark_down_mbps if school is not None else float("nan")
        return _("{school}: median download {speed} Mbit/s below the benchmark of {benchmark} "
                 "Mbit/s").format(school=a.school_id, speed=format_fixed(peak, 1),
                                  benchmark=format_fixed(bench, 0))
    dev = registry.devices.get(a.subject) if registry is not None else None
    text = (_("{school} connectivity probe {device}: silent for more than {hours} h since "
              "{since} UTC") if dev is not None and "online" in dev.quantities else
            _("{school} sensor {device}: silent for more than {hours} h since {since} UTC"))
    return text.format(school=a.school_id, device=a.subject,
                       hours=format_fixed(s.offline.hours, 0 if s.offline.hours % 1 == 0
                                          else 1),
                       since=f"{a.started_at:%Y-%m-%d %H:%M}")


def notice_text(alert: Alert, settings: AlertSettings, registry: Registry | None,
                utc_offset_min: int = 0) -> tuple[str, str]:
    """(subject, body) of an alert's e-mail in the language in force; times are given in the
    city's local time (``utc_offset_min`` [min]) with the offset named."""
    a = alert
    summary = alert_summary(a, settings, registry)
    off = timedelta(minutes=utc_offset_min)
    sign = "+" if utc_offset_min >= 0 else "−"
    zone = f"UTC{sign}{abs(utc_offset_min) // 60:02d}:{abs(utc_offset_min) % 60:02d}"

    def when(t: datetime) -> str:
        return f"{format_date(t + off, with_time=True)} ({zone})"

    school = registry.schools.get(a.school_id) if registry is not None else None
    lines = [summary, "",
             _("Rule: {rule} ({title})").format(rule=a.rule, title=_(RULE_TITLES[a.rule])),
             _("School: {school}").format(school=a.school_id + (f" ({school.name})"
                                                                  if school else "")),
             _("Where: {subject}").format(subject=a.subject),
             _("Since: {time}").format(time=when(a.started_at)),
             _("Ended: {time}").format(time=when(a.ended_at)) if a.ended_at
             else _("Ended: still on"),
             _("Alert: {key}").format(key=a.key)]
    return _("[ssckit school] {summary}").format(summary=summary), "\n".join(lines)


def notices(alerts: Sequence[Alert], settings: AlertSettings, local_now: datetime,
            registry: Registry | None = None, city_language: str | None = None,
            utc_offset_min: int = 0) -> list[notify.Notice]:
    """The notices of ``alerts`` to the subscriptions that want them and are not in their
    quiet hours (alerts nobody may hear now are left for later): one per alert and language,
    with the destinations of the subscriptions of that language (a subscription's own
    ``language``, else ``city_language``, else English; :func:`ssckit.core.i18n.notice_language`).
    Every notice of an alert has the alert's key: the delivery log tells destinations apart."""
    out = []
    for a in alerts:
        by_lang: dict[str, tuple[list[str], dict[str, list[str]]]] = {}
        for sub in settings.subscriptions:
            if not sub.wants(a) or in_quiet_hours(sub.quiet_hours or settings.quiet_hours,
                                                  local_now):
                continue
            lang = notice_language(city_language, sub.language)
            roles, dest = by_lang.setdefault(lang, ([], {"email": [], "webhook": []}))
            roles.append(sub.role)
            dest["email"] += [e for e in sub.email if e not in dest["email"]]
            if sub.webhook and sub.webhook not in dest["webhook"]:
                dest["webhook"].append(sub.webhook)
        for lang, (roles, dest) in by_lang.items():
            with language(lang):
                subject, text = notice_text(a, settings, registry, utc_offset_min)
                summary = alert_summary(a, settings, registry)
            out.append(notify.Notice(a.key, subject, text,
                                     {"type": "ssckit.school.alert",
                                      "roles": sorted(set(roles)), "language": lang,
                                      **a.to_dict(), "summary": summary}, dest))
    return out


def channels(settings: AlertSettings, where: str = "city.yaml") -> list[Any]:
    out: list[Any] = []
    if settings.email is not None:
        out.append(settings.email.channel(local_hostname="ssckit.school"))
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
    skipped: bool = False      # another process was evaluating the rules: nothing done

    def line(self) -> str:
        if self.skipped:
            return "school alerts: another process is evaluating them now; this round skipped"
        d = self.deliveries
        return (f"school alerts: {self.found} found, {self.new} new, {d.get('sent', 0)} sent, "
                f"{d.get('failed', 0)} failed, {d.get('deferred', 0)} deferred")


_memory_lock = threading.Lock()


def lock_path(store_path: Path) -> Path:
    """The lock file of the alert rounds of the store at ``store_path``."""
    return store_path.with_name(store_path.name + ".school-alerts.lock")


@contextmanager
def round_lock(store: Store, wait_s: float | None) -> Iterator[bool]:
    """Hold the workspace's alert-round lock (an exclusive ``flock`` on :func:`lock_path`)
    while the block runs; yields False when another process (``ssckit serve --live``, another
    ``ssckit school alerts``) held it for ``wait_s`` seconds (None: as long as it takes).

    The delivery log is read before a round sends and written after each send, so two rounds
    at once could both find a notice unsent: one round at a time per store means a notice
    goes out once however many processes evaluate the rules."""
    import fcntl
    import time

    if store.path is None:
        got = _memory_lock.acquire(timeout=-1 if wait_s is None else wait_s)
        try:
            yield got
        finally:
            if got:
                _memory_lock.release()
        return
    with open(lock_path(store.path), "a+b") as f:
        deadline = None if wait_s is None else time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def run_alerts(store: Store, registry: Registry, settings: AlertSettings, root: Path | None,
               end: datetime, utc_offset_min: int = 0, where: str = "city.yaml",
               log: Callable[[str], None] = lambda m: None, now: datetime | None = None,
               city_language: str | None = None, lock_wait_s: float | None = None
               ) -> RoundResult:
    """Detect, record, and deliver whatever is pending (new alerts, and retries); ``now`` is
    the wall clock [naive UTC] that quiet hours are judged by (default: the system's);
    ``city_language`` the language of notices whose subscription names none. One round at a
    time per store (:func:`round_lock`): a round that waited ``lock_wait_s`` seconds [s]
    (None: no limit) for another is skipped."""
    chans = channels(settings, where)
    with round_lock(store, lock_wait_s) as held:
        if not held:
            return RoundResult(0, 0, {}, skipped=True)
        found = detect_alerts(store, registry, settings, root, end, utc_offset_min)
        new = record_alerts(store, found)
        pending = sorted(load_alerts(store, 10_000), key=lambda a: (a.raised_at, a.key))
        local_now = (now or datetime.now(UTC).replace(tzinfo=None)) + timedelta(
            minutes=utc_offset_min)
        counts = notify.deliver(
            store, DELIVERIES_TABLE, notices(pending, settings, local_now, registry,
                                             city_language, utc_offset_min),
            chans, max_attempts=settings.max_attempts,
            rate_limit_per_hour=settings.rate_limit_per_hour, log=log) if chans else {}
    return RoundResult(len(found), len(new), counts)
