"""Benchmark: the Smart School IEQ report for 20 schools x ~10 rooms x 4 weeks of minute data.

Run with ``python benchmarks/school_report.py``. Not timed: the sample registry and 28 days of
one-minute readings are generated with ``ssckit.school.simulate`` and written to a DuckDB file
in a temporary folder. Timed, in the same run:

1. ``ssckit.school.ieq.ieq_report`` (aggregation pushed into DuckDB);
2. a naive pandas report: load the CO2 and temperature readings into a DataFrame, mark the
   occupied minutes per room in Python, and compute the same per-room figures with groupby.

pandas is installed in the virtual environment for this benchmark only; without it the baseline
is skipped with a message. Prints the times and the speed-up ratio. Never used as a CI gate
(target: report under 2 s).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from ssckit.school.ieq import (
    CO2_ABOVE_OUTDOOR_PPM,
    DEFAULT_HEATING_MONTHS,
    TEMPERATURE_RANGES_C,
    ieq_report,
    week_table,
)
from ssckit.school.schema import MIGRATIONS
from ssckit.school.simulate import (
    SAMPLE_UTC_OFFSET_MIN,
    registry_from_rows,
    sample_registry,
    simulate_minutes,
)

START, DAYS = "2024-01-08T00:00", 28


def _pandas_report(con: duckdb.DuckDBPyConnection, rooms: list, off: int) -> list[dict]:
    import pandas  # noqa: F401 - optional, benchmark only; DuckDB .df() below needs it

    df = con.execute("SELECT school_id, room_id, quantity, ts, value FROM school_readings "
                     "WHERE quantity IN ('co2', 'temperature') AND room_id <> ''").df()
    df["lm"] = df["ts"].values.astype("datetime64[m]").astype(np.int64) + off
    df["mow"] = ((df["lm"] // 1440 + 3) % 7) * 1440 + df["lm"] % 1440
    weeks = {(r.school_id, r.room_id): week_table(r.timetable) for r in rooms}
    df["occ"] = [weeks[(s, r)][m] for s, r, m in zip(df["school_id"], df["room_id"], df["mow"],
                                                      strict=True)]
    df = df[df["occ"]]
    out = []
    for (s, r), g in df.groupby(["school_id", "room_id"]):
        c = g[g["quantity"] == "co2"].sort_values("lm")
        d = c["value"] - 400.0
        cat = np.select([d <= CO2_ABOVE_OUTDOOR_PPM[0], d <= CO2_ABOVE_OUTDOOR_PPM[1],
                         d <= CO2_ABOVE_OUTDOOR_PPM[2]], [1, 2, 3], 4)
        share = [float((cat == k).mean() * 100) for k in (1, 2, 3, 4)]
        daily = c.groupby(c["lm"] // 1440)["value"].mean()
        hi = c[c["value"] > 2000]
        grp = hi["lm"] - np.arange(len(hi))
        runs = hi.groupby(grp)["lm"].agg(["min", "count"])
        t = g[g["quantity"] == "temperature"]
        month = t["lm"].values.astype("datetime64[m]").astype("datetime64[M]").astype(int) % 12 + 1
        heat = np.isin(month, DEFAULT_HEATING_MONTHS)
        tc = np.full(len(t), 4)
        for k in (3, 2, 1):
            lo = np.where(heat, TEMPERATURE_RANGES_C["heating"][k - 1][0],
                          TEMPERATURE_RANGES_C["cooling"][k - 1][0])
            hi_ = np.where(heat, TEMPERATURE_RANGES_C["heating"][k - 1][1],
                           TEMPERATURE_RANGES_C["cooling"][k - 1][1])
            tc = np.where((t["value"].values >= lo) & (t["value"].values <= hi_), k, tc)
        out.append({"school_id": s, "room_id": r, "co2_share": share,
                    "max_daily_co2_mean": float(daily.max()),
                    "max_minutes_above_2000": int(runs["count"].max()) if len(runs) else 0,
                    "temperature_share": [float((tc == k).mean() * 100) for k in (1, 2, 3, 4)]})
    return out


def main() -> None:
    schools, rooms_rows, devices = sample_registry(0, n_schools=20)
    reg = registry_from_rows(schools, rooms_rows, devices)
    rooms = list(reg.rooms.values())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "school.duckdb"
        con = duckdb.connect(str(path))
        con.execute(MIGRATIONS[0])
        t0 = time.perf_counter()
        readings = simulate_minutes(reg, START, DAYS, seed=1)
        t_sim = time.perf_counter() - t0
        t0 = time.perf_counter()
        readings.to_duckdb(con)
        t_load = time.perf_counter() - t0
        print(f"{len(reg.schools)} schools, {len(rooms)} rooms, {DAYS} days: "
              f"{len(readings):,} readings (simulated in {t_sim:.1f} s, written to DuckDB in "
              f"{t_load:.1f} s; not timed below)")

        ieq_report(con, rooms=rooms, utc_offset_min=SAMPLE_UTC_OFFSET_MIN)  # warm-up
        t0 = time.perf_counter()
        rep = ieq_report(con, rooms=rooms, utc_offset_min=SAMPLE_UTC_OFFSET_MIN)
        t_db = time.perf_counter() - t0
        print(f"ieq_report (DuckDB)       : {t_db:8.2f} s for {len(rep)} rooms "
              f"(target < 2 s)")
        try:
            import pandas  # noqa: F401
        except ImportError:
            print("pandas baseline skipped: pandas is not installed (it is a benchmark-only "
                  "dependency: pip install pandas)")
            con.close()
            return
        t0 = time.perf_counter()
        base = _pandas_report(con, rooms, SAMPLE_UTC_OFFSET_MIN)
        t_pd = time.perf_counter() - t0
        by_key = {(r["school_id"], r["room_id"]): r for r in rep}
        worst = max(abs(by_key[(b["school_id"], b["room_id"])]["co2_share"][k]
                        - b["co2_share"][k]) for b in base for k in range(4))
        print(f"naive pandas (in memory)  : {t_pd:8.2f} s (pandas installed for this "
              f"benchmark only)")
        print(f"speed-up DuckDB vs pandas : x{t_pd / t_db:.1f}; max CO2 share difference "
              f"{worst:.2e} %")
        con.close()


if __name__ == "__main__":
    main()
