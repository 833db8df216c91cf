"""Downloader middlewares: which URLs may be fetched at all, robots.txt that holds under
concurrency, the fetch log, and Retry-After."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.downloadermiddlewares import robotstxt
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from cityradar.items import FetchKind, FetchRecord, utc_now_iso
from cityradar.staging import JsonlWriter
from spiders.base import SourceSpider
from spiders.errors import describe_exception
from spiders.links import refusal

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser


class LinkPolicyMiddleware:
    """Refuses every request the source may not make: not http(s), a link-local address, or off
    the source's site. It sees redirects too (each redirect is a new request), so a page on the
    site cannot bounce the crawler to ``file:``, to a cloud metadata address or to another site.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LinkPolicyMiddleware:
        """Scrapy's constructor hook."""
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Let the request through, or raise IgnoreRequest saying why it is not fetched."""
        source = getattr(self.crawler.spider, "source", None)
        if source is None:
            return
        why = refusal(request.url, source)
        if why:
            raise IgnoreRequest(f"{why}: {request.url}")


class SourceUserAgentMiddleware:
    """Sends the source's own ``user_agent`` with every request of its crawl, robots.txt
    included, for sites that refuse non-browser clients; Scrapy's UserAgentMiddleware (later in
    the chain) leaves a User-Agent already set alone and gives every other source cityradar's.

    Which robots.txt rules apply is unchanged: they are read for cityradar
    (ROBOTSTXT_USER_AGENT), whatever the request says it is.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceUserAgentMiddleware:
        """Scrapy's constructor hook."""
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Set the source's User-Agent on a request that has none yet."""
        source = getattr(self.crawler.spider, "source", None)
        user_agent = getattr(source, "user_agent", None)
        if user_agent:
            request.headers.setdefault(b"User-Agent", user_agent)


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
        if not isinstance(spider, SourceSpider):  # only a source's crawl has a batch to log into
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
    if kind in ("feed", "list", "sitemap", "article", "attachment"):
        return kind
    if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
        return "robots"
    return "other"


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None


class RetryAfterMiddleware:
    """Honour Retry-After on 429 and 503: slow the host down and retry after the time asked.

    Scrapy's retry middleware retries at once. Here the host's download slot waits at least
    as long as the server asked, and the retried request is held until then. A wait longer
    than RETRY_AFTER_MAX is not worth holding a crawl for: the request fails with the wait in
    its message (the next scheduled run tries again), and is not retried immediately.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("RETRY_AFTER_MAX", 120.0)
        self.max_times = crawler.settings.getint("RETRY_TIMES", 2)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        """Scrapy's constructor hook."""
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        """Wait and retry, or let the response fail without an immediate retry."""
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(_header(response.headers, b"Retry-After"))
        if wait is None:
            return response  # no advice: the ordinary retry middleware decides
        tries = request.meta.get("retry_after_times", 0)
        if wait > self.max_wait or tries >= self.max_times:
            request.meta["dont_retry"] = True
            return response
        self._slow_down(request, wait)
        await asyncio.sleep(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = tries + 1
        return retry

    def _slow_down(self, request: Request, wait: float) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.delay = max(slot.delay, wait)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
