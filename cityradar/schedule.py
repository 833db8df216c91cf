"""When a failing source is tried again: growing delays, but never less often than daily."""

from __future__ import annotations

from datetime import datetime, timedelta

# The first failure is retried at the next run (most faults are passing); then the wait
# doubles from BASE_DELAY up to MAX_DELAY, so a dead source is still tried every day.
BASE_DELAY = timedelta(hours=6)
MAX_DELAY = timedelta(hours=24)


def backoff_delay(consecutive_failures: int) -> timedelta:
    """How long to wait after this many failed crawls in a row."""
    if consecutive_failures < 2:
        return timedelta(0)
    doublings = min(consecutive_failures - 2, 8)  # beyond this the cap holds anyway
    return min(BASE_DELAY * 2**doublings, MAX_DELAY)


def next_attempt(consecutive_failures: int, last_run_at: datetime | None) -> datetime | None:
    """The earliest time the source should be crawled again; None when it is due now."""
    delay = backoff_delay(consecutive_failures)
    if last_run_at is None or not delay:
        return None
    return last_run_at + delay


def is_due(consecutive_failures: int, last_run_at: datetime | None, now: datetime) -> bool:
    """True when the source may be crawled at ``now``."""
    when = next_attempt(consecutive_failures, last_run_at)
    return when is None or now >= when
