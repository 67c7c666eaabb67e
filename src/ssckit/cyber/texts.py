"""What the cyber checks report, in the reader's language: the detail of a finding
(``data/findings.i18n.yaml``, matched by pattern) and the fixed texts of checks, baselines and
the GCI questionnaire (gettext catalogues, ``ssckit/locale``)."""

from __future__ import annotations

import functools
import re
from importlib import resources

import yaml

from ssckit.core import i18n

#: What :func:`finding_detail` says of a detail that is a value (a header, a DNS record).
CODE = "code"


@functools.cache
def _patterns() -> list[tuple[re.Pattern[str], dict[str, str]]]:
    text = resources.files("ssckit.cyber").joinpath("data/findings.i18n.yaml").read_text("utf-8")
    return [(re.compile(p["en"]), {k: v for k, v in p.items() if k != "en"})
            for p in yaml.safe_load(text)["patterns"]]


def _one(text: str, lang: str) -> str | None:
    for pattern, out in _patterns():
        m = pattern.fullmatch(text)
        if m and out.get("code"):
            return CODE
        if m and lang in out:
            return out[lang].format(**m.groupdict())
    return None


def finding_detail(text: str, lang: str | None = None) -> tuple[str, str]:
    """A finding's detail (or a scan error) in ``lang`` (default: the language in force), and
    what it is written in: ``lang``; ``"en"`` where no pattern covers it; :data:`CODE` for a
    header or record value shown as it is."""
    lang = lang or i18n.current_language()
    if not text:
        return text, lang
    whole = _one(text, lang)
    if whole == CODE:
        return text, CODE
    if lang == i18n.DEFAULT_LANGUAGE:
        return text, lang
    if whole is not None:
        return whole, lang
    parts = [_one(p, lang) for p in text.split("; ")]
    if all(p is not None and p != CODE for p in parts):
        return "; ".join(parts), lang  # type: ignore[arg-type]
    return text, i18n.DEFAULT_LANGUAGE
