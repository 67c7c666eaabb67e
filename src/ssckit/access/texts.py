"""axe-core's check messages (the lines under "Fix any/all of the following:") in the reader's
language, by pattern (``data/axe_checks.i18n.yaml``).

An audit stores what axe-core said, in English, once; a page shows it in the language of its
reader. axe-core publishes a Russian locale (none in Belarusian), but a locale is chosen when
axe runs, so a stored audit would speak one language to every reader; the patterns translate
the stored English instead, into Russian and Belarusian alike.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from ssckit.core import i18n

_NUMBER = re.compile(r"\d+(\.\d+)?")


@functools.cache
def _patterns() -> i18n.Patterns:
    return i18n.load_patterns(resources.files("ssckit.access").joinpath(
        "data/axe_checks.i18n.yaml").read_text("utf-8"))


def check_message(text: str, lang: str | None = None) -> tuple[str, str]:
    """A check message of axe-core in ``lang`` (default: the language in force), and the
    language it is written in: ``lang``, or ``"en"`` where no pattern covers it. Numbers in it
    are written as readers of ``lang`` write them."""
    lang = lang or i18n.current_language()
    if lang == i18n.DEFAULT_LANGUAGE or not text:
        return text, lang
    found = i18n.match_pattern(text, _patterns())
    if found is None or lang not in found[0]:
        return text, i18n.DEFAULT_LANGUAGE
    wordings, groups = found
    shown = {k: i18n.format_exact(v, lang) if _NUMBER.fullmatch(v) else v
             for k, v in groups.items()}
    return wordings[lang].format(**shown), lang
