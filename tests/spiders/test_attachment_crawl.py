"""Attachments known only by their download (fileDown.do?atchFileId=…, "다운로드"), crawled in a
child process on 127.0.0.1: their names and kinds come from the server's answer."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from cityradar.demo.server import Canned, SiteServer
from cityradar.staging import Batch
from spiders.base import MAX_ATTACHMENTS_PER_ITEM
from spiders.process import crawl_in_subprocess
from spiders.settings import crawl_overrides
from tests.helpers.documents import minimal_hwpx, minimal_pdf
from tests.helpers.factories import make_source

# system tests: each crawl runs in a child process, as ingest runs it
pytestmark = pytest.mark.slow

OCTETS = "application/octet-stream"


def latin1(raw: bytes) -> str:
    """Header bytes as the test server's str headers carry them (it sends them as Latin-1)."""
    return raw.decode("latin-1")


PDF_TEXT = "Annex: smart city budget table"
HWPX_TEXT = "붙임: 세종 스마트시티 예산"

# file id -> (what the server sends, the name and kind the crawl should learn)
DOWNLOADS: dict[str, tuple[Canned, str, str]] = {
    # RFC 6266/5987, with an ASCII fallback
    "a1": (
        Canned(
            200,
            minimal_pdf([PDF_TEXT]),
            OCTETS,
            {
                "Content-Disposition": "attachment; filename=\"a1.pdf\"; filename*=UTF-8''"
                + quote("스마트시티 추진계획.pdf")
            },
        ),
        "스마트시티 추진계획.pdf",
        "pdf",
    ),
    # raw UTF-8 bytes in a plain filename=
    "a2": (
        Canned(
            200,
            minimal_hwpx([HWPX_TEXT]),
            OCTETS,
            {"Content-Disposition": latin1('attachment; filename="보도자료 1.hwpx"'.encode())},
        ),
        "보도자료 1.hwpx",
        "hwpx",
    ),
    # raw EUC-KR bytes, unquoted
    "a3": (
        Canned(
            200,
            minimal_pdf([PDF_TEXT]),
            OCTETS,
            {"Content-Disposition": latin1("attachment; filename=붙임2.pdf".encode("euc-kr"))},
        ),
        "붙임2.pdf",
        "pdf",
    ),
    # percent-encoded UTF-8 in a plain filename=
    "b1": (
        Canned(
            200,
            minimal_hwpx([HWPX_TEXT]),
            OCTETS,
            {"Content-Disposition": f'attachment; filename="{quote("사업 공고문.hwpx")}"'},
        ),
        "사업 공고문.hwpx",
        "hwpx",
    ),
    # percent-encoded EUC-KR in a plain filename=
    "b2": (
        Canned(
            200,
            minimal_pdf([PDF_TEXT]),
            OCTETS,
            {
                "Content-Disposition": "attachment; filename="
                + quote("예산표.pdf", encoding="euc-kr")
            },
        ),
        "예산표.pdf",
        "pdf",
    ),
    # no name at all: the Content-Type tells the kind
    "b3": (Canned(200, minimal_pdf([PDF_TEXT]), "application/pdf"), "다운로드", "pdf"),
    # an HWP (no text read), named in an RFC 2047 word
    "c1": (
        Canned(
            200,
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not a real HWP",
            OCTETS,
            {
                "Content-Disposition": 'attachment; filename="=?UTF-8?B?'
                + base64.b64encode("환영문.hwp".encode()).decode()
                + '?="'
            },
        ),
        "환영문.hwp",
        "hwp",
    ),
    # a login page where the file was
    "c2": (Canned(200, "<html><body>로그인 하세요</body></html>".encode()), "다운로드", "unknown"),
    # neither a name nor a Content-Type: the first bytes
    "c3": (Canned(200, minimal_pdf([PDF_TEXT]), OCTETS), "다운로드", "pdf"),
    # beyond the per-item limit, after a named PDF that goes first: never asked for
    "c4": (Canned(200, minimal_pdf([PDF_TEXT]), OCTETS), "다운로드", "unknown"),
}
PAGES = {1: ["a1", "a2", "a3"], 2: ["b1", "b2", "b3"], 3: ["c1", "c2", "c4"], 4: ["c3"]}
NAMED = '<li><a href="/files/annex.pdf">붙임 예산표.pdf</a></li>'  # last on page 3


def article(n: int) -> bytes:
    links = "".join(
        f'<li><a href="/cmm/fileDown.do?atchFileId={file_id}&amp;fileSn=0">다운로드</a></li>'
        for file_id in PAGES[n]
    ) + (NAMED if n == 3 else "")
    return (
        f'<html lang="ko"><body><article><h1>보도자료 {n}</h1><p>세종시는 스마트시티 실증을 '
        f"시작한다. 시민 누구나 새 서비스를 쓸 수 있다.</p></article>"
        f'<div class="file"><ul>{links}</ul></div></body></html>'
    ).encode()


def feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>보도자료 {n}</title><link>{base}/view/{n}</link><guid>g{n}</guid></item>"
        for n in PAGES
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    with SiteServer([]) as server:
        server.canned["/feed.xml"] = Canned(200, feed(server.base_url), "application/rss+xml")
        for n in PAGES:
            server.canned[f"/view/{n}"] = Canned(200, article(n))
        server.canned["/files/annex.pdf"] = Canned(200, minimal_pdf([PDF_TEXT]), OCTETS)
        for file_id, (canned, _, _) in DOWNLOADS.items():
            server.canned[f"/cmm/fileDown.do?atchFileId={file_id}&fileSn=0"] = canned
        source = make_source(url=f"{server.base_url}/feed.xml")
        batch = Batch.create(tmp_path_factory.mktemp("staging"), [source])
        report = crawl_in_subprocess(source, batch, crawl_overrides(0.0, 4, 60), timeout=120)
        found = {
            a["url"].split("atchFileId=")[1].split("&")[0]
            if "atchFileId=" in a["url"]
            else "named": a
            for item in batch.raw_items()
            for a in item.attachments
        }
        yield report, found, server.paths_requested()


@pytest.mark.parametrize("file_id", [f for f in DOWNLOADS if f != "c4"])
def test_a_download_is_named_and_kinded_by_the_servers_answer(crawled, file_id):
    report, found, _ = crawled
    _, name, kind = DOWNLOADS[file_id]
    assert (found[file_id]["name"], found[file_id]["kind"]) == (name, kind)
    assert found[file_id]["bytes"] == len(DOWNLOADS[file_id][0].body)
    assert report.status == "ok", report.error


@pytest.mark.parametrize("file_id", ["a1", "a2", "a3", "b1", "b2", "b3", "c3"])
def test_pdf_and_hwpx_downloads_give_their_text(crawled, file_id):
    _, found, _ = crawled
    expected = PDF_TEXT if found[file_id]["kind"] == "pdf" else HWPX_TEXT
    assert found[file_id]["text"] == expected
    assert "error" not in found[file_id]


def test_an_hwp_is_kept_without_text_and_a_login_page_is_said_to_be_one(crawled):
    _, found, _ = crawled
    assert "text" not in found["c1"]
    assert "error" not in found["c1"]
    assert found["c2"]["error"] == "not a document: the server sent an HTML page"


def test_no_more_downloads_than_the_per_item_limit_are_fetched(crawled):
    _, found, requested = crawled
    downloads = [path for path in requested if path.startswith("/cmm/fileDown.do")]
    assert len(downloads) == 3 + 3 + 2 + 1
    assert MAX_ATTACHMENTS_PER_ITEM == 3
    # page 3: the PDF its link names first, then unnamed downloads up to the limit
    assert "/files/annex.pdf" in requested
    assert found["named"]["text"] == PDF_TEXT
    assert not [path for path in downloads if "atchFileId=c4" in path]
    assert "bytes" not in found["c4"]  # listed, with what the page said of it
    assert (found["c4"]["name"], found["c4"]["kind"]) == ("다운로드", "unknown")
