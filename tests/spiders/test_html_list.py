"""The board spider's list pages: rows by the configured selectors, else found on the page."""

from __future__ import annotations

import json

from scrapy.http import HtmlResponse, Request

from cityradar.items import RawItem
from cityradar.staging import Batch
from spiders.html_list import HtmlListSpider
from tests.helpers.factories import make_source

URL = "https://www.city.example.kr/bbs/list.do"


def board(numbers: range, wrapper: str = "div") -> bytes:
    """A redesigned board: rows are divs, not table rows."""
    rows = "".join(
        f'<{wrapper} class="row"><span class="no">{n}</span><span class="subject">'
        f'<a href="/bbs/view.do?seq={n}">{n}번 보도자료: 스마트 교통 신호 개편</a></span>'
        f'<span class="date">2026-11-{n:02d}</span></{wrapper}>'
        for n in numbers
    )
    return f'<html><body><div class="gnb"><a href="/">홈</a></div><div class="list">{rows}</div></body></html>'.encode()


def list_page(spider: HtmlListSpider, body: bytes, page: int, url: str = URL):
    response = HtmlResponse(
        url=url,
        body=body,
        request=Request(url),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    outputs = list(spider.parse_list(response, page=page))
    items = [
        o.cb_kwargs["item"] for o in outputs if isinstance(o, Request) and "item" in o.cb_kwargs
    ]
    items += [o for o in outputs if isinstance(o, RawItem)]
    return items


def spider_for(tmp_path, **fields) -> HtmlListSpider:
    source = make_source(id="city_board", kind="html", url=URL, org_type="city", **fields)
    return HtmlListSpider(source=source, batch=Batch.create(tmp_path, [source]))


def test_a_board_without_selectors_has_its_rows_found_and_recorded(tmp_path):
    spider = spider_for(tmp_path)
    items = list_page(spider, board(range(1, 6)), page=0)
    assert [i.link for i in items] == [
        f"https://www.city.example.kr/bbs/view.do?seq={n}" for n in range(1, 6)
    ]
    assert items[0].title == "1번 보도자료: 스마트 교통 신호 개편"
    assert items[0].published_raw == "2026-11-01"
    assert json.loads(spider.state.inferred_selectors) == {
        "item": "div.list > div.row",
        "link": "a::attr(href)",
        "title": "a",
        "date": "span.date",
    }
    assert spider.state.status("finished") == "ok"
    assert spider.state.error_text("finished") is None  # nothing was configured to miss


def test_configured_selectors_that_stopped_matching_fall_back_and_say_so(tmp_path):
    spider = spider_for(
        tmp_path,
        selectors={"item": "table.board_list tbody tr", "body": "div.view"},
        pagination={"param": "pageIndex", "start": 1, "max_pages": 3},
    )
    items = list_page(spider, board(range(1, 4)), page=1)
    assert len(items) == 3
    assert spider.state.error_text("finished") == (
        f"list selector 'table.board_list tbody tr' matched no entry on {URL}; rows found on the "
        "page instead (item: 'div.list > div.row', link: 'a::attr(href)', title: 'a', "
        "date: 'span.date'): pin these in sources.yaml"
    )
    # later pages are read with the selectors found on the first, article fields kept
    assert spider._selectors.item == "div.list > div.row"
    assert spider._selectors.body == "div.view"
    later = list_page(spider, board(range(4, 6)), page=2, url=f"{URL}?pageIndex=2")
    assert [i.title[:2] for i in later] == ["4번", "5번"]


def test_configured_selectors_that_match_are_used_and_nothing_is_inferred(tmp_path):
    spider = spider_for(tmp_path, selectors={"item": "div.row", "title": "span.subject a"})
    items = list_page(spider, board(range(1, 4)), page=0)
    assert len(items) == 3
    assert spider.state.inferred_selectors is None
    assert spider.state.error_text("finished") is None


def test_a_page_with_no_board_is_an_empty_crawl_that_says_what_to_do(tmp_path):
    spider = spider_for(tmp_path)
    items = list_page(
        spider, b"<html><body><p>\xec\xa0\x90\xea\xb2\x80 \xec\xa4\x91</p></body></html>", page=0
    )
    assert items == []
    assert spider.state.status("finished") == "empty"
    assert spider.state.error_text("finished") == (
        f"no board found on {URL} (no repeated rows linking to articles); set selectors.item in sources.yaml"
    )
