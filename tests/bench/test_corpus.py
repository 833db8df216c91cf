"""The replay corpus: realistic pages, a registry cityradar accepts, a server that answers like
a site (304s included), growth for the "5% new" run, and the baseline reading it all."""

from __future__ import annotations

import json
import subprocess
import sys
from email.utils import formatdate

import httpx
import pytest

from bench import corpus
from bench.serve import serve
from cityradar.registry import load_sources
from tests.helpers.network import free_port


@pytest.fixture
def small_corpus(tmp_path):
    port = free_port()
    manifest = corpus.write_corpus(tmp_path, sites=2, articles=25, port=port)
    servers = serve(tmp_path)
    yield tmp_path, manifest, port
    for server in servers:
        server.shutdown()
        server.server_close()


def test_pages_are_news_sized_and_the_registry_reads_every_site(small_corpus):
    root, manifest, _ = small_corpus
    pages = list(root.glob("site-*/news/*.html"))
    assert len(pages) == manifest["articles"] == 50
    sizes = [p.stat().st_size for p in pages]
    assert min(sizes) >= 50 * 1024
    assert max(sizes) <= 150 * 1024
    sources = load_sources(root / "sources.yaml")
    assert [(s.kind, s.language) for s in sources] == [("feed", "ko"), ("html", "ko")]
    assert sources[1].pagination.max_pages == 100


def test_the_server_gives_each_site_its_address_list_pages_and_304s(small_corpus):
    _, _, port = small_corpus
    board = httpx.get(f"http://127.0.0.11:{port}/board/list.html?page=2")
    assert board.status_code == 200
    assert board.text.count("<tr>") == 5  # 25 articles, 20 a page
    feed = httpx.get(f"http://127.0.0.10:{port}/feed.xml")
    assert feed.text.count("<item>") == 25
    again = httpx.get(
        f"http://127.0.0.10:{port}/feed.xml",
        headers={"If-Modified-Since": formatdate(usegmt=True)},
    )
    assert again.status_code == 304


def test_growing_adds_the_newest_articles_and_rewrites_the_lists(small_corpus):
    root, _, port = small_corpus
    before = httpx.get(f"http://127.0.0.10:{port}/feed.xml").text.split("<item>")[1:]
    grown = corpus.grow_corpus(root, 0.2)
    assert grown["articles"] == 60
    feed = httpx.get(f"http://127.0.0.10:{port}/feed.xml").text
    assert feed.count("<item>") == 30
    assert "/news/000029.html" in feed.split("</item>")[0]  # the newest comes first
    assert feed.split("<item>")[-25:] == before  # old entries unchanged: nothing to refetch


@pytest.mark.slow  # a system test: it starts another process
def test_the_baseline_writes_a_json_line_per_article(small_corpus, tmp_path):
    root, _, _ = small_corpus
    out = tmp_path / "baseline.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.baseline",
            "--sources",
            str(root / "sources.yaml"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout)["pages"] == 50
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {line["source"] for line in lines} == {"site_00", "site_01"}
    assert all(len(line["text"]) > 500 for line in lines)
