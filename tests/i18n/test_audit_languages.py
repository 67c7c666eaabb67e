"""Our own pages pass our own accessibility audit in Russian and Belarusian too: the translated
pages of the sample city, served by the real app and loaded in Chromium with ``?lang=``, are
audited with the same code as ``ssckit access audit`` (axe-core, WCAG 2.2 A/AA). No violation
may remain, and the page must say which language it is in (``<html lang>``), while the names of
the other languages in the switcher carry their own ``lang``.

A report (page, violations, checks to review) is written to
``test-artifacts/access-own-pages-ru-be.txt``.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssckit.access.audit import AuditSettings, PageAudit, audit_page
from ssckit.core import auth
from ssckit.core.store import Store
from tests.access.conftest import needs_chromium
from tests.access.test_own_pages import _serve
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT

from .test_pages import PUBLIC, TRANSLATED

pytestmark = [pytest.mark.browser, needs_chromium]

PASSWORD = "a long enough password for tests"
REPORT = ROOT / "test-artifacts" / "access-own-pages-ru-be.txt"
#: (language, path, signed in as admin?): every translated page in Russian, the public pages
#: in Belarusian.
CASES = ([("ru", path, role is not None) for path, role in sorted(TRANSLATED.items())
          if path != "/no-such-page"]
         + [("be", path, False) for path in PUBLIC])


@pytest.fixture(scope="module")
def base(demo_workspace: Path) -> Iterator[str]:
    """The sample city with an admin, served by the real app in a child process."""
    tmp = Path(tempfile.mkdtemp(prefix="ssckit-i18n-audit-"))
    root = tmp / "sample-city"
    shutil.copytree(demo_workspace, root)
    with Store.open(root / "ssckit.duckdb") as store:
        auth.add_user(store, "ada", "admin", PASSWORD)
    try:
        yield from _serve(root, tmp / "server.log")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _audit_all(base: str) -> list[tuple[str, str, PageAudit, str, list[str]]]:
    """(language, path, audit, <html lang>, lang of the switcher's links) of every case."""
    from playwright.async_api import async_playwright

    settings = AuditSettings(best_practice=True, timeout_s=60)
    out = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            anonymous = await browser.new_context(bypass_csp=True)
            admin = await browser.new_context(bypass_csp=True)
            login = await admin.new_page()
            await login.goto(base + "/login")
            await login.fill("#username", "ada")
            await login.fill("#password", PASSWORD)
            async with login.expect_navigation():
                await login.click("main form button[type=submit]")
            pages = {False: await anonymous.new_page(), True: login}
            for lang, path, signed_in in CASES:
                page = pages[signed_in]
                sep = "&" if "?" in path else "?"
                audit = await audit_page(page, f"{base}{path}{sep}lang={lang}", settings)
                html_lang = await page.evaluate("document.documentElement.lang")
                switcher = await page.evaluate(
                    "[...document.querySelectorAll('.lang-switch a[hreflang]')].map(a => a.lang)")
                out.append((lang, path, audit, html_lang, switcher))
        finally:
            await browser.close()
    return out


@pytest.fixture(scope="module")
def audits(base: str) -> list[tuple[str, str, PageAudit, str, list[str]]]:
    found = asyncio.run(_audit_all(base))
    lines = [f"{len(found)} pages audited in Russian and Belarusian (WCAG 2.2 A/AA, axe-core)"]
    for lang, path, a, html_lang, _ in found:
        score = "-" if a.score is None else f"{a.score:.1f}"
        lines.append(f"{lang} {path}  <html lang={html_lang}>  score {score}  violations "
                     f"{len(a.violations)}  to review {len(a.incomplete)}"
                     + (f"  ERROR {a.error}" if a.error else ""))
        for kind, findings in (("VIOLATION", a.violations), ("review", a.incomplete)):
            lines += [f"    {kind} {f.rule} ({f.impact}): {n.target}"
                      for f in findings for n in f.nodes]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return found


def test_every_translated_page_is_audited(audits: list[tuple[str, str, PageAudit, str,
                                                             list[str]]]) -> None:
    assert len(audits) == len(CASES)
    errors = [f"{lang} {path}: {a.error}" for lang, path, a, _, _ in audits if a.error]
    assert not errors, errors
    assert all(a.passes for _, _, a, _, _ in audits)  # axe really ran


def test_pages_say_their_language(audits: list[tuple[str, str, PageAudit, str,
                                                     list[str]]]) -> None:
    wrong = [f"{lang} {path}: <html lang={got!r}>" for lang, path, _, got, _ in audits
             if got != lang]
    assert not wrong, wrong
    assert all(sorted(s) == ["be", "en", "ru"] for *_, s in audits)


def test_no_wcag_violations_in_russian_or_belarusian(
        audits: list[tuple[str, str, PageAudit, str, list[str]]]) -> None:
    failures = [f"{f.rule} ({f.impact}) on {lang} {path}: {n.target}  {n.html[:120]}"
                for lang, path, a, _, _ in audits for f in a.violations for n in f.nodes]
    assert not failures, "WCAG violations:\n" + "\n".join(failures)
