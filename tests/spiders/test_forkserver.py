"""Warm crawl processes: each crawl forked from a server that imported Scrapy once."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from cityradar.demo.server import Canned, SiteServer
from cityradar.demo.sites import bundled_sites
from cityradar.staging import Batch
from spiders import process
from spiders.process import (
    ServerGone,
    WarmCrawlServer,
    crawl_in_subprocess,
    run_in_new_interpreter,
)
from spiders.settings import crawl_overrides
from tests.helpers.factories import make_source

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="crawls fork on Linux only"),
    pytest.mark.slow,  # system tests: crawls in forked children and a server process
]

FAST = crawl_overrides(delay=0.0, per_host=4, timeout=60)


@pytest.fixture(scope="module")
def server():
    warm = WarmCrawlServer()
    yield warm
    warm.close()


@pytest.fixture(scope="module")
def sites():
    now = datetime.now(UTC)
    chosen = [s for s in bundled_sites(now) if s.slug in ("seoul-news", "molit-demo")]
    with SiteServer(chosen) as running:
        yield running, chosen


def _source(site, base_url):
    return make_source(**{**site.source_entry(base_url), "id": site.slug.replace("-", "_")})


def _argv(source, batch):
    source_json, settings_json = source.model_dump_json(), json.dumps(FAST)
    return ["--batch", str(batch.path), "--source", source_json, "--settings", settings_json]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_forked_crawl_writes_what_a_fresh_interpreter_writes(server, sites, tmp_path):
    running, chosen = sites
    source = _source(chosen[0], running.base_url)
    warm, cold = (Batch.create(tmp_path / name, [source]) for name in ("warm", "cold"))
    forked = server.run(_argv(source, warm), dict(os.environ), warm.log_file(source.id), 120)
    fresh = run_in_new_interpreter(
        _argv(source, cold), dict(os.environ), cold.log_file(source.id), 120
    )
    assert (forked.code, forked.lost) == (0, None)
    assert forked.max_rss_kib > 20 * 1024  # Scrapy and lxml are in it: tens of MiB
    assert server.peak_child_rss_kib >= forked.max_rss_kib
    assert fresh.code == 0
    assert warm.read_report(source.id).status == "ok"
    titles = sorted(i.title for i in warm.raw_items())
    assert len(titles) == 10
    assert titles == sorted(i.title for i in cold.raw_items())
    assert any("자율주행" in t for t in titles)


def test_crawls_forked_at_once_each_get_their_own_reactor(server, sites, tmp_path):
    running, chosen = sites
    results = {}

    def crawl(site):
        source = _source(site, running.base_url)
        batch = Batch.create(tmp_path / site.slug, [source])
        ended = server.run(_argv(source, batch), dict(os.environ), batch.log_file(source.id), 120)
        results[site.slug] = (ended, batch, source)

    threads = [threading.Thread(target=crawl, args=(site,)) for site in chosen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _slug, (ended, batch, source) in results.items():
        assert ended.code == 0
        report = batch.read_report(source.id)
        assert report.status == "ok", report.error
        assert report.items_seen == len(list(batch.raw_items())) > 0
    assert results["seoul-news"][1].path != results["molit-demo"][1].path


def test_the_childs_output_goes_to_its_log_and_its_status_comes_back(server, tmp_path):
    log = tmp_path / "child.log"
    ended = server.run(["--batch"], dict(os.environ), log, 60)  # argparse refuses: status 2
    assert (ended.code, ended.lost) == (2, None)
    assert "argument --batch: expected one argument" in log.read_text()


def test_a_hanging_child_is_killed_at_its_timeout(server, tmp_path):
    with SiteServer([], {"/feed.xml": Canned(200, b"", delay=30)}) as site:
        source = make_source(url=f"{site.base_url}/feed.xml")
        batch = Batch.create(tmp_path, [source])
        started = time.monotonic()
        ended = server.run(_argv(source, batch), dict(os.environ), batch.log_file(source.id), 3)
        assert time.monotonic() - started < 20
    assert ended.code is None  # no status: killed at the timeout
    assert ended.lost is None
    assert batch.read_report(source.id) is None  # killed before it could report


@contextmanager
def hanging_crawl(warm: WarmCrawlServer, tmp_path) -> Iterator[SimpleNamespace]:
    """A crawl of a feed that never answers, running through ``warm`` in a thread: its pid,
    and (once the thread ends) how it ended."""
    with SiteServer([], {"/feed.xml": Canned(200, b"", delay=30)}) as site:
        source = make_source(url=f"{site.base_url}/feed.xml")
        batch = Batch.create(tmp_path, [source])
        crawl = SimpleNamespace(ended=None, pid=None, runner=None)

        def run() -> None:
            argv, log = _argv(source, batch), batch.log_file(source.id)
            crawl.ended = warm.run(argv, dict(os.environ), log, 60)

        crawl.runner = threading.Thread(target=run)
        crawl.runner.start()
        crawl.pid = _wait_for_pid(warm)
        yield crawl
        crawl.runner.join(15)


def test_closing_the_server_kills_its_running_crawls(tmp_path):
    warm = WarmCrawlServer()
    with hanging_crawl(warm, tmp_path) as crawl:
        warm.close()
    assert not crawl.runner.is_alive()
    assert crawl.ended.code == -signal.SIGKILL
    assert not _alive(crawl.pid)


def test_a_server_that_dies_loses_its_crawls_and_they_die_with_it(tmp_path):
    warm = WarmCrawlServer()
    with hanging_crawl(warm, tmp_path) as crawl:
        warm._process.kill()  # the server is gone, as if the OOM killer took it
    deadline = time.monotonic() + 10
    while _alive(crawl.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert crawl.ended.code is None
    assert "the warm crawl server stopped" in crawl.ended.lost
    assert not _alive(crawl.pid)  # no orphan left writing into the batch
    with pytest.raises(ServerGone):
        warm.run(["--batch", "x"], dict(os.environ), tmp_path / "late.log", 5)


def test_a_lost_crawl_is_reported_failed_and_may_be_retried(tmp_path, monkeypatch):
    source = make_source(url="http://127.0.0.1:9/feed.xml")
    batch = Batch.create(tmp_path, [source])
    monkeypatch.setattr(
        process,
        "run_crawl_process",
        lambda *args: process.ChildExit(None, "the warm crawl server stopped (oom)"),
    )
    report = crawl_in_subprocess(source, batch, FAST, timeout=60)
    assert report.status == "failed"
    assert report.error == "crawl process lost: the warm crawl server stopped (oom)"
    assert report.retryable


def test_a_server_that_cannot_start_says_why():
    with pytest.raises(ServerGone, match="no Scrapy here"):
        WarmCrawlServer(command=[sys.executable, "-c", "import sys; sys.exit('no Scrapy here')"])


def test_crawls_start_afresh_when_the_server_cannot(tmp_path, monkeypatch, sites):
    running, chosen = sites
    monkeypatch.setattr(process, "_server", None)
    monkeypatch.setattr(process, "_server_failed", False)
    monkeypatch.setattr(process, "SERVER_COMMAND", [sys.executable, "-c", "raise SystemExit(3)"])
    source = _source(chosen[1], running.base_url)
    batch = Batch.create(tmp_path, [source])
    report = crawl_in_subprocess(source, batch, FAST, timeout=120)
    assert process.warm_server() is None  # tried once, then crawls start a new interpreter
    assert report.status == "ok"
    assert report.items_seen == len(list(batch.raw_items())) > 0


def _wait_for_pid(warm: WarmCrawlServer) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = warm.running_pids()
        if pids:
            return pids[0]
        time.sleep(0.05)
    raise AssertionError("the crawl never started")
