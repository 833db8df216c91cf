"""The analyst views' shared rules, on a real warehouse: the story's moment, its week in the
warehouse's time zone (the setting the writer stored), and the week's totals (weekly_totals)."""

from __future__ import annotations

import pytest

from tests.helpers.batches import load_raws
from tests.helpers.stories import CROSSING, FESTIVAL, FORUM, LATE_SUNDAY
from warehouse.db import connect, follow_timezone, stored_timezone

# a date more than a day after the fetch: a typo, kept out of published_at
TYPO = {
    **FORUM,
    "published_raw": "2082-11-20 09:00:00",
    "fetched_at": "2026-11-19T03:00:00+00:00",
}


def load(path, stories, timezone=None):
    with connect(path, timezone=timezone) as con:
        load_raws(con, "b1", [{**s, "seq": n} for n, s in enumerate(stories)])


def weeks(path):
    """title -> (week, week_start) as the items view gives them."""
    with connect(path, read_only=True) as con:
        rows = con.execute("select title, week, week_start::varchar from items").fetchall()
    return {title: (week, start) for title, week, start in rows}


def test_the_moment_is_the_publication_time_else_when_the_story_was_first_seen(tmp_path):
    path = tmp_path / "w.duckdb"
    load(path, [LATE_SUNDAY, TYPO])
    with connect(path, read_only=True) as con:
        rows = con.execute(
            "select title, published_at, first_seen_at, moment::varchar, week from items"
        ).fetchall()
    by_title = {title: rest for title, *rest in rows}
    published, _, moment, _ = by_title[LATE_SUNDAY["title"]]
    assert moment == "2026-11-22 20:00:00+00"
    assert published is not None
    published, first_seen, moment, week = by_title[TYPO["title"]]
    assert published is None  # the 2082 date stays in published_raw
    assert moment == "2026-11-19 03:00:00+00"
    assert week == "2026-W47"
    assert first_seen is not None


def test_a_new_file_keeps_its_weeks_in_seoul(tmp_path):
    path = tmp_path / "w.duckdb"
    load(path, [LATE_SUNDAY])
    with connect(path, read_only=True) as con:
        assert stored_timezone(con) == "Asia/Seoul"
        assert con.execute("select * from warehouse_settings").fetchall() == [("Asia/Seoul",)]
    assert weeks(path)[LATE_SUNDAY["title"]] == ("2026-W48", "2026-11-23")


def test_the_time_zone_setting_moves_the_week_boundaries_of_the_views(tmp_path):
    path = tmp_path / "w.duckdb"
    load(path, [LATE_SUNDAY, FESTIVAL], timezone="Europe/Berlin")
    assert weeks(path)[LATE_SUNDAY["title"]] == ("2026-W47", "2026-11-16")
    with connect(path, read_only=True) as con:
        counted = con.execute("select distinct week from weekly_counts").fetchall()
        totals = con.execute("select week, stories from weekly_totals").fetchall()
    assert totals == [("2026-W47", 2)]
    assert counted == [("2026-W47",)]

    follow_timezone(path, "Asia/Seoul")  # the setting changed back: the next reader follows it
    assert weeks(path)[LATE_SUNDAY["title"]] == ("2026-W48", "2026-11-23")


def test_a_time_zone_duckdb_does_not_know_is_refused_before_the_views_break(tmp_path):
    path = tmp_path / "w.duckdb"
    load(path, [LATE_SUNDAY])
    with pytest.raises(ValueError, match="Asia/Sewoul"), connect(path, timezone="Asia/Sewoul"):
        pass
    assert weeks(path)[LATE_SUNDAY["title"]] == ("2026-W48", "2026-11-23")


def test_weekly_totals_counts_each_story_event_source_and_city_once(tmp_path):
    path = tmp_path / "w.duckdb"
    load(path, [CROSSING, FESTIVAL, FORUM])
    with connect(path, read_only=True) as con:
        expected = con.execute(
            "select count(*), count(*) filter (where is_smart_city),"
            " count(distinct cluster_id) filter (where is_smart_city),"
            " count(distinct source_id) filter (where is_smart_city),"
            " (select count(distinct c) from (select unnest(cities) as c from items"
            "  where is_smart_city))"
            " from items"
        ).fetchone()
        areas = dict(
            con.execute(
                "select a, count(*) from (select unnest(focus_areas) as a from items"
                " where is_smart_city) group by a"
            ).fetchall()
        )
        (row,) = con.execute(
            "select stories, smart_city_stories, smart_city_events, smart_city_sources,"
            " smart_city_cities, smart_city_focus_areas from weekly_totals"
        ).fetchall()
    assert expected[1] >= 1  # the fixtures hold smart-city stories to count
    assert row[:5] == expected
    assert row[5] == areas
