"""What the weekly digest shows, read from the analyst views (never the raw tables).

One query step per fact: the week's stories (one per cluster, with every outlet that carried it),
the pages whose content changed in the week, the totals of this week and the last, items per
focus area over five weeks for the chart, and the sources needing attention. Ranking and
sectioning are digest.rank's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from digest.week import IsoWeek
from transforms.vocabularies import FOCUS_AREAS

# Organisation types whose pages are releases of a government body, not reporting about one.
OFFICIAL_ORG_TYPES = frozenset({"ministry", "city", "agency"})
TREND_WEEKS = 4  # the chart compares the week with the average of this many before it

# A story's moment is its publication time, or when it was first seen if the source gave no
# sound date (published_at is NULL when it was missing, unreadable or more than a day in the
# future): the rule of the items view's week.
_MOMENT = "coalesce(i.published_at, i.first_seen_at)"

# Smart-city pages seen before whose content changed in the week (a new version observed).
_CHANGED = """
select distinct v.item_id
from item_versions as v join items as i using (item_id)
where v.is_current and v.version > 1 and i.is_smart_city
  and v.observed_at >= $start and v.observed_at < $end
"""

# Every item up to the week's end of each cluster that has a smart-city item in the week or a
# page that changed in it, with its source: earlier and later members say who else covered it.
_CLUSTER_MEMBERS = f"""
with week_clusters as (
    select i.cluster_id from items as i
    where i.is_smart_city and {_MOMENT} >= $start and {_MOMENT} < $end
    union
    select i.cluster_id from items as i where i.item_id in ({_CHANGED})
)
select
    i.item_id, i.cluster_id, i.title, i.url, i.summary, i.language, {_MOMENT} as moment,
    i.source_id, coalesce(s.name, i.source_id) as source_name, s.org_type,
    i.cities, i.focus_areas, i.relevance, i.is_smart_city
from items as i
join week_clusters using (cluster_id)
left join sources as s using (source_id)
where {_MOMENT} < $end
order by i.cluster_id, moment, i.item_id
"""

_TOTALS = f"""
select
    count(*) filter (where i.is_smart_city) as items,
    count(distinct i.cluster_id) filter (where i.is_smart_city) as stories,
    count(distinct i.source_id) filter (where i.is_smart_city) as sources,
    count(*) as collected
from items as i
where {_MOMENT} >= $start and {_MOMENT} < $end
"""

_CITIES = f"""
select count(distinct c.city)
from items as i join item_cities as c using (item_id)
where i.is_smart_city and c.kind = 'city' and {_MOMENT} >= $start and {_MOMENT} < $end
"""

_FOCUS_COUNTS = f"""
select f.focus_area, count(distinct i.item_id) as items
from items as i join item_focus_areas as f using (item_id)
where i.is_smart_city and {_MOMENT} >= $start and {_MOMENT} < $end
group by f.focus_area
"""

_PROBLEM_SOURCES = """
select source_id, name, health, problem
from source_health
where health in ('failing', 'degraded')
order by health, source_id
"""


@dataclass(frozen=True)
class Member:
    """One item of a story cluster: what the digest needs to show it or to credit its outlet."""

    item_id: str
    cluster_id: str
    title: str
    url: str | None
    summary: str
    language: str | None
    moment: datetime
    source_id: str
    source_name: str
    org_type: str | None
    cities: tuple[str, ...]
    focus_areas: tuple[str, ...]
    relevance: float
    is_smart_city: bool

    @property
    def official(self) -> bool:
        """True for a release of a ministry, city or public agency."""
        return self.org_type in OFFICIAL_ORG_TYPES


@dataclass(frozen=True)
class Totals:
    """Counts of one week."""

    items: int = 0  # smart-city items
    stories: int = 0  # distinct smart-city stories (clusters)
    sources: int = 0  # sources with a smart-city item
    cities: int = 0  # cities named by smart-city items
    collected: int = 0  # every item of the week, smart-city or not


@dataclass
class WeekData:
    """Everything the digest of one week is made from, before ranking."""

    week: IsoWeek
    timezone: str
    generated_at: datetime
    clusters: dict[str, list[Member]]  # cluster id -> its members, earliest first
    changed: set[str]  # item ids whose content changed in the week
    totals: Totals
    previous_totals: Totals
    focus_counts: dict[str, int]  # focus area -> items this week
    focus_average: dict[str, float]  # focus area -> items per week over TREND_WEEKS before
    problem_sources: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    # story URL -> file:// URL of a saved copy, linked instead (digest/saved_pages.py)
    saved_pages: dict[str, str] = field(default_factory=dict)


def fetch_week(con: duckdb.DuckDBPyConnection, week: IsoWeek, tz: str) -> WeekData:
    """Read one week for the digest from the analyst views."""
    start, end = week.bounds(tz)
    bounds = {"start": start, "end": end}
    members = [_member(row) for row in _records(con, _CLUSTER_MEMBERS, bounds)]
    clusters: dict[str, list[Member]] = {}
    for member in members:
        clusters.setdefault(member.cluster_id, []).append(member)
    return WeekData(
        week=week,
        timezone=tz,
        generated_at=datetime.now(UTC),
        clusters=clusters,
        changed={row["item_id"] for row in _records(con, _CHANGED, bounds)},
        totals=week_totals(con, week, tz),
        previous_totals=week_totals(con, week.previous(), tz),
        focus_counts=focus_counts(con, week, tz),
        focus_average=focus_average(con, week, tz),
        problem_sources=[
            (r["source_id"], r["name"], r["health"], r["problem"])
            for r in _records(con, _PROBLEM_SOURCES, {})
        ],
    )


def week_totals(con: duckdb.DuckDBPyConnection, week: IsoWeek, tz: str) -> Totals:
    """The week's counts of items, stories, sources and cities."""
    start, end = week.bounds(tz)
    bounds = {"start": start, "end": end}
    (row,) = _records(con, _TOTALS, bounds)
    (cities,) = con.execute(_CITIES, bounds).fetchone()
    return Totals(
        items=row["items"],
        stories=row["stories"],
        sources=row["sources"],
        cities=cities,
        collected=row["collected"],
    )


def focus_counts(con: duckdb.DuckDBPyConnection, week: IsoWeek, tz: str) -> dict[str, int]:
    """Smart-city items per focus area in the week (an item counts once per area it has)."""
    start, end = week.bounds(tz)
    found = dict(con.execute(_FOCUS_COUNTS, {"start": start, "end": end}).fetchall())
    return {area: int(found.get(area, 0)) for area in FOCUS_AREAS}


def focus_average(con: duckdb.DuckDBPyConnection, week: IsoWeek, tz: str) -> dict[str, float]:
    """Items per focus area per week, averaged over the TREND_WEEKS weeks before ``week``."""
    totals = dict.fromkeys(FOCUS_AREAS, 0)
    earlier = week
    for _ in range(TREND_WEEKS):
        earlier = earlier.previous()
        for area, count in focus_counts(con, earlier, tz).items():
            totals[area] += count
    return {area: count / TREND_WEEKS for area, count in totals.items()}


def _records(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _member(row: dict[str, Any]) -> Member:
    return Member(
        item_id=row["item_id"],
        cluster_id=row["cluster_id"],
        title=row["title"],
        url=row["url"],
        summary=row["summary"] or "",
        language=row["language"],
        moment=row["moment"],
        source_id=row["source_id"],
        source_name=row["source_name"],
        org_type=row["org_type"],
        cities=tuple(row["cities"] or ()),
        focus_areas=tuple(row["focus_areas"] or ()),
        relevance=float(row["relevance"] or 0.0),
        is_smart_city=bool(row["is_smart_city"]),
    )
