"""Raw item + its source -> normalised, tagged item. Composition of the small transforms only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import TypeVar
from urllib.parse import urlsplit

import numpy as np

from cityradar.items import RawItem
from cityradar.registry import Source
from transforms import clusters, dedupe, embedding, language, learned, matching
from transforms.chrome import drop_chrome_lines
from transforms.dates import is_future, parse_datetime
from transforms.language import detect_language
from transforms.matching import Morphemes
from transforms.tagging import Defaults, ItemText, Tags, tag_item, tag_items, text_fields
from transforms.text import clean_line, clean_text, drop_leading_title
from transforms.urls import canonical_url, is_web_url
from transforms.vocabularies import gazetteer, taxonomy

SUMMARY_MAX = 400
T = TypeVar("T")
# Government sources speak for their country; news and trade press may write about anywhere.
_SPEAKS_FOR_COUNTRY = {"ministry", "city", "agency"}


@dataclass
class NormalizedItem:
    """One item ready for the warehouse."""

    item_id: str
    keys: list[str]
    source_id: str
    batch_id: str
    url: str | None
    link_raw: str | None
    guid: str | None
    title: str
    summary: str
    body_text: str
    language: str | None
    published_at: datetime | None
    published_raw: str | None
    published_zone_assumed: bool
    date_flag: str | None
    fetched_at: datetime
    authors: list[str]
    categories: list[str]
    content_hash: str
    article_status: int | None
    article_error: str | None
    tags: Tags
    entry_fingerprint: str | None = None
    licence: str | None = None
    attachments: list[dict[str, object]] = field(default_factory=list)
    # False when the crawl did not fetch the article page again (known and unchanged): the
    # stored content stands, and the feed's shorter text must not become a new version
    refetched: bool = True
    own_site: bool = True  # the link points at the source's own host (not a roundup's link)
    signature: np.ndarray | None = None  # MinHash of the story's text, for clustering
    seq: int = 0


@dataclass(frozen=True)
class CleanText:
    """An item's clean title, summary and body, and the text its tags are read from."""

    title: str
    summary: str
    body: str
    for_tagging: str  # the body plus its attachments' text


def clean_fields(raw: RawItem) -> CleanText:
    """Title, summary and body of a raw item as plain text: the story's own, without the page
    chrome (contact lines, captions, share labels, copyright notices...) around it."""
    title = clean_line(raw.title) or clean_line(raw.article_title)
    content = _story_text(clean_text(raw.content_html), title)
    feed_text = content or _story_text(clean_text(raw.summary_html), title)
    body = _story_text((raw.article_text or "").strip(), title) or feed_text
    summary = shorten(drop_chrome_lines(clean_text(raw.summary_html)) or body, SUMMARY_MAX)
    return CleanText(title, summary, body, _with_attachments(body, raw))


def _story_text(text: str, title: str) -> str:
    """A text without its chrome lines and without the title (and what sits above it) at its
    top."""
    return drop_leading_title(drop_chrome_lines(text), title)


def normalize(
    raw: RawItem, source: Source, clean: CleanText | None = None, tags: Tags | None = None
) -> NormalizedItem:
    """Normalise and tag one raw item.

    Args:
        raw: the item as crawled.
        source: its registry entry (time zone, default city, language).
        clean: its clean fields, when the caller has them already.
        tags: its tags, when the caller tagged it with others (`tag_items` embeds together).
    """
    link = raw.link or raw.article_url
    url = canonical_url(link, source.drop_params) if is_web_url(link) else None
    clean = clean or clean_fields(raw)
    title, summary, body, full_text = clean.title, clean.summary, clean.body, clean.for_tagging
    fetched_at = datetime.fromisoformat(raw.fetched_at)
    published = parse_datetime(raw.published_raw, source.timezone, now=fetched_at)
    if published.value is None and raw.article_published_raw:
        published = parse_datetime(raw.article_published_raw, source.timezone, now=fetched_at)
    language = detect_language(
        f"{title}\n{body[:2000]}", raw.article_language or raw.listing_language or source.language
    )
    keys = item_keys(raw, source, url, title)
    return NormalizedItem(
        item_id=dedupe.item_id_for(keys[0]),
        keys=keys,
        source_id=source.id,
        batch_id=raw.batch_id,
        url=url,
        link_raw=raw.link,
        guid=raw.guid,
        title=title,
        summary=summary,
        body_text=body,
        language=language,
        published_at=_plausible(published.value, fetched_at),
        published_raw=published.raw,
        published_zone_assumed=published.zone_assumed,
        date_flag=_date_flag(published.value, published.raw, fetched_at),
        fetched_at=fetched_at,
        authors=[clean_line(a) for a in raw.authors if clean_line(a)],
        categories=[clean_line(c) for c in raw.categories if clean_line(c)],
        content_hash=dedupe.content_hash(title, body),
        article_status=raw.article_status,
        article_error=raw.article_error,
        tags=tags or tag_item(title, summary, full_text, source_defaults(source)),
        entry_fingerprint=raw.entry_fingerprint,
        licence=raw.article_licence,
        attachments=[_attachment(a) for a in raw.attachments],
        refetched=raw.article_skipped is None,
        own_site=bool(url) and urlsplit(url).hostname == source.host,
        signature=clusters.signature(clusters.story_text(title, summary, body)),
        seq=raw.seq,
    )


def normalize_chunks(
    raws: Iterable[RawItem], sources: dict[str, Source]
) -> Iterator[list[NormalizedItem]]:
    """Normalise raw items a chunk at a time, duplicates still in (``warehouse.columnar.item_tables``
    collapses them, once, across the whole batch).

    A chunk's Korean texts are analysed together on every core, the next chunk's while this one
    is tagged; a caller that turns each chunk into columns at once never holds more than a
    couple of chunks of items as Python objects.

    Raises:
        KeyError: an item's source is not among ``sources`` (a batch is never partly dropped).
    """
    chunks = (
        (chunk, [clean_fields(raw) for raw in chunk]) for chunk in batched(raws, ANALYSIS_CHUNK)
    )
    for chunk, clean in analysed_ahead(chunks):
        chunk_sources = [_source_of(raw, sources) for raw in chunk]
        # the encoder embeds the chunk's openings in one pass (tag_items)
        tags = tag_items(
            [
                ItemText(c.title, c.summary, c.for_tagging, source_defaults(source))
                for c, source in zip(clean, chunk_sources, strict=True)
            ]
        )
        yield [
            normalize(raw, source, fields, item_tags)
            for raw, source, fields, item_tags in zip(
                chunk, chunk_sources, clean, tags, strict=True
            )
        ]


def load_models(korean: bool) -> None:
    """Load what tagging and clustering will need (~3 s; Kiwi loads in its own process beside the
    rest), so that a caller can do it while it waits for items instead of when the first one
    arrives.

    Args:
        korean: load Kiwi too (only Korean text is analysed by it).
    """
    if korean:
        matching.load_kiwi()  # first: its process loads beside everything below
    gazetteer()
    taxonomy()
    language.load_identifier()
    embedding.load_encoder()
    learned.learned_model()
    clusters.load_minhash()


def release_models() -> None:
    """Let go of Kiwi's, the language identifier's and the sentence encoder's models (~450 MiB)
    until they are next needed: a batch's load should not carry them (they load again in about
    two seconds)."""
    matching.release_kiwi()
    language.release_identifier()
    embedding.release_encoder()
    learned.release_learned()


ATTACHMENT_CHARS_FOR_TAGGING = 20_000
ANALYSIS_CHUNK = 64  # items whose texts are analysed together (memory stays per chunk)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items (itertools.batched arrives with Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def analysed_ahead(
    chunks: Iterable[tuple[T, list[CleanText]]],
) -> Iterator[tuple[T, list[CleanText]]]:
    """Each (chunk, its clean texts), handed on while the texts' Korean analysis is in place.

    Kiwi analyses a chunk's texts together, in its own process; the next chunk's analysis
    starts before this one is handed on, so Kiwi works while the caller tags (in this process
    it held the interpreter lock, and did not). At most two chunks' analyses are held at once.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis") as pool:
        waiting: tuple[T, list[CleanText], Future[dict[str, Morphemes]]] | None = None
        for chunk, clean in chunks:
            if waiting is None:  # the vocabularies take seconds: only for a batch with items
                _know_the_terms()
            analysis = pool.submit(matching.analyse_texts, *_texts_to_analyse(clean))
            if waiting is not None:
                yield from _with_analysis(*waiting)
            waiting = (chunk, clean, analysis)
        if waiting is not None:
            yield from _with_analysis(*waiting)


def _with_analysis(
    chunk: T, clean: list[CleanText], analysis: Future[dict[str, Morphemes]]
) -> Iterator[tuple[T, list[CleanText]]]:
    with matching.using_analysis(analysis.result()):
        yield chunk, clean


def _know_the_terms() -> None:
    # Kiwi reads only around the tagger's terms, so its vocabularies must be loaded first
    gazetteer()
    taxonomy()


def _texts_to_analyse(clean: list[CleanText]) -> tuple[list[str], list[str]]:
    """The chunk's texts read for every term, and those read for places only (long bodies'
    rest, attachments)."""
    everything: list[str] = []
    names: list[str] = []
    for fields in clean:
        for name, text in text_fields(fields.title, fields.summary, fields.for_tagging).items():
            if text:
                (names if name == "rest" else everything).append(text)
    return everything, names


def _with_attachments(body: str, raw: RawItem) -> str:
    """The body plus the text of attached documents, for tagging (stored apart from the body)."""
    texts = [str(a["text"]) for a in raw.attachments if a.get("text")]
    return "\n".join([body, *texts])[: len(body) + 1 + ATTACHMENT_CHARS_FOR_TAGGING]


def _attachment(record: dict[str, object]) -> dict[str, object]:
    keys = ("url", "name", "kind", "bytes", "sha256", "text", "error")
    return {key: record.get(key) for key in keys}


def _source_of(raw: RawItem, sources: dict[str, Source]) -> Source:
    try:
        return sources[raw.source_id]
    except KeyError:
        raise KeyError(
            f"item {raw.seq} of batch {raw.batch_id} names unknown source {raw.source_id!r}"
        ) from None


def source_defaults(source: Source) -> Defaults:
    """What a source implies about all its items: its city, and for governments its country."""
    return Defaults(
        city=source.city or None,
        country=source.country if source.org_type in _SPEAKS_FOR_COUNTRY else None,
        source_name=source.name,
    )


def item_keys(raw: RawItem, source: Source, url: str | None, title: str) -> list[str]:
    """The item's identity keys, the canonical URL first."""
    keys = []
    if url:
        keys.append(dedupe.url_key(url))
    if raw.guid:
        keys.append(dedupe.guid_key(source.id, raw.guid))
    if not keys:
        keys.append(dedupe.text_key(source.id, title, raw.published_raw))
    return keys


def shorten(text: str, limit: int) -> str:
    """Cut text at a sentence or word boundary near ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for mark in (". ", "다. ", "。", "\n"):
        position = cut.rfind(mark)
        if position > limit // 2:
            return cut[: position + len(mark)].strip()
    return cut.rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _plausible(value: datetime | None, fetched_at: datetime) -> datetime | None:
    """The publication time an analyst may sort by: a date more than a day after the fetch is
    a typo or an event's date, not when the story came out, so it stays in published_raw only."""
    return None if value is None or is_future(value, fetched_at) else value


def _date_flag(value: datetime | None, raw: str | None, fetched_at: datetime) -> str | None:
    if value is None:
        return "unparsed" if raw else "missing"
    return "future" if is_future(value, fetched_at) else None


def completeness(item: NormalizedItem) -> tuple[object, ...]:
    """Which copy of a story to keep: the publisher's own entry, then one with its article page,
    then the first published (roundups come later), then the longest text."""
    published = item.published_at.timestamp() if item.published_at else float("inf")
    return (item.own_site, item.article_status == 200, -published, len(item.body_text), -item.seq)
