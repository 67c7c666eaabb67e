"""Verification of KPI values as the U4SSC process asks: evidence, status, sign-off, audit.

A KPI value (indicator, entity, period) is ``draft`` until an analyst submits it with its
evidence; a verifier then marks it ``verified`` or ``rejected`` (with a comment). Roles
(:data:`ssckit.core.auth.ROLES`): a ``verifier`` reads, verifies and rejects but cannot enter
values; an ``analyst`` enters and submits values and may verify other people's, never their
own; an ``admin`` can do everything an analyst can. A review keeps the value it was about: when
the value used changes (a new manual value, or a compute run with a different result), the
review no longer applies and the value is a ``draft`` again. Every change is appended to the
audit log (:func:`ssckit.kpi.records.append_audit`).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ssckit.core import auth
from ssckit.core.errors import InputError
from ssckit.core.i18n import N_, format_date, format_exact, gettext
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.kpi.precedence import Choice
from ssckit.kpi.records import (
    AuditEntry,
    Key,
    append_audit,
    format_number,
    read_rows,
    utcnow,
)

STATUSES = ("draft", "submitted", "verified", "rejected")
#: Folder of the workspace where evidence files are kept, named by their SHA-256.
EVIDENCE_DIR = "evidence"
#: Largest evidence file accepted [bytes].
MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Review:
    """The stored review of one KPI value (its status and the value it was about)."""

    indicator: str
    entity: str
    period: str
    status: str
    value: float | None
    origin: str | None
    author: str
    submitted_by: str
    decided_by: str
    comment: str
    updated_at: datetime

    @property
    def key(self) -> Key:
        return (self.indicator, self.entity, self.period)

    def applies_to(self, choice: Choice | None) -> bool:
        """True when the review is about the value now used (same value, same origin)."""
        return (choice is not None and choice.value is not None
                and choice.value.period == self.period and choice.value.value == self.value
                and choice.origin == self.origin)


@dataclass(frozen=True)
class Evidence:
    """A file kept in the workspace (with its SHA-256) or a URL with the date it was read."""

    id: int
    indicator: str
    entity: str
    period: str
    kind: str  # "file" | "url"
    name: str
    location: str  # path relative to the workspace, or the URL
    sha256: str
    size_bytes: int
    read_on: date | None
    added_by: str
    added_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "location": self.location,
                "sha256": self.sha256, "size_bytes": self.size_bytes,
                "read_on": None if self.read_on is None else self.read_on.isoformat(),
                "added_by": self.added_by,
                "added_at": self.added_at.isoformat(timespec="seconds")}


def get_review(store: Store, key: Key) -> Review | None:
    rows = read_rows(store, "SELECT indicator, entity, period, status, value, origin, author, "
                     "submitted_by, decided_by, comment, updated_at FROM kpi_reviews "
                     "WHERE indicator = ? AND entity = ? AND period = ?", list(key))
    return Review(*rows[0]) if rows else None


def list_reviews(store: Store, status: str | None = None) -> list[Review]:
    """Stored reviews (of one status when given), oldest change first."""
    rows = read_rows(store, "SELECT indicator, entity, period, status, value, origin, author, "
                     "submitted_by, decided_by, comment, updated_at FROM kpi_reviews"
                     + (" WHERE status = ?" if status else "") + " ORDER BY updated_at",
                     [status] if status else [])
    return [Review(*r) for r in rows]


def effective_status(review: Review | None, choice: Choice | None) -> str:
    """The status of the value now used: the review's when it is about that value, else
    ``draft``."""
    if review is None or not review.applies_to(choice):
        return "draft"
    return review.status


def review_statuses(store: Store, entity: str, choices: dict[str, Choice]) -> dict[str, str]:
    """KPI code -> status of the value used, for the KPIs of ``choices`` (one entity)."""
    by_key = {r.key: r for r in list_reviews(store)}
    out = {}
    for code, ch in choices.items():
        if ch.value is None:
            continue
        out[code] = effective_status(by_key.get((code, entity, ch.value.period)), ch)
    return out


# -- who may do what ----------------------------------------------------------------------
def require_user(store: Store, name: str | None, role: str, what: str) -> auth.User:
    """The user ``name`` if they hold ``role`` (or a higher one); InputError otherwise."""
    if not name:
        raise InputError("--as", None, f"say who {what} (--as NAME or SSCKIT_USER, a user of "
                         "`ssckit users list`)")
    user = auth.get_user(store, name)
    if user is None:
        raise InputError("--as", None, f"{name!r} is not a user of this workspace; add them "
                         f"with `ssckit users add {name} --role {role}`")
    if not user.has_role(role):
        raise InputError("--as", None, f"{name} is a {user.role}; to {what} needs the role "
                         f"{role} or higher (`ssckit users role`)")
    return user


def _choice_key(choice: Choice | None, code: str, entity: str) -> Key:
    if choice is None or choice.value is None:
        raise InputError(code, None, "has no value for this period; import or compute one "
                         "first")
    return (code, entity, choice.value.period)


def _set_review(store: Store, key: Key, status: str, choice: Choice, actor: str,
                comment: str, *, author: str | None = None, submitted_by: str | None = None,
                decided_by: str = "") -> None:
    old = get_review(store, key)
    old_status = effective_status(old, choice)
    assert choice.value is not None
    with store.transaction() as cur:
        cur.execute(
            "INSERT OR REPLACE INTO kpi_reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*key, status, choice.value.value, choice.origin,
             author if author is not None else (old.author if old else ""),
             submitted_by if submitted_by is not None else (old.submitted_by if old else ""),
             decided_by, comment, utcnow()])
        append_audit(cur, actor, "status", key, old_status, status,
                     f"{choice.origin} value {format_number(choice.value.value)}"
                     + (f": {comment}" if comment else ""))


def author_of(choice: Choice) -> str:
    """Who entered the value used: the user who recorded a manual value ('' if computed)."""
    if choice.origin != "manual" or choice.value is None:
        return ""
    return str(choice.value.source.get("recorded_by", ""))


def submit(store: Store, code: str, choice: Choice | None, user: auth.User,
           comment: str = "", entity: str = "city") -> Key:
    """Submit the value used for verification (needs evidence; analyst or admin)."""
    if not user.has_role("analyst"):
        raise InputError("--as", None, f"{user.name} is a {user.role}; submitting needs the "
                         "role analyst or higher")
    key = _choice_key(choice, code, entity)
    assert choice is not None
    status = effective_status(get_review(store, key), choice)
    if status in ("submitted", "verified"):
        raise InputError(code, None, f"the value is already {status}; a new value starts a "
                         "new draft")
    if not list_evidence(store, key):
        raise InputError(code, None, "has no evidence; add a file or a URL first (`ssckit kpi "
                         "evidence add`)")
    _set_review(store, key, "submitted", choice, user.name, comment,
                author=author_of(choice), submitted_by=user.name)
    return key


def decide(store: Store, code: str, choice: Choice | None, user: auth.User, verdict: str,
           comment: str = "", entity: str = "city") -> Key:
    """Verify or reject (``verdict``) a submitted value: verifier, or an analyst or admin who
    neither entered nor submitted it. A rejection needs a comment."""
    if verdict not in ("verified", "rejected"):
        raise ValueError(verdict)
    if not user.has_role("verifier"):
        raise InputError("--as", None, f"{user.name} is a {user.role}; verifying needs the "
                         "role verifier")
    key = _choice_key(choice, code, entity)
    assert choice is not None
    review = get_review(store, key)
    status = effective_status(review, choice)
    if status != "submitted" or review is None:
        raise InputError(code, None, f"the value is {status}, not submitted; only submitted "
                         "values are verified or rejected")
    if user.name in (review.submitted_by, review.author):
        raise InputError("--as", None, f"{user.name} entered or submitted this value and "
                         "cannot also verify it; another verifier must")
    if verdict == "rejected" and not comment.strip():
        raise InputError("--comment", None, "a rejection needs a comment saying what is wrong")
    _set_review(store, key, verdict, choice, user.name, comment, decided_by=user.name)
    return key


def reset_changed_reviews(store: Store, choices: dict[str, Choice], entity: str = "city",
                          actor: str = "ssckit") -> int:
    """Reviews (submitted, verified, rejected) whose value is no longer the one used become
    drafts again, each with a line in the audit log; return how many."""
    n = 0
    for r in list_reviews(store):
        if r.entity != entity or r.status == "draft" or r.indicator not in choices:
            continue
        ch = choices[r.indicator]
        if ch.value is None or ch.value.period != r.period or r.applies_to(ch):
            continue
        with store.transaction() as cur:
            cur.execute("UPDATE kpi_reviews SET status = 'draft', decided_by = '', comment = '', "
                        "updated_at = ? WHERE indicator = ? AND entity = ? AND period = ?",
                        [utcnow(), *r.key])
            append_audit(cur, actor, "status", r.key, r.status, "draft",
                         f"new {ch.origin} value {format_number(r.value)} -> "
                         f"{format_number(ch.value.value)}")
        n += 1
    return n


# -- evidence -----------------------------------------------------------------------------
def list_evidence(store: Store, key: Key) -> list[Evidence]:
    rows = read_rows(store, "SELECT * FROM kpi_evidence WHERE indicator = ? AND entity = ? AND "
                     "period = ? ORDER BY id", list(key))
    return [Evidence(*r) for r in rows]


def evidence_by_id(store: Store, evidence_id: int) -> Evidence | None:
    rows = read_rows(store, "SELECT * FROM kpi_evidence WHERE id = ?", [evidence_id])
    return Evidence(*rows[0]) if rows else None


def _add_evidence(store: Store, key: Key, kind: str, name: str, location: str, sha256: str,
                  size: int, read_on: date | None, actor: str) -> Evidence:
    with store.transaction() as cur:
        next_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM kpi_evidence").fetchone()[0]
        at = utcnow()
        cur.execute("INSERT INTO kpi_evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [next_id, *key, kind, name, location, sha256, size, read_on, actor, at])
        append_audit(cur, actor, "evidence", key, "", location,
                     f"sha256 {sha256}" if sha256 else f"read on {read_on}")
    return Evidence(next_id, *key, kind, name, location, sha256, size, read_on, actor, at)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add_evidence_bytes(store: Store, ws: Workspace, key: Key, data: bytes, filename: str,
                       user: auth.User) -> Evidence:
    """Keep ``data`` in the workspace (``evidence/<sha256>-<name>``) and attach it to ``key``."""
    if not user.has_role("analyst"):
        raise InputError("--as", None, f"{user.name} is a {user.role}; adding evidence needs "
                         "the role analyst or higher")
    if not data:
        raise InputError(filename, None, "is empty; evidence must be a document")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise InputError(filename, None, f"larger than {MAX_EVIDENCE_BYTES // 2**20} MiB")
    digest = sha256_of(data)
    name = _SAFE_NAME.sub("_", Path(filename).name).strip("._") or "evidence"
    rel = f"{EVIDENCE_DIR}/{digest}-{name}"
    dest = ws.root / rel
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(dest)
    return _add_evidence(store, key, "file", name, rel, digest, len(data), None, user.name)


def add_evidence_file(store: Store, ws: Workspace, key: Key, path: Path,
                      user: auth.User) -> Evidence:
    if not path.is_file():
        raise InputError(str(path), None, "no such file")
    if path.stat().st_size > MAX_EVIDENCE_BYTES:
        raise InputError(str(path), None, f"larger than {MAX_EVIDENCE_BYTES // 2**20} MiB")
    return add_evidence_bytes(store, ws, key, path.read_bytes(), path.name, user)


def add_evidence_url(store: Store, key: Key, url: str, read_on: date,
                     user: auth.User) -> Evidence:
    """Attach a web page or document at ``url``, read on ``read_on`` (not in the future)."""
    if not user.has_role("analyst"):
        raise InputError("--as", None, f"{user.name} is a {user.role}; adding evidence needs "
                         "the role analyst or higher")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError("--url", None, f"{url!r} is not an http(s) URL")
    if read_on > utcnow().date():
        raise InputError("--read-on", None, f"{read_on} is in the future; give the date the "
                         "page was read (YYYY-MM-DD)")
    return _add_evidence(store, key, "url", parsed.netloc, url, "", 0, read_on, user.name)


def evidence_path(ws: Workspace, ev: Evidence) -> Path:
    """Where an evidence file is kept (checked to be inside the workspace's evidence folder)."""
    path = (ws.root / ev.location).resolve()
    if ev.kind != "file" or (ws.root / EVIDENCE_DIR).resolve() not in path.parents:
        raise InputError(ev.location, None, "is not an evidence file of this workspace")
    return path


def copy_out(ws: Workspace, ev: Evidence, dest: Path) -> Path:
    return Path(shutil.copyfile(evidence_path(ws, ev), dest))


# -- the audit log in the reader's language -------------------------------------------------
#: What ssckit writes in the comment column of the audit log (in English, as stored), and its
#: wording for readers; what a person typed (a verifier's comment, a file name, a reference)
#: is shown as typed.
_STATUS_TEXTS = {"computed": N_("computed value {value}"), "manual": N_("manual value {value}")}
_RESET_TEXTS = {"computed": N_("new computed value {old} → {new}"),
                "manual": N_("new manual value {old} → {new}")}
_ORIGIN_TEXTS = {"import": N_("imported: {where}"), "settings": N_("from the settings: {where}"),
                 "workbook": N_("from the workbook: {where}"),
                 "web": N_("entered on the web: {where}")}
_ORIGIN_ALONE = {"import": N_("imported"), "settings": N_("from the settings"),
                 "workbook": N_("from the workbook"), "web": N_("entered on the web")}
_STATUS_RE = re.compile(r"(?P<origin>computed|manual) value (?P<value>\S+)(?:: (?P<typed>.*))?",
                        re.S)
_RESET_RE = re.compile(r"new (?P<origin>computed|manual) value (?P<old>\S+) -> (?P<new>\S+)")
_MANUAL_RE = re.compile(r"(?P<origin>import|settings|workbook|web): (?P<where>.*)", re.S)
_READ_ON_RE = re.compile(r"read on (?P<date>\d{4}-\d{2}-\d{2})")
_LINE_RE = re.compile(r"(^|, )line (\d+)(?=, |$)")


def _audit_comment(action: str, comment: str) -> str:
    if action == "status":
        if m := _RESET_RE.fullmatch(comment):
            return gettext(_RESET_TEXTS[m["origin"]]).format(old=format_exact(m["old"]),
                                                             new=format_exact(m["new"]))
        if m := _STATUS_RE.fullmatch(comment):
            text = gettext(_STATUS_TEXTS[m["origin"]]).format(value=format_exact(m["value"]))
            return text + (f": {m['typed']}" if m["typed"] is not None else "")
    elif action == "manual value" and (m := _MANUAL_RE.fullmatch(comment)):
        where = _LINE_RE.sub(lambda x: x[1] + gettext("line %(line)s") % {"line": x[2]},
                             m["where"], count=1)
        if not where:
            return gettext(_ORIGIN_ALONE[m["origin"]])
        return gettext(_ORIGIN_TEXTS[m["origin"]]).format(where=where)
    elif action == "evidence" and (m := _READ_ON_RE.fullmatch(comment)):
        return gettext("read on {date}").format(date=format_date(m["date"]))
    return comment


def audit_in_language(entry: AuditEntry) -> AuditEntry:
    """An audit line as readers of the language in force read it: statuses and the comments
    ssckit wrote translated, numbers with every digit in the reader's notation; what a person
    typed stays as typed. The stored log itself is English."""
    old, new = entry.old, entry.new
    if entry.action == "status":
        old, new = (gettext(x) if x in STATUSES else x for x in (old, new))
    elif entry.action == "manual value":
        old, new = format_exact(old) if old else old, format_exact(new) if new else new
    return replace(entry, old=old, new=new, comment=_audit_comment(entry.action, entry.comment))
