"""Re-tagging stored items: their stored text tagged again, as ingest tags new items."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cityradar.registry import Source
from transforms.normalize import ANALYSIS_CHUNK, batched, source_defaults
from transforms.tagging import Defaults, ItemText, Tags, tag_items


@dataclass(frozen=True)
class StoredText:
    """What an item is tagged from: its text, its attachments' text and its source."""

    item_id: str
    title: str
    summary: str
    body: str
    source: Source | None


def retag_chunks(texts: Sequence[StoredText]) -> Iterator[list[tuple[str, Tags]]]:
    """Each item's id with its new tags, a chunk at a time (so the caller can show progress).

    In chunks as ingest tags: the encoder embeds a chunk's openings together.
    """
    for chunk in batched(texts, ANALYSIS_CHUNK):
        items = [
            ItemText(
                t.title, t.summary, t.body, source_defaults(t.source) if t.source else Defaults()
            )
            for t in chunk
        ]
        yield list(zip((t.item_id for t in chunk), tag_items(items), strict=True))
