"""IPv6 reachability of web and mail services: an AAAA record and a real connection over it.

A web service passes when its host name has an AAAA record (or the target names ``address6``)
and a TLS handshake over IPv6 returns the certificate served over IPv4 (the same service); an
MX host passes when it has an AAAA record and answers SMTP over IPv6 with a 220 greeting.
"""

from __future__ import annotations

import smtplib
import socket
import ssl

from ssckit.cyber.model import Check, Finding, Status
from ssckit.cyber.netpolicy import is_loopback

REFERENCE = ("RFC 8200 (IPv6); RFC 3596 (AAAA records); Forum Standaardisatie mandatory list: "
             "IPv6 for public web and mail servers (as internet.nl tests it)")

WEB_IPV6 = Check(
    "http.ipv6", "http", "Reachable over IPv6", REFERENCE,
    "Publish an AAAA record for the host and serve the same site on its IPv6 address "
    "(nginx: listen [::]:443 ssl;).")
MAIL_IPV6 = Check(
    "mail.ipv6", "mail", "MX host reachable over IPv6", REFERENCE,
    "Publish an AAAA record for every MX host and accept SMTP on that address.")

IPV6_CHECKS = (WEB_IPV6, MAIL_IPV6)


def system_aaaa(host: str, port: int) -> str | None:
    """The first IPv6 address of ``host`` from the system resolver, or ``None``."""
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    return str(infos[0][4][0]) if infos else None


def served_certificate(host: str, port: int, ip: str, timeout: float) -> bytes:
    """The DER leaf certificate served at ``[ip]:port`` for SNI ``host`` (not verified: the
    certificate checks judge it; here only its identity counts)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as raw:
        raw.settimeout(timeout)
        raw.connect((ip, port))
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    if der is None:  # pragma: no cover - a TLS server always sends a certificate here
        raise OSError("no certificate")
    return der


def check_web(host: str, port: int, address6: str | None, v4_leaf: bytes | None, *,
              loopback_only: bool, timeout: float) -> Finding:
    """:data:`WEB_IPV6` for ``host:port``; ``v4_leaf``: the DER certificate seen over IPv4."""
    ip = address6 or system_aaaa(host, port)
    if ip is None:
        return WEB_IPV6.result(Status.FAIL, f"{host} has no AAAA record", "ipv6-no-aaaa")
    if loopback_only and not is_loopback(ip):
        return WEB_IPV6.result(Status.ERROR, f"not contacted: {host} is at {ip}, outside the "
                               "loopback range", address=ip)
    try:
        leaf = served_certificate(host, port, ip, timeout)
    except (OSError, ssl.SSLError) as exc:
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else str(exc)
        return WEB_IPV6.result(Status.FAIL, f"[{ip}]:{port}: {reason}", "ipv6-unreachable",
                               address=ip)
    if v4_leaf is not None and leaf != v4_leaf:
        return WEB_IPV6.result(Status.WARN, f"[{ip}]:{port} serves another certificate than "
                               "over IPv4", "ipv6-different-service", address=ip)
    return WEB_IPV6.result(Status.PASS, f"reachable over IPv6 at [{ip}]:{port}", "ipv6-ok",
                           address=ip)


def check_mail(mx: str, addresses6: list[str], port: int, *, loopback_only: bool,
               timeout: float) -> Finding:
    """``mail.ipv6@<mx>``: SMTP greeting over IPv6 at the MX host's AAAA address."""
    check = Check(f"{MAIL_IPV6.id}@{mx}", MAIL_IPV6.category, MAIL_IPV6.title,
                  MAIL_IPV6.reference, MAIL_IPV6.remediation)
    if not addresses6:
        return check.result(Status.FAIL, f"{mx} has no AAAA record", "mail-ipv6-no-aaaa", mx=mx)
    ip = addresses6[0]
    if loopback_only and not is_loopback(ip):
        return check.result(Status.ERROR, f"not contacted: {mx} is at {ip}, outside the "
                            "loopback range", mx=mx)
    try:
        with smtplib.SMTP(ip, port, local_hostname="ssckit.scan", timeout=timeout) as smtp:
            code, _ = smtp.ehlo()
    except (OSError, smtplib.SMTPException) as exc:
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else str(exc)
        return check.result(Status.FAIL, f"[{ip}]:{port}: {reason}", "mail-ipv6-unreachable",
                            mx=mx, address=ip)
    if code != 250:
        return check.result(Status.FAIL, f"[{ip}]:{port}: EHLO answered {code}",
                            "mail-ipv6-unreachable", mx=mx, address=ip)
    return check.result(Status.PASS, f"{mx} answers SMTP over IPv6 at [{ip}]:{port}",
                        "mail-ipv6-ok", mx=mx, address=ip)
