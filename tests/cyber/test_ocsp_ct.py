"""OCSP stapling (RFC 6066 8, RFC 6960) against Debian's nginx stapling prepared responses, and
Certificate Transparency (RFC 6962 3.3) on lab certificates with embedded SCTs.

Python's ssl cannot staple, so the stapling lab is nginx (``ssl_stapling_file``); what it
staples is also read by ``openssl s_client -status``, independently of sslyze and of the
check. The SCT counts are cross-checked with ``openssl x509 -text``.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from ssckit.cyber.checks import tls
from ssckit.cyber.model import Status

OPENSSL = shutil.which("openssl")


def _collect(port: int, name: str, ca) -> tls.TlsData:
    return tls.collect(f"{name}.city.test", port, "127.0.0.1", ca_bundle=ca,
                       vulnerabilities=False)


def _s_client_status(port: int, name: str) -> str:
    out = subprocess.run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                          f"{name}.city.test", "-status"], input=b"", capture_output=True,
                         timeout=20)
    return out.stdout.decode("latin-1")


def test_a_good_stapled_response_passes(ocsp_lab):
    data = _collect(ocsp_lab["stapled"], "stapled", ocsp_lab["ca"])
    f = tls.check_ocsp(data)
    assert (f.status, f.code) == (Status.PASS, "ocsp-stapled"), f.detail
    assert f.evidence["cert_status"] == "GOOD"
    assert "Cert Status: good" in _s_client_status(ocsp_lab["stapled"], "stapled")


def test_a_revoked_certificate_fails(ocsp_lab):
    data = _collect(ocsp_lab["revoked"], "revoked", ocsp_lab["ca"])
    f = tls.check_ocsp(data)
    assert (f.status, f.code) == (Status.FAIL, "ocsp-revoked") and f.remediation
    assert "Cert Status: revoked" in _s_client_status(ocsp_lab["revoked"], "revoked")


def test_an_outdated_stapled_response_fails(ocsp_lab):
    f = tls.check_ocsp(_collect(ocsp_lab["staleocsp"], "staleocsp", ocsp_lab["ca"]))
    assert (f.status, f.code) == (Status.FAIL, "ocsp-invalid") and "expired" in f.detail


def test_a_response_not_signed_by_the_issuer_fails(ocsp_lab, tmp_path):
    from ssckit.cyber.locallab import LocalCA

    data = _collect(ocsp_lab["stapled"], "stapled", ocsp_lab["ca"])
    data.ca_bundle = LocalCA(tmp_path / "other").bundle  # the issuer is not found: unverifiable
    f = tls.check_ocsp(data)
    assert (f.status, f.code) == (Status.FAIL, "ocsp-invalid") and "signed" in f.detail


def test_no_staple_warns_only_where_the_certificate_names_a_responder(results):
    f = results["nostaple"].finding("tls.ocsp_stapling")
    assert (f.status, f.code) == (Status.WARN, "ocsp-not-stapled")
    assert f.evidence["responder"] == "http://ocsp.city.test/"
    assert results["good"].finding("tls.ocsp_stapling").status == Status.NOT_APPLICABLE


def _openssl_sct_count(cert) -> int:
    pem = cert.public_bytes(serialization.Encoding.PEM)
    out = subprocess.run([OPENSSL, "x509", "-noout", "-text"], input=pem, capture_output=True,
                         check=True)
    return out.stdout.decode().count("Signed Certificate Timestamp:")


@pytest.mark.parametrize(("service", "status", "scts"), [
    ("ct", Status.PASS, 3), ("ctfew", Status.WARN, 1)])
def test_embedded_scts_are_counted(lab, results, service, status, scts):
    f = results[service].finding("cert.transparency")
    assert f.status == status, f.detail
    assert f.evidence == {"scts": scts, "logs": scts, "required": 3}  # valid 366 days: 3
    site = next(s for s in lab.sites if s.name == service)
    data = tls.collect(site.host, site.tls_port, "127.0.0.1", vulnerabilities=False)
    assert _openssl_sct_count(data.chain[0]) == scts


def test_private_ca_certificate_without_scts_needs_none(results):
    f = results["good"].finding("cert.transparency")
    assert f.status == Status.NOT_APPLICABLE and f.evidence["scts"] == 0


def test_public_certificate_without_scts_fails(lab):
    site = next(s for s in lab.sites if s.name == "good")
    data = tls.collect(site.host, site.tls_port, "127.0.0.1", vulnerabilities=False)
    assert data.ca_bundle is None  # judged against the public roots
    f = tls.check_transparency(data)
    assert (f.status, f.code) == (Status.FAIL, "ct-missing")


def test_required_scts_follow_the_certificate_lifetime(tmp_path):
    from cryptography import x509

    from ssckit.cyber.locallab import LocalCA

    ca = LocalCA(tmp_path)
    short, _ = ca.issue("short", ["s.test"], days_valid=(0, 90))
    long_, _ = ca.issue("long", ["l.test"], days_valid=(0, 398))
    assert tls.required_scts(x509.load_pem_x509_certificate(short.read_bytes())) == 2
    assert tls.required_scts(x509.load_pem_x509_certificate(long_.read_bytes())) == 3
