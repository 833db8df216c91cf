"""The one place that turns a response body into raw item fields: feeds and article pages.

Pure functions over bytes, headers and URLs, so they are tested without a crawler.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree
from lxml import html as lxml_html
from parsel import Selector

from cityradar.items import RawItem
from cityradar.registry import Selectors
from spiders.decoding import as_utf8_xml, decode_body
from spiders.documents import attachment_kind, disposition_filename, sniffed_kind
from transforms.chrome import (
    chrome_elements,
    chrome_texts,
    class_words,
    drop_marked_lines,
    squeezed,
)
from transforms.text import element_text

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
    title: str | None = None


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
    # unsanitised: the raw item keeps what the feed sent (for audit); the transforms make text
    # of it, dropping scripts and handlers, and nothing renders feed HTML as HTML
    parsed = feedparser.parse(
        io.BytesIO(as_utf8_xml(decoded)), response_headers=response_headers, sanitize_html=False
    )
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
        title=parsed.feed.get("title") or None,
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
        listing_url=feed_url,
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
        listing_language=_entry_language(entry) or feed.language,
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
    licence: str | None = None
    attachments: list[dict[str, str]] = field(default_factory=list)


_PUBLISHED_META = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//meta[@name='pubdate']/@content",
    "//meta[@name='date']/@content",
    "//time[@datetime][1]/@datetime",
)


def extract_article(
    body: bytes, content_type: str | None, url: str, selectors: Selectors | None = None
) -> ArticleContent:
    """Main text and metadata of an article page.

    Page chrome (navigation, share and print widgets, captions, contact blocks...) is left out
    of the text (transforms.chrome): pruned from the element a selector names, or its lines
    taken out of what trafilatura extracted from the whole page.

    Args:
        body, content_type, url: the response.
        selectors: the source's selectors; ``body``, ``article_date`` and ``attachments`` are
            used when set, otherwise trafilatura finds the text and generic rules the rest.
    """
    import trafilatura  # here: an unchanged crawl reads no article and need not load it

    text = decode_body(body, content_type).text
    tree = _parse_html(text)
    page = Selector(text=text)
    extracted = trafilatura.bare_extraction(
        text, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    # a Document, or None when nothing was found (a dict only with the deprecated as_dict=True)
    if extracted is None or isinstance(extracted, dict):
        data = extracted or {}
    else:
        data = extracted.as_dict()
    chrome = chrome_elements(tree) if tree is not None else []
    found_text = drop_marked_lines(data.get("text") or "", chrome_texts(chrome))
    chosen = selectors or Selectors(item="-")
    main_text = _selected_text(page, chosen.body) if chosen.body else None
    published = _node_text(page, chosen.article_date) if chosen.article_date else None
    return ArticleContent(
        title=story_title(data.get("title"), tree, found_text, chrome),
        text=main_text or found_text or None,
        published_raw=published or _published_from_page(tree) or data.get("date") or None,
        language=_first(tree, "/html/@lang") if tree is not None else None,
        canonical=_first(tree, "//link[@rel='canonical']/@href") if tree is not None else None,
        licence=find_kogl_licence(page),
        attachments=find_attachments(page, url, chosen.attachments),
    )


# --- the story's title -------------------------------------------------------------------

# " | ", " - ", " :: ", " < ": what sites put between a story's title and their own names
_TITLE_SEPARATOR = re.compile(r"\s+[-–—|·•:<>«»‹›~/]+\s+|\s*\|\s*|\s*::\s*")
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_HEADING_WORDS = frozenset({"title", "tit", "subject", "headline", "heading"})
_HEADING_MIN_CHARS = 4


def story_title(
    meta_title: str | None, page: Any, main_text: str, chrome: list[Any] | None = None
) -> str | None:
    """The story's title, without the site's and board's names a page title wraps it in.

    A page title such as "Story | Site" gives "Story" when the page has a heading saying just
    that. One that names only the site and its board ("전라남도청누리집 - 보도자료 |") gives
    the article's own heading: the first heading of the main text that is not one of those
    names.

    Args:
        meta_title: the title the page declares (og:title, <title>), as trafilatura read it.
        page: the page's tree, or None when it did not parse.
        main_text: the main text extracted from the page.
        chrome: the page's chrome elements (``chrome_elements``): no title is inside them.
    """
    if not meta_title or page is None:
        return meta_title
    segments = [part for part in _TITLE_SEPARATOR.split(meta_title.strip()) if part.strip()]
    if len(segments) == 1 and segments[0].strip() == meta_title.strip():
        return meta_title  # undecorated: the page's own title is the story's
    names = {squeezed(part) for part in segments + _title_element_segments(page)}
    headings = _headings(page, set(chrome or ()))
    longest = max(segments, key=len, default="")
    if " " in longest.strip():  # a story's title has words; a site or board name seldom does
        for heading in headings:
            if squeezed(heading) == squeezed(longest):
                return heading
    lines = {squeezed(line) for line in main_text.splitlines() if line.strip()}
    for heading in headings:
        if squeezed(heading) in lines and squeezed(heading) not in names:
            return heading
    return " - ".join(part.strip() for part in segments)


def _title_element_segments(tree: Any) -> list[str]:
    title = tree.find(".//title")
    text = title.text_content() if title is not None else ""
    return [part for part in _TITLE_SEPARATOR.split(text.strip()) if part.strip()]


def _headings(tree: Any, chrome: set[Any]) -> list[str]:
    """Text of the page's headings outside its chrome, in document order: h1-h6 and elements
    whose class says title, subject or headline."""
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in _HEADING_TAGS or class_words(element.get("class") or "") & _HEADING_WORDS:
            text = " ".join(element.text_content().split())
            if len(text) >= _HEADING_MIN_CHARS and not _inside(element, chrome):
                found.append(text)
    return found


def _inside(element: Any, ancestors: set[Any]) -> bool:
    return any(node in ancestors for node in element.iterancestors(None)) or element in ancestors


# --- KOGL (공공누리) licence -----------------------------------------------------------------

_KOGL_IMAGE = re.compile(r"open_?type_?0?([1-4])|kogl_?(?:type)?_?0?([1-4])", re.I)
_KOGL_TEXT = re.compile(r"공공누리[^0-9]{0,12}제?\s*([1-4])\s*유형")


def find_kogl_licence(page: Selector) -> str | None:
    """The page's 공공누리 type as KOGL-1..KOGL-4, from its badge image or its notice text."""
    for source in _IMAGE_LABELS(page.root):
        match = _KOGL_IMAGE.search(source) or _KOGL_TEXT.search(source)
        if match:
            return f"KOGL-{next(g for g in match.groups() if g)}"
    match = _KOGL_TEXT.search(" ".join(_BODY_TEXTS(page.root)))
    return f"KOGL-{match.group(1)}" if match else None


# plain strings from lxml: a parsel selector per text node cost ~3 ms on a news page
_IMAGE_LABELS = etree.XPath("//img/@src | //img/@alt", smart_strings=False)
_BODY_TEXTS = etree.XPath("//body//*/text()", smart_strings=False)


# --- attachments -------------------------------------------------------------------------


def find_attachments(page: Selector, url: str, css: str | None) -> list[dict[str, str]]:
    """Links to attached documents: those the selector names, else links that look like files.

    A link looks like a file when its text, its ``title`` attribute, a file name written beside
    it or its URL names a document type, or when its URL is a download handler (``boardDown.do``,
    ``fileDown``, ``atchFile``…). Government boards often write only "다운로드" as the link text,
    with the file name in ``title`` or in a sibling (``span.fileNM``), and some open the download
    from ``onclick="pf_download('/boardDown.do?…')"`` on ``href="javascript:;"``.

    Returns dicts with url, name and kind (pdf, hwpx, hwp, ...), one per URL; the kind is
    "unknown" for a download that names no file, which the crawl learns from the server's answer
    (``identify_download``).
    """
    # lxml elements, not parsel selectors: a news page has hundreds of links, and a selector
    # per link costs more than the rest of the page's extraction
    anchors = [a.root for a in page.css(css)] if css else page.root.iter("a")
    found: dict[str, dict[str, str]] = {}
    for anchor in anchors:
        if not hasattr(anchor, "get"):
            continue  # the selector matched text, not an element
        href = _attachment_href(anchor)
        if not href or (not css and not _may_be_a_file(anchor, href)):
            continue
        name = _attachment_name(anchor)
        kind = attachment_kind(href, name) or _named_extension(name)
        if kind is None and not css and not _DOWNLOAD_HANDLER.search(href):
            continue  # generic rule: only links that name a document or download one
        link = urljoin(url, href)
        found.setdefault(link, {"url": link, "name": name, "kind": kind or "unknown"})
    return list(found.values())


def identify_download(
    attachment: dict[str, Any],
    body: bytes,
    content_type: str | None,
    content_disposition: bytes | None,
) -> dict[str, str]:
    """The name and kind of an attachment as its download tells them.

    A download handler's link (``fileDown.do?atchFileId=…`` with "다운로드" as its text) names
    no file; the server's answer does: the name from Content-Disposition
    (``documents.disposition_filename``), the kind from that name, else the Content-Type, else
    the body's first bytes (PDF, HWPX). A name the page gave that already names a file is kept,
    and so is a kind already known.

    Returns:
        ``{"name": …, "kind": …}``, the kind "unknown" when nothing tells it.
    """
    name = str(attachment.get("name") or "")
    served = disposition_filename(content_disposition)
    if served and _named_extension(name) is None:
        name = served
    kind = str(attachment.get("kind") or "unknown")
    if kind == "unknown":
        kind = (
            attachment_kind("", name)
            or _named_extension(name)
            or attachment_kind("", "", content_type)
            or sniffed_kind(body)
            or "unknown"
        )
    return {"name": name, "kind": kind}


# paths of the download handlers Korean government CMSs use for attached files
_DOWNLOAD_HANDLER = re.compile(
    r"(?:download|fileDown|boardDown|atchFile|FileDown|getFile|downFile)", re.I
)
# a quoted path opened by a script: onclick="pf_download('/boardDown.do?…')"
_SCRIPTED_PATH = re.compile(r"""['"]((?:/|https?://)[^'"]+)['"]""")
# a file name at the end of a text: "해수부 공모 결과.hwp", "사업구상도.jpg 다운로드"
_FILE_NAME = re.compile(
    r"([^\s/\\][^/\\]*?\.([A-Za-z0-9]{2,5}))(?:\s*다운로드|\s*download)?\s*$", re.I
)
# the file types a board attaches (documents, spreadsheets, images, archives): a link text that
# ends in another "extension" (Node.js, a domain) names no file
_FILE_TYPES = frozenset(
    [
        "pdf",
        "hwp",
        "hwpx",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "txt",
        "csv",
        "zip",
        "jpg",
        "jpeg",
        "png",
        "gif",
    ]
)


def is_download(href: str) -> bool:
    """Whether a link's address is a download handler's or names a file (a document, an image,
    an archive): an attachment, never an article."""
    return bool(_DOWNLOAD_HANDLER.search(href) or _ANY_FILE_EXTENSION.search(href))


def _may_be_a_file(anchor: Any, href: str) -> bool:
    """A cheap first look, before a link's name is read: a download handler, or a document's
    extension where a file's name could be (the link's address, text or title, the text just
    before it). Every rule below needs one, and a page's hundreds of menu links have none."""
    if is_download(href) or "%2e" in href.lower():
        return True
    before = anchor.getprevious()
    while before is not None and not isinstance(before.tag, str):  # comments, processing
        before = before.getprevious()
    texts = [anchor.get("title") or "", "".join(anchor.itertext())]
    if before is not None:
        texts.append("".join(before.itertext()))
    return any(_ANY_FILE_EXTENSION.search(text) for text in texts)


# the extensions either rule reads (documents.attachment_kind's and _FILE_TYPES), anywhere
_ANY_FILE_EXTENSION = re.compile(
    r"\.(?:pdf|hwpx?|docx?|xlsx?|pptx?|zip|odt|txt|csv|jpe?g|png|gif)", re.I
)


def _attachment_href(anchor: Any) -> str:
    """The link's target: its href, or the path a ``javascript:`` link opens from onclick."""
    href = (anchor.get("href") or "").strip()
    if href and not href.startswith(("javascript:", "#", "mailto:")):
        return href
    script = f"{href} {anchor.get('onclick') or ''}"
    egov = _EGOV_DOWNLOAD.search(script)
    if egov:
        return f"/cmm/fms/FileDown.do?atchFileId={egov.group(1)}&fileSn={egov.group(2)}"
    scripted = _SCRIPTED_PATH.search(anchor.get("onclick") or "")
    return scripted.group(1) if scripted and _DOWNLOAD_HANDLER.search(scripted.group(1)) else ""


# eGovFrame, the government's standard web framework, opens attachments with its common
# component's script: fn_egov_downFile('FILE_000…', '0') is /cmm/fms/FileDown.do?atchFileId=…&fileSn=…
_EGOV_DOWNLOAD = re.compile(
    r"""fn_egov_downFile\(\s*['"]?([\w-]+)['"]?\s*,\s*['"]?(\w+)['"]?\s*\)"""
)


def _attachment_name(anchor: Any) -> str:
    """The file's name: the link text when it names a file, else the title attribute, else a
    file name written just before the link (a sibling such as span.fileNM); else the text."""
    text = " ".join(" ".join(anchor.itertext()).split())
    title = " ".join((anchor.get("title") or "").split())
    before = anchor.getprevious()
    while before is not None and not isinstance(before.tag, str):  # comments, processing
        before = before.getprevious()
    if before is not None and before.tag == "a":
        before = (
            None  # another link's name (a "바로보기" viewer beside the download) is not this one's
        )
    sibling = " ".join(" ".join(before.itertext()).split()) if before is not None else ""
    for candidate in (text, title, sibling):
        named = _FILE_NAME.search(candidate)
        if named and named.group(2).lower() in _FILE_TYPES:
            return named.group(1).strip()
    return text


def _named_extension(name: str) -> str | None:
    """The extension of a file name (jpg, png, hwp…), for types attachment_kind does not list."""
    named = _FILE_NAME.search(name)
    if named is None or named.group(2).lower() not in _FILE_TYPES:
        return None
    return named.group(2).lower()


# --- HTML list pages -----------------------------------------------------------------------


@dataclass(frozen=True)
class ListEntry:
    """One entry of a list page."""

    link: str
    title: str
    date: str | None
    summary: str | None


def parse_list(
    body: bytes, content_type: str | None, url: str, selectors: Selectors
) -> list[ListEntry]:
    """The entries of a list page (board), by the source's selectors.

    A link opened by script (``javascript:`` or ``#`` with ``onclick="fn_detail(123)"``) becomes
    the address ``selectors.article_url`` makes of its first argument; without that template, or
    without an argument, the entry is left out, as are entries with no link at all.
    """
    if not selectors.item:
        return []  # no list selector: the spider finds the rows (spiders/board_inference.py)
    page = Selector(text=decode_body(body, content_type).text)
    entries = []
    for node in page.css(selectors.item):
        href = (_node_value(node, selectors.link) or "").strip()
        if href.startswith(("javascript:", "#")) or not href:
            href = _scripted_article(node, href, selectors.article_url) or ""
        if not href:
            continue
        title = _node_text(node, selectors.title) if selectors.title else _node_text(node, "a")
        title = _untruncated(node, selectors.title or "a", title)
        date_text = (
            _node_text(node, selectors.date) if selectors.date else _node_text(node, ":scope")
        )
        entries.append(
            ListEntry(
                link=urljoin(url, href),
                title=title or "",
                date=_pick_date(date_text, selectors.date_pattern),
                summary=_node_text(node, selectors.summary) if selectors.summary else None,
            )
        )
    return entries


def raw_item_from_listing(
    entry: ListEntry, *, source_id: str, batch_id: str, seq: int, page_url: str, fetched_at: str
) -> RawItem:
    """A RawItem for an entry of a board's list page (that page is its listing)."""
    return RawItem(
        source_id=source_id,
        batch_id=batch_id,
        seq=seq,
        listing_url=page_url,
        fetched_at=fetched_at,
        link=entry.link,
        title=entry.title or None,
        summary_html=entry.summary,
        published_raw=entry.date,
    )


def _node_value(node: Selector, css: str) -> str | None:
    """The value a selector names: an attribute or text when it says so, else the element's text."""
    if "::" in css:
        return node.css(css).get()
    return _node_text(node, css)


# the first argument of a script call: fn_detail(123), fnView('123'), goView("a1", 2)
# (javascript:void(0) is no call with an id)
_SCRIPT_ARGUMENT = re.compile(r"""\b(?!void\b)\w+\(\s*['"]?([^'",)\s]+)""")


def _scripted_article(node: Selector, href: str, template: str | None) -> str | None:
    """The article address of a link a board opens by script, from the source's template."""
    if template is None:
        return None
    scripts = [href, *node.css("[onclick]::attr(onclick)").getall(), node.attrib.get("onclick")]
    for script in scripts:
        argument = script_argument(script or "")
        if argument:
            return template.replace("{id}", argument)
    return None


def script_argument(script: str) -> str | None:
    """The first argument of the call a link's script makes (``fn_detail(123)`` -> ``123``)."""
    found = _SCRIPT_ARGUMENT.search(script)
    return found.group(1) if found else None


# boards cut long titles in the list ("…실시간...", "…실시간…") and keep the whole in the link's title
_TRUNCATED = re.compile(r"(?:\.\.\.|…)\s*$")


def _untruncated(node: Selector, css: str, title: str | None) -> str | None:
    """The whole title when the list cut it: the ``title`` attribute of the title element (or of
    the link inside it), where it begins as the cut text does."""
    if not title or not _TRUNCATED.search(title):
        return title
    stem = _TRUNCATED.sub("", title).strip()
    for attribute in (f"{css}::attr(title)", f"{css} a::attr(title)"):
        whole = " ".join((node.css(attribute).get() or "").split())
        if len(whole) > len(stem) and whole.startswith(stem):
            return whole
    return title


def _node_text(node: Selector, css: str) -> str | None:
    """All text inside the first element the selector matches, whitespace collapsed."""
    if css == ":scope":
        found = node
    else:
        if "::" in css:
            value = node.css(css).get()
            return " ".join(value.split()) if value else None
        matches = node.css(css)
        if not matches:
            return None
        found = matches[0]
    text = " ".join(" ".join(found.css("*::text").getall() or found.css("::text").getall()).split())
    return text or None


def _selected_text(page: Selector, css: str) -> str | None:
    """Text of every element the selector matches, chrome left out, one block per element and
    each paragraph on its own line."""
    blocks = []
    for node in page.css(css):
        if not hasattr(node.root, "iter"):
            continue  # the selector matched text, not an element
        lines = (" ".join(line.split()) for line in element_text(deepcopy(node.root)).splitlines())
        blocks.append("\n".join(line for line in lines if line))
    text = "\n".join(block for block in blocks if block)
    return text or None


_DATE_IN_TEXT = re.compile(r"\d{4}[.\-/]\s?\d{1,2}[.\-/]\s?\d{1,2}\.?")


def _pick_date(text: str | None, pattern: str | None) -> str | None:
    """The date inside a text: the source's pattern, else the first YYYY.MM.DD-like run."""
    if not text:
        return None
    match = re.search(pattern, text) if pattern else _DATE_IN_TEXT.search(text)
    if match is None:
        return text if pattern is None and len(text) <= 40 else None
    return (match.group(1) if match.groups() else match.group(0)).strip()


# --- sitemaps ------------------------------------------------------------------------------

_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


@dataclass
class SitemapPage:
    """A sitemap index (children) or a URL set (entries), or why it could not be read."""

    children: list[tuple[str, str | None]] = field(default_factory=list)  # (url, lastmod)
    entries: list[dict[str, str | None]] = field(default_factory=list)
    error: str | None = None


def parse_sitemap(body: bytes) -> SitemapPage:
    """Read a sitemap or sitemap index, gzipped or not, with Google News fields when present."""
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
                body = unzipped.read(MAX_SITEMAP_BYTES + 1)
        except OSError as exc:
            return SitemapPage(error=f"not a readable gzip sitemap: {exc}")
        if len(body) > MAX_SITEMAP_BYTES:
            return SitemapPage(error="sitemap larger than 50 MB uncompressed")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        return SitemapPage(error=f"not a readable sitemap: {exc}")
    if root is None or not isinstance(root.tag, str):
        return SitemapPage(error="not a readable sitemap: no XML root")
    name = etree.QName(root).localname
    if name == "sitemapindex":
        return SitemapPage(
            children=[
                (_child(node, "loc") or "", _child(node, "lastmod"))
                for node in root
                if _child(node, "loc")
            ]
        )
    if name != "urlset":
        return SitemapPage(error=f"not a sitemap: the document is <{name}>")
    entries = []
    for node in root:
        loc = _child(node, "loc")
        if not loc:
            continue
        news = node.find(f"{_NEWS_NS}news")
        entries.append(
            {
                "loc": loc,
                "lastmod": _child(node, "lastmod"),
                "title": _text(news, f"{_NEWS_NS}title"),
                "published": _text(news, f"{_NEWS_NS}publication_date"),
                "keywords": _text(news, f"{_NEWS_NS}keywords"),
                "language": _text(
                    news.find(f"{_NEWS_NS}publication") if news is not None else None,
                    f"{_NEWS_NS}language",
                ),
            }
        )
    return SitemapPage(entries=entries)


def raw_item_from_sitemap(
    entry: dict[str, str | None],
    *,
    source_id: str,
    batch_id: str,
    seq: int,
    sitemap_url: str,
    fetched_at: str,
) -> RawItem:
    """A RawItem for a sitemap entry (Google News title and date when the sitemap has them)."""
    keywords = [k.strip() for k in (entry.get("keywords") or "").split(",") if k.strip()]
    return RawItem(
        source_id=source_id,
        batch_id=batch_id,
        seq=seq,
        listing_url=sitemap_url,
        fetched_at=fetched_at,
        link=entry["loc"],
        title=entry.get("title"),
        published_raw=entry.get("published") or entry.get("lastmod"),
        categories=keywords,
        listing_language=entry.get("language"),
    )


def _child(node: Any, name: str) -> str | None:
    return _text(node, f"{_SITEMAP_NS}{name}") or _text(node, name)


def _text(node: Any, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


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
