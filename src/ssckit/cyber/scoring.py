"""Scores: an Observatory-style grade per service, internet.nl-style pass rates per category,
and the city-wide posture indicators.

Grade per service (model: Mozilla HTTP Observatory scoring methodology,
github.com/mozilla/http-observatory ``httpobs/docs/scoring.md``): start at 100, add the modifier
of each finding's outcome code (:data:`MODIFIERS`), bonuses (positive modifiers) count only when
the score without them is at least 90, the floor is 0; the grade comes from :data:`GRADE_BANDS`.
HTTP header and cookie modifiers are the Observatory's own; TLS, certificate, security.txt, DNS
and mail modifiers are ssckit's extension in the same spirit (the Observatory does not grade
TLS), sized so that a broken certificate or an insufficient protocol costs as much as a missing
CSP or HSTS.

Pass rate per category (model: internet.nl): passed / (passed + warned + failed) checks, in %;
``not_applicable`` and ``error`` findings do not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from ssckit.core.indicators import IndicatorValue
from ssckit.cyber.model import CATEGORIES, ServiceResult, Status

#: (lowest score, grade), best first. Observatory grading chart.
GRADE_BANDS: tuple[tuple[int, str], ...] = (
    (100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"),
    (50, "C"), (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F"),
)
#: Grades counted as "B or better".
B_OR_BETTER = ("A+", "A", "A-", "B+", "B")

#: Outcome code -> score modifier [points].
MODIFIERS: dict[str, int] = {
    # Observatory: content-security-policy
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-missing-frame-ancestors": 0,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-not-implemented": -25,
    "csp-header-invalid": -25,
    # Observatory: cookies
    "cookies-secure-with-httponly-sessions-and-samesite": 5,
    "cookies-not-found": 0,
    "cookies-secure-with-httponly-sessions": 0,
    "cookies-without-secure-flag": -20,
    "cookies-samesite-flag-invalid": -20,
    "cookies-session-without-httponly-flag": -30,
    "cookies-session-without-secure-flag": -40,
    # Observatory: strict-transport-security (ssckit passes only >= one year, the Observatory's
    # penalty starts below six months)
    "hsts-implemented-max-age-at-least-one-year": 0,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    # Observatory: redirection
    "redirection-to-https": 0,
    "redirection-not-needed-no-http": 0,
    "redirection-off-host-from-http": -5,
    "redirection-not-to-https-on-initial-redirection": -10,
    "redirection-missing": -20,
    "redirection-not-to-https": -20,
    # Observatory: referrer-policy
    "referrer-policy-private": 5,
    "referrer-policy-origin": 0,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    # Observatory: x-content-type-options, x-frame-options
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    # ssckit: HTTPS itself, TLS (NCSC-NL levels) and certificate
    "https-not-available": -40,
    "tls-insufficient-protocol": -20,
    "tls-insufficient-cipher": -20,
    "tls-phase-out-cipher": -5,
    "tls-insufficient-key-exchange": -20,
    "tls-phase-out-key-exchange": -5,
    "cert-untrusted": -40,
    "cert-host-mismatch": -40,
    "cert-expired": -40,
    "cert-not-yet-valid": -40,
    "cert-expires-soon": -5,
    "cert-weak-key": -20,
    "cert-weak-signature": -20,
    "ocsp-not-stapled": 0, "ocsp-invalid": -5,
    "ct-missing": -10, "ct-too-few": -5,
    # ssckit: known TLS vulnerabilities (sslyze probes); a leak of memory or keys is an F
    "tls-heartbleed": -100, "tls-ccs-injection": -40, "tls-robot": -40,
    "tls-compression": -20, "tls-insecure-renegotiation": -20, "tls-client-renegotiation": -5,
    # ssckit: IPv6 (RFC 8200) and DANE (RFC 7672)
    "ipv6-no-aaaa": 0, "ipv6-unreachable": -5, "ipv6-different-service": -5,
    "mail-ipv6-no-aaaa": 0, "mail-ipv6-unreachable": -5,
    "dane-missing": 0, "dane-insecure": -5, "dane-unusable": -5, "dane-no-tls": -10,
    "dane-mismatch": -20,
    # ssckit: security.txt (RFC 9116)
    "security-txt-missing": -5,
    "security-txt-invalid": -5,
    "security-txt-expired": -5,
    # ssckit: mail domain
    "spf-missing": -5, "spf-multiple": -5, "spf-permissive": -10, "spf-weak": 0,
    "dmarc-missing": -5, "dmarc-invalid": -5, "dmarc-monitor-only": 0,
    "dnssec-missing": -5, "dnssec-unvalidated": 0,
    "mail-no-starttls": -20,
    # ssckit: DKIM (RFC 8301), MTA-STS (RFC 8461), TLS-RPT (RFC 8460)
    "dkim-missing": -5, "dkim-weak": -10, "dkim-short": 0,
    "mta-sts-missing": 0, "mta-sts-multiple": -5, "mta-sts-invalid": -5,
    "mta-sts-no-policy": -5, "mta-sts-policy-invalid": -5, "mta-sts-mode-none": 0,
    "tls-rpt-missing": 0, "tls-rpt-multiple": 0, "tls-rpt-invalid": 0,
}
#: Mail TLS findings reuse the TLS codes with a ``mail-`` prefix at half weight.
MAIL_TLS_FACTOR = 0.5


def modifier(code: str) -> int:
    """The score modifier of an outcome code (0 for codes without one)."""
    if code in MODIFIERS:
        return MODIFIERS[code]
    if code.startswith("mail-") and code[5:] in MODIFIERS:
        return int(MODIFIERS[code[5:]] * MAIL_TLS_FACTOR)
    return 0


def grade_for(score: float) -> str:
    for low, grade in GRADE_BANDS:
        if score >= low:
            return grade
    return "F"


@dataclass
class ServiceScore:
    """Score, grade and the modifiers that made them."""

    name: str
    score: int | None
    grade: str | None
    modifiers: list[tuple[str, int]] = field(default_factory=list)
    pass_rates: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": self.score, "grade": self.grade,
                "modifiers": [{"code": c, "modifier": m} for c, m in self.modifiers],
                "pass_rates": self.pass_rates}


def category_pass_rates(result: ServiceResult) -> dict[str, float]:
    """Per category: passed / (passed + warned + failed) checks [%]."""
    counts: dict[str, list[int]] = {}
    for f in result.findings:
        if f.status in (Status.NOT_APPLICABLE, Status.ERROR):
            continue
        c = counts.setdefault(f.category, [0, 0])
        c[0] += f.status == Status.PASS
        c[1] += 1
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return {k: round(100.0 * v[0] / v[1], 1)
            for k, v in sorted(counts.items(), key=lambda kv: order.get(kv[0], 99))}


def score_service(result: ServiceResult) -> ServiceScore:
    """Observatory-style score of one service; unreachable services get no score."""
    if not result.reachable:
        return ServiceScore(result.name, None, None)
    mods = [(f.code, modifier(f.code)) for f in result.findings if f.code and modifier(f.code)]
    penalties = sum(m for _, m in mods if m < 0)
    bonuses = sum(m for _, m in mods if m > 0)
    base = 100 + penalties
    score = base + bonuses if base >= 90 else base
    score = max(0, score)
    return ServiceScore(result.name, score, grade_for(score), mods, category_pass_rates(result))


def posture(scores: list[ServiceScore]) -> dict[str, Any]:
    """City-wide posture: mean score and share graded B or better, over the scored services."""
    graded = [s for s in scores if s.score is not None]
    return {
        "services": len(scores),
        "scored": len(graded),
        "unreachable": len(scores) - len(graded),
        "mean_score": round(mean(s.score for s in graded), 1) if graded else None,  # type: ignore[misc]
        "share_grade_b_or_better": (round(100.0 * sum(s.grade in B_OR_BETTER for s in graded)
                                          / len(graded), 1) if graded else None),
    }


#: The indicators this module writes: id -> (name, unit).
CYBER_INDICATORS: dict[str, tuple[str, str]] = {
    "cyber:mean_score": ("Mean security score of the city's public services", "points"),
    "cyber:share_grade_b_or_better": ("Share of public services graded B or better", "%"),
    "cyber:score": ("Security score of one public service (Observatory-style)", "points"),
}


def indicator_values(scores: list[ServiceScore], period: str,
                     source: dict[str, Any] | None = None,
                     quality: str = "B") -> list[IndicatorValue]:
    """``cyber:mean_score`` and ``cyber:share_grade_b_or_better`` (entity ``city``) and
    ``cyber:score`` per reachable service (entity ``service:<name>``)."""
    p = posture(scores)
    src = {"module": "cyber", **(source or {}), "scored": p["scored"],
           "unreachable": p["unreachable"]}
    out: list[IndicatorValue] = []
    if p["mean_score"] is not None:
        out.append(IndicatorValue("cyber:mean_score", float(p["mean_score"]), "points", period,
                                  source=src, quality=quality))
        out.append(IndicatorValue("cyber:share_grade_b_or_better",
                                  float(p["share_grade_b_or_better"]), "%", period, source=src,
                                  quality=quality))
    for s in scores:
        if s.score is not None:
            out.append(IndicatorValue("cyber:score", float(s.score), "points", period,
                                      entity=f"service:{s.name}", breakdown={},
                                      source={**src, "grade": s.grade}, quality=quality))
    return out
