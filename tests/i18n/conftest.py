"""What a page shows a reader, as text: every text node and every text attribute (aria-label,
title, alt, placeholder), skipping scripts, code, and elements that declare another language
(``lang="en"`` on data that has no translation, the language switcher's own names)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’.\-/_+]*")
#: Words that stay as they are in Russian and Belarusian text: names, standards, units, codes.
ALLOWED_WORDS = {
    "ssckit", "U4SSC", "ITU-T", "ITU-R", "Y.4903", "JSON", "API", "OpenAPI", "CSV", "UTF-8",
    "PDF", "HTML", "GeoTIFF", "DigComp", "SDG", "ICNIRP", "IEC", "K.52", "K.70", "K.100", "WGS",
    "EN", "EC", "SC", "MiB", "UTC", "Wi-Fi", "MIMO", "massive", "TLS", "DNS", "HTTP", "HTTPS",
    "GCI", "WCAG", "n", "x", "y", "lat", "lon", "m", "km", "dB", "dBm", "MHz", "GHz", "W", "V",
    "A", "B", "C", "D", "SE", "ID", "NOT", "GJ", "kWh", "CO2e", "ppm", "Mbit/s", "ICT",
    "CO", "PM2.5", "BB101", "NGSI-LD", "RH", "F", "A+", "E",
}
#: Codes: KPI codes (EC:ICT:ICT:1C), indicator ids, periods, versions, file names.
CODE = re.compile(r"^([A-Z]{1,4}:)+\w+$|^[\w.-]+:[\w.:-]+$|^\d[\w.\-:/]*$|^[\w-]+\.(csv|yaml|pdf|"
                  r"json|html|tif)$|^[A-Z]?\d+[A-Za-z]?$|^/\S*$|^[a-z_]+(\.[a-z_]+)+$|^https?://\S+$")
ADDRESS = re.compile(r"^(/|https?://)\S*$")
SKIP_TAGS = {"script", "style", "code", "pre", "kbd", "samp"}
TEXT_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Texts(HTMLParser):
    def __init__(self, lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.texts: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        other_language = a.get("lang") not in (None, self.lang)
        skip = tag in SKIP_TAGS or other_language or "code" in (a.get("class") or "").split()
        if not (skip or self.skipping):
            self.texts += [v for k, v in attrs if k in TEXT_ATTRIBUTES and v]
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def untranslated(html: str, lang: str, names: set[str] = frozenset()) -> list[str]:
    """Texts of a page with Latin words and no Cyrillic letter, other than allowed words,
    codes, numbers and the proper ``names`` of the page's data (city, districts, sites)."""
    parser = _Texts(lang)
    parser.feed(html)
    found = []
    for text in parser.texts:
        if CYRILLIC.search(text):
            continue
        # addresses first (/api/v1/radio/coverage may hold a data name), then the names
        rest = " ".join(w for w in text.split() if not ADDRESS.match(w.strip(".,;:()")))
        for name in sorted(names, key=len, reverse=True):
            rest = rest.replace(name, " ")
        rest = " ".join(w for w in rest.split() if not CODE.match(w.strip(".,;:()")))
        words = [w.strip(".-/'’") for w in LATIN_WORD.findall(rest)]
        if any(w and w not in ALLOWED_WORDS and not CODE.match(w) for w in words):
            found.append(text)
    return found


#: Letters of Russian that Belarusian does not write: a text with one on a Belarusian page, not
#: marked ``lang="ru"``, is Russian shown as if it were Belarusian.
RUSSIAN_ONLY = re.compile(r"[ищъИЩЪ]")


def russian_as_belarusian(html: str, names: set[str] = frozenset()) -> list[str]:
    """Texts of a Belarusian page written in Russian without saying so (``lang="ru"``), other
    than the proper ``names`` of the page's data."""
    parser = _Texts("be")
    parser.feed(html)
    found = []
    for text in parser.texts:
        rest = text
        for name in sorted(names, key=len, reverse=True):
            rest = rest.replace(name, " ")
        if RUSSIAN_ONLY.search(rest):
            found.append(text)
    return found
