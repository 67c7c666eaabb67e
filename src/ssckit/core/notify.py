"""Notices delivered to people: e-mail over SMTP and signed JSON webhooks, every attempt logged,
retried a bounded number of times, never sent twice.

A module turns what it detected into :class:`Notice` records (a unique ``key``, a subject, a
text for e-mail, a JSON payload for webhooks) and calls :func:`deliver` with its channels and
the name of its delivery-log table (columns of :func:`delivery_table_sql`). The log is the
memory: a destination that already accepted a notice is never sent it again (so a restart
sends nothing twice), a failed attempt is retried on the next call, up to ``max_attempts``.

Webhook (``POST`` JSON): headers ``X-Ssckit-Timestamp`` (Unix seconds) and
``X-Ssckit-Signature: sha256=<hex>``, the HMAC-SHA256 (RFC 2104) of ``<timestamp>.<body>`` under
the shared secret; the receiver recomputes it (:func:`verify_signature`) and rejects old
timestamps, so a captured request cannot be replayed later.

E-mail: one message per notice and destination (RFC 5322 via :mod:`email.message`), with the
notice key in the ``X-Ssckit-Alert`` header; STARTTLS (RFC 3207) when asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from ssckit.core.store import Store

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Channel",
    "EmailChannel",
    "Notice",
    "WebhookChannel",
    "deliver",
    "delivery_log",
    "delivery_table_sql",
    "sign",
    "verify_signature",
]

#: Delivery attempts per notice and destination before it is given up.
DEFAULT_MAX_ATTEMPTS = 3
SIGNATURE_HEADER = "X-Ssckit-Signature"
TIMESTAMP_HEADER = "X-Ssckit-Timestamp"
KEY_HEADER = "X-Ssckit-Alert"

#: ``resolve(host, port) -> address``: where a channel connects (a module may refuse hosts by
#: raising one of the ``errors`` it passes to :func:`deliver`).
Resolver = Callable[[str, int], str]


def _as_is(host: str, port: int) -> str:
    return host


@dataclass(frozen=True)
class Notice:
    """One thing to tell people.

    key: unique and stable (the same event detected again gives the same key);
    subject: one line; text: the e-mail body; payload: the webhook's JSON object;
    destinations: per channel name, the destinations this notice goes to (None: the
    channel's own list).
    """

    key: str
    subject: str
    text: str
    payload: dict[str, Any]
    destinations: dict[str, list[str]] | None = None


class Channel(Protocol):
    name: str

    @property
    def destinations(self) -> list[str]: ...

    def send(self, notice: Notice, destination: str, resolve: Resolver = _as_is) -> str: ...


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 (RFC 2104) of ``<timestamp>.<body>``."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: bytes, timestamp: str, body: bytes, signature: str,
                     max_age_s: float = 300, now: float | None = None) -> bool:
    """What a webhook receiver checks: the signature, and a timestamp under ``max_age_s`` [s]."""
    try:
        age = (time.time() if now is None else now) - int(timestamp)
    except ValueError:
        return False
    return abs(age) <= max_age_s and hmac.compare_digest(sign(secret, timestamp, body),
                                                         signature)


class _EncodedSubject(str):
    """A non-ASCII ``Subject`` written as RFC 2047 encoded-words by :class:`email.header.Header`
    (a header object the policy stores and folds as it is). The default policy's folder of
    Python 3.11 drops the space between some encoded-words and the next word (e.g. after
    ``"]"`` or ``","``), so a Russian subject would arrive with words run together."""

    name = "Subject"

    def fold(self, *, policy: Any) -> str:
        encoded = Header(str(self), "utf-8", header_name=self.name).encode(
            linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


class SmtpServer(BaseModel):
    """The SMTP server a module's notices go through (a ``email:`` block of its settings in
    city.yaml): host, port, sender address, STARTTLS and the CA file that checks it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    smtp_host: str = Field(min_length=1)
    smtp_port: int = Field(25, ge=1, le=65535)
    sender: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    starttls: bool = False
    ca_bundle: str | None = None

    def channel(self, to: Sequence[str] = (), local_hostname: str = "ssckit.notify"
                ) -> EmailChannel:
        """The e-mail channel to this server (``to``: its default recipients)."""
        return EmailChannel(self.smtp_host, self.smtp_port, self.sender, list(to),
                            self.starttls, ca_bundle=self.ca_bundle,
                            local_hostname=local_hostname)


@dataclass
class EmailChannel:
    """Notices by e-mail over SMTP (STARTTLS when ``starttls``); ``to`` is the default list of
    recipients (one destination: all of them in one message)."""

    smtp_host: str
    smtp_port: int
    sender: str
    to: list[str] = field(default_factory=list)
    starttls: bool = False
    timeout: float = 10.0
    ca_bundle: str | None = None
    name: str = "email"
    local_hostname: str = "ssckit.notify"

    @property
    def destinations(self) -> list[str]:
        return [",".join(self.to)] if self.to else []

    def send(self, notice: Notice, destination: str, resolve: Resolver = _as_is) -> str:
        ip = resolve(self.smtp_host, self.smtp_port)
        msg = EmailMessage()
        msg["From"], msg["To"] = self.sender, destination
        subject = notice.subject[:200]
        msg["Subject"] = subject if subject.isascii() else _EncodedSubject(subject)
        msg[KEY_HEADER] = notice.key
        msg.set_content(notice.text if notice.text.endswith("\n") else notice.text + "\n")
        with smtplib.SMTP(ip, self.smtp_port, local_hostname=self.local_hostname,
                          timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=self.ca_bundle))
            refused = smtp.send_message(msg, to_addrs=destination.split(","))
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        return f"accepted by {self.smtp_host}:{self.smtp_port}"


@dataclass
class WebhookChannel:
    """Notices as signed JSON POSTs (see the module docstring); ``url`` is the default
    destination."""

    url: str | None
    secret: bytes
    timeout: float = 10.0
    name: str = "webhook"

    @property
    def destinations(self) -> list[str]:
        return [self.url] if self.url else []

    def send(self, notice: Notice, destination: str, resolve: Resolver = _as_is) -> str:
        parts = urlsplit(destination)
        resolve(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        body = json.dumps(notice.payload, ensure_ascii=False, sort_keys=True).encode()
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: ts,
                   SIGNATURE_HEADER: sign(self.secret, ts, body)}
        with httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False) as c:
            r = c.post(destination, content=body, headers=headers)
        if not 200 <= r.status_code < 300:
            raise RuntimeError(f"HTTP {r.status_code}")
        return f"HTTP {r.status_code}"


def delivery_table_sql(table: str, key_column: str = "alert_key") -> str:
    """``CREATE TABLE`` of a delivery log: one row per attempt."""
    return f"""
    CREATE TABLE {table} (
        {key_column}  VARCHAR NOT NULL,
        channel      VARCHAR NOT NULL,
        destination  VARCHAR NOT NULL,
        attempt      INTEGER NOT NULL,
        attempted_at TIMESTAMP NOT NULL,
        ok           BOOLEAN NOT NULL,
        detail       VARCHAR NOT NULL DEFAULT '',
        PRIMARY KEY ({key_column}, channel, destination, attempt)
    );
    """


def delivery_log(store: Store, table: str, limit: int = 500,
                 key_column: str = "alert_key") -> list[dict[str, Any]]:
    """Every delivery attempt logged in ``table``, newest first."""
    cur = store.cursor()
    try:
        rows = cur.execute(f"SELECT {key_column}, channel, destination, attempt, attempted_at, "
                           f"ok, detail FROM {table} ORDER BY attempted_at DESC, attempt DESC "
                           "LIMIT ?", [limit]).fetchall()
    finally:
        cur.close()
    return [{"alert_key": k, "channel": c, "destination": d, "attempt": n,
             "attempted_at": t.isoformat(timespec="seconds"), "ok": ok, "detail": det}
            for k, c, d, n, t, ok, det in rows]


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def deliver(store: Store, table: str, notices: Iterable[Notice], channels: Sequence[Channel],
            *, resolve: Resolver = _as_is, errors: tuple[type[BaseException], ...] = (),
            max_attempts: int = DEFAULT_MAX_ATTEMPTS, rate_limit_per_hour: int | None = None,
            log: Callable[[str], None] = lambda m: None, key_column: str = "alert_key",
            now: Callable[[], datetime] = _utcnow) -> dict[str, int]:
    """Send each notice to each destination that has not accepted it yet.

    Parameters
    ----------
    store : Store
        Holds the delivery log ``table`` (see :func:`delivery_table_sql`).
    notices : iterable of Notice
        In the order they should go out.
    channels : sequence of channels
        :class:`EmailChannel`, :class:`WebhookChannel` or alike.
    resolve : callable
        ``(host, port) -> address`` each channel connects to.
    errors : tuple of exception types
        Failures besides network, SMTP and HTTP ones that count as a failed attempt.
    max_attempts : int
        Attempts per notice and destination [-]; after that it is given up.
    rate_limit_per_hour : int, optional
        At most this many accepted deliveries per channel and destination in any 60 minutes
        [1/h]; the rest wait for the next call (they are not attempts).

    Returns
    -------
    dict
        Counts of ``sent`` and ``failed`` attempts and of ``deferred`` ones (rate limit).
    """
    cur = store.cursor()
    try:
        done = cur.execute(f"SELECT {key_column}, channel, destination, max(attempt), "
                           f"bool_or(ok) FROM {table} GROUP BY ALL").fetchall()
        recent = cur.execute(f"SELECT channel, destination, count(*) FROM {table} WHERE ok "
                             "AND attempted_at > ? GROUP BY ALL",
                             [now() - timedelta(hours=1)]).fetchall()
    finally:
        cur.close()
    state = {(k, c, d): (n, ok) for k, c, d, n, ok in done}
    sent_hour = {(c, d): n for c, d, n in recent}
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    caught = (OSError, smtplib.SMTPException, httpx.HTTPError, RuntimeError, *errors)
    for notice in notices:
        for ch in channels:
            dests = ch.destinations if notice.destinations is None else notice.destinations.get(
                ch.name, [])
            for dest in dests:
                tries, ok = state.get((notice.key, ch.name, dest), (0, False))
                if ok or tries >= max_attempts:
                    continue
                if rate_limit_per_hour is not None and sent_hour.get(
                        (ch.name, dest), 0) >= rate_limit_per_hour:
                    counts["deferred"] += 1
                    continue
                try:
                    detail, ok = ch.send(notice, dest, resolve), True
                except caught as exc:
                    detail, ok = f"{type(exc).__name__}: {exc}", False
                    log(f"notice {notice.key} to {ch.name} {dest}: {detail}")
                with store.transaction() as tx:
                    tx.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [notice.key, ch.name, dest, tries + 1, now(), ok, detail[:500]])
                state[(notice.key, ch.name, dest)] = (tries + 1, ok)
                if ok:
                    sent_hour[(ch.name, dest)] = sent_hour.get((ch.name, dest), 0) + 1
                counts["sent" if ok else "failed"] += 1
    return counts
