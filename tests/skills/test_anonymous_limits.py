"""Anonymous adaptive tests: started at most ``settings.skills.tests_per_hour`` times per client
address, and deleted once abandoned for ``settings.skills.abandoned_after_h`` hours."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from ssckit.core.store import Store
from ssckit.web.app import create_app
from tests.skills.test_web import base_workspace, csrf_of, workspace  # noqa: F401 (fixtures)


def _settings(root: Path, **skills: object) -> None:
    config = yaml.safe_load((root / "city.yaml").read_text())
    config.setdefault("settings", {})["skills"] = skills
    (root / "city.yaml").write_text(yaml.safe_dump(config))


def _start(client: TestClient) -> tuple[int, str]:
    page = client.get("/skills/test")
    r = client.post("/skills/test", data={"csrf_token": csrf_of(page.text), "lang": "en"},
                    follow_redirects=False)
    return r.status_code, r.headers.get("location", "") or r.headers.get("retry-after", "")


def test_tests_per_address_are_limited(workspace: Path):  # noqa: F811
    _settings(workspace, tests_per_hour=3)
    app = create_app(workspace)
    with TestClient(app, base_url="https://testserver", client=("10.0.0.1", 1000)) as one:
        started = [_start(one) for _ in range(3)]
        assert [s for s, _ in started] == [303, 303, 303]
        status, retry_after = _start(one)
        assert status == 429 and 3000 < int(retry_after) <= 3601   # a slot frees in ~1 h
    with TestClient(app, base_url="https://testserver", client=("10.0.0.2", 1000)) as other:
        assert _start(other)[0] == 303                 # another address has its own count
    with Store.open(workspace / "ssckit.duckdb", read_only=True) as store, \
            store.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM skills_tests").fetchone()[0] == 4
        # addresses are kept only as hashes
        assert cur.execute("SELECT count(*) FROM rate_events WHERE client_hash LIKE "
                           "'10.0.0.%'").fetchone()[0] == 0


def test_abandoned_tests_expire_and_are_purged(workspace: Path):  # noqa: F811
    _settings(workspace, abandoned_after_h=2)
    app = create_app(workspace)
    with TestClient(app, base_url="https://testserver") as client:
        _, old = _start(client)
        _, fresh = _start(client)
        old_id = old.rsplit("/", 1)[1]
        with Store.open(workspace / "ssckit.duckdb") as store, store.transaction() as tx:
            tx.execute("UPDATE skills_tests SET updated_at = updated_at - ? WHERE test_id = ?",
                       [timedelta(hours=2, minutes=1), old_id])
        assert client.get(old).status_code == 404            # expired
        assert client.get(fresh).status_code == 200          # still going
        _start(client)                                       # starting one purges
    with Store.open(workspace / "ssckit.duckdb", read_only=True) as store, \
            store.cursor() as cur:
        ids = {r[0] for r in cur.execute("SELECT test_id FROM skills_tests").fetchall()}
    assert old_id not in ids and fresh.rsplit("/", 1)[1] in ids and len(ids) == 2


def test_limits_are_checked_settings(workspace: Path):  # noqa: F811
    _settings(workspace, tests_per_hour=0)
    with TestClient(create_app(workspace), base_url="https://testserver") as client:
        page = client.get("/skills/test")
        r = client.post("/skills/test", data={"csrf_token": csrf_of(page.text), "lang": "en"})
    assert r.status_code == 503 and "settings.skills.tests_per_hour" in r.text
