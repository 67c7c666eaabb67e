"""Machine-checkable accessibility basics of PDF documents linked from an audited site.

Each PDF is read with pypdf and checked for four properties a machine can decide:

==========  ==================================================  ===========================
check       what is looked at                                   requirement
==========  ==================================================  ===========================
tagged      catalog ``/StructTreeRoot`` and                     ISO 14289-1 (PDF/UA-1) 7.1;
            ``/MarkInfo << /Marked true >>``                    WCAG 1.3.1, techniques PDF1-PDF3
language    catalog ``/Lang`` (a BCP 47 tag)                    WCAG 3.1.1, technique PDF16
title       document info / XMP ``dc:title`` present and        WCAG 2.4.2, technique PDF18;
            ``/ViewerPreferences << /DisplayDocTitle true >>``  ISO 14289-1 7.1
text        extractable text on the pages (not an image-only    WCAG 1.1.1 / 1.4.5, technique
            scan)                                               PDF7
==========  ==================================================  ===========================

A pass here is necessary, not sufficient: reading order, tag semantics and alternative texts
still need a person (PDF/UA-1 has many requirements no machine can judge).
:func:`check_pdf` is pure (bytes in, result out); fetching lives in
:mod:`ssckit.access.audit`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ssckit.access.crawl import normalise_url, origin

#: Pages whose text is extracted to decide whether a text layer exists.
TEXT_PAGES = 5

#: Largest PDF fetched and checked [bytes].
MAX_PDF_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class DocumentProblem:
    """One failed check: its id, the WCAG criterion / PDF/UA clause, what is wrong, what to do."""

    check: str
    criterion: str
    message: str
    fix: str

    def line(self) -> str:
        """The problem as one line: ``check (criterion): message; fix``."""
        return f"{self.check} ({self.criterion}): {self.message}; {self.fix}"


@dataclass
class DocumentCheck:
    """The checks of one PDF linked from a site: where it was linked, what failed.

    ``error`` is set (and ``problems`` empty) when the file could not be fetched or read.
    """

    url: str
    linked_from: list[str] = field(default_factory=list)
    pages: int | None = None
    title: str = ""
    language: str = ""
    tagged: bool = False
    text_layer: bool = False
    problems: list[DocumentProblem] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d


TAGGED = ("tagged", "ISO 14289-1 7.1; WCAG 1.3.1 (PDF1-PDF3)",
          "export the PDF as a tagged PDF (\"Tagged PDF\" / \"PDF/UA\" in the export dialog)")
LANGUAGE = ("language", "WCAG 3.1.1 (PDF16)",
            "set the document language in the authoring tool (catalog /Lang, e.g. en, ru, be)")
TITLE = ("title", "WCAG 2.4.2 (PDF18)",
         "set the document title in the document properties")
DISPLAY_TITLE = ("title", "WCAG 2.4.2 (PDF18); ISO 14289-1 7.1",
                 "set the initial view to show the document title, not the file name "
                 "(/DisplayDocTitle true)")
TEXT = ("text", "WCAG 1.1.1, 1.4.5 (PDF7)",
        "publish the text itself (export from the source document, or run OCR on the scan)")


def _problem(spec: tuple[str, str, str], message: str) -> DocumentProblem:
    check, criterion, fix = spec
    return DocumentProblem(check=check, criterion=criterion, message=message, fix=fix)


def _get(obj: Any, key: str) -> Any:
    try:
        value = obj.get(key)
        return value.get_object() if hasattr(value, "get_object") else value
    except Exception:  # a malformed object reads as absent
        return None


def check_pdf(data: bytes, url: str = "") -> DocumentCheck:
    """Check a PDF's bytes for the tagged / language / title / text-layer basics.

    Parameters
    ----------
    data
        The whole PDF file.
    url
        Where it came from (kept in the result).

    Returns
    -------
    DocumentCheck
        ``problems`` lists each failed check with its criterion and fix; ``error`` says why a
        file that is no readable PDF could not be checked.

    References
    ----------
    ISO 14289-1:2014 (PDF/UA-1) clause 7.1; W3C, Techniques for WCAG 2.2, PDF1, PDF2, PDF3,
    PDF7, PDF16, PDF18.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    result = DocumentCheck(url=url)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        catalog = reader.trailer["/Root"].get_object()
        result.pages = len(reader.pages)
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError, OSError) as exc:
        result.error = f"not a readable PDF: {str(exc).splitlines()[0] if str(exc) else exc!r}"
        return result
    except Exception as exc:  # pypdf raises assorted errors on broken files
        result.error = f"not a readable PDF: {type(exc).__name__}"
        return result

    # Tagged: a structure tree, and MarkInfo/Marked true (ISO 14289-1 7.1; PDF1-PDF3).
    struct = _get(catalog, "/StructTreeRoot")
    mark = _get(catalog, "/MarkInfo")
    marked = bool(mark is not None and _get(mark, "/Marked"))
    result.tagged = struct is not None and marked
    if struct is None:
        result.problems.append(_problem(TAGGED, "not tagged: no structure tree (StructTreeRoot)"))
    elif not marked:
        result.problems.append(_problem(TAGGED, "MarkInfo /Marked is not true"))

    # Language (WCAG 3.1.1; PDF16).
    lang = _get(catalog, "/Lang")
    result.language = str(lang).strip() if lang is not None else ""
    if not result.language:
        result.problems.append(_problem(LANGUAGE, "no document language (/Lang)"))

    # Title, and the viewer told to show it (WCAG 2.4.2; PDF18).
    title = ""
    try:
        meta = reader.metadata
        title = (meta.title or "").strip() if meta else ""
        if not title and reader.xmp_metadata is not None:
            dc = reader.xmp_metadata.dc_title or {}
            title = next((str(t).strip() for t in dc.values() if str(t).strip()), "")
    except Exception:
        title = title or ""
    result.title = title
    if not title:
        result.problems.append(_problem(TITLE, "no document title"))
    prefs = _get(catalog, "/ViewerPreferences")
    if not (prefs is not None and _get(prefs, "/DisplayDocTitle")):
        result.problems.append(_problem(DISPLAY_TITLE, "the viewer shows the file name: "
                                        "/DisplayDocTitle is not true"))

    # A text layer: some extractable text in the first pages (PDF7).
    text = ""
    for page in reader.pages[:TEXT_PAGES]:
        try:
            text += page.extract_text() or ""
        except Exception:
            continue
        if text.strip():
            break
    result.text_layer = bool(text.strip())
    if not result.text_layer:
        result.problems.append(_problem(
            TEXT, f"no extractable text on the first {min(TEXT_PAGES, result.pages or 0)} "
                  "page(s): an image-only scan"))
    return result


def is_pdf_url(url: str) -> bool:
    """True when the URL's path ends in ``.pdf`` (any case)."""
    return PurePosixPath(urlsplit(url).path).suffix.lower() == ".pdf"


def pdf_links(hrefs: Iterable[str], base: str) -> list[str]:
    """Normalised same-origin links to PDF files among ``hrefs`` (resolved against ``base``),
    without duplicates, in the order first seen."""
    site = origin(base)
    out: dict[str, None] = {}
    for href in hrefs:
        url = normalise_url(href, base)
        if url and origin(url) == site and is_pdf_url(url):
            out.setdefault(url, None)
    return list(out)
