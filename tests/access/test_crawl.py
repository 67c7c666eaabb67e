"""Which pages a crawl visits: URL normalisation, same origin, depth, budget, sitemaps."""

from __future__ import annotations

import pytest

from ssckit.access.crawl import Frontier, normalise_url, read_sitemap, same_origin_links
from ssckit.core.errors import InputError


@pytest.mark.parametrize(("href", "expected"), [
    ("b.html#part", "http://h.test/a/b.html"),
    ("/x?q=1#f", "http://h.test/x?q=1"),
    ("HTTP://H.TEST:80", "http://h.test/"),
    ("https://h.test:443/p", "https://h.test/p"),
    ("http://h.test:8080/p?", "http://h.test:8080/p"),
    ("../up.html", "http://h.test/up.html"),
    ("mailto:a@h.test", None),
    ("javascript:void(0)", None),
    ("tel:+100", None),
])
def test_normalise_url(href: str, expected: str | None) -> None:
    assert normalise_url(href, "http://h.test/a/index.html") == expected


def test_same_origin_links() -> None:
    links = same_origin_links(
        ["b.html", "b.html#x", "http://other.test/", "doc.pdf", "img/p.PNG", "mailto:x@y",
         "https://h.test/secure", "c?page=2", "http://h.test:81/"],
        "http://h.test/a/")
    assert links == ["http://h.test/a/b.html", "http://h.test/a/c?page=2"]


def test_frontier_depth_and_budget() -> None:
    f = Frontier("http://h.test", max_depth=1, max_pages=3)
    assert f.add(["http://h.test/", "http://h.test/#top", "http://x.test/"], 0) == 1
    assert f.pop() == ("http://h.test/", 0)
    assert f.add(["http://h.test/a", "http://h.test/b", "http://h.test/c"], 1) == 3
    assert f.add(["http://h.test/deep"], 2) == 0  # beyond max_depth
    assert f.pop() == ("http://h.test/a", 1)
    f.release()  # /a was not HTML: its slot returns
    assert f.pop() == ("http://h.test/b", 1)
    assert f.pop() == ("http://h.test/c", 1)
    assert f.pop() is None and f.exhausted  # budget of 3 spent


def test_sitemap(site_url: str) -> None:
    pages = read_sitemap(site_url + "sitemap.xml")
    assert pages == [site_url + "clean.html", site_url + "form.html",
                     "http://example.com/other.html"]
    with pytest.raises(InputError, match="not an XML sitemap"):
        read_sitemap(site_url + "index.html")
    with pytest.raises(InputError, match="cannot fetch"):
        read_sitemap(site_url + "missing.xml")
