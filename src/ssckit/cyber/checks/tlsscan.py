"""What one TLS endpoint offers, in few handshakes: sslyze connections, suites by elimination.

sslyze's cipher-suite scan commands try every suite it knows in a handshake of its own (about
530 handshakes per endpoint over SSL 2.0 .. TLS 1.3). Here each protocol version offers all of
them at once; the suite the server picks is accepted, it is struck off and the rest are offered
again, until the server refuses. That is the accepted suites plus one handshake per version
(and per OpenSSL build, for TLS 1.2), and the same set of accepted suites, since a server picks
only a suite it accepts from those offered (RFC 8446 4.1.3, RFC 5246 7.4.1.3). Where the answer
is ambiguous (a server whose DH group sslyze refuses: the suite picked is not named), the
remaining suites are tried one by one, as sslyze does.

The known vulnerabilities are sslyze's own probes run on the same connection settings:
Heartbleed, OpenSSL CCS injection, TLS compression, renegotiation and ROBOT (skipped, as
"RSA not supported", when no suite with RSA key exchange was accepted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ssckit.cyber.netpolicy import Unreachable

#: sslyze scan commands of the vulnerability probes, by the name ssckit reports them under.
VULNERABILITY_COMMANDS = ("heartbleed", "openssl_ccs_injection", "tls_compression",
                          "session_renegotiation", "robot")

#: Client-initiated renegotiations attempted (sslyze's default): all accepted means the server
#: can be made to spend a full handshake per request (denial of service).
RENEGOTIATION_ATTEMPTS = 10


@dataclass
class EndpointScan:
    """The raw outcome of scanning one endpoint: suites per version (``(name, ephemeral key)``
    pairs, IANA names), the certificate chain as PEM, the stapled OCSP response (DER) and the
    vulnerability results (sslyze result objects, or the exception a probe raised)."""

    suites: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    chain_pem: list[str] = field(default_factory=list)
    ocsp_der: bytes | None = None
    vulnerabilities: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    handshakes: int = 0


def _version_name(version: Any) -> str:
    return {"SSL_2_0": "SSL 2.0", "SSL_3_0": "SSL 3.0", "TLS_1_0": "TLS 1.0",
            "TLS_1_1": "TLS 1.1", "TLS_1_2": "TLS 1.2", "TLS_1_3": "TLS 1.3"}[version.name]


def network(host: str, port: int, ip: str, *, timeout: float, smtp: bool) -> tuple[Any, Any]:
    """sslyze's server location and network settings for ``host:port`` at ``ip`` (SNI
    ``host``; ``smtp``: STARTTLS after EHLO, RFC 3207)."""
    from sslyze import (
        ProtocolWithOpportunisticTlsEnum,
        ServerNetworkConfiguration,
        ServerNetworkLocation,
    )

    location = ServerNetworkLocation(hostname=host, port=port, ip_address=ip)
    config = ServerNetworkConfiguration(
        tls_server_name_indication=host,
        tls_opportunistic_encryption=ProtocolWithOpportunisticTlsEnum.SMTP if smtp else None,
        network_timeout=max(1, int(round(timeout))), network_max_retries=1,
        smtp_ehlo_hostname="ssckit.scan" if smtp else None,
    )
    return location, config


def connectivity(host: str, port: int, ip: str, *, timeout: float, smtp: bool,
                 reason: Any) -> Any:
    """sslyze's connectivity test (a handshake at the highest version the server speaks);
    :class:`Unreachable` with ``reason(trace, host, port)`` when none succeeds."""
    from sslyze.errors import ConnectionToServerFailed
    from sslyze.server_connectivity import ServerConnectivityInfo, check_connectivity_to_server

    location, config = network(host, port, ip, timeout=timeout, smtp=smtp)
    try:
        probing = check_connectivity_to_server(location, config)
    except ConnectionToServerFailed as exc:
        trace = _Trace(type(exc), exc.error_message)
        raise Unreachable(reason(trace, host, port)) from None
    return ServerConnectivityInfo(server_location=location, network_configuration=config,
                                  tls_probing_result=probing)


@dataclass
class _Trace:
    """What :func:`ssckit.cyber.checks.tls._unreachable_reason` reads of sslyze's trace."""

    exc_type: type
    message: str

    def __str__(self) -> str:
        return self.message


def _handshake(server_info: Any, version: Any, legacy: bool, names: list[str]) -> Any:
    """Offer ``names`` (OpenSSL names) at ``version``; the connected (closed) connection's
    client, or ``None`` when the server refused every one of them."""
    from nassl.ssl_client import ClientCertificateRequested
    from sslyze.errors import (
        ServerRejectedTlsHandshake,
        ServerTlsConfigurationNotSupported,
        TlsHandshakeTimedOut,
    )
    from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import _set_cipher_suite_string

    connection = server_info.get_preconfigured_tls_connection(
        override_tls_version=version, should_use_legacy_openssl=legacy)
    _set_cipher_suite_string(version, ":".join(names), connection.ssl_client)
    try:
        connection.connect()
    except ClientCertificateRequested:
        pass
    except ServerTlsConfigurationNotSupported:
        return _AMBIGUOUS
    except (ServerRejectedTlsHandshake, TlsHandshakeTimedOut):
        return None
    finally:
        connection.close()
    return connection.ssl_client


_AMBIGUOUS = object()


def accepted_suites(server_info: Any, version: Any, scan: EndpointScan) -> list[tuple[str, Any]]:
    """The suites ``server_info`` accepts at ``version``, found by elimination."""
    from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import (
        CipherSuiteAcceptedByServer,
        connect_with_cipher_suite,
    )
    from sslyze.plugins.openssl_cipher_suites._tls12_workaround import (
        WorkaroundForTls12ForCipherSuites,
    )
    from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository
    from sslyze.server_connectivity import TlsVersionEnum

    suites = CipherSuitesRepository.get_all_cipher_suites(version)
    groups: dict[bool, list[Any]] = {}
    for s in suites:
        if version == TlsVersionEnum.TLS_1_2:
            legacy = WorkaroundForTls12ForCipherSuites.requires_legacy_openssl(s.openssl_name)
        else:
            legacy = version != TlsVersionEnum.TLS_1_3
        groups.setdefault(legacy, []).append(s)
    accepted: list[tuple[str, Any]] = []
    for legacy, group in groups.items():
        remaining = {s.openssl_name: s for s in group}
        while remaining:
            scan.handshakes += 1
            client = _handshake(server_info, version, legacy, list(remaining))
            if client is None:
                break
            picked = None if client is _AMBIGUOUS else remaining.get(
                client.get_current_cipher_name())
            if picked is None:  # not named: try the rest one by one (sslyze's way)
                for s in list(remaining.values()):
                    scan.handshakes += 1
                    one = connect_with_cipher_suite(server_info, version, s)
                    if isinstance(one, CipherSuiteAcceptedByServer):
                        accepted.append((s.name, one.ephemeral_key))
                break
            accepted.append((picked.name, client.get_ephemeral_key()))
            del remaining[picked.openssl_name]
    return sorted(accepted, key=lambda a: a[0])


def certificate_chain(server_info: Any, scan: EndpointScan) -> None:
    """The chain the server sends (with SNI) and its stapled OCSP response (RFC 6066 8)."""
    from sslyze.plugins.certificate_info._get_cert_chain import get_certificate_chain

    scan.handshakes += 1
    chain, ocsp, _, _ = get_certificate_chain(server_info, None, None, None, True)
    scan.chain_pem = list(chain)
    if ocsp is not None:
        scan.ocsp_der = ocsp.as_der_bytes()


def _run_command(implementation: Any, server_info: Any, extra: Any = None) -> Any:
    """Run one sslyze scan command's jobs in this thread and combine them as sslyze does."""
    from sslyze.plugins.plugin_base import ScanJobResult

    results = []
    for job in implementation.scan_jobs_for_scan_command(server_info, extra):
        try:
            results.append(ScanJobResult(job.function_to_call(*job.function_arguments), None))
        except Exception as exc:  # sslyze hands a job's failure to the combining step
            results.append(ScanJobResult(None, exc))
    return implementation.result_for_completed_scan_jobs(server_info, results)


def rsa_key_exchange(suites: dict[str, list[tuple[str, Any]]]) -> bool:
    """Whether an accepted suite before TLS 1.3 uses RSA key transport (ROBOT's precondition)."""
    return any("_RSA_WITH_" in name and "DHE" not in name and "PSK" not in name
               for version, accepted in suites.items() if version != "TLS 1.3"
               for name, _ in accepted)


def vulnerabilities(server_info: Any, scan: EndpointScan) -> None:
    """sslyze's Heartbleed, CCS injection, compression, renegotiation and ROBOT probes."""
    from sslyze.plugins.compression_plugin import CompressionImplementation
    from sslyze.plugins.heartbleed_plugin import HeartbleedImplementation
    from sslyze.plugins.openssl_ccs_injection_plugin import OpenSslCcsInjectionImplementation
    from sslyze.plugins.robot._robot_tester import RobotScanResultEnum
    from sslyze.plugins.robot.implementation import RobotImplementation, RobotScanResult
    from sslyze.plugins.session_renegotiation_plugin import (
        SessionRenegotiationExtraArgument,
        SessionRenegotiationImplementation,
    )

    probes: list[tuple[str, Any, Any]] = [
        ("heartbleed", HeartbleedImplementation, None),
        ("openssl_ccs_injection", OpenSslCcsInjectionImplementation, None),
        ("tls_compression", CompressionImplementation, None),
        ("session_renegotiation", SessionRenegotiationImplementation,
         SessionRenegotiationExtraArgument(RENEGOTIATION_ATTEMPTS)),
    ]
    for name, implementation, extra in probes:
        try:
            scan.vulnerabilities[name] = _run_command(implementation, server_info, extra)
        except Exception as exc:  # reported as this probe's error, not the endpoint's
            scan.vulnerabilities[name] = exc
    if rsa_key_exchange(scan.suites):
        try:
            scan.vulnerabilities["robot"] = _run_command(RobotImplementation, server_info)
        except Exception as exc:
            scan.vulnerabilities["robot"] = exc
    else:
        scan.vulnerabilities["robot"] = RobotScanResult(
            RobotScanResultEnum.NOT_VULNERABLE_RSA_NOT_SUPPORTED)


def scan_endpoint(host: str, port: int, ip: str, *, timeout: float, smtp: bool,
                  reason: Any, probe_vulnerabilities: bool = True) -> EndpointScan:
    """Everything :mod:`ssckit.cyber.checks.tls` judges about ``host:port`` at ``ip``."""
    from sslyze.server_connectivity import TlsVersionEnum

    server_info = connectivity(host, port, ip, timeout=timeout, smtp=smtp, reason=reason)
    scan = EndpointScan()
    for version in TlsVersionEnum:
        try:
            scan.suites[_version_name(version)] = accepted_suites(server_info, version, scan)
        except Exception as exc:  # this version unknown; the judgement sees it missing
            scan.errors[_version_name(version)] = f"{type(exc).__name__}: {exc}"
    try:
        certificate_chain(server_info, scan)
    except Exception as exc:
        scan.errors["certificate"] = f"{type(exc).__name__}: {exc}"
    if probe_vulnerabilities:
        vulnerabilities(server_info, scan)
    return scan
