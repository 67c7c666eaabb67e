"""Manual review of an audited site: what axe-core cannot decide, judged by a person.

For each page of a site's latest audit the checklist holds

- the WCAG 2.2 level A and AA success criteria that axe-core cannot decide (the data file
  ``data/wcag22_manual.yaml``: criterion, title, level, short guidance for the reviewer, the
  axe rules that test a part of it; W3C, *WCAG 2.2*, https://www.w3.org/TR/WCAG22/, and
  *Understanding WCAG 2.2*), one item per criterion and page;
- every element axe-core reported as *incomplete* (needs review), one item per rule, page and
  element selector.

A reviewer records ``pass``, ``fail`` or ``na`` (not applicable) with a note and, optionally,
evidence (a file kept under ``outputs/access/evidence`` with its SHA-256, or a URL). Verdicts
are kept apart from the audits (table ``access_reviews``, append-only), so they carry over to
the next audit: an item takes the latest verdict with the same (rule or criterion, page URL,
element selector). A verdict holds only for the page it judged: each audit records the page's
content hash (:func:`ssckit.access.audit.content_hash`), and a verdict given on another content
is *expired* — shown, but counted as not reviewed until someone reviews the item again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from ssckit.access.history import migrate, previous_audit
from ssckit.core.errors import InputError
from ssckit.core.store import Store

#: What a reviewer may record: passes, fails, does not apply to the page.
VERDICTS = ("pass", "fail", "na")
#: Item kinds: a WCAG success criterion for a page, or an axe-core rule for one element.
KINDS = ("criterion", "rule")
#: Longest note [characters] and evidence URL.
MAX_NOTE = 4000
MAX_URL = 2000
#: Largest evidence file [bytes].
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
_CRITERION = re.compile(r"^\d\.\d{1,2}\.\d{1,2}$")


# -- the criteria -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Criterion:
    """A WCAG 2.2 success criterion: number, level, English title and ours in ru/be, a
    reviewer's guidance, and the axe-core rules testing a part of it."""

    id: str
    level: str
    title: str
    slug: str
    guidance: str
    titles: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    axe: tuple[str, ...] = ()
    axe_decides: bool = False

    @property
    def understanding_url(self) -> str:
        """W3C's *Understanding WCAG 2.2* page of the criterion."""
        return f"https://www.w3.org/WAI/WCAG22/Understanding/{self.slug}.html"

    def title_in(self, lang: str) -> str:
        """The criterion's title in ``lang`` (en, ru, be)."""
        return self.titles.get(lang, self.title)

    @property
    def sort_key(self) -> tuple[int, ...]:
        return criterion_key(self.id)


def criterion_key(number: str) -> tuple[int, ...]:
    """Sort key of a criterion number (``1.4.10`` after ``1.4.3``)."""
    return tuple(int(x) for x in number.split(".") if x.isdigit())


@cache
def criteria() -> tuple[Criterion, ...]:
    """Every WCAG 2.2 level A and AA success criterion (55; 4.1.1 is obsolete), in order."""
    data = yaml.safe_load(files("ssckit.access").joinpath("data/wcag22_manual.yaml")
                          .read_text(encoding="utf-8"))
    out = [Criterion(id=str(c["id"]), level=c["level"], title=c["title"], slug=c["slug"],
                     guidance=c["guidance"], titles={"en": c["title"], "ru": c["ru"],
                                                     "be": c["be"]},
                     axe=tuple(c.get("axe", ())), axe_decides=bool(c.get("axe_decides")))
           for c in data["criteria"]]
    return tuple(sorted(out, key=lambda c: c.sort_key))


def criterion(number: str) -> Criterion | None:
    """The criterion ``number`` (``"1.4.10"``), or None when WCAG 2.2 A/AA has none."""
    return next((c for c in criteria() if c.id == number), None)


def manual_criteria() -> tuple[Criterion, ...]:
    """The criteria a person has to check (all but those axe-core settles)."""
    return tuple(c for c in criteria() if not c.axe_decides)


# -- verdicts -----------------------------------------------------------------------------------
@dataclass
class Verdict:
    """A reviewer's recorded verdict on one item."""

    id: int
    site: str
    url: str
    kind: str
    item: str
    selector: str
    verdict: str
    note: str
    evidence_file: str | None
    evidence_sha256: str | None
    evidence_url: str | None
    page_hash: str
    reviewer: str
    reviewed_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "verdict": self.verdict, "note": self.note,
                "evidence_file": self.evidence_file, "evidence_sha256": self.evidence_sha256,
                "evidence_url": self.evidence_url, "page_hash": self.page_hash,
                "reviewer": self.reviewer,
                "reviewed_at": self.reviewed_at.isoformat(timespec="seconds")}


@dataclass
class ReviewItem:
    """One thing to judge on one page: a criterion (``selector`` empty) or an element that an
    axe-core rule could not decide. ``verdict`` is the latest one recorded for its key;
    ``expired`` when it was given on other page content than the audited one."""

    kind: str
    item: str
    url: str
    selector: str
    title: str
    criteria: list[str]
    guidance: str = ""
    help_url: str = ""
    html: str = ""
    summary: str = ""
    level: str = ""
    verdict: Verdict | None = None
    expired: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.item, self.url, self.selector)

    @property
    def status(self) -> str:
        """``open`` (no valid verdict), ``expired`` or the verdict (pass, fail, na)."""
        if self.verdict is None:
            return "open"
        return "expired" if self.expired else self.verdict.verdict

    @property
    def decided(self) -> bool:
        return self.status in VERDICTS

    @property
    def ident(self) -> str:
        """A short stable identifier of the item for forms and anchors."""
        raw = "\x1f".join(self.key)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "item": self.item, "url": self.url,
                "selector": self.selector, "title": self.title, "criteria": self.criteria,
                "level": self.level, "guidance": self.guidance, "help_url": self.help_url,
                "html": self.html, "status": self.status,
                "verdict": self.verdict.to_dict() if self.verdict else None}


@dataclass
class PageReview:
    url: str
    title: str
    content_hash: str
    lang: str
    items: list[ReviewItem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return _counts(self.items)


@dataclass
class SiteReview:
    """The checklist of a site: the pages of its latest audit and their items."""

    site: str
    audit_id: int
    audited_at: datetime
    pages: list[PageReview]

    @property
    def items(self) -> list[ReviewItem]:
        return [i for p in self.pages for i in p.items]

    def counts(self) -> dict[str, int]:
        return _counts(self.items)

    def page(self, url: str) -> PageReview | None:
        return next((p for p in self.pages if p.url == url), None)

    def to_dict(self) -> dict[str, Any]:
        return {"site": self.site, "audit_id": self.audit_id,
                "audited_at": self.audited_at.isoformat(timespec="seconds"),
                "counts": self.counts(),
                "pages": [{"url": p.url, "title": p.title, "content_hash": p.content_hash,
                           "counts": p.counts(), "items": [i.to_dict() for i in p.items]}
                          for p in self.pages]}


def _counts(items: list[ReviewItem]) -> dict[str, int]:
    out = {s: 0 for s in ("open", "expired", *VERDICTS)}
    for i in items:
        out[i.status] += 1
    out["total"] = len(items)
    return out


def audited_sites(store: Store) -> list[str]:
    """Every site with a stored audit, alphabetically."""
    migrate(store)
    cur = store.cursor()
    try:
        rows = cur.execute("SELECT DISTINCT site FROM access_audits ORDER BY site").fetchall()
    finally:
        cur.close()
    return [r[0] for r in rows]


def _site_of(store: Store, site: str) -> str:
    """``site`` as stored (an origin, without a trailing slash), or a one-line InputError."""
    wanted = site.rstrip("/")
    known = audited_sites(store)
    if wanted not in known:
        raise InputError("site", None, f"{site} has no stored audit; audited sites: "
                         f"{', '.join(known) or 'none'} (run ssckit access audit ... -w "
                         "WORKSPACE first)")
    return wanted


def latest_verdicts(store: Store, site: str) -> dict[tuple[str, str, str, str], Verdict]:
    """The latest verdict of every (kind, item, page URL, selector) of ``site``."""
    migrate(store)
    cur = store.cursor()
    try:
        rows = cur.execute(
            "SELECT id, site, url, kind, item, selector, verdict, note, evidence_file, "
            "evidence_sha256, evidence_url, page_hash, reviewer, reviewed_at "
            "FROM access_reviews WHERE site = ? QUALIFY row_number() OVER (PARTITION BY "
            "kind, item, url, selector ORDER BY reviewed_at DESC, id DESC) = 1", [site]
        ).fetchall()
    finally:
        cur.close()
    out = {}
    for r in rows:
        v = Verdict(*r)
        out[(v.kind, v.item, v.url, v.selector)] = v
    return out


def checklist(store: Store, site: str, audit_id: int | None = None) -> SiteReview:
    """The review checklist of ``site`` from its latest audit (or ``audit_id``), with the
    verdicts recorded so far."""
    site = _site_of(store, site)
    audit_id = audit_id if audit_id is not None else previous_audit(store, site)
    assert audit_id is not None
    cur = store.cursor()
    try:
        started = cur.execute("SELECT started_at FROM access_audits WHERE id = ?",
                              [audit_id]).fetchone()[0]
        page_rows = cur.execute(
            "SELECT url, title, coalesce(content_hash, ''), coalesce(lang, '') FROM access_pages "
            "WHERE audit_id = ? AND error IS NULL ORDER BY depth, url", [audit_id]).fetchall()
        found = cur.execute(
            "SELECT url, rule, criteria, help, nodes FROM access_findings WHERE audit_id = ? "
            "AND kind = 'incomplete' ORDER BY url, rule", [audit_id]).fetchall()
    finally:
        cur.close()
    verdicts = latest_verdicts(store, site)
    pages = [PageReview(url=u, title=t, content_hash=h, lang=lg) for u, t, h, lg in page_rows]
    by_url = {p.url: p for p in pages}
    for url, rule, crit, help_, nodes in found:
        page = by_url.get(url)
        if page is None:
            continue
        for n in json.loads(nodes):
            page.items.append(ReviewItem(
                kind="rule", item=rule, url=url, selector=n.get("target", ""), title=help_,
                criteria=json.loads(crit), html=n.get("html", ""),
                summary=n.get("summary", ""),
                help_url=f"https://dequeuniversity.com/rules/axe/4/{rule}"))
    for page in pages:
        for c in manual_criteria():
            page.items.append(ReviewItem(
                kind="criterion", item=c.id, url=page.url, selector="", title=c.title,
                criteria=[c.id], guidance=c.guidance, help_url=c.understanding_url,
                level=c.level))
        for item in page.items:
            v = verdicts.get(item.key)
            if v is not None:
                item.verdict = v
                item.expired = not page.content_hash or v.page_hash != page.content_hash
    return SiteReview(site=site, audit_id=audit_id, audited_at=started, pages=pages)


# -- recording ----------------------------------------------------------------------------------
def evidence_dir(outputs: Path) -> Path:
    """Where evidence files are kept: ``outputs/access/evidence``."""
    return Path(outputs) / "access" / "evidence"


def keep_evidence(data: bytes, name: str, outputs: Path) -> tuple[str, str]:
    """Keep an evidence file under :func:`evidence_dir` as ``<sha256[:16]>-<name>``; return its
    path relative to ``outputs`` and its SHA-256 (hex)."""
    if len(data) > MAX_EVIDENCE_BYTES:
        raise InputError(name, None, f"evidence file is {len(data)} bytes; at most "
                         f"{MAX_EVIDENCE_BYTES} allowed (link a larger file by URL instead)")
    digest = hashlib.sha256(data).hexdigest()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name).strip("-.") or "evidence"
    folder = evidence_dir(outputs)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest[:16]}-{safe[:80]}"
    if not target.is_file():
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target.relative_to(outputs).as_posix(), digest


def read_evidence(path: Path) -> bytes:
    """The bytes of an evidence file on disk (one-line InputError when missing or too large)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), None, "evidence file not found")
    if path.stat().st_size > MAX_EVIDENCE_BYTES:
        raise InputError(str(path), None, f"evidence file is larger than {MAX_EVIDENCE_BYTES} "
                         "bytes; link it by URL instead")
    return path.read_bytes()


def record_verdict(store: Store, site: str, url: str, kind: str, item: str, verdict: str,
                   reviewer: str, *, selector: str = "", note: str = "",
                   evidence: tuple[bytes, str] | None = None, outputs: Path | None = None,
                   evidence_url: str | None = None,
                   now: datetime | None = None) -> Verdict:
    """Record a reviewer's verdict on an item of the latest audit of ``site``.

    The item must be on the checklist (:func:`checklist`): a criterion of
    :func:`manual_criteria` for an audited page, or an element axe-core left undecided on it.
    The verdict is tied to the page's content hash of that audit. ``evidence`` (bytes, file
    name) is kept under ``outputs`` (:func:`keep_evidence`) once everything else is valid. A
    bad value is one :class:`InputError` naming the field and what is allowed.
    """
    if verdict not in VERDICTS:
        raise InputError("verdict", None, f"{verdict!r} is not a verdict; use one of "
                         f"{', '.join(VERDICTS)}")
    if kind not in KINDS:
        raise InputError("kind", None, f"{kind!r}: use criterion or rule")
    if len(note) > MAX_NOTE:
        raise InputError("note", None, f"{len(note)} characters; at most {MAX_NOTE}")
    if verdict == "fail" and not note.strip():
        raise InputError("note", None, "a fail needs a note saying what is wrong (it goes "
                         "into the accessibility statement)")
    if evidence_url is not None:
        evidence_url = evidence_url.strip() or None
    if evidence_url is not None and (len(evidence_url) > MAX_URL
                                     or not re.match(r"^https?://\S+$", evidence_url)):
        raise InputError("evidence URL", None, "must be an http(s) URL of at most "
                         f"{MAX_URL} characters")
    review = checklist(store, site)
    page = review.page(url.strip())
    if page is None:
        raise InputError("page", None, f"{url} is not a page of the latest audit of "
                         f"{review.site} (audit {review.audit_id}); pages: "
                         f"{', '.join(p.url for p in review.pages)}")
    if kind == "criterion" and not _CRITERION.match(item):
        raise InputError("criterion", None, f"{item!r} is not a criterion number such as 1.4.10")
    target = next((i for i in page.items if i.key == (kind, item, page.url, selector)), None)
    if target is None:
        if kind == "criterion":
            raise InputError("criterion", None, f"{item} is not on the checklist: WCAG 2.2 "
                             "A/AA criteria axe-core cannot decide, e.g. 1.4.10, 2.1.1, 2.4.7")
        undecided = sorted({f"{i.item} {i.selector}" for i in page.items if i.kind == "rule"})
        raise InputError("rule", None, f"axe-core left no element {selector!r} undecided for "
                         f"rule {item!r} on {page.url}; undecided there: "
                         f"{'; '.join(undecided) or 'none'}")
    if not page.content_hash:
        raise InputError("page", None, f"the audit of {page.url} recorded no content hash "
                         "(it predates manual review); audit the site again, then review")
    evidence_file = evidence_sha256 = None
    if evidence is not None:
        if outputs is None:
            raise ValueError("evidence needs the workspace outputs folder")
        evidence_file, evidence_sha256 = keep_evidence(evidence[0], evidence[1], outputs)
    when = (now or datetime.now(UTC)).replace(tzinfo=None)
    with store.transaction() as cur:
        vid = int(cur.execute("SELECT nextval('access_review_ids')").fetchone()[0])
        cur.execute("INSERT INTO access_reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [vid, review.site, page.url, kind, item, selector, verdict, note,
                     evidence_file, evidence_sha256, evidence_url, page.content_hash,
                     reviewer, when])
    return Verdict(vid, review.site, page.url, kind, item, selector, verdict, note,
                   evidence_file, evidence_sha256, evidence_url, page.content_hash, reviewer,
                   when)
