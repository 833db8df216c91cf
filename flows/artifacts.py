"""What a run shows in the Prefect UI: a table per ingest run, a note per digest run.

The rows and the markdown are built by pure functions (tested without Prefect); ``publish_*``
only hands them to Prefect, and does nothing outside a Prefect flow run (a plain run of the
command line imports no Prefect at all: see flows/engine.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flows import engine

if TYPE_CHECKING:
    from flows.ingest import IngestSummary, StagedLoad
    from flows.weekly_digest import DigestResult

INGEST_KEY = "ingest-report"
BACKFILL_KEY = "backfill-report"
DIGEST_KEY = "weekly-digest"
LOAD_STAGED_KEY = "load-staged-report"


def ingest_rows(summary: IngestSummary) -> list[dict[str, Any]]:
    """One row per source the run dealt with: crawled, backing off, or busy elsewhere."""
    new = summary.load.new_by_source if summary.load else {}
    rows = [
        {
            "source": report.source_id,
            "status": report.status,
            "items": report.items_seen,
            "new items": new.get(report.source_id, 0),
            "duration (s)": _seconds(report.started_at, report.finished_at),
            "tries": report.attempts,
            "problem": report.error or "",
        }
        for report in summary.reports
    ]
    rows += [
        _not_crawled(
            d.source_id,
            "backing off",
            f"{d.consecutive_failures} failures in a row; "
            f"next try after {d.until:%Y-%m-%d %H:%M} UTC",
        )
        for d in summary.deferred
    ]
    rows += [
        _not_crawled(b.source_id, "busy", f"another run is crawling it ({b.held_by})")
        for b in summary.busy
    ]
    rows += [
        _not_crawled(s, "no archive", "a backfill cannot go back in a feed")
        for s in summary.no_archive
    ]
    return rows


def ingest_description(summary: IngestSummary) -> str:
    """The line above the table: what the run loaded, or why it loaded nothing."""
    kind = f"Backfill since {summary.since}" if summary.since else "Ingest"
    failed = sum(1 for r in summary.reports if r.status == "failed")
    crawled = f"{kind}: {len(summary.reports)} sources crawled, {failed} failed"
    if summary.outage is not None:
        crawled += f" ({summary.outage.message})"
    if summary.load is None and summary.batch_id in summary.published:
        line = f"{crawled}; batch {summary.batch_id} published to the shared store for the loader"
    elif summary.load is None and not summary.loads:
        line = f"{crawled}; batch {summary.batch_id or 'none'} staged for a loader"
    elif summary.load is None:
        line = f"{crawled}; nothing loaded (batch {summary.batch_id or 'none'} stays staged)"
    else:
        load = summary.load
        line = (
            f"{crawled}; batch {load.batch_id}: {load.items_new} new, {load.items_changed} "
            f"changed, {load.items_unchanged} unchanged items"
        )
    return line + _store_problems(summary.store_problems)


def staged_load_markdown(done: StagedLoad) -> str:
    """A `load-staged` run in a few lines: each batch loaded, and what went wrong with the
    shared store (CITYRADAR_STAGING_URL), which the run's Completed state does not say."""
    lines = ["# Staged batches loaded", ""]
    lines += [
        f"- {r.batch_id}: "
        + ("already loaded before" if r.already_loaded else f"{r.items_new} new")
        for r in done.loaded
    ] or ["- none was waiting"]
    if done.problems:
        lines += ["", f"## Problems with the shared store ({len(done.problems)})", ""]
        lines += [f"- {problem}" for problem in done.problems]
    return "\n".join(lines) + "\n"


def _store_problems(problems: list[str]) -> str:
    """The shared store's problems, appended to a run's line (the first said in full)."""
    if not problems:
        return ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"; PROBLEM with the shared store: {problems[0]}{more}"


def digest_markdown(result: DigestResult) -> str:
    """The digest run in a few lines: the week, the stories, where each digest went."""
    lines = [
        f"# Weekly digest {result.week}",
        "",
        f"**{result.subject}**",
        "",
        f"- Stories: {result.stories}",
        f"- Mail server: {result.mail_server or 'none (preview: nothing sent)'}",
        f"- Archive: `{result.html_path}`, `{result.eml_path}`",
        "",
    ]
    if result.retried:
        lines += ["## Earlier weeks delivered now", ""]
        lines += [f"- {o.recipient}: {o.status}" for o in result.retried]
        lines.append("")
    lines += [
        "## Recipients",
        "",
        "| recipient | status | stories | tries | detail |",
        "|---|---|---|---|---|",
    ]
    for outcome in result.outcomes:
        detail = outcome.error or outcome.message_id or outcome.eml_path
        lines.append(
            f"| {_cell(outcome.recipient)} | {outcome.status} | {outcome.stories} | "
            f"{outcome.attempts} | {_cell(detail or '')} |"
        )
    if not result.outcomes:
        lines.append("| (nobody) | | | | |")
    return "\n".join(lines) + "\n"


def current_run_id() -> str | None:
    """The Prefect flow run this code runs in, if any."""
    return engine.current_run_id()


def publish_ingest_report(summary: IngestSummary) -> None:
    """The per-source table of an ingest or backfill run, when running in a flow run."""
    if current_run_id() is None:
        return
    from prefect.artifacts import create_table_artifact

    create_table_artifact(
        table=ingest_rows(summary),
        key=BACKFILL_KEY if summary.since else INGEST_KEY,
        description=ingest_description(summary),
    )


def publish_staged_load_report(done: StagedLoad) -> None:
    """The `load-staged` run's markdown note, when running in a flow run."""
    if current_run_id() is None:
        return
    from prefect.artifacts import create_markdown_artifact

    problems = _store_problems(done.problems)
    create_markdown_artifact(
        markdown=staged_load_markdown(done),
        key=LOAD_STAGED_KEY,
        description=f"{len(done.loaded)} staged batches loaded{problems}",
    )


def publish_digest_report(result: DigestResult) -> None:
    """The digest run's markdown note, when running in a flow run."""
    if current_run_id() is None:
        return
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(
        markdown=digest_markdown(result),
        key=DIGEST_KEY,
        description=f"Weekly digest {result.week}: {result.stories} stories",
    )


def _not_crawled(source_id: str, status: str, problem: str) -> dict[str, Any]:
    return {
        "source": source_id,
        "status": status,
        "items": 0,
        "new items": 0,
        "duration (s)": 0.0,
        "tries": 0,
        "problem": problem,
    }


def _seconds(started: str, finished: str) -> float:
    try:
        elapsed = datetime.fromisoformat(finished) - datetime.fromisoformat(started)
    except ValueError:
        return 0.0
    return round(elapsed.total_seconds(), 1)


def _cell(text: str) -> str:
    # a recipient's address or an SMTP error must not break the markdown table
    return text.replace("|", "\\|").replace("\n", " ")
