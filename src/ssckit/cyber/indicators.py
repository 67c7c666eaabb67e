"""The cyber module's pipeline step."""

from __future__ import annotations

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Scan the workspace's targets (starting the local lab when settings say so)."""
    from ssckit.cyber.demo import compute as demo_compute

    return demo_compute(ws, store)
