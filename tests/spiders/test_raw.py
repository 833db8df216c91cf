"""Feed bodies and article pages to raw item fields (feedparser and trafilatura over fixtures)."""

from __future__ import annotations

import json

import pytest

from spiders.raw import extract_article, parse_feed, raw_item_from_entry
from tests.conftest import FIXTURES


def _feed(
    name: str, content_type: str = "application/rss+xml", url: str = "https://x.example.kr/rss"
):
    return parse_feed((FIXTURES / "feeds" / name).read_bytes(), content_type, url)


def _items(name: str, **kwargs):
    feed = _feed(name, **kwargs)
    return [
        raw_item_from_entry(
            entry,
            source_id="s",
            batch_id="b",
            seq=i,
            feed_url="u",
            fetched_at="2026-11-20T00:00:00+00:00",
            feed=feed,
        )
        for i, entry in enumerate(feed.entries)
    ]


def test_mois_feed_keeps_the_kst_date_as_written():
    items = _items("mois_kst.xml")
    assert [i.title for i in items] == [
        "행정안전부, 지방정부 디지털트윈 재난관리 플랫폼 구축",
        "주민등록증 모바일 발급 전국 확대",
    ]
    assert items[0].published_raw == "FRI, 20 NOV 2026 10:00:00 KST"
    assert items[0].authors == ["디지털정부국"]
    assert "<br />" in items[0].summary_html
    assert "대전과 광주" in items[0].summary_html
    assert ";jsessionid=" in items[0].link  # raw stays raw; canonical URLs come later


def test_seoul_feed_keeps_naive_dates_categories_and_full_content():
    first, second = _items("seoul_naive.xml")
    assert first.published_raw == "2026-11-18 16:38:15"
    assert first.updated_raw is None  # not feedparser's copy of the publication date
    assert first.categories == ["교통", "데이터"]
    assert first.guid == "https://news.seoul.example.kr/gov/?p=590001"
    assert "대여·반납 데이터를 공공데이터로 개방" in first.content_html
    assert first.feed_language == "ko-KR"
    assert second.link == "https://news.seoul.example.kr/gov/archives/590002"


def test_atom_links_resolve_against_the_feed_url_and_missing_dates_stay_missing():
    first, second = _items(
        "atom_news.xml",
        content_type="application/atom+xml",
        url="https://www.koreadaily.example/rss/all.xml",
    )
    assert first.link == "https://www.koreadaily.example/view/AEN20261120000100"
    assert first.published_raw == "2026-11-20T08:30:00+09:00"
    assert first.updated_raw == "2026-11-20T09:00:00+09:00"
    assert second.published_raw is None
    assert second.updated_raw is None


@pytest.mark.parametrize("name", ["euckr_declared.xml", "euckr_undeclared.xml"])
def test_euc_kr_feeds_give_korean_titles(name):
    (item,) = _items(name, content_type="text/xml")
    assert item.title == "부산시, 해운대 스마트 횡단보도 설치"
    assert "똠방각하 뷁" in item.summary_html
    assert item.feed_encoding == "cp949"


def test_an_html_page_where_a_feed_was_expected_is_an_error_not_an_empty_feed():
    feed = _feed("html_error.html", content_type="text/html; charset=utf-8")
    assert feed.entries == []
    assert feed.error == "not a feed: the server sent an HTML page (text/html)"


def test_a_truncated_feed_keeps_the_complete_entries_and_says_it_is_malformed():
    feed = _feed("broken.xml")
    titles = [e["title"] for e in feed.entries]
    assert titles[:2] == ["인천시, 송도 자율주행 셔틀 정식 운행", "청라 스마트 가로등 설치"]
    assert feed.error is None
    assert feed.warning is not None
    assert "SAXParseException" in feed.warning


def test_a_body_that_is_not_xml_at_all_is_an_error_that_says_why():
    feed = parse_feed(
        b"<?xml version='1.0'?><nonsense><<<", "application/xml", "https://x.example/rss"
    )
    assert feed.entries == []
    assert feed.error.startswith("not a readable feed: ")


def test_an_empty_but_valid_feed_is_not_an_error():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    feed = parse_feed(body, "application/rss+xml", "https://x.example/rss")
    assert feed.entries == []
    assert feed.error is None


def test_article_text_leaves_the_navigation_and_footer_out():
    page = (FIXTURES / "pages/mois_article.html").read_bytes()
    article = extract_article(page, "text/html; charset=UTF-8", "https://www.mois.example.kr/a")
    assert "플랫폼은 하천 수위와 강우 정보" in article.text
    assert "대전광역시와 광주광역시가 첫 시범 지역" in article.text
    for boilerplate in ("정책정보", "대표전화", "All Rights Reserved"):
        assert boilerplate not in article.text
    assert article.published_raw == "2026-11-20T10:00:00+09:00"
    assert article.language == "ko"
    assert article.canonical.endswith("nttId=118001")


def test_an_euc_kr_article_page_is_decoded_from_its_meta_charset():
    page = (FIXTURES / "pages/busan_euckr_article.html").read_bytes()
    article = extract_article(page, "text/html", "https://www.busan-ilbo.example.kr/news/1")
    assert "스마트 횡단보도를 설치한다고 밝혔다" in article.text
    assert "똠방각하" in article.text


# --- the real pages and feeds in ../shared/realdata -----------------------------------------


@pytest.mark.realdata
def test_real_seoul_article_page(realdata):
    page = (realdata / "koreanewskorea/seoul_detail.html").read_bytes()
    article = extract_article(
        page, "text/html; charset=UTF-8", "https://news.seoul.go.kr/gov/archives/574155"
    )
    assert article.title == "2026년 1월 주요 시민안내사항"
    assert article.published_raw == "2026-01-05T10:08:31+09:00"
    assert article.text.startswith("2026년 1월 주요 시민안내사항을 알려드립니다.")


@pytest.mark.realdata
@pytest.mark.parametrize("number", [1, 2])
def test_real_yonhap_english_pages(realdata, number):
    (record,) = json.loads(
        (realdata / f"scrapping-webs/yonhap_en_test_article_{number}.json").read_text()
    )
    raw = record["raw_response"]
    article = extract_article(
        raw["content"].encode("utf-8"), raw["content_type"], "https://en.yna.co.kr/view/x"
    )
    assert article.published_raw == record["parsed_data"]["published_at"][0]
    assert article.language == "en"
    assert "Samsung" in article.text or "NAVER" in article.text


@pytest.mark.realdata
def test_real_korean_press_feed_with_iso_dates_in_pubdate(realdata):
    feed = parse_feed(
        (realdata / "knews-rss/tech.xml").read_bytes(), "application/rss+xml", "https://x/"
    )
    assert feed.error is None
    assert len(feed.entries) > 100
    first = raw_item_from_entry(
        feed.entries[0],
        source_id="s",
        batch_id="b",
        seq=0,
        feed_url="u",
        fetched_at="2026-11-20T00:00:00+00:00",
        feed=feed,
    )
    assert first.title == "대우건설 '푸르지오', 한국서비스대상 2년 연속 아파트부문 종합대상"
    assert first.published_raw == "2021-07-07T16:42:34.000Z"


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("chardet_euckr.xml", "EUC-KR 에서 TypeKey 한글닉네임 표시하기"),
    ],
)
def test_real_undeclared_euc_kr_feed(realdata, name, title):
    feed = parse_feed(
        (realdata / "feedparser" / name).read_bytes(), "application/xml", "https://x/"
    )
    assert feed.entries[0]["title"] == title


@pytest.mark.realdata
def test_real_declared_euc_kr_feed(realdata):
    feed = parse_feed(
        (realdata / "feedparser/euc-kr.xml").read_bytes(), "application/xml", "https://x/"
    )
    assert feed.encoding == "cp949"


def test_the_real_response_headers_reach_feedparser():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title></item></channel></rss>'
    feed = parse_feed(
        body, "application/rss+xml", "https://x.example/rss", {"Content-Language": "ko-KR"}
    )
    assert feed.language == "ko-KR"  # the feed itself says nothing; the server's header does


@pytest.mark.realdata
def test_real_seoul_page_shows_its_kogl_type_and_attachment(realdata):
    page = (realdata / "koreanewskorea/seoul_detail.html").read_bytes()
    article = extract_article(
        page, "text/html; charset=UTF-8", "https://news.seoul.go.kr/gov/archives/574155"
    )
    assert article.licence == "KOGL-4"
    (attachment,) = article.attachments
    assert attachment["kind"] == "pdf"
    assert attachment["url"].startswith("https://news.seoul.go.kr/gov/files/2025/12/")
