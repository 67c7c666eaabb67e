"""Which pages to audit: link normalisation, same-origin filtering, sitemaps and the crawl frontier.

Pure URL handling plus a breadth-first :class:`Frontier`; the browser that fetches the pages
lives in :mod:`ssckit.access.audit`.
"""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit, urlunsplit

from ssckit.core.errors import InputError

_DEFAULT_PORTS = {"http": 80, "https": 443}

#: File extensions that are never HTML pages: skipped without being fetched.
_EXTENSIONS = ("7z avi bmp css csv doc docx epub exe gif gz ico jpeg jpg js json m4a mkv mov mp3 "
               "mp4 ods odt ogg pdf png ppt pptx rar rss svg tar tgz tif tiff txt wav webm webp "
               "woff woff2 xls xlsx xml zip")
NON_HTML_EXTENSIONS = frozenset(f".{e}" for e in _EXTENSIONS.split(" "))


def normalise_url(href: str, base: str | None = None) -> str | None:
    """An absolute, comparable page URL, or None for what is not a web page.

    Resolves ``href`` against ``base``; keeps only http(s); lower-cases scheme and host; drops
    the default port, the fragment and empty queries; an empty path becomes ``/``.
    ``mailto:``, ``javascript:``, ``tel:`` and the like give None.
    """
    href = href.strip()
    url = urljoin(base, href) if base else href
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a (normalised) URL: the site it belongs to."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def looks_like_html(url: str) -> bool:
    """False when the URL's path ends in an extension of :data:`NON_HTML_EXTENSIONS`."""
    return PurePosixPath(urlsplit(url).path).suffix.lower() not in NON_HTML_EXTENSIONS


def same_origin_links(hrefs: Iterable[str], base: str) -> list[str]:
    """Normalised links from ``hrefs`` (resolved against ``base``) on ``base``'s origin that
    may be HTML pages, without duplicates, in the order first seen."""
    site = origin(base)
    out: dict[str, None] = {}
    for href in hrefs:
        url = normalise_url(href, base)
        if url and origin(url) == site and looks_like_html(url):
            out.setdefault(url, None)
    return list(out)


def read_sitemap(url: str, timeout_s: float = 20.0, max_nested: int = 20) -> list[str]:
    """Page URLs listed in an XML sitemap (following a sitemap index one level down).

    Raises
    ------
    InputError
        When the sitemap cannot be fetched or is not a sitemap.
    """
    def fetch(u: str) -> ET.Element:
        try:
            with urllib.request.urlopen(u, timeout=timeout_s) as resp:  # noqa: S310 (http only)
                data = resp.read()
        except (OSError, ValueError) as exc:
            raise InputError(u, None, f"cannot fetch the sitemap: {exc}") from None
        try:
            return ET.fromstring(data)
        except ET.ParseError as exc:
            raise InputError(u, str(exc), "not an XML sitemap") from None

    def locs(root: ET.Element, kind: str) -> list[str]:
        return [(loc.text or "").strip() for el in root if el.tag.endswith(kind)
                for loc in el if loc.tag.endswith("loc")]

    if normalise_url(url) is None:
        raise InputError("--sitemap", None, f"{url!r} is not an http(s) URL")
    root = fetch(url)
    pages = locs(root, "url")
    for nested in locs(root, "sitemap")[:max_nested]:
        pages += locs(fetch(nested), "url")
    return [u for u in (normalise_url(p) for p in pages if p) if u]


@dataclass
class Frontier:
    """Breadth-first crawl state for one site: what to visit next, within a depth and budget.

    Seeds have depth 0; a page at depth ``d < max_depth`` adds its links at ``d + 1``. At most
    ``max_pages`` pages are handed out (:meth:`pop` reserves one); :meth:`release` gives a slot
    back for a page that turned out not to be HTML. Only URLs on ``site`` are accepted.
    """

    site: str
    max_depth: int = 1
    max_pages: int = 20
    _queue: deque[tuple[str, int]] = field(default_factory=deque)
    _seen: set[str] = field(default_factory=set)
    reserved: int = 0

    def add(self, urls: Iterable[str], depth: int) -> int:
        """Queue the new URLs of this site at ``depth``; return how many were new."""
        if depth > self.max_depth:
            return 0
        n = 0
        for url in urls:
            u = normalise_url(url)
            if u is None or origin(u) != self.site or u in self._seen or not looks_like_html(u):
                continue
            self._seen.add(u)
            self._queue.append((u, depth))
            n += 1
        return n

    def pop(self) -> tuple[str, int] | None:
        """The next page and its depth (reserving a budget slot), or None for none now."""
        if self.reserved >= self.max_pages or not self._queue:
            return None
        self.reserved += 1
        return self._queue.popleft()

    def release(self) -> None:
        """Give back the slot of a page that was not audited (not HTML, off-site redirect)."""
        self.reserved -= 1

    @property
    def exhausted(self) -> bool:
        """True when nothing more will be handed out (budget spent or queue empty)."""
        return self.reserved >= self.max_pages or not self._queue

    def mark_seen(self, url: str) -> None:
        """Record a URL (e.g. the target of a redirect) so it is not queued again."""
        self._seen.add(url)
