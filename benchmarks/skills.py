"""Digital-skills benchmark: IRT calibration and CAT item selection (vs girth and catsim),
then design-based domain estimation (vs samplics), each measured in the same run.

Runs ``benchmarks/skills_irt.py`` and ``benchmarks/skills_survey.py``.
Run: ``python benchmarks/skills.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

if __name__ == "__main__":
    rc = 0
    for script in ("skills_irt.py", "skills_survey.py"):
        print(f"== {script}", flush=True)
        rc |= subprocess.call([sys.executable, str(HERE / script)])
    sys.exit(rc)
