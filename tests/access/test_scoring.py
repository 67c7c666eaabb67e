"""Scores and WCAG criteria from axe-core rule tags."""

from __future__ import annotations

import pytest

from ssckit.access.scoring import (
    impact_weight,
    is_wcag_rule,
    score,
    site_score,
    success_criteria,
    weighted_violations,
)


def test_success_criteria_from_tags() -> None:
    tags = ["cat.color", "wcag2aa", "wcag143", "TTv5", "EN-301-549", "wcag1410", "wcag2411"]
    assert success_criteria(tags) == ["1.4.3", "1.4.10", "2.4.11"]
    assert success_criteria(["best-practice", "cat.semantics"]) == []


def test_wcag_rule() -> None:
    assert is_wcag_rule(["wcag2a", "wcag111"])
    assert is_wcag_rule(["wcag22aa", "wcag258"])
    assert not is_wcag_rule(["best-practice", "cat.semantics"])
    assert not is_wcag_rule(["wcag2aaa", "wcag146"])  # AAA is out of scope


def test_score_formula() -> None:
    assert impact_weight("critical") == 10 and impact_weight(None) == 2
    assert weighted_violations(["critical", "serious", "minor"]) == 16
    assert score(40, 5) == pytest.approx(100 * 40 / 45)
    assert score(0, 0) == 100.0
    assert score(0, 10) == 0.0
    # a site pools its pages: (10 + 30) / (10 + 30 + 10 + 0)
    assert site_score([{"passes": 10, "weighted": 10}, {"passes": 30, "weighted": 0}]) == 80.0
