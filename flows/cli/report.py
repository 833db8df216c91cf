"""The summaries the commands print after a run: one row per source, one line per digest."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from flows.ingest import IngestSummary, StagedLoad
    from flows.weekly_digest import DigestResult


def print_ingest(summary: IngestSummary) -> None:
    """What an ingest or backfill did: skipped and deferred sources, a row per source, totals."""
    for busy in summary.busy:
        typer.echo(f"Skipped {busy.source_id}: another run is crawling it ({busy.held_by})")
    if summary.no_archive:
        typer.echo(f"No archive to read back in (feeds): {', '.join(summary.no_archive)}")
    for recovered in summary.recovered:
        typer.echo(
            f"Loaded batch {recovered.batch_id} left by an earlier run: {recovered.items_new} new items"
        )
    for deferral in summary.deferred:
        typer.echo(
            f"Backing off {deferral.source_id}: {deferral.consecutive_failures} failures in a row, "
            f"next try after {deferral.until:%Y-%m-%d %H:%M} UTC (--force to crawl now)"
        )
    if not summary.reports:
        typer.echo("No source was crawled.")
        return
    kind = f"Backfill since {summary.since}," if summary.since else "Ingest"
    where = summary.db_path if summary.loads else "staged for a loader (--no-load)"
    typer.echo(f"\n{kind} batch {summary.batch_id} -> {where}")
    typer.echo(f"{'source':28} {'status':8} {'entries':>7} {'pages':>5}  problem")
    for r in sorted(summary.reports, key=lambda r: (r.status == "ok", r.source_id)):
        tries = f" (tried {r.attempts} times)" if r.attempts > 1 else ""
        typer.echo(
            f"{r.source_id:28} {r.status:8} {r.items_seen:>7} {r.articles_fetched:>5}  "
            f"{r.error or ''}{tries}"
        )
    by_status: dict[str, int] = {}
    for r in summary.reports:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    load = summary.load
    loaded = (
        (
            f"; {load.items_in} items in: {load.items_new} new, {load.items_changed} changed, "
            f"{load.items_unchanged} unchanged, {load.duplicates_folded} duplicates folded"
        )
        if load
        else ""
    )
    typer.echo(f"{len(summary.reports)} sources: {inline(by_status)}{loaded}")
    for batch_id in summary.published:
        typer.echo(f"Published batch {batch_id} for the loader")
    for problem in summary.store_problems:
        typer.echo(f"warning: {problem}", err=True)
    if summary.outage is not None:  # the network, not the sources: not held against them
        typer.echo(f"warning: {summary.outage.message}", err=True)
    elif len(summary.failed_sources) == len(summary.reports):
        typer.echo(
            "warning: every source failed. Is the network reachable? "
            "(`make demo` runs the pipeline offline on sample sites.)",
            err=True,
        )


def print_staged_load(done: StagedLoad) -> None:
    """What loading the staged batches did: a line per batch, then a line per problem."""
    for result in done.loaded:
        typer.echo(
            f"Loaded batch {result.batch_id}: {result.items_new} new, {result.items_changed} "
            f"changed, {result.items_unchanged} unchanged"
            + (" (already loaded before)" if result.already_loaded else "")
        )
    if not done.loaded:
        typer.echo("No batch was waiting.")
    for problem in done.problems:
        typer.echo(f"warning: {problem}", err=True)


def print_digest(result: DigestResult) -> None:
    """Where the week's digest went, and what became of each recipient's."""
    typer.echo(f"\nDigest {result.week}: {result.stories} smart-city stories")
    typer.echo(f"  HTML: {result.html_path}\n  text: {result.text_path}\n  mail: {result.eml_path}")
    for outcome in result.retried:
        typer.echo(f"  earlier digest for {outcome.recipient}: {outcome.status}")
    for outcome in result.outcomes:
        detail = "".join(f" ({text})" for text in (outcome.error, outcome.note) if text)
        typer.echo(
            f"  {outcome.recipient}: {outcome.status}, {outcome.stories} stories{detail}\n"
            f"    {outcome.html_path}\n    {outcome.eml_path}"
        )


def inline(counts: dict[str, int]) -> str:
    """Counts on one line: "ko 3, en 2" (or "none")."""
    return ", ".join(f"{key} {value}" for key, value in counts.items()) or "none"
