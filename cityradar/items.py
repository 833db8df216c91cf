"""The records crawls hand to the rest of the pipeline: raw items, fetch log entries, crawl reports.

They are plain dataclasses written as JSON Lines into a staging batch, so a crawl and a load can
run in different processes (or on different machines) and a crash loses nothing already written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal, Self

CrawlStatus = Literal["ok", "partial", "empty", "failed"]
FetchKind = Literal["feed", "article", "robots", "other"]


def utc_now_iso() -> str:
    """The current time as an ISO-8601 UTC string (the format every record uses)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Record:
    """JSON round-tripping shared by the record types."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the record."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build the record from a dict, ignoring keys written by newer versions."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{key: value for key, value in data.items() if key in names})


@dataclass(slots=True)
class RawItem(_Record):
    """One entry as the source gave it, plus what its article page added. Nothing is normalised."""

    source_id: str
    batch_id: str
    seq: int
    feed_url: str
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
    feed_language: str | None = None
    feed_encoding: str | None = None
    article_url: str | None = None
    article_status: int | None = None
    article_error: str | None = None
    article_title: str | None = None
    article_text: str | None = None
    article_published_raw: str | None = None
    article_language: str | None = None
    article_canonical: str | None = None


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
    requests: int = 0
    bytes: int = 0
    error: str | None = None
    finish_reason: str | None = None
