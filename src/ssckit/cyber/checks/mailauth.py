"""Mail authentication records in DNS: DKIM keys (RFC 6376, RFC 8301), MTA-STS (RFC 8461) and
TLS-RPT (RFC 8460).

The ``judge_*`` functions are pure: TXT strings (and the MTA-STS policy text) in, a :class:`Finding`
out. ``evaluate`` asks the resolver for the records and, through the ``fetch_policy`` it is
given, fetches the MTA-STS policy file (``https://mta-sts.<domain>/.well-known/mta-sts.txt``).
"""

from __future__ import annotations

import base64
import binascii
import http.client
import re
import socket
import ssl
from collections.abc import Callable
from pathlib import Path

import dns.resolver
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from ssckit.cyber.model import Check, Finding, Status
from ssckit.cyber.netpolicy import Unreachable

#: RFC 8301 section 3.2: verifiers MUST NOT consider RSA keys shorter than 1024 bits valid;
#: signers SHOULD use at least 2048 bits.
DKIM_MIN_RSA_BITS = 1024
DKIM_RECOMMENDED_RSA_BITS = 2048
#: RFC 8461 section 3.1: id is 1 to 32 letters and digits.
MTA_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
#: RFC 8461 section 3.2: max_age is at most 31557600 seconds (about one year).
MTA_STS_MAX_AGE = 31557600
MTA_STS_MODES = ("enforce", "testing", "none")
MTA_STS_POLICY_PATH = "/.well-known/mta-sts.txt"
#: RFC 8461 section 3.3: senders read at most 64 KiB of policy.
MTA_STS_POLICY_LIMIT = 64 * 1024

DKIM = Check("mail.dkim", "mail", "DKIM public keys",
             "RFC 6376 section 3.6.1 (key record); RFC 8301 section 3.2 (RSA >= 1024 bit)",
             "Publish <selector>._domainkey.<domain> TXT 'v=DKIM1; k=rsa; p=<key>' with an RSA "
             "key of 2048 bits (or k=ed25519, RFC 8463) for every selector in use.")
MTA_STS = Check("mail.mta_sts", "mail", "MTA-STS record",
                "RFC 8461 sections 3.1-3.3 (_mta-sts TXT record, policy file)",
                "Publish _mta-sts.<domain> TXT 'v=STSv1; id=<1-32 letters or digits>' and the "
                "policy at https://mta-sts.<domain>/.well-known/mta-sts.txt.")
TLS_RPT = Check("mail.tls_rpt", "mail", "TLS-RPT record",
                "RFC 8460 section 3 (_smtp._tls TXT record)",
                "Publish _smtp._tls.<domain> TXT 'v=TLSRPTv1; rua=mailto:tls-reports@<domain>'.")

MAIL_AUTH_CHECKS = (DKIM, MTA_STS, TLS_RPT)


def _tags(record: str) -> dict[str, str]:
    """Tag=value list (RFC 6376 section 3.2; the same syntax in RFC 8461 and RFC 8460)."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        k, sep, v = part.partition("=")
        if sep:
            tags[k.strip().lower()] = "".join(v.split())
    return tags


def dkim_key_bits(record: str) -> tuple[str, int | None, str | None]:
    """Key type, size [bit] and the problem (None when usable) of one DKIM key record."""
    tags = _tags(record)
    if tags.get("v", "DKIM1") != "DKIM1":
        return "?", None, f"v={tags['v']} is not DKIM1"
    kind = tags.get("k", "rsa").lower()
    if "p" not in tags:
        return kind, None, "no p= tag (public key)"
    if not tags["p"]:
        return kind, None, "empty p=: the key is revoked"
    try:
        der = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError):
        return kind, None, "p= is not base64"
    if kind == "ed25519":
        return kind, 256, None if len(der) == 32 else f"ed25519 key of {len(der)} bytes, not 32"
    if kind != "rsa":
        return kind, None, f"unknown key type k={kind}"
    try:
        key = load_der_public_key(der)
    except ValueError:
        return kind, None, "p= is not an RSA public key"
    if not isinstance(key, rsa.RSAPublicKey):
        return kind, None, "p= is not an RSA public key"
    bits = key.key_size
    if bits < DKIM_MIN_RSA_BITS:
        return kind, bits, f"RSA key of {bits} bits, under the {DKIM_MIN_RSA_BITS} of RFC 8301"
    return kind, bits, None


def judge_dkim(records: dict[str, list[str]], domain: str) -> Finding:
    """DKIM finding from the TXT strings found at each selector (``{selector: [txt, ...]}``)."""
    if not records:
        return DKIM.result(Status.NOT_APPLICABLE,
                           "no DKIM selectors configured (settings.cyber.dkim_selectors)")
    keys: dict[str, dict[str, object]] = {}
    problems: list[str] = []
    for selector, txts in records.items():
        name = f"{selector}._domainkey.{domain}"
        if not txts:
            keys[selector] = {"present": False}
            problems.append(f"{name}: no key record")
            continue
        kind, bits, problem = dkim_key_bits(txts[0])
        keys[selector] = {"present": True, "type": kind, "bits": bits}
        if problem:
            problems.append(f"{name}: {problem}")
    rsa_bits = [k["bits"] for k in keys.values() if k.get("type") == "rsa" and k.get("bits")]
    ev = {"selectors": keys, "min_rsa_bits": min(rsa_bits) if rsa_bits else None}
    if problems:
        code = "dkim-missing" if all(not k["present"] for k in keys.values()) else "dkim-weak"
        return DKIM.result(Status.FAIL, "; ".join(problems), code, **ev)
    short = [s for s, k in keys.items() if k.get("type") == "rsa"
             and isinstance(k.get("bits"), int) and k["bits"] < DKIM_RECOMMENDED_RSA_BITS]
    if short:
        return DKIM.result(Status.WARN, f"RSA keys under {DKIM_RECOMMENDED_RSA_BITS} bits at "
                           f"{', '.join(short)} (RFC 8301 3.2: SHOULD be at least 2048)",
                           "dkim-short", **ev)
    return DKIM.result(Status.PASS, ", ".join(f"{s}: {k['type']} {k['bits']} bit"
                                              for s, k in keys.items()), "dkim-ok", **ev)


def judge_mta_sts(txts: list[str], domain: str) -> Finding:
    """MTA-STS finding from the TXT strings at ``_mta-sts.<domain>`` (RFC 8461 section 3.1)."""
    name = f"_mta-sts.{domain}"
    records = [t for t in txts if t.replace(" ", "").startswith("v=STSv1")]
    if not records:
        return MTA_STS.result(Status.FAIL, f"no MTA-STS record at {name}", "mta-sts-missing")
    if len(records) > 1:
        return MTA_STS.result(Status.FAIL, f"{len(records)} MTA-STS records at {name} (RFC 8461 "
                              "3.1: senders then assume no policy)", "mta-sts-multiple",
                              record=records[0])
    policy_id = _tags(records[0]).get("id", "")
    ev = {"record": records[0], "id": policy_id}
    if not MTA_STS_ID.match(policy_id):
        return MTA_STS.result(Status.FAIL, f"{records[0]}: id must be 1 to 32 letters or digits",
                              "mta-sts-invalid", **ev)
    return MTA_STS.result(Status.PASS, f"{records[0]} (policy file not fetched)", "mta-sts-ok",
                          **ev)


def parse_mta_sts_policy(text: str) -> tuple[dict[str, object], str | None]:
    """The fields of an MTA-STS policy file (RFC 8461 section 3.2) and its first problem (None
    when valid): ``version`` STSv1, ``mode`` enforce/testing/none, ``max_age`` 0..31557600 [s],
    one ``mx`` line or more unless the mode is none."""
    fields: dict[str, object] = {"mx": []}
    for line in text.replace("\r\n", "\n").split("\n"):
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "mx":
            fields["mx"].append(value)  # type: ignore[union-attr]
        else:
            fields.setdefault(key, value)
    if fields.get("version") != "STSv1":
        return fields, f"version is {fields.get('version')!r}, not STSv1"
    if fields.get("mode") not in MTA_STS_MODES:
        return fields, f"mode is {fields.get('mode')!r}, not enforce, testing or none"
    age = str(fields.get("max_age", ""))
    if not age.isdigit() or int(age) > MTA_STS_MAX_AGE:
        return fields, f"max_age {age!r} is not a whole number of seconds up to {MTA_STS_MAX_AGE}"
    fields["max_age"] = int(age)
    if fields["mode"] != "none" and not fields["mx"]:
        return fields, "no mx line"
    return fields, None


def judge_mta_sts_policy(record: Finding, policy: str | None, problem: str | None,
                         domain: str) -> Finding:
    """The MTA-STS finding once the policy file was asked for: ``policy`` its text, or None with
    ``problem`` saying why it could not be read."""
    url = f"https://mta-sts.{domain}{MTA_STS_POLICY_PATH}"
    ev = dict(record.evidence)
    if policy is None:
        return MTA_STS.result(Status.FAIL, f"policy file {url} not served: {problem}",
                              "mta-sts-no-policy", **ev)
    fields, invalid = parse_mta_sts_policy(policy)
    ev.update(mode=fields.get("mode"), max_age=fields.get("max_age"), mx=fields["mx"])
    if invalid:
        return MTA_STS.result(Status.FAIL, f"policy file {url}: {invalid}",
                              "mta-sts-policy-invalid", **ev)
    if fields["mode"] == "none":
        return MTA_STS.result(Status.WARN, "policy mode none: senders do not enforce TLS",
                              "mta-sts-mode-none", **ev)
    mx = ", ".join(fields["mx"])  # type: ignore[arg-type]
    return MTA_STS.result(Status.PASS, f"policy mode {fields['mode']}, max_age "
                          f"{fields['max_age']} s, mx {mx}", "mta-sts-ok", **ev)


def fetch_mta_sts_policy(host: str, address: str, port: int = 443, *,
                         ca_bundle: Path | None = None, timeout: float = 5.0) -> str:
    """GET ``https://<host>/.well-known/mta-sts.txt`` from ``address``: a certificate valid for
    ``host``, status 200, no redirect followed (RFC 8461 section 3.3). Raises OSError or
    ValueError with the reason."""
    ctx = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    with socket.create_connection((address, port), timeout=timeout) as raw, \
            ctx.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(f"GET {MTA_STS_POLICY_PATH} HTTP/1.1\r\nHost: {host}\r\n"
                    "User-Agent: ssckit\r\nConnection: close\r\n\r\n".encode("ascii"))
        response = http.client.HTTPResponse(tls)  # type: ignore[arg-type]
        response.begin()
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        body = response.read(MTA_STS_POLICY_LIMIT + 1)
    if len(body) > MTA_STS_POLICY_LIMIT:
        raise ValueError("larger than 64 KiB")
    return body.decode("utf-8", "replace")


PolicyFetch = Callable[[str], str]


def judge_tls_rpt(txts: list[str], domain: str) -> Finding:
    """TLS-RPT finding from the TXT strings at ``_smtp._tls.<domain>`` (RFC 8460 section 3)."""
    name = f"_smtp._tls.{domain}"
    records = [t for t in txts if t.replace(" ", "").startswith("v=TLSRPTv1")]
    if not records:
        return TLS_RPT.result(Status.FAIL, f"no TLS-RPT record at {name}", "tls-rpt-missing")
    if len(records) > 1:
        return TLS_RPT.result(Status.FAIL, f"{len(records)} TLS-RPT records at {name} (RFC 8460 "
                              "3: no report is sent)", "tls-rpt-multiple", record=records[0])
    rua = [u for u in _tags(records[0]).get("rua", "").split(",") if u]
    ev = {"record": records[0], "rua": rua}
    if not rua or not all(u.lower().startswith(("mailto:", "https:")) for u in rua):
        return TLS_RPT.result(Status.FAIL, f"{records[0]}: rua= must list mailto: or https: "
                              "addresses", "tls-rpt-invalid", **ev)
    return TLS_RPT.result(Status.PASS, records[0], "tls-rpt-ok", **ev)


def _txt(res: dns.resolver.Resolver, name: str) -> list[str]:
    try:
        answer = res.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]


def evaluate(res: dns.resolver.Resolver, domain: str,
             dkim_selectors: tuple[str, ...] | list[str] = (),
             fetch_policy: PolicyFetch | None = None) -> list[Finding]:
    """DKIM (at ``dkim_selectors``), MTA-STS and TLS-RPT findings for ``domain``.

    ``fetch_policy(host)`` returns the policy file of ``host`` (``mta-sts.<domain>``) or raises
    OSError/ValueError (or :class:`~ssckit.cyber.netpolicy.Unreachable`); without it the
    MTA-STS record alone is judged."""
    dkim = {s: _txt(res, f"{s}._domainkey.{domain}") for s in dkim_selectors}
    sts = judge_mta_sts(_txt(res, f"_mta-sts.{domain}"), domain)
    if fetch_policy is not None and sts.status == Status.PASS:
        try:
            policy, problem = fetch_policy(f"mta-sts.{domain}"), None
        except (OSError, ValueError, http.client.HTTPException, Unreachable) as exc:
            policy, problem = None, str(exc) or type(exc).__name__
        sts = judge_mta_sts_policy(sts, policy, problem, domain)
    return [judge_dkim(dkim, domain), sts,
            judge_tls_rpt(_txt(res, f"_smtp._tls.{domain}"), domain)]
