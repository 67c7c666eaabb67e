"""The service checks: TLS (sslyze), HTTP, IPv6, DNS and mail, each naming its standard and fix."""

from __future__ import annotations

from ssckit.cyber.checks.dns import DNS_CHECKS
from ssckit.cyber.checks.http import HTTP_CHECKS
from ssckit.cyber.checks.ipv6 import WEB_IPV6
from ssckit.cyber.checks.tls import TLS_CHECKS
from ssckit.cyber.model import Check

#: Every check, in report order.
ALL_CHECKS: tuple[Check, ...] = (*TLS_CHECKS, *HTTP_CHECKS, WEB_IPV6, *DNS_CHECKS)

__all__ = ["ALL_CHECKS"]
