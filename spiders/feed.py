"""The feed spider: one RSS/Atom source, and the article pages it links to on its own site."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from cityradar.items import CrawlStatus, RawItem, utc_now_iso
from cityradar.registry import Source
from cityradar.staging import Batch
from spiders import raw
from spiders.errors import describe_exception
from spiders.links import is_followable


@dataclass
class CrawlState:
    """What the spider saw, for the crawl report."""

    items_seen: int = 0
    articles_fetched: int = 0
    article_errors: int = 0
    articles_skipped: int = 0
    feed_error: str | None = None
    feed_warning: str | None = None

    def status(self, finish_reason: str | None) -> CrawlStatus:
        """ok, partial (some pages failed or the crawl was cut short), empty or failed."""
        if self.feed_error:
            return "failed"
        if self.items_seen == 0:
            return "empty" if finish_reason == "finished" else "failed"
        if self.article_errors or finish_reason != "finished":
            return "partial"
        return "ok"

    def error_text(self, finish_reason: str | None) -> str | None:
        """The problems of the crawl in one line, or None."""
        problems = []
        if self.feed_error:
            problems.append(self.feed_error)
        if self.article_errors:
            problems.append(f"{self.article_errors} article page(s) could not be fetched")
        if finish_reason not in ("finished", None):
            problems.append(f"crawl stopped early ({finish_reason})")
        if self.feed_warning and not self.feed_error:
            problems.append(f"feed is malformed but readable: {self.feed_warning}")
        return "; ".join(problems) or None


class FeedSpider(scrapy.Spider):
    """Reads one feed source and follows its entries to their article pages."""

    name = "feed"

    def __init__(self, source: Source, batch: Batch, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.batch = batch
        self.state = CrawlState()
        self._requested_links: set[str] = set()

    async def start(self) -> AsyncIterator[Request]:
        """The feed request (Scrapy 2.19 no longer calls start_requests)."""
        yield Request(
            self.source.url,
            callback=self.parse_feed,
            errback=self.feed_failed,
            meta={"cityradar_kind": "feed"},
            dont_filter=True,
        )

    def parse_feed(self, response: Response) -> Iterator[RawItem | Request]:
        """Yield each entry, or a request for its article page that yields it later."""
        feed = raw.parse_feed(
            response.body, _content_type(response), response.url, _headers(response)
        )
        if feed.error:
            self.state.feed_error = f"{feed.error} at {response.url}"
            return
        self.state.feed_warning = feed.warning
        fetched_at = utc_now_iso()
        for seq, entry in enumerate(feed.entries):
            item = raw.raw_item_from_entry(
                entry,
                source_id=self.source.id,
                batch_id=self.batch.batch_id,
                seq=seq,
                feed_url=response.url,
                fetched_at=fetched_at,
                feed=feed,
            )
            self.state.items_seen += 1
            yield self._article_request(item) or item

    def parse_article(self, response: Response, item: RawItem) -> Iterator[RawItem]:
        """Complete an item with its article page."""
        content = raw.extract_article(response.body, _content_type(response), response.url)
        item.article_url = response.url
        item.article_status = response.status
        item.article_title = content.title
        item.article_text = content.text
        item.article_published_raw = content.published_raw
        item.article_language = content.language
        item.article_canonical = content.canonical
        self.state.articles_fetched += 1
        yield item

    def article_failed(self, failure: Failure) -> Iterator[RawItem]:
        """Keep the feed item when its page cannot be fetched, and say why."""
        item: RawItem = failure.request.cb_kwargs["item"]
        item.article_error = describe_exception(failure.value)
        if isinstance(failure.value, HttpError):
            item.article_status = failure.value.response.status
        self.state.article_errors += 1
        yield item

    def feed_failed(self, failure: Failure) -> None:
        """Record why the feed itself could not be fetched."""
        self.state.feed_error = f"{describe_exception(failure.value)} (feed {self.source.url})"

    def _article_request(self, item: RawItem) -> Request | None:
        link = item.link
        if not self.source.fetch_articles or not link or not is_followable(link, self.source):
            return None
        if link in self._requested_links:
            return None  # a repeated entry; Scrapy's dupe filter would drop it silently
        if len(self._requested_links) >= self.source.max_articles:
            self.state.articles_skipped += 1
            return None
        self._requested_links.add(link)
        return Request(
            link,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"item": item},
            meta={"cityradar_kind": "article"},
        )


def _headers(response: Response) -> dict[str, str]:
    return {
        name.decode("latin-1"): b", ".join(values).decode("latin-1")
        for name, values in response.headers.items()
    }


def _content_type(response: Response) -> str | None:
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None
