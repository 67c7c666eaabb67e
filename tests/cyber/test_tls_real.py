"""TLS and certificate checks against real handshakes with the local lab on 127.0.0.1."""

from __future__ import annotations

from ssckit.cyber.model import Status


def _f(results, service, check):
    finding = results[service].finding(check)
    assert finding is not None, f"{service} has no {check}: {results[service].error}"
    return finding


def test_good_site_passes_every_tls_and_certificate_check(results):
    r = results["good"]
    assert r.error is None
    for check in ("tls.protocols", "tls.ciphers", "tls.key_exchange", "cert.trust",
                  "cert.hostname", "cert.key_size", "cert.signature", "cert.expiry"):
        assert _f(results, "good", check).status == Status.PASS, check
    protocols = _f(results, "good", "tls.protocols")
    assert protocols.evidence["offered"] == ["TLS 1.2", "TLS 1.3"]
    assert protocols.evidence["levels"]["TLS 1.3"] == "good"


def test_no_ocsp_staple_is_a_warning(results):
    f = _f(results, "nostaple", "tls.ocsp_stapling")  # its certificate names a responder
    assert f.status == Status.WARN and f.remediation


def test_tls10_and_tls11_are_insufficient(results):
    f = _f(results, "legacy", "tls.protocols")
    assert f.status == Status.FAIL
    assert "TLS 1.0" in f.detail and "TLS 1.1" in f.detail
    assert f.evidence["levels"]["TLS 1.0"] == "insufficient"
    assert "ssl_protocols" in f.remediation


def test_weak_ciphers_and_rsa_key_exchange_are_insufficient(results):
    ciphers = _f(results, "legacy", "tls.ciphers")
    assert ciphers.status == Status.FAIL
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" in ciphers.evidence["insufficient"]
    assert "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" in ciphers.evidence["insufficient"]
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in ciphers.evidence["sufficient"]
    kex = _f(results, "legacy", "tls.key_exchange")
    assert kex.status == Status.FAIL and "RSA key exchange" in kex.detail


def test_tls12_only_with_cbc_sha256_is_sufficient_protocol_and_phase_out_cipher(results):
    protocols = _f(results, "phaseout", "tls.protocols")
    assert protocols.status == Status.PASS and "sufficient" in protocols.detail
    ciphers = _f(results, "phaseout", "tls.ciphers")
    assert ciphers.status == Status.WARN
    assert ciphers.evidence["phase_out"] == ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"]


def test_expired_certificate_fails(results):
    f = _f(results, "expired", "cert.expiry")
    assert f.status == Status.FAIL and f.code == "cert-expired"
    # The chain itself is fine: expiry is reported once, by cert.expiry.
    assert _f(results, "expired", "cert.trust").status == Status.PASS


def test_certificate_expiring_within_30_days_warns(results):
    f = _f(results, "expiring", "cert.expiry")
    assert f.status == Status.WARN and 8 <= f.evidence["days_left"] <= 10


def test_wrong_host_certificate_fails_hostname_check(results):
    f = _f(results, "wronghost", "cert.hostname")
    assert f.status == Status.FAIL
    assert "wronghost.city.test" in f.detail and f.evidence["names"] == ["other.city.test"]


def test_small_rsa_key_and_sha1_signature_fail(results):
    key = _f(results, "weakcert", "cert.key_size")
    assert key.status == Status.FAIL and key.evidence == {"kind": "RSA", "bits": 1024}
    sig = _f(results, "weakcert", "cert.signature")
    assert sig.status == Status.FAIL and "sha1" in sig.evidence["algorithms"]


def test_chain_not_trusted_without_the_local_ca(lab):
    from ssckit.cyber.scan import ScanOptions, scan_service
    from ssckit.cyber.targets import Target

    site = next(s for s in lab.sites if s.name == "good")
    target = Target(name="good", url=site.url, http_url=site.http_url, address="127.0.0.1")
    r = scan_service(target, options=ScanOptions(loopback_only=True, connect_timeout=3))
    f = r.finding("cert.trust")
    assert f is not None, r.error
    assert f.status == Status.FAIL and "Mozilla" in f.detail
