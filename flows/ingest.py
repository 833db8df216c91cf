"""The ingest flow: registry -> one child-process crawl per source -> transforms -> one load."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NONE
from prefect.task_runners import ThreadPoolTaskRunner

from cityradar.items import CrawlReport, SourceState
from cityradar.registry import KINDS_WITH_SPIDER, Source, load_sources
from cityradar.schedule import is_due, next_attempt
from cityradar.settings import Settings
from cityradar.staging import Batch, pending_batches
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from transforms.normalize import NormalizedItem, normalize_batch
from transforms.vocabularies import gazetteer
from warehouse.db import connect
from warehouse.loader import BatchPayload, LoadResult, merge_tables
from warehouse.state import RunHistory, run_history, source_state

# A batch still without its "crawled" mark after this many crawl timeouts was left by a run
# that died; it is loaded with whatever it holds.
ABANDONED_AFTER_TIMEOUTS = 2


@dataclass(frozen=True)
class Deferral:
    """A failing source left out of this run while it backs off."""

    source_id: str
    consecutive_failures: int
    until: datetime


@dataclass(frozen=True)
class Knowledge:
    """What the warehouse knows before a crawl: run history and each source's state."""

    history: dict[str, RunHistory]
    states: dict[str, SourceState]


@dataclass
class IngestSummary:
    """What one ingest run did, for the CLI and the flow's return value."""

    db_path: str
    batch_id: str | None = None
    reports: list[CrawlReport] = field(default_factory=list)
    load: LoadResult | None = None
    recovered: list[LoadResult] = field(default_factory=list)
    deferred: list[Deferral] = field(default_factory=list)

    @property
    def failed_sources(self) -> list[CrawlReport]:
        """Sources whose crawl failed."""
        return [r for r in self.reports if r.status == "failed"]


@task(name="load-registry", cache_policy=NONE)
def load_registry(path: Path) -> list[Source]:
    """Read and validate sources.yaml (cities checked against the gazetteer)."""
    return load_sources(path, known_cities=gazetteer().cities)


@task(name="read-warehouse", cache_policy=NONE)
def read_knowledge(db_path: Path, sources: list[Source]) -> Knowledge:
    """Run history and crawl state of the sources (nothing when there is no warehouse yet)."""
    if not db_path.exists():
        return Knowledge({}, {})
    try:
        with connect(db_path, read_only=True) as con:
            return Knowledge(run_history(con), {s.id: source_state(con, s.id) for s in sources})
    except duckdb.Error as exc:  # another process writing: crawl everything in full this once
        get_run_logger().warning("warehouse not readable (%s); crawling without its state", exc)
        return Knowledge({}, {})


@task(name="crawl-source", cache_policy=NONE, task_run_name="crawl-{source.id}")
def crawl_source(
    source: Source, batch_path: Path, overrides: dict[str, object], timeout: float
) -> CrawlReport:
    """Crawl one source in a child process into the batch."""
    report = crawl_in_subprocess(source, Batch(batch_path), overrides, timeout)
    log = get_run_logger()
    if report.status in ("failed", "partial", "empty"):
        log.warning("%s: %s — %s", source.id, report.status, report.error or "no entries")
    else:
        log.info("%s: %d entries", source.id, report.items_seen)
    return report


@task(name="normalize-batch", cache_policy=NONE)
def normalize_staged(batch_path: Path) -> list[NormalizedItem]:
    """Normalise and tag every raw item of the batch."""
    batch = Batch(batch_path)
    return normalize_batch(batch.raw_items(), batch.sources())


@task(name="load-batch", cache_policy=NONE)
def load_staged(db_path: Path, batch_path: Path, items: list[NormalizedItem]) -> LoadResult:
    """Merge the batch into DuckDB (holding the file only now), then move it to loaded/."""
    batch = Batch(batch_path)
    payload = BatchPayload(
        batch_id=batch.batch_id,
        created_at=batch.meta().get("created_at"),
        sources=list(batch.sources().values()),
        raw_records=[raw.to_dict() for raw in batch.raw_items()],
        items=items,
        reports=batch.reports(),
        fetches=batch.fetch_records(),
    )
    tables = payload.tables()  # built before the file is opened: the lock is held only to merge
    with connect(db_path, lock_timeout=Settings().db_lock_timeout) as con:
        result = merge_tables(con, tables)
    batch.mark_loaded()
    get_run_logger().info(
        "batch %s: %d new, %d changed, %d unchanged%s",
        result.batch_id,
        result.items_new,
        result.items_changed,
        result.items_unchanged,
        " (already loaded)" if result.already_loaded else "",
    )
    return result


# sources crawled at once (each in its own child process); CITYRADAR_CRAWL_WORKERS
@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=Settings().crawl_workers))
def ingest(
    sources_path: Path | None = None,
    db_path: Path | None = None,
    data_dir: Path | None = None,
    only: list[str] | None = None,
    crawl_delay: float | None = None,
    force: bool = False,
) -> IngestSummary:
    """Crawl the enabled sources that are due and load what they yield.

    Args:
        sources_path: the registry (default CITYRADAR_SOURCES).
        db_path: the DuckDB file (default CITYRADAR_DB).
        data_dir: staging and data folder (default CITYRADAR_DATA_DIR).
        only: source ids to crawl instead of every enabled source (backoff does not apply).
        crawl_delay: seconds between requests to one host (default CITYRADAR_CRAWL_DELAY).
        force: crawl failing sources now, ignoring their backoff.
    """
    settings = Settings()
    staging = (data_dir or settings.data_dir) / "staging"
    db = db_path or (data_dir / "cityradar.duckdb" if data_dir else settings.db_path)
    summary = IngestSummary(db_path=str(db))
    for leftover in _abandoned(staging, settings.crawl_timeout):
        summary.recovered.append(load_staged(db, leftover.path, normalize_staged(leftover.path)))
    registry = load_registry(sources_path or settings.sources)
    candidates = _select(registry, only)
    knowledge = read_knowledge(db, candidates)
    selected, summary.deferred = _due(candidates, knowledge.history, force or bool(only))
    if not selected:
        get_run_logger().warning("no source to crawl now")
        return summary
    batch = Batch.create(staging, selected)
    for source in selected:
        batch.write_state(source.id, knowledge.states.get(source.id, SourceState()))
    overrides = crawl_overrides(
        delay=settings.crawl_delay if crawl_delay is None else crawl_delay,
        per_host=settings.crawl_concurrency_per_host,
        timeout=max(settings.crawl_timeout - 30, 30),
    )
    futures = crawl_source.map(
        selected,
        batch_path=unmapped(batch.path),
        overrides=unmapped(overrides),
        timeout=unmapped(settings.crawl_timeout),
    )
    summary.reports = list(futures.result())
    batch.mark_crawled()
    summary.batch_id = batch.batch_id
    summary.load = load_staged(db, batch.path, normalize_staged(batch.path))
    return summary


def _select(registry: list[Source], only: list[str] | None) -> list[Source]:
    """Enabled sources, or exactly those named (enabled or not) when ``only`` is given."""
    if not only:
        return [s for s in registry if s.enabled]
    known = {s.id: s for s in registry}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise ValueError(f"unknown source id(s): {', '.join(unknown)}")
    chosen = [known[name] for name in only]
    unreadable = [s.id for s in chosen if s.kind not in KINDS_WITH_SPIDER]
    if unreadable:
        raise ValueError(f"no spider reads the kind of: {', '.join(unreadable)}")
    return chosen


def _due(
    sources: list[Source], history: dict[str, RunHistory], ignore_backoff: bool
) -> tuple[list[Source], list[Deferral]]:
    """Split sources into those due now and failing ones still backing off."""
    now = datetime.now(UTC)
    due, deferred = [], []
    for source in sources:
        record = history.get(source.id)
        if (
            ignore_backoff
            or record is None
            or is_due(record.consecutive_failures, record.last_run_at, now)
        ):
            due.append(source)
        else:
            until = next_attempt(record.consecutive_failures, record.last_run_at)
            assert until is not None
            deferred.append(Deferral(source.id, record.consecutive_failures, until))
    return due, deferred


def _abandoned(staging: Path, crawl_timeout: float) -> list[Batch]:
    """Batches an earlier run crawled but never loaded (or died while crawling long ago)."""
    cutoff = datetime.now(UTC) - timedelta(seconds=crawl_timeout * ABANDONED_AFTER_TIMEOUTS)
    return [b for b in pending_batches(staging) if b.is_crawled() or b.created_before(cutoff)]
