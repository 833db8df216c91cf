"""What every spider kind shares: conditional requests, article pages, attachments, the crawl state.

A kind (feed, html list, sitemap) only finds entries; ``emit`` decides whether an entry's
article page is fetched (same site, not known and unchanged, under the cap), and the article
callbacks complete the item with its text, licence and attached documents.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from time import perf_counter
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from cityradar.items import CrawlStatus, FetchKind, RawItem, entry_fingerprint
from cityradar.registry import Source
from cityradar.secrets import MissingSecret, expand, redact
from cityradar.staging import Batch
from spiders import raw
from spiders.documents import document_text, is_readable
from spiders.errors import (
    NetworkFailure,
    describe_exception,
    failed_request,
    is_transient,
    network_failure,
)
from spiders.links import is_followable
from spiders.notes import EntryNotes
from transforms.dates import parse_datetime
from transforms.urls import canonical_url

MAX_ATTACHMENTS_PER_ITEM = 3
ATTACHMENT_MAXSIZE = 20 * 1024 * 1024


@dataclass
class CrawlState:
    """What the spider saw, for the crawl report."""

    items_seen: int = 0
    articles_fetched: int = 0
    article_errors: int = 0
    articles_skipped: int = 0
    pages: int = 0
    unchanged: bool = False
    # "listing": whatever lists the source's entries, i.e. its feed, board list page or sitemap
    listing_error: str | None = None  # the listing could not be fetched or read: the crawl failed
    listing_error_transient: bool = False
    listing_error_network: NetworkFailure | None = None  # the listing's host was never reached
    extract_seconds: float = 0.0  # time spent extracting article text (the benchmark's stage)
    listing_warning: str | None = None  # the listing is faulty but readable (only feeds say so)
    list_page_error: str | None = None  # a list page after the first could not be fetched
    selector_miss: str | None = None
    # the list selectors found on the page (spiders/board_inference.py), when none were configured or the
    # configured ones matched nothing: JSON of item, link, title and date
    inferred_selectors: str | None = None
    notes: EntryNotes = field(default_factory=EntryNotes)  # odd entries, kept all the same

    def status(self, finish_reason: str | None) -> CrawlStatus:
        """ok, partial, unchanged, empty or failed."""
        if self.listing_error:
            return "failed"
        if self.items_seen == 0:
            if self.unchanged and finish_reason == "finished":
                return "unchanged"
            return "empty" if finish_reason == "finished" else "failed"
        if self.article_errors or self.list_page_error or finish_reason != "finished":
            return "partial"
        return "ok"

    def retryable(self, finish_reason: str | None) -> bool:
        """Failed with nothing to show, for a reason that may pass (timeout, 5xx, reset)."""
        return (
            self.status(finish_reason) == "failed"
            and self.items_seen == 0
            and self.listing_error_transient
        )

    def network_failure(self, finish_reason: str | None) -> NetworkFailure | None:
        """How the crawl failed to reach its host (DNS, refused, unreachable), when that is why
        it failed with nothing; None for any other outcome."""
        if self.status(finish_reason) != "failed" or self.items_seen:
            return None
        return self.listing_error_network

    def error_text(self, finish_reason: str | None) -> str | None:
        """The problems of the crawl in one line, or None."""
        problems = []
        if self.listing_error:
            problems.append(self.listing_error)
        if self.selector_miss:
            problems.append(self.selector_miss)
        if self.list_page_error:
            problems.append(f"a later list page could not be fetched: {self.list_page_error}")
        if self.article_errors:
            problems.append(f"{self.article_errors} article page(s) could not be fetched")
        if finish_reason not in ("finished", None):
            problems.append(f"crawl stopped early ({finish_reason})")
        if self.listing_warning and not self.listing_error:
            problems.append(f"feed is malformed but readable: {self.listing_warning}")
        notes = self.notes.describe()
        if notes:
            problems.append(notes)
        return "; ".join(problems) or None


def backfill_start(since: str, timezone: str) -> datetime:
    """Midnight at the start of the ISO date ``since`` in the source's time zone, as UTC."""
    day = date.fromisoformat(since)
    return datetime.combine(day, time.min, ZoneInfo(timezone)).astimezone(UTC)


class SourceSpider(scrapy.Spider):
    """Base of the spider kinds: one source, written into one staging batch."""

    def __init__(
        self, source: Source, batch: Batch, since: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.batch = batch
        self.state = CrawlState()
        self.known = batch.read_state(source.id)
        self._requested: set[str] = set()
        # a backfill reads the archive back to this moment (midnight of the day, source's zone)
        self.since = backfill_start(since, source.timezone) if since else None
        self.url, self.headers = self._with_secrets()

    def _with_secrets(self) -> tuple[str | None, dict[str, str]]:
        """The source's URL and headers with their ${CITYRADAR_SECRET_*} values filled in; a
        secret that is not set fails the crawl (no URL) with its name."""
        try:
            headers = {name: expand(value) for name, value in self.source.headers.items()}
            return expand(self.source.url), headers
        except MissingSecret as exc:
            self.state.listing_error = str(exc)
            return None, {}

    async def start(self) -> AsyncIterator[Request]:
        """The source's first request (Scrapy 2.19 no longer calls start_requests); none when a
        secret it needs is not set, so the crawl fails saying which."""
        if self.url is not None:
            yield self.first_request(self.url)

    def first_request(self, url: str) -> Request:
        """The request a crawl of this kind begins with, for the source's (expanded) URL."""
        raise NotImplementedError

    def is_before_since(self, raw_date: str | None) -> bool:
        """True when a backfill reaches an entry older than its start (undated entries: no)."""
        if self.since is None:
            return False
        # the crawl is fetching now, so "3시간 전" on the page is three hours before this
        value = parse_datetime(raw_date, self.source.timezone, now=datetime.now(UTC)).value
        return value is not None and value < self.since

    # --- requests ------------------------------------------------------------------------

    def source_request(self, url: str, callback: Any, kind: FetchKind, **kwargs: Any) -> Request:
        """A feed, list or sitemap request: conditional on what the last crawl saw."""
        headers = {**self.headers, **self._conditional_headers(url)}
        method, body = "GET", None
        if self.source.method == "POST" and kind == "feed":
            method, body = "POST", urlencode({})
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return Request(
            url,
            method=method,
            body=body,
            headers=headers,
            callback=callback,
            errback=self.source_failed,
            meta=self._meta(kind),
            dont_filter=True,
            **kwargs,
        )

    def is_unchanged(self, response: Response) -> bool:
        """304, or the very body the last crawl stored (servers with stale validators).

        Never in a backfill: it reads the archive whatever the first page says.
        """
        if self.since is not None:
            return False
        if response.status == 304:
            return True
        assert response.request is not None  # Scrapy gives every callback's response its request
        validators = self.known.validators_for(redact(response.request.url))
        digest = hashlib.sha256(response.body).hexdigest()
        return validators is not None and validators.body_sha256 == digest

    def _conditional_headers(self, url: str) -> dict[str, str]:
        if self.since is not None:
            return {}
        validators = self.known.validators_for(redact(url))  # stored without secrets
        headers = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return headers

    def _meta(self, kind: FetchKind) -> dict[str, Any]:
        meta: dict[str, Any] = {"cityradar_kind": kind, "handle_httpstatus_list": [304]}
        if not self.source.obey_robots:  # the registry states why (robots_reason)
            meta["dont_obey_robotstxt"] = True
        return meta

    # --- entries -------------------------------------------------------------------------

    def emit(self, item: RawItem) -> RawItem | Request:
        """The item itself, or a request for its article page that yields it later."""
        item.entry_fingerprint = entry_fingerprint(
            item.title, item.published_raw, item.summary_html
        )
        self.state.items_seen += 1
        link = item.link
        if not self.source.fetch_articles or not link or not is_followable(link, self.source):
            return item
        key = canonical_url(link, self.source.drop_params)
        if self.known.known.get(key) == item.entry_fingerprint:
            item.article_skipped = "unchanged"  # stored, and the entry says nothing new
            self.state.articles_skipped += 1
            return item
        if key in self._requested:
            return item  # a repeated entry; Scrapy's dupe filter would drop it silently
        if len(self._requested) >= self.source.max_articles:
            self.state.articles_skipped += 1
            return item
        self._requested.add(key)
        return Request(
            link,
            headers={**self.headers, **self._conditional_headers(link)},
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"item": item},
            meta=self._meta("article"),
        )

    def parse_article(self, response: Response, item: RawItem) -> Iterator[RawItem | Request]:
        """Complete an item with its article page, then fetch its readable attachments."""
        item.article_url = response.url
        item.article_status = response.status
        if response.status == 304:
            item.article_skipped = "not_modified"
            yield item
            return
        started = perf_counter()
        content = raw.extract_article(
            response.body, content_type(response), response.url, self.source.selectors
        )
        self.state.extract_seconds += perf_counter() - started
        item.article_title = content.title
        item.article_text = content.text
        item.article_published_raw = content.published_raw
        item.article_language = content.language
        item.article_canonical = content.canonical
        item.article_licence = content.licence
        item.attachments = content.attachments
        self.state.articles_fetched += 1
        wanted = [a for a in item.attachments if self._worth_fetching(a)]
        # documents known to be readable first: a page's unnamed downloads never crowd them out
        wanted.sort(key=lambda attachment: not is_readable(attachment["kind"]))
        yield from self._next_attachment(item, wanted[:MAX_ATTACHMENTS_PER_ITEM])

    def article_failed(self, failure: Failure) -> Iterator[RawItem]:
        """Keep the entry when its page cannot be fetched, and say why."""
        item: RawItem = failed_request(failure).cb_kwargs["item"]
        item.article_error = describe_exception(failure.value)
        if isinstance(failure.value, HttpError):
            item.article_status = failure.value.response.status
        self.state.article_errors += 1
        yield item

    def source_failed(self, failure: Failure) -> None:
        """Record why the feed, list page or sitemap itself could not be fetched."""
        described = describe_exception(failure.value)
        url = failed_request(failure).url
        self.state.listing_error = described if url in described else f"{described} ({url})"
        self.state.listing_error_transient = is_transient(failure.value)
        self.state.listing_error_network = network_failure(failure.value)

    # --- attachments ---------------------------------------------------------------------

    def _worth_fetching(self, attachment: dict[str, Any]) -> bool:
        """A document whose text is read (PDF, HWPX), or a download whose kind only the server's
        answer tells (its Content-Disposition name): fetched when the source may fetch it, since
        a refusal would only be noise on a link that may name no document at all."""
        if is_readable(attachment["kind"]):
            return True
        return attachment["kind"] == "unknown" and is_followable(attachment["url"], self.source)

    def _next_attachment(
        self, item: RawItem, pending: list[dict[str, Any]]
    ) -> Iterator[RawItem | Request]:
        if not pending:
            yield item
            return
        attachment, rest = pending[0], pending[1:]
        meta = {**self._meta("attachment"), "download_maxsize": ATTACHMENT_MAXSIZE}
        meta.pop("handle_httpstatus_list")
        yield Request(
            attachment["url"],
            headers=self.headers,
            callback=self.parse_attachment,
            errback=self.attachment_failed,
            meta=meta,
            cb_kwargs={"item": item, "attachment": attachment, "pending": rest},
        )

    def parse_attachment(
        self,
        response: Response,
        item: RawItem,
        attachment: dict[str, Any],
        pending: list[dict[str, Any]],
    ) -> Iterator[RawItem | Request]:
        """Keep an attached document's name and kind as the download tells them, its size, hash
        and text (PDF and HWPX)."""
        mime = content_type(response)
        attachment.update(
            raw.identify_download(
                attachment, response.body, mime, response.headers.get(b"Content-Disposition")
            )
        )
        attachment["bytes"] = len(response.body)
        attachment["sha256"] = hashlib.sha256(response.body).hexdigest()
        if is_readable(attachment["kind"]):
            try:
                attachment["text"] = document_text(response.body, attachment["kind"])
            except ValueError as exc:
                attachment["error"] = str(exc)
        elif attachment["kind"] == "unknown" and _is_html(mime):
            # a login wall or an error page where the file was: say so, it is no document
            attachment["error"] = "not a document: the server sent an HTML page"
        yield from self._next_attachment(item, pending)

    def attachment_failed(self, failure: Failure) -> Iterator[RawItem | Request]:
        """A document that cannot be fetched is noted; the item goes on."""
        kwargs = failed_request(failure).cb_kwargs
        kwargs["attachment"]["error"] = describe_exception(failure.value)
        yield from self._next_attachment(kwargs["item"], kwargs["pending"])


def content_type(response: Response) -> str | None:
    """A response's Content-Type header as text."""
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None


def _is_html(mime: str | None) -> bool:
    return (mime or "").split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml")


def response_headers(response: Response) -> dict[str, str]:
    """A response's headers as text."""
    return {
        name.decode("latin-1"): b", ".join(values).decode("latin-1")
        for name, values in response.headers.items()
    }
