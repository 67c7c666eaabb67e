"""IndicatorValue: the one record for every number the platform reports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

QUALITY_GRADES = {
    "A": "official statistics or verified measurement",
    "B": "computed by ssckit from measured inputs",
    "C": "estimate, survey-based or proxy",
    "D": "synthetic sample data",
}


def canonical_breakdown(breakdown: dict[str, Any] | None) -> str:
    """The breakdown as canonical JSON (sorted keys): part of an indicator value's identity."""
    return json.dumps(breakdown or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class IndicatorValue:
    """One value of one indicator for one entity, period and breakdown.

    ``indicator`` is a catalogue id (a U4SSC KPI code such as ``EC:ICT:ICT:1C`` or a module's own
    id such as ``radio:pop_coverage``); ``entity`` is ``city`` or ``KIND:ID`` (``district:North``,
    ``school:S01``); ``period`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ``quality`` is a
    grade of :data:`QUALITY_GRADES`.
    """

    indicator: str
    value: float
    unit: str
    period: str
    entity: str = "city"
    breakdown: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    quality: str = "B"
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))

    def key(self) -> tuple[str, str, str, str]:
        return (self.indicator, self.entity, self.period, canonical_breakdown(self.breakdown))

    def to_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "entity": self.entity,
            "period": self.period,
            "value": self.value,
            "unit": self.unit,
            "breakdown": dict(self.breakdown),
            "source": dict(self.source),
            "quality": self.quality,
            "computed_at": self.computed_at.isoformat(timespec="seconds"),
        }


#: Indicators that ssckit computes itself (not U4SSC KPIs): id -> (name, unit).
#: Each module adds its own here when it lands.
OWN_INDICATORS: dict[str, tuple[str, str]] = {
    "core:population": ("Inhabitants (from the population raster)", "inhabitants"),
    "core:area": ("Land area inside the boundary", "km2"),
    "core:population_density": ("Population density", "inhabitants per km2"),
}
