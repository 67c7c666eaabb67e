"""The scorecard as a self-contained HTML report (plotly.js inlined once, so it works offline)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape

from ssckit import __version__
from ssckit.core import i18n
from ssckit.kpi.charts import achievement_by_group, points_distribution
from ssckit.kpi.scorecard import Scorecard


def render_html_report(card: Scorecard, maps: list[dict[str, Any]] | None = None) -> str:
    """HTML text of the scorecard report: summary, charts with data tables, district maps
    (:func:`ssckit.kpi.maps.maps_for_card`) with their tables, KPI drill-down."""
    env = Environment(loader=PackageLoader("ssckit.kpi", "data"),
                      autoescape=select_autoescape(["html", "j2"]), extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.template_gettext, i18n.ngettext, newstyle=True)
    env.policies["ext.i18n.trimmed"] = True
    figs = [points_distribution(card), achievement_by_group(card, "dimension"),
            achievement_by_group(card, "subdimension")]
    charts = [
        pio.to_html(f, full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        for i, f in enumerate(figs)
    ]
    map_html = [
        {**m, "html": pio.to_html(m["figure"], full_html=False, include_plotlyjs=False,
                                  config={"displaylogo": False})}
        for m in maps or []
    ]
    return env.get_template("report.html.j2").render(
        card=card, charts=charts, maps=map_html, version=__version__,
        lang=i18n.current_language(),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_html_report(card: Scorecard, path: Path,
                      maps: list[dict[str, Any]] | None = None) -> Path:
    """Write the report to ``path`` atomically (no half-written file on failure)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(render_html_report(card, maps), encoding="utf-8")
    tmp.replace(path)
    return path
