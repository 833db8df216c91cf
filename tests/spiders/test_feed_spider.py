"""The feed spider's callbacks, driven with real Scrapy responses built from fixtures."""

from __future__ import annotations

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from cityradar.items import RawItem
from cityradar.staging import Batch
from spiders.errors import describe_exception
from spiders.feed import CrawlState, FeedSpider
from tests.helpers.documents import minimal_hwpx
from tests.helpers.factories import make_source
from tests.helpers.paths import FIXTURES

FEED_URL = "https://www.koreadaily.example/rss/all.xml"


def _spider(tmp_path, **source_fields) -> FeedSpider:
    source = make_source(url=FEED_URL, language="en", **source_fields)
    return FeedSpider(source=source, batch=Batch.create(tmp_path, [source]))


def _feed_response(body: bytes, content_type: str = "application/atom+xml") -> TextResponse:
    return TextResponse(
        url=FEED_URL, body=body, headers={"Content-Type": content_type}, request=Request(FEED_URL)
    )


def _atom(*links: str) -> bytes:
    entries = "".join(
        f'<entry><title>Story {n}</title><link href="{link}"/><id>id-{n}</id>'
        f"<published>2026-11-20T08:00:00+09:00</published></entry>"
        for n, link in enumerate(links)
    )
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'.encode()


def test_same_site_links_become_article_requests_and_other_links_stay_items(tmp_path):
    spider = _spider(tmp_path)
    body = (FIXTURES / "feeds/atom_news.xml").read_bytes()
    request, item = list(spider.parse_feed(_feed_response(body)))
    assert isinstance(request, Request)
    assert request.url == "https://www.koreadaily.example/view/AEN20261120000100"
    assert request.cb_kwargs["item"].title == "Busan pilots smart crosswalks near schools"
    assert isinstance(item, RawItem)
    assert item.link == "https://other.example.org/brief/1"
    assert spider.state.items_seen == 2


def test_a_repeated_link_is_not_fetched_twice_but_its_entry_is_kept(tmp_path):
    spider = _spider(tmp_path)
    link = "https://www.koreadaily.example/view/1"
    outputs = list(spider.parse_feed(_feed_response(_atom(link, link))))
    assert [type(o).__name__ for o in outputs] == ["Request", "RawItem"]


def test_max_articles_caps_page_fetches_not_items(tmp_path):
    spider = _spider(tmp_path, max_articles=1)
    links = [f"https://www.koreadaily.example/view/{n}" for n in range(3)]
    outputs = list(spider.parse_feed(_feed_response(_atom(*links))))
    assert [type(o).__name__ for o in outputs] == ["Request", "RawItem", "RawItem"]
    assert spider.state.articles_skipped == 2


def test_fetch_articles_false_yields_every_entry_directly(tmp_path):
    spider = _spider(tmp_path, fetch_articles=False)
    outputs = list(
        spider.parse_feed(_feed_response(_atom("https://www.koreadaily.example/view/1")))
    )
    assert [type(o).__name__ for o in outputs] == ["RawItem"]


def test_links_that_are_not_http_are_never_followed(tmp_path):
    spider = _spider(tmp_path)
    outputs = list(
        spider.parse_feed(_feed_response(_atom("javascript:alert(1)", "file:///etc/passwd")))
    )
    assert all(isinstance(o, RawItem) for o in outputs)


def _article_response(url: str = "https://www.mois.example.kr/a") -> HtmlResponse:
    return HtmlResponse(
        url=url,
        body=(FIXTURES / "pages/mois_article.html").read_bytes(),
        headers={"Content-Type": "text/html; charset=UTF-8"},
        request=Request(url),
    )


def test_an_article_page_completes_its_item_after_its_attachments(tmp_path):
    spider = _spider(tmp_path)
    item = RawItem(
        "s", "b", 0, FEED_URL, "2026-11-20T00:00:00+00:00", link="https://www.mois.example.kr/a"
    )
    (attachment_request,) = list(spider.parse_article(_article_response(), item))
    assert attachment_request.url.startswith("https://www.mois.example.kr/cmm/fms/FileDown.do")
    assert attachment_request.meta["cityradar_kind"] == "attachment"
    document = Response(
        url=attachment_request.url,
        body=minimal_hwpx(["행정안전부 디지털트윈 재난관리 플랫폼 계획", "대전 광주 시범 운영"]),
        request=attachment_request,
    )
    (done,) = list(attachment_request.callback(document, **attachment_request.cb_kwargs))
    assert done is item
    assert done.article_status == 200
    assert "디지털트윈 기반 재난관리 플랫폼" in done.article_text
    assert done.article_published_raw == "2026-11-20T10:00:00+09:00"
    assert done.article_licence == "KOGL-1"
    (attachment,) = done.attachments
    assert attachment["kind"] == "hwpx"
    assert attachment["name"] == "(보도자료) 디지털트윈 재난관리 플랫폼.hwpx"
    assert attachment["text"] == "행정안전부 디지털트윈 재난관리 플랫폼 계획\n대전 광주 시범 운영"
    assert spider.state.articles_fetched == 1


def test_an_attachment_that_fails_is_noted_and_the_item_kept(tmp_path):
    spider = _spider(tmp_path)
    item = RawItem(
        "s", "b", 0, FEED_URL, "2026-11-20T00:00:00+00:00", link="https://www.mois.example.kr/a"
    )
    (attachment_request,) = list(spider.parse_article(_article_response(), item))
    gone = HtmlResponse(
        url=attachment_request.url, status=404, body=b"", request=attachment_request
    )
    failure = Failure(HttpError(gone, "Ignoring non-200 response"))
    failure.request = attachment_request
    (done,) = list(spider.attachment_failed(failure))
    assert done is item
    assert done.attachments[0]["error"].startswith("HTTP 404 Not Found")


def test_a_failed_article_page_keeps_the_item_and_says_why(tmp_path):
    spider = _spider(tmp_path)
    item = RawItem(
        "s",
        "b",
        0,
        FEED_URL,
        "2026-11-20T00:00:00+00:00",
        link="https://www.koreadaily.example/gone",
    )
    request = Request(item.link, cb_kwargs={"item": item})
    response = HtmlResponse(url=item.link, status=404, body=b"<html>gone</html>", request=request)
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = request
    (kept,) = list(spider.article_failed(failure))
    assert kept is item
    assert kept.article_status == 404
    assert kept.article_error == "HTTP 404 Not Found from https://www.koreadaily.example/gone"
    assert spider.state.article_errors == 1


def test_an_html_page_instead_of_the_feed_fails_the_crawl_loudly(tmp_path):
    spider = _spider(tmp_path)
    body = (FIXTURES / "feeds/html_error.html").read_bytes()
    assert list(spider.parse_feed(_feed_response(body, "text/html; charset=utf-8"))) == []
    assert spider.state.status("finished") == "failed"
    assert "not a feed: the server sent an HTML page" in spider.state.error_text("finished")


@pytest.mark.parametrize(
    ("state", "reason", "status"),
    [
        (CrawlState(items_seen=5, articles_fetched=5), "finished", "ok"),
        (CrawlState(items_seen=5, article_errors=1), "finished", "partial"),
        (CrawlState(items_seen=5), "closespider_timeout", "partial"),
        (CrawlState(items_seen=0), "finished", "empty"),
        (CrawlState(items_seen=0), "shutdown", "failed"),
        (CrawlState(listing_error="HTTP 404"), "finished", "failed"),
    ],
)
def test_crawl_status_rules(state, reason, status):
    assert state.status(reason) == status


@pytest.mark.parametrize(
    ("exception", "words"),
    [
        (
            CannotResolveHostError(
                "DNS lookup failed: no results for hostname lookup: www.molit.go.kr."
            ),
            "DNS lookup failed for www.molit.go.kr (unknown host, or no network)",
        ),
        (
            DownloadConnectionRefusedError("Connection was refused by other side: 111"),
            "connection refused: ",
        ),
        (DownloadTimeoutError("Getting https://x took longer than 30.0 seconds."), "timed out: "),
        (ResponseDataLossError("Got data loss"), "response cut short"),
        (IgnoreRequest("Forbidden by robots.txt"), "Forbidden by robots.txt"),
    ],
)
def test_failures_are_described_in_words(exception, words):
    assert describe_exception(exception).startswith(words)


def test_a_body_identical_to_the_last_crawl_is_unchanged_even_without_validators(tmp_path):
    import hashlib

    from cityradar.items import SourceState

    body = (FIXTURES / "feeds/atom_news.xml").read_bytes()
    source = make_source(url=FEED_URL, language="en")
    batch = Batch.create(tmp_path, [source])
    batch.write_state(
        source.id,
        SourceState(validators={FEED_URL: {"body_sha256": hashlib.sha256(body).hexdigest()}}),
    )
    spider = FeedSpider(source=source, batch=batch)
    assert list(spider.parse_feed(_feed_response(body))) == []
    assert spider.state.status("finished") == "unchanged"
    changed = FeedSpider(source=source, batch=batch)
    assert (
        len(
            list(
                changed.parse_feed(_feed_response(body.replace(b"Busan pilots", b"Busan expands")))
            )
        )
        == 2
    )


def test_conditional_headers_come_from_the_last_good_response(tmp_path):
    from cityradar.items import SourceState

    source = make_source(url=FEED_URL, language="en")
    batch = Batch.create(tmp_path, [source])
    batch.write_state(
        source.id,
        SourceState(
            validators={
                FEED_URL: {"etag": '"abc"', "last_modified": "Tue, 24 Nov 2026 00:00:00 GMT"}
            }
        ),
    )
    request = FeedSpider(source=source, batch=batch).source_request(FEED_URL, None, "feed")
    assert request.headers[b"If-None-Match"] == b'"abc"'
    assert request.headers[b"If-Modified-Since"] == b"Tue, 24 Nov 2026 00:00:00 GMT"
    assert request.meta["handle_httpstatus_list"] == [304]
