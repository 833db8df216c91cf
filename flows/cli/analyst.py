"""The analyst's commands: classify, reclassify, label, search, export, snapshot."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer

from flows import exits
from flows.cli.checks import demo_hint, existing_db
from flows.cli.errors import CommandError
from flows.cli.options import DbOption
from flows.cli.session import orchestrate, progress_bars


def classify(
    input: Annotated[Path, typer.Argument(help="JSON Lines file, or - for stdin")] = Path("-"),
    output: Annotated[
        Path, typer.Option("--output", "-o", help="JSON Lines out, or - for stdout")
    ] = Path("-"),
) -> None:
    """Tag JSON Lines (id; title, summary and/or body; language) with cities, focus areas and reasons.

    A record needs an id and some text: one without a title is tagged from its summary or body.
    Unreadable lines (not JSON, not an object, no id, no text) are named on stderr, and the
    command then exits 1.
    """
    from transforms.classify import classify_record

    source = sys.stdin if str(input) == "-" else input.open(encoding="utf-8")
    sink = sys.stdout if str(output) == "-" else output.open("w", encoding="utf-8")
    bad = 0
    try:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                result = classify_record(record)
            except (ValueError, TypeError) as exc:
                bad += 1
                typer.echo(f"line {number}: skipped: {exc}", err=True)
                continue
            sink.write(json.dumps(result, ensure_ascii=False) + "\n")
    finally:
        _close(source, sink)
    if bad:
        raise typer.Exit(exits.FAILED)


def _close(*handles: TextIO) -> None:
    """Close the files a command opened (never the terminal's streams)."""
    for handle in handles:
        if handle not in (sys.stdin, sys.stdout):
            handle.close()


def reclassify(db: DbOption = None) -> None:
    """Re-tag every stored item from its stored text (after a taxonomy change), in one transaction."""
    orchestrate("reclassify")
    from cityradar.settings import Settings
    from flows.reclassify import reclassify as run_reclassify

    path = db or Settings().db_path
    with progress_bars():
        result = run_reclassify(path)
    typer.echo(
        f"re-tagged {result.items} items in {result.seconds:.1f} s "
        f"({result.items_per_second:.0f} items/s); smart-city items {result.smart_before} -> {result.smart_after}"
    )


def label(
    item: Annotated[str, typer.Argument(help="the story's items.item_id, or its URL")],
    smart: Annotated[
        str | None, typer.Option("--smart", help="yes | no: is it smart-city news?")
    ] = None,
    focus: Annotated[
        list[str] | None,
        typer.Option(
            "--focus", help="every focus area of the story, comma-separated (none for no area)"
        ),
    ] = None,
    cities: Annotated[
        list[str] | None,
        typer.Option(
            "--cities", help="every city of the story, canonical names (none for no city)"
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="why: what the tagger got wrong")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="who corrects [default: $USER]")] = None,
    db: DbOption = None,
) -> None:
    """Correct a story's tags; what you leave out stays as the tagger says.

    The correction goes to the tag_corrections table and shows in every view (items, item_cities,
    item_focus_areas, weekly_counts, search, the digest) through reloads and reclassify.
    """
    from warehouse.corrections import CorrectionRejected, LabelChange, record_correction

    path, timeout = existing_db(db)
    change = LabelChange(
        corrected_by=by or _user(),
        is_smart_city=_yes_no(smart),
        focus_areas=_listed(focus),
        cities=_listed(cities),
        note=note,
    )
    try:
        done = record_correction(path, item, change, lock_timeout=timeout)
    except CorrectionRejected as exc:  # the command line named a story or a value it cannot take
        raise CommandError(str(exc), exits.CONFIG) from exc
    typer.echo(
        f'corrected {done.item_id} "{done.title}" '
        f"(correction {done.corrections} of this story, #{done.correction_id})"
    )
    for name, now, tagger in (
        ("is_smart_city", done.is_smart_city, done.tagger_is_smart_city),
        ("focus_areas", done.focus_areas, done.tagger_focus_areas),
        ("cities", done.cities, done.tagger_cities),
    ):
        typer.echo(f"  {name + ':':15} {_shown(now):30} (tagger: {_shown(tagger)})")


def _yes_no(value: str | None) -> bool | None:
    """--smart yes|no as a verdict (None when not given)."""
    if value is None:
        return None
    verdicts = {"yes": True, "no": False}
    if value.strip().lower() not in verdicts:
        raise CommandError(f"--smart takes yes or no, not {value!r}", exits.CONFIG)
    return verdicts[value.strip().lower()]


def _listed(values: list[str] | None) -> list[str] | None:
    """Repeated and comma-separated option values as one list; `none` for an empty one."""
    if values is None:
        return None
    items = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return [] if [item.lower() for item in items] == ["none"] else items


def _shown(value: object) -> str:
    """A tag's value as the command prints it: yes | no, or the names, or none."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return ", ".join(value) or "none"  # type: ignore[arg-type]


def _user() -> str:
    """Who runs the command, as the system knows them."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "analyst"


def search(
    query: Annotated[str, typer.Argument(help="words to find, Korean or English")],
    db: DbOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="how many stories to show")] = 20,
) -> None:
    """Full-text search over titles, summaries and bodies, best match first."""
    from transforms.search import query_terms
    from warehouse.tools import search_stories

    path, timeout = existing_db(db)
    terms = query_terms(query)
    if not terms:
        raise CommandError("nothing to search for")
    found = search_stories(path, terms, limit, lock_timeout=timeout)
    typer.echo(_search_heading(found.total, len(found.hits), " + ".join(terms), path))
    for hit in found.hits:
        where = ", ".join(hit["cities"]) or "-"
        typer.echo(f"{hit['score']:7.2f}  {hit['week'] or '':8}  {hit['title']}  [{where}]")
        typer.echo(f"         {hit['url']}")


def _search_heading(total: int, shown: int, terms: str, path: Path) -> str:
    """How many stories matched in all, and how many are shown."""
    if not total:
        return f"No story in {path} contains {terms}{demo_hint(path)}"
    if shown < total:
        return (
            f"{shown} of {total} stories containing {terms} (best first; --limit {total} shows all)"
        )
    return f"{total} stories contain {terms} (best first)"


def export(
    parquet: Annotated[Path, typer.Option("--parquet", help="folder to write Parquet files into")],
    db: DbOption = None,
) -> None:
    """Write the analyst views as Parquet for other tools (items partitioned by ISO week)."""
    from warehouse.tools import export_parquet

    path, timeout = existing_db(db)
    done = export_parquet(path, parquet, lock_timeout=timeout)
    typer.echo(
        f"wrote {done.items} stories over {done.weeks} weeks to {done.folder}/ "
        f"({len(done.files)} Parquet files: items/week=YYYY-Www/, one file per other view)"
    )


def snapshot(
    db: DbOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="the copy's path")] = None,
    compat: Annotated[
        bool, typer.Option("--compat", help="write DuckDB 1.4's file format, for older clients")
    ] = False,
) -> None:
    """A consistent copy of the warehouse to keep open while scheduled loads go on."""
    from warehouse.tools import snapshot as take_snapshot

    path, timeout = existing_db(db)
    copy = take_snapshot(path, out, lock_timeout=timeout, compat=compat)
    typer.echo(f"snapshot: {copy}")
    typer.echo(f"open it with: duckdb -readonly {copy}")
