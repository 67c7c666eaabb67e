"""Local services to scan: a throw-away CA and nginx sites on 127.0.0.1, good and bad.

Used by the tests, the benchmark and the sample city. Nothing here listens outside loopback.
Needs Debian's ``nginx`` (``scripts/setup --test``).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ssckit test CA")])


class LocalCA:
    """A private CA (EC P-256) that issues server certificates for the local sites."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (
            x509.CertificateBuilder().subject_name(_name("ssckit local test root"))
            .issuer_name(_name("ssckit local test root")).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=3650))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(ski, critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.bundle = self.folder / "ca.pem"
        self.bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, name: str, hosts: list[str], *, key: str = "ec256",
              days_valid: tuple[int, int] = (-1, 365), hash_name: str = "sha256",
              ) -> tuple[Path, Path]:
        """Write ``<name>.crt`` (leaf + nothing else: the CA is the anchor) and ``<name>.key``.

        ``key``: ``ec256``, ``rsa2048`` or ``rsa1024``; ``days_valid``: (start, end) in days
        from now; ``hash_name``: ``sha256`` or ``sha1``.
        """
        if key == "ec256":
            priv = ec.generate_private_key(ec.SECP256R1())
        else:
            priv = rsa.generate_private_key(public_exponent=65537, key_size=int(key[3:]))
        now = datetime.now(UTC)
        sans: list[x509.GeneralName] = []
        for h in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                sans.append(x509.DNSName(h))
        crt, keyfile = self.folder / f"{name}.crt", self.folder / f"{name}.key"
        keyfile.write_bytes(priv.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        if hash_name == "sha1":
            # cryptography refuses to sign with SHA-1; the openssl tool still can.
            self._issue_sha1(priv, hosts, days_valid, crt)
            return crt, keyfile
        cert = (
            x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(self.cert.subject)
            .public_key(priv.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=days_valid[0]))
            .not_valid_after(now + timedelta(days=days_valid[1]))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return crt, keyfile

    def _issue_sha1(self, priv: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
                    hosts: list[str], days_valid: tuple[int, int], crt: Path) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("a SHA-1 certificate needs the openssl tool")
        csr = (x509.CertificateSigningRequestBuilder().subject_name(_name(hosts[0]))
               .sign(priv, hashes.SHA256()))
        work = self.folder / f"{crt.stem}-sha1"
        work.mkdir(exist_ok=True)
        (work / "req.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
        (work / "ca.key").write_bytes(self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        sans = ",".join(f"DNS:{h}" for h in hosts)
        (work / "ext.cnf").write_text(f"subjectAltName={sans}\nbasicConstraints=critical,CA:FALSE\n"
                                      "extendedKeyUsage=serverAuth\n")
        subprocess.run([openssl, "x509", "-req", "-sha1", "-in", str(work / "req.csr"),
                        "-CA", str(self.bundle), "-CAkey", str(work / "ca.key"),
                        "-CAcreateserial", "-days", str(max(1, days_valid[1])),
                        "-extfile", str(work / "ext.cnf"), "-out", str(crt)],
                       check=True, capture_output=True)


GOOD_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
GOOD_COOKIE = "sid=abc123; Path=/; Secure; HttpOnly; SameSite=Lax"
MODERN_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
                 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:" \
                 "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"


@dataclass
class Site:
    """One local HTTPS service (and its plain-HTTP sibling) in a chosen configuration."""

    name: str
    host: str = "localhost"
    protocols: str = "TLSv1.2 TLSv1.3"
    ciphers: str = MODERN_CIPHERS
    cert_key: str = "ec256"
    cert_days: tuple[int, int] = (-1, 365)
    cert_hash: str = "sha256"
    cert_hosts: list[str] | None = None  # default: [host]
    headers: dict[str, str] = field(default_factory=lambda: dict(GOOD_HEADERS))
    cookies: list[str] = field(default_factory=lambda: [GOOD_COOKIE])
    security_txt: str | None = "default"
    redirect_http: bool = True
    plain: bool = False  # no TLS at all on the "TLS" port
    tls_port: int = 0
    http_port: int = 0

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.tls_port}/"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}/"


def default_security_txt(days: int = 180) -> str:
    expires = (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"Contact: mailto:security@city.test\nExpires: {expires}\nPreferred-Languages: en\n"


class NginxLab:
    """Runs one nginx (as a child process, no daemon) serving every :class:`Site` on loopback."""

    def __init__(self, folder: Path, sites: list[Site], ca: LocalCA | None = None) -> None:
        if NGINX is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx; see "
                               "scripts/setup --test)")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ca = ca or LocalCA(self.folder / "ca")
        self.sites = sites
        self.proc: subprocess.Popen[bytes] | None = None
        self._ports: set[int] = set()

    def _port(self) -> int:
        """A free port not yet handed to another site of this lab."""
        while True:
            port = free_port()
            if port not in self._ports:
                self._ports.add(port)
                return port

    def _site_conf(self, site: Site) -> str:
        root = self.folder / "www" / site.name
        (root / ".well-known").mkdir(parents=True, exist_ok=True)
        (root / "index.html").write_text(f"<!doctype html><title>{site.name}</title><p>ok</p>\n")
        if site.security_txt is not None:
            text = default_security_txt() if site.security_txt == "default" else site.security_txt
            (root / ".well-known" / "security.txt").write_text(text)
        site.tls_port = site.tls_port or self._port()
        site.http_port = site.http_port or self._port()
        adds = "".join(f"    add_header {k} \"{v}\" always;\n" for k, v in site.headers.items())
        adds += "".join(f"    add_header Set-Cookie \"{c}\" always;\n" for c in site.cookies)
        if site.plain:
            tls = f"    listen 127.0.0.1:{site.tls_port};\n"
        else:
            crt, key = self.ca.issue(site.name, site.cert_hosts or [site.host],
                                     key=site.cert_key, days_valid=site.cert_days,
                                     hash_name=site.cert_hash)
            tls = (f"    listen 127.0.0.1:{site.tls_port} ssl;\n"
                   f"    ssl_certificate {crt};\n    ssl_certificate_key {key};\n"
                   f"    ssl_protocols {site.protocols};\n"
                   f"    ssl_ciphers \"{site.ciphers}:@SECLEVEL=0\";\n"
                   "    ssl_prefer_server_ciphers on;\n")
        http_body = (f"    return 301 https://$host:{site.tls_port}$request_uri;\n"
                     if site.redirect_http else f"    root {root};\n{adds}")
        return (f"  server {{\n{tls}    server_name {site.host};\n    root {root};\n"
                f"    location = /.well-known/security.txt {{ default_type text/plain; }}\n"
                f"{adds}  }}\n"
                f"  server {{\n    listen 127.0.0.1:{site.http_port};\n"
                f"    server_name {site.host};\n{http_body}  }}\n")

    def start(self, timeout: float = 15.0) -> NginxLab:
        servers = "".join(self._site_conf(s) for s in self.sites)
        f = self.folder
        for d in ("tmp", "logs"):
            (f / d).mkdir(exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = (f"{user}worker_processes auto;\npid {f}/nginx.pid;\nerror_log {f}/logs/error.log;\n"
                "events { worker_connections 1024; }\n"
                "http {\n  access_log off;\n  default_type text/html;\n"
                f"  client_body_temp_path {f}/tmp/body;\n  proxy_temp_path {f}/tmp/proxy;\n"
                f"  fastcgi_temp_path {f}/tmp/fastcgi;\n  uwsgi_temp_path {f}/tmp/uwsgi;\n"
                f"  scgi_temp_path {f}/tmp/scgi;\n  server_tokens off;\n"
                f"{servers}}}\n")
        (f / "nginx.conf").write_text(conf)
        cmd = [str(NGINX), "-p", str(f), "-c", str(f / "nginx.conf"), "-e",
               str(f / "logs" / "error.log"), "-g", "daemon off;"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        ports = [p for s in self.sites for p in (s.tls_port, s.http_port)]
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                self.stop()
                log = (f / "logs" / "error.log")
                raise RuntimeError(f"nginx did not start: {err}\n"
                                   f"{log.read_text() if log.exists() else ''}")
            if all(_listening(p) for p in ports):
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("nginx did not open its ports in time")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def __enter__(self) -> NginxLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def targets(self) -> list[dict[str, object]]:
        """Entries for a targets file: every site, connecting to 127.0.0.1, trusting the CA."""
        return [{"name": s.name, "url": s.url, "http_url": s.http_url, "address": "127.0.0.1",
                 "ca_bundle": str(self.ca.bundle), "tags": ["local"]} for s in self.sites]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0
