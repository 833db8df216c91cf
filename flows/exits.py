"""What the `cityradar` command's exit status means, and which failures it expects.

=====  ==========================================================================================
  0    done: the run did its job (some sources may have failed; they are listed)
  1    an expected failure stopped the command; one ``error:`` line says what, where, what to do
  2    configuration: a setting, sources.yaml, the recipients file, the warehouse's place, or
       the command line itself
  3    nothing came in: every source the run was due to crawl failed (or is backing off), or
       the crawled batch could not be loaded (it stays staged for the next run)
=====  ==========================================================================================

A command's own expected failures are a ``CommandError`` carrying one of these statuses; the
failures other code raises are named below (``expected``). flows/cli/errors.py turns either into
the ``error:`` line and the status. Anything else that escapes a command is a bug: it exits 1
too, with its traceback in the run's log file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.ingest import IngestSummary

OK = 0
FAILED = 1
CONFIG = 2
NOTHING_IN = 3


# Expected failures by the name of their class, not the class: catching them must not import
# the flows (and Prefect) into `sources list` or `search`. tests/flows/test_exits.py checks that
# every name is a real class.
CONFIG_ERRORS = (
    "cityradar.registry.RegistryError",
    "cityradar.settings.SettingsError",
    "cityradar.shared_staging.StagingUrlError",  # CITYRADAR_STAGING_URL unusable
    "digest.recipients.RecipientsError",
)
# the warehouse could not take the batch: nothing of the run was loaded
LOAD_ERRORS = (
    "warehouse.db.WarehouseLocked",
    "flows.slots.LoadSlotTaken",
)
FAILURES = (
    "flows.weekly_digest.DigestNotDelivered",
    "_duckdb.IOException",  # the warehouse file cannot be opened (not DuckDB, unreadable)
)


def expected(exc: BaseException, loading: bool = False) -> tuple[int, str] | None:
    """The exit status and the one line to print for an expected failure; None for a bug.

    Args:
        exc: what the command raised.
        loading: the command loads a batch (ingest, backfill, run, demo), so a warehouse that
            would not take it means nothing came in.
    """
    names = {f"{kind.__module__}.{kind.__qualname__}" for kind in type(exc).__mro__}
    if names.intersection(CONFIG_ERRORS):
        return CONFIG, str(exc)
    if names.intersection(LOAD_ERRORS):
        return (NOTHING_IN if loading else FAILED), str(exc)
    if names.intersection(FAILURES):
        return FAILED, str(exc)
    if isinstance(exc, RuntimeError) and str(exc).startswith("Failed to reach API at"):
        return FAILED, (  # Prefect's client, when PREFECT_API_URL names a server that is down
            f"{exc}: start that Prefect server, or unset PREFECT_API_URL to run without one"
        )
    if isinstance(exc, FileNotFoundError | FileExistsError | ValueError):
        return FAILED, str(exc)
    if isinstance(exc, OSError):  # SMTP unreachable, disk full...
        return FAILED, f"{type(exc).__name__}: {exc}"
    return None


def ingest_status(summary: IngestSummary) -> int:
    """NOTHING_IN when every source the run crawled failed, or when it crawled none because
    every one it would have crawled is backing off; FAILED when the shared store
    (CITYRADAR_STAGING_URL) could not be read or written, so a batch waits (on this disk, or
    on the store) for the next run; OK otherwise (failed sources are listed)."""
    if summary.reports and all(r.status == "failed" for r in summary.reports):
        return NOTHING_IN
    if not summary.reports and summary.deferred and not summary.busy:
        return NOTHING_IN
    return FAILED if summary.store_problems else OK
