"""SPF, DMARC, DNSSEC and MX STARTTLS against a local DNS server and local SMTP servers."""

from __future__ import annotations

import pytest

from ssckit.cyber.checks.dns import DnsConfig, evaluate
from ssckit.cyber.model import Status


def _by_check(findings):
    return {f.check: f for f in findings}


def test_good_mail_domain(dns_server, smtp_servers, mail_ca):
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3)
    found = _by_check(evaluate("city.test", cfg, loopback_only=True,
                               smtp_port=smtp_servers["tls"], ca_bundle=mail_ca.bundle))
    assert found["dns.spf"].status == Status.PASS and "-all" in found["dns.spf"].detail
    assert found["dns.dmarc"].status == Status.PASS and found["dns.dmarc"].evidence["policy"] \
        == "reject"
    assert found["dns.dnssec"].status == Status.PASS and found["dns.dnssec"].evidence["ad_flag"]
    assert found["mail.starttls@mail.city.test"].status == Status.PASS
    # The TLS after STARTTLS gets the same rules as HTTPS.
    assert found["mail.tls.protocols@mail.city.test"].status == Status.PASS
    assert found["mail.cert.trust@mail.city.test"].status == Status.PASS
    assert found["mail.cert.hostname@mail.city.test"].status == Status.PASS
    assert found["mail.tls.protocols@mail.city.test"].category == "mail"


def test_weak_mail_domain(dns_server, smtp_servers):
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3)
    found = _by_check(evaluate("weak.test", cfg, loopback_only=True,
                               smtp_port=smtp_servers["plain"]))
    assert (found["dns.spf"].status, found["dns.spf"].code) == (Status.WARN, "spf-weak")
    assert found["dns.dmarc"].status == Status.WARN and "p=none" in found["dns.dmarc"].detail
    assert found["dns.dnssec"].status == Status.FAIL
    mx = found["mail.starttls@mx.weak.test"]
    assert mx.status == Status.FAIL and mx.code == "mail-no-starttls" and mx.remediation


def test_missing_records(dns_server):
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3)
    found = _by_check(evaluate("nomail.test", cfg, loopback_only=True))
    assert found["dns.spf"].code == "spf-missing"
    assert found["dns.dmarc"].code == "dmarc-missing"
    assert found["mail.starttls"].status == Status.NOT_APPLICABLE


def test_mx_outside_loopback_is_not_contacted(dns_server):
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3)
    found = _by_check(evaluate("outside.test", cfg, loopback_only=True))
    mx = found["mail.starttls@mx.outside.test"]
    assert mx.status == Status.ERROR and "outside the loopback range" in mx.detail


def test_no_local_resolver_skips_dns_checks_with_a_message():
    found = evaluate("city.test", DnsConfig(), loopback_only=True)
    assert {f.status for f in found} == {Status.NOT_APPLICABLE}
    assert "no dns.nameservers" in found[0].detail
    public = evaluate("city.test", DnsConfig(nameservers=["192.0.2.53"]), loopback_only=True)
    assert "outside the loopback range" in public[0].detail


def test_mail_domain_in_a_full_service_scan(lab, dns_server, smtp_servers, mail_ca):
    from ssckit.cyber.scan import ScanOptions, scan_targets
    from ssckit.cyber.targets import parse_targets

    entry = next(t for t in lab.targets() if t["name"] == "good")
    targets = parse_targets({
        "dns": {"nameservers": ["127.0.0.1"], "port": dns_server.port},
        "services": [{**entry, "mail_domain": "weak.test", "smtp_port": smtp_servers["plain"]}],
    }, "t")
    r = scan_targets(targets, ScanOptions(loopback_only=True, connect_timeout=3)).results[0]
    assert r.error is None
    assert r.finding("dns.spf").status == Status.WARN
    assert r.finding("tls.protocols").status == Status.PASS


# -- DKIM (RFC 6376, RFC 8301), MTA-STS (RFC 8461), TLS-RPT (RFC 8460) --------------------------

def test_mail_authentication_records_good(dns_server, mta_sts_lab):
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3,
                    dkim_selectors=("mail2026",), mta_sts_port=mta_sts_lab["city.test"])
    found = _by_check(evaluate("city.test", cfg, loopback_only=True,
                               ca_bundle=mta_sts_lab["ca"]))
    dkim = found["mail.dkim"]
    assert dkim.status == Status.PASS, dkim.detail
    assert dkim.evidence["selectors"]["mail2026"] == {"present": True, "type": "rsa", "bits": 2048}
    sts = found["mail.mta_sts"]
    assert sts.status == Status.PASS, sts.detail
    assert sts.evidence["id"] == "20260105T080000"
    # The policy file fetched over HTTPS (RFC 8461 3.2): mode, max_age [s], mx.
    assert (sts.evidence["mode"], sts.evidence["max_age"], sts.evidence["mx"]) == \
        ("enforce", 604800, ["mail.city.test"])
    assert found["mail.tls_rpt"].status == Status.PASS
    assert found["mail.tls_rpt"].evidence["rua"] == ["mailto:tls-reports@city.test"]


def test_mail_authentication_records_misconfigured(dns_server):
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3,
                    dkim_selectors=("mail2026", "absent"))
    found = _by_check(evaluate("weak.test", cfg, loopback_only=True))
    dkim = found["mail.dkim"]
    assert (dkim.status, dkim.code) == (Status.FAIL, "dkim-weak")
    assert "512 bits" in dkim.detail and "absent._domainkey.weak.test: no key record" in dkim.detail
    assert dkim.evidence["min_rsa_bits"] == 512
    assert found["mail.mta_sts"].code == "mta-sts-invalid"
    assert found["mail.tls_rpt"].code == "tls-rpt-invalid"
    missing = _by_check(evaluate("nomail.test", cfg, loopback_only=True))
    assert missing["mail.dkim"].code == "dkim-missing"
    assert missing["mail.mta_sts"].code == "mta-sts-missing"
    assert missing["mail.tls_rpt"].code == "tls-rpt-missing"


def test_mta_sts_policy_file_broken_or_not_served(dns_server, mta_sts_lab):
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3,
                    mta_sts_port=mta_sts_lab["sts.test"])
    sts = _by_check(evaluate("sts.test", cfg, loopback_only=True,
                             ca_bundle=mta_sts_lab["ca"]))["mail.mta_sts"]
    assert (sts.status, sts.code) == (Status.FAIL, "mta-sts-policy-invalid")
    assert "max_age" in sts.detail and "31557600" in sts.detail
    # city.test's policy host asked on a port where nothing listens: the record alone is not
    # enough.
    from ssckit.cyber.locallab import free_port

    cfg.mta_sts_port = free_port()
    sts = _by_check(evaluate("city.test", cfg, loopback_only=True,
                             ca_bundle=mta_sts_lab["ca"]))["mail.mta_sts"]
    assert (sts.status, sts.code) == (Status.FAIL, "mta-sts-no-policy")
    assert "https://mta-sts.city.test/.well-known/mta-sts.txt not served" in sts.detail


@pytest.mark.parametrize(("policy", "problem"), [
    # RFC 8461 section 3.2
    ("version: STSv1\nmode: testing\nmx: *.city.test\nmax_age: 86400\n", None),
    ("version: STSv1\nmode: none\nmax_age: 86400\n", None),
    ("version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n", "version is 'STSv2', not STSv1"),
    ("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n",
     "mode is 'strict', not enforce, testing or none"),
    ("version: STSv1\nmode: enforce\nmx: a\nmax_age: 31557601\n",
     "max_age '31557601' is not a whole number of seconds up to 31557600"),
])
def test_mta_sts_policy_syntax(policy, problem):
    from ssckit.cyber.checks.mailauth import parse_mta_sts_policy

    assert parse_mta_sts_policy(policy)[1] == problem


def test_no_dkim_selectors_leaves_dkim_unjudged(dns_server):
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3)
    dkim = _by_check(evaluate("city.test", cfg, loopback_only=True))["mail.dkim"]
    assert dkim.status == Status.NOT_APPLICABLE and "settings.cyber.dkim_selectors" in dkim.detail


@pytest.mark.parametrize(("record", "verdict"), [
    # RFC 8301 3.2: 1024 bits is the floor; 2048 recommended (warn under it, still valid).
    ("v=DKIM1; k=rsa; p=", "empty p=: the key is revoked"),
    ("v=DKIM1; k=rsa; p=!!!", "p= is not base64"),
    ("v=DKIM1; k=ed25519; p=" + "A" * 43 + "=", None),  # RFC 8463: 32-byte key
    ("v=DKIM2; p=AAAA", "v=DKIM2 is not DKIM1"),
])
def test_dkim_record_syntax(record, verdict):
    from ssckit.cyber.checks.mailauth import dkim_key_bits

    assert dkim_key_bits(record)[2] == verdict


def test_each_misconfiguration_is_caught_by_its_baseline_requirement(dns_server, mta_sts_lab):
    from ssckit.cyber.baseline import evaluate as judge_service
    from ssckit.cyber.baseline import load_profile
    from ssckit.cyber.model import ServiceResult

    profile = load_profile("national-baseline")
    for rid in ("dkim-key", "mta-sts", "tls-rpt"):
        assert profile.requirement(rid).source in profile.sources
    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3,
                    dkim_selectors=("mail2026",))

    def verdicts(domain: str) -> dict[str, str]:
        cfg.mta_sts_port = mta_sts_lab.get(domain, 443)
        svc = ServiceResult(domain, f"https://{domain}/", findings=evaluate(
            domain, cfg, loopback_only=True, ca_bundle=mta_sts_lab["ca"]))
        return {r.requirement: r.status for r in judge_service(profile, svc).results}

    good, weak = verdicts("city.test"), verdicts("weak.test")
    for rid in ("dkim-key", "mta-sts", "tls-rpt"):
        assert (good[rid], weak[rid]) == ("pass", "fail"), rid
    assert verdicts("sts.test")["mta-sts"] == "fail"  # the broken policy file


def test_mail_authentication_details_read_in_russian_and_belarusian(dns_server):
    from ssckit.cyber.texts import finding_detail

    cfg = DnsConfig(nameservers=["127.0.0.1"], port=dns_server.port, timeout=3,
                    dkim_selectors=("mail2026",))
    found = _by_check(evaluate("weak.test", cfg, loopback_only=True))
    text, lang = finding_detail(found["mail.dkim"].detail, "ru")
    assert lang == "ru" and "ключ RSA длиной 512 бит" in text
    for check in ("mail.mta_sts", "mail.tls_rpt"):
        assert finding_detail(found[check].detail, "be")[1] == "be", found[check].detail
    text, lang = finding_detail("policy file https://mta-sts.sts.test/.well-known/mta-sts.txt: "
                                "no mx line", "ru")
    assert (text, lang) == ("файл политики https://mta-sts.sts.test/.well-known/mta-sts.txt: "
                            "нет строки mx", "ru")
