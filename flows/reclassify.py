"""`cityradar reclassify`: re-tag every stored item after a taxonomy or gazetteer change."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from cityradar.progress import progress
from cityradar.settings import Settings
from transforms.normalize import ANALYSIS_CHUNK, batched, source_defaults
from transforms.tagging import Defaults, ItemText, tag_items
from warehouse.db import connect
from warehouse.places import refresh_places
from warehouse.retag import replace_tags, stored_texts


@dataclass(frozen=True)
class ReclassifyResult:
    """How many items were re-tagged, how fast, and what changed."""

    items: int
    seconds: float
    smart_before: int
    smart_after: int

    @property
    def items_per_second(self) -> float:
        """Throughput of the whole re-tag (read, tag, write)."""
        return self.items / self.seconds if self.seconds else float(self.items)


def reclassify(db_path: Path) -> ReclassifyResult:
    """Re-tag all items from their stored text in one transaction, without re-crawling.

    Only the tagger's tags change: analysts' corrections (tag_corrections) are kept apart and
    still apply in the views.
    """
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `cityradar ingest` first")
    started = time.perf_counter()
    with connect(db_path, memory_limit=Settings().db_memory_limit) as con:
        con.begin()
        try:
            before = con.execute(
                "select count(*) filter (where is_smart_city) from core.items"
            ).fetchone()[0]
            texts = stored_texts(con)
            progress().start("reclassify", "Re-tagging stored items", len(texts))
            tagged = []
            # in chunks, as ingest tags: the encoder embeds a chunk's openings together
            for chunk in batched(texts, ANALYSIS_CHUNK):
                items = [
                    ItemText(
                        t.title,
                        t.summary,
                        t.body,
                        source_defaults(t.source) if t.source else Defaults(),
                    )
                    for t in chunk
                ]
                tagged.extend(zip((t.item_id for t in chunk), tag_items(items), strict=True))
                progress().advance("reclassify", len(chunk))
            progress().finish("reclassify")
            replace_tags(con, tagged)
            refresh_places(con)  # the gazetteer may have changed: corrections name its places
            after = con.execute(
                "select count(*) filter (where is_smart_city) from core.items"
            ).fetchone()[0]
            con.commit()
        except Exception:
            con.rollback()
            raise
    return ReclassifyResult(len(tagged), time.perf_counter() - started, before, after)
