"""Unreachable services are per-service errors, never passes; the other services go on."""

from __future__ import annotations

import socket
import threading

from ssckit.cyber.scan import ScanOptions, scan_targets
from ssckit.cyber.scoring import score_service
from ssckit.cyber.targets import parse_targets


def test_refused_port_unresolvable_host_and_plain_http_are_errors(lab_scan, results):
    assert "connection refused" in results["refused"].error
    assert "nowhere.invalid" in results["nowhere"].error
    assert "does not resolve" in results["nowhere"].error
    assert "TLS handshake failed" in results["plain"].error
    for name in ("refused", "nowhere", "plain"):
        r = results[name]
        assert r.status == "error/unreachable" and r.findings == []
        assert score_service(r).grade is None
    # ... while every other service was scanned in the same run.
    scanned = [r.name for r in lab_scan.results if r.error is None]
    assert {"good", "legacy", "bare", "badheaders", "expired"} <= set(scanned)


def test_non_loopback_address_is_never_contacted():
    targets = parse_targets({"services": [
        {"name": "outside", "url": "https://portal.city.test/", "address": "192.0.2.10"}]}, "t")
    scan = scan_targets(targets, ScanOptions(loopback_only=True))
    assert "outside the loopback range" in scan.results[0].error


def test_loopback_only_mode_comes_from_the_environment():
    from ssckit.cyber.netpolicy import loopback_only_default

    assert loopback_only_default()  # set by the autouse fixture in conftest


def test_silent_service_times_out_per_service_and_others_finish(lab):
    # A TCP listener that accepts and never answers: the TLS handshake hangs.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    good = next(s for s in lab.sites if s.name == "good")
    try:
        targets = parse_targets({"services": [
            {"name": "silent", "url": f"https://silent.city.test:{sock.getsockname()[1]}/",
             "address": "127.0.0.1"},
            {"name": "good", "url": good.url, "http_url": good.http_url,
             "address": "127.0.0.1", "ca_bundle": str(lab.ca.bundle)},
        ]}, "t")
        scan = scan_targets(targets, ScanOptions(concurrency=2, timeout=4, connect_timeout=1,
                                                 loopback_only=True))
    finally:
        stop.set()
        t.join(timeout=5)
        for c in held:
            c.close()
        sock.close()
    silent, ok = scan.results
    assert silent.error and "timed out" in silent.error
    assert ok.error is None and score_service(ok).grade is not None
