"""The `cityradar` command line: thin wrappers around the flows, with readable summaries.

Commands that need no orchestration (search, sources, export, snapshot, classify, --help) import
neither the flows nor Prefect: each command imports what it uses when it runs. Exit statuses are
in flows/exits.py; where logs go, in flows/runlog.py; plain runs without Prefect, flows/engine.py.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from flows import exits

if TYPE_CHECKING:
    from flows.ingest import IngestSummary
    from flows.weekly_digest import DigestResult

app = typer.Typer(
    help="cityradar: smart-city news and policy updates, tagged by city and focus area.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="The source registry.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")

# the labelled evaluation sets live beside the code in a checkout, not in the installed package
EVAL_DIR = Path(__file__).resolve().parents[1] / "eval"
# where `cityradar demo` puts its data unless told otherwise
DEMO_DIR = Path("data/demo")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file [default: CITYRADAR_DB or data/cityradar.duckdb]"),
]
SourcesOption = Annotated[
    Path | None,
    typer.Option("--sources", help="source registry [default: CITYRADAR_SOURCES or sources.yaml]"),
]
WeekOption = Annotated[
    str | None, typer.Option("--week", help="ISO week YYYY-Www [default: the last complete week]")
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="folder for the digest files [default: digests/ beside the --db]"),
]
SendOption = Annotated[bool, typer.Option("--send", help="deliver by SMTP (CITYRADAR_SMTP_*)")]
ToOption = Annotated[
    list[str] | None,
    typer.Option("--to", help="recipient (repeatable), instead of the recipients file"),
]
PreviewOption = Annotated[
    bool, typer.Option("--preview", help="write the digests without sending; print the paths")
]
ResendOption = Annotated[
    bool, typer.Option("--resend", help="send again to recipients the week already went to")
]
RecipientsOption = Annotated[
    Path | None,
    typer.Option(
        "--recipients", help="recipients file [default: CITYRADAR_RECIPIENTS or recipients.yaml]"
    ),
]


# set by main(): this process is the `cityradar` command itself (not a test calling the app)
_COMMAND_LINE = False
_VERBOSE = False
# the run's log file, once an orchestrating command started one
_RUN_LOG: Path | None = None


def main() -> None:
    """Entry point of the `cityradar` command."""
    global _COMMAND_LINE
    _COMMAND_LINE = True
    _quiet_prefect()
    args = _take_verbose(sys.argv[1:])
    try:
        app(args=args)
    except Exception as exc:  # wherever a command first reads the settings, or a bug
        known = exits.expected(exc)
        if known is None:
            _unexpected(exc)
        typer.echo(f"error: {known[1]}", err=True)
        sys.exit(known[0])


@app.callback()
def _options(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            help="show every log line and traceback on the terminal (they are always in "
            "DATA_DIR/logs/); may also follow the command",
        ),
    ] = False,
) -> None:
    global _VERBOSE
    _VERBOSE = _VERBOSE or verbose


def _take_verbose(args: list[str]) -> list[str]:
    """``--verbose`` anywhere before ``--`` counts (``cityradar ingest --verbose`` too)."""
    global _VERBOSE
    end = args.index("--") if "--" in args else len(args)
    if "--verbose" not in args[:end]:
        return args
    _VERBOSE = True
    return [arg for n, arg in enumerate(args) if n >= end or arg != "--verbose"]


def _unexpected(exc: BaseException) -> None:
    """A failure nobody expected (a bug): one line, the traceback in the run's log."""
    if _RUN_LOG is None:
        raise exc  # no log file to keep the traceback: Python prints it
    logging.getLogger("cityradar.cli").error("unexpected failure", exc_info=exc)
    detail = "shown above" if _VERBOSE else f"in {_RUN_LOG}"
    typer.echo(
        f"error: unexpected {type(exc).__name__}: {exc} (a bug in cityradar; the traceback is "
        f"{detail}: please report it)",
        err=True,
    )
    sys.exit(exits.FAILED)


def _orchestrate(command: str) -> None:
    """Before a command that runs flows: plain runs unless a Prefect server is configured, and
    the run's log file (both only in the `cityradar` process itself, never in a test's)."""
    global _RUN_LOG
    if not _COMMAND_LINE:
        return
    from flows import engine
    from flows.runlog import start_run_log

    engine.use_plain_runs()  # before any flow module is imported: see flows/engine.py
    from cityradar.settings import Settings

    data_dir = _guarded(lambda: Settings().data_dir)
    _RUN_LOG = start_run_log(data_dir, command, _VERBOSE)
    logging.getLogger("cityradar.cli").info(
        "cityradar %s (%s runs)",
        " ".join(sys.argv[1:]),
        "plain" if engine.plain_runs() else "Prefect",
    )


def _warm_crawls() -> None:
    """Start the warm crawl server first thing: it imports Scrapy on one core while this process
    checks the configuration and imports the flows on the other (spiders/forkserver.py). Should
    the command stop early, the server ends by itself once it sees this process gone."""
    if not _COMMAND_LINE:  # a test calling the app: its crawls start the server when they need it
        return
    from spiders.process import start_warm_server

    start_warm_server()


@contextmanager
def progress_bars() -> Iterator[Any]:
    """The flows' progress as bars on a terminal (imported when a command shows them)."""
    from flows.bars import progress_bars as bars

    with bars() as sink:
        yield sink


@app.command()
def ingest(
    db: DbOption = None,
    sources: SourcesOption = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="crawl only this source id")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="crawl failing sources now, ignoring their backoff")
    ] = False,
) -> None:
    """Crawl the enabled sources that are due and load them into the warehouse.

    Exit status 3 when every source it was due to crawl failed (or is backing off), or when
    the batch could not be loaded; 0 when anything came in (failures are listed).
    """
    _warm_crawls()
    _orchestrate("ingest")
    _guarded(lambda: _check_config(registry=True, sources=sources, warehouse=db))
    from flows.ingest import ingest as ingest_flow

    with progress_bars():
        summary = _guarded(
            lambda: ingest_flow(sources_path=sources, db_path=db, only=source or None, force=force),
            loading=True,
        )
    _print_ingest(summary)
    _exit_with(exits.ingest_status(summary))


@app.command()
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
    _warm_crawls()
    _orchestrate("backfill")
    _guarded(lambda: _check_config(registry=True, sources=sources, warehouse=db))
    from flows.backfill import backfill as backfill_flow
    from flows.backfill import parse_since

    _guarded(lambda: parse_since(since))
    with progress_bars():
        summary = _guarded(
            lambda: backfill_flow(
                since=since, sources_path=sources, db_path=db, only=source or None
            ),
            loading=True,
        )
    _print_ingest(summary)
    _exit_with(exits.ingest_status(summary))


@app.command()
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

    _guarded(lambda: _check_config(registry=True))
    try:
        _guarded(lambda: serve_project(port=port, say=typer.echo))
    except LocalServerError as exc:
        _fail(str(exc))


@app.command()
def digest(
    db: DbOption = None,
    week: WeekOption = None,
    out: OutOption = None,
    send: SendOption = False,
    to: ToOption = None,
    preview: PreviewOption = False,
    resend: ResendOption = False,
    recipients: RecipientsOption = None,
) -> None:
    """Make the weekly digest of every story and each recipient's (and send them with --send).

    Each is written as .html, .txt and .eml to digests/<week>/ beside the warehouse (or under
    --out) and recorded in the warehouse; a preview goes to digests/<week>/preview/ and never
    replaces what was sent. A week already sent to a recipient is not sent again unless --resend.
    """
    _orchestrate("digest")
    from flows.weekly_digest import weekly_digest

    if preview and send:
        raise typer.BadParameter("--preview writes without sending; drop one of --preview, --send")
    _guarded(lambda: _check_config(digest=True, recipients=recipients, to=to, send=send))
    result = _guarded(
        lambda: weekly_digest(
            week=week,
            db_path=db,
            out_dir=out,
            send=send,
            to=to or None,
            resend=resend,
            recipients_path=recipients,
        )
    )
    _print_digest(result)


@app.command()
def run(
    db: DbOption = None,
    sources: SourcesOption = None,
    week: WeekOption = None,
    out: OutOption = None,
    send: SendOption = False,
    to: ToOption = None,
) -> None:
    """Ingest, then write the weekly digest (still written when nothing came in: exit status 3)."""
    _warm_crawls()
    _orchestrate("run")
    _guarded(
        lambda: _check_config(
            registry=True, sources=sources, digest=True, to=to, send=send, warehouse=db
        )
    )
    from flows.pipeline import pipeline

    with progress_bars():
        result = _guarded(
            lambda: pipeline(
                sources_path=sources, db_path=db, week=week, out_dir=out, send=send, to=to or None
            ),
            loading=True,
        )
    _print_ingest(result.ingest)
    _print_digest(result.digest)
    _exit_with(exits.ingest_status(result.ingest))


@app.command()
def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="folder for the demo's data")
    ] = DEMO_DIR,
) -> None:
    """Run the whole pipeline offline on bundled sample sites served on 127.0.0.1."""
    _orchestrate("demo")  # its log beside the others: the demo folder must start empty
    from flows.demo import run_demo

    typer.echo(
        "Serving the sample sites on 127.0.0.1: two ingest runs, then the digest (about a minute)…"
    )
    with progress_bars():
        result = _guarded(lambda: run_demo(data_dir), loading=True)
    typer.echo("\nFirst run: every sample site is new.")
    _print_ingest(result.first)
    typer.echo(
        "\nSecond run: a ministry corrected one release since; only what changed is fetched."
    )
    _print_ingest(result.second)
    counts = result.counts
    typer.echo(
        f"\nWarehouse: {counts.items} stories ({counts.smart_city_items} about smart cities); "
        f"languages {_inline(counts.by_language)}"
    )
    typer.echo(f"Focus areas: {_inline(counts.by_focus_area)}")
    typer.echo(f"Cities: {_inline(counts.by_city)}")
    typer.echo(
        f"History: {counts.changed_items} "
        f"{'story' if counts.changed_items == 1 else 'stories'} changed between the runs "
        "(item_versions); "
        f"{counts.attachments} attached documents, {counts.attachments_read} read "
        "(item_attachments)"
    )
    _print_digest(result.digest)
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


@app.command()
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
        raise typer.Exit(1)


@app.command()
def reclassify(db: DbOption = None) -> None:
    """Re-tag every stored item from its stored text (after a taxonomy change), in one transaction."""
    _orchestrate("reclassify")
    from cityradar.settings import Settings
    from flows.reclassify import reclassify as run_reclassify

    path = db or Settings().db_path
    with progress_bars():
        result = _guarded(lambda: run_reclassify(path))
    typer.echo(
        f"re-tagged {result.items} items in {result.seconds:.1f} s "
        f"({result.items_per_second:.0f} items/s); smart-city items {result.smart_before} -> {result.smart_after}"
    )


@app.command()
def train(
    labelled: Annotated[
        Path | None,
        typer.Option("--labelled", help="real labelled news (default ../shared/labelled)"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Fit the learned tagging heads on the labelled news, the grown items and the analysts'
    corrections in the warehouse; write them to transforms/data/learned (then re-run eval)."""
    from training.labelled import DEFAULT_FOLDER
    from training.retrain import retrain

    folder = labelled or DEFAULT_FOLDER
    if not folder.is_dir():
        _fail(f"no labelled news at {folder}: training needs it (the committed heads stay)", 2)
    result = _guarded(lambda: retrain(folder, db=_warehouse_if_any(db)))
    rows = ", ".join(f"{key} {count}" for key, count in result.rows.items())
    typer.echo(f"trained on {rows}")
    dev = result.dev
    typer.echo(
        f"dev (heads fitted on train): relevance accuracy {dev['relevance_accuracy']:.3f}, "
        f"focus F1 {dev['focus_f1']:.3f}; the full encoder decides "
        f"{dev['full_share']:.0%} of stories (quick probability in "
        f"{dev['band_low']:.2f}-{dev['band_high']:.2f})"
    )
    typer.echo(
        f"heads written to {result.folder}; `cityradar reclassify` applies them to the warehouse"
    )


@app.command()
def grow(
    labels: Annotated[Path, typer.Argument(help="JSON Lines of newly labelled items")],
    texts: Annotated[
        Path, typer.Argument(help="JSON Lines with their id, source_url, title, summary")
    ],
) -> None:
    """Add labelled items found on real pages: keep their labels and embeddings, not their text."""
    from training.grown import add_grown

    added = _guarded(lambda: add_grown(labels, texts))
    typer.echo(f"added {added} items to training/data (their text stays where it is)")


def _warehouse_if_any(db: Path | None) -> Path | None:
    """The warehouse whose corrections feed training, when one exists."""
    from cityradar.settings import Settings

    path = db or Settings().db_path
    return path if path.exists() else None


@app.command()
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

    path, timeout = _existing_db(db)
    change = LabelChange(
        corrected_by=by or _user(),
        is_smart_city=_yes_no(smart),
        focus_areas=_listed(focus),
        cities=_listed(cities),
        note=note,
    )
    try:
        done = _guarded(lambda: record_correction(path, item, change, lock_timeout=timeout))
    except CorrectionRejected as exc:
        _fail(str(exc), code=2)
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
        _fail(f"--smart takes yes or no, not {value!r}", code=2)
    return verdicts[value.strip().lower()]


def _listed(values: list[str] | None) -> list[str] | None:
    """Repeated and comma-separated option values as one list; `none` for an empty one."""
    if values is None:
        return None
    items = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return [] if [item.lower() for item in items] == ["none"] else items


def _shown(value: object) -> str:
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


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="words to find, Korean or English")],
    db: DbOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="how many stories to show")] = 20,
) -> None:
    """Full-text search over titles, summaries and bodies, best match first."""
    from transforms.search import query_terms
    from warehouse.tools import search_stories

    path, timeout = _existing_db(db)
    terms = query_terms(query)
    if not terms:
        _fail("nothing to search for")
    found = _guarded(lambda: search_stories(path, terms, limit, lock_timeout=timeout))
    typer.echo(_search_heading(found.total, len(found.hits), " + ".join(terms), path))
    for hit in found.hits:
        where = ", ".join(hit["cities"]) or "-"
        typer.echo(f"{hit['score']:7.2f}  {hit['week'] or '':8}  {hit['title']}  [{where}]")
        typer.echo(f"         {hit['url']}")


def _search_heading(total: int, shown: int, terms: str, path: Path) -> str:
    """How many stories matched in all, and how many are shown."""
    if not total:
        return f"No story in {path} contains {terms}{_demo_hint(path)}"
    if shown < total:
        return (
            f"{shown} of {total} stories containing {terms} (best first; --limit {total} shows all)"
        )
    return f"{total} stories contain {terms} (best first)"


def _demo_hint(path: Path) -> str:
    """A pointer to the demo's warehouse when it exists and another one was read."""
    demo_db = DEMO_DIR / "cityradar.duckdb"
    if demo_db.exists() and demo_db.resolve() != path.resolve():
        return f" (the demo's warehouse is {demo_db}: add --db {demo_db})"
    return ""


@app.command()
def export(
    parquet: Annotated[Path, typer.Option("--parquet", help="folder to write Parquet files into")],
    db: DbOption = None,
) -> None:
    """Write the analyst views as Parquet for other tools (items partitioned by ISO week)."""
    from warehouse.tools import export_parquet

    path, timeout = _existing_db(db)
    done = _guarded(lambda: export_parquet(path, parquet, lock_timeout=timeout))
    typer.echo(
        f"wrote {done.items} stories over {done.weeks} weeks to {done.folder}/ "
        f"({len(done.files)} Parquet files: items/week=YYYY-Www/, one file per other view)"
    )


@app.command()
def snapshot(
    db: DbOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="the copy's path")] = None,
    compat: Annotated[
        bool, typer.Option("--compat", help="write DuckDB 1.4's file format, for older clients")
    ] = False,
) -> None:
    """A consistent copy of the warehouse to keep open while scheduled loads go on."""
    from warehouse.tools import snapshot as take_snapshot

    path, timeout = _existing_db(db)
    copy = _guarded(lambda: take_snapshot(path, out, lock_timeout=timeout, compat=compat))
    typer.echo(f"snapshot: {copy}")
    typer.echo(f"open it with: duckdb -readonly {copy}")


def _existing_db(db: Path | None) -> tuple[Path, float]:
    """The warehouse an analyst command reads, and how long to wait for its lock."""
    from cityradar.settings import Settings

    settings = Settings()
    path = db or settings.db_path
    if not path.exists():
        _fail(f"no warehouse at {path}: run `cityradar ingest` first{_demo_hint(path)}")
    return path, settings.db_lock_timeout


@app.command("eval")
def evaluate_tags(
    eval_sets: Annotated[
        list[Path] | None,
        typer.Option(
            "--set", help="a labelled set (repeatable); default: the gate's sets in eval/"
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline", help="figures a change may not lower; default for the gate's sets"
        ),
    ] = None,
    mistakes: Annotated[
        bool, typer.Option("--mistakes", help="list every item the tagger got wrong")
    ] = False,
    realdata: Annotated[
        Path | None,
        typer.Option(
            "--realdata",
            help="score labelled real text from this folder (../shared/realdata); reports only",
        ),
    ] = None,
    report_only: Annotated[
        bool, typer.Option("--report-only", help="print the figures; do not fail on targets")
    ] = False,
    write_baseline: Annotated[
        bool, typer.Option("--write-baseline", help="store the current figures as the baseline")
    ] = False,
    labelled: Annotated[
        Path | None,
        typer.Option(
            "--labelled",
            help="score real labelled news from this folder (../shared/labelled); reports only",
        ),
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="with --labelled: train, dev or test (never tuned on)")
    ] = "test",
) -> None:
    """Score tagging and clustering on labelled sets: P/R/F1 per label and language."""
    from training.eval_sets import GATE_SETS, load_sets
    from transforms.evaluation import evaluate, format_report

    if labelled is not None:
        _report_labelled(labelled, split, mistakes)
        return
    if realdata is not None:
        _report_real_text(realdata, mistakes)
        return
    gate = not eval_sets
    paths = [EVAL_DIR / name for name in GATE_SETS] if gate else eval_sets or []
    if baseline is None and gate:
        baseline = EVAL_DIR / "baseline.json"  # a baseline belongs to the sets it was taken on
    report = evaluate(_guarded(lambda: load_sets(paths)))
    typer.echo(f"sets: {', '.join(str(p) for p in paths)}")
    typer.echo(format_report(report, show_mistakes=mistakes))
    if write_baseline:
        target = baseline or EVAL_DIR / "baseline.json"
        target.write_text(json.dumps(report.metrics(), indent=1, sort_keys=True) + "\n", "utf-8")
        typer.echo(f"\nbaseline written to {target}")
        return
    _judge(report.metrics(), baseline, report_only)


# labelled real text, read from ../shared/realdata: (labels, what the set is for)
REAL_TEXT_SETS = (
    ("realdata_labels.yaml", "development: scored once, then tuned on"),
    ("realdata_holdout.yaml", "held out: never tuned on"),
)


def _report_labelled(folder: Path, split: str, mistakes: bool) -> None:
    """Print the tagger's figures on one split of the real labelled news, against the targets."""
    from training.evaluate import evaluate_split, target_lines
    from transforms.evaluation import format_report

    report = _guarded(lambda: evaluate_split(split, folder))
    typer.echo(f"== real labelled news, {split} split, from {folder}")
    typer.echo(format_report(report, show_mistakes=mistakes))
    typer.echo("")
    typer.echo("\n".join(target_lines(report)))


def _report_real_text(realdata: Path, mistakes: bool) -> None:
    """Print the figures on each labelled set of real text; real text informs, it does not gate."""
    from training.eval_sets import load_realdata_set
    from transforms.evaluation import check_against, evaluate, format_report

    for name, purpose in REAL_TEXT_SETS:
        labels = EVAL_DIR / name
        report = evaluate(_guarded(lambda labels=labels: load_realdata_set(labels, realdata)))
        typer.echo(f"\n== {name} ({purpose}), text from {realdata}")
        typer.echo(format_report(report, show_mistakes=mistakes))
        for problem in check_against(report.metrics(), {}):
            typer.echo(f"NOTE {problem}")


def _judge(metrics: dict[str, float], baseline: Path | None, report_only: bool) -> None:
    """Fail (exit 1) when a figure misses its target or fell below the baseline."""
    from transforms.evaluation import check_against

    stored = json.loads(baseline.read_text(encoding="utf-8")) if baseline else {}
    problems = check_against(metrics, stored)
    for problem in problems:
        typer.echo(f"{'NOTE' if report_only else 'FAIL'} {problem}", err=True)
    if problems and not report_only:
        raise typer.Exit(1)
    if not problems:
        against = f" and are within 0.02 of {baseline}" if baseline else ""
        typer.echo(f"\nall figures meet the targets{against}")


@sources_app.command("list")
def sources_list(sources: SourcesOption = None) -> None:
    """Validate the registry and list its sources."""
    from cityradar.registry import load_sources
    from cityradar.settings import Settings
    from transforms.vocabularies import place_names

    path = sources or Settings().sources
    entries = _guarded(lambda: load_sources(path, known_cities=place_names()))
    enabled = sum(s.enabled for s in entries)
    typer.echo(f"{path}: {len(entries)} sources, {enabled} enabled\n")
    typer.echo(f"{'id':28} {'kind':7} {'org':8} {'lang':4} {'city':9} {'on':3} url")
    for s in entries:
        typer.echo(
            f"{s.id:28} {s.kind:7} {s.org_type:8} {s.language:4} {s.city or '-':9} "
            f"{'yes' if s.enabled else 'no':3} {s.url}"
        )


@sources_app.command("add")
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
    cities = gazetteer().cities
    registry = _guarded(lambda: load_sources(path, known_cities=cities))
    try:
        found = discover(url, http_fetch())
    except httpx.HTTPError as exc:
        _fail(f"could not reach {url}: {exc}")
    for candidate in found.candidates:
        typer.echo(f"found {candidate.kind}: {candidate.url} ({candidate.entries} entries)")
    for note in found.notes:
        typer.echo(f"note: {note}")
    entry = _guarded(lambda: propose_entry(found, {s.id for s in registry}, cities))
    block = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False)
    typer.echo(f"\nProposed entry:\n{block}")
    if not yes:
        typer.echo(
            f"Check country, org_type and timezone, then run again with --yes to append it to {path}."
        )
        return
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n{block}")
    _guarded(lambda: load_sources(path, known_cities=cities))  # the registry still validates
    typer.echo(f"Appended {entry['id']} to {path}.")


@sources_app.command("check")
def sources_check(db: DbOption = None) -> None:
    """Print each source's health from the warehouse (latest crawl and history)."""
    from warehouse.db import connect
    from warehouse.stats import health_table

    path, timeout = _existing_db(db)
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


def _quiet_prefect() -> None:
    """Embedded Prefect: no telemetry calls to the internet, only warnings on the terminal."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _check_config(
    registry: bool = False,
    sources: Path | None = None,
    digest: bool = False,
    recipients: Path | None = None,
    to: list[str] | None = None,
    send: bool = False,
    warehouse: Path | None = None,
) -> None:
    """Validate settings, the registry, the recipients and the warehouse's place before a flow
    starts (``warehouse``: the --db of a command that loads; None for the setting's).

    A configuration mistake then costs no crawl and prints one line naming the field, instead
    of a flow-run traceback.
    """
    from cityradar.settings import Settings

    settings = Settings()
    if registry:  # as flows.ingest.read_registry does, without importing the flows yet
        from cityradar.registry import load_sources
        from transforms.vocabularies import place_names

        load_sources(sources or settings.sources, known_cities=place_names())
        where = warehouse or settings.db_path
        problem = _unusable_folder(where)
        if problem:
            raise exits.ConfigError(
                f"the warehouse {where} cannot be made: {problem}; "
                "give --db (or CITYRADAR_DB) a path in a folder you can write"
            )
    if digest:
        from flows.weekly_digest import choose_recipients

        choose_recipients(settings, to or None, recipients, send)


def _unusable_folder(path: Path) -> str | None:
    """Why the folder of ``path`` cannot be written or made, or None when it can."""
    probe = path.absolute().parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is a file, not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable"
    return None


def _guarded(action: Any, loading: bool = False) -> Any:
    """Run an action; turn expected failures into one clear line and their exit status
    (flows/exits.py; ``loading``: the action loads a batch). The detail goes to the run's log.
    """
    try:
        return action()
    except typer.Exit:
        raise
    except Exception as exc:
        known = exits.expected(exc, loading=loading)
        if known is None:
            raise
        logging.getLogger("cityradar.cli").info("stopped: %s", exc, exc_info=exc)
        _fail(known[1], code=known[0])


def _fail(message: str, code: int = exits.FAILED) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _exit_with(status: int) -> None:
    """End the command with ``status`` (nothing to do for OK)."""
    if status != exits.OK:
        raise typer.Exit(status)


def _print_ingest(summary: IngestSummary) -> None:
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
    typer.echo(f"\n{kind} batch {summary.batch_id} -> {summary.db_path}")
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
    typer.echo(f"{len(summary.reports)} sources: {_inline(by_status)}{loaded}")
    if summary.outage is not None:  # the network, not the sources: not held against them
        typer.echo(f"warning: {summary.outage.message}", err=True)
    elif len(summary.failed_sources) == len(summary.reports):
        typer.echo(
            "warning: every source failed. Is the network reachable? "
            "(`make demo` runs the pipeline offline on sample sites.)",
            err=True,
        )


def _print_digest(result: DigestResult) -> None:
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


def _inline(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items()) or "none"


def _close(*handles: TextIO) -> None:
    for handle in handles:
        if handle not in (sys.stdin, sys.stdout):
            handle.close()
