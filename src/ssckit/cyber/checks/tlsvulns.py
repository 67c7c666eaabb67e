"""Known TLS vulnerabilities, judged from sslyze's own probe results.

Each check reads one sslyze result object (``sslyze.HeartbleedScanResult``,
``OpenSslCcsInjectionScanResult``, ``CompressionScanResult``,
``SessionRenegotiationScanResult``, ``RobotScanResult``) collected by
:mod:`ssckit.cyber.checks.tlsscan`; a probe that raised is reported as ``error`` (unknown),
never as a pass.
"""

from __future__ import annotations

from typing import Any

from ssckit.cyber.model import Check, Finding, Status

NCSC_REF = "NCSC-NL IT Security Guidelines for TLS (v2.1 2021)"

HEARTBLEED = Check(
    "tls.heartbleed", "tls", "Heartbleed",
    "CVE-2014-0160 (OpenSSL 1.0.1-1.0.1f heartbeat over-read, RFC 6520); sslyze heartbleed probe",
    "Update OpenSSL (1.0.1g or later) and replace the certificate's key, which may have leaked.")
CCS_INJECTION = Check(
    "tls.ccs_injection", "tls", "OpenSSL CCS injection",
    "CVE-2014-0224 (early ChangeCipherSpec accepted, OpenSSL before 0.9.8za/1.0.0m/1.0.1h); "
    "sslyze openssl_ccs_injection probe",
    "Update OpenSSL (1.0.1h or later).")
COMPRESSION = Check(
    "tls.compression", "tls", "TLS compression",
    f"CRIME, CVE-2012-4929; RFC 7457 section 2.6; {NCSC_REF}, compression: insufficient",
    "Switch TLS-level compression off (OpenSSL: SSL_OP_NO_COMPRESSION, the default since 1.1.0).")
RENEGOTIATION = Check(
    "tls.renegotiation", "tls", "Secure renegotiation",
    f"RFC 5746 (renegotiation_info; CVE-2009-3555); {NCSC_REF}: insecure renegotiation "
    "insufficient, client-initiated renegotiation phase out (denial of service)",
    "Support secure renegotiation (RFC 5746) and refuse client-initiated renegotiation "
    "(OpenSSL 3: leave SSL_OP_ALLOW_CLIENT_RENEGOTIATION unset; nginx does so).")
ROBOT = Check(
    "tls.robot", "tls", "ROBOT (RSA padding oracle)",
    "CVE-2017-13099 and related (Return Of Bleichenbacher's Oracle Threat, 2017); "
    "sslyze robot probe",
    "Remove the RSA key-exchange suites (TLS_RSA_WITH_*), or update the TLS stack that leaks "
    "the padding oracle.")

VULN_CHECKS = (HEARTBLEED, CCS_INJECTION, COMPRESSION, RENEGOTIATION, ROBOT)


def _error(check: Check, result: Exception) -> Finding:
    return check.result(Status.ERROR, f"probe failed: {type(result).__name__}: {result}")


def _flag(check: Check, result: Any, vulnerable: bool, name: str, code: str) -> Finding:
    """A probe that answers yes or no: vulnerable to ``name`` (``code``) or not
    (``tls-no-...``)."""
    if isinstance(result, Exception):
        return _error(check, result)
    if vulnerable:
        return check.result(Status.FAIL, f"vulnerable to {name}", code)
    return check.result(Status.PASS, f"not vulnerable to {name}",
                        code.replace("tls-", "tls-no-", 1))


def check_heartbleed(result: Any) -> Finding:
    vulnerable = getattr(result, "is_vulnerable_to_heartbleed", False)
    return _flag(HEARTBLEED, result, vulnerable, "Heartbleed", "tls-heartbleed")


def check_ccs_injection(result: Any) -> Finding:
    vulnerable = getattr(result, "is_vulnerable_to_ccs_injection", False)
    return _flag(CCS_INJECTION, result, vulnerable, "OpenSSL CCS injection",
                 "tls-ccs-injection")


def check_compression(result: Any) -> Finding:
    if isinstance(result, Exception):
        return _error(COMPRESSION, result)
    if result.supports_compression:
        return COMPRESSION.result(Status.FAIL, "TLS compression accepted (CRIME)",
                                  "tls-compression")
    return COMPRESSION.result(Status.PASS, "no TLS compression", "tls-no-compression")


def check_renegotiation(result: Any) -> Finding:
    if isinstance(result, Exception):
        return _error(RENEGOTIATION, result)
    evidence = {"secure_renegotiation": result.supports_secure_renegotiation,
                "client_renegotiations": result.client_renegotiations_success_count}
    if not result.supports_secure_renegotiation:
        return RENEGOTIATION.result(Status.FAIL, "insecure renegotiation (no RFC 5746 support)",
                                    "tls-insecure-renegotiation", **evidence)
    if result.is_vulnerable_to_client_renegotiation_dos:
        return RENEGOTIATION.result(
            Status.WARN, f"client-initiated renegotiation accepted "
            f"({result.client_renegotiations_success_count} times in a row)",
            "tls-client-renegotiation", **evidence)
    return RENEGOTIATION.result(Status.PASS, "secure renegotiation; no client-initiated "
                                "renegotiation", "tls-renegotiation-ok", **evidence)


def check_robot(result: Any) -> Finding:
    if isinstance(result, Exception):
        return _error(ROBOT, result)
    outcome = result.robot_result.value
    evidence = {"robot_result": outcome}
    if outcome.startswith("VULNERABLE"):
        strength = "strong" if outcome == "VULNERABLE_STRONG_ORACLE" else "weak"
        return ROBOT.result(Status.FAIL, f"vulnerable to ROBOT ({strength} oracle)",
                            "tls-robot", **evidence)
    if outcome == "NOT_VULNERABLE_RSA_NOT_SUPPORTED":
        return ROBOT.result(Status.PASS, "not vulnerable to ROBOT (no RSA key exchange)",
                            "tls-no-robot", **evidence)
    if outcome == "NOT_VULNERABLE_NO_ORACLE":
        return ROBOT.result(Status.PASS, "not vulnerable to ROBOT (no oracle)", "tls-no-robot",
                            **evidence)
    return ROBOT.result(Status.ERROR, "ROBOT probe inconclusive (inconsistent answers)",
                        "", **evidence)


_JUDGES = {"heartbleed": check_heartbleed, "openssl_ccs_injection": check_ccs_injection,
           "tls_compression": check_compression, "session_renegotiation": check_renegotiation,
           "robot": check_robot}


def evaluate(vulnerabilities: dict[str, Any]) -> list[Finding]:
    """One finding per probe that ran (``vulnerabilities``: probe name -> sslyze result)."""
    return [judge(vulnerabilities[name]) for name, judge in _JUDGES.items()
            if name in vulnerabilities]
