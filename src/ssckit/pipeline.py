"""Run every computation the workspace has inputs for, storing each step's indicator values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.progress import Progress

from ssckit.core import population
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.cyber import demo as cyber_demo
from ssckit.emf import run as emf_run
from ssckit.kpi.catalogue import load_catalogue
from ssckit.kpi.io import read_values_csv
from ssckit.radio import run as radio_run
from ssckit.school import run as school_run


@dataclass(frozen=True)
class Step:
    """One computation: its name, and a function from the workspace to indicator values."""

    name: str
    compute: Callable[[Workspace, Store], list[IndicatorValue]]


def _manual_kpi_values(ws: Workspace, store: Store) -> list[IndicatorValue]:
    cat = load_catalogue()
    out: list[IndicatorValue] = []
    for rel in ws.config.kpi.values:
        out += read_values_csv(ws.path(rel), cat, str(ws.config.year))
    return out


def _skills(ws: Workspace) -> list[IndicatorValue]:
    from ssckit.skills.population import skills_indicators

    data, design = ws.input_path("skills", "survey"), ws.input_path("skills", "design")
    if data is None or design is None:
        return []
    return skills_indicators(data, design, str(ws.config.year),
                             "D" if ws.config.synthetic else "C").values


#: Steps in order. Each module adds its step here when it lands.
STEPS: list[Step] = [
    Step("manual KPI values (kpi.values in city.yaml)", _manual_kpi_values),
    Step("population and area", lambda ws, store: population.compute(ws)),
    Step("Smart School registry, history and indicators (school)", school_run.compute),
    Step("ICT skills of the population (skills survey)", lambda ws, store: _skills(ws)),
    Step("5G coverage and site plan (radio)", lambda ws, store: radio_run.compute(ws)),
    Step("EMF compliance of every site (emf)", lambda ws, store: emf_run.compute(ws)),
    Step("security scan of the city's web services (cyber)", cyber_demo.compute),
]


timings: dict[str, float] = {}


def run_all(ws: Workspace, store: Store, quiet: bool = False) -> dict[str, int]:
    """Run every step; each step's values are written in one transaction. Returns counts;
    ``timings`` (the module attribute) holds the last run's seconds per step."""
    import time

    counts: dict[str, int] = {}
    timings.clear()
    with Progress(disable=quiet, transient=True) as progress:
        task = progress.add_task("computing", total=len(STEPS))
        for step in STEPS:
            progress.update(task, description=step.name)
            t0 = time.perf_counter()
            counts[step.name] = store.write_values(step.compute(ws, store))
            timings[step.name] = time.perf_counter() - t0
            progress.advance(task)
    return counts
