"""The digest's week, read from the views of a real warehouse: analysts' corrections count."""

from __future__ import annotations

import pytest

from digest.query import TimeZoneMismatch, fetch_week
from digest.rank import Audience, build_digest
from digest.week import IsoWeek
from tests.helpers.batches import load_raws
from tests.helpers.stories import CORRECTION_STORIES, FESTIVAL, LATE_SUNDAY
from warehouse.corrections import LabelChange, record_correction
from warehouse.db import connect, follow_timezone

WEEK = IsoWeek.parse("2026-W47")  # the stories' week
TZ = "Asia/Seoul"


def week_of(path):
    with connect(path, read_only=True) as con:
        return fetch_week(con, WEEK, TZ)


def digest_titles(data, audience):
    digest = build_digest(data, audience)
    return {
        section.key: [story.lead.title for story in section.stories]
        for section in [*digest.focus_sections, *digest.city_sections]
    }


def test_a_story_an_analyst_marked_smart_city_is_in_the_weeks_digest(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "b1", [{**s, "seq": n} for n, s in enumerate(CORRECTION_STORIES)])
    before = week_of(path)
    titles = [m.title for members in before.clusters.values() for m in members]
    assert FESTIVAL["title"] not in titles  # the tagger says it is not smart-city news

    record_correction(
        path,
        FESTIVAL["link"],
        LabelChange("kim", is_smart_city=True, focus_areas=["environment"], note="drone show"),
    )
    after = week_of(path)
    (festival,) = [m for ms in after.clusters.values() for m in ms if m.title == FESTIVAL["title"]]
    assert (festival.is_smart_city, festival.focus_areas) == (True, ("environment",))
    assert after.totals.items == before.totals.items + 1
    assert after.focus_counts["environment"] == before.focus_counts["environment"] + 1
    sections = digest_titles(after, Audience(key_cities=("Busan",)))
    assert FESTIVAL["title"] in sections["environment"]
    # a reader who follows only environment gets it too
    assert build_digest(after, Audience(focus_areas=("environment",))).stories == 1


def test_a_story_an_analyst_marked_not_smart_city_leaves_the_digest(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "b1", [{**s, "seq": n} for n, s in enumerate(CORRECTION_STORIES)])
    before = week_of(path)
    smart = [m for ms in before.clusters.values() for m in ms if m.is_smart_city]
    assert smart
    for member in smart:
        record_correction(path, member.item_id, LabelChange("kim", is_smart_city=False))
    after = week_of(path)
    assert after.clusters == {}
    assert (after.totals.items, after.totals.cities) == (0, 0)
    assert build_digest(after, Audience()).is_empty


def smart_titles(data):
    return {m.title for members in data.clusters.values() for m in members if m.is_smart_city}


def test_the_time_zone_setting_moves_the_digests_week_as_it_moves_the_views(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "b1", [{**LATE_SUNDAY, "seq": 0}])
    title = LATE_SUNDAY["title"]
    week_47, week_48 = IsoWeek.parse("2026-W47"), IsoWeek.parse("2026-W48")

    def digest_and_view(week, tz):
        follow_timezone(path, tz)
        with connect(path, read_only=True) as con:
            data = fetch_week(con, week, tz)
            (view_week,) = con.execute("select week from items").fetchone()
        return data, view_week

    seoul, view_week = digest_and_view(week_48, "Asia/Seoul")  # Monday 05:00 in Seoul
    assert view_week == "2026-W48"
    assert title in smart_titles(seoul)
    assert (seoul.totals.items, seoul.totals.collected) == (1, 1)
    assert seoul.previous_totals.items == 0

    berlin, view_week = digest_and_view(week_47, "Europe/Berlin")  # Sunday 21:00 in Berlin
    assert view_week == "2026-W47"
    assert title in smart_titles(berlin)
    assert (berlin.totals.items, berlin.totals.collected) == (1, 1)
    assert sum(berlin.focus_counts.values()) == sum(seoul.focus_counts.values()) >= 1
    later, _ = digest_and_view(week_48, "Europe/Berlin")
    assert smart_titles(later) == set()
    assert later.totals.collected == 0
    assert later.previous_totals.items == 1


def test_the_digest_refuses_a_time_zone_the_warehouses_weeks_are_not_in(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    with connect(path, read_only=True) as con, pytest.raises(TimeZoneMismatch, match="Asia/Seoul"):
        fetch_week(con, WEEK, "Europe/Berlin")


def test_the_digests_totals_are_the_rows_of_weekly_totals(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "b1", [{**s, "seq": n} for n, s in enumerate(CORRECTION_STORIES)])
    data = week_of(path)
    with connect(path, read_only=True) as con:
        (row,) = con.execute(
            "select smart_city_stories, smart_city_events, smart_city_sources,"
            " smart_city_cities, stories, smart_city_focus_areas from weekly_totals"
            " where week = ?",
            [str(WEEK)],
        ).fetchall()
    totals = data.totals
    assert (totals.items, totals.stories, totals.sources, totals.cities, totals.collected) == row[
        :5
    ]
    assert {a: n for a, n in data.focus_counts.items() if n} == row[5]
