"""What a source would yield from one listing page, for an operator testing or fixing it.

The same parsing the spiders do (feeds, sitemaps, boards with their configured or inferred
selectors), without a crawl: one page in, its entries and how they were read out. Pure over the
page's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cityradar.items import utc_now_iso
from cityradar.registry import Source
from spiders.board_inference import list_fields, read_board
from spiders.raw import (
    parse_feed,
    parse_list,
    parse_sitemap,
    raw_item_from_entry,
    raw_item_from_sitemap,
)
from transforms.dates import parse_datetime


@dataclass(frozen=True)
class PreviewRow:
    """One entry as the source would stage it."""

    title: str
    url: str
    date_raw: str | None  # as the page writes it
    published: str | None  # as cityradar reads it (ISO, in the source's time zone), or None


@dataclass(frozen=True)
class Preview:
    """A listing page's entries and how they were read."""

    rows: list[PreviewRow]
    how: str  # feed, sitemap, selectors given / inferred, bundle page (selectors given)
    selectors: dict[str, str]  # the list selectors used (boards only)
    problem: str | None = None


def preview_listing(source: Source, body: bytes, content_type: str | None, url: str) -> Preview:
    """The entries ``source`` would take from a listing page (its feed, sitemap or board page)."""
    if source.kind == "feed":
        return _feed_preview(source, body, content_type, url)
    if source.kind == "sitemap":
        return _sitemap_preview(source, body, url)
    if source.bundle is not None and not _listed(source, body, content_type, url):
        bundle = _bundle_preview(source, body, content_type, url)
        if bundle.rows:  # not the list page but one of its bundle pages
            return bundle
    board = read_board(body, content_type, url, source.selectors)
    rows = [_row(source, e.title, e.link, e.date) for e in board.entries]
    how = "selectors inferred" if board.inferred is not None else "selectors given"
    selectors = list_fields(board.selectors)
    problem = board.problem
    if source.bundle is not None and rows and problem is None:
        problem = (
            "each row is a bundle page whose releases are the entries: "
            "give one row's URL with --url to see them"
        )
    return Preview(rows, how, selectors, problem)


def _listed(source: Source, body: bytes, content_type: str | None, url: str) -> bool:
    """Whether the source's configured list selectors find entries on the page."""
    selectors = source.selectors
    return bool(selectors and selectors.item and parse_list(body, content_type, url, selectors))


def _bundle_preview(source: Source, body: bytes, content_type: str | None, url: str) -> Preview:
    """A bundle page (a day's releases) read with the source's bundle selectors."""
    assert source.bundle is not None
    selectors = source.bundle.list_selectors()
    entries = parse_list(body, content_type, url, selectors)
    rows = [_row(source, e.title, e.link, e.date) for e in entries]
    return Preview(rows, "bundle page, selectors given", list_fields(selectors))


def _feed_preview(source: Source, body: bytes, content_type: str | None, url: str) -> Preview:
    feed = parse_feed(body, content_type, url)
    now = utc_now_iso()
    rows = []
    for seq, entry in enumerate(feed.entries):
        raw = raw_item_from_entry(
            entry,
            source_id=source.id,
            batch_id="preview",
            seq=seq,
            feed_url=url,
            fetched_at=now,
            feed=feed,
        )
        rows.append(_row(source, raw.title or "", raw.link or "", raw.published_raw))
    return Preview(rows, "feed", {}, feed.error)


def _sitemap_preview(source: Source, body: bytes, url: str) -> Preview:
    sitemap = parse_sitemap(body)
    now = utc_now_iso()
    rows = []
    for seq, entry in enumerate(sitemap.entries):
        raw = raw_item_from_sitemap(
            entry, source_id=source.id, batch_id="preview", seq=seq, sitemap_url=url, fetched_at=now
        )
        rows.append(_row(source, raw.title or "", raw.link or "", raw.published_raw))
    problem = sitemap.error
    if sitemap.children and not sitemap.entries:
        problem = (
            f"a sitemap index of {len(sitemap.children)} sitemaps: test one of them with --url"
        )
    return Preview(rows, "sitemap", {}, problem)


def _row(source: Source, title: str, link: str, date_raw: str | None) -> PreviewRow:
    # relative dates ("3시간 전") count back from now, as they would in a crawl now
    now = datetime.now(UTC)
    parsed = parse_datetime(date_raw, source.timezone, now).value if date_raw else None
    local = parsed.astimezone(ZoneInfo(source.timezone)).isoformat() if parsed else None
    return PreviewRow(title, link, date_raw, local)
