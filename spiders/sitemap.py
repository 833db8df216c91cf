"""The sitemap spider: recent URLs of a sitemap (Google News sitemaps give titles and dates too)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from scrapy.http import Request, Response

from cityradar.items import RawItem, utc_now_iso
from spiders import raw
from spiders.base import SourceSpider
from transforms.dates import parse_datetime

MAX_CHILD_SITEMAPS = 5
MAX_CHILD_SITEMAPS_BACKFILL = 100  # monthly sitemaps: eight years


class SitemapSpider(SourceSpider):
    """Reads a sitemap (or the newest sitemaps of an index) and follows recent entries.

    A backfill reads every child sitemap modified since its start date, and every entry since.
    """

    name = "sitemap"

    def first_request(self, url: str) -> Request:
        """The sitemap request."""
        return self.source_request(url, self.parse_sitemap, "sitemap")

    def parse_sitemap(self, response: Response) -> Iterator[RawItem | Request]:
        """Entries of a URL set, newest first, younger than the source's max_age_days."""
        self.state.pages += 1
        if self.is_unchanged(response):
            self.state.unchanged = self.state.pages == 1  # the top sitemap decides
            return
        page = raw.parse_sitemap(response.body)
        if page.error:
            self.state.listing_error = f"{page.error} at {response.url}"
            return
        for child in self._children_to_read(page.children):
            yield self.source_request(response.urljoin(child), self.parse_sitemap, "sitemap")
        cutoff = self.since or datetime.now(UTC) - timedelta(days=self.source.max_age_days)
        dated = [(self._date(e), e) for e in page.entries]
        recent = [e for when, e in dated if when is None or when >= cutoff]
        recent.sort(key=lambda e: self._date(e) or cutoff, reverse=True)
        fetched_at = utc_now_iso()
        for seq, entry in enumerate(recent):
            yield self.emit(
                raw.raw_item_from_sitemap(
                    entry,
                    source_id=self.source.id,
                    batch_id=self.batch.batch_id,
                    seq=seq,
                    sitemap_url=response.url,
                    fetched_at=fetched_at,
                )
            )

    def _children_to_read(self, children: list[tuple[str, str | None]]) -> list[str]:
        """The newest child sitemaps; in a backfill, every one modified since its start."""
        newest = self._newest(children)
        if self.since is None:
            return [child for child, _ in newest[:MAX_CHILD_SITEMAPS]]
        recent = [child for child, lastmod in newest if not self.is_before_since(lastmod)]
        return recent[:MAX_CHILD_SITEMAPS_BACKFILL]

    def _date(self, entry: dict[str, str | None]) -> datetime | None:
        raw_date = entry.get("published") or entry.get("lastmod")
        return parse_datetime(raw_date, self.source.timezone).value

    def _newest(self, children: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
        def when(child: tuple[str, str | None]) -> datetime:
            value = parse_datetime(child[1], self.source.timezone).value
            return value or datetime.min.replace(tzinfo=UTC)

        return sorted(children, key=when, reverse=True)
