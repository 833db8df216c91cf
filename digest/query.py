"""What the weekly digest shows, read from the analyst views (never the raw tables).

One query step per fact: the week's stories (one per cluster, with every outlet that carried it),
the pages whose content changed in the week, the totals of this week and the last, items per
focus area over five weeks for the chart, and the sources needing attention. Ranking and
sectioning are digest.rank's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from digest.week import IsoWeek
from transforms.vocabularies import FOCUS_AREAS

# Organisation types whose pages are releases of a government body, not reporting about one.
OFFICIAL_ORG_TYPES = frozenset({"ministry", "city", "agency"})
TREND_WEEKS = 4  # the chart compares the week with the average of this many before it

# Which week a story belongs to is the items view's rule (its moment, in the warehouse's time
# zone, gives week_start), so the digest filters on week_start rather than recomputing it; the
# totals and the chart come from weekly_totals, which groups by the same column.

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
    where i.is_smart_city and i.week_start = $monday
    union
    select i.cluster_id from items as i where i.item_id in ({_CHANGED})
)
select
    i.item_id, i.cluster_id, i.title, i.url, i.summary, i.language, i.moment,
    i.source_id, coalesce(s.name, i.source_id) as source_name, s.org_type,
    i.cities, i.focus_areas, i.relevance, i.is_smart_city
from items as i
join week_clusters using (cluster_id)
left join sources as s using (source_id)
where i.week_start <= $monday
order by i.cluster_id, i.moment, i.item_id
"""

# The totals of the weeks from $first to $monday (a week without stories has no row).
_WEEKLY_TOTALS = """
select week_start, stories, smart_city_stories, smart_city_events, smart_city_sources,
       smart_city_cities, smart_city_focus_areas
from weekly_totals
where week_start between $first and $monday
"""

_TIMEZONE = "select timezone from warehouse_settings"

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


class TimeZoneMismatch(RuntimeError):
    """The warehouse's weeks are in another time zone than the one the digest was asked for."""


def fetch_week(con: duckdb.DuckDBPyConnection, week: IsoWeek, tz: str) -> WeekData:
    """Read one week for the digest from the analyst views.

    ``tz`` must be the warehouse's own time zone (warehouse_settings, stored from
    CITYRADAR_TIMEZONE: warehouse.db.follow_timezone): the views decide which week a story is
    in, and the digest's bounds, dates and labels must agree with them.
    """
    _check_timezone(con, tz)
    start, end = week.bounds(tz)
    bounds = {"start": start, "end": end}
    members = [
        _member(row) for row in _records(con, _CLUSTER_MEMBERS, {**bounds, "monday": week.monday()})
    ]
    clusters: dict[str, list[Member]] = {}
    for member in members:
        clusters.setdefault(member.cluster_id, []).append(member)
    weeks = _weekly_totals(con, week, TREND_WEEKS + 1)
    return WeekData(
        week=week,
        timezone=tz,
        generated_at=datetime.now(UTC),
        clusters=clusters,
        changed={row["item_id"] for row in _records(con, _CHANGED, bounds)},
        totals=_totals(weeks.get(week.monday())),
        previous_totals=_totals(weeks.get(week.previous().monday())),
        focus_counts=_focus_counts(weeks.get(week.monday())),
        focus_average=_focus_average(weeks, week),
        problem_sources=[
            (r["source_id"], r["name"], r["health"], r["problem"])
            for r in _records(con, _PROBLEM_SOURCES, {})
        ],
    )


def week_totals(con: duckdb.DuckDBPyConnection, week: IsoWeek, tz: str) -> Totals:
    """The week's counts of items, stories, sources and cities (weekly_totals)."""
    _check_timezone(con, tz)
    return _totals(_weekly_totals(con, week, 1).get(week.monday()))


def focus_counts(con: duckdb.DuckDBPyConnection, week: IsoWeek, tz: str) -> dict[str, int]:
    """Smart-city items per focus area in the week (an item counts once per area it has)."""
    _check_timezone(con, tz)
    return _focus_counts(_weekly_totals(con, week, 1).get(week.monday()))


def focus_average(con: duckdb.DuckDBPyConnection, week: IsoWeek, tz: str) -> dict[str, float]:
    """Items per focus area per week, averaged over the TREND_WEEKS weeks before ``week``."""
    _check_timezone(con, tz)
    return _focus_average(_weekly_totals(con, week, TREND_WEEKS + 1), week)


def _check_timezone(con: duckdb.DuckDBPyConnection, tz: str) -> None:
    """Refuse to mix two time zones: the views' weeks and the digest's bounds would disagree."""
    row = con.execute(_TIMEZONE).fetchone()
    stored = row[0] if row else None
    if stored != tz:
        raise TimeZoneMismatch(
            f"the warehouse's weeks are in {stored}, the digest was asked for {tz}: a writer "
            "stores CITYRADAR_TIMEZONE first (warehouse.db.follow_timezone)"
        )


def _weekly_totals(
    con: duckdb.DuckDBPyConnection, week: IsoWeek, count: int
) -> dict[date, dict[str, Any]]:
    """weekly_totals rows of ``week`` and the ``count - 1`` weeks before it, by Monday."""
    first = week.monday() - timedelta(weeks=count - 1)
    rows = _records(con, _WEEKLY_TOTALS, {"first": first, "monday": week.monday()})
    return {row["week_start"]: row for row in rows}


def _totals(row: dict[str, Any] | None) -> Totals:
    if row is None:  # no story at all that week
        return Totals()
    return Totals(
        items=row["smart_city_stories"],
        stories=row["smart_city_events"],
        sources=row["smart_city_sources"],
        cities=row["smart_city_cities"],
        collected=row["stories"],
    )


def _focus_counts(row: dict[str, Any] | None) -> dict[str, int]:
    found = row["smart_city_focus_areas"] if row else {}
    return {area: int(found.get(area, 0)) for area in FOCUS_AREAS}


def _focus_average(weeks: dict[date, dict[str, Any]], week: IsoWeek) -> dict[str, float]:
    totals = dict.fromkeys(FOCUS_AREAS, 0)
    earlier = week
    for _ in range(TREND_WEEKS):
        earlier = earlier.previous()
        for area, count in _focus_counts(weeks.get(earlier.monday())).items():
            totals[area] += count
    return {area: count / TREND_WEEKS for area, count in totals.items()}


def _records(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]
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
