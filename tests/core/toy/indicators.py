"""The toy module's pipeline step and its table."""

from __future__ import annotations

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

MIGRATIONS = ["CREATE TABLE toy_runs (lines INTEGER NOT NULL)"]


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """toy:lines = number of lines of ``inputs.toy.notes``; each run is recorded."""
    path = ws.input_path("toy", "notes")
    assert path is not None
    lines = len(path.read_text(encoding="utf-8").splitlines())
    with store.transaction() as cur:
        cur.execute("INSERT INTO toy_runs VALUES (?)", [lines])
    return [IndicatorValue(indicator="toy:lines", value=float(lines), unit="lines",
                           period=str(ws.config.year), source={"module": "toy"}, quality="D")]
