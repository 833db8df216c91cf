"""Re-tagging stored items: read their text, write new tags (the caller holds one transaction)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from cityradar.registry import Source
from transforms.retagging import StoredText
from transforms.tagging import Tags
from transforms.vocabularies import gazetteer
from warehouse.columnar import reasons_json


def stored_texts(con: duckdb.DuckDBPyConnection) -> list[StoredText]:
    """Every stored item's text (the body followed by its attachments' text) and source entry."""
    rows = con.execute(
        """
        with attached as (
            select item_id, string_agg(text, chr(10) order by url) as text
            from core.item_attachments
            where text is not null
            group by item_id
        )
        select i.item_id, i.title, coalesce(i.summary, ''),
               concat_ws(chr(10), coalesce(i.body_text, ''), a.text) as text, s.config
        from core.items as i
        left join attached as a using (item_id)
        left join core.sources as s on s.source_id = i.source_id
        order by i.item_id
        """
    ).fetchall()
    return [
        StoredText(
            item_id,
            title,
            summary,
            text,
            Source.model_validate_json(config) if config else None,
        )
        for item_id, title, summary, text, config in rows
    ]


def replace_tags(con: duckdb.DuckDBPyConnection, tagged: Sequence[tuple[str, Tags]]) -> None:
    """Replace the cities, countries, focus areas and relevance of the given items."""
    con.register("retag_ids", pa.table({"item_id": [item_id for item_id, _ in tagged]}))
    for table in ("item_cities", "item_countries", "item_focus_areas"):
        con.execute(f"delete from core.{table} where item_id in (select item_id from retag_ids)")
    places = gazetteer().cities
    _insert(
        con,
        "item_cities",
        ["item_id", "city", "country", "score", "reasons", "kind"],
        [
            (
                item_id,
                t.value,
                t.country,
                t.score,
                reasons_json(t.reasons),
                places[t.value].kind if t.value in places else "city",
            )
            for item_id, tags in tagged
            for t in tags.cities
        ],
    )
    _insert(
        con,
        "item_countries",
        ["item_id", "country", "score", "reasons"],
        [
            (item_id, t.value, t.score, reasons_json(t.reasons))
            for item_id, tags in tagged
            for t in tags.countries
        ],
    )
    _insert(
        con,
        "item_focus_areas",
        ["item_id", "focus_area", "score", "reasons"],
        [
            (item_id, t.value, t.score, reasons_json(t.reasons))
            for item_id, tags in tagged
            for t in tags.focus_areas
        ],
    )
    con.register(
        "retag_relevance",
        pa.table(
            {
                "item_id": [item_id for item_id, _ in tagged],
                "is_smart_city": [tags.is_smart_city for _, tags in tagged],
                "relevance": pa.array([tags.relevance for _, tags in tagged], pa.float64()),
                "relevance_reasons": [reasons_json(tags.relevance_reasons) for _, tags in tagged],
            }
        ),
    )
    con.execute(
        """
        update core.items as c set is_smart_city = r.is_smart_city, relevance = r.relevance,
               relevance_reasons = r.relevance_reasons
        from retag_relevance as r where c.item_id = r.item_id
        """
    )
    for name in ("retag_ids", "retag_relevance"):
        con.unregister(name)


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[tuple[object, ...]]
) -> None:
    if not rows:
        return
    con.register(
        "retag_rows", pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
    )
    con.execute(f"insert into core.{table} by name select * from retag_rows")
    con.unregister("retag_rows")
