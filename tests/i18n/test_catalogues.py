"""The catalogues compile, the committed .mo files are the compiled .po files, the language of
a request is chosen in the documented order, and numbers are written as each language does."""

from __future__ import annotations

import gettext
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ssckit.core import i18n
from ssckit.kpi.catalogue import load_catalogue

PO_FILES = sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))


def test_every_language_has_a_catalogue() -> None:
    assert {p.parts[-3] for p in PO_FILES} == set(i18n.LANGUAGES) - {"en"}


def test_catalogues_compile_without_problems() -> None:
    assert i18n.compile_catalogues(check_only=True) == []


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.parts[-3])
def test_committed_mo_is_the_compiled_po(po: Path) -> None:
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=po.parts[-3])
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=True)
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: run python -m ssckit.core.i18n compile"
    with mo.open("rb") as fp:
        got = gettext.GNUTranslations(fp)
    want = gettext.GNUTranslations(BytesIO(buf.getvalue()))
    assert got._catalog == want._catalog, (  # type: ignore[attr-defined]
        f"{mo} is out of date: run python -m ssckit.core.i18n compile")


@pytest.mark.parametrize("lang", ["ru", "be"])
def test_catalogue_is_complete(lang: str) -> None:
    with (i18n.LOCALE_DIR / f"{lang}/LC_MESSAGES/messages.po").open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    empty = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str)
                                                     else all(m.string))]
    assert not empty, f"{len(empty)} {lang} texts untranslated: {empty[:10]}"


def test_placeholder_check_catches_a_broken_translation(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    po = tmp_path / "xx" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "Score for %(period)s"\nmsgstr "Оценка за %(year)s"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    problems = i18n.compile_catalogues(check_only=True)
    assert len(problems) == 1 and "period" in problems[0]


@pytest.mark.parametrize(("query", "cookie", "accept", "city", "expected"), [
    ("ru", "be", "en", "en", "ru"),
    (None, "be", "ru", "en", "be"),
    ("xx", None, "de-DE,ru;q=0.8,en;q=0.5", "en", "ru"),
    (None, None, "en;q=0.2,be;q=0.9", "ru", "be"),
    (None, None, "ru;q=0", "be", "be"),
    (None, None, None, "ru", "ru"),
    (None, None, "fr", None, "en"),
])
def test_language_order(query: str | None, cookie: str | None, accept: str | None,
                        city: str | None, expected: str) -> None:
    assert i18n.choose_language(query, cookie, accept, city) == expected


@pytest.mark.parametrize(("city", "own", "expected"), [
    ("ru", None, "ru"), ("ru", "be", "be"), ("en", "ru", "ru"), (None, None, "en"),
    ("ru", "xx", "ru"), (None, "de", "en"),
])
def test_notice_language_is_the_subscribers_then_the_citys(city: str | None, own: str | None,
                                                           expected: str) -> None:
    assert i18n.notice_language(city, own) == expected


def test_notice_language_reads_the_workspace(tmp_path: Path) -> None:
    from ssckit.core.workspace import CityConfig, Workspace

    config = CityConfig(name="Town", country="BY", year=2026, crs="EPSG:32635",
                        boundary="boundary.geojson", language="be")
    assert i18n.notice_language(Workspace(tmp_path, config)) == "be"
    assert i18n.notice_language(Workspace(tmp_path, config), "ru") == "ru"
    assert i18n.notice_language(config.model_copy(update={"language": "en"})) == "en"


def test_numbers_and_dates_per_language() -> None:
    from datetime import date

    assert i18n.format_number(1234567.8, "en") == "1,234,568"
    assert i18n.format_number(1234567.8, "ru") == "1\u202f234\u202f568"
    assert i18n.format_number(85.25, "ru") == "85,25"
    assert i18n.format_number(-0.5, "be") == "−0,5"
    assert i18n.format_fixed(12.0, 1, "ru") == "12,0"
    assert i18n.format_percent(0.92, "ru") == "92\u00a0%"
    assert i18n.format_date(date(2026, 3, 5), lang="ru") == "5 марта 2026\u202fг."
    assert i18n.format_date(date(2026, 3, 5), lang="en") == "2026-03-05"


def test_exact_numbers_keep_every_digit() -> None:
    assert i18n.format_exact("1234567.125", "ru") == "1\u202f234\u202f567,125"
    assert i18n.format_exact("0.012345", "be") == "0,012345"
    assert i18n.format_exact("-3", "ru") == "−3"
    assert i18n.format_exact("0.012345", "en") == "0.012345"
    assert i18n.format_exact("draft", "ru") == "draft"


def test_translations_follow_the_language_in_force() -> None:
    with i18n.language("ru"):
        assert i18n.gettext("Scorecard") == "Оценочная карта"
    with i18n.language("be"):
        assert i18n.gettext("Skip to main content") == "Перайсці да асноўнага зместу"
    assert i18n.gettext("Scorecard") == "Scorecard"


@pytest.mark.parametrize("lang", ["ru", "be"])
def test_kpi_names_in_every_language(lang: str) -> None:
    en, other = load_catalogue(), load_catalogue(lang)
    assert len(other) == len(en) == 91
    same = [k.code for k, o in zip(en.kpis, other.kpis, strict=True) if k.name == o.name]
    assert not same, f"KPIs without a {lang} name: {same}"
    assert all(i18n.CYRILLIC_RE.search(o.name) for o in other.kpis)
    for names in ("dimensions", "subdimensions", "categories"):
        assert getattr(other, names).keys() == getattr(en, names).keys()
        assert all(i18n.CYRILLIC_RE.search(v) for v in getattr(other, names).values())
    assert all(i18n.CYRILLIC_RE.search(b.label) for b in other.bands)
