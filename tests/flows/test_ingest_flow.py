"""The ingest flow end to end: local sites -> child-process crawls -> transforms -> DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cityradar.staging import Batch, JsonlWriter, pending_batches
from tests.helpers.factories import make_raw, make_source
from tests.helpers.warehouses import query


def test_every_source_reports_and_the_broken_ones_say_why(ingested):
    reports = {r.source_id: r for r in ingested.summary.reports}
    assert set(reports) == {s.slug.replace("-", "_") for s in ingested.sites} | {
        "gone_feed",
        "html_feed",
    }
    assert reports["gone_feed"].status == "failed"
    assert "HTTP 404 Not Found" in reports["gone_feed"].error
    assert reports["html_feed"].status == "failed"
    assert "not a feed" in reports["html_feed"].error
    healthy = [r for r in reports.values() if r.source_id not in ("gone_feed", "html_feed")]
    assert all(r.status == "ok" for r in healthy), [(r.source_id, r.error) for r in healthy]


def test_the_healthy_sources_are_loaded_one_row_per_story(ingested):
    entries = sum(len(site.articles) for site in ingested.sites)
    load = ingested.summary.load
    assert load.items_in == entries - 1  # the trade site's copy of the Songdo story folds in
    assert load.duplicates_folded == 1
    assert load.items_new == entries - 1
    assert query(ingested.db_path, "select count(*) from items") == [(entries - 1,)]
    assert query(ingested.db_path, "select count(*) from raw.items") == [(entries,)]


def test_korean_text_from_the_euc_kr_site_is_intact(ingested):
    rows = query(
        ingested.db_path,
        "select title, body_text, language from items where source_id = 'busan_ilbo'"
        " and title like '%스마트 횡단보도%'",
    )
    ((title, body, language),) = rows
    assert title == "부산시, 해운대에 스마트 횡단보도 20곳 설치"
    assert "보행자가 다가오면 바닥 신호등이 켜지고" in body
    assert language == "ko"


@pytest.mark.parametrize(
    ("source", "title_start", "local_time"),
    [
        ("molit_demo", "세종 5-1생활권", "11:00"),  # "MON, 16 NOV 2026 11:00:00 KST"
        ("seoul_news", "서울시, 심야 자율주행버스", "09:15"),  # naive KST
        ("korea_daily", "Songdo pilots", "08:40"),  # ISO +09:00
        ("busan_ilbo", "부산시, 해운대", "07:30"),  # RFC 822 +0900
        ("smartcity_weekly", "Helsinki", "18:00"),  # GMT 09:00 = 18:00 KST
    ],
)
def test_publication_times_are_right_whatever_the_source_wrote(
    ingested, source, title_start, local_time
):
    (published,) = query(
        ingested.db_path,
        "select strftime(published_at at time zone 'Asia/Seoul', '%H:%M')"
        " from items where source_id = ? and title like ?",
        [source, title_start + "%"],
    )[0]
    assert published == local_time


def test_stories_are_tagged_with_reasons_in_both_languages(ingested):
    tagged = dict(query(ingested.db_path, "select title, focus_areas from items"))
    assert "mobility" in tagged["Songdo pilots autonomous shuttle buses between subway stations"]
    assert "water" in tagged["부산 에코델타시티, 스마트 물관리 시범사업 착수"]
    cities = dict(query(ingested.db_path, "select title, cities from items"))
    assert cities["세종 5-1생활권 국가시범도시 첫 입주… 자율주행 셔틀·스마트 주차 도입"] == [
        "Sejong"
    ]
    assert cities["부산물 비료 활용 농가 지원 확대"] == []
    assert cities["FC Barcelona signs Korean midfielder on three-year deal"] == []
    reasons = query(
        ingested.db_path,
        "select reasons from item_focus_areas f join items i using (item_id)"
        " where i.title like 'Songdo%' and f.focus_area = 'mobility'",
    )
    assert "autonomous" in reasons[0][0] or "self-driving" in reasons[0][0]


def test_links_to_other_sites_are_stored_but_never_fetched(ingested):
    (body,) = query(
        ingested.db_path, "select body_text from items where url like 'https://news.example.org/%'"
    )[0]
    assert (
        body
        == "Estonia's capital invites companies to test digital public services with city data."
    )
    assert not [p for p in ingested.requested if "tallinn" in p]


def test_source_health_shows_the_failures_to_the_analyst(ingested):
    health = dict(query(ingested.db_path, "select source_id, health from source_health"))
    assert health["gone_feed"] == "failing"
    assert health["html_feed"] == "failing"
    assert health["seoul_news"] == "ok"


def test_the_batch_was_moved_to_loaded_and_reloading_it_changes_nothing(ingested):
    from prefect.logging import disable_run_logger

    from flows.ingest import load_staged, normalize_staged

    staging = ingested.data_dir / "staging"
    assert pending_batches(staging) == []
    loaded = staging / "loaded" / ingested.summary.batch_id
    assert (loaded / "batch.json").exists()
    before = query(ingested.db_path, "select count(*), sum(version) from items")
    with disable_run_logger():
        result = load_staged.fn(ingested.db_path, loaded, normalize_staged.fn(loaded))
    assert result.already_loaded
    assert query(ingested.db_path, "select count(*), sum(version) from items") == before


def test_a_batch_left_by_a_crashed_run_is_loaded_by_the_next_one(prefect_harness, tmp_path):
    from flows.ingest import ingest

    source = make_source(id="crashed_feed", url="https://example.invalid/rss.xml")
    staging = tmp_path / "staging"
    left = Batch.create(staging, [source])
    writer = JsonlWriter(left.items_file("crashed_feed"))
    raw = make_raw(
        source_id="crashed_feed",
        batch_id=left.batch_id,
        title="인천 송도 스마트시티 실증",
        summary_html="<p>송도에서 자율주행 셔틀을 시험한다.</p>",
    )
    writer.write(raw.to_dict())
    writer.close()
    left.mark_crawled()  # the run died after crawling, before loading

    sources = tmp_path / "sources.yaml"
    sources.write_text("[]\n", encoding="utf-8")
    summary = ingest(sources_path=sources, db_path=tmp_path / "w.duckdb", data_dir=tmp_path)
    assert [r.batch_id for r in summary.recovered] == [left.batch_id]
    assert summary.recovered[0].items_new == 1
    assert query(tmp_path / "w.duckdb", "select title, cities from items") == [
        ("인천 송도 스마트시티 실증", ["Incheon"])
    ]
    assert pending_batches(staging) == []


def test_a_run_that_is_still_crawling_is_left_alone(tmp_path):
    from cityradar.locks import held, lock_path
    from flows.ingest import _abandoned

    source = make_source()
    with held(lock_path(tmp_path, f"source-{source.id}")):  # as a crawling run holds it
        busy = Batch.create(tmp_path, [source])
        assert _abandoned(tmp_path, crawl_timeout=900) == []
    assert busy.created_before(datetime.now(UTC))


def test_a_half_crawled_batch_whose_run_is_gone_is_taken_at_once(tmp_path):
    from flows.ingest import _abandoned

    left = Batch.create(tmp_path, [make_source()])  # no lock: its run was killed
    assert not left.is_crawled()
    assert [b.batch_id for b in _abandoned(tmp_path, crawl_timeout=900)] == [left.batch_id]


def test_board_stories_keep_their_attachment_text_and_licence(ingested):
    rows = query(
        ingested.db_path,
        "select i.title, i.licence, a.kind, a.text from items i"
        " join item_attachments a using (item_id) where i.source_id = 'sejong_board'"
        " and i.title like '세종 도심 침수%'",
    )
    ((_title, licence, kind, text),) = rows
    assert licence == "KOGL-1"
    assert kind == "hwpx"
    assert text.startswith("[보도자료] 세종 도심 침수 예측 디지털트윈 구축")
    assert "붙임: 세종특별자치시 보도자료 (demo) 세부 추진 계획" in text
    runs = dict(query(ingested.db_path, "select source_id, pages from source_runs"))
    assert (
        runs["sejong_board"] == 3
    )  # two pages of entries, then the empty third page ends the paging


def test_a_locked_warehouse_fails_the_load_visibly_and_the_next_run_loads_the_batch_once(
    prefect_harness, tmp_path, monkeypatch
):
    from flows.ingest import ingest
    from tests.helpers.warehouses import hold
    from warehouse.db import WarehouseLocked, connect

    db = tmp_path / "w.duckdb"
    with connect(db):
        pass
    staging = tmp_path / "staging"
    left = Batch.create(staging, [make_source(id="city_feed")])
    writer = JsonlWriter(left.items_file("city_feed"))
    writer.write(
        make_raw(
            source_id="city_feed", batch_id=left.batch_id, title="세종시 자율주행 셔틀"
        ).to_dict()
    )
    writer.close()
    left.mark_crawled()
    sources = tmp_path / "sources.yaml"
    sources.write_text("[]\n", encoding="utf-8")
    monkeypatch.setenv("CITYRADAR_DB_LOCK_TIMEOUT", "1")

    analyst = hold(db, 30, mode="read")  # someone has the file open
    try:
        with pytest.raises(WarehouseLocked, match="is in use by another process"):
            ingest(sources_path=sources, db_path=db, data_dir=tmp_path)
    finally:
        analyst.kill()
        analyst.wait()
    assert [b.batch_id for b in pending_batches(staging)] == [left.batch_id]  # kept

    summary = ingest(sources_path=sources, db_path=db, data_dir=tmp_path)
    assert [r.items_new for r in summary.recovered] == [1]
    assert query(db, "select title from items") == [("세종시 자율주행 셔틀",)]
    assert pending_batches(staging) == []
