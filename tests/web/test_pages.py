"""Pages render, with the city's KPIs, accessible structure and charts with text alternatives."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import plotly

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def test_home_shows_city_banner_and_chart_with_table(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="en">' in html
    assert "Testville" in html and "Testland" in html and "2024" in html
    assert "Synthetic sample data" in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert '<nav aria-label="Main">' in html
    # The chart's data come as JSON for static/charts.js, and a table says the same in text.
    assert '<script type="application/json" data-chart="points-chart">' in html
    assert "<caption" in html and "KPIs per dimension by benchmark points" in html
    assert "2 of 91" in html  # two KPIs have city values


def test_headings_are_in_order(client: TestClient) -> None:
    for url in ("/", "/kpi/scorecard", "/kpi/EC:ICT:ICT:1C", "/login"):
        levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", client.get(url).text)]
        assert levels[0] == 1 and levels.count(1) == 1, url
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), url


def test_scorecard_drilldown_shows_value_target_and_points(client: TestClient) -> None:
    html = client.get("/kpi/scorecard").text
    assert "<details" in html and "<summary>" in html
    assert "Household Internet Access" in html
    row = html.split('href="/kpi/EC:ICT:ICT:1C"', 1)[1].split("</tr>", 1)[0]
    assert "87.5" in row and "95" in row  # value and target (from city.yaml)
    assert "92 %" in row  # 87.5 / 95
    assert "Household survey 2024" in row and ">A<" in row


def test_scorecard_filters(client: TestClient) -> None:
    only = client.get("/kpi/scorecard?data=true").text
    assert "Household Internet Access" in only
    assert only.count('<tr>\n        <th scope="row">') == 2
    earlier = client.get("/kpi/scorecard?period=2023").text
    row = earlier.split('href="/kpi/EC:ICT:ICT:1C"', 1)[1].split("</tr>", 1)[0]
    assert ">80 <" in row
    bad = client.get("/kpi/scorecard?period=last-year")
    assert bad.status_code == 422 and "<html" in bad.text


def test_kpi_page_has_definition_and_history(client: TestClient) -> None:
    r = client.get("/kpi/EC:ICT:ICT:1C")
    assert r.status_code == 200
    html = r.text
    assert "Household Internet Access" in html and "17.8" in html
    assert "district:North" in html and "2023" in html and "2024" in html
    assert 'data-chart="history-chart"' in html  # two city periods: a line chart
    assert client.get("/kpi/XX:YY:ZZ:9C").status_code == 404


def test_plotly_js_served_from_package_and_cached(client: TestClient) -> None:
    r = client.get("/static/plotly.min.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "immutable" in r.headers["cache-control"]
    assert b"plotly.js" in r.content[:200]
    again = client.get("/static/plotly.min.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert f"/static/plotly.min.js?v={plotly.__version__}" in client.get("/").text
    assert client.get("/static/charts.js").status_code == 200


def test_login_needed_pages_redirect_to_login(client: TestClient) -> None:
    r = client.get("/kpi/import", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/kpi/import"
    assert client.get("/account", follow_redirects=False).status_code == 303
