"""Assessment campaigns through the CLI: codes, simulated pre/post campaigns, the before/after
report recovering a planted improvement, indicator values; the paired-change statistics."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from ssckit.cli import cli
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.skills import results
from ssckit.skills.cohort import latent_scores, paired_change

#: The improvement planted in the post campaign per DigComp area 1-5 [SD of theta].
SHIFT = (0.3, 0.5, 0.4, 0.6, 0.2)
N_PEOPLE = 500
#: Both campaigns give at most 3 performance tasks among their 15 units: the pre campaign
#: sets the cap (--max-tasks 3), the post campaign the older share (0.2 of 15).
MAX_TASKS = 3
PERFORMANCE_SHARE = 0.2


def make_workspace(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    ring = [[500000, 3500000], [505000, 3500000], [505000, 3505000], [500000, 3505000],
            [500000, 3500000]]
    (root / "boundary.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Testville"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")
    (root / "city.yaml").write_text(yaml.safe_dump({
        "name": "Testville", "country": "Testland", "year": 2026, "crs": "EPSG:32636",
        "boundary": "boundary.geojson", "synthetic": True}), encoding="utf-8")
    return root


def people_csv(path: Path, n: int) -> Path:
    """Attributes of n participants: sex, age group, region, disability (some not stated)."""
    rng = np.random.default_rng(3)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["age_group", "sex", "region", "disability"])
        for _ in range(n):
            w.writerow([rng.choice(results.AGE_GROUPS[:6]), rng.choice(["F", "M", ""]),
                        rng.choice(["North", "South"]), rng.choice(["yes", "no", "no", "no"])])
    return path


def run(*args: str) -> str:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.fixture(scope="module")
def campaigns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a pre and a post campaign of 500 simulated people, the post one with
    the planted improvement :data:`SHIFT`."""
    ws = make_workspace(tmp_path_factory.mktemp("campaign") / "city")
    w = ["-w", str(ws)]
    run("skills", "campaign", "create", "teachers-pre", "--name", "Teachers, before",
        "--group", "Teachers of the region", "--opens", "2026-01-01", "--closes",
        "2026-12-31", "--max-tasks", str(MAX_TASKS), *w)
    people = people_csv(ws / "people.csv", N_PEOPLE)
    out = run("skills", "campaign", "codes", "teachers-pre", "--attributes", str(people),
              "--base-url", "https://skills.example", *w)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == N_PEOPLE and len({r["code"] for r in rows}) == N_PEOPLE
    assert rows[0]["link"] == f"https://skills.example/skills/join/teachers-pre?code={rows[0]['code']}"
    run("skills", "campaign", "create", "teachers-post", "--name", "Teachers, after",
        "--group", "Teachers of the region", "--pre", "teachers-pre", "--opens", "2026-01-01",
        "--closes", "2026-12-31", "--performance-share", str(PERFORMANCE_SHARE), *w)
    post_codes = list(csv.DictReader(io.StringIO(run("skills", "campaign", "codes",
                                                     "teachers-post", *w))))
    assert [r["code"] for r in post_codes] == [r["code"] for r in rows]  # one cohort
    run("skills", "campaign", "simulate", "teachers-pre", "--seed", "5", *w)
    run("skills", "campaign", "simulate", "teachers-post", "--seed", "5", "--shift",
        ",".join(map(str, SHIFT)), *w)
    return ws


def test_report_recovers_the_planted_improvement(campaigns: Path) -> None:
    """Each score's interval covers its planted change: the overall score's 95 % interval, and
    the five areas' 99 % intervals (Bonferroni: about 95 % for the five together)."""
    rep = json.loads(run("skills", "campaign", "report", "teachers-post", "--format", "json",
                         "-w", str(campaigns)))
    areas = json.loads(run("skills", "campaign", "report", "teachers-post", "--format", "json",
                           "--level", "0.99", "-w", str(campaigns)))["change"]
    assert rep["progress"] == {"codes": N_PEOPLE, "started": N_PEOPLE, "finished": N_PEOPLE,
                               "in_progress": 0}
    assert rep["simulated"] and rep["campaign"]["sample"] == "non-probability"
    change = {c["score"]: c for c in rep["change"]}
    planted = {"overall": float(np.mean(SHIFT)), **{f"area{a}": s for a, s in
                                                     zip(range(1, 6), SHIFT, strict=True)}}
    for score, truth in planted.items():
        c = change[score] if score == "overall" else next(x for x in areas
                                                           if x["score"] == score)
        assert c["n"] == N_PEOPLE
        assert c["ci_low"] <= truth <= c["ci_high"], (score, truth, c)
        if truth >= 0.4:  # detected with power > 0.99 at SE ~ 0.09
            assert c["ci_low"] > 0, (score, c)
        assert c["d_z"] > 0 and c["moved_up"] > c["moved_down"]
    # the pre campaign's people are N(0, 1): its fitted mean is near 0 in every area
    for c in rep["change"]:
        assert abs(c["mean_before"]) < 0.25
    # areas with a larger planted gain show a larger estimated change
    est = [change[f"area{a}"]["mean_change"] for a in range(1, 6)]
    assert np.corrcoef(est, SHIFT)[0, 1] > 0.7


def test_report_by_group_and_csv_export(campaigns: Path) -> None:
    w = ["-w", str(campaigns)]
    rep = json.loads(run("skills", "campaign", "report", "teachers-pre", "--format", "json",
                         *w))
    assert rep["change"] == []  # a pre campaign has nothing to compare with
    groups = {(g["variable"], g["group"]): g for g in rep["groups"]}
    everyone = groups[("all", "all")]
    assert everyone["n"] == N_PEOPLE
    assert everyone["mean_low"] < everyone["mean_theta"] < everyone["mean_high"]
    assert {k[0] for k in groups} == {"all", "age_group", "sex", "region", "disability"}
    assert ("sex", "not stated") in groups
    assert sum(g["n"] for (v, _), g in groups.items() if v == "sex") == N_PEOPLE
    text = run("skills", "campaign", "report", "teachers-post", "--format", "csv", *w)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["score"] for r in rows] == ["overall", "area1", "area2", "area3", "area4",
                                          "area5"]
    assert {"mean_change", "ci_low", "ci_high", "d_z", "moved_up", "pre_campaign"} <= set(rows[0])
    table = run("skills", "campaign", "report", "teachers-post", *w)
    assert "Change since teachers-pre" in table and "non-probability" in table


def test_campaign_results_are_indicator_values_apart_from_the_survey(campaigns: Path) -> None:
    run("skills", "campaign", "report", "teachers-post", "-w", str(campaigns))
    with Store.open(Workspace.load(campaigns).store_path) as store:
        values = store.query_values(indicator_prefix="skills:campaign:")
        city = store.query_values(indicator_prefix="skills:", entity="city")
    assert values and not city
    # (the pre campaign's report of the test before also stored its values)
    assert {v.entity for v in values} == {"campaign:teachers-post", "campaign:teachers-pre"}
    values = [v for v in values if v.entity == "campaign:teachers-post"]
    assert all(v.source["sample"] == "non-probability" and v.quality == "D" for v in values)
    by = {(v.indicator, json.dumps(v.breakdown, sort_keys=True)): v for v in values}
    share = by[("skills:campaign:intermediate_or_above", "{}")]
    assert share.unit == "%" and share.source["ci_low"] <= share.value <= share.source["ci_high"]
    assert ("skills:campaign:mean_theta", '{"sex": "F"}') in by
    change = by[("skills:campaign:change:area4", "{}")]
    assert change.source["ci_low"] <= SHIFT[3] <= change.source["ci_high"]
    assert change.source["pre_campaign"] == "teachers-pre"


def test_status_and_bad_input_are_one_line(campaigns: Path) -> None:
    w = ["-w", str(campaigns)]
    status = json.loads(run("skills", "campaign", "status", "--format", "json", *w))
    assert {s["id"] for s in status} == {"teachers-pre", "teachers-post"}
    for args, message in [
        (["skills", "campaign", "report", "nope"], "no campaign 'nope'; known: "),
        (["skills", "campaign", "create", "x1", "--name", "X", "--opens", "2026-02-01",
          "--closes", "2026-01-01"], "is before the opening"),
        (["skills", "campaign", "create", "x2", "--name", "X", "--opens", "2026-01-01",
          "--closes", "2026-02-01", "--performance-share", "0.8"], "outside 0..0.5"),
        (["skills", "campaign", "create", "x4", "--name", "X", "--opens", "2026-01-01",
          "--closes", "2026-02-01", "--max-items", "6", "--performance-share", "0.5"],
         "fewer than 5 knowledge questions"),
        (["skills", "campaign", "create", "x5", "--name", "X", "--opens", "2026-01-01",
          "--closes", "2026-02-01", "--max-tasks", "7"], "field 'max_tasks': 7 is outside 0..6"),
        (["skills", "campaign", "create", "x6", "--name", "X", "--opens", "2026-01-01",
          "--closes", "2026-02-01", "--max-items", "8", "--max-tasks", "4"],
         "8 items with 4 tasks leaves fewer than 5 knowledge questions"),
        (["skills", "campaign", "create", "Bad Id", "--name", "X", "--opens", "2026-01-01",
          "--closes", "2026-02-01"], "lower-case letters"),
        (["skills", "campaign", "create", "x3", "--name", "X", "--opens", "2026-01-01",
          "--closes", "2026-02-01", "--area-shares", "0.5,0.5"], "give 5 shares"),
        (["skills", "campaign", "codes", "teachers-post", "--count", "3"], "uses its codes"),
    ]:
        r = CliRunner().invoke(cli, [*args, *w])
        assert isinstance(r.exception, InputError), r.output
        assert message in str(r.exception) and "\n" not in str(r.exception)
    bad = campaigns / "bad.csv"
    bad.write_text("age_group,sex\n25-34,X\n", encoding="utf-8")
    # the installed command prints one line and exits 2
    r = subprocess.run([str(Path(sys.executable).with_name("ssckit")), "skills", "campaign",
                        "codes", "teachers-pre", "--attributes", str(bad), *w],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout
    out = (r.stderr + r.stdout).strip()
    assert len(out.splitlines()) == 1 and "line 2 field 'sex'" in out and "F, M" in out, out


def _fixed_form(rng: np.random.Generator, theta: np.ndarray, a: np.ndarray, d: np.ndarray
                ) -> np.ndarray:
    p = 1 / (1 + np.exp(-(np.outer(theta, a) + d)))
    return (rng.random(p.shape) < p).astype(float)


def test_latent_mean_is_not_shrunk() -> None:
    """The EM-fitted group mean recovers a shifted population mean from six items, where the
    mean of EAPs under the N(0, 1) prior would be pulled towards 0."""
    rng = np.random.default_rng(0)
    a, d = np.array([1.2, 0.9, 1.5, 1.1, 0.8, 1.3]), np.array([0.5, -0.3, 0.0, 1.0, -1.0, 0.2])
    theta = rng.normal(0.8, 1.0, 4000)
    fit = latent_scores(_fixed_form(rng, theta, a, d), a, d)
    assert fit.mu == pytest.approx(0.8, abs=0.07)
    assert fit.sigma == pytest.approx(1.0, abs=0.1)
    assert fit.eap.mean() == pytest.approx(fit.mu, abs=1e-4)


def test_paired_change_interval_covers_at_the_nominal_rate() -> None:
    """Over 200 simulated before/after studies (300 people, 5 items, true mean gain 0.4 with
    individual spread 0.3) the 95 % interval covers the true gain about 95 % of the time."""
    rng = np.random.default_rng(1)
    a, d = np.array([1.2, 0.9, 1.5, 1.1, 0.8]), np.array([0.5, -0.3, 0.0, 1.0, -1.0])
    covered, changes = 0, []
    for _ in range(200):
        before = rng.normal(0, 1, 300)
        after = before + 0.4 + rng.normal(0, 0.3, 300)
        pc = paired_change(_fixed_form(rng, before, a, d), _fixed_form(rng, after, a, d), a, d)
        covered += pc.ci_low <= 0.4 <= pc.ci_high
        changes.append(pc.mean_change)
    # binomial(200, 0.95): 95 % of studies land in 184..196
    assert 182 <= covered <= 198, covered
    assert np.mean(changes) == pytest.approx(0.4, abs=0.02)


def test_paired_change_without_change_and_effect_size() -> None:
    rng = np.random.default_rng(2)
    a, d = np.full(8, 1.0), np.linspace(-1.5, 1.5, 8)
    theta = rng.normal(0, 1, 600)
    pc = paired_change(_fixed_form(rng, theta, a, d), _fixed_form(rng, theta, a, d), a, d)
    assert pc.ci_low < 0 < pc.ci_high and abs(pc.d_z) < 0.15
    # people missing on one occasion are left out of the pairs
    xb = _fixed_form(rng, theta, a, d)
    xb[:100] = np.nan
    assert paired_change(xb, _fixed_form(rng, theta, a, d), a, d).n == 500


def test_simulated_people_are_the_same_in_pre_and_post() -> None:
    from ssckit.skills.campaign import true_traits

    pre = true_traits(17, 5, (0,) * 5)
    post = true_traits(17, 5, SHIFT)
    assert np.all(pre == pre[0])  # one general trait before the training
    assert np.allclose(post - pre, SHIFT, atol=1.5)  # a personal gain around the planted one
    assert not np.allclose(true_traits(18, 5, (0,) * 5), pre)
    gains = np.array([true_traits(k, 5, SHIFT) - true_traits(k, 5, (0,) * 5)
                      for k in range(2000)])
    assert np.allclose(gains.mean(axis=0), SHIFT, atol=0.03)


def test_campaign_commands_have_examples() -> None:
    for args in (["campaign", "create"], ["campaign", "codes"], ["campaign", "status"],
                 ["campaign", "report"], ["campaign", "simulate"], ["dif"]):
        r = CliRunner().invoke(cli, ["skills", *args, "--help"])
        assert r.exit_code == 0 and "Example: ssckit skills " + " ".join(args) in r.output


def test_stored_answers_go_to_the_dif_check(campaigns: Path, tmp_path: Path) -> None:
    """The 1000 stored tests export as a response file (one row per test, items not shown
    empty) that `ssckit skills dif` reads, matched on the trait strata; the simulated people
    answer by the same parameters whatever their sex: items flagged only at about the
    false-positive rate of the 5 % test."""
    text = run("skills", "responses", "-w", str(campaigns))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2 * N_PEOPLE
    items = [c for c in rows[0] if "-" in c and c not in ("test_id",)]
    answered = [sum(r[i] != "" for i in items) for r in rows]
    # 12-15 adaptive questions each (up to 3 of the 15 units are performance tasks)
    assert set(answered) <= {12, 13, 14, 15} and np.mean(np.array(answered) == 12) > 0.9
    assert all(r[i] in ("", "0", "1") for r in rows for i in items)
    assert {r["sex"] for r in rows} <= {"F", "M", ""}
    path = tmp_path / "responses.csv"
    path.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(cli, ["skills", "dif", str(path), "--group", "sex", "--reference",
                                 "F", "--focal", "M", "--match", "theta_stratum",
                                 "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    found = json.loads(r.stdout)
    assert len(found) == len(items)
    classified = [x for x in found if x["ets_class"] != "-"]
    assert all(min(x["n_reference"], x["n_focal"]) >= 100 for x in classified)
    flagged = [x["item"] for x in classified if x["ets_class"] in ("B", "C")]
    # each classified item is flagged with probability < 5 % under no DIF
    # (12 adaptive questions a test: about 15 items reach 100 answers in each group)
    assert len(classified) >= 12 and len(flagged) <= max(2, 0.1 * len(classified)), flagged


def test_a_new_survey_keeps_the_campaign_values(campaigns: Path) -> None:
    """`ssckit skills survey` replaces the survey's estimates, not the campaigns' values."""
    from ssckit.skills.sample import write_sample_survey

    w = ["-w", str(campaigns)]
    run("skills", "campaign", "report", "teachers-post", *w)
    data, design = write_sample_survey(campaigns, ["North", "South"], seed=3, n_psu=6,
                                       per_psu=20)
    run("skills", "survey", str(campaigns / data), "--design", str(campaigns / design), *w)
    with Store.open(Workspace.load(campaigns).store_path) as store:
        kept = store.query_values(indicator_prefix="skills:campaign:",
                                  entity="campaign:teachers-post")
        survey = store.query_values(indicator="skills:overall_basic_or_above", entity="city")
    assert kept and survey
    assert {v.source["module"] for v in kept} == {"skills.campaign"}


def test_an_expired_attempt_starts_afresh() -> None:
    from datetime import date

    from ssckit.skills import campaign as cp

    with Store.open(None) as store:
        store.migrate()
        results.migrate(store)
        c = cp.new_campaign("lib", "Library", "", ("ru",), cp.ItemMix(), date(2026, 1, 1),
                            date(2026, 12, 31))
        cp.save_campaign(store, c)
        code, = cp.add_participants(store, c, [{"sex": "F"}])
        first = cp.start_attempt(store, c, code, "ru", None)
        assert cp.start_attempt(store, c, code, "ru", None) == first  # a reload resumes it
        with store.transaction() as cur:  # purged after a long pause (web.purge_abandoned_tests)
            cur.execute("DELETE FROM skills_tests WHERE test_id = ?", [first])
        second = cp.start_attempt(store, c, code, "ru", None)
        assert second != first and results.load_test(store, second) is not None
        assert cp.progress(store, c) == {"codes": 1, "started": 1, "finished": 0,
                                         "in_progress": 1}


def test_tasks_are_scored_from_the_gpcm_and_join_the_results(campaigns: Path) -> None:
    """Every attempt has the tasks its adaptive test chose scored, at most 3, given between
    its questions; the scores follow the people's traits (the GPCM's expected score rises
    with theta), and each stored result counts its questions plus its tasks: 15 units."""
    from ssckit.skills import campaign as cp
    from ssckit.skills.cat import CATState
    from ssckit.skills.tasks import get_task

    with Store.open(Workspace.load(campaigns).store_path) as store:
        with store.cursor() as cur:
            rows = cur.execute(
                "SELECT a.campaign_id, a.code, s.task_id, s.score, s.max_score FROM "
                "skills_task_scores s JOIN skills_attempts a USING (test_id)").fetchall()
            n_items = cur.execute(
                "SELECT DISTINCT r.n_items FROM skills_results r JOIN skills_attempts a "
                "USING (test_id)").fetchall()
            states = [CATState.from_json(r[0]) for r in cur.execute(
                "SELECT t.state FROM skills_tests t JOIN skills_attempts a USING (test_id)"
            ).fetchall()]
        pre = cp.load_campaign(store, "teachers-pre")
        codes = [p["code"] for p in cp.participants(store, pre)]
    assert n_items == [(15,)] and len(states) == 2 * N_PEOPLE
    assert len(rows) == sum(len(s.tasks) for s in states) > 0.9 * 2 * N_PEOPLE * MAX_TASKS
    for s in states:
        assert len(s.tasks) <= MAX_TASKS and s.n_units == 15
        # interleaved: questions follow every task
        assert all(5 <= k < len(s.items) for k in s.task_after), s.task_after
    # every DigComp area's tasks are given to someone (the most informative one varies with
    # the person's estimate)
    assert {get_task(r[2]).area for r in rows} == {1, 2, 3, 4, 5}
    assert all(0 <= r[3] <= r[4] == get_task(r[2]).max_score for r in rows)
    # the same person (code rank) has the same general trait before and after: the share of
    # full marks rises from pre to post with the planted improvement
    full = {c: np.mean([r[3] == r[4] for r in rows if r[0] == c])
            for c in ("teachers-pre", "teachers-post")}
    assert full["teachers-post"] > full["teachers-pre"], full
    # people with a higher true trait score higher on the tasks (pre campaign)
    traits = {code: cp.true_traits(k, 5, (0.0,) * 5)[0] for k, code in enumerate(codes)}
    pre_rows = [r for r in rows if r[0] == "teachers-pre"]
    rel = np.array([r[3] / r[4] for r in pre_rows])
    th = np.array([traits[r[1]] for r in pre_rows])
    assert np.corrcoef(th, rel)[0, 1] > 0.3


def test_joint_wle_of_answers_and_tasks() -> None:
    """Without tasks the grid WLE is Warm's bisection WLE (:func:`wle_theta`) to the grid's
    0.005 SD; a task scored in full raises the estimate, a task scored 0 lowers it."""
    from ssckit.skills.campaign import WLE_GRID, tasks_log_likelihood
    from ssckit.skills.cohort import wle_with_tasks
    from ssckit.skills.gpcm import gpcm_information
    from ssckit.skills.irt import wle_theta
    from ssckit.skills.tasks import get_task

    tb = results.question_bank()
    a, d = tb.cat.params.a, np.ravel(tb.cat.params.d)
    rng = np.random.default_rng(1)
    shown = rng.random((40, len(a))) < 0.3
    x = np.where(shown, (rng.random((40, len(a))) < 0.6).astype(float), np.nan)
    none = np.zeros((40, WLE_GRID.size))
    joint = wle_with_tasks(x, a, d, none, none, WLE_GRID)
    assert np.abs(joint - wle_theta(x, a, d)[0]).max() <= 0.0026
    task = get_task("share-document")
    info = np.tile(gpcm_information(WLE_GRID, task.gpcm.a, task.gpcm.b), (40, 1))
    full = np.tile(tasks_log_likelihood(WLE_GRID, [(task.id, task.max_score)]), (40, 1))
    zero = np.tile(tasks_log_likelihood(WLE_GRID, [(task.id, 0)]), (40, 1))
    assert (wle_with_tasks(x, a, d, full, info, WLE_GRID) > joint).all()
    assert (wle_with_tasks(x, a, d, zero, info, WLE_GRID) < joint).all()


def test_an_attempt_started_before_tasks_were_interleaved_gets_its_drawn_tasks_after() -> None:
    """A test saved before the adaptive test chose tasks (its rules have no ``max_tasks``)
    resumes as it was started: questions only, then the tasks drawn for the attempt."""
    from dataclasses import replace
    from datetime import date

    from ssckit.skills import campaign as cp
    from ssckit.skills import cat

    with Store.open(None) as store:
        store.migrate()
        results.migrate(store)
        c = cp.new_campaign("old", "Older", "", ("en",), cp.ItemMix(10, max_tasks=1),
                            date(2026, 1, 1), date(2026, 12, 31))
        cp.save_campaign(store, c)
        code, = cp.add_participants(store, c, [{}])
        test_id = cp.start_attempt(store, c, code, "en", None)
        tb = results.question_bank()
        # the rules as they were: 9 questions, the task after them
        old_rules = replace(c.mix.cat_config(), max_items=9, max_tasks=0)
        state = cat.start_test(tb.cat, old_rules, seed=3)
        while not state.finished:
            state, _ = cat.next_item(tb.cat, state)
            if state.finished:
                break
            state = cat.answer(tb.cat, state, 1)
        results.save_test(store, test_id, "en", cat.CATState.from_json(state.to_json()))
        drawn, = cp.attempt_tasks(c, test_id)
        assert cp.pending_task(store, c, test_id) == drawn
        score = cp.store_task_score(store, c, test_id, drawn.id,
                                    [{"type": "press", "target": drawn.submit}])
        assert cp.task_scores(store, [test_id]) == {test_id: [(drawn.id, score.score)]}
        assert cp.pending_task(store, c, test_id) is None
        assert len(results.load_test(store, test_id)[1].items) == 9  # type: ignore[index]
