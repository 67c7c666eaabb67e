"""Run every module's pipeline step the workspace has inputs for, as one atomic run.

The steps come from the modules' faces (:func:`ssckit.core.modules.steps`), plus core's own
population step. Each step's values are staged under the run's id and published together in
one transaction when every step has run: a failed or killed run publishes nothing, and the
scorecard, reports and dashboard keep showing the last complete run. Steps marked
``after_publish`` (reports of what was published) run after that.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ssckit.core import population, progress
from ssckit.core.indicators import IndicatorValue
from ssckit.core.modules import Step, faces, steps, unavailable
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


@dataclass(frozen=True)
class StepRun:
    """What became of one step: ``ran`` with its value count and seconds, or why not."""

    module: str
    title: str
    ran: bool
    n_values: int = 0
    seconds: float = 0.0
    reason: str = ""


@dataclass
class PipelineRun:
    """Every step of one run, in order; ``run_id`` as listed by ``ssckit runs``."""

    steps: list[StepRun] = field(default_factory=list)
    run_id: int = 0

    @property
    def n_values(self) -> int:
        return sum(s.n_values for s in self.steps)

    @property
    def ran(self) -> list[StepRun]:
        return [s for s in self.steps if s.ran]

    @property
    def skipped(self) -> list[StepRun]:
        return [s for s in self.steps if not s.ran]


def _population(ws: Workspace, store: Store) -> list[IndicatorValue]:
    del store
    return population.compute(ws)


#: Core's own step: inhabitants and area of the city and its districts.
POPULATION = Step("population and area", "ssckit.pipeline:_population", order=5)


def planned_steps() -> list[tuple[str, Step]]:
    """``(module name, step)`` of every step, in the order they run."""
    out = [("core", POPULATION)] + [(f.name, s) for f, s in steps()]
    return sorted(out, key=lambda ms: ms[1].order)


def run_all(ws: Workspace, store: Store, only: Sequence[str] = (),
            on_step: Callable[[StepRun], None] | None = None) -> PipelineRun:
    """Run the steps (those of the modules in ``only`` when given, plus core's); a step whose
    inputs the workspace lacks is skipped with the reason. ``on_step`` sees each result."""
    known = {f.name for f in faces()}
    bad = [m for m in only if m not in known]
    if bad:
        from ssckit.core.errors import InputError

        gone = unavailable()
        why = "; ".join(f"{m}: {gone[m]}" for m in bad if m in gone)
        raise InputError("--only", None, f"unknown module(s) {', '.join(bad)}; modules: "
                         f"{', '.join(sorted(known))}" + (f" ({why})" if why else ""))
    run = PipelineRun()
    planned = [(m, s) for m, s in planned_steps() if not only or m == "core" or m in only]
    run.run_id = store.begin_run()
    log: list[dict[str, object]] = []

    def record(result: StepRun) -> None:
        run.steps.append(result)
        log.append({"module": result.module, "title": result.title, "ran": result.ran,
                    "n_values": result.n_values, "seconds": round(result.seconds, 3),
                    "reason": result.reason})
        if on_step is not None:
            on_step(result)

    published = False
    current = ("core", "")
    with progress.task("computing", total=len(planned)) as advance:
        try:
            for publish_first in (False, True):
                if publish_first:
                    store.publish_run(run.run_id, log)
                    published = True
                for module, step in planned:
                    if step.after_publish != publish_first:
                        continue
                    advance(0, description=f"{module}: {step.title}")
                    current = (module, step.title)
                    reason = step.why_not(ws)
                    if reason is not None:
                        record(StepRun(module, step.title, False, reason=reason))
                    else:
                        t0 = time.perf_counter()
                        values = step.load()(ws, store)
                        n = (store.write_values(values) if publish_first
                             else store.stage_values(run.run_id, values, log))
                        record(StepRun(module, step.title, True, n, time.perf_counter() - t0))
                    advance()
        except BaseException as exc:
            if published:       # the run's log keeps the after-publish step that failed
                log.append({"module": current[0], "title": current[1], "ran": False,
                            "n_values": 0, "seconds": 0.0,
                            "reason": f"failed after publishing: {type(exc).__name__}: {exc}"})
                store.log_run_steps(run.run_id, log)
            if not published:   # a report after publishing fails: the run stays complete
                store.fail_run(run.run_id, f"{type(exc).__name__}: {exc}", log)
            raise
    store.log_run_steps(run.run_id, log)    # with the steps run after publishing
    for name, why in unavailable().items():
        run.steps.append(StepRun(name, "(module not installed)", False, reason=why))
    return run

