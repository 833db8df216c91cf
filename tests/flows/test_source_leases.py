"""One crawl of a source, and one loader of a store, across machines sharing a store
(CITYRADAR_STAGING_URL): a source another machine's lease holds is skipped and said so, and
crawled once the lease has run out; a loader finds the store's batches left to the loader that
holds its lease, and loads them once that lease has run out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from cityradar.shared_staging import SharedStaging, open_shared_staging
from tests.helpers.ingest import write_entries
from tests.helpers.warehouses import query

pytestmark = pytest.mark.slow  # crawls loopback sites


@pytest.fixture
def store(tmp_path, monkeypatch) -> SharedStaging:
    """The store the machines share: a folder of its own (the S3 driver's leases are tested in
    tests/cityradar/test_leases.py)."""
    url = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("CITYRADAR_STAGING_URL", url)
    shared = open_shared_staging(url)
    assert shared is not None
    return shared


def lease_elsewhere(store: SharedStaging, name: str, generation: int, minutes: float) -> None:
    """A lease held by a run on another machine, running out in ``minutes`` (past when < 0)."""
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    record = {"pid": 4242, "host": "crawl-b", "since": "2026-12-07T20:00:00Z", "run": "run-b"}
    folder = f"{store.root}/leases/{name}"
    store.fs.makedirs(folder, exist_ok=True)
    record["expires"] = expires.isoformat()
    store.fs.pipe_file(f"{folder}/{generation:06d}", json.dumps(record).encode())


def two_sites():
    return [s for s in bundled_sites(datetime.now(UTC)) if s.slug in ("seoul-news", "busan-ilbo")]


def test_a_source_another_machine_is_crawling_is_skipped_then_crawled_when_its_lease_ends(
    prefect_harness, store, tmp_path
):
    from flows.ingest import ingest

    sites = two_sites()
    here = tmp_path / "crawl-a"
    with SiteServer(sites, {}) as server:
        sources = write_entries([s.source_entry(server.base_url) for s in sites], here)
        held, free = (site.source_entry(server.base_url)["id"] for site in sites)
        lease_elsewhere(store, f"source-{held}", 1, minutes=5)
        first = ingest(sources_path=sources, data_dir=here, crawl_delay=0.0, load=False)
        lease_elsewhere(store, f"source-{held}", 2, minutes=-1)  # crawl-b died; it ran out
        second = ingest(sources_path=sources, data_dir=here, crawl_delay=0.0, load=False)

    assert [(b.source_id, b.held_by) for b in first.busy] == [
        (held, "process 4242 on crawl-b since 2026-12-07T20:00:00Z, flow run run-b")
    ]
    assert [r.source_id for r in first.reports] == [free]
    assert first.store_problems == []
    assert first.published == [first.batch_id]
    assert second.busy == []
    assert sorted(r.source_id for r in second.reports) == sorted([held, free])
    # the run gave its leases up when it ended: the next machine finds them free
    leases = store.fs.ls(f"{store.root}/leases/source-{free}", detail=False)
    record = json.loads(store.fs.cat_file(leases[-1]))
    assert datetime.fromisoformat(record["expires"]) <= datetime.now(UTC)


def test_one_warehouse_takes_a_stores_batches_and_one_run_of_it_at_a_time(
    prefect_harness, store, tmp_path
):
    from cityradar.shared_staging import warehouse_identity
    from flows.ingest import ingest, load_staged_batches

    sites = two_sites()[:1]
    crawler, loader, other = tmp_path / "crawl-a", tmp_path / "warehouse-a", tmp_path / "wh-b"
    with SiteServer(sites, {}) as server:
        sources = write_entries([s.source_entry(server.base_url) for s in sites], crawler)
        crawled = ingest(sources_path=sources, data_dir=crawler, crawl_delay=0.0, load=False)
    assert crawled.published == [crawled.batch_id]

    # a run loading into this warehouse holds the loader lease: this one leaves the store to it
    lease_elsewhere(store, "loader", 7, minutes=5)
    beside = load_staged_batches(data_dir=loader)
    assert (beside.loaded, beside.problems) == ([], [])
    lease_elsewhere(store, "loader", 8, minutes=-1)  # it ended
    taken = load_staged_batches(data_dir=loader)
    assert taken.problems == []
    assert [r.batch_id for r in taken.loaded] == [crawled.batch_id]
    assert taken.loaded[0].items_new > 0
    claim = json.loads(store.fs.cat_file(f"{store.root}/loader.json"))
    assert claim["warehouse"] == warehouse_identity(loader / "cityradar.duckdb")

    # a second warehouse, started later (on another machine, or another folder here), is
    # refused the store's batches, and says so: they belong to the first
    with SiteServer(sites, {}) as server:
        sources = write_entries([s.source_entry(server.base_url) for s in sites], crawler)
        again = ingest(sources_path=sources, data_dir=crawler, crawl_delay=0.0, load=False)
    refused = load_staged_batches(data_dir=other)
    assert refused.loaded == []
    first = warehouse_identity(loader / "cityradar.duckdb")
    assert refused.problems == [
        f"the batches on {store.url} belong to the warehouse {first}; this one "
        f"({warehouse_identity(other / 'cityradar.duckdb')}) loads only the batches on its own "
        f"disk (to move the warehouse for good, delete {store.url}/loader.json)"
    ]
    assert refused.problems[0] in _latest_note("load-staged-report")  # said in Prefect's UI
    assert not (other / "cityradar.duckdb").exists() or query(
        other / "cityradar.duckdb", "select count(*) from raw.items"
    ) == [(0,)]
    assert [r.batch_id for r in load_staged_batches(data_dir=loader).loaded] == [again.batch_id]


class OverwritingStore(MemoryFileSystem):
    """An fsspec driver that ignores exclusive writes (it writes over the file instead)."""

    protocol = "overwriting"

    def _open(self, path, mode="rb", **kwargs):
        return super()._open(path, mode.replace("x", "w"), **kwargs)


def test_a_store_that_cannot_hold_leases_is_said_and_the_crawl_goes_on(
    prefect_harness, monkeypatch, tmp_path
):
    from flows.exits import FAILED, ingest_status
    from flows.ingest import ingest

    fsspec.register_implementation("overwriting", OverwritingStore, clobber=True)
    monkeypatch.setenv("CITYRADAR_STAGING_URL", "overwriting://staging")
    sites = two_sites()[:1]
    with SiteServer(sites, {}) as server:
        sources = write_entries([s.source_entry(server.base_url) for s in sites], tmp_path)
        crawled = ingest(sources_path=sources, data_dir=tmp_path, crawl_delay=0.0, load=False)
    assert [r.status for r in crawled.reports] == ["ok"]
    assert crawled.published == [crawled.batch_id]  # the batch still reaches the loader
    assert crawled.store_problems == [
        "overwriting://staging overwrote a file it was asked to create only if absent: its "
        "store cannot hold leases, so machines sharing it cannot tell who crawls a source; "
        "crawled without leases"
    ]
    assert ingest_status(crawled) == FAILED


def _latest_note(key: str) -> str:
    """The markdown of the newest artifact under ``key`` on the test's Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    assert artifacts, f"no {key} artifact"
    return str(artifacts[0].data)
