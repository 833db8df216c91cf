"""Re-tag every stored item from its stored text, after a taxonomy or gazetteer change.

The warehouse side of `cityradar reclassify`: it reads the stored texts and writes the new tags
in one transaction; the tags themselves come from transforms/retagging.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cityradar.progress import progress
from transforms.retagging import retag_chunks
from warehouse.db import connect, one_row
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


def reclassify(db_path: Path, memory_limit: str | None = None) -> ReclassifyResult:
    """Re-tag all items from their stored text in one transaction, without re-crawling.

    Only the tagger's tags change: analysts' corrections (tag_corrections) are kept apart and
    still apply in the views. A failure half-way leaves every tag as it was.
    """
    if not db_path.exists():
        raise FileNotFoundError(f"no warehouse at {db_path}: run `cityradar ingest` first")
    started = time.perf_counter()
    with connect(db_path, memory_limit=memory_limit) as con:
        con.begin()
        try:
            before = smart_city_items(con)
            items = retag_stored(con)
            after = smart_city_items(con)
            con.commit()
        except Exception:
            con.rollback()
            raise
    return ReclassifyResult(items, time.perf_counter() - started, before, after)


def retag_stored(con: duckdb.DuckDBPyConnection) -> int:
    """Replace every stored item's tags with the current tagger's (the caller holds the
    transaction); returns how many items were re-tagged."""
    texts = stored_texts(con)
    progress().start("reclassify", "Re-tagging stored items", len(texts))
    tagged = []
    for chunk in retag_chunks(texts):
        tagged.extend(chunk)
        progress().advance("reclassify", len(chunk))
    progress().finish("reclassify")
    replace_tags(con, tagged)
    refresh_places(con)  # the gazetteer may have changed: corrections name its places
    return len(tagged)


def smart_city_items(con: duckdb.DuckDBPyConnection) -> int:
    """How many stored items the tagger calls smart-city."""
    return int(one_row(con, "select count(*) filter (where is_smart_city) from core.items")[0])
