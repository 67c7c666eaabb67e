"""Baselines as data: a policy profile (YAML) of requirements each service must meet, judged from
the findings of a scan; pass/fail per requirement and service, compliance per organisation.

A profile names its sources and lists requirements. A requirement points at a check (its id, or
a shell-style pattern such as ``mail.starttls@*`` for one finding per MX host) and says what
counts as meeting it: the finding's status (default ``pass``), its outcome code, and conditions
on its evidence::

    id: national-baseline
    title: National baseline for public services
    version: "2026.1"
    sources:
      ncsc-tls: {title: "NCSC-NL IT Security Guidelines for TLS v2.1", url: "https://..."}
    requirements:
      - id: hsts-one-year
        title: HSTS for at least one year
        check: headers.hsts
        evidence: {max_age: {at_least: 31536000}}
        weight: 3
        source: rfc6797

Evidence conditions: ``at_least``, ``at_most``, ``equals``, ``in`` (a list), ``matches`` (a
regular expression, searched), ``absent: true`` (missing or empty), ``present: true``.

How a requirement is judged for one service:

* ``pass`` / ``fail`` from the matching finding(s) (every matching finding must meet it);
* ``not_applicable`` when no finding matches (e.g. a service without a mail domain) or the
  check itself was not applicable;
* ``unknown`` when the service could not be scanned or the check ended in an error.

Compliance share = passed / (passed + failed + unknown) [%]: what the scan could not show to be
met does not count as met. A service is compliant when no requirement is failed or unknown.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ssckit.core.errors import InputError
from ssckit.cyber.model import Finding, ServiceResult, Status

PASS, FAIL, NOT_APPLICABLE, UNKNOWN = "pass", "fail", "not_applicable", "unknown"
#: The built-in profile used when a workspace names none.
DEFAULT_PROFILE = "national-baseline"


class Condition(BaseModel):
    """A condition on one evidence value of a finding."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    at_least: float | None = None
    at_most: float | None = None
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    matches: str | None = None
    absent: bool | None = None
    present: bool | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> Condition:
        if all(v is None for v in (self.at_least, self.at_most, self.equals, self.in_,
                                   self.matches, self.absent, self.present)):
            raise ValueError("a condition needs at_least, at_most, equals, in, matches, absent "
                             "or present")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"matches: not a regular expression ({exc})") from None
        return self

    def holds(self, value: Any) -> bool:
        empty = value is None or value == "" or value == [] or value == {}
        if self.absent is not None and self.absent != empty:
            return False
        if self.present is not None and self.present == empty:
            return False
        if self.equals is not None and value != self.equals:
            return False
        if self.in_ is not None and value not in self.in_:
            return False
        if self.at_least is not None or self.at_most is not None:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return False
            if self.at_least is not None and value < self.at_least:
                return False
            if self.at_most is not None and value > self.at_most:
                return False
        return not (self.matches is not None
                    and (not isinstance(value, str) or not re.search(self.matches, value)))


class Requirement(BaseModel):
    """One requirement of a profile."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str = Field(min_length=1)
    check: str = Field(min_length=1, description="Check id or shell-style pattern.")
    status: list[Status] = Field(default_factory=lambda: [Status.PASS])
    codes: list[str] | None = None
    evidence: dict[str, Condition] = Field(default_factory=dict)
    weight: int = Field(default=1, ge=1, le=5, description="Impact of a failure (fix-first order).")
    source: str | None = None
    remediation: str = ""

    def matching(self, findings: list[Finding]) -> list[Finding]:
        return [f for f in findings if f.check == self.check
                or fnmatch.fnmatchcase(f.check, self.check)]

    def met_by(self, f: Finding) -> bool:
        if f.status not in self.status:
            return False
        if self.codes is not None and f.code not in self.codes:
            return False
        return all(cond.holds(f.evidence.get(key)) for key, cond in self.evidence.items())


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    url: str | None = None


class Profile(BaseModel):
    """A policy profile: the requirements a service must meet and where they come from."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str
    version: str = ""
    description: str = ""
    sources: dict[str, Source] = Field(default_factory=dict)
    requirements: list[Requirement] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        seen: set[str] = set()
        for r in self.requirements:
            if r.id in seen:
                raise ValueError(f"requirement {r.id!r} is listed twice")
            seen.add(r.id)
            if r.source is not None and r.source not in self.sources:
                raise ValueError(f"requirement {r.id!r} names source {r.source!r}, which is not "
                                 "in sources")
        return self

    def requirement(self, rid: str) -> Requirement:
        return next(r for r in self.requirements if r.id == rid)


@dataclass(frozen=True)
class RequirementResult:
    """How one service stands against one requirement."""

    requirement: str
    status: str
    detail: str
    remediation: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"requirement": self.requirement, "status": self.status, "detail": self.detail,
                "remediation": self.remediation}


@dataclass
class ServiceCompliance:
    service: str
    organisation: str
    results: list[RequirementResult]

    @property
    def counts(self) -> dict[str, int]:
        out = {PASS: 0, FAIL: 0, UNKNOWN: 0, NOT_APPLICABLE: 0}
        for r in self.results:
            out[r.status] += 1
        return out

    @property
    def compliant(self) -> bool:
        c = self.counts
        return c[FAIL] == 0 and c[UNKNOWN] == 0

    @property
    def failing(self) -> list[str]:
        return [r.requirement for r in self.results if r.status in (FAIL, UNKNOWN)]

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "organisation": self.organisation,
                "compliant": self.compliant, "counts": self.counts,
                "results": [r.to_dict() for r in self.results]}


@dataclass
class OrganisationCompliance:
    """Compliance of one organisation's services: shares in % (None when nothing counted)."""

    organisation: str
    services: int = 0
    compliant_services: int = 0
    passed: int = 0
    counted: int = 0
    failing: dict[str, int] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        return round(100.0 * self.passed / self.counted, 1) if self.counted else None

    @property
    def share_services(self) -> float | None:
        return (round(100.0 * self.compliant_services / self.services, 1)
                if self.services else None)

    def to_dict(self) -> dict[str, Any]:
        return {"organisation": self.organisation, "services": self.services,
                "compliant_services": self.compliant_services, "passed": self.passed,
                "counted": self.counted, "share": self.share,
                "share_services": self.share_services, "failing": dict(self.failing)}


# -- loading ------------------------------------------------------------------------------------
def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with ssckit (``data/baselines/<name>.yaml``)."""
    folder = resources.files("ssckit.cyber") / "data" / "baselines"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def parse_profile(data: object, source: str) -> Profile:
    if not isinstance(data, dict):
        raise InputError(source, None, "expected a mapping with id, title and requirements")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        where = []
        if len(loc) >= 2 and loc[0] == "requirements" and isinstance(loc[1], int):
            reqs = data.get("requirements")
            rid = reqs[loc[1]].get("id") if isinstance(reqs, list) and \
                isinstance(reqs[loc[1]], dict) else None
            where.append(f"requirements[{loc[1]}]" + (f" ({rid})" if rid else ""))
            loc = loc[2:]
        if loc:
            where.append("field '" + ".".join(str(x) for x in loc) + "'")
        msg = "unknown field" if err["type"] == "extra_forbidden" else \
            err["msg"].removeprefix("Value error, ")
        raise InputError(source, ", ".join(where) or "file", msg) from None


def load_profile(name_or_path: str | Path, base_dir: Path | None = None) -> Profile:
    """A built-in profile by name (``national-baseline``) or a profile YAML file (relative to
    ``base_dir``). Raises :class:`InputError`."""
    text_name = str(name_or_path)
    if text_name in builtin_profiles():
        ref = resources.files("ssckit.cyber") / "data" / "baselines" / f"{text_name}.yaml"
        return parse_profile(yaml.safe_load(ref.read_text(encoding="utf-8")), text_name)
    path = Path(name_or_path)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), None, f"cannot read ({exc.strerror}); built-in profiles: "
                         + ", ".join(builtin_profiles())) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(str(path), f"line {mark.line + 1}" if mark else None,
                         f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_profile(data, str(path))


# -- judging ------------------------------------------------------------------------------------
def judge(req: Requirement, result: ServiceResult) -> RequirementResult:
    """``req`` for one scanned service."""
    if not result.reachable:
        return RequirementResult(req.id, UNKNOWN, f"not scanned: {result.error}",
                                 req.remediation)
    found = req.matching(result.findings)
    if not found:
        return RequirementResult(req.id, NOT_APPLICABLE, f"no {req.check} finding")
    judged = [f for f in found if f.status != Status.NOT_APPLICABLE]
    if not judged:
        return RequirementResult(req.id, NOT_APPLICABLE, found[0].detail)
    errors = [f for f in judged if f.status == Status.ERROR]
    failed = [f for f in judged if f.status != Status.ERROR and not req.met_by(f)]
    if failed:
        f = failed[0]
        return RequirementResult(req.id, FAIL, f"{f.check}: {f.detail}",
                                 req.remediation or f.remediation)
    if errors:
        f = errors[0]
        return RequirementResult(req.id, UNKNOWN, f"{f.check}: {f.detail}", req.remediation)
    return RequirementResult(req.id, PASS, "; ".join(f"{f.check}: {f.detail}" for f in judged))


def evaluate(profile: Profile, result: ServiceResult) -> ServiceCompliance:
    """Every requirement of ``profile`` for one service."""
    return ServiceCompliance(result.name, result.organisation or "",
                             [judge(r, result) for r in profile.requirements])


def by_organisation(services: list[ServiceCompliance]) -> list[OrganisationCompliance]:
    """Compliance per organisation (services without one under ``""``), by name."""
    orgs: dict[str, OrganisationCompliance] = {}
    for s in services:
        o = orgs.setdefault(s.organisation, OrganisationCompliance(s.organisation))
        o.services += 1
        o.compliant_services += s.compliant
        c = s.counts
        o.passed += c[PASS]
        o.counted += c[PASS] + c[FAIL] + c[UNKNOWN]
        for rid in s.failing:
            o.failing[rid] = o.failing.get(rid, 0) + 1
    return [orgs[k] for k in sorted(orgs)]


def overall(services: list[ServiceCompliance]) -> OrganisationCompliance:
    """All services together (the national figure)."""
    total = OrganisationCompliance("(all)")
    for o in by_organisation([ServiceCompliance(s.service, "(all)", s.results)
                              for s in services]):
        total = o
    return total


def fix_first(profile: Profile, services: list[ServiceCompliance]) -> list[dict[str, Any]]:
    """Requirements to work on, largest impact first: weight x services failing it (ties: more
    services first, then profile order)."""
    order = {r.id: i for i, r in enumerate(profile.requirements)}
    counts: dict[str, list[str]] = {}
    for s in services:
        for rid in s.failing:
            counts.setdefault(rid, []).append(s.service)
    out = []
    for rid, names in counts.items():
        req = profile.requirement(rid)
        out.append({"requirement": rid, "title": req.title, "weight": req.weight,
                    "services": sorted(names), "impact": req.weight * len(names),
                    "remediation": req.remediation,
                    "source": profile.sources[req.source].title if req.source else ""})
    out.sort(key=lambda d: (-d["impact"], -len(d["services"]), order[d["requirement"]]))
    return out
