"""A board whose rows are daily bundles, crawled in a child process: list, bundle pages, articles."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from cityradar.demo.server import Canned, Served, SiteServer
from cityradar.staging import Batch
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from tests.helpers.factories import make_source

# system tests: each crawl runs in a child process, as ingest runs it
pytestmark = pytest.mark.slow

RELEASES = {
    1: "수성알파시티 자율주행 셔틀 증차",
    2: "도시철도 혼잡도 실시간 안내",
    3: "폭염 대비 스마트 그늘막 확대",
}
# a day's bundle -> (its date in the list, the releases on its page); 2 is listed on both days
BUNDLES = {20: ("2026.11.20", [1, 2]), 19: ("2026.11.19", [2, 3])}
MISSING_BUNDLE = 18  # listed, but its page answers 404


def list_page() -> bytes:
    days = [*BUNDLES, MISSING_BUNDLE]
    rows = "".join(
        f'<tr><td>{day}</td><td><a href="bundle.php?day={day}&amp;bpage=1">11월 {day}일 보도자료</a>'
        f"</td><td></td><td>{BUNDLES.get(day, ('2026.11.18', []))[0]}</td></tr>"
        for day in days
    )
    return (
        '<html><body><div id="table_article"><table><tr><th>번호</th><th>제목</th>'
        f"<th>첨부</th><th>등록일</th></tr>{rows}</table></div></body></html>"
    ).encode()


def bundle_page(day: int) -> bytes:
    rows = "".join(
        f'<tr><td>{n}</td><td><a href="view.php?aid={n}">{RELEASES[n]}</a></td><td>정책과</td></tr>'
        for n in BUNDLES[day][1]
    )
    return (
        f'<html><body><div id="article"><div class="title">11월 {day}일 보도자료</div>'
        '<div class="article_view_content"><p>오늘의 보도자료입니다.</p><table>'
        f"<tr><th>순번</th><th>제목</th><th>담당부서</th></tr>{rows}</table></div></div>"
        "</body></html>"
    ).encode()


def article_page(n: int) -> bytes:
    return (
        '<html lang="ko"><body><div class="gnb">뉴스룸 홈 보도자료</div><div id="article">'
        f'<div class="title">{RELEASES[n]}</div><div class="article_view_content">'
        f"<p>{RELEASES[n]} 본문입니다. 대구시는 시민에게 새 서비스를 알렸다.</p></div></div>"
        "</body></html>"
    ).encode()


@pytest.fixture(scope="module")
def bundle_crawl(tmp_path_factory):
    def query(request: Served, name: str) -> int:
        return int(parse_qs(urlsplit(request.path).query)[name][0])

    def bundle(request: Served) -> Canned:
        day = query(request, "day")
        if day not in BUNDLES:
            return Canned(404, b"<html><body>404</body></html>")
        return Canned(200, bundle_page(day))

    routes = {
        "/news/list.php": lambda request: Canned(200, list_page()),  # every page the same
        "/news/bundle.php": bundle,
        "/news/view.php": lambda request: Canned(200, article_page(query(request, "aid"))),
    }
    with SiteServer([], routes=routes) as server:
        source = make_source(
            id="daily_bundles",
            kind="html",
            url=f"{server.base_url}/news/list.php",
            org_type="city",
            city="Daegu",
            drop_params=["bpage"],
            selectors={
                "item": "#table_article table tr",
                "link": "td:nth-of-type(2) a::attr(href)",
                "title": "td:nth-of-type(2) a",
                "date": "td:nth-of-type(4)",
                "body": ".article_view_content",
            },
            bundle={
                "item": ".article_view_content table tr:has(a)",
                "link": "a::attr(href)",
                "title": "a",
            },
            pagination={"param": "bpage", "start": 1, "max_pages": 5},
        )
        batch = Batch.create(tmp_path_factory.mktemp("staging"), [source])
        report = crawl_in_subprocess(source, batch, crawl_overrides(0.0, 4, 60), timeout=120)
        yield report, batch, server.paths_requested()


def test_the_spider_follows_the_bundle_pages_then_the_articles(bundle_crawl):
    report, _, requested = bundle_crawl
    lists = [p for p in requested if p.startswith("/news/list.php")]
    bundles = sorted(p for p in requested if p.startswith("/news/bundle.php"))
    articles = sorted(p for p in requested if p.startswith("/news/view.php"))
    # the second list page repeats the first: no new bundle, paging stops
    assert lists == ["/news/list.php", "/news/list.php?bpage=2"]
    assert bundles == [f"/news/bundle.php?day={day}&bpage=1" for day in (18, 19, 20)]
    assert articles == [f"/news/view.php?aid={n}" for n in (1, 2, 3)]  # 2 once, though listed twice
    assert report.items_seen == 3
    assert report.pages == 4  # two list pages, the two bundle pages that answered


def test_the_releases_are_the_entries_dated_by_their_bundle_with_their_article_text(bundle_crawl):
    _, batch, _ = bundle_crawl
    items = {i.title: i for i in batch.raw_items()}
    assert set(items) == set(RELEASES.values())
    dates = {title: item.published_raw for title, item in items.items()}
    assert dates[RELEASES[1]] == "2026.11.20"
    assert dates[RELEASES[3]] == "2026.11.19"
    assert dates[RELEASES[2]] in ("2026.11.20", "2026.11.19")  # whichever bundle came first
    for title in RELEASES.values():
        assert (
            items[title].article_text
            == f"{title} 본문입니다. 대구시는 시민에게 새 서비스를 알렸다."
        )
        assert "/news/bundle.php?day=" in items[title].listing_url


def test_a_bundle_page_that_cannot_be_fetched_makes_the_crawl_partial(bundle_crawl):
    report, _, _ = bundle_crawl
    assert report.status == "partial"
    assert "bundle page" in report.error
    assert "/news/bundle.php?day=18" in report.error
