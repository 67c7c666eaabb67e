"""Benchmark: the whole demo — the sample city written and every module run — from a clean
workspace, with its peak memory.

Run with ``python benchmarks/demo.py [--runs N]``. Each run is a fresh Python process (its peak
resident memory, or that of its largest child such as Chromium, is the demo's) that writes the
sample city into an empty temporary folder and runs the pipeline, exactly as
``ssckit demo --no-serve`` does. The first run also pays Numba's compilation where its cache is
cold; later runs show the steady state.

Baseline measured in the same run: ``python -c "import ssckit.cli"`` — the cost of starting
Python and importing the command, which every ssckit command pays. Printed per run: wall time,
peak RSS, each step's seconds, and both against the targets of the house issue (≤ 45 s, ≤ 1.5 GB
on a 2-core machine). Never used as a CI gate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

TARGET_S = 45.0
TARGET_MIB = 1536.0

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.demo.generate import write_sample_city
from ssckit.pipeline import run_all
root = sys.argv[1]
write_sample_city(root, 7)
t_write = time.perf_counter() - t0
ws = Workspace.load(root)
with Store.open(ws.store_path) as store:
    run = run_all(ws, store)
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024.0
print(json.dumps({"write_s": t_write, "total_s": time.perf_counter() - t0, "rss_mib": rss,
                  "steps": [[s.module, s.title, s.ran, s.n_values, s.seconds, s.reason]
                            for s in run.steps]}))
"""


def _child(code: str, *args: str) -> tuple[float, str]:
    """Wall seconds of a fresh Python process running ``code``, and its stdout."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                         text=True).stdout
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    base_s, _ = _child("import ssckit.cli")
    print(f"baseline: start Python and import ssckit.cli: {base_s:.2f} s")
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="ssckit-demo-bench-") as tmp:
            wall, out = _child(CHILD, f"{tmp}/city")
        result = json.loads(out.strip().splitlines()[-1])
        mib = result["rss_mib"]
        print(f"\nrun {i + 1}: {wall:.1f} s wall ({wall / TARGET_S:.2f} of the {TARGET_S:.0f} s "
              f"target, {wall / base_s:.0f}x the baseline), peak {mib:.0f} MiB "
              f"({mib / TARGET_MIB:.2f} of the {TARGET_MIB:.0f} MiB target); "
              f"sample city written in {result['write_s']:.1f} s")
        for module, title, ran, n, seconds, reason in result["steps"]:
            what = f"{seconds:6.1f} s  {n:5d} values" if ran else f"  not run: {reason}"
            print(f"  {module:7} {title[:48]:48} {what}")


if __name__ == "__main__":
    main()
