"""The kpi module's settings (``settings.kpi`` of city.yaml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ssckit.core.workspace import Workspace


class KpiSettings(BaseModel):
    """KPI settings of a city: target overrides and the manual value files to load."""

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


def kpi_settings(ws: Workspace) -> KpiSettings:
    """``settings.kpi`` of the workspace, validated."""
    return ws.module_settings("kpi", KpiSettings)
