"""The emf module's pipeline step: the compliance check of every site, with its report."""

from __future__ import annotations

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Every site of ``inputs.radio.sites`` and ``inputs.emf.extra_sites`` checked; report and
    maps written to ``outputs/emf``; EN:EN:EQ:1C and per-site ratios returned."""
    from ssckit.emf.run import compute as run_compute

    del store
    return run_compute(ws)
