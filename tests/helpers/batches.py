"""Staging batches for tests, made of raw items the way the ingest flow makes them.

Raw items are normalised by ``normalize_chunks``, become columns through ``item_tables`` (where
exact duplicates are collapsed), then the loader's tables through ``batch_tables``, and are merged
by ``merge_tables``: the production path, so a test of the warehouse tests what a crawl loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb

from cityradar.items import CrawlReport, RawItem
from cityradar.registry import Source
from tests.helpers.factories import make_raw, make_source
from transforms.normalize import normalize_chunks
from warehouse.columnar import BatchTables, batch_tables, item_tables
from warehouse.loader import LoadResult, merge_tables

# the source a test's items come from unless it names others: a city government's feed
BUSAN_FEED = make_source(id="test_feed", org_type="city", city="Busan", name="부산광역시")
CRAWLED_AT = "2026-11-20T00:00:00+00:00"
CRAWL_ENDED_AT = "2026-11-20T00:01:00+00:00"

# a raw item, or the fields of one (``make_raw``'s keywords, the batch id set for it)
RawOrFields = RawItem | dict[str, object]


def raw_items(batch_id: str, raws: Iterable[RawOrFields]) -> list[RawItem]:
    """Raw items of the batch: fields become a RawItem of ``batch_id``; RawItems stay as given."""
    return [
        make_raw(**{**raw, "batch_id": batch_id}) if isinstance(raw, dict) else raw for raw in raws
    ]


def crawl_reports(
    batch_id: str, raws: Sequence[RawItem], sources: Sequence[Source], status: str = "ok"
) -> list[CrawlReport]:
    """One crawl report per source, ended as ``status``, counting that source's items."""
    return [
        CrawlReport(
            source.id,
            batch_id,
            CRAWLED_AT,
            CRAWL_ENDED_AT,
            status,
            items_seen=sum(raw.source_id == source.id for raw in raws),
        )
        for source in sources
    ]


def staged_batch(
    batch_id: str,
    raws: Iterable[RawOrFields],
    sources: Sequence[Source] = (BUSAN_FEED,),
    status: str = "ok",
    reports: Sequence[CrawlReport] | None = None,
) -> BatchTables:
    """A staging batch as the loader takes it, built from raw items by the production code.

    Args:
        batch_id: the batch's id (also given to items passed as fields).
        raws: its raw items, or their fields.
        sources: the registry entries of its sources.
        status: how each source's crawl ended, when ``reports`` is not given.
        reports: the crawl reports, for a test that needs their times or errors.
    """
    items = raw_items(batch_id, raws)
    return batch_tables(
        batch_id=batch_id,
        created_at=CRAWLED_AT,
        sources=list(sources),
        raw_records=[raw.to_dict() for raw in items],
        items=item_tables(normalize_chunks(items, {source.id: source for source in sources})),
        reports=crawl_reports(batch_id, items, sources, status) if reports is None else reports,
        fetches=[],
    )


def load_raws(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    raws: Iterable[RawOrFields],
    sources: Sequence[Source] = (BUSAN_FEED,),
    status: str = "ok",
    reports: Sequence[CrawlReport] | None = None,
) -> LoadResult:
    """Normalise raw items and merge them into the warehouse as one batch (see ``staged_batch``)."""
    return merge_tables(con, staged_batch(batch_id, raws, sources, status, reports))
