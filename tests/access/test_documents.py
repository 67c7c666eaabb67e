"""PDF documents linked from an audited site: tagged, language, title, text layer.

The PDFs are written here with fpdf2 with known properties; the site linking them is served on
127.0.0.1 and audited in real Chromium, which fetches the files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fpdf import FPDF, ViewerPreferences
from PIL import Image

from ssckit.access.audit import AuditSettings, SiteAudit, audit_sites
from ssckit.access.documents import check_pdf, pdf_links

from .conftest import needs_chromium, serve


def good_pdf(path: Path, image: Path) -> Path:
    """Title shown by the viewer, language, real text and a tagged image (fpdf2 writes
    StructTreeRoot and MarkInfo when a figure has alternative text)."""
    pdf = FPDF()
    pdf.set_title("Annual report 2025")
    pdf.set_lang("en")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="The city's annual report: budget, services and projects.")
    pdf.image(str(image), x=10, y=30, w=40, alt_text="Bar chart of the budget by service")
    pdf.output(str(path))
    return path


def scan_pdf(path: Path, image: Path) -> Path:
    """An image-only page (a scan) that is otherwise well described."""
    pdf = FPDF()
    pdf.set_title("Scanned decision")
    pdf.set_lang("ru")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=190, alt_text="Scanned page")
    pdf.output(str(path))
    return path


def bare_pdf(path: Path) -> Path:
    """Text, but no title, no language, no tags."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Minutes of the council meeting.")
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def pdf_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("docsite")
    img = root / "chart.png"
    Image.new("RGB", (200, 100), (40, 90, 160)).save(img)
    good_pdf(root / "good.pdf", img)
    scan_pdf(root / "scan.pdf", img)
    bare_pdf(root / "bare.pdf")
    (root / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Documents</title>'
        '</head><body><main><h1>Documents</h1><ul>'
        '<li><a href="good.pdf">Annual report</a></li>'
        '<li><a href="scan.pdf">Decision (scan)</a></li>'
        '<li><a href="/bare.pdf#page=1">Minutes</a></li>'
        '<li><a href="missing.pdf">Gone</a></li>'
        '<li><a href="page2.html">More</a></li>'
        '</ul></main></body></html>', encoding="utf-8")
    (root / "page2.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>More</title></head>'
        '<body><main><h1>More</h1><a href="good.pdf">Annual report again</a></main></body>'
        '</html>', encoding="utf-8")
    yield from serve(root)


def test_pdf_links_same_origin_only() -> None:
    links = pdf_links(["a.pdf", "/b.PDF#page=2", "a.pdf", "c.html", "http://other.test/d.pdf",
                       "mailto:x@y"], "http://h.test/docs/index.html")
    assert links == ["http://h.test/docs/a.pdf", "http://h.test/b.PDF"]


def test_check_pdf_each_property(tmp_path: Path) -> None:
    img = tmp_path / "i.png"
    Image.new("RGB", (50, 50), (0, 0, 0)).save(img)
    good = check_pdf(good_pdf(tmp_path / "g.pdf", img).read_bytes())
    assert good.ok, [p.line() for p in good.problems]
    assert (good.tagged, good.language, good.title, good.text_layer, good.pages) == (
        True, "en", "Annual report 2025", True, 1)

    scan = check_pdf(scan_pdf(tmp_path / "s.pdf", img).read_bytes())
    assert [(p.check, p.criterion) for p in scan.problems] == [("text", "WCAG 1.1.1, 1.4.5 (PDF7)")]
    assert "OCR" in scan.problems[0].fix

    bare = check_pdf(bare_pdf(tmp_path / "b.pdf").read_bytes())
    assert [p.check for p in bare.problems] == ["tagged", "language", "title", "title"]
    crit = {p.message: p.criterion for p in bare.problems}
    assert crit["no document language (/Lang)"] == "WCAG 3.1.1 (PDF16)"
    assert crit["no document title"] == "WCAG 2.4.2 (PDF18)"
    assert all(p.fix for p in bare.problems)

    broken = check_pdf(b"%PDF-1.4\n%EOF\n")
    assert broken.error and broken.error.startswith("not a readable PDF") and not broken.ok


@pytest.mark.browser
@needs_chromium
def test_linked_pdfs_checked_beside_pages(pdf_site: str) -> None:
    [site] = audit_sites([pdf_site], AuditSettings(depth=1, max_pages=10, concurrency=2))
    assert isinstance(site, SiteAudit)
    assert {p.url.removeprefix(site.site) for p in site.pages} == {"/", "/page2.html"}
    docs = {d.url.removeprefix(site.site): d for d in site.documents}
    assert sorted(docs) == ["/bare.pdf", "/good.pdf", "/missing.pdf", "/scan.pdf"]
    assert docs["/good.pdf"].ok
    assert sorted(docs["/good.pdf"].linked_from) == [site.site + "/", site.site + "/page2.html"]
    assert [p.check for p in docs["/scan.pdf"].problems] == ["text"]
    assert [p.check for p in docs["/bare.pdf"].problems] == ["tagged", "language", "title",
                                                             "title"]
    assert docs["/missing.pdf"].error == "HTTP 404"
    d = site.to_dict()["documents"]
    json.dumps(d)
    assert {x["url"].removeprefix(site.site): x["ok"] for x in d} == {
        "/good.pdf": True, "/scan.pdf": False, "/bare.pdf": False, "/missing.pdf": False}


@pytest.mark.browser
@needs_chromium
def test_cli_lists_document_failures(pdf_site: str) -> None:
    from ssckit.access.cli import access

    res = CliRunner().invoke(access, ["audit", pdf_site, "--depth", "1", "--quiet"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "scan.pdf" in out and "WCAG 1.1.1" in out and "OCR" in out
    assert "WCAG 3.1.1 (PDF16)" in out and "WCAG 2.4.2 (PDF18)" in out
    res = CliRunner().invoke(access, ["audit", pdf_site, "--format", "json"])
    assert res.exit_code == 0, res.output
    docs = json.loads(res.output)["sites"][0]["documents"]
    bare = next(d for d in docs if d["url"].endswith("/bare.pdf"))
    assert {p["criterion"] for p in bare["problems"]} >= {"WCAG 3.1.1 (PDF16)",
                                                          "WCAG 2.4.2 (PDF18)"}


@pytest.mark.browser
@needs_chromium
def test_sample_portal_pdf_lacks_a_language(tmp_path: Path) -> None:
    from ssckit.access import sample
    from ssckit.access.indicators import audit_values

    sample.write_site(tmp_path / "site", "Sampleton")
    for url in serve(tmp_path / "site"):
        [site] = audit_sites([url + "index.html"], AuditSettings(depth=1, concurrency=2))
    [doc] = site.documents
    assert doc.url.endswith("/" + sample.PDF_FILE)
    assert doc.linked_from == [site.site + "/news.html"]
    assert doc.tagged and doc.text_layer and doc.title.startswith("Road works plan")
    assert [(p.check, p.criterion) for p in doc.problems] == [("language", "WCAG 3.1.1 (PDF16)")]
    by = {v.indicator: v.value for v in audit_values(site) if not v.breakdown}
    assert (by["access:documents"], by["access:documents_failing"]) == (1, 1)


@pytest.mark.browser
@needs_chromium
def test_stored_and_shown_on_the_access_page(pdf_site: str, workspace: Path) -> None:
    from fastapi.testclient import TestClient

    from ssckit.access.history import save_audit
    from ssckit.access.indicators import latest_values
    from ssckit.access.web import latest_audits
    from ssckit.core.store import Store
    from ssckit.web.app import create_app

    [site] = audit_sites([pdf_site], AuditSettings(depth=0, concurrency=1))
    with Store.open(workspace / "ssckit.duckdb") as store:
        save_audit(store, site)
        [stored] = latest_audits(store)
        from_store = {v.indicator: v.value for v in latest_values(None, store)
                      if not v.breakdown}
    # good.pdf passes; scan.pdf, bare.pdf and the missing one fail
    assert (from_store["access:documents"], from_store["access:documents_failing"]) == (4, 3)
    assert [(d.url, d.ok, [p.check for p in d.problems], d.error) for d in stored.documents] == [
        (d.url, d.ok, [p.check for p in d.problems], d.error)
        for d in sorted(site.documents, key=lambda d: d.url)]
    with TestClient(create_app(workspace), base_url="https://testserver") as client:
        html = client.get("/access").text
        api = client.get("/api/v1/access/audits/latest").json()
    [api_site] = api["sites"]
    assert [(d["url"], d["ok"], [p["check"] for p in d["problems"]], d["error"])
            for d in api_site["documents"]] == [
        (d.url, d.ok, [p.check for p in d.problems], d.error) for d in stored.documents]
    section = html.split('id="site-1-documents"', 1)[1].split("</section>", 1)[0]
    assert "Annual report 2025" in section and "No problem found" in section
    assert "WCAG 3.1.1 (PDF16)" in section and "set the document language" in section
    assert "WCAG 1.1.1, 1.4.5 (PDF7)" in section and "OCR" in section
    assert "HTTP 404" in section
