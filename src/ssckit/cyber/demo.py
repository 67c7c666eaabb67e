"""The sample city's cyber inputs: local web services to scan and GCI self-assessment answers.

The sample city's "public services" are local test services on 127.0.0.1 (nginx, started from
the workspace's ``run/cyber-lab/`` folder by :func:`start_local_services`), each in a typical
configuration:

========  ====================================================================================
portal    the city portal, configured well (TLS 1.2/1.3, modern ciphers, every header)
intranet  an old intranet: TLS 1.0/1.1 still on, legacy ciphers, weak headers, a login cookie
          without flags, no HTTPS redirect, no security.txt
permits   a permits site whose certificate expires in ten days
library   a library catalogue whose port refuses connections (reported unreachable)
========  ====================================================================================

Host names are ``<service>.<city>.test`` (RFC 6761: never resolvable on the internet); every
target names ``address: 127.0.0.1``, so a scan never looks them up. The certificates come from a
throw-away local CA (``run/cyber-lab/ca/ca.pem``), made when the inputs are written.

city.yaml::

    inputs:
      cyber: {targets: cyber_targets.yaml, answers: cyber_answers.yaml}
    settings:
      cyber:
        local_lab: true          # start the local services around the scan (sample city only)
        loopback_only: true      # default; false to scan a real city's public services
        security_contact: mailto:security@city.example   # security.txt of `ssckit serve`

:func:`compute` is the pipeline step: it starts the services (when ``local_lab``), scans them,
stores the scan and returns the ``cyber:*`` indicator values. Without nginx it returns no values
and says why; the rest of the demo goes on.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ssckit.core.errors import InputError
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import CONFIG_NAME, Workspace
from ssckit.cyber import gci
from ssckit.cyber.locallab import NGINX, LocalCA, NginxLab, Site, free_port
from ssckit.cyber.scan import ScanOptions, scan_targets
from ssckit.cyber.scoring import indicator_values, score_service
from ssckit.cyber.store import save_scan
from ssckit.cyber.targets import load_targets

TARGETS_FILE = "cyber_targets.yaml"
ANSWERS_FILE = "cyber_answers.yaml"
LAB_DIR = Path("run") / "cyber-lab"
CA_BUNDLE = LAB_DIR / "ca" / "ca.pem"
#: First port of the sample city's services (two per service: HTTPS, then plain HTTP). Taken
#: ports are replaced by free ones when the services start.
BASE_PORT = 18440

LEGACY_CIPHERS = "ECDHE-RSA-AES128-SHA:AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256"
WEAK_HEADERS = {
    "Strict-Transport-Security": "max-age=86400",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "unsafe-url",
}

#: Service name -> (tags, configuration of its local site; ``None``: nothing listens).
SERVICES: dict[str, tuple[list[str], dict[str, Any] | None]] = {
    "portal": (["citizen"], {}),
    "intranet": (["staff"], {
        "protocols": "TLSv1 TLSv1.1 TLSv1.2", "ciphers": LEGACY_CIPHERS, "cert_key": "rsa2048",
        "headers": WEAK_HEADERS, "cookies": ["JSESSIONID=5f2a9c41; Path=/"],
        "security_txt": None, "redirect_http": False}),
    "permits": (["citizen", "payments"], {"cert_days": (-355, 10)}),
    "library": (["citizen"], None),
}

#: Synthetic self-assessment: the questions answered "no" (everything else is "yes").
ANSWERED_NO = {"L2.4", "T1.3", "T2.3", "T3.2", "O1.3", "O3.2", "C1.2", "C2.2", "C3.1", "C3.2",
               "P1.1"}
#: Left unanswered (counted as "no" and listed).
UNANSWERED = {"P3.2"}


def note(message: str) -> None:
    """Tell the person running the demo something went differently (stderr)."""
    from ssckit.core.cli_support import err_console

    err_console.print(f"[yellow]note:[/] {message}", highlight=False, soft_wrap=True)


def city_domain(city_name: str) -> str:
    """``<city>.test``: the sample city's services' domain (RFC 6761 reserved name)."""
    slug = "".join(c if c.isalnum() else "-" for c in city_name.lower()).strip("-") or "city"
    return f"{slug}.test"


# -- writing the inputs -----------------------------------------------------------------------
def _targets_doc(domain: str, ports: dict[str, tuple[int, int]]) -> dict[str, Any]:
    services = []
    for name, (tags, _) in SERVICES.items():
        tls_port, http_port = ports[name]
        host = f"{name}.{domain}"
        services.append({
            "name": name, "url": f"https://{host}:{tls_port}/",
            "http_url": f"http://{host}:{http_port}/", "address": "127.0.0.1",
            "ca_bundle": CA_BUNDLE.as_posix(), "tags": ["sample", *tags]})
    return {"services": services}


def _write_targets(path: Path, doc: dict[str, Any]) -> None:
    header = ("# The sample city's public web services (synthetic): local test services on\n"
              "# 127.0.0.1, started by `ssckit demo` around the scan (settings.cyber.local_lab).\n"
              "# Ports are rewritten when a default port is taken.\n")
    path.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")


def write_answers(path: Path, city_name: str) -> None:
    """A synthetic, plausible GCI-style answers file (a mid-tier city with gaps)."""
    q = gci.load_questionnaire()
    answers: dict[str, Any] = {}
    for p in q.pillars:
        for ind in p.indicators:
            for x in ind.questions:
                if x.id in UNANSWERED:
                    continue
                if x.id in ANSWERED_NO:
                    answers[x.id] = {"answer": "no", "note": "planned; not in place yet"}
                else:
                    answers[x.id] = {"answer": "yes",
                                     "evidence": f"{city_name} (synthetic) document "
                                                 f"{ind.id}-{x.id}, {ind.name.lower()}"}
    doc = {"respondent": f"{city_name} digital office (synthetic sample data)",
           "date": "2026-03-01", "answers": answers}
    path.write_text("# Synthetic self-assessment answers of the sample city (not a real "
                    "city).\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")


def write_demo_inputs(root: Path, city_name: str) -> dict[str, str]:
    """Write ``cyber_targets.yaml`` and ``cyber_answers.yaml`` into the workspace ``root``
    (and a placeholder CA bundle, so the targets file validates before the services ever
    started); return the ``inputs.cyber`` entry of city.yaml."""
    root = Path(root)
    ports = {name: (BASE_PORT + 2 * i, BASE_PORT + 2 * i + 1)
             for i, name in enumerate(SERVICES)}
    _write_targets(root / TARGETS_FILE, _targets_doc(city_domain(city_name), ports))
    local_ca(root / CA_BUNDLE.parent)
    write_answers(root / ANSWERS_FILE, city_name)
    return {"targets": TARGETS_FILE, "answers": ANSWERS_FILE}


def local_ca(folder: Path) -> LocalCA:
    """The workspace's throw-away CA: made once (``ca.pem``, and ``ca.key`` readable by the
    owner only), reused at every start so that ``ca.pem`` stays the anchor of the targets."""
    folder = Path(folder)
    key_path, pem = folder / "ca.key", folder / "ca.pem"
    if key_path.is_file() and pem.is_file():
        ca = LocalCA.__new__(LocalCA)
        ca.folder, ca.bundle = folder, pem
        ca.key = serialization.load_pem_private_key(key_path.read_bytes(), None)  # type: ignore[assignment]
        ca.cert = x509.load_pem_x509_certificate(pem.read_bytes())
        return ca
    ca = LocalCA(folder)
    data = ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return ca


# -- starting and stopping the services -------------------------------------------------------
def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx does
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _read_ports(doc: dict[str, Any]) -> dict[str, tuple[int, int]]:
    out = {}
    for s in doc.get("services", []):
        if s.get("name") in SERVICES:
            tls = urlsplit(s["url"]).port or 443
            http = urlsplit(s.get("http_url") or "http://x/").port or 80
            out[s["name"]] = (tls, http)
    return out


def _fresh_ports(names: list[str]) -> dict[str, tuple[int, int]]:
    taken: set[int] = set()

    def one() -> int:
        while (p := free_port()) in taken:
            pass
        taken.add(p)
        return p

    return {n: (one(), one()) for n in names}


@dataclass
class LocalServices:
    """The sample city's running local services (one nginx child process)."""

    lab: NginxLab | None
    targets: Path

    def stop(self) -> None:
        if self.lab is not None:
            self.lab.stop()

    def __enter__(self) -> LocalServices:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_local_services(root: Path, retry: bool = True) -> LocalServices:
    """Start the services listed in ``root/cyber_targets.yaml`` on 127.0.0.1 (nginx, files in
    ``root/run/cyber-lab``); ports that are taken are replaced by free ones and the targets
    file rewritten. Raises ``RuntimeError`` without nginx or when it does not start."""
    root = Path(root)
    path = root / TARGETS_FILE
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    ports = _read_ports(doc)
    busy = [p for name, (tls, http) in ports.items()
            for p in ((tls, http) if SERVICES[name][1] is not None else (tls,))
            if not _port_free(p)]
    if busy:
        ports = _fresh_ports(list(ports))
    sites = []
    for s in doc["services"]:
        spec = SERVICES.get(s["name"], (None, None))[1]
        if s["name"] in ports:
            tls, http = ports[s["name"]]
            host = urlsplit(s["url"]).hostname or "localhost"
            s["url"], s["http_url"] = f"https://{host}:{tls}/", f"http://{host}:{http}/"
            if spec is not None:
                sites.append(Site(s["name"], host=host, tls_port=tls, http_port=http, **spec))
    if busy:
        _write_targets(path, doc)
    folder = root / LAB_DIR
    lab = NginxLab(folder, sites, local_ca(root / CA_BUNDLE.parent))
    try:
        lab.start()
    except RuntimeError:
        if not retry:
            raise
        # A port was taken between the check and nginx's start: once more on fresh ports.
        _write_targets(path, _targets_doc(_domain_of(doc), _fresh_ports(list(ports))))
        return start_local_services(root, retry=False)
    return LocalServices(lab, path)


def _domain_of(doc: dict[str, Any]) -> str:
    host = urlsplit(doc["services"][0]["url"]).hostname or "city.test"
    return host.split(".", 1)[1] if "." in host else host


@contextlib.contextmanager
def local_services(root: Path) -> Iterator[LocalServices]:
    """The sample city's services running for the duration of a ``with`` block."""
    running = start_local_services(root)
    try:
        yield running
    finally:
        running.stop()


# -- the pipeline step ------------------------------------------------------------------------
@dataclass(frozen=True)
class CyberSettings:
    local_lab: bool = False
    loopback_only: bool = True


def cyber_settings(ws: Workspace) -> CyberSettings:
    """``settings.cyber`` of city.yaml (``security_contact`` is the web app's, see
    :func:`ssckit.web.security.security_contacts`)."""
    raw = ws.config.settings.get("cyber", {})
    values = {}
    for key in ("local_lab", "loopback_only"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise InputError(str(ws.root / CONFIG_NAME), f"field 'settings.cyber.{key}'",
                                 f"{raw[key]!r} is not true or false")
            values[key] = raw[key]
    return CyberSettings(**values)


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Scan ``inputs.cyber.targets`` (starting the local services first when
    ``settings.cyber.local_lab``), store the scan, return the ``cyber:*`` indicator values.

    Without nginx (or when it cannot start) the local services cannot run: no values, a note.
    """
    path = ws.input_path("cyber", "targets")
    if path is None:
        return []
    settings = cyber_settings(ws)
    running: LocalServices | None = None
    if settings.local_lab:
        if NGINX is None:
            note("nginx is not installed, so the sample city's local web services cannot start "
                 "and the cyber scan is skipped (apt-get install nginx).")
            return []
        try:
            running = start_local_services(ws.root)
        except RuntimeError as exc:
            note(f"the sample city's local web services did not start, so the cyber scan is "
                 f"skipped: {str(exc).strip().splitlines()[0]}")
            return []
    try:
        targets = load_targets(path)
        rel = path.relative_to(ws.root).as_posix() if path.is_relative_to(ws.root) else str(path)
        scan = scan_targets(targets, ScanOptions(timeout=60, connect_timeout=5,
                                                 loopback_only=settings.loopback_only),
                            source=rel)
    finally:
        if running is not None:
            running.stop()
    save_scan(store, scan)
    scores = [score_service(r) for r in scan.results]
    return indicator_values(scores, scan.started_at.strftime("%Y-%m-%d"),
                            {"targets": rel, "scan_id": scan.scan_id,
                             "synthetic": ws.config.synthetic},
                            quality="D" if ws.config.synthetic else "B")
