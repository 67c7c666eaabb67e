"""`ssckit skills calibrate`, `simulate` and `test` (the terminal test), through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from ssckit.cli import cli
from ssckit.skills import results
from ssckit.skills.cli import skills


def test_calibrate_lsat7_2pl(shared_data: Path) -> None:
    # Reference: R mirt on LSAT7 (5 items, 1000 respondents as 32 patterns), 2PL
    # slope-intercept: a = 0.988, 1.081, 1.706, 0.7651, 0.7358; d = 1.8561, 0.808, 1.8043,
    # 0.486, 1.8545; log-likelihood -2658.805.
    r = CliRunner().invoke(cli, ["skills", "calibrate", str(shared_data / "irt" / "lsat7.csv"),
                                 "--model", "2pl", "--count-column", "count", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    items = out["items"]
    assert [i["item"] for i in items] == [f"item{k}" for k in range(1, 6)]
    assert_allclose([i["a"] for i in items], [0.988, 1.081, 1.706, 0.7651, 0.7358], rtol=1e-3)
    assert_allclose([i["d"] for i in items], [1.8561, 0.808, 1.8043, 0.486, 1.8545], rtol=1e-3)
    assert out["loglik"] == pytest.approx(-2658.805, rel=1e-3)
    assert out["n_respondents"] == 1000 and out["converged"]
    for i in items:
        assert i["b"] == pytest.approx(-i["d"] / i["a"])
        assert all(i[k] > 0 for k in ("se_a", "se_d", "se_b"))


def test_difficulty_se_is_the_delta_method(shared_data: Path) -> None:
    from ssckit.skills.cli import _difficulty_se, _read_responses
    from ssckit.skills.irt import calibrate

    _, resp, counts = _read_responses(shared_data / "irt" / "lsat7.csv", "count")
    cal = calibrate(resp, "2pl", counts=counts)
    ses = _difficulty_se("2pl", cal.params, cal.cov)
    # numerically: gradient of b = -d/a times the covariance of (a, d)
    for j in range(5):
        a, d = cal.params.a[j], cal.params.d[j]
        g = np.array([d / a**2, -1 / a])
        cov = cal.cov[2 * j:2 * j + 2, 2 * j:2 * j + 2]
        assert ses[j][0] == pytest.approx(np.sqrt(g @ cov @ g))


def test_calibrate_table_and_other_models(shared_data: Path) -> None:
    path = str(shared_data / "irt" / "lsat7.csv")
    r = CliRunner().invoke(cli, ["skills", "calibrate", path, "--model", "1pl",
                                 "--count-column", "count"])
    assert r.exit_code == 0, r.output
    assert "1PL item parameters" in r.stdout and "log-likelihood" in r.stdout
    r = CliRunner().invoke(cli, ["skills", "calibrate", path, "--model", "3pl",
                                 "--count-column", "count", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert all(0 < i["g"] < 0.5 for i in json.loads(r.stdout)["items"])


def test_calibrate_grm_per_respondent(tmp_path: Path) -> None:
    from ssckit.skills.irt import ItemParams, simulate_responses

    rng = np.random.default_rng(5)
    true = ItemParams("grm", np.array([1.2, 0.9, 1.5, 1.0]),
                      np.array([[1.5, 0.0, -1.5]] * 4))
    resp = simulate_responses(rng.standard_normal(800), true, rng).astype(float)
    resp[rng.random(resp.shape) < 0.05] = np.nan  # some questions not answered
    lines = ["q1,q2,q3,q4"] + [",".join("" if np.isnan(x) else str(int(x)) for x in row)
                               for row in resp]
    (tmp_path / "likert.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = CliRunner().invoke(skills, ["calibrate", str(tmp_path / "likert.csv"), "--model", "grm",
                                    "--format", "json"])
    assert r.exit_code == 0, r.output
    items = json.loads(r.stdout)["items"]
    assert_allclose([i["a"] for i in items], true.a, atol=0.3)
    assert all(len(i["b"]) == 3 and len(i["se_b"]) == 3 for i in items)


def test_calibrate_bad_input_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,0\n0,x\n", encoding="utf-8")
    r = CliRunner().invoke(skills, ["calibrate", str(bad)])
    assert r.exit_code != 0
    assert "line 3, field 'b'" in str(r.exception)
    r = CliRunner().invoke(skills, ["calibrate", str(bad), "--count-column", "n"])
    assert "line 1 (header): missing column(s) n" in str(r.exception)


def test_simulate_study() -> None:
    r = CliRunner().invoke(skills, ["simulate", "--examinees", "150", "--seed", "3",
                                    "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["bank_items"] == len(results.question_bank().items)
    assert out["mean_length"] <= 15 and abs(out["bias"]) < 0.15 and out["rmse"] < 0.7
    assert out["stop_reasons"] == {"max_items": 150}
    assert out["mean_items_per_area"] == [3.0] * 5  # content balancing
    assert 0 < out["max_exposure"] <= 1 and len(out["exposure"]) == out["bank_items"]
    r = CliRunner().invoke(skills, ["simulate", "--examinees", "20", "--max-items", "8"])
    assert r.exit_code == 0 and "RMSE of theta" in r.stdout and "Most exposed" in r.stdout


def _answers_for(lang: str, seed: int, correct: bool) -> str:
    """Keyboard input answering every question of the seeded test right (or "don't know")."""
    from ssckit.skills import cat

    tb = results.question_bank()
    state = cat.start_test(tb.cat, results.TEST_CONFIG, seed)
    keys = []
    while True:
        state, index = cat.next_item(tb.cat, state)
        if index is None:
            break
        item = tb.item(index)
        opts = results.choices(item, lang, results.option_order(item, seed))
        pick = next(k for k, (v, _) in enumerate(opts) if results.response_code(item, v)) \
            if correct else len(opts) - 1
        keys.append(str(pick + 1))
        state = cat.answer(tb.cat, state, results.response_code(item, opts[pick][0]))
    return "\n".join(keys) + "\n"


def test_terminal_test_all_right_in_english() -> None:
    keys = _answers_for("en", 11, correct=True)
    r = CliRunner().invoke(skills, ["test", "--lang", "en", "--seed", "11"], input=keys)
    assert r.exit_code == 0, r.output
    assert r.output.count("Your answer") == 15
    assert "Your overall level: Highly specialised" in r.output
    assert "Level per area" in r.output and "What to learn next" in r.output
    # level words per area for the test taker, as on the public page; no scale score
    assert "θ" not in r.output and "±" not in r.output
    for area in ("Information and data literacy", "Problem solving"):
        assert area in r.output


def test_terminal_test_in_russian_with_a_wrong_key_first() -> None:
    keys = _answers_for("ru", 4, correct=False)
    r = CliRunner().invoke(skills, ["test", "--lang", "ru", "--seed", "4"], input="9\n" + keys)
    assert r.exit_code == 0, r.output
    assert "Вопрос 1" in r.output and "Не знаю" in r.output
    assert "9 is not in the range" in r.output  # the prompt asks again
    assert "Ваш общий уровень: Базовый, уровень 1" in r.output
    assert "θ" not in r.output and "±" not in r.output
    assert "Что изучить дальше" in r.output


def test_every_new_command_has_an_example() -> None:
    for name in ("calibrate", "simulate", "test"):
        r = CliRunner().invoke(skills, [name, "--help"])
        assert r.exit_code == 0 and "Example: ssckit skills " + name in r.output
