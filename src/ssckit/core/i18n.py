"""The reader's language: gettext catalogues (Babel), the language of a request, and numbers and
dates written the way readers of that language write them.

Catalogues live in ``ssckit/locale/<lang>/LC_MESSAGES/messages.po`` (English is the source
language: its msgids are the English text). The compiled ``messages.mo`` beside each ``.po`` is
what the app loads; ``python -m ssckit.core.i18n compile`` rebuilds them (see the README, "Add a
language").

The language in force is a context variable: the web app sets it for each request
(:func:`choose_language`), the CLI for a command (``--lang``); :func:`gettext` and the
formatters read it, so code that builds a chart title or a flash message needs no request.
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import math
import re
import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path

#: Languages of the interface, the source language first; each name in its own language.
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "be": "Беларуская"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
#: The cookie the language switcher sets, and the query parameter that sets it.
LANG_COOKIE = "ssckit_lang"
LANG_PARAM = "lang"
#: Grouping of thousands in ru/be: a narrow no-break space (GOST 8.417 / Russian typography),
#: where CLDR has a plain no-break space.
_THIN_GROUP = {"ru": "\u202f", "be": "\u202f"}

#: Letters of Russian and Belarusian.
CYRILLIC_RE = re.compile(r"[\u0400-\u04FF]")

_current: ContextVar[str] = ContextVar("ssckit_language", default=DEFAULT_LANGUAGE)


# -- the language in force --------------------------------------------------------------------
def current_language() -> str:
    return _current.get()


def set_language(lang: str) -> None:
    """Make ``lang`` the language of what runs next in this context (a request, a command)."""
    _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Run a block in ``lang``, then restore the language before it."""
    token = _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def notice_language(city: object = None, own: str | None = None) -> str:
    """The language of a notice (an alert's e-mail or webhook text) to one subscriber: the
    subscriber's own ``language`` where the module's settings give one, else the city's
    ``language:`` of city.yaml (``city`` is the :class:`~ssckit.core.workspace.Workspace`, its
    ``CityConfig`` or a language code), else English.

    A notice is built inside ``with language(notice_language(ws, own)):`` so that
    :func:`gettext` and the formatters write it in that language."""
    config = getattr(city, "config", city)  # a Workspace, its CityConfig, or a code
    city_lang = getattr(config, "language", config)
    for candidate in (own, city_lang):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return DEFAULT_LANGUAGE


def parse_accept_language(header: str) -> list[str]:
    """Primary language tags of an ``Accept-Language`` header, most preferred first
    (RFC 9110 §12.5.4: q-values; q=0 means "not acceptable")."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        q = 1.0
        m = re.search(r"q\s*=\s*([0-9.]+)", params)
        if m:
            try:
                q = float(m[1])
            except ValueError:
                q = 0.0
        if q > 0:
            ranked.append((-q, i, tag.split("-")[0]))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(query: str | None, cookie: str | None, accept: str | None,
                    default: str | None) -> str:
    """The language of a request: ``?lang=``, then the switcher's cookie, then the browser's
    ``Accept-Language``, then the city's ``language:`` (city.yaml), then English."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    for tag in parse_accept_language(accept or ""):
        if tag in LANGUAGES:
            return tag
        if tag == "*":
            break
    return default if default in LANGUAGES else DEFAULT_LANGUAGE  # type: ignore[return-value]


# -- catalogues -------------------------------------------------------------------------------
@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (none for English, the source language)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if lang == DEFAULT_LANGUAGE or not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as fp:
        return _gettext.GNUTranslations(fp)


def gettext(message: str) -> str:
    """``message`` in the language in force."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_current.get()).pgettext(context, message)


_ = gettext


def template_gettext(message: str) -> str:
    """``gettext`` for Jinja2's i18n extension (newstyle): a ``{% trans %}`` block without
    variables reaches it with ``%`` doubled, while pybabel extracts it with single ``%``."""
    found = gettext(message)
    if found == message and "%%" in message:
        plain = message.replace("%%", "%")
        other = gettext(plain)
        if other != plain:
            return other.replace("%", "%%")
    return found


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def pick(texts: Mapping[str, str], lang: str | None = None) -> str:
    """The text of ``lang`` (default: the language in force) from ``{lang: text}``, falling
    back to Russian for Belarusian and to English for the rest."""
    lang = lang or _current.get()
    for candidate in (lang, "ru" if lang == "be" else DEFAULT_LANGUAGE, DEFAULT_LANGUAGE):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()), "")


# -- numbers and dates --------------------------------------------------------------------------
def format_number(value: float | None, lang: str | None = None) -> str:
    """A number as readers of ``lang`` write it: 85.2 / 85,2; 1,234 / 1 234 (narrow no-break
    space); 0.0123 / 0,0123 (four significant digits below 1000); '' for None or NaN."""
    if value is None:
        return ""
    v = float(value)
    if math.isnan(v):
        return ""
    lang = lang or _current.get()
    if math.isinf(v):
        return "∞" if v > 0 else ("-∞" if lang == DEFAULT_LANGUAGE else "−∞")
    if lang == DEFAULT_LANGUAGE:
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if v == int(v):
            return f"{int(v)}"
        return f"{v:.4g}"
    from babel.numbers import format_decimal, get_group_symbol

    if abs(v) >= 1000:
        v = round(v)
    elif v != int(v):
        v = float(f"{v:.4g}")
    text = format_decimal(v, format="#,##0.##########", locale=lang)
    if lang in _THIN_GROUP:
        text = text.replace(get_group_symbol(lang), _THIN_GROUP[lang])
    return text.replace("-", "−")


def format_exact(value: float | str, lang: str | None = None) -> str:
    """A number with every digit kept (an audit log's old and new values): '1234.125' /
    '1 234,125' in ru/be; a text that is not a number is returned as it is."""
    from decimal import Decimal, InvalidOperation

    try:
        exact = Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)
    lang = lang or _current.get()
    if not exact.is_finite() or lang == DEFAULT_LANGUAGE:
        return str(value)
    from babel.numbers import format_decimal, get_group_symbol

    text = format_decimal(exact, locale=lang, decimal_quantization=False)
    if lang in _THIN_GROUP:
        text = text.replace(get_group_symbol(lang), _THIN_GROUP[lang])
    return text.replace("-", "−")


def format_fixed(value: float | None, digits: int = 1, lang: str | None = None) -> str:
    """A number with exactly ``digits`` decimals: 12.0 / 12,0 ('' for None)."""
    if value is None:
        return ""
    lang = lang or _current.get()
    if lang == DEFAULT_LANGUAGE:
        return f"{float(value):.{digits}f}"
    from babel.numbers import format_decimal, get_group_symbol

    text = format_decimal(round(float(value), digits), format="#,##0." + "0" * digits,
                          locale=lang)
    if lang in _THIN_GROUP:
        text = text.replace(get_group_symbol(lang), _THIN_GROUP[lang])
    return text.replace("-", "−")


def format_percent(ratio: float | None, lang: str | None = None) -> str:
    """A share (0.85) as a whole percentage: '85 %' (in ru/be a no-break space before the
    sign)."""
    if ratio is None:
        return ""
    lang = lang or _current.get()
    if lang == DEFAULT_LANGUAGE:
        return f"{100 * ratio:.0f} %"
    return f"{format_number(round(100 * ratio), lang)}\u00a0%"


def format_date(value: date | datetime | str | None, with_time: bool = False,
                lang: str | None = None) -> str:
    """A date (and time) in ``lang``: '2026-03-05' in English (ISO), '5 марта 2026 г.' in
    Russian; times as 24-hour HH:MM."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    lang = lang or _current.get()
    has_time = isinstance(value, datetime)
    if lang == DEFAULT_LANGUAGE:
        return value.strftime("%Y-%m-%d %H:%M" if with_time and has_time else "%Y-%m-%d")
    from babel.dates import format_date as _babel_date

    text = _babel_date(value, format="long", locale=lang)
    if with_time and has_time:
        text += " " + value.strftime("%H:%M")  # type: ignore[union-attr]
    return text


# -- texts matched by pattern ------------------------------------------------------------------
#: ``patterns`` of a ``*.i18n.yaml`` file: an English regular expression and its wordings.
Patterns = list[tuple[re.Pattern[str], dict[str, str]]]


def load_patterns(yaml_text: str) -> Patterns:
    """The ``patterns:`` of a ``*.i18n.yaml`` file: each ``en`` (a Python regular expression,
    matched whole) with its wording per language (``ru``, ``be``; named groups are copied in
    with ``{name}``)."""
    import yaml

    return [(re.compile(p["en"]), {k: str(v) for k, v in p.items() if k != "en"})
            for p in yaml.safe_load(yaml_text)["patterns"]]


def match_pattern(text: str, patterns: Patterns) -> tuple[dict[str, str], dict[str, str]] | None:
    """The wordings of the first pattern ``text`` matches whole, and the groups it captured."""
    for pattern, wordings in patterns:
        m = pattern.fullmatch(text)
        if m:
            return wordings, {k: v for k, v in m.groupdict().items() if v is not None}
    return None


# -- building the catalogues --------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}|%%")


def _placeholders(text: str) -> set[str]:
    """Named placeholders of a text: ``%(name)s`` (templates), ``{name}`` (code), ``%%``."""
    return {m[1] or m[2] or m[0] for m in _PLACEHOLDER.finditer(text)}


def compile_catalogues(check_only: bool = False) -> list[str]:
    """Compile every ``messages.po`` to ``messages.mo`` (Babel); return the problems found
    (a catalogue that cannot be read, a translation whose placeholders differ from its
    source). With ``check_only``, write nothing."""
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    problems: list[str] = []
    for po_path in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po_path.parts[-3]
        try:
            with po_path.open("rb") as fp:
                catalog = read_po(fp, locale=lang, abort_invalid=True)
        except Exception as exc:  # babel raises PoFileError and others
            problems.append(f"{po_path}: {exc}")
            continue
        for message in catalog:
            if not message.id or not message.string:
                continue
            ids = [message.id] if isinstance(message.id, str) else list(message.id)
            strings = ([message.string] if isinstance(message.string, str)
                       else list(message.string))
            wanted = set().union(*(_placeholders(i) for i in ids))
            for s in strings:
                if s and _placeholders(s) != wanted:
                    problems.append(f"{po_path}:{message.lineno}: placeholders "
                                    f"{sorted(_placeholders(s))} differ from the source's "
                                    f"{sorted(wanted)}: {ids[0][:60]!r}")
        buf = BytesIO()
        # Fuzzy entries (awaiting a reviewer) are shown: a wording to check beats English.
        write_mo(buf, catalog, use_fuzzy=True)
        if not check_only:
            (po_path.with_suffix(".mo")).write_bytes(buf.getvalue())
    translations.cache_clear()
    return problems


def extract() -> None:
    """Extract every translatable text of the package into ``locale/messages.pot`` and merge
    it into each language's ``messages.po`` (pybabel extract + update; run from the
    repository root). New texts arrive untranslated; changed ones arrive fuzzy."""
    from babel.messages.frontend import CommandLineInterface

    root = LOCALE_DIR.parents[1].parent
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    cli = CommandLineInterface()
    cli.run(["pybabel", "-q", "extract", "-F", str(LOCALE_DIR / "babel.cfg"), "-k", "N_",
             "--no-location", "--no-wrap", "--sort-output", "--project", "ssckit",
             "--msgid-bugs-address", "", "-o", str(pot), str(root / "src" / "ssckit")])
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        verb = "update" if po.is_file() else "init"
        extra = ["--ignore-obsolete", "--no-fuzzy-matching"] if verb == "update" else []
        cli.run(["pybabel", "-q", verb, "-i", str(pot), "-d", str(LOCALE_DIR), "-l", lang,
                 "-D", DOMAIN, "--no-wrap", *extra])


def main(argv: list[str]) -> int:
    """``python -m ssckit.core.i18n extract|compile|check``."""
    if not argv or argv[0] not in ("extract", "compile", "check"):
        print("usage: python -m ssckit.core.i18n extract|compile|check", file=sys.stderr)
        return 2
    if argv[0] == "extract":
        extract()
        return 0
    problems = compile_catalogues(check_only=argv[0] == "check")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
