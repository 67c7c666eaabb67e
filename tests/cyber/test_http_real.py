"""HTTP, header, cookie and security.txt checks against the real sites of the local lab."""

from __future__ import annotations

from ssckit.cyber.model import Status


def _f(results, service, check):
    finding = results[service].finding(check)
    assert finding is not None, f"{service} has no {check}: {results[service].error}"
    return finding


def test_good_site_passes_every_http_check(results):
    for check in ("http.https", "http.redirect", "headers.hsts", "headers.csp",
                  "headers.framing", "headers.xcto", "headers.referrer_policy",
                  "headers.permissions_policy", "cookies.flags", "security_txt"):
        f = _f(results, "good", check)
        assert f.status == Status.PASS, (check, f.detail)
        assert f.remediation == ""
    assert _f(results, "good", "http.redirect").code == "redirection-to-https"


def test_bare_site_misses_headers_redirect_and_security_txt(results):
    expect = {
        "http.redirect": (Status.FAIL, "redirection-missing"),
        "headers.hsts": (Status.FAIL, "hsts-not-implemented"),
        "headers.csp": (Status.FAIL, "csp-not-implemented"),
        "headers.framing": (Status.FAIL, "x-frame-options-not-implemented"),
        "headers.xcto": (Status.FAIL, "x-content-type-options-not-implemented"),
        "headers.referrer_policy": (Status.WARN, "referrer-policy-not-implemented"),
        "headers.permissions_policy": (Status.WARN, "permissions-policy-not-implemented"),
        "cookies.flags": (Status.NOT_APPLICABLE, "cookies-not-found"),
        "security_txt": (Status.FAIL, "security-txt-missing"),
    }
    for check, (status, code) in expect.items():
        f = _f(results, "bare", check)
        assert (f.status, f.code) == (status, code), check
        if status in (Status.FAIL, Status.WARN):
            assert f.remediation, check


def test_weak_csp_names_the_weak_directives(results):
    f = _f(results, "badheaders", "headers.csp")
    assert f.status == Status.FAIL and f.code == "csp-implemented-with-unsafe-inline"
    issues = {(w["directive"], w["issue"]) for w in f.evidence["weaknesses"]}
    assert ("script-src", "'unsafe-inline'") in issues
    assert ("script-src", "'unsafe-eval'") in issues
    assert ("script-src", "wildcard source *") in issues
    assert ("frame-ancestors", "missing") in issues


def test_short_hsts_unsafe_referrer_insecure_cookie_and_expired_security_txt(results):
    hsts = _f(results, "badheaders", "headers.hsts")
    assert hsts.status == Status.FAIL and hsts.evidence["max_age"] == 3600
    assert _f(results, "badheaders", "headers.referrer_policy").code == "referrer-policy-unsafe"
    cookies = _f(results, "badheaders", "cookies.flags")
    assert cookies.status == Status.FAIL
    assert cookies.code == "cookies-session-without-secure-flag"
    assert "sessionid: no Secure" in cookies.detail
    assert "sessionid: session cookie without HttpOnly" in cookies.detail
    assert "sessionid: no SameSite" in cookies.detail
    txt = _f(results, "badheaders", "security_txt")
    assert txt.status == Status.FAIL and txt.code == "security-txt-expired"


def test_csp_parser_and_weaknesses_unit():
    from ssckit.cyber.checks.http import csp_weaknesses, parse_csp

    policy = parse_csp("default-src 'none'; script-src 'self' 'nonce-abc' 'unsafe-inline'; "
                       "frame-ancestors 'none'")
    assert policy["script-src"] == ["'self'", "'nonce-abc'", "'unsafe-inline'"]
    assert csp_weaknesses(policy) == []  # unsafe-inline is ignored next to a nonce (CSP3)
    weak = csp_weaknesses(parse_csp("img-src *"))
    assert {w["directive"] for w in weak} == {"script-src", "frame-ancestors"}


def test_security_txt_parser_unit():
    from datetime import UTC, datetime

    from ssckit.cyber.checks.http import HttpData, Response, check_security_txt

    body = b"Contact: mailto:a@b.test\nExpires: 2030-01-01T00:00:00Z\n"
    data = HttpData(url="https://x.test/", security_txt=Response(
        "https://x.test/.well-known/security.txt", 200, [("content-type", "text/plain")], body))
    now = datetime(2029, 6, 1, tzinfo=UTC)
    assert check_security_txt(data, now).status.value == "pass"
    no_contact = HttpData(url="https://x.test/", security_txt=Response(
        "u", 200, [("content-type", "text/plain")], b"Expires: 2030-01-01T00:00:00Z\n"))
    f = check_security_txt(no_contact, now)
    assert f.status.value == "fail" and "no Contact" in f.detail
