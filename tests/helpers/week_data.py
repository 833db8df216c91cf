"""A week's data as ``digest.query`` reads it, built in code for the ranking and rendering tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.query import Member, Totals, WeekData
from digest.week import IsoWeek

WEEK = IsoWeek.parse("2026-W47")
START, _ = WEEK.bounds("Asia/Seoul")


def member(item_id, cluster, source, day, org="news", areas=("mobility",), cities=("Seoul",)):
    """A smart-city item of WEEK, ``day`` days after its start, in story ``cluster``."""
    return Member(
        item_id=item_id,
        cluster_id=cluster,
        title=f"title {item_id}",
        url=f"https://x.example/{item_id}",
        summary="",
        language="ko",
        moment=START + timedelta(days=day, hours=1),
        source_id=source,
        source_name=f"{source} name",
        org_type=org,
        cities=cities,
        focus_areas=areas,
        relevance=5.0,
        is_smart_city=True,
    )


def data(*clusters, changed=()):
    """WEEK's data holding the given members, grouped into their stories."""
    grouped = {}
    for m in clusters:
        grouped.setdefault(m.cluster_id, []).append(m)
    return WeekData(
        week=WEEK,
        timezone="Asia/Seoul",
        generated_at=datetime(2026, 11, 23, tzinfo=UTC),
        clusters=grouped,
        changed=set(changed),
        totals=Totals(),
        previous_totals=Totals(),
        focus_counts={},
        focus_average={},
    )
