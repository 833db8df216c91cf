"""The demo's saved copies of its sample pages, and the sample release that is corrected."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityradar.demo.saved import file_for, save_copies
from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from spiders.documents import document_text
from warehouse.pages import StoryPage


@pytest.mark.parametrize(
    ("target", "suffix", "path"),
    [
        ("/korea-daily/view/AEN20260001", ".html", "korea-daily/view/AEN20260001.html"),
        ("/molit-demo/news/2026101.html", ".html", "molit-demo/news/2026101.html"),
        (
            "/sejong-board/bbs/R0071/view.do?nttId=B0001201&pageIndex=2",
            ".html",
            "sejong-board/bbs/R0071/view.do_nttId_B0001201_pageIndex_2.html",
        ),
        ("/smartcity-weekly/news/helsinki/", ".html", "smartcity-weekly/news/helsinki/index.html"),
        (
            "/molit-demo/download.do?fileId=20261011",
            ".hwpx",
            "molit-demo/download.do_fileId_20261011.hwpx",
        ),
        ("/../../etc/passwd", "", "etc/passwd"),  # never above the folder
    ],
)
def test_a_served_address_becomes_a_file_path_a_browser_opens(target, suffix, path):
    assert file_for(target, suffix) == Path(path)


def test_the_pages_and_documents_are_saved_as_served_with_an_index(tmp_path):
    sites = bundled_sites()
    molit = next(site for site in sites if site.slug == "molit-demo")
    article = molit.articles[0]
    with SiteServer(sites) as server:
        base = server.base_url
        page_url = molit.article_url(base, article)
        document_url = f"{base}/molit-demo/download.do?fileId={article.id}1"
        pages = [
            StoryPage(page_url, article.title, "molit_demo", ((document_url, "보도자료.hwpx"),)),
            StoryPage("https://news.example.org/elsewhere", "Elsewhere", "smartcity_weekly"),
            StoryPage(f"{base}/molit-demo/news/gone.html", "Gone", "molit_demo"),  # a 404
        ]
        copies = save_copies(server, pages, tmp_path / "site")
        served_page = server.respond(page_url.removeprefix(base)).body
        served_document = server.respond(document_url.removeprefix(base)).body

    assert copies == {page_url: f"site/molit-demo/news/{article.id}.html"}
    assert (tmp_path / copies[page_url]).read_bytes() == served_page
    # a real HWPX, made when it is served (each one anew: their zip timestamps differ)
    document = tmp_path / "site" / f"molit-demo/download.do_fileId_{article.id}1.hwpx"
    assert document_text(document.read_bytes(), "hwpx") == document_text(served_document, "hwpx")
    assert f"[보도자료] {article.title}" in document_text(document.read_bytes(), "hwpx")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert f'<a href="molit-demo/news/{article.id}.html">{article.title}</a>' in index
    assert f'<a href="molit-demo/download.do_fileId_{article.id}1.hwpx">보도자료.hwpx</a>' in index
    assert "Elsewhere" not in index  # another site's page is not ours to save
    assert "Gone" not in index


def test_the_corrected_release_differs_only_once_revised():
    before = {a.id: a for site in bundled_sites() for a in site.articles}
    after = {a.id: a for site in bundled_sites(revised=True) for a in site.articles}
    changed = [key for key in before if before[key] != after[key]]
    assert changed == ["2026104"]
    assert "640억 원" in after["2026104"].summary
    assert "640억 원" not in before["2026104"].summary
    assert after["2026104"].published == before["2026104"].published  # the same release
