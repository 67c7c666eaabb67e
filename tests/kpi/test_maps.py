"""District choropleths: a KPI with district values gets a map (offline, colour-blind-safe
scale, unit on the colour bar) and a table of the same numbers, on its page and in the report."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from plotly.colors import sample_colorscale

from ssckit.kpi.maps import COLORSCALE, NO_VALUE, District, choropleth
from ssckit.web.app import create_app

from .conftest import run_cli

CSV = ("code,value,unit,period,source,quality,entity\n"
       "EC:ICT:ICT:4C,97.5,%,2026,Regulator coverage map,A,district:Old Town\n"
       "EC:ICT:ICT:4C,88.0,%,2026,Regulator coverage map,A,district:Riverside\n"
       "EC:ICT:ICT:4C,91.0,%,2026,Regulator coverage map,A,district:North Hill\n")


def _square(x0: float) -> list[tuple[float, float]]:
    return [(x0, 0.0), (x0 + 1, 0.0), (x0 + 1, 1.0), (x0, 1.0), (x0, 0.0)]


def test_choropleth_colours_and_unit():
    districts = [District("A", [_square(0)]), District("B", [_square(2)]),
                 District("C", [_square(4)])]
    fig = choropleth("t", "%", {"A": 10.0, "B": 30.0}, districts)
    fills = {t.name: t.fillcolor for t in fig.data if t.fill == "toself"}
    assert fills["A"] == sample_colorscale(COLORSCALE, 0.0)[0]
    assert fills["B"] == sample_colorscale(COLORSCALE, 1.0)[0]
    assert fills["C"] == NO_VALUE
    bar = next(t for t in fig.data if t.marker and t.marker.showscale)
    assert bar.marker.colorbar.title.text == "%" and (bar.marker.cmin, bar.marker.cmax) == (
        10.0, 30.0)
    # Same shape for x and y (metres), no base map.
    assert fig.layout.yaxis.scaleanchor == "x" and "geo" not in fig.to_dict()["layout"]


def test_kpi_page_and_report_have_the_district_map(city: Path, tmp_path: Path):
    f = tmp_path / "districts.csv"
    f.write_text(CSV)
    assert run_cli("kpi", "import", str(f), "-w", str(city)).returncode == 0
    with TestClient(create_app(city), base_url="https://testserver") as c:
        html = c.get("/kpi/EC:ICT:ICT:4C").text
        assert 'id="district-chart"' in html and 'role="img"' in html
        table = html.split('id="district-caption"', 1)[1].split("</table>", 1)[0]
        assert "Old Town" in table and "97.5" in table and "88" in table
        # A KPI without district values has no map.
        assert 'id="district-chart"' not in c.get("/kpi/EC:ICT:ICT:1C").text
    out = tmp_path / "report.html"
    assert run_cli("kpi", "report", "-w", str(city), "-o", str(out)).returncode == 0
    report = out.read_text()
    section = report.split("by district", 1)[1]
    assert "North Hill" in section and "91" in section
    # plotly.js is inlined once: no script is loaded from elsewhere, the report works offline
    assert not re.search(r"<script[^>]+src=", report)
