"""We are our own first customer: `ssckit serve` behind a TLS terminator, scanned by our own
scanner, must grade A or better.

Everything listens on 127.0.0.1 (uvicorn, and nginx as the TLS terminator in front of it, as a
city would deploy it) and the scanner runs loopback-only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ssckit.cyber.locallab import MODERN_CIPHERS, LocalCA, free_port
from ssckit.cyber.model import ServiceResult, Status
from ssckit.cyber.scan import ScanOptions, scan_targets
from ssckit.cyber.scoring import score_service
from ssckit.cyber.targets import parse_targets
from tests.cyber.conftest import NGINX, Nginx

pytestmark = pytest.mark.skipif(NGINX is None, reason="needs Debian nginx (scripts/setup --test)")


class TlsTerminator:
    """nginx (a child process) in front of the app: TLS 1.2/1.3 with modern ciphers and ECDHE
    groups, a certificate from a local CA, and a plain-HTTP port answering 301 to HTTPS. It
    adds no header of its own: every security header must come from the app."""

    def __init__(self, folder: Path, upstream: str, host: str) -> None:
        self.folder, self.upstream, self.host = folder, upstream, host
        self.ca = LocalCA(folder / "ca")
        self.tls_port, self.http_port = free_port(), free_port()
        self._nginx: Nginx | None = None

    def _servers(self) -> str:
        crt, key = self.ca.issue("ssckit", [self.host])
        return f"""  server {{
    listen 127.0.0.1:{self.tls_port} ssl;
    server_name {self.host};
    ssl_certificate {crt};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers "{MODERN_CIPHERS}";
    ssl_prefer_server_ciphers off;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_session_tickets off;
    location / {{
      proxy_pass {self.upstream};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-For $remote_addr;
    }}
  }}
  server {{
    listen 127.0.0.1:{self.http_port};
    server_name {self.host};
    return 301 https://$host:{self.tls_port}$request_uri;
  }}"""

    def __enter__(self) -> TlsTerminator:
        self._nginx = Nginx(self.folder, self._servers(), [self.tls_port, self.http_port])
        self._nginx.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._nginx is not None:
            self._nginx.__exit__()
        self._nginx = None

    def targets(self, path: str = "/") -> list[dict[str, object]]:
        return [{"name": "ssckit", "url": f"https://{self.host}:{self.tls_port}{path}",
                 "http_url": f"http://{self.host}:{self.http_port}/", "address": "127.0.0.1",
                 "ca_bundle": str(self.ca.bundle)}]


def _report(result: ServiceResult) -> str:
    score = score_service(result)
    lines = [f"{result.name}: grade {score.grade}, score {score.score}, error {result.error}",
             f"modifiers: {score.modifiers}"]
    lines += [f"  {f.status.value:5} {f.check}: {f.detail}" + (f" -> {f.remediation}"
                                                               if f.remediation else "")
              for f in result.findings]
    return "\n".join(lines)


@pytest.fixture
def behind_tls(demo_server: str, tmp_path: Path) -> Iterator[TlsTerminator]:
    """The sample city served by uvicorn, behind nginx terminating TLS."""
    with TlsTerminator(tmp_path / "tls", demo_server, "dashboard.riverbend.test") as proxy:
        yield proxy


def test_our_server_grades_a_or_better(behind_tls: TlsTerminator):
    targets = parse_targets({"services": behind_tls.targets()}, "self-scan")
    scan = scan_targets(targets, ScanOptions(timeout=60, connect_timeout=5, loopback_only=True))
    (result,) = scan.results
    report = _report(result)
    print(report)
    assert result.reachable, report
    assert score_service(result).grade in ("A+", "A"), report
    by = {f.check: f for f in result.findings}
    for check in ("http.https", "http.redirect", "headers.hsts", "headers.csp", "headers.framing",
                  "headers.xcto", "headers.referrer_policy", "headers.permissions_policy",
                  "security_txt", "tls.protocols", "tls.ciphers", "cert.trust"):
        assert by[check].status == Status.PASS, report
    assert by["cookies.flags"].status in (Status.PASS, Status.NOT_APPLICABLE), report


def test_login_cookie_through_the_proxy_is_secure(behind_tls: TlsTerminator):
    """The one page that sets a cookie anonymously (login) also passes the cookie check."""
    targets = parse_targets({"services": behind_tls.targets("/login")}, "self-scan")
    (result,) = scan_targets(targets, ScanOptions(timeout=60, connect_timeout=5,
                                                  loopback_only=True)).results
    cookies = result.finding("cookies.flags")
    assert cookies is not None and cookies.status == Status.PASS, _report(result)
