"""The feed spider: one RSS/Atom source, and the article pages it links to on its own site."""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Request, Response

from cityradar.items import RawItem, utc_now_iso
from spiders import raw
from spiders.base import CrawlState, SourceSpider, content_type, response_headers

__all__ = ["CrawlState", "FeedSpider"]


class FeedSpider(SourceSpider):
    """Reads one feed source and follows its entries to their article pages."""

    name = "feed"

    def first_request(self, url: str) -> Request:
        """The feed request."""
        return self.source_request(url, self.parse_feed, "feed")

    def parse_feed(self, response: Response) -> Iterator[RawItem | Request]:
        """Yield each entry, or a request for its article page that yields it later."""
        self.state.pages += 1
        if self.is_unchanged(response):
            self.state.unchanged = True
            return
        feed = raw.parse_feed(
            response.body, content_type(response), response.url, response_headers(response)
        )
        if feed.error:
            self.state.listing_error = f"{feed.error} at {response.url}"
            return
        self.state.listing_warning = feed.warning
        fetched_at = utc_now_iso()
        for seq, entry in enumerate(feed.entries):
            yield self.emit(
                raw.raw_item_from_entry(
                    entry,
                    source_id=self.source.id,
                    batch_id=self.batch.batch_id,
                    seq=seq,
                    feed_url=response.url,
                    fetched_at=fetched_at,
                    feed=feed,
                )
            )
