"""We are our own first customer: `ssckit serve` behind a TLS terminator, scanned by our own
scanner, must grade A or better; and the sample city's local services scan as designed.

Everything listens on 127.0.0.1 (nginx from ssckit.cyber.locallab, uvicorn) and the scanner
runs loopback-only.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.cyber import demo
from ssckit.cyber.locallab import MODERN_CIPHERS, NGINX, NginxLab, Site
from ssckit.cyber.model import ServiceResult, Status
from ssckit.cyber.scan import ScanOptions, scan_targets
from ssckit.cyber.scoring import score_service
from ssckit.cyber.store import load_scan, scan_ids
from ssckit.cyber.targets import load_targets, parse_targets

pytestmark = pytest.mark.skipif(NGINX is None, reason="needs Debian nginx (apt-get install nginx)")


class TlsTerminator(NginxLab):
    """nginx in front of the app: TLS 1.2/1.3 with modern ciphers and ECDHE groups, a
    certificate from the lab's local CA, and a plain-HTTP port answering 301 to HTTPS. It adds
    no header of its own: every security header must come from the app."""

    def __init__(self, folder: Path, upstream: str, host: str) -> None:
        super().__init__(folder, [Site("ssckit", host=host)])
        self.upstream = upstream

    def _site_conf(self, site: Site) -> str:
        crt, key = self.ca.issue(site.name, [site.host])
        site.tls_port = site.tls_port or self._port()
        site.http_port = site.http_port or self._port()
        return f"""
  server {{
    listen 127.0.0.1:{site.tls_port} ssl;
    server_name {site.host};
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
    listen 127.0.0.1:{site.http_port};
    server_name {site.host};
    return 301 https://$host:{site.tls_port}$request_uri;
  }}
"""


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
    site = behind_tls.sites[0]
    entry = {**behind_tls.targets()[0], "url": f"https://{site.host}:{site.tls_port}/login"}
    targets = parse_targets({"services": [entry]}, "self-scan")
    (result,) = scan_targets(targets, ScanOptions(timeout=60, connect_timeout=5,
                                                  loopback_only=True)).results
    cookies = result.finding("cookies.flags")
    assert cookies is not None and cookies.status == Status.PASS, _report(result)


def test_sample_city_services(workspace: Path):
    """The sample city's local services, started and stopped around the pipeline step."""
    cfg = yaml.safe_load((workspace / "city.yaml").read_text())
    cfg["inputs"] = {"cyber": demo.write_demo_inputs(workspace, "Riverbend")}
    cfg["settings"] = {"cyber": {"local_lab": True}}
    (workspace / "city.yaml").write_text(yaml.safe_dump(cfg))
    ws = Workspace.load(workspace)
    with Store.open(ws.store_path) as store:
        values = demo.compute(ws, store)
        scan = load_scan(store, scan_ids(store)[-1])
    by = {r.name: r for r in scan.results}
    report = "\n".join(_report(r) for r in scan.results)
    assert score_service(by["portal"]).grade == "A+", report
    assert score_service(by["intranet"]).grade == "F", report
    assert by["intranet"].finding("tls.protocols").status == Status.FAIL, report
    assert by["permits"].finding("cert.expiry").status == Status.WARN, report
    assert not by["library"].reachable and "refused" in (by["library"].error or "")
    ids = {(v.indicator, v.entity) for v in values}
    assert ("cyber:mean_score", "city") in ids and ("cyber:score", "service:portal") in ids
    assert ("cyber:score", "service:library") not in ids
    # the services are stopped again
    port = urlsplit(by["portal"].url).port
    assert port is not None and demo._port_free(port)
    # a taken port is replaced by a free one and the targets file rewritten
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        with demo.local_services(workspace) as running:
            doc = yaml.safe_load(running.targets.read_text())
            portal = next(s for s in doc["services"] if s["name"] == "portal")
            assert urlsplit(portal["url"]).port != port
            assert load_targets(running.targets).services[0].name == "portal"
