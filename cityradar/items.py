"""The records crawls hand to the rest of the pipeline: raw items, fetch log entries, crawl reports.

They are plain dataclasses written as JSON Lines into a staging batch, so a crawl and a load can
run in different processes (or on different machines) and a crash loses nothing already written.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self

# unchanged: the listing (feed, list page or sitemap) answered 304, or its body hash matched the
# last crawl
CrawlStatus = Literal["ok", "partial", "unchanged", "empty", "failed"]
FetchKind = Literal["feed", "list", "sitemap", "article", "attachment", "robots", "other"]
# why an entry's article page was not fetched again
ArticleSkip = Literal["unchanged", "not_modified"]


def utc_now_iso() -> str:
    """The current time as an ISO-8601 UTC string (the format every record uses)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def entry_fingerprint(title: str | None, published_raw: str | None, summary: str | None) -> str:
    """What an entry says about itself in a feed or list. When it is the same as last time, its
    article page is not fetched again (incremental crawling)."""
    text = "\x1f".join(part or "" for part in (title, published_raw, summary))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


class _Record:
    """JSON round-tripping shared by the record types."""

    # old key -> new key, for fields renamed after records were written under the old name
    RENAMED_KEYS: ClassVar[dict[str, str]] = {}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the record."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build the record from a dict, ignoring keys written by newer versions and reading
        keys written by older ones under their new name."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        renamed = {cls.RENAMED_KEYS.get(key, key): value for key, value in data.items()}
        return cls(**{key: value for key, value in renamed.items() if key in names})


@dataclass(slots=True)
class RawItem(_Record):
    """One entry as the source gave it, plus what its article page added. Nothing is normalised."""

    # Staging batches written before the renames say feed_url and feed_language; a batch is
    # never deleted before it is loaded, so one staged by an older version may still be waiting.
    RENAMED_KEYS: ClassVar[dict[str, str]] = {
        "feed_url": "listing_url",
        "feed_language": "listing_language",
    }

    source_id: str
    batch_id: str
    seq: int
    listing_url: str  # the feed, board list page or sitemap the entry was found on
    fetched_at: str
    link: str | None = None
    guid: str | None = None
    title: str | None = None
    summary_html: str | None = None
    content_html: str | None = None
    published_raw: str | None = None
    updated_raw: str | None = None
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    listing_language: str | None = None  # the language the feed or Google News sitemap gave
    feed_encoding: str | None = None
    article_url: str | None = None
    article_status: int | None = None
    article_error: str | None = None
    article_title: str | None = None
    article_text: str | None = None
    article_published_raw: str | None = None
    article_language: str | None = None
    article_canonical: str | None = None
    article_licence: str | None = None
    article_skipped: ArticleSkip | None = None
    entry_fingerprint: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class FetchRecord(_Record):
    """One HTTP exchange (or its failure), for the fetch log."""

    source_id: str
    batch_id: str
    url: str
    kind: FetchKind
    fetched_at: str
    status: int | None = None
    bytes: int = 0
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    duration_ms: float | None = None
    error: str | None = None


@dataclass(slots=True)
class CrawlReport(_Record):
    """How one source's crawl went, in words an operator understands."""

    source_id: str
    batch_id: str
    started_at: str
    finished_at: str
    status: CrawlStatus
    items_seen: int = 0
    articles_fetched: int = 0
    article_errors: int = 0
    articles_skipped: int = 0
    pages: int = 0
    requests: int = 0
    bytes: int = 0
    error: str | None = None
    finish_reason: str | None = None
    retryable: bool = False  # failed before getting anything, for a reason that may pass
    # dns | refused | unreachable: the crawl failed because it never reached its host
    network_failure: str | None = None
    # every source of the run failed that way: the network looked down, so the failure is not
    # held against the source (its back-off and health leave this run out)
    network_down: bool = False
    attempts: int = 1
    extract_seconds: float = 0.0  # spent extracting article pages' text
    # JSON of the list selectors found on the page when none were configured or the configured
    # ones matched nothing (spiders/board_inference.py)
    inferred_selectors: str | None = None


@dataclass(slots=True)
class Validators(_Record):
    """What cityradar knows about a URL's last good response, for conditional GET."""

    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None


@dataclass(slots=True)
class SourceState(_Record):
    """What the warehouse knows of a source before a crawl (written into the batch for it).

    validators: URL -> Validators of its last good response.
    known: canonical URL of a stored entry -> its entry fingerprint.
    """

    validators: dict[str, dict[str, str | None]] = field(default_factory=dict)
    known: dict[str, str] = field(default_factory=dict)

    def validators_for(self, url: str) -> Validators | None:
        """The validators of a URL, if it was fetched before."""
        found = self.validators.get(url)
        return Validators.from_dict(found) if found else None
