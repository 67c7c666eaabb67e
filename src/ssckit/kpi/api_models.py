"""Response models of the kpi module's JSON API (``/api/v1/kpi/...``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ssckit.core.webkit import Answer


class Band(Answer):
    min_ratio: float = Field(description="Lowest share of the target in the band [0..1]")
    points: int = Field(description="Benchmark points of the band (1-4)")
    label: str


class Headline(Answer):
    points: int = Field(description="Benchmark points earned")
    max_points: int = Field(description="Benchmark points possible (4 per scored KPI)")
    score: float | None = Field(description="points / max_points [0..1]")
    n_scored: int = Field(description="KPIs with a value and a target")
    n_with_data: int = Field(description="KPIs with a value")
    n_kpis: int = Field(description="KPIs in the catalogue")
    completeness: float = Field(description="n_with_data / n_kpis [0..1]")
    text: str


class GroupScore(Answer):
    level: str = Field(description="total, dimension, subdimension or category")
    key: str
    name: str
    n_kpis: int
    n_with_data: int
    n_scored: int
    completeness: float = Field(description="Share of the group's KPIs with a value [0..1]")
    points: int
    max_points: int
    mean_points: float | None = Field(description="Mean benchmark points per scored KPI [1..4]")
    mean_achievement: float | None = Field(description="Mean share of target reached [ratio]")
    score: float | None = Field(description="points / max_points [0..1]")
    score_points: int | None = Field(description="The group's score as benchmark points (1-4)")


class KpiScore(Answer):
    code: str = Field(description="U4SSC KPI code, e.g. EC:ICT:ICT:1C")
    name: str
    dimension: str
    subdimension: str
    category: str
    core: bool
    unit: str = Field(description="Unit of value and target, e.g. %")
    higher_is_better: bool | None = Field(description="None where the catalogue does not say")
    value: float | None = Field(description="The value used, in `unit`")
    period: str | None
    target: float | None = Field(description="Target, in `unit`")
    target_source: str | None
    ratio: float | None = Field(description="Share of the target reached [ratio]")
    points: int | None = Field(description="Benchmark points (1-4)")
    band: str | None
    source: dict[str, Any] | None = Field(description="Provenance of the value")
    quality: str | None = Field(description="Data quality grade A-E")
    origin: str | None = Field(None, description="Where the value used comes from: computed "
                               "(a module) or manual (import, settings.kpi.values, workbook, "
                               "web); null without a value")
    reason: str = Field("", description="Why this value was used (settings.kpi.precedence)")
    other: dict[str, Any] | None = Field(None, description="The value not used (origin, value, "
                                         "period, quality, recorded_at, source), kept")
    status: str | None = Field(None, description="Verification status of the value used: "
                               "draft, submitted, verified or rejected")


class Scorecard(Answer):
    """The city's U4SSC scorecard (ITU-T Y.4903) for one period."""

    city: str
    synthetic: bool = Field(description="Whether the workspace holds synthetic sample data")
    period: str
    completeness: float = Field(description="Share of the KPIs with a value [0..1]")
    headline: Headline
    bands: list[Band]
    bands_source: str
    precedence: str = Field("computed", description="settings.kpi.precedence: computed, manual "
                            "or newer")
    verified_only: bool = Field(False, description="Whether only verified values are counted")
    totals: GroupScore
    dimensions: list[GroupScore]
    subdimensions: list[GroupScore]
    categories: list[GroupScore]
    kpis: list[KpiScore]


class CatalogueKpi(Answer):
    code: str
    name: str
    dimension: str
    subdimension: str
    category: str
    core: bool
    type: str | None
    unit: str
    kind: str | None
    higher_is_better: bool | None = Field(description="None where the catalogue does not say")
    formula: str | None
    sdg_targets: list[str]
    target: float | None = Field(description="U4SSC target where one was confirmed, in `unit`")
    target_source: str | None
    confirmed: bool
    note: str | None


class Catalogue(Answer):
    """The 91 U4SSC KPIs (ITU-T Y.4903) with their groups and benchmark bands."""

    dimensions: dict[str, str]
    subdimensions: dict[str, str]
    categories: dict[str, str]
    bands: list[Band]
    bands_source: str
    kpis: list[CatalogueKpi]
