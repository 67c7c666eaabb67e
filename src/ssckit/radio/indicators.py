"""The radio module's pipeline step: coverage (and the site plan) of ``inputs.radio.sites``."""

from __future__ import annotations

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Coverage layers written to ``outputs/radio``; population, area, school coverage and
    throughput values returned (:func:`ssckit.radio.run.compute`)."""
    from ssckit.radio.run import compute as run_compute

    del store
    return run_compute(ws)
