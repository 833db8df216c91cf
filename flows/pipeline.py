"""The whole job: ingest, then the weekly digest, as one flow run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flows.engine import flow
from flows.ingest import IngestSummary, ingest
from flows.weekly_digest import DigestResult, weekly_digest


@dataclass
class PipelineResult:
    """Both halves of a run."""

    ingest: IngestSummary
    digest: DigestResult


@flow(name="pipeline")
def pipeline(
    sources_path: Path | None = None,
    db_path: Path | None = None,
    data_dir: Path | None = None,
    week: str | None = None,
    out_dir: Path | None = None,
    send: bool = False,
    to: list[str] | None = None,
    crawl_delay: float | None = None,
) -> PipelineResult:
    """Ingest every enabled source, then render (and optionally send) the digest."""
    summary = ingest(
        sources_path=sources_path, db_path=db_path, data_dir=data_dir, crawl_delay=crawl_delay
    )
    result = weekly_digest(
        week=week, db_path=Path(summary.db_path), out_dir=out_dir, send=send, to=to
    )
    return PipelineResult(summary, result)
