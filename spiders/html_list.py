"""The HTML list spider: a board of releases (list pages + article pages), driven by selectors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from cityradar.items import RawItem, utc_now_iso
from cityradar.registry import Selectors
from cityradar.secrets import redact
from spiders import raw
from spiders.base import SourceSpider, content_type
from spiders.board_inference import read_board
from spiders.errors import describe_exception, failed_request
from transforms.urls import canonical_url


def page_url(url: str, param: str, number: int) -> str:
    """The list URL with its page parameter set to ``number``."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    query.append((param, str(number)))
    return urlunsplit(parts._replace(query=urlencode(query)))


class HtmlListSpider(SourceSpider):
    """Reads a board's list pages and follows each entry to its article page.

    Paging stops at ``pagination.max_pages``, at a page that adds no new entry (some boards
    repeat their last page forever), and at a page whose entries are all known already
    (the first crawl goes deep, later crawls read only what is new). A backfill pages on
    through known entries and stops at the first entry older than its start date.

    A board whose rows are bundles (``source.bundle``: a day's releases on one page) has each
    row's page read with the bundle's selectors; the releases found there are its entries.
    """

    name = "html"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._seen: set[str] = set()  # canonical links listed so far in this crawl
        # the list selectors in use: the configured ones, or those found on the first page
        self._selectors: Selectors | None = self.source.selectors
        self._bundles: set[str] = set()  # canonical links of the bundle pages asked for

    def first_request(self, url: str) -> Request:
        """The first list page."""
        return self._list_request(self._first_page())

    def parse_list(self, response: Response, page: int) -> Iterator[RawItem | Request]:
        """Yield the entries of one list page and ask for the next page when it is worth it."""
        self.state.pages += 1
        if page == self._first_page() and self.is_unchanged(response):
            self.state.unchanged = True
            return
        entries = self._entries(response, first=page == self._first_page())
        if not entries:
            return
        listed = self._bundles if self.source.bundle else self._seen
        fresh = [e for e in entries if self._key(e.link) not in listed]
        fetched_at = utc_now_iso()
        in_range = [e for e in fresh if not self.is_before_since(e.date)]
        for entry in in_range:
            if self.source.bundle is not None:
                self._bundles.add(self._key(entry.link))
                yield self._bundle_request(entry)
            else:
                yield self._emit_entry(entry, response.url, fetched_at)
        if self._worth_next_page(page, fresh, in_range):
            yield self._list_request(page + 1)

    def _entries(self, response: Response, first: bool) -> list[raw.ListEntry]:
        """The entries of a list page: the first page picks the selectors (configured, else found
        on the page, which the report records); later pages are read with the same."""
        if not first:
            if self._selectors is None:
                return []
            return raw.parse_list(
                response.body, content_type(response), response.url, self._selectors
            )
        board = read_board(
            response.body, content_type(response), response.url, self.source.selectors
        )
        self._selectors = board.selectors
        self.state.inferred_selectors = board.inferred_json()
        self.state.selector_miss = board.problem
        return board.entries

    def parse_bundle(
        self, response: Response, bundle: raw.ListEntry
    ) -> Iterator[RawItem | Request]:
        """Yield the releases a bundle page lists, dated by the bundle row unless the bundle's
        selectors name a date of their own (and the release has one)."""
        self.state.pages += 1
        if self.is_unchanged(response):
            return  # read whole by an earlier crawl: its releases are stored
        assert self.source.bundle is not None  # only bundle boards ask for bundle pages
        selectors = self.source.bundle.list_selectors()
        entries = raw.parse_list(response.body, content_type(response), response.url, selectors)
        if not entries and self.state.selector_miss is None:
            self.state.selector_miss = (
                f"bundle selector {selectors.item!r} matched no entry on {response.url}"
            )
        # without a date selector or pattern, parse_list would offer the row's text as its date
        own_dates = selectors.date is not None or selectors.date_pattern is not None
        fetched_at = utc_now_iso()
        for entry in entries:
            dated = entry if own_dates and entry.date else replace(entry, date=bundle.date)
            if self._key(dated.link) in self._seen or self.is_before_since(dated.date):
                continue
            yield self._emit_entry(dated, response.url, fetched_at)

    def bundle_failed(self, failure: Failure) -> None:
        """A bundle page that cannot be fetched loses its releases: the crawl is partial."""
        if self.state.list_page_error is None:
            url = failed_request(failure).url
            self.state.list_page_error = f"bundle page {describe_exception(failure.value)} ({url})"

    def _bundle_request(self, bundle: raw.ListEntry) -> Request:
        request = self.source_request(
            bundle.link, self.parse_bundle, "list", cb_kwargs={"bundle": bundle}
        )
        return request.replace(errback=self.bundle_failed)

    def _emit_entry(
        self, entry: raw.ListEntry, page_url: str, fetched_at: str
    ) -> RawItem | Request:
        self._seen.add(self._key(entry.link))
        return self.emit(
            raw.raw_item_from_listing(
                entry,
                source_id=self.source.id,
                batch_id=self.batch.batch_id,
                seq=len(self._seen) - 1,
                page_url=page_url,
                fetched_at=fetched_at,
            )
        )

    def _worth_next_page(
        self, page: int, fresh: list[raw.ListEntry], in_range: list[raw.ListEntry]
    ) -> bool:
        pagination = self.source.pagination
        if pagination is None or not fresh:
            return False
        if page + 1 >= pagination.start + pagination.max_pages:
            return False
        if self.since is not None:  # a backfill pages on until it passes its start date
            return len(in_range) == len(fresh)
        return not all(self._is_known(e.link) for e in fresh)

    def _is_known(self, link: str) -> bool:
        """An entry stored by an earlier crawl; for a bundle row, a bundle page read before."""
        if self.source.bundle is not None:
            return self.known.validators_for(redact(link)) is not None
        return self._key(link) in self.known.known

    def _first_page(self) -> int:
        return self.source.pagination.start if self.source.pagination else 0

    def later_page_failed(self, failure: Failure) -> None:
        """A list page after the first failed: paging ends there, the entries so far stand.

        Many boards answer 404 just past their last page; that is the end of the list, not a
        fault. Any other failure makes the crawl partial and is reported.
        """
        value = failure.value
        if isinstance(value, HttpError) and value.response.status == 404:
            return
        self.state.list_page_error = f"{describe_exception(value)} ({failed_request(failure).url})"

    def _list_request(self, page: int) -> Request:
        pagination = self.source.pagination
        url = self.url
        assert url is not None  # start() asks for no page without it
        if pagination is not None and page != pagination.start:
            url = page_url(url, pagination.param, page)
        request = self.source_request(url, self.parse_list, "list", cb_kwargs={"page": page})
        if page != self._first_page():
            return request.replace(errback=self.later_page_failed)
        return request

    def _key(self, link: str) -> str:
        return canonical_url(link, self.source.drop_params)
