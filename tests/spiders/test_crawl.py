"""Real crawls in a child process against sites served on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cityradar.demo.server import Canned, SiteServer
from cityradar.demo.sites import bundled_sites
from cityradar.staging import Batch
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from tests.helpers.factories import make_source
from tests.helpers.paths import FIXTURES

# system tests: each crawl runs in a child process, as ingest runs it
pytestmark = pytest.mark.slow

FAST = crawl_overrides(delay=0.0, per_host=4, timeout=60)


def _private_feed(article_base: str, count: int) -> bytes:
    items = "".join(
        f"<item><title>비공개 {n}</title><link>{article_base}/private/{n}.html</link><guid>p{n}</guid></item>"
        for n in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def robots_race_crawl(tmp_path, overrides: dict[str, object]) -> tuple[list[str], Batch, object]:
    """A feed on 127.0.0.1 whose articles live on another host (localhost), as Korea Times'
    feed host differs from its article host: the article requests all wait for that host's
    robots.txt at once."""
    with SiteServer([]) as server:
        article_base = server.base_url.replace("127.0.0.1", "localhost")
        server.canned["/feed.xml"] = Canned(
            200, _private_feed(article_base, 6), "application/rss+xml"
        )
        source = make_source(url=f"{server.base_url}/feed.xml", allowed_domains=["localhost"])
        batch = Batch.create(tmp_path, [source])
        report = crawl_in_subprocess(source, batch, overrides, timeout=120)
        return server.paths_requested(), batch, report


@pytest.fixture(scope="module")
def seoul_crawl(tmp_path_factory):
    site = next(s for s in bundled_sites(datetime.now(UTC)) if s.slug == "seoul-news")
    with SiteServer([site]) as server:
        source = make_source(**{**site.source_entry(server.base_url), "id": "seoul_news"})
        batch = Batch.create(tmp_path_factory.mktemp("staging"), [source])
        report = crawl_in_subprocess(source, batch, FAST, timeout=120)
        yield report, batch, server.paths_requested()


def test_a_crawl_reports_ok_and_writes_every_entry_with_its_page(seoul_crawl):
    report, batch, _ = seoul_crawl
    assert report.status == "ok"
    assert report.error is None
    assert report.items_seen == 10
    assert report.articles_fetched == 10
    items = list(batch.raw_items())
    assert len(items) == 10
    deliveries = next(i for i in items if i.title.startswith("서울시, 심야 자율주행버스"))
    assert "강남역과 수서역을 잇고" in deliveries.article_text
    assert "많이 본 소식" not in deliveries.article_text  # the sidebar is not the article


def test_the_fetch_log_records_robots_feed_and_pages_with_hashes(seoul_crawl):
    report, batch, requested = seoul_crawl
    log = list(batch.fetch_records())
    kinds = [f.kind for f in log]
    assert kinds.count("robots") == 1
    assert kinds.count("feed") == 1
    assert kinds.count("article") == 10
    feed = next(f for f in log if f.kind == "feed")
    assert feed.status == 200
    assert feed.bytes > 1000
    assert len(feed.body_sha256) == 64
    assert feed.content_type == "application/rss+xml; charset=utf-8"
    assert requested[0] == "/robots.txt"  # asked before anything else
    assert report.requests == len(log)


def test_robots_txt_holds_for_every_concurrent_request(tmp_path):
    requested, batch, report = robots_race_crawl(tmp_path, FAST)
    assert requested.count("/robots.txt") == 2  # one per host
    assert not [path for path in requested if path.startswith("/private/")]
    items = list(batch.raw_items())
    assert len(items) == 6  # every entry kept, without its page
    assert {i.article_error for i in items} == {"Forbidden by robots.txt"}
    assert report.status == "partial"


@pytest.mark.parametrize(
    ("canned", "expected"),
    [
        (Canned(404, b"<html><body>Not Found</body></html>"), "HTTP 404 Not Found from"),
        (
            Canned(403, b"<html><body>Access Denied</body></html>"),
            "/feed.xml: refused (often the User-Agent or the client's country)",
        ),
        (
            Canned(200, (FIXTURES / "feeds/html_error.html").read_bytes()),
            "not a feed: the server sent an HTML page",
        ),
    ],
)
def test_a_broken_feed_fails_the_source_with_the_reason(tmp_path, canned, expected):
    with SiteServer([], {"/feed.xml": canned}) as server:
        source = make_source(url=f"{server.base_url}/feed.xml")
        batch = Batch.create(tmp_path, [source])
        report = crawl_in_subprocess(source, batch, {**FAST, "RETRY_TIMES": 0}, timeout=120)
    assert report.status == "failed"
    assert expected in report.error
    assert list(batch.raw_items()) == []


def test_a_hanging_crawl_is_killed_and_reported(tmp_path):
    with SiteServer([], {"/feed.xml": Canned(200, b"", delay=30)}) as server:
        source = make_source(url=f"{server.base_url}/feed.xml")
        batch = Batch.create(tmp_path, [source])
        overrides = {**FAST, "DOWNLOAD_TIMEOUT": 120, "CLOSESPIDER_TIMEOUT": 120}
        report = crawl_in_subprocess(source, batch, overrides, timeout=6)
    assert report.status == "failed"
    assert report.error == "crawl process killed after 6 s without finishing"
    assert batch.read_report(source.id) == report  # written for the loader too


def test_a_refused_connection_is_a_warning_line_in_the_crawl_log(tmp_path):
    from tests.helpers.network import free_port

    source = make_source(url=f"http://127.0.0.1:{free_port()}/feed.xml")
    batch = Batch.create(tmp_path, [source])
    report = crawl_in_subprocess(source, batch, {**FAST, "RETRY_TIMES": 1}, timeout=120)
    assert report.status == "failed"
    assert report.error.startswith("connection refused")
    log = batch.log_file(source.id).read_text(encoding="utf-8")
    # robots.txt's and the feed's failures: one warning each, no traceback, no error
    assert "WARNING: Error downloading <GET http://127.0.0.1:" in log
    assert "WARNING: Gave up retrying <GET http://127.0.0.1:" in log
    assert "Traceback" not in log
    assert "] ERROR:" not in log
    assert "Remote control" not in log  # Scrapy's code-running HTTP port stays shut
