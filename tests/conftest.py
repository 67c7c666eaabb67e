"""Fixtures shared by every module's tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
LEAFLET = Path("/usr/share/javascript/leaflet/leaflet.js")
#: Marks of a test that drives a Leaflet map page in Chromium (both installed by scripts/setup).
MAP_BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium "
                       "(apt-get install chromium)"),
    pytest.mark.skipif(not LEAFLET.is_file(), reason="needs Debian's libjs-leaflet "
                       "(scripts/setup)"),
]


def watched_page(browser, problems: list[str], width: int = 1400, height: int = 900):
    """A new Chromium page (its own context, the CSP bypassed so that axe-core can be injected
    as the audits do) whose console errors and uncaught exceptions go into ``problems``."""
    page = browser.new_context(bypass_csp=True,
                               viewport={"width": width, "height": height}).new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page


def axe_violations(page) -> list[tuple[str, list]]:
    """axe-core's WCAG 2.2 A/AA violations on a Playwright page, as (rule, element targets)."""
    from ssckit.access.audit import _RUN_AXE, axe_options, axe_script, page_from_axe

    page.add_script_tag(content=axe_script())
    audit = page_from_axe(page.url, page.evaluate(_RUN_AXE, axe_options(True)))
    return [(f.rule, [n.target for n in f.nodes]) for f in audit.violations]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The published reference data folder (../shared/data); tests skip, loudly, without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent; these tests need it")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete sample-city workspace with every indicator computed (built once per run)."""
    from ssckit.core.store import Store
    from ssckit.core.workspace import Workspace
    from ssckit.demo.generate import write_sample_city
    from ssckit.pipeline import run_all

    root = tmp_path_factory.mktemp("sample-city")
    write_sample_city(root, seed=7)
    ws = Workspace.load(root)
    with Store.open(ws.store_path) as store:
        run_all(ws, store)
    return root


@pytest.fixture
def artifacts_dir() -> Path:
    """Folder for screenshots and other files a person may want to look at after the tests."""
    d = ROOT / "test-artifacts"
    d.mkdir(exist_ok=True)
    return d


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_server(demo_workspace: Path, tmp_path: Path) -> Iterator[str]:
    """The sample city served for real (a private copy)."""
    root = tmp_path / "sample-city"
    shutil.copytree(demo_workspace, root)
    yield from serve_workspace(root)


def serve_workspace(workspace_dir: Path) -> Iterator[str]:
    """Serve ``workspace_dir`` with the real app (uvicorn, child process); yield its URL."""
    port = _free_port()
    code = ("import sys; from pathlib import Path; from ssckit.web.cli import run_server; "
            "run_server(Path(sys.argv[1]), '127.0.0.1', int(sys.argv[2]))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(workspace_dir), str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/login", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"server did not start:\n{out}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture
def browser_page() -> Iterator[object]:
    """A Playwright page in Debian Chromium; collects console errors in ``page.problems``."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.problems = problems  # type: ignore[attr-defined]
            yield page
        finally:
            browser.close()
