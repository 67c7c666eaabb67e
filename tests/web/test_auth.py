"""Users and roles: argon2id hashes, login with CSRF, sessions, rate limiting, role checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ssckit.core import auth
from ssckit.core.errors import InputError
from ssckit.web.security import SECURITY_HEADERS

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi.testclient import TestClient

    from ssckit.core.store import Store

PASSWORD = "correct horse battery staple"


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_password_hashes_are_argon2id_and_never_the_password(store: Store) -> None:
    rows = store.cursor().execute("SELECT name, password_hash FROM users").fetchall()
    assert len(rows) == 3
    for _, hashed in rows:
        assert hashed.startswith("$argon2id$")
        assert PASSWORD not in hashed
    dump = str(store.cursor().execute("SELECT * FROM api_tokens").fetchall())
    assert "ssck_" not in dump  # only token hashes are stored


def test_user_management(store: Store) -> None:
    with pytest.raises(InputError, match="at least 12"):
        auth.add_user(store, "bob", "viewer", "short")
    with pytest.raises(InputError, match="not a role"):
        auth.add_user(store, "bob", "owner", PASSWORD)
    with pytest.raises(InputError, match="already exists"):
        auth.add_user(store, "ana", "viewer", PASSWORD)
    auth.add_user(store, "bob", "viewer", PASSWORD)
    token = auth.create_api_token(store, "bob", "ci")
    assert auth.user_for_api_token(store, token).name == "bob"
    auth.set_password(store, "bob", "another long password")
    assert auth.authenticate(store, "bob", PASSWORD, "1.2.3.4") is None
    assert auth.authenticate(store, "bob", "another long password", "1.2.3.4").role == "viewer"
    auth.remove_user(store, "bob")
    assert auth.user_for_api_token(store, token) is None
    assert [u.name for u in auth.list_users(store)] == ["ada", "ana", "vic"]


def test_security_headers_on_every_response(client: TestClient) -> None:
    for url in ("/", "/kpi/scorecard", "/api/v1/kpi/catalogue", "/static/style.css",
                "/does-not-exist", "/login"):
        r = client.get(url)
        for name, value in SECURITY_HEADERS.items():
            assert r.headers[name] == value, (url, name)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    script_src = next(p for p in csp.split("; ") if p.startswith("script-src"))
    assert "unsafe" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert "max-age=31536000" in r.headers["Strict-Transport-Security"]   # client on https
    assert client.get("/").headers["cache-control"] == "no-store"


def test_plain_http_gets_no_hsts_and_no_secure_cookie(client: TestClient) -> None:
    """Over plain HTTP (no TLS, no trusted proxy saying https) HSTS would be ignored and a
    Secure cookie never sent back by an API client: neither is sent (RFC 6797 §7.2)."""
    from fastapi.testclient import TestClient as Plain

    with Plain(client.app, base_url="http://testserver") as plain:
        r = plain.get("/login")
        assert "strict-transport-security" not in r.headers
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        form = {"username": "nobody", "password": "x" * 12, "csrf_token": csrf_of(r.text)}
        assert plain.post("/login", data=form).status_code == 401   # the cookie came back
    r = client.get("/login")
    assert "secure" in r.headers["set-cookie"].lower()


def test_login_sets_a_strict_session_cookie_and_logout_ends_it(
    client: TestClient, store: Store
) -> None:
    csrf = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": csrf,
                                    "next": "https://evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # no open redirect
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("ssckit_session="))
    for attr in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
        assert attr.lower() in cookie.lower()
    token = cookie.split("=", 1)[1].split(";", 1)[0]
    assert store.cursor().execute("SELECT count(*) FROM web_sessions WHERE token_hash = ?",
                                  [auth.token_hash(token)]).fetchone()[0] == 1
    account = client.get("/account")
    assert account.status_code == 200 and "analyst" in account.text
    session_csrf = csrf_of(account.text)
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    out = client.post("/logout", data={"csrf_token": session_csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert store.cursor().execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 0
    client.cookies.set("ssckit_session", token)  # a stolen cookie no longer works
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_login_without_csrf_is_403(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert r.status_code == 403
    assert "ssckit_session" not in r.headers.get("set-cookie", "")


def test_forms_without_csrf_are_403(client: TestClient, login: Callable[..., str]) -> None:
    csrf = login("ana")
    files = {"file": ("v.csv", "code,value,unit,source\nEC:ICT:ICT:4C,55,%,Ops\n", "text/csv")}
    assert client.post("/kpi/import", files=files).status_code == 403
    assert client.post("/kpi/import", files=files, data={"csrf_token": "x" * 43}).status_code == 403
    ok = client.post("/kpi/import", files=files, data={"csrf_token": csrf})
    assert ok.status_code == 200 and "Imported 1 value" in ok.text


def test_import_page_reports_bad_csv(
    client: TestClient, store: Store, login: Callable[..., str]
) -> None:
    csrf = login("ana")
    before = store.count_values()
    files = {"file": ("bad.csv", "code,value,unit,source\nEC:ICT:ICT:1C,140,%,S\n", "text/csv")}
    r = client.post("/kpi/import", files=files, data={"csrf_token": csrf})
    assert r.status_code == 422 and 'role="alert"' in r.text and "bad.csv: line 2" in r.text
    assert store.count_values() == before


def test_login_rate_limit_is_429_with_retry_after(client: TestClient) -> None:
    csrf = csrf_of(client.get("/login").text)
    form = {"username": "ana", "password": "wrong password!", "csrf_token": csrf}
    for _ in range(auth.MAX_FAILURES):
        assert client.post("/login", data=form).status_code == 401
    r = client.post("/login", data={**form, "password": PASSWORD})  # right, but too late
    assert r.status_code == 429
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    other = client.post("/login", data={**form, "username": "vic", "password": PASSWORD},
                        follow_redirects=False)
    assert other.status_code == 303  # limited per user name and client, not globally


def test_roles_on_pages(client: TestClient, login: Callable[..., str]) -> None:
    login("vic")
    assert client.get("/account").status_code == 200
    assert client.get("/kpi/import").status_code == 403
    assert client.get("/admin/users").status_code == 403
    login("ada")
    users = client.get("/admin/users")
    assert users.status_code == 200 and "ana" in users.text
    added = client.post("/admin/users", data={"csrf_token": csrf_of(users.text),
                                              "username": "newbie", "role": "viewer",
                                              "password": PASSWORD})
    assert added.status_code == 200 and "newbie" in added.text


def test_account_page_creates_api_token(client: TestClient, login: Callable[..., str],
                                        store: Store) -> None:
    csrf = login("vic")
    r = client.post("/account/tokens", data={"csrf_token": csrf, "label": "laptop"})
    assert r.status_code == 200
    token = r.text.split('<code class="token">', 1)[1].split("<", 1)[0]
    assert auth.user_for_api_token(store, token).name == "vic"


def test_public_pages_set_no_cookie(client: TestClient) -> None:
    assert "set-cookie" not in client.get("/kpi/scorecard").headers
    assert "ssckit_login_csrf=" in client.get("/login").headers["set-cookie"]


def test_concurrent_wrong_passwords_get_exactly_the_allowed_checks(store: Store) -> None:
    """24 wrong passwords sent 12 at a time: only MAX_FAILURES of them reach the password
    check; the rest are refused before it."""
    from concurrent.futures import ThreadPoolExecutor

    auth.add_user(store, "conc", "viewer", PASSWORD)

    def attempt(_: int) -> str:
        try:
            return "checked" if auth.authenticate(store, "conc", "wrong password!!",
                                                  "10.0.0.9") is None else "in"
        except auth.RateLimited:
            return "limited"

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(attempt, range(24)))
    assert results.count("checked") == auth.MAX_FAILURES
    assert results.count("limited") == 24 - auth.MAX_FAILURES


def test_one_address_trying_many_accounts_is_limited(store: Store) -> None:
    for i in range(auth.MAX_FAILURES_PER_ADDRESS):
        assert auth.authenticate(store, f"guess{i}", "wrong password!!", "10.0.0.7") is None
    with pytest.raises(auth.RateLimited):
        auth.authenticate(store, "another", "wrong password!!", "10.0.0.7")
    # another address is not affected
    assert auth.authenticate(store, "another", "wrong password!!", "10.0.0.8") is None


def test_one_account_tried_from_many_addresses_is_limited(store: Store) -> None:
    auth.add_user(store, "target", "viewer", PASSWORD)
    for i in range(auth.MAX_FAILURES_PER_ACCOUNT):
        assert auth.authenticate(store, "target", "wrong password!!", f"10.1.0.{i}") is None
    with pytest.raises(auth.RateLimited):
        auth.authenticate(store, "target", PASSWORD, "10.1.1.1")


def test_large_request_bodies_are_refused_before_reading(client: TestClient) -> None:
    from ssckit.web.security import MAX_BODY_BYTES

    big = b"x" * (MAX_BODY_BYTES + 1)
    r = client.post("/api/v1/kpi/values", content=big, headers={"content-type": "text/csv"})
    assert r.status_code == 413 and "larger than" in r.text

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"y" * 65536

    r = client.post("/login", content=chunks(),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert "content-security-policy" in r.headers   # the refusal carries our headers too
