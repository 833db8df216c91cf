"""Board rows found without selectors: on real list pages, on every board fixture, and the
pages that hold no board."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityradar.registry import Selectors, load_sources
from spiders.board_inference import infer_board, looks_like_date
from spiders.decoding import decode_body
from spiders.raw import parse_list
from tests.helpers.paths import FIXTURES

REPO = Path(__file__).resolve().parents[2]
SOURCES = {s.id: s for s in load_sources(REPO / "sources.yaml")}
BOARD_FIXTURES = sorted(
    s.id
    for s in SOURCES.values()
    if s.kind == "html" and s.selectors and s.selectors.item
    if (FIXTURES / "boards" / f"{s.id}.html").exists()
)
GWANGJU_LIST = "https://www.gwangju.go.kr/boardList.do?boardId=BD_0000000022&pageId=www789"
# the selectors that are right for the real Gwangju board (read off the page by hand)
GWANGJU_SELECTORS = Selectors(
    item="div.board_list_body > div.body_row",
    link="div.subject a::attr(href)",
    title="div.subject a",
    date="div.date",
)


def rows(body: bytes, url: str, selectors: Selectors) -> list[tuple[str, str, str | None]]:
    return [(e.link, e.title, e.date) for e in parse_list(body, "text/html", url, selectors)]


def inferred_rows(body: bytes, url: str, article_url: str | None = None):
    found = infer_board(decode_body(body, "text/html").text, url, article_url)
    assert found is not None, "no board found"
    return found, rows(body, url, found.selectors)


def test_every_board_fixture_is_found_as_its_selectors_read_it():
    assert len(BOARD_FIXTURES) >= 8
    for source_id in BOARD_FIXTURES:
        source = SOURCES[source_id]
        body = (FIXTURES / "boards" / f"{source_id}.html").read_bytes()
        found, got = inferred_rows(body, source.url, source.selectors.article_url)
        expected = rows(body, source.url, source.selectors)
        assert got == expected, source_id
        assert found.rows == len(expected) >= 3
        assert found.dated == sum(1 for _, _, date in expected if date)


@pytest.mark.realdata
def test_the_real_korea_kr_list_gives_the_rows_of_its_configured_selectors(realdata):
    source = SOURCES["korea_kr_press"]
    body = (realdata / "koreanewskorea/korea_kr_list.html").read_bytes()
    found, got = inferred_rows(body, source.url)
    assert got == rows(body, source.url, source.selectors)
    assert (len(got), found.dated) == (20, 20)
    # the link holds title, lead and date: the title is only its heading
    assert got[0][1] == "고용노동부, 울산 남구 고용위기 선제대응지역 신규 지정"
    assert got[0][2] == "2026.01.07"


@pytest.mark.realdata
def test_the_real_gwangju_board_of_divs_gives_the_rows_the_right_selectors_would(realdata):
    body = (realdata / "gwangju/gwangju_dump.html").read_bytes()
    found, got = inferred_rows(body, GWANGJU_LIST)
    assert got == rows(body, GWANGJU_LIST, GWANGJU_SELECTORS)
    assert (len(got), found.dated) == (10, 10)
    assert found.selectors.item == "div.board_list_body > div.body_row"
    link, title, date = got[0]
    assert link.startswith("https://www.gwangju.go.kr/boardView.do?")
    assert not title.endswith(("...", "…"))  # the whole title, from the link's title attribute
    assert date == "2025-12-05"
    assert not [r for r in got if "fileDownload" in r[0]]  # the row's download icon is no article


MENU = "".join(f'<li><a href="/menu/{n}">메뉴 {n}</a></li>' for n in range(12))
BOARD_ROWS = "".join(
    f"""<tr><td>{n}</td><td class="subject"><a href="/bbs/view.do?seq={900 + n}">
    {n}번째 보도자료 제목은 이렇게 길게 씁니다</a></td><td>홍보과</td><td>2026-11-{n + 10:02d}</td>
    <td><a href="/bbs/fileDown.do?seq={900 + n}">첨부</a></td></tr>"""
    for n in range(1, 8)
)
SIDEBAR = "".join(
    f'<li><a href="https://other.example.com/news/{n}">다른 사이트의 아주 긴 기사 제목 {n}</a></li>'
    for n in range(15)
)


def page(*parts: str) -> bytes:
    return f"<html><body>{''.join(parts)}</body></html>".encode()


def test_the_board_is_chosen_over_menus_and_other_sites_links():
    body = page(
        f"<ul class='gnb'>{MENU}</ul>",
        f"<table class='list'><thead><tr><th>번호</th><th>제목</th></tr></thead>"
        f"<tbody>{BOARD_ROWS}</tbody></table>",
        f"<ul class='links'>{SIDEBAR}</ul>",
    )
    found, got = inferred_rows(body, "https://www.city.example.kr/bbs/list.do")
    assert found.selectors.item == "tbody > tr"
    assert found.selectors.date == "td:nth-of-type(4)"
    assert got[0] == (
        "https://www.city.example.kr/bbs/view.do?seq=901",
        "1번째 보도자료 제목은 이렇게 길게 씁니다",
        "2026-11-11",
    )
    assert len(got) == 7


def test_a_page_without_a_board_gives_nothing():
    menu_only = page(f"<ul>{MENU}</ul>", "<p>본문만 있는 페이지</p>")
    two_links = page(
        '<div><a href="/a/1">하나뿐인 긴 기사 제목입니다</a></div>',
        '<div><a href="/a/2">둘째 긴 기사 제목입니다만</a></div>',
    )
    other_site = page(f"<ul>{SIDEBAR}</ul>")
    for body in (menu_only, two_links, other_site):
        assert infer_board(body.decode(), "https://www.city.example.kr/") is None


def test_rows_opened_by_script_are_found_with_the_sources_template():
    cards = "".join(
        f'<li><a href="javascript:;" onclick="fn_detail({40 + n})">영문 보도자료 제목 번호 {n}</a>'
        f"<span class='date'>2026-11-0{n}</span></li>"
        for n in range(1, 5)
    )
    body = page(f"<ul class='board'>{cards}</ul>")
    url = "https://www.msit.example.kr/eng/list.do"
    assert infer_board(body.decode(), url) is None  # without a template, no link to follow
    found, got = inferred_rows(body, url, article_url="/eng/view.do?nttSeqNo={id}")
    assert [r[0] for r in got] == [
        f"https://www.msit.example.kr/eng/view.do?nttSeqNo={40 + n}" for n in range(1, 5)
    ]
    assert found.selectors.article_url == "/eng/view.do?nttSeqNo={id}"
    assert got[0][2] == "2026-11-01"


def test_configured_article_fields_are_kept_beside_the_inferred_list_fields():
    body = page(f"<table><tbody>{BOARD_ROWS}</tbody></table>")
    keep = Selectors(item="table.old tr", body="div.view", attachments="div.files a")
    found = infer_board(body.decode(), "https://www.city.example.kr/bbs/list.do", keep=keep)
    assert found is not None
    assert found.selectors.item == "tbody > tr"
    assert (found.selectors.body, found.selectors.attachments) == ("div.view", "div.files a")


@pytest.mark.parametrize(
    ("text", "is_date"),
    [
        ("작성일 2025-12-05", True),
        ("2026.07.08", True),
        ("2026년 7월 8일", True),
        ("26.07.08", True),
        ("26-07-08", True),
        ("3시간 전", True),
        ("Nov 20, 2026", True),
        ("15367", False),
        ("조회 64", False),
        ("010-1234-5678", False),
    ],
)
def test_what_counts_as_a_date_in_a_row(text, is_date):
    assert looks_like_date(text) is is_date


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("saved", "url"),
    [
        ("koreanewskorea/seoul_detail.html", "https://news.seoul.go.kr/gov/archives/1"),
        ("jeonnam/debug_jeonnam_page.html", "https://www.jeonnam.go.kr/M7116/boardView.do"),
        ("gwangju/gwangju_detail_dump.html", "https://www.gwangju.go.kr/boardView.do"),
    ],
)
def test_a_real_article_page_is_no_board_though_its_menus_repeat(realdata, saved, url):
    text = decode_body((realdata / saved).read_bytes(), "text/html").text
    assert infer_board(text, url) is None


def test_a_thumbnail_link_beside_the_title_and_a_date_among_spans():
    """Cards as a provincial board writes them: a thumbnail link (its title only in the title
    attribute) before the title link, and the date the third span of a meta line."""
    cards = "".join(
        f'<li><a href="./view.do?no={n}" title="{n}번 카드 보도자료 제목"><img src="/t{n}.jpg"></a>'
        f'<div class="cont"><div class="subject"><a href="./view.do?no={n}">{n}번 카드 보도자료 제목</a>'
        f'</div><div class="classify"><span>도시정책과</span><span>054-880-000{n}</span>'
        f"<span>26-01-0{n}</span></div></div></li>"
        for n in range(1, 5)
    )
    found, got = inferred_rows(
        page(f"<div><div><ul class='report_list'>{cards}</ul></div></div>"),
        "https://www.province.example.kr/Main/list.do",
    )
    assert found.selectors.link == "div.subject a::attr(href)"
    assert found.selectors.date == "div.classify span:nth-of-type(3)"
    assert got[0] == (
        "https://www.province.example.kr/Main/view.do?no=1",
        "1번 카드 보도자료 제목",
        "26-01-01",
    )


def test_rows_with_a_class_of_their_own_need_no_parent_path():
    rows = "".join(
        f'<div class="tbl_type"><dl><dt><span class="tit"><a href="/bbs/view.do?id={n}">'
        f"{n}번째 군정 소식 제목입니다</a></span><span class='date'>2025-12-0{n}</span></dt></dl></div>"
        for n in range(1, 5)
    )
    found, got = inferred_rows(
        page(f"<div><div><div>{rows}</div></div></div>"), "https://gun.example.kr/b"
    )
    assert found.selectors.item == "div.tbl_type"
    assert len(got) == 4


def test_an_archive_of_slug_links_wins_over_a_shorter_dated_sidebar():
    """A WordPress category archive: every post has its own slug, which must not count as links
    of different shapes (a sidebar of recent posts, dated too, would win)."""
    slugs = ["january-board-meeting", "march-finance-committee", "spring-community-forum"]
    slugs += ["annual-report-release-event", "summer-planning-session", "fall-board-retreat-day"]
    posts = "".join(
        f'<article class="intro"><header><h2><a href="https://org.example.org/{slug}/">'
        f"{slug.replace('-', ' ').title()}</a></h2><span class='event-date'>March {n}, 2026</span>"
        f"</header></article>"
        for n, slug in enumerate(slugs, start=1)
    )
    sidebar = "".join(
        f'<li><a href="https://org.example.org/?p={n}">Recent post number {n} here</a>'
        f"<span class='post-date'>April {n}, 2026</span></li>"
        for n in range(1, 6)
    )
    found, got = inferred_rows(
        page(f"<div id='primary'>{posts}</div><div class='widget'><ul>{sidebar}</ul></div>"),
        "https://org.example.org/category/board/",
    )
    assert found.selectors.item == "#primary > article.intro"
    assert len(got) == 6
    assert got[0] == (
        "https://org.example.org/january-board-meeting/",
        "January Board Meeting",
        "March 1, 2026",
    )
