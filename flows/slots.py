"""One warehouse load at a time, across every worker of a Prefect server.

DuckDB lets one process write a file; a load that finds it held waits (CITYRADAR_DB_LOCK_TIMEOUT).
With several workers, a Prefect global concurrency limit of one slot makes the queue visible
where operators look (the UI's Concurrency page) and keeps loads from contending for the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

LOAD_LIMIT = "cityradar-warehouse-load"
MIN_SLOT_WAIT = 30.0


class LoadSlotTaken(RuntimeError):
    """Another run kept the load slot for longer than this run would wait."""


def ensure_limit(name: str = LOAD_LIMIT, slots: int = 1) -> int:
    """Create the global concurrency limit when it does not exist; its slots in use now."""
    with get_client(sync_client=True) as client:
        try:
            return client.read_global_concurrency_limit_by_name(name).active_slots
        except ObjectNotFound:
            pass
        with suppress(ObjectAlreadyExists):  # another run created it first
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=slots)
            )
        return 0


@contextmanager
def load_slot(timeout: float) -> Iterator[None]:
    """Hold the warehouse's load slot for the block, waiting up to ``timeout`` seconds for it.

    Raises:
        LoadSlotTaken: the slot stayed taken; nothing was written.
    """
    if ensure_limit() > 0:
        get_run_logger().warning(
            "another run is loading into the warehouse (slot %s taken); waiting up to %.0f s",
            LOAD_LIMIT,
            timeout,
        )
    acquired = False
    try:
        # never less than a busy server may take to answer, whatever the file's lock timeout
        wait = max(timeout, MIN_SLOT_WAIT)
        with concurrency(LOAD_LIMIT, occupy=1, timeout_seconds=wait, strict=True):
            acquired = True
            yield
    except TimeoutError:
        if acquired:  # raised by the work itself, not by the wait
            raise
        raise LoadSlotTaken(
            f"another run held the warehouse load slot ({LOAD_LIMIT}) for more than "
            f"{max(timeout, MIN_SLOT_WAIT):.0f} s; nothing was written, and the batch stays staged for the next run"
        ) from None
