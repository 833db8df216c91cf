"""One warehouse load at a time, and a load that dies never blocks the next.

DuckDB lets one process write a file; a load that finds it held waits (CITYRADAR_DB_LOCK_TIMEOUT).
Two locks make the queue orderly and visible:

- an OS file lock beside the warehouse (``<db>.load.lock``), which the operating system frees
  when its process dies, even by SIGKILL: the authority on whether anyone is loading;
- a Prefect global concurrency limit of one slot, so the queue shows where operators look (the
  UI's Concurrency page). A run killed while holding it leaves it taken: Prefect frees a slot
  only when its lease runs out, and an embedded (temporary) Prefect server forgets leases when
  it stops. A run that holds the OS lock knows no live load holds the slot, and frees it.

A plain run of the command line (no Prefect: flows/engine.py) holds the OS lock alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from cityradar.locks import Holder, LockTaken, describe_holder, held
from flows.engine import get_run_logger, plain_runs

LOAD_LIMIT = "cityradar-warehouse-load"
MIN_SLOT_WAIT = 30.0
# A live load renews its lease; 60 s is Prefect's shortest (its default is 300 s).
SLOT_LEASE_SECONDS = 60.0


class LoadSlotTaken(RuntimeError):
    """Another run kept the load slot for longer than this run would wait."""


def ensure_limit(name: str = LOAD_LIMIT, slots: int = 1) -> int:
    """Create the global concurrency limit when it does not exist; its slots in use now."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

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


def load_lock(warehouse: Path) -> Path:
    """The OS lock a load of ``warehouse`` holds (beside the file: loads run where it is)."""
    return warehouse.with_name(warehouse.name + ".load.lock")


@contextmanager
def load_slot(warehouse: Path, timeout: float) -> Iterator[None]:
    """Hold the warehouse's load lock and Prefect's load slot for the block, waiting up to
    ``timeout`` seconds for them.

    Raises:
        LoadSlotTaken: another load went on for longer; nothing was written.
    """
    try:
        with held(load_lock(warehouse), wait=timeout, on_wait=_say_waiting):
            if plain_runs():  # no Prefect server to show the queue on
                yield
                return
            _free_slot_of_dead_loads(warehouse)
            with _prefect_slot(timeout):
                yield
    except LockTaken as taken:
        raise LoadSlotTaken(
            f"another run ({taken.who}) kept loading into {warehouse} for more than {timeout:.0f} s; "
            "nothing was written, and the batch stays staged for the next run"
        ) from None


def _say_waiting(holder: Holder | None) -> None:
    get_run_logger().warning(
        "another run is loading into the warehouse (%s); waiting", describe_holder(holder)
    )


def _free_slot_of_dead_loads(warehouse: Path) -> None:
    """Free Prefect's load slot if it is taken while nobody holds the load lock (we do).

    With two warehouses on one Prefect server this can free the slot of a live load of the
    other one; each file stays safe (its own lock and DuckDB's), only the UI's count is off.
    """
    if ensure_limit() == 0:
        return
    get_run_logger().warning(
        "the warehouse load slot (%s) was left taken by a run that died while loading "
        "(nobody holds %s); freeing it",
        LOAD_LIMIT,
        load_lock(warehouse),
    )
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

    with get_client(sync_client=True) as client:
        client.update_global_concurrency_limit(
            LOAD_LIMIT, GlobalConcurrencyLimitUpdate(active_slots=0)
        )


@contextmanager
def _prefect_slot(timeout: float) -> Iterator[None]:
    from prefect.concurrency.sync import concurrency

    acquired = False
    wait = max(timeout, MIN_SLOT_WAIT)  # never less than a busy server may take to answer
    try:
        with concurrency(
            LOAD_LIMIT,
            occupy=1,
            timeout_seconds=wait,
            strict=True,
            lease_duration=SLOT_LEASE_SECONDS,
        ):
            acquired = True
            yield
    except TimeoutError:
        if acquired:  # raised by the work itself, not by the wait
            raise
        raise LoadSlotTaken(
            f"another run held the warehouse load slot ({LOAD_LIMIT}) for more than {wait:.0f} s; "
            "nothing was written, and the batch stays staged for the next run"
        ) from None
