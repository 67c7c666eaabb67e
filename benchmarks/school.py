"""Smart School benchmark: ingest rate end to end, the IEQ report, the simulated history.

Runs ``benchmarks/school_ingest.py`` (simulator → Mosquitto → ingester → DuckDB vs row-by-row
inserts), ``benchmarks/school_report.py`` (DuckDB report vs a pandas in-memory report for
20 schools × 10 rooms × 1 month of minute data) and ``benchmarks/school_history.py`` (the
sample city's history streamed piece by piece into Parquet vs simulated and written in one
batch: time and peak memory), each printing its ratio measured in the same run. Run:
``python benchmarks/school.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

if __name__ == "__main__":
    rc = 0
    for script in ("school_ingest.py", "school_report.py", "school_history.py"):
        print(f"== {script}", flush=True)
        rc |= subprocess.call([sys.executable, str(HERE / script), *sys.argv[1:]])
    sys.exit(rc)
