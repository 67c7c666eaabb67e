"""The kpi module's settings (``settings.kpi`` of city.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ssckit.core.workspace import Workspace


class KpiSettings(BaseModel):
    """KPI settings of a city: target overrides, the manual value files to load, and which of
    a KPI's manual and computed values the scorecard uses."""

    model_config = ConfigDict(extra="forbid")

    targets: dict[str, float] = Field(
        default_factory=dict,
        description="KPI code -> target value, overriding the catalogue's target.",
    )
    values: list[str] = Field(
        default_factory=list,
        description="CSV files of manual KPI values (`ssckit kpi import` format), relative to "
                    "the workspace.",
    )
    precedence: Literal["computed", "manual", "newer"] = Field(
        default="computed",
        description="When a KPI has both a computed value (from a module) and a manual one "
                    "(kpi import, these files, the workbook or the web form) for the same "
                    "period: 'computed' uses the computed one, 'manual' the manual one, "
                    "'newer' the one recorded last. A later period always wins.",
    )


def kpi_settings(ws: Workspace) -> KpiSettings:
    """``settings.kpi`` of the workspace, validated."""
    return ws.module_settings("kpi", KpiSettings)
