"""The dashboard under load: `ssckit serve` (real uvicorn, real HTTP) answering a fixed request
mix at concurrency 4, with and without the per-store-version cache, in the same run.

Prints, for ``/api/v1/kpi/scorecard`` and the home page: requests per second, p50 and p99
latency [ms], and the cached/uncached ratio. Targets on 2 cores: scorecard >= 500 req/s with
p99 <= 30 ms, home >= 200 req/s.

    python benchmarks/web.py --workspace sample-city            # after `ssckit demo --no-serve`
    python benchmarks/web.py --workspace sample-city --live     # during the live school ingest
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

PATHS = {"scorecard": "/api/v1/kpi/scorecard", "home": "/"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workspace: Path, port: int, cache: bool, live: bool) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "ssckit.cli", "serve", "-w", str(workspace), "--port",
           str(port), "--cache" if cache else "--no-cache", "--live" if live else "--no-live"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:]}"
                                 if proc.stderr else "server did not start") from None
            time.sleep(0.2)


def drive(port: int, path: str, requests: int, concurrency: int) -> tuple[float, np.ndarray]:
    """``requests`` GETs of ``path`` from ``concurrency`` keep-alive clients; (req/s, latencies
    [s]). Every answer must be 200."""
    per = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors: list[str] = []

    def client(i: int) -> None:
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Accept-Encoding": "gzip"}
        for _ in range(per[i]):
            t0 = time.perf_counter()
            con.request("GET", path, headers=headers)
            r = con.getresponse()
            r.read()
            latencies[i].append(time.perf_counter() - t0)
            if r.status != 200:
                errors.append(f"{path}: {r.status}")
        con.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return requests / wall, np.concatenate([np.asarray(x) for x in latencies])


def measure(workspace: Path, cache: bool, live: bool, requests: int, concurrency: int
            ) -> dict[str, tuple[float, float, float]]:
    port = free_port()
    proc = start_server(workspace, port, cache, live)
    try:
        out = {}
        for name, path in PATHS.items():
            drive(port, path, 2 * concurrency, concurrency)        # warm up (imports, cache)
            rate, lat = drive(port, path, requests, concurrency)
            out[name] = (rate, float(np.percentile(lat, 50)) * 1e3,
                         float(np.percentile(lat, 99)) * 1e3)
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, default=Path("sample-city"))
    ap.add_argument("--requests", type=int, default=1000, help="per endpoint and setting")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--live", action="store_true", help="serve with the live school ingest")
    args = ap.parse_args()
    if not (args.workspace / "city.yaml").is_file():
        raise SystemExit(f"{args.workspace}: no city.yaml; run `ssckit demo --no-serve -w "
                         f"{args.workspace}` first")
    print(f"workspace {args.workspace}, {args.requests} requests per endpoint, concurrency "
          f"{args.concurrency}, live ingest {'on' if args.live else 'off'}, "
          f"load average before {os.getloadavg()[0]:.2f}")
    results = {cache: measure(args.workspace, cache, args.live, args.requests, args.concurrency)
               for cache in (False, True)}
    print(f"{'endpoint':<10} {'cache':<6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name in PATHS:
        for cache in (False, True):
            rate, p50, p99 = results[cache][name]
            print(f"{name:<10} {'on' if cache else 'off':<6} {rate:8.1f} {p50:8.2f} {p99:8.2f}")
        ratio = results[True][name][0] / results[False][name][0]
        print(f"{name:<10} cached/uncached throughput: {ratio:.1f}x")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
