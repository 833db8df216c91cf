"""The source registry's commands: sources list | add | test | check."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows import exits
from flows.cli.checks import existing_db
from flows.cli.errors import CommandError
from flows.cli.options import DbOption, SourcesOption

if TYPE_CHECKING:
    from cityradar.registry import Source
    from spiders.preview import Preview


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
    """Find a site's feeds and sitemaps (else read the page as a board, its selectors found) and
    propose a complete registry entry."""
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
    try:
        entry = propose_entry(found, {s.id for s in registry}, places)
    except ValueError as exc:  # nothing on the page to read
        raise CommandError(str(exc)) from exc
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


def sources_test(
    source_id: Annotated[str, typer.Argument(help="the source's id in the registry")],
    page: Annotated[
        Path | None,
        typer.Option("--page", help="a saved listing page (feed, sitemap or board) to read"),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="fetch this page instead of the source's URL")
    ] = None,
    sources: SourcesOption = None,
) -> None:
    """Print the entries a source would take from its listing page (or a saved one), and which
    selectors read them: given in the registry, or found on the page."""
    from cityradar.registry import load_sources
    from cityradar.settings import Settings
    from spiders.preview import preview_listing

    path = sources or Settings().sources
    registry = {s.id: s for s in load_sources(path)}
    source = registry.get(source_id)
    if source is None:
        close = ", ".join(difflib.get_close_matches(source_id, registry, n=3)) or "none"
        raise CommandError(f"no source {source_id!r} in {path} (close: {close})", exits.CONFIG)
    if page is not None and url is not None:
        raise CommandError("give --page or --url, not both", exits.CONFIG)
    if page is not None:
        if not page.is_file():
            raise CommandError(f"no such file: {page}", exits.CONFIG)
        body, content_type, where = page.read_bytes(), None, source.url
        typer.echo(f"{source.id} ({source.kind}), read from {page} as if it were {where}")
    else:
        where = url or source.url
        body, content_type, where = _fetch_listing(source, where)
        typer.echo(f"{source.id} ({source.kind}), fetched from {where}")
    preview = preview_listing(source, body, content_type, where)
    _print_preview(preview)
    if not preview.rows:
        raise CommandError(f"{source.id}: no entries ({preview.problem or 'the page lists none'})")


def _fetch_listing(source: Source, url: str) -> tuple[bytes, str | None, str]:
    """The listing page as the source's crawl would ask for it (its headers and User-Agent)."""
    import httpx

    from cityradar import USER_AGENT
    from cityradar.secrets import MissingSecret, expand
    from spiders.errors import describe_status

    try:
        headers = {name: expand(value) for name, value in source.headers.items()}
        url = expand(url)
    except MissingSecret as exc:
        raise CommandError(str(exc), exits.CONFIG) from exc
    headers["User-Agent"] = source.user_agent or USER_AGENT
    try:
        response = httpx.get(url, headers=headers, timeout=30, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise CommandError(f"could not fetch {url}: {exc}") from exc
    if response.status_code >= 400:
        raise CommandError(describe_status(response.status_code, str(response.url)))
    return response.content, response.headers.get("content-type"), str(response.url)


def _print_preview(preview: Preview) -> None:
    if preview.selectors:
        typer.echo(f"{preview.how}:")
        for name, value in preview.selectors.items():
            typer.echo(f"  {name}: {value!r}")
    else:
        typer.echo(f"read as a {preview.how}")
    if preview.problem:
        typer.echo(f"problem: {preview.problem}")
    typer.echo(f"{len(preview.rows)} entries:")
    for row in preview.rows:
        # the time as the site means it: its own zone, with the offset
        shown = f"{row.published[:16]} {row.published[19:]}" if row.published else "no date"
        shown = shown.replace("T", " ")
        raw = f"  (written {row.date_raw!r})" if row.date_raw else ""
        typer.echo(f"  {shown:23}  {row.title or '(no title)'}{raw}\n  {'':23}  {row.url}")


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
