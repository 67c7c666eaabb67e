"""The JSON API: indicator filters, scorecard and catalogue, value upload with roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi.testclient import TestClient

    from ssckit.core.store import Store

GOOD_CSV = "code,value,unit,source\nEC:ICT:ICT:4C,55,%,Operator returns\n"
BAD_CSV = ("code,value,unit,source\nEC:ICT:ICT:1C,10,%,Survey\n"
           "EC:ICT:ICT:2C,140,%,Regulator\n")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_indicators_filters(client: TestClient) -> None:
    every = client.get("/api/v1/indicators").json()
    assert len(every) == 4
    assert set(every[0]) >= {"indicator", "entity", "period", "value", "unit", "breakdown",
                             "source", "quality", "computed_at"}
    one = client.get("/api/v1/indicators",
                     params={"indicator": "EC:ICT:ICT:1C", "entity": "city", "period": "2024"})
    assert [v["value"] for v in one.json()] == [87.5]
    assert len(client.get("/api/v1/indicators", params={"entity": "district:North"}).json()) == 1
    assert len(client.get("/api/v1/indicators", params={"limit": 2}).json()) == 2
    assert client.get("/api/v1/indicators", params={"breakdown": "sex:F"}).json() == []
    assert client.get("/api/v1/indicators", params={"breakdown": "nocolon"}).status_code == 422
    assert client.get("/api/v1/indicators", params={"limit": 0}).status_code == 422


def test_scorecard_json_shape(client: TestClient) -> None:
    card = client.get("/api/v1/kpi/scorecard").json()
    assert card["city"] == "Testville" and card["synthetic"] is True and card["period"] == "2024"
    assert {"completeness", "bands", "totals", "dimensions", "subdimensions", "categories",
            "kpis"} <= set(card)
    assert len(card["kpis"]) == 91
    kpi = next(k for k in card["kpis"] if k["code"] == "EC:ICT:ICT:1C")
    assert kpi["value"] == 87.5 and kpi["target"] == 95.0 and kpi["unit"] == "%"
    assert kpi["points"] == 3
    earlier = client.get("/api/v1/kpi/scorecard", params={"period": "2023"}).json()
    assert next(k for k in earlier["kpis"] if k["code"] == "EC:ICT:ICT:1C")["value"] == 80
    assert client.get("/api/v1/kpi/scorecard", params={"period": "x"}).status_code == 422


def test_catalogue(client: TestClient) -> None:
    cat = client.get("/api/v1/kpi/catalogue").json()
    assert len(cat["kpis"]) == 91 and cat["dimensions"]["EC"] == "Economy"
    assert any(k["code"] == "EC:ICT:ICT:1C" and k["unit"] == "%" for k in cat["kpis"])


def test_openapi_lists_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/indicators", "/api/v1/kpi/scorecard", "/api/v1/kpi/catalogue",
            "/api/v1/kpi/values"} <= set(paths)
    assert "/login" not in paths


def test_upload_anonymous_is_401(client: TestClient) -> None:
    r = client.post("/api/v1/kpi/values", content=GOOD_CSV, headers={"Content-Type": "text/csv"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    wrong = client.post("/api/v1/kpi/values", content=GOOD_CSV, headers=bearer("ssck_nope"))
    assert wrong.status_code == 401


def test_upload_viewer_is_403(client: TestClient, store: Store, tokens: dict[str, str]) -> None:
    r = client.post("/api/v1/kpi/values", content=GOOD_CSV, headers=bearer(tokens["vic"]))
    assert r.status_code == 403
    assert store.count_values() == 4


def test_upload_analyst_token_stores_values(
    client: TestClient, store: Store, tokens: dict[str, str]
) -> None:
    r = client.post("/api/v1/kpi/values", content=GOOD_CSV,
                    headers={**bearer(tokens["ana"]), "Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    assert r.json()["written"] == 1
    from ssckit.kpi.records import current_manual_values

    # manual values are kept beside the computed ones, in kpi's own table
    stored = [m.value for m in current_manual_values(store, indicator="EC:ICT:ICT:4C")]
    assert [(v.value, v.period, v.quality) for v in stored] == [(55.0, "2024", "A")]
    assert current_manual_values(store, indicator="EC:ICT:ICT:4C")[0].recorded_by == "ana"
    multipart = client.post("/api/v1/kpi/values", headers=bearer(tokens["ada"]),
                            files={"file": ("more.csv", GOOD_CSV.replace("55", "56"), "text/csv")})
    assert multipart.status_code == 201, multipart.text
    latest = current_manual_values(store, indicator="EC:ICT:ICT:4C")[0].value
    assert latest.value == 56.0 and latest.source["file"] == "more.csv"


def test_bad_csv_is_422_and_changes_nothing(
    client: TestClient, store: Store, tokens: dict[str, str]
) -> None:
    before = [v.to_dict() for v in store.query_values()]
    r = client.post("/api/v1/kpi/values", content=BAD_CSV, headers=bearer(tokens["ana"]))
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "line 3" in detail and "140" in detail and "nothing was imported" in detail
    assert "/tmp" not in detail  # names the upload, not a server path
    assert store.count_values() == len(before)
    assert [v.to_dict() for v in store.query_values()] == before


def test_session_api_write_needs_csrf_header(
    client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login("ana")
    r = client.post("/api/v1/kpi/values", content=GOOD_CSV)
    assert r.status_code == 403
    ok = client.post("/api/v1/kpi/values", content=GOOD_CSV, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
