"""Hostile content from a feed: markup, event handlers, javascript:/data: links and CRLF never
reach the clean text, the digest or the mail as live code; the raw entry is kept for audit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime
from html import escape
from pathlib import Path

import duckdb
import pytest
import yaml

from cityradar.demo.server import Canned, SiteServer
from digest.week import IsoWeek

SCRIPT_TITLE = '서울시 스마트 교통 신호 확대 <script>alert("title")</script>'
HANDLER_SUMMARY = (
    '<p>부산시가 자율주행 셔틀을 <img src=x onerror="alert(1)">운행한다.</p>'
    '<a href="javascript:alert(2)" onclick="steal()">자세히</a>'
)
CRLF_TITLE = "인천 송도 스마트 주차 도입\r\nBcc: victim@example.org\r\n\r\n<b>injected</b>"
TWICE_ESCAPED = "세종시 스마트시티 데이터 플랫폼 &amp;lt;iframe src=//evil.example&amp;gt;"


@dataclass(frozen=True)
class Hostile:
    """An entry as the feed sends it: title, summary HTML, link."""

    title: str
    summary: str
    link: str


ENTRIES = [
    Hostile(
        SCRIPT_TITLE, "<p>서울시가 스마트 교통 신호를 늘린다.</p>", "https://www.example.kr/n/1"
    ),
    Hostile("부산 자율주행 셔틀 운행", HANDLER_SUMMARY, "javascript:alert(document.cookie)"),
    Hostile(CRLF_TITLE, "<p>송도에 스마트 주차장을 연다.</p>", "data:text/html,<script>x</script>"),
    Hostile(
        TWICE_ESCAPED, "<p>세종시가 스마트시티 데이터를 공개한다.</p>", "https://www.example.kr/n/4"
    ),
]


def hostile_feed(published: datetime) -> bytes:
    """An RSS feed whose fields carry the hostile strings, escaped as XML requires."""
    items = "".join(
        f"<item><title>{escape(e.title)}</title><description>{escape(e.summary)}</description>"
        f'<link>{escape(e.link)}</link><guid isPermaLink="false">h{n}</guid>'
        f"<pubDate>{format_datetime(published)}</pubDate></item>"
        for n, e in enumerate(ENTRIES)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"{items}</channel></rss>"
    ).encode()


@dataclass
class HostileRun:
    db_path: Path
    digest_dir: Path
    week: IsoWeek


@pytest.fixture(scope="module")
def hostile_run(prefect_harness, tmp_path_factory) -> HostileRun:
    from flows.ingest import ingest
    from flows.weekly_digest import weekly_digest

    now = datetime.now(UTC)
    week = IsoWeek.last_complete(now, "Asia/Seoul")
    published = datetime.combine(week.monday(), datetime.min.time(), UTC) + timedelta(days=2)
    data_dir = tmp_path_factory.mktemp("hostile")
    feed = Canned(200, hostile_feed(published), "application/rss+xml; charset=utf-8")
    with SiteServer([], {"/rss.xml": feed}) as server:
        entry = {
            "id": "hostile_feed",
            "name": "Hostile <b>feed</b>",
            "kind": "feed",
            "url": f"{server.base_url}/rss.xml",
            "language": "ko",
            "country": "KR",
            "org_type": "news",
            "timezone": "Asia/Seoul",
        }
        sources = data_dir / "sources.yaml"
        sources.write_text(yaml.safe_dump([entry], allow_unicode=True), encoding="utf-8")
        ingest(sources_path=sources, db_path=data_dir / "w.duckdb", data_dir=data_dir)
    weekly_digest(
        week=str(week), db_path=data_dir / "w.duckdb", out_dir=data_dir / "digests", send=False
    )
    # a run without --send is a preview, written apart from what was sent
    return HostileRun(data_dir / "w.duckdb", data_dir / "digests" / str(week) / "preview", week)


def query(run: HostileRun, sql: str) -> list[tuple]:
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_clean_text_has_no_markup_handlers_or_line_breaks_in_titles(hostile_run):
    rows = query(hostile_run, "select title, summary, url, link_raw from core.items order by title")
    assert len(rows) == len(ENTRIES)
    text = " ".join(f"{title} {summary}" for title, summary, _, _ in rows)
    for poison in ("<script", "alert(", "onerror", "onclick", "<img", "<iframe", "<b>", "\r"):
        assert poison not in text, poison
    titles = sorted(title for title, _, _, _ in rows)
    assert titles == sorted(
        [
            "서울시 스마트 교통 신호 확대",
            "부산 자율주행 셔틀 운행",
            "인천 송도 스마트 주차 도입 Bcc: victim@example.org injected",  # one line
            "세종시 스마트시티 데이터 플랫폼",  # the twice-escaped iframe dropped too
        ]
    )
    summaries = {summary for _, summary, _, _ in rows}
    assert "부산시가 자율주행 셔틀을 운행한다.\n자세히" in summaries


def test_only_web_links_become_urls_and_the_raw_link_is_kept(hostile_run):
    links = dict(query(hostile_run, "select link_raw, url from core.items"))
    assert links["javascript:alert(document.cookie)"] is None
    assert links["data:text/html,<script>x</script>"] is None
    assert links["https://www.example.kr/n/1"] == "https://www.example.kr/n/1"


def test_the_raw_entries_keep_what_the_feed_sent_for_audit(hostile_run):
    records = [json.loads(r) for (r,) in query(hostile_run, "select record from raw.items")]
    titles = {r["title"] for r in records}
    assert SCRIPT_TITLE in titles
    assert any("onerror" in (r["summary_html"] or "") for r in records)


def test_the_html_digest_carries_no_live_code(hostile_run):
    html = (hostile_run.digest_dir / "everything.html").read_text(encoding="utf-8")
    assert "서울시 스마트 교통 신호 확대" in html  # the story is there, its script is not
    lowered = html.lower()
    for poison in ("<script", "onerror", "onclick", "javascript:", "data:text/html", "<iframe"):
        assert poison not in lowered, poison
    assert 'href="https://www.example.kr/n/1"' in html
    assert "Hostile <b>" not in html  # the source's own name is escaped too


def test_the_text_digest_and_the_mail_headers_stay_intact(hostile_run):
    text = (hostile_run.digest_dir / "everything.txt").read_text(encoding="utf-8")
    assert "\r" not in text
    assert "javascript:" not in text
    assert "data:text/html" not in text
    eml = (hostile_run.digest_dir / "everything.eml").read_bytes()
    mail = message_from_bytes(eml, policy=policy.default)
    assert mail["Bcc"] is None  # no header smuggled in through a title
    assert "victim@example.org" not in str(mail["Subject"])
    body = mail.get_body(("plain",)).get_content()
    assert "인천 송도 스마트 주차 도입 Bcc: victim@example.org injected" in body
