"""Baselines as data: each misconfigured lab service is caught by the requirement it breaks;
mail requirements against the local DNS and SMTP servers; compliance per organisation; a city's
own profile, and its mistakes as one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssckit.core.errors import InputError
from ssckit.cyber.baseline import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    UNKNOWN,
    builtin_profiles,
    by_organisation,
    evaluate,
    fix_first,
    load_profile,
    overall,
)
from ssckit.cyber.checks.dns import DnsConfig
from ssckit.cyber.checks.dns import evaluate as dns_evaluate
from ssckit.cyber.model import ServiceResult

NATIONAL = load_profile("national-baseline")


def _status(result: ServiceResult) -> dict[str, str]:
    return {r.requirement: r.status for r in evaluate(NATIONAL, result).results}


def test_builtin_profile_names_its_sources():
    assert "national-baseline" in builtin_profiles()
    assert all(r.source in NATIONAL.sources for r in NATIONAL.requirements)
    assert all(s.url and s.url.startswith("https://") for s in NATIONAL.sources.values())


def test_good_service_meets_every_web_requirement(results):
    st = _status(results["good"])
    assert {k for k, v in st.items() if v in (FAIL, UNKNOWN)} == set()
    assert st["hsts-one-year"] == PASS and st["cert-30-days"] == PASS
    assert st["dmarc-reject"] == NOT_APPLICABLE  # no mail domain


@pytest.mark.parametrize(("service", "broken"), [
    ("legacy", {"tls-versions", "tls-suites", "tls-key-exchange"}),
    ("phaseout", {"tls-suites"}),
    ("expired", {"cert-30-days"}),
    ("expiring", {"cert-30-days"}),
    ("wronghost", {"cert-hostname"}),
    ("weakcert", {"cert-trusted", "cert-key", "cert-signature"}),
    ("bare", {"https-redirect", "hsts-one-year", "csp-present", "security-txt"}),
    ("badheaders", {"hsts-one-year", "security-txt"}),
    ("reneg", {"tls-renegotiation"}),
    ("v4only", {"ipv6-web"}),
    ("ctfew", {"cert-transparency"}),
    ("nostaple", {"ocsp-stapling"}),
])
def test_each_misconfigured_service_fails_exactly_what_it_breaks(results, service, broken):
    st = _status(results[service])
    assert {k for k, v in st.items() if v == FAIL} == broken
    c = evaluate(NATIONAL, results[service])
    assert not c.compliant
    failing = [r for r in c.results if r.status == FAIL]
    assert all(r.remediation for r in failing)


def test_unreachable_service_is_unknown_not_passing(results):
    st = _status(results["plain"])
    assert set(st.values()) == {UNKNOWN}
    assert not evaluate(NATIONAL, results["refused"]).compliant


def test_mail_requirements_against_local_dns_and_smtp(dns_server, smtp_servers, mail_ca):
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3)
    good = ServiceResult("g", "https://g/", findings=dns_evaluate(
        "city.test", cfg, loopback_only=True, smtp_port=smtp_servers["tls"],
        ca_bundle=mail_ca.bundle))
    weak = ServiceResult("w", "https://w/", findings=dns_evaluate(
        "weak.test", cfg, loopback_only=True, smtp_port=smtp_servers["plain"]))
    sg, sw = _status(good), _status(weak)
    for req in ("spf-hard-fail", "dmarc-reject", "dnssec", "mail-starttls", "mail-dane",
                "mail-ipv6"):
        assert (sg[req], sw[req]) == (PASS, FAIL), req


def test_compliance_per_organisation_and_fix_first(results):
    orgs = {"good": "Ministry A", "bare": "Ministry A", "expired": "City B", "plain": "City B"}
    comp = []
    for name, org in orgs.items():
        r = results[name]
        r2 = ServiceResult(r.name, r.url, findings=r.findings, error=r.error, organisation=org)
        comp.append(evaluate(NATIONAL, r2))
    by = {o.organisation: o for o in by_organisation(comp)}
    a, b = by["Ministry A"], by["City B"]
    assert (a.services, a.compliant_services, a.share_services) == (2, 1, 50.0)
    assert a.failing == {"https-redirect": 1, "hsts-one-year": 1, "csp-present": 1,
                         "security-txt": 1}
    # City B: the expired site fails one requirement; the unreachable one counts as unmet.
    assert b.compliant_services == 0
    assert b.share is not None and b.share < a.share
    total = overall(comp)
    assert total.services == 4 and total.counted == a.counted + b.counted
    first = fix_first(NATIONAL, comp)
    impacts = [f["impact"] for f in first]
    assert impacts == sorted(impacts, reverse=True)
    assert first[0]["requirement"] == "cert-30-days"  # weight 5, two services (one unknown)
    assert first[0]["services"] == ["expired", "plain"]


def test_a_city_profile_of_its_own(tmp_path: Path, results):
    path = tmp_path / "strict.yaml"
    path.write_text(
        "id: strict\ntitle: Strict\nsources: {own: {title: City policy 7}}\n"
        "requirements:\n"
        "  - {id: hsts-two-years, title: HSTS two years, check: headers.hsts, source: own,\n"
        "     evidence: {max_age: {at_least: 63072000}}}\n"
        "  - {id: no-unsafe-referrer, title: Referrer, check: headers.referrer_policy,\n"
        "     status: [pass], codes: [referrer-policy-private]}\n")
    profile = load_profile("strict.yaml", tmp_path)
    st = {r.requirement: r.status for r in evaluate(profile, results["good"]).results}
    assert st == {"hsts-two-years": PASS, "no-unsafe-referrer": PASS}
    st = {r.requirement: r.status for r in evaluate(profile, results["badheaders"]).results}
    assert st == {"hsts-two-years": FAIL, "no-unsafe-referrer": FAIL}


@pytest.mark.parametrize(("text", "message"), [
    ("id: x\ntitle: X\nrequirements:\n  - {id: a, title: A, check: c, weight: 9}\n",
     "requirements[0] (a), field 'weight'"),
    ("id: x\ntitle: X\nrequirements:\n  - {id: a, title: A, check: c, source: nowhere}\n",
     "names source 'nowhere'"),
    ("id: x\ntitle: X\nrequirements:\n  - {id: a, title: A, check: c,\n"
     "     evidence: {v: {matches: '('}}}\n", "not a regular expression"),
    ("id: x\ntitle: X\nrequirements:\n  - {id: a, title: A, check: c, colour: red}\n",
     "unknown field"),
])
def test_profile_mistakes_are_one_line(tmp_path: Path, text: str, message: str):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        load_profile(path)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_unknown_profile_names_the_builtins(tmp_path: Path):
    with pytest.raises(InputError, match="national-baseline"):
        load_profile("no-such-profile", tmp_path)
