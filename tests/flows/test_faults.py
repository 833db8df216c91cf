"""Fault injection: one ingest run against healthy sites and every fault a real site produces.

All on 127.0.0.1. For each fault the run completes, the healthy sources load in full, and the
source's health says what went wrong in words an operator understands; what a faulty source
did deliver is kept.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pytest

from cityradar.demo.server import Canned, SiteServer
from cityradar.demo.sites import Site, bundled_sites
from tests.helpers.ingest import ingest_entries

RSS = "application/rss+xml; charset=utf-8"
MAX_BYTES = 1024 * 1024  # the crawl's download cap in this run
REQUEST_TIMEOUT = 3  # seconds


def rss(items: list[str], encoding: str = "utf-8", declare: bool = True) -> bytes:
    """An RSS 2.0 document of ``items`` (each an <item> body), in ``encoding``."""
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else '<?xml version="1.0"?>'
    body = "".join(f"<item>{item}</item>" for item in items)
    text = f'{head}<rss version="2.0"><channel><title>t</title>{body}</channel></rss>'
    return text.encode(encoding)


def entry(
    n: int,
    title: str,
    date: str | None = "Fri, 20 Nov 2026 09:00:00 +0900",
    link: str | None = "https://www.example.kr/news/{n}",
    guid: str | None = "g-{n}",
) -> str:
    """One <item>: an off-site link (stored, not fetched), a GUID and a date unless left out."""
    parts = [f"<title>{title}</title>"]
    if link:
        parts.append(f"<link>{link.format(n=n)}</link>")
    if guid:  # not a permalink: an entry without <link> must not get one from its GUID
        parts.append(f'<guid isPermaLink="false">{guid.format(n=n)}</guid>')
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "".join(parts)


def gzip_bomb(size: int) -> bytes:
    """A small gzip body that inflates to ``size`` bytes of spaces."""
    return gzip.compress(b" " * size, compresslevel=9)


@dataclass(frozen=True)
class Fault:
    """A faulty source: what its server does, and what its health must say."""

    id: str
    canned: Canned
    status: str  # the crawl's status
    says: str  # words the problem must contain
    tries: int = 1


def good(site: str) -> list[str]:
    """Two ordinary entries of their own (the same link in two feeds would be one story)."""
    link = f"https://www.example.kr/{site}/{{n}}"
    return [
        entry(1, "서울 스마트 가로등", link=link),
        entry(2, "Busan smart crosswalks", link=link),
    ]


FAULTS = [
    Fault("slow_but_in_time", Canned(200, rss(good("slow")), RSS, delay=1.0), "ok", ""),
    Fault(
        "hanging", Canned(200, rss(good("hanging")), RSS, delay=20), "failed", "timed out", tries=2
    ),
    Fault("error_500", Canned(500, b"oops"), "failed", "HTTP 500 Internal Server Error", tries=2),
    Fault("error_502", Canned(502, b"proxy"), "failed", "HTTP 502 Bad Gateway", tries=2),
    Fault("error_503", Canned(503, b"busy"), "failed", "HTTP 503 Service Unavailable", tries=2),
    Fault(
        "forbidden",
        Canned(403, b"<html><body>Access Denied</body></html>"),
        "failed",
        "/forbidden/rss.xml: refused (often the User-Agent or the client's country)",
    ),
    Fault(
        "rate_limited",
        Canned(429, b"slow down", headers={"Retry-After": "3600"}),
        "failed",
        "the server asks to wait 3600",
    ),
    Fault(
        "reset",
        Canned(200, rss(good("reset")), RSS, fault="reset"),
        "failed",
        "connection",
        tries=2,
    ),
    Fault(
        "truncated",
        Canned(200, rss(good("truncated") * 400), RSS, fault="truncate"),
        "failed",
        "cut short",
        tries=2,
    ),
    Fault(
        "oversized",
        Canned(200, rss([entry(n, "x" * 1000) for n in range(2000)]), RSS),
        "failed",
        "larger than the 1 MiB download cap",
    ),
    Fault(
        "gzip_bomb",
        Canned(200, gzip_bomb(64 * MAX_BYTES), RSS, headers={"Content-Encoding": "gzip"}),
        "failed",
        "larger than the 1 MiB download cap once decompressed",
    ),
    Fault(
        "redirect_loop",
        Canned(302, b"", headers={"Location": "/redirect_loop/rss.xml"}),
        "failed",
        "redirect loop",
    ),
    Fault(
        "malformed_xml",
        # an HTML entity XML does not know: many real feeds carry one
        Canned(200, rss([*good("malformed"), entry(9, "Smart&nbsp;city week")]), RSS),
        "ok",
        "feed is malformed but readable",
    ),
    Fault(
        "garbage_xml",
        Canned(200, b"<?xml version='1.0'?><rss><<<>>>\x00\x01", RSS),
        "failed",
        "not a readable feed",
    ),
    Fault(
        "html_instead",
        Canned(200, b"<!DOCTYPE html><html><body><h1>Site renewal</h1></body></html>"),
        "failed",
        "not a feed: the server sent an HTML page",
    ),
    Fault(
        "wrong_charset",
        Canned(200, rss([entry(3, "부산 스마트 횡단보도 설치")], "euc-kr"), RSS),
        "ok",
        "",
    ),
    Fault(
        "undeclared_charset",
        Canned(
            200,
            rss([entry(4, "인천 송도 자율주행 셔틀")], "euc-kr", declare=False),
            "application/xml",
        ),
        "ok",
        "",
    ),
    Fault(
        "duplicate_guids",
        Canned(
            200,
            rss([entry(5, "세종 스마트 주차"), entry(6, "세종 스마트 주차 (2보)", guid="g-5")]),
            RSS,
        ),
        "ok",
        "2 entries share a GUID",
    ),
    Fault(
        "no_link_no_date",
        Canned(200, rss([entry(7, "링크 없는 공지", link=None, date=None)]), RSS),
        "ok",
        "1 entry has no link; 1 entry has no date",
    ),
    Fault(
        "far_future",
        Canned(
            200, rss([entry(8, "2082년 도시계획", date="Wed, 01 Jan 2082 09:00:00 +0900")]), RSS
        ),
        "ok",
        "1 entry is dated in the future (2082-01-01)",
    ),
]


@dataclass
class FaultRun:
    """What the run with faults produced."""

    summary: object
    db_path: object
    sites: list[Site]
    requested: list[str]


def _feed_entry(fault: Fault, base: str) -> dict[str, object]:
    return {
        "id": fault.id,
        "name": fault.id.replace("_", " "),
        "kind": "feed",
        "url": f"{base}/{fault.id}/rss.xml",
        "language": "ko",
        "country": "KR",
        "org_type": "news",
        "timezone": "Asia/Seoul",
    }


@pytest.fixture(scope="module")
def fault_run(prefect_harness, tmp_path_factory) -> FaultRun:
    now = datetime.now(UTC)
    sites = [s for s in bundled_sites(now) if s.slug in ("seoul-news", "korea-daily")]
    data_dir = tmp_path_factory.mktemp("faults")
    canned = {f"/{fault.id}/rss.xml": fault.canned for fault in FAULTS}
    with pytest.MonkeyPatch.context() as env, SiteServer(sites, canned) as server:
        env.setenv("CITYRADAR_CRAWL_REQUEST_TIMEOUT", str(REQUEST_TIMEOUT))
        env.setenv("CITYRADAR_CRAWL_MAX_BYTES", str(MAX_BYTES))
        env.setenv("CITYRADAR_CRAWL_RETRIES", "1")
        env.setenv("CITYRADAR_CRAWL_RETRY_DELAY", "1")
        entries = [site.source_entry(server.base_url) for site in sites]
        entries += [_feed_entry(fault, server.base_url) for fault in FAULTS]
        summary, _ = ingest_entries(entries, data_dir)
        requested = server.paths_requested()
    return FaultRun(summary, data_dir / "w.duckdb", sites, requested)


def query(run: FaultRun, sql: str, params: tuple = ()) -> list[tuple]:
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_the_run_completes_and_the_healthy_sites_load_in_full(fault_run):
    reports = {r.source_id: r for r in fault_run.summary.reports}
    assert set(reports) == {"seoul_news", "korea_daily"} | {f.id for f in FAULTS}
    for site in fault_run.sites:
        source_id = site.slug.replace("-", "_")
        assert reports[source_id].status == "ok", reports[source_id].error
        (count,) = query(fault_run, "select count(*) from items where source_id = ?", (source_id,))[
            0
        ]
        assert count == len(site.articles)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.id)
def test_each_fault_is_reported_in_words_in_source_health(fault_run, fault):
    report = next(r for r in fault_run.summary.reports if r.source_id == fault.id)
    assert report.status == fault.status, report.error
    assert report.attempts == fault.tries
    ((health, problem),) = query(
        fault_run, "select health, problem from source_health where source_id = ?", (fault.id,)
    )
    assert health == ("failing" if fault.status == "failed" else "ok")
    if fault.says:
        assert fault.says in (problem or ""), problem
    else:
        assert problem is None


def test_what_faulty_sources_delivered_is_kept(fault_run):
    titles = dict(
        query(fault_run, "select source_id, list(title order by title) from items group by 1")
    )
    assert titles["slow_but_in_time"] == ["Busan smart crosswalks", "서울 스마트 가로등"]
    assert titles["malformed_xml"] == [
        "Busan smart crosswalks",
        "Smart city week",
        "서울 스마트 가로등",
    ]
    assert titles["wrong_charset"] == ["부산 스마트 횡단보도 설치"]
    assert titles["undeclared_charset"] == ["인천 송도 자율주행 셔틀"]
    assert titles["duplicate_guids"] == ["세종 스마트 주차 (2보)"] or titles["duplicate_guids"] == [
        "세종 스마트 주차"
    ]
    assert titles["no_link_no_date"] == ["링크 없는 공지"]
    # kept as written and flagged, but out of published_at: it never sorts as the newest story
    ((flag, raw, published),) = query(
        fault_run,
        "select date_flag, published_raw, published_at from core.items"
        " where source_id = 'far_future'",
    )
    assert (flag, raw, published) == ("future", "Wed, 01 Jan 2082 09:00:00 +0900", None)


def test_nothing_failed_is_loaded_twice_and_raw_entries_are_all_kept(fault_run):
    raw = dict(query(fault_run, "select source_id, count(*) from raw.items group by 1"))
    assert raw["duplicate_guids"] == 2  # both entries as sent, for audit
    stories = dict(query(fault_run, "select source_id, count(*) from items group by 1"))
    assert stories["duplicate_guids"] == 1
    failed = {f.id for f in FAULTS if f.status == "failed"}
    assert not failed & set(stories)


def test_retried_faults_were_asked_twice_and_the_rate_limit_once(fault_run):
    asked = fault_run.requested
    assert asked.count("/error_503/rss.xml") == 6  # Scrapy's 3 tries, in each of 2 crawl tries
    assert asked.count("/rate_limited/rss.xml") == 1  # an hour's wait is not worth holding for
    assert asked.count("/redirect_loop/rss.xml") > 5
