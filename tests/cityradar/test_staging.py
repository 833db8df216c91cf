"""Staging batches: what a crawl leaves survives a crash and reaches the loader once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cityradar.items import CrawlReport, RawItem
from cityradar.staging import Batch, JsonlWriter, pending_batches, read_jsonl
from tests.helpers.factories import make_raw, make_source


def test_a_torn_last_line_is_skipped_and_the_rest_kept(tmp_path):
    path = tmp_path / "items.jsonl"
    writer = JsonlWriter(path)
    writer.write({"n": 1})
    writer.write({"n": 2})
    writer.close()
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"n": 3, "title": "잘린')  # the process died mid-line
    assert [r["n"] for r in read_jsonl(path)] == [1, 2]


def test_each_line_is_on_disk_as_soon_as_it_is_written(tmp_path):
    path = tmp_path / "items.jsonl"
    writer = JsonlWriter(path)
    writer.write({"title": "서울시 자율주행"})
    # not closed: a crash now must still leave the line readable
    assert json.loads(path.read_text(encoding="utf-8")) == {"title": "서울시 자율주행"}
    writer.close()


def test_a_batch_keeps_the_source_entries_it_was_crawled_with(tmp_path):
    source = make_source(id="seoul_news", city="Seoul", org_type="city")
    batch = Batch.create(tmp_path, [source])
    assert batch.sources() == {"seoul_news": source}
    assert batch.meta()["batch_id"] == batch.batch_id


def test_items_and_reports_round_trip(tmp_path):
    batch = Batch.create(tmp_path, [make_source()])
    writer = JsonlWriter(batch.items_file("test_feed"))
    writer.write(make_raw(title="부산 스마트시티").to_dict())
    writer.close()
    report = CrawlReport(
        "test_feed",
        batch.batch_id,
        "2026-11-20T00:00:00+00:00",
        "2026-11-20T00:01:00+00:00",
        "ok",
        items_seen=1,
    )
    batch.write_report(report)
    assert [i.title for i in batch.raw_items()] == ["부산 스마트시티"]
    assert isinstance(next(batch.raw_items()), RawItem)
    assert batch.read_report("test_feed") == report
    assert batch.read_report("absent") is None


def test_a_batch_staged_before_the_listing_fields_were_named_so_still_loads(tmp_path):
    # RawItem.listing_url and listing_language were feed_url and feed_language: a batch staged
    # by that version may still be waiting to be loaded
    batch = Batch.create(tmp_path, [make_source()])
    old_record = make_raw(title="세종 스마트시티", listing_language="ko").to_dict()
    old_record["feed_url"] = old_record.pop("listing_url")
    old_record["feed_language"] = old_record.pop("listing_language")
    writer = JsonlWriter(batch.items_file("test_feed"))
    writer.write(old_record)
    writer.close()
    (item,) = batch.raw_items()
    assert (item.title, item.listing_url, item.listing_language) == (
        "세종 스마트시티",
        "https://news.example.kr/rss.xml",
        "ko",
    )
    # the record the loader lands in raw.items carries the new names only
    landed = item.to_dict()
    assert landed["listing_url"] == "https://news.example.kr/rss.xml"
    assert landed["listing_language"] == "ko"
    assert not {"feed_url", "feed_language"} & landed.keys()


def test_pending_batches_are_those_not_yet_loaded(tmp_path):
    first = Batch.create(tmp_path, [make_source()])
    second = Batch.create(tmp_path, [make_source()])
    assert [b.batch_id for b in pending_batches(tmp_path)] == sorted(
        [first.batch_id, second.batch_id]
    )
    moved = first.mark_loaded()
    assert moved.parent.name == "loaded"
    assert moved.exists()
    assert [b.batch_id for b in pending_batches(tmp_path)] == [second.batch_id]


def test_a_batch_loaded_again_replaces_its_earlier_copy_in_loaded(tmp_path):
    batch = Batch.create(tmp_path, [make_source()])
    earlier = batch.mark_loaded()
    (earlier / "old-only.txt").write_text("from the first load", encoding="utf-8")
    again = Batch.create(tmp_path, [make_source()])
    again_same = again.path.rename(tmp_path / batch.batch_id)  # fetched again from its store
    moved = Batch(again_same).mark_loaded()
    assert moved == earlier
    assert (moved / "batch.json").exists()
    assert not (moved / "old-only.txt").exists()
    assert pending_batches(tmp_path) == []


def test_crawled_mark_and_age(tmp_path):
    batch = Batch.create(tmp_path, [make_source()])
    assert not batch.is_crawled()
    batch.mark_crawled()
    assert batch.is_crawled()
    assert batch.created_before(datetime.now(UTC) + timedelta(seconds=5))
    assert not batch.created_before(datetime.now(UTC) - timedelta(hours=1))
