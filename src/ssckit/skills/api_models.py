"""Response models of the skills module's JSON API (``/api/v1/skills/...``)."""

from __future__ import annotations

from pydantic import Field

from ssckit.core.webkit import Answer


class ResultRow(Answer):
    variable: str = Field(description="Group variable (all, sex, age_group, district, ...)")
    group: str
    n: int | None = Field(description="People in the group (null when suppressed)")
    mean_theta: float | None = Field(description="Mean IRT trait θ [logits]")
    mean_level: float | None = Field(description="Mean proficiency level (DigComp 1-8)")
    suppressed: bool = Field(description="Fewer than `min_cell` people: figures withheld")


class Results(Answer):
    """Adaptive-test results, small groups suppressed."""

    min_cell: int = Field(description="Smallest group whose figures are shown [people]")
    rows: list[ResultRow]
