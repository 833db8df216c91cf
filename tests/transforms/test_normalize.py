"""Raw item -> normalised item (exact duplicates are collapsed later: tests/warehouse/test_columnar)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers.factories import make_raw, make_source
from transforms import dedupe
from transforms.normalize import normalize, normalize_chunks, shorten

SEOUL = make_source(id="seoul_news", org_type="city", city="Seoul", name="서울특별시 새소식")


def test_a_raw_item_is_cleaned_dated_and_tagged():
    raw = make_raw(
        source_id="seoul_news",
        link="https://news.seoul.example.kr/gov/archives/1?utm_source=rss",
        title="서울시, 따릉이 &amp;middot; 공공자전거 데이터 개방",
        summary_html="<p>따릉이 이용 데이터를 공개한다.</p>",
        article_text="서울시, 따릉이 · 공공자전거 데이터 개방\n서울시는 따릉이 대여·반납 데이터를 공공데이터로 개방한다.",
        article_status=200,
        published_raw="2026-11-18 16:38:15",
    )
    item = normalize(raw, SEOUL)
    assert item.url == "https://news.seoul.example.kr/gov/archives/1"
    assert item.title == "서울시, 따릉이 · 공공자전거 데이터 개방"
    assert (
        item.body_text == "서울시는 따릉이 대여·반납 데이터를 공공데이터로 개방한다."
    )  # title line dropped
    assert item.published_at == datetime(2026, 11, 18, 7, 38, 15, tzinfo=UTC)
    assert item.published_raw == "2026-11-18 16:38:15"
    assert item.published_zone_assumed
    assert item.language == "ko"
    assert item.date_flag is None
    assert [t.value for t in item.tags.cities] == ["Seoul"]
    assert "mobility" in [t.value for t in item.tags.focus_areas]
    assert item.keys == ["url:https://news.seoul.example.kr/gov/archives/1", "guid:seoul_news:g-1"]


def test_without_a_feed_date_the_page_date_is_used():
    item = normalize(
        make_raw(published_raw=None, article_published_raw="2026-11-20T10:00:00+09:00"), SEOUL
    )
    assert item.published_at == datetime(2026, 11, 20, 1, tzinfo=UTC)
    assert not item.published_zone_assumed


def test_dates_far_in_the_future_or_missing_are_flagged_not_dropped():
    future = normalize(make_raw(published_raw="2082-01-01T00:00:00+09:00"), SEOUL)
    assert future.date_flag == "future"
    assert future.published_raw == "2082-01-01T00:00:00+09:00"  # kept as the source wrote it
    assert future.published_at is None  # but never sorted as the newest story
    missing = normalize(make_raw(published_raw=None), SEOUL)
    assert missing.date_flag == "missing"
    assert missing.published_at is None
    garbled = normalize(make_raw(published_raw="조회수 1,024"), SEOUL)
    assert garbled.date_flag == "unparsed"
    assert garbled.published_raw == "조회수 1,024"


def test_a_date_within_a_day_of_the_fetch_is_plausible_and_kept():
    # fetched 2026-11-20 03:00 UTC; a page dated the evening of the 20th in Seoul (11:00 UTC)
    # is ahead of the fetch by hours (time zones, a page's clock), not a typo
    ahead = normalize(make_raw(published_raw="2026-11-20 20:00:00"), SEOUL)
    assert ahead.date_flag is None
    assert ahead.published_at == datetime(2026, 11, 20, 11, tzinfo=UTC)
    # two days ahead is past the tolerance: flagged, and left out of published_at
    beyond = normalize(make_raw(published_raw="2026-11-22 20:00:00"), SEOUL)
    assert (beyond.date_flag, beyond.published_at) == ("future", None)


def test_a_relative_date_is_read_against_the_items_fetch_time():
    # make_raw's item was fetched 2026-11-20 03:00 UTC; normalising it later changes nothing
    hours = normalize(make_raw(published_raw="3시간 전"), SEOUL)
    assert hours.published_at == datetime(2026, 11, 20, 0, tzinfo=UTC)
    assert hours.published_raw == "3시간 전"
    assert hours.date_flag is None
    yesterday = normalize(make_raw(published_raw="yesterday"), SEOUL)
    assert yesterday.published_at == datetime(2026, 11, 19, 3, tzinfo=UTC)


def test_an_entry_without_link_or_guid_still_gets_a_stable_key():
    one = normalize(make_raw(link=None, guid=None), SEOUL)
    two = normalize(make_raw(link=None, guid=None), SEOUL)
    assert one.keys == two.keys
    assert one.keys[0].startswith("text:seoul_news:")
    assert one.item_id == two.item_id


def test_an_item_from_a_source_the_batch_does_not_know_is_an_error():
    with pytest.raises(KeyError, match="unknown source 'ghost'"):
        list(normalize_chunks([make_raw(source_id="ghost")], {"test_feed": make_source()}))


def test_item_ids_are_stable_and_short():
    assert dedupe.item_id_for("url:https://a.example/1") == dedupe.item_id_for(
        "url:https://a.example/1"
    )
    assert len(dedupe.item_id_for("url:https://a.example/1")) == 16


def test_summaries_are_cut_at_a_sentence():
    text = "첫 문장입니다. " * 80
    short = shorten(text, 100)
    assert len(short) <= 100
    assert short.endswith("다.")


def test_released_models_load_again_and_tag_the_same():
    from transforms import language, matching
    from transforms.normalize import release_models

    raw = make_raw(
        title="인천 송도에서 자율주행 셔틀 시범 운행",
        summary_html="<p>인천시는 송도국제도시에서 자율주행 셔틀을 운행한다고 밝혔다.</p>",
    )
    before = normalize(raw, make_source())
    pid = matching.analyser_pid()
    release_models()
    assert not matching.kiwi_loaded()
    assert language._identifier.cache_info().currsize == 0
    after = normalize(raw, make_source())
    assert [c.value for c in after.tags.cities] == [c.value for c in before.tags.cities]
    assert "Incheon" in [c.value for c in after.tags.cities]
    assert after.tags.focus_areas == before.tags.focus_areas
    assert matching.kiwi_loaded()  # loaded again on first use
    assert matching.analyser_pid() not in (None, pid)  # a new process: the old one ended


def test_chunks_analysed_ahead_tag_as_items_normalised_one_by_one():
    from transforms.normalize import ANALYSIS_CHUNK, normalize_chunks

    titles = [
        "부산시, 스마트 횡단보도 설치",
        "Songdo pilots autonomous shuttles",
        "부산물 비료 지원",
    ]
    raws = [
        make_raw(
            seq=n,
            link=f"https://news.example.kr/view/{n}",
            guid=f"g-{n}",
            title=titles[n % 3],
            summary_html=f"<p>인천시는 송도국제도시에서 자율주행 셔틀 {n}대를 운행한다.</p>",
        )
        for n in range(2 * ANALYSIS_CHUNK + 3)  # three chunks, the last one short
    ]
    chunks = list(normalize_chunks(raws, {"test_feed": make_source()}))
    assert [len(chunk) for chunk in chunks] == [ANALYSIS_CHUNK, ANALYSIS_CHUNK, 3]
    alone = [normalize(raw, make_source()).tags for raw in raws]
    assert [item.tags for chunk in chunks for item in chunk] == alone
    assert [c.value for c in alone[0].cities] == ["Busan", "Incheon"]


def test_an_item_without_a_title_is_tagged_from_its_summary_and_body():
    # an RSS item may carry only a description; half the labelled news shows no headline
    news = make_source(id="news", org_type="news")  # no default city: the text alone decides
    described = normalize(
        make_raw(
            source_id="news",
            title="",
            summary_html="<p>울산 울주군은 드론 배송 실증을 확대한다고 밝혔다.</p>",
        ),
        news,
    )
    assert described.title == ""
    assert [t.value for t in described.tags.cities] == ["Ulju"]
    assert {r.field for r in described.tags.cities[0].reasons} <= {"summary", "body"}
    page_only = normalize(
        make_raw(
            source_id="news",
            title=None,
            summary_html=None,
            article_text="Guro-gu installs smart streetlights that dim when streets are empty.",
        ),
        news,
    )
    assert [t.value for t in page_only.tags.cities] == ["Seoul"]
