"""Dates as sources write them -> aware UTC, raw kept; KST and naive dates read in the right zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from transforms.dates import is_future, parse_datetime


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "zone", "expected", "assumed"),
    [
        # MOIS RSS: upper-case, KST abbreviation (feedparser reads it as UTC, 9 h off)
        ("FRI, 26 JUL 2019 10:00:00 KST", "Asia/Seoul", utc(2019, 7, 26, 1), False),
        ("Fri, 20 Nov 2026 10:00:00 KST", "Europe/London", utc(2026, 11, 20, 1), False),
        # MOIS Korean-localised variant
        ("화, 15 4월 2025 10:00:00 KST", "Asia/Seoul", utc(2025, 4, 15, 1), False),
        # RFC 822 with an offset, and GMT
        ("Tue, 24 Nov 2026 09:00:00 +0900", "UTC", utc(2026, 11, 24, 0), False),
        ("Tue, 24 Nov 2026 09:00:00 GMT", "Asia/Seoul", utc(2026, 11, 24, 9), False),
        # news.seoul.go.kr and BusinessKorea: naive KST
        ("2026-05-22 16:38:15", "Asia/Seoul", utc(2026, 5, 22, 7, 38, 15), True),
        # 재정경제부: naive with a fraction
        ("2026-08-07 00:00:00.0", "Asia/Seoul", utc(2026, 8, 6, 15), True),
        # korea.kr and Daegu lists: dotted date only
        ("2026.01.07", "Asia/Seoul", utc(2026, 1, 6, 15), True),
        # Seoul / Yonhap pages: ISO with offset; knews-rss: ISO Z in pubDate
        ("2026-01-05T10:08:31+09:00", "UTC", utc(2026, 1, 5, 1, 8, 31), False),
        ("2021-07-07T16:42:34.000Z", "Asia/Seoul", utc(2021, 7, 7, 16, 42, 34), False),
        # data.go.kr API: MM/DD/YYYY, KST
        ("01/07/2026 14:30:00", "Asia/Seoul", utc(2026, 1, 7, 5, 30), True),
        # Korean long forms
        ("2024년 3월 15일", "Asia/Seoul", utc(2024, 3, 14, 15), True),
        ("2004년 05월 28일  01:31:15", "Asia/Seoul", utc(2004, 5, 27, 16, 31, 15), True),
        ("2004-05-25 오후 11:23:17", "Asia/Seoul", utc(2004, 5, 25, 14, 23, 17), True),
        # Korea Herald byline and labelled dates
        ("Published : Apr 18, 2022 - 16:41", "Asia/Seoul", utc(2022, 4, 18, 7, 41), True),
        ("등록일 2026.01.07", "Asia/Seoul", utc(2026, 1, 6, 15), True),
        # IFEZ events: a range, whose start is the date; HWP-exported spacing
        ("2026.09.12 ~ 2026.09.14", "Asia/Seoul", utc(2026, 9, 11, 15), True),
        ("2026년 9 월 12 일", "Asia/Seoul", utc(2026, 9, 11, 15), True),
        ("2026. 9. 12.", "Asia/Seoul", utc(2026, 9, 11, 15), True),
        # the same naive time in another source's zone
        ("2026-05-22 16:38:15", "America/New_York", utc(2026, 5, 22, 20, 38, 15), True),
    ],
)
def test_dates_become_utc_in_the_right_zone(raw, zone, expected, assumed):
    parsed = parse_datetime(raw, zone)
    assert parsed.value == expected
    assert parsed.raw == raw
    assert parsed.zone_assumed is assumed


@pytest.mark.parametrize("raw", [None, "", "   ", "not a date", "조회수 1,024"])
def test_non_dates_give_none_and_keep_the_raw(raw):
    parsed = parse_datetime(raw, "Asia/Seoul")
    assert parsed.value is None
    assert parsed.raw == raw


def test_feedparser_alone_would_be_nine_hours_off_for_kst():
    body = b'<rss version="2.0"><channel><item><title>t</title><pubDate>Fri, 20 Nov 2026 10:00:00 KST</pubDate></item></channel></rss>'
    entry = feedparser.parse(body).entries[0]
    feedparser_hour = entry.published_parsed.tm_hour
    ours = parse_datetime(entry.published, "Asia/Seoul").value
    assert feedparser_hour == 10
    assert ours.hour == 1


def test_a_date_more_than_a_day_ahead_is_future():
    now = utc(2026, 11, 20)
    assert is_future(utc(2082, 1, 1), now)
    assert is_future(now + timedelta(days=1, minutes=1), now)
    assert not is_future(now + timedelta(hours=23), now)
