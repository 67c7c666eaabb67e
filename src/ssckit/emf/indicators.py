"""The emf module's pipeline step: the compliance check of every site, with its report."""

from __future__ import annotations

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Every site of ``inputs.radio.sites`` and ``inputs.emf.extra_sites`` checked; report and
    maps written to ``outputs/emf``; EN:EN:EQ:1C and per-site ratios returned. Requests
    received by post or phone (``inputs.emf.requests``, CSV) not yet queued are queued."""
    from ssckit.emf.outputs import write_outputs
    from ssckit.emf.run import emf_values, run_check

    if (requests := ws.input_path("emf", "requests")) is not None:
        from ssckit.emf.requests import import_requests_csv

        import_requests_csv(store, requests)
    if ws.input_path("radio", "sites") is None and ws.input_path("emf", "extra_sites") is None:
        return []
    run = run_check(ws)
    write_outputs(run, ws)
    return emf_values(run, ws)
