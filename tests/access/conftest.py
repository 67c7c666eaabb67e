"""Fixtures of the access tests: a local web site with known defects, served on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SITE = Path(__file__).parent / "site"
CHROMIUM = Path("/usr/bin/chromium")

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian Chromium at /usr/bin/chromium "
    "(scripts/setup --test)")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, plus a sitemap naming a few pages by their absolute URL."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/sitemap.xml":
            base = f"http://{self.headers['Host']}"
            body = ("<?xml version='1.0' encoding='UTF-8'?>"
                    "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                    f"<url><loc>{base}/clean.html</loc></url>"
                    f"<url><loc>{base}/form.html#x</loc></url>"
                    "<url><loc>http://example.com/other.html</loc></url>"
                    "</urlset>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 in a thread; yield its base URL (ending in ``/``)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def site_url() -> Iterator[str]:
    """The test site, served read-only for the whole run."""
    yield from serve(SITE)


@pytest.fixture
def site_copy(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A private copy of the test site (to change between audits) and its URL."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    for url in serve(root):
        yield root, url


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A minimal city workspace (city.yaml and a boundary) for the store."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "boundary.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1000, 0], [1000, 1000], '
        '[0, 0]]]}}]}')
    (root / "city.yaml").write_text(
        "name: Testville\ncountry: XX\nyear: 2026\ncrs: 'EPSG:32636'\n"
        "boundary: boundary.geojson\nsynthetic: true\n")
    return root
