"""The one place that turns a response body into raw item fields: feeds and article pages.

Pure functions over bytes, headers and URLs, so they are tested without a crawler.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import feedparser
import trafilatura
from lxml import html as lxml_html

from cityradar.items import RawItem
from spiders.decoding import as_utf8_xml, decode_body

_HTML_START = ("<!doctype html", "<html")
_FEED_START = ("<?xml", "<rss", "<feed", "<rdf")


@dataclass
class ParsedFeed:
    """A feed's entries, or the reason there are none."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    language: str | None = None
    encoding: str | None = None
    error: str | None = None
    warning: str | None = None


def parse_feed(
    body: bytes, content_type: str | None, url: str, headers: dict[str, str] | None = None
) -> ParsedFeed:
    """Parse an RSS/Atom body with feedparser after decoding it ourselves.

    Args:
        body: the response bytes.
        content_type: the real Content-Type header (feedparser needs it).
        url: the final feed URL, against which relative links resolve.
        headers: the other response headers (Content-Language, ETag, Last-Modified...), given
            to feedparser as received; only the charset is rewritten, as the body is re-encoded.

    Returns:
        The entries; ``error`` says why a body that is not a usable feed was refused, because
        feedparser itself never raises on a 404 page or an HTML body.
    """
    decoded = decode_body(body, content_type)
    mime = (content_type or "application/xml").split(";")[0].strip() or "application/xml"
    if _looks_like_html(decoded.text, mime):
        return ParsedFeed(
            encoding=decoded.encoding, error=f"not a feed: the server sent an HTML page ({mime})"
        )
    response_headers = {name.lower(): value for name, value in (headers or {}).items()}
    response_headers |= {"content-type": f"{mime}; charset=utf-8", "content-location": url}
    parsed = feedparser.parse(io.BytesIO(as_utf8_xml(decoded)), response_headers=response_headers)
    problem = _bozo_message(parsed)
    if not parsed.entries and (problem or not parsed.version):
        return ParsedFeed(
            encoding=decoded.encoding,
            error=f"not a readable feed: {problem or 'no RSS or Atom structure found'}",
        )
    return ParsedFeed(
        entries=list(parsed.entries),
        language=parsed.feed.get("language") or None,
        encoding=decoded.encoding,
        warning=problem,
    )


def raw_item_from_entry(
    entry: dict[str, Any],
    *,
    source_id: str,
    batch_id: str,
    seq: int,
    feed_url: str,
    fetched_at: str,
    feed: ParsedFeed,
) -> RawItem:
    """Copy one feedparser entry into a RawItem, untouched apart from picking fields."""
    return RawItem(
        source_id=source_id,
        batch_id=batch_id,
        seq=seq,
        feed_url=feed_url,
        fetched_at=fetched_at,
        link=entry.get("link") or None,
        guid=entry.get("id") or None,
        title=entry.get("title") or None,
        summary_html=entry.get("summary") or None,
        content_html=_content_html(entry),
        # plain dict.get: feedparser's own get() maps a missing "updated" to "published"
        published_raw=dict.get(entry, "published") or dict.get(entry, "created") or None,
        updated_raw=dict.get(entry, "updated") or None,
        authors=_authors(entry),
        categories=[tag.get("term") for tag in entry.get("tags", []) if tag.get("term")],
        feed_language=_entry_language(entry) or feed.language,
        feed_encoding=feed.encoding,
    )


@dataclass(frozen=True)
class ArticleContent:
    """What an article page adds to its feed entry."""

    title: str | None
    text: str | None
    published_raw: str | None
    language: str | None
    canonical: str | None


_PUBLISHED_META = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//meta[@name='pubdate']/@content",
    "//meta[@name='date']/@content",
    "//time[@datetime][1]/@datetime",
)


def extract_article(body: bytes, content_type: str | None, url: str) -> ArticleContent:
    """Main text and metadata of an article page (trafilatura for the text)."""
    text = decode_body(body, content_type).text
    tree = _parse_html(text)
    extracted = trafilatura.bare_extraction(
        text, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    data = extracted.as_dict() if extracted is not None else {}
    return ArticleContent(
        title=data.get("title") or None,
        text=data.get("text") or None,
        published_raw=_published_from_page(tree) or data.get("date") or None,
        language=_first(tree, "/html/@lang") if tree is not None else None,
        canonical=_first(tree, "//link[@rel='canonical']/@href") if tree is not None else None,
    )


def _looks_like_html(text: str, mime: str) -> bool:
    """An HTML page where a feed was expected (a 200 error page, a login wall, a moved feed)."""
    head = text.lstrip("\ufeff \t\r\n")[:200].lower()
    if head.startswith(_HTML_START):
        return True
    # some servers label real feeds text/html; the body's first tag decides
    return mime == "text/html" and not head.startswith(_FEED_START)


def _bozo_message(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}" if exc is not None else "malformed feed"


def _content_html(entry: dict[str, Any]) -> str | None:
    contents = entry.get("content") or []
    values = [c.get("value") for c in contents if c.get("value")]
    return max(values, key=len) if values else None


def _authors(entry: dict[str, Any]) -> list[str]:
    names = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
    if not names and entry.get("author"):
        names = [entry["author"]]
    return names


def _entry_language(entry: dict[str, Any]) -> str | None:
    detail = entry.get("title_detail") or {}
    return detail.get("language") or None


def _parse_html(text: str) -> Any:
    try:
        return lxml_html.fromstring(text)
    except (ValueError, lxml_html.etree.ParserError):
        return None


def _first(tree: Any, xpath: str) -> str | None:
    values = [v.strip() for v in tree.xpath(xpath) if isinstance(v, str) and v.strip()]
    return values[0] if values else None


def _published_from_page(tree: Any) -> str | None:
    """The publication time as the page states it: meta tags, then JSON-LD."""
    if tree is None:
        return None
    for xpath in _PUBLISHED_META:
        value = _first(tree, xpath)
        if value:
            return value
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        value = _json_ld_date(script)
        if value:
            return value
    return None


def _json_ld_date(script: str) -> str | None:
    try:
        data = json.loads(script)
    except ValueError:
        return None
    nodes = (
        data
        if isinstance(data, list)
        else [data, *data.get("@graph", [])]
        if isinstance(data, dict)
        else []
    )
    for node in nodes:
        if isinstance(node, dict) and isinstance(node.get("datePublished"), str):
            return node["datePublished"]
    return None
