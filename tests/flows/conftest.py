"""One real ingest run, shared by the flow tests: sample sites and two broken sources on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cityradar.demo.server import Canned, SiteServer
from cityradar.demo.sites import Site, bundled_sites
from digest.week import IsoWeek
from tests.helpers.ingest import broken_entries, ingest_entries
from tests.helpers.paths import FIXTURES
from tests.helpers.prefect_server import PrefectServer, prefect_server_in, sample_sites_in


@dataclass
class Ingested:
    """What the shared ingest run produced."""

    summary: object
    db_path: Path
    data_dir: Path
    sources_path: Path
    sites: list[Site]
    week: IsoWeek
    requested: list[str]


@pytest.fixture(scope="session")
def ingested(prefect_harness, tmp_path_factory) -> Ingested:
    now = datetime.now(UTC)
    sites = bundled_sites(now)
    data_dir = tmp_path_factory.mktemp("data")
    canned = {
        "/gone/rss.xml": Canned(404, b"<html><body>Not Found</body></html>"),
        "/html/rss.xml": Canned(200, (FIXTURES / "feeds/html_error.html").read_bytes()),
    }
    with SiteServer(sites, canned) as server:
        entries = [site.source_entry(server.base_url) for site in sites] + broken_entries(
            server.base_url
        )
        summary, sources_path = ingest_entries(entries, data_dir)
        requested = server.paths_requested()
    return Ingested(
        summary,
        data_dir / "w.duckdb",
        data_dir,
        sources_path,
        sites,
        IsoWeek.last_complete(now, "Asia/Seoul"),
        requested,
    )


# a real Prefect server, and two loopback sites, for each module that deploys and runs workers
# (module scope: one server per module, so the suite's workers can run two such modules at once)
@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory) -> Iterator[PrefectServer]:
    with prefect_server_in(tmp_path_factory.mktemp("prefect-home")) as server:
        yield server


@pytest.fixture(scope="module")
def sample_sites(tmp_path_factory) -> Iterator[tuple[Path, list]]:
    with sample_sites_in(tmp_path_factory.mktemp("sites")) as sites:
        yield sites
