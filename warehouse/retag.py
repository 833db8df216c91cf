"""Re-tagging stored items: read their text, write new tags (the caller holds one transaction)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from cityradar.registry import Source
from transforms.retagging import StoredText
from transforms.tagging import Tags
from warehouse.columnar import reasons_json, tag_tables


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
    item_ids = [item_id for item_id, _ in tagged]
    con.register("retag_ids", pa.table({"item_id": pa.array(item_ids, pa.string())}))
    tables = tag_tables(pa.field("item_id", pa.string()), item_ids, [tags for _, tags in tagged])
    for name, rows in tables.items():
        con.execute(
            f"delete from core.item_{name} where item_id in (select item_id from retag_ids)"
        )
        if rows.num_rows:
            con.register("retag_rows", rows)
            con.execute(f"insert into core.item_{name} by name select * from retag_rows")
            con.unregister("retag_rows")
    con.register(
        "retag_relevance",
        pa.table(
            {
                "item_id": item_ids,
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
