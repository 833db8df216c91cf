"""`cityradar demo`: the whole pipeline offline, against the bundled sample sites on 127.0.0.1.

Two ingest runs, with a release corrected between them (so the warehouse holds a second
version of it), then the digest of the week the sample sites are dated in. Before the sample
server stops, each story's page and attached documents are saved in the demo folder, and the
digest links to those copies: the loopback port is gone once the demo ends.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from cityradar.demo.saved import INDEX, save_copies
from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from digest.saved_pages import saved_pages_file, write_saved_pages
from digest.week import IsoWeek
from flows.ingest import IngestSummary, ingest
from flows.weekly_digest import DigestResult, weekly_digest
from warehouse.db import connect
from warehouse.pages import story_pages
from warehouse.stats import WarehouseCounts, warehouse_counts

MARKER = ".cityradar-demo"
DEMO_TIMEZONE = "Asia/Seoul"
SAVED_FOLDER = "site"  # the saved sample pages, in the demo folder


@dataclass
class DemoResult:
    """What the demo produced and where."""

    data_dir: Path
    db_path: Path
    sources_path: Path
    first: IngestSummary  # the first crawl of the sample sites
    second: IngestSummary  # the crawl after a release was corrected
    digest: DigestResult
    counts: WarehouseCounts
    saved_index: Path  # the page listing the saved sample pages


def prepare_folder(data_dir: Path) -> None:
    """Start from an empty demo folder; never delete a folder the demo did not create."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise FileExistsError(
                f"{data_dir} exists and is not a cityradar demo folder; choose another"
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text(
        "created by `cityradar demo`; safe to delete\n", encoding="utf-8"
    )


def run_demo(data_dir: Path) -> DemoResult:
    """Serve the sample sites, ingest them twice, save their pages, write the week's digest."""
    prepare_folder(data_dir)
    db_path = data_dir / "cityradar.duckdb"
    sources_path = data_dir / "sources.yaml"
    now = datetime.now(UTC)
    week = IsoWeek.last_complete(now, DEMO_TIMEZONE)  # the week the sample sites are dated in
    with SiteServer(bundled_sites(now)) as server:
        entries = [site.source_entry(server.base_url) for site in server.sites]
        sources_path.write_text(
            yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        first = _ingest(sources_path, db_path, data_dir)
        server.sites = bundled_sites(now, revised=True)  # the ministry corrects a release
        second = _ingest(sources_path, db_path, data_dir)
        with connect(db_path, read_only=True) as con:
            pages = story_pages(con)
        copies = save_copies(server, pages, data_dir / SAVED_FOLDER)
    write_saved_pages(saved_pages_file(db_path), copies)
    digest = weekly_digest(week=str(week), db_path=db_path)  # a preview, beside the warehouse
    with connect(db_path, read_only=True) as con:
        counts = warehouse_counts(con)
    return DemoResult(
        data_dir,
        db_path,
        sources_path,
        first,
        second,
        digest,
        counts,
        data_dir / SAVED_FOLDER / INDEX,
    )


def _ingest(sources_path: Path, db_path: Path, data_dir: Path) -> IngestSummary:
    """One ingest run of the sample sites (loopback: no need to pace requests)."""
    return ingest(sources_path=sources_path, db_path=db_path, data_dir=data_dir, crawl_delay=0.0)
