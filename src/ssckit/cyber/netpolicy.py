"""Where a scan may connect: name resolution and the loopback-only guard.

With loopback-only on (``--loopback-only`` or ``SSCKIT_CYBER_LOOPBACK_ONLY=1``; the tests and the
benchmark set it), a host that resolves to an address outside 127.0.0.0/8 or ::1 is never
contacted: the service is reported unreachable with the reason.
"""

from __future__ import annotations

import ipaddress
import os
import socket

ENV_LOOPBACK_ONLY = "SSCKIT_CYBER_LOOPBACK_ONLY"


class Unreachable(Exception):
    """The service cannot be reached; the message is the reason shown to people."""


def loopback_only_default() -> bool:
    return os.environ.get(ENV_LOOPBACK_ONLY, "") not in ("", "0", "false", "no")


def is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _lookup(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Unreachable(f"DNS: host name {host!r} does not resolve ({exc.strerror})") from None
    addrs = sorted({str(i[4][0]) for i in infos}, key=lambda a: (":" in a, a))
    if not addrs:
        raise Unreachable(f"DNS: host name {host!r} has no address")
    return addrs[0]


def resolve(host: str, port: int, address: str | None = None, loopback_only: bool = False) -> str:
    """The IP address to connect to for ``host``: ``address`` if given, else the first address
    from the system resolver (IPv4 first). Raises :class:`Unreachable`."""
    if address is None:
        address = host if _is_ip(host) else _lookup(host, port)
    if loopback_only and not is_loopback(address):
        raise Unreachable(f"not contacted: {host} is at {address}, outside the loopback range "
                          f"(loopback-only mode)")
    return address
