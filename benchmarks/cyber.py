"""Benchmark: scan N local services (mixed configurations, nginx on loopback) with the pool and
one by one, in the same run; print services per minute and the speed-up.

Run: .venv/bin/python benchmarks/cyber.py [--services 50] [--concurrency 16]
Needs Debian nginx (scripts/setup --test). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from ssckit.cyber.locallab import NginxLab, Site
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--services", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    os.environ[ENV_LOOPBACK_ONLY] = "1"
    sites = [Site(f"svc{i:03d}", host=f"svc{i:03d}.city.test", **MIXES[i % len(MIXES)])
             for i in range(args.services)]
    with tempfile.TemporaryDirectory() as tmp, NginxLab(Path(tmp), sites) as lab:
        targets = parse_targets({"services": lab.targets()}, "benchmark")
        timings = {}
        for label, n in (("pool", args.concurrency), ("sequential", 1)):
            t0 = time.perf_counter()
            scan = scan_targets(targets, ScanOptions(concurrency=n, timeout=120,
                                                     connect_timeout=5, loopback_only=True))
            timings[label] = time.perf_counter() - t0
            errors = sum(r.error is not None for r in scan.results)
            print(f"{label:>10}: {len(scan.results)} services in {timings[label]:6.1f} s = "
                  f"{60 * len(scan.results) / timings[label]:7.1f} services/min "
                  f"(concurrency {n}, {errors} unreachable)")
    print(f"speed-up of the pool over sequential: {timings['sequential'] / timings['pool']:.1f}x")


if __name__ == "__main__":
    main()
