"""Real local services for the cyber tests: web sites of the local lab (served by this process),
a tiny DNS server, SMTP with STARTTLS.

Everything listens on 127.0.0.1 and the scanner runs in loopback-only mode, so nothing is ever
sent elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from ssckit.core.sample import SampleCity
from ssckit.cyber.locallab import Lab, LocalCA, Site, free_port
from ssckit.cyber.netpolicy import ENV_LOOPBACK_ONLY
from ssckit.cyber.scan import Scan, ScanOptions, scan_targets
from ssckit.cyber.targets import parse_targets


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_LOOPBACK_ONLY, "1")


BAD_HEADERS = {
    "Strict-Transport-Security": "max-age=3600",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline' "
                               "'unsafe-eval' *",
    "Referrer-Policy": "unsafe-url",
}
EXPIRED_TXT = "Contact: mailto:security@city.test\nExpires: 2020-01-01T00:00:00Z\n"
LEGACY_CIPHERS = "ECDHE-RSA-AES128-SHA:AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256"
OCSP_URL = "http://ocsp.city.test/"  # named in certificates; never fetched (stapling only)


def lab_sites() -> list[Site]:
    return [
        Site("good", host="good.city.test"),
        Site("legacy", host="legacy.city.test", protocols="TLSv1 TLSv1.1 TLSv1.2",
             ciphers=LEGACY_CIPHERS, cert_key="rsa2048"),
        Site("phaseout", host="phaseout.city.test", protocols="TLSv1.2",
             ciphers="ECDHE-RSA-AES128-SHA256", cert_key="rsa2048"),
        Site("expired", host="expired.city.test", cert_days=(-400, -10)),
        Site("expiring", host="expiring.city.test", cert_days=(-300, 10)),
        Site("wronghost", host="wronghost.city.test", cert_hosts=["other.city.test"]),
        Site("weakcert", host="weakcert.city.test", cert_key="rsa1024", cert_hash="sha1"),
        Site("bare", host="bare.city.test", headers={}, cookies=[], security_txt=None,
             redirect_http=False),
        Site("badheaders", host="badheaders.city.test", headers=dict(BAD_HEADERS),
             cookies=["sessionid=abc; Path=/"], security_txt=EXPIRED_TXT),
        Site("plain", host="plain.city.test", plain=True),
        # Misconfigured on purpose: honours client-initiated renegotiation (TLS 1.2 only).
        Site("reneg", host="reneg.city.test", protocols="TLSv1.2", client_renegotiation=True),
        # Misconfigured on purpose: IPv4 only (no address6, no AAAA for its name).
        Site("v4only", host="v4only.city.test", ipv6=False),
        # Certificate Transparency: 3 embedded SCTs (enough for a year), and only 1.
        Site("ct", host="ct.city.test", cert_scts=3),
        Site("ctfew", host="ctfew.city.test", cert_scts=1),
        # Names an OCSP responder but staples nothing (Python's ssl cannot staple; see
        # ocsp_lab for nginx stapling).
        Site("nostaple", host="nostaple.city.test", cert_ocsp_url=OCSP_URL),
    ]


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """Every test site (good and bad configurations), served on 127.0.0.1."""
    with Lab(lab_sites()) as running:
        yield running


@pytest.fixture(scope="session")
def lab_targets(lab: Lab) -> dict:
    """A targets mapping: every site, plus a refused port and an unresolvable host."""
    services = lab.targets()
    services.append({"name": "refused", "url": f"https://refused.city.test:{free_port()}/",
                     "address": "127.0.0.1"})
    services.append({"name": "nowhere", "url": "https://nowhere.invalid/"})
    return {"services": services}


@pytest.fixture(scope="session")
def lab_scan(lab_targets: dict) -> Scan:
    """The whole lab scanned once, concurrently (loopback-only)."""
    targets = parse_targets(lab_targets, "lab")
    return scan_targets(targets, ScanOptions(concurrency=6, timeout=60, connect_timeout=3,
                                             loopback_only=True))


@pytest.fixture(scope="session")
def results(lab_scan: Scan) -> dict:
    return {r.name: r for r in lab_scan.results}


# -- DNS ---------------------------------------------------------------------------------------
class TinyDns:
    """An authoritative-only UDP DNS server on 127.0.0.1 answering from a dict.

    ``records``: (name, type) -> list of rdata texts; names under a ``signed`` domain get the AD
    flag (as a validating resolver would set it)."""

    def __init__(self, records: dict[tuple[str, str], list[str]], signed: set[str]) -> None:
        import dns.flags
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset

        self._dns = (dns.flags, dns.message, dns.rcode, dns.rdatatype, dns.rrset)
        self.records = {(n.lower().rstrip(".") + ".", t): v for (n, t), v in records.items()}
        self.names = {n for n, _ in self.records}
        self.signed = {s.rstrip(".") + "." for s in signed}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _answer(self, wire: bytes) -> bytes:
        flags, message, rcode, rdatatype, rrset = self._dns
        q = message.from_wire(wire)
        r = message.make_response(q)
        r.flags |= flags.AA
        question = q.question[0]
        name = question.name.to_text().lower()
        rtype = rdatatype.to_text(question.rdtype)
        data = self.records.get((name, rtype))
        if data:
            r.answer.append(rrset.from_text(question.name, 300, "IN", rtype, *data))
        elif name not in self.names:
            r.set_rcode(rcode.NXDOMAIN)
        if any(name == s or name.endswith("." + s) for s in self.signed):
            r.flags |= flags.AD
        return r.to_wire()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.sock.sendto(self._answer(wire), peer)

    def __enter__(self) -> TinyDns:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


DS = "12345 13 2 " + "ab" * 32


@pytest.fixture(scope="session")
def mail_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA(tmp_path_factory.mktemp("mail-ca"))


@pytest.fixture(scope="session")
def smtp_servers(mail_ca: LocalCA) -> Iterator[dict[str, Any]]:
    """Two aiosmtpd servers on 127.0.0.1: one with STARTTLS (also on ::1, same port), one
    without; ``spki_sha256``: the SHA-256 of the STARTTLS server's public key (its DANE-EE
    TLSA data, RFC 6698 2.1.2-2.1.3)."""
    pytest.importorskip("aiosmtpd", reason="needs aiosmtpd for the local SMTP server")
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
            return "250 OK"

    crt, key = mail_ca.issue("mx", ["mail.city.test"])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(crt, key)
    with_tls = Controller(Sink(), hostname="127.0.0.1", port=free_port(), tls_context=ctx,
                         require_starttls=False, server_hostname="mail.city.test",
                         ready_timeout=10)
    without = Controller(Sink(), hostname="127.0.0.1", port=free_port(),
                         server_hostname="mx.weak.test", ready_timeout=10)
    with_tls.start()
    with_tls6 = Controller(Sink(), hostname="::1", port=with_tls.port, tls_context=ctx,
                           require_starttls=False, server_hostname="mail.city.test",
                           ready_timeout=10)
    with_tls6.start()
    without.start()
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        yield {"tls": with_tls.port, "plain": without.port,
               "spki_sha256": hashlib.sha256(spki).hexdigest()}
    finally:
        with_tls.stop()
        with_tls6.stop()
        without.stop()


def dkim_txt(bits: int) -> str:
    """A DKIM key record (RFC 6376 3.6.1) for a fresh RSA public key of ``bits``, in 255-byte
    TXT strings. Under 1024 bits the key is built from a random odd modulus: only its size is
    judged, and current OpenSSL refuses to generate such keys."""
    import base64
    import secrets

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if bits >= 1024:
        public = rsa.generate_private_key(65537, bits).public_key()
    else:
        n = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        public = rsa.RSAPublicNumbers(65537, n).public_key()
    der = public.public_bytes(serialization.Encoding.DER,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
    text = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    return " ".join(f'"{text[i:i + 255]}"' for i in range(0, len(text), 255))


@pytest.fixture(scope="session")
def dns_server(smtp_servers: dict[str, Any]) -> Iterator[TinyDns]:
    tlsa = f"_{smtp_servers['tls']}._tcp"  # RFC 7672: _25._tcp; the lab's SMTP port here
    good_tlsa = f"3 1 1 {smtp_servers['spki_sha256']}"
    records = {
        # DANE (RFC 7672): mail.city.test matches in a signed zone; danebad.test (signed)
        # publishes a TLSA record that matches nothing; daneplain.test a matching one in an
        # unsigned zone (unusable). mail.city.test also has an AAAA record (SMTP on ::1).
        (f"{tlsa}.mail.city.test", "TLSA"): [good_tlsa],
        ("mail.city.test", "AAAA"): ["::1"],
        ("danebad.test", "SOA"): ["ns.danebad.test. admin.danebad.test. 1 3600 600 86400 300"],
        ("danebad.test", "MX"): ["10 mx.danebad.test."],
        ("mx.danebad.test", "A"): ["127.0.0.1"],
        (f"{tlsa}.mx.danebad.test", "TLSA"): ["3 1 1 " + "00" * 32],
        ("daneplain.test", "SOA"): ["ns.daneplain.test. admin.daneplain.test. 1 3600 600 "
                                    "86400 300"],
        ("daneplain.test", "MX"): ["10 mx.daneplain.test."],
        ("mx.daneplain.test", "A"): ["127.0.0.1"],
        (f"{tlsa}.mx.daneplain.test", "TLSA"): [good_tlsa],
        # Mail authentication: good at city.test, misconfigured on purpose at weak.test
        # (512-bit DKIM key, MTA-STS id empty, TLS-RPT without rua).
        ("mail2026._domainkey.city.test", "TXT"): [dkim_txt(2048)],
        ("_mta-sts.city.test", "TXT"): ["\"v=STSv1; id=20260105T080000\""],
        ("_smtp._tls.city.test", "TXT"): ["\"v=TLSRPTv1; rua=mailto:tls-reports@city.test\""],
        ("mta-sts.city.test", "A"): ["127.0.0.1"],
        ("mail2026._domainkey.weak.test", "TXT"): [dkim_txt(512)],
        ("_mta-sts.weak.test", "TXT"): ["\"v=STSv1; id=\""],
        ("_smtp._tls.weak.test", "TXT"): ["\"v=TLSRPTv1;\""],
        ("city.test", "SOA"): ["ns.city.test. admin.city.test. 1 3600 600 86400 300"],
        ("city.test", "TXT"): ["\"v=spf1 mx -all\""],
        ("_dmarc.city.test", "TXT"): ["\"v=DMARC1; p=reject; rua=mailto:dmarc@city.test\""],
        ("city.test", "MX"): ["10 mail.city.test."],
        ("city.test", "DS"): [DS],
        ("mail.city.test", "A"): ["127.0.0.1"],
        ("weak.test", "SOA"): ["ns.weak.test. admin.weak.test. 1 3600 600 86400 300"],
        ("weak.test", "TXT"): ["\"v=spf1 a ?all\""],
        ("_dmarc.weak.test", "TXT"): ["\"v=DMARC1; p=none\""],
        ("weak.test", "MX"): ["10 mx.weak.test."],
        ("mx.weak.test", "A"): ["127.0.0.1"],
        # sts.test: a valid MTA-STS record whose policy file is broken (served by mta_sts_lab).
        ("sts.test", "SOA"): ["ns.sts.test. admin.sts.test. 1 3600 600 86400 300"],
        ("_mta-sts.sts.test", "TXT"): ["\"v=STSv1; id=2026a\""],
        ("mta-sts.sts.test", "A"): ["127.0.0.1"],
        ("nomail.test", "SOA"): ["ns.nomail.test. admin.nomail.test. 1 3600 600 86400 300"],
        ("outside.test", "SOA"): ["ns.outside.test. admin.outside.test. 1 3600 600 86400 300"],
        ("outside.test", "MX"): ["10 mx.outside.test."],
        ("mx.outside.test", "A"): ["192.0.2.25"],  # TEST-NET-1: must never be contacted
    }
    with TinyDns(records, signed={"city.test", "danebad.test"}) as server:
        yield server


GOOD_STS_POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mail.city.test\r\nmax_age: 604800\r\n"
#: Misconfigured on purpose: enforce without an mx line, max_age over RFC 8461's one year.
BAD_STS_POLICY = "version: STSv1\r\nmode: enforce\r\nmax_age: 99999999\r\n"


@pytest.fixture(scope="session")
def mta_sts_lab() -> Iterator[dict[str, object]]:
    """The MTA-STS policy hosts of city.test (good) and sts.test (broken policy) over HTTPS."""
    path = "/.well-known/mta-sts.txt"
    good = Site("sts-good", host="mta-sts.city.test", security_txt=None,
                files={path: GOOD_STS_POLICY})
    bad = Site("sts-bad", host="mta-sts.sts.test", security_txt=None,
               files={path: BAD_STS_POLICY})
    with Lab([good, bad]) as lab:
        yield {"city.test": good.tls_port, "sts.test": bad.tls_port, "ca": lab.ca.bundle}


def write_workspace(root: Path) -> Path:
    """A minimal city workspace (city.yaml + boundary) for CLI tests that store results."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "boundary.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        '"geometry": {"type": "Polygon", "coordinates": [[[500000, 0], [501000, 0], '
        '[501000, 1000], [500000, 1000], [500000, 0]]]}}]}')
    (root / "city.yaml").write_text(
        "name: Testville\ncountry: XX\nyear: 2026\ncrs: 'EPSG:32636'\n"
        "boundary: boundary.geojson\nsynthetic: true\n")
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_workspace(tmp_path / "city")


def sample_city(root: Path, name: str) -> SampleCity:
    """What the cyber sample writer reads of the demo's sample city: its folder and name (the
    town's rasters are not needed, so none is made)."""
    root.mkdir(parents=True, exist_ok=True)
    return SampleCity(root=root, name=name, years=(2026,), seed=7, town=None)  # type: ignore[arg-type]


# -- nginx (Debian's), for what Python's ssl cannot serve: OCSP stapling -----------------------
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


class Nginx:
    """nginx as a child process serving the ``servers`` blocks (http context) from ``folder``
    until exit; entering waits until every one of ``ports`` accepts connections."""

    def __init__(self, folder: Path, servers: str, ports: list[int]) -> None:
        self.folder, self.servers, self.ports = folder, servers, ports
        self.proc: subprocess.Popen[bytes] | None = None

    def _conf(self) -> str:
        f = self.folder
        user = "user root;\n" if os.geteuid() == 0 else ""
        return f"""{user}worker_processes 1;
pid {f}/nginx.pid;
error_log {f}/error.log;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {f}/tmp/body;
  proxy_temp_path {f}/tmp/proxy;
  fastcgi_temp_path {f}/tmp/fastcgi;
  uwsgi_temp_path {f}/tmp/uwsgi;
  scgi_temp_path {f}/tmp/scgi;
  server_tokens off;
{self.servers}
}}
"""

    def __enter__(self) -> Nginx:
        if NGINX is None:
            pytest.fail("needs Debian nginx (scripts/setup --test)")
        (self.folder / "tmp").mkdir(parents=True, exist_ok=True)
        conf = self.folder / "nginx.conf"
        conf.write_text(self._conf())
        self.proc = subprocess.Popen(
            [str(NGINX), "-p", str(self.folder), "-c", str(conf), "-e",
             str(self.folder / "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not all(listening(p) for p in self.ports):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                log = self.folder / "error.log"
                pytest.fail(f"nginx did not start: {log.read_text() if log.exists() else ''}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


def ocsp_response(ca: LocalCA, crt: Path, status: ocsp.OCSPCertStatus,
                  next_update_h: float = 24) -> bytes:
    """A DER OCSP response (RFC 6960) about ``crt`` signed by ``ca`` itself."""
    leaf = x509.load_pem_x509_certificate(crt.read_bytes())
    now = datetime.now(UTC)
    revoked = status == ocsp.OCSPCertStatus.REVOKED
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf, issuer=ca.cert, algorithm=hashes.SHA256(), cert_status=status,
        this_update=now - timedelta(hours=1 + max(0, -next_update_h)),
        next_update=now + timedelta(hours=next_update_h),
        revocation_time=now - timedelta(days=1) if revoked else None,
        revocation_reason=None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, ca.cert)
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="session")
def ocsp_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """nginx stapling a prepared OCSP response (ssl_stapling_file): good, revoked and an
    outdated one, each for a certificate naming the responder; ports by name, and the CA."""
    folder = tmp_path_factory.mktemp("ocsp-lab")
    ca = LocalCA(folder / "ca")
    cases = {"stapled": (ocsp.OCSPCertStatus.GOOD, 24),
             "revoked": (ocsp.OCSPCertStatus.REVOKED, 24),
             "staleocsp": (ocsp.OCSPCertStatus.GOOD, -2)}
    ports, blocks = {}, []
    for name, (status, hours) in cases.items():
        host = f"{name}.city.test"
        crt, key = ca.issue(name, [host], ocsp_url=OCSP_URL, folder=folder)
        der = folder / f"{name}.ocsp.der"
        der.write_bytes(ocsp_response(ca, crt, status, hours))
        ports[name] = free_port()
        blocks.append(f"""  server {{
    listen 127.0.0.1:{ports[name]} ssl;
    server_name {host};
    ssl_certificate {crt};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_stapling on;
    ssl_stapling_file {der};
    location / {{ return 200 "ok"; }}
  }}""")
    with Nginx(folder, "\n".join(blocks), list(ports.values())):
        yield {**ports, "ca": ca.bundle}
