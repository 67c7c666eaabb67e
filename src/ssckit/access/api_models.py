"""Response models of the access module's JSON API (``/api/v1/access/...``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ssckit.core.webkit import Answer


class DocumentProblem(Answer):
    check: str = Field(description="tagged, language, title or text")
    criterion: str = Field(description="WCAG success criterion / PDF technique / ISO 14289-1")
    message: str
    fix: str


class Document(Answer):
    """A PDF linked from the audited pages and its machine-checkable accessibility basics."""

    url: str
    linked_from: list[str]
    pages: int | None = Field(description="Number of pages of the PDF")
    title: str
    language: str = Field(description="The document's /Lang, BCP 47; empty when missing")
    tagged: bool
    text_layer: bool
    problems: list[DocumentProblem]
    error: str | None = Field(description="Why the file could not be checked")
    ok: bool


class SiteAudit(Answer):
    id: int
    site: str
    started_at: str = Field(description="ISO 8601 UTC")
    axe_version: str
    settings: dict[str, Any]
    score: float | None = Field(description="Site score [0..100]")
    violations: int
    by_impact: list[dict[str, Any]]
    pages: list[dict[str, Any]]
    documents: list[Document] = Field(description="PDFs linked from the pages")
    changes: dict[str, Any] | None


class Audits(Answer):
    """The latest WCAG 2.2 audit of every site."""

    sites: list[SiteAudit]


class Captions(Answer):
    """Caption jobs and their files."""

    jobs: list[dict[str, Any]]


class Reviews(Answer):
    """The manual review checklist of each audited site."""

    sites: list[dict[str, Any]]
