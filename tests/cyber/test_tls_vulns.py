"""Known TLS vulnerabilities through sslyze's probes, and the suites found by elimination.

The lab (Python's ssl on OpenSSL 3) can be misconfigured on purpose only for client-initiated
renegotiation; Heartbleed, CCS injection, compression, insecure renegotiation and ROBOT need
TLS stacks that no longer build here, so for them the probes are shown to run and to report
the lab "not vulnerable", and the judgement is shown on sslyze's own result objects.
"""

from __future__ import annotations

import pytest
from sslyze import (
    CompressionScanResult,
    HeartbleedScanResult,
    OpenSslCcsInjectionScanResult,
    RobotScanResult,
    RobotScanResultEnum,
    SessionRenegotiationScanResult,
)

from ssckit.cyber.checks import tls, tlsvulns
from ssckit.cyber.model import Status

VULN_IDS = ("tls.heartbleed", "tls.ccs_injection", "tls.compression", "tls.renegotiation",
            "tls.robot")


def test_every_probe_runs_on_the_lab_and_finds_nothing_on_the_good_site(results):
    r = results["good"]
    for check in VULN_IDS:
        f = r.finding(check)
        assert f is not None and f.status == Status.PASS, (check, f)
    assert r.finding("tls.robot").evidence["robot_result"] == "NOT_VULNERABLE_RSA_NOT_SUPPORTED"


def test_robot_probe_runs_where_rsa_key_exchange_is_offered(results):
    f = results["legacy"].finding("tls.robot")  # offers TLS_RSA_WITH_AES_128_CBC_SHA
    assert f.status == Status.PASS and f.evidence["robot_result"] == "NOT_VULNERABLE_NO_ORACLE"


def test_client_initiated_renegotiation_is_caught(results):
    f = results["reneg"].finding("tls.renegotiation")
    assert f.status == Status.WARN and f.code == "tls-client-renegotiation"
    assert f.evidence == {"secure_renegotiation": True, "client_renegotiations": 10}
    assert "SSL_OP_ALLOW_CLIENT_RENEGOTIATION" in f.remediation
    assert results["good"].finding("tls.renegotiation").evidence["client_renegotiations"] == 0


@pytest.mark.parametrize(("result", "check", "status", "code"), [
    (HeartbleedScanResult(is_vulnerable_to_heartbleed=True), "tls.heartbleed", Status.FAIL,
     "tls-heartbleed"),
    (HeartbleedScanResult(is_vulnerable_to_heartbleed=False), "tls.heartbleed", Status.PASS,
     "tls-no-heartbleed"),
    (OpenSslCcsInjectionScanResult(is_vulnerable_to_ccs_injection=True), "tls.ccs_injection",
     Status.FAIL, "tls-ccs-injection"),
    (CompressionScanResult(supports_compression=True), "tls.compression", Status.FAIL,
     "tls-compression"),
    (CompressionScanResult(supports_compression=False), "tls.compression", Status.PASS,
     "tls-no-compression"),
    (SessionRenegotiationScanResult(supports_secure_renegotiation=False,
                                    is_vulnerable_to_client_renegotiation_dos=False,
                                    client_renegotiations_success_count=0),
     "tls.renegotiation", Status.FAIL, "tls-insecure-renegotiation"),
    (RobotScanResult(RobotScanResultEnum.VULNERABLE_STRONG_ORACLE), "tls.robot", Status.FAIL,
     "tls-robot"),
    (RobotScanResult(RobotScanResultEnum.VULNERABLE_WEAK_ORACLE), "tls.robot", Status.FAIL,
     "tls-robot"),
    (RobotScanResult(RobotScanResultEnum.UNKNOWN_INCONSISTENT_RESULTS), "tls.robot",
     Status.ERROR, ""),
])
def test_sslyze_results_map_to_findings(result, check, status, code):
    name = {"tls.heartbleed": "heartbleed", "tls.ccs_injection": "openssl_ccs_injection",
            "tls.compression": "tls_compression", "tls.renegotiation": "session_renegotiation",
            "tls.robot": "robot"}[check]
    (f,) = tlsvulns.evaluate({name: result})
    assert (f.check, f.status, f.code) == (check, status, code)
    assert bool(f.remediation) == (status == Status.FAIL)


def test_a_probe_that_raised_is_unknown_not_a_pass():
    (f,) = tlsvulns.evaluate({"heartbleed": ConnectionResetError("reset by peer")})
    assert f.status == Status.ERROR and "reset by peer" in f.detail


@pytest.mark.parametrize("service", ["good", "legacy", "phaseout", "weakcert"])
def test_suites_by_elimination_equal_sslyzes_one_handshake_per_suite(lab, service):
    site = next(s for s in lab.sites if s.name == service)
    fast = tls.collect(site.host, site.tls_port, "127.0.0.1", vulnerabilities=False)
    reference = tls.collect_per_suite(site.host, site.tls_port, "127.0.0.1")

    def suites(data):
        return {v: sorted((a.name, a.kex) for a in s) for v, s in data.suites.items() if s}

    assert suites(fast) == suites(reference)
    assert [c.serial_number for c in fast.chain] == [c.serial_number for c in reference.chain]
    assert fast.handshakes < 30  # sslyze's scan commands: one per suite, about 530
