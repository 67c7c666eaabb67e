"""Observatory-style grades, internet.nl-style pass rates, posture indicators."""

from __future__ import annotations

import pytest

from ssckit.cyber.model import Finding, ServiceResult, Status
from ssckit.cyber.scoring import (
    GRADE_BANDS,
    MODIFIERS,
    category_pass_rates,
    grade_for,
    indicator_values,
    posture,
    score_service,
)


@pytest.mark.parametrize(("score", "grade"), [
    (135, "A+"), (100, "A+"), (99, "A"), (90, "A"), (85, "A-"), (84, "B+"), (70, "B"),
    (69, "B-"), (60, "C+"), (50, "C"), (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (24, "F"),
    (0, "F"),
])  # Observatory grading chart (httpobs/docs/scoring.md)
def test_grade_bands(score, grade):
    assert grade_for(score) == grade


def _result(*codes_status):
    return ServiceResult("s", "https://s.test/", findings=[
        Finding(f"c{i}", "headers", st, "", code) for i, (code, st) in enumerate(codes_status)])


def test_observatory_modifiers_and_bonus_rule():
    assert MODIFIERS["csp-not-implemented"] == -25 and MODIFIERS["hsts-not-implemented"] == -20
    # Bonuses count only when the score without them is >= 90.
    s = score_service(_result(("csp-implemented-with-no-unsafe", Status.PASS),
                              ("x-content-type-options-not-implemented", Status.FAIL)))
    assert s.score == 100 and s.grade == "A+"
    s = score_service(_result(("csp-implemented-with-no-unsafe", Status.PASS),
                              ("hsts-not-implemented", Status.FAIL)))
    assert s.score == 80 and s.grade == "B+"
    s = score_service(_result(*[("cookies-session-without-secure-flag", Status.FAIL)] * 3))
    assert s.score == 0 and s.grade == "F"


def test_pass_rates_ignore_errors_and_not_applicable():
    r = _result(("a", Status.PASS), ("b", Status.FAIL), ("c", Status.ERROR),
                ("d", Status.NOT_APPLICABLE), ("e", Status.WARN))
    assert category_pass_rates(r) == {"headers": pytest.approx(33.3)}


def test_unreachable_service_has_no_grade_and_posture_counts_it():
    down = ServiceResult("down", "https://down.test/", error="connection refused")
    up = _result(("hsts-not-implemented", Status.FAIL))
    scores = [score_service(down), score_service(up)]
    assert scores[0].score is None and scores[0].grade is None
    p = posture(scores)
    assert p == {"services": 2, "scored": 1, "unreachable": 1, "mean_score": 80.0,
                 "share_grade_b_or_better": 100.0}
    values = {(v.indicator, v.entity): v for v in indicator_values(scores, "2026-05-01")}
    assert set(values) == {("cyber:mean_score", "city"),
                           ("cyber:share_grade_b_or_better", "city"),
                           ("cyber:score", "service:s")}
    assert values[("cyber:score", "service:s")].value == 80.0
    assert values[("cyber:share_grade_b_or_better", "city")].unit == "%"


def test_lab_grades(results):
    grades = {name: score_service(r).grade for name, r in results.items()}
    assert grades["good"] == "A+"
    assert grades["bare"] == "F"
    assert grades["legacy"] in ("D", "D-", "D+", "C-", "C")
    assert grades["nowhere"] is None
    assert score_service(results["good"]).pass_rates["headers"] == 100.0


def test_band_table_is_ordered():
    lows = [low for low, _ in GRADE_BANDS]
    assert lows == sorted(lows, reverse=True) and lows[-1] == 0
