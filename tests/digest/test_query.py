"""The digest's week, read from the views of a real warehouse: analysts' corrections count."""

from __future__ import annotations

from digest.query import fetch_week
from digest.rank import Audience, build_digest
from digest.week import IsoWeek
from tests.warehouse.test_corrections import FESTIVAL, STORIES
from tests.warehouse.test_loader import payload
from warehouse.corrections import LabelChange, record_correction
from warehouse.db import connect
from warehouse.loader import load_batch

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
        load_batch(con, payload("b1", [{**s, "seq": n} for n, s in enumerate(STORIES)]))
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
        load_batch(con, payload("b1", [{**s, "seq": n} for n, s in enumerate(STORIES)]))
    before = week_of(path)
    smart = [m for ms in before.clusters.values() for m in ms if m.is_smart_city]
    assert smart
    for member in smart:
        record_correction(path, member.item_id, LabelChange("kim", is_smart_city=False))
    after = week_of(path)
    assert after.clusters == {}
    assert (after.totals.items, after.totals.cities) == (0, 0)
    assert build_digest(after, Audience()).is_empty
