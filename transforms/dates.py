"""Dates as sources write them, read into aware UTC datetimes; the raw string is always kept.

Naive dates are read in the source's time zone (Korean sites give naive KST). Zone
abbreviations such as KST are mapped to their offsets here because feedparser and
``email.utils`` read unknown abbreviations as UTC, a nine-hour error (sources.md §5.4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


@dataclass(frozen=True)
class ParsedDate:
    """A parsed timestamp, its source text, and whether its zone was assumed."""

    value: datetime | None
    raw: str | None
    zone_assumed: bool = False


def parse_datetime(raw: str | None, default_tz: str) -> ParsedDate:
    """Read a date string into aware UTC.

    Args:
        raw: the date as the source wrote it (RFC 822, ISO 8601, Korean forms, …).
        default_tz: IANA zone for strings without an offset (the source's zone).

    Returns:
        ``value`` in UTC, or None when the string is not a date.
    """
    if raw is None or not raw.strip():
        return ParsedDate(None, raw)
    text = _DATE_TIME_DASH.sub(r"\1 \2", _LABEL.sub("", " ".join(raw.split())))
    text = _RANGE.split(_SPACED_UNITS.sub(r"\1\2", text), maxsplit=1)[0]
    zone = ZoneInfo(default_tz)
    for reader in (_read_iso, _read_rfc822, _read_any):
        value = reader(text, zone)
        if value is not None:
            return ParsedDate(value.astimezone(UTC), raw, zone_assumed=not _has_zone(text))
    return ParsedDate(None, raw)


def is_future(value: datetime, now: datetime, tolerance: timedelta = timedelta(days=1)) -> bool:
    """True when a publication time lies beyond ``now`` by more than the tolerance."""
    return value > now + tolerance


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


def _read_any(text: str, zone: ZoneInfo) -> datetime | None:
    """dateparser for the rest: Korean long forms, 오전/오후, dotted dates, US forms."""
    import dateparser  # here: ~0.3 s to import, which a run with no dates to read skips

    named = _ABBREVIATION.sub(lambda m: ZONE_ABBREVIATIONS[m.group(1).upper()], text)
    value = dateparser.parse(
        named,
        languages=_DATEPARSER_LANGUAGES,
        settings={
            "TIMEZONE": zone.key,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DAY_OF_MONTH": "first",
            "STRICT_PARSING": False,
        },
    )
    return value if value is not None and value.year > 1900 else None
