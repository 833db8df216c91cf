"""Which URLs a source's crawl may fetch: http(s), on its site or listed domains, never link-local."""

from __future__ import annotations

import pytest

from spiders.links import refusal
from tests.helpers.factories import make_source

SOURCE = make_source(
    url="https://news.seoul.go.kr/gov/rss.xml", allowed_domains=["cdn.seoulnews.example"]
)


@pytest.mark.parametrize(
    "url",
    [
        "https://news.seoul.go.kr/gov/archives/1",
        "http://www.seoul.go.kr/news/2",  # the same registrable domain
        "https://cdn.seoulnews.example/files/a.pdf",  # a listed domain
        "https://img.cdn.seoulnews.example/a.png",  # and its subdomains
    ],
)
def test_the_sources_site_and_listed_domains_are_fetched(url):
    assert refusal(url, SOURCE) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("file:///etc/passwd", "only http and https links are followed (file scheme)"),
        ("javascript:alert(1)", "only http and https links are followed (javascript scheme)"),
        ("data:text/html,<script>x</script>", "(data scheme)"),
        ("ftp://news.seoul.go.kr/a", "(ftp scheme)"),
        ("/relative/path", "(no scheme)"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[::ffff:169.254.169.254]/", "is a link-local address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://0.0.0.0:8080/", "0.0.0.0 is no host's address"),
        ("https://www.busan.go.kr/news/1", "www.busan.go.kr is outside the source's site"),
        ("https://seoul.go.kr.evil.example/", "outside the source's site"),
        ("http://127.0.0.1:8080/admin", "127.0.0.1 is outside the source's site"),
    ],
)
def test_everything_else_is_refused_saying_why(url, words):
    why = refusal(url, SOURCE)
    assert why is not None
    assert why.startswith("not fetched: ")
    assert words in why


def test_a_source_on_a_loopback_or_private_address_may_fetch_its_own_pages():
    local = make_source(url="http://127.0.0.1:8808/site/rss.xml")
    assert refusal("http://127.0.0.1:8808/site/view/1", local) is None
    assert refusal("http://127.0.0.2:8808/site/view/1", local) is not None  # another host
