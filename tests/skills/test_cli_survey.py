"""`ssckit skills estimate` and `ssckit skills survey` on real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssckit.cli import cli
from ssckit.core.store import Store


def test_estimate_reproduces_yrbs_mean(shared_data: Path):
    # Reference (README of ../shared/data/survey, from the open-source library's tests):
    # mean of y = (qn8 == 1) with strata and PSUs 0.8136225, SE 0.0198621,
    # 95 % CI 0.7734476-0.8537974 with t(n_PSU - n_strata).
    r = CliRunner().invoke(cli, ["skills", "estimate", str(shared_data / "survey" / "yrbs.csv"),
                                 "--y", "qn8", "--y-equals", "1", "--stat", "mean", "--weight",
                                 "weight", "--strata", "stratum", "--psu", "psu",
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)["rows"][0]
    assert row["estimate"] == pytest.approx(0.8136225, rel=1e-6)
    assert row["se"] == pytest.approx(0.0198621, rel=1e-5)
    assert row["ci_low"] == pytest.approx(0.7734476, rel=1e-6)
    assert row["ci_high"] == pytest.approx(0.8537974, rel=1e-6)


def test_estimate_total_with_clusters(shared_data: Path):
    # total of y with PSU clusters, no strata: 7938.333, SE 560.0856.
    r = CliRunner().invoke(cli, ["skills", "estimate", str(shared_data / "survey" / "yrbs.csv"),
                                 "--y", "qn8", "--y-equals", "1", "--stat", "total", "--weight",
                                 "weight", "--psu", "psu", "--format", "json"])
    row = json.loads(r.stdout)["rows"][0]
    assert row["estimate"] == pytest.approx(7938.333, rel=1e-6)
    assert row["se"] == pytest.approx(560.0856, rel=1e-6)


def test_survey_command_fills_store(demo_workspace: Path, tmp_path: Path):
    city = tmp_path / "city"
    shutil.copytree(demo_workspace, city)
    r = CliRunner().invoke(cli, ["skills", "survey", "-w", str(city)])
    assert r.exit_code == 0, r.output
    with Store.open(city / "ssckit.duckdb", read_only=True) as s:
        overall = s.query_values(indicator="skills:overall_basic_or_above", breakdown={})
        young = s.query_values(indicator="skills:overall_basic_or_above",
                               breakdown={"age_group": "15-24"})
        old = s.query_values(indicator="skills:overall_basic_or_above",
                             breakdown={"age_group": "65-74"})
    assert len(overall) == 1 and 0 < overall[0].value < 100
    lo, hi = overall[0].source["ci_low"], overall[0].source["ci_high"]
    assert lo < overall[0].value < hi
    # The synthetic population's skills fall with age (a built-in gradient), beyond the CIs.
    assert young[0].source["ci_low"] > old[0].source["ci_high"]


def test_bad_answers_are_refused(demo_workspace: Path, tmp_path: Path):
    data = tmp_path / "s.csv"
    text = (demo_workspace / "skills_survey.csv").read_text().splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("read_news")] = "7"
    data.write_text("\n".join([text[0], ",".join(row), *text[2:50]]) + "\n")
    design = demo_workspace / "skills_design.yaml"
    r = CliRunner().invoke(cli, ["skills", "survey", str(data), "--design", str(design), "-w",
                                 str(demo_workspace)])
    assert r.exit_code != 0
    assert "row 2, column 'read_news'" in str(r.exception)
