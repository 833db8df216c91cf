"""Backoff of failing sources: growing delays, never more than a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cityradar.schedule import backoff_delay, is_due, next_attempt

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failures", "hours"), [(0, 0), (1, 0), (2, 6), (3, 12), (4, 24), (10, 24)]
)
def test_delays_grow_and_stop_at_a_day(failures, hours):
    assert backoff_delay(failures) == timedelta(hours=hours)


def test_a_source_that_never_ran_or_failed_once_is_due():
    assert is_due(0, None, NOW)
    assert is_due(1, NOW - timedelta(minutes=1), NOW)


def test_a_dead_source_is_still_tried_every_day():
    last = NOW - timedelta(hours=23)
    assert not is_due(50, last, NOW)
    assert next_attempt(50, last) == last + timedelta(hours=24)
    assert is_due(50, last, NOW + timedelta(hours=1))
