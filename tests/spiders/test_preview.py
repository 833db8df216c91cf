"""What a source would take from one listing page: feeds, boards by their selectors or found."""

from __future__ import annotations

from pathlib import Path

from cityradar.registry import load_sources
from spiders.preview import preview_listing
from tests.helpers.factories import make_source
from tests.helpers.paths import FIXTURES

REPO = Path(__file__).resolve().parents[2]
SOURCES = {s.id: s for s in load_sources(REPO / "sources.yaml")}


def test_a_feed_gives_its_entries_with_the_dates_read_in_the_sources_zone():
    source = SOURCES["mois_press"]
    body = (FIXTURES / "feeds/mois_kst.xml").read_bytes()
    preview = preview_listing(source, body, "application/rss+xml", source.url)
    assert preview.how == "feed"
    assert preview.rows
    first = preview.rows[0]
    assert first.title
    assert first.url.startswith("http")
    assert "KST" in (first.date_raw or "")
    assert first.published is not None
    assert first.published.endswith("+09:00")  # KST is read as Seoul time, not UTC


def test_a_board_read_by_its_configured_selectors_says_so():
    source = SOURCES["sejong_press"]
    body = (FIXTURES / "boards/sejong_press.html").read_bytes()
    preview = preview_listing(source, body, "text/html", source.url)
    assert preview.how == "selectors given"
    assert preview.selectors["item"] == source.selectors.item
    assert len(preview.rows) == 3
    assert preview.problem is None


def test_a_board_without_selectors_shows_the_ones_found():
    source = make_source(id="new_board", kind="html", url="https://www.sejong.go.kr/bbs/list.do")
    body = (FIXTURES / "boards/sejong_press.html").read_bytes()
    preview = preview_listing(source, body, "text/html", source.url)
    assert preview.how == "selectors inferred"
    assert set(preview.selectors) == {"item", "link", "title", "date"}
    assert len(preview.rows) == 3
    assert all(row.published for row in preview.rows)
    assert preview.problem is None


def test_a_page_with_nothing_to_take_says_why():
    source = make_source(id="new_board", kind="html", url="https://www.city.example.kr/")
    preview = preview_listing(source, b"<html><body>maintenance</body></html>", None, source.url)
    assert preview.rows == []
    assert preview.problem.startswith("no board found on https://www.city.example.kr/")


def test_a_bundle_board_shows_its_bundles_and_a_bundle_page_its_releases():
    source = SOURCES["daegu_newsroom"]
    listing = preview_listing(
        source, (FIXTURES / "boards/daegu_newsroom.html").read_bytes(), "text/html", source.url
    )
    assert listing.how == "selectors given"
    assert listing.rows
    assert listing.problem.startswith("each row is a bundle page")
    bundle = preview_listing(
        source,
        (FIXTURES / "boards/daegu_newsroom_bundle.html").read_bytes(),
        "text/html",
        listing.rows[0].url,
    )
    assert bundle.how == "bundle page, selectors given"
    assert bundle.rows
    assert all(row.url.startswith("https://info.daegu.go.kr/") for row in bundle.rows)
