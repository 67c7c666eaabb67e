"""Scanning services: the checks of each service, many services at once in a bounded pool.

An unreachable service (DNS failure, refused port, timeout, no TLS on the TLS port) is reported
with ``error`` set and status ``error/unreachable``, never as a pass; the other services' scans
go on.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.hazmat.primitives.serialization import Encoding

from ssckit.core.progress import task
from ssckit.cyber.checks import dns as dns_checks
from ssckit.cyber.checks import http as http_checks
from ssckit.cyber.checks import ipv6 as ipv6_checks
from ssckit.cyber.checks import tls as tls_checks
from ssckit.cyber.model import Finding, ServiceResult
from ssckit.cyber.netpolicy import Unreachable, loopback_only_default, resolve
from ssckit.cyber.shared import SharedWork, once
from ssckit.cyber.targets import DnsSettings, Target, TargetsFile


@dataclass
class ScanOptions:
    """How a scan runs.

    ``concurrency``: services scanned at once; ``timeout``: wall-clock limit per service [s];
    ``connect_timeout``: limit per network operation [s]; ``loopback_only``: never contact an
    address outside 127.0.0.0/8 and ::1; ``dkim_selectors``: DKIM selectors looked up on
    every mail domain; ``per_host``: at most this many services of one
    host (the address connected to) scanned at once, 0 for no limit (politeness);
    ``suite_enumeration``: ``"elimination"`` (few handshakes, with the vulnerability probes;
    :mod:`ssckit.cyber.checks.tlsscan`) or ``"per-suite"`` (sslyze's one handshake per suite,
    no vulnerability probes: the scanner before, kept as the reference).
    """

    concurrency: int = 8
    per_host: int = 0
    timeout: float = 60.0
    connect_timeout: float = 5.0
    loopback_only: bool = field(default_factory=loopback_only_default)
    now: datetime | None = None
    dkim_selectors: tuple[str, ...] = ()
    suite_enumeration: str = "elimination"


@dataclass
class Scan:
    """One scan of a list of services."""

    started_at: datetime
    finished_at: datetime
    results: list[ServiceResult]
    source: str = ""
    shared_reused: int = 0  # endpoint scans and MX hosts reused from another service's scan

    @property
    def scan_id(self) -> str:
        return self.started_at.strftime("%Y%m%dT%H%M%S.%f")


def _collect_tls(target: Target, ip: str, options: ScanOptions) -> tls_checks.TlsData:
    if options.suite_enumeration == "per-suite":
        return tls_checks.collect_per_suite(target.host, target.port, ip,
                                            ca_bundle=target.ca_bundle,
                                            timeout=options.connect_timeout)
    return tls_checks.collect(target.host, target.port, ip, ca_bundle=target.ca_bundle,
                              timeout=options.connect_timeout)


def scan_service(target: Target, dns: DnsSettings | None = None,
                 options: ScanOptions | None = None,
                 shared: SharedWork | None = None) -> ServiceResult:
    """Run every check on one service; ``shared``: the scan's work done once for all its
    services (an endpoint's TLS scan, an MX host, DNS answers)."""
    options = options or ScanOptions()
    t0 = time.monotonic()
    result = ServiceResult(name=target.name, url=target.url, tags=list(target.tags),
                           organisation=target.organisation)
    findings: list[Finding] = []
    try:
        ip = resolve(target.host, target.port, target.address, options.loopback_only)
        data = once(shared, ("tls", target.host, ip, target.port, target.ca_bundle, False,
                             options.suite_enumeration),
                    lambda: _collect_tls(target, ip, options))
        findings += tls_checks.evaluate(data, options.now)
        if options.suite_enumeration != "per-suite":
            leaf = data.chain[0].public_bytes(Encoding.DER) if data.chain else None
            findings.append(ipv6_checks.check_web(
                target.host, target.port, target.address6, leaf,
                loopback_only=options.loopback_only, timeout=options.connect_timeout))

        def pinned(host: str, port: int) -> str:
            own = target.address if host == target.host else None
            return resolve(host, port, own, options.loopback_only)

        with http_checks.Fetcher(pinned, timeout=options.connect_timeout) as fetcher:
            http = http_checks.collect(target.url, target.plain_http_url, fetcher)
        findings += http_checks.evaluate(http, options.now)
        if target.mail_domain:
            cfg = dns_checks.DnsConfig(
                nameservers=list(dns.nameservers) if dns else [],
                port=dns.port if dns else 53, timeout=options.connect_timeout,
                dkim_selectors=tuple(options.dkim_selectors), mta_sts_port=target.mta_sts_port)
            findings += dns_checks.evaluate(target.mail_domain, cfg,
                                            loopback_only=options.loopback_only,
                                            smtp_port=target.smtp_port,
                                            ca_bundle=target.ca_bundle, shared=shared)
    except Unreachable as exc:
        result.error = str(exc)
    except Exception as exc:  # a bug or an unexpected answer must not pass for a clean result
        result.error = f"scan failed: {type(exc).__name__}: {exc}"
    result.findings = findings
    result.duration_s = time.monotonic() - t0
    return result


def scan_targets(targets: TargetsFile, options: ScanOptions | None = None,
                 on_done: Callable[[ServiceResult], None] | None = None,
                 source: str = "") -> Scan:
    """Scan every service of ``targets`` with at most ``options.concurrency`` at once.

    A service still running after ``options.timeout`` seconds is reported unreachable
    ("timed out") and left behind; its thread ends on its own network timeouts. Progress shows
    on the active display (:mod:`ssckit.core.progress`).
    """
    options = options or ScanOptions()
    tls_checks.prepare()
    shared = SharedWork()
    started = datetime.now(UTC).replace(tzinfo=None)
    begun: dict[int, float] = {}
    lock = threading.Lock()
    hosts: dict[str, threading.Semaphore] = {}
    if options.per_host > 0:
        for t in targets.services:
            hosts.setdefault(t.address or t.host, threading.Semaphore(options.per_host))

    def run(i: int, target: Target) -> ServiceResult:
        gate = hosts.get(target.address or target.host)
        with gate if gate is not None else contextlib.nullcontext():
            with lock:
                begun[i] = time.monotonic()
            return scan_service(target, targets.dns, options, shared)

    results: dict[int, ServiceResult] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency),
                              thread_name_prefix="ssckit-cyber")
    with task("cyber scan", total=len(targets.services)) as advance:

        def finish(i: int, result: ServiceResult) -> None:
            results[i] = result
            if on_done:
                on_done(result)
            advance()

        try:
            pending: dict[Future[ServiceResult], int] = {
                pool.submit(run, i, t): i for i, t in enumerate(targets.services)}
            while pending:
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    finish(pending.pop(fut), fut.result())
                now = time.monotonic()
                with lock:
                    overdue = [f for f, i in pending.items()
                               if i in begun and now - begun[i] > options.timeout]
                for fut in overdue:
                    i = pending.pop(fut)
                    t = targets.services[i]
                    finish(i, ServiceResult(
                        name=t.name, url=t.url, tags=list(t.tags), organisation=t.organisation,
                        error=f"timed out after {options.timeout:g} s",
                        duration_s=now - begun[i]))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    finished = datetime.now(UTC).replace(tzinfo=None)
    return Scan(started, finished, [results[i] for i in range(len(targets.services))], source,
                shared.reused)
