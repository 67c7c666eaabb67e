"""Work a scan does once for all its services: an endpoint's TLS scan, an MX host."""

from __future__ import annotations

import threading
import time

import pytest

from ssckit.cyber.scan import ScanOptions, scan_targets
from ssckit.cyber.shared import SharedWork
from ssckit.cyber.targets import parse_targets


def test_computed_once_under_concurrency_and_failures_shared():
    shared, calls = SharedWork(), []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    out: list[int] = []
    threads = [threading.Thread(target=lambda: out.append(shared.once("k", slow)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [42] * 8 and len(calls) == 1
    assert (shared.computed, shared.reused) == (1, 7)

    def broken() -> int:
        raise OSError("refused")

    for _ in range(2):
        with pytest.raises(OSError, match="refused"):
            shared.once("bad", broken)


def test_two_services_on_one_endpoint_share_its_tls_scan(lab):
    site = next(t for t in lab.targets() if t["name"] == "good")
    targets = parse_targets({"services": [
        site, {**site, "name": "good-forms", "url": site["url"] + "forms/"}]}, "t")
    scan = scan_targets(targets, ScanOptions(concurrency=2, loopback_only=True,
                                             connect_timeout=3))
    a, b = scan.results
    assert a.error is None and b.error is None
    assert scan.shared_reused == 1
    for check in ("tls.protocols", "tls.ciphers", "cert.expiry", "tls.renegotiation"):
        assert a.finding(check).to_dict() == b.finding(check).to_dict(), check
