"""Security headers on every response: CSP, HSTS, framing, sniffing, referrer and permissions;
and the app's ``/.well-known/security.txt`` (RFC 9116).

Our own security scan checks exactly these; the app is scanned behind a TLS terminator in the
tests and must grade A or better.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ssckit.core.errors import InputError

if TYPE_CHECKING:
    from ssckit.core.workspace import Workspace

#: Scripts only from our own origin (no inline script, no eval): chart data travel as
#: ``<script type="application/json">`` blocks read by ``static/charts.js``. plotly.js sets
#: inline styles on the SVG it draws, so styles also allow 'unsafe-inline' (styles only: the
#: Observatory and our scanner judge 'unsafe-inline' in script-src/default-src, where it would
#: allow script injection; in style-src it does not).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


#: RFC 6797 §7.2: sent only over HTTPS (served with TLS, or through a trusted proxy that said so).
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response (and HSTS to
    those over HTTPS), and a ``Cache-Control`` where it sets none (``no-store``, but an hour
    for ``/static/``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                         for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        cache = b"public, max-age=3600" if scope["path"].startswith("/static/") else b"no-store"
        extra = self._headers + ([(b"strict-transport-security", HSTS.encode())]
                                 if scope.get("scheme") == "https" else [])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                if b"cache-control" not in present:
                    headers.append((b"cache-control", cache))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: Largest request body accepted [bytes] (the largest upload, a CSV of KPI values, is 5 MiB).
MAX_BODY_BYTES = 8 * 1024 * 1024


class BodySizeLimitMiddleware:
    """ASGI middleware refusing request bodies over ``max_bytes`` with 413 before they are
    read: at once from ``Content-Length``, or as soon as a streamed body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not refused:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    # the app sees the client go away, and whatever it answers is dropped
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, tracking_send)

    async def _refuse(self, send: Send) -> None:
        body = (f"request body larger than {self.max_bytes // 2**20} MiB").encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


#: RFC 9116 recommends an Expires less than a year ahead; ours is renewed on every request.
SECURITY_TXT_DAYS = 360
_CONTACT_SCHEMES = ("mailto:", "https://", "tel:")


def security_contacts(ws: Workspace) -> list[str]:
    """The security.txt ``Contact:`` values: ``settings.cyber.security_contact`` of city.yaml
    (a URI or a list of them: ``mailto:``, ``https://`` or ``tel:``), by default
    ``mailto:security@<city>.invalid``, a placeholder that says "set me" and reaches nobody."""
    raw = ws.config.settings.get("cyber", {}).get("security_contact")
    if raw is None:
        slug = re.sub(r"[^a-z0-9]+", "-", ws.config.name.lower()).strip("-") or "city"
        return [f"mailto:security@{slug}.invalid"]
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        raise InputError(str(ws.root / "city.yaml"), "field 'settings.cyber.security_contact'",
                         "expected a contact URI or a list of them")
    for v in values:
        if not isinstance(v, str) or not v.startswith(_CONTACT_SCHEMES) or "\n" in v or "\r" in v:
            raise InputError(str(ws.root / "city.yaml"), "field 'settings.cyber.security_contact'",
                             f"{v!r} is not a contact URI (mailto:, https:// or tel:, RFC 9116 "
                             "section 2.5.3)")
    return list(values)


def security_txt(ws: Workspace, now: datetime | None = None) -> str:
    """The app's ``/.well-known/security.txt`` (RFC 9116): Contact, Expires (about a year
    ahead, at midnight UTC so it is stable through the day), Preferred-Languages."""
    now = now or datetime.now(UTC)
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    expires = midnight + timedelta(days=SECURITY_TXT_DAYS)
    lines = [f"# Security contact of the {ws.config.name} ssckit dashboard (RFC 9116)."]
    lines += [f"Contact: {c}" for c in security_contacts(ws)]
    lines += [f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}", "Preferred-Languages: en"]
    return "\n".join(lines) + "\n"
