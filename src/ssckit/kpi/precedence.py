"""Which of a KPI's two values the scorecard uses: the manual one (``kpi import``,
``settings.kpi.values``, the workbook, the web form) or the one a module computed.

Pure logic: two :class:`~ssckit.core.indicators.IndicatorValue` in, a :class:`Choice` out.

The rule, in order:

1. Only one value exists: it is used.
2. The two are for different periods (each the latest in or before the reporting year):
   the later period is used — a value of 2026 is newer data than one of 2025 whatever the rule.
3. Same period: ``settings.kpi.precedence`` of city.yaml decides —
   ``computed`` (default): the module's value, reproducible from the workspace's inputs;
   ``manual``: the value a person entered;
   ``newer``: the one recorded last (manual ``recorded_at`` against the run's ``computed_at``).

The value not used is kept and shown beside the chosen one; nothing overwrites the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from ssckit.core.i18n import N_, gettext
from ssckit.core.indicators import IndicatorValue

#: The allowed values of ``settings.kpi.precedence`` and what each means.
PRECEDENCE_RULES = {
    "computed": "a module's computed value over a manual one (same period)",
    "manual": "a manual value over a computed one (same period)",
    "newer": "whichever of the two was recorded last (same period)",
}
DEFAULT_PRECEDENCE = "computed"
#: Every reason :func:`choose_value` gives (English, as stored and sent by the API); pages show
#: them in the reader's language through :func:`reason_text`.
REASONS = (
    N_("no value"), N_("only a computed value"), N_("only a manual value"),
    N_("later period than the manual value ({period})"),
    N_("later period than the computed value ({period})"),
    N_("precedence computed: computed over manual"), N_("precedence manual: manual over computed"),
    N_("precedence newer: manual recorded {manual}, computed {computed}"),
    N_("precedence newer: computed {computed}, manual recorded {manual}"),
)


@dataclass(frozen=True)
class Choice:
    """The value a KPI line uses, where it comes from, why, and the value not used."""

    value: IndicatorValue | None
    origin: str | None  # "computed" | "manual" | None (no value)
    reason: str
    other: IndicatorValue | None = None
    other_origin: str | None = None

    def other_dict(self) -> dict[str, Any] | None:
        """The value not used, as plain data (origin, value, period, recorded, source)."""
        if self.other is None:
            return None
        return {"origin": self.other_origin, "value": self.other.value,
                "period": self.other.period, "quality": self.other.quality,
                "recorded_at": self.other.computed_at.isoformat(timespec="seconds"),
                "source": dict(self.other.source)}


def _stamp(v: IndicatorValue) -> str:
    return v.computed_at.strftime("%Y-%m-%d %H:%M")


def choose_value(computed: IndicatorValue | None, manual: IndicatorValue | None,
                 rule: str = DEFAULT_PRECEDENCE) -> Choice:
    """Pick the value of one KPI line from its computed and its manual value by ``rule``
    (a key of :data:`PRECEDENCE_RULES`); the reason is one short sentence."""
    if rule not in PRECEDENCE_RULES:
        raise ValueError(f"unknown precedence rule {rule!r}")
    if computed is None and manual is None:
        return Choice(None, None, REASONS[0])
    if manual is None:
        return Choice(computed, "computed", REASONS[1])
    if computed is None:
        return Choice(manual, "manual", REASONS[2])
    if computed.period != manual.period:
        if computed.period > manual.period:
            return Choice(computed, "computed", REASONS[3].format(period=manual.period),
                          manual, "manual")
        return Choice(manual, "manual", REASONS[4].format(period=computed.period),
                      computed, "computed")
    if rule == "computed":
        return Choice(computed, "computed", REASONS[5], manual, "manual")
    if rule == "manual":
        return Choice(manual, "manual", REASONS[6], computed, "computed")
    stamps = {"manual": _stamp(manual), "computed": _stamp(computed)}
    if manual.computed_at > computed.computed_at:
        return Choice(manual, "manual", REASONS[7].format(**stamps), computed, "computed")
    return Choice(computed, "computed", REASONS[8].format(**stamps), manual, "manual")


@cache
def _reason_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each reason as a regular expression (its ``{name}`` a named group) and the reason."""
    fields = re.compile(r"\\\{(\w+)\\\}")  # an escaped {name}
    return tuple((re.compile(fields.sub(r"(?P<\1>.+?)", re.escape(r)) + "$"), r)
                 for r in REASONS)


def reason_text(reason: str) -> str:
    """A reason of :func:`choose_value` in the language in force (one it does not know is
    returned as it is)."""
    for pattern, template in _reason_patterns():
        if found := pattern.match(reason):
            return gettext(template).format(**found.groupdict())
    return reason
