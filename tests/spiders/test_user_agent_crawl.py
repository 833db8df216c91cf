"""A source's own User-Agent on every request of its crawl, in a child process, on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cityradar import USER_AGENT
from cityradar.demo.server import Canned, Served, SiteServer
from cityradar.registry import Source
from cityradar.staging import Batch
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from tests.helpers.documents import minimal_pdf
from tests.helpers.factories import make_source

# system tests: each crawl runs in a child process, as ingest runs it
pytestmark = pytest.mark.slow

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
# rules for cityradar and for everyone else: a browser-like User-Agent does not escape the first
ROBOTS = b"User-agent: cityradar\nDisallow: /blocked/\n\nUser-agent: *\nAllow: /\n"


def _feed() -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{{base}}{path}</link><guid>{path}</guid></item>"
        for title, path in (
            ("스마트시티 실증", "/view/1"),
            ("비공개", "/blocked/1"),
            ("이동", "/go/1"),
        )
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


def _sitemap() -> str:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{{base}}/view/2</loc><lastmod>{today}</lastmod></url></urlset>"
    )


LIST_PAGE = (
    '<html><body><ul class="list"><li><a href="/view/3">자율주행 버스</a> 2026-11-20</li></ul>'
    "</body></html>"
).encode()
ARTICLE = (
    '<html lang="ko"><body><article><h1>스마트시티</h1><p>세종시는 스마트시티 실증을 시작한다. '
    "시민 누구나 새 서비스를 쓸 수 있다.</p>"
    '<div class="file"><a href="/files/annex.pdf">붙임.pdf</a></div></article></body></html>'
).encode()


@pytest.fixture(scope="module")
def site():
    with SiteServer([]) as server:
        base = server.base_url
        server.canned |= {
            "/robots.txt": Canned(200, ROBOTS, "text/plain"),
            "/feed.xml": Canned(200, _feed().format(base=base).encode(), "application/rss+xml"),
            "/sitemap.xml": Canned(200, _sitemap().format(base=base).encode(), "application/xml"),
            "/list.do": Canned(200, LIST_PAGE),
            "/files/annex.pdf": Canned(200, minimal_pdf(["Annex"]), "application/pdf"),
        }
        # a page that moved where cityradar may not go: the redirect is checked for it too
        server.canned["/go/1"] = Canned(302, b"", headers={"Location": f"{base}/blocked/2"})
        for n in (1, 2, 3):
            server.canned[f"/view/{n}"] = Canned(200, ARTICLE)
        yield server


def crawl(server: SiteServer, source: Source, tmp_path) -> tuple[object, list[Served]]:
    """Crawl ``source``; the report and the requests the server got from that crawl."""
    before = len(server.requests)
    batch = Batch.create(tmp_path, [source])
    report = crawl_in_subprocess(source, batch, crawl_overrides(0.0, 4, 60), timeout=120)
    return report, server.requests[before:]


def user_agents(requests: list[Served]) -> dict[str, str | None]:
    return {served.path: served.headers.get("User-Agent") for served in requests}


@pytest.mark.parametrize(
    ("kind", "path", "extra", "fetched"),
    [
        (
            "feed",
            "/feed.xml",
            {},
            {"/robots.txt", "/feed.xml", "/view/1", "/go/1", "/files/annex.pdf"},
        ),
        (
            "sitemap",
            "/sitemap.xml",
            {},
            {"/robots.txt", "/sitemap.xml", "/view/2", "/files/annex.pdf"},
        ),
        (
            "html",
            "/list.do",
            {"selectors": {"item": "ul.list li"}},
            {"/robots.txt", "/list.do", "/view/3", "/files/annex.pdf"},
        ),
    ],
)
def test_every_request_of_a_source_carries_its_user_agent(
    site, tmp_path, kind, path, extra, fetched
):
    source = make_source(
        id=f"ua_{kind}", kind=kind, url=f"{site.base_url}{path}", user_agent=BROWSER, **extra
    )
    report, requests = crawl(site, source, tmp_path)
    # the feed's entries that lead where robots.txt forbids cityradar are kept without a page
    assert report.status == ("partial" if kind == "feed" else "ok"), report.error
    agents = user_agents(requests)
    assert set(agents) == fetched  # robots.txt, listing, article and attachment
    assert set(agents.values()) == {BROWSER}


def test_robots_rules_are_still_read_for_cityradar(site, tmp_path):
    source = make_source(id="ua_feed", url=f"{site.base_url}/feed.xml", user_agent=BROWSER)
    report, requests = crawl(site, source, tmp_path)
    asked = user_agents(requests)
    assert "/blocked/1" not in asked
    assert "/go/1" in asked
    assert "/blocked/2" not in asked  # the redirect carried the browser's User-Agent
    assert report.articles_fetched == 1


def test_a_source_without_one_sends_cityradars(site, tmp_path):
    source = make_source(id="plain_feed", url=f"{site.base_url}/feed.xml")
    _, requests = crawl(site, source, tmp_path)
    agents = user_agents(requests)
    assert set(agents) == {"/robots.txt", "/feed.xml", "/view/1", "/go/1", "/files/annex.pdf"}
    assert set(agents.values()) == {USER_AGENT}
