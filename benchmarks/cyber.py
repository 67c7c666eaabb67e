"""Benchmark: scan N local services (mixed configurations, served on loopback by the local lab)
with today's scanner and the scanner before it, side by side in the same run; print services
per minute and the ratio.

Today's scanner finds cipher suites by elimination (the accepted suites plus one handshake per
version) and also runs sslyze's vulnerability probes and the IPv6 check; the scanner before
("per-suite") ran sslyze's scan commands, one handshake per suite it knows (~530), and no
probes. Then the pool with per-host politeness (2 at once per address: every lab service shares
127.0.0.1, the worst case), optionally one by one (--sequential), and a monitoring round's
extra work (baseline judgement of every service and alert detection against the previous scan).
The load average is printed before and after: the lab's services share the machine's cores.

Run: .venv/bin/python benchmarks/cyber.py [--services 100] [--concurrency 16] [--sequential]
Nothing leaves 127.0.0.1. The services run in a child process (as a city's servers would run
apart from the scanner), so the scanner's threads do not wait for the services' interpreter.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from multiprocessing.connection import Connection

from ssckit.cyber.alerts import detect
from ssckit.cyber.baseline import evaluate, load_profile
from ssckit.cyber.locallab import Lab, Site
from ssckit.cyber.netpolicy import ENV_LOOPBACK_ONLY
from ssckit.cyber.scan import ScanOptions, scan_targets
from ssckit.cyber.targets import parse_targets

MIXES = [
    {},
    {"protocols": "TLSv1 TLSv1.1 TLSv1.2",
     "ciphers": "ECDHE-RSA-AES128-SHA:AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256",
     "cert_key": "rsa2048"},
    {"protocols": "TLSv1.2", "ciphers": "ECDHE-RSA-AES128-SHA256", "cert_key": "rsa2048"},
    {"cert_days": (-400, -10)},
    {"headers": {}, "cookies": [], "security_txt": None, "redirect_http": False},
]


def serve(n: int, conn: Connection) -> None:
    """Child process: serve ``n`` sites, send their targets, wait for the word to stop."""
    sites = [Site(f"svc{i:03d}", host=f"svc{i:03d}.city.test", **MIXES[i % len(MIXES)])
             for i in range(n)]
    with Lab(sites) as lab:
        conn.send(lab.targets())
        conn.recv()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--sequential", action="store_true", help="also scan one by one")
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    os.environ[ENV_LOOPBACK_ONLY] = "1"
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=serve, args=(args.services, child))
    proc.start()
    try:
        targets = parse_targets({"services": parent.recv()}, "benchmark")
        timings = {}
        scans = {}
        runs = [("pool", args.concurrency, 0, "elimination"),
                ("before", args.concurrency, 0, "per-suite"),
                ("per-host 2", args.concurrency, 2, "elimination")]
        if args.sequential:
            runs.append(("sequential", 1, 0, "elimination"))
        for label, n, per_host, how in runs:
            t0 = time.perf_counter()
            scan = scan_targets(targets, ScanOptions(concurrency=n, timeout=120,
                                                     connect_timeout=5, loopback_only=True,
                                                     per_host=per_host, suite_enumeration=how))
            scans[label] = scan
            timings[label] = time.perf_counter() - t0
            errors = sum(r.error is not None for r in scan.results)
            checks = sum(len(r.findings) for r in scan.results) / max(1, len(scan.results))
            print(f"{label:>10}: {len(scan.results)} services in {timings[label]:6.1f} s = "
                  f"{60 * len(scan.results) / timings[label]:7.1f} services/min "
                  f"(concurrency {n}, {how}, {checks:.0f} findings/service, "
                  f"{errors} unreachable)")
    finally:
        parent.send("stop")
        proc.join(timeout=10)
    print(f"today's pool / the scanner before (time): "
          f"{timings['pool'] / timings['before']:.2f}x, i.e. "
          f"{timings['before'] / timings['pool']:.1f}x the services per minute")
    if "sequential" in timings:
        print(f"speed-up of the pool over sequential: "
              f"{timings['sequential'] / timings['pool']:.1f}x")
    print(f"per-host politeness (2 at once on one address) / pool time: "
          f"{timings['per-host 2'] / timings['pool']:.1f}x")
    profile = load_profile("national-baseline")
    t0 = time.perf_counter()
    for r in scans["pool"].results:
        evaluate(profile, r)
    found = detect(scans["per-host 2"], scans["pool"], profile)
    judge = time.perf_counter() - t0
    print(f"monitoring extra (baseline judgement + alert detection, {len(found)} alerts): "
          f"{1000 * judge:.1f} ms = {100 * judge / timings['pool']:.2f} % of the pool's scan")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
