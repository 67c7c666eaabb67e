"""Web accessibility: WCAG 2.2 A/AA audits with axe-core in headless Chromium, and captions.

Audits crawl a site and score each page (:mod:`ssckit.access.scoring`); their history lives in
the workspace store (:mod:`ssckit.access.history`). Captions come from a local Whisper model
(faster-whisper) as WebVTT and SRT, with an HTML page for staff corrections.
"""

from ssckit.access.audit import (
    AuditSettings,
    Finding,
    Node,
    PageAudit,
    SiteAudit,
    audit_sites,
    audit_sites_async,
    axe_script_path,
)
from ssckit.access.captions import caption_media, reexport, review_page, transcribe
from ssckit.access.crawl import Frontier, normalise_url, read_sitemap, same_origin_links
from ssckit.access.cues import (
    Cue,
    Word,
    build_cues,
    cues_from_json,
    to_srt,
    to_webvtt,
    word_error_rate,
)
from ssckit.access.history import AuditDiff, diff_with_previous, save_audit
from ssckit.access.indicators import INDICATORS, audit_values, compute
from ssckit.access.scoring import IMPACT_WEIGHTS, WCAG_TAGS, score, success_criteria

__all__ = [
    "AuditDiff",
    "AuditSettings",
    "Cue",
    "Finding",
    "Frontier",
    "IMPACT_WEIGHTS",
    "INDICATORS",
    "Node",
    "PageAudit",
    "SiteAudit",
    "WCAG_TAGS",
    "Word",
    "audit_sites",
    "audit_sites_async",
    "audit_values",
    "axe_script_path",
    "build_cues",
    "caption_media",
    "compute",
    "cues_from_json",
    "diff_with_previous",
    "normalise_url",
    "read_sitemap",
    "reexport",
    "review_page",
    "same_origin_links",
    "save_audit",
    "score",
    "success_criteria",
    "to_srt",
    "to_webvtt",
    "transcribe",
    "word_error_rate",
]
