"""The single writer: merges one normalised batch into DuckDB in one transaction, with Arrow bulk inserts.

Steps: skip a batch already loaded; land raw items and the fetch log; resolve each incoming
item to a stored one through any shared key (canonical URL or GUID); insert new items, turn
changed content into a new version, touch unchanged ones; replace tags of new and changed
items; record crawl runs and the batch. Any failure rolls the whole batch back.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from cityradar.items import CrawlReport, FetchRecord
from cityradar.registry import Source
from transforms import clusters
from transforms.normalize import NormalizedItem
from transforms.tagging import Reason
from transforms.vocabularies import gazetteer


@dataclass(frozen=True)
class BatchPayload:
    """Everything one staging batch brings to the warehouse."""

    batch_id: str
    created_at: str | None
    sources: Sequence[Source]
    raw_records: Sequence[dict[str, object]]  # every raw item, duplicates included
    items: Sequence[NormalizedItem]  # normalised, exact duplicates collapsed
    reports: Sequence[CrawlReport]
    fetches: Iterable[FetchRecord]


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


def is_loaded(con: duckdb.DuckDBPyConnection, batch_id: str) -> bool:
    """True when the batch is already in the warehouse."""
    row = con.execute("select 1 from core.batches where batch_id = ?", [batch_id]).fetchone()
    return row is not None


def load_batch(con: duckdb.DuckDBPyConnection, batch: BatchPayload) -> LoadResult:
    """Merge one batch; loading the same batch again changes nothing.

    Args:
        con: a migrated read-write connection (the caller holds the file only for the load).
        batch: the batch's sources, raw records, normalised items, crawl reports and fetch log.
    """
    batch_id, items, reports = batch.batch_id, batch.items, batch.reports
    if is_loaded(con, batch_id):
        return LoadResult(batch_id, already_loaded=True)
    now = datetime.now(UTC)
    con.begin()
    try:
        _upsert_sources(con, batch.sources, now)
        _land_raw(con, batch.raw_records, batch.fetches, now)
        _update_http_cache(con, reports)
        resolved = _resolve(con, items)
        con.register("incoming", _items_table(resolved))
        plan = _plan(con)
        _apply(con, plan, now)
        _write_keys(con, resolved, now)
        _write_tags(con, resolved, plan)
        _assign_clusters(con, resolved, plan, now)
        new_by_source = _new_by_source(resolved, plan)
        _write_runs(con, reports, new_by_source)
        counts = _count(plan)
        folded = sum(item.duplicates_folded for item in items) + len(items) - len(resolved)
        con.execute(
            "insert into core.batches values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch_id,
                batch.created_at,
                now,
                len(reports),
                len(items),
                counts["new"],
                counts["changed"],
                counts["unchanged"],
                folded,
            ],
        )
        con.commit()
    except Exception:
        con.rollback()
        raise
    finally:
        for name in (
            "incoming",
            "incoming_keys",
            "incoming_tags",
            "raw_items",
            "raw_fetches",
            "run_rows",
            "source_rows",
        ):
            _unregister(con, name)
    return LoadResult(
        batch_id, False, len(items), counts["new"], counts["changed"], counts["unchanged"], folded
    )


def _unregister(con: duckdb.DuckDBPyConnection, name: str) -> None:
    with contextlib.suppress(duckdb.Error):  # never registered in this load
        con.unregister(name)


def _upsert_sources(
    con: duckdb.DuckDBPyConnection, sources: Sequence[Source], now: datetime
) -> None:
    rows = pa.table(
        {
            "source_id": [s.id for s in sources],
            "name": [s.name for s in sources],
            "kind": [s.kind for s in sources],
            "url": [s.url for s in sources],
            "language": [s.language for s in sources],
            "country": [s.country for s in sources],
            "org_type": [s.org_type for s in sources],
            "city": [s.city for s in sources],
            "timezone": [s.timezone for s in sources],
            "enabled": [s.enabled for s in sources],
            "config": [s.model_dump_json() for s in sources],
        }
    )
    con.register("source_rows", rows)
    con.execute("delete from core.sources where source_id in (select source_id from source_rows)")
    con.execute("insert into core.sources select *, ? as updated_at from source_rows", [now])


def _land_raw(
    con: duckdb.DuckDBPyConnection,
    raws: Sequence[dict[str, object]],
    fetches: Iterable[FetchRecord],
    now: datetime,
) -> None:
    con.register(
        "raw_items",
        pa.table(
            {
                "batch_id": [r["batch_id"] for r in raws],
                "source_id": [r["source_id"] for r in raws],
                "seq": pa.array([r["seq"] for r in raws], pa.int32()),
                "record": [json.dumps(r, ensure_ascii=False) for r in raws],
            }
        ),
    )
    con.execute("insert or ignore into raw.items select *, ? from raw_items", [now])
    records = [f.to_dict() for f in fetches]
    con.register("raw_fetches", pa.Table.from_pylist(records, schema=_FETCH_SCHEMA))
    con.execute(
        "insert into raw.fetches by name select * replace (fetched_at::timestamptz as fetched_at)"
        " from raw_fetches"
    )


_FETCH_SCHEMA = pa.schema(
    [
        ("source_id", pa.string()),
        ("batch_id", pa.string()),
        ("url", pa.string()),
        ("kind", pa.string()),
        ("fetched_at", pa.string()),
        ("status", pa.int32()),
        ("bytes", pa.int64()),
        ("content_type", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("body_sha256", pa.string()),
        ("duration_ms", pa.float64()),
        ("error", pa.string()),
    ]
)


def _update_http_cache(con: duckdb.DuckDBPyConnection, reports: Sequence[CrawlReport]) -> None:
    """Keep each URL's newest validators for the next conditional GET.

    Feeds, lists and sitemaps of a crawl that failed or came back empty are left out: an error
    page remembered by its hash would make the next crawl look "unchanged" and hide the fault.
    """
    trusted = [r.source_id for r in reports if r.status in ("ok", "partial")]
    con.register("trusted_sources", pa.table({"source_id": pa.array(trusted, pa.string())}))
    try:
        con.execute(
            """
            insert or replace into core.http_cache
            select url, source_id, kind, etag, last_modified, body_sha256, status, fetched_at
            from (
                select *, fetched_at::timestamptz as fetched_at,
                       row_number() over (partition by url order by fetched_at desc) as newest
                from raw_fetches
                where status = 200
                  and (kind = 'article'
                       or (kind in ('feed', 'list', 'sitemap')
                           and source_id in (select source_id from trusted_sources)))
            )
            where newest = 1
            """
        )
        # a 304 confirms what is cached; only its time moves
        con.execute(
            """
            update core.http_cache as c set fetched_at = f.fetched_at::timestamptz
            from raw_fetches as f
            where f.status = 304 and f.url = c.url
            """
        )
    finally:
        _unregister(con, "trusted_sources")


def _resolve(
    con: duckdb.DuckDBPyConnection, items: Sequence[NormalizedItem]
) -> list[NormalizedItem]:
    """Give each item the id of the stored item it shares a key with; merge items that meet there."""
    pairs = [(index, key) for index, item in enumerate(items) for key in item.keys]
    con.register(
        "incoming_keys",
        pa.table(
            {
                "row": pa.array([p[0] for p in pairs], pa.int64()),
                "key": [p[1] for p in pairs],
            }
        ),
    )
    known = con.execute(
        "select k.row, min(s.item_id) from incoming_keys k join core.item_keys s using (key) group by k.row"
    ).fetchall()
    stored_id = dict(known)
    by_id: dict[str, NormalizedItem] = {}
    for index, item in enumerate(items):
        item.item_id = stored_id.get(index, item.item_id)
        kept = by_id.get(item.item_id)
        if kept is None:
            by_id[item.item_id] = item
        else:  # two incoming items turned out to be one stored story
            kept.keys.extend(k for k in item.keys if k not in kept.keys)
    return list(by_id.values())


def _items_table(items: Sequence[NormalizedItem]) -> pa.Table:
    return pa.table(
        {
            "item_id": [i.item_id for i in items],
            "source_id": [i.source_id for i in items],
            "url": [i.url for i in items],
            "link_raw": [i.link_raw for i in items],
            "guid": [i.guid for i in items],
            "title": [i.title for i in items],
            "summary": [i.summary for i in items],
            "body_text": [i.body_text for i in items],
            "language": [i.language for i in items],
            "published_at": pa.array([i.published_at for i in items], pa.timestamp("us", tz="UTC")),
            "published_raw": [i.published_raw for i in items],
            "published_zone_assumed": [i.published_zone_assumed for i in items],
            "date_flag": [i.date_flag for i in items],
            "fetched_at": pa.array([i.fetched_at for i in items], pa.timestamp("us", tz="UTC")),
            "authors": pa.array([i.authors for i in items], pa.list_(pa.string())),
            "categories": pa.array([i.categories for i in items], pa.list_(pa.string())),
            "content_hash": [i.content_hash for i in items],
            "is_smart_city": [i.tags.is_smart_city for i in items],
            "relevance": pa.array([i.tags.relevance for i in items], pa.float64()),
            "relevance_reasons": [_reasons_json(i.tags.relevance_reasons) for i in items],
            "article_status": pa.array([i.article_status for i in items], pa.int32()),
            "article_error": [i.article_error for i in items],
            "batch_id": [i.batch_id for i in items],
            "entry_fingerprint": [i.entry_fingerprint for i in items],
            "licence": [i.licence for i in items],
            "refetched": [i.refetched for i in items],
        }
    )


def _plan(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """item_id -> new | changed | unchanged, decided before anything is written."""
    rows = con.execute(
        """
        select i.item_id,
               case when c.item_id is null then 'new'
                    when not i.refetched then 'unchanged'
                    when c.content_hash <> i.content_hash then 'changed'
                    else 'unchanged' end
        from incoming as i left join core.items as c using (item_id)
        """
    ).fetchall()
    return dict(rows)


def _apply(con: duckdb.DuckDBPyConnection, plan: dict[str, str], now: datetime) -> None:
    con.execute(
        """
        update core.items as c set
            title = i.title, summary = i.summary, body_text = i.body_text, language = i.language,
            url = coalesce(i.url, c.url), link_raw = i.link_raw, guid = coalesce(i.guid, c.guid),
            published_at = coalesce(i.published_at, c.published_at),
            published_raw = coalesce(i.published_raw, c.published_raw),
            published_zone_assumed = i.published_zone_assumed, date_flag = i.date_flag,
            fetched_at = i.fetched_at, last_seen_at = greatest(c.last_seen_at, i.fetched_at),
            authors = i.authors, categories = i.categories, content_hash = i.content_hash,
            version = c.version + 1, is_smart_city = i.is_smart_city, relevance = i.relevance,
            relevance_reasons = i.relevance_reasons, article_status = i.article_status,
            article_error = i.article_error, batch_id = i.batch_id,
            entry_fingerprint = i.entry_fingerprint, licence = coalesce(i.licence, c.licence)
        from incoming as i
        where c.item_id = i.item_id and i.refetched and c.content_hash <> i.content_hash
        """
    )
    con.execute(
        """
        update core.items as c set
            last_seen_at = greatest(c.last_seen_at, i.fetched_at),
            entry_fingerprint = coalesce(i.entry_fingerprint, c.entry_fingerprint)
        from incoming as i
        where c.item_id = i.item_id and (not i.refetched or c.content_hash = i.content_hash)
        """
    )
    con.execute(
        """
        insert into core.items by name
        select i.* exclude (refetched), i.fetched_at as first_seen_at, i.fetched_at as last_seen_at,
               1 as version, null as cluster_id
        from incoming as i anti join core.items as c using (item_id)
        """
    )
    changed_or_new = [item_id for item_id, action in plan.items() if action != "unchanged"]
    if changed_or_new:
        con.execute(
            """
            insert into core.item_versions
            select c.item_id, c.version, c.content_hash, c.title, c.summary, c.body_text,
                   c.published_at, c.fetched_at, c.batch_id
            from core.items as c
            where c.item_id in (select item_id from incoming)
              and not exists (select 1 from core.item_versions v
                              where v.item_id = c.item_id and v.version = c.version)
            """
        )


def _write_keys(
    con: duckdb.DuckDBPyConnection, items: Sequence[NormalizedItem], now: datetime
) -> None:
    pairs = {(key, item.item_id) for item in items for key in item.keys}
    con.register(
        "incoming_keys",
        pa.table(
            {
                "key": [p[0] for p in pairs],
                "item_id": [p[1] for p in pairs],
            }
        ),
    )
    con.execute(
        "insert into core.item_keys select k.key, k.item_id, ? from incoming_keys k"
        " anti join core.item_keys s using (key)",
        [now],
    )


def _write_tags(
    con: duckdb.DuckDBPyConnection, items: Sequence[NormalizedItem], plan: dict[str, str]
) -> None:
    retag = [i for i in items if plan.get(i.item_id) in ("new", "changed")]
    if not retag:
        return
    ids = pa.table({"item_id": [i.item_id for i in retag]})
    con.register("incoming_tags", ids)
    for table in ("item_cities", "item_countries", "item_focus_areas", "item_attachments"):
        con.execute(
            f"delete from core.{table} where item_id in (select item_id from incoming_tags)"
        )
    _insert_tags(
        con,
        "item_cities",
        [
            (i.item_id, t.value, t.country, t.score, _reasons_json(t.reasons), _kind_of(t.value))
            for i in retag
            for t in i.tags.cities
        ],
        ["item_id", "city", "country", "score", "reasons", "kind"],
    )
    _insert_tags(
        con,
        "item_countries",
        [
            (i.item_id, t.value, t.score, _reasons_json(t.reasons))
            for i in retag
            for t in i.tags.countries
        ],
        ["item_id", "country", "score", "reasons"],
    )
    _insert_tags(
        con,
        "item_focus_areas",
        [
            (i.item_id, t.value, t.score, _reasons_json(t.reasons))
            for i in retag
            for t in i.tags.focus_areas
        ],
        ["item_id", "focus_area", "score", "reasons"],
    )
    _insert_tags(
        con,
        "item_attachments",
        [
            (
                i.item_id,
                a["url"],
                a["name"],
                a["kind"],
                a.get("bytes"),
                a.get("sha256"),
                a.get("text"),
                a.get("error"),
            )
            for i in retag
            for a in {str(a["url"]): a for a in i.attachments}.values()
        ],
        ["item_id", "url", "name", "kind", "bytes", "sha256", "text", "error"],
    )


def _insert_tags(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[object, ...]], columns: list[str]
) -> None:
    if not rows:
        return
    arrow = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
    con.register("tag_rows", arrow)
    try:
        con.execute(f"insert into core.{table} by name select * from tag_rows")
    finally:
        _unregister(con, "tag_rows")


def _new_by_source(items: Sequence[NormalizedItem], plan: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        if plan.get(item.item_id) == "new":
            counts[item.source_id] = counts.get(item.source_id, 0) + 1
    return counts


def _write_runs(
    con: duckdb.DuckDBPyConnection, reports: Sequence[CrawlReport], new_by_source: dict[str, int]
) -> None:
    if not reports:
        return
    rows = [{**asdict(r), "items_new": new_by_source.get(r.source_id, 0)} for r in reports]
    con.register("run_rows", pa.Table.from_pylist(rows))
    con.execute(
        """
        insert into core.crawl_runs by name
        select batch_id, source_id, started_at::timestamptz as started_at,
               finished_at::timestamptz as finished_at, status, items_seen, items_new,
               articles_fetched, article_errors, requests, bytes, error, finish_reason,
               articles_skipped, pages
        from run_rows
        """
    )


def _count(plan: dict[str, str]) -> dict[str, int]:
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for action in plan.values():
        counts[action] += 1
    return counts


def _reasons_json(reasons: Sequence[Reason]) -> str:
    return json.dumps(
        [{k: v for k, v in asdict(r).items() if v is not None} for r in reasons], ensure_ascii=False
    )


# Stories are compared with those seen in this many days; older signatures are dropped.
CLUSTER_WINDOW_DAYS = 30


def _kind_of(place: str) -> str:
    found = gazetteer().cities.get(place)
    return found.kind if found is not None else "city"


def _assign_clusters(
    con: duckdb.DuckDBPyConnection,
    items: Sequence[NormalizedItem],
    plan: dict[str, str],
    now: datetime,
) -> None:
    """Give new and changed items the cluster of the recent stories they repeat.

    Candidates share a MinHash band key; the full signatures decide. A group takes the cluster
    id of its earliest member, and clusters a new story bridges are merged.
    """
    fresh = [i for i in items if plan.get(i.item_id) in ("new", "changed")]
    if not fresh:
        return
    ids = pa.table({"item_id": [i.item_id for i in fresh]})
    con.register("fresh_ids", ids)
    con.execute("delete from core.item_signatures where item_id in (select item_id from fresh_ids)")
    con.execute("delete from core.item_bands where item_id in (select item_id from fresh_ids)")
    signed = [i for i in fresh if i.signature is not None]
    if signed:
        con.register(
            "fresh_signatures",
            pa.table(
                {
                    "item_id": [i.item_id for i in signed],
                    "signature": pa.array(
                        [i.signature.tolist() for i in signed], pa.list_(pa.uint64())
                    ),
                }
            ),
        )
        con.execute("insert into core.item_signatures select * from fresh_signatures")
        con.register(
            "fresh_bands",
            pa.table(
                {
                    "band_key": pa.array(
                        [k for i in signed for k in clusters.band_keys(i.signature)], pa.int64()
                    ),
                    "item_id": [i.item_id for i in signed for _ in range(clusters.BANDS)],
                }
            ),
        )
        con.execute("insert into core.item_bands select * from fresh_bands")
    window = now - timedelta(days=CLUSTER_WINDOW_DAYS)
    pairs = con.execute(
        """
        select distinct b.item_id, o.item_id
        from core.item_bands as b
        join core.item_bands as o on o.band_key = b.band_key and o.item_id <> b.item_id
        join core.items as i on i.item_id = o.item_id
        where b.item_id in (select item_id from fresh_ids) and i.last_seen_at >= ?
        """,
        [window],
    ).fetchall()
    nodes = {i.item_id for i in fresh} | {other for _, other in pairs}
    con.register("cluster_nodes", pa.table({"item_id": sorted(nodes)}))
    signatures = {
        item_id: np.asarray(values, dtype=np.uint64)
        for item_id, values in con.execute(
            "select item_id, signature from core.item_signatures"
            " where item_id in (select item_id from cluster_nodes)"
        ).fetchall()
    }
    known = {
        item_id: (cluster_id, first_seen)
        for item_id, cluster_id, first_seen in con.execute(
            "select item_id, cluster_id, first_seen_at from core.items"
            " where item_id in (select item_id from cluster_nodes)"
        ).fetchall()
    }
    groups = _connect(nodes, pairs, signatures, _story_places(con))
    updates: dict[str, str] = {}
    merged: dict[str, str] = {}
    for members in groups:
        root = min(members, key=lambda m: (known[m][1], m))
        target = known[root][0] or root
        for member in members:
            old = known[member][0]
            if old and old != target:
                merged[old] = target
            updates[member] = target
    if updates:
        con.register(
            "cluster_updates",
            pa.table(
                {
                    "item_id": list(updates),
                    "cluster_id": list(updates.values()),
                }
            ),
        )
        con.execute(
            "update core.items as c set cluster_id = u.cluster_id from cluster_updates as u"
            " where c.item_id = u.item_id"
        )
    for old, new in merged.items():  # the rest of a bridged cluster follows
        con.execute("update core.items set cluster_id = ? where cluster_id = ?", [new, old])
    con.execute(
        "delete from core.item_bands where item_id in (select item_id from core.items"
        " where last_seen_at < ?)",
        [window],
    )
    con.execute(
        "delete from core.item_signatures where item_id in (select item_id from core.items"
        " where last_seen_at < ?)",
        [window],
    )
    for name in (
        "fresh_ids",
        "fresh_signatures",
        "fresh_bands",
        "cluster_nodes",
        "cluster_updates",
    ):
        _unregister(con, name)


def _story_places(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Cities the text of each cluster candidate names (not its publisher's city)."""
    places: dict[str, set[str]] = {}
    for item_id, place, reasons in con.execute(
        "select item_id, city, reasons from core.item_cities"
        " where kind = 'city' and item_id in (select item_id from cluster_nodes)"
    ).fetchall():
        # the publisher's own city says nothing about which story this is
        if any(reason["field"] != "source" for reason in json.loads(reasons)):
            places.setdefault(item_id, set()).add(place)
    return places


def _connect(
    nodes: set[str],
    pairs: list[tuple[str, str]],
    signatures: dict[str, np.ndarray],
    places: dict[str, set[str]],
) -> list[set[str]]:
    """Connected groups of nodes, joined where two items tell the same story."""

    def same(a: str, b: str) -> bool:
        if a not in signatures or b not in signatures:
            return False
        return clusters.same_story(
            signatures[a],
            signatures[b],
            frozenset(places.get(a, ())),
            frozenset(places.get(b, ())),
        )

    roots = clusters.connect(sorted(nodes), ((a, b) for a, b in pairs if same(a, b)))
    groups: dict[str, set[str]] = {}
    for node, root in roots.items():
        groups.setdefault(root, set()).add(node)
    return list(groups.values())
