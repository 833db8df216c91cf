"""Each HTML board of the registry, with its shipped selectors, over a page shaped like the real one."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request

from cityradar.items import RawItem, SourceState
from cityradar.registry import load_sources
from cityradar.staging import Batch
from spiders import raw
from spiders.html_list import HtmlListSpider, page_url
from tests.helpers.paths import FIXTURES
from transforms.dates import parse_datetime
from transforms.urls import canonical_url

REPO = Path(__file__).resolve().parents[2]
SOURCES = {s.id: s for s in load_sources(REPO / "sources.yaml")}

# board id -> (first entry's title, its date as the site writes it, its canonical URL)
EXPECTED = {
    "korea_kr_press": (
        "국토교통부, 스마트시티 국가시범도시 2단계 사업 착수",
        "2026.11.20",
        "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156740101",
    ),
    "molit_press_list": (
        "국토부, 도심항공교통 실증 2단계 노선 확정",
        "2026-11-20",
        "https://www.molit.go.kr/USR/NEWS/m_71/dtl.jsp?id=95091234",
    ),
    "mois_press_list": (
        "디지털플랫폼정부 공공서비스 혁신 과제 발표",
        "2026.11.20",
        "https://www.mois.go.kr/frt/bbs/type010/commonSelectBoardArticle.do"
        "?bbsId=BBSMSTR_000000000008&nttId=118101",
    ),
    "msit_en_press": (
        "MSIT to expand 6G testbeds in Daejeon and Gwangju",
        "2026-11-20",
        "https://www.msit.go.kr/eng/bbs/view.do?bbsSeqNo=42&mId=4&mPid=2&nttSeqNo=1040&sCode=eng",
    ),
    "busan_press": (
        "부산시, 에코델타시티 스마트 물관리 본격 운영",
        "2026-11-20",
        "https://www.busan.go.kr/nbtnewsBU/1701234",
    ),
    "incheon_press": (
        "인천시, 송도 자율주행 셔틀 정식 운행",
        "2026-11-20",
        "https://www.incheon.go.kr/IC010205/view?repDt=2026-11-20&repSeq=DOM_0000000012345",
    ),
    "sejong_press": (
        "세종시, 5-1생활권 스마트시티 실증 서비스 공개",
        "2026-11-20",
        "https://www.sejong.go.kr/bbs/R0079/view.do?cmsNoStr=&kind=&mno=sub02_0401"
        "&nttId=B000000118801Xy2Zw",
    ),
    "ifez_press": (
        "송도 바이오 클러스터 스마트 물류 로봇 도입",
        "2026.11.20",
        "https://www.ifez.go.kr/main/pst/view.do?pst_id=noti03&pst_sn=60812",
    ),
    "daegu_newsroom": (
        "대구시, 수성알파시티 자율주행 실증 확대",
        "2026.11.20",
        "https://info.daegu.go.kr/newshome/mtnmain.php?aid=281234&mkey=scatelist&mkey2=26&mtnkey=articleview",
    ),
    "jeonnam_gwangju_list": (
        "광주 AI 데이터센터 2단계 준공",
        "2026-11-20",
        "https://www.jeonnam.go.kr/M7116/boardView.do?menuId=jeonnam0202000000&seq=2104551",
    ),
    "gwangju_press": (
        "광주시, 첨단3지구 인공지능 집적단지에 자율주행 실증 노선 추가 개통",  # cut in the list
        "2026-11-20",
        "https://www.gwangju.go.kr/boardView.do?boardId=BD_0000000027&pageId=www789&seq=22101",
    ),
}
FIXTURE_OF = {"jeonnam_gwangju_list": "jeonnam_gwangju_list.html"}


def respond(url: str, body: bytes, **kwargs) -> HtmlResponse:
    return HtmlResponse(
        url=url,
        body=body,
        request=Request(url, **kwargs),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def crawl_list_page(tmp_path, source_id: str, body: bytes, bundle: bytes | None = None):
    """One list page through the spider; a bundle board's first bundle is answered with
    ``bundle`` (its own fixture by default), the others are returned unanswered."""
    source = SOURCES[source_id]
    spider = HtmlListSpider(source=source, batch=Batch.create(tmp_path, [source]))
    first = source.pagination.start if source.pagination else 0
    outputs = list(spider.parse_list(respond(source.url, body), page=first))
    bundles = [o for o in outputs if isinstance(o, Request) and "bundle" in o.cb_kwargs]
    if bundles:
        page = bundle or (FIXTURES / "boards" / f"{source_id}_bundle.html").read_bytes()
        opened = respond(bundles[0].url, page, cb_kwargs=bundles[0].cb_kwargs)
        outputs += list(spider.parse_bundle(opened, **bundles[0].cb_kwargs))
    items = [
        o.cb_kwargs["item"] if isinstance(o, Request) and "item" in o.cb_kwargs else o
        for o in outputs
        if isinstance(o, RawItem) or "item" in getattr(o, "cb_kwargs", {})
    ]
    pages = [o for o in outputs if isinstance(o, Request) and "page" in o.cb_kwargs]
    return source, spider, items, pages


def test_every_enabled_board_has_a_fixture_and_expectations():
    boards = {s.id for s in SOURCES.values() if s.kind == "html" and s.enabled}
    assert boards == set(EXPECTED)


@pytest.mark.parametrize("source_id", sorted(EXPECTED))
def test_board_entries_come_out_of_a_page_shaped_like_the_real_one(tmp_path, source_id):
    body = (FIXTURES / "boards" / FIXTURE_OF.get(source_id, f"{source_id}.html")).read_bytes()
    source, spider, items, pages = crawl_list_page(tmp_path, source_id, body)
    title, date, url = EXPECTED[source_id]
    assert len(items) == 3
    first = items[0]
    assert first.title == title
    assert first.published_raw == date
    assert canonical_url(first.link, source.drop_params) == url
    assert parse_datetime(first.published_raw, source.timezone).value is not None
    assert all(i.title and i.link.startswith("https://") for i in items)
    assert spider.state.items_seen == 3
    assert spider.state.selector_miss is None
    (next_page,) = pages  # the next list page is asked for
    assert next_page.url == page_url(
        source.url, source.pagination.param, source.pagination.start + 1
    )


def test_a_board_whose_selectors_stop_matching_says_so(tmp_path):
    redesigned = b"<html><body><div class='new-layout'><a href='/x'>same news, new markup</a></div></body></html>"
    _, spider, items, pages = crawl_list_page(tmp_path, "sejong_press", redesigned)
    assert items == []
    assert pages == []
    assert spider.state.status("finished") == "empty"
    assert spider.state.error_text("finished") == (
        "list selector \"table tbody tr:has(td[data-cell-header='제목'] a)\" matched no entry"
        " on https://www.sejong.go.kr/bbs/R0079/list.do"
    )


def test_sejong_dates_come_from_the_registration_cell_not_a_date_in_the_title(tmp_path):
    body = (FIXTURES / "boards/sejong_press.html").read_bytes()
    _, _, items, _ = crawl_list_page(tmp_path, "sejong_press", body)
    assert items[2].title == "시민참여 예산 온라인 투표 (2026.12.01.~12.10.) 시작"
    assert items[2].published_raw == "2026-11-18"


def test_busan_titles_leave_out_department_phone_and_date(tmp_path):
    body = (FIXTURES / "boards/busan_press.html").read_bytes()
    _, _, items, _ = crawl_list_page(tmp_path, "busan_press", body)
    assert [i.title for i in items] == [
        "부산시, 에코델타시티 스마트 물관리 본격 운영",
        "해운대 스마트 횡단보도 20곳 설치",
        "[설명] 부산항 자율운항 실증 관련",
    ]
    assert [i.published_raw for i in items] == ["2026-11-20", "2026-11-19", "2026-11-18"]
    assert items[0].summary_html == "에코델타시티 전역의 정수·배수 시설을 한 곳에서 관리한다"
    assert items[2].summary_html is None


def test_daegu_rows_are_bundles_whose_pages_hold_the_releases(tmp_path):
    source = SOURCES["daegu_newsroom"]
    body = (FIXTURES / "boards/daegu_newsroom.html").read_bytes()
    spider = HtmlListSpider(source=source, batch=Batch.create(tmp_path, [source]))
    outputs = list(spider.parse_list(respond(source.url, body), page=1))
    bundles = [o for o in outputs if "bundle" in o.cb_kwargs]
    # header row and the javascript: file link are no bundles; the rows are asked for as lists
    base = "https://info.daegu.go.kr/newshome/mtnmain.php"
    assert [canonical_url(b.url, source.drop_params) for b in bundles] == [
        f"{base}?aid={aid}&mkey=scatelist&mkey2=26&mtnkey=articleview"
        for aid in (281200, 281180, 281160)
    ]
    assert [b.cb_kwargs["bundle"].date for b in bundles] == [
        "2026.11.20",
        "2026.11.19",
        "2026-11-18",
    ]
    assert {b.meta["cityradar_kind"] for b in bundles} == {"list"}
    assert spider.state.items_seen == 0  # a bundle row is not an entry

    page = (FIXTURES / "boards/daegu_newsroom_bundle.html").read_bytes()
    first = bundles[0]
    releases = list(spider.parse_bundle(respond(first.url, page), **first.cb_kwargs))
    items = [r.cb_kwargs["item"] for r in releases]
    assert [i.title for i in items] == [
        "대구시, 수성알파시티 자율주행 실증 확대",
        "AI 기반 폭염 취약계층 돌봄 서비스 시행",
        "대구 도심 스마트 주차 안내 시스템 개통",
    ]
    assert {i.published_raw for i in items} == {"2026.11.20"}  # the bundle row's date
    assert {i.listing_url for i in items} == {first.url}
    assert [r.callback for r in releases] == [spider.parse_article] * 3  # then the articles
    # the same release in another bundle is not listed twice
    again = list(spider.parse_bundle(respond(bundles[1].url, page), **bundles[1].cb_kwargs))
    assert again == []
    assert spider.state.items_seen == 3


def test_a_later_crawl_stops_paging_at_bundle_pages_read_before(tmp_path):
    source = SOURCES["daegu_newsroom"]
    body = (FIXTURES / "boards/daegu_newsroom.html").read_bytes()
    first = HtmlListSpider(source=source, batch=Batch.create(tmp_path / "first", [source]))
    outputs = list(first.parse_list(respond(source.url, body), page=1))
    bundles = [o.url for o in outputs if "bundle" in o.cb_kwargs]
    assert [o for o in outputs if "page" in o.cb_kwargs]  # nothing read before: page on

    batch = Batch.create(tmp_path / "later", [source])
    seen = {"etag": '"a1"', "last_modified": None, "body_sha256": "0" * 64}
    batch.write_state(source.id, SourceState(validators=dict.fromkeys(bundles, seen)))
    later = HtmlListSpider(source=source, batch=batch)
    outputs = list(later.parse_list(respond(source.url, body), page=1))
    assert [o.headers.get("If-None-Match") for o in outputs] == [b'"a1"'] * 3  # still asked
    assert not [o for o in outputs if "page" in o.cb_kwargs]  # but no older list page


def test_a_bundle_page_whose_selector_matches_nothing_says_so(tmp_path):
    body = (FIXTURES / "boards/daegu_newsroom.html").read_bytes()
    _, spider, items, _ = crawl_list_page(
        tmp_path, "daegu_newsroom", body, bundle=b"<html><body><p>no table</p></body></html>"
    )
    assert items == []
    assert spider.state.error_text("finished").startswith(
        "bundle selector \".article_view_content table tr:has(a[href*='aid='])\" matched no entry"
    )


@pytest.mark.realdata
def test_the_real_gwangju_board_gives_every_row_whole(tmp_path, realdata):
    body = (realdata / "gwangju/gwangju_dump.html").read_bytes()
    page = body.decode("utf-8")
    rows = len(re.findall(r'<div class="body_row">', page))  # counted apart from the selectors
    cut = len(re.findall(r"\.\.\.</a>", page))
    title_attributes = {html.unescape(t) for t in re.findall(r'title="([^"]*)"', page)}
    source, spider, items, _ = crawl_list_page(tmp_path, "gwangju_press", body)
    assert rows == 10  # the saved page, as the MANIFEST describes it
    assert cut > 0
    assert len(items) == rows
    assert spider.state.selector_miss is None
    for item in items:
        assert not item.title.endswith(("...", "…"))
        assert item.title in title_attributes  # the whole title, from the link's title
        assert parse_datetime(item.published_raw, source.timezone).value is not None
        parts = urlsplit(item.link)
        assert (parts.scheme, parts.hostname, parts.path) == (
            "https",
            "www.gwangju.go.kr",
            "/boardView.do",
        )
    assert len({canonical_url(i.link, source.drop_params) for i in items}) == rows


@pytest.mark.realdata
def test_the_real_gwangju_press_release_gives_its_body(realdata):
    source = SOURCES["gwangju_press"]
    body = (realdata / "gwangju/gwangju_detail_dump.html").read_bytes()
    url = "https://www.gwangju.go.kr/boardView.do?pageId=www789&boardId=BD_0000000027&seq=21180"
    article = raw.extract_article(body, "text/html; charset=utf-8", url, source.selectors)
    assert article.title == "광주 인공지능인들, AI산업 상생발전 다짐"
    assert article.text is not None
    assert len(article.text) > 500
    for word in ("인공지능인의 날", "광주테크노파크", "표창"):
        assert word in article.text
    for chrome in ("첨부파일", "공공누리", "개인정보", "이전글", "목록"):
        assert chrome not in article.text
    assert parse_datetime(article.published_raw, source.timezone).value is not None
    assert article.licence == "KOGL-1"
    assert [(a["kind"], a["url"].split("fileSn=")[1][:1]) for a in article.attachments] == [
        ("hwp", "1"),
        ("jpg", "2"),
    ]


@pytest.mark.realdata
def test_the_real_korea_kr_list_page(tmp_path, realdata):
    body = (realdata / "koreanewskorea/korea_kr_list.html").read_bytes()
    source, _, items, pages = crawl_list_page(tmp_path, "korea_kr_press", body)
    assert len(items) == 20
    assert items[0].title == "고용노동부, 울산 남구 고용위기 선제대응지역 신규 지정"
    assert items[0].published_raw == "2026.01.07"
    assert canonical_url(items[0].link, source.drop_params) == (
        "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156738805"
    )
    assert items[0].summary_html.startswith("- 석유화학 밀집 지역 3개 지역 모두 고용안정 집중 지원")
    assert len({canonical_url(i.link, source.drop_params) for i in items}) == 20
    assert len(pages) == 1


def test_an_undeclared_euc_kr_board_page_gives_korean_titles(tmp_path):
    page = (
        (FIXTURES / "boards/sejong_press.html")
        .read_text(encoding="utf-8")
        .replace('<meta charset="utf-8">', "")
    )
    _, _, items, _ = crawl_list_page(tmp_path, "sejong_press", page.encode("cp949"))
    assert [i.title for i in items][:2] == [
        "세종시, 5-1생활권 스마트시티 실증 서비스 공개",
        "BRT 수소버스 10대 추가 투입",
    ]
