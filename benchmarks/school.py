"""Smart School benchmark: ingest rate end to end, then the IEQ report.

Runs ``benchmarks/school_ingest.py`` (simulator → Mosquitto → ingester → DuckDB vs row-by-row
inserts) and ``benchmarks/school_report.py`` (DuckDB report vs a pandas in-memory report for
20 schools × 10 rooms × 1 month of minute data), each printing its ratio measured in the same
run. Run: ``python benchmarks/school.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

if __name__ == "__main__":
    rc = 0
    for script in ("school_ingest.py", "school_report.py"):
        print(f"== {script}", flush=True)
        rc |= subprocess.call([sys.executable, str(HERE / script), *sys.argv[1:]])
    sys.exit(rc)
