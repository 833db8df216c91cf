"""Commands that crawl and load: ingest, backfill, run (ingest then digest), demo, serve."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from flows import exits
from flows.cli.checks import check_config
from flows.cli.errors import CommandError
from flows.cli.options import (
    DEMO_DIR,
    DbOption,
    OutOption,
    SendOption,
    SourcesOption,
    ToOption,
    WeekOption,
)
from flows.cli.report import inline, print_digest, print_ingest, print_staged_load
from flows.cli.session import orchestrate, progress_bars, warm_crawls


def ingest(
    db: DbOption = None,
    sources: SourcesOption = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="crawl only this source id")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="crawl failing sources now, ignoring their backoff")
    ] = False,
    no_load: Annotated[
        bool,
        typer.Option(
            "--no-load",
            help="crawl only, for a loader elsewhere: the batch goes to CITYRADAR_STAGING_URL "
            "(or stays in the staging folder)",
        ),
    ] = False,
) -> None:
    """Crawl the enabled sources that are due and load them into the warehouse.

    Exit status 3 when every source it was due to crawl failed (or is backing off), or when
    the batch could not be loaded; 0 when anything came in (failures are listed).
    """
    warm_crawls()
    orchestrate("ingest")
    check_config(registry=True, sources=sources, warehouse=db)
    from flows.ingest import ingest as ingest_flow

    with progress_bars():
        summary = ingest_flow(
            sources_path=sources, db_path=db, only=source or None, force=force, load=not no_load
        )
    print_ingest(summary)
    _exit_with(exits.ingest_status(summary))


def load_staged_command(db: DbOption = None) -> None:
    """Load every batch crawled elsewhere (`ingest --no-load` on a crawl machine): those in the
    staging folder, and those on CITYRADAR_STAGING_URL.

    Exit status 1 when the shared store could not be read or marked (each problem is listed;
    what was loaded stays loaded, and the next run takes the rest).
    """
    orchestrate("load-staged")
    check_config(warehouse=db)
    from flows.ingest import load_staged_batches

    done = load_staged_batches(db_path=db)
    print_staged_load(done)
    _exit_with(exits.FAILED if done.problems else exits.OK)


def backfill(
    since: Annotated[
        str,
        typer.Option("--since", help="first day to read back to, YYYY-MM-DD", show_default=False),
    ],
    db: DbOption = None,
    sources: SourcesOption = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="backfill only this source id")
    ] = None,
) -> None:
    """Read the archives (paged boards, sitemaps) back to --since and load them.

    Known, unchanged entries are not fetched again; feeds have no archive and are listed.
    """
    warm_crawls()
    orchestrate("backfill")
    check_config(registry=True, sources=sources, warehouse=db)
    from flows.backfill import backfill as backfill_flow
    from flows.backfill import parse_since

    parse_since(since)  # a date it cannot use stops it before any crawl
    with progress_bars():
        summary = backfill_flow(since=since, sources_path=sources, db_path=db, only=source or None)
    print_ingest(summary)
    _exit_with(exits.ingest_status(summary))


def serve(
    port: Annotated[
        int,
        typer.Option("--port", help="port of the local Prefect server and UI (another if taken)"),
    ] = 4200,
) -> None:
    """Run the schedules of prefect.yaml on this machine: ingest every 6 h, the digest Mondays.

    Flow runs start as child processes of this command and show in the Prefect UI. Without
    PREFECT_API_URL a local Prefect server (with its scheduler) is started on 127.0.0.1, its
    database under the data folder, and stopped with serve. Stop with Ctrl-C or SIGTERM.
    """
    from flows.local_server import LocalServerError
    from flows.serve import serve_project

    check_config(registry=True)
    try:
        serve_project(port=port, say=typer.echo)
    except LocalServerError as exc:
        raise CommandError(str(exc)) from exc


def run(
    db: DbOption = None,
    sources: SourcesOption = None,
    week: WeekOption = None,
    out: OutOption = None,
    send: SendOption = False,
    to: ToOption = None,
) -> None:
    """Ingest, then write the weekly digest (still written when nothing came in: exit status 3)."""
    warm_crawls()
    orchestrate("run")
    check_config(registry=True, sources=sources, digest=True, to=to, send=send, warehouse=db)
    from flows.pipeline import pipeline

    with progress_bars():
        result = pipeline(
            sources_path=sources, db_path=db, week=week, out_dir=out, send=send, to=to or None
        )
    print_ingest(result.ingest)
    print_digest(result.digest)
    _exit_with(exits.ingest_status(result.ingest))


def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="folder for the demo's data")
    ] = DEMO_DIR,
) -> None:
    """Run the whole pipeline offline on bundled sample sites served on 127.0.0.1."""
    orchestrate("demo")  # its log beside the others: the demo folder must start empty
    from flows.demo import run_demo

    typer.echo(
        "Serving the sample sites on 127.0.0.1: two ingest runs, then the digest (about a minute)…"
    )
    with progress_bars():
        result = run_demo(data_dir)
    typer.echo("\nFirst run: every sample site is new.")
    print_ingest(result.first)
    typer.echo(
        "\nSecond run: a ministry corrected one release since; only what changed is fetched."
    )
    print_ingest(result.second)
    counts = result.counts
    typer.echo(
        f"\nWarehouse: {counts.items} stories ({counts.smart_city_items} about smart cities); "
        f"languages {inline(counts.by_language)}"
    )
    typer.echo(f"Focus areas: {inline(counts.by_focus_area)}")
    typer.echo(f"Cities: {inline(counts.by_city)}")
    typer.echo(
        f"History: {counts.changed_items} "
        f"{'story' if counts.changed_items == 1 else 'stories'} changed between the runs "
        "(item_versions); "
        f"{counts.attachments} attached documents, {counts.attachments_read} read "
        "(item_attachments)"
    )
    print_digest(result.digest)
    typer.echo(f"\nDuckDB file: {result.db_path}\nSources used: {result.sources_path}")
    typer.echo(f"Saved sample pages, where the digest links lead: {result.saved_index}")
    _print_demo_steps(result.db_path, result.digest.week, result.data_dir)
    _exit_with(exits.ingest_status(result.first))


def _print_demo_steps(db_path: Path, week: str, data_dir: Path) -> None:
    """Commands to explore the demo's warehouse, runnable as printed from this folder."""
    import shlex

    cityradar, db = _installed("cityradar"), shlex.quote(str(db_path))
    query = "select title, cities, focus_areas from items"
    steps = [
        f"{cityradar} search 스마트시티 --db {db}",
        f"{cityradar} sources check --db {db}",
        f"{cityradar} digest --preview --week {week} --db {db}",
        f"{cityradar} export --parquet {shlex.quote(str(data_dir / 'parquet'))} --db {db}",
        f'{_installed("python")} -c "import duckdb; duckdb.connect('
        f"'{db_path}', read_only=True).sql('{query}').show()\"",
    ]
    typer.echo("\nNext steps, on the demo's warehouse:")
    typer.echo("\n".join(f"  {step}" for step in steps))


def _installed(name: str) -> str:
    """How to run one of this environment's programs from here: its bare name when the shell
    finds this very one, else its path (relative to this folder when inside it)."""
    import shutil

    program = Path(sys.executable).with_name(name)
    found = shutil.which(name)
    if found and Path(found).resolve() == program.resolve():
        return name
    try:
        return str(program.relative_to(Path.cwd()))
    except ValueError:
        return str(program)


def _exit_with(status: int) -> None:
    """End the command with ``status`` (nothing to do for OK)."""
    if status != exits.OK:
        raise typer.Exit(status)
