"""Counts for run summaries, read from the analyst views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.db import one_row


@dataclass(frozen=True)
class WarehouseCounts:
    """Headline numbers of the warehouse."""

    items: int
    smart_city_items: int
    by_language: dict[str, int]
    by_focus_area: dict[str, int]
    by_city: dict[str, int]
    changed_items: int = 0  # stories stored in more than one version (item_versions)
    attachments: int = 0  # attached documents (item_attachments)
    attachments_read: int = 0  # of them, those whose text was extracted


def warehouse_counts(con: duckdb.DuckDBPyConnection) -> WarehouseCounts:
    """Items in total, smart-city items, and items per language, focus area and city."""
    items, smart = one_row(con, "select count(*), count(*) filter (where is_smart_city) from items")
    (changed,) = one_row(con, "select count(distinct item_id) from item_versions where version > 1")
    attachments, read = one_row(con, "select count(*), count(text) from item_attachments")
    return WarehouseCounts(
        items=items,
        smart_city_items=smart,
        by_language=_pairs(
            con, "select coalesce(language, '?'), count(*) from items group by 1 order by 2 desc, 1"
        ),
        by_focus_area=_pairs(
            con,
            "select f, count(*) from (select unnest(focus_areas) as f from items) group by 1 order by 2 desc, 1",
        ),
        by_city=_pairs(
            con,
            "select c, count(*) from (select unnest(cities) as c from items) group by 1 order by 2 desc, 1",
        ),
        changed_items=changed,
        attachments=attachments,
        attachments_read=read,
    )


def health_table(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The source_health view as dicts (column -> value as DuckDB types it), worst first."""
    cursor = con.execute(
        """
        select * from source_health
        order by case health when 'failing' then 0 when 'degraded' then 1 when 'empty' then 2
                 when 'never_run' then 3 when 'ok' then 4 else 5 end, source_id
        """
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _pairs(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(key): int(count) for key, count in con.execute(sql).fetchall()}
