"""Run every computation the workspace has inputs for, storing each step's indicator values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.progress import Progress

from ssckit.core import population
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.emf import run as emf_run
from ssckit.kpi.catalogue import load_catalogue
from ssckit.kpi.io import read_values_csv
from ssckit.radio import run as radio_run


@dataclass(frozen=True)
class Step:
    """One computation: its name, and a function from the workspace to indicator values."""

    name: str
    compute: Callable[[Workspace], list[IndicatorValue]]


def _manual_kpi_values(ws: Workspace) -> list[IndicatorValue]:
    cat = load_catalogue()
    out: list[IndicatorValue] = []
    for rel in ws.config.kpi.values:
        out += read_values_csv(ws.path(rel), cat, str(ws.config.year))
    return out


#: Steps in order. Each module adds its step here when it lands.
STEPS: list[Step] = [
    Step("manual KPI values (kpi.values in city.yaml)", _manual_kpi_values),
    Step("population and area", population.compute),
    Step("5G coverage and site plan (radio)", radio_run.compute),
    Step("EMF compliance of every site (emf)", emf_run.compute),
]


def run_all(ws: Workspace, store: Store, quiet: bool = False) -> dict[str, int]:
    """Run every step; each step's values are written in one transaction. Returns counts."""
    counts: dict[str, int] = {}
    with Progress(disable=quiet, transient=True) as progress:
        task = progress.add_task("computing", total=len(STEPS))
        for step in STEPS:
            progress.update(task, description=step.name)
            counts[step.name] = store.write_values(step.compute(ws))
            progress.advance(task)
    return counts
