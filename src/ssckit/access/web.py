"""The access module's web face: stored WCAG audits per site and page, caption review.

Audit results are public and read-only (``/access``, ``/access/page?url=...``, the JSON API
``/api/v1/access/audits/latest``). Caption jobs are the files :mod:`ssckit.access.captions`
writes into ``WORKSPACE/outputs/access/captions/``; anyone may download them, analysts may
correct the cue texts, which writes the WebVTT, SRT and cues JSON again
(:func:`ssckit.access.captions.reexport`).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ssckit.access import api_models
from ssckit.access.captions import reexport
from ssckit.access.crawl import normalise_url, origin
from ssckit.access.cues import Cue, cues_from_json, problems
from ssckit.access.documents import DocumentCheck, DocumentProblem
from ssckit.access.history import AuditDiff, diff_with_previous, migrate
from ssckit.access.scoring import impact_rank
from ssckit.access.texts import check_message
from ssckit.core.errors import InputError
from ssckit.core.i18n import N_, gettext, ngettext
from ssckit.core.store import Store
from ssckit.core.webkit import Principal, check_csrf, get_store, get_workspace, render, require_role
from ssckit.core.workspace import Workspace

router = APIRouter(prefix="/access", tags=["access"])
pages = APIRouter(include_in_schema=False)
NAV = [(N_("Accessibility"), "/access", None)]

IMPACTS = (N_("critical"), N_("serious"), N_("moderate"), N_("minor"))
#: Caption files by kind: the suffix :mod:`ssckit.access.captions` gives each, its label and
#: media type. ``corrected`` is what the offline review page saves.
CAPTION_KINDS: dict[str, tuple[str, str, str]] = {
    "corrected": (".corrected.cues.json", N_("Corrected cues (JSON)"), "application/json"),
    "cues": (".cues.json", N_("Cues (JSON)"), "application/json"),
    "review": (".review.html", N_("Offline review page (HTML)"), "text/html; charset=utf-8"),
    "vtt": (".vtt", "WebVTT", "text/vtt; charset=utf-8"),
    "srt": (".srt", "SubRip (SRT)", "application/x-subrip; charset=utf-8"),
}
#: Longest text accepted for one cue [characters] and most cues in one form.
MAX_CUE_TEXT = 1000
MAX_CUES = 20_000


# -- stored audits ------------------------------------------------------------------------------
@dataclass
class StoredFinding:
    """One rule's result on one page, as stored: a violation, an advisory or a check to review."""

    kind: str
    rule: str
    impact: str | None
    criteria: list[str]
    help: str
    nodes: list[dict[str, str]]
    help_url: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "impact": self.impact, "criteria": self.criteria,
                "help": self.help, "help_url": self.help_url, "nodes": self.nodes}


@dataclass
class StoredPage:
    url: str
    depth: int
    status: int | None
    title: str
    score: float | None
    passes: int
    weighted: int
    screenshot: str | None
    error: str | None
    violations: list[StoredFinding] = field(default_factory=list)
    advisories: list[StoredFinding] = field(default_factory=list)
    incomplete: list[StoredFinding] = field(default_factory=list)
    #: URL path of the screenshot when its file is in the workspace outputs
    screenshot_url: str | None = None

    @property
    def failing_elements(self) -> int:
        return sum(len(f.nodes) for f in self.violations)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "depth": self.depth, "status": self.status, "title": self.title,
                "score": self.score, "passes": self.passes, "weighted": self.weighted,
                "error": self.error, "screenshot": self.screenshot_url,
                "violations": [f.to_dict() for f in self.violations],
                "incomplete": [f.to_dict() for f in self.incomplete],
                "advisories": [f.to_dict() for f in self.advisories]}


@dataclass
class RuleSummary:
    """One rule over the pages of a site audit: where it failed (or awaits review), how often."""

    rule: str
    impact: str | None
    help: str
    help_url: str
    criteria: list[str]
    #: (page url, page title, nodes) for every page where the rule has elements
    pages: list[tuple[str, str, list[dict[str, str]]]] = field(default_factory=list)

    @property
    def elements(self) -> int:
        return sum(len(n) for _, _, n in self.pages)


@dataclass
class StoredAudit:
    id: int
    site: str
    started_at: datetime
    axe_version: str
    settings: dict[str, Any]
    score: float | None
    violations: int
    pages: list[StoredPage]
    changes: AuditDiff | None = None
    documents: list[DocumentCheck] = field(default_factory=list)

    @property
    def audited(self) -> list[StoredPage]:
        return [p for p in self.pages if p.error is None]

    def rules(self, kind: str) -> list[RuleSummary]:
        """Findings of ``kind`` pooled by rule over the pages, worst impact first."""
        by: dict[str, RuleSummary] = {}
        for p in self.pages:
            for f in getattr(p, kind):
                r = by.setdefault(f.rule, RuleSummary(f.rule, f.impact, f.help, f.help_url,
                                                      list(f.criteria)))
                if impact_rank(f.impact) < impact_rank(r.impact):
                    r.impact = f.impact
                r.pages.append((p.url, p.title, f.nodes))
        return sorted(by.values(), key=lambda r: (impact_rank(r.impact), r.rule))

    def by_impact(self) -> list[dict[str, Any]]:
        """Violated rules and failing elements per impact (every impact, zero or not)."""
        rows = []
        rules = self.rules("violations")
        for impact in IMPACTS:
            mine = [r for r in rules if r.impact == impact]
            criteria = sorted({c for r in mine for c in r.criteria},
                              key=lambda c: tuple(int(x) for x in c.split(".")))
            rows.append({"impact": impact, "rules": len(mine),
                         "elements": sum(r.elements for r in mine), "criteria": criteria})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "site": self.site,
                "started_at": self.started_at.isoformat(timespec="seconds"),
                "axe_version": self.axe_version, "settings": self.settings, "score": self.score,
                "violations": self.violations,
                "by_impact": self.by_impact(),
                "pages": [p.to_dict() for p in self.pages],
                "documents": [d.to_dict() for d in self.documents],
                "changes": self.changes.to_dict() if self.changes else None}


def help_url(rule: str, axe_version: str) -> str:
    """Deque's page about an axe-core rule (what axe itself links to)."""
    major_minor = ".".join(axe_version.split(".")[:2]) or "4"
    return f"https://dequeuniversity.com/rules/axe/{major_minor}/{quote(rule)}"


def latest_audit_ids(store: Store) -> list[int]:
    """Id of the latest stored audit of every site, sites in alphabetical order."""
    migrate(store)
    cur = store.cursor()
    try:
        rows = cur.execute(
            "SELECT id FROM access_audits QUALIFY row_number() OVER "
            "(PARTITION BY site ORDER BY started_at DESC, id DESC) = 1 ORDER BY site").fetchall()
    finally:
        cur.close()
    return [r[0] for r in rows]


def screenshot_dir(ws: Workspace) -> Path:
    return ws.root / "outputs" / "access" / "screenshots"


def captions_dir(ws: Workspace) -> Path:
    return ws.root / "outputs" / "access" / "captions"


def load_audit(store: Store, audit_id: int, ws: Workspace | None = None,
               with_changes: bool = True) -> StoredAudit | None:
    """The stored audit ``audit_id`` with its pages and findings; None if there is none."""
    migrate(store)
    cur = store.cursor()
    try:
        row = cur.execute("SELECT id, site, started_at, axe_version, settings, score, violations "
                          "FROM access_audits WHERE id = ?", [audit_id]).fetchone()
        if row is None:
            return None
        page_rows = cur.execute(
            "SELECT url, depth, status, title, score, passes, weighted, screenshot, error "
            "FROM access_pages WHERE audit_id = ? ORDER BY depth, url", [audit_id]).fetchall()
        found = cur.execute(
            "SELECT url, kind, rule, impact, criteria, help, nodes FROM access_findings "
            "WHERE audit_id = ?", [audit_id]).fetchall()
        doc_rows = cur.execute(
            "SELECT url, linked_from, pages, title, language, tagged, text_layer, problems, "
            "error FROM access_documents WHERE audit_id = ? ORDER BY url", [audit_id]).fetchall()
    finally:
        cur.close()
    axe_version = row[3]
    shots = screenshot_dir(ws) if ws is not None else None
    pages_ = []
    by_url: dict[str, StoredPage] = {}
    for r in page_rows:
        p = StoredPage(*r)
        if p.screenshot and shots is not None and (shots / Path(p.screenshot).name).is_file():
            p.screenshot_url = f"/access/screenshots/{quote(Path(p.screenshot).name)}"
        pages_.append(p)
        by_url[p.url] = p
    for url, kind, rule, impact, criteria, help_, nodes in found:
        page = by_url.get(url)
        if page is None:
            continue
        f = StoredFinding(kind, rule, impact, json.loads(criteria), help_, json.loads(nodes),
                          help_url(rule, axe_version))
        {"violation": page.violations, "advisory": page.advisories,
         "incomplete": page.incomplete}.get(kind, []).append(f)
    for p in pages_:
        for lst in (p.violations, p.advisories, p.incomplete):
            lst.sort(key=lambda f: (impact_rank(f.impact), f.rule))
    try:
        settings = json.loads(row[4])
    except ValueError:
        settings = {}
    audit = StoredAudit(id=row[0], site=row[1], started_at=row[2], axe_version=axe_version,
                        settings=settings, score=row[5], violations=row[6], pages=pages_,
                        documents=[DocumentCheck(
                            url=u, linked_from=json.loads(lf), pages=n, title=t, language=lg,
                            tagged=tg, text_layer=tl, error=e,
                            problems=[DocumentProblem(**x) for x in json.loads(pr)])
                            for u, lf, n, t, lg, tg, tl, pr, e in doc_rows])
    if with_changes:
        audit.changes = diff_with_previous(store, audit.id)
    return audit


def latest_audits(store: Store, ws: Workspace | None = None) -> list[StoredAudit]:
    """The latest stored audit of every site, with the changes since the one before."""
    return [a for i in latest_audit_ids(store) if (a := load_audit(store, i, ws)) is not None]


def _audit_for_page(store: Store, url: str, audit_id: int | None) -> int | None:
    """The audit to show ``url`` from: ``audit_id`` if given, else the latest one holding it."""
    migrate(store)
    cur = store.cursor()
    try:
        if audit_id is not None:
            row = cur.execute("SELECT audit_id FROM access_pages WHERE audit_id = ? AND url = ?",
                              [audit_id, url]).fetchone()
        else:
            row = cur.execute(
                "SELECT p.audit_id FROM access_pages p JOIN access_audits a ON a.id = p.audit_id "
                "WHERE p.url = ? ORDER BY a.started_at DESC, a.id DESC LIMIT 1", [url]).fetchone()
    finally:
        cur.close()
    return None if row is None else int(row[0])


# -- caption jobs -------------------------------------------------------------------------------
@dataclass
class CaptionJob:
    """The caption files of one recording (by file stem) in the workspace outputs."""

    stem: str
    files: dict[str, str] = field(default_factory=dict)  # kind -> file name
    modified: datetime | None = None
    language: str | None = None
    cues: int | None = None
    error: str | None = None

    @property
    def editable(self) -> bool:
        return "cues" in self.files and self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {"stem": self.stem, "language": self.language, "cues": self.cues,
                "modified": self.modified.isoformat(timespec="seconds") if self.modified else None,
                "error": self.error,
                "files": {k: f"/access/captions/files/{quote(n)}" for k, n in self.files.items()}}


def _caption_kind(name: str) -> tuple[str, str] | None:
    """(stem, kind) of a caption file name; None for other files."""
    for kind, (suffix, _, _) in CAPTION_KINDS.items():  # longest suffixes first
        if name.endswith(suffix) and len(name) > len(suffix) and not name.startswith("."):
            return name[: -len(suffix)], kind
    return None


def caption_jobs(ws: Workspace) -> list[CaptionJob]:
    """Caption jobs found in ``outputs/access/captions/``, by name."""
    folder = captions_dir(ws)
    if not folder.is_dir():
        return []
    jobs: dict[str, CaptionJob] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        found = _caption_kind(path.name)
        if found is None:
            continue
        stem, kind = found
        job = jobs.setdefault(stem, CaptionJob(stem))
        job.files[kind] = path.name
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
        job.modified = max(job.modified or mtime, mtime)
    for job in jobs.values():
        if "cues" in job.files:
            try:
                language, cues = _read_cues(folder / job.files["cues"])
                job.language, job.cues = language, len(cues)
            except InputError as exc:
                job.error = exc.message
    return sorted(jobs.values(), key=lambda j: j.stem.lower())


def _read_cues(path: Path) -> tuple[str | None, list[Cue]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path.name, None, f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(path.name, f"line {exc.lineno}", f"not JSON: {exc.msg}") from None
    cues = cues_from_json(data, path.name)
    language = data.get("language") if isinstance(data, dict) else None
    return (str(language) if language else None), cues


def _job(ws: Workspace, stem: str) -> CaptionJob:
    job = next((j for j in caption_jobs(ws) if j.stem == stem), None)
    if job is None:
        raise HTTPException(404, f"no caption job {stem!r} in outputs/access/captions")
    return job


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _timestamp(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


# -- API ----------------------------------------------------------------------------------------
@router.get("/audits/latest", response_model=api_models.Audits)
def api_latest_audits(
    request: Request,
    site: Annotated[str | None, Query(description="only this origin, e.g. https://city.example")
                    ] = None,
) -> dict[str, Any]:
    """The latest stored WCAG 2.2 A/AA audit of every site: score, pages, violations with their
    WCAG success criteria and failing elements, checks needing review, advisories, and the
    changes since the site's previous audit."""
    audits = latest_audits(get_store(request), get_workspace(request))
    if site is not None:
        audits = [a for a in audits if a.site == site.rstrip("/")]
    return {"sites": [a.to_dict() for a in audits]}


@router.get("/captions", response_model=api_models.Captions)
def api_captions(request: Request) -> dict[str, Any]:
    """Caption jobs in the workspace outputs, with their files."""
    return {"jobs": [j.to_dict() for j in caption_jobs(get_workspace(request))]}


# -- pages --------------------------------------------------------------------------------------
@pages.get("/access", response_class=HTMLResponse)
def audits_page(request: Request) -> HTMLResponse:
    audits = latest_audits(get_store(request), get_workspace(request))
    return render(request, "access/index.html", {"audits": audits, "impacts": IMPACTS,
                                                 "tr": gettext})


@pages.get("/access/page", response_class=HTMLResponse)
def page_page(request: Request, url: Annotated[str, Query(max_length=4000)],
              audit: int | None = None) -> HTMLResponse:
    store = get_store(request)
    wanted = normalise_url(url) or url
    audit_id = _audit_for_page(store, wanted, audit)
    if audit_id is None and wanted != url:
        audit_id = _audit_for_page(store, url, audit)
        wanted = url
    if audit_id is None:
        raise HTTPException(404, f"no stored audit has the page {url}")
    stored = load_audit(store, audit_id, get_workspace(request))
    assert stored is not None
    page = next(p for p in stored.pages if p.url == wanted)
    change = stored.changes
    page_changes: dict[str, Any] | None = None
    if change is not None:
        page_changes = {
            "before": change.before,
            "new": [r for u, r in change.new if u == wanted],
            "fixed": [r for u, r in change.fixed if u == wanted],
            "worse": [(r, b, a) for u, r, b, a in change.worse if u == wanted],
            "better": [(r, b, a) for u, r, b, a in change.better if u == wanted],
            "score": change.page_scores.get(wanted),
            "added": wanted in change.pages_added,
        }
    return render(request, "access/page.html", {
        "audit": stored, "page": page, "changes": page_changes,
        "latest": audit_id == _latest_of_site(store, stored.site),
        "site_of": origin(wanted), "tr": gettext, "check_message": check_message,
    })


def _latest_of_site(store: Store, site: str) -> int | None:
    cur = store.cursor()
    try:
        row = cur.execute("SELECT id FROM access_audits WHERE site = ? "
                          "ORDER BY started_at DESC, id DESC LIMIT 1", [site]).fetchone()
    finally:
        cur.close()
    return None if row is None else int(row[0])


@pages.get("/access/screenshots/{name}", response_class=FileResponse)
def screenshot(request: Request, name: str) -> FileResponse:
    folder = screenshot_dir(get_workspace(request))
    if name != Path(name).name or not name.endswith(".png") or name.startswith("."):
        raise HTTPException(404, "no such screenshot")
    path = folder / name
    if not path.is_file():
        raise HTTPException(404, "no such screenshot")
    return FileResponse(path, media_type="image/png")


@pages.get("/access/captions", response_class=HTMLResponse)
def captions_page(request: Request) -> HTMLResponse:
    ws = get_workspace(request)
    return render(request, "access/captions.html", {
        "jobs": caption_jobs(ws), "kinds": CAPTION_KINDS,
        "folder": captions_dir(ws).relative_to(ws.root).as_posix(), "tr": gettext,
    })


@pages.get("/access/captions/files/{name}", response_class=FileResponse)
def caption_file(request: Request, name: str) -> FileResponse:
    folder = captions_dir(get_workspace(request))
    found = _caption_kind(name)
    # Only names listed in the folder are served: nothing outside it can be reached.
    if found is None or not folder.is_dir() or name not in {p.name for p in folder.iterdir()}:
        raise HTTPException(404, "no such caption file")
    media_type = CAPTION_KINDS[found[1]][2]
    return FileResponse(folder / name, media_type=media_type, filename=name,
                        content_disposition_type="attachment")


def _edit_page(request: Request, job: CaptionJob, status_code: int = 200,
               texts: list[str] | None = None, **context: Any) -> HTMLResponse:
    ws = get_workspace(request)
    path = captions_dir(ws) / job.files["cues"]
    language, cues = _read_cues(path)
    rows = [{"n": i, "start": _timestamp(c.start), "end": _timestamp(c.end),
             "text": texts[i - 1] if texts is not None and i <= len(texts) else c.text}
            for i, c in enumerate(cues, 1)]
    return render(request, "access/caption_edit.html", {
        "job": job, "rows": rows, "language": language, "digest": _digest(path),
        "problems": problems(cues), "kinds": CAPTION_KINDS, "max_text": MAX_CUE_TEXT,
        "tr": gettext, **context,
    }, status_code=status_code)


@pages.get("/access/captions/{stem}", response_class=HTMLResponse)
def caption_edit_page(request: Request, stem: str,
                      _: Annotated[Principal, Depends(require_role("analyst"))],
                      saved: int | None = None) -> HTMLResponse:
    job = _job(get_workspace(request), stem)
    if not job.editable:
        raise HTTPException(404, f"caption job {stem!r} has no readable cues JSON "
                                 f"({job.error or 'missing'})")
    message = None
    if saved is not None:
        message = ngettext("Saved {n} cue; {stem}.vtt and {stem}.srt were written again from "
                           "the corrected text.",
                           "Saved {n} cues; {stem}.vtt and {stem}.srt were written again from "
                           "the corrected text.", saved).format(n=saved, stem=job.stem)
    return _edit_page(request, job, message=message)


@pages.post("/access/captions/{stem}", response_class=HTMLResponse)
async def caption_edit_submit(request: Request, stem: str,
                              principal: Annotated[Principal, Depends(require_role("analyst"))],
                              ) -> Response:
    async with request.form(max_files=0, max_fields=MAX_CUES + 10) as form:
        check_csrf(request, str(form.get("csrf_token") or ""))
        digest = str(form.get("digest") or "")
        texts = [str(t) for t in form.getlist("text")]
    ws = get_workspace(request)
    job = _job(ws, stem)
    if not job.editable:
        raise HTTPException(404, f"caption job {stem!r} has no readable cues JSON")
    path = captions_dir(ws) / job.files["cues"]
    language, cues = _read_cues(path)
    if digest != _digest(path):
        return _edit_page(request, job, 409, error=gettext(
            "The captions were changed since this form was loaded (by someone else, or a new "
            "transcription). This form now shows the current text: make your corrections "
            "again."))
    if len(texts) != len(cues):
        return _edit_page(request, job, 422, texts=texts, error=gettext(
            "The form sent {sent} cue texts for {cues} cues; reload the page and try "
            "again.").format(sent=len(texts), cues=len(cues)))
    too_long = [i for i, t in enumerate(texts, 1) if len(t) > MAX_CUE_TEXT]
    if too_long:
        return _edit_page(request, job, 422, texts=texts, error=(
            gettext("Cue {cues}: longer than {n} characters.").format(
                cues=", ".join(map(str, too_long)), n=MAX_CUE_TEXT)))
    data = {"language": language, "corrected_by": principal.user.name,
            "cues": [{"start": c.start, "end": c.end, "text": t.replace("\r\n", "\n")}
                     for c, t in zip(cues, texts, strict=True)]}
    with tempfile.TemporaryDirectory(prefix="ssckit-captions-") as tmp:
        corrected = Path(tmp) / f"{job.stem}.corrected.cues.json"
        corrected.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        try:
            result = reexport(corrected, captions_dir(ws), stem=job.stem)
        except InputError as exc:
            return _edit_page(request, job, 422, texts=texts, error=str(exc))
    return RedirectResponse(f"/access/captions/{quote(job.stem)}?saved={len(result.cues)}",
                            status_code=303)


# -- manual review and the accessibility statement ----------------------------------------------
#: Verdict labels, in the order the form offers them.
VERDICT_LABELS = {"pass": N_("Pass"), "fail": N_("Fail"), "na": N_("Not applicable")}
STATUS_LABELS = {"open": N_("Not reviewed"), "expired": N_("Expired: the page changed"),
                 "pass": N_("Pass"), "fail": N_("Fail"), "na": N_("Not applicable")}


def _review_of(store: Store, site: str) -> Any:
    from ssckit.access.manual import checklist

    try:
        return checklist(store, site)
    except InputError as exc:
        raise HTTPException(404, exc.message) from None


@router.get("/review", response_model=api_models.Reviews)
def api_review(request: Request,
               _: Annotated[Principal, Depends(require_role("analyst"))],
               site: Annotated[str | None, Query(description="only this origin")] = None,
               ) -> dict[str, Any]:
    """The manual review checklist of every audited site (or ``site``): per page, the WCAG
    2.2 A/AA criteria axe-core cannot decide and the elements it left undecided, each with its
    latest verdict and status (open, expired, pass, fail, na)."""
    from ssckit.access.manual import audited_sites

    store = get_store(request)
    sites = [site.rstrip("/")] if site else audited_sites(store)
    return {"sites": [_review_of(store, s).to_dict() for s in sites]}


@pages.get("/access/review", response_class=HTMLResponse)
def review_index_page(request: Request,
                      _: Annotated[Principal, Depends(require_role("analyst"))]) -> HTMLResponse:
    from ssckit.access.manual import audited_sites

    store = get_store(request)
    reviews = [_review_of(store, s) for s in audited_sites(store)]
    return render(request, "access/review_index.html", {"reviews": reviews, "tr": gettext})


def _review_page(request: Request, url: str, status_code: int = 200,
                 **context: Any) -> HTMLResponse:
    from ssckit.access.manual import MAX_NOTE, audited_sites, criterion

    store = get_store(request)
    site = origin(url)
    if site not in audited_sites(store):
        raise HTTPException(404, f"no stored audit of {site}")
    review = _review_of(store, site)
    page = review.page(url)
    if page is None:
        raise HTTPException(404, f"{url} is not a page of the latest audit of {site}")
    rules = [i for i in page.items if i.kind == "rule"]
    crits = [i for i in page.items if i.kind == "criterion"]
    lang = context.pop("lang", None) or "en"
    titles = {i.item: (c.title_in(lang) if (c := criterion(i.item)) else i.title)
              for i in crits}
    return render(request, "access/review_page.html", {
        "review": review, "page": page, "rules": rules, "criteria_items": crits,
        "titles": titles, "verdicts": VERDICT_LABELS, "statuses": STATUS_LABELS,
        "max_note": MAX_NOTE, "tr": gettext, **context}, status_code=status_code)


@pages.get("/access/review/page", response_class=HTMLResponse)
def review_page(request: Request, _: Annotated[Principal, Depends(require_role("analyst"))],
                url: Annotated[str, Query(max_length=4000)],
                saved: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    from ssckit.core.webkit import request_language

    message = gettext("Verdict saved.") if saved else None
    return _review_page(request, url, message=message, lang=request_language(request))


@pages.post("/access/review/page", response_class=HTMLResponse)
async def review_submit(request: Request,
                        principal: Annotated[Principal, Depends(require_role("analyst"))],
                        ) -> Response:
    from starlette.datastructures import UploadFile

    from ssckit.access.manual import MAX_EVIDENCE_BYTES, record_verdict
    from ssckit.core.webkit import request_language

    async with request.form(max_files=1, max_fields=20) as form:
        check_csrf(request, str(form.get("csrf_token") or ""))
        fields = {k: str(form.get(k) or "") for k in
                  ("url", "kind", "item", "selector", "verdict", "note", "evidence_url",
                   "ident")}
        upload = form.get("evidence")
        data, name = b"", ""
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_EVIDENCE_BYTES + 1)
            name = upload.filename
    url = fields["url"]
    ws, store = get_workspace(request), get_store(request)
    try:
        record_verdict(store, origin(url), url, fields["kind"], fields["item"],
                       fields["verdict"], principal.user.name, selector=fields["selector"],
                       note=fields["note"].replace("\r\n", "\n"),
                       evidence=(data, name) if name else None, outputs=ws.output_dir,
                       evidence_url=fields["evidence_url"] or None)
    except InputError as exc:
        return _review_page(request, url, 422, error=str(exc), failed=fields,
                            lang=request_language(request))
    return RedirectResponse(f"/access/review/page?url={quote(url, safe='')}&saved=1"
                            f"#item-{quote(fields['ident'])}", status_code=303)


@pages.get("/access/review/evidence/{name}", response_class=FileResponse)
def review_evidence(request: Request, name: str,
                    _: Annotated[Principal, Depends(require_role("analyst"))]) -> FileResponse:
    from ssckit.access.manual import evidence_dir

    folder = evidence_dir(get_workspace(request).output_dir)
    if name != Path(name).name or name.startswith(".") or not folder.is_dir() \
            or name not in {p.name for p in folder.iterdir()}:
        raise HTTPException(404, "no such evidence file")
    return FileResponse(folder / name, filename=name, content_disposition_type="attachment")


def _statement(request: Request, site: str, language: str | None) -> Any:
    from ssckit.access.statement import build_statement

    try:
        return build_statement(get_workspace(request), get_store(request), site,
                               language=language)
    except InputError as exc:
        raise HTTPException(404, str(exc)) from None


@pages.get("/access/statement", response_class=HTMLResponse)
def statement_page(request: Request,
                   site: Annotated[str, Query(max_length=2000)]) -> HTMLResponse:
    """The accessibility statement of ``site`` in the reader's language, with the files in the
    site's language."""
    from ssckit.access.statement import statement_texts
    from ssckit.core.webkit import request_language

    st = _statement(request, site, request_language(request))
    own = _statement(request, site, None).language
    return render(request, "access/statement.html", {
        "st": st, "parts": statement_texts(st), "site_language": own, "tr": gettext})


@pages.get("/access/statement/file", response_class=FileResponse)
def statement_file(request: Request, site: Annotated[str, Query(max_length=2000)],
                   format: Annotated[str, Query(pattern="^(html|pdf)$")] = "html",  # noqa: A002
                   language: Annotated[str | None, Query(pattern="^(en|ru|be)$")] = None,
                   ) -> Response:
    """The statement as a file (HTML or PDF), in the site's language unless ``language``."""
    from ssckit.access.statement import render_html, render_pdf

    st = _statement(request, site, language)
    stem = "accessibility-statement-" + re.sub(r"[^A-Za-z0-9]+", "-",
                                               st.site.split("://")[-1]).strip("-")
    if format == "pdf":
        return Response(render_pdf(st), media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{stem}-{st.language}.pdf"'})
    return Response(render_html(st), media_type="text/html; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{stem}-{st.language}.html"'})
