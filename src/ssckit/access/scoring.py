"""Accessibility scores from axe-core results: impact weights, WCAG criteria, page and site scores.

Pure functions over plain numbers and tag lists; no browser, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: axe-core rule tags that select WCAG 2.2 level A and AA rules (WCAG 2.0, 2.1 and 2.2 additions).
WCAG_TAGS: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

#: Weight of one violated rule by axe-core impact (unknown impact counts as ``moderate``).
IMPACT_WEIGHTS: dict[str, int] = {"critical": 10, "serious": 5, "moderate": 2, "minor": 1}

_IMPACT_ORDER = ("critical", "serious", "moderate", "minor")
_SC_TAG = re.compile(r"^wcag(\d)(\d)(\d{1,2})$")


def success_criteria(tags: Iterable[str]) -> list[str]:
    """WCAG success criteria named by axe-core rule tags, sorted: ``wcag143`` -> ``1.4.3``.

    Level tags (``wcag2aa``) and other tags (``cat.color``, ``best-practice``) name none.
    """
    found = set()
    for tag in tags:
        m = _SC_TAG.match(tag)
        if m:
            found.add((int(m[1]), int(m[2]), int(m[3])))
    return [f"{a}.{b}.{c}" for a, b, c in sorted(found)]


def is_wcag_rule(tags: Iterable[str]) -> bool:
    """True when a rule's tags place it in WCAG 2.x level A or AA (see :data:`WCAG_TAGS`)."""
    return any(t in WCAG_TAGS for t in tags)


def impact_weight(impact: str | None) -> int:
    """Weight of one violated rule of this axe-core impact (:data:`IMPACT_WEIGHTS`)."""
    return IMPACT_WEIGHTS.get(impact or "moderate", IMPACT_WEIGHTS["moderate"])


def impact_rank(impact: str | None) -> int:
    """0 for critical ... 3 for minor, 4 for unknown (to sort findings worst first)."""
    return _IMPACT_ORDER.index(impact) if impact in _IMPACT_ORDER else len(_IMPACT_ORDER)


def weighted_violations(impacts: Iterable[str | None]) -> int:
    """Sum of :func:`impact_weight` over the violated rules' impacts."""
    return sum(impact_weight(i) for i in impacts)


def score(passes: int, weighted: float) -> float:
    """Accessibility score in [0, 100].

    Parameters
    ----------
    passes : int
        Number of WCAG A/AA rules that applied and passed.
    weighted : float
        Weighted number of violated rules (:func:`weighted_violations`).

    Returns
    -------
    float
        ``100 * passes / (passes + weighted)``; 100 when nothing applied.

    Notes
    -----
    One violated rule counts once however many elements fail it, weighted by its impact
    (critical 10, serious 5, moderate 2, minor 1), so a page with 40 passing rules and one
    serious violation scores 100 * 40 / 45 = 88.9. Rules axe-core could not decide
    ("incomplete", needing a person's review) and rules that did not apply count neither way.
    A site's score pools its pages: the sums of passes and of weighted violations over the pages.
    """
    total = passes + weighted
    return 100.0 if total <= 0 else 100.0 * passes / total


def site_score(pages: Iterable[Mapping[str, float]]) -> float:
    """Pooled score of pages, each a mapping with ``passes`` and ``weighted`` (:func:`score`)."""
    p = w = 0.0
    for page in pages:
        p += page["passes"]
        w += page["weighted"]
    return score(int(p), w)
