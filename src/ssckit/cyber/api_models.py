"""Response models of the cyber module's JSON API (``/api/v1/cyber/...``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ssckit.core.webkit import Answer


class Posture(Answer):
    services: int
    scored: int
    unreachable: int
    mean_score: float | None = Field(description="Mean service score [0..100]")
    share_grade_b_or_better: float | None = Field(description="[0..1]")


class ServiceResult(Answer):
    name: str
    url: str
    tags: list[str]
    status: str
    error: str | None
    score: int | None = Field(description="Service score [0..100]")
    grade: str | None
    pass_rates: dict[str, float | None] = Field(description="Share of checks passed per "
                                                "family [0..1]")
    modifiers: list[Any]
    findings: list[dict[str, Any]]
    problems: int


class Change(Answer):
    service: str
    grade_before: str | None
    grade_now: str | None
    new_failures: list[str]
    fixed: list[str]
    reachable_before: bool | None
    reachable_now: bool
    new_service: bool
    changed: bool
    summary: str


class Scan(Answer):
    """The latest stored scan with its posture and the changes since the one before."""

    scan_id: str
    started_at: str = Field(description="ISO 8601 UTC")
    finished_at: str | None
    source: str
    previous_scan_id: str | None
    posture: Posture
    services: list[ServiceResult]
    changes: list[Change]


class Pillar(Answer):
    id: str
    name: str
    weight: float
    share: float = Field(description="Share of the pillar's questions answered yes [0..1]")
    points: float
    answered: int
    questions: int
    unanswered: list[str]
    missing: list[str]


class AssessmentAnswer(Answer):
    question: str
    yes: bool
    evidence: str
    note: str


class Assessment(Answer):
    """The ITU Global Cybersecurity Index self-assessment."""

    edition: str
    respondent: str
    date: str
    overall: float = Field(description="GCI score [0..100]")
    tier: str
    tier_name: str
    pillars: list[Pillar]
    answers: list[AssessmentAnswer]


class ComplianceShare(Answer):
    scan_id: str
    started_at: str
    organisation: str
    share: float = Field(description="Weighted share of requirements met [0..1]")
    share_services: float = Field(description="Share of services fully compliant [0..1]")
    services: int
    compliant_services: int


class ServiceCompliance(Answer):
    service: str
    organisation: str
    compliant: bool
    share: float = Field(description="Weighted share of requirements met [0..1]")
    failing: list[str]
    impact: int
    results: list[dict[str, Any]]


class FixFirst(Answer):
    requirement: str
    title: str
    weight: int
    services: list[str]
    impact: int
    remediation: str
    source: str


class Compliance(Answer):
    """Compliance with the baseline profile, per organisation and service."""

    profile: dict[str, Any]
    scan_id: str | None
    overall: ComplianceShare | None
    organisations: list[ComplianceShare]
    history: list[ComplianceShare]
    services: list[ServiceCompliance]
    worst_services: list[ServiceCompliance]
    fix_first: list[FixFirst]


class Alerts(Answer):
    """Alerts raised by monitoring and their deliveries, newest first."""

    alerts: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
