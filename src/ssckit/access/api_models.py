"""Response models of the access module's JSON API (``/api/v1/access/...``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ssckit.core.webkit import Answer


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
    changes: dict[str, Any] | None


class Audits(Answer):
    """The latest WCAG 2.2 audit of every site."""

    sites: list[SiteAudit]


class Captions(Answer):
    """Caption jobs and their files."""

    jobs: list[dict[str, Any]]
