"""Feed bodies and article pages to raw item fields (feedparser and trafilatura over fixtures)."""

from __future__ import annotations

import json
import re

import pytest
from lxml import html as lxml_html
from parsel import Selector

from cityradar.items import RawItem
from cityradar.registry import Selectors
from spiders.raw import (
    extract_article,
    find_attachments,
    find_kogl_licence,
    identify_download,
    parse_feed,
    parse_list,
    raw_item_from_entry,
    story_title,
)
from tests.helpers.paths import FIXTURES
from transforms.normalize import clean_fields


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
    assert first.listing_language == "ko-KR"
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


# --- the text the tagger reads is the story: page chrome stays out --------------------------

CHROME_MARKERS = (
    "홈 >",
    "HOME >",
    "담당부서",
    "담당자",
    "연락처",
    "전화번호",
    "조회수",
    "조회 ",
    "공공누리",
    "만족도",
    "만족하십니까",
    "페이스북",
    "트위터",
    "카카오톡",
    "인쇄",
    "스크랩",
    "글자크기",
    "이전글",
    "다음글",
    "목록",
    "사진=",
    "사진 제공",
    "별첨",
    "무단전재",
    "ⓒ",
    "©",
    "본문 시작",
)
PHONE = re.compile(r"\d{3,4}-\d{4}")


def _story_body(article, title: str | None = None) -> str:
    """The body_text normalisation makes of an article page (the title as the crawl gives it)."""
    raw = RawItem(
        source_id="s",
        batch_id="b",
        seq=0,
        listing_url="u",
        fetched_at="2026-11-24T00:00:00+00:00",
        title=title,
        article_title=article.title,
        article_text=article.text,
    )
    return clean_fields(raw).body


def _assert_no_chrome(body: str, *also: str) -> None:
    for marker in (*CHROME_MARKERS, *also):
        assert marker not in body, marker
    assert not PHONE.search(body)


def _paragraphs(page: bytes, xpath: str) -> list[str]:
    """The page's own paragraphs: text of the elements an XPath names, whitespace collapsed."""
    tree = lxml_html.fromstring(page)
    texts = (" ".join(node.text_content().split()) for node in tree.xpath(xpath))
    return [text for text in texts if text]


@pytest.mark.parametrize("body_selector", [None, "div.view_cont"])
def test_a_government_release_keeps_its_story_and_loses_its_chrome(body_selector):
    page = (FIXTURES / "pages/gov_release_chrome.html").read_bytes()
    chosen = Selectors(item="-", body=body_selector) if body_selector else None
    article = extract_article(
        page, "text/html; charset=UTF-8", "https://www.hanbit.example.kr/a", chosen
    )
    story = _paragraphs(page, "//div[@class='view_cont']/p[contains(., '다.')]")
    (heading,) = _paragraphs(page, "//h3[@class='view_title']")
    assert article.title == heading  # not "한빛시청누리집 - 보도자료 |"
    body = _story_body(article)
    assert body.startswith(story[0])
    assert all(paragraph in body for paragraph in story)
    assert body.splitlines()[-1] == story[-1]
    _assert_no_chrome(body, heading, "전광판.", "첨부파일", "보도자료")


@pytest.mark.parametrize("body_selector", [None, "#article_body"])
def test_a_news_article_loses_byline_share_bar_caption_related_and_copyright(body_selector):
    page = (FIXTURES / "pages/news_article_chrome.html").read_bytes()
    chosen = Selectors(item="-", body=body_selector) if body_selector else None
    article = extract_article(page, "text/html; charset=UTF-8", "https://news.example.kr/1", chosen)
    story = _paragraphs(page, "//div[@id='article_body']/p[contains(., '다.')]")
    (caption,) = _paragraphs(page, "//p[@class='photo_txt']")
    related = _paragraphs(page, "//div[@class='related_news']//a")
    assert article.title == "해운대구, 스마트 그늘막 40곳 추가 설치"  # the site's name is gone
    body = _story_body(article)
    assert body.splitlines() == story
    _assert_no_chrome(body, caption, *related, "기자", "@", "관련기사")


def test_feed_content_loses_captions_share_lines_and_footers():
    english, korean = (
        clean_fields(item) for item in _items("chrome_content.xml", url="https://x/")
    )
    assert [line for line in english.body.splitlines() if line] == [
        "Tampere is fitting 300 street lamps with sensors that count passing cyclists and "
        "pedestrians, the city said on Monday.",
        "The counts feed an open data portal that planners use to decide where new cycle lanes "
        "go first.",
    ]
    assert english.summary == "Tampere is fitting street lamps with sensors that count cyclists."
    for field in (korean.body, korean.summary):
        lines = [line for line in field.splitlines() if line]
        assert len(lines) == 2
        assert lines[0].endswith("24일 밝혔다.")
        assert lines[1].endswith("스스로 올린다.")
        _assert_no_chrome(field, "@", "기사제공")


def _page(body: str):
    return lxml_html.fromstring(f"<html><head><title>t</title></head><body>{body}</body></html>")


def test_a_page_title_keeps_only_the_story_heading_it_wraps():
    page = _page(
        "<h1 class='logo'>Example News</h1><h1>Seoul opens smart shelters</h1><h2>Key points</h2>"
    )
    text = "Seoul opens smart shelters\nKey points\nThe city opened 20 shelters."
    assert story_title("Seoul opens smart shelters | Example News", page, text) == (
        "Seoul opens smart shelters"
    )
    assert story_title("Seoul opens smart shelters", page, text) == "Seoul opens smart shelters"


def test_a_page_title_naming_only_site_and_board_gives_the_heading_above_the_story():
    page = _page(
        "<nav><h2>보도자료</h2></nav><h1>보도자료</h1><h3 class='view_title'>한빛시, 주차 안내 시범 운영</h3>"
    )
    text = "보도자료\n한빛시, 주차 안내 시범 운영\n한빛시는 시범 운영한다고 밝혔다."
    assert story_title("한빛시청누리집 - 보도자료 |", page, text) == "한빛시, 주차 안내 시범 운영"
    # no heading of the story in sight: the page's title, its dangling bar gone
    assert story_title("한빛시청누리집 - 보도자료 |", page, "본문") == "한빛시청누리집 - 보도자료"


# --- the same on the real pages in ../shared/realdata -----------------------------------------


@pytest.mark.realdata
def test_real_jeonnam_release_body_is_the_story_and_its_heading_the_title(realdata):
    page = (realdata / "jeonnam/debug_jeonnam_page.html").read_bytes()
    article = extract_article(
        page, "text/html; charset=UTF-8", "https://www.jeonnam.go.kr/M7116/boardView.do?seq=1"
    )
    (heading,) = _paragraphs(page, "//div[@class='bbs_view']/h3[@class='view_title']")
    assert article.title == heading  # not the page's "전라남도청누리집 - 보도자료 |"
    # the release is the text between the <br>s of its body element
    tree = lxml_html.fromstring(page)
    (content,) = tree.xpath("//div[@class='bbs_view_contnet']")
    pieces = [" ".join(t.split()) for t in [content.text, *(c.tail for c in content)] if t]
    story = [piece for piece in pieces if piece.endswith("다.")]
    assert len(story) >= 8
    body = _story_body(article)
    lines = body.splitlines()
    assert story[0] in lines[:3]  # below the release's two subheads at most
    assert all(paragraph in lines for paragraph in story)  # the middle and the last too
    assert lines[-1] == story[-1]
    assert heading not in lines
    _assert_no_chrome(body, "첨부)", "콘텐츠 관리부서", "도정을 이루겠습니다")


@pytest.mark.realdata
def test_real_jeonnam_release_yields_its_three_attachments(realdata):
    # the links say only "다운로드"; the names are in title attributes and span.fileNM, and each
    # file is linked twice (a boardDown.do href, and onclick on href="javascript:;")
    page = (realdata / "jeonnam/debug_jeonnam_page.html").read_bytes()
    article = extract_article(
        page, "text/html; charset=UTF-8", "https://www.jeonnam.go.kr/M7116/boardView.do?seq=1"
    )
    found = [(a["name"], a["kind"]) for a in article.attachments]
    assert found == [
        ("해수부 복합해양레저관광도시 공모에 여수시 선정.hwp", "hwp"),
        ("복합해양레저관광도시 공모-사업구상도.jpg", "jpg"),
        ("여수 복합해양레저관광도시 조성 공모 선정 환영문.hwp", "hwp"),
    ]
    assert [a["url"] for a in article.attachments] == [
        f"https://www.jeonnam.go.kr/boardDown.do?boardId=M7116&seq=1960422&fileLinkTp=F"
        f"&fileLinkSeq={n}"
        for n in (1, 2, 3)
    ]


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        # the file name in the title attribute, the link text a verb
        (
            '<a href="/fileDown.do?id=7" title="계획서.pdf 다운로드">다운로드</a>',
            [("계획서.pdf", "pdf", "https://city.example.kr/fileDown.do?id=7")],
        ),
        # the name beside the link, the download opened by a script
        (
            '<li><span class="fileNM">붙임1.hwpx</span>'
            '<a href="javascript:;" onclick="fn_down(\'/atchFile/get.do?f=9\')">받기</a></li>',
            [("붙임1.hwpx", "hwpx", "https://city.example.kr/atchFile/get.do?f=9")],
        ),
        # a download handler with no name anywhere: kept, its kind unknown
        (
            '<a href="/common/download.do?seq=3">첨부파일</a>',
            [("첨부파일", "unknown", "https://city.example.kr/common/download.do?seq=3")],
        ),
        # a viewer beside the download: the file is the download's alone
        (
            '<p><a href="/download.do?fileId=1">보도자료.hwpx</a> '
            '<a href="/docViewer.do?fileId=1">바로보기</a></p>',
            [("보도자료.hwpx", "hwpx", "https://city.example.kr/download.do?fileId=1")],
        ),
        # eGovFrame's common download script (Sejong's board), in href or onclick
        (
            "<a href=\"javascript:fn_egov_downFile('FILE_000000000123','0')\">보도자료.hwpx</a>"
            "<a href=\"#\" onclick=\"fn_egov_downFile('FILE_000000000123', '1'); return false;\">"
            "붙임.pdf</a>",
            [
                (
                    "보도자료.hwpx",
                    "hwpx",
                    "https://city.example.kr/cmm/fms/FileDown.do?atchFileId=FILE_000000000123&fileSn=0",
                ),
                (
                    "붙임.pdf",
                    "pdf",
                    "https://city.example.kr/cmm/fms/FileDown.do?atchFileId=FILE_000000000123&fileSn=1",
                ),
            ],
        ),
        # links that are no files: a page, a script without a download path, Node.js
        ('<a href="/board/view.do?seq=3">보도자료</a>', []),
        ('<a href="javascript:;" onclick="fn_view(\'/board/view.do\')">보기</a>', []),
        ('<a href="/tech/node">Node.js</a>', []),
    ],
)
def test_attachments_are_found_by_target_title_and_name_beside_the_link(anchor, expected):
    page = Selector(text=f"<html><body><div>{anchor}</div></body></html>")
    found = find_attachments(page, "https://city.example.kr/board/view.do?seq=1", None)
    assert [(a["name"], a["kind"], a["url"]) for a in found] == expected


_DOWNLOAD = {"url": "https://city.example.kr/fileDown.do?atchFileId=7", "name": "다운로드"}


@pytest.mark.parametrize(
    ("found", "body", "content_type", "disposition", "expected"),
    [
        # the server names the file: name and kind from it
        (
            {**_DOWNLOAD, "kind": "unknown"},
            b"PK...",
            "application/octet-stream",
            b"attachment; filename*=UTF-8''%EA%B3%84%ED%9A%8D%EC%84%9C.hwpx",
            {"name": "계획서.hwpx", "kind": "hwpx"},
        ),
        # no name: the Content-Type, else the first bytes, tell the kind
        (
            {**_DOWNLOAD, "kind": "unknown"},
            b"...",
            "application/pdf",
            None,
            {"name": "다운로드", "kind": "pdf"},
        ),
        (
            {**_DOWNLOAD, "kind": "unknown"},
            b"%PDF-1.4 ...",
            "application/octet-stream",
            None,
            {"name": "다운로드", "kind": "pdf"},
        ),
        (
            {**_DOWNLOAD, "kind": "unknown"},
            b"<html>login</html>",
            "text/html",
            None,
            {"name": "다운로드", "kind": "unknown"},
        ),
        # what the page named stays: a file name, and a kind already known
        (
            {**_DOWNLOAD, "name": "붙임1.pdf", "kind": "pdf"},
            b"%PDF-1.4",
            "application/pdf",
            b'attachment; filename="attach_0001.pdf"',
            {"name": "붙임1.pdf", "kind": "pdf"},
        ),
        # a link named "다운로드" to /files/a.pdf: the kind was known, the name was not
        (
            {"url": "https://city.example.kr/files/a.pdf", "name": "다운로드", "kind": "pdf"},
            b"%PDF-1.4",
            "application/octet-stream",
            "attachment; filename=붙임 1.pdf".encode("euc-kr"),
            {"name": "붙임 1.pdf", "kind": "pdf"},
        ),
    ],
)
def test_a_download_tells_the_name_and_kind_its_link_did_not(
    found, body, content_type, disposition, expected
):
    assert identify_download(found, body, content_type, disposition) == expected


@pytest.mark.realdata
@pytest.mark.parametrize("body_selector", [None, "div.board_view_body"])
def test_real_gwangju_release_loses_its_caption_and_notes(realdata, body_selector):
    page = (realdata / "gwangju/gwangju_detail_dump.html").read_bytes()
    chosen = Selectors(item="-", body=body_selector) if body_selector else None
    article = extract_article(
        page,
        "text/html; charset=UTF-8",
        "https://www.gwangju.go.kr/boardView.do?pageId=www789&boardId=BD_0000000027&seq=21180",
        chosen,
    )
    tree = lxml_html.fromstring(page)
    (content,) = tree.xpath("//div[@class='board_view_body']")
    pieces = [" ".join(t.split()) for t in [content.text, *(c.tail for c in content)] if t]
    story = [p.removesuffix("<끝>").strip() for p in pieces if "다." in p]
    (caption,) = _paragraphs(page, "//div[@class='viewimg_comment']")
    body = _story_body(article)
    assert body.splitlines() == story  # opening first, every paragraph, the last one last
    _assert_no_chrome(body, caption, "<끝>")


@pytest.mark.realdata
def test_real_seoul_page_loses_its_kogl_notice(realdata):
    page = (realdata / "koreanewskorea/seoul_detail.html").read_bytes()
    article = extract_article(
        page, "text/html; charset=UTF-8", "https://news.seoul.go.kr/gov/archives/574155"
    )
    paragraphs = _paragraphs(page, "//div[@id='post_content']/p")
    body = _story_body(article)
    assert body.startswith(paragraphs[0])
    assert body.splitlines()[-1] == paragraphs[-1]
    _assert_no_chrome(body)


@pytest.mark.realdata
@pytest.mark.parametrize("number", [1, 2])
def test_real_yonhap_title_loses_the_agency_name_and_the_body_keeps_every_line(realdata, number):
    (record,) = json.loads(
        (realdata / f"scrapping-webs/yonhap_en_test_article_{number}.json").read_text()
    )
    raw = record["raw_response"]
    page = raw["content"].encode("utf-8")
    article = extract_article(page, raw["content_type"], "https://en.yna.co.kr/view/x")
    (heading,) = _paragraphs(page, "//h1[@class='tit']")
    assert article.title == heading
    tree = lxml_html.fromstring(page)
    (story,) = tree.xpath("//article[@class='story-news']")
    lines = [" ".join(t.split()) for t in story.itertext() if t.strip()]
    body = " ".join(_story_body(article).split())
    assert not body.startswith(heading)
    assert all(line in body for line in lines)


@pytest.mark.realdata
def test_real_chicago_page_keeps_all_its_paragraphs(realdata):
    page = (realdata / "city-scrapers/chi_plan_commission.html").read_bytes()
    article = extract_article(page, "text/html", "https://www.chicago.gov/x.html")
    paragraphs = _paragraphs(page, "//div[@class='col p-0']/p")
    body = _story_body(article)
    assert len(paragraphs) == 3
    assert body.startswith(paragraphs[0])
    assert all(paragraph in body for paragraph in paragraphs)


# --- list pages: titles the board cut ---------------------------------------------------------

GWANGJU_ROWS = Selectors(
    item="div.board_list_body > div.body_row",
    link="div.subject a::attr(href)",
    title="div.subject a",
    date="div.date",
)


@pytest.mark.realdata
def test_real_gwangju_board_titles_are_whole_where_the_list_cut_them(realdata):
    page = (realdata / "gwangju/gwangju_dump.html").read_bytes()
    entries = parse_list(
        page, "text/html; charset=UTF-8", "https://www.gwangju.go.kr/boardList.do", GWANGJU_ROWS
    )
    assert len(entries) == 10
    assert not [e.title for e in entries if e.title.endswith(("...", "…"))]
    assert entries[0].title == (
        "금호타이어 광주공장 화재에 따른 보건환경연구원 대기환경이동측정차량 실시간 측정데이터 공개(12월 04일)"
    )
    assert entries[0].date == "2025-12-05"


@pytest.mark.parametrize(
    ("anchor", "title"),
    [
        (
            '<a href="/v?1" title="스마트 버스정류장 100곳 설치">스마트 버스정류장…</a>',
            "스마트 버스정류장 100곳 설치",
        ),
        (
            '<a href="/v?1" title="스마트 버스정류장 100곳 설치">스마트 버스정류장...</a>',
            "스마트 버스정류장 100곳 설치",
        ),
        # a title attribute that is not the whole of the cut text is not taken
        ('<a href="/v?1" title="새 창으로 열림">스마트 버스정류장...</a>', "스마트 버스정류장..."),
        # an uncut title stays as written, whatever the attribute says
        (
            '<a href="/v?1" title="보도자료 상세">스마트 버스정류장 설치</a>',
            "스마트 버스정류장 설치",
        ),
    ],
)
def test_a_cut_list_title_gives_way_to_the_links_title_attribute(anchor, title):
    page = f"<html><body><ul><li>{anchor}</li></ul></body></html>".encode()
    (entry,) = parse_list(
        page, "text/html; charset=UTF-8", "https://city.example.kr/", Selectors(item="li")
    )
    assert entry.title == title


# --- list pages: links opened by script ---------------------------------------------------------

SCRIPTED_LIST = b"""<html><body><table><tbody>
<tr><td><a href="javascript:;" onclick="fn_detail(123); return false;">Smart city pilots</a></td></tr>
<tr><td><a href="#none" onclick="fnView('A-77')">Drone deliveries</a></td></tr>
<tr onclick="goView(&quot;9&quot;, 'x')"><td><a href="javascript:void(0)">Digital twin</a></td></tr>
<tr><td><a href="javascript:;">No argument</a></td></tr>
</tbody></table></body></html>"""


def test_links_opened_by_script_become_article_urls_by_the_sources_template():
    selectors = Selectors(item="tbody tr", article_url="/eng/view.do?seq={id}")
    entries = parse_list(
        SCRIPTED_LIST, "text/html", "https://www.msit.go.kr/eng/list.do", selectors
    )
    assert [(e.title, e.link) for e in entries] == [
        ("Smart city pilots", "https://www.msit.go.kr/eng/view.do?seq=123"),
        ("Drone deliveries", "https://www.msit.go.kr/eng/view.do?seq=A-77"),
        ("Digital twin", "https://www.msit.go.kr/eng/view.do?seq=9"),
    ]


def test_without_a_template_links_opened_by_script_are_left_out():
    entries = parse_list(
        SCRIPTED_LIST, "text/html", "https://www.msit.go.kr/eng/list.do", Selectors(item="tbody tr")
    )
    assert entries == []


def test_an_article_url_template_without_its_id_is_refused():
    with pytest.raises(ValueError, match=r"needs \{id\}"):
        Selectors(item="tr", article_url="/view.do?seq=")


@pytest.mark.parametrize(
    ("body", "licence"),
    [
        ('<img src="/images/kogl/open_type3.png" alt="">', "KOGL-3"),
        ('<img src="/x.png" alt="공공누리 제2유형: 출처표시+상업적 이용금지">', "KOGL-2"),
        (
            "<div><p>본 저작물은 공공누리 제4유형 조건에 따라 이용할 수 있습니다.</p></div>",
            "KOGL-4",
        ),
        ("<p>공공누리는 공공저작물 자유이용 허락 표시제도입니다.</p>", None),
    ],
)
def test_kogl_type_from_the_badge_or_the_notice(body, licence):
    page = Selector(text=f"<html><body><main>{body}</main></body></html>")
    assert find_kogl_licence(page) == licence
