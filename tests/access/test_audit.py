"""Real audits: axe-core in headless Chromium on a local site with known defects."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssckit.access.audit import AuditSettings, SiteAudit, audit_sites, axe_script_path

from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

# page -> the WCAG 2.2 A/AA rules it violates: (rule, impact, success criteria)
EXPECTED = {
    "index.html": [],
    "clean.html": [],
    "missing-alt.html": [("image-alt", "critical", ("1.1.1",))],
    "contrast.html": [("color-contrast", "serious", ("1.4.3",))],
    "form.html": [("label", "critical", ("4.1.2",))],
    "nolang.html": [("html-has-lang", "serious", ("3.1.1",))],
    "headings.html": [],
    "review.html": [],
    "deep/level1.html": [],
}


@pytest.fixture(scope="module")
def site(site_url: str, tmp_path_factory: pytest.TempPathFactory) -> SiteAudit:
    shots = tmp_path_factory.mktemp("shots")
    [audit] = audit_sites([site_url + "index.html"],
                          AuditSettings(depth=1, max_pages=50, concurrency=4, screenshots=shots))
    return audit


def _rel(audit: SiteAudit) -> dict[str, object]:
    return {p.url.removeprefix(audit.site + "/"): p for p in audit.pages}


def test_axe_comes_from_a_package() -> None:
    path = axe_script_path()
    assert path.name == "axe.min.js"
    assert "axe v4." in path.read_text(encoding="utf-8")[:200]


def test_exact_findings(site: SiteAudit) -> None:
    pages = _rel(site)
    # the crawl found every same-origin HTML page one click away, and nothing else:
    # not report.pdf (by extension), raw (served as a download), example.com, mailto:
    assert sorted(pages) == sorted(EXPECTED)
    for rel, expected in EXPECTED.items():
        page = pages[rel]
        assert page.error is None and page.status == 200
        got = [(f.rule, f.impact, f.criteria) for f in page.violations]
        assert got == expected, rel
    assert site.axe_version.startswith("4.")


def test_failing_elements(site: SiteAudit) -> None:
    pages = _rel(site)
    [alt] = pages["missing-alt.html"].violations
    [node] = alt.nodes
    assert node.target == "img" and node.html.startswith('<img src="logo.png"')
    assert "alt" in node.summary
    [label] = pages["form.html"].violations
    assert [n.target for n in label.nodes] == ["input"]
    assert [n.target for n in pages["nolang.html"].violations[0].nodes] == ["html"]


def test_heading_levels_are_an_advisory(site: SiteAudit) -> None:
    """axe's heading-order is a best-practice rule with no WCAG criterion: it is listed as an
    advisory, not as a violation, and does not lower the score."""
    pages = _rel(site)
    headings = pages["headings.html"]
    assert [f.rule for f in headings.advisories] == ["heading-order"]
    assert headings.advisories[0].criteria == ()
    assert headings.score == 100.0
    assert all(not p.advisories for rel, p in pages.items() if rel != "headings.html")


def test_incomplete_is_for_review_not_a_pass(site: SiteAudit) -> None:
    review = _rel(site)["review.html"]
    assert [f.rule for f in review.incomplete] == ["color-contrast"]
    assert "color-contrast" not in review.passes
    assert "color-contrast" in _rel(site)["clean.html"].passes


def test_scores(site: SiteAudit) -> None:
    pages = _rel(site)
    assert pages["clean.html"].score == 100.0
    form = pages["form.html"]
    assert form.score == pytest.approx(100 * len(form.passes) / (len(form.passes) + 10))
    contrast = pages["contrast.html"]
    assert contrast.score == pytest.approx(100 * len(contrast.passes) / (len(contrast.passes) + 5))
    passes = sum(len(p.passes) for p in site.pages)
    assert site.score == pytest.approx(100 * passes / (passes + 10 + 5 + 10 + 5))
    assert site.violation_count == 4


def test_screenshots_written(site: SiteAudit) -> None:
    for page in site.pages:
        assert page.screenshot is not None
        data = Path(page.screenshot).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_depth_budget_and_best_practice_off(site_url: str) -> None:
    [deep] = audit_sites([site_url + "deep/level1.html"], AuditSettings(depth=1, concurrency=2))
    assert [(p.url.removeprefix(site_url), p.depth) for p in deep.pages] == [
        ("deep/level1.html", 0), ("deep/level2.html", 1), ("index.html", 1)]
    [budget] = audit_sites([site_url + "index.html"], AuditSettings(depth=3, max_pages=3,
                                                                     concurrency=1))
    assert [p.url.removeprefix(site_url) for p in budget.pages] == [
        "index.html", "clean.html", "missing-alt.html"]
    [plain] = audit_sites([site_url + "headings.html"],
                          AuditSettings(depth=0, best_practice=False))
    [page] = plain.pages
    assert page.violations == [] and page.advisories == []


def test_two_sites_and_a_dead_page(site_url: str) -> None:
    other = site_url.replace("127.0.0.1", "localhost")
    sites = audit_sites([site_url + "clean.html", other + "nowhere.html"],
                        AuditSettings(depth=0))
    assert [s.site for s in sites] == [site_url.rstrip("/"), other.rstrip("/")]
    [missing] = sites[1].pages
    assert missing.error == "HTTP 404" and missing.score is None
    assert sites[1].score is None


def test_caption_review_page_passes_its_own_audit(tmp_path: Path) -> None:
    from ssckit.access.captions import review_page
    from ssckit.access.cues import Cue

    from .conftest import serve

    (tmp_path / "review.html").write_text(review_page(
        [Cue(0.0, 1.5, "Welcome to the\ncouncil meeting."), Cue(1.6, 3.0, "Item one.")],
        title="council.mp4", language="en", media_src="council.mp4"), encoding="utf-8")
    for url in serve(tmp_path):
        [audit] = audit_sites([url + "review.html"], AuditSettings(depth=0))
        [page] = audit.pages
        assert page.error is None
        assert page.violations == [] and page.advisories == [], page.violations
