"""The real server in a real browser: Debian Chromium through Playwright, CSP enforced."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium "
                       "(apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(workspace_dir: Path) -> Iterator[str]:
    """The real app served by uvicorn in a child process; yields its base URL."""
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


def test_scorecard_in_chromium(server: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(server + "/kpi/scorecard", wait_until="networkidle")
            assert page.title().startswith("Scorecard 2024")
            row = page.locator("tr", has=page.get_by_role("link", name="Household Internet Access"))
            assert row.is_visible()
            assert "87.5" in row.inner_text()
            # plotly drew the chart from the JSON block, under a CSP without inline script.
            page.wait_for_selector("#achievement-chart .main-svg", timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / "scorecard.png"), full_page=True)
        finally:
            browser.close()
    assert problems == [], problems
