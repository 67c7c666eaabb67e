"""DNS and mail checks (dnspython, smtplib): SPF, DMARC, DNSSEC, STARTTLS, DANE and IPv6 of
the MX hosts.

Questions go only to the resolver the targets file names (``dns.nameservers``) or, outside
loopback-only mode, the system resolver. In loopback-only mode without loopback name servers the
checks are skipped with a message: nothing is asked of a public resolver.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from ssckit.cyber.checks import dane, ipv6, mailauth, tls
from ssckit.cyber.model import Check, Finding, Status
from ssckit.cyber.netpolicy import Unreachable, is_loopback
from ssckit.cyber.shared import SharedWork, once

SPF = Check("dns.spf", "dns", "SPF record",
            "RFC 7208 (SPF); NCSC-NL factsheet 'Protect domains against spoofed e-mail'",
            "Publish one TXT record 'v=spf1 <your senders> -all' (or ~all while testing).")
DMARC = Check("dns.dmarc", "dns", "DMARC policy",
              "RFC 7489 section 6.3 (p= tag)",
              "Publish _dmarc.<domain> TXT 'v=DMARC1; p=reject; rua=mailto:...' (quarantine as an "
              "intermediate step).")
DNSSEC = Check("dns.dnssec", "dns", "DNSSEC",
               "RFC 4033-4035; AD flag per RFC 4035 section 3.2.3, DS at the parent",
               "Sign the zone and publish its DS record at the parent (ask the registrar).")
STARTTLS = Check("mail.starttls", "mail", "MX offers STARTTLS",
                 "RFC 3207 (SMTP STARTTLS); NCSC-NL TLS guidelines apply to the TLS that follows",
                 "Enable STARTTLS on every MX host with a certificate for its name.")

DNS_CHECKS = (SPF, DMARC, DNSSEC, STARTTLS, dane.DANE, ipv6.MAIL_IPV6,
              *mailauth.MAIL_AUTH_CHECKS)
MAX_MX = 3


@dataclass
class DnsConfig:
    nameservers: list[str] = field(default_factory=list)
    port: int = 53
    timeout: float = 5.0
    dkim_selectors: tuple[str, ...] = ()
    mta_sts_port: int = 443


def make_resolver(cfg: DnsConfig, loopback_only: bool,
                  shared: SharedWork | None = None) -> dns.resolver.Resolver:
    """A resolver for ``cfg`` (answers cached for the scan in ``shared``); raises
    :class:`Unreachable` (the skip reason) when loopback-only mode forbids it."""
    if cfg.nameservers:
        if loopback_only and not all(is_loopback(ns) for ns in cfg.nameservers):
            raise Unreachable("skipped: dns.nameservers are outside the loopback range "
                              "(loopback-only mode)")
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = list(cfg.nameservers)
        res.port = cfg.port
    else:
        if loopback_only:
            raise Unreachable("skipped: loopback-only mode and no dns.nameservers in the targets "
                              "file (the system resolver is not used)")
        res = dns.resolver.Resolver()
    res.timeout = res.lifetime = cfg.timeout
    if shared is not None:
        res.cache = shared.dns_cache
    return res


def _txt(res: dns.resolver.Resolver, name: str) -> list[str]:
    try:
        answer = res.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]


def check_spf(res: dns.resolver.Resolver, domain: str) -> Finding:
    records = [t for t in _txt(res, domain) if t.lower().startswith("v=spf1")]
    if not records:
        return SPF.result(Status.FAIL, f"no SPF record at {domain}", "spf-missing")
    if len(records) > 1:
        return SPF.result(Status.FAIL, f"{len(records)} SPF records (RFC 7208 4.5: permerror)",
                          "spf-multiple", records=records)
    record = records[0]
    terms = record.split()
    last = terms[-1].lower()
    if last == "-all":
        return SPF.result(Status.PASS, f"{record} (hard fail)", "spf-ok", record=record)
    if last == "~all":
        return SPF.result(Status.PASS, f"{record} (soft fail)", "spf-ok", record=record)
    if last in ("+all", "all"):
        return SPF.result(Status.FAIL, f"{record}: +all lets anyone send", "spf-permissive",
                          record=record)
    if any(t.lower().startswith("redirect=") for t in terms):
        return SPF.result(Status.PASS, f"{record} (policy by redirect)", "spf-ok", record=record)
    return SPF.result(Status.WARN, f"{record} does not end with -all or ~all", "spf-weak",
                      record=record)


def check_dmarc(res: dns.resolver.Resolver, domain: str) -> Finding:
    name = f"_dmarc.{domain}"
    records = [t for t in _txt(res, name) if t.replace(" ", "").lower().startswith("v=dmarc1")]
    if not records:
        return DMARC.result(Status.FAIL, f"no DMARC record at {name}", "dmarc-missing")
    tags = {}
    for part in records[0].split(";"):
        k, _, v = part.strip().partition("=")
        tags[k.strip().lower()] = v.strip().lower()
    policy = tags.get("p")
    ev = {"record": records[0], "policy": policy}
    if policy in ("reject", "quarantine"):
        return DMARC.result(Status.PASS, f"p={policy}", "dmarc-enforced", **ev)
    if policy == "none":
        return DMARC.result(Status.WARN, "p=none only monitors", "dmarc-monitor-only", **ev)
    return DMARC.result(Status.FAIL, f"invalid policy p={policy}", "dmarc-invalid", **ev)


def check_dnssec(res: dns.resolver.Resolver, domain: str) -> Finding:
    try:
        answer = res.resolve(domain, "SOA", raise_on_no_answer=False)
        authenticated = bool(answer.response.flags & dns.flags.AD)
    except dns.resolver.NXDOMAIN:
        return DNSSEC.result(Status.ERROR, f"{domain} does not exist (NXDOMAIN)")
    try:
        ds = res.resolve(domain, "DS")
        ds_present = len(ds) > 0
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        ds_present = False
    ev = {"ad_flag": authenticated, "ds_present": ds_present}
    if authenticated:
        return DNSSEC.result(Status.PASS, "answers validated (AD flag set)", "dnssec-ok", **ev)
    if ds_present:
        return DNSSEC.result(Status.WARN, "DS record present but the resolver did not validate "
                             "(no AD flag; is it a validating resolver?)", "dnssec-unvalidated",
                             **ev)
    return DNSSEC.result(Status.FAIL, "zone not signed (no DS, no AD flag)", "dnssec-missing",
                         **ev)


def _mx_hosts(res: dns.resolver.Resolver, domain: str) -> tuple[list[str], bool]:
    """The MX hosts of ``domain`` by preference, and whether the answer was DNSSEC-validated."""
    try:
        answer = res.resolve(domain, "MX")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return [], False
    records = sorted(answer, key=lambda r: r.preference)
    secure = bool(answer.response.flags & dns.flags.AD)
    return [r.exchange.to_text(omit_final_dot=True) for r in records], secure


def _tlsa(res: dns.resolver.Resolver, host: str, port: int) -> tuple[list[dane.Tlsa], bool]:
    """TLSA records at ``_<port>._tcp.<host>`` and whether the answer was DNSSEC-validated."""
    try:
        answer = res.resolve(f"_{port}._tcp.{host}", "TLSA")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return [], False
    records = [dane.Tlsa(r.usage, r.selector, r.mtype, bytes(r.cert)) for r in answer]
    return records, bool(answer.response.flags & dns.flags.AD)


def _aaaa(res: dns.resolver.Resolver, host: str) -> list[str]:
    try:
        return [r.to_text() for r in res.resolve(host, "AAAA")]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []


def _address(res: dns.resolver.Resolver, host: str, loopback_only: bool) -> str:
    for rdtype in ("A", "AAAA"):
        try:
            ip = res.resolve(host, rdtype)[0].to_text()
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            continue
        if loopback_only and not is_loopback(ip):
            raise Unreachable(f"not contacted: {host} is at {ip}, outside the loopback range")
        return ip
    raise Unreachable(f"DNS: MX host {host} has no address")


def check_mx(res: dns.resolver.Resolver, domain: str, *, smtp_port: int, timeout: float,
             loopback_only: bool, ca_bundle: Path | None,
             shared: SharedWork | None = None) -> list[Finding]:
    """STARTTLS on each MX host (up to :data:`MAX_MX`), the TLS checks on it, its DANE TLSA
    records and its IPv6 reachability. An MX host serving several domains of the scan is
    scanned once (``shared``)."""
    hosts, mx_secure = _mx_hosts(res, domain)
    if hosts == [""] or hosts == ["."]:
        return [STARTTLS.result(Status.NOT_APPLICABLE, "null MX: the domain receives no mail")]
    if not hosts:
        return [STARTTLS.result(Status.NOT_APPLICABLE, f"no MX records for {domain}")]
    findings: list[Finding] = []
    for host in hosts[:MAX_MX]:
        check = Check(f"{STARTTLS.id}@{host}", STARTTLS.category, STARTTLS.title,
                      STARTTLS.reference, STARTTLS.remediation)
        try:
            ip = _address(res, host, loopback_only)
            offered = once(shared, ("starttls", host, ip, smtp_port),
                           partial(_offers_starttls, ip, smtp_port, timeout))
        except Unreachable as exc:
            findings.append(check.result(Status.ERROR, str(exc), mx=host))
            continue
        except (OSError, smtplib.SMTPException) as exc:
            reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else str(exc)
            findings.append(check.result(Status.ERROR, f"{host}:{smtp_port}: {reason}", mx=host))
            continue
        tlsa, tlsa_secure = _tlsa(res, host, smtp_port)
        findings.append(ipv6.check_mail(host, _aaaa(res, host), smtp_port,
                                        loopback_only=loopback_only, timeout=timeout))
        if not offered:
            findings.append(check.result(Status.FAIL, f"{host} does not offer STARTTLS",
                                         "mail-no-starttls", mx=host))
            findings.append(dane.judge(host, tlsa, tlsa_secure=tlsa_secure, mx_secure=mx_secure,
                                       chain=None, starttls=False))
            continue
        findings.append(check.result(Status.PASS, f"{host} offers STARTTLS", "mail-starttls",
                                     mx=host))
        try:
            data = once(shared, ("tls", host, ip, smtp_port, ca_bundle, True),
                        partial(tls.collect, host, smtp_port, ip, ca_bundle=ca_bundle,
                                timeout=timeout, smtp=True))
        except Unreachable as exc:
            findings.append(check.result(Status.ERROR, f"TLS after STARTTLS: {exc}", mx=host))
            continue
        findings.append(dane.judge(host, tlsa, tlsa_secure=tlsa_secure, mx_secure=mx_secure,
                                   chain=data.chain, starttls=True))
        findings += tls.evaluate(data, prefix="mail.", suffix=f"@{host}")
    return findings


def _offers_starttls(ip: str, port: int, timeout: float) -> bool:
    with smtplib.SMTP(ip, port, local_hostname="ssckit.scan", timeout=timeout) as smtp:
        smtp.ehlo()
        return smtp.has_extn("starttls")


def evaluate(domain: str, cfg: DnsConfig, *, loopback_only: bool, smtp_port: int = 25,
             ca_bundle: Path | None = None, shared: SharedWork | None = None) -> list[Finding]:
    """SPF, DMARC, DNSSEC, DKIM, MTA-STS, TLS-RPT and the MX hosts' STARTTLS, TLS, DANE and
    IPv6 findings for ``domain``."""
    try:
        res = make_resolver(cfg, loopback_only, shared)
    except Unreachable as exc:
        return [c.result(Status.NOT_APPLICABLE, str(exc)) for c in DNS_CHECKS]
    findings: list[Finding] = []
    try:
        findings += [check_spf(res, domain), check_dmarc(res, domain), check_dnssec(res, domain)]

        def fetch_policy(host: str) -> str:
            return mailauth.fetch_mta_sts_policy(host, _address(res, host, loopback_only),
                                                 cfg.mta_sts_port, ca_bundle=ca_bundle,
                                                 timeout=cfg.timeout)

        findings += mailauth.evaluate(res, domain, cfg.dkim_selectors, fetch_policy)
        findings += check_mx(res, domain, smtp_port=smtp_port, timeout=cfg.timeout,
                             loopback_only=loopback_only, ca_bundle=ca_bundle, shared=shared)
    except (OSError, dns.exception.DNSException) as exc:
        done = {f.check for f in findings}
        reason = f"DNS query failed: {type(exc).__name__}: {exc}"
        findings += [c.result(Status.ERROR, reason) for c in DNS_CHECKS if c.id not in done]
    return findings
