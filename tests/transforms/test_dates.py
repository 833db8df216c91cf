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


FETCHED = utc(2026, 7, 8, 6)  # 15:00 KST on Wednesday 8 July 2026


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Java's Date.toString (mcee.go.kr and other Korean government servers)
        ("Wed Jul 08 15:00:00 KST 2026", utc(2026, 7, 8, 6)),
        ("Wed Jul 08 06:00:00 UTC 2026", utc(2026, 7, 8, 6)),
        # dotted date; naive with a .0 fraction (both naive KST)
        ("2026.09.08", utc(2026, 9, 7, 15)),
        ("2026-08-07 00:00:00.0", utc(2026, 8, 6, 15)),
        # Korean long form with the weekday in parentheses and 오전/오후
        ("2026년 7월 8일 (수) 오후 3:00", utc(2026, 7, 8, 6)),
        ("2026년 7월 8일 (수) 오전 12:05", utc(2026, 7, 7, 15, 5)),
        ("2026년 7월 8일 (수) 오후 12:30", utc(2026, 7, 8, 3, 30)),
        ("2026.07.08 (수) 15:00", utc(2026, 7, 8, 6)),
        # two-digit year: yy.mm.dd
        ("26.07.08", utc(2026, 7, 7, 15)),
        ("26-07-08", utc(2026, 7, 7, 15)),
        ("26-07-08 15:00", utc(2026, 7, 8, 6)),
        # bare digits, as boards and query strings write them (once read as the year 6070)
        ("20260708", utc(2026, 7, 7, 15)),
        ("20260708153000", utc(2026, 7, 8, 6, 30)),
        ("202607081530", utc(2026, 7, 8, 6, 30)),
        ("26.7.8.", utc(2026, 7, 7, 15)),
        ("26.07.08 15:00", utc(2026, 7, 8, 6)),
        # relative to the fetch time
        ("3시간 전", utc(2026, 7, 8, 3)),
        ("3시간전", utc(2026, 7, 8, 3)),
        ("5분 전", utc(2026, 7, 8, 5, 55)),
        ("2일 전", utc(2026, 7, 6, 6)),
        ("1주 전", utc(2026, 7, 1, 6)),
        ("3개월 전", utc(2026, 4, 8, 6)),
        ("1년 전", utc(2025, 7, 8, 6)),
        ("방금 전", utc(2026, 7, 8, 6)),
        ("어제", utc(2026, 7, 7, 6)),
        ("그저께", utc(2026, 7, 6, 6)),
        ("2 hours ago", utc(2026, 7, 8, 4)),
        ("an hour ago", utc(2026, 7, 8, 5)),
        ("30 mins ago", utc(2026, 7, 8, 5, 30)),
        ("2 days ago", utc(2026, 7, 6, 6)),
        ("yesterday", utc(2026, 7, 7, 6)),
        ("just now", utc(2026, 7, 8, 6)),
        # a day word with a time: that time on that day, in the source's zone
        ("어제 오후 3:00", utc(2026, 7, 7, 6)),
        ("어제 09:30", utc(2026, 7, 7, 0, 30)),
        ("yesterday at 3:00 PM", utc(2026, 7, 7, 6)),
        ("오늘 오전 8:15", utc(2026, 7, 7, 23, 15)),
    ],
)
def test_every_real_date_form_becomes_its_utc_instant(raw, expected):
    parsed = parse_datetime(raw, "Asia/Seoul", now=FETCHED)
    assert parsed.value == expected
    assert parsed.value.tzinfo is UTC
    assert parsed.raw == raw


@pytest.mark.parametrize(
    "raw", ["3시간 전", "2 hours ago", "어제", "yesterday", "5분 전", "2일 전", "어제 오후 3:00"]
)
def test_relative_forms_without_the_fetch_time_stay_unparsed(raw):
    parsed = parse_datetime(raw, "Asia/Seoul")
    assert parsed.value is None
    assert parsed.raw == raw


def test_relative_forms_are_read_against_the_fetch_time_not_the_clock():
    long_ago = utc(2019, 3, 1, 12)
    assert parse_datetime("3시간 전", "Asia/Seoul", now=long_ago).value == utc(2019, 3, 1, 9)
    assert parse_datetime("yesterday", "UTC", now=long_ago).value == utc(2019, 2, 28, 12)


def test_a_day_word_with_a_time_is_that_day_in_the_sources_zone():
    # 00:30 UTC on 8 July is still 7 July in New York, so "yesterday" there is 6 July
    fetched = utc(2026, 7, 8, 0, 30)
    parsed = parse_datetime("yesterday 15:00", "America/New_York", now=fetched)
    assert parsed.value == utc(2026, 7, 6, 19)
    assert parsed.zone_assumed


def test_a_date_without_its_year_takes_the_fetch_times_year():
    parsed = parse_datetime("7월 8일", "Asia/Seoul", now=utc(2019, 8, 1))
    assert parsed.value == utc(2019, 7, 7, 15)


@pytest.mark.parametrize("raw", ["어제 25:00", "yesterday at noonish", "오후 13:00 어제"])
def test_a_day_word_with_a_time_that_is_not_one_stays_unparsed(raw):
    assert parse_datetime(raw, "Asia/Seoul", now=FETCHED).value is None


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
