"""A whole HTML board crawled in a child process: paging, article bodies, attachments, licence."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from cityradar.demo.server import Canned, Served, SiteServer
from cityradar.staging import Batch
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from tests.helpers.documents import minimal_hwpx, minimal_pdf
from tests.helpers.factories import make_source

# system tests: each crawl runs in a child process, as ingest runs it
pytestmark = pytest.mark.slow

TITLES = {
    1: "스마트시티 실증 착수",
    2: "자율주행 버스 확대",
    3: "공공와이파이 개편",
    4: "침수 센서 설치",
    5: "AI 민원 상담",
}


def list_page(numbers: list[int]) -> bytes:
    rows = "".join(
        f'<tr><td>{n}</td><td class="subject"><a href="/bbs/view.do?nttId={n}&amp;pageIndex=1">'
        f"{TITLES[n]}</a></td><td>2026-11-{20 - n:02d}</td></tr>"
        for n in numbers
    )
    return (
        f'<html><body><table class="board_list"><tbody>{rows}</tbody></table>'
        f'<div class="paging">...</div></body></html>'
    ).encode()


def article_page(n: int) -> bytes:
    return (
        f'<html lang="ko"><body><div class="gnb">메뉴 홈 소개 민원</div>'
        f'<div class="bbs--view--content"><p>{TITLES[n]} 본문입니다. 세종시는 시민에게 새 서비스를 제공한다.</p></div>'
        f'<div class="file"><a href="/files/{n}.pdf">붙임{n}.pdf</a> <a href="/files/{n}.hwpx">보도자료{n}.hwpx</a> '
        f'<a href="/files/{n}.hwp">보도자료{n}.hwp</a></div>'
        f'<img src="/images/kogl/open_type1.png" alt="공공누리 제1유형"><footer>세종특별자치시청</footer></body></html>'
    ).encode()


@pytest.fixture(scope="module")
def board_crawl(tmp_path_factory):
    def listing(request: Served) -> Canned:
        page = int(parse_qs(urlsplit(request.path).query).get("pageIndex", ["1"])[0])
        numbers = {1: [1, 2, 3], 2: [4, 5]}.get(page, [4, 5])  # past the end it repeats page 2
        return Canned(200, list_page(numbers))

    def view(request: Served) -> Canned:
        return Canned(200, article_page(int(parse_qs(urlsplit(request.path).query)["nttId"][0])))

    def document(request: Served) -> Canned:
        name = urlsplit(request.path).path.rsplit("/", 1)[1]
        n, kind = name.split(".")
        if kind == "pdf":
            return Canned(
                200, minimal_pdf([f"Annex {n}: smart city budget table"]), "application/pdf"
            )
        return Canned(
            200, minimal_hwpx([f"붙임 {n}: 세종 스마트시티 예산"]), "application/octet-stream"
        )

    routes = {"/bbs/list.do": listing, "/bbs/view.do": view}
    routes |= {f"/files/{n}.{kind}": document for n in TITLES for kind in ("pdf", "hwpx", "hwp")}
    with SiteServer([], routes=routes) as server:
        source = make_source(
            id="sejong_board",
            kind="html",
            url=f"{server.base_url}/bbs/list.do",
            org_type="city",
            city="Sejong",
            drop_params=["pageIndex"],
            selectors={
                "item": "table.board_list tbody tr",
                "link": "td.subject a::attr(href)",
                "title": "td.subject a",
                "date": "td:nth-of-type(3)",
                "body": "div.bbs--view--content",
            },
            pagination={"param": "pageIndex", "start": 1, "max_pages": 6},
        )
        batch = Batch.create(tmp_path_factory.mktemp("staging"), [source])
        report = crawl_in_subprocess(source, batch, crawl_overrides(0.0, 4, 60), timeout=120)
        yield report, batch, server.paths_requested()


def test_paging_stops_at_the_page_that_adds_nothing(board_crawl):
    report, batch, requested = board_crawl
    lists = [p for p in requested if p.startswith("/bbs/list.do")]
    assert lists == ["/bbs/list.do", "/bbs/list.do?pageIndex=2", "/bbs/list.do?pageIndex=3"]
    assert report.pages == 3
    assert report.items_seen == 5
    assert sorted(i.title for i in batch.raw_items()) == sorted(TITLES.values())


def test_article_bodies_come_from_the_body_selector(board_crawl):
    _, batch, _ = board_crawl
    item = next(i for i in batch.raw_items() if i.title == "자율주행 버스 확대")
    assert (
        item.article_text
        == "자율주행 버스 확대 본문입니다. 세종시는 시민에게 새 서비스를 제공한다."
    )
    assert item.published_raw == "2026-11-18"
    assert item.article_licence == "KOGL-1"


def test_pdf_and_hwpx_attachments_give_their_text_and_hwp_is_recorded(board_crawl):
    report, batch, requested = board_crawl
    item = next(i for i in batch.raw_items() if i.title == "스마트시티 실증 착수")
    by_kind = {a["kind"]: a for a in item.attachments}
    assert set(by_kind) == {"pdf", "hwpx", "hwp"}
    assert by_kind["pdf"]["text"] == "Annex 1: smart city budget table"
    assert by_kind["hwpx"]["text"] == "붙임 1: 세종 스마트시티 예산"
    assert by_kind["hwp"].get("text") is None
    assert "bytes" not in by_kind["hwp"]
    assert "/files/1.hwp" not in requested
    assert report.status == "ok"


def redesigned_list_page(numbers: list[int]) -> bytes:
    """The same board after a redesign: rows are divs, the configured table selectors miss."""
    rows = "".join(
        f'<div class="body_row"><div class="num">{n}</div><div class="subject">'
        f'<a href="/bbs/view.do?nttId={n}&amp;pageIndex=1" title="{TITLES[n]}">{TITLES[n]}</a>'
        f'</div><div class="date"><span class="blind">작성일</span>2026-11-{20 - n:02d}</div></div>'
        for n in numbers
    )
    return (
        f'<html><body><nav class="gnb"><a href="/a">소개</a><a href="/b">민원</a></nav>'
        f'<div class="board_list_body">{rows}</div><div class="paging">'
        f'<a href="/bbs/list.do?pageIndex=2">2</a></div></body></html>'
    ).encode()


@pytest.fixture(scope="module")
def redesigned_crawl(tmp_path_factory):
    def listing(request: Served) -> Canned:
        page = int(parse_qs(urlsplit(request.path).query).get("pageIndex", ["1"])[0])
        return Canned(200, redesigned_list_page({1: [1, 2, 3], 2: [4, 5]}.get(page, [4, 5])))

    def view(request: Served) -> Canned:
        return Canned(200, article_page(int(parse_qs(urlsplit(request.path).query)["nttId"][0])))

    routes = {"/bbs/list.do": listing, "/bbs/view.do": view}
    with SiteServer([], routes=routes) as server:
        source = make_source(
            id="redesigned_board",
            kind="html",
            url=f"{server.base_url}/bbs/list.do",
            org_type="city",
            drop_params=["pageIndex"],
            selectors={"item": "table.board_list tbody tr", "body": "div.bbs--view--content"},
            pagination={"param": "pageIndex", "start": 1, "max_pages": 6},
        )
        batch = Batch.create(tmp_path_factory.mktemp("staging"), [source])
        yield crawl_in_subprocess(source, batch, crawl_overrides(0.0, 4, 60), timeout=120), batch


def test_a_redesigned_board_is_crawled_by_the_rows_found_and_says_so(redesigned_crawl):
    report, batch = redesigned_crawl
    assert report.items_seen == 5
    assert report.pages == 3  # later pages read with the selectors found on the first
    assert sorted(i.title for i in batch.raw_items()) == sorted(TITLES.values())
    item = next(i for i in batch.raw_items() if i.title == "자율주행 버스 확대")
    assert item.published_raw == "2026-11-18"
    assert item.article_text.startswith("자율주행 버스 확대 본문입니다.")  # body selector kept
    assert json.loads(report.inferred_selectors)["item"] == "div.board_list_body > div.body_row"
    assert report.error.startswith(
        "list selector 'table.board_list tbody tr' matched no entry on http://127.0.0.1:"
    )
    assert "rows found on the page instead" in report.error
