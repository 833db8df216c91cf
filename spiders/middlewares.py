"""Downloader middlewares: robots.txt that holds under concurrency, and the fetch log."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.downloadermiddlewares import robotstxt
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from cityradar.items import FetchKind, FetchRecord, utc_now_iso
from cityradar.staging import JsonlWriter
from spiders.errors import describe_exception

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser


class RobotsTxtMiddleware(robotstxt.RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, fixed for requests that wait on the same robots.txt.

    In Scrapy 2.19 every request after the first that arrives while a host's robots.txt is
    still downloading awaits the shared Deferred directly; the first waiter consumes its
    result and the rest receive None, which means "no rules" — disallowed pages get fetched
    (scrapy/scrapy PR #6802 introduced it; its review noted the path had no test). Each waiter
    here gets its own Deferred that relays the parser and passes it on down the chain.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The robots parser for the request's host, downloading robots.txt once."""
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            waiter: Deferred[RobotParser | None] = Deferred()

            def relay(parser: RobotParser | None) -> RobotParser | None:
                waiter.callback(parser)
                return parser

            pending.addCallback(relay)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)


class FetchLogMiddleware:
    """Writes one FetchRecord per download attempt, failures included, to the staging batch."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._writer: JsonlWriter | None = None
        crawler.signals.connect(self._close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchLogMiddleware:
        """Scrapy's constructor hook."""
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        """Log a response (any status) and pass it on."""
        headers = response.headers
        self._write(
            request,
            status=response.status,
            bytes=len(response.body),
            content_type=_header(headers, b"Content-Type"),
            etag=_header(headers, b"ETag"),
            last_modified=_header(headers, b"Last-Modified"),
            body_sha256=hashlib.sha256(response.body).hexdigest(),
        )
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        """Log a failed attempt; the retry middleware decides what happens next."""
        self._write(request, error=describe_exception(exception))

    def _write(self, request: Request, **fields: Any) -> None:
        spider = self.crawler.spider
        if spider is None or not hasattr(spider, "batch"):
            return
        if self._writer is None:
            self._writer = JsonlWriter(spider.batch.fetches_file(spider.source.id))
        latency = request.meta.get("download_latency")
        record = FetchRecord(
            source_id=spider.source.id,
            batch_id=spider.batch.batch_id,
            url=request.url,
            kind=_kind(request),
            fetched_at=utc_now_iso(),
            duration_ms=round(latency * 1000, 1) if latency is not None else None,
            **fields,
        )
        self._writer.write(record.to_dict())

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _kind(request: Request) -> FetchKind:
    kind = request.meta.get("cityradar_kind")
    if kind in ("feed", "article"):
        return kind
    if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
        return "robots"
    return "other"


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None
