"""Site quirks from sources.md §5, each played by a local server and crawled in a child process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cityradar.demo.server import Canned, Served, SiteServer
from cityradar.staging import Batch
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from tests.helpers.factories import make_source
from tests.helpers.tls import self_signed_localhost, server_context

# system tests: each crawl runs in a child process, as ingest runs it
pytestmark = pytest.mark.slow

FAST = {**crawl_overrides(delay=0.0, per_host=4, timeout=60)}
FEED = (
    b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>\xea\xb5\xad\xed\x86\xa0\xeb\xb6\x80 \xeb\xb3\xb4\xeb\x8f\x84\xec\x9e\x90\xeb\xa3\x8c</title>"
    b"<link>https://elsewhere.example.org/1</link><guid>1</guid></item></channel></rss>"
)  # one entry, titled 국토부 보도자료, linking off-site (no article fetch)


def crawl(tmp_path, source, overrides=FAST, timeout=90):
    batch = Batch.create(tmp_path, [source])
    return crawl_in_subprocess(source, batch, overrides, timeout), batch


def test_tls_is_verified_and_a_source_can_supply_its_missing_ca(tmp_path):
    cert, key = self_signed_localhost(tmp_path)
    with SiteServer(
        [], {"/rss.xml": Canned(200, FEED, "application/rss+xml")}, tls=server_context(cert, key)
    ) as server:
        url = server.base_url.replace("127.0.0.1", "localhost") + "/rss.xml"
        refused, _ = crawl(tmp_path / "a", make_source(url=url))
        trusted, batch = crawl(tmp_path / "b", make_source(url=url, ca_file=str(cert)))
    assert refused.status == "failed"
    assert refused.error.startswith("TLS handshake failed")
    assert "certificate verify failed" in refused.error
    assert trusted.status == "ok"
    assert [i.title for i in batch.raw_items()] == ["국토부 보도자료"]


def test_a_cookie_challenge_is_answered_like_a_browser(tmp_path):
    def molit(request: Served) -> Canned:
        if "TMOSHCooKie=ok" not in request.headers.get("Cookie", ""):
            return Canned(
                307, b"", headers={"Set-Cookie": "TMOSHCooKie=ok; Path=/", "Location": request.path}
            )
        return Canned(200, FEED, "application/rss+xml")

    with SiteServer([], routes={"/dev/board/board_rss.jsp": molit}) as server:
        report, batch = crawl(
            tmp_path, make_source(url=f"{server.base_url}/dev/board/board_rss.jsp?rss_id=NEWS")
        )
        statuses = [r.status for r in server.requests if r.path.startswith("/dev/")]
    assert statuses == [307, 200]
    assert report.status == "ok"
    assert len(list(batch.raw_items())) == 1


def test_a_post_only_feed(tmp_path):
    def motir(request: Served) -> Canned:
        if request.method != "POST":
            return Canned(405, b"Method Not Allowed", "text/plain")
        return Canned(200, FEED, "application/rss+xml")

    with SiteServer([], routes={"/kor/article/rss": motir}) as server:
        url = f"{server.base_url}/kor/article/rss"
        posted, batch = crawl(tmp_path / "a", make_source(url=url, method="POST"))
        got, _ = crawl(tmp_path / "b", make_source(url=url), {**FAST, "RETRY_TIMES": 0})
    assert posted.status == "ok"
    assert len(list(batch.raw_items())) == 1
    assert got.status == "failed"
    assert "HTTP 405" in got.error


def test_retry_after_is_honoured_on_429(tmp_path):
    seen = []

    def limited(request: Served) -> Canned:
        seen.append(request.at)
        if len(seen) == 1:
            return Canned(429, b"slow down", "text/plain", {"Retry-After": "2"})
        return Canned(200, FEED, "application/rss+xml")

    with SiteServer([], routes={"/rss.xml": limited}) as server:
        report, _ = crawl(tmp_path, make_source(url=f"{server.base_url}/rss.xml"))
    assert report.status == "ok"
    assert len(seen) == 2
    assert seen[1] - seen[0] >= 2.0  # waited as asked, not retried at once


def test_a_retry_after_longer_than_a_run_fails_the_source_without_hammering(tmp_path):
    calls = []

    def closed(request: Served) -> Canned:
        calls.append(request.path)
        return Canned(503, b"maintenance", "text/plain", {"Retry-After": "3600"})

    with SiteServer([], routes={"/rss.xml": closed}) as server:
        report, _ = crawl(tmp_path, make_source(url=f"{server.base_url}/rss.xml"))
    assert report.status == "failed"
    assert "HTTP 503 Service Unavailable" in report.error
    assert "the server asks to wait 3600 before retrying" in report.error
    assert calls == ["/rss.xml"]


def test_robots_txt_can_be_overridden_only_with_a_reason(tmp_path):
    page = (
        b"<html><body><article><p>Published for everyone, robots.txt notwithstanding. " * 5
        + b"</p></article></body></html>"
    )
    with SiteServer([], {"/private/1.html": Canned(200, page)}) as server:
        feed = FEED.replace(
            b"https://elsewhere.example.org/1", f"{server.base_url}/private/1.html".encode()
        )
        server.canned["/rss.xml"] = Canned(200, feed, "application/rss+xml")
        source = make_source(
            url=f"{server.base_url}/rss.xml",
            obey_robots=False,
            robots_reason="the agency asked us to index its releases (letter of 2026-10-01)",
        )
        report, batch = crawl(tmp_path, source)
    (item,) = batch.raw_items()
    assert report.status == "ok"
    assert "robots.txt notwithstanding" in item.article_text


def test_a_google_news_sitemap_gives_recent_titled_entries(tmp_path):
    now = datetime.now(UTC)
    fresh = (now - timedelta(hours=3)).isoformat(timespec="seconds")
    stale = (now - timedelta(days=30)).isoformat(timespec="seconds")
    sitemap = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://elsewhere.example.org/view/AEN1</loc><news:news><news:publication><news:name>Yonhap</news:name>
<news:language>en</news:language></news:publication><news:publication_date>{fresh}</news:publication_date>
<news:title>Seoul expands smart crosswalks</news:title><news:keywords>smart city, Seoul</news:keywords></news:news></url>
<url><loc>https://elsewhere.example.org/view/AEN0</loc><news:news><news:publication_date>{stale}</news:publication_date>
<news:title>Old story</news:title></news:news></url>
</urlset>""".encode()
    with SiteServer([], {"/news-sitemap.xml": Canned(200, sitemap, "application/xml")}) as server:
        source = make_source(
            kind="sitemap", url=f"{server.base_url}/news-sitemap.xml", language="en", max_age_days=3
        )
        report, batch = crawl(tmp_path, source)
    (item,) = batch.raw_items()
    assert report.status == "ok"
    assert item.title == "Seoul expands smart crosswalks"
    assert item.published_raw == fresh
    assert item.categories == ["smart city", "Seoul"]
    assert item.listing_language == "en"


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_sitemap_index_leads_to_its_newest_sitemaps(tmp_path, gzipped):
    import gzip

    now = datetime.now(UTC).isoformat(timespec="seconds")
    child = f"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://elsewhere.example.org/a</loc><lastmod>{now}</lastmod></url></urlset>""".encode()
    with SiteServer([]) as server:
        name = "/sitemap-1.xml.gz" if gzipped else "/sitemap-1.xml"
        body = gzip.compress(child) if gzipped else child
        server.canned[name] = Canned(
            200, body, "application/x-gzip" if gzipped else "application/xml"
        )
        index = f"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{server.base_url}{name}</loc><lastmod>{now}</lastmod></sitemap></sitemapindex>""".encode()
        server.canned["/sitemap.xml"] = Canned(200, index, "application/xml")
        report, batch = crawl(
            tmp_path, make_source(kind="sitemap", url=f"{server.base_url}/sitemap.xml")
        )
    assert report.status == "ok"
    assert [i.link for i in batch.raw_items()] == ["https://elsewhere.example.org/a"]
    assert report.pages == 2
