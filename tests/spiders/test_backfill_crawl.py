"""A backfill crawl reads a board's pages and a sitemap index back to its start date, no further."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from cityradar.demo.server import Canned, Served, SiteServer
from cityradar.items import SourceState
from cityradar.staging import Batch
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from tests.helpers.factories import make_source
from transforms.urls import canonical_url

# system tests: each crawl runs in a child process, as ingest runs it
pytestmark = pytest.mark.slow

NEWEST = date(2026, 11, 20)
PER_PAGE = 5
ENTRIES = 40  # one every two days, newest first: 2026-11-20 back to 2026-08-04


def entry_date(n: int) -> date:
    return NEWEST - timedelta(days=2 * n)


def board_page(page: int) -> bytes:
    numbers = range((page - 1) * PER_PAGE, min(page * PER_PAGE, ENTRIES))
    rows = "".join(
        f'<tr><td class="subject"><a href="/bbs/view.do?nttId={n}">보도자료 {n}</a></td>'
        f"<td>{entry_date(n).isoformat()}</td></tr>"
        for n in numbers
    )
    return f'<html><body><table class="board_list"><tbody>{rows}</tbody></table></body></html>'.encode()


def board_source(base: str, max_pages: int = 3):
    return make_source(
        id="sejong_board",
        kind="html",
        url=f"{base}/bbs/list.do",
        org_type="city",
        selectors={
            "item": "table.board_list tbody tr",
            "link": "td.subject a::attr(href)",
            "title": "td.subject a",
            "date": "td:nth-of-type(2)",
        },
        pagination={"param": "pageIndex", "start": 1, "max_pages": max_pages},
        fetch_articles=False,
    )


def crawl_board(tmp_path, max_pages: int, since: str | None, known=None, past_end: int = 200):
    def listing(request: Served) -> Canned:
        page = int(parse_qs(urlsplit(request.path).query).get("pageIndex", ["1"])[0])
        if page > ENTRIES // PER_PAGE:
            return Canned(past_end, b"<html><body>no such page</body></html>")
        return Canned(200, board_page(page))

    with SiteServer([], routes={"/bbs/list.do": listing}) as server:
        source = board_source(server.base_url, max_pages)
        batch = Batch.create(tmp_path, [source])
        if known is not None:
            batch.write_state(source.id, known(server.base_url))
        report = crawl_in_subprocess(source, batch, crawl_overrides(0.0, 4, 60), 120, since)
        lists = [p for p in server.paths_requested() if p.startswith("/bbs/list.do")]
    return report, [i.title for i in batch.raw_items()], lists


def test_a_backfill_pages_back_to_its_start_date_and_keeps_nothing_older(tmp_path):
    since = entry_date(17).isoformat()  # entries 0..17 are on or after it: 18 of them
    report, titles, lists = crawl_board(tmp_path, max_pages=100, since=since)
    assert titles == [f"보도자료 {n}" for n in range(18)]
    # page 4 holds entries 15..19; the first entry older than the start ends the paging
    assert lists == ["/bbs/list.do"] + [f"/bbs/list.do?pageIndex={p}" for p in (2, 3, 4)]
    assert report.status == "ok"


def test_a_backfill_reads_past_pages_a_normal_crawl_stops_at(tmp_path):
    # the warehouse already holds the newest ten entries (two full pages), and the first
    # list page says nothing new: a normal crawl stops there, a backfill reads on
    def state(base: str) -> SourceState:
        links = {canonical_url(f"{base}/bbs/view.do?nttId={n}"): "stored" for n in range(10)}
        return SourceState(known=links)

    normal = crawl_board(tmp_path / "normal", max_pages=100, since=None, known=state)
    backfill = crawl_board(
        tmp_path / "backfill", max_pages=100, since=entry_date(ENTRIES - 1).isoformat(), known=state
    )
    assert normal[2] == ["/bbs/list.do"]
    assert len(backfill[1]) == ENTRIES
    assert len(backfill[2]) == ENTRIES // PER_PAGE + 1  # every page, then one past the end


def test_a_404_past_the_last_list_page_ends_the_board_and_is_no_fault(tmp_path):
    report, titles, lists = crawl_board(tmp_path, max_pages=100, since=None, past_end=404)
    assert len(titles) == ENTRIES
    assert lists[-1] == "/bbs/list.do?pageIndex=9"
    assert (report.status, report.error) == ("ok", None)


def test_a_later_list_page_that_fails_otherwise_makes_the_crawl_partial(tmp_path):
    report, titles, _ = crawl_board(tmp_path, max_pages=100, since=None, past_end=500)
    assert len(titles) == ENTRIES  # what was read stands
    assert report.status == "partial"
    assert report.error.startswith("a later list page could not be fetched: HTTP 500")


def sitemap_index(base: str) -> bytes:
    children = "".join(
        f"<sitemap><loc>{base}/sitemap-{month}.xml</loc><lastmod>2026-{month}-28</lastmod></sitemap>"
        for month in ("08", "09", "10", "11")
    )
    return (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{children}</sitemapindex>"
    ).encode()


def month_sitemap(base: str, month: str) -> bytes:
    urls = "".join(
        f"<url><loc>{base}/news/{month}-{day:02d}</loc><lastmod>2026-{month}-{day:02d}</lastmod></url>"
        for day in (5, 15, 25)
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>"
    ).encode()


def test_a_sitemap_backfill_reads_every_child_modified_since_its_start(tmp_path):
    with SiteServer([]) as server:
        base = server.base_url
        routes = server.routes  # the index names the server's own address
        routes["/sitemap.xml"] = lambda _: Canned(200, sitemap_index(base), "application/xml")
        for month in ("08", "09", "10", "11"):
            body = month_sitemap(base, month)
            routes[f"/sitemap-{month}.xml"] = lambda _, body=body: Canned(
                200, body, "application/xml"
            )
        source = make_source(
            id="city_sitemap", kind="sitemap", url=f"{base}/sitemap.xml", fetch_articles=False
        )
        batch = Batch.create(tmp_path, [source])
        report = crawl_in_subprocess(source, batch, crawl_overrides(0.0, 4, 60), 120, "2026-09-10")
        requested = server.paths_requested()
    assert "/sitemap-08.xml" not in requested  # last modified before the start
    assert {"/sitemap-09.xml", "/sitemap-10.xml", "/sitemap-11.xml"} <= set(requested)
    links = sorted(i.link.rsplit("/", 1)[1] for i in batch.raw_items())
    assert links == ["09-15", "09-25", "10-05", "10-15", "10-25", "11-05", "11-15", "11-25"]
    assert report.status == "ok"
