"""Dates as sources write them, read into aware UTC datetimes; the raw string is always kept.

Naive dates are read in the source's time zone (Korean sites give naive KST). Zone
abbreviations such as KST are mapped to their offsets here because feedparser and
``email.utils`` read unknown abbreviations as UTC, a nine-hour error (sources.md §5.4).

Relative dates ("3시간 전", "2 hours ago", "어제") are read against the fetch time, which the
caller passes as ``now``; without it they stay unparsed, because the wall clock when a batch is
normalised (or re-normalised months later) is not when the page said "3 hours ago".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

# Abbreviations seen in Korean and Asian feeds, with their fixed offsets.
ZONE_ABBREVIATIONS: dict[str, str] = {
    "KST": "+0900",
    "JST": "+0900",
    "HKT": "+0800",
    "SGT": "+0800",
    "CST": "+0800",  # in Asian feeds this is China Standard Time, not US Central
    "UTC": "+0000",
    "GMT": "+0000",
    "UT": "+0000",
}
_ABBREVIATION = re.compile(r"\b(" + "|".join(ZONE_ABBREVIATIONS) + r")\b", re.I)
_HAS_ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|\b(?:[A-Z]{2,5}T|UTC?|GMT)\b)\s*$")
_DATEPARSER_LANGUAGES = ["ko", "en"]
# Labels pages put before a date ("Published : Apr 18, 2022 - 16:41", "등록일 2026.01.07").
_LABEL = re.compile(
    r"^(?:published|updated|posted|date|입력|수정|등록일|등록|작성일|발행일|게시일)\s*[:：]?\s*",
    re.I,
)
_DATE_TIME_DASH = re.compile(r"(\d{4})\s+-\s+(\d{1,2}:\d{2})")
# HWP-exported pages split numbers from their units: "2026년 9 월 12 일"
_SPACED_UNITS = re.compile(r"(\d+)\s+(년|월|일|시|분)")
# event ranges ("2026.09.12 ~ 2026.09.14"): the start is the date
_RANGE = re.compile(r"\s*[~∼〜]\s*")
# "2026년 7월 8일 (수) 오후 3:00", "2026.07.08 (Wed)": the weekday only repeats the date
_WEEKDAY_IN_PARENS = re.compile(
    r"\s*\((?:[월화수목금토일](?:요일)?|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)\)", re.I
)
# Java's Date.toString ("Wed Jul 08 15:00:00 KST 2026", Korean government servers), rewritten
# as RFC 822 ("Wed, 08 Jul 2026 15:00:00 KST") so the zone abbreviations above apply to it
_JAVA_DATE = re.compile(
    r"^([a-z]{3}) ([a-z]{3}) (\d{1,2}) (\d{1,2}:\d{2}:\d{2}) ([a-z]{1,5}) (\d{4})$", re.I
)
# "26.07.08", "26-07-08": Korean boards shorten the year, and write year, month, day in that
# order (dashes as ISO dates do; slashes are left to dateparser, as US dates write them)
_SHORT_YEAR = re.compile(r"^(\d{2})([.\-])(\d{1,2})\2(\d{1,2})\.?(?=\s|$)")
# "20260708", "20260708153000": boards and query strings write dates as bare digits (dateparser
# would read the first as the year 6070)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$")
# dateparser's own relative reading uses the wall clock (and, in zones with summer time, the
# wrong offset), so it is switched off: relative forms are read below, against the fetch time
_DATEPARSER_PARSERS = ["timestamp", "custom-formats", "absolute-time"]

# --- relative forms, read against the fetch time ---
# "3시간 전", "5분전", "2 hours ago", "an hour ago"
_AGO = re.compile(
    r"^(\d+|an?|one)\s*(초|분|시간|일|주|개월|달|년|sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?"
    r"|days?|weeks?|months?|years?)\s*(?:전|ago)$",
    re.I,
)
_UNIT_SECONDS = {
    "초": 1, "sec": 1, "second": 1,
    "분": 60, "min": 60, "minute": 60,
    "시간": 3600, "hour": 3600, "hr": 3600,
    "일": 86400, "day": 86400,
    "주": 7 * 86400, "week": 7 * 86400,
}  # fmt: skip
_UNIT_MONTHS = {"개월": 1, "달": 1, "month": 1, "년": 12, "year": 12}
# "어제", "yesterday", "방금 전", and with a time: "어제 오후 3:00", "yesterday at 15:00"
_DAY_WORD = re.compile(
    r"^(방금|오늘|어제|그제|그저께|just now|today|yesterday)(?:\s*전)?(?:,?\s+(?:at\s+)?(.+))?$",
    re.I,
)
_DAYS_BACK = {"방금": 0, "just now": 0, "오늘": 0, "today": 0, "어제": 1, "yesterday": 1}
_DAYS_BACK |= {"그제": 2, "그저께": 2}
_CLOCK = re.compile(r"^(오전|오후|am|pm)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm)?$", re.I)


@dataclass(frozen=True)
class ParsedDate:
    """A parsed timestamp, its source text, and whether its zone was assumed."""

    value: datetime | None
    raw: str | None
    zone_assumed: bool = False


def parse_datetime(raw: str | None, default_tz: str, now: datetime | None = None) -> ParsedDate:
    """Read a date string into aware UTC.

    Args:
        raw: the date as the source wrote it (RFC 822, ISO 8601, Java's Date.toString, Korean
            forms, relative forms, …; docs/adding-a-source.md lists them).
        default_tz: IANA zone for strings without an offset (the source's zone).
        now: the aware time the page or feed was fetched; relative forms ("3시간 전",
            "yesterday") are read against it, and are left unparsed without it.

    Returns:
        ``value`` in UTC, or None when the string is not a date.
    """
    if raw is None or not raw.strip():
        return ParsedDate(None, raw)
    text = _normalise(raw)
    zone = ZoneInfo(default_tz)
    if _AGO.match(text) or _DAY_WORD.match(text):
        return _read_relative(text, raw, zone, now)
    value = _read_iso(text, zone) or _read_rfc822(text, zone) or _read_any(text, zone, now)
    if value is None:
        return ParsedDate(None, raw)
    return ParsedDate(value.astimezone(UTC), raw, zone_assumed=not _has_zone(text))


def is_future(value: datetime, now: datetime, tolerance: timedelta = timedelta(days=1)) -> bool:
    """True when a publication time lies beyond ``now`` by more than the tolerance."""
    return value > now + tolerance


def _normalise(raw: str) -> str:
    """The date in what a source wrote, rewritten into a form the readers below know."""
    text = _DATE_TIME_DASH.sub(r"\1 \2", _LABEL.sub("", " ".join(raw.split())))
    text = _RANGE.split(_SPACED_UNITS.sub(r"\1\2", text), maxsplit=1)[0]
    text = _WEEKDAY_IN_PARENS.sub(" ", text).strip()
    text = _JAVA_DATE.sub(r"\1, \3 \2 \6 \4 \5", text)
    text = _COMPACT.sub(_spaced_compact, text)
    return _SHORT_YEAR.sub(r"20\1.\3.\4", text)


def _spaced_compact(found: re.Match[str]) -> str:
    """A bare-digit date written as ISO 8601 (seconds zero when only minutes are given)."""
    year, month, day, hour, minute, second = found.groups()
    if hour is None:
        return f"{year}-{month}-{day}"
    return f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}"


def _has_zone(text: str) -> bool:
    return bool(_HAS_ZONE.search(text))


def _localise(value: datetime, zone: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _read_iso(text: str, zone: ZoneInfo) -> datetime | None:
    try:
        return _localise(datetime.fromisoformat(text), zone)
    except ValueError:
        return None


def _read_rfc822(text: str, zone: ZoneInfo) -> datetime | None:
    if "," not in text[:5] and not re.match(r"^\d{1,2} [A-Za-z]{3} \d{4}", text):
        return None
    named = _ABBREVIATION.sub(lambda m: ZONE_ABBREVIATIONS[m.group(1).upper()], text)
    try:
        value = parsedate_to_datetime(named)
    except (TypeError, ValueError, IndexError):
        return None
    return _localise(value, zone)


def _read_any(text: str, zone: ZoneInfo, now: datetime | None) -> datetime | None:
    """dateparser for the rest: Korean long forms, 오전/오후, dotted dates, US forms. A date
    without its year takes the fetch time's year when the fetch time is known."""
    import dateparser  # here: ~0.3 s to import, which a run with no dates to read skips

    named = _ABBREVIATION.sub(lambda m: ZONE_ABBREVIATIONS[m.group(1).upper()], text)
    value = dateparser.parse(
        named,
        languages=_DATEPARSER_LANGUAGES,
        # no TIMEZONE: dateparser localises through pytz, whose tables stop in 2037 (a summer
        # date after that gets the winter offset); naive results are localised here instead
        settings={
            "PREFER_DAY_OF_MONTH": "first",
            "STRICT_PARSING": False,
            "PARSERS": _DATEPARSER_PARSERS,
            **({"RELATIVE_BASE": _wall_time(now, zone)} if now is not None else {}),
        },
    )
    return _localise(value, zone) if value is not None and value.year > 1900 else None


def _wall_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """The naive clock reading of ``moment`` in ``zone`` (what dateparser takes as its base)."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _read_relative(text: str, raw: str, zone: ZoneInfo, now: datetime | None) -> ParsedDate:
    """A relative form read back from the fetch time; unparsed without one, never guessed."""
    if now is None:
        return ParsedDate(None, raw)
    fetched = now.astimezone(UTC)
    ago = _AGO.match(text)
    if ago:
        return ParsedDate(_before(fetched, ago.group(1), ago.group(2)), raw)
    day = _DAY_WORD.match(text)
    assert day is not None  # parse_datetime sends only the two forms here
    days_back = _DAYS_BACK[day.group(1).lower()]
    if day.group(2) is None:
        return ParsedDate(fetched - timedelta(days=days_back), raw)
    clock = _clock_time(day.group(2))
    if clock is None:
        return ParsedDate(None, raw)
    local_day = fetched.astimezone(zone).date() - timedelta(days=days_back)
    value = datetime.combine(local_day, clock, tzinfo=zone)
    return ParsedDate(value.astimezone(UTC), raw, zone_assumed=True)


def _before(moment: datetime, count_text: str, unit_text: str) -> datetime:
    """``moment`` less a count of units ("3", "시간"; "an", "hours")."""
    count = int(count_text) if count_text.isdigit() else 1
    unit = unit_text.lower()
    unit = unit[:-1] if unit.endswith("s") else unit  # hours, mins, hrs
    if unit in _UNIT_MONTHS:
        return _months_before(moment, count * _UNIT_MONTHS[unit])
    return moment - timedelta(seconds=count * _UNIT_SECONDS[unit])


def _months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the 31st becomes the last)."""
    year, month_index = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month_index + 1)[1])
    return moment.replace(year=year, month=month_index + 1, day=day)


def _clock_time(text: str) -> time | None:
    """A time of day as pages write it: "15:30", "오후 3:00", "3:00 PM"; None otherwise."""
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, minute, second = int(match.group(2)), int(match.group(3)), int(match.group(4) or 0)
    meridiem = (match.group(1) or match.group(5) or "").lower()
    if meridiem and not 1 <= hour <= 12:
        return None
    if meridiem in ("오후", "pm"):
        hour = hour % 12 + 12
    elif meridiem in ("오전", "am"):
        hour %= 12
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)
