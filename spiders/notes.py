"""What was odd about a crawl's entries: they are all kept, and the operator is told."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cityradar.items import RawItem
from transforms.dates import is_future, parse_datetime

MAX_DATES_NAMED = 3


@dataclass
class EntryNotes:
    """Counts of entries with a shared GUID, no link, no date, or a date in the future."""

    guids: Counter[str] = field(default_factory=Counter)
    no_link: int = 0
    no_date: int = 0
    future_dates: list[str] = field(default_factory=list)

    def observe(self, item: RawItem, timezone: str) -> None:
        """Note what is odd about one finished entry (its article page read, if it had one)."""
        if item.guid:
            self.guids[item.guid] += 1
        if not (item.link or item.article_url):
            self.no_link += 1
        raw_date = item.published_raw or item.article_published_raw
        fetched_at = datetime.fromisoformat(item.fetched_at).astimezone(UTC)
        value = parse_datetime(raw_date, timezone, now=fetched_at).value if raw_date else None
        if value is None:
            self.no_date += 1
        elif is_future(value, fetched_at):
            self.future_dates.append(value.date().isoformat())

    def describe(self) -> str | None:
        """One line for the crawl report, or None when every entry was ordinary."""
        notes = []
        shared = sum(count for count in self.guids.values() if count > 1)
        if shared:
            notes.append(f"{shared} entries share a GUID (kept as one story)")
        if self.no_link:
            notes.append(f"{_entries(self.no_link)} no link")
        if self.no_date:
            notes.append(f"{_entries(self.no_date)} no date")
        if self.future_dates:
            named = ", ".join(sorted(set(self.future_dates))[:MAX_DATES_NAMED])
            entries = _entries(len(self.future_dates), "is", "are")
            notes.append(f"{entries} dated in the future ({named})")
        return "; ".join(notes) or None


def _entries(count: int, singular: str = "has", plural: str = "have") -> str:
    """'1 entry has', '3 entries have' (or another verb)."""
    return f"1 entry {singular}" if count == 1 else f"{count} entries {plural}"
