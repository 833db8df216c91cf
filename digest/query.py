"""What the weekly digest shows, read from the analyst views (never the raw tables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from digest.week import IsoWeek
from transforms.vocabularies import FOCUS_AREAS, taxonomy

MAX_PER_SECTION = 8

# A story's week is its publication time, or when it was first seen if the source gave no
# sound date (missing, or more than a day in the future).
_WEEK_ITEMS = """
select
    i.item_id, i.title, i.url, i.summary, i.language, i.published_at, i.first_seen_at,
    i.source_id, coalesce(s.name, i.source_id) as source_name, s.org_type,
    i.cities, i.focus_areas, i.is_smart_city, i.relevance
from items as i
left join sources as s using (source_id)
where coalesce(case when i.date_flag = 'future' then null else i.published_at end, i.first_seen_at)
      >= ? and
      coalesce(case when i.date_flag = 'future' then null else i.published_at end, i.first_seen_at)
      < ?
order by i.relevance desc, coalesce(i.published_at, i.first_seen_at) desc, i.item_id
"""

_PROBLEM_SOURCES = """
select source_id, name, health, problem
from source_health
where health in ('failing', 'degraded')
order by health, source_id
"""


@dataclass(frozen=True)
class DigestItem:
    """One story as the digest shows it."""

    item_id: str
    title: str
    url: str | None
    summary: str
    language: str | None
    published_at: datetime | None
    source_name: str
    org_type: str | None
    cities: list[str]
    focus_areas: list[str]


@dataclass
class Section:
    """One focus area's stories (or the 'Other' section)."""

    key: str
    name_en: str
    name_ko: str
    items: list[DigestItem] = field(default_factory=list)
    more: int = 0


@dataclass
class DigestData:
    """Everything a digest renders."""

    week: IsoWeek
    timezone: str
    generated_at: datetime
    sections: list[Section]
    total_items: int
    smart_city_items: int
    sources: int
    cities: int
    problem_sources: list[tuple[str, str, str, str | None]]

    @property
    def is_empty(self) -> bool:
        """True when no smart-city story was found for the week."""
        return self.smart_city_items == 0


def fetch_digest(con: duckdb.DuckDBPyConnection, week: IsoWeek, tz: str) -> DigestData:
    """Read the week's smart-city stories, each once, under its strongest focus area."""
    start, end = week.bounds(tz)
    rows = _records(con, _WEEK_ITEMS, [start, end])
    smart = [row for row in rows if row["is_smart_city"]]
    return DigestData(
        week=week,
        timezone=tz,
        generated_at=datetime.now(UTC),
        sections=_sections([_item(row) for row in smart]),
        total_items=len(rows),
        smart_city_items=len(smart),
        sources=len({row["source_id"] for row in smart}),
        cities=len({city for row in smart for city in row["cities"]}),
        problem_sources=[
            (r["source_id"], r["name"], r["health"], r["problem"])
            for r in _records(con, _PROBLEM_SOURCES, [])
        ],
    )


def _records(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object]
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _item(row: dict[str, Any]) -> DigestItem:
    return DigestItem(
        item_id=row["item_id"],
        title=row["title"],
        url=row["url"],
        summary=row["summary"] or "",
        language=row["language"],
        published_at=row["published_at"],
        source_name=row["source_name"],
        org_type=row["org_type"],
        cities=list(row["cities"] or []),
        focus_areas=list(row["focus_areas"] or []),
    )


def _sections(items: list[DigestItem]) -> list[Section]:
    names = taxonomy().names
    by_key = {key: Section(key, names[key]["en"], names[key]["ko"]) for key in FOCUS_AREAS}
    other = Section("other", "Other smart-city news", "기타 스마트시티 소식")
    for item in items:
        section = by_key[item.focus_areas[0]] if item.focus_areas else other
        if len(section.items) < MAX_PER_SECTION:
            section.items.append(item)
        else:
            section.more += 1
    ordered = sorted(by_key.values(), key=lambda s: -(len(s.items) + s.more))
    return [s for s in [*ordered, other] if s.items]
