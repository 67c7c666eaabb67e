"""SPF, DMARC, DNSSEC and MX STARTTLS against a local DNS server and local SMTP servers."""

from __future__ import annotations

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
