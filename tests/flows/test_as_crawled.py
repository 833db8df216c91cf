"""Transform while crawling: each source's items become columns as its crawl ends, the same
columns as transforming the whole batch once every crawl has ended."""

from __future__ import annotations

import time

import pytest

from cityradar.staging import Batch, JsonlWriter
from flows.as_crawled import TransformAsCrawled
from tests.helpers.factories import make_raw, make_source
from transforms import matching
from transforms.normalize import normalize_chunks, release_models
from warehouse.columnar import item_tables

SEOUL = make_source(id="seoul_feed", city="Seoul", org_type="city")
BUSAN = make_source(id="busan_feed", city="Busan", org_type="city")


def staged(tmp_path) -> Batch:
    batch = Batch.create(tmp_path, [SEOUL, BUSAN])
    stories = {
        SEOUL.id: ["서울시, 자율주행 버스 심야 노선 확대", "서울시 스마트 가로등 1만 개 교체"],
        BUSAN.id: ["부산시, 에코델타시티 스마트 물관리 가동", "서울시 스마트 가로등 1만 개 교체"],
    }
    for source_id, titles in stories.items():
        writer = JsonlWriter(batch.items_file(source_id))
        for n, title in enumerate(titles):
            link = f"https://{source_id}.example.kr/view/{n}"
            if "가로등" in title:
                link = "https://news.example.kr/view/lamps"  # the same story from both sources
            writer.write(
                make_raw(
                    source_id=source_id, seq=n, link=link, guid=f"{source_id}-{n}", title=title
                ).to_dict()
            )
        writer.close()
    return batch


def rows(tables) -> list[tuple]:
    items = tables.items.to_pylist()
    return sorted((i["item_id"], i["title"], i["source_id"]) for i in items)


def test_sources_transformed_as_they_end_give_the_batchs_columns(tmp_path):
    batch = staged(tmp_path)
    transformer = TransformAsCrawled(batch)
    transformer.crawled(BUSAN.id)  # Busan's crawl ended first
    transformer.crawled(SEOUL.id)
    as_crawled = transformer.finish()
    at_once = item_tables(normalize_chunks(batch.raw_items(), batch.sources()))
    assert rows(as_crawled) == rows(at_once)
    assert len(rows(as_crawled)) == 3  # the story both sources carry is one item
    assert as_crawled.duplicates_folded == at_once.duplicates_folded == 1
    assert sorted(as_crawled.focus_areas.to_pylist(), key=str) == sorted(
        at_once.focus_areas.to_pylist(), key=str
    )


def test_a_source_that_wrote_nothing_is_no_trouble(tmp_path):
    batch = Batch.create(tmp_path, [SEOUL])
    transformer = TransformAsCrawled(batch)
    transformer.crawled(SEOUL.id)
    assert transformer.finish().items.num_rows == 0


def test_a_failure_to_transform_is_raised_when_the_flow_asks_for_the_columns(tmp_path):
    batch = staged(tmp_path)
    stray = JsonlWriter(batch.items_file("nobody"))
    stray.write(make_raw(source_id="nobody").to_dict())  # not a source of the batch
    stray.close()
    transformer = TransformAsCrawled(batch)
    transformer.crawled("nobody")
    transformer.crawled(SEOUL.id)  # later sources are drained, not transformed
    with pytest.raises(KeyError):
        transformer.finish()


def _kiwi_loaded() -> bool:
    return matching.kiwi_loaded()


def test_models_load_once_a_crawl_writes_an_item_not_when_it_ends(tmp_path):
    release_models()
    batch = Batch.create(tmp_path, [SEOUL])
    transformer = TransformAsCrawled(batch)
    time.sleep(0.5)
    assert not _kiwi_loaded()  # nothing written yet: a run with nothing new loads nothing
    writer = JsonlWriter(batch.items_file(SEOUL.id))
    writer.write(make_raw(source_id=SEOUL.id, title="서울시 자율주행 버스").to_dict())
    writer.close()
    deadline = time.monotonic() + 60
    while not _kiwi_loaded() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _kiwi_loaded()  # the crawl has not ended: Kiwi was loaded while it went on
    transformer.crawled(SEOUL.id)
    assert transformer.finish().items.num_rows == 1


def test_a_run_whose_crawls_write_nothing_loads_no_model(tmp_path):
    release_models()
    batch = Batch.create(tmp_path, [SEOUL])
    transformer = TransformAsCrawled(batch)
    transformer.crawled(SEOUL.id)
    assert transformer.finish().items.num_rows == 0
    assert not _kiwi_loaded()
