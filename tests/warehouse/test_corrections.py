"""Analysts' corrections: recorded apart from the tagger's tags, applied by every view, kept
through reloads and reclassify, and read back as training examples."""

from __future__ import annotations

import json
import re

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers.batches import load_raws
from tests.helpers.stories import CORRECTION_STORIES, CROSSING, FESTIVAL, FORUM
from warehouse.corrections import (
    BODY_CHARS,
    CorrectionRejected,
    LabelChange,
    read_corrections,
    record_correction,
)
from warehouse.db import connect, migrate
from warehouse.reclassify import reclassify
from warehouse.tools import export_parquet, search, snapshot

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    """A warehouse holding the three stories, loaded by the real loader."""
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "b1", [{**s, "seq": n} for n, s in enumerate(CORRECTION_STORIES)])
    return path


def label(db, *args):
    """Run `cityradar label ... --db db` and return its output (it must succeed)."""
    result = runner.invoke(app, ["label", *args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.stdout


def item_id(db, story):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select item_id from items where url = ?", [story["link"]]).fetchall()[
            0
        ][0]


def row(db, story, columns):
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(f"select {columns} from items where url = ?", [story["link"]])
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchall()[0], strict=True))


def view_rows(db, view, story):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"select * exclude (item_id) from {view}"
            " where item_id = (select item_id from items where url = ?) order by all",
            [story["link"]],
        ).fetchall()


TAGS = "cities, focus_areas, is_smart_city, corrected, correction_note, corrected_by"
TAGGER = "tagger_cities, tagger_focus_areas, tagger_is_smart_city"


def test_a_correction_shows_in_items_and_keeps_the_taggers_tags_beside_it(db):
    before = row(db, CROSSING, f"{TAGS}, {TAGGER}")
    assert before["corrected"] is False
    assert before["correction_note"] is None
    assert before["cities"] == before["tagger_cities"] == ["Busan"]
    assert "health_safety" not in before["focus_areas"]

    out = label(
        db,
        item_id(db, CROSSING),
        "--cities",
        "Busan,Seoul",
        "--focus",
        "mobility",
        "--focus",
        "health_safety",
        "--note",
        "pedestrian safety",
        "--by",
        "kim",
    )
    assert "correction 1 of this story" in out

    after = row(db, CROSSING, f"{TAGS}, {TAGGER}")
    assert after == {
        "cities": ["Busan", "Seoul"],
        "focus_areas": ["mobility", "health_safety"],
        "is_smart_city": before["is_smart_city"],  # not given: the tagger's stands
        "corrected": True,
        "correction_note": "pedestrian safety",
        "corrected_by": "kim",
        "tagger_cities": before["tagger_cities"],
        "tagger_focus_areas": before["tagger_focus_areas"],
        "tagger_is_smart_city": before["tagger_is_smart_city"],
    }
    # the other stories are untouched
    assert row(db, FORUM, "corrected, cities")["corrected"] is False


def test_item_cities_and_item_focus_areas_mark_the_analysts_rows(db):
    tagger_rows = view_rows(db, "item_cities", CROSSING)
    (busan,) = [r for r in tagger_rows if r[0] == "Busan"]
    assert busan[-1] == "tagger"
    label(db, item_id(db, CROSSING), "--cities", "Seoul,Busan", "--focus", "mobility,ai_data")

    cities = {r[0]: r for r in view_rows(db, "item_cities", CROSSING) if r[2] == "city"}
    assert set(cities) == {"Busan", "Seoul"}
    _, country, kind, score, reasons, source = cities["Seoul"]
    assert (country, kind, score, json.loads(reasons), source) == (
        "KR",
        "city",
        None,
        [],
        "analyst",
    )
    # a city the tagger found too keeps its evidence, and is now the analyst's
    assert cities["Busan"][1:6] == (*busan[1:5], "analyst")

    areas = {r[0]: r for r in view_rows(db, "item_focus_areas", CROSSING)}
    assert set(areas) == {"mobility", "ai_data"}
    assert {r[-1] for r in areas.values()} == {"analyst"}
    assert areas["mobility"][1] is not None  # the tagger's score for an area it found
    assert areas["ai_data"][1:3] == (None, "[]")


def test_weekly_counts_search_and_the_export_use_the_corrected_tags(db, tmp_path):
    label(db, item_id(db, FESTIVAL), "--smart", "yes", "--focus", "environment")
    with duckdb.connect(str(db), read_only=True) as con:
        counts = con.execute(
            "select stories, smart_city_stories from weekly_counts"
            " where week = '2026-W47' and focus_area = 'environment' and city = 'Busan'"
        ).fetchall()
    assert counts == [(1, 1)]

    (hit,) = search(db, ["불꽃축제"])
    assert (hit["is_smart_city"], hit["focus_areas"]) == (True, ["environment"])

    folder = export_parquet(db, tmp_path / "parquet").folder
    with duckdb.connect() as con:
        exported = con.execute(
            f"select is_smart_city, focus_areas, corrected from read_parquet('{folder}/items/*/*.parquet')"
            " where title like '%불꽃축제%'"
        ).fetchall()
        history = con.execute(
            f"select is_smart_city, focus_areas from read_parquet('{folder}/tag_corrections.parquet')"
        ).fetchall()
    assert exported == [(True, ["environment"], True)]
    assert history == [(True, ["environment"])]


def test_a_correction_survives_a_new_version_of_the_story_and_reclassify(db):
    label(db, item_id(db, CROSSING), "--cities", "Seoul", "--focus", "health_safety")
    edited = {
        **CROSSING,
        "title": "인천시, 스마트 횡단보도 20곳으로 확대",
        "article_text": "송도 교차로",
    }
    with connect(db) as con:
        result = load_raws(con, "b2", [edited])
    assert result.items_changed == 1
    after_reload = row(db, CROSSING, f"version, {TAGS}, {TAGGER}")
    assert after_reload["version"] == 2
    assert "Incheon" in after_reload["tagger_cities"]  # the tagger re-tagged the new text
    assert after_reload["cities"] == ["Seoul"]
    assert after_reload["focus_areas"] == ["health_safety"]
    assert after_reload["corrected"] is True

    with connect(db) as con:  # tags from an older taxonomy, which reclassify will replace
        con.execute("update core.item_focus_areas set focus_area = 'water'")
    reclassify(db)
    assert row(db, CROSSING, f"version, {TAGS}, {TAGGER}") == after_reload
    assert [r[0] for r in view_rows(db, "item_cities", CROSSING) if r[2] == "city"] == ["Seoul"]


def test_a_later_correction_supersedes_an_earlier_one_label_by_label(db):
    story = item_id(db, CROSSING)
    label(db, story, "--cities", "Seoul", "--focus", "mobility", "--note", "first")
    out = label(db, story, "--cities", "Busan,Suwon", "--note", "second", "--by", "lee")
    assert "correction 2 of this story" in out
    now = row(db, CROSSING, TAGS)
    assert now["cities"] == ["Busan", "Suwon"]  # the later word on cities
    assert now["focus_areas"] == ["mobility"]  # the earlier correction's, not superseded
    assert (now["correction_note"], now["corrected_by"]) == ("second", "lee")
    with duckdb.connect(str(db), read_only=True) as con:
        history = con.execute(
            "select cities, note from tag_corrections where item_id = ? order by correction_id",
            [story],
        ).fetchall()
    assert history == [(["Seoul"], "first"), (["Busan", "Suwon"], "second")]


def test_marking_a_story_not_smart_city_clears_its_focus_areas(db):
    before = row(db, CROSSING, TAGS)
    assert before["is_smart_city"]
    assert before["focus_areas"]
    label(db, CROSSING["link"] + "?utm_source=mail", "--smart", "no", "--note", "a URL works")
    after = row(db, CROSSING, TAGS)
    assert (after["is_smart_city"], after["focus_areas"]) == (False, [])
    assert after["cities"] == before["cities"]
    assert view_rows(db, "item_focus_areas", CROSSING) == []


def test_focus_areas_need_a_smart_city_story(db):
    festival = item_id(db, FESTIVAL)
    assert row(db, FESTIVAL, "is_smart_city")["is_smart_city"] is False
    with pytest.raises(CorrectionRejected, match="add --smart yes"):
        record_correction(db, festival, LabelChange("kim", focus_areas=["environment"]))
    with pytest.raises(CorrectionRejected, match="drop --focus"):
        record_correction(db, festival, LabelChange("kim", False, focus_areas=["environment"]))
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from tag_corrections").fetchall() == [(0,)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            LabelChange("kim", focus_areas=["mobilty"]),
            "unknown focus area 'mobilty' (did you mean mobility?)",
        ),
        (LabelChange("kim", cities=["Seol"]), "unknown city 'Seol' (did you mean Seoul?)"),
        (LabelChange("kim", cities=["Gyeonggi"]), "Gyeonggi is a province, not a city"),
        (LabelChange("kim", note="only a note"), "nothing to correct"),
    ],
)
def test_a_bad_label_is_refused_before_anything_is_written(db, change, message):
    with pytest.raises(CorrectionRejected, match=re.escape(message)):
        record_correction(db, item_id(db, CROSSING), change)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from tag_corrections").fetchall() == [(0,)]


def test_an_unknown_story_is_refused(db):
    with pytest.raises(CorrectionRejected, match=re.escape("no story 'https://nowhere.example/1'")):
        record_correction(db, "https://nowhere.example/1", LabelChange("kim", True))


def test_city_names_are_matched_whatever_their_case(db):
    record_correction(db, item_id(db, CROSSING), LabelChange("kim", cities=["seoul", "BUSAN"]))
    assert row(db, CROSSING, "cities")["cities"] == ["Seoul", "Busan"]


def test_an_analyst_may_write_a_correction_in_plain_sql(db):
    story = item_id(db, FORUM)
    with duckdb.connect(str(db)) as con:  # as an analyst opens it, not as the loader does
        con.execute(
            "insert into tag_corrections (item_id, focus_areas, note, corrected_by)"
            " values (?, ['governance'], 'an international programme', 'park')",
            [story],
        )
        with pytest.raises(duckdb.ConstraintException):
            con.execute(
                "insert into tag_corrections (item_id, focus_areas, corrected_by)"
                " values (?, ['smart_city'], 'park')",
                [story],
            )
        with pytest.raises(duckdb.ConstraintException):  # a correction corrects something
            con.execute(
                "insert into tag_corrections (item_id, note, corrected_by) values (?, 'hm', 'park')",
                [story],
            )
    now = row(db, FORUM, TAGS)
    assert (now["focus_areas"], now["corrected"], now["corrected_by"]) == (
        ["governance"],
        True,
        "park",
    )
    # the command numbers its correction after the analyst's
    out = label(db, story, "--smart", "yes")
    assert "correction 2 of this story" in out


def test_a_snapshot_keeps_the_corrections_and_takes_more(db, tmp_path):
    label(db, item_id(db, FORUM), "--focus", "governance")
    copy = snapshot(db, tmp_path / "snap.duckdb", compat=True)
    with duckdb.connect(str(copy)) as con:
        assert con.execute(
            "select focus_areas, corrected from items where corrected"
        ).fetchall() == [(["governance"], True)]
        con.execute(
            "insert into tag_corrections (item_id, is_smart_city, corrected_by)"
            " select item_id, false, 'kim' from items where corrected"
        )
        assert con.execute(
            "select list(correction_id order by correction_id) from tag_corrections"
        ).fetchall() == [([1, 2],)]


def test_the_items_view_says_why_a_story_counts_as_smart_city(db):
    reasons = {
        story["title"]: json.loads(row(db, story, "smart_city_reasons")["smart_city_reasons"])
        for story in CORRECTION_STORIES
    }
    assert any(r["term"] == "스마트" for r in reasons[CROSSING["title"]])
    assert all({"term", "field"} <= set(r) for rs in reasons.values() for r in rs)
    assert reasons[FESTIVAL["title"]]  # a story judged not smart-city says why too


def test_read_corrections_gives_the_text_and_the_full_label_set(db):
    assert read_corrections(db) == []
    crossing, festival = item_id(db, CROSSING), item_id(db, FESTIVAL)
    label(db, crossing, "--cities", "Busan,Seoul", "--note", "both cities", "--by", "kim")
    label(db, festival, "--smart", "yes", "--focus", "environment", "--by", "lee")
    tagger = row(db, CROSSING, TAGGER)

    with duckdb.connect(str(db), read_only=True):  # another reader holds the file: fine
        examples = {c.item_id: c for c in read_corrections(db)}
    assert list(examples) == [crossing, festival]  # oldest correction first

    first = examples[crossing]
    assert (first.url, first.language, first.title) == (CROSSING["link"], "ko", CROSSING["title"])
    assert first.summary == "해운대에 스마트 횡단보도를 설치한다."
    assert len(first.body_text) == BODY_CHARS
    assert first.body_text.startswith("부산시는 해운대구 교차로")
    assert first.cities == ("Busan", "Seoul")
    assert first.focus_areas == tuple(tagger["tagger_focus_areas"])  # not corrected: the tagger's
    assert first.is_smart_city is tagger["tagger_is_smart_city"]
    assert first.corrected_labels == ("cities",)
    assert (first.note, first.corrected_by) == ("both cities", "kim")
    assert first.tagger_cities == ("Busan",)

    second = examples[festival]
    assert (second.is_smart_city, second.focus_areas, second.cities) == (
        True,
        ("environment",),
        ("Busan",),
    )
    assert second.corrected_labels == ("is_smart_city", "focus_areas")
    assert second.tagger_is_smart_city is False
    assert second.note is None
    assert second.corrected_at > first.corrected_at


def test_read_corrections_of_a_file_made_before_corrections_is_empty(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        migrate(con, upto=5)
    assert read_corrections(path) == []
