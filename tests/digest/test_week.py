"""ISO weeks and their bounds in Asia/Seoul."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.week import IsoWeek


def test_bounds_are_monday_midnight_in_seoul():
    start, end = IsoWeek.parse("2026-W47").bounds("Asia/Seoul")
    assert start == datetime(2026, 11, 15, 15, tzinfo=UTC)  # Mon 16 Nov 00:00 KST
    assert end == datetime(2026, 11, 22, 15, tzinfo=UTC)


def test_the_last_complete_week_on_a_monday_morning_in_seoul():
    monday_8am_kst = datetime(2026, 11, 23, 8 - 9 + 24, tzinfo=UTC).replace(day=22)  # Sun 23:00 UTC
    assert str(IsoWeek.last_complete(monday_8am_kst, "Asia/Seoul")) == "2026-W47"


def test_weeks_across_the_year_boundary():
    assert str(IsoWeek.parse("2027-W01").previous()) == "2026-W53"
    assert IsoWeek.parse("2026-W53").label() == "28 Dec 2026 – 3 Jan 2027"
    assert IsoWeek.parse("2026-W47").label() == "16–22 Nov 2026"


@pytest.mark.parametrize("text", ["2026-47", "2026-W7", "W47", "2025-W53"])
def test_bad_weeks_say_what_is_expected(text):
    with pytest.raises(ValueError, match=r"ISO week|has no week"):
        IsoWeek.parse(text)
