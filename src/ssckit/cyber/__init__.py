"""Cyber: security posture of a city's public services, and a GCI-style self-assessment.

``scan_targets`` runs TLS (NCSC-NL levels), HTTP header, cookie, security.txt, DNS and mail checks
on the services of a targets file; ``scoring`` grades them Observatory-style and turns them into
indicator values; ``store`` keeps the history; ``gci`` scores the ITU GCI 2024 questionnaire.
"""

from __future__ import annotations

from ssckit.cyber.gci import assess, load_answers, load_questionnaire, radar_figure
from ssckit.cyber.model import Check, Finding, ServiceResult, Status
from ssckit.cyber.scan import Scan, ScanOptions, scan_service, scan_targets
from ssckit.cyber.scoring import (
    CYBER_INDICATORS,
    ServiceScore,
    indicator_values,
    posture,
    score_service,
)
from ssckit.cyber.store import diff, save_scan
from ssckit.cyber.targets import Target, TargetsFile, load_targets

__all__ = [
    "CYBER_INDICATORS",
    "Check",
    "Finding",
    "Scan",
    "ScanOptions",
    "ServiceResult",
    "ServiceScore",
    "Status",
    "Target",
    "TargetsFile",
    "assess",
    "diff",
    "indicator_values",
    "load_answers",
    "load_questionnaire",
    "load_targets",
    "posture",
    "radar_figure",
    "save_scan",
    "scan_service",
    "scan_targets",
    "score_service",
]
