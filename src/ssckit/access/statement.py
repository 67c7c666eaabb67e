"""Accessibility statement of an audited site, in the structure of the EU model statement.

Commission Implementing Decision (EU) 2018/1523 of 11 October 2018 (OJ L 256, 12.10.2018,
p. 103), Annex, establishes the model statement that public sector bodies publish under
Directive (EU) 2016/2102, Art. 7. Its parts, in order: the body and the site the statement
applies to; the **compliance status** (fully, partially or not compliant); the
**non-accessible content** with its reason — (a) non-compliance, (b) disproportionate burden
(Art. 5 of the Directive), (c) outside the scope of the applicable legislation; the
**preparation** of the statement (date, method: self-assessment or third-party assessment, last
review); **feedback and contact** information; the **enforcement procedure**.

The statement is built from the store alone: the latest automated audit of the site (axe-core
violations, PDF documents checked) and the manual review (:mod:`ssckit.access.manual`). What
the store cannot know — the body, its contact, the enforcement body, content claimed as a
disproportionate burden or out of scope — comes from the workspace's statement file
(``inputs.access.statement`` in city.yaml, see :class:`StatementSettings`).

Compliance status (our reading of the model's three options against WCAG 2.2 A/AA, the level
EN 301 549 V3.2.1 clause 9 requires):

- *fully compliant*: no criterion fails, none is exempted, and a person has checked every
  criterion on every audited page (no open or expired checklist item);
- *not compliant*: more than half of the 55 criteria fail (criteria a reviewer judged not
  applicable on every page left out of the 55);
- *partially compliant*: otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ssckit.access.manual import (
    Criterion,
    checklist,
    criteria,
    criterion,
    criterion_key,
    manual_criteria,
)
from ssckit.core import i18n
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

LANGUAGES = ("en", "ru", "be")
STATUSES = ("full", "partial", "not")
#: Reasons content is not accessible, as the model statement names them.
REASONS = ("non_compliance", "disproportionate_burden", "out_of_scope")
_NUMBER = re.compile(r"\b\d\.\d{1,2}\.\d{1,2}\b")


# -- what the workspace says ----------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contact(_Strict):
    """How readers report a barrier or ask for content in an accessible form."""

    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = None
    address: str | None = None
    form_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    response_days: int | None = Field(default=None, ge=1, le=365,
                                      description="Answer within this many days.")


class Enforcement(_Strict):
    """Where a reader turns when the answer is unsatisfactory (Directive (EU) 2016/2102,
    Art. 9)."""

    body: str = Field(min_length=1)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = None


class Exemption(_Strict):
    """Content claimed as a disproportionate burden or outside the scope of the legislation."""

    criterion: str | None = Field(default=None, pattern=r"^\d\.\d{1,2}\.\d{1,2}$",
                                  description="WCAG criterion it concerns, if one.")
    reason: Literal["disproportionate_burden", "out_of_scope"]
    content: str = Field(min_length=1, description="What content (e.g. 'videos of council "
                         "sessions before 2020').")
    explanation: str = Field(min_length=1, description="Why (the burden assessment, or the "
                             "exemption of the Directive, Art. 1(4)).")
    alternative: str | None = Field(default=None, description="An accessible alternative.")
    pages: list[str] = Field(default_factory=list, description="URL prefixes it covers; "
                             "empty: the whole site.")


class SiteStatement(_Strict):
    name: str | None = Field(default=None, description="Name of the site in the statement.")
    language: Literal["en", "ru", "be"] | None = None
    exemptions: list[Exemption] = Field(default_factory=list)


class StatementSettings(_Strict):
    """The statement file (YAML)::

        body: City of Riverbend                 # the public sector body
        legislation: Directive (EU) 2016/2102   # the law the statement answers to
        method: self-assessment                 # or third-party assessment
        contact: {email: access@riverbend.example, phone: +000 000 000, response_days: 10}
        enforcement: {body: National accessibility supervisor, url: https://...}
        sites:
          http://www.riverbend.test:
            name: Riverbend city portal
            language: en                        # else the pages' lang, else city.yaml's
            exemptions:
              - {criterion: 1.2.2, reason: disproportionate_burden,
                 content: videos of council sessions before 2020,
                 explanation: ..., alternative: minutes of each session}
    """

    body: str = Field(min_length=1)
    legislation: str = "Directive (EU) 2016/2102"
    standard: str = "WCAG 2.2, levels A and AA (EN 301 549 V3.2.1, clause 9)"
    method: Literal["self-assessment", "third-party assessment"] = "self-assessment"
    assessor: str | None = Field(default=None, description="Who assessed, for a third party.")
    contact: Contact
    enforcement: Enforcement
    sites: dict[str, SiteStatement] = Field(default_factory=dict)

    def site(self, site: str) -> SiteStatement:
        return self.sites.get(site.rstrip("/")) or self.sites.get(site.rstrip("/") + "/") \
            or SiteStatement()


def load_settings(path: Path) -> StatementSettings:
    """Read and validate a statement file; a bad one is one InputError (file, field, what)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), None, f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(str(path), f"line {mark.line + 1}" if mark else None,
                         f"not YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        settings = StatementSettings.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(document)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "required field is missing"
        raise InputError(str(path), where, msg) from None
    if not (settings.contact.email or settings.contact.phone or settings.contact.form_url):
        raise InputError(str(path), "contact", "give at least one of email, phone or form_url "
                         "(how readers report a barrier)")
    return settings


def settings_path(ws: Workspace) -> Path:
    """The statement file of a workspace (``inputs.access.statement``), or a one-line
    InputError saying how to add one."""
    path = ws.input_path("access", "statement")
    if path is None:
        raise InputError(str(ws.root / "city.yaml"), "inputs.access.statement",
                         "no statement file: write one (body, contact, enforcement; see "
                         "docs/access.md) and name it there")
    return path


# -- the statement --------------------------------------------------------------------------------
@dataclass
class Problem:
    """A criterion not met: where, and what was found (by axe-core, a reviewer or the
    document check)."""

    criterion: str
    title: str
    level: str
    pages: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    #: findings in English as axe-core or the PDF check wrote them
    english: list[str] = field(default_factory=list)
    reason: str = "non_compliance"
    explanation: str = ""
    alternative: str = ""


@dataclass
class Statement:
    """An accessibility statement, ready to render (:func:`render_html`, :func:`render_pdf`)."""

    site: str
    site_name: str
    language: str
    body: str
    legislation: str
    standard: str
    method: str
    assessor: str | None
    status: str
    prepared_on: date
    audit_id: int
    audited_at: datetime
    axe_version: str
    pages: list[str]
    documents: int
    last_review: datetime | None
    reviewed: int
    to_review: int
    non_compliance: list[Problem]
    disproportionate_burden: list[Problem]
    out_of_scope: list[Problem]
    not_checked: list[Criterion]
    passed: list[str]
    contact: Contact
    enforcement: Enforcement
    synthetic: bool = False

    @property
    def failed(self) -> list[str]:
        return sorted({p.criterion for p in self.non_compliance if p.criterion},
                      key=criterion_key)

    def title_of(self, c: Criterion) -> str:
        return c.title_in(self.language)

    def to_dict(self) -> dict[str, object]:
        def prob(p: Problem) -> dict[str, object]:
            return {"criterion": p.criterion, "title": p.title, "level": p.level,
                    "pages": p.pages, "findings": p.findings + p.english, "reason": p.reason,
                    "explanation": p.explanation, "alternative": p.alternative}
        return {"site": self.site, "site_name": self.site_name, "language": self.language,
                "body": self.body, "status": self.status,
                "prepared_on": self.prepared_on.isoformat(), "method": self.method,
                "audit_id": self.audit_id,
                "audited_at": self.audited_at.isoformat(timespec="seconds"),
                "last_review": self.last_review.isoformat(timespec="seconds")
                if self.last_review else None,
                "pages": self.pages, "reviewed": self.reviewed, "to_review": self.to_review,
                "non_compliance": [prob(p) for p in self.non_compliance],
                "disproportionate_burden": [prob(p) for p in self.disproportionate_burden],
                "out_of_scope": [prob(p) for p in self.out_of_scope],
                "not_checked": [c.id for c in self.not_checked], "passed": self.passed}


def site_language(ws: Workspace, settings: StatementSettings, site: str,
                  page_langs: list[str]) -> str:
    """The statement's language: the statement file's ``sites.<site>.language``, else the
    ``lang`` of the site's first audited page (en, ru or be), else city.yaml's language."""
    own = settings.site(site).language
    if own:
        return own
    for lang in page_langs:
        primary = (lang or "").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return ws.config.language


def _matches(ex: Exemption, number: str | None, url: str | None) -> bool:
    if ex.criterion and number and ex.criterion != number:
        return False
    if ex.criterion and not number:
        return False
    return not ex.pages or url is None or any(url.startswith(p) for p in ex.pages)


def build_statement(ws: Workspace, store: Store, site: str, *,
                    settings: StatementSettings | None = None, language: str | None = None,
                    today: date | None = None) -> Statement:
    """The statement of ``site`` from its latest audit and manual review (see the module
    docstring for the compliance status)."""
    from ssckit.access.web import load_audit

    settings = settings or load_settings(settings_path(ws))
    review = checklist(store, site)
    audit = load_audit(store, review.audit_id, ws, with_changes=False)
    assert audit is not None
    langs = [p.lang for p in review.pages]
    lang = language or site_language(ws, settings, review.site, langs)
    if lang not in LANGUAGES:
        raise InputError("language", None, f"{lang!r}: use en, ru or be")
    own = settings.site(review.site)

    # what fails, per criterion: axe-core violations, reviewers' fails, PDF problems
    fails: dict[str, Problem] = {}

    def problem(number: str) -> Problem:
        c = criterion(number)
        return fails.setdefault(number, Problem(
            criterion=number, title=c.title_in(lang) if c else number,
            level=c.level if c else ""))

    for page in audit.audited:
        for f in page.violations:
            for number in f.criteria or ["-"]:
                p = problem(number)
                if page.url not in p.pages:
                    p.pages.append(page.url)
                with i18n.language(lang):
                    text = i18n.gettext(f.help)
                    where = i18n.ngettext("{n} element on {page}", "{n} elements on {page}",
                                          len(f.nodes)).format(n=len(f.nodes), page=page.url)
                if text != f.help or lang == "en":
                    p.findings.append(f"{text}: {where}")
                else:
                    p.findings.append(where)
                    p.english.append(text)
    for item in review.items:
        if item.status != "fail" or item.verdict is None:
            continue
        for number in item.criteria or ["-"]:
            p = problem(number)
            if item.url not in p.pages:
                p.pages.append(item.url)
            where = f"{item.url} {item.selector}".strip()
            p.findings.append(f"{item.verdict.note} ({where})")
    for d in audit.documents:
        for dp in d.problems:
            for number in _NUMBER.findall(dp.criterion):
                p = problem(number)
                if d.url not in p.pages:
                    p.pages.append(d.url)
                p.english.append(f"{d.url}: {dp.message}")

    # exemptions claimed in the statement file
    burden, scope = [], []
    for ex in own.exemptions:
        c = criterion(ex.criterion) if ex.criterion else None
        entry = Problem(criterion=ex.criterion or "", title=c.title_in(lang) if c else "",
                        level=c.level if c else "", pages=list(ex.pages),
                        findings=[ex.content], reason=ex.reason, explanation=ex.explanation,
                        alternative=ex.alternative or "")
        (burden if ex.reason == "disproportionate_burden" else scope).append(entry)
        if ex.criterion and ex.criterion in fails:
            p = fails[ex.criterion]
            left = [u for u in p.pages if not _matches(ex, ex.criterion, u)]
            if not left:
                del fails[ex.criterion]
            else:
                p.pages = left
    non_compliance = sorted(fails.values(), key=lambda p: criterion_key(p.criterion))

    # what a person has not (validly) checked yet, and what passes everywhere
    open_by: dict[str, int] = {}
    judged: set[str] = set(fails)
    for item in review.items:
        if item.kind != "criterion":
            continue
        if item.status in ("pass", "na", "fail"):
            judged.add(item.item)
        else:
            open_by[item.item] = open_by.get(item.item, 0) + 1
    undecided_rules = [i for i in review.items if i.kind == "rule" and not i.decided]
    exempted = {e.criterion for e in own.exemptions if e.criterion}
    not_checked = [c for c in criteria()
                   if c.id in open_by and c.id not in fails and c.id not in exempted]
    judged.update(c.id for c in criteria() if c.axe_decides)
    passed = [c.id for c in criteria() if c.id not in fails and c.id not in open_by
              and c.id not in exempted and c.id in judged]
    # criteria judged not applicable on every page do not count towards "most requirements"
    na_everywhere = {c.id for c in manual_criteria()
                     if all(i.status == "na" for i in review.items
                            if i.kind == "criterion" and i.item == c.id)}
    applicable = len(criteria()) - len(na_everywhere - set(fails))
    if (not non_compliance and not burden and not scope and not open_by
            and not undecided_rules):
        status = "full"
    elif len(fails) * 2 > applicable:
        status = "not"
    else:
        status = "partial"

    verdicts = [i.verdict for i in review.items if i.verdict is not None and not i.expired]
    return Statement(
        site=review.site, site_name=own.name or review.site, language=lang,
        body=settings.body, legislation=settings.legislation, standard=settings.standard,
        method=settings.method, assessor=settings.assessor, status=status,
        prepared_on=today or datetime.now(UTC).date(), audit_id=audit.id,
        audited_at=audit.started_at, axe_version=audit.axe_version,
        pages=[p.url for p in audit.audited], documents=len(audit.documents),
        last_review=max((v.reviewed_at for v in verdicts), default=None),
        reviewed=sum(i.decided for i in review.items),
        to_review=sum(not i.decided for i in review.items),
        non_compliance=non_compliance, disproportionate_burden=burden, out_of_scope=scope,
        not_checked=not_checked, passed=passed, contact=settings.contact,
        enforcement=settings.enforcement, synthetic=ws.config.synthetic)


# -- rendering ------------------------------------------------------------------------------------
def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("ssckit.access", "templates"),
                      autoescape=select_autoescape(["html"]), extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.template_gettext, i18n.ngettext, newstyle=True)
    env.policies["ext.i18n.trimmed"] = True
    env.filters["fdate"] = lambda d: i18n.format_date(d)
    return env


def render_html(st: Statement) -> str:
    """The statement as a self-contained HTML page in its language (no script, no link out
    but the contact and enforcement addresses)."""
    from ssckit import __version__

    with i18n.language(st.language):
        return _env().get_template("access/statement_file.html").render(
            st=st, parts=statement_texts(st), version=__version__)


def render_pdf(st: Statement) -> bytes:
    """The statement as a tagged PDF (PDF/UA-1, ISO 14289-1) in its language, rendered by
    WeasyPrint from the same page :func:`render_html` writes.

    The structure tree carries the page's headings (H1-H3), paragraphs (P), lists (L, LI, Lbl,
    LBody) and links (Link, with their address as the annotation's /Contents); the catalog
    holds the document language (/Lang, from ``<html lang>``: en, ru or be), MarkInfo /Marked
    true and ViewerPreferences /DisplayDocTitle true; the title (``<title>``) is in /Info and
    the XMP metadata, with the PDF/UA identification (pdfuaid:part 1). The text is set in DejaVu
    Sans (Latin and Cyrillic) from :func:`ssckit.core.fonts.unicode_font`, embedded as subsets.
    Page: A4 (ISO 216), margins 15 mm.

    References
    ----------
    ISO 14289-1:2014 (PDF/UA-1) clauses 7.1, 7.2, 7.4, 7.6, 7.18.5, 7.21.4; W3C, Techniques for
    WCAG 2.2, PDF1, PDF3, PDF9, PDF11, PDF16, PDF18, PDF21.
    """
    try:
        from weasyprint import CSS, HTML
        from weasyprint.urls import URLFetcher
    except ModuleNotFoundError:
        raise InputError("weasyprint", None, "not installed: pip install weasyprint (a "
                         "dependency of ssckit; scripts/setup installs it)") from None
    except OSError as exc:  # WeasyPrint loads Pango and HarfBuzz when imported
        raise InputError("weasyprint", None, f"cannot load its libraries ({exc}): install "
                         "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
                         "(scripts/setup)") from None

    from ssckit.core.fonts import unicode_font

    font = unicode_font()
    if font is None:
        raise InputError("fonts", None, "no Unicode font for the PDF: install fonts-dejavu-core "
                         "(scripts/setup) or matplotlib")
    regular, bold = (p.resolve().as_uri() for p in font)
    print_css = CSS(string=f"""
        @font-face {{ font-family: "ssckit statement"; src: url("{regular}"); }}
        @font-face {{ font-family: "ssckit statement"; font-weight: bold; src: url("{bold}"); }}
        @page {{ size: A4; margin: 15mm; }}
        body {{ font-family: "ssckit statement"; font-size: 10pt; }}
        main, footer {{ max-width: none; padding: 0; }}
        h1 {{ font-size: 17pt; }} h2 {{ font-size: 13pt; }} h3 {{ font-size: 11pt; }}
        h2, h3 {{ break-after: avoid; }}
    """)
    # only the font files are read: nothing in the statement is fetched from the network
    fetcher = URLFetcher(allowed_protocols={"file"})
    html = HTML(string=render_html(st), url_fetcher=fetcher)
    return html.write_pdf(stylesheets=[print_css], pdf_variant="pdf/ua-1")


def status_text(st: Statement) -> str:
    """The compliance sentence of the model statement for ``st`` (current language)."""
    _ = i18n.gettext
    if st.status == "full":
        return _("This website is fully compliant with {standard}.").format(
            standard=st.standard)
    if st.status == "partial":
        return _("This website is partially compliant with {standard} due to the "
                 "non-compliances and exemptions listed below.").format(standard=st.standard)
    return _("This website is not compliant with {standard}. The non-compliances and "
             "exemptions are listed below.").format(standard=st.standard)


@dataclass
class Block:
    """One block of the statement: ``kind`` (h1, h2, h3, p, li, note), its text in the
    statement's language, text left in English (axe-core's and the PDF check's findings), and
    a link target."""

    kind: str
    text: str
    english: str = ""
    href: str | None = None


def statement_texts(st: Statement) -> dict[str, object]:
    """The statement as a title and a list of :class:`Block`, in the current language: what
    both the HTML page and the PDF show."""
    _ = i18n.gettext
    blocks: list[Block] = []
    add = lambda kind, text, english="", href=None: blocks.append(  # noqa: E731
        Block(kind, text, english, href))
    title = _("Accessibility statement: {site}").format(site=st.site_name)
    add("h1", title)
    if st.synthetic:
        add("note", _("Synthetic sample data: this city and its web site are generated for "
                      "demonstration."))
    add("p", _("{body} is committed to making its website accessible, in accordance with "
               "{legislation}.").format(body=st.body, legislation=st.legislation))
    add("p", _("This accessibility statement applies to {site}.").format(site=st.site),
        href=st.site)
    add("h2", _("Compliance status"))
    add("p", status_text(st))
    add("h2", _("Non-accessible content"))
    if not (st.non_compliance or st.disproportionate_burden or st.out_of_scope):
        add("p", _("No non-accessible content is known."))
    else:
        add("p", _("The content listed below is non-accessible for the following reasons:"))
    if st.non_compliance:
        add("h3", _("(a) Non-compliance with {legislation}").format(legislation=st.legislation))
        for p in st.non_compliance:
            head = f"WCAG {p.criterion} {p.title}" + (f" ({p.level})" if p.level else "")
            add("li", head + ": " + "; ".join(p.findings) if p.findings else head + ":",
                english="; ".join(p.english))
    if st.disproportionate_burden:
        add("h3", _("(b) Disproportionate burden"))
        for p in st.disproportionate_burden:
            add("li", _exemption_line(p))
    if st.out_of_scope:
        add("h3", _("(c) The content is not within the scope of the applicable legislation"))
        for p in st.out_of_scope:
            add("li", _exemption_line(p))
    if st.not_checked:
        add("h3", _("Not yet checked by a person"))
        add("p", _("These criteria still await a manual check on at least one page: "
                   "{criteria}.").format(
            criteria=", ".join(f"{c.id} {st.title_of(c)}" for c in st.not_checked)))
    add("h2", _("Preparation of this accessibility statement"))
    add("p", _("This statement was prepared on {date}.").format(
        date=i18n.format_date(st.prepared_on)))
    method = (_("self-assessment") if st.method == "self-assessment"
              else _("third-party assessment"))
    add("p", _("The method used to prepare the statement was a {method}: an automated audit "
               "of {pages} pages with axe-core {axe} on {audited} and a manual review of the "
               "criteria a tool cannot decide ({reviewed} of {total} checks done).").format(
        method=method, pages=len(st.pages), axe=st.axe_version,
        audited=i18n.format_date(st.audited_at), reviewed=st.reviewed,
        total=st.reviewed + st.to_review))
    if st.assessor:
        add("p", _("Assessed by {assessor}.").format(assessor=st.assessor))
    if st.last_review:
        add("p", _("The statement was last reviewed on {date}.").format(
            date=i18n.format_date(st.last_review)))
    add("h2", _("Feedback and contact information"))
    add("p", _("To report a barrier on this site, or to ask for content that is not "
               "accessible in another form, contact {body}:").format(body=st.body))
    for text, href in contact_lines(st.contact):
        add("li", text, href=href)
    add("h2", _("Enforcement procedure"))
    add("p", _("If our answer to your notification or request is unsatisfactory, you may "
               "turn to {body}.").format(body=st.enforcement.body))
    for text, href in contact_lines(st.enforcement):
        add("li", text, href=href)
    return {"title": title, "blocks": blocks}


def _exemption_line(p: Problem) -> str:
    _ = i18n.gettext
    head = f"WCAG {p.criterion} {p.title}: " if p.criterion else ""
    text = head + "; ".join(p.findings) + ". " + p.explanation.rstrip(".") + "."
    if p.alternative:
        text += " " + _("Alternative: {alternative}").format(alternative=p.alternative)
    return text


def contact_lines(c: Contact | Enforcement) -> list[tuple[str, str | None]]:
    """The contact's ways as (line, link) pairs (current language)."""
    _ = i18n.gettext
    out: list[tuple[str, str | None]] = []
    if email := getattr(c, "email", None):
        out.append((_("E-mail: {value}").format(value=email), f"mailto:{email}"))
    if phone := getattr(c, "phone", None):
        out.append((_("Telephone: {value}").format(value=phone),
                    "tel:" + re.sub(r"[^+0-9]", "", phone)))
    if address := getattr(c, "address", None):
        out.append((_("Address: {value}").format(value=address), None))
    if form := getattr(c, "form_url", None):
        out.append((_("Form: {value}").format(value=form), form))
    if url := getattr(c, "url", None):
        out.append((_("Web: {value}").format(value=url), url))
    if days := getattr(c, "response_days", None):
        out.append((i18n.ngettext("We answer within {n} day.", "We answer within {n} days.",
                                  days).format(n=days), None))
    return out
