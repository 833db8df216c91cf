"""Digest rendering from a seeded warehouse: grouped by focus area, each story once, safe HTML."""

from __future__ import annotations

import pytest

from digest.query import fetch_week
from digest.rank import Audience, build_digest
from digest.render import render_digest, safe_url
from digest.week import IsoWeek
from tests.helpers.batches import load_raws
from tests.helpers.factories import make_raw, make_source
from warehouse.db import connect

WEEK = IsoWeek.parse("2026-W47")
NEWS = make_source(id="test_feed", language="en", org_type="news", name="Korea Daily Wire")
STORIES = [
    {
        "seq": 0,
        "link": "https://news.example.kr/1",
        "guid": "1",
        "published_raw": "2026-11-17T09:00:00+09:00",
        "title": "서울시, 심야 자율주행버스 강남 노선 확대",
        "summary_html": "자율주행 버스가 강남역과 수서역을 잇는다.",
    },
    {
        "seq": 1,
        "link": "https://news.example.kr/2",
        "guid": "2",
        "published_raw": "2026-11-18T09:00:00+09:00",
        "title": "Gwangju launches AI disaster warning <script>alert(1)</script>",
        "summary_html": "Floods and landslides alerts, with CCTV and emergency response.",
    },
    {
        "seq": 2,
        "link": "javascript:alert(document.cookie)",
        "guid": "3",
        "published_raw": "2026-11-19T09:00:00+09:00",
        "title": "Ulsan smart grid links solar and batteries",
        "summary_html": "A virtual power plant balances the grid.",
    },
    {
        "seq": 3,
        "link": "https://news.example.kr/4",
        "guid": "4",
        "published_raw": "2026-11-19T20:00:00+09:00",
        "title": "K-pop concert sells out in Seoul",
        "summary_html": "Tickets went in four minutes.",
    },
    {
        "seq": 4,
        "link": "https://news.example.kr/5",
        "guid": "5",
        "published_raw": "2026-11-15T23:00:00+09:00",
        "title": "Busan smart crosswalks last week",
        "summary_html": "Smart crosswalk sensors for pedestrians.",
    },
    {
        "seq": 5,
        "link": "https://news.example.kr/6",
        "guid": "6",
        "published_raw": "2026-11-20T09:00:00+09:00",
        "title": 'Daejeon smart city R&D <3 "data" hub',
        "summary_html": "An AI data platform for the smart city.",
    },
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    path = tmp_path_factory.mktemp("w") / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "b1", [make_raw(**s) for s in STORIES], sources=(NEWS,))
    with connect(path, read_only=True) as con:
        built = build_digest(fetch_week(con, WEEK, "Asia/Seoul"), Audience(key_cities=("Seoul",)))
    return built, render_digest(built)


def shown(built):
    sections = [*built.focus_sections, built.policy, *built.city_sections]
    return [story.lead.title for section in sections for story in section.stories]


def test_only_the_weeks_smart_city_stories_appear_once_each(rendered):
    built, digest = rendered
    assert built.totals.collected == 5  # the crosswalk story is dated the week before (Sun 23:00)
    assert built.totals.items == 4
    assert len(shown(built)) == len(set(shown(built))) == 4
    assert "K-pop" not in digest.text
    assert "Busan smart crosswalks" not in digest.text


def test_sections_are_focus_areas_named_in_both_languages(rendered):
    built, digest = rendered
    keys = {section.key for section in built.focus_sections}
    assert keys == {"mobility", "health_safety", "energy", "ai_data"}
    assert "## Mobility & transport / 모빌리티·교통" in digest.text
    assert "모빌리티·교통" in digest.html


def test_korean_text_and_language_marks_survive(rendered):
    _, digest = rendered
    assert "[KO] 서울시, 심야 자율주행버스 강남 노선 확대" in digest.text
    assert "서울시, 심야 자율주행버스 강남 노선 확대" in digest.html
    assert "[EN] Ulsan smart grid" in digest.text


def test_source_text_is_escaped_and_only_web_links_survive(rendered):
    _, digest = rendered
    assert "<script" not in digest.html
    assert "alert(1)" not in digest.html
    assert "Gwangju launches AI disaster warning" in digest.html
    assert 'R&amp;D &lt;3 "data" hub' in digest.html  # escaped in HTML
    assert 'R&D <3 "data" hub' in digest.text  # and plain in text
    assert "javascript:" not in digest.html
    assert "javascript:" not in digest.text
    assert 'href="https://news.example.kr/1"' in digest.html


def test_a_story_with_a_saved_copy_links_to_it_and_the_others_to_their_urls(rendered, tmp_path):
    from dataclasses import replace

    built, _ = rendered
    saved = (tmp_path / "1.html").resolve().as_uri()
    data = replace(built.data, saved_pages={"https://news.example.kr/1": saved})
    digest = render_digest(build_digest(data, Audience(key_cities=("Seoul",))))
    assert f'href="{saved}"' in digest.html
    assert f"  {saved}\n" in digest.text
    assert 'href="https://news.example.kr/1"' not in digest.html
    assert 'href="https://news.example.kr/6"' in digest.html  # no saved copy: its own URL
    assert "file:" not in render_digest(built).html  # only cityradar's own copies are file: links


def test_the_html_part_is_self_contained_and_narrow(rendered):
    _, digest = rendered
    html = digest.html
    assert 'width="640"' in html
    assert "max-width: 640px" in html  # inlined from the stylesheet
    assert "<link" not in html
    assert "<style" not in html
    # the only image is the chart, carried in the mail itself
    assert html.count("<img") == 1
    assert 'src="cid:focus-chart@cityradar"' in html
    assert digest.chart_png.startswith(b"\x89PNG")
    assert "data:image/png;base64," in digest.standalone_html()
    assert "2026-W47" in digest.subject
    assert "16–22 Nov 2026" in digest.subject


def test_an_empty_week_says_so(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    with connect(path, read_only=True) as con:
        digest = render_digest(build_digest(fetch_week(con, WEEK, "Asia/Seoul"), Audience()))
    assert "no smart-city stories" in digest.subject
    assert "No smart-city stories were collected for this week." in digest.text
    assert digest.chart_png is None  # nothing to chart
    assert len(digest.text.splitlines()) < 15  # short
    assert "No smart-city stories were collected for this week." in digest.html


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://a.example/x", True),
        ("http://a.example/x", True),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("file:///etc/passwd", False),
        (" JAVASCRIPT:alert(1)", False),
        (None, False),
    ],
)
def test_safe_url(url, kept):
    assert (safe_url(url) is not None) is kept
