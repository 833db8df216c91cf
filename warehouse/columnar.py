"""A staging batch as Arrow tables: what the loader merges with set-based SQL.

Every table but the raw ones refers to an item by ``row``, its position in ``items``; the loader
decides which stored story each row is (an item may turn out to be one already known under
another key) before anything is written. Building the tables is the last transform step, so the
load itself runs no Python per item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from cityradar.items import CrawlReport, FetchRecord
from cityradar.registry import Source
from transforms import clusters, dedupe
from transforms.normalize import NormalizedItem, batched, completeness
from transforms.tagging import Reason, Tag, Tags
from transforms.vocabularies import Place, gazetteer


@dataclass(frozen=True)
class ItemTables:
    """A batch's items, exact duplicates collapsed, as columns; rows numbered from 0."""

    items: pa.Table
    keys: pa.Table
    cities: pa.Table
    countries: pa.Table
    focus_areas: pa.Table
    attachments: pa.Table
    band_keys: pa.Table
    band_rows: pa.Table
    band_pairs: pa.Table
    duplicates_folded: int


@dataclass(frozen=True)
class BatchTables(ItemTables):
    """One batch, column by column: its items' tables and what was fetched to make them."""

    batch_id: str
    created_at: str | None
    sources: pa.Table
    raw_items: pa.Table
    fetches: pa.Table
    reports: pa.Table

    @property
    def row_count(self) -> int:
        """Items in the batch (after exact duplicates were collapsed)."""
        return self.items.num_rows


def batch_tables(
    batch_id: str,
    created_at: str | None,
    sources: Sequence[Source],
    raw_records: Iterable[dict[str, object]],
    items: ItemTables,
    reports: Sequence[CrawlReport],
    fetches: Iterable[FetchRecord],
) -> BatchTables:
    """Turn a normalised batch (its items already in columns) into the tables the loader merges."""
    return BatchTables(
        batch_id=batch_id,
        created_at=created_at,
        sources=_sources(sources),
        raw_items=_raw_items(raw_records),
        fetches=pa.Table.from_pylist([f.to_dict() for f in fetches], schema=FETCH_SCHEMA),
        reports=pa.Table.from_pylist([r.to_dict() for r in reports], schema=REPORT_SCHEMA),
        **vars(items),
    )


def item_tables(chunks: Iterable[Sequence[NormalizedItem]]) -> ItemTables:
    """Columns of a batch's items given a chunk at a time (as ``normalize_chunks`` yields them),
    exact duplicates collapsed: the one way normalised items become the loader's tables."""
    columns = ItemColumns()
    for chunk in chunks:
        columns.add(chunk)
    return columns.finish()


@dataclass(frozen=True)
class _Identity:
    """What collapsing duplicates needs of an item once its columns are built."""

    keys: list[str]
    completeness: tuple[object, ...]


# tables that hold one or more rows per item, built a chunk at a time
_PER_ITEM = ("items", "cities", "countries", "focus_areas", "attachments")


class ItemColumns:
    """Items turned into Arrow columns a chunk at a time, so a batch of any size is never all
    Python objects at once; exact duplicates (items sharing a key) are collapsed at the end.

    Of each group of duplicates the most complete item is kept (``completeness``) under every
    key of the group; rows are renumbered 0..n-1 in batch order.
    """

    def __init__(self) -> None:
        self._chunks: list[dict[str, pa.Table]] = []
        self._identities: list[_Identity] = []
        self._signatures: list[np.ndarray | None] = []

    def add(self, items: Sequence[NormalizedItem]) -> None:
        """Turn a chunk of items into columns (the items can be dropped afterwards)."""
        self._chunks.append(_chunk_tables(items, offset=len(self._identities)))
        self._identities.extend(_Identity(list(i.keys), completeness(i)) for i in items)
        self._signatures.extend(i.signature for i in items)

    def finish(self) -> ItemTables:
        """The batch's item tables, duplicates collapsed."""
        identities = self._identities
        groups = sorted(
            dedupe.collapse(
                range(len(identities)),
                lambda row: identities[row].keys,
                lambda row: identities[row].completeness,
            )
        )
        kept = np.asarray([row for row, _, _ in groups], np.int64)
        renumbered = np.full(len(identities), -1, np.int64)
        renumbered[kept] = np.arange(len(kept))
        keys = [group_keys for _, group_keys, _ in groups]
        item_ids = np.asarray([dedupe.item_id_for(k[0]) for k in keys], object)
        chunks, self._chunks = self._chunks or [_chunk_tables([], offset=0)], []
        renumbered_chunks = []
        while chunks:  # each chunk's columns are let go as soon as they are renumbered
            chunk = chunks.pop(0)
            renumbered_chunks.append(
                {
                    name: _renumbered(chunk[name], renumbered, item_ids, name == "items")
                    for name in _PER_ITEM
                }
            )
        tables = {
            name: pa.concat_tables([chunk[name] for chunk in renumbered_chunks])
            for name in _PER_ITEM
        }
        signatures = [(new, self._signatures[old]) for new, old in enumerate(kept.tolist())]
        return ItemTables(
            **tables,
            keys=_keys(keys),
            **_bands(signatures),
            duplicates_folded=sum(folded for _, _, folded in groups),
        )


def _renumbered(
    table: pa.Table, renumbered: np.ndarray, item_ids: np.ndarray, with_ids: bool
) -> pa.Table:
    """Rows of kept items only, under their new numbers (and, for items, their group's id)."""
    new_rows = renumbered[table["row"].to_numpy()]
    mask = new_rows >= 0
    if not mask.all():  # filtering copies every column: only where a duplicate was dropped
        table = table.filter(pa.array(mask))
    table = table.set_column(table.schema.get_field_index("row"), "row", pa.array(new_rows[mask]))
    if with_ids:
        ids = pa.array(item_ids[new_rows[mask]].tolist(), pa.string())
        table = table.set_column(table.schema.get_field_index("item_id"), "item_id", ids)
    return table


def _chunk_tables(items: Sequence[NormalizedItem], offset: int) -> dict[str, pa.Table]:
    """The per-item tables of a chunk whose first item is row ``offset`` of the batch."""
    rows = range(offset, offset + len(items))
    return {
        "items": _items(items, offset),
        **tag_tables(pa.field("row", pa.int64()), rows, [i.tags for i in items]),
        "attachments": _attachments(items, offset),
    }


def reasons_json(reasons: Sequence[Reason]) -> str:
    """Reasons as the JSON the warehouse stores (absent fields left out)."""
    return orjson.dumps([r.to_dict() for r in reasons]).decode()


FETCH_SCHEMA = pa.schema(
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
REPORT_SCHEMA = pa.schema(
    [
        ("source_id", pa.string()),
        ("batch_id", pa.string()),
        ("started_at", pa.string()),
        ("finished_at", pa.string()),
        ("status", pa.string()),
        ("items_seen", pa.int32()),
        ("articles_fetched", pa.int32()),
        ("article_errors", pa.int32()),
        ("articles_skipped", pa.int32()),
        ("pages", pa.int32()),
        ("requests", pa.int32()),
        ("bytes", pa.int64()),
        ("error", pa.string()),
        ("finish_reason", pa.string()),
        ("network_down", pa.bool_()),
        ("inferred_selectors", pa.string()),
    ]
)
CITY_FIELDS = {"city": pa.string(), "country": pa.string(), "kind": pa.string()}
COUNTRY_FIELDS = {"country": pa.string()}
FOCUS_FIELDS = {"focus_area": pa.string()}


def _sources(sources: Sequence[Source]) -> pa.Table:
    return pa.table(
        {
            "source_id": pa.array([s.id for s in sources], pa.string()),
            "name": pa.array([s.name for s in sources], pa.string()),
            "kind": pa.array([s.kind for s in sources], pa.string()),
            "url": pa.array([s.url for s in sources], pa.string()),
            "language": pa.array([s.language for s in sources], pa.string()),
            "country": pa.array([s.country for s in sources], pa.string()),
            "org_type": pa.array([s.org_type for s in sources], pa.string()),
            "city": pa.array([s.city for s in sources], pa.string()),
            "timezone": pa.array([s.timezone for s in sources], pa.string()),
            "enabled": pa.array([s.enabled for s in sources], pa.bool_()),
            "config": pa.array([s.model_dump_json() for s in sources], pa.string()),
        }
    )


RAW_CHUNK = 1000  # raw records turned into Arrow at a time (their JSON is most of a batch)
_RAW_SCHEMA = pa.schema(
    [
        ("batch_id", pa.string()),
        ("source_id", pa.string()),
        ("seq", pa.int32()),
        ("record", pa.string()),
    ]
)


def _raw_items(raws: Iterable[dict[str, object]]) -> pa.Table:
    # one pass over a stream read from disk, a chunk at a time: only a chunk's JSON is ever
    # Python objects, the rest is already Arrow
    return pa.Table.from_batches(
        [_raw_chunk(chunk) for chunk in batched(raws, RAW_CHUNK)], schema=_RAW_SCHEMA
    )


def _raw_chunk(raws: Sequence[dict[str, object]]) -> pa.RecordBatch:
    records = pa.array([orjson.dumps(raw) for raw in raws], pa.binary()).cast(pa.string())
    return pa.RecordBatch.from_arrays(
        [
            pa.array([raw["batch_id"] for raw in raws], pa.string()),
            pa.array([raw["source_id"] for raw in raws], pa.string()),
            pa.array([raw["seq"] for raw in raws], pa.int32()),
            records,
        ],
        schema=_RAW_SCHEMA,
    )


def _column(items: Sequence[NormalizedItem], name: str, kind: pa.DataType) -> pa.Array:
    return pa.array([getattr(i, name) for i in items], kind)


_ITEM_COLUMNS: dict[str, pa.DataType] = {
    "item_id": pa.string(),
    "source_id": pa.string(),
    "url": pa.string(),
    "link_raw": pa.string(),
    "guid": pa.string(),
    "title": pa.string(),
    "summary": pa.string(),
    "body_text": pa.string(),
    "language": pa.string(),
    "published_at": pa.timestamp("us", tz="UTC"),
    "published_raw": pa.string(),
    "published_zone_assumed": pa.bool_(),
    "date_flag": pa.string(),
    "fetched_at": pa.timestamp("us", tz="UTC"),
    "authors": pa.list_(pa.string()),
    "categories": pa.list_(pa.string()),
    "content_hash": pa.string(),
    "article_status": pa.int32(),
    "article_error": pa.string(),
    "batch_id": pa.string(),
    "entry_fingerprint": pa.string(),
    "licence": pa.string(),
    "refetched": pa.bool_(),
}


def _items(items: Sequence[NormalizedItem], offset: int) -> pa.Table:
    columns = {"row": pa.array(np.arange(offset, offset + len(items), dtype=np.int64))}
    columns.update({name: _column(items, name, kind) for name, kind in _ITEM_COLUMNS.items()})
    columns["is_smart_city"] = pa.array([i.tags.is_smart_city for i in items], pa.bool_())
    columns["relevance"] = pa.array([i.tags.relevance for i in items], pa.float64())
    columns["relevance_reasons"] = pa.array(
        [reasons_json(i.tags.relevance_reasons) for i in items], pa.string()
    )
    return pa.table(columns)


def _keys(keys_by_row: Sequence[list[str]]) -> pa.Table:
    rows = [(row, key) for row, keys in enumerate(keys_by_row) for key in dict.fromkeys(keys)]
    return pa.table(
        {
            "row": pa.array([r for r, _ in rows], pa.int64()),
            "key": pa.array([k for _, k in rows], pa.string()),
        }
    )


def tag_tables(
    owner: pa.Field, owners: Sequence[object], tags: Sequence[Tags]
) -> dict[str, pa.Table]:
    """Tag rows of some items, the one place they are built (for the load and re-tagging alike).

    Returns the tables ``cities``, ``countries`` and ``focus_areas``: one row per item and tag,
    the column ``owner`` first (a batch's row number, or a stored item id: ``owners`` holds one
    per item of ``tags``), then the tag's own fields, its score and its reasons.
    """
    places = gazetteer().places if tags else {}  # building the gazetteer takes seconds
    return {
        "cities": _tag_table(
            owner,
            owners,
            [t.cities for t in tags],
            lambda t: {"city": t.value, "country": t.country, "kind": _place_kind(t, places)},
            CITY_FIELDS,
        ),
        "countries": _tag_table(
            owner,
            owners,
            [t.countries for t in tags],
            lambda t: {"country": t.value},
            COUNTRY_FIELDS,
        ),
        "focus_areas": _tag_table(
            owner,
            owners,
            [t.focus_areas for t in tags],
            lambda t: {"focus_area": t.value},
            FOCUS_FIELDS,
        ),
    }


def _place_kind(tag: Tag, places: Mapping[str, Place]) -> str:
    """What kind of place a city tag names (city, province...); a name the gazetteer no longer
    holds is taken as a city."""
    return places[tag.value].kind if tag.value in places else "city"


def _tag_table(
    owner: pa.Field,
    owners: Sequence[object],
    tags_by_owner: Sequence[Sequence[Tag]],
    fields_of: Callable[[Tag], dict[str, Any]],
    fields: dict[str, pa.DataType],
) -> pa.Table:
    """One row per owner and tag: the owner, the tag's own fields, its score and its reasons."""
    rows: list[dict[str, Any]] = []
    for key, tags in zip(owners, tags_by_owner, strict=True):
        for tag in tags:
            rows.append(
                {
                    owner.name: key,
                    **fields_of(tag),
                    "score": tag.score,
                    "reasons": reasons_json(tag.reasons),
                }
            )
    schema = pa.schema([owner, *fields.items(), ("score", pa.float64()), ("reasons", pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)


def _attachments(items: Sequence[NormalizedItem], offset: int) -> pa.Table:
    rows = [
        {
            "row": row,
            "url": str(a["url"]),
            "name": a.get("name"),
            "kind": a["kind"],
            "bytes": a.get("bytes"),
            "sha256": a.get("sha256"),
            "text": a.get("text"),
            "error": a.get("error"),
        }
        for row, item in enumerate(items, start=offset)
        for a in {str(a["url"]): a for a in item.attachments}.values()
    ]
    schema = pa.schema(
        [
            ("row", pa.int64()),
            ("url", pa.string()),
            ("name", pa.string()),
            ("kind", pa.string()),
            ("bytes", pa.int64()),
            ("sha256", pa.string()),
            ("text", pa.string()),
            ("error", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def _signed(signatures: Sequence[tuple[int, np.ndarray | None]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows that have a signature, and their signatures as one (rows x NUM_PERM) matrix."""
    signed = [(row, signature) for row, signature in signatures if signature is not None]
    if not signed:
        return np.zeros(0, np.int64), np.zeros((0, clusters.NUM_PERM), np.uint64)
    matrix = np.stack([signature for _, signature in signed]).astype(np.uint64, copy=False)
    return np.asarray([row for row, _ in signed], np.int64), matrix


def _bands(signatures: Sequence[tuple[int, np.ndarray | None]]) -> dict[str, pa.Table]:
    """The batch's MinHash bands, in the shapes the loader joins without reshaping them.

    band_keys: one row per item with a signature, its band keys (stored as they are);
    band_rows: one row per band key of those items (joined with the stored stories; the same
    keys buffer, unnested here because unnesting inside the join tripled its time);
    band_pairs: rows of this batch sharing enough bands to be compared as one story, found here
    so the load (which holds the write lock) joins only with stored stories.
    """
    rows, matrix = _signed(signatures)
    keys = clusters.band_key_matrix(matrix)
    flat_keys = pa.array(keys.reshape(-1), pa.int32())
    firsts, seconds, shared = clusters.shared_band_pairs(keys)
    return {
        "band_keys": pa.table(
            {
                "row": pa.array(rows, pa.int64()),
                "band_keys": pa.FixedSizeListArray.from_arrays(flat_keys, clusters.BANDS),
            }
        ),
        "band_rows": pa.table(
            {
                "row": pa.array(np.repeat(rows, clusters.BANDS), pa.int64()),
                "band_key": flat_keys,
            }
        ),
        "band_pairs": pa.table(
            {
                "row_a": pa.array(rows[firsts], pa.int64()),
                "row_b": pa.array(rows[seconds], pa.int64()),
                "shared": pa.array(shared, pa.int32()),
            }
        ),
    }
