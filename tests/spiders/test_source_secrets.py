"""A source whose URL holds an API key and whose header holds a token: the server gets both, and
nothing the crawl writes — items, fetch log, report, log — holds either."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityradar.demo.server import Canned, Served, SiteServer
from cityradar.items import SourceState
from cityradar.staging import Batch
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from tests.helpers.factories import make_source

# system tests: each crawl runs in a child process, as ingest runs it
pytestmark = pytest.mark.slow

FAST = crawl_overrides(delay=0.0, per_host=4, timeout=60)
KEY = "Sk3y+With/Odd=Chars"
TOKEN = "tok-4f9a7c2e1b"
FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>세종시 스마트 주차 확대</title><link>https://www.example.kr/n/1</link>"
    '<guid isPermaLink="false">n1</guid></item></channel></rss>'
).encode()


def api(request: Served) -> Canned:
    """Answers only with the right key and token, like a public-data API; supports ETag."""
    key_ok = "serviceKey=Sk3y%2BWith%2FOdd%3DChars" in request.path
    if not key_ok or request.headers.get("Authorization") != f"Bearer {TOKEN}":
        return Canned(403, b"SERVICE_KEY_IS_NOT_REGISTERED_ERROR")
    if request.headers.get("If-None-Match") == '"v1"':
        return Canned(304, b"", headers={"ETag": '"v1"'})
    return Canned(200, FEED, "application/rss+xml", headers={"ETag": '"v1"'})


def everything_written(batch: Batch) -> str:
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in Path(batch.path).rglob("*")
        if path.is_file()
    )


@pytest.fixture
def secret_source(monkeypatch):
    monkeypatch.setenv("CITYRADAR_SECRET_DATA_KEY", "Sk3y%2BWith%2FOdd%3DChars")  # as issued
    monkeypatch.setenv("CITYRADAR_SECRET_TOKEN", TOKEN)
    with SiteServer([], routes={"/api/news": api}) as server:
        source = make_source(
            url=f"{server.base_url}/api/news?serviceKey=${{CITYRADAR_SECRET_DATA_KEY}}&rows=10",
            headers={"Authorization": "Bearer ${CITYRADAR_SECRET_TOKEN}"},
        )
        yield server, source


def test_the_server_gets_the_secrets_and_no_written_file_holds_them(secret_source, tmp_path):
    server, source = secret_source
    batch = Batch.create(tmp_path, [source])
    # DEBUG: Scrapy then logs every request's URL ("Crawled (200) <GET ...>")
    report = crawl_in_subprocess(source, batch, {**FAST, "LOG_LEVEL": "DEBUG"}, timeout=60)
    assert report.status == "ok", report.error
    assert [i.title for i in batch.raw_items()] == ["세종시 스마트 주차 확대"]
    assert [r.status for r in server.requests if r.path.startswith("/api/")] == [200]
    written = everything_written(batch)
    for secret in (KEY, "Sk3y%2BWith%2FOdd%3DChars", "sk3y%2bwith", TOKEN):
        assert secret.lower() not in written.lower(), secret
    assert "serviceKey=${CITYRADAR_SECRET_DATA_KEY}" in written  # the fetch log's URL
    log = batch.log_file(source.id).read_text()
    assert "Crawled (200) <GET http://" in log  # the request lines were written, redacted
    assert "serviceKey=${CITYRADAR_SECRET_DATA_KEY}" in log


def test_conditional_requests_still_work_with_redacted_urls(secret_source, tmp_path):
    server, source = secret_source
    first = Batch.create(tmp_path / "1", [source])
    crawl_in_subprocess(source, first, FAST, timeout=60)
    fetched = next(f for f in first.fetch_records() if f.kind == "feed")
    assert "${CITYRADAR_SECRET_DATA_KEY}" in fetched.url  # what the warehouse will store
    second = Batch.create(tmp_path / "2", [source])
    second.write_state(source.id, SourceState(validators={fetched.url: {"etag": fetched.etag}}))
    report = crawl_in_subprocess(source, second, FAST, timeout=60)
    assert report.status == "unchanged"
    assert server.requests[-1].headers.get("If-None-Match") == '"v1"'


def test_a_secret_that_is_not_set_fails_the_source_by_name(secret_source, tmp_path, monkeypatch):
    server, source = secret_source
    monkeypatch.delenv("CITYRADAR_SECRET_TOKEN")
    batch = Batch.create(tmp_path, [source])
    report = crawl_in_subprocess(source, batch, FAST, timeout=60)
    assert report.status == "failed"
    assert report.error == (
        "secret CITYRADAR_SECRET_TOKEN is not set (sources.yaml uses ${CITYRADAR_SECRET_TOKEN})"
    )
    assert not [r for r in server.requests if r.path.startswith("/api/")]
