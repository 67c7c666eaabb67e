"""The command line: every command explains itself with an example; mistakes are one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from ssckit.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    seen = 0
    for path, _cmd in _commands(cli):
        r = runner.invoke(cli, [*path, "--help"])
        assert r.exit_code == 0, path
        assert "Example:" in r.output, f"`ssckit {' '.join(path)} --help` shows no example"
        seen += 1
    assert seen >= 8
    r = runner.invoke(cli, ["--help"])
    assert "Example:" in r.output and "demo" in r.output


def test_every_command_is_in_the_readme():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for path, cmd in _commands(cli):
        if isinstance(cmd, click.Group):
            continue
        assert f"ssckit {' '.join(path)}" in readme, f"README does not show `ssckit {path}`"


def test_catalogue_json_has_91_kpis():
    r = CliRunner().invoke(cli, ["kpi", "catalogue", "--format", "json"])
    assert r.exit_code == 0
    kpis = json.loads(r.output)
    assert len(kpis) == 91 and {"code", "unit", "sdg_targets", "target"} <= set(kpis[0])


def test_scorecard_json(demo_workspace: Path):
    r = CliRunner().invoke(cli, ["kpi", "scorecard", "-w", str(demo_workspace), "--format",
                                 "json"])
    assert r.exit_code == 0, r.output
    card = json.loads(r.output)
    assert card["synthetic"] is True and card["period"] == "2026"
    assert len(card["kpis"]) == 91
    assert {d["key"] for d in card["dimensions"]} == {"EC", "EN", "SC"}
    k = next(k for k in card["kpis"] if k["code"] == "EC:ICT:ICT:1C")
    assert {"value", "unit", "target", "ratio", "points", "source", "quality"} <= set(k)
    assert k["value"] is not None and 1 <= k["points"] <= 4
    assert 0 < card["completeness"] < 1


def test_scorecard_csv_and_table(demo_workspace: Path):
    r = CliRunner().invoke(cli, ["kpi", "scorecard", "-w", str(demo_workspace), "--format",
                                 "csv"])
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].startswith("code,name,") and len(lines) == 92
    r = CliRunner().invoke(cli, ["kpi", "scorecard", "-w", str(demo_workspace)])
    assert r.exit_code == 0 and "Household" in r.output and "Totals" in r.output


def test_compare_years(demo_workspace: Path):
    r = CliRunner().invoke(cli, ["kpi", "compare", str(demo_workspace), "--period", "2025",
                                 "--period", "2026", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["columns"] == ["Riverbend 2025", "Riverbend 2026"]
    k = next(k for k in out["kpis"] if k["code"] == "EC:ICT:ICT:1C")
    assert k["values"][0] != k["values"][1]


def test_report_html(demo_workspace: Path, tmp_path: Path):
    out = tmp_path / "r.html"
    r = CliRunner().invoke(cli, ["kpi", "report", "-w", str(demo_workspace), "-o", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "plotly" in html.lower() and "Household Internet Access" in html
    assert "Synthetic sample data" in html


def test_user_mistake_is_one_line_exit_2(tmp_path: Path):
    r = subprocess.run([sys.executable, "-m", "ssckit.cli", "kpi", "scorecard", "-w",
                        str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "no city.yaml here" in r.stderr and "Traceback" not in r.stderr
