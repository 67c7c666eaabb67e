"""targets.yaml: the public services a city scans, validated with pydantic.

Example::

    # targets.yaml
    dns:                                # optional; default: the system resolver
      nameservers: [127.0.0.1]
      port: 53
    services:
      - name: portal                      # unique; used as entity service:<name>
        url: https://portal.city.example/   # the HTTPS address (port optional, default 443)
        http_url: http://portal.city.example/   # optional; default http://<host>/
        address: 192.0.2.10               # optional; connect here instead of resolving <host>
        address6: 2001:db8::10            # optional; the IPv6 address (default: <host>'s AAAA)
        mail_domain: city.example          # optional; SPF, DMARC, DNSSEC and MX STARTTLS
        smtp_port: 25                      # optional; port of the MX hosts (default 25)
        ca_bundle: city-ca.pem             # optional; trust anchors (PEM), relative to this file
        tags: [citizen, payments]

Every problem is reported as one :class:`~ssckit.core.errors.InputError` naming the entry and
the field, e.g. ``targets.yaml: services[2] (portal), field 'url': must start with https://``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ssckit.core.errors import InputError


class DnsSettings(BaseModel):
    """Which resolver answers DNS questions for the mail checks."""

    model_config = ConfigDict(extra="forbid")

    nameservers: list[str] = Field(
        default_factory=list, description="Resolver IP addresses; empty for the system resolver.")
    port: int = Field(default=53, ge=1, le=65535, description="Resolver port.")

    @field_validator("nameservers")
    @classmethod
    def _ips(cls, value: list[str]) -> list[str]:
        for ns in value:
            try:
                ipaddress.ip_address(ns)
            except ValueError:
                raise ValueError(f"{ns!r} is not an IP address") from None
        return value


class Target(BaseModel):
    """One service to scan."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      description="Unique short name (letters, digits, . _ -).")
    url: str = Field(description="HTTPS address: https://host[:port]/")
    http_url: str | None = Field(default=None, description="Plain HTTP address to test "
                                 "the redirect to HTTPS; default http://<host>/.")
    address: str | None = Field(default=None, description="IP address to connect to instead "
                                "of resolving the host name.")
    address6: str | None = Field(default=None, description="IPv6 address of the service "
                                 "for the IPv6 reachability check instead of the host name's "
                                 "AAAA record.")
    mail_domain: str | None = Field(default=None, description="Mail domain for SPF, DMARC, "
                                    "DNSSEC and MX STARTTLS.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port of the MX hosts.")
    mta_sts_port: int = Field(default=443, ge=1, le=65535, description="HTTPS port of "
                              "mta-sts.<mail domain> for the MTA-STS policy file (RFC 8461: "
                              "443; another only for a test lab).")
    ca_bundle: Path | None = Field(default=None, description="PEM file of trust anchors.")
    tags: list[str] = Field(default_factory=list)
    organisation: str | None = Field(default=None, min_length=1, max_length=200,
                                     description="Who runs the service (compliance is "
                                                 "reported per organisation).")

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "https":
            raise ValueError("must start with https://")
        if not parts.hostname:
            raise ValueError("has no host name")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError("has an invalid port (allowed 1..65535)") from None
        return value

    @field_validator("http_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and (urlsplit(value).scheme != "http" or not urlsplit(value).hostname):
            raise ValueError("must be http://host[:port]/")
        return value

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address") from None
        return value

    @field_validator("address6")
    @classmethod
    def _address6(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ip = ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address") from None
            if ip.version != 6:
                raise ValueError(f"{value!r} is not an IPv6 address") from None
        return value

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 443

    @property
    def plain_http_url(self) -> str:
        return self.http_url or f"http://{self.host}/"


class TargetsFile(BaseModel):
    """The whole targets.yaml."""

    model_config = ConfigDict(extra="forbid")

    dns: DnsSettings = Field(default_factory=DnsSettings)
    services: list[Target] = Field(min_length=1)


def _location(exc: ValidationError, data: object) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = list(err["loc"])
    parts: list[str] = []
    if len(loc) >= 2 and loc[0] == "services" and isinstance(loc[1], int):
        entry = f"services[{loc[1]}]"
        try:
            name = data["services"][loc[1]].get("name")  # type: ignore[index]
        except (KeyError, IndexError, TypeError, AttributeError):
            name = None
        parts.append(f"{entry} ({name})" if name else entry)
        loc = loc[2:]
    if loc:
        parts.append("field '" + ".".join(str(x) for x in loc) + "'")
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    return (", ".join(parts) or "file"), msg


def parse_targets(data: object, source: str, base_dir: Path | None = None) -> TargetsFile:
    """Validate already-loaded YAML ``data``; relative ``ca_bundle`` paths resolve from
    ``base_dir``. Raises :class:`InputError`."""
    if not isinstance(data, dict):
        raise InputError(source, None, "expected a mapping with a 'services' list")
    try:
        parsed = TargetsFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(source, *_location(exc, data)) from None
    seen: set[str] = set()
    for i, t in enumerate(parsed.services):
        if t.name in seen:
            raise InputError(source, f"services[{i}] ({t.name}), field 'name'",
                             "used twice; service names must be unique")
        seen.add(t.name)
        if t.ca_bundle is not None:
            path = t.ca_bundle if t.ca_bundle.is_absolute() or base_dir is None \
                else base_dir / t.ca_bundle
            if not path.is_file():
                raise InputError(source, f"services[{i}] ({t.name}), field 'ca_bundle'",
                                 f"file {path} does not exist")
            t.ca_bundle = path
    return parsed


def load_targets(path: str | Path) -> TargetsFile:
    """Read and validate a targets file. Raises :class:`InputError` for any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), None, f"cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        raise InputError(str(path), where, f"not valid YAML: {getattr(exc, 'problem', exc)}") \
            from None
    return parse_targets(data, str(path), path.parent)
