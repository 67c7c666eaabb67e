"""Benchmark: the national report and the ranking page on a country's worth of schools.

Run with ``python benchmarks/school_national.py [--schools 3000] [--days 30] [--out DIR]``.

1. generates (once; kept in ``--out`` for the next run) a synthetic national registry and a
   month of hourly aggregates streamed to Parquet (``ssckit school national generate``);
2. times the national report (ranking, CO₂ categories, connectivity, energy: one DuckDB query
   over the Parquet files in place) with all threads and with one thread: the ratio is the
   parallel speed-up, and speed-up / threads the parallel efficiency;
3. times the ranking page ``/school/national`` (all schools, and one region) through the web
   app in process, median of several requests after a warm-up.

Targets of the national roll-out: report <= 10 s and page <= 1 s on 2 cores. Never a CI gate;
the figures depend on the machine and its load (printed).

Measured (``python benchmarks/school_national.py --repeat 3``; 3 000 schools, 93 288 560
hourly rows, 554 MB of Parquet; the shared 2-core machine at a load average of 10.9-12.1):
report 9.52 s wall with 2.87 s of CPU on 2 threads (1 thread: 9.68 s wall, 3.07 s CPU) - the
target met with a sixth of the machine free; about 1.5-2 s on two idle cores; ranking page
447 ms (all schools) and 325 ms (one region), medians. Before the room rows were filtered
ahead of the joins: 4.14 s CPU, 11.2 s wall at a load of ~8; earlier 5.0 s CPU, 19.2 s wall.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

CITY_YAML = ("name: Benchmark country\ncountry: XX\nyear: 2026\ncrs: 'EPSG:32637'\n"
             "boundary: boundary.geojson\nsynthetic: true\n"
             "settings: {school: {utc_offset_min: 180}}\n")
BOUNDARY = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            '"geometry": {"type": "Polygon", "coordinates": [[[500000, 0], [501000, 0], '
            '[501000, 1000], [500000, 1000], [500000, 0]]]}}]}')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schools", type=int, default=3000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "ssckit-national")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from ssckit.school.national import generate_national, national_report, read_report
    from ssckit.web.app import create_app

    ws = args.out / f"country-{args.schools}-{args.days}"
    root = ws / "data" / "school" / "national"
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}; cores: {os.cpu_count()}")
    if not (root / "schools.csv").exists():
        ws.mkdir(parents=True, exist_ok=True)
        (ws / "city.yaml").write_text(CITY_YAML)
        (ws / "boundary.geojson").write_text(BOUNDARY)
        res = generate_national(root, args.schools, args.days, seed=0)
        print(f"generated {res['schools']:,} schools, {res['rooms']:,} rooms, {res['rows']:,} "
              f"hourly rows in {res['seconds']:.1f} s")
    size = sum(p.stat().st_size for p in (root / "hourly").rglob("*.parquet"))
    print(f"data: {root} ({size / 1e6:.0f} MB of Parquet)")

    threads = os.cpu_count() or 1
    runs = [national_report(root, threads=threads) for _ in range(2)]
    best = min(runs, key=lambda r: r["seconds"])
    one = national_report(root, threads=1)
    speedup = one["seconds"] / best["seconds"]
    print(f"national report, {threads} threads: {best['seconds']:.2f} s wall, "
          f"{best['cpu_seconds']:.2f} s CPU (target <= 10 s wall)")
    print(f"national report, 1 thread: {one['seconds']:.2f} s wall, {one['cpu_seconds']:.2f} s "
          f"CPU; speed-up {speedup:.2f}x, parallel efficiency {speedup / threads:.0%} "
          "(both under the load printed above)")

    rows, _ = read_report(root)
    region = rows[0]["region"]
    # cache=False: every request renders the page (the cache would answer repeats at once)
    with TestClient(create_app(ws, cache=False), base_url="https://testserver") as c:
        for label, params in (("all schools", {}), (f"one region ({region})",
                                                    {"region": region})):
            c.get("/school/national", params=params)               # warm-up
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                r = c.get("/school/national", params=params)
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200
            print(f"ranking page, {label}: median {statistics.median(times) * 1000:.0f} ms, "
                  f"max {max(times) * 1000:.0f} ms (target <= 1000 ms)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
