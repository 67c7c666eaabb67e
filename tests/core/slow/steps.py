"""Two steps: each returns one value (``SLOW_VALUE``); the one named by ``SLOW_HANG`` first
writes ``SLOW_MARKER`` and then waits to be killed."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ssckit.core.indicators import IndicatorValue
from ssckit.core.modules import ModuleFace, Step
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


def _value(name: str, ws: Workspace) -> list[IndicatorValue]:
    if os.environ.get("SLOW_HANG") == name:
        Path(os.environ["SLOW_MARKER"]).write_text("here")
        time.sleep(120)
    return [IndicatorValue(indicator=f"slow:{name}", value=float(os.environ["SLOW_VALUE"]),
                           unit="n", period=str(ws.config.year), source={"module": "slow"})]


def first(ws: Workspace, store: Store) -> list[IndicatorValue]:
    return _value("first", ws)


def second(ws: Workspace, store: Store) -> list[IndicatorValue]:
    return _value("second", ws)


def report(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """An after-publish step: counts the published values of the steps before it."""
    n = len([v for v in store.query_values(indicator_prefix="slow:")
             if v.indicator != "slow:published"])
    return [IndicatorValue(indicator="slow:published", value=float(n), unit="n",
                           period=str(ws.config.year), source={"module": "slow"})]


FACE = ModuleFace(name="slow", title="Slow", summary="steps that can hang", order=95,
                  steps=(Step("first", "tests.core.slow.steps:first", order=90),
                         Step("second", "tests.core.slow.steps:second", order=91),
                         Step("report", "tests.core.slow.steps:report", order=92,
                              after_publish=True)))
