"""A web request that finds the store held past the wait answers 503 with the one line naming
the holder (and Retry-After), not a traceback; once the holder is gone it answers again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from ssckit.core import store as store_module
from ssckit.web.app import create_app
from tests.web.conftest import write_workspace


def test_busy_store_is_503_with_one_line(tmp_path: Path):
    root = tmp_path / "city"
    write_workspace(root)
    app = create_app(root)
    store_module.close_idle(root / "ssckit.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               "c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "sys.stdin.readline()", str(root / "ssckit.duckdb")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    store_module.set_store_wait(0.5)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with TestClient(app) as client:
            api = client.get("/api/v1/indicators")
            page = client.get("/")
        assert api.status_code == 503 and api.headers["retry-after"] == "10"
        assert f"in use by process {holder.pid}" in api.json()["detail"]
        assert page.status_code == 503 and f"process {holder.pid}" in page.text
    finally:
        store_module.set_store_wait(None)
        holder.communicate("\n", timeout=30)
    with TestClient(app) as client:
        assert client.get("/api/v1/indicators").status_code == 200
