"""The per-site EMF compliance report as one HTML page (no scripts, works offline)."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from ssckit import __version__
from ssckit.core.workspace import Workspace
from ssckit.emf.run import EmfRun


def render_report(run: EmfRun, ws: Workspace) -> str:
    env = Environment(loader=PackageLoader("ssckit.emf", "data"),
                      autoescape=select_autoescape(["html", "j2"]))
    n_ok = sum(s.compliant for s in run.sites)
    return env.get_template("report.html.j2").render(
        run=run, ws=ws, n_ok=n_ok, version=__version__,
        other_sets=[n for n in (run.sites[0].by_limit_set if run.sites else {})
                    if n != run.limit_set.name],
        maps=sorted(run.ter_maps),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
