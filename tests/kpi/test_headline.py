"""One headline, read the same everywhere: the CLI, the HTML report, the dashboard and the API
show the same figures; sub-dimensions sit under their own dimension; the terminal table is
readable at 80 columns (one line per KPI, nothing clipped)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from fastapi.testclient import TestClient

from ssckit.web.app import create_app

from .conftest import run_cli

HEADLINE = re.compile(r"Score \d+ of \d+ points \(\d+ %\); \d+ of 91 KPIs with a value "
                      r"\(\d+ %\)")


def _cli(city: Path, columns: int, *extra: str) -> str:
    r = run_cli("kpi", "scorecard", "-w", str(city), *extra,
                env={**os.environ, "COLUMNS": str(columns)})
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_headline_is_the_same_in_cli_report_dashboard_and_api(city: Path, tmp_path: Path):
    card = json.loads(_cli(city, 80, "--format", "json"))
    hl = card["headline"]
    text = hl["text"]
    assert HEADLINE.fullmatch(text), text
    # The figures are those of the totals, by definition.
    t = card["totals"]
    assert (hl["points"], hl["max_points"], hl["n_with_data"]) == (
        t["points"], t["max_points"], t["n_with_data"])
    assert f"Score {t['points']} of {t['max_points']} points " \
           f"({round(100 * t['points'] / t['max_points'])} %)" in text
    assert text in " ".join(_cli(city, 80).split())
    out = tmp_path / "report.html"
    assert run_cli("kpi", "report", "-w", str(city), "-o", str(out)).returncode == 0
    html = out.read_text()
    assert text in html
    assert "Mean points" not in html
    with TestClient(create_app(city), base_url="https://testserver") as c:
        assert text in c.get("/").text
        assert text in c.get("/kpi/scorecard").text
        assert c.get("/api/v1/kpi/scorecard").json()["headline"]["text"] == text


def test_subdimensions_nested_under_their_dimension(city: Path, tmp_path: Path):
    out = tmp_path / "report.html"
    assert run_cli("kpi", "report", "-w", str(city), "-o", str(out)).returncode == 0
    html = out.read_text()
    totals = html.split("Totals by dimension and sub-dimension", 1)[1].split("</table>", 1)[0]
    names = re.findall(r'class="level-(\w+)">(?:<span[^>]*>[^<]*</span>)?([^<]+)<', totals)
    levels = [lv for lv, _ in names]
    assert levels[0] == "total" and levels.count("dimension") == 3
    assert levels.count("subdimension") == 7
    # ICT comes right after Economy, never after Society and Culture.
    order = [n.strip() for _, n in names]
    assert order.index("Information and Communication Technology") == \
        order.index("Economy") + 1
    assert order.index("Safety, Housing and Social Inclusion") > order.index("Society and Culture")
    text = _cli(city, 80)
    lines = text.splitlines()
    assert lines.index(next(x for x in lines if "Information and Communication" in x)) == \
        lines.index(next(x for x in lines if x.strip().startswith("Economy"))) + 1


def test_terminal_table_fits_80_columns(city: Path):
    text = _cli(city, 80)
    lines = text.splitlines()
    assert max(len(x) for x in lines) <= 80
    kpi_lines = [x for x in lines if re.match(r"^\s*(EC|EN|SC):\S+\s", x)]
    assert len(kpi_lines) == 91  # one line per KPI: no name wrapped over several lines
    row = next(x for x in kpi_lines if x.strip().startswith("EN:EN:EQ:1C"))
    # value, target, achievement, points and where the value came from, all on the line
    assert re.search(r"94\.7\s+100\s+95%\s+●●●\s+c\b", row), row
    wide = _cli(city, 160)
    assert max(len(x) for x in wide.splitlines()) <= 160
    row = next(x for x in wide.splitlines() if x.strip().startswith("EN:EN:EQ:1C"))
    assert "computed" in row and "draft" in row and "2026" in row
