"""Differential item functioning: Mantel-Haenszel against published values, ETS classes, and
`ssckit skills dif` on simulated responses with one planted DIF item."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ssckit.skills.dif import dif_mantel_haenszel, ets_class, mantel_haenszel
from ssckit.skills.irt import wle_theta
from ssckit.skills.results import question_bank


def test_mantel_haenszel_penicillin_rabbits() -> None:
    # Agresti (1990) pp. 231-237, penicillin and rabbits (R: datasets in ?mantelhaen.test):
    # 5 strata of [[cured, died] immediate, [cured, died] delayed]. R mantelhaen.test gives
    # Mantel-Haenszel X-squared = 3.9286, df = 1, p-value = 0.04747, common odds ratio 7,
    # 95 % CI lower limit 1.026713.
    tables = np.array([[[0, 6], [0, 5]], [[3, 3], [0, 6]], [[6, 0], [2, 4]],
                       [[5, 1], [6, 0]], [[2, 0], [5, 0]]])
    alpha, se, stat, p = mantel_haenszel(tables)
    assert alpha == pytest.approx(7.0)
    assert stat == pytest.approx(3.9286, abs=1e-4)
    assert p == pytest.approx(0.04747, abs=1e-5)
    assert np.exp(np.log(alpha) - 1.959964 * se) == pytest.approx(1.026713, rel=1e-5)


def test_one_stratum_is_the_odds_ratio_with_woolf_variance() -> None:
    # a single 2 x 2 table: alpha = AD/BC and var(ln alpha) = 1/A + 1/B + 1/C + 1/D
    alpha, se, _, _ = mantel_haenszel(np.array([[[30, 10], [20, 25]]]))
    assert alpha == pytest.approx(30 * 25 / (10 * 20))
    assert se == pytest.approx(np.sqrt(1 / 30 + 1 / 10 + 1 / 20 + 1 / 25))


def test_ets_classes() -> None:
    assert ets_class(-0.9, 0.2, 0.001) == "A"  # small
    assert ets_class(-1.2, 0.2, 0.20) == "A"  # not significant
    assert ets_class(-1.2, 0.2, 0.001) == "B"
    assert ets_class(-1.6, 0.5, 0.001) == "B"  # large but not significantly above 1
    assert ets_class(1.8, 0.2, 0.0001) == "C"
    assert ets_class(float("-inf"), float("nan"), 0.4) == "A"  # a few answers, not significant


def test_wle_is_the_jeffreys_posterior_mode() -> None:
    """For the 2PL, Warm's WLE maximises L(theta) sqrt(I(theta)) (Warm 1989, Eq. 9)."""
    from scipy.optimize import minimize_scalar
    from scipy.special import expit

    a, d = np.array([1.0, 1.5, 0.8, 1.2]), np.array([0.0, -0.5, 0.3, 1.0])
    for x in ([1, 0, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0], [1, np.nan, 0, 1]):
        x = np.array(x, dtype=float)
        th, se = wle_theta(x[None, :], a, d)
        m = np.isfinite(x)

        def neg(t: float, m: np.ndarray = m, x: np.ndarray = x) -> float:
            p = expit(a[m] * t + d[m])
            return -float(np.sum(x[m] * np.log(p) + (1 - x[m]) * np.log(1 - p))
                          + 0.5 * np.log(np.sum(a[m] ** 2 * p * (1 - p))))

        ref = minimize_scalar(neg, bounds=(-6, 6), method="bounded", options={"xatol": 1e-10})
        assert th[0] == pytest.approx(ref.x, abs=1e-5)
        assert np.isfinite(se[0]) and se[0] > 0
    assert np.isnan(wle_theta(np.full((1, 4), np.nan), a, d)[0][0])


N_PER_GROUP = 1500
PLANTED = "item07"


def write_responses(path: Path, seed: int = 11) -> list[str]:
    """A 30-item form from the bank's 2PL parameters, answered by 1500 en and 1500 ru
    speakers (ru mean 0.3 lower: impact, not DIF); item07 is 1 logit harder in Russian
    (the planted DIF); sex and age group carry no DIF."""
    tb = question_bank()
    a, d = tb.cat.params.a[:30], np.ravel(tb.cat.params.d)[:30]
    rng = np.random.default_rng(seed)
    lang = np.repeat(["en", "ru"], N_PER_GROUP)
    theta = rng.normal(np.where(lang == "ru", -0.3, 0.0), 1.0)
    logit = np.outer(theta, a) + d
    items = [f"item{j + 1:02d}" for j in range(30)]
    logit[lang == "ru", items.index(PLANTED)] -= 1.0
    x = (rng.random(logit.shape) < 1 / (1 + np.exp(-logit))).astype(int)
    sex = rng.choice(["F", "M"], lang.size)
    age = rng.choice(["15-24", "25-34", "35-44"], lang.size)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["lang", "sex", "age_group", *items])
        for i in range(lang.size):
            w.writerow([lang[i], sex[i], age[i], *x[i]])
    return items


def test_dif_flags_the_planted_item_only(tmp_path: Path) -> None:
    from ssckit.cli import cli

    path = tmp_path / "responses.csv"
    items = write_responses(path)
    r = CliRunner().invoke(cli, ["skills", "dif", str(path), "--group", "lang", "--reference",
                                 "en", "--focal", "ru", "--format", "json"])
    assert r.exit_code == 1, r.output  # a class C item fails the check
    out = {row["item"]: row for row in json.loads(r.stdout)}
    planted = out[PLANTED]
    assert planted["ets_class"] == "C" and planted["d_dif"] < -1.5  # harder in Russian
    assert planted["d_dif"] == pytest.approx(-2.35, abs=0.6)  # D = -2.35 * 1 logit
    clean = [row for name, row in out.items() if name != PLANTED]
    flagged = [row["item"] for row in clean if row["ets_class"] != "A"]
    # 29 clean items: the ETS rule needs |D| >= 1 and p < .05; expect ~0, allow 1
    assert len(flagged) <= 1, flagged
    assert len(items) == len(out) == 30
    # no DIF by sex, nor between age groups (each focal age group against 25-34)
    for args in (["--group", "sex", "--reference", "F"],
                 ["--group", "age_group", "--reference", "25-34"]):
        r = CliRunner().invoke(cli, ["skills", "dif", str(path), *args, "--format", "json"])
        assert r.exit_code == 0, r.output
        rows = json.loads(r.stdout)
        assert not [x for x in rows if x["ets_class"] == "C"]
        assert len([x for x in rows if x["ets_class"] == "B"]) <= 2
    r = CliRunner().invoke(cli, ["skills", "dif", str(path), "--group", "lang",
                                 "--reference", "en"])
    assert "item07 (C, ru)" in r.stdout and "Mantel-Haenszel DIF by lang" in r.stdout


def test_dif_matching_on_theta_strata_of_an_adaptive_test() -> None:
    """Sparse (adaptive) answers matched on strata of a trait estimate still find the item."""
    rng = np.random.default_rng(4)
    a, d = np.full(20, 1.2), np.linspace(-2, 2, 20)
    focal = rng.random(4000) < 0.5
    theta = rng.normal(0, 1, 4000)
    logit = np.outer(theta, a) + d
    logit[focal, 5] -= 1.2
    x = (rng.random(logit.shape) < 1 / (1 + np.exp(-logit))).astype(float)
    x[rng.random(x.shape) < 0.4] = np.nan  # 60 % of items presented
    strata = np.digitize(theta + rng.normal(0, 0.3, theta.size), np.linspace(-2.5, 2.5, 11))
    res = dif_mantel_haenszel(x, focal, [f"i{j}" for j in range(20)], strata)
    assert res[5].ets_class == "C"
    assert sum(r.ets_class != "A" for r in res) <= 2


def test_dif_bad_input_is_one_line(tmp_path: Path) -> None:
    from ssckit.cli import cli
    from ssckit.core.errors import InputError

    bad = tmp_path / "bad.csv"
    bad.write_text("lang,q1\nen,1\nru,2\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["skills", "dif", str(bad), "--group", "lang",
                                 "--reference", "en"])
    assert isinstance(r.exception, InputError)
    assert "line 3" in str(r.exception) and "'2' is not 0, 1 or empty" in str(r.exception)
    bad.write_text("lang,q1\nen,1\nru,0\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["skills", "dif", str(bad), "--group", "lang",
                                 "--reference", "de"])
    assert "no row has 'de'" in str(r.exception)
