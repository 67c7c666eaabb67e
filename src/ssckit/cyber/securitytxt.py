"""The dashboard's ``/.well-known/security.txt`` (RFC 9116): who to tell about a vulnerability
in the city's ssckit server (``settings.cyber.security_contact``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ssckit.core.errors import InputError
from ssckit.core.workspace import Workspace

#: RFC 9116 recommends an Expires less than a year ahead; ours is renewed on every request.
SECURITY_TXT_DAYS = 360
_CONTACT_SCHEMES = ("mailto:", "https://", "tel:")


def security_contacts(ws: Workspace) -> list[str]:
    """The security.txt ``Contact:`` values: ``settings.cyber.security_contact`` of city.yaml
    (a URI or a list of them: ``mailto:``, ``https://`` or ``tel:``), by default
    ``mailto:security@<city>.invalid``, a placeholder that says "set me" and reaches nobody."""
    raw = ws.config.settings.get("cyber", {}).get("security_contact")
    if raw is None:
        slug = re.sub(r"[^a-z0-9]+", "-", ws.config.name.lower()).strip("-") or "city"
        return [f"mailto:security@{slug}.invalid"]
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        raise InputError(str(ws.root / "city.yaml"), "field 'settings.cyber.security_contact'",
                         "expected a contact URI or a list of them")
    for v in values:
        if not isinstance(v, str) or not v.startswith(_CONTACT_SCHEMES) or "\n" in v or "\r" in v:
            raise InputError(str(ws.root / "city.yaml"), "field 'settings.cyber.security_contact'",
                             f"{v!r} is not a contact URI (mailto:, https:// or tel:, RFC 9116 "
                             "section 2.5.3)")
    return list(values)


def security_txt(ws: Workspace, now: datetime | None = None) -> str:
    """The app's ``/.well-known/security.txt`` (RFC 9116): Contact, Expires (about a year
    ahead, at midnight UTC so it is stable through the day), Preferred-Languages."""
    now = now or datetime.now(UTC)
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    expires = midnight + timedelta(days=SECURITY_TXT_DAYS)
    lines = [f"# Security contact of the {ws.config.name} ssckit dashboard (RFC 9116)."]
    lines += [f"Contact: {c}" for c in security_contacts(ws)]
    lines += [f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}", "Preferred-Languages: en"]
    return "\n".join(lines) + "\n"
