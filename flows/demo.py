"""`cityradar demo`: the whole pipeline offline, against the bundled sample sites on 127.0.0.1."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from digest.week import IsoWeek
from flows.pipeline import PipelineResult, pipeline
from warehouse.db import connect
from warehouse.stats import WarehouseCounts, warehouse_counts

MARKER = ".cityradar-demo"
DEMO_TIMEZONE = "Asia/Seoul"


@dataclass
class DemoResult:
    """What the demo produced and where."""

    data_dir: Path
    db_path: Path
    sources_path: Path
    run: PipelineResult
    counts: WarehouseCounts


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
    """Serve the sample sites, run ingest and the digest of the week they cover, count the result."""
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
        # loopback sample sites: no need to pace requests
        run = pipeline(
            sources_path=sources_path,
            db_path=db_path,
            data_dir=data_dir,
            week=str(week),
            out_dir=data_dir / "digests",
            crawl_delay=0.0,
        )
    with connect(db_path, read_only=True) as con:
        counts = warehouse_counts(con)
    return DemoResult(data_dir, db_path, sources_path, run, counts)
