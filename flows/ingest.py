"""The ingest flow: registry -> one child-process crawl per source -> transforms -> one load."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from cityradar.items import CrawlReport, SourceState, utc_now_iso
from cityradar.leases import LeaseError, LeaseKeeper, LeaseTaken, keeping, store_leases
from cityradar.locks import LockTaken, held, is_held, lock_path
from cityradar.memory import return_freed_memory
from cityradar.outage import NetworkOutage, network_outage
from cityradar.progress import progress
from cityradar.registry import KINDS_WITH_SPIDER, Source, load_sources
from cityradar.schedule import is_due, next_attempt
from cityradar.settings import Settings, crawl_workers
from cityradar.shared_staging import (
    SharedStaging,
    SharedStagingError,
    StagingUrlError,
    open_shared_staging,
    warehouse_identity,
)
from cityradar.staging import Batch, pending_batches
from flows.artifacts import current_run_id, publish_ingest_report, publish_staged_load_report
from flows.as_crawled import TransformAsCrawled
from flows.engine import (
    NONE,
    attempt,
    flow,
    get_run_logger,
    is_done,
    quote,
    task,
    tries_left,
    unmapped,
)
from flows.slots import load_slot
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from transforms.normalize import normalize_chunks, release_models
from transforms.vocabularies import place_names
from warehouse.columnar import BatchTables, ItemTables, batch_tables, item_tables
from warehouse.db import WarehouseLocked, connect
from warehouse.loader import LoadResult, merge_tables
from warehouse.state import RunHistory, run_history, source_state

if TYPE_CHECKING:
    from prefect.futures import PrefectFuture

# A batch still without its "crawled" mark after this many crawl timeouts was left by a run
# that died; it is loaded with whatever it holds.
ABANDONED_AFTER_TIMEOUTS = 2

T = TypeVar("T")


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


@dataclass(frozen=True)
class Busy:
    """A source left out because another run is crawling it now."""

    source_id: str
    held_by: str


@dataclass
class IngestSummary:
    """What one ingest (or backfill) run did, for the CLI, the artifact and the return value."""

    db_path: str
    run_id: str | None = None
    batch_id: str | None = None
    reports: list[CrawlReport] = field(default_factory=list)
    load: LoadResult | None = None
    recovered: list[LoadResult] = field(default_factory=list)
    deferred: list[Deferral] = field(default_factory=list)
    busy: list[Busy] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)  # crawl, transform, load
    since: str | None = None  # a backfill's start date
    no_archive: list[str] = field(default_factory=list)  # sources a backfill cannot go back in
    outage: NetworkOutage | None = None  # every source failed to connect: not their fault
    published: list[str] = field(default_factory=list)  # batches sent to CITYRADAR_STAGING_URL
    staging_problems: list[str] = field(default_factory=list)  # the shared store's failures
    lease_problems: list[str] = field(default_factory=list)  # its leases' (CrawlRun.shared)
    loads: bool = True  # False: a crawl-only run (ingest --no-load), the batch is for a loader

    @property
    def store_problems(self) -> list[str]:
        """Every line saying what went wrong with the shared store (CITYRADAR_STAGING_URL)."""
        return [*self.lease_problems, *self.staging_problems]

    @property
    def failed_sources(self) -> list[CrawlReport]:
        """Sources whose crawl failed."""
        return [r for r in self.reports if r.status == "failed"]

    def take(self, crawled: Crawled) -> None:
        """Take in what ``crawl_and_load`` measured so far."""
        self.busy = crawled.busy
        self.lease_problems = crawled.lease_problems
        self.batch_id = crawled.batch_id
        self.reports = crawled.reports
        self.outage = crawled.outage
        self.load = crawled.load
        self.stage_seconds = crawled.stage_seconds


@dataclass(frozen=True)
class CrawlRun:
    """How one run (an ingest or a backfill) crawls and loads."""

    settings: Settings
    staging: Path
    db: Path
    run_id: str | None = None
    crawl_delay: float | None = None  # seconds between requests to one host; None: the setting
    since: str | None = None  # a backfill's first day
    load: bool = True  # False: the batch stays staged for a `load-staged` run
    shared: SharedStaging | None = None  # CITYRADAR_STAGING_URL: sources are leased there too


@dataclass(frozen=True)
class Crawled:
    """What ``crawl_and_load`` measured, as far as it got."""

    busy: list[Busy] = field(default_factory=list)  # sources another run is crawling
    batch_id: str | None = None
    reports: list[CrawlReport] = field(default_factory=list)
    outage: NetworkOutage | None = None
    load: LoadResult | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)  # crawl, transform, load
    lease_problems: list[str] = field(default_factory=list)  # the shared store's leases


def read_registry(path: Path) -> list[Source]:
    """Read and validate sources.yaml (cities checked against the gazetteer's names)."""
    return load_sources(path, known_cities=place_names())


@task(name="load-registry", cache_policy=NONE)
def load_registry(path: Path) -> list[Source]:
    """The registry, as a step of the run."""
    return read_registry(path)


@task(name="read-warehouse", cache_policy=NONE)
def read_knowledge(db_path: Path, sources: list[Source]) -> Knowledge:
    """Run history and crawl state of the sources (nothing when there is no warehouse yet)."""
    if not db_path.exists():
        return Knowledge({}, {})
    try:
        with connect(db_path, read_only=True) as con:
            return Knowledge(run_history(con), {s.id: source_state(con, s.id) for s in sources})
    except (duckdb.Error, WarehouseLocked) as exc:  # a load is writing: crawl in full this once
        get_run_logger().warning("warehouse not readable (%s); crawling without its state", exc)
        return Knowledge({}, {})


class CrawlMayPass(RuntimeError):
    """A crawl failed with nothing for a reason that may pass; Prefect tries it again."""


def _retry_when_it_may_pass(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except CrawlMayPass:
        return True
    except Exception:  # a bug in our code: another try would fail the same way
        return False
    return False


# retries and their delay are set per run from the settings (_crawl)
@task(
    name="crawl-source",
    cache_policy=NONE,
    task_run_name="crawl-{source.id}",
    retry_condition_fn=_retry_when_it_may_pass,
)
def crawl_source(
    source: Source,
    batch_path: Path,
    overrides: dict[str, object],
    timeout: float,
    since: str | None = None,
) -> CrawlReport:
    """Crawl one source in a child process into the batch (a backfill when ``since``).

    Raises:
        CrawlMayPass: the crawl got nothing and failed in a way that may pass (timeout, 5xx,
            refused connection, crashed process) and a try is left; it is tried again after
            CITYRADAR_CRAWL_RETRY_DELAY seconds, up to CITYRADAR_CRAWL_RETRIES times.
    """
    batch = Batch(batch_path)
    this_try = attempt()
    if this_try > 1:
        batch.forget_crawl(source.id)  # the failed try left a report and a fetch log, no items
    report = crawl_in_subprocess(source, batch, overrides, timeout, since)
    report.attempts = this_try
    batch.write_report(report)
    log = get_run_logger()
    if report.status in ("failed", "partial", "empty"):
        log.warning("%s: %s — %s", source.id, report.status, report.error or "no entries")
    else:
        log.info("%s: %d entries", source.id, report.items_seen)
    # the last try returns its report: a source that failed is data, not a task's traceback
    if report.retryable and tries_left() > 0:
        raise CrawlMayPass(f"{source.id}: {report.error}")
    progress().advance("crawl", note=source.id)
    return report


@task(name="normalize-batch", cache_policy=NONE)
def normalize_staged(batch_path: Path, items: ItemTables | None = None) -> BatchTables:
    """The loader's tables of the batch: its items normalised, tagged and turned into columns
    (``items``, when they were transformed while crawling), with its raw records, reports and
    fetch log.

    Items become columns a chunk at a time, so the batch is never all Python objects at once.
    """
    batch = Batch(batch_path)
    if items is None:
        items = item_tables(normalize_chunks(batch.raw_items(), batch.sources()))
    release_models()  # the load need not carry the analysers' models
    return_freed_memory()
    tables = batch_tables(
        batch_id=batch.batch_id,
        created_at=batch.meta().get("created_at"),
        sources=list(batch.sources().values()),
        raw_records=(raw.to_dict() for raw in batch.raw_items()),  # streamed from disk
        items=items,
        reports=batch.reports(),
        fetches=batch.fetch_records(),
    )
    return_freed_memory()  # what building the tables let go of
    return tables


@task(name="load-batch", cache_policy=NONE)
def load_staged(db_path: Path, batch_path: Path, tables: BatchTables) -> LoadResult:
    """Merge the batch into DuckDB (holding the file only now), then move it to loaded/.

    Only one run loads at a time: the warehouse's load slot (a Prefect global concurrency
    limit) is held for the merge, and DuckDB's own file lock backs it up.
    """
    batch = Batch(batch_path)
    progress().start("load", f"Loading {tables.row_count} items", None)
    settings = Settings()
    lock_timeout = settings.db_lock_timeout
    with (
        load_slot(db_path, lock_timeout),
        connect(
            db_path,
            lock_timeout=lock_timeout,
            memory_limit=settings.db_memory_limit,
            timezone=settings.timezone,  # the views' weeks follow CITYRADAR_TIMEZONE
        ) as con,
    ):
        result = merge_tables(con, tables)
    batch.mark_loaded()
    progress().finish("load")
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
@flow(name="ingest", workers=crawl_workers())
def ingest(
    sources_path: Path | None = None,
    db_path: Path | None = None,
    data_dir: Path | None = None,
    only: list[str] | None = None,
    crawl_delay: float | None = None,
    force: bool = False,
    load: bool = True,
) -> IngestSummary:
    """Crawl the enabled sources that are due and load what they yield.

    Args:
        sources_path: the registry (default CITYRADAR_SOURCES).
        db_path: the DuckDB file (default CITYRADAR_DB).
        data_dir: staging and data folder (default CITYRADAR_DATA_DIR).
        only: source ids to crawl instead of every enabled source (backoff does not apply).
        crawl_delay: seconds between requests to one host (default CITYRADAR_CRAWL_DELAY).
        force: crawl failing sources now, ignoring their backoff.
        load: load the batch (and leftovers) into DuckDB; False leaves it staged for a
            `load-staged` run on the warehouse's machine.
    """
    settings = Settings()
    staging, db = run_places(settings, data_dir, db_path)
    shared = open_shared_staging(settings.staging_url, staging)
    summary = IngestSummary(db_path=str(db), run_id=current_run_id(), loads=load)
    if load:
        leftovers = load_leftovers(staging, db, settings, shared)
        summary.recovered, summary.staging_problems = leftovers.loaded, leftovers.problems
    registry = load_registry(sources_path or settings.sources)
    candidates = select_sources(registry, only)
    knowledge = read_knowledge(db, candidates)
    selected, summary.deferred = _due(candidates, knowledge.history, force or bool(only))
    run = CrawlRun(settings, staging, db, summary.run_id, crawl_delay, load=load, shared=shared)
    try:
        for crawled in crawl_and_load(selected, knowledge, run):
            summary.take(crawled)
        if not load and shared is not None:  # a crawl worker: the loader is elsewhere
            summary.published, summary.staging_problems = publish_leftovers(staging, shared.url)
    finally:  # a failed load still shows what was crawled
        publish_ingest_report(summary)
    return summary


@dataclass
class StagedLoad:
    """What loading the staged batches did: each batch loaded, and what went wrong with the
    shared store (CITYRADAR_STAGING_URL), one line each."""

    loaded: list[LoadResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@flow(name="load-staged")
def load_staged_batches(data_dir: Path | None = None, db_path: Path | None = None) -> StagedLoad:
    """Load every batch crawled (by any worker, on this disk or on CITYRADAR_STAGING_URL) into
    DuckDB: the warehouse machine's flow."""
    settings = Settings()
    staging, db = run_places(settings, data_dir, db_path)
    shared = open_shared_staging(settings.staging_url, staging)
    done = load_leftovers(staging, db, settings, shared)
    publish_staged_load_report(done)
    return done


def load_leftovers(
    staging: Path, db: Path, settings: Settings, shared: SharedStaging | None
) -> StagedLoad:
    """Load the batches earlier runs or other workers crawled but did not load: those in the
    staging folder, and those published to the shared store (fetched first, marked loaded
    once the warehouse holds them; the store's batches loaded long ago are then pruned).

    Each batch is taken under its own lock: a second run on this machine (a scheduled ingest
    beside `load-staged`) leaves it to the first instead of fetching or loading it too.
    """
    done = StagedLoad()
    published: list[str] = []
    with ExitStack() as store:  # holds the store's loader lease while its batches are loaded
        keeper = None
        if shared is not None:
            takes_store, keeper = _take_store(store, shared, db, settings, done.problems)
            if takes_store:
                published, problems = list_published(shared.url)
                done.problems += problems
        _load_batches(staging, db, settings, shared, published, done)
        for line in keeper.lost if keeper else []:
            _note_problem(done.problems, f"{line}; that loader may load the same batches")
    if shared is not None:
        for problem in shared.prune(settings.staging_keep_days)[1]:
            _note_problem(done.problems, problem)
    return done


def _load_batches(
    staging: Path,
    db: Path,
    settings: Settings,
    shared: SharedStaging | None,
    published: list[str],
    done: StagedLoad,
) -> None:
    """Load the batches left on this disk and those ``published`` on the shared store, each
    under its own lock, into ``done``."""
    local = {b.batch_id: b.path for b in _abandoned(staging, settings.crawl_timeout)}
    for batch_id in sorted(set(local) | set(published)):
        with ExitStack() as stack:
            if not _take_batch(stack, staging, batch_id):
                continue  # another process on this machine has it
            path = local.get(batch_id)
            if path is None or not path.exists():
                if shared is None or batch_id not in published:
                    continue  # loaded meanwhile by the process that held it
                try:
                    path = fetch_batch(staging, shared.url, batch_id)
                except SharedStagingError as exc:
                    _note_problem(done.problems, str(exc))
                    continue
            done.loaded.append(load_staged(db, path, quote(normalize_staged(path))))
            if shared is not None and batch_id in published:
                try:
                    shared.mark_loaded(batch_id)
                except SharedStagingError as exc:  # taken again next time: nothing twice
                    _note_problem(done.problems, str(exc))


LOADER_LEASE = "loader"


def _take_store(
    stack: ExitStack, shared: SharedStaging, db: Path, settings: Settings, problems: list[str]
) -> tuple[bool, LeaseKeeper | None]:
    """Whether this run takes the store's batches, and the keeper renewing its loader lease
    (None when it holds none).

    One warehouse takes a store's batches: the first to load claims the store
    (``SharedStaging.claim_for``); a loader of another warehouse is refused, and says so (a
    problem: two warehouses would split the batches). Among the runs loading into the claiming
    warehouse (a scheduled ingest beside `load-staged`), the loader lease picks one at a time;
    the others load their own disk's batches. A store that cannot hold leases is a problem
    line; its batches are loaded anyway."""
    try:
        shared.claim_for(warehouse_identity(db))
    except SharedStagingError as exc:
        _note_problem(problems, str(exc))
        return False, None
    try:
        keeper = stack.enter_context(keeping(store_leases(shared, settings.staging_lease_seconds)))
        keeper.take(LOADER_LEASE, current_run_id())
    except LeaseTaken as taken:
        get_run_logger().info(
            "the batches on %s are being loaded by another run (%s); this run loads only the "
            "batches on this disk",
            shared.url,
            taken.who,
        )
        return False, None
    except LeaseError as exc:
        _note_problem(problems, f"{exc}; loaded without the loader's lease")
        return True, None
    return True, keeper


# the tasks take the store's URL, not the store: Prefect walks a task's arguments
@task(name="list-published", cache_policy=NONE)
def list_published(staging_url: str) -> tuple[list[str], list[str]]:
    """The store's crawled batches not yet loaded, and the line saying why when the store
    could not be listed (the run then loads what is on this disk)."""
    try:
        return _store(staging_url).complete_batches(), []
    except SharedStagingError as exc:
        problems: list[str] = []
        _note_problem(problems, str(exc))
        return [], problems


@task(name="fetch-batch", cache_policy=NONE)
def fetch_batch(staging: Path, staging_url: str, batch_id: str) -> Path:
    """Download a published batch into the staging folder; its path.

    Raises:
        SharedStagingError: it could not be downloaded (the next run tries again).
    """
    return _store(staging_url).fetch(batch_id, staging).path


@task(name="publish-batches", cache_policy=NONE)
def publish_leftovers(staging: Path, staging_url: str) -> tuple[list[str], list[str]]:
    """Publish this machine's crawled batches (this run's, and any an earlier run crawled but
    could not publish, or left half-crawled when it died) to the shared store: the ids
    published, and one line per failure (the batch stays here; the next run publishes it)."""
    shared = _store(staging_url)
    published: list[str] = []
    problems: list[str] = []
    for batch in pending_batches(staging):
        with ExitStack() as stack:
            if not (batch.is_crawled() or _nobody_crawls(batch, staging)):
                continue  # a run is still crawling it (whatever its age)
            if not _take_batch(stack, staging, batch.batch_id):
                continue  # another process here is publishing or loading it
            if not batch.path.exists():
                continue  # loaded here meanwhile by the process that held it
            try:
                shared.publish(batch)
            except SharedStagingError as exc:
                _note_problem(problems, str(exc))
                continue
            published.append(batch.batch_id)
    return published, problems


def _store(staging_url: str) -> SharedStaging:
    """The shared store of a URL the run already checked (open_shared_staging)."""
    shared = open_shared_staging(staging_url)
    if shared is None:  # the flows call the store's tasks only when the setting is there
        raise StagingUrlError("CITYRADAR_STAGING_URL is empty")
    return shared


def _take_batch(stack: ExitStack, staging: Path, batch_id: str) -> bool:
    """Hold the batch's lock for the rest of ``stack``; False when another process holds it."""
    try:
        stack.enter_context(held(lock_path(staging, f"batch-{batch_id}")))
    except LockTaken:
        return False
    return True


def _note_problem(problems: list[str], line: str) -> None:
    """Keep a line saying what went wrong with the shared store, and log it."""
    problems.append(line)
    get_run_logger().warning("%s", line)


def crawl_and_load(
    selected: list[Source], knowledge: Knowledge, run: CrawlRun
) -> Iterator[Crawled]:
    """Crawl the sources no other run is crawling, each in its own child process, then load.

    Yields what it measured once the crawl is done and, when it loads, again once the batch is
    loaded: a failed load still leaves the caller what was crawled. Each source's lock is held
    until its items are loaded, so a second run started meanwhile (a slow run overlapping the
    next schedule, a backfill) skips it rather than crawl it twice.
    """
    with ExitStack() as locks:
        locked = _lock_sources(locks, selected, run)
        mine, busy = locked.mine, locked.busy
        if not mine:
            get_run_logger().warning("no source to crawl now")
            yield Crawled(busy=busy, lease_problems=locked.problems)
            return
        batch = Batch.create(run.staging, mine)
        for source in mine:
            batch.write_state(source.id, knowledge.states.get(source.id, SourceState()))
        # a run that loads transforms each source's items as soon as its crawl ends
        transformer = TransformAsCrawled(batch) if run.load else None
        (reports, outage), crawl_seconds = _timed(_crawl, mine, batch, run, transformer)
        crawled = Crawled(
            busy,
            batch.batch_id,
            reports,
            outage,
            stage_seconds={"crawl": crawl_seconds},
            lease_problems=locked.lease_problems(),
        )
        yield crawled
        if transformer is not None:
            # the transform's tail: the sources whose crawls ended last, then the batch's tables
            items, tail_seconds = _timed(transformer.finish)
            tables, tables_seconds = _timed(normalize_staged, batch.path, quote(items))
            # quoted: Prefect would otherwise walk the tables looking for futures
            loaded, load_seconds = _timed(load_staged, run.db, batch.path, quote(tables))
            seconds = {
                **crawled.stage_seconds,
                # what the transform took after the last crawl ended (the rest ran beside it)
                "transform": tail_seconds + tables_seconds,
                "load": load_seconds,
            }
            yield replace(
                crawled,
                load=loaded,
                stage_seconds=seconds,
                lease_problems=locked.lease_problems(),
            )


def _crawl(
    sources: list[Source], batch: Batch, run: CrawlRun, transformer: TransformAsCrawled | None
) -> tuple[list[CrawlReport], NetworkOutage | None]:
    """Crawl every source into the batch, then mark it crawled; their reports, and the network
    outage when every one of them failed to connect. Each source is handed to the transformer
    as soon as its crawl ends."""
    settings = run.settings
    overrides = crawl_overrides(
        delay=settings.crawl_delay if run.crawl_delay is None else run.crawl_delay,
        per_host=settings.crawl_concurrency_per_host,
        timeout=max(settings.crawl_timeout - 30, 30),
        request_timeout=settings.crawl_request_timeout,
        max_bytes=settings.crawl_max_bytes,
    )
    what = f"Backfilling {len(sources)} sources since {run.since}" if run.since else "Crawling"
    progress().start("crawl", f"{what} ({len(sources)} sources)", len(sources))
    crawl = crawl_source.with_options(
        retries=settings.crawl_retries, retry_delay_seconds=settings.crawl_retry_delay
    )
    futures = crawl.map(
        sources,
        batch_path=unmapped(batch.path),
        overrides=unmapped(overrides),
        timeout=unmapped(settings.crawl_timeout),
        since=unmapped(run.since),
    )
    reports = _reports_as_crawls_end(futures, sources, batch, transformer)
    outage = _excuse_outage(reports, sources, batch)
    progress().finish("crawl")
    batch.mark_crawled()
    return reports, outage


def _reports_as_crawls_end(
    futures: list[Any], sources: list[Source], batch: Batch, transformer: TransformAsCrawled | None
) -> list[CrawlReport]:
    """Each source's report, in the sources' order, the transformer told of each crawl as it
    ends (whichever ends first)."""
    reports: dict[str, CrawlReport] = {}
    pending = list(zip(futures, sources, strict=True))
    while pending:
        ended = [(f, s) for f, s in pending if is_done(f)]
        if not ended:
            time.sleep(_POLL_SECONDS)
            continue
        for future, source in ended:
            reports[source.id] = _report_of(future, source, batch)
            if transformer is not None:
                transformer.crawled(source.id)
        pending = [(f, s) for f, s in pending if s.id not in reports]
    return [reports[s.id] for s in sources]


# how often the run looks for crawls that ended (a crawl takes seconds to minutes)
_POLL_SECONDS = 0.1


def _timed(step: Callable[..., T], *args: Any) -> tuple[T, float]:
    """What the step returns, and the seconds it took (the run's stage_seconds)."""
    started = time.perf_counter()
    result = step(*args)
    return result, time.perf_counter() - started


@dataclass
class Locked:
    """The sources a run holds, those another run holds, and the shared store's leases."""

    mine: list[Source]
    busy: list[Busy]
    keeper: LeaseKeeper | None = None  # renews the sources' leases on the shared store
    problems: list[str] = field(default_factory=list)  # leases that could not be taken

    def lease_problems(self) -> list[str]:
        """Leases that could not be taken, and those lost since (renewed too late)."""
        lost = (
            [f"{line}; it may be crawled twice" for line in self.keeper.lost] if self.keeper else []
        )
        return [*self.problems, *lost]


def _lock_sources(locks: ExitStack, sources: list[Source], run: CrawlRun) -> Locked:
    """Take each source's crawl lock on this machine and, with a shared store, its lease there
    (every machine's); sources another run holds are left out, and returned apart with the run
    that holds them. The locks and leases last while ``locks`` is open (leases renewed)."""
    locked = Locked([], [])
    for source in sources:
        try:
            locks.enter_context(held(lock_path(run.staging, f"source-{source.id}"), run=run.run_id))
        except LockTaken as taken:
            locked.busy.append(_skipped(source.id, taken.who))
            continue
        locked.mine.append(source)
    if run.shared is not None and locked.mine:
        _lease_sources(locks, locked, run.shared, run)
    return locked


def _lease_sources(locks: ExitStack, locked: Locked, shared: SharedStaging, run: CrawlRun) -> None:
    """Take the lease of each source in ``locked.mine`` on the shared store; those another
    machine holds move to ``locked.busy``. A store that cannot hold leases now is one problem
    line, and the sources are crawled without them (the loader merges any copies into one)."""
    try:
        leases = store_leases(shared, run.settings.staging_lease_seconds)
    except LeaseError as exc:
        _note_problem(locked.problems, f"{exc}; crawled without leases")
        return
    locked.keeper = keeper = locks.enter_context(keeping(leases))
    leased = []
    for position, source in enumerate(locked.mine):
        try:
            keeper.take(f"source-{source.id}", run.run_id)
        except LeaseTaken as taken:
            locked.busy.append(_skipped(source.id, taken.who))
            continue
        except LeaseError as exc:  # the store went away: crawl the rest without asking it
            _note_problem(locked.problems, f"{exc}; crawled without leases")
            leased += locked.mine[position:]
            break
        leased.append(source)
    locked.mine = leased


def _skipped(source_id: str, who: str) -> Busy:
    """A source left out because another run is crawling it, said in the run's log."""
    get_run_logger().warning("%s: skipped, another run is crawling it (%s)", source_id, who)
    return Busy(source_id, who)


def _excuse_outage(
    reports: list[CrawlReport], sources: list[Source], batch: Batch
) -> NetworkOutage | None:
    """When every source failed to connect, mark their reports as a network outage.

    The mark goes into the batch before it is loaded, so the warehouse keeps these runs apart:
    they count toward no source's back-off or health (source_runs.network_down says why).
    """
    outage = network_outage(reports, sources)
    if outage is None:
        return None
    for report in reports:
        report.network_down = True
        batch.write_report(report)
    get_run_logger().warning(outage.message)
    return outage


def _report_of(future: PrefectFuture[CrawlReport], source: Source, batch: Batch) -> CrawlReport:
    """The crawl's report, also when its last try raised (the report is in the batch)."""
    future.wait()
    if future.state.is_completed():
        return future.result()
    progress().advance("crawl", note=source.id)
    report = batch.read_report(source.id)
    if report is not None:
        return report
    report = CrawlReport(
        source_id=source.id,
        batch_id=batch.batch_id,
        started_at=utc_now_iso(),
        finished_at=utc_now_iso(),
        status="failed",
        error=f"crawl task failed: {future.state.message}",
        finish_reason="task_failed",
    )
    batch.write_report(report)
    return report


def run_places(
    settings: Settings, data_dir: Path | None, db_path: Path | None
) -> tuple[Path, Path]:
    """The staging folder and the warehouse file of this run."""
    staging = (data_dir or settings.data_dir) / "staging"
    db = db_path or (data_dir / "cityradar.duckdb" if data_dir else settings.db_path)
    return staging, db


def select_sources(registry: list[Source], only: list[str] | None) -> list[Source]:
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
    """Batches an earlier run crawled but never loaded, or left half-crawled when it died.

    A run holds its sources' locks from before its batch exists until the batch is loaded,
    so a batch none of whose sources is locked has no run any more (it was killed, or its
    machine went down); one too old to be still crawling is taken in any case.
    """
    cutoff = datetime.now(UTC) - timedelta(seconds=crawl_timeout * ABANDONED_AFTER_TIMEOUTS)
    return [
        b
        for b in pending_batches(staging)
        if b.is_crawled() or b.created_before(cutoff) or _nobody_crawls(b, staging)
    ]


def _nobody_crawls(batch: Batch, staging: Path) -> bool:
    return not any(is_held(lock_path(staging, f"source-{sid}")) for sid in batch.sources())
