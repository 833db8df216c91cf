"""Canonical URLs: one spelling per page; the parameters that identify the page survive."""

from __future__ import annotations

import pytest

from transforms.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://news.seoul.go.kr/gov/archives/574155?utm_source=rss&utm_medium=rss&fbclid=x#comments",
            "https://news.seoul.go.kr/gov/archives/574155",
        ),
        (
            "https://www.msit.go.kr/eng/bbs/view.do;jsessionid=ABC123.node1?sCode=eng&mId=4&nttSeqNo=778",
            "https://www.msit.go.kr/eng/bbs/view.do?mId=4&nttSeqNo=778&sCode=eng",
        ),
        (
            "HTTPS://WWW.Example.COM:443/a/b/../c?b=2&a=1&gclid=zz",
            "https://www.example.com/a/c?a=1&b=2",
        ),
        ("http://example.com:80/x?PHPSESSID=abc&id=5", "http://example.com/x?id=5"),
        (
            "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156730000",
            "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156730000",
        ),
        ("https://x.kr/view.do?nttId=5&q=%ED%95%9C", "https://x.kr/view.do?nttId=5&q=%ED%95%9C"),
        ("https://x.kr/view.do?q=한국", "https://x.kr/view.do?q=%ED%95%9C%EA%B5%AD"),
        ("http://127.0.0.1:8765/a?utm_campaign=w", "http://127.0.0.1:8765/a"),
    ],
)
def test_canonical_urls(url, expected):
    assert canonical_url(url) == expected


def test_a_source_can_name_its_own_session_parameters():
    url = "https://www.ifez.go.kr/main/pst/view.do?pst_id=noti03&pst_sn=1234&search=x8f7a"
    assert canonical_url(url, drop_params=["search"]) == (
        "https://www.ifez.go.kr/main/pst/view.do?pst_id=noti03&pst_sn=1234"
    )


def test_two_tracking_variants_of_one_page_are_equal():
    a = "https://www.koreaherald.com/article/10612345?utm_source=newsletter"
    b = "https://www.koreaherald.com/article/10612345#top"
    assert canonical_url(a) == canonical_url(b)
