"""Every documented GET endpoint of /api/v1 answers the sample city with JSON that its
response model accepts in strict mode (numbers as numbers, booleans as booleans); the
endpoints of core, kpi, school, skills, cyber and access all have a response model. The
token is an analyst's: some answers (the accessibility review, the EMF tradeoffs) are not for
viewers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.web.app import create_app

TYPED = ("/api/v1/indicators", "/api/v1/kpi/", "/api/v1/school/schools", "/api/v1/skills/",
         "/api/v1/cyber/", "/api/v1/access/", "/api/v1/emf/sites")
#: answers that are not JSON documents (files, CSV, JSON-LD) or that are not typed here
UNTYPED_OK = {"/api/v1/cyber/compliance.csv"}


@pytest.fixture(scope="module")
def client(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("openapi") / "sample-city"
    shutil.copytree(demo_workspace, root)
    with Store.open(root / "ssckit.duckdb") as store:
        auth.add_user(store, "reader", "analyst", "a long enough password")
        token = auth.create_api_token(store, "reader", "openapi test")
    with TestClient(create_app(root), headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def _api_routes() -> dict[str, APIRoute]:
    """The API's GET routes by full path: core's and those of every module's routers."""
    from ssckit.core.modules import faces, load_ref
    from ssckit.core.webkit import API_PREFIX
    from ssckit.web.app import api

    out = {r.path: r for r in api.routes if isinstance(r, APIRoute) and "GET" in r.methods}
    for face in faces():
        for ref in face.web:
            for r in load_ref(ref).router.routes:
                if isinstance(r, APIRoute) and "GET" in r.methods:
                    out[API_PREFIX + r.path] = r
    return out


def _is_model(annotation: Any) -> bool:
    """A pydantic model, or a list of them."""
    args = getattr(annotation, "__args__", ())
    inner = args[0] if getattr(annotation, "__origin__", None) is list and args else annotation
    return isinstance(inner, type) and issubclass(inner, BaseModel)


def test_every_get_answer_matches_its_schema(client: TestClient):
    spec = client.get("/openapi.json").json()
    routes = _api_routes()
    school = client.get("/api/v1/school/schools").json()[0]
    path_values = {"school_id": school["id"]}
    query = {"/api/v1/radio/point": {"lat": school["lat"], "lon": school["lon"]},
             "/api/v1/emf/point": {"lat": school["lat"], "lon": school["lon"]}}
    checked = []
    for path, ops in spec["paths"].items():
        if "get" not in ops:
            continue
        content = ops["get"]["responses"]["200"].get("content", {})
        if "application/json" not in content or path in UNTYPED_OK:
            continue
        route = routes[path]
        if path.startswith(TYPED):
            assert _is_model(route.response_model), f"{path} has no response model"
        url = path
        for name in [p["name"] for p in ops["get"].get("parameters", []) if p["in"] == "path"]:
            url = url.replace("{" + name + "}", str(path_values[name]))
        r = client.get(url, params=query.get(path, {}))
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        if route.response_model is not None and r.headers["content-type"].startswith(
                "application/json"):
            TypeAdapter(route.response_model).validate_json(r.content, strict=True)
            checked.append(path)
    assert {"/api/v1/indicators", "/api/v1/kpi/scorecard", "/api/v1/kpi/catalogue",
            "/api/v1/school/schools/{school_id}/latest", "/api/v1/skills/results",
            "/api/v1/cyber/compliance", "/api/v1/access/audits/latest"} <= set(checked)


def test_numbers_in_answers_are_numbers(client: TestClient):
    card = client.get("/api/v1/kpi/scorecard").json()
    assert isinstance(card["headline"]["points"], int)
    assert isinstance(card["synthetic"], bool)
    assert all(isinstance(k["value"], float | int) for k in card["kpis"] if k["value"] is not None)
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "[0..1]" in schema["Headline"]["properties"]["completeness"]["description"]
