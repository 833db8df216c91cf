"""Item pipeline: raw items and the crawl report go to the staging batch, never to DuckDB."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import signals

from cityradar.items import CrawlReport, RawItem, utc_now_iso
from cityradar.staging import JsonlWriter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from spiders.base import SourceSpider


class StagingPipeline:
    """Appends each RawItem to the batch; writes the CrawlReport when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._writer: JsonlWriter | None = None
        self._started_at = utc_now_iso()
        # the report needs the finish reason, which only spider_closed carries
        crawler.signals.connect(self._write_report, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StagingPipeline:
        """Scrapy's constructor hook."""
        return cls(crawler)

    def open_spider(self) -> None:
        """Open the items file of this source in the batch."""
        spider = self._spider()
        self._started_at = utc_now_iso()
        self._writer = JsonlWriter(spider.batch.items_file(spider.source.id))

    def process_item(self, item: RawItem) -> RawItem:
        """Write the item at once, so a crash later keeps it."""
        assert self._writer is not None, "open_spider runs first"
        self._writer.write(item.to_dict())
        spider = self._spider()
        spider.state.notes.observe(item, spider.source.timezone)
        return item

    def close_spider(self) -> None:
        """Close the items file."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _write_report(self, reason: str) -> None:
        spider = self._spider()
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        spider.batch.write_report(
            CrawlReport(
                source_id=spider.source.id,
                batch_id=spider.batch.batch_id,
                started_at=self._started_at,
                finished_at=utc_now_iso(),
                status=spider.state.status(reason),
                items_seen=spider.state.items_seen,
                articles_fetched=spider.state.articles_fetched,
                article_errors=spider.state.article_errors,
                articles_skipped=spider.state.articles_skipped,
                pages=spider.state.pages,
                requests=int(stats.get("downloader/request_count", 0)),
                bytes=int(stats.get("downloader/response_bytes", 0)),
                error=spider.state.error_text(reason),
                finish_reason=reason,
                retryable=spider.state.retryable(reason),
                network_failure=spider.state.network_failure(reason),
                extract_seconds=round(spider.state.extract_seconds, 3),
                inferred_selectors=spider.state.inferred_selectors,
            )
        )

    def _spider(self) -> SourceSpider:
        spider = self.crawler.spider
        assert spider is not None
        return spider  # type: ignore[return-value]
