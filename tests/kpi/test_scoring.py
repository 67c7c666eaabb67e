"""Scorecard arithmetic on hand-computed cases, including values exactly on each band edge."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ssckit.core.indicators import IndicatorValue
from ssckit.kpi.catalogue import Band, load_catalogue
from ssckit.kpi.scorecard import build_scorecard
from ssckit.kpi.scoring import achievement_ratio, benchmark_points

# U4SSC factsheets, "Benchmarks and Scoring Methodology": 0-33 % of target 1 pt, 33-66 % 2 pts,
# 66-95 % 3 pts, 95+ % 4 pts.
BANDS = [Band(0.0, 1, ""), Band(0.33, 2, ""), Band(0.66, 3, ""), Band(0.95, 4, "")]


def test_catalogue_bands_are_the_u4ssc_bands():
    cat = load_catalogue()
    assert [(b.min_ratio, b.points) for b in cat.bands] == [(b.min_ratio, b.points) for b in BANDS]


@pytest.mark.parametrize(
    ("value", "points"),
    [(0.0, 1), (32.99, 1), (33.0, 2), (65.99, 2), (66.0, 3), (94.99, 3), (95.0, 4), (100.0, 4),
     (130.0, 4)],
)
def test_points_at_band_edges_higher_is_better(value, points):
    ratio = achievement_ratio(value, 100.0, True)
    assert benchmark_points(ratio, BANDS) == points


def test_mashhad_fixed_broadband_bands():
    # U4SSC Factsheet Mashhad (2021), EC:ICT:ICT:2C with a 60 % target: 95+ % of target is
    # above 57.0 %, 66-95 % is 39.6-57.0 %, 33-66 % is 19.8-39.6 %, below 33 % is under 19.8 %.
    values = np.array([57.0, 56.99, 39.6, 39.59, 19.8, 19.79])
    pts = benchmark_points(achievement_ratio(values, 60.0, True), BANDS)
    assert_array_equal(pts, [4, 3, 3, 2, 2, 1])


def test_lower_is_better_ratio_and_edges():
    # Unemployment 5 % against a 4 % target: 4 / 5 = 0.8 -> 3 points.
    assert_allclose(achievement_ratio(5.0, 4.0, False), 0.8)
    # Exactly on the edges: target / value = 0.95, 0.66, 0.33.
    values = np.array([4.0 / 0.95, 4.0 / 0.66, 4.0 / 0.33, 4.0 / 0.3299])
    assert_array_equal(benchmark_points(achievement_ratio(values, 4.0, False), BANDS),
                       [4, 3, 2, 1])
    # A lower-is-better KPI at 0 beats any positive target.
    assert achievement_ratio(0.0, 4.0, False) == np.inf
    assert benchmark_points(np.inf, BANDS) == 4


def test_missing_value_or_target_is_not_scored():
    r = achievement_ratio([np.nan, 50.0], [100.0, np.nan], [True, True])
    assert np.isnan(r).all()
    assert_array_equal(benchmark_points(r, BANDS), [0, 0])


def test_zero_target():
    # Informal settlements, target 0 %: met only at 0.
    assert_array_equal(achievement_ratio([0.0, 2.0], 0.0, False), [1.0, 0.0])


def _value(code: str, v: float) -> IndicatorValue:
    kpi = load_catalogue().get(code)
    return IndicatorValue(indicator=code, value=v, unit=kpi.unit, period="2026")


def test_group_totals_hand_computed():
    cat = load_catalogue()
    # Four ICT-infrastructure KPIs, each earning a different number of points (targets 100):
    # 95 -> 4, 66 -> 3, 33 -> 2, 10 -> 1. Sum 10 of 16 possible = 62.5 % -> 2 points.
    targets = {"EC:ICT:ICT:1C": 100, "EC:ICT:ICT:2C": 100, "EC:ICT:ICT:4C": 100,
               "EC:ICT:WS:1C": 100}
    values = {c: _value(c, v) for c, v in zip(targets, (95, 66, 33, 10), strict=True)}
    card = build_scorecard(cat, values, city="T", period="2026", target_overrides=targets)
    by_code = {k.code: k for k in card.kpis}
    assert [by_code[c].points for c in targets] == [4, 3, 2, 1]
    ict = next(g for g in card.groups if g.key == "EC:ICT:ICT")
    assert (ict.n_with_data, ict.n_scored, ict.points, ict.max_points) == (3, 3, 9, 12)
    assert ict.score == pytest.approx(0.75) and ict.score_points == 3
    sub = next(g for g in card.groups if g.key == "EC:ICT")
    assert (sub.points, sub.max_points) == (10, 16)
    assert sub.score == pytest.approx(0.625) and sub.score_points == 2
    assert sub.mean_points == pytest.approx(2.5)
    assert sub.mean_achievement == pytest.approx((0.95 + 0.66 + 0.33 + 0.10) / 4)
    total = card.totals
    assert total.n_kpis == 91 and total.n_with_data == 4
    assert total.completeness == pytest.approx(4 / 91)


def test_factsheet_group_example_nine_of_sixteen():
    # U4SSC factsheets: 9 of 16 points = 56.25 % -> shown in the 33-66 % band.
    assert benchmark_points(9 / 16, BANDS) == 2


def test_target_override_and_catalogue_target():
    cat = load_catalogue()
    # EC:ICT:ICT:2C carries the 60 % benchmark of the Mashhad factsheet in the catalogue.
    card = build_scorecard(cat, {"EC:ICT:ICT:2C": _value("EC:ICT:ICT:2C", 57.0)}, city="T",
                           period="2026")
    k = next(k for k in card.kpis if k.code == "EC:ICT:ICT:2C")
    assert (k.target, k.points) == (60.0, 4)
    card = build_scorecard(cat, {"EC:ICT:ICT:2C": _value("EC:ICT:ICT:2C", 57.0)}, city="T",
                           period="2026", target_overrides={"EC:ICT:ICT:2C": 100.0})
    k = next(k for k in card.kpis if k.code == "EC:ICT:ICT:2C")
    assert (k.target, k.points, k.target_source) == (100.0, 2, "city.yaml")
