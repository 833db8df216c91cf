"""Each HTML board of the registry, with its shipped selectors, over a page shaped like the real one."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from cityradar.items import RawItem
from cityradar.registry import load_sources
from cityradar.staging import Batch
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
        "https://www.sejong.go.kr/bbs/R0071/view.do?cmsNoStr=17&nttId=B000000112233Ab1Cd",
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
}
FIXTURE_OF = {"jeonnam_gwangju_list": "jeonnam_gwangju_list.html"}


def crawl_list_page(tmp_path, source_id: str, body: bytes):
    source = SOURCES[source_id]
    spider = HtmlListSpider(source=source, batch=Batch.create(tmp_path, [source]))
    first = source.pagination.start if source.pagination else 0
    response = HtmlResponse(
        url=source.url,
        body=body,
        request=Request(source.url),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    outputs = list(spider.parse_list(response, page=first))
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
        "list selector 'table.board_list tbody tr' matched no entry on https://www.sejong.go.kr/bbs/R0071/list.do"
    )


def test_header_rows_and_javascript_links_are_not_entries(tmp_path):
    body = (FIXTURES / "boards/daegu_newsroom.html").read_bytes()
    _, _, items, _ = crawl_list_page(tmp_path, "daegu_newsroom", body)
    assert [i.published_raw for i in items] == ["2026.11.20", "2026.11.19", "2026-11-18"]
    assert not [i for i in items if "javascript" in i.link]


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
