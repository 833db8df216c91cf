"""Crawl on one machine, load on another: a crawl-only ingest publishes its batch to S3 (a real
S3-compatible server on 127.0.0.1) and a loader with a data folder of its own loads it, once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from tests.helpers.ingest import write_entries
from tests.helpers.s3 import s3_server, use_endpoint
from tests.helpers.warehouses import query


@pytest.fixture
def staging_on_s3(monkeypatch):
    """CITYRADAR_STAGING_URL on a fresh S3 server, configured as an operator would."""
    with s3_server() as s3:
        use_endpoint(monkeypatch, s3.endpoint)
        monkeypatch.setenv("CITYRADAR_STAGING_URL", s3.url("staging"))
        yield s3


def test_a_crawl_worker_publishes_and_the_loader_loads_each_story_once(
    prefect_harness, staging_on_s3, tmp_path
):
    from cityradar.shared_staging import open_shared_staging
    from flows.ingest import ingest, load_staged_batches

    crawler, loader = tmp_path / "crawler", tmp_path / "loader"  # two machines' data folders
    sites = bundled_sites(datetime.now(UTC))
    with SiteServer(sites, {}) as server:
        sources = write_entries([s.source_entry(server.base_url) for s in sites], crawler)
        crawled = ingest(sources_path=sources, data_dir=crawler, crawl_delay=0.0, load=False)
    assert crawled.load is None
    assert crawled.staging_problems == []
    assert crawled.published == [crawled.batch_id]
    assert not (crawler / "staging" / crawled.batch_id).exists()  # the store holds it now
    entries = sum(r.items_seen for r in crawled.reports)
    assert entries > 10

    done = load_staged_batches(data_dir=loader)
    assert done.problems == []
    assert [r.batch_id for r in done.loaded] == [crawled.batch_id]
    db = loader / "cityradar.duckdb"
    stories = query(db, "select count(*), count(distinct url) from items")[0]
    assert stories[0] == stories[1] == done.loaded[0].items_new > 10
    assert query(db, "select count(distinct batch_id) from raw.items") == [(1,)]

    # taken once: the store marks it loaded
    assert load_staged_batches(data_dir=loader).loaded == []
    # a loader killed after its commit, before the marker, takes the batch again: nothing twice
    shared = open_shared_staging(staging_on_s3.url("staging"))
    assert shared is not None
    shared.fs.rm_file(f"{shared.root}/loaded/{crawled.batch_id}")
    again = load_staged_batches(data_dir=loader)
    assert [r.already_loaded for r in again.loaded] == [True]
    assert query(db, "select count(*) from items")[0][0] == stories[0]


def test_a_crawl_worker_that_cannot_publish_keeps_its_batch_and_says_so(
    prefect_harness, staging_on_s3, monkeypatch, tmp_path
):
    from cityradar.staging import pending_batches
    from flows.ingest import ingest

    monkeypatch.setenv("CITYRADAR_STAGING_URL", "s3://no-such-bucket/staging")
    sites = bundled_sites(datetime.now(UTC))[:1]
    with SiteServer(sites, {}) as server:
        sources = write_entries([s.source_entry(server.base_url) for s in sites], tmp_path)
        crawled = ingest(sources_path=sources, data_dir=tmp_path, crawl_delay=0.0, load=False)
    assert crawled.published == []
    assert len(crawled.staging_problems) == 1
    assert "could not publish batch" in crawled.staging_problems[0]
    assert [b.batch_id for b in pending_batches(tmp_path / "staging")] == [crawled.batch_id]
