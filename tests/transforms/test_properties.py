"""Properties that hold for any input (hypothesis): URL canonicalisation, dates, the text cleaner."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from transforms.dates import ZONE_ABBREVIATIONS, parse_datetime
from transforms.text import clean_line, clean_text
from transforms.urls import canonical_url, is_dropped_param, is_web_url

PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- URLs ------------------------------------------------------------------------------------

_label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
_hosts = st.lists(_label, min_size=1, max_size=3).map(lambda parts: ".".join([*parts, "kr"]))
_path = st.lists(
    st.text(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~%가나다", max_size=8
    ),
    max_size=4,
).map(lambda parts: "/" + "/".join(parts))
_names = st.sampled_from(
    [
        "newsId",
        "nttSeqNo",
        "page",
        "id",
        "utm_source",
        "utm_medium",
        "fbclid",
        "gclid",
        "jsessionid",
        "sid",
        "PHPSESSID",
        "ref_src",
        "q",
        "lang",
    ]
)
_values = st.text("abcdefghijklmnopqrstuvwxyz0123456789가나", max_size=6)
_query = st.lists(st.tuples(_names, _values), max_size=5)


@st.composite
def web_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(_hosts)
    host = draw(st.sampled_from([host, host.upper()]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    query = "&".join(f"{k}={v}" for k, v in draw(_query))
    fragment = draw(st.sampled_from(["", "#top", "#a=1"]))
    return f"{scheme}://{host}{port}{draw(_path)}{'?' + query if query else ''}{fragment}"


@PROPERTIES
@given(web_urls())
def test_canonical_urls_are_a_fixed_point(url):
    once = canonical_url(url)
    assert canonical_url(once) == once


@PROPERTIES
@given(web_urls())
def test_canonical_urls_drop_tracking_and_sessions_and_keep_the_rest(url):
    canonical = urlsplit(canonical_url(url))
    kept = {name for name, _ in parse_qsl(canonical.query, keep_blank_values=True)}
    assert not any(is_dropped_param(name) for name in kept)
    sent = {name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    assert {name for name in sent if not is_dropped_param(name)} == kept
    assert canonical.fragment == ""
    assert canonical.scheme in ("http", "https")
    assert canonical.hostname == urlsplit(url).hostname.lower()
    default_port = {"http": 80, "https": 443}[canonical.scheme]
    assert canonical.port != default_port  # a default port is left out


@PROPERTIES
@given(web_urls(), st.permutations(range(5)))
def test_the_order_of_query_parameters_does_not_matter(url, order):
    parts = urlsplit(url)
    pairs = parts.query.split("&") if parts.query else []
    shuffled = [pairs[i] for i in order if i < len(pairs)]
    other = parts._replace(query="&".join(shuffled)).geturl()
    assert canonical_url(other) == canonical_url(url)


@PROPERTIES
@given(st.text(max_size=80))
def test_any_text_as_a_link_is_judged_without_crashing(text):
    if is_web_url(text):
        assert canonical_url(text).startswith(("http://", "https://"))


# --- dates -----------------------------------------------------------------------------------

_moments = st.datetimes(
    min_value=datetime(1995, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
_offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_zones = st.sampled_from(
    ["Asia/Seoul", "UTC", "Europe/Berlin", "America/New_York", "Asia/Singapore"]
)


@PROPERTIES
@given(_moments, _offsets, _zones)
def test_a_date_written_with_its_offset_is_read_back_to_the_same_instant(moment, offset, zone):
    local = moment.astimezone(offset)
    for written in (
        local.isoformat(),
        format_datetime(local),  # RFC 822, as feeds write it
        local.strftime("%Y-%m-%dT%H:%M:%S%z"),
    ):
        parsed = parse_datetime(written, zone)
        assert parsed.value == moment, written
        assert parsed.value.tzinfo is UTC
        assert parsed.raw == written  # the string as the source wrote it is kept
        assert not parsed.zone_assumed


@PROPERTIES
@given(_moments, _zones)
def test_a_naive_date_is_read_in_the_sources_zone(moment, zone):
    local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    for written in (local.strftime("%Y-%m-%d %H:%M:%S"), local.strftime("%Y.%m.%d %H:%M")):
        parsed = parse_datetime(written, zone)
        expected = local.replace(tzinfo=ZoneInfo(zone))
        if written.count(":") == 1:
            expected = expected.replace(second=0)
        # a wall time that a clock change skips or repeats may land an hour apart
        assert abs(parsed.value - expected.astimezone(UTC)) <= timedelta(hours=1), written
        assert parsed.zone_assumed


_KOREAN_WEEKDAYS = "월화수목금토일"


def _wall_time_in(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


@PROPERTIES
@given(_moments, st.sampled_from(sorted(ZONE_ABBREVIATIONS)), _zones)
def test_a_java_date_is_read_back_to_the_same_instant(moment, abbreviation, zone):
    local = moment.astimezone(datetime.strptime(ZONE_ABBREVIATIONS[abbreviation], "%z").tzinfo)
    written = f"{local:%a %b %d %H:%M:%S} {abbreviation} {local:%Y}"  # Java's Date.toString
    parsed = parse_datetime(written, zone)
    assert parsed.value == moment, written
    assert parsed.value.tzinfo is UTC
    assert not parsed.zone_assumed


def _korean_long_form(local: datetime) -> str:
    """'2026년 7월 8일 (수) 오후 3:00': 12-hour clock, 오전 12:05 is five past midnight."""
    meridiem = "오전" if local.hour < 12 else "오후"
    weekday = _KOREAN_WEEKDAYS[local.weekday()]
    day = f"{local.year}년 {local.month}월 {local.day}일 ({weekday})"
    return f"{day} {meridiem} {local.hour % 12 or 12}:{local.minute:02d}"


# each naive form, how to write it, and the precision it keeps
_NAIVE_FORMS = {
    "yyyy.mm.dd": (lambda local: f"{local:%Y.%m.%d}", "day"),
    "ISO with .0": (lambda local: f"{local:%Y-%m-%d %H:%M:%S}.0", "second"),
    "Korean long form": (_korean_long_form, "minute"),
    "yy.mm.dd": (lambda local: f"{local:%y.%m.%d}", "day"),
}


def _at_precision(value: datetime, precision: str) -> datetime:
    if precision == "day":
        return value.replace(hour=0, minute=0, second=0)
    return value.replace(second=0) if precision == "minute" else value


@PROPERTIES
@given(
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2090, 12, 30)).map(
        lambda moment: moment.replace(microsecond=0, tzinfo=UTC)
    ),
    _zones,
    st.sampled_from(sorted(_NAIVE_FORMS)),
)
def test_each_naive_form_is_read_back_in_the_sources_zone(moment, zone, form):
    write, precision = _NAIVE_FORMS[form]
    local = _wall_time_in(moment, zone)
    written = write(local)
    parsed = parse_datetime(written, zone)
    assert parsed.value is not None, written
    assert parsed.value.tzinfo is UTC
    # compared as wall time in the source's zone: an hour a clock change repeats is one reading
    assert _wall_time_in(parsed.value, zone) == _at_precision(local, precision), written
    assert parsed.zone_assumed


_AGO_UNITS = {
    "초": timedelta(seconds=1), "분": timedelta(minutes=1), "시간": timedelta(hours=1),
    "일": timedelta(days=1), "주": timedelta(weeks=1),
    "second": timedelta(seconds=1), "minute": timedelta(minutes=1), "hour": timedelta(hours=1),
    "day": timedelta(days=1), "week": timedelta(weeks=1),
}  # fmt: skip


def _ago(count: int, unit: str) -> str:
    if unit.isascii():
        return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return f"{count}{unit} 전"


@PROPERTIES
@given(_moments, st.sampled_from(sorted(_AGO_UNITS)), st.integers(0, 500), _zones)
def test_a_relative_form_is_read_back_from_the_fetch_time(fetched, unit, count, zone):
    published = fetched - count * _AGO_UNITS[unit] - _AGO_UNITS[unit] / 2
    written = _ago((fetched - published) // _AGO_UNITS[unit], unit)  # as the page says it
    parsed = parse_datetime(written, zone, now=fetched)
    assert parsed.value is not None, written
    assert parsed.value.tzinfo is UTC
    # equal at the form's precision: the page rounds down to whole units
    assert timedelta(0) <= parsed.value - published < _AGO_UNITS[unit], written
    assert parse_datetime(written, zone).value is None  # never read against the clock


def _clock(word: str, clock: time) -> str:
    """The time after a day word as pages write it: '오후 3:05' in Korean, '3:05 PM' in English."""
    if word.isascii():
        return f"at {clock.hour % 12 or 12}:{clock.minute:02d} {'AM' if clock.hour < 12 else 'PM'}"
    return f"{'오전' if clock.hour < 12 else '오후'} {clock.hour % 12 or 12}:{clock.minute:02d}"


@PROPERTIES
@given(_moments, st.sampled_from(["어제", "yesterday", "그저께"]), _zones, st.times())
def test_a_day_word_with_a_time_is_that_time_that_many_days_before_the_fetch(
    fetched, word, zone, clock
):
    days_back = 2 if word == "그저께" else 1
    written = f"{word} {_clock(word, clock)}"
    parsed = parse_datetime(written, zone, now=fetched)
    assert parsed.value is not None, written
    day = _wall_time_in(fetched, zone).date() - timedelta(days=days_back)
    expected = datetime.combine(day, clock.replace(second=0, microsecond=0))
    # a wall time that a clock change skips is read an hour later
    assert timedelta(0) <= _wall_time_in(parsed.value, zone) - expected <= timedelta(hours=1), (
        written
    )


@PROPERTIES
@given(st.text(max_size=60), _zones)
@example("2082-01-01 09:00", "Asia/Seoul")
@example("2026년 11월 20일 (금) 오전 9:00", "Asia/Seoul")
@example("\x00\x01", "UTC")
def test_any_string_gives_a_date_in_utc_or_none_and_keeps_the_raw(text, zone):
    parsed = parse_datetime(text, zone)
    assert parsed.raw == text
    assert parsed.value is None or parsed.value.utcoffset() == timedelta(0)


# --- text ------------------------------------------------------------------------------------

_fragments = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<br>",
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(2)" onclick="x()">링크</a>',
        "&amp;lt;iframe src=//evil&amp;gt;",
        "&lt;b&gt;",
        "&amp;middot;",
        "\r\n",
        "\u200b",
        "\x00",
        "\t",
        "서울시 스마트",
        "Smart city",
        "  ",
        "&nbsp;",
        "<![CDATA[x]]>",
        "<!-- c -->",
    ]
)
_markup = st.lists(st.one_of(_fragments, st.text(max_size=10)), max_size=12).map("".join)


@PROPERTIES
@given(_markup)
def test_clean_text_is_a_fixed_point(markup):
    once = clean_text(markup)
    assert clean_text(once) == once


@PROPERTIES
@given(_markup)
def test_clean_text_never_carries_live_markup_or_control_characters(markup):
    text = clean_text(markup)
    lowered = text.lower()
    for poison in ("<script", "</script", "onerror=", "onclick=", "<img", "<iframe", "<a "):
        assert poison not in lowered
    assert not any(ch in text for ch in "\x00\r\u200b\ufeff")
    assert text == text.strip()


@PROPERTIES
@given(_markup)
def test_a_clean_line_is_one_line(markup):
    line = clean_line(markup)
    assert "\n" not in line
    assert "\r" not in line
    assert "  " not in line
