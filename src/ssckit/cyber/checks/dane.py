"""DANE for SMTP (RFC 7672, RFC 6698): TLSA records of an MX host matched against the
certificate it serves after STARTTLS, in a DNSSEC-signed zone.

The TLSA record is looked up at ``_<port>._tcp.<mx host>`` (RFC 7672 2.2.3: port 25; a test
lab's SMTP port otherwise). It is usable only when the answer is DNSSEC-validated (the
resolver's AD flag, RFC 7672 2.1.1) and, for the MX RRset, the domain's MX answer is validated
too (2.2.1). Usages DANE-EE(3) and DANE-TA(2) are the ones RFC 7672 3.1 recommends; PKIX-TA(0)
and PKIX-EE(1) are unusable for SMTP (3.1.3).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ssckit.cyber.model import Check, Finding, Status

DANE = Check(
    "mail.dane", "mail", "DANE TLSA record of the MX host",
    "RFC 7672 (SMTP security via opportunistic DANE TLS) and RFC 6698 2.1 (TLSA fields); "
    "Forum Standaardisatie mandatory list: DANE for mail",
    "Sign the MX host's zone with DNSSEC and publish _25._tcp.<mx> TLSA '3 1 1 <SHA-256 of the "
    "public key>' (DANE-EE, SPKI, SHA-256); publish the next key's record before a key change.")

#: RFC 6698 2.1.1 certificate usages.
PKIX_TA, PKIX_EE, DANE_TA, DANE_EE = 0, 1, 2, 3
USAGE_NAMES = {PKIX_TA: "PKIX-TA", PKIX_EE: "PKIX-EE", DANE_TA: "DANE-TA", DANE_EE: "DANE-EE"}


@dataclass(frozen=True)
class Tlsa:
    """One TLSA record (RFC 6698 2.1): usage, selector (0 full certificate, 1 SubjectPublicKey
    Info), matching type (0 exact, 1 SHA-256, 2 SHA-512) and the association data."""

    usage: int
    selector: int
    mtype: int
    data: bytes

    def text(self) -> str:
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex()}"


def association(cert: x509.Certificate, selector: int, mtype: int) -> bytes | None:
    """The bytes a TLSA record with ``selector`` and ``mtype`` must carry for ``cert``
    (RFC 6698 2.1.2-2.1.3), or ``None`` for values the RFC does not define."""
    if selector == 0:
        raw = cert.public_bytes(serialization.Encoding.DER)
    elif selector == 1:
        raw = cert.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        return None
    if mtype == 0:
        return raw
    if mtype == 1:
        return hashlib.sha256(raw).digest()
    if mtype == 2:
        return hashlib.sha512(raw).digest()
    return None


def matches(record: Tlsa, chain: list[x509.Certificate]) -> bool:
    """Whether ``record`` matches the chain served (leaf first): DANE-EE the leaf, DANE-TA a
    certificate above the leaf in the chain the server sent (RFC 7672 3.1.1, 3.1.2)."""
    if record.usage == DANE_EE:
        candidates = chain[:1]
    elif record.usage == DANE_TA:
        candidates = chain[1:]
    else:
        return False
    return any(association(c, record.selector, record.mtype) == record.data for c in candidates)


def judge(mx: str, records: list[Tlsa], *, tlsa_secure: bool, mx_secure: bool,
          chain: list[x509.Certificate] | None, starttls: bool) -> Finding:
    """``mail.dane@<mx>`` from the TLSA records found, whether their answer and the domain's
    MX answer were DNSSEC-validated, and the chain served after STARTTLS (``None``: no TLS)."""
    check = Check(f"{DANE.id}@{mx}", DANE.category, DANE.title, DANE.reference,
                  DANE.remediation)
    evidence = {"mx": mx, "records": [r.text() for r in records], "tlsa_secure": tlsa_secure,
                "mx_secure": mx_secure}
    if not records:
        return check.result(Status.FAIL, f"no TLSA record for {mx}", "dane-missing", **evidence)
    if not (tlsa_secure and mx_secure):
        what = "TLSA" if not tlsa_secure else "MX"
        return check.result(Status.FAIL, f"the {what} answer is not DNSSEC-validated: the TLSA "
                            "record cannot be used (RFC 7672 2.1.1)", "dane-insecure",
                            **evidence)
    usable = [r for r in records if r.usage in (DANE_TA, DANE_EE)]
    if not usable:
        return check.result(Status.FAIL, "only PKIX-TA/PKIX-EE records, unusable for SMTP "
                            "(RFC 7672 3.1.3)", "dane-unusable", **evidence)
    if not starttls or not chain:
        return check.result(Status.FAIL, f"TLSA published but {mx} offers no TLS to match it "
                            "against", "dane-no-tls", **evidence)
    hit = [r for r in usable if matches(r, chain)]
    if not hit:
        return check.result(Status.FAIL, "no TLSA record matches the certificate served",
                            "dane-mismatch", **evidence)
    return check.result(Status.PASS, f"{USAGE_NAMES[hit[0].usage]} record matches the "
                        "certificate served", "dane-ok", matched=hit[0].text(), **evidence)
