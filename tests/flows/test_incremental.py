"""Incremental ingest: a second run over unchanged sources asks only for feeds and gets 304s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest
import yaml

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import Article, bundled_sites
from cityradar.items import CrawlReport
from tests.helpers.batches import load_raws
from tests.helpers.factories import make_source
from warehouse.db import connect


def served_since(server: SiteServer, start: int) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in server.requests[start:]]


@pytest.fixture(scope="module")
def three_runs(prefect_harness, tmp_path_factory):
    from flows.ingest import ingest

    sites = [s for s in bundled_sites(datetime.now(UTC)) if s.slug in ("seoul-news", "korea-daily")]
    data = tmp_path_factory.mktemp("incremental")
    with SiteServer(sites) as server:
        sources = data / "sources.yaml"
        sources.write_text(
            yaml.safe_dump([s.source_entry(server.base_url) for s in sites], allow_unicode=True),
            encoding="utf-8",
        )

        def run():
            start = len(server.requests)
            summary = ingest(
                sources_path=sources, db_path=data / "w.duckdb", data_dir=data, crawl_delay=0.0
            )
            return summary, served_since(server, start)

        first = run()
        second = run()
        seoul = next(s for s in sites if s.slug == "seoul-news")
        seoul.articles.insert(
            0,
            Article(
                id="590999",
                title="서울시, 자율주행 택시 시범 운행",
                summary="강남에서 자율주행 택시가 달린다.",
                body=["서울시는 강남 일대에서 자율주행 택시 시범 운행을 시작한다고 밝혔다."],
                published=datetime.now(ZoneInfo("Asia/Seoul")) - timedelta(hours=1),
                categories=["교통"],
            ),
        )
        third = run()
    return first, second, third, data / "w.duckdb"


def test_the_first_run_fetches_every_page(three_runs):
    (summary, requests), *_ = three_runs
    assert summary.load.items_new == 22
    assert sum(1 for _, path, _ in requests if "/archives/" in path or "/view/" in path) == 22


def test_a_second_run_asks_only_for_robots_and_feeds_and_gets_304s(three_runs):
    _, (summary, requests), _, _ = three_runs
    assert {path for _, path, _ in requests} == {
        "/robots.txt",
        "/seoul-news/gov/feed/",
        "/korea-daily/rss/allnews.xml",
    }
    assert [status for _, path, status in requests if path != "/robots.txt"] == [304, 304]
    assert {r.status for r in summary.reports} == {"unchanged"}
    assert summary.load.items_in == 0


def test_unchanged_sources_are_healthy_not_degraded(three_runs):
    *_, db = three_runs
    with duckdb.connect(str(db), read_only=True) as con:
        health = dict(con.execute("select source_id, health from source_health").fetchall())
    assert health == {"seoul_news": "ok", "korea_daily": "ok"}


def test_a_new_entry_costs_one_page_and_the_known_ones_none(three_runs):
    _, _, (summary, requests), db = three_runs
    pages = [path for _, path, _ in requests if "/archives/" in path or "/view/" in path]
    assert pages == ["/seoul-news/gov/archives/590999"]
    assert summary.load.items_new == 1
    assert summary.load.items_changed == 0  # known entries, not refetched, are not new versions
    seoul = next(r for r in summary.reports if r.source_id == "seoul_news")
    assert seoul.status == "ok"
    assert seoul.articles_skipped == 10
    assert seoul.articles_fetched == 1
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select max(version) from items").fetchone() == (1,)
        assert con.execute("select count(*) from core.http_cache").fetchone()[0] >= 24


def test_a_failing_source_backs_off_but_is_never_abandoned(prefect_harness, tmp_path):
    from flows.ingest import ingest

    dead = make_source(id="dead_feed", url="http://127.0.0.1:9/rss.xml")
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        for n, hours_ago in enumerate((13, 12, 11), start=1):
            stamp = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
            failed = CrawlReport(
                "dead_feed", f"b{n}", stamp, stamp, "failed", error="connection refused"
            )
            load_raws(con, f"b{n}", [], sources=(dead,), reports=[failed])
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        yaml.safe_dump([dead.model_dump(mode="json", exclude_defaults=True)]), encoding="utf-8"
    )

    waiting = ingest(sources_path=sources, db_path=db, data_dir=tmp_path)
    assert waiting.reports == []
    (deferral,) = waiting.deferred
    assert deferral.consecutive_failures == 3
    assert (
        timedelta(hours=11)
        < deferral.until - (datetime.now(UTC) - timedelta(hours=11))
        <= timedelta(hours=12, seconds=5)
    )

    forced = ingest(sources_path=sources, db_path=db, data_dir=tmp_path, force=True)
    assert [r.status for r in forced.reports] == ["failed"]
