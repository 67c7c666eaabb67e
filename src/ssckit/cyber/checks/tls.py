"""TLS checks (sslyze): protocol versions, cipher suites, key exchange, certificate, OCSP stapling.

Classification after the NCSC-NL TLS guidelines (see :mod:`ssckit.cyber.checks.ncsc`).
"""

from __future__ import annotations

import ipaddress
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

from ssckit.cyber.checks import ncsc, tlsscan, tlsvulns
from ssckit.cyber.model import Check, Finding, Status
from ssckit.cyber.netpolicy import Unreachable

NCSC_REF = "NCSC-NL IT Security Guidelines for TLS (v2.1 2021; 2025 update)"

PROTOCOLS = Check(
    "tls.protocols", "tls", "TLS protocol versions",
    f"{NCSC_REF}, 3.3.1 / B1-1: TLS 1.3 good, TLS 1.2 sufficient, TLS 1.1/1.0 and SSL insufficient",
    "Disable SSL 2.0/3.0 and TLS 1.0/1.1; offer TLS 1.3 and TLS 1.2 only "
    "(nginx: ssl_protocols TLSv1.2 TLSv1.3;).")
CIPHERS = Check(
    "tls.ciphers", "tls", "Cipher suites",
    f"{NCSC_REF}, 3.3.4 and appendix B / B2-1..B2-4",
    "Offer only ECDHE with AES-GCM or ChaCha20-Poly1305 in TLS 1.2, and the TLS 1.3 suites; "
    "remove RSA key exchange, CBC-SHA1, 3DES, RC4 and NULL suites.")
KEY_EXCHANGE = Check(
    "tls.key_exchange", "tls", "Key exchange groups",
    f"{NCSC_REF}, 3.3.3: ECDHE on X25519/X448/P-256/P-384/P-521 good; FFDHE >= 3072 bit phase "
    "out; smaller DH groups and RSA key exchange insufficient",
    "Use ECDHE with X25519, P-256 or P-384 (nginx: ssl_ecdh_curve X25519:prime256v1:secp384r1;); "
    "drop finite-field DHE below 3072 bits.")
TRUST = Check(
    "cert.trust", "certificate", "Certificate chain trusted",
    "RFC 5280 section 6 path validation; NCSC-NL TLS guidelines 3.3.2",
    "Serve the full chain (leaf and intermediates) issued by a CA the clients trust.")
HOSTNAME = Check(
    "cert.hostname", "certificate", "Certificate matches host name",
    "RFC 9110 section 4.3.4 / RFC 6125: subjectAltName must match the host",
    "Issue a certificate whose subjectAltName lists this host name.")
KEY_SIZE = Check(
    "cert.key_size", "certificate", "Certificate key size",
    f"{NCSC_REF}, 3.3.2.1: RSA >= 2048 bit, EC >= 256 bit",
    "Reissue the certificate with an RSA key of at least 2048 (better 3072) bits or an EC P-256 "
    "key.")
SIGNATURE = Check(
    "cert.signature", "certificate", "Certificate signature algorithm",
    f"{NCSC_REF}, 3.3.5: SHA-1 and MD5 signatures insufficient",
    "Reissue the certificate (and intermediates) signed with SHA-256 or better.")
EXPIRY = Check(
    "cert.expiry", "certificate", "Certificate validity period",
    "RFC 5280 section 4.1.2.5; warning 30 days before expiry",
    "Renew the certificate before it expires; automate renewal (ACME, RFC 8555).")
OCSP = Check(
    "tls.ocsp_stapling", "tls", "OCSP stapling",
    f"RFC 6066 section 8 (status_request); {NCSC_REF} recommends OCSP stapling",
    "Enable OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on;).")

TRANSPARENCY = Check(
    "cert.transparency", "certificate", "Certificate Transparency",
    "RFC 6962 3.3 (SCTs embedded in the certificate); Chrome and Apple CT policies: at least 2 "
    "SCTs from distinct logs for certificates valid up to 180 days, 3 beyond",
    "Use a publicly trusted CA that embeds SCTs from independent CT logs in the certificates "
    "it issues (all public CAs do so today); reissue the certificate.")

TLS_CHECKS = (PROTOCOLS, CIPHERS, KEY_EXCHANGE, TRUST, HOSTNAME, KEY_SIZE, SIGNATURE, EXPIRY,
              TRANSPARENCY, OCSP, *tlsvulns.VULN_CHECKS)

EXPIRY_WARN_DAYS = 30


@dataclass(frozen=True)
class AcceptedSuite:
    """A cipher suite the server accepted, with the ephemeral key it used."""

    name: str
    kex: str | None = None  # "ECDH:X25519", "DH:2048" or None


@dataclass
class TlsData:
    """What the TLS scan of one endpoint saw."""

    host: str
    port: int
    ip: str
    suites: dict[str, list[AcceptedSuite]] = field(default_factory=dict)  # version -> suites
    chain: list[x509.Certificate] = field(default_factory=list)
    ocsp_stapled: bool = False
    ca_bundle: Path | None = None
    ocsp_der: bytes | None = None  # the stapled OCSP response (RFC 6066 8), DER
    vulnerabilities: dict[str, Any] = field(default_factory=dict)  # sslyze results, by probe
    handshakes: int = 0

    @property
    def versions(self) -> list[str]:
        return [v for v, s in self.suites.items() if s]


_VERSION_COMMANDS = {
    "SSL 2.0": "ssl_2_0_cipher_suites", "SSL 3.0": "ssl_3_0_cipher_suites",
    "TLS 1.0": "tls_1_0_cipher_suites", "TLS 1.1": "tls_1_1_cipher_suites",
    "TLS 1.2": "tls_1_2_cipher_suites", "TLS 1.3": "tls_1_3_cipher_suites",
}


def _unreachable_reason(trace: Any, host: str, port: int) -> str:
    from sslyze.errors import (
        ConnectionToServerTimedOut,
        ServerRejectedConnection,
        ServerRejectedOpportunisticTlsNegotiation,
        TlsHandshakeFailed,
        TlsHandshakeTimedOut,
    )

    exc_type = getattr(trace, "exc_type", None)
    where = f"{host}:{port}"
    if exc_type is None:
        return f"{where}: could not connect"
    if issubclass(exc_type, ServerRejectedConnection):
        return f"{where}: connection refused"
    if issubclass(exc_type, TlsHandshakeTimedOut):
        return f"{where}: TLS handshake timed out (the service does not answer)"
    if issubclass(exc_type, ConnectionToServerTimedOut):
        return f"{where}: connection timed out"
    if issubclass(exc_type, ServerRejectedOpportunisticTlsNegotiation):
        return f"{where}: STARTTLS refused ({trace})"
    if issubclass(exc_type, TlsHandshakeFailed):
        return f"{where}: TLS handshake failed (not a TLS service on this port?)"
    return f"{where}: could not connect ({str(trace).strip() or exc_type.__name__})"


_PREPARED = threading.Lock()  # guards the one-time parsing below (and its warning filter)
_prepared = False


def prepare() -> None:
    """Parse sslyze's bundled trust stores once, up front. Some of their roots have
    non-positive serial numbers, which cryptography warns about; the warning concerns sslyze's
    own validation, which ssckit does not use (see :func:`verify_chain`)."""
    global _prepared
    with _PREPARED:
        if _prepared:
            return
        from cryptography.utils import CryptographyDeprecationWarning
        from sslyze.plugins.certificate_info.trust_stores.trust_store_repository import (
            TrustStoresRepository,
        )

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            TrustStoresRepository.get_default().get_all_stores()
        _prepared = True


def collect(host: str, port: int, ip: str, *, ca_bundle: Path | None = None,
            timeout: float = 5.0, smtp: bool = False, vulnerabilities: bool = True) -> TlsData:
    """Scan ``host:port`` (connecting to ``ip``): suites by elimination, the chain, the
    stapled OCSP response and sslyze's vulnerability probes
    (:mod:`ssckit.cyber.checks.tlsscan`); raise :class:`Unreachable` when no TLS connection
    can be made. ``smtp``: SMTP with STARTTLS (RFC 3207)."""
    prepare()
    raw = tlsscan.scan_endpoint(host, port, ip, timeout=timeout, smtp=smtp,
                                reason=_unreachable_reason,
                                probe_vulnerabilities=vulnerabilities)
    data = TlsData(host=host, port=port, ip=ip, ca_bundle=ca_bundle, ocsp_der=raw.ocsp_der,
                   vulnerabilities=raw.vulnerabilities, handshakes=raw.handshakes)
    data.suites = {v: [AcceptedSuite(name, _kex(key)) for name, key in accepted]
                   for v, accepted in raw.suites.items()}
    data.chain = [x509.load_pem_x509_certificate(pem.encode()) for pem in raw.chain_pem]
    data.ocsp_stapled = raw.ocsp_der is not None
    return data


def collect_per_suite(host: str, port: int, ip: str, *, ca_bundle: Path | None = None,
                      timeout: float = 5.0, smtp: bool = False) -> TlsData:
    """The same through sslyze's own scan commands, one handshake per cipher suite it knows
    (about 530): the reference :func:`collect` is tested against, and the benchmark's
    earlier scanner. No vulnerability probes."""
    from sslyze import (
        ScanCommand,
        ScanCommandAttemptStatusEnum,
        Scanner,
        ServerScanRequest,
        ServerScanStatusEnum,
    )

    location, config = tlsscan.network(host, port, ip, timeout=timeout, smtp=smtp)
    commands = {ScanCommand.CERTIFICATE_INFO, ScanCommand.SSL_2_0_CIPHER_SUITES,
                ScanCommand.SSL_3_0_CIPHER_SUITES, ScanCommand.TLS_1_0_CIPHER_SUITES,
                ScanCommand.TLS_1_1_CIPHER_SUITES, ScanCommand.TLS_1_2_CIPHER_SUITES,
                ScanCommand.TLS_1_3_CIPHER_SUITES}
    prepare()
    # Trust is judged by verify_chain against ca_bundle; sslyze only fetches the chain.
    request = ServerScanRequest(server_location=location, network_configuration=config,
                                scan_commands=commands)
    scanner = Scanner(per_server_concurrent_connections_limit=5, concurrent_server_scans_limit=1)
    scanner.queue_scans([request])
    result = next(iter(scanner.get_results()))
    no_connection = result.scan_status == ServerScanStatusEnum.ERROR_NO_CONNECTIVITY
    if no_connection or result.scan_result is None:
        raise Unreachable(_unreachable_reason(result.connectivity_error_trace, host, port))

    data = TlsData(host=host, port=port, ip=ip, ca_bundle=ca_bundle)
    attempts = result.scan_result
    for version, attr in _VERSION_COMMANDS.items():
        attempt = getattr(attempts, attr)
        if attempt.status != ScanCommandAttemptStatusEnum.COMPLETED or attempt.result is None:
            continue
        data.suites[version] = [
            AcceptedSuite(a.cipher_suite.name, _kex(a.ephemeral_key))
            for a in attempt.result.accepted_cipher_suites
        ]
    cert_attempt = attempts.certificate_info
    if cert_attempt.status == ScanCommandAttemptStatusEnum.COMPLETED and cert_attempt.result:
        deployment = cert_attempt.result.certificate_deployments[0]
        data.chain = list(deployment.received_certificate_chain)
        data.ocsp_stapled = deployment.ocsp_response is not None
    return data


def _kex(key: Any) -> str | None:
    if key is None:
        return None
    curve = getattr(key, "curve_name", None)
    if curve is not None:
        return f"ECDH:{curve}"
    return f"DH:{key.size}"


# -- the checks ------------------------------------------------------------------------------
def check_protocols(data: TlsData) -> Finding:
    levels = {v: ncsc.protocol_level(v) for v in data.versions}
    bad = sorted(v for v, lv in levels.items() if lv == ncsc.INSUFFICIENT)
    evidence = {"offered": sorted(levels), "levels": levels}
    if bad:
        return PROTOCOLS.result(Status.FAIL, f"insufficient versions offered: {', '.join(bad)}",
                                "tls-insufficient-protocol", **evidence)
    if not levels:
        return PROTOCOLS.result(Status.FAIL, "no protocol version could be negotiated",
                                "tls-insufficient-protocol", **evidence)
    if "TLS 1.3" in levels:
        return PROTOCOLS.result(Status.PASS, f"good: {', '.join(sorted(levels))}",
                                "tls-protocols-good", **evidence)
    return PROTOCOLS.result(Status.PASS, "sufficient: TLS 1.2 only (TLS 1.3 would be good)",
                            "tls-protocols-sufficient", **evidence)


def check_ciphers(data: TlsData) -> Finding:
    by_level: dict[str, list[str]] = {lv: [] for lv in ncsc.LEVELS}
    for suites in data.suites.values():
        for s in suites:
            lv = ncsc.cipher_level(s.name)
            if s.name not in by_level[lv]:
                by_level[lv].append(s.name)
    evidence = {lv: sorted(names) for lv, names in by_level.items() if names}
    if by_level[ncsc.INSUFFICIENT]:
        return CIPHERS.result(
            Status.FAIL, "insufficient suites offered: "
            + ", ".join(sorted(by_level[ncsc.INSUFFICIENT])), "tls-insufficient-cipher",
            **evidence)
    if by_level[ncsc.PHASE_OUT]:
        return CIPHERS.result(
            Status.WARN, "phase-out suites offered: " + ", ".join(sorted(by_level[ncsc.PHASE_OUT])),
            "tls-phase-out-cipher", **evidence)
    worst = ncsc.worst([lv for lv, n in by_level.items() if n]) or ncsc.GOOD
    return CIPHERS.result(Status.PASS, f"all offered suites are {worst}", "tls-ciphers-ok",
                          **evidence)


def kex_level(kex: str) -> str:
    kind, _, param = kex.partition(":")
    if kind == "ECDH":
        return ncsc.curve_level(param)
    return ncsc.dh_level(int(param))


def check_key_exchange(data: TlsData) -> Finding:
    seen: dict[str, str] = {}
    static_rsa: list[str] = []
    for version, suites in data.suites.items():
        for s in suites:
            if s.kex is not None:
                seen[s.kex] = kex_level(s.kex)
            elif version != "TLS 1.3" and "_RSA_WITH_" in s.name and "DHE" not in s.name:
                static_rsa.append(s.name)
    evidence: dict[str, Any] = {"groups": seen, "rsa_key_exchange": sorted(set(static_rsa))}
    bad = sorted(k for k, lv in seen.items() if lv == ncsc.INSUFFICIENT)
    if static_rsa:
        bad.append("RSA key exchange (no forward secrecy)")
    if bad:
        return KEY_EXCHANGE.result(Status.FAIL, "insufficient: " + ", ".join(bad),
                                   "tls-insufficient-key-exchange", **evidence)
    phase = sorted(k for k, lv in seen.items() if lv == ncsc.PHASE_OUT)
    if phase:
        return KEY_EXCHANGE.result(Status.WARN, "phase out: " + ", ".join(phase),
                                   "tls-phase-out-key-exchange", **evidence)
    if not seen:
        return KEY_EXCHANGE.result(Status.NOT_APPLICABLE, "no ephemeral key exchange observed",
                                   "", **evidence)
    return KEY_EXCHANGE.result(Status.PASS, "good: " + ", ".join(sorted(seen)),
                               "tls-key-exchange-ok", **evidence)


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        return None


def hostname_matches(cert: x509.Certificate, host: str) -> bool:
    """RFC 6125 matching of ``host`` against the subjectAltName (wildcard only as the whole
    left-most label); IP hosts match iPAddress entries."""
    san = _san(cert)
    if san is None:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return ip in san.get_values_for_type(x509.IPAddress)
    host = host.lower().rstrip(".")
    for name in san.get_values_for_type(x509.DNSName):
        name = name.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


_anchor_cache: dict[Path, list[x509.Certificate]] = {}


def _anchors(path: Path) -> list[x509.Certificate]:
    """Trust anchors from a PEM bundle, parsed once. Some public roots carry non-positive serial
    numbers, which cryptography warns about while parsing; that is not our finding to report."""
    from cryptography.utils import CryptographyDeprecationWarning

    with _PREPARED:
        if path not in _anchor_cache:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                _anchor_cache[path] = x509.load_pem_x509_certificates(path.read_bytes())
        return _anchor_cache[path]


def verify_chain(chain: list[x509.Certificate], ca_bundle: Path | None) -> str | None:
    """``None`` if ``chain`` (leaf first) builds to an anchor of ``ca_bundle`` (default: the
    Mozilla roots shipped with certifi), else the reason. The validity period is checked by
    :func:`check_expiry`, so validation runs at the middle of the leaf's validity period, and
    the host name by :func:`check_hostname`, so the leaf's own first subjectAltName is used."""
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    if ca_bundle is None:
        import certifi

        ca_bundle = Path(certifi.where())
    anchors = _anchors(ca_bundle)
    leaf = chain[0]
    san = _san(leaf)
    if san is None:
        return "the leaf certificate has no subjectAltName"
    names: list[Any] = [x509.DNSName(n) for n in san.get_values_for_type(x509.DNSName)]
    names += [x509.IPAddress(i) for i in san.get_values_for_type(x509.IPAddress)]
    if not names:
        return "the leaf certificate's subjectAltName has no DNS name or IP address"
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    when = start + (end - start) / 2
    verifier = PolicyBuilder().store(Store(anchors)).time(when).build_server_verifier(names[0])
    try:
        verifier.verify(leaf, chain[1:])
    except VerificationError as exc:
        return str(exc)
    return None


def check_trust(data: TlsData) -> Finding:
    store = str(data.ca_bundle) if data.ca_bundle else "Mozilla (certifi)"
    if not data.chain:
        return TRUST.result(Status.ERROR, "no certificate received", "", trust_store=store)
    reason = verify_chain(data.chain, data.ca_bundle)
    if reason:
        return TRUST.result(Status.FAIL, f"chain not trusted by {store}: {reason}",
                            "cert-untrusted", trust_store=store)
    return TRUST.result(Status.PASS, f"chain trusted by {store}", "cert-trusted",
                        trust_store=store)


def check_hostname(data: TlsData) -> Finding:
    if not data.chain:
        return HOSTNAME.result(Status.ERROR, "no certificate received")
    leaf = data.chain[0]
    san = _san(leaf)
    names = san.get_values_for_type(x509.DNSName) if san else []
    if hostname_matches(leaf, data.host):
        return HOSTNAME.result(Status.PASS, f"{data.host} is in subjectAltName", "cert-host-ok",
                               names=names)
    return HOSTNAME.result(Status.FAIL, f"{data.host} is not in subjectAltName {names}",
                           "cert-host-mismatch", names=names)


def check_key_size(data: TlsData) -> Finding:
    if not data.chain:
        return KEY_SIZE.result(Status.ERROR, "no certificate received")
    key = data.chain[0].public_key()
    if isinstance(key, rsa.RSAPublicKey):
        kind, bits, ok = "RSA", key.key_size, key.key_size >= ncsc.RSA_MIN_BITS
    elif isinstance(key, ec.EllipticCurvePublicKey):
        kind, bits, ok = f"EC {key.curve.name}", key.curve.key_size, \
            key.curve.key_size >= ncsc.EC_MIN_BITS
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        kind, bits, ok = "EdDSA", 256 if isinstance(key, ed25519.Ed25519PublicKey) else 456, True
    elif isinstance(key, dsa.DSAPublicKey):
        kind, bits, ok = "DSA", key.key_size, False
    else:
        kind, bits, ok = type(key).__name__, 0, False
    detail = f"{kind} {bits} bit"
    if ok:
        return KEY_SIZE.result(Status.PASS, detail, "cert-key-ok", kind=kind, bits=bits)
    return KEY_SIZE.result(Status.FAIL, f"{detail} is too weak (RSA >= 2048, EC >= 256)",
                           "cert-weak-key", kind=kind, bits=bits)


_WEAK_HASHES = (hashes.SHA1, hashes.MD5)


def check_signature(data: TlsData) -> Finding:
    if not data.chain:
        return SIGNATURE.result(Status.ERROR, "no certificate received")
    weak: list[str] = []
    algs: list[str] = []
    for cert in data.chain:
        if cert.issuer == cert.subject and cert is not data.chain[0]:
            continue  # a self-signed anchor's own signature is not relied upon
        try:
            h = cert.signature_hash_algorithm
        except Exception:  # unsupported algorithm: report by OID
            h = None
        name = h.name if h is not None else cert.signature_algorithm_oid._name
        algs.append(name)
        if isinstance(h, _WEAK_HASHES):
            weak.append(cert.subject.rfc4514_string())
    if weak:
        return SIGNATURE.result(Status.FAIL, f"SHA-1/MD5 signature on: {'; '.join(weak)}",
                                "cert-weak-signature", algorithms=algs)
    return SIGNATURE.result(Status.PASS, f"signatures: {', '.join(algs)}", "cert-signature-ok",
                            algorithms=algs)


def check_expiry(data: TlsData, now: datetime | None = None) -> Finding:
    if not data.chain:
        return EXPIRY.result(Status.ERROR, "no certificate received")
    now = now or datetime.now(UTC)
    leaf = data.chain[0]
    end, start = leaf.not_valid_after_utc, leaf.not_valid_before_utc
    evidence = {"not_before": start.isoformat(), "not_after": end.isoformat()}
    if end < now:
        return EXPIRY.result(Status.FAIL, f"expired on {end:%Y-%m-%d}", "cert-expired", **evidence)
    if start > now:
        return EXPIRY.result(Status.FAIL, f"not valid before {start:%Y-%m-%d}",
                             "cert-not-yet-valid", **evidence)
    days = (end - now) / timedelta(days=1)
    if days < EXPIRY_WARN_DAYS:
        return EXPIRY.result(Status.WARN, f"expires in {days:.0f} days ({end:%Y-%m-%d})",
                             "cert-expires-soon", days_left=round(days, 1), **evidence)
    return EXPIRY.result(Status.PASS, f"valid until {end:%Y-%m-%d} ({days:.0f} days)",
                         "cert-valid", days_left=round(days, 1), **evidence)


def ocsp_responder(cert: x509.Certificate) -> str | None:
    """The OCSP responder named in ``cert``'s Authority Information Access (RFC 5280
    4.2.2.1), or ``None``."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for desc in aia:
        if desc.access_method == AuthorityInformationAccessOID.OCSP:
            return str(desc.access_location.value)
    return None


def _ocsp_issuer(data: TlsData) -> x509.Certificate | None:
    """The leaf's issuer: in the chain served, else among the trust anchors."""
    leaf = data.chain[0]
    candidates = data.chain[1:] + (_anchors(data.ca_bundle) if data.ca_bundle else [])
    return next((c for c in candidates if c.subject == leaf.issuer), None)


def _signature_ok(key: Any, signature: bytes, payload: bytes, hash_alg: Any) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, payload, padding.PKCS1v15(), hash_alg)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, payload, ec.ECDSA(hash_alg))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def check_ocsp(data: TlsData, now: datetime | None = None) -> Finding:
    """The stapled OCSP response (RFC 6066 8, RFC 6960 4.2): present when the certificate
    names a responder, successful, about this certificate, ``good``, current, and signed by
    its issuer (or a responder certificate the issuer signed)."""
    from cryptography.x509 import ocsp

    leaf = data.chain[0] if data.chain else None
    responder = ocsp_responder(leaf) if leaf is not None else None
    if data.ocsp_der is None:
        if leaf is not None and responder is None:
            return OCSP.result(Status.NOT_APPLICABLE, "the certificate names no OCSP responder "
                               "(nothing to staple)")
        return OCSP.result(Status.WARN, "no OCSP response stapled", "ocsp-not-stapled",
                           responder=responder)
    now = now or datetime.now(UTC)
    try:
        resp = ocsp.load_der_ocsp_response(data.ocsp_der)
    except ValueError as exc:
        return OCSP.result(Status.FAIL, f"stapled OCSP response unreadable: {exc}",
                           "ocsp-invalid")
    if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return OCSP.result(Status.FAIL, f"stapled OCSP response: {resp.response_status.name}",
                           "ocsp-invalid")
    single = next((r for r in resp.responses
                   if leaf is not None and r.serial_number == leaf.serial_number), None)
    if single is None:
        return OCSP.result(Status.FAIL, "stapled OCSP response is about another certificate",
                           "ocsp-invalid")
    evidence = {"cert_status": single.certificate_status.name,
                "this_update": single.this_update_utc.isoformat(),
                "next_update": single.next_update_utc.isoformat()
                if single.next_update_utc else None}
    if single.certificate_status == ocsp.OCSPCertStatus.REVOKED:
        return OCSP.result(Status.FAIL, "the stapled OCSP response says the certificate is "
                           "revoked", "ocsp-revoked", **evidence)
    if single.certificate_status != ocsp.OCSPCertStatus.GOOD:
        return OCSP.result(Status.FAIL, "the stapled OCSP response does not know the "
                           "certificate", "ocsp-invalid", **evidence)
    if single.next_update_utc is not None and single.next_update_utc < now:
        return OCSP.result(Status.FAIL, f"stapled OCSP response expired on "
                           f"{single.next_update_utc:%Y-%m-%d}", "ocsp-invalid", **evidence)
    issuer = _ocsp_issuer(data)
    signer = issuer.public_key() if issuer is not None else None
    if resp.certificates and issuer is not None:  # a delegated responder (RFC 6960 4.2.2.2)
        delegate = resp.certificates[0]
        if _signature_ok(issuer.public_key(), delegate.signature, delegate.tbs_certificate_bytes,
                         delegate.signature_hash_algorithm):
            signer = delegate.public_key()
    if signer is None or not _signature_ok(signer, resp.signature, resp.tbs_response_bytes,
                                           resp.signature_hash_algorithm):
        return OCSP.result(Status.FAIL, "the stapled OCSP response is not signed by the "
                           "certificate's issuer", "ocsp-invalid", **evidence)
    return OCSP.result(Status.PASS, "OCSP response stapled (good, current, signed by the "
                       "issuer)", "ocsp-stapled", **evidence)


def required_scts(leaf: x509.Certificate) -> int:
    """SCTs the Chrome/Apple CT policies ask of a certificate: 2 up to 180 days of validity,
    3 beyond."""
    days = (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / timedelta(days=1)
    return 2 if days <= 180 else 3


def check_transparency(data: TlsData) -> Finding:
    """Embedded SCTs of the leaf (RFC 6962 3.3), counted per distinct log. SCTs delivered in
    the TLS extension or a stapled OCSP response are not seen (sslyze does not expose them);
    SCT signatures are not verified (no CT log list offline). A certificate of a private CA
    (the target names its own ``ca_bundle``) needs none: the CT policies apply to publicly
    trusted CAs."""
    if not data.chain:
        return TRANSPARENCY.result(Status.ERROR, "no certificate received")
    leaf = data.chain[0]
    try:
        scts = list(leaf.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps).value)
    except x509.ExtensionNotFound:
        scts = []
    logs = sorted({s.log_id.hex() for s in scts})
    need = required_scts(leaf)
    evidence = {"scts": len(scts), "logs": len(logs), "required": need}
    if not scts:
        if data.ca_bundle is not None:
            return TRANSPARENCY.result(Status.NOT_APPLICABLE, "no SCTs; a private CA's "
                                       "certificate needs none", **evidence)
        return TRANSPARENCY.result(Status.FAIL, "no SCTs in the certificate", "ct-missing",
                                   **evidence)
    if len(logs) < need:
        return TRANSPARENCY.result(Status.WARN, f"SCTs from {len(logs)} logs; the CT policies "
                                   f"ask for {need}", "ct-too-few", **evidence)
    return TRANSPARENCY.result(Status.PASS, f"SCTs from {len(logs)} logs embedded",
                               "ct-ok", **evidence)


def evaluate(data: TlsData, now: datetime | None = None, prefix: str = "",
             suffix: str = "") -> list[Finding]:
    """All TLS findings for ``data``. ``prefix``/``suffix`` (``"mail."``, ``"@mx.example"``)
    rename the check ids and put them in the ``mail`` category, for MX hosts."""
    findings = [check_protocols(data), check_ciphers(data), check_key_exchange(data),
                check_trust(data), check_hostname(data), check_key_size(data),
                check_signature(data), check_expiry(data, now), check_transparency(data),
                check_ocsp(data, now),
                *tlsvulns.evaluate(data.vulnerabilities)]
    if prefix or suffix:
        from dataclasses import replace

        findings = [replace(f, check=prefix + f.check + suffix, category="mail",
                            code=f"mail-{f.code}" if f.code else "") for f in findings]
    return findings
