"""ISO weeks (``2026-W48``) and their bounds in the digest's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class IsoWeek:
    """An ISO-8601 week."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Read ``YYYY-Www``; raises ValueError naming the expected form."""
        match = _WEEK.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not an ISO week such as 2026-W48")
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{text!r}: {year} has no week {week}") from None
        return cls(year, week)

    @classmethod
    def containing(cls, moment: datetime, tz: str) -> IsoWeek:
        """The week a moment falls in, in time zone ``tz``."""
        year, week, _ = moment.astimezone(ZoneInfo(tz)).isocalendar()
        return cls(year, week)

    @classmethod
    def last_complete(cls, now: datetime, tz: str) -> IsoWeek:
        """The latest week that has ended in ``tz`` (what a Monday-morning digest covers)."""
        return cls.containing(now - timedelta(days=7), tz)

    def monday(self) -> date:
        """The week's first day."""
        return date.fromisocalendar(self.year, self.week, 1)

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[start, end) of the week in UTC, the week being Monday 00:00 to Monday 00:00 in ``tz``."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.monday(), time(0), tzinfo=zone)
        end = datetime.combine(self.monday() + timedelta(days=7), time(0), tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def previous(self) -> IsoWeek:
        """The week before."""
        year, week, _ = (self.monday() - timedelta(days=7)).isocalendar()
        return IsoWeek(year, week)

    def label(self) -> str:
        """Human dates of the week, e.g. '16–22 Nov 2026'."""
        first, last = self.monday(), self.monday() + timedelta(days=6)
        if first.month == last.month:
            return f"{first.day}–{last.day} {last:%b %Y}"
        if first.year == last.year:
            return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"
