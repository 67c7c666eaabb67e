"""The accessibility statement: compliance status and non-accessible content from the audit
and the manual review, its statement file, and the sample city's statement (HTML and a tagged
PDF, PDF/UA-1)."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject

from ssckit.access.audit import Finding, Node, PageAudit, SiteAudit
from ssckit.access.cli import access
from ssckit.access.documents import check_pdf
from ssckit.access.history import save_audit
from ssckit.access.manual import checklist, manual_criteria, record_verdict
from ssckit.access.statement import build_statement, load_settings, render_html, render_pdf
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

SITE = "https://city.example"
PAGE = SITE + "/index.html"
SETTINGS = """\
body: City of Testville
contact: {email: access@testville.example, response_days: 10}
enforcement: {body: Testland accessibility supervisor, url: https://supervisor.example/}
sites:
  https://city.example:
    name: Testville portal
    language: %s
    exemptions:
      - {criterion: 1.2.2, reason: disproportionate_burden, content: archived council videos,
         explanation: captioning 600 hours costs more than the yearly budget,
         alternative: written minutes on request}
      - {reason: out_of_scope, content: maps of the old town,
         explanation: online maps are outside the scope (Directive 2016/2102 Art. 1(4)(g))}
"""


def _contrast_failure() -> Finding:
    """A planted failure: axe-core's color-contrast rule on one element."""
    return Finding(rule="color-contrast", impact="serious",
                   help="Elements must meet minimum color contrast ratio thresholds",
                   help_url="", criteria=("1.4.3",), tags=("wcag2aa", "wcag143"),
                   nodes=(Node(".notice", '<p class="notice">Notice</p>'),))


@pytest.fixture
def ws(workspace: Path) -> Workspace:
    (workspace / "statement.yaml").write_text(SETTINGS % "en")
    cfg = workspace / "city.yaml"
    cfg.write_text(cfg.read_text() + "inputs:\n  access: {statement: statement.yaml}\n")
    return Workspace.load(workspace)


def _audit(store: Store, violations: list[Finding], content_hash: str = "a" * 64) -> None:
    page = PageAudit(url=PAGE, title="Home", content_hash=content_hash, lang="en",
                     violations=violations, passes=["document-title"])
    save_audit(store, SiteAudit(site=SITE, pages=[page], axe_version="4.10.0",
                                started_at=datetime(2026, 3, 1, 9, 0)))


def _judge_all(store: Store, verdict: str = "pass", skip: tuple[str, ...] = ()) -> None:
    for c in manual_criteria():
        if c.id not in skip:
            record_verdict(store, SITE, PAGE, "criterion", c.id, verdict, "ana",
                           note="checked" if verdict == "fail" else "")


def test_planted_failure_makes_the_statement_partial_and_is_listed(ws: Workspace) -> None:
    with Store.open(ws.store_path) as store:
        _audit(store, [_contrast_failure()])
        _judge_all(store, "pass", skip=("2.1.1",))
        record_verdict(store, SITE, PAGE, "criterion", "2.1.1", "fail", "ana",
                       note="the date picker cannot be opened with the keyboard")
        st = build_statement(ws, store, SITE, today=date(2026, 3, 2))
    assert st.status == "partial"
    assert st.failed == ["1.4.3", "2.1.1"]
    contrast, keyboard = st.non_compliance
    assert contrast.title == "Contrast (Minimum)" and contrast.level == "AA"
    assert contrast.pages == [PAGE]
    assert "Elements must meet minimum color contrast ratio thresholds" in contrast.findings[0]
    assert keyboard.findings == [f"the date picker cannot be opened with the keyboard ({PAGE})"]
    # exemptions from the statement file, each under its reason
    [burden] = st.disproportionate_burden
    assert burden.criterion == "1.2.2" and burden.alternative == "written minutes on request"
    [scope] = st.out_of_scope
    assert scope.findings == ["maps of the old town"]
    assert st.not_checked == []  # every criterion judged (1.2.2 exempted)
    html = render_html(st)
    assert '<html lang="en">' in html
    for text in ("Accessibility statement: Testville portal",
                 "This website is partially compliant with WCAG 2.2",
                 "(a) Non-compliance with Directive (EU) 2016/2102",
                 "WCAG 1.4.3 Contrast (Minimum) (AA): Elements must meet minimum color contrast",
                 "1 element on https://city.example/index.html",
                 "WCAG 2.1.1 Keyboard (A): the date picker cannot be opened with the keyboard",
                 "(b) Disproportionate burden", "archived council videos",
                 "(c) The content is not within the scope of the applicable legislation",
                 "This statement was prepared on 2026-03-02",
                 'href="mailto:access@testville.example"', "We answer within 10 days.",
                 "Enforcement procedure", "Testland accessibility supervisor"):
        assert text in html, text


def test_status_full_and_not(ws: Workspace) -> None:
    with Store.open(ws.store_path) as store:
        _audit(store, [])
        _judge_all(store, "pass")
        st = build_statement(ws, store, SITE, settings=load_settings(ws.root / "statement.yaml")
                             .model_copy(update={"sites": {}}))
        assert (st.status, st.non_compliance, st.not_checked) == ("full", [], [])
        assert "This website is fully compliant with" in render_html(st)
        _judge_all(store, "fail")  # every criterion fails: most requirements are not met
        st = build_statement(ws, store, SITE)
        assert st.status == "not" and len(st.failed) == len(manual_criteria()) - 1
        # the page changed: every verdict expired, the statement says what is left to check
        _audit(store, [], content_hash="b" * 64)
        st = build_statement(ws, store, SITE)
        assert st.status == "partial" and st.failed == []
        assert len(st.not_checked) == len(manual_criteria()) - 1
        assert checklist(store, SITE).counts()["expired"] == len(manual_criteria())


def test_statement_in_russian_and_belarusian(ws: Workspace) -> None:
    (ws.root / "statement.yaml").write_text(SETTINGS % "be")
    with Store.open(ws.store_path) as store:
        _audit(store, [_contrast_failure()])
        st = build_statement(ws, store, SITE)
        assert st.language == "be"  # the statement file's language for the site
        html = render_html(st)
        assert '<html lang="be">' in html
        assert "Кантраснасць (мінімальная)" in html
        st = build_statement(ws, store, SITE, language="ru")
        html = render_html(st)
        assert '<html lang="ru">' in html and "Контрастность (минимальная)" in html
        assert "Заявление о доступности" in html and "Порядок обжалования" in html
        text = PdfReader(io.BytesIO(render_pdf(st))).pages[0].extract_text()
        assert "Заявление о доступности" in text


#: Sentences of the statement in each language, as the EU model statement's translations and
#: our catalogues word them (Decision (EU) 2018/1523, Annex; locale/{ru,be}).
KEY_SENTENCES = {
    "en": ("Accessibility statement: Testville portal", "Compliance status",
           "This website is partially compliant with", "Non-accessible content",
           "Feedback and contact information", "Enforcement procedure"),
    "ru": ("Заявление о доступности: Testville portal", "Статус соответствия",
           "Этот веб-сайт частично соответствует", "Недоступное содержимое",
           "Обратная связь и контактная информация", "Порядок обжалования"),
    "be": ("Заява аб даступнасці: Testville portal", "Статус адпаведнасці",
           "Гэты вэб-сайт часткова адпавядае", "Недаступнае змесціва",
           "Зваротная сувязь і кантактная інфармацыя", "Парадак абскарджання"),
}


def _elements(node: DictionaryObject) -> list[DictionaryObject]:
    """The structure elements of a structure tree, depth first (ISO 32000-1, 14.7.2)."""
    out = [node] if "/S" in node else []
    kids = node.get("/K")
    kids = kids.get_object() if kids is not None else []
    for kid in kids if isinstance(kids, ArrayObject) else [kids]:
        kid = kid.get_object()
        if isinstance(kid, DictionaryObject) and "/S" in kid:  # not MCR/OBJR, not an MCID
            out += _elements(kid)
    return out


def _fonts(reader: PdfReader) -> list[DictionaryObject]:
    """Every font the pages use, with Type0 fonts' descendant fonts."""
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            fonts.append(font)
            fonts += [d.get_object() for d in font.get("/DescendantFonts", [])]
    return fonts


def assert_tagged_statement(data: bytes, lang: str, title: str,
                            sentences: tuple[str, ...]) -> None:
    """The checks of a tagged, accessible statement PDF (ISO 14289-1:2014 clauses 7.1, 7.2,
    7.4, 7.18.5, 7.21.4; WCAG 2.2 techniques PDF1, PDF3, PDF16, PDF18, PDF21)."""
    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    assert catalog.get("/MarkInfo", {}).get("/Marked") == BooleanObject(True), "not marked"
    assert "/StructTreeRoot" in catalog, "no structure tree"
    elements = _elements(catalog["/StructTreeRoot"].get_object())
    types = [str(e["/S"]) for e in elements]
    assert types[0] == "/Document"
    assert types.count("/H1") == 1 and "/H2" in types and "/P" in types
    assert {"/L", "/LI", "/Lbl", "/LBody"} <= set(types), types
    assert str(catalog["/Lang"]) == lang
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    assert reader.metadata.title == title
    assert reader.xmp_metadata is not None
    assert reader.xmp_metadata.dc_title == {"x-default": title}
    assert b'pdfuaid:part="1"' in reader.xmp_metadata.stream.get_data()
    for font in _fonts(reader):  # all embedded (7.21.4.1)
        if font["/Subtype"] != "/Type0":
            desc = font["/FontDescriptor"]
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(desc), font["/BaseFont"]
    # links: annotations in the structure tree, with a description (7.18.5)
    links = [a.get_object() for p in reader.pages for a in p.get("/Annots", [])]
    assert links and all("/StructParent" in a and str(a["/Contents"]) for a in links)
    link_elements = [e for e in elements if e["/S"] == "/Link"]
    assert len(link_elements) == len(links)
    for e in link_elements:  # the annotation and the link's text, in one element
        kids = [k.get_object() for k in e["/K"]]
        assert [k["/Type"] for k in kids if isinstance(k, DictionaryObject)] == ["/OBJR"]
        assert any(isinstance(k, int) for k in kids), "a link without text"
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for sentence in sentences:
        assert sentence in text, sentence
    # our own document check finds nothing to report
    assert check_pdf(data, "statement.pdf").problems == []


@pytest.mark.parametrize("lang", ["en", "ru", "be"])
def test_statement_pdf_is_tagged_in_its_language(ws: Workspace, lang: str) -> None:
    """The PDF is tagged (PDF/UA-1): structure tree with headings, paragraphs, lists and links,
    /Lang of the statement, title shown, fonts embedded, the text in its language."""
    (ws.root / "statement.yaml").write_text(SETTINGS % lang)
    with Store.open(ws.store_path) as store:
        _audit(store, [_contrast_failure()])
        _judge_all(store, "pass", skip=("2.1.1",))
        st = build_statement(ws, store, SITE)
    assert st.language == lang
    data = render_pdf(st)
    assert_tagged_statement(data, lang, KEY_SENTENCES[lang][0], KEY_SENTENCES[lang])
    if lang != "en":  # the Cyrillic text is real text, not glyphs without Unicode
        text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
        assert sum("\u0400" <= ch <= "\u04ff" for ch in text) > 200


def test_statement_file_mistakes_are_one_line(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("body: City\ncontact: {email: x@y.example}\n")
    with pytest.raises(InputError) as err:
        load_settings(bad)
    assert (err.value.location, err.value.message) == ("enforcement",
                                                       "required field is missing")
    bad.write_text("body: City\ncontact: {}\nenforcement: {body: S}\n")
    with pytest.raises(InputError, match="at least one of email, phone or form_url"):
        load_settings(bad)
    bad.write_text("body: City\ncontact: {email: x@y.example}\nenforcement: {body: S}\n"
                   "sites: {https://a.example: {exemptions: [{reason: too_costly, "
                   "content: c, explanation: e}]}}\n")
    with pytest.raises(InputError) as err:
        load_settings(bad)
    assert err.value.location == "sites.https://a.example.exemptions.0.reason"
    with Store.open(ws.store_path) as store, pytest.raises(InputError, match="no stored audit"):
        build_statement(ws, store, SITE)


def test_sample_city_statement_html_and_pdf(demo_workspace: Path, tmp_path: Path) -> None:
    """The sample city: its portal's planted defects, its PDF without a language and the
    exemption of its statement file appear in the statement."""
    root = tmp_path / "sample-city"
    shutil.copytree(demo_workspace, root)
    ws = Workspace.load(root)
    with Store.open(ws.store_path) as store:
        from ssckit.access.manual import audited_sites

        [site] = [s for s in audited_sites(store) if s.startswith("http://www.")]
    runner = CliRunner()
    out_html, out_pdf = tmp_path / "statement.html", tmp_path / "statement.pdf"
    for fmt, out in (("html", out_html), ("pdf", out_pdf)):
        r = runner.invoke(access, ["statement", site, "--format", fmt, "-o", str(out), "-w",
                                   str(root)])
        assert r.exit_code == 0, r.output
        assert "partial compliance" in r.output
    html = out_html.read_text()
    for text in ("Synthetic sample data", "WCAG 1.1.1 Non-text Content (A)",
                 "WCAG 1.4.3 Contrast (Minimum) (AA)", "WCAG 4.1.2 Name, Role, Value (A)",
                 "road-works.pdf: no document language", "(b) Disproportionate burden",
                 "video recordings of council sessions before 2020"):
        assert text in html, text
    data = out_pdf.read_bytes()
    checked = check_pdf(data, "statement.pdf")
    assert checked.language == "en" and checked.title.startswith("Accessibility statement")
    assert checked.text_layer and checked.tagged and checked.problems == []
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Non-accessible content" in text and "1.4.3" in text
    assert datetime.now(UTC).date().isoformat() in text


def test_web_statement_files_and_review_needs_an_analyst(ws: Workspace) -> None:
    from fastapi.testclient import TestClient

    from ssckit.web.app import create_app

    with Store.open(ws.store_path) as store:
        _audit(store, [_contrast_failure()])
    with TestClient(create_app(ws.root), base_url="https://testserver") as client:
        page = client.get(f"/access/statement?site={SITE}&lang=ru")
        assert page.status_code == 200 and "Заявление о доступности" in page.text
        pdf = client.get(f"/access/statement/file?site={SITE}&format=pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert 'filename="accessibility-statement-city-example-en.pdf"' in \
            pdf.headers["content-disposition"]
        checked = check_pdf(pdf.content, "s.pdf")
        assert checked.language == "en" and checked.tagged
        html = client.get(f"/access/statement/file?site={SITE}&format=html&language=be")
        assert '<html lang="be">' in html.text
        assert client.get("/access/statement?site=https://other.example").status_code == 404
        # the review is for analysts: anonymous readers are sent away, forms need the token
        assert client.get("/access/review", follow_redirects=False).status_code in (401, 303)
        assert client.post("/access/review/page", data={"url": PAGE},
                           follow_redirects=False).status_code in (401, 303, 403)
