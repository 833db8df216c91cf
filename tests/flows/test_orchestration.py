"""How ingest runs alongside others: source locks, crawl retries, artifacts and progress."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import yaml

from cityradar.demo.server import Canned, Served, SiteServer
from cityradar.demo.sites import bundled_sites
from cityradar.locks import held, lock_path
from cityradar.progress import shown_with
from tests.helpers.paths import FIXTURES
from tests.helpers.prefect_api import table_of


class Recorder:
    """A progress sink that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def start(self, key, description, total):
        self.calls.append(("start", key, total))

    def advance(self, key, steps=1, note=None):
        self.calls.append(("advance", key, note))

    def finish(self, key):
        self.calls.append(("finish", key))


def test_the_ingest_table_artifact_has_a_row_per_source(ingested):
    rows = {row["source"]: row for row in table_of(ingested.summary.run_id, "ingest-report")}
    reports = {r.source_id: r for r in ingested.summary.reports}
    assert set(rows) == set(reports)
    assert rows["gone_feed"]["status"] == "failed"
    assert "HTTP 404 Not Found" in rows["gone_feed"]["problem"]
    assert rows["gone_feed"]["tries"] == 1  # a 404 does not pass by itself: no retry
    assert sum(row["new items"] for row in rows.values()) == ingested.summary.load.items_new
    assert rows["seoul_news"]["items"] == reports["seoul_news"].items_seen > 0
    assert all(row["duration (s)"] >= 0 for row in rows.values())


@pytest.fixture
def two_sites(tmp_path):
    sites = [s for s in bundled_sites(datetime.now(UTC)) if s.slug in ("seoul-news", "molit-demo")]
    with SiteServer(sites) as server:
        entries = [site.source_entry(server.base_url) for site in sites]
        path = tmp_path / "sources.yaml"
        path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        yield server, path


def test_a_source_another_run_is_crawling_is_skipped_and_the_rest_loaded(
    prefect_harness, two_sites, tmp_path
):
    from flows.ingest import ingest

    server, sources = two_sites
    recorder = Recorder()
    lock = lock_path(tmp_path / "staging", "source-seoul_news")
    with held(lock, run="other-run"), shown_with(recorder):
        summary = ingest(sources_path=sources, data_dir=tmp_path, crawl_delay=0.0)
    assert [(b.source_id, b.held_by.split(" on ")[0]) for b in summary.busy] == [
        ("seoul_news", f"process {os.getpid()}")
    ]
    assert "flow run other-run" in summary.busy[0].held_by
    assert [r.source_id for r in summary.reports] == ["molit_demo"]
    assert not [p for p in server.paths_requested() if p.startswith("/seoul-news/")]
    assert summary.load.items_new > 0
    assert summary.load.new_by_source == {"molit_demo": summary.load.items_new}
    rows = {row["source"]: row for row in table_of(summary.run_id, "ingest-report")}
    assert rows["seoul_news"]["status"] == "busy"
    assert "another run is crawling it" in rows["seoul_news"]["problem"]
    # the CLI's bars got one crawl of one source, then the load
    assert ("start", "crawl", 1) in recorder.calls
    assert ("advance", "crawl", "molit_demo") in recorder.calls
    assert ("finish", "load") in recorder.calls

    # the lock is free again: the next run crawls it
    again = ingest(sources_path=sources, data_dir=tmp_path, crawl_delay=0.0)
    assert again.busy == []
    assert {r.source_id for r in again.reports} == {"seoul_news", "molit_demo"}


def flaky_feed(failures: int):
    """A feed that answers 503 to its first ``failures`` requests."""
    body = (FIXTURES / "feeds/atom_news.xml").read_bytes()
    seen: list[float] = []

    def route(request: Served) -> Canned:
        seen.append(request.at)
        if len(seen) <= failures:
            return Canned(503, b"<html><body>busy</body></html>")
        return Canned(200, body, "application/atom+xml")

    return route, seen


def run_with_feed(tmp_path, monkeypatch, failures: int):
    from flows.ingest import ingest

    monkeypatch.setenv("CITYRADAR_CRAWL_RETRIES", "1")
    monkeypatch.setenv("CITYRADAR_CRAWL_RETRY_DELAY", "1")
    route, seen = flaky_feed(failures)
    with SiteServer([], routes={"/feed.xml": route}) as server:
        entry = {
            "id": "flaky_feed",
            "name": "Flaky",
            "kind": "feed",
            "url": f"{server.base_url}/feed.xml",
            "language": "en",
            "country": "KR",
            "org_type": "news",
            "timezone": "Asia/Seoul",
            "fetch_articles": False,
        }
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump([entry]), encoding="utf-8")
        summary = ingest(sources_path=sources, data_dir=tmp_path, crawl_delay=0.0)
    return summary, seen


def test_a_crawl_that_got_nothing_for_a_passing_reason_is_tried_again(
    prefect_harness, tmp_path, monkeypatch
):
    # Scrapy's own retries take three requests; the task's retry makes the fourth
    summary, seen = run_with_feed(tmp_path, monkeypatch, failures=3)
    (report,) = summary.reports
    assert (report.status, report.attempts) == ("ok", 2)
    assert len(seen) == 4
    assert seen[3] - seen[2] >= 1.0  # CITYRADAR_CRAWL_RETRY_DELAY
    assert summary.load.items_new == report.items_seen > 0


def test_a_crawl_still_failing_after_its_retries_is_reported_once(
    prefect_harness, tmp_path, monkeypatch
):
    summary, seen = run_with_feed(tmp_path, monkeypatch, failures=100)
    (report,) = summary.reports
    assert (report.status, report.attempts, report.retryable) == ("failed", 2, True)
    assert "HTTP 503 Service Unavailable" in report.error
    assert len(seen) == 6  # two tries of three requests
    rows = table_of(summary.run_id, "ingest-report")
    assert [(r["source"], r["status"], r["tries"]) for r in rows] == [("flaky_feed", "failed", 2)]
