"""The source registry's commands: sources list | add | check."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.checks import existing_db
from flows.cli.errors import CommandError
from flows.cli.options import DbOption, SourcesOption


def sources_list(sources: SourcesOption = None) -> None:
    """Validate the registry and list its sources."""
    from cityradar.registry import load_sources
    from cityradar.settings import Settings
    from transforms.vocabularies import place_names

    path = sources or Settings().sources
    entries = load_sources(path, known_cities=place_names())
    enabled = sum(s.enabled for s in entries)
    typer.echo(f"{path}: {len(entries)} sources, {enabled} enabled\n")
    typer.echo(f"{'id':28} {'kind':7} {'org':8} {'lang':4} {'city':9} {'on':3} url")
    for s in entries:
        typer.echo(
            f"{s.id:28} {s.kind:7} {s.org_type:8} {s.language:4} {s.city or '-':9} "
            f"{'yes' if s.enabled else 'no':3} {s.url}"
        )


def sources_add(
    url: Annotated[str, typer.Argument(help="a site's home page, a news page, or a feed URL")],
    sources: SourcesOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="append the proposed entry to the registry")
    ] = False,
) -> None:
    """Find a site's feeds and sitemaps and propose a complete registry entry."""
    import httpx
    import yaml

    from cityradar.registry import load_sources
    from cityradar.settings import Settings
    from spiders.discovery import discover, http_fetch, propose_entry
    from transforms.vocabularies import gazetteer

    path = sources or Settings().sources
    places = gazetteer().places
    registry = load_sources(path, known_cities=places)
    try:
        found = discover(url, http_fetch())
    except httpx.HTTPError as exc:
        raise CommandError(f"could not reach {url}: {exc}") from exc
    for candidate in found.candidates:
        typer.echo(f"found {candidate.kind}: {candidate.url} ({candidate.entries} entries)")
    for note in found.notes:
        typer.echo(f"note: {note}")
    entry = propose_entry(found, {s.id for s in registry}, places)
    block = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False)
    typer.echo(f"\nProposed entry:\n{block}")
    if not yes:
        typer.echo(
            f"Check country, org_type and timezone, then run again with --yes to append it to {path}."
        )
        return
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n{block}")
    load_sources(path, known_cities=places)  # the registry still validates
    typer.echo(f"Appended {entry['id']} to {path}.")


def sources_check(db: DbOption = None) -> None:
    """Print each source's health from the warehouse (latest crawl and history)."""
    from warehouse.db import connect
    from warehouse.stats import health_table

    path, timeout = existing_db(db)
    with connect(path, read_only=True, lock_timeout=timeout) as con:
        rows = health_table(con)
    typer.echo(
        f"{'source':28} {'health':9} {'last run (UTC)':17} {'seen':>5} {'new':>4} {'fails':>5}  problem"
    )
    for row in rows:
        when = row["last_run_at"].strftime("%Y-%m-%d %H:%M") if row["last_run_at"] else "-"
        typer.echo(
            f"{row['source_id']:28} {row['health']:9} {when:17} {row['last_items_seen'] or 0:>5} "
            f"{row['last_items_new'] or 0:>4} {row['consecutive_failures']:>5}  {row['problem'] or ''}"
        )
