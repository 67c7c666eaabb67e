"""DANE TLSA for mail (RFC 7672, RFC 6698) against the lab's DNS and SMTP servers, and IPv6
reachability of web and mail services over ::1."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ssckit.cyber.checks import dane
from ssckit.cyber.checks.dns import DnsConfig, evaluate
from ssckit.cyber.model import Status


def _by_check(findings):
    return {f.check: f for f in findings}


@pytest.fixture
def cfg(dns_server):
    return DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3)


def test_dane_matches_in_a_signed_zone(cfg, smtp_servers, mail_ca):
    found = _by_check(evaluate("city.test", cfg, loopback_only=True,
                               smtp_port=smtp_servers["tls"], ca_bundle=mail_ca.bundle))
    f = found["mail.dane@mail.city.test"]
    assert (f.status, f.code) == (Status.PASS, "dane-ok"), f.detail
    assert f.evidence["matched"] == f"3 1 1 {smtp_servers['spki_sha256']}"
    assert f.evidence["tlsa_secure"] and f.evidence["mx_secure"]


def test_dane_record_matching_nothing_fails(cfg, smtp_servers):
    f = _by_check(evaluate("danebad.test", cfg, loopback_only=True,
                           smtp_port=smtp_servers["tls"]))["mail.dane@mx.danebad.test"]
    assert (f.status, f.code) == (Status.FAIL, "dane-mismatch") and f.remediation


def test_dane_record_in_an_unsigned_zone_is_unusable(cfg, smtp_servers):
    f = _by_check(evaluate("daneplain.test", cfg, loopback_only=True,
                           smtp_port=smtp_servers["tls"]))["mail.dane@mx.daneplain.test"]
    assert (f.status, f.code) == (Status.FAIL, "dane-insecure")
    assert f.evidence["records"] == [f"3 1 1 {smtp_servers['spki_sha256']}"]


def test_no_tlsa_record_fails(cfg, smtp_servers):
    f = _by_check(evaluate("weak.test", cfg, loopback_only=True,
                           smtp_port=smtp_servers["plain"]))["mail.dane@mx.weak.test"]
    assert (f.status, f.code) == (Status.FAIL, "dane-missing")


def test_tlsa_association_data_of_each_selector_and_matching_type(mail_ca):
    """RFC 6698 2.1.2/2.1.3 on a certificate: the association bytes are the DER of the whole
    certificate (selector 0) or of its SubjectPublicKeyInfo (1), as is (0), SHA-256 (1) or
    SHA-512 (2); computed here with hashlib on the DER, independently of the check."""
    crt, _ = mail_ca.issue("dane-unit", ["mx.unit.test"])
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    assert dane.association(cert, 0, 0) == der
    assert dane.association(cert, 0, 1) == hashlib.sha256(der).digest()
    assert dane.association(cert, 1, 2) == hashlib.sha512(spki).digest()
    assert dane.association(cert, 2, 1) is None
    ee = dane.Tlsa(3, 1, 1, hashlib.sha256(spki).digest())
    assert dane.matches(ee, [cert])
    # DANE-TA matches only a certificate above the leaf; PKIX usages are unusable for SMTP.
    assert not dane.matches(dane.Tlsa(2, 1, 1, ee.data), [cert])
    ca = mail_ca.cert
    assert dane.matches(dane.Tlsa(2, 0, 1, hashlib.sha256(ca.public_bytes(
        serialization.Encoding.DER)).digest()), [cert, ca])
    pkix = dane.judge("mx", [dane.Tlsa(1, 1, 1, ee.data)], tlsa_secure=True, mx_secure=True,
                      chain=[cert], starttls=True)
    assert pkix.code == "dane-unusable"


def test_mx_reachable_over_ipv6_or_not(cfg, smtp_servers, mail_ca):
    good = _by_check(evaluate("city.test", cfg, loopback_only=True,
                              smtp_port=smtp_servers["tls"], ca_bundle=mail_ca.bundle))
    f = good["mail.ipv6@mail.city.test"]
    assert (f.status, f.evidence["address"]) == (Status.PASS, "::1"), f.detail
    weak = _by_check(evaluate("weak.test", cfg, loopback_only=True,
                              smtp_port=smtp_servers["plain"]))
    assert weak["mail.ipv6@mx.weak.test"].code == "mail-ipv6-no-aaaa"


def test_web_service_reachable_over_ipv6(results):
    f = results["good"].finding("http.ipv6")
    assert (f.status, f.code, f.evidence["address"]) == (Status.PASS, "ipv6-ok", "::1")


def test_ipv4_only_service_fails_ipv6(results):
    f = results["v4only"].finding("http.ipv6")
    assert (f.status, f.code) == (Status.FAIL, "ipv6-no-aaaa") and f.remediation


def test_aaaa_without_a_listener_is_unreachable(lab):
    from ssckit.cyber.scan import ScanOptions, scan_service
    from ssckit.cyber.targets import Target

    site = next(s for s in lab.sites if s.name == "v4only")  # nothing listens on [::1]:port
    target = Target(name="v4only", url=site.url, http_url=site.http_url, address="127.0.0.1",
                    address6="::1", ca_bundle=lab.ca.bundle)
    f = scan_service(target, options=ScanOptions(loopback_only=True, connect_timeout=3)
                     ).finding("http.ipv6")
    assert (f.status, f.code) == (Status.FAIL, "ipv6-unreachable")
    assert "connection refused" in f.detail
