"""`cityradar backfill --since DATE`: read the archives of the sources that have one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from cityradar.registry import Source
from cityradar.settings import Settings, crawl_workers
from flows.artifacts import current_run_id, publish_ingest_report
from flows.engine import flow
from flows.ingest import (
    CrawlRun,
    IngestSummary,
    crawl_and_load,
    load_registry,
    read_knowledge,
    run_places,
    select_sources,
)


def backfill_source(source: Source, settings: Settings) -> Source:
    """The source with the deeper limits of a backfill (list pages, article pages)."""
    update: dict[str, object] = {"max_articles": settings.backfill_max_articles}
    if source.pagination is not None:
        update["pagination"] = source.pagination.model_copy(
            update={"max_pages": settings.backfill_max_pages}
        )
    return source.model_copy(update=update)


def parse_since(since: date | str) -> date:
    """The backfill's first day; it must not lie in the future."""
    day = since if isinstance(since, date) else date.fromisoformat(str(since))
    if day > datetime.now(UTC).date():
        raise ValueError(f"--since {day.isoformat()} is in the future")
    return day


@flow(name="backfill", workers=crawl_workers())
def backfill(
    since: str,
    sources_path: Path | None = None,
    db_path: Path | None = None,
    data_dir: Path | None = None,
    only: list[str] | None = None,
    crawl_delay: float | None = None,
) -> IngestSummary:
    """Read every archived source (paged boards, sitemaps) back to ``since`` and load it.

    Args:
        since: the first day to read, YYYY-MM-DD (in each source's time zone).
        sources_path: the registry (default CITYRADAR_SOURCES).
        db_path: the DuckDB file (default CITYRADAR_DB).
        data_dir: staging and data folder (default CITYRADAR_DATA_DIR).
        only: source ids to backfill instead of every enabled source with an archive.
        crawl_delay: seconds between requests to one host (default CITYRADAR_CRAWL_DELAY).

    Entries already stored and unchanged are not fetched again; feeds, which keep only their
    latest entries, are listed as having no archive. Failing sources are tried regardless of
    their backoff. A source another run is crawling is skipped, as in ingest.
    """
    settings = Settings()
    first_day = parse_since(since)
    staging, db = run_places(settings, data_dir, db_path)
    summary = IngestSummary(db_path=str(db), run_id=current_run_id(), since=first_day.isoformat())
    candidates = select_sources(load_registry(sources_path or settings.sources), only)
    summary.no_archive = [s.id for s in candidates if not s.has_archive]
    archived = [backfill_source(s, settings) for s in candidates if s.has_archive]
    knowledge = read_knowledge(db, archived)
    run = CrawlRun(settings, staging, db, summary.run_id, crawl_delay, since=summary.since)
    try:
        for crawled in crawl_and_load(archived, knowledge, run):
            summary.take(crawled)
    finally:  # a failed load still shows what was crawled
        publish_ingest_report(summary)
    return summary
