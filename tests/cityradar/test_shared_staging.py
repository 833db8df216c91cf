"""Staging shared between machines, on a real S3-compatible server (moto's) on 127.0.0.1: a
batch is visible to the loader only once whole, is loaded once, and goes after the keep days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cityradar.shared_staging import (
    INCOMING,
    SharedStaging,
    SharedStagingError,
    StagingUrlError,
    open_shared_staging,
)
from cityradar.staging import Batch, JsonlWriter, pending_batches
from tests.helpers.factories import make_raw, make_source
from tests.helpers.s3 import S3Server, s3_server, use_endpoint

pytestmark = pytest.mark.slow  # starts a server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture
def store(s3, monkeypatch, request) -> SharedStaging:
    """A store of its own per test (its own prefix), reached as an operator would configure
    it: fsspec's options for the endpoint, the usual AWS variables for credentials."""
    use_endpoint(monkeypatch, s3.endpoint)
    shared = open_shared_staging(s3.url(request.node.name))
    assert shared is not None
    return shared


def crawled_batch(staging, titles: list[str]) -> Batch:
    source = make_source(id="seoul_news", city="Seoul", org_type="city")
    batch = Batch.create(staging, [source])
    writer = JsonlWriter(batch.items_file(source.id))
    for n, title in enumerate(titles):
        writer.write(make_raw(source_id=source.id, seq=n, title=title, guid=f"g{n}").to_dict())
    writer.close()
    batch.mark_crawled()
    return batch


def test_no_url_means_local_staging():
    assert open_shared_staging(None) is None
    assert open_shared_staging("") is None


def test_a_url_with_no_driver_is_a_plain_error():
    with pytest.raises(SharedStagingError, match="CITYRADAR_STAGING_URL nosuch://x"):
        open_shared_staging("nosuch://x/staging")


def test_a_published_batch_reaches_the_loader_whole_and_once(store, tmp_path):
    crawler, loader = tmp_path / "crawler", tmp_path / "loader"
    batch = crawled_batch(crawler, ["서울시 자율주행 버스", "서울시 스마트 가로등"])
    items = batch.items_file("seoul_news").read_bytes()
    store.publish(batch)
    assert not batch.path.exists()  # the crawler's copy goes once the store has it all
    assert store.complete_batches() == [batch.batch_id]

    fetched = store.fetch(batch.batch_id, loader)
    assert fetched.items_file("seoul_news").read_bytes() == items
    assert [r.title for r in fetched.raw_items()] == [
        "서울시 자율주행 버스",
        "서울시 스마트 가로등",
    ]
    assert fetched.is_crawled()  # the loader may take it at once
    assert [b.batch_id for b in pending_batches(loader)] == [batch.batch_id]

    store.mark_loaded(batch.batch_id)
    assert store.complete_batches() == []


def test_a_publish_cut_short_is_invisible_until_published_again(store, tmp_path):
    batch = crawled_batch(tmp_path / "crawler", ["부산시 스마트 물관리"])
    # what a crawler killed mid-upload leaves: some of the batch's files, no marker
    store.fs.put_file(
        str(batch.path / "batch.json"), f"{store.root}/batches/{batch.batch_id}/batch.json"
    )
    assert store.complete_batches() == []
    assert batch.path.exists()  # still on the crawler's disk, for its next run
    store.publish(batch)  # the next run
    assert store.complete_batches() == [batch.batch_id]
    fetched = store.fetch(batch.batch_id, tmp_path / "loader")
    assert [r.title for r in fetched.raw_items()] == ["부산시 스마트 물관리"]


def test_a_download_cut_short_is_never_taken_for_a_batch(store, tmp_path):
    batch = crawled_batch(tmp_path / "crawler", ["인천 송도 스마트시티"])
    batch_id = batch.batch_id
    store.publish(batch)
    loader = tmp_path / "loader"
    # a loader killed mid-download left this, batch.json and all
    half = loader / INCOMING / f"{batch_id}-x1y2z3"
    (half / "items").mkdir(parents=True)
    (half / "batch.json").write_text("{}", encoding="utf-8")
    assert pending_batches(loader) == []
    fetched = store.fetch(batch_id, loader)
    assert [r.title for r in fetched.raw_items()] == ["인천 송도 스마트시티"]
    assert [b.batch_id for b in pending_batches(loader)] == [batch_id]


def test_a_marker_without_its_files_is_a_plain_error_that_leaves_nothing(store, tmp_path):
    store.fs.pipe_file(f"{store.root}/crawled/20261207T000000Z-abcdef", b"2026-12-07T00:00:00Z")
    assert store.complete_batches() == ["20261207T000000Z-abcdef"]
    with pytest.raises(SharedStagingError, match=r"marked crawled .* but its files are missing"):
        store.fetch("20261207T000000Z-abcdef", tmp_path)
    assert pending_batches(tmp_path) == []
    assert list((tmp_path / INCOMING).iterdir()) == []


def test_loaded_batches_are_pruned_after_the_keep_days(store, tmp_path):
    old, recent = (crawled_batch(tmp_path / "c", [f"기사 {n}"]) for n in range(2))
    for batch in (old, recent):
        store.publish(batch)
    store.mark_loaded(old.batch_id)
    assert store.prune(keep_days=30) == ([], [])  # loaded just now
    later = datetime.now(UTC) + timedelta(days=31)
    assert store.prune(keep_days=30, now=later) == ([old.batch_id], [])
    assert not store.fs.exists(f"{store.root}/batches/{old.batch_id}")
    assert store.complete_batches() == [recent.batch_id]  # never loaded: never pruned
    assert store.prune(keep_days=30, now=later) == ([], [])


def test_one_unreadable_marker_does_not_stop_the_pruning_of_the_others(store, tmp_path):
    batch = crawled_batch(tmp_path / "c", ["기사"])
    store.publish(batch)
    store.mark_loaded(batch.batch_id)
    store.fs.pipe_file(f"{store.root}/loaded/20260101T000000Z-bad000", b"not a time")
    later = datetime.now(UTC) + timedelta(days=31)
    pruned, problems = store.prune(keep_days=30, now=later)
    assert pruned == [batch.batch_id]
    assert len(problems) == 1
    assert problems[0].startswith("could not prune batch 20260101T000000Z-bad000 on s3://")


def test_a_local_store_inside_the_staging_folder_is_refused(tmp_path):
    staging = tmp_path / "data" / "staging"
    with pytest.raises(StagingUrlError, match="inside the staging folder"):
        open_shared_staging(str(staging / "shared"), staging)
    assert open_shared_staging(str(tmp_path / "shared"), staging) is not None


def test_a_store_that_refuses_keeps_the_batch_and_says_why(s3, monkeypatch, tmp_path):
    use_endpoint(monkeypatch, s3.endpoint)
    shared = open_shared_staging("s3://no-such-bucket/staging")
    assert shared is not None
    batch = crawled_batch(tmp_path, ["대구 스마트 교통"])
    with pytest.raises(
        SharedStagingError,
        match=r"could not publish batch .* to s3://no-such-bucket/staging: .*bucket does not exist",
    ):
        shared.publish(batch)
    assert batch.is_crawled()
    assert batch.items_file("seoul_news").exists()


def test_the_first_warehouse_to_load_claims_the_store_and_another_is_refused(store):
    from cityradar.shared_staging import StoreClaimed

    store.claim_for("warehouse-a:/srv/radar/cityradar.duckdb")
    store.claim_for("warehouse-a:/srv/radar/cityradar.duckdb")  # its own: again and again
    with pytest.raises(StoreClaimed, match="belong to the warehouse warehouse-a:/srv/radar/"):
        store.claim_for("warehouse-b:/srv/radar/cityradar.duckdb")


def test_a_bucket_that_does_not_exist_is_no_empty_store(s3, monkeypatch):
    use_endpoint(monkeypatch, s3.endpoint)
    shared = open_shared_staging("s3://no-such-bucket/staging")
    assert shared is not None
    with pytest.raises(SharedStagingError, match="could not claim the batches on s3://no-such-b"):
        shared.claim_for("warehouse-a:/srv/radar/cityradar.duckdb")
