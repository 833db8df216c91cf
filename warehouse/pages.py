"""The stories' pages and attached documents as the warehouse knows them (for saving copies)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class StoryPage:
    """One story's page and the documents attached to it."""

    url: str
    title: str
    source_id: str
    attachments: tuple[tuple[str, str], ...] = ()  # (url, name), in name order


def story_pages(con: duckdb.DuckDBPyConnection) -> list[StoryPage]:
    """Every story with a URL, by source and date, with its attachments (from the views)."""
    attached: dict[str, list[tuple[str, str]]] = {}
    for item_id, url, name in con.execute(
        "select item_id, url, name from item_attachments where url is not null order by name, url"
    ).fetchall():
        attached.setdefault(item_id, []).append((url, name or ""))
    rows = con.execute(
        "select item_id, url, title, source_id from items where url is not null"
        " order by source_id, published_at nulls last, item_id"
    ).fetchall()
    return [
        StoryPage(url, title or "", source_id, tuple(attached.get(item_id, ())))
        for item_id, url, title, source_id in rows
    ]
