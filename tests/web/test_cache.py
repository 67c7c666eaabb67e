"""Anonymous GET answers are cached per store version: a write of any process renews them;
requests with credentials, cookies or conditions are never answered from the cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store


def _value(client: TestClient, code: str) -> tuple[float | None, str | None]:
    r = client.get("/api/v1/indicators", params={"indicator": code, "period": "2024",
                                                  "entity": "city"})
    assert r.status_code == 200
    return (r.json()[0]["value"] if r.json() else None), r.headers.get("x-cache")


def test_answers_are_cached_until_any_write(client: TestClient, workspace_dir: Path,
                                            tokens: dict[str, str]):
    assert _value(client, "EC:ICT:ICT:1C") == (87.5, "miss")
    assert _value(client, "EC:ICT:ICT:1C") == (87.5, "hit")
    # a write by this process
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    store.write_values([IndicatorValue(indicator="EC:ICT:ICT:1C", value=88.0, unit="%",
                                       period="2024", entity="city")])
    assert _value(client, "EC:ICT:ICT:1C") == (88.0, "miss")
    assert _value(client, "EC:ICT:ICT:1C") == (88.0, "hit")
    # a write by another process (the store's version file is shared)
    code = ("import sys; from ssckit.core.store import Store; "
            "from ssckit.core.indicators import IndicatorValue; "
            "s = Store.open(sys.argv[1]); s.write_values([IndicatorValue("
            "indicator='EC:ICT:ICT:1C', value=89.0, unit='%', period='2024', entity='city')])")
    subprocess.run([sys.executable, "-c", code, str(workspace_dir / "ssckit.duckdb")],
                   check=True, timeout=120)
    assert _value(client, "EC:ICT:ICT:1C") == (89.0, "miss")

    # with credentials, a cookie or a condition: always the app's own answer
    auth = {"Authorization": f"Bearer {tokens['vic']}"}
    assert "x-cache" not in client.get("/api/v1/indicators", headers=auth).headers
    assert "x-cache" not in client.get("/api/v1/indicators",
                                       headers={"If-None-Match": '"x"'}).headers
    client.cookies.set("ssckit_session", "not-a-session")
    assert "x-cache" not in client.get("/api/v1/indicators").headers


def test_language_and_city_yaml_are_part_of_the_key(client: TestClient, workspace_dir: Path):
    en = client.get("/", params={"lang": "en"})
    ru = client.get("/", params={"lang": "ru"})
    assert en.headers["content-language"] == "en" and ru.headers["content-language"] == "ru"
    assert en.text != ru.text
    assert client.get("/kpi/scorecard").headers.get("x-cache") == "miss"
    assert client.get("/kpi/scorecard").headers.get("x-cache") == "hit"
    config = workspace_dir / "city.yaml"
    config.write_text(config.read_text() + "\n")     # an edit of city.yaml: answered afresh
    assert client.get("/kpi/scorecard").headers.get("x-cache") == "miss"
