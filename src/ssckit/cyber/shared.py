"""Work a scan does once for all its services: TLS scans of one endpoint and DNS answers.

Several services often share an endpoint (pages of one portal behind one address and name), and
the mail domains of a country share a few MX hosts; each such endpoint is scanned once per scan
and its result handed to every service that needs it. DNS answers are cached for the scan
within their TTL (dnspython's cache).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import TypeVar

import dns.resolver

T = TypeVar("T")


class SharedWork:
    """Results computed once per key for the whole scan (thread-safe); a failure is shared
    too (the same exception is raised to every service asking)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[Hashable, Future] = {}
        self.dns_cache = dns.resolver.Cache()
        self.computed = 0
        self.reused = 0

    def once(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for; its result (or exception) after."""
        with self._lock:
            future = self._results.get(key)
            owner = future is None
            if future is None:
                future = self._results[key] = Future()
                self.computed += 1
            else:
                self.reused += 1
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:  # handed to every waiter, raised below
                future.set_exception(exc)
        return future.result()


def once(shared: SharedWork | None, key: Hashable, compute: Callable[[], T]) -> T:
    """``shared.once(key, compute)``, or ``compute()`` without a scan-wide store."""
    return compute() if shared is None else shared.once(key, compute)
