"""The loader: one transaction per batch, idempotent, versions on change, keys that survive URL changes."""

from __future__ import annotations

import dataclasses
import json

import pyarrow as pa
import pytest

from tests.helpers.batches import BUSAN_FEED as SOURCE
from tests.helpers.batches import crawl_reports, load_raws, staged_batch
from tests.helpers.factories import make_raw, make_source
from tests.helpers.stories import STORY
from warehouse.db import connect
from warehouse.loader import merge_tables

TABLES = [
    "raw.items",
    "raw.fetches",
    "core.batches",
    "core.sources",
    "core.crawl_runs",
    "core.items",
    "core.item_keys",
    "core.item_versions",
    "core.item_cities",
    "core.item_countries",
    "core.item_focus_areas",
]


def counts(con):
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        yield connection


def test_a_batch_lands_everything_once(con):
    result = load_raws(
        con,
        "b1",
        [
            STORY,
            {
                **STORY,
                "seq": 1,
                "link": "https://www.busan.example.kr/news/2",
                "guid": "n2",
                "title": "부산 미세먼지 센서 확대",
            },
        ],
    )
    assert (result.items_new, result.items_changed, result.items_unchanged) == (2, 0, 0)
    row = con.execute(
        "select title, cities, focus_areas, is_smart_city, published_at::varchar from items"
        " where url = 'https://www.busan.example.kr/news/1'"
    ).fetchone()
    assert row[0] == "부산시, 스마트 횡단보도 설치"
    assert row[1] == ["Busan"]
    assert "mobility" in row[2]
    assert row[3] is True
    assert row[4].startswith("2026-11-20 00:00:00")  # 09:00 KST, stored as UTC
    reasons = json.loads(
        con.execute("select reasons from item_cities where city = 'Busan' limit 1").fetchone()[0]
    )
    assert {"term": "부산", "field": "title", "count": 1} in reasons


def test_loading_the_same_batch_twice_changes_nothing(con):
    batch = staged_batch("b1", [STORY])
    merge_tables(con, batch)
    before = counts(con)
    again = merge_tables(con, batch)
    assert again.already_loaded
    assert counts(con) == before


def test_the_same_items_in_a_new_batch_are_unchanged_not_duplicated(con):
    load_raws(con, "b1", [STORY])
    result = load_raws(con, "b2", [STORY])
    assert (result.items_new, result.items_changed, result.items_unchanged) == (0, 0, 1)
    assert con.execute("select count(*), max(version) from items").fetchone() == (1, 1)
    assert con.execute("select count(*) from raw.items").fetchone() == (
        2,
    )  # the landing keeps both


def test_changed_content_becomes_a_new_version_and_retags(con):
    load_raws(con, "b1", [STORY])
    edited = {
        **STORY,
        "title": "인천시, 스마트 횡단보도 설치",
        "summary_html": "<p>송도에 스마트 횡단보도.</p>",
    }
    result = load_raws(con, "b2", [edited])
    assert result.items_changed == 1
    assert con.execute("select version, title from items").fetchone() == (
        2,
        "인천시, 스마트 횡단보도 설치",
    )
    versions = con.execute("select version, title from item_versions order by version").fetchall()
    assert versions == [(1, "부산시, 스마트 횡단보도 설치"), (2, "인천시, 스마트 횡단보도 설치")]
    assert con.execute("select cities from items").fetchone()[0] == ["Incheon", "Busan"]


def test_a_moved_url_with_the_same_guid_is_the_same_item(con):
    load_raws(con, "b1", [STORY])
    moved = {**STORY, "link": "https://www.busan.example.kr/board/view.do?id=1"}
    result = load_raws(con, "b2", [moved])
    assert result.items_new == 0
    assert con.execute("select count(*) from items").fetchone() == (1,)
    keys = {k for (k,) in con.execute("select key from core.item_keys").fetchall()}
    assert "url:https://www.busan.example.kr/board/view.do?id=1" in keys


def test_the_same_page_from_another_source_later_joins_the_stored_story(con):
    other = make_source(id="other_feed", org_type="news", language="ko")
    load_raws(con, "b1", [STORY])
    copy = make_raw(
        **{
            **STORY,
            "source_id": "other_feed",
            "guid": "x9",
            "batch_id": "b2",
            "link": STORY["link"] + "?utm_source=partner",
        }
    )
    result = load_raws(con, "b2", [copy], sources=(other,))
    assert result.items_new == 0
    assert con.execute("select source_id, count(*) over () from items").fetchone() == (
        "test_feed",
        1,
    )


def test_a_failing_load_leaves_nothing_behind(con):
    batch = staged_batch("b1", [STORY])
    # no title violates NOT NULL in core.items, after raw rows were written
    title = batch.items.schema.get_field_index("title")
    untitled = batch.items.set_column(title, "title", pa.nulls(batch.items.num_rows, pa.string()))
    with pytest.raises(Exception, match="NOT NULL"):
        merge_tables(con, dataclasses.replace(batch, items=untitled))
    assert all(count == 0 for count in counts(con).values())


def health(con, source_id="test_feed"):
    return con.execute(
        "select health, problem, consecutive_failures from source_health where source_id = ?",
        [source_id],
    ).fetchone()


def test_source_health_says_failing_degraded_and_ok(con):
    load_raws(con, "b1", [STORY])
    assert health(con) == ("ok", None, 0)
    load_raws(con, "b2", [], status="empty")
    assert health(con)[0] == "degraded"
    assert health(con)[1] == "0 items in the last crawl; earlier crawls had up to 1"
    (failed,) = crawl_reports("b3", [], [SOURCE], status="failed")
    failed.error = "DNS lookup failed for www.busan.example.kr (unknown host, or no network)"
    load_raws(con, "b3", [], reports=[failed])
    (failed4,) = crawl_reports("b4", [], [SOURCE], status="failed")
    failed4.error = "HTTP 503 Service Unavailable from https://www.busan.example.kr/rss"
    load_raws(con, "b4", [], reports=[failed4])
    assert health(con) == (
        "failing",
        "HTTP 503 Service Unavailable from https://www.busan.example.kr/rss",
        2,
    )


def test_rows_found_on_the_page_are_shown_and_a_fallback_degrades_the_source(con):
    found = '{"item": "div.list > div.row", "link": "a::attr(href)"}'
    (designed,) = crawl_reports("b1", [], [SOURCE], status="ok")
    designed.inferred_selectors = found  # a source with no selectors: found by design
    designed.items_seen = 1
    load_raws(con, "b1", [STORY], reports=[designed])
    assert health(con) == ("ok", None, 0)
    (fallback,) = crawl_reports("b2", [], [SOURCE], status="ok")
    fallback.inferred_selectors, fallback.items_seen = found, 1
    fallback.error = "list selector 'tbody tr' matched no entry on https://x/list; rows found on the page instead"
    load_raws(con, "b2", [STORY], reports=[fallback])
    assert health(con) == ("degraded", fallback.error, 0)
    assert con.execute(
        "select inferred_selectors->>'item' from source_health where source_id = ?", [SOURCE.id]
    ).fetchone() == ("div.list > div.row",)
    runs = con.execute(
        "select batch_id, inferred_selectors->>'link' from source_runs order by batch_id"
    ).fetchall()
    assert runs == [("b1", "a::attr(href)"), ("b2", "a::attr(href)")]


def _run(batch_id, at, *, status="failed", error=None, network_down=False, sources=(SOURCE,)):
    """A batch with no items whose crawl of each source ended ``at`` as ``status``."""
    reports = crawl_reports(batch_id, [], sources, status=status)
    for report in reports:
        report.started_at = report.finished_at = at
        report.error, report.network_down = error, network_down
    return staged_batch(batch_id, [], sources, reports=reports)


def test_runs_in_a_network_outage_count_toward_neither_health_nor_back_off(con):
    from warehouse.state import run_history

    refused = "connection refused: Connection was refused by other side (https://x/rss)"
    merge_tables(con, _run("b1", "2026-11-20T00:00:00+00:00", status="unchanged"))
    merge_tables(con, _run("b2", "2026-11-20T06:00:00+00:00", error="HTTP 503 Service Unavailable"))
    for n, hour in ((3, 12), (4, 18)):  # the machine lost its network twice
        merge_tables(
            con,
            _run(f"b{n}", f"2026-11-20T{hour}:00:00+00:00", error=refused, network_down=True),
        )

    # the health and the back-off stand where the last counted crawl left them
    assert health(con) == (
        "failing",
        "HTTP 503 Service Unavailable; not reached since 2026-11-20 18:00 UTC: the network was"
        " down (not counted)",
        1,
    )
    (record,) = run_history(con).values()
    assert record.consecutive_failures == 1
    assert record.last_run_at.isoformat() == "2026-11-20T06:00:00+00:00"
    runs = con.execute(
        "select batch_id, network_down from source_runs order by batch_id"
    ).fetchall()
    assert runs == [("b1", False), ("b2", False), ("b3", True), ("b4", True)]
    assert con.execute("select runs_7d, failures_7d from source_health").fetchone() == (0, 0)

    # once a crawl counts again, the outage note goes
    merge_tables(con, _run("b5", "2026-11-21T00:00:00+00:00", status="unchanged"))
    assert health(con) == ("ok", None, 0)
    assert con.execute("select network_down_at from source_health").fetchone() == (None,)


def test_a_source_reached_only_in_outages_has_never_run(con):
    merge_tables(
        con, _run("b1", "2026-11-20T12:00:00+00:00", error="DNS lookup failed", network_down=True)
    )
    assert health(con) == (
        "never_run",
        "not reached since 2026-11-20 12:00 UTC: the network was down (not counted)",
        0,
    )
    from warehouse.state import run_history

    assert run_history(con) == {}  # due at the next run, as if nothing had happened


def test_an_implausible_date_stays_raw_and_flagged_and_never_sorts_first(con):
    typo = {
        **STORY,
        "link": "https://www.busan.example.kr/news/2",
        "guid": "n2",
        "title": "부산시, 스마트 가로등 설치",
        "published_raw": "2082-01-01 09:00:00",
    }
    load_raws(con, "b1", [STORY, typo])
    rows = con.execute(
        "select published_raw, date_flag, published_at, week,"
        " strftime(date_trunc('week', timezone('Asia/Seoul', first_seen_at)), '%G-W%V')"
        " from items order by published_at desc nulls last"
    ).fetchall()
    assert [row[:2] for row in rows] == [
        ("2026-11-20 09:00:00", None),
        ("2082-01-01 09:00:00", "future"),
    ]
    (_, _, sound, sound_week, _), (_, _, typo_at, typo_week, first_seen_week) = rows
    assert (sound.year, sound_week) == (2026, "2026-W47")
    assert typo_at is None
    assert typo_week == first_seen_week  # the story's week is when it was first seen


def test_a_new_version_dated_too_far_ahead_empties_published_at(con):
    load_raws(con, "b1", [STORY])
    edited = {**STORY, "title": "부산시, 스마트 횡단보도 확대", "published_raw": "2082-01-01 09:00"}
    assert load_raws(con, "b2", [edited]).items_changed == 1
    assert con.execute("select published_raw, date_flag, published_at from items").fetchone() == (
        "2082-01-01 09:00",
        "future",
        None,
    )
    # the version it replaced keeps its sound date
    assert con.execute(
        "select version, published_at is not null from item_versions order by version"
    ).fetchall() == [(1, True), (2, False)]


def test_a_source_that_never_had_items_is_empty_and_a_disabled_one_says_so(con):
    disabled = make_source(id="old_board", enabled=False, disabled_reason="no spider yet")
    load_raws(con, "b1", [], status="empty", sources=(SOURCE, disabled))
    assert health(con)[0] == "empty"
    assert health(con, "old_board")[0] == "disabled"


def test_attachments_and_licence_reach_the_analyst_and_their_text_counts_for_tags(con):
    attached = {
        **STORY,
        "link": "https://www.busan.example.kr/news/9",
        "guid": "n9",
        "title": "국토부 보도자료",
        "summary_html": "<p>첨부 참조</p>",
        "article_licence": "KOGL-1",
        "attachments": [
            {
                "url": "https://www.busan.example.kr/f/1.hwpx",
                "name": "보도자료.hwpx",
                "kind": "hwpx",
                "bytes": 7697,
                "sha256": "ab" * 32,
                "text": "세종 5-1생활권 자율주행 셔틀 실증",
            },
            {"url": "https://www.busan.example.kr/f/1.hwp", "name": "보도자료.hwp", "kind": "hwp"},
        ],
    }
    load_raws(con, "b1", [attached])
    assert con.execute("select licence, cities from items").fetchone() == (
        "KOGL-1",
        ["Sejong", "Busan"],
    )
    rows = con.execute("select kind, bytes, text from item_attachments order by kind").fetchall()
    assert rows == [("hwp", None, None), ("hwpx", 7697, "세종 5-1생활권 자율주행 셔틀 실증")]
    body = con.execute("select body_text from items").fetchone()[0]
    assert "세종" not in body  # attachment text stays in item_attachments


def test_an_entry_whose_page_was_not_refetched_keeps_its_stored_content(con):
    full = {
        **STORY,
        "article_text": "부산시는 해운대에 스마트 횡단보도를 설치한다. 보행자를 감지한다.",
        "article_status": 200,
    }
    load_raws(con, "b1", [full])
    known = {**STORY, "article_skipped": "unchanged"}  # feed text only, page known and unchanged
    result = load_raws(con, "b2", [known])
    assert (result.items_changed, result.items_unchanged) == (0, 1)
    assert con.execute("select version, body_text from items").fetchone() == (
        1,
        "부산시는 해운대에 스마트 횡단보도를 설치한다. 보행자를 감지한다.",
    )


def test_a_first_crawl_whose_selectors_match_nothing_is_degraded_not_empty(con):
    board = make_source(id="new_board", kind="html", selectors={"item": "table tbody tr"})
    (missed,) = crawl_reports("b1", [], [board], status="empty")
    missed.error = "list selector 'table tbody tr' matched no entry on https://x.example/list"
    load_raws(con, "b1", [], sources=(board,), reports=[missed])
    assert health(con, "new_board") == ("degraded", missed.error, 0)


WIRE = (
    "서울시는 인공지능이 주 2회 홀몸 어르신에게 전화를 걸어 건강과 식사 여부를 확인하는 AI 안부전화 "
    "서비스를 2만명으로 확대한다고 밝혔다. 응답이 없으면 동주민센터 담당자가 직접 방문한다."
)


def test_two_copies_in_one_batch_share_a_cluster_with_nothing_stored(con):
    other = make_source(id="other_feed", org_type="news")
    copies = [
        make_raw(
            source_id=source_id,
            link=f"https://{source_id}.example/1",
            guid=f"{source_id}-1",
            title=title,
            summary_html="",
            article_status=200,
            article_text=text,
        )
        for source_id, title, text in (
            ("test_feed", "서울시 AI 안부전화 확대", WIRE),
            ("other_feed", "AI 안부전화 2만명", WIRE.replace("밝혔다", "24일 밝혔다")),
        )
    ]
    load_raws(con, "b1", copies, sources=(SOURCE, other))
    rows = con.execute("select item_id, cluster_id from items").fetchall()
    assert len(rows) == 2
    assert rows[0][1] == rows[1][1]  # one cluster, named by one of its members
    assert rows[0][1] in {item_id for item_id, _ in rows}


def test_wire_copies_from_two_outlets_share_a_cluster_and_a_later_copy_joins_it(con):
    other = make_source(id="other_feed", org_type="news")
    first = make_raw(
        source_id="test_feed",
        link="https://a.example/1",
        guid="a1",
        title="서울시 AI 안부전화 확대",
        summary_html="",
        article_text=WIRE,
        article_status=200,
    )
    copy = make_raw(
        source_id="other_feed",
        link="https://b.example/9",
        guid="b9",
        title="홀몸 어르신 AI 안부전화 2만명으로",
        summary_html="",
        article_status=200,
        article_text=WIRE.replace("밝혔다", "24일 밝혔다"),
    )
    unrelated = make_raw(
        source_id="test_feed",
        seq=1,
        link="https://a.example/2",
        guid="a2",
        title="부산 미세먼지 센서 확대",
        summary_html="",
        article_status=200,
        article_text="부산시는 학교와 경로당 주변 등 생활권 1천곳에 미세먼지 간이 측정 센서를 설치한다고 밝혔다.",
    )
    load_raws(con, "b1", [first, unrelated], sources=(SOURCE, other))
    later = make_raw(
        source_id="other_feed",
        link="https://c.example/3",
        guid="c3",
        title="AI 안부전화",
        summary_html="",
        article_status=200,
        article_text=WIRE + " 서비스는 내년에도 이어진다.",
    )
    load_raws(con, "b2", [copy, later], sources=(SOURCE, other))
    rows = dict(con.execute("select url, cluster_id from items").fetchall())
    story = rows["https://a.example/1"]
    assert rows["https://b.example/9"] == story
    assert rows["https://c.example/3"] == story
    assert rows["https://a.example/2"] != story
    first_id = con.execute(
        "select item_id from items where url = 'https://a.example/1'"
    ).fetchone()[0]
    assert story == first_id  # the earliest story names the cluster


LOOKALIKE = (
    "{city}시는 냉난방기와 공기청정기, 버스 도착 정보 안내기를 갖춘 스마트 버스정류장 50곳을 "
    "설치한다고 밝혔다. 정류장에는 미세먼지 측정기와 무료 와이파이도 들어간다."
)


def test_look_alike_stories_from_two_cities_stay_apart(con):
    stories = [
        make_raw(
            source_id="test_feed",
            seq=seq,
            link=f"https://a.example/{seq}",
            guid=f"g{seq}",
            title=f"{city}시, 스마트 버스정류장 50곳 설치",
            summary_html="",
            article_status=200,
            article_text=LOOKALIKE.format(city=city),
        )
        for seq, city in enumerate(["안양", "김해"])
    ]
    load_raws(con, "b1", stories)
    rows = dict(con.execute("select url, cluster_id from items").fetchall())
    assert rows["https://a.example/0"] != rows["https://a.example/1"]


def test_releases_that_share_only_their_sources_page_template_stay_apart(con):
    from tests.helpers.pages import NOISE_RULES, ZERO_ENERGY

    releases = [
        make_raw(
            source_id="test_feed",
            seq=seq,
            link=f"https://a.example/r{seq}",
            guid=f"r{seq}",
            title=text.splitlines()[1],
            summary_html="",
            article_status=200,
            article_text=text,
        )
        for seq, text in enumerate((ZERO_ENERGY, NOISE_RULES))
    ]
    load_raws(con, "b1", releases)
    rows = dict(con.execute("select url, cluster_id from items").fetchall())
    assert rows["https://a.example/r0"] != rows["https://a.example/r1"]
