"""The city factsheet: headline, points per dimension and sub-dimension, verified status and the
year's changes, as PDF (fpdf2) and as self-contained HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.kpi.factsheet import build_factsheet, render_factsheet_pdf
from ssckit.kpi.scorecard import workspace_scorecard

from .conftest import run_cli


def test_factsheet_pdf_and_html(city: Path, tmp_path: Path):
    pdf = tmp_path / "f.pdf"
    r = run_cli("kpi", "factsheet", "-w", str(city), "-o", str(pdf))
    assert r.returncode == 0, r.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 1
    r = run_cli("kpi", "factsheet", "-w", str(city), "-o", str(tmp_path / "ru.pdf"),
                "--lang", "ru")
    assert r.returncode == 0, r.stderr
    html_path = tmp_path / "f.html"
    r = run_cli("kpi", "factsheet", "-w", str(city), "--format", "html", "-o", str(html_path))
    assert r.returncode == 0, r.stderr
    html = html_path.read_text()
    card = json.loads(run_cli("kpi", "scorecard", "-w", str(city), "--format", "json").stdout)
    assert card["headline"]["text"] in html
    assert "<script" not in html  # self-contained and static
    # Dimensions with their own sub-dimensions right after them, each with points.
    rows = re.findall(r'<tr class="(dim|sub)"><th scope="row">([^<]+)</th>', html)
    assert [n for k, n in rows if k == "dim"] == ["Economy", "Environment",
                                                  "Society and Culture"]
    assert rows[1] == ("sub", "Information and Communication Technology")
    eco = next(g for g in card["dimensions"] if g["key"] == "EC")
    assert f"{eco['points']} / {eco['max_points']}" in html
    # The year's changes: the sample's 2025 and 2026 files differ, e.g. EMF exposure
    # 99.8 % (2025, manual) -> 94.7 % (2026, computed by emf).
    assert "Changes since 2025" in html
    emf = html.split("EN:EN:EQ:1C", 1)[1].split("</tr>", 1)[0]
    assert "99.8" in emf and "94.7" in emf


def test_factsheet_pdf_text_and_verified_count(city: Path):
    ws = Workspace.load(city)
    with Store.open(ws.store_path, read_only=True) as store:
        card = workspace_scorecard(ws, store)
        before = workspace_scorecard(ws, store, "2025")
    fs = build_factsheet(card, before)
    assert fs.n_verified == 0 and fs.n_with_value == card.totals.n_with_data
    assert sum(fs.status_counts.values()) == card.totals.n_with_data
    assert [g.level for g, _ in fs.groups].count("subdimension") == 7
    changed = {c.code for c in fs.changes}
    assert "EN:EN:EQ:1C" in changed
    unchanged = [k.code for k, b in zip(card.kpis, before.kpis, strict=True)
                 if k.value == b.value and k.points == b.points]
    assert not set(unchanged) & changed
    data = render_factsheet_pdf(fs, core_font=True, compress=False)
    escaped = fs.headline.text().replace("(", "\\(").replace(")", "\\)")  # PDF strings
    assert escaped.encode("latin-1") in data
    assert b"Changes since 2025" in data and b"Society and Culture" in data
