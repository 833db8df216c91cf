"""A real crawl follows links only over http(s) and within the source's site: links elsewhere,
redirects elsewhere, ``file:`` and link-local addresses are stored or noted, never fetched."""

from __future__ import annotations

import pytest

from cityradar.demo.server import Canned, SiteServer
from cityradar.staging import Batch
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from tests.helpers.factories import make_source

# system tests: each crawl runs in a child process, as ingest runs it
pytestmark = pytest.mark.slow

FAST = crawl_overrides(delay=0.0, per_host=4, timeout=60)
METADATA = "http://169.254.169.254/latest/meta-data/"


def _rss(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Entry {n}</title><link>{link}</link>"
        f'<guid isPermaLink="false">e{n}</guid></item>'
        for n, link in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def _redirect(location: str) -> Canned:
    return Canned(302, b"", headers={"Location": location})


@pytest.fixture(scope="module")
def policy_crawl(tmp_path_factory):
    with SiteServer([]) as server:
        base = server.base_url
        elsewhere = base.replace("127.0.0.1", "localhost")  # same server, another host
        article = (
            "<html><head><title>Article</title></head><body><article><h1>Article</h1>"
            + "<p>Seoul expands smart crosswalks across the city this winter.</p>" * 5
            + f'<a href="{elsewhere}/files/annex.pdf">annex.pdf</a>'
            + f'<a href="{METADATA}report.pdf">report.pdf</a>'
            + "</article></body></html>"
        ).encode()
        server.canned.update(
            {
                "/a/1": _redirect(f"{elsewhere}/secret"),
                "/a/2": _redirect("file:///etc/passwd"),
                "/a/3": _redirect(METADATA),
                "/a/4": Canned(200, article),
            }
        )
        links = [
            f"{base}/a/1",
            f"{base}/a/2",
            f"{base}/a/3",
            f"{base}/a/4",
            "file:///etc/passwd",
            METADATA,
            f"{elsewhere}/elsewhere",
        ]
        server.canned["/feed.xml"] = Canned(200, _rss(links), "application/rss+xml")
        source = make_source(url=f"{base}/feed.xml", language="en")
        batch = Batch.create(tmp_path_factory.mktemp("staging"), [source])
        report = crawl_in_subprocess(source, batch, FAST, timeout=120)
        yield report, batch, server.requests, links


def test_only_the_sources_own_pages_were_requested(policy_crawl):
    _, _, requests, _ = policy_crawl
    paths = sorted(r.path for r in requests)
    assert paths == ["/a/1", "/a/2", "/a/3", "/a/4", "/feed.xml", "/robots.txt"]
    assert {r.headers.get("Host", "").split(":")[0] for r in requests} == {"127.0.0.1"}


def test_every_entry_is_kept_with_its_link(policy_crawl):
    report, batch, _, links = policy_crawl
    items = {i.title: i for i in batch.raw_items()}
    kept = [items[f"Entry {n}"].link for n in range(len(links))]
    assert kept[:4] + kept[5:] == links[:4] + links[5:]
    assert kept[4].startswith("file:")  # as feedparser reads it: file://etc/passwd
    assert kept[4].endswith("etc/passwd")
    assert report.items_seen == len(links)


def test_redirects_off_the_site_say_why_they_were_not_followed(policy_crawl):
    _, batch, _, _ = policy_crawl
    errors = {i.title: i.article_error for i in batch.raw_items()}
    assert errors["Entry 0"].startswith("not fetched: localhost is outside the source's site")
    assert errors["Entry 1"] == (
        "not fetched: the server redirected to a file: URL (file:///etc/passwd); "
        "only http and https links are followed"
    )
    assert errors["Entry 2"].startswith("not fetched: 169.254.169.254 is a link-local address")
    assert errors["Entry 3"] is None
    # links that leave the site were never requested, so they carry no error at all
    assert errors["Entry 4"] is errors["Entry 5"] is errors["Entry 6"] is None


def test_attachments_elsewhere_are_noted_not_fetched(policy_crawl):
    _, batch, _, _ = policy_crawl
    article = next(i for i in batch.raw_items() if i.title == "Entry 3")
    assert "smart crosswalks" in article.article_text
    errors = {a["url"].rsplit("/", 1)[-1]: a.get("error", "") for a in article.attachments}
    assert errors["annex.pdf"].startswith("not fetched: localhost is outside the source's site")
    assert errors["report.pdf"].startswith("not fetched: 169.254.169.254 is a link-local address")


def test_refusals_are_in_the_fetch_log(policy_crawl):
    _, batch, _, _ = policy_crawl
    log = list(batch.fetch_records())
    refused = [f for f in log if (f.error or "").startswith("not fetched")]
    assert len(refused) == 4  # two redirects elsewhere, two attachments
    assert all(f.status is None for f in refused)
    # Scrapy does not follow a redirect to file: at all; the 302 itself is in the log
    assert [f.status for f in log if f.url.endswith("/a/2")] == [302]
