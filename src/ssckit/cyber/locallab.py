"""Local services to scan: a throw-away CA and web services on 127.0.0.1, good and bad.

:class:`Lab` serves every :class:`Site` from this process (Python's ``ssl`` and
``http.server``, one accept thread, one thread per connection), so the sample city, the tests
and the benchmark need nothing installed. Each site's configuration is real and scannable:
the TLS versions and cipher suites it accepts, its certificate (key type and size, signature
hash, validity period, host names), the headers and cookies it sends, its security.txt and
whether plain HTTP redirects to HTTPS. A ``closed`` site holds its port bound but not
listening, so connections to it are refused. Nothing here listens outside loopback.
"""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import os
import selectors
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

LOOPBACK = "127.0.0.1"
LOOPBACK6 = "::1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ssckit test CA")])


def _pem_key(key: Any) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


class LocalCA:
    """A private CA (EC P-256) that issues server certificates for the local sites.

    ``LocalCA(folder)`` makes a new CA and writes its certificate to ``folder/ca.pem`` (the
    trust anchor scans are given); :meth:`load_or_create` also keeps its key
    (``folder/ca.key``, owner-only) so the same anchor stays valid across runs.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.key: ec.EllipticCurvePrivateKey = ec.generate_private_key(ec.SECP256R1())
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

    @classmethod
    def load_or_create(cls, folder: Path) -> LocalCA:
        """The CA kept in ``folder`` (``ca.pem`` and ``ca.key``), made there on first use."""
        folder = Path(folder)
        key_path, pem = folder / "ca.key", folder / "ca.pem"
        if key_path.is_file() and pem.is_file():
            ca = cls.__new__(cls)
            ca.folder, ca.bundle = folder, pem
            key = serialization.load_pem_private_key(key_path.read_bytes(), None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{key_path} is not the EC key of a local CA")
            ca.key = key
            ca.cert = x509.load_pem_x509_certificate(pem.read_bytes())
            return ca
        ca = cls(folder)
        _write_private(key_path, _pem_key(ca.key))
        return ca

    def issue(self, name: str, hosts: list[str], *, key: str = "ec256",
              days_valid: tuple[int, int] = (-1, 365), hash_name: str = "sha256",
              folder: Path | None = None, ocsp_url: str | None = None,
              scts: int = 0) -> tuple[Path, Path]:
        """Write ``<name>.crt`` (the leaf only: the CA is the anchor) and ``<name>.key`` into
        ``folder`` (default: the CA's folder).

        ``key``: ``ec256``, ``rsa2048`` or ``rsa1024``; ``days_valid``: (start, end) in days
        from now; ``hash_name``: ``sha256`` or ``sha1``; ``ocsp_url``: an OCSP responder in
        the Authority Information Access extension (RFC 5280 4.2.2.1); ``scts``: that many
        embedded SCTs from distinct made-up logs (:func:`sct_list_extension`).
        """
        folder = Path(folder or self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        if key == "ec256":
            priv: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = \
                ec.generate_private_key(ec.SECP256R1())
        else:
            priv = rsa.generate_private_key(public_exponent=65537, key_size=int(key[3:]))
        now = datetime.now(UTC)
        sans: list[x509.GeneralName] = []
        for h in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                sans.append(x509.DNSName(h))
        crt, keyfile = folder / f"{name}.crt", folder / f"{name}.key"
        _write_private(keyfile, _pem_key(priv))
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
        )
        if ocsp_url:
            cert = cert.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(ocsp_url))]), critical=False)
        if scts:
            cert = cert.add_extension(sct_list_extension(scts, now), critical=False)
        signed = cert.sign(self.key, hashes.SHA256())
        crt.write_bytes(signed.public_bytes(serialization.Encoding.PEM))
        return crt, keyfile

    def _issue_sha1(self, priv: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
                    hosts: list[str], days_valid: tuple[int, int], crt: Path) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("a SHA-1 certificate needs the openssl tool")
        csr = (x509.CertificateSigningRequestBuilder().subject_name(_name(hosts[0]))
               .sign(priv, hashes.SHA256()))
        with tempfile.TemporaryDirectory(prefix="ssckit-sha1-") as tmp:
            work = Path(tmp)
            (work / "req.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
            _write_private(work / "ca.key", _pem_key(self.key))
            sans = ",".join(f"DNS:{h}" for h in hosts)
            (work / "ext.cnf").write_text(f"subjectAltName={sans}\n"
                                          "basicConstraints=critical,CA:FALSE\n"
                                          "extendedKeyUsage=serverAuth\n")
            subprocess.run([openssl, "x509", "-req", "-sha1", "-in", str(work / "req.csr"),
                            "-CA", str(self.bundle), "-CAkey", str(work / "ca.key"),
                            "-CAcreateserial", "-CAserial", str(work / "ca.srl"),
                            "-days", str(max(1, days_valid[1])),
                            "-extfile", str(work / "ext.cnf"), "-out", str(crt)],
                           check=True, capture_output=True)


#: RFC 6962 3.3: the X.509v3 extension carrying embedded SCTs.
SCT_LIST_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def sct_list_extension(count: int, when: datetime) -> x509.UnrecognizedExtension:
    """An embedded SCT list (RFC 6962 3.2-3.3) of ``count`` v1 SCTs from distinct made-up
    logs, timestamped ``when``. Their signatures are random bytes (no log signs for the lab):
    the structure is real, as :mod:`cryptography` and OpenSSL parse it, the trust is not."""
    stamp = int(when.timestamp() * 1000).to_bytes(8, "big")
    items = b""
    for _ in range(count):
        signature = os.urandom(71)
        sct = (b"\x00" + os.urandom(32) + stamp + b"\x00\x00"  # v1, log id, time, no extensions
               + b"\x04\x03" + len(signature).to_bytes(2, "big") + signature)  # SHA-256 ECDSA
        items += len(sct).to_bytes(2, "big") + sct
    sct_list = len(items).to_bytes(2, "big") + items
    # extnValue holds the DER OCTET STRING that wraps the TLS-encoded list (RFC 6962 3.3).
    return x509.UnrecognizedExtension(SCT_LIST_OID, _der_octet_string(sct_list))


def _der_octet_string(data: bytes) -> bytes:
    n = len(data)
    if n < 0x80:
        return b"\x04" + bytes([n]) + data
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x04" + bytes([0x80 | len(size)]) + size + data


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

#: OpenSSL 3.0's SSL_OP_ALLOW_CLIENT_RENEGOTIATION (ssl.h), which Python does not name: a server
#: with it set honours a client's renegotiation requests (off by default since OpenSSL 3.0).
OP_ALLOW_CLIENT_RENEGOTIATION = 1 << 8

#: Protocol names (as in nginx's ``ssl_protocols``) -> Python's TLS versions.
_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
             "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


@dataclass
class Site:
    """One local HTTPS service (and its plain-HTTP sibling) in a chosen configuration.

    ``protocols``: the TLS versions accepted, a contiguous range (``"TLSv1 TLSv1.1 TLSv1.2"``);
    ``ciphers``: the TLS 1.2-and-older suites (OpenSSL names; security level 0 allows the
    legacy ones); ``cert_*``: see :meth:`LocalCA.issue` (``cert_hosts`` default ``[host]``);
    ``headers`` / ``cookies``: sent with every response of the site; ``security_txt``:
    ``"default"``, a text, or None for none; ``redirect_http``: plain HTTP answers 301 to
    HTTPS (else it serves the page); ``plain``: no TLS at all on the TLS port; ``closed``:
    nothing listens (connections are refused); ``files``: more paths served as text/plain
    (e.g. ``/.well-known/mta-sts.txt``); ``client_renegotiation``: honour client-initiated
    TLS 1.2 renegotiation (a denial-of-service risk, on purpose); ``ipv6``: also served on
    ::1 at the same ports (the target's ``address6``). Ports of 0 are chosen when the lab
    starts. ``cert_ocsp_url`` and ``cert_scts``: see :meth:`LocalCA.issue`.
    """

    name: str
    host: str = "localhost"
    protocols: str = "TLSv1.2 TLSv1.3"
    ciphers: str = MODERN_CIPHERS
    cert_key: str = "ec256"
    cert_days: tuple[int, int] = (-1, 365)
    cert_hash: str = "sha256"
    cert_hosts: list[str] | None = None
    headers: dict[str, str] = field(default_factory=lambda: dict(GOOD_HEADERS))
    cookies: list[str] = field(default_factory=lambda: [GOOD_COOKIE])
    security_txt: str | None = "default"
    redirect_http: bool = True
    plain: bool = False
    closed: bool = False
    files: dict[str, str] = field(default_factory=dict)
    client_renegotiation: bool = False
    ipv6: bool = True
    cert_ocsp_url: str | None = None
    cert_scts: int = 0
    tls_port: int = 0
    http_port: int = 0

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.tls_port}/"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}/"

    def tls_context(self, crt: Path, key: Path) -> ssl.SSLContext:
        """The server-side TLS configuration of this site."""
        versions = [_VERSIONS[p] for p in self.protocols.split()]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version, ctx.maximum_version = min(versions), max(versions)
        ctx.set_ciphers(f"{self.ciphers}:@SECLEVEL=0")
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_TICKET
        if self.client_renegotiation:
            ctx.options |= OP_ALLOW_CLIENT_RENEGOTIATION
        ctx.load_cert_chain(crt, key)
        return ctx


def default_security_txt(days: int = 180) -> str:
    expires = (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"Contact: mailto:security@city.test\nExpires: {expires}\nPreferred-Languages: en\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    """One connection to a site: its page, its security.txt, 404 for anything else."""

    server_version = "ssckit-lab"
    sys_version = ""
    site: Site
    redirect: bool  # this port answers 301 to HTTPS

    def _send(self, status: int, ctype: str, body: bytes, extra: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if extra:
            for k, v in self.site.headers.items():
                self.send_header(k, v)
            for c in self.site.cookies:
                self.send_header("Set-Cookie", c)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        site, path = self.site, self.path.split("?", 1)[0]
        if self.redirect:
            host = (self.headers.get("Host") or site.host).rsplit(":", 1)[0]
            self.send_response(301)
            self.send_header("Location", f"https://{host}:{site.tls_port}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path in ("/", "/index.html"):
            page = f"<!doctype html><title>{site.name}</title><p>ok</p>\n"
            self._send(200, "text/html", page.encode())
        elif path == "/.well-known/security.txt" and site.security_txt is not None:
            text = default_security_txt() if site.security_txt == "default" else \
                site.security_txt
            self._send(200, "text/plain", text.encode())
        elif path in site.files:
            self._send(200, "text/plain", site.files[path].encode())
        else:
            self._send(404, "text/html", b"<!doctype html><title>404</title><p>not found</p>\n")

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base signature)
        pass


def _handler(site: Site, redirect: bool) -> type[_Handler]:
    return type(f"{_Handler.__name__}_{site.name}", (_Handler,),
                {"site": site, "redirect": redirect})


class Lab:
    """Serves every :class:`Site` on 127.0.0.1 from this process, until :meth:`stop`.

    A site's ports are taken as given where free (0 or a taken port: a free one is chosen and
    written back to the site), so :meth:`targets` always names the ports really served.
    Certificates are issued by ``ca`` (default: a new CA) into a temporary folder removed at
    :meth:`stop`.
    """

    def __init__(self, sites: list[Site], ca: LocalCA | None = None,
                 folder: Path | None = None, timeout: float = 5.0) -> None:
        self.sites = sites
        self._tmp = Path(tempfile.mkdtemp(prefix="ssckit-lab-"))
        self.ca = ca or LocalCA(Path(folder) if folder else self._tmp / "ca")
        self.timeout = timeout
        self._socks: list[socket.socket] = []
        self._listeners: dict[int, tuple[ssl.SSLContext | None, type[_Handler]]] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def _bind(self, port: int, listen: bool) -> socket.socket:
        for attempt in (port, 0) if port else (0,):
            s = socket.socket()
            if listen:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((LOOPBACK, attempt))
            except OSError:
                s.close()
                continue
            if listen:
                s.listen(128)
            self._socks.append(s)
            return s
        raise OSError(f"no free port on {LOOPBACK}")  # pragma: no cover - port 0 always binds

    def _bind6(self, port: int) -> socket.socket | None:
        """Listen on [::1]:``port`` (the port the site has on 127.0.0.1); ``None`` where this
        machine has no IPv6 loopback or the port is taken there."""
        try:
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        except OSError:
            return None
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK6, port))
        except OSError:
            s.close()
            return None
        s.listen(128)
        self._socks.append(s)
        return s

    def start(self) -> Lab:
        try:
            for site in self.sites:
                tls = self._bind(site.tls_port, listen=not site.closed)
                http = self._bind(site.http_port, listen=not site.closed)
                site.tls_port, site.http_port = tls.getsockname()[1], http.getsockname()[1]
                if site.closed:
                    continue
                ctx = None
                if not site.plain:
                    crt, key = self.ca.issue(site.name, site.cert_hosts or [site.host],
                                             key=site.cert_key, days_valid=site.cert_days,
                                             hash_name=site.cert_hash, folder=self._tmp,
                                             ocsp_url=site.cert_ocsp_url, scts=site.cert_scts)
                    ctx = site.tls_context(crt, key)
                self._listeners[tls.fileno()] = (ctx, _handler(site, redirect=False))
                self._listeners[http.fileno()] = (None, _handler(site, site.redirect_http))
                if site.ipv6:  # without ::1 the site is IPv4 only, and its targets say so
                    tls6, http6 = self._bind6(site.tls_port), self._bind6(site.http_port)
                    site.ipv6 = tls6 is not None and http6 is not None
                    for six, four in ((tls6, tls), (http6, http)):
                        if six is not None:
                            self._listeners[six.fileno()] = self._listeners[four.fileno()]
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(target=self._accept_loop, name="ssckit-lab",
                                        daemon=True)
        self._thread.start()
        return self

    def _accept_loop(self) -> None:
        sel = selectors.DefaultSelector()
        by_fd = {s.fileno(): s for s in self._socks}
        for fd in self._listeners:
            sel.register(by_fd[fd], selectors.EVENT_READ, fd)
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        try:
            while not self._stopping.is_set():
                for key, _ in sel.select():
                    if key.data is None:
                        return
                    try:
                        conn, peer = by_fd[key.data].accept()
                    except OSError:
                        continue
                    threading.Thread(target=self._serve, args=(conn, peer,
                                                               self._listeners[key.data]),
                                     daemon=True).start()
        finally:
            sel.close()

    def _serve(self, conn: socket.socket, peer: Any,
               how: tuple[ssl.SSLContext | None, type[_Handler]]) -> None:
        ctx, handler = how
        conn.settimeout(self.timeout)
        try:
            if ctx is not None:
                conn = ctx.wrap_socket(conn, server_side=True)  # the handshake happens here
            handler(conn, peer, None)  # type: ignore[arg-type]
        except (OSError, ValueError):
            pass  # scanners probe with handshakes meant to fail, and hang up early
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def stop(self) -> None:
        """Close every port and remove the issued certificates (idempotent)."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for s in self._socks:
            s.close()
        self._socks = []
        self._listeners = {}
        for s in (self._wake_r, self._wake_w):
            s.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def targets(self) -> list[dict[str, object]]:
        """Entries for a targets file: every site, connecting to 127.0.0.1 (and ::1 where it
        listens there), trusting the CA."""
        return [{"name": s.name, "url": s.url, "http_url": s.http_url, "address": LOOPBACK,
                 **({"address6": LOOPBACK6} if s.ipv6 else {}),
                 "ca_bundle": str(self.ca.bundle), "tags": ["local"]} for s in self.sites]
