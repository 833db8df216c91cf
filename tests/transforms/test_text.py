"""Clean text and language."""

from __future__ import annotations

import pytest

from transforms.language import detect_language
from transforms.text import clean_line, clean_text, drop_leading_title


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "[국토부] 도시&amp;middot;교통 &lt;b&gt;정책&lt;/b&gt;",
            "[국토부] 도시·교통 정책",
        ),  # escaped twice
        ("서울시&nbsp;&nbsp; 스마트시티\n\t  정책", "서울시 스마트시티 정책"),
        ("AT&T and R&D", "AT&T and R&D"),
        ("<b>bold</b> <i>title</i>\u200b", "bold title"),
    ],
)
def test_titles(raw, expected):
    assert clean_line(raw) == expected


def test_scripts_and_styles_never_reach_clean_text():
    text = clean_text(
        "<p>첫 문단</p><script>alert('x')</script><style>p{}</style><p>둘째&nbsp;문단<br/>줄바꿈</p>"
    )
    assert text == "첫 문단\n둘째 문단\n줄바꿈"


def test_a_leading_line_repeating_the_title_is_dropped():
    assert (
        drop_leading_title("Songdo pilots shuttles\nINCHEON -- body", "Songdo pilots  shuttles")
        == "INCHEON -- body"
    )
    assert drop_leading_title("본문 첫 줄\n둘째", "다른 제목") == "본문 첫 줄\n둘째"


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("서울시, 자율주행 버스 심야 운행 확대", None, "ko"),
        ("서울시", "en", "ko"),  # Hangul is Korean at any length
        ("Seoul expands self-driving night buses in Gangnam", "ko", "en"),
        ("Die Stadt Berlin startet ein neues Verkehrsprojekt für Busse", None, "de"),
        ("AI", "en-US", "en"),  # too short to guess: the declared language
        ("Helsinki opens digital twin", None, None),  # unsure and nothing declared: unknown
    ],
)
def test_language(text, declared, expected):
    assert detect_language(text, declared) == expected
