"""Alerts: what got worse between two scans, recorded once, delivered by e-mail and by a signed
webhook, every attempt logged.

One alert per service and regression: a grade drop, baseline requirements newly failing, a
service that became unreachable, and a certificate crossing an expiry threshold (30 and 7 days
by default) are the reasons of one alert, so a single planted fault makes a single message.
The alert's key is made of the service, the scan it was compared with and its reasons: a round
repeated after a crash finds the same key and raises nothing new, and a fault that stays on is
not reported again (the next scan compares with a scan that already had it).

Delivery (e-mail, signed webhook, the log of attempts, retries) is
:mod:`ssckit.core.notify`'s, shared with the school module's alerts: see it for the webhook's
headers and signature (:func:`verify_signature`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ssckit.core import notify
from ssckit.core.i18n import (
    DEFAULT_LANGUAGE,
    current_language,
    format_date,
    format_number,
    language,
    ngettext,
    notice_language,
)
from ssckit.core.i18n import gettext as _
from ssckit.core.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, Notice, sign, verify_signature
from ssckit.core.store import Store
from ssckit.cyber.baseline import FAIL, PASS, Profile, evaluate
from ssckit.cyber.model import ServiceResult
from ssckit.cyber.netpolicy import Unreachable, resolve
from ssckit.cyber.scan import Scan
from ssckit.cyber.scoring import GRADE_BANDS, score_service
from ssckit.cyber.store import migrate
from ssckit.cyber.texts import finding_detail

#: Delivery attempts per alert and destination before it is given up.
MAX_ATTEMPTS = notify.DEFAULT_MAX_ATTEMPTS
__all__ = ["MAX_ATTEMPTS", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Alert", "EmailChannel",
           "WebhookChannel", "delivery_log", "deliver", "detect", "load_alerts", "reason_text",
           "record", "shown_summary", "sign", "summary_text", "to_notice", "verify_signature"]
_GRADE_RANK = {g: i for i, (_lo, g) in enumerate(GRADE_BANDS)}  # 0 = best
#: Fields of a reason kept to write it in the reader's language; they are left out of the
#: alert's key, which is made of what the English ``text`` says.
_WORDING_FIELDS = frozenset({"error", "title", "detail", "days_left"})


@dataclass
class Alert:
    """One regression of one service."""

    key: str
    scan_id: str
    service: str
    organisation: str | None
    severity: str
    summary: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))

    @property
    def kinds(self) -> list[str]:
        return sorted({r["kind"] for r in self.reasons})

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "scan_id": self.scan_id, "service": self.service,
                "organisation": self.organisation, "severity": self.severity,
                "summary": self.summary, "kinds": self.kinds, "reasons": self.reasons,
                "created_at": self.created_at.isoformat(timespec="seconds")}


def _days_left(result: ServiceResult) -> float | None:
    f = result.finding("cert.expiry")
    if f is None:
        return None
    if f.code in ("cert-expired",):
        return -1.0
    value = f.evidence.get("days_left")
    return float(value) if isinstance(value, int | float) else None


def detect(before: Scan | None, now: Scan, profile: Profile,
           expiry_days: tuple[int, ...] = (30, 7)) -> list[Alert]:
    """The alerts of ``now`` compared with ``before`` (the previous scan of the same services).

    A service seen for the first time raises only a certificate alert (there is nothing to
    compare its grade with)."""
    old = {r.name: r for r in before.results} if before else {}
    alerts: list[Alert] = []
    for r in now.results:
        prev = old.get(r.name)
        reasons: list[dict[str, Any]] = []
        if prev is not None:
            if prev.reachable and not r.reachable:
                reasons.append({"kind": "unreachable", "text": f"now unreachable: {r.error}",
                                "error": r.error or ""})
            g0, g1 = score_service(prev).grade, score_service(r).grade
            if g0 and g1 and _GRADE_RANK[g1] > _GRADE_RANK[g0]:
                reasons.append({"kind": "grade_drop", "text": f"grade {g0} → {g1}",
                                "before": g0, "now": g1})
            if r.reachable:
                was = {x.requirement: x.status for x in evaluate(profile, prev).results}
                for x in evaluate(profile, r).results:
                    if x.status == FAIL and was.get(x.requirement) == PASS:
                        req = profile.requirement(x.requirement)
                        reasons.append({"kind": "requirement_failing",
                                        "requirement": x.requirement,
                                        "text": f"{req.title}: now failing ({x.detail})",
                                        "weight": req.weight, "title": req.title,
                                        "detail": x.detail})
        days_now = _days_left(r)
        days_before = _days_left(prev) if prev is not None else None
        if days_now is not None:
            for t in sorted(expiry_days):
                if days_now < t and (days_before is None or days_before >= t):
                    text = ("certificate expired" if days_now < 0
                            else f"certificate expires in {days_now:.0f} days (< {t})")
                    reasons.append({"kind": "certificate_expiring", "threshold_days": t,
                                    "text": text, "days_left": round(days_now)})
                    break
        if not reasons:
            continue
        high = any(x["kind"] == "unreachable" or x.get("weight", 0) >= 4
                   or (x["kind"] == "certificate_expiring" and x["threshold_days"] <= 7)
                   for x in reasons)
        fingerprint = json.dumps([before.scan_id if before and prev else "",
                                  sorted(json.dumps({k: v for k, v in x.items()
                                                     if k not in _WORDING_FIELDS},
                                                    sort_keys=True) for x in reasons)])
        key = f"{r.name}:{hashlib.sha256(fingerprint.encode()).hexdigest()[:24]}"
        alerts.append(Alert(key, now.scan_id, r.name, r.organisation,
                            "high" if high else "medium",
                            f"{r.name}: " + "; ".join(x["text"] for x in reasons), reasons))
    return alerts


def record(store: Store, alerts: list[Alert]) -> list[Alert]:
    """Store the alerts not stored before (by key); return those that are new."""
    migrate(store)
    new: list[Alert] = []
    with store.transaction() as cur:
        for a in alerts:
            if cur.execute("SELECT 1 FROM cyber_alerts WHERE alert_key = ?",
                           [a.key]).fetchone():
                continue
            cur.execute("INSERT INTO cyber_alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [a.key, a.created_at, a.scan_id, a.service, a.organisation, "+".join(
                            a.kinds), a.severity, a.summary, json.dumps(a.reasons)])
            new.append(a)
    return new


def load_alerts(store: Store, limit: int = 200) -> list[Alert]:
    """Stored alerts, newest first."""
    migrate(store)
    cur = store.cursor()
    try:
        rows = cur.execute("SELECT alert_key, scan_id, service, organisation, severity, summary, "
                           "detail, created_at FROM cyber_alerts ORDER BY created_at DESC, "
                           "alert_key LIMIT ?", [limit]).fetchall()
    finally:
        cur.close()
    return [Alert(k, s, svc, o, sev, summ, json.loads(d), c)
            for k, s, svc, o, sev, summ, d, c in rows]


def delivery_log(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    """Every delivery attempt, newest first."""
    migrate(store)
    return notify.delivery_log(store, "cyber_alert_deliveries", limit)


# -- delivery (ssckit.core.notify) --------------------------------------------------------------
def _check_detail(text: str) -> str:
    """A requirement's detail (``"<check>: <finding>"``, parts joined by ``"; "``) with each
    finding in the language in force where a pattern of ``findings.i18n.yaml`` covers it."""
    parts = []
    for part in text.split("; "):
        check, sep, finding = part.partition(": ")
        if sep and " " not in check:
            parts.append(f"{check}: {finding_detail(finding)[0]}")
        else:
            parts.append(finding_detail(part)[0])
    return "; ".join(parts)


def reason_text(reason: Mapping[str, Any]) -> str:
    """One reason of an alert in the language in force (an alert stored before its reasons
    kept their wording fields: the English ``text``)."""
    kind = reason.get("kind")
    if kind == "unreachable" and "error" in reason:
        return _("now unreachable: {error}").format(
            error=finding_detail(str(reason["error"]))[0])
    if kind == "grade_drop":
        return _("grade {before} → {now}").format(before=reason["before"], now=reason["now"])
    if kind == "requirement_failing" and "title" in reason:
        return _("{requirement}: now failing ({detail})").format(
            requirement=_(str(reason["title"])), detail=_check_detail(str(reason["detail"])))
    if kind == "certificate_expiring" and "days_left" in reason:
        days = int(reason["days_left"])
        if days < 0:
            return _("certificate expired")
        return ngettext("certificate expires in {days} day (< {threshold})",
                        "certificate expires in {days} days (< {threshold})", days).format(
            days=format_number(days), threshold=format_number(reason["threshold_days"]))
    return str(reason.get("text", ""))


def summary_text(alert: Alert) -> str:
    """The alert's summary in the language in force: the service, then each reason."""
    return f"{alert.service}: " + "; ".join(reason_text(r) for r in alert.reasons)


def shown_summary(alert: Alert) -> tuple[str, str]:
    """The alert's summary for a page in the language in force, and the language it is in: an
    alert stored before its reasons kept their wording fields stays as stored (English)."""
    if all(_WORDING_FIELDS & r.keys() or r.get("kind") == "grade_drop" for r in alert.reasons):
        return summary_text(alert), current_language()
    return alert.summary, DEFAULT_LANGUAGE


def to_notice(alert: Alert, lang: str = DEFAULT_LANGUAGE) -> Notice:
    """The alert as a :class:`~ssckit.core.notify.Notice` in ``lang`` (see
    :func:`ssckit.core.i18n.notice_language`): e-mail subject and text through the gettext
    catalogues, numbers and dates as readers of ``lang`` write them; webhook JSON (``type``
    ``ssckit.cyber.alert``: the alert's fields, with ``language``, ``subject`` and ``text`` in
    ``lang``)."""
    with language(lang):
        severity = _(alert.severity)
        summary = summary_text(alert)
        subject = _("[ssckit cyber] {severity}: {summary}").format(severity=severity,
                                                                  summary=summary)
        lines = [summary, "",
                 _("Service: {service}").format(service=alert.service),
                 _("Organisation: {organisation}").format(
                     organisation=alert.organisation or "—"),
                 _("Scan: {scan}").format(scan=alert.scan_id),
                 _("Severity: {severity}").format(severity=severity),
                 _("Raised: {time} UTC").format(
                     time=format_date(alert.created_at, with_time=True)), ""]
        lines += [f"- {reason_text(r)}" for r in alert.reasons]
        lines += ["", _("Alert key: {key}").format(key=alert.key)]
    text = "\n".join(lines) + "\n"
    payload = {"type": "ssckit.cyber.alert", **alert.to_dict(), "language": lang,
               "subject": subject, "text": text}
    return Notice(alert.key, subject, text, payload)


@dataclass
class _EmailChannel(notify.EmailChannel):
    language: str | None = None


@dataclass
class _WebhookChannel(notify.WebhookChannel):
    language: str | None = None


def EmailChannel(smtp_host: str, smtp_port: int, sender: str, to: list[str],  # noqa: N802
                 starttls: bool = False, timeout: float = 10.0,
                 ca_bundle: str | None = None, language: str | None = None
                 ) -> notify.EmailChannel:
    """Alerts by e-mail over SMTP (STARTTLS when ``starttls``), written in ``language`` (None:
    the city's)."""
    return _EmailChannel(smtp_host, smtp_port, sender, list(to), starttls, timeout,
                         ca_bundle, local_hostname="ssckit.monitor", language=language)


def WebhookChannel(url: str, secret: bytes, timeout: float = 10.0,  # noqa: N802
                   language: str | None = None) -> notify.WebhookChannel:
    """Alerts as signed JSON POSTs, their texts in ``language`` (None: the city's)."""
    return _WebhookChannel(url, secret, timeout, language=language)


def _notices(alerts: list[Alert], channels: list[Any], city_language: str | None
             ) -> list[Notice]:
    """One notice per alert and language of the channels, each sent to the channels of its
    language (a channel's own ``language``, else the city's)."""
    by_lang: dict[str, dict[str, list[str]]] = {}
    for ch in channels:
        lang = notice_language(city_language, getattr(ch, "language", None))
        by_lang.setdefault(lang, {}).setdefault(ch.name, []).extend(ch.destinations)
    out: list[Notice] = []
    for a in alerts:
        for lang, destinations in by_lang.items():
            n = to_notice(a, lang)
            out.append(Notice(n.key, n.subject, n.text, n.payload, destinations))
    return out


def deliver(store: Store, channels: list[Any], loopback_only: bool,
            log: Callable[[str], None] = lambda m: None,
            city_language: str | None = None) -> dict[str, int]:
    """Send every stored alert not yet delivered to each destination (at most
    :data:`MAX_ATTEMPTS` tries each, through :func:`ssckit.core.notify.deliver`), logging every
    attempt in ``cyber_alert_deliveries``. Each channel gets the alert in its own
    ``language``, else in ``city_language`` (``language:`` of city.yaml), else English.
    Returns counts of sent and failed attempts."""
    migrate(store)
    alerts = sorted(load_alerts(store, limit=10_000), key=lambda a: a.created_at)
    counts = notify.deliver(
        store, "cyber_alert_deliveries", _notices(alerts, channels, city_language), channels,
        resolve=lambda host, port: resolve(host, port, None, loopback_only),
        errors=(Unreachable,), max_attempts=MAX_ATTEMPTS,
        log=lambda m: log("cyber alert " + m.removeprefix("notice ")))
    return {"sent": counts["sent"], "failed": counts["failed"]}
