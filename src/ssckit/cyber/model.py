"""Findings and service results: what a check reports and what a scan of one service holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of one check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


#: Categories of checks, in report order (internet.nl style: one pass rate per category).
CATEGORIES = ("tls", "certificate", "http", "headers", "cookies", "security_txt", "dns", "mail")


@dataclass(frozen=True)
class Finding:
    """The result of one check on one service.

    ``code`` names the outcome in the style of the Mozilla HTTP Observatory
    (``hsts-not-implemented``); :mod:`ssckit.cyber.scoring` turns codes into score modifiers.
    """

    check: str
    category: str
    status: Status
    detail: str
    code: str = ""
    remediation: str = ""
    reference: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check, "category": self.category, "status": self.status.value,
            "code": self.code, "detail": self.detail, "remediation": self.remediation,
            "reference": self.reference, "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Check:
    """A check's identity: id, category, the standard it applies and how to fix a failure."""

    id: str
    category: str
    title: str
    reference: str
    remediation: str

    def result(self, status: Status, detail: str, code: str = "", **evidence: Any) -> Finding:
        """A :class:`Finding` of this check; the remediation is kept only when something is
        wrong."""
        wrong = status in (Status.WARN, Status.FAIL)
        return Finding(self.id, self.category, status, detail, code,
                       self.remediation if wrong else "", self.reference, dict(evidence))


@dataclass
class ServiceResult:
    """Everything a scan found about one service.

    ``error`` is set when the service could not be scanned at all (unreachable: DNS failure,
    refused port, timeout, no TLS on the TLS port); ``findings`` may then be empty.
    """

    name: str
    url: str
    tags: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    duration_s: float = 0.0
    organisation: str | None = None

    @property
    def reachable(self) -> bool:
        return self.error is None

    @property
    def status(self) -> str:
        """``error/unreachable`` for a service that could not be scanned, else ``scanned``."""
        return "error/unreachable" if self.error else "scanned"

    def finding(self, check_id: str) -> Finding | None:
        """The finding of ``check_id`` (first one), or ``None``."""
        return next((f for f in self.findings if f.check == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "url": self.url, "tags": list(self.tags), "status": self.status,
            "organisation": self.organisation,
            "error": self.error, "started_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(self.duration_s, 3),
            "findings": [f.to_dict() for f in self.findings],
        }
