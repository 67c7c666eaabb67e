"""Pages and API answers cached per store version: an anonymous GET answered once is answered
again from memory until any process writes the store (or city.yaml changes).

The key of an answer is the store's version (:func:`ssckit.core.store.store_version`, a file
every committed write renews), city.yaml's modification time, the request (path, query,
host, scheme), its language and whether it accepts gzip (answers are kept compressed).
Only requests without credentials are cached (no ``Authorization``, no cookie but the
language switcher's; no conditional or range request, nothing under ``/static/``), and only
answers that are
``200``, set no cookie and do not say ``Cache-Control: no-store`` or ``private``; a time
limit (``max_age_s``) bounds how long an answer that depends on the clock can stay.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ssckit.core import i18n

#: Default bounds: entries kept, largest body kept [bytes], age of an entry [s].
MAX_ENTRIES = 512
MAX_BODY_BYTES = 4 * 2**20
MAX_AGE_S = 300.0


# Requests answered by the app itself: with credentials, or conditional / partial ones.
_UNCACHED_IF = frozenset({b"authorization", b"if-none-match", b"if-modified-since", b"range"})


@dataclass(frozen=True)
class _Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    stored_at: float


class VersionCache:
    """ASGI middleware caching anonymous GET answers per store version (see the module
    docstring). ``version`` returns the current version key; ``enabled=False`` passes
    everything through (for comparisons). Answers carry ``X-Cache: hit`` or ``miss``."""

    def __init__(self, app: ASGIApp, version: Callable[[], str], enabled: bool = True,
                 max_entries: int = MAX_ENTRIES, max_age_s: float = MAX_AGE_S,
                 max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.version = version
        self.enabled = enabled
        self.max_entries, self.max_age_s, self.max_body_bytes = (max_entries, max_age_s,
                                                                 max_body_bytes)
        self._entries: OrderedDict[tuple[object, ...], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _key(self, scope: Scope) -> tuple[object, ...] | None:
        if (scope["type"] != "http" or scope["method"] != "GET"
                or scope["path"].startswith("/static/")):
            return None
        lang = scope.get("state", {}).get("lang", "")
        host = b""
        gzip = False
        for name, value in scope.get("headers", []):
            if name in _UNCACHED_IF:
                return None
            if name == b"cookie":
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:  # a malformed cookie: not ours to cache
                    return None
                if set(jar) - {i18n.LANG_COOKIE}:
                    return None
            elif name == b"host":
                host = value
            elif name == b"accept-encoding":
                gzip = b"gzip" in value
        return (self.version(), scope.get("scheme"), host, scope["path"],
                scope.get("query_string", b""), lang, gzip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope) if self.enabled else None
        if key is None:
            await self.app(scope, receive, send)
            return
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry.stored_at <= self.max_age_s:
                self._entries.move_to_end(key)
                self.hits += 1
            else:
                entry = None
                self.misses += 1
        if entry is not None:
            await send({"type": "http.response.start", "status": entry.status,
                        "headers": [*entry.headers, (b"x-cache", b"hit")]})
            await send({"type": "http.response.body", "body": entry.body})
            return

        start: Message | None = None
        chunks: list[bytes] = []
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, keep
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                start = {**message, "headers": [*headers, (b"x-cache", b"miss")]}
                control = b",".join(v for k, v in headers if k.lower() == b"cache-control")
                keep = (message["status"] == 200
                        and not any(k.lower() == b"set-cookie" for k, _ in headers)
                        and b"no-store" not in control and b"private" not in control)
                await send(start)
                return
            if message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                if sum(map(len, chunks)) > self.max_body_bytes:
                    keep = False
                    chunks.clear()
            await send(message)

        await self.app(scope, receive, capture)
        if keep and start is not None:
            headers = [(k, v) for k, v in start["headers"] if k != b"x-cache"]
            entry = _Entry(start["status"], headers, b"".join(chunks), now)
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)


def workspace_version(store_version: Callable[[], str], config_path: os.PathLike[str] | str
                      ) -> Callable[[], str]:
    """The cache's version key: the store's version and city.yaml's modification time."""

    def version() -> str:
        try:
            mtime = os.stat(config_path).st_mtime_ns
        except OSError:
            mtime = 0
        return f"{store_version()}|{mtime}"

    return version


class StoreScope:
    """ASGI middleware: every unit of work of one request shares one opening of the store
    (:meth:`ssckit.core.store.Store.holding`), closed when the answer has been sent."""

    def __init__(self, app: ASGIApp, store: object) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.store.holding():  # type: ignore[attr-defined]
            await self.app(scope, receive, send)
