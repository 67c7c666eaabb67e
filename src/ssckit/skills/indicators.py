"""The skills module's pipeline step: ICT-skills indicators of the population from the survey."""

from __future__ import annotations

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Activity, area and overall skill indicators with SE and CI, by every group of the
    survey design (``inputs.skills.survey`` and ``inputs.skills.design``)."""
    from ssckit.skills.population import skills_indicators

    del store
    data, design = ws.input_path("skills", "survey"), ws.input_path("skills", "design")
    if data is None or design is None:
        return []
    return skills_indicators(data, design, str(ws.config.year),
                             "D" if ws.config.synthetic else "C").values
