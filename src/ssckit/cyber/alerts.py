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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ssckit.core import notify
from ssckit.core.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, Notice, sign, verify_signature
from ssckit.core.store import Store
from ssckit.cyber.baseline import FAIL, PASS, Profile, evaluate
from ssckit.cyber.model import ServiceResult
from ssckit.cyber.netpolicy import Unreachable, resolve
from ssckit.cyber.scan import Scan
from ssckit.cyber.scoring import GRADE_BANDS, score_service
from ssckit.cyber.store import migrate

#: Delivery attempts per alert and destination before it is given up.
MAX_ATTEMPTS = notify.DEFAULT_MAX_ATTEMPTS
__all__ = ["MAX_ATTEMPTS", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Alert", "EmailChannel",
           "WebhookChannel", "delivery_log", "deliver", "detect", "load_alerts", "record",
           "sign", "to_notice", "verify_signature"]
_GRADE_RANK = {g: i for i, (_, g) in enumerate(GRADE_BANDS)}  # 0 = best


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
                reasons.append({"kind": "unreachable", "text": f"now unreachable: {r.error}"})
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
                                        "weight": req.weight})
        days_now = _days_left(r)
        days_before = _days_left(prev) if prev is not None else None
        if days_now is not None:
            for t in sorted(expiry_days):
                if days_now < t and (days_before is None or days_before >= t):
                    text = ("certificate expired" if days_now < 0
                            else f"certificate expires in {days_now:.0f} days (< {t})")
                    reasons.append({"kind": "certificate_expiring", "threshold_days": t,
                                    "text": text})
                    break
        if not reasons:
            continue
        high = any(x["kind"] == "unreachable" or x.get("weight", 0) >= 4
                   or (x["kind"] == "certificate_expiring" and x["threshold_days"] <= 7)
                   for x in reasons)
        fingerprint = json.dumps([before.scan_id if before and prev else "",
                                  sorted(json.dumps(x, sort_keys=True) for x in reasons)])
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
def to_notice(alert: Alert) -> Notice:
    """The alert as a :class:`~ssckit.core.notify.Notice`: e-mail subject and text, webhook
    JSON (``type`` ``ssckit.cyber.alert``)."""
    lines = [alert.summary, "", f"Service: {alert.service}",
             f"Organisation: {alert.organisation or '-'}", f"Scan: {alert.scan_id}",
             f"Severity: {alert.severity}", ""]
    lines += [f"- {r['text']}" for r in alert.reasons]
    return Notice(alert.key, f"[ssckit cyber] {alert.severity}: {alert.summary}",
                  "\n".join(lines) + "\n", {"type": "ssckit.cyber.alert", **alert.to_dict()})


def EmailChannel(smtp_host: str, smtp_port: int, sender: str, to: list[str],  # noqa: N802
                 starttls: bool = False, timeout: float = 10.0,
                 ca_bundle: str | None = None) -> notify.EmailChannel:
    """Alerts by e-mail over SMTP (STARTTLS when ``starttls``)."""
    return notify.EmailChannel(smtp_host, smtp_port, sender, list(to), starttls, timeout,
                               ca_bundle, local_hostname="ssckit.monitor")


def WebhookChannel(url: str, secret: bytes, timeout: float = 10.0  # noqa: N802
                   ) -> notify.WebhookChannel:
    """Alerts as signed JSON POSTs."""
    return notify.WebhookChannel(url, secret, timeout)


def deliver(store: Store, channels: list[Any], loopback_only: bool,
            log: Callable[[str], None] = lambda m: None) -> dict[str, int]:
    """Send every stored alert not yet delivered to each destination (at most
    :data:`MAX_ATTEMPTS` tries each, through :func:`ssckit.core.notify.deliver`), logging every
    attempt in ``cyber_alert_deliveries``. Returns counts of sent and failed attempts."""
    migrate(store)
    alerts = sorted(load_alerts(store, limit=10_000), key=lambda a: a.created_at)
    counts = notify.deliver(
        store, "cyber_alert_deliveries", [to_notice(a) for a in alerts], channels,
        resolve=lambda host, port: resolve(host, port, None, loopback_only),
        errors=(Unreachable,), max_attempts=MAX_ATTEMPTS,
        log=lambda m: log("cyber alert " + m.removeprefix("notice ")))
    return {"sent": counts["sent"], "failed": counts["failed"]}
