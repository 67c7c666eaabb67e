"""A folder of web pages served read-only on 127.0.0.1 while it is audited (a thread)."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import Any


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Files of the folder only: no directory listings, no logging."""

    def list_directory(self, path: str | Path) -> None:  # type: ignore[override]
        self.send_error(404, "Not found")
        return None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base signature)
        pass


class FolderServer:
    """Serve ``root`` on 127.0.0.1 (a free port) for a ``with`` block; :attr:`port` is the port.

    Only files under ``root`` are served (``http.server`` refuses paths that leave it).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Handler, directory=str(self.root)))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="ssckit-access-serve")

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> FolderServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
