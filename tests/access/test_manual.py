"""Manual review: the checklist, verdicts that survive a re-audit and expire when the page
changes (real audits of the sample city's portal in Chromium), and the CLI."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssckit.access.audit import AuditSettings, PageAudit, SiteAudit, audit_sites
from ssckit.access.cli import access as cli
from ssckit.access.history import save_audit
from ssckit.access.manual import (
    checklist,
    criteria,
    criterion,
    manual_criteria,
    read_evidence,
    record_verdict,
)
from ssckit.access.sample import write_site
from ssckit.core.errors import InputError
from ssckit.core.store import Store

from .conftest import SITE, needs_chromium, serve

#: The WCAG 2.2 level A and AA success criteria, from the W3C Recommendation
#: (https://www.w3.org/TR/WCAG22/, 12 December 2024): 4.1.1 Parsing is obsolete and removed.
WCAG22_A = ["1.1.1", "1.2.1", "1.2.2", "1.2.3", "1.3.1", "1.3.2", "1.3.3", "1.4.1", "1.4.2",
            "2.1.1", "2.1.2", "2.1.4", "2.2.1", "2.2.2", "2.3.1", "2.4.1", "2.4.2", "2.4.3",
            "2.4.4", "2.5.1", "2.5.2", "2.5.3", "2.5.4", "3.1.1", "3.2.1", "3.2.2", "3.2.6",
            "3.3.1", "3.3.2", "3.3.7", "4.1.2"]
WCAG22_AA = ["1.2.4", "1.2.5", "1.3.4", "1.3.5", "1.4.3", "1.4.4", "1.4.5", "1.4.10",
             "1.4.11", "1.4.12", "1.4.13", "2.4.5", "2.4.6", "2.4.7", "2.4.11", "2.5.7",
             "2.5.8", "3.1.2", "3.2.3", "3.2.4", "3.3.3", "3.3.4", "3.3.8", "4.1.3"]


def test_criteria_are_wcag22_a_and_aa() -> None:
    got = {c.id: c.level for c in criteria()}
    assert got == {**{n: "A" for n in WCAG22_A}, **{n: "AA" for n in WCAG22_AA}}
    # titles of the criteria new in WCAG 2.2, as the Recommendation names them
    assert criterion("2.4.11").title == "Focus Not Obscured (Minimum)"
    assert criterion("2.5.7").title == "Dragging Movements"
    assert criterion("2.5.8").title == "Target Size (Minimum)"
    assert criterion("3.2.6").title == "Consistent Help"
    assert criterion("3.3.7").title == "Redundant Entry"
    assert criterion("3.3.8").title == "Accessible Authentication (Minimum)"
    assert criterion("4.1.1") is None
    assert (criterion("1.4.10").understanding_url
            == "https://www.w3.org/WAI/WCAG22/Understanding/reflow.html")
    for c in criteria():
        assert c.guidance and c.titles["ru"] and c.titles["be"], c.id
        assert c.titles["ru"] != c.title and c.titles["be"] != c.titles["ru"], c.id
    # what axe-core settles is not asked of a person; everything else is
    assert [c.id for c in criteria() if c not in manual_criteria()] == ["3.1.1"]


def _store_audit(store: Store, hashes: dict[str, str]) -> int:
    pages = [PageAudit(url=u, title=u.rsplit("/", 1)[-1], content_hash=h, lang="en")
             for u, h in hashes.items()]
    return save_audit(store, SiteAudit(site="https://city.example", pages=pages,
                                       started_at=datetime.now(UTC).replace(tzinfo=None)))


def test_verdicts_follow_the_page_hash_and_bad_input_is_one_line() -> None:
    page = "https://city.example/index.html"
    with Store.open(None) as store:
        _store_audit(store, {page: "a" * 64})
        for kwargs, field in (({"verdict": "good"}, "verdict"),
                              ({"item": "9.9.9"}, "criterion"),
                              ({"item": "1.4.10", "url": "https://city.example/x"}, "page"),
                              ({"verdict": "fail", "note": " "}, "note"),
                              ({"evidence_url": "ftp://x"}, "evidence URL")):
            args = {"url": page, "kind": "criterion", "item": "1.4.10", "verdict": "pass",
                    **kwargs}
            extra = {k: args.pop(k) for k in ("note", "evidence_url") if k in args}
            with pytest.raises(InputError) as err:
                record_verdict(store, "https://city.example", args["url"], args["kind"],
                               args["item"], args["verdict"], "ana", **extra)
            assert err.value.source == field, (kwargs, str(err.value))
        record_verdict(store, "https://city.example/", page, "criterion", "1.4.10", "fail",
                       "ana", note="text overlaps at 320 px")
        item = next(i for i in checklist(store, "https://city.example").items
                    if i.item == "1.4.10")
        assert (item.status, item.verdict.reviewer) == ("fail", "ana")
        # the same page again: the verdict holds; another content: it expired
        _store_audit(store, {page: "a" * 64})
        assert next(i for i in checklist(store, "https://city.example").items
                    if i.item == "1.4.10").status == "fail"
        _store_audit(store, {page: "b" * 64})
        review = checklist(store, "https://city.example")
        item = next(i for i in review.items if i.item == "1.4.10")
        assert item.status == "expired" and not item.decided
        assert review.counts()["expired"] == 1
        # a new verdict on the new content counts again
        record_verdict(store, "https://city.example", page, "criterion", "1.4.10", "pass",
                       "vic")
        item = next(i for i in checklist(store, "https://city.example").items
                    if i.item == "1.4.10")
        assert (item.status, item.verdict.reviewer) == ("pass", "vic")


def _audit_portal(store: Store, base: str) -> SiteAudit:
    [audit] = audit_sites([base + "index.html"], AuditSettings(depth=1, documents=False))
    save_audit(store, audit)
    return audit


@needs_chromium
@pytest.mark.browser
def test_verdicts_survive_a_reaudit_of_the_sample_portal_and_expire_when_a_page_changes(
        tmp_path: Path) -> None:
    root = tmp_path / "site"
    write_site(root, "Riverbend")
    with Store.open(tmp_path / "ssckit.duckdb") as store:
        for base in serve(root):
            news, home = base + "news.html", base + "index.html"
            first = _audit_portal(store, base)
            assert all(len(p.content_hash) == 64 and p.lang == "en" for p in first.pages)
            site = first.site
            record_verdict(store, site, news, "criterion", "1.4.10", "pass", "ana",
                           note="reflows at 320 px")
            record_verdict(store, site, home, "criterion", "2.4.7", "fail", "ana",
                           note="no focus outline on the header links")

            second = _audit_portal(store, base)  # nothing changed
            assert {p.url: p.content_hash for p in second.pages} == \
                   {p.url: p.content_hash for p in first.pages}
            review = checklist(store, site)
            status = {(i.url, i.item): i.status for i in review.items}
            assert status[(news, "1.4.10")] == "pass"
            assert status[(home, "2.4.7")] == "fail"
            assert review.counts()["open"] == review.counts()["total"] - 2

            (root / "news.html").write_text((root / "news.html").read_text().replace(
                "Four kilometres", "Five kilometres"))
            _audit_portal(store, base)
            review = checklist(store, site)
            status = {(i.url, i.item): i.status for i in review.items}
            assert status[(news, "1.4.10")] == "expired"
            assert status[(home, "2.4.7")] == "fail"  # its page did not change


@needs_chromium
@pytest.mark.browser
def test_an_element_axe_left_undecided_takes_a_verdict(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    with Store.open(tmp_path / "ssckit.duckdb") as store:
        for base in serve(root):
            url = base + "review.html"
            for _ in range(2):
                [audit] = audit_sites([url], AuditSettings(depth=0, documents=False))
                save_audit(store, audit)
                review = checklist(store, audit.site)
                rule_items = [i for i in review.items if i.kind == "rule"]
                assert any(i.item == "color-contrast" for i in rule_items)
                target = next(i for i in rule_items if i.item == "color-contrast")
                if target.verdict is None:
                    record_verdict(store, audit.site, url, "rule", "color-contrast", "pass",
                                   "ana", selector=target.selector,
                                   note="white on the dark photo: 9:1 measured")
                else:  # the second audit found the same element: the verdict carried over
                    assert target.status == "pass"
                    assert target.verdict.note == "white on the dark photo: 9:1 measured"
            with pytest.raises(InputError, match="undecided"):
                record_verdict(store, audit.site, url, "rule", "color-contrast", "pass", "ana",
                               selector="#no-such-element")


def test_cli_review_list_and_set_with_evidence(workspace: Path, tmp_path: Path) -> None:
    page = "https://city.example/index.html"
    with Store.open(workspace / "ssckit.duckdb") as store:
        _store_audit(store, {page: "c" * 64})
    shot = tmp_path / "focus ring.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    runner = CliRunner()
    r = runner.invoke(cli, ["review", "set", page, "2.4.7", "fail", "--note",
                            "no focus ring", "--evidence", str(shot), "--reviewer", "ana",
                            "-w", str(workspace)])
    assert r.exit_code == 0, r.output
    digest = hashlib.sha256(shot.read_bytes()).hexdigest()
    assert digest in r.output.replace("\n", "")
    kept = list((workspace / "outputs" / "access" / "evidence").iterdir())
    assert [p.name for p in kept] == [f"{digest[:16]}-focus-ring.png"]
    assert kept[0].read_bytes() == shot.read_bytes()
    r = runner.invoke(cli, ["review", "list", "https://city.example", "--status",
                            "fail", "--format", "json", "-w", str(workspace)])
    assert r.exit_code == 0, r.output
    [site] = json.loads(r.output)["sites"]
    [item] = site["pages"][0]["items"]
    assert item["item"] == "2.4.7" and item["verdict"]["evidence_sha256"] == digest
    r = runner.invoke(cli, ["review", "list", "--format", "json", "-w", str(workspace)])
    counts = json.loads(r.output)["sites"][0]["counts"]
    assert counts["fail"] == 1 and counts["open"] == len(manual_criteria()) - 1
    # a user's mistake is one line, exit code 2
    r = subprocess.run([sys.executable, "-m", "ssckit.cli", "access", "review", "set", page,
                        "2.4.99", "pass", "-w", str(workspace)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and "2.4.99 is not on the checklist" in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 3 and "Traceback" not in r.stderr


def test_evidence_is_kept_only_with_a_valid_verdict(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="evidence file not found"):
        read_evidence(tmp_path / "nope.png")
    page = "https://city.example/index.html"
    outputs = tmp_path / "outputs"
    with Store.open(None) as store:
        _store_audit(store, {page: "e" * 64})
        with pytest.raises(InputError, match="needs a note"):
            record_verdict(store, "https://city.example", page, "criterion", "1.4.10", "fail",
                           "ana", evidence=(b"shot", "a.png"), outputs=outputs)
        assert not outputs.exists()
        v = record_verdict(store, "https://city.example", page, "criterion", "1.4.10", "fail",
                           "ana", note="cut off", evidence=(b"shot", "a b.png"),
                           outputs=outputs)
    digest = hashlib.sha256(b"shot").hexdigest()
    assert (v.evidence_sha256, v.evidence_file) == (digest,
                                                    f"access/evidence/{digest[:16]}-a-b.png")
    assert (outputs / v.evidence_file).read_bytes() == b"shot"
