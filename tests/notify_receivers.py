"""Real local receivers for notices in tests: a webhook HTTP server and an SMTP server."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import _free_port


class WebhookReceiver:
    """A webhook receiver on 127.0.0.1 (running from creation) that keeps each POST's headers
    and body; with ``refuse_status`` its first request is answered with that status instead."""

    def __init__(self, refuse_status: int | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.refused = 0 if refuse_status is not None else 1
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hooks.refused == 0:
                    hooks.refused += 1
                    self.send_response(refuse_status or 500)
                else:
                    hooks.received.append(({k.lower(): v for k, v in self.headers.items()},
                                           body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def local_mailbox() -> Iterator[tuple[int, list]]:
    """An aiosmtpd SMTP server on 127.0.0.1: yields its port and the list of envelopes."""
    from aiosmtpd.controller import Controller

    got: list = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
            got.append(envelope)
            return "250 OK"

    ctl = Controller(Sink(), hostname="127.0.0.1", port=_free_port(), ready_timeout=10)
    ctl.start()
    try:
        yield ctl.port, got
    finally:
        ctl.stop()
