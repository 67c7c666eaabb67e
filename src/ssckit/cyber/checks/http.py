"""HTTP checks (httpx, redirects followed by hand): HTTPS, redirect, security headers, cookies,
security.txt.

Outcome codes and their score modifiers follow the Mozilla HTTP Observatory scoring table
(github.com/mozilla/http-observatory, ``httpobs/docs/scoring.md``), see
:mod:`ssckit.cyber.scoring`.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ssckit.cyber.model import Check, Finding, Status
from ssckit.cyber.netpolicy import Unreachable

OBS = "Mozilla HTTP Observatory tests"
MAX_REDIRECTS = 5
MAX_BODY = 64 * 1024

HTTPS = Check("http.https", "http", "HTTPS available",
              "RFC 9110 section 4.2.2; NCSC-NL web guidelines",
              "Serve the site over HTTPS.")
REDIRECT = Check("http.redirect", "http", "HTTP redirects to HTTPS",
                 f"{OBS}: redirection; RFC 6797 section 7.2",
                 "Answer every plain-HTTP request with a 301 to https:// on the same host "
                 "(nginx: return 301 https://$host$request_uri;).")
HSTS = Check("headers.hsts", "headers", "Strict-Transport-Security",
             f"RFC 6797; {OBS}: strict-transport-security; max-age >= 31536000 (one year)",
             "Send Strict-Transport-Security: max-age=31536000; includeSubDomains on HTTPS "
             "responses.")
CSP = Check("headers.csp", "headers", "Content-Security-Policy",
            f"W3C CSP Level 3; {OBS}: content-security-policy",
            "Send a Content-Security-Policy without 'unsafe-inline'/'unsafe-eval' or wildcard "
            "script sources, e.g. default-src 'self'; frame-ancestors 'none'; object-src 'none'.")
FRAMING = Check("headers.framing", "headers", "Clickjacking protection",
                f"{OBS}: x-frame-options; CSP frame-ancestors (W3C CSP Level 3)",
                "Add frame-ancestors 'none' (or 'self') to the CSP, or X-Frame-Options: DENY.")
XCTO = Check("headers.xcto", "headers", "X-Content-Type-Options",
             f"WHATWG Fetch 'X-Content-Type-Options'; {OBS}: x-content-type-options",
             "Send X-Content-Type-Options: nosniff.")
REFERRER = Check("headers.referrer_policy", "headers", "Referrer-Policy",
                 f"W3C Referrer Policy; {OBS}: referrer-policy",
                 "Send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer).")
PERMISSIONS = Check("headers.permissions_policy", "headers", "Permissions-Policy",
                    "W3C Permissions Policy",
                    "Send a Permissions-Policy that switches off unused features, e.g. "
                    "camera=(), microphone=(), geolocation=().")
COOKIES = Check("cookies.flags", "cookies", "Cookie flags",
                f"RFC 6265bis sections 4.1.2.5-4.1.2.7; {OBS}: cookies",
                "Set Secure and SameSite on every cookie and HttpOnly on session cookies.")
SECURITY_TXT = Check("security_txt", "security_txt", "security.txt",
                     "RFC 9116: /.well-known/security.txt with Contact and Expires",
                     "Publish /.well-known/security.txt (text/plain) with a Contact: line and an "
                     "Expires: date less than a year ahead; renew it before it expires.")

HTTP_CHECKS = (HTTPS, REDIRECT, HSTS, CSP, FRAMING, XCTO, REFERRER, PERMISSIONS, COOKIES,
               SECURITY_TXT)

HSTS_MIN_AGE = 31_536_000  # one year [s]
HSTS_HALF_YEAR = 15_768_000  # Observatory's six-month threshold [s]
SAFE_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
UNSAFE_REFERRER = {"unsafe-url", "no-referrer-when-downgrade"}
KNOWN_REFERRER = SAFE_REFERRER | UNSAFE_REFERRER | {"origin", "origin-when-cross-origin"}
SESSION_NAME = re.compile(r"sess|sid|token|auth|login|jwt|csrf", re.I)


@dataclass
class Response:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        values = [v for k, v in self.headers if k == name]
        return ", ".join(values) if values else None

    def all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    @property
    def location(self) -> str | None:
        loc = self.header("location")
        return urljoin(self.url, loc) if loc and 300 <= self.status < 400 else None


#: Resolves (host, port) to the IP address to connect to; raises Unreachable.
Resolver = Callable[[str, int], str]


def _client_context() -> ssl.SSLContext:
    # Trust and host name are judged by the TLS checks; here we only need the headers.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Fetcher:
    """GETs URLs over connections pinned to the addresses ``resolver`` allows."""

    def __init__(self, resolver: Resolver, timeout: float = 5.0) -> None:
        self.resolver = resolver
        self.client = httpx.Client(verify=_client_context(), timeout=timeout,
                                   follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str) -> Response:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ip = self.resolver(host, port)
        ip_host = f"[{ip}]" if ":" in ip else ip
        pinned = parts._replace(netloc=f"{ip_host}:{port}").geturl()
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        request = self.client.build_request(
            "GET", pinned, headers={"Host": host_header, "User-Agent": "ssckit-cyber/1"},
            extensions={"sni_hostname": host} if parts.scheme == "https" else {})
        try:
            with self.client.stream("GET", request.url, headers=request.headers,
                                    extensions=request.extensions) as r:
                body = b""
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) >= MAX_BODY:
                        break
                headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                           for k, v in r.headers.raw]
                return Response(url, r.status_code, headers, body[:MAX_BODY])
        except httpx.ConnectError as exc:
            msg = str(exc) or type(exc).__name__
            if "refused" in msg.lower():
                msg = "connection refused"
            raise Unreachable(f"{host}:{port}: {msg}") from None
        except httpx.TimeoutException:
            raise Unreachable(f"{host}:{port}: timed out") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{host}:{port}: {type(exc).__name__}: {exc}") from None

    def chain(self, url: str) -> list[Response]:
        """GET ``url`` and follow up to :data:`MAX_REDIRECTS` redirects; the responses in order."""
        out = [self.get(url)]
        while out[-1].location and len(out) <= MAX_REDIRECTS:
            out.append(self.get(out[-1].location))
        return out


@dataclass
class HttpData:
    """What the HTTP part of a scan saw."""

    url: str
    https: list[Response] = field(default_factory=list)
    https_error: str | None = None
    http: list[Response] = field(default_factory=list)
    http_error: str | None = None
    security_txt: Response | None = None
    security_txt_error: str | None = None

    @property
    def final(self) -> Response | None:
        """The last HTTPS response on the target's own origin (the page whose headers count)."""
        origin = urlsplit(self.url)[:2]
        same = [r for r in self.https if urlsplit(r.url)[:2] == origin]
        return same[-1] if same else None


def collect(url: str, http_url: str, fetcher: Fetcher) -> HttpData:
    data = HttpData(url=url)
    try:
        data.https = fetcher.chain(url)
    except Unreachable as exc:
        data.https_error = str(exc)
    try:
        data.http = fetcher.chain(http_url)
    except Unreachable as exc:
        data.http_error = str(exc)
    try:
        chain = fetcher.chain(urljoin(url, "/.well-known/security.txt"))
        data.security_txt = chain[-1]
    except Unreachable as exc:
        data.security_txt_error = str(exc)
    return data


# -- checks ----------------------------------------------------------------------------------
def check_https(data: HttpData) -> Finding:
    if data.https_error or data.final is None:
        return HTTPS.result(Status.FAIL, f"HTTPS request failed: {data.https_error}",
                            "https-not-available")
    return HTTPS.result(Status.PASS, f"HTTPS answers {data.final.status}", "https-available",
                        http_status=data.final.status)


def check_redirect(data: HttpData) -> Finding:
    if data.http_error:
        if "refused" in data.http_error:
            return REDIRECT.result(Status.PASS, "no plain-HTTP listener (nothing to redirect)",
                                   "redirection-not-needed-no-http")
        return REDIRECT.result(Status.ERROR, f"plain HTTP: {data.http_error}")
    hops = [r.url for r in data.http]
    first = data.http[0]
    if first.location is None:
        return REDIRECT.result(Status.FAIL, f"{first.url} answers {first.status} without "
                               "redirecting to HTTPS", "redirection-missing", hops=hops)
    final = urlsplit(data.http[-1].url)
    if final.scheme != "https":
        return REDIRECT.result(Status.FAIL, "redirects, but not to HTTPS",
                               "redirection-not-to-https", hops=hops)
    loc = urlsplit(first.location)
    if loc.scheme != "https":
        return REDIRECT.result(Status.WARN, "first redirect is to plain HTTP, HTTPS only later",
                               "redirection-not-to-https-on-initial-redirection", hops=hops)
    if loc.hostname != urlsplit(first.url).hostname:
        return REDIRECT.result(Status.WARN, f"first redirect leaves the host ({loc.hostname}), "
                               "so HSTS is not set for it", "redirection-off-host-from-http",
                               hops=hops)
    return REDIRECT.result(Status.PASS, f"redirects to {first.location}", "redirection-to-https",
                           hops=hops)


def _no_page(check: Check, data: HttpData) -> Finding:
    return check.result(Status.ERROR, f"no HTTPS response to inspect ({data.https_error})")


def check_hsts(data: HttpData) -> Finding:
    r = data.final
    if r is None:
        return HSTS.result(Status.FAIL, "HSTS cannot be set without HTTPS",
                           "hsts-not-implemented-no-https")
    value = r.header("strict-transport-security")
    if value is None:
        return HSTS.result(Status.FAIL, "header missing", "hsts-not-implemented")
    m = re.search(r"(?i)(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?", value.split(",")[0])
    if not m:
        return HSTS.result(Status.FAIL, f"cannot parse {value!r}", "hsts-header-invalid",
                           value=value)
    age = int(m.group(1))
    ev = {"value": value, "max_age": age,
          "include_subdomains": "includesubdomains" in value.lower()}
    if age >= HSTS_MIN_AGE:
        return HSTS.result(Status.PASS, f"max-age={age}", "hsts-implemented-max-age-at-least-"
                           "one-year", **ev)
    if age >= HSTS_HALF_YEAR:
        return HSTS.result(Status.WARN, f"max-age={age} is below one year (31536000)",
                           "hsts-implemented-max-age-at-least-six-months", **ev)
    return HSTS.result(Status.FAIL, f"max-age={age} is below six months",
                       "hsts-implemented-max-age-less-than-six-months", **ev)


def parse_csp(value: str) -> dict[str, list[str]]:
    """Directives of a CSP header value (first occurrence of each wins, names lowercased)."""
    out: dict[str, list[str]] = {}
    for part in value.split(";"):
        tokens = part.strip().split()
        if tokens and tokens[0].lower() not in out:
            out[tokens[0].lower()] = tokens[1:]
    return out


_SCRIPT_DIRECTIVES = ("script-src", "default-src")
_WILDCARDS = {"*", "https:", "http:", "data:", "blob:"}


def csp_weaknesses(policy: dict[str, list[str]]) -> list[dict[str, str]]:
    """Weak points of a parsed CSP: which directive, what, and the Observatory outcome code."""
    weak: list[dict[str, str]] = []
    script_dir = "script-src" if "script-src" in policy else "default-src"
    script = [s.lower() for s in policy.get(script_dir, [])]
    if script_dir in policy:
        has_nonce = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-"))
                        for s in script)
        if "'unsafe-inline'" in script and not has_nonce:
            weak.append({"directive": script_dir, "issue": "'unsafe-inline'",
                         "code": "csp-implemented-with-unsafe-inline"})
        if "'unsafe-eval'" in script:
            weak.append({"directive": script_dir, "issue": "'unsafe-eval'",
                         "code": "csp-implemented-with-unsafe-eval"})
    else:
        weak.append({"directive": "script-src", "issue": "neither script-src nor default-src, "
                     "scripts are unrestricted", "code": "csp-implemented-with-unsafe-inline"})
    for d in ("script-src", "default-src", "object-src"):
        for s in policy.get(d, []):
            if s.lower() in _WILDCARDS:
                weak.append({"directive": d, "issue": f"wildcard source {s}",
                             "code": "csp-implemented-with-unsafe-inline"})
            elif s.lower().startswith("http://"):
                weak.append({"directive": d, "issue": f"insecure scheme {s}",
                             "code": "csp-implemented-with-insecure-scheme"})
    if "frame-ancestors" not in policy:
        weak.append({"directive": "frame-ancestors", "issue": "missing",
                     "code": "csp-missing-frame-ancestors"})
    return weak


#: Severity order of CSP outcome codes (worst first) and the status each gives.
_CSP_CODES = [("csp-implemented-with-unsafe-inline", Status.FAIL),
              ("csp-implemented-with-insecure-scheme", Status.WARN),
              ("csp-implemented-with-unsafe-eval", Status.WARN),
              ("csp-missing-frame-ancestors", Status.WARN)]


def check_csp(data: HttpData) -> Finding:
    r = data.final
    if r is None:
        return _no_page(CSP, data)
    value = r.header("content-security-policy")
    if value is None:
        return CSP.result(Status.FAIL, "header missing", "csp-not-implemented")
    policy = parse_csp(value)
    if not policy:
        return CSP.result(Status.FAIL, f"cannot parse {value!r}", "csp-header-invalid",
                          value=value)
    weak = csp_weaknesses(policy)
    codes = {w["code"] for w in weak}
    for code, status in _CSP_CODES:
        if code in codes:
            detail = "; ".join(f"{w['directive']}: {w['issue']}" for w in weak)
            # A missing frame-ancestors alone does not cost points (see headers.framing), but
            # it keeps the policy from earning the no-unsafe bonus.
            return CSP.result(status, detail, code, value=value, weaknesses=weak)
    code = ("csp-implemented-with-no-unsafe-default-src-none"
            if [s.lower() for s in policy.get("default-src", [])] == ["'none'"]
            else "csp-implemented-with-no-unsafe")
    return CSP.result(Status.PASS, "no unsafe directives", code, value=value, weaknesses=[])


def check_framing(data: HttpData) -> Finding:
    r = data.final
    if r is None:
        return _no_page(FRAMING, data)
    csp = r.header("content-security-policy")
    if csp and "frame-ancestors" in parse_csp(csp):
        return FRAMING.result(Status.PASS, "CSP frame-ancestors set",
                              "x-frame-options-implemented-via-csp")
    xfo = (r.header("x-frame-options") or "").strip().upper()
    if xfo in ("DENY", "SAMEORIGIN"):
        return FRAMING.result(Status.PASS, f"X-Frame-Options: {xfo}",
                              "x-frame-options-sameorigin-or-deny")
    if xfo:
        return FRAMING.result(Status.FAIL, f"X-Frame-Options {xfo!r} not recognised",
                              "x-frame-options-header-invalid")
    return FRAMING.result(Status.FAIL, "neither CSP frame-ancestors nor X-Frame-Options",
                          "x-frame-options-not-implemented")


def check_xcto(data: HttpData) -> Finding:
    r = data.final
    if r is None:
        return _no_page(XCTO, data)
    value = r.header("x-content-type-options")
    if value is None:
        return XCTO.result(Status.FAIL, "header missing", "x-content-type-options-not-implemented")
    if value.strip().lower() != "nosniff":
        return XCTO.result(Status.FAIL, f"{value!r} is not 'nosniff'",
                           "x-content-type-options-header-invalid")
    return XCTO.result(Status.PASS, "nosniff", "x-content-type-options-nosniff")


def check_referrer(data: HttpData) -> Finding:
    r = data.final
    if r is None:
        return _no_page(REFERRER, data)
    value = r.header("referrer-policy")
    if value is None:
        return REFERRER.result(Status.WARN, "header missing (browsers default to "
                               "strict-origin-when-cross-origin)",
                               "referrer-policy-not-implemented")
    tokens = [t.strip().lower() for t in value.split(",") if t.strip()]
    valid = [t for t in tokens if t in KNOWN_REFERRER]
    if not valid:
        return REFERRER.result(Status.WARN, f"{value!r} not recognised",
                               "referrer-policy-header-invalid")
    effective = valid[-1]  # the last recognised token wins
    if effective in UNSAFE_REFERRER:
        return REFERRER.result(Status.WARN, f"{effective} leaks full URLs",
                               "referrer-policy-unsafe", value=value)
    if effective in SAFE_REFERRER:
        return REFERRER.result(Status.PASS, effective, "referrer-policy-private", value=value)
    return REFERRER.result(Status.PASS, f"{effective} (sends the origin only)",
                           "referrer-policy-origin", value=value)


def check_permissions(data: HttpData) -> Finding:
    r = data.final
    if r is None:
        return _no_page(PERMISSIONS, data)
    value = r.header("permissions-policy")
    if value is None:
        return PERMISSIONS.result(Status.WARN, "header missing",
                                  "permissions-policy-not-implemented")
    return PERMISSIONS.result(Status.PASS, value, "permissions-policy-implemented")


@dataclass(frozen=True)
class Cookie:
    name: str
    secure: bool
    httponly: bool
    samesite: str | None
    persistent: bool
    over_http: bool

    @property
    def session(self) -> bool:
        """A session cookie in the Observatory's sense: named like one, or without expiry."""
        return bool(SESSION_NAME.search(self.name)) or not self.persistent


def parse_set_cookie(value: str, over_http: bool = False) -> Cookie:
    parts = [p.strip() for p in value.split(";")]
    name = parts[0].split("=", 1)[0].strip()
    attrs: dict[str, str] = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip()
    return Cookie(name=name, secure="secure" in attrs, httponly="httponly" in attrs,
                  samesite=attrs.get("samesite"),
                  persistent="expires" in attrs or "max-age" in attrs, over_http=over_http)


def check_cookies(data: HttpData) -> Finding:
    cookies = [parse_set_cookie(v) for r in data.https for v in r.all("set-cookie")]
    cookies += [parse_set_cookie(v, over_http=True) for r in data.http for v in r.all("set-cookie")
                if urlsplit(r.url).scheme == "http"]
    if not cookies:
        return COOKIES.result(Status.NOT_APPLICABLE, "no cookies set", "cookies-not-found")
    problems: list[str] = []
    codes: list[str] = []
    for c in cookies:
        insecure = not c.secure or c.over_http
        if insecure:
            problems.append(f"{c.name}: no Secure" + (" (set over http)" if c.over_http else ""))
            codes.append("cookies-session-without-secure-flag" if c.session
                         else "cookies-without-secure-flag")
        if c.session and not c.httponly:
            problems.append(f"{c.name}: session cookie without HttpOnly")
            codes.append("cookies-session-without-httponly-flag")
        if c.samesite is None:
            problems.append(f"{c.name}: no SameSite")
        elif c.samesite.lower() not in ("strict", "lax", "none"):
            problems.append(f"{c.name}: SameSite={c.samesite} invalid")
            codes.append("cookies-samesite-flag-invalid")
        elif c.samesite.lower() == "none" and not c.secure:
            problems.append(f"{c.name}: SameSite=None without Secure")
    ev = {"cookies": [c.__dict__ for c in cookies], "problems": problems}
    order = ["cookies-session-without-secure-flag", "cookies-session-without-httponly-flag",
             "cookies-without-secure-flag", "cookies-samesite-flag-invalid"]
    for code in order:
        if code in codes:
            return COOKIES.result(Status.FAIL, "; ".join(problems), code, **ev)
    if problems:  # only SameSite missing
        return COOKIES.result(Status.WARN, "; ".join(problems),
                              "cookies-secure-with-httponly-sessions", **ev)
    return COOKIES.result(Status.PASS, f"{len(cookies)} cookie(s) with Secure, HttpOnly "
                          "(sessions) and SameSite",
                          "cookies-secure-with-httponly-sessions-and-samesite", **ev)


def parse_security_txt(text: str) -> dict[str, list[str]]:
    """Fields of a security.txt (RFC 9116 section 2.4): lowercased name -> values."""
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), []).append(v.strip())
    return fields


def _parse_expires(value: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def check_security_txt(data: HttpData, now: datetime | None = None) -> Finding:
    now = now or datetime.now(UTC)
    r = data.security_txt
    if r is None:
        return SECURITY_TXT.result(Status.ERROR, f"could not fetch: {data.security_txt_error}")
    if r.status != 200:
        return SECURITY_TXT.result(Status.FAIL, f"/.well-known/security.txt answers {r.status}",
                                   "security-txt-missing", http_status=r.status)
    ctype = (r.header("content-type") or "").lower()
    fields = parse_security_txt(r.body.decode("utf-8", "replace"))
    ev: dict[str, Any] = {"fields": fields, "content_type": ctype}
    problems = []
    if not ctype.startswith("text/plain"):
        problems.append(f"Content-Type is {ctype or 'missing'}, not text/plain")
    if not fields.get("contact"):
        problems.append("no Contact field")
    expires = fields.get("expires", [])
    if len(expires) != 1:
        problems.append("Expires must appear exactly once")
    if problems:
        return SECURITY_TXT.result(Status.FAIL, "; ".join(problems), "security-txt-invalid", **ev)
    when = _parse_expires(expires[0])
    if when is None:
        return SECURITY_TXT.result(Status.FAIL, f"Expires {expires[0]!r} is not an RFC 3339 date",
                                   "security-txt-invalid", **ev)
    if when <= now:
        return SECURITY_TXT.result(Status.FAIL, f"expired on {when:%Y-%m-%d}",
                                   "security-txt-expired", **ev)
    if when - now > timedelta(days=366):
        return SECURITY_TXT.result(Status.WARN, f"Expires {when:%Y-%m-%d} is more than a year "
                                   "ahead (RFC 9116 recommends less)", "security-txt-ok", **ev)
    return SECURITY_TXT.result(Status.PASS, f"Contact {fields['contact'][0]}, expires "
                               f"{when:%Y-%m-%d}", "security-txt-ok", **ev)


def evaluate(data: HttpData, now: datetime | None = None) -> list[Finding]:
    return [check_https(data), check_redirect(data), check_hsts(data), check_csp(data),
            check_framing(data), check_xcto(data), check_referrer(data), check_permissions(data),
            check_cookies(data), check_security_txt(data, now)]
