"""`sources add`: feeds and sitemaps found on local sites, and a complete entry proposed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from typer.testing import CliRunner

from cityradar.demo.server import Canned, SiteServer
from cityradar.demo.sites import bundled_sites
from cityradar.registry import Source, load_sources
from spiders.discovery import discover, feed_links, http_fetch, propose_entry, sitemaps_in_robots
from tests.helpers.pages import HOME, board_page
from transforms.vocabularies import gazetteer


def test_feed_links_and_robots_sitemaps_are_read_from_markup():
    html = (
        '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
        '<link rel="alternate" hreflang="en" href="/en/">'
        '<link rel="alternate stylesheet" type="text/css" href="/x.css">'
    )
    assert feed_links(html, "https://city.example/") == ["https://city.example/atom.xml"]
    robots = "User-agent: *\nDisallow: /admin\nSitemap: https://city.example/sitemap.xml\n"
    assert sitemaps_in_robots(robots) == ["https://city.example/sitemap.xml"]


@pytest.fixture
def seoul_site():
    site = next(s for s in bundled_sites(datetime.now(UTC)) if s.slug == "seoul-news")
    with SiteServer([site], {"/": Canned(200, HOME)}) as server:
        yield server


def test_a_page_that_declares_its_feed(seoul_site):
    found = discover(f"{seoul_site.base_url}/", http_fetch())
    (feed,) = found.candidates
    assert feed.url == f"{seoul_site.base_url}/seoul-news/gov/feed/"
    assert feed.kind == "feed"
    assert feed.entries == 10
    entry = propose_entry(found, set(), gazetteer().places)
    assert entry["kind"] == "feed"
    assert entry["url"] == feed.url
    assert entry["language"] == "ko"
    assert entry["country"] == "KR"  # a loopback host has no country domain: Korean says KR
    assert entry["name"] == "서울특별시 새소식 (demo)"
    Source.model_validate(entry)


def test_a_site_without_feed_links_is_probed_at_common_paths_and_robots_sitemaps(tmp_path):
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Daily Smart City</title><language>en</language>'
        b"<item><title>Helsinki digital twin</title><link>https://x.example/1</link></item></channel></rss>"
    )
    sitemap = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.example/a</loc></url></urlset>'
    with SiteServer(
        [],
        {
            "/": Canned(200, b"<html><head><title>Daily</title></head></html>"),
            "/rss.xml": Canned(200, feed, "application/rss+xml"),
            "/robots.txt": Canned(
                200, b"User-agent: *\nDisallow: /feed/\nSitemap: /sm.xml\n", "text/plain"
            ),
            "/sm.xml": Canned(200, sitemap, "application/xml"),
        },
    ) as server:
        server.canned["/robots.txt"] = Canned(
            200,
            f"User-agent: *\nDisallow: /feed/\nSitemap: {server.base_url}/sm.xml\n".encode(),
            "text/plain",
        )
        found = discover(f"{server.base_url}/", http_fetch())
        requested = server.paths_requested()
    kinds = {(c.kind, c.url.removeprefix(server.base_url)) for c in found.candidates}
    assert kinds == {("feed", "/rss.xml"), ("sitemap", "/sm.xml")}
    assert "/feed/" not in requested  # robots.txt said no
    assert any("robots.txt disallows" in note for note in found.notes)
    entry = propose_entry(found, {"127_feed"}, gazetteer().places)
    assert entry["kind"] == "feed"
    assert entry["name"] == "Daily Smart City"
    assert entry["language"] == "en"


def test_a_feed_url_given_directly_is_the_candidate(seoul_site):
    found = discover(f"{seoul_site.base_url}/seoul-news/gov/feed/", http_fetch())
    assert [c.kind for c in found.candidates] == ["feed"]


def test_nothing_found_is_a_clear_error(tmp_path):
    with SiteServer(
        [], {"/": Canned(200, b"<html><head><title>plain</title></head></html>")}
    ) as server:
        found = discover(f"{server.base_url}/", http_fetch())
    assert found.candidates == []
    with pytest.raises(ValueError, match="no feed, sitemap or board found"):
        propose_entry(found, set(), {})


def test_a_board_without_feed_is_proposed_as_an_html_entry_with_the_selectors_found():
    with SiteServer([], {"/news/list.do": Canned(200, board_page())}) as server:
        found = discover(f"{server.base_url}/news/list.do", http_fetch())
    (board,) = found.candidates
    assert board.kind == "html"
    assert board.entries == 5
    assert board.sample_titles[0] == "1번 보도자료: 스마트 버스정류장 확대 설치"
    entry = propose_entry(found, set(), gazetteer().places)
    assert entry["kind"] == "html"
    assert entry["url"].endswith("/news/list.do")
    assert entry["selectors"] == {
        "item": "ul.news > li.item",
        "link": "a::attr(href)",
        "title": "a",
        "date": "span.date",
    }
    assert entry["pagination"] == {"param": "curPage", "start": 1, "max_pages": 3}
    assert entry["language"] == "ko"
    Source.model_validate(entry)


def test_entries_for_government_hosts_are_ministries_or_cities():
    from spiders.discovery import Candidate, Discovery

    seoul = Discovery(
        "https://news.seoul.go.kr/",
        None,
        "ko",
        [Candidate("https://news.seoul.go.kr/gov/feed/", "feed", 20, "새소식", "ko")],
    )
    entry = propose_entry(seoul, set(), gazetteer().places)
    assert (entry["org_type"], entry.get("city"), entry["country"], entry["timezone"]) == (
        "city",
        "Seoul",
        "KR",
        "Asia/Seoul",
    )
    molit = Discovery(
        "https://www.molit.go.kr/",
        None,
        "ko",
        [Candidate("https://www.molit.go.kr/rss.jsp", "feed", 20, "보도자료", "ko")],
    )
    assert propose_entry(molit, set(), gazetteer().places)["org_type"] == "ministry"


def test_the_cli_proposes_and_appends_with_yes(seoul_site, tmp_path):
    from flows.cli import app

    registry = tmp_path / "sources.yaml"
    registry.write_text("# my sources\n[]\n", encoding="utf-8")
    runner = CliRunner()
    dry = runner.invoke(
        app, ["sources", "add", f"{seoul_site.base_url}/", "--sources", str(registry)]
    )
    assert dry.exit_code == 0, dry.output
    assert "Proposed entry:" in dry.stdout
    assert "run again with --yes" in dry.stdout
    assert registry.read_text(encoding="utf-8") == "# my sources\n[]\n"
    registry.write_text("# my sources\n", encoding="utf-8")
    done = runner.invoke(
        app, ["sources", "add", f"{seoul_site.base_url}/", "--sources", str(registry), "--yes"]
    )
    assert done.exit_code == 0, done.output
    (source,) = load_sources(registry)
    assert source.kind == "feed"
    assert source.url.endswith("/seoul-news/gov/feed/")
    assert registry.read_text(encoding="utf-8").startswith("# my sources\n")
    assert yaml.safe_load(registry.read_text(encoding="utf-8"))[0]["id"] == source.id
