"""Users, roles, sessions, API tokens and login rate limiting, over the store's tables.

Pure logic: no web framework here. Passwords are hashed with argon2id (RFC 9106); session and
API tokens are random (``secrets.token_urlsafe``) and only their SHA-256 is stored, so a copy of
the store does not let anyone log in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ssckit.core.errors import InputError
from ssckit.core.store import Store

#: Roles from least to most privileged; each role can do everything the roles before it can.
ROLES = ("viewer", "verifier", "analyst", "admin")
ROLE_HELP = {
    "viewer": "reads pages that show sensitive detail",
    "verifier": "also verifies or rejects submitted KPI values (cannot enter values)",
    "analyst": "also imports KPI values and submits them; verifies other people's, not own",
    "admin": "also manages users",
}
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")

SESSION_LIFETIME = timedelta(hours=12)
#: Failed logins allowed within :data:`FAILURE_WINDOW`: per user name and client address, per
#: user name from any address (guessing spread over many machines), and per address for any
#: user names (one machine trying many accounts).
MAX_FAILURES = 5
MAX_FAILURES_PER_ACCOUNT = 20
MAX_FAILURES_PER_ADDRESS = 10
FAILURE_WINDOW = timedelta(minutes=15)

#: The tables of users, sessions, API tokens and failed logins (``Store.migrate_module``).
#: Append, never edit. Stores made before these were the auth tables' own have them already.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS users (
        name VARCHAR PRIMARY KEY,
        role VARCHAR NOT NULL,
        password_hash VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE IF NOT EXISTS web_sessions (
        token_hash VARCHAR PRIMARY KEY,
        user_name VARCHAR NOT NULL,
        csrf_token VARCHAR NOT NULL,
        expires_at TIMESTAMP NOT NULL
    );
    CREATE TABLE IF NOT EXISTS api_tokens (
        token_hash VARCHAR PRIMARY KEY,
        user_name VARCHAR NOT NULL,
        label VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE IF NOT EXISTS login_failures (
        user_name VARCHAR NOT NULL,
        client VARCHAR NOT NULL,
        failed_at TIMESTAMP NOT NULL
    );
    """,
    # 2: anonymous actions counted per client address (its SHA-256), for rate limits
    """
    CREATE TABLE IF NOT EXISTS rate_events (
        kind        VARCHAR NOT NULL,
        client_hash VARCHAR NOT NULL,
        happened_at TIMESTAMP NOT NULL
    );
    """,
]

_attempts_lock = threading.Lock()

# argon2-cffi's defaults are the RFC 9106 "second recommended option" (argon2id, t=3, 64 MiB).
_hasher = PasswordHasher()
# Verified when the user does not exist, so an unknown name costs as much time as a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    """A web user and their role."""

    name: str
    role: str
    created_at: datetime

    def has_role(self, role: str) -> bool:
        """True when this user's role is ``role`` or a more privileged one."""
        return ROLES.index(self.role) >= ROLES.index(role)


class RateLimited(Exception):
    """Too many failed logins; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed logins; retry in {retry_after} s")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    """SHA-256 of a session or API token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


# -- passwords --------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of ``password``."""
    return _hasher.hash(password)


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("password", None, f"too short; at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError("password", None, f"too long; at most {MAX_PASSWORD_LENGTH} characters")


def _check_name(name: str) -> None:
    if not 1 <= len(name) <= 64 or not set(name) <= NAME_CHARS:
        raise InputError(
            "user name", None,
            f"{name!r} is not allowed; use 1-64 letters, digits, '.', '_', '-' or '@'",
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError("role", None, f"{role!r} is not a role; allowed: {', '.join(ROLES)}")


# -- users ------------------------------------------------------------------------------------
def add_user(store: Store, name: str, role: str, password: str) -> User:
    """Create a user; :class:`InputError` if the name is taken or a value is not allowed."""
    _check_name(name)
    _check_role(role)
    check_password_policy(password)
    if get_user(store, name) is not None:
        raise InputError("user name", None, f"user {name!r} already exists")
    user = User(name, role, _now())
    with store.transaction() as cur:
        cur.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                    [name, role, hash_password(password), user.created_at])
    return user


def get_user(store: Store, name: str) -> User | None:
    cur = store.cursor()
    try:
        row = cur.execute("SELECT name, role, created_at FROM users WHERE name = ?",
                          [name]).fetchone()
    finally:
        cur.close()
    return User(*row) if row else None


def list_users(store: Store) -> list[User]:
    cur = store.cursor()
    try:
        rows = cur.execute("SELECT name, role, created_at FROM users ORDER BY name").fetchall()
    finally:
        cur.close()
    return [User(*r) for r in rows]


def _require_user(store: Store, name: str) -> User:
    user = get_user(store, name)
    if user is None:
        raise InputError("user name", None, f"no user {name!r}")
    return user


def remove_user(store: Store, name: str) -> None:
    """Delete a user with their sessions and API tokens."""
    _require_user(store, name)
    with store.transaction() as cur:
        cur.execute("DELETE FROM web_sessions WHERE user_name = ?", [name])
        cur.execute("DELETE FROM api_tokens WHERE user_name = ?", [name])
        cur.execute("DELETE FROM users WHERE name = ?", [name])


def set_password(store: Store, name: str, password: str) -> None:
    """Change a password and end every session of that user."""
    _require_user(store, name)
    check_password_policy(password)
    with store.transaction() as cur:
        cur.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                    [hash_password(password), name])
        cur.execute("DELETE FROM web_sessions WHERE user_name = ?", [name])


def set_role(store: Store, name: str, role: str) -> None:
    _require_user(store, name)
    _check_role(role)
    with store.transaction() as cur:
        cur.execute("UPDATE users SET role = ? WHERE name = ?", [role, name])


# -- login ------------------------------------------------------------------------------------
def authenticate(
    store: Store, name: str, password: str, client: str, now: datetime | None = None
) -> User | None:
    """The user when ``password`` is right; None otherwise (the failure is recorded).

    Raises :class:`RateLimited`, before checking the password, when within
    :data:`FAILURE_WINDOW` ``client`` already failed :data:`MAX_FAILURES` times for ``name``,
    ``name`` failed :data:`MAX_FAILURES_PER_ACCOUNT` times from anywhere, or ``client`` failed
    :data:`MAX_FAILURES_PER_ADDRESS` times for any names. A server is one process: the check
    and the reservation of the attempt hold a lock, so concurrent attempts are counted exactly.
    """
    now = now or _now()
    since = now - FAILURE_WINDOW
    name = name[:200]
    # Count and reserve the attempt in one step: the attempt is recorded as a failure before
    # the password is checked (and forgotten again if it was right), so concurrent requests
    # cannot all read the same count and all get a check.
    with _attempts_lock, store.transaction() as tx:
        limits = (
            ("user_name = ? AND client = ?", [name, client], MAX_FAILURES),
            ("user_name = ?", [name], MAX_FAILURES_PER_ACCOUNT),
            ("client = ?", [client], MAX_FAILURES_PER_ADDRESS),
        )
        for where, params, limit in limits:
            n, oldest = tx.execute(
                f"SELECT count(*), min(failed_at) FROM login_failures WHERE {where} "
                "AND failed_at > ?", [*params, since]).fetchone()
            if n >= limit:
                retry = oldest + FAILURE_WINDOW - now
                raise RateLimited(max(1, int(retry.total_seconds()) + 1))
        tx.execute("DELETE FROM login_failures WHERE failed_at <= ?", [since])
        tx.execute("INSERT INTO login_failures VALUES (?, ?, ?)", [name, client, now])
        row = tx.execute("SELECT role, password_hash, created_at FROM users WHERE name = ?",
                         [name]).fetchone()
    stored = row[1] if row else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password) and row is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if ok:
        with store.transaction() as tx:
            tx.execute("DELETE FROM login_failures WHERE user_name = ? AND client = ?",
                       [name, client])
            if _hasher.check_needs_rehash(stored):
                tx.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                           [hash_password(password), name])
    return User(name, row[0], row[2]) if ok else None


# -- rate limits of anonymous actions ---------------------------------------------------------
def take_rate_slot(store: Store, kind: str, client: str, limit: int, window: timedelta,
                   now: datetime | None = None) -> int | None:
    """Count one ``kind`` action (e.g. ``skills-test``) of ``client`` (an address, kept only as
    its SHA-256) unless it already did ``limit`` within ``window``: then nothing is counted and
    the seconds until a slot frees are returned; None when the action may go ahead. Counting
    and checking are one transaction under a lock, so concurrent requests are counted exactly.
    """
    now = now or _now()
    since = now - window
    key = token_hash(client)
    with _attempts_lock, store.transaction() as tx:
        n, oldest = tx.execute("SELECT count(*), min(happened_at) FROM rate_events WHERE "
                               "kind = ? AND client_hash = ? AND happened_at > ?",
                               [kind, key, since]).fetchone()
        if n >= limit:
            return max(1, int((oldest + window - now).total_seconds()) + 1)
        tx.execute("DELETE FROM rate_events WHERE kind = ? AND happened_at <= ?", [kind, since])
        tx.execute("INSERT INTO rate_events VALUES (?, ?, ?)", [kind, key, now])
    return None


# -- sessions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class WebSession:
    """A logged-in browser: the user and the CSRF token its forms must carry."""

    user: User
    csrf_token: str
    expires_at: datetime


def create_session(store: Store, user: User, now: datetime | None = None) -> tuple[str, WebSession]:
    """Start a session; return its token (for the cookie, never stored) and the session."""
    now = now or _now()
    token = secrets.token_urlsafe(32)
    session = WebSession(user, secrets.token_urlsafe(32), now + SESSION_LIFETIME)
    with store.transaction() as cur:
        cur.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [now])
        cur.execute("INSERT INTO web_sessions VALUES (?, ?, ?, ?)",
                    [token_hash(token), user.name, session.csrf_token, session.expires_at])
    return token, session


def session_for(store: Store, token: str, now: datetime | None = None) -> WebSession | None:
    """The live session of a cookie token, or None."""
    now = now or _now()
    cur = store.cursor()
    try:
        row = cur.execute(
            "SELECT u.name, u.role, u.created_at, s.csrf_token, s.expires_at "
            "FROM web_sessions s JOIN users u ON u.name = s.user_name "
            "WHERE s.token_hash = ? AND s.expires_at > ?", [token_hash(token), now],
        ).fetchone()
    finally:
        cur.close()
    return WebSession(User(row[0], row[1], row[2]), row[3], row[4]) if row else None


def end_session(store: Store, token: str) -> None:
    with store.transaction() as cur:
        cur.execute("DELETE FROM web_sessions WHERE token_hash = ?", [token_hash(token)])


# -- API tokens -------------------------------------------------------------------------------
API_TOKEN_PREFIX = "ssck_"


def create_api_token(store: Store, name: str, label: str = "") -> str:
    """A new API token for user ``name``; it is shown once and only its hash is kept."""
    _require_user(store, name)
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as cur:
        cur.execute("INSERT INTO api_tokens VALUES (?, ?, ?, ?)",
                    [token_hash(token), name, label, _now()])
    return token


def user_for_api_token(store: Store, token: str) -> User | None:
    cur = store.cursor()
    try:
        row = cur.execute(
            "SELECT u.name, u.role, u.created_at FROM api_tokens t "
            "JOIN users u ON u.name = t.user_name WHERE t.token_hash = ?", [token_hash(token)],
        ).fetchone()
    finally:
        cur.close()
    return User(*row) if row else None


def list_api_tokens(store: Store, name: str) -> list[tuple[str, datetime]]:
    """(label, created_at) of a user's API tokens."""
    cur = store.cursor()
    try:
        return [tuple(r) for r in cur.execute(
            "SELECT label, created_at FROM api_tokens WHERE user_name = ? ORDER BY created_at",
            [name]).fetchall()]
    finally:
        cur.close()
