"""The single writer: merges one batch into DuckDB in one transaction, set-based.

The batch arrives as Arrow tables (warehouse.columnar); every step below is SQL over them, so the
load runs no Python per item. Steps: skip a batch already loaded; land raw items and the fetch
log; resolve each incoming row to a stored story through any shared key (canonical URL or GUID);
insert new stories, archive the old content of changed ones as a version and update them, touch
unchanged ones; replace the tags, search terms and signatures of new and changed stories; cluster
them with recent stories (the candidates read here, the decision a pure function of
transforms.clusters); record crawl runs and the batch. Any failure rolls the whole batch back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import orjson
import pyarrow as pa

from transforms import clusters
from warehouse.columnar import BatchTables
from warehouse.db import one_row

# Stories are compared with those seen in this many days; older signatures are dropped.
CLUSTER_WINDOW_DAYS = 30
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LoadResult:
    """What a load did."""

    batch_id: str
    already_loaded: bool
    items_in: int = 0
    items_new: int = 0
    items_changed: int = 0
    items_unchanged: int = 0
    duplicates_folded: int = 0
    new_by_source: dict[str, int] = field(default_factory=dict)


def is_loaded(con: duckdb.DuckDBPyConnection, batch_id: str) -> bool:
    """True when the batch is already in the warehouse."""
    row = con.execute("select 1 from core.batches where batch_id = ?", [batch_id]).fetchone()
    return row is not None


def merge_tables(con: duckdb.DuckDBPyConnection, batch: BatchTables) -> LoadResult:
    """Merge one batch; loading the same batch again changes nothing.

    Args:
        con: a migrated read-write connection (the caller holds the file only for the load).
        batch: the batch as Arrow tables.
    """
    if is_loaded(con, batch.batch_id):
        return LoadResult(batch.batch_id, already_loaded=True)
    now = datetime.now(UTC)
    with _registered(con, batch):
        con.begin()
        try:
            counts = _merge(con, batch, now)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return counts


def _merge(con: duckdb.DuckDBPyConnection, batch: BatchTables, now: datetime) -> LoadResult:
    _upsert_sources(con, now)
    _land_raw(con, now)
    _update_http_cache(con)
    _resolve(con)
    _plan(con)
    counts = dict(con.execute("select action, count(*) from b_plan group by action").fetchall())
    new_by_source = dict(
        con.execute(
            "select source_id, count(*) from b_plan where action = 'new' group by source_id"
        ).fetchall()
    )
    changed = counts.get("changed", 0) > 0
    _apply(con, counts)
    _write_keys(con, now)
    _write_tags(con, changed)
    _assign_clusters(con, now, changed)
    _write_runs(con)
    kept = sum(counts.values())
    folded = batch.duplicates_folded + batch.row_count - kept
    con.execute(
        "insert into core.batches values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            batch.batch_id,
            batch.created_at,
            now,
            batch.reports.num_rows,
            batch.row_count,
            counts.get("new", 0),
            counts.get("changed", 0),
            counts.get("unchanged", 0),
            folded,
        ],
    )
    return LoadResult(
        batch.batch_id,
        False,
        batch.row_count,
        counts.get("new", 0),
        counts.get("changed", 0),
        counts.get("unchanged", 0),
        folded,
        new_by_source,
    )


_TABLES = {
    "b_sources": "sources",
    "b_raw_items": "raw_items",
    "b_fetches": "fetches",
    "b_reports": "reports",
    "b_items": "items",
    "b_keys": "keys",
    "b_cities": "cities",
    "b_countries": "countries",
    "b_focus_areas": "focus_areas",
    "b_attachments": "attachments",
    "b_band_keys": "band_keys",
    "b_band_rows": "band_rows",
    "b_band_pairs": "band_pairs",
}
_TEMP_TABLES = ("b_rowmap", "b_plan", "b_fresh")


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, batch: BatchTables) -> Iterator[None]:
    """The batch's tables visible to SQL as b_*, for the length of the load."""
    for name, attribute in _TABLES.items():
        con.register(name, getattr(batch, attribute))
    try:
        yield
    finally:
        for name in _TABLES:
            _unregister(con, name)
        with contextlib.suppress(duckdb.Error):
            con.execute("drop view if exists b_incoming")
        for name in _TEMP_TABLES:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"drop table if exists {name}")


def _unregister(con: duckdb.DuckDBPyConnection, name: str) -> None:
    with contextlib.suppress(duckdb.Error):  # never registered in this load
        con.unregister(name)


def _upsert_sources(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    con.execute("delete from core.sources where source_id in (select source_id from b_sources)")
    con.execute("insert into core.sources select *, ? as updated_at from b_sources", [now])


def _land_raw(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    con.execute("insert into raw.items select *, ? from b_raw_items", [now])
    con.execute(
        "insert into raw.fetches by name select * replace (fetched_at::timestamptz as fetched_at)"
        " from b_fetches"
    )


def _update_http_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Keep each URL's newest validators for the next conditional GET.

    Feeds, lists and sitemaps of a crawl that failed or came back empty are left out: an error
    page remembered by its hash would make the next crawl look "unchanged" and hide the fault.
    """
    con.execute(
        """
        insert or replace into core.http_cache
        select url, source_id, kind, etag, last_modified, body_sha256, status, fetched_at
        from (
            select *, fetched_at::timestamptz as fetched_at,
                   row_number() over (partition by url order by fetched_at desc) as newest
            from b_fetches
            where status = 200
              and (kind = 'article'
                   or (kind in ('feed', 'list', 'sitemap')
                       and source_id in (select source_id from b_reports
                                         where status in ('ok', 'partial'))))
        )
        where newest = 1
        """
    )
    # a 304 confirms what is cached; only its time moves
    con.execute(
        """
        update core.http_cache as c set fetched_at = f.fetched_at::timestamptz
        from b_fetches as f
        where f.status = 304 and f.url = c.url
        """
    )


def _resolve(con: duckdb.DuckDBPyConnection) -> None:
    """b_rowmap: each incoming row's story id (a stored one when a key is known) and whether it
    is the row that speaks for that story (the first); b_incoming: those rows."""
    con.execute(
        """
        create or replace temp table b_rowmap as
        with stored as (
            select k.row, min(s.item_id) as stored_id
            from b_keys as k join core.item_keys as s using (key)
            group by k.row
        ), mapped as (
            select i.row, coalesce(st.stored_id, i.item_id) as item_id
            from b_items as i left join stored as st using (row)
        )
        select row, item_id, row = min(row) over (partition by item_id) as keep from mapped
        """
    )
    con.execute(
        """
        create or replace temp view b_incoming as
        select m.item_id, i.* exclude (item_id)
        from b_items as i join b_rowmap as m using (row)
        where m.keep
        """
    )


def _plan(con: duckdb.DuckDBPyConnection) -> None:
    """b_plan: new | changed | unchanged for each incoming story, decided before any write."""
    con.execute(
        """
        create or replace temp table b_plan as
        select i.item_id, i.row, i.source_id,
               case when c.item_id is null then 'new'
                    when not i.refetched then 'unchanged'
                    when c.content_hash <> i.content_hash then 'changed'
                    else 'unchanged' end as action
        from b_incoming as i left join core.items as c using (item_id)
        """
    )


def _apply(con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> None:
    """Write the plan: each statement runs only when the batch has stories it concerns."""
    if counts.get("changed"):
        _apply_changes(con)
    if counts.get("unchanged"):
        _touch_unchanged(con)
    if counts.get("new"):
        _insert_new(con)


def _apply_changes(con: duckdb.DuckDBPyConnection) -> None:
    # the content a change replaces becomes a version of its own
    con.execute(
        """
        insert into core.item_versions
        select c.item_id, c.version, c.content_hash, c.title, c.summary, c.body_text,
               c.published_at, c.fetched_at, c.batch_id
        from core.items as c join b_plan as p using (item_id)
        where p.action = 'changed'
          and not exists (select 1 from core.item_versions as v
                          where v.item_id = c.item_id and v.version = c.version)
        """
    )
    con.execute(
        """
        update core.items as c set
            title = i.title, summary = i.summary, body_text = i.body_text, language = i.language,
            url = coalesce(i.url, c.url), link_raw = i.link_raw, guid = coalesce(i.guid, c.guid),
            -- a new date too far ahead leaves published_at empty, beside its raw text and flag
            published_at = case when i.date_flag = 'future' then null
                                else coalesce(i.published_at, c.published_at) end,
            published_raw = coalesce(i.published_raw, c.published_raw),
            published_zone_assumed = i.published_zone_assumed, date_flag = i.date_flag,
            fetched_at = i.fetched_at, last_seen_at = greatest(c.last_seen_at, i.fetched_at),
            authors = i.authors, categories = i.categories, content_hash = i.content_hash,
            version = c.version + 1, is_smart_city = i.is_smart_city, relevance = i.relevance,
            relevance_reasons = i.relevance_reasons, article_status = i.article_status,
            article_error = i.article_error, batch_id = i.batch_id,
            entry_fingerprint = i.entry_fingerprint, licence = coalesce(i.licence, c.licence)
        from b_items as i join b_plan as p using (row)
        where c.item_id = p.item_id and p.action = 'changed'
        """
    )


def _touch_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        update core.items as c set
            last_seen_at = greatest(c.last_seen_at, i.fetched_at),
            entry_fingerprint = coalesce(i.entry_fingerprint, c.entry_fingerprint)
        from b_items as i join b_plan as p using (row)
        where c.item_id = p.item_id and p.action = 'unchanged'
        """
    )


def _insert_new(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        insert into core.items by name
        select p.item_id, i.* exclude (item_id, refetched, row), i.fetched_at as first_seen_at,
               i.fetched_at as last_seen_at, 1 as version, null as cluster_id
        from b_items as i join b_plan as p using (row)
        where p.action = 'new'
        """
    )


def _write_keys(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    con.execute(
        """
        insert into core.item_keys
        select k.key, min(m.item_id), ?
        from b_keys as k join b_rowmap as m using (row)
        where not exists (select 1 from core.item_keys as s where s.key = k.key)
        group by k.key
        """,
        [now],
    )


# tag table -> the batch table holding its rows, and its columns after item_id
_TAG_TABLES = {
    "item_cities": ("b_cities", "city, country, score, reasons, kind"),
    "item_countries": ("b_countries", "country, score, reasons"),
    "item_focus_areas": ("b_focus_areas", "focus_area, score, reasons"),
    "item_attachments": ("b_attachments", "url, name, kind, bytes, sha256, text, error"),
}


def _write_tags(con: duckdb.DuckDBPyConnection, changed: bool) -> None:
    """Replace the tags and attachments of new and changed stories."""
    for table, (source, columns) in _TAG_TABLES.items():
        if changed:
            con.execute(
                f"delete from core.{table} where item_id in"
                " (select item_id from b_plan where action = 'changed')"
            )
        con.execute(
            f"""
            insert into core.{table} (item_id, {columns})
            select p.item_id, {columns}
            from {source} as t join b_plan as p using (row)
            where p.action <> 'unchanged'
            """
        )


def _assign_clusters(con: duckdb.DuckDBPyConnection, now: datetime, changed: bool) -> None:
    """Give new and changed stories the cluster of the recent stories they repeat.

    Stories sharing band keys are candidates, found here in SQL; which of them tell one story
    and which cluster each group takes is decided by ``transforms.clusters.assign_clusters``.
    Bands of stories not seen within the window are dropped.
    """
    window = now - timedelta(days=CLUSTER_WINDOW_DAYS)
    if changed:  # a changed story is compared by its new text
        con.execute(
            "delete from core.story_bands where item_key in (select ('0x' || item_id)::ubigint"
            " from b_plan where action = 'changed')"
        )
    _forget_old_bands(con, window)
    con.execute(
        """
        create or replace temp table b_fresh as
        select p.row, ('0x' || p.item_id)::ubigint as item_key, k.band_keys
        from b_plan as p join b_band_keys as k using (row) join b_items as i using (row)
        where p.action <> 'unchanged' and i.fetched_at >= ?
        """,
        [window],
    )
    # pairs within the batch were found with it (warehouse.columnar); here only stored stories
    pairs = con.execute(
        """
        with stored as (select item_key, unnest(band_keys) as band_key from core.story_bands),
        -- keys the batch and the stored stories share, unless too common to mean one story;
        -- counted only for shared keys (a key the stored stories lack links nothing)
        shared as (
            select band_key, count(*) as stories from stored
            where band_key in (select band_key from b_band_rows)
            group by band_key
        ),
        usable as (
            select band_key from shared join (
                select band_key, count(*) as rows from b_band_rows
                where band_key in (select band_key from shared)
                group by band_key
            ) using (band_key)
            where stories + rows <= ?
        ),
        across as (
            select k.row, s.item_key, count(*) as shared
            from b_band_rows as k join stored as s using (band_key)
            where band_key in (select band_key from usable)
            group by k.row, s.item_key
            having count(*) >= ?
        )
        select printf('%016x', f.item_key), printf('%016x', a.item_key), a.shared
        from across as a join b_fresh as f using (row)
        where f.item_key <> a.item_key
        union all
        select printf('%016x', a.item_key), printf('%016x', b.item_key), p.shared
        from b_band_pairs as p
        join b_fresh as a on a.row = p.row_a
        join b_fresh as b on b.row = p.row_b
        where a.item_key <> b.item_key
        """,
        [clusters.MAX_BUCKET, clusters.MIN_SHARED_BANDS],
    ).fetchall()
    con.execute("insert into core.story_bands select item_key, band_keys from b_fresh")
    if pairs:
        _link_stories(con, pairs)


def _forget_old_bands(con: duckdb.DuckDBPyConnection, window: datetime) -> None:
    """Drop the bands of stories whose last sighting left the window since the previous load
    (those that left it earlier went then), so each load reads only that slice of items."""
    (previous,) = one_row(con, "select max(loaded_at) from core.batches")
    since = previous - timedelta(days=CLUSTER_WINDOW_DAYS) if previous else _EPOCH
    con.execute(
        """
        delete from core.story_bands where item_key in (
            select ('0x' || item_id)::ubigint from core.items
            where last_seen_at < ? and last_seen_at >= ?)
        """,
        [window, since],
    )


def _link_stories(con: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str, int]]) -> None:
    """Give the stories of candidate pairs their clusters (decided in transforms.clusters)."""
    changes = clusters.assign_clusters(pairs, _candidates(con, clusters.stories_in(pairs)))
    if changes.assigned:
        con.register(
            "b_cluster_updates",
            pa.table(
                {
                    "item_id": list(changes.assigned),
                    "cluster_id": list(changes.assigned.values()),
                }
            ),
        )
        try:
            con.execute(
                "update core.items as c set cluster_id = u.cluster_id from b_cluster_updates as u"
                " where c.item_id = u.item_id"
            )
        finally:
            _unregister(con, "b_cluster_updates")
    for old, new in changes.merged.items():  # the rest of a bridged cluster follows
        con.execute("update core.items set cluster_id = ? where cluster_id = ?", [new, old])


def _candidates(
    con: duckdb.DuckDBPyConnection, item_ids: list[str]
) -> dict[str, clusters.Candidate]:
    """What is stored of each story of a candidate pair: cluster, first sighting, source, and
    the cities its text names."""
    con.register("b_nodes", pa.table({"item_id": pa.array(item_ids, pa.string())}))
    try:
        places: dict[str, set[str]] = {}
        for item_id, place, reasons in con.execute(
            "select item_id, city, reasons from core.item_cities"
            " where kind = 'city' and item_id in (select item_id from b_nodes)"
        ).fetchall():
            if clusters.names_the_place(orjson.loads(reasons)):
                places.setdefault(item_id, set()).add(place)
        return {
            item_id: clusters.Candidate(
                cluster_id, first_seen_at, source_id, frozenset(places.get(item_id, ()))
            )
            for item_id, cluster_id, first_seen_at, source_id in con.execute(
                "select item_id, cluster_id, first_seen_at, source_id from core.items"
                " where item_id in (select item_id from b_nodes)"
            ).fetchall()
        }
    finally:
        _unregister(con, "b_nodes")


def _write_runs(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        insert into core.crawl_runs by name
        select r.batch_id, r.source_id, r.started_at::timestamptz as started_at,
               r.finished_at::timestamptz as finished_at, r.status, r.items_seen,
               coalesce(n.items_new, 0) as items_new, r.articles_fetched, r.article_errors,
               r.requests, r.bytes, r.error, r.finish_reason, r.articles_skipped, r.pages,
               coalesce(r.network_down, false) as network_down,
               r.inferred_selectors::json as inferred_selectors
        from b_reports as r
        left join (select source_id, count(*) as items_new from b_plan
                   where action = 'new' group by source_id) as n using (source_id)
        """
    )
