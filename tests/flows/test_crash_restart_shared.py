"""SIGKILL a crawl machine mid-upload and a loader mid-merge, with batches going through S3 (a
real S3-compatible server on 127.0.0.1): the next runs lose nothing and load nothing twice.

Each run is the real `cityradar` command in a process group of its own, killed as a crashing
machine would be; the crawl machine and the loader have data folders of their own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from cityradar.shared_staging import open_shared_staging
from tests.flows.test_crash_restart import finish, kill_when, kill_while_loading, start
from tests.helpers.s3 import CREDENTIALS, S3Server, StallingProxy, s3_server

SITES = ("seoul-news", "korea-daily", "molit-demo")


@dataclass
class Machines:
    """A crawl machine's and a loader's environments, sharing one S3 store."""

    s3: S3Server
    crawler: dict[str, str]
    loader: dict[str, str]
    loader_db: Path
    stories: int

    def via(self, endpoint: str) -> dict[str, str]:
        """The crawl machine's environment with the store reached through ``endpoint``."""
        return self.crawler | {"FSSPEC_S3_ENDPOINT_URL": endpoint}

    def store(self):
        """The store as the test reads it."""
        import fsspec.config

        fsspec.config.conf["s3"] = {"endpoint_url": self.s3.endpoint}
        for name, value in CREDENTIALS.items():
            os.environ.setdefault(name, value)
        return open_shared_staging(self.s3.url("staging"))


@pytest.fixture
def machines(prefect_harness, tmp_path) -> Iterator[Machines]:
    from prefect.settings import PREFECT_API_URL

    sites = [s for s in bundled_sites(datetime.now(UTC)) if s.slug in SITES]
    with s3_server() as s3, SiteServer(sites) as server:
        sources = tmp_path / "sources.yaml"
        entries = [site.source_entry(server.base_url) for site in sites]
        sources.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CITYRADAR_", "FSSPEC_"))}
        base |= CREDENTIALS | {
            "CITYRADAR_STAGING_URL": s3.url("staging"),
            "FSSPEC_S3_ENDPOINT_URL": s3.endpoint,
            "CITYRADAR_CRAWL_DELAY": "0",
            "CITYRADAR_CRAWL_RETRIES": "0",
            "CITYRADAR_DB_LOCK_TIMEOUT": "120",
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),  # the session's server
        }
        crawler = base | {
            "CITYRADAR_DATA_DIR": str(tmp_path / "crawler"),
            "CITYRADAR_SOURCES": str(sources),
        }
        loader = base | {"CITYRADAR_DATA_DIR": str(tmp_path / "loader")}
        yield Machines(
            s3,
            crawler,
            loader,
            tmp_path / "loader" / "cityradar.duckdb",
            sum(len(site.articles) for site in sites),
        )


def assert_every_story_once(machines: Machines) -> None:
    with duckdb.connect(str(machines.loader_db), read_only=True) as con:
        assert con.execute("select count(*), count(distinct url) from items").fetchall() == [
            (machines.stories, machines.stories)
        ]
        twice = "select count(*) from core.item_keys group by key having count(*) > 1"
        assert con.execute(twice).fetchall() == []


def test_a_crawl_machine_killed_mid_upload_leaves_nothing_a_loader_takes(machines):
    with StallingProxy(machines.s3.endpoint, put_budget=3) as proxy:
        run = start(None, "ingest", "--no-load", env=machines.via(proxy.endpoint))
        kill_when(run, proxy.stalled.is_set)
    store = machines.store()
    assert store.fs.find(f"{store.root}/batches")  # part of the batch is up there
    assert store.complete_batches() == []  # but no marker: not a batch to load
    assert "No batch was waiting." in finish(None, "load-staged", env=machines.loader)

    # the crawl machine's next run publishes the batch it left, and its own
    output = finish(None, "ingest", "--no-load", env=machines.crawler)
    assert output.count("Published batch") == 2
    assert len(store.complete_batches()) == 2
    loaded = finish(None, "load-staged", env=machines.loader)
    assert loaded.count("Loaded batch") == 2
    assert_every_story_once(machines)
    assert store.complete_batches() == []


def test_a_loader_killed_mid_merge_loads_the_batch_once_next_time(machines):
    finish(None, "ingest", "--no-load", env=machines.crawler)
    store = machines.store()
    (published,) = store.complete_batches()
    kill_while_loading(machines.loader_db, ["load-staged"], machines.loader)
    assert store.complete_batches() == [published]  # not marked: it was never loaded
    output = finish(None, "load-staged", env=machines.loader)
    assert f"Loaded batch {published}: {machines.stories} new" in output
    assert_every_story_once(machines)
    assert store.complete_batches() == []
