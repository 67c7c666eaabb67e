"""Benchmark: writing the sample city's simulated school history, streamed vs in one batch.

Run with ``python benchmarks/school_history.py [--days 28] [--hourly-days 337]``. Each variant
runs in a process of its own (so its peak memory is its own) on the 20-school sample registry:

1. streamed, one UTC day per piece (what ``ssckit demo`` does): ``run.simulate_history`` —
   each day simulated, written to its (day, school) Parquet partitions by a writer thread
   while the next day is simulated; hourly aggregates a month at a time;
2. streamed, a week per piece: the same with 7-day pieces;
3. baseline, one batch: the whole span simulated in memory (``simulate_minutes``,
   ``simulate_hourly``), loaded into DuckDB and written with one ``COPY ... ORDER BY ...
   PARTITION_BY`` (how the history was written before it was streamed).

Prints time and peak memory of each, their ratios to the baseline, and checks that every variant
wrote the same readings (count and sum per quantity). Never a CI gate.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

END = datetime(2026, 3, 5, 13, 47)
VARIANTS = ("streamed, 1 day per piece", "streamed, 7 days per piece", "baseline, one batch")


def _settings(days: int, hourly_days: int):  # noqa: ANN202
    from ssckit.school.run import SchoolSettings

    return SchoolSettings(utc_offset_min=180, simulate_days=days,
                          simulate_hourly_days=hourly_days, seed=7)


def _baseline(store, reg, settings, root: Path, hourly_root: Path) -> int:  # noqa: ANN001
    """The whole span in memory, then one sorted, partitioned COPY per history."""
    import duckdb

    from ssckit.school.run import RECENT_DAYS
    from ssckit.school.simulate import simulate_hourly, simulate_minutes

    start = END - timedelta(days=settings.simulate_days)
    readings = simulate_minutes(reg, start.isoformat(), settings.simulate_days,
                                seed=settings.seed, utc_offset_min=settings.utc_offset_min)
    cutoff = int((END - timedelta(days=RECENT_DAYS) - datetime(1970, 1, 1)).total_seconds()
                 // 60)
    scratch = duckdb.connect()
    scratch.execute("CREATE TABLE staging (device_id VARCHAR, quantity VARCHAR, ts TIMESTAMP, "
                    "value DOUBLE, school_id VARCHAR, room_id VARCHAR)")
    readings.select_time(None, cutoff).to_duckdb(scratch, "staging")
    scratch.execute("COPY (SELECT device_id, quantity, ts, value, room_id, CAST(ts AS DATE) AS "
                    "day, school_id AS school FROM staging ORDER BY school_id, device_id, "
                    "quantity, ts) TO $root (FORMAT PARQUET, PARTITION_BY (day, school))",
                    {"root": str(root)})
    with store.transaction() as cur:
        readings.select_time(cutoff, None).sorted_by_key().to_duckdb(cur)
    hourly = simulate_hourly(reg, (start - timedelta(days=settings.simulate_hourly_days))
                             .isoformat(), settings.simulate_hourly_days, seed=settings.seed,
                             utc_offset_min=settings.utc_offset_min)
    scratch.execute("CREATE TABLE school_hourly (school_id VARCHAR, room_id VARCHAR, "
                    "device_id VARCHAR, quantity VARCHAR, hour TIMESTAMP, n INTEGER, "
                    "mean DOUBLE, min DOUBLE, max DOUBLE)")
    hourly.to_duckdb(scratch)
    scratch.execute("COPY (SELECT *, school_id AS school FROM school_hourly ORDER BY school_id, "
                    "device_id, quantity, hour) TO $root (FORMAT PARQUET, PARTITION_BY (school))",
                    {"root": str(hourly_root)})
    scratch.close()
    return len(readings) + len(hourly)


def run_variant(variant: str, folder: Path, days: int, hourly_days: int) -> dict:
    from ssckit.core.store import Store
    from ssckit.school.run import simulate_history
    from ssckit.school.schema import ensure_tables, store_registry
    from ssckit.school.simulate import registry_from_rows, sample_registry

    reg = registry_from_rows(*sample_registry(7, n_schools=20))
    settings = _settings(days, hourly_days)
    store = Store.open(folder / "ssckit.duckdb")
    store.migrate()
    ensure_tables(store)
    store_registry(store, reg)
    root, hourly_root = folder / "readings", folder / "hourly"
    t0 = time.perf_counter()
    if variant == VARIANTS[2]:
        rows = _baseline(store, reg, settings, root, hourly_root)
    else:
        rows = simulate_history(store, reg, settings, root, hourly_root, end=END,
                                piece_days=1 if variant == VARIANTS[0] else 7)
    seconds = time.perf_counter() - t0
    # what was written: count and sum per quantity, DuckDB and Parquet together
    check = store.cursor().execute(
        "SELECT quantity, count(*), round(sum(value), 3) FROM (SELECT quantity, value FROM "
        "school_readings UNION ALL SELECT quantity, value FROM read_parquet($f)) GROUP BY 1 "
        "ORDER BY 1", {"f": str(root / "*" / "*" / "*.parquet")}).fetchall()
    store.close()
    return {"seconds": seconds, "rows": rows, "check": check,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=28, help="days of minute readings")
    ap.add_argument("--hourly-days", type=int, default=337, help="days of hourly aggregates")
    ap.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.variant:                       # one variant, in this process: print its result
        print(json.dumps(run_variant(args.variant, args.folder, args.days, args.hourly_days)))
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, variant in enumerate(VARIANTS):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            out = subprocess.run([sys.executable, __file__, "--variant", variant, "--folder",
                                  str(folder), "--days", str(args.days), "--hourly-days",
                                  str(args.hourly_days)], capture_output=True, text=True,
                                 check=True)
            results[variant] = json.loads(out.stdout.strip().splitlines()[-1])
    base = results[VARIANTS[2]]
    print(f"20 schools: {args.days} days of minute readings, {args.hourly_days} days of hourly "
          f"aggregates ({base['rows']:,} rows)")
    for variant, r in results.items():
        ratio = "" if r is base else (f"  x{base['seconds'] / r['seconds']:.1f} faster, "
                                      f"x{base['peak_mib'] / r['peak_mib']:.1f} less memory")
        print(f"{variant:28s}: {r['seconds']:6.1f} s, peak {r['peak_mib']:6.0f} MiB{ratio}")
    same = all(r["check"] == base["check"] and r["rows"] == base["rows"]
               for r in results.values())
    print("same readings in every variant (count and sum per quantity):", same)
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
