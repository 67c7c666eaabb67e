"""Fixtures of the web tests: a small synthetic workspace with KPI values, users and tokens."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.kpi.catalogue import load_catalogue
from ssckit.kpi.io import read_values_csv
from ssckit.web.app import create_app

PASSWORD = "correct horse battery staple"
ROLE_USERS = {"ada": "admin", "ana": "analyst", "vic": "viewer"}

VALUES_CSV = """code,value,unit,source,period,quality,entity
EC:ICT:ICT:1C,87.5,%,Household survey 2024,2024,A,city
EC:ICT:ICT:1C,80,%,Household survey 2023,2023,A,city
EC:ICT:ICT:2C,42,%,Regulator annual report,2024,B,
EC:ICT:ICT:1C,91,%,District survey,2024,C,district:North
"""


@dataclass(frozen=True)
class Built:
    """The base workspace folder and the API tokens of its users."""

    root: Path
    tokens: dict[str, str]


def write_workspace(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    boundary = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Testville"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [500000, 3500000], [505000, 3500000], [505000, 3505000], [500000, 3505000],
            [500000, 3500000]]]},
    }]}
    (root / "boundary.geojson").write_text(json.dumps(boundary), encoding="utf-8")
    config = {"name": "Testville", "country": "Testland", "year": 2024, "crs": "EPSG:32636",
              "boundary": "boundary.geojson", "synthetic": True,
              "settings": {"kpi": {"targets": {"EC:ICT:ICT:1C": 95.0}}}}
    (root / "city.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("base") / "testville"
    write_workspace(root)
    ws = Workspace.load(root)
    csv_path = root / "values.csv"
    csv_path.write_text(VALUES_CSV, encoding="utf-8")
    values = read_values_csv(csv_path, load_catalogue(), str(ws.config.year))
    tokens = {}
    with Store.open(ws.store_path) as store:
        store.write_values(values)
        for name, role in ROLE_USERS.items():
            auth.add_user(store, name, role, PASSWORD)
            tokens[name] = auth.create_api_token(store, name, "tests")
    return Built(root, tokens)


@pytest.fixture
def workspace_dir(built: Built, tmp_path: Path) -> Path:
    """A private copy of the base workspace, so a test may write to it."""
    dest = tmp_path / "ws"
    shutil.copytree(built.root, dest)
    return dest


@pytest.fixture
def client(workspace_dir: Path) -> Iterator[TestClient]:
    app = create_app(workspace_dir)
    # https: the session cookie is Secure, and the test client only sends it over https.
    with TestClient(app, base_url="https://testserver") as c:
        yield c


@pytest.fixture
def tokens(built: Built) -> dict[str, str]:
    return built.tokens


@pytest.fixture
def store(client: TestClient) -> Store:
    """The store the app under test writes to."""
    return client.app.state.store  # type: ignore[attr-defined]


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


@pytest.fixture
def login(client: TestClient) -> Callable[..., str]:
    """Log a user in through the form; return the session's CSRF token."""

    def do(name: str, password: str = PASSWORD) -> str:
        csrf = csrf_of(client.get("/login").text)
        r = client.post("/login", follow_redirects=False,
                        data={"username": name, "password": password, "csrf_token": csrf})
        assert r.status_code == 303, r.text
        return csrf_of(client.get("/account").text)

    return do

