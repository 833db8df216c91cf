"""`cityradar backfill --since`: a board's archive read back to a date, known entries not refetched."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from importlib import resources
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites, load_site, reference_monday
from tests.helpers.prefect_api import table_of

ARTICLES = 30  # one every three days, going back about three months


def deep_board(now: datetime):
    """The sample Sejong board with thirty releases instead of five."""
    text = resources.files("cityradar.demo").joinpath("sites/sejong_board.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    template = data["articles"][0]
    data["articles"] = [
        {
            **template,
            "id": f"B{2000 + n}",
            "day": -3 * n,
            "title": f"세종시 스마트시티 보도자료 {n}호",
            "attachments": [],
        }
        for n in range(ARTICLES)
    ]
    return load_site(data, reference_monday(now))


@pytest.fixture
def board_and_feed(tmp_path):
    now = datetime.now(UTC)
    board = deep_board(now)
    feed = next(s for s in bundled_sites(now) if s.slug == "molit-demo")
    with SiteServer([board, feed]) as server:
        entries = [site.source_entry(server.base_url) for site in (board, feed)]
        path = tmp_path / "sources.yaml"
        path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        yield server, path, board


def article_ids(paths: list[str]) -> set[str]:
    return {parse_qs(urlsplit(p).query)["nttId"][0] for p in paths if "/view.do?" in p}


def test_backfill_reads_the_board_back_to_its_date_without_refetching_known_pages(
    prefect_harness, board_and_feed, tmp_path
):
    from flows.backfill import backfill
    from flows.ingest import ingest
    from tests.helpers.warehouses import query

    server, sources, board = board_and_feed
    first = ingest(sources_path=sources, data_dir=tmp_path, crawl_delay=0.0)
    board_report = next(r for r in first.reports if r.source_id == "sejong_board")
    assert board_report.items_seen == 15  # three pages of five: the regular crawl's depth
    before = len(server.paths_requested())

    oldest_wanted = board.articles[21]  # the 22 newest releases are on or after this day
    since = oldest_wanted.published.date().isoformat()
    summary = backfill(since=since, sources_path=sources, data_dir=tmp_path, crawl_delay=0.0)

    assert summary.since == since
    assert summary.no_archive == ["molit_demo"]  # a feed holds only its latest entries
    (report,) = summary.reports
    assert report.items_seen == 22
    assert summary.load.items_new == 7
    fetched = article_ids(server.paths_requested()[before:])
    assert fetched == {a.id for a in board.articles[15:22]}  # only the ones not stored yet
    titles = {t for (t,) in query(tmp_path / "cityradar.duckdb", "select title from items")}
    assert {a.title for a in board.articles[:22]} <= titles
    assert not {a.title for a in board.articles[22:]} & titles
    rows = {row["source"]: row for row in table_of(summary.run_id, "backfill-report")}
    assert rows["sejong_board"]["new items"] == 7
    assert rows["molit_demo"]["status"] == "no archive"


def test_a_backfill_from_the_future_is_refused():
    from flows.backfill import parse_since

    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    with pytest.raises(ValueError, match="is in the future"):
        parse_since(tomorrow.isoformat())
    assert parse_since("2026-01-05") == date(2026, 1, 5)


def test_only_paged_boards_and_sitemaps_have_an_archive_and_backfill_goes_deeper():
    from cityradar.settings import Settings
    from flows.backfill import backfill_source
    from tests.helpers.factories import make_source

    selectors = {"item": "tr", "link": "a::attr(href)"}
    board = make_source(
        kind="html", selectors=selectors, pagination={"param": "page", "max_pages": 3}
    )
    assert board.has_archive
    assert make_source(kind="sitemap").has_archive
    assert not make_source(kind="feed").has_archive
    assert not make_source(kind="html", selectors=selectors).has_archive  # one page only
    deeper = backfill_source(board, Settings())
    assert (deeper.pagination.max_pages, deeper.max_articles) == (100, 1000)
    assert (board.pagination.max_pages, board.max_articles) == (3, 30)
