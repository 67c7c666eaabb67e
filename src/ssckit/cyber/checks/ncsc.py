"""NCSC-NL TLS guideline classifications: protocol versions, cipher suites, key exchange groups.

Levels, from best to worst: ``good``, ``sufficient``, ``phase_out``, ``insufficient``.

References
----------
NCSC-NL, "IT Security Guidelines for Transport Layer Security (TLS)", v2.1 (January 2021),
guideline B1-1 (versions) and B2-1..B2-4 (algorithm selections), and the 2025 update of the same
guidelines, section 3.3.1 (versions), 3.3.2 (certificate keys), 3.3.3 (key exchange), 3.3.4
(bulk encryption and hashing) and appendix B (cipher suite table). The 2025 update rates TLS 1.0
and 1.1 *insufficient* (v2.1 rated them *phase out*) and TLS 1.2 *sufficient*; the tables below
follow the 2025 update as it is applied by the Internet.nl test suite
(github.com/internetstandards/Internet.nl, ``checks/tasks/tls/tls_constants.py``), which is where
the suite-by-suite lists were confirmed. A suite not listed here is *insufficient*.
"""

from __future__ import annotations

GOOD = "good"
SUFFICIENT = "sufficient"
PHASE_OUT = "phase_out"
INSUFFICIENT = "insufficient"

#: Order of the levels, best first.
LEVELS = (GOOD, SUFFICIENT, PHASE_OUT, INSUFFICIENT)

#: 2025 update, section 3.3.1: TLS 1.3 good, TLS 1.2 sufficient, everything older insufficient.
PROTOCOL_LEVEL: dict[str, str] = {
    "TLS 1.3": GOOD,
    "TLS 1.2": SUFFICIENT,
    "TLS 1.1": INSUFFICIENT,
    "TLS 1.0": INSUFFICIENT,
    "SSL 3.0": INSUFFICIENT,
    "SSL 2.0": INSUFFICIENT,
}

#: Appendix B (2025 update): TLS 1.3 suites with 256-bit keys or ChaCha20 are good.
_GOOD_SUITES = ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")

#: Appendix B: ECDHE with AEAD (GCM, CCM, ChaCha20-Poly1305) is sufficient; so are the 128-bit
#: TLS 1.3 suites.
_SUFFICIENT_SUITES = (
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256",
    *(f"TLS_ECDHE_{auth}_WITH_{bulk}"
      for auth in ("ECDSA", "RSA")
      for bulk in ("CHACHA20_POLY1305_SHA256", "AES_256_GCM_SHA384", "AES_128_GCM_SHA256",
                   "AES_256_CCM", "AES_128_CCM")),
)

#: Appendix B: ECDHE with CBC (SHA-2 MAC), Camellia or ARIA, and finite-field DHE with AEAD or
#: CBC-SHA-2 are phase out. (Finite-field groups are judged separately, see FFDHE_LEVEL.)
_PHASE_OUT_SUITES = (
    *(f"TLS_ECDHE_{auth}_WITH_{bulk}"
      for auth in ("ECDSA", "RSA")
      for bulk in ("CAMELLIA_256_GCM_SHA384", "CAMELLIA_256_CBC_SHA384", "CAMELLIA_128_GCM_SHA256",
                   "CAMELLIA_128_CBC_SHA256", "ARIA_256_GCM_SHA384", "ARIA_256_CBC_SHA384",
                   "ARIA_128_GCM_SHA256", "ARIA_128_CBC_SHA256", "AES_256_CBC_SHA384",
                   "AES_128_CBC_SHA256")),
    *(f"TLS_DHE_RSA_WITH_{bulk}"
      for bulk in ("CHACHA20_POLY1305_SHA256", "CAMELLIA_256_GCM_SHA384",
                   "CAMELLIA_256_CBC_SHA256", "CAMELLIA_128_GCM_SHA256", "CAMELLIA_128_CBC_SHA256",
                   "ARIA_256_GCM_SHA384", "ARIA_256_CBC_SHA384", "ARIA_128_GCM_SHA256",
                   "ARIA_128_CBC_SHA256", "AES_256_GCM_SHA384", "AES_256_CCM",
                   "AES_256_CBC_SHA256", "AES_128_GCM_SHA256", "AES_128_CCM",
                   "AES_128_CBC_SHA256")),
)

CIPHER_LEVEL: dict[str, str] = {
    **{s: GOOD for s in _GOOD_SUITES},
    **{s: SUFFICIENT for s in _SUFFICIENT_SUITES},
    **{s: PHASE_OUT for s in _PHASE_OUT_SUITES},
}

#: Section 3.3.3 / 3.3.2.1: elliptic curves for (EC)DHE. Others are insufficient.
CURVE_LEVEL: dict[str, str] = {
    "X25519": GOOD, "X448": GOOD, "secp256r1": GOOD, "prime256v1": GOOD, "secp384r1": GOOD,
    "secp521r1": GOOD, "brainpoolP256r1": GOOD, "brainpoolP384r1": GOOD,
    "brainpoolP512r1": GOOD, "secp224r1": PHASE_OUT,
}

#: Section 3.3.3.1: finite-field DHE is phase out with the RFC 7919 groups of >= 3072 bits;
#: anything smaller (including ffdhe2048) is insufficient. Judged here by size [bit].
FFDHE_MIN_PHASE_OUT_BITS = 3072

#: Section 3.3.2.1: certificate keys. RSA >= 3072 good, 2048 sufficient ("phase out" in the
#: guideline's own words for 2048 after 2030); EC on the curves above with >= 256 bits.
RSA_MIN_BITS = 2048
EC_MIN_BITS = 256


def protocol_level(name: str) -> str:
    """NCSC level of a protocol version such as ``"TLS 1.2"``."""
    return PROTOCOL_LEVEL.get(name, INSUFFICIENT)


def cipher_level(iana_name: str) -> str:
    """NCSC level of a cipher suite given by its IANA name (``TLS_ECDHE_RSA_WITH_...``)."""
    return CIPHER_LEVEL.get(iana_name, INSUFFICIENT)


def curve_level(name: str) -> str:
    """NCSC level of an elliptic curve group for ECDHE (``"X25519"``, ``"secp256r1"``)."""
    return CURVE_LEVEL.get(name, INSUFFICIENT)


def dh_level(size_bits: int) -> str:
    """NCSC level of a finite-field DHE group of ``size_bits`` [bit]."""
    return PHASE_OUT if size_bits >= FFDHE_MIN_PHASE_OUT_BITS else INSUFFICIENT


def worst(levels: list[str]) -> str | None:
    """The worst of ``levels`` (``None`` for an empty list)."""
    return max(levels, key=LEVELS.index) if levels else None
