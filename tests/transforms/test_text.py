"""Clean text and language."""

from __future__ import annotations

import pytest

from transforms.language import detect_language
from transforms.text import clean_line, clean_text, drop_leading_title, html_to_text


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


def test_what_sits_above_the_title_line_is_page_chrome():
    body = (
        "보도자료\n시민과 함께 여는 스마트 도시\n한빛시, 빈자리 안내  시범 운영\n한빛시는 시작한다."
    )
    assert drop_leading_title(body, "한빛시, 빈자리 안내 시범 운영") == "한빛시는 시작한다."


def test_a_line_run_together_loses_the_title_it_starts_with():
    body = "부산물 비료 활용 농가 지원 확대 농림부는 지원한다고 밝혔다.\n둘째 줄"
    assert (
        drop_leading_title(body, "부산물 비료 활용 농가 지원 확대")
        == "농림부는 지원한다고 밝혔다.\n둘째 줄"
    )
    assert drop_leading_title("서울시 발표 내용이다.", "서울시") == "서울시 발표 내용이다."


def test_a_title_below_the_lede_is_left_where_it_is():
    lede = "한빛시는 도심 공영주차장 12곳에 빈 주차면을 실시간으로 알려 주는 시스템을 운영한다."
    body = f"{lede}\n빈자리 안내\n둘째 문단."
    assert drop_leading_title(body, "빈자리 안내") == body


def test_feed_html_loses_its_captions_share_bar_and_related_posts():
    text = html_to_text(
        '<div class="wp-caption"><img src="a.jpg"><p class="wp-caption-text">A lamp post.</p></div>'
        "<p>Tampere counts cyclists.</p><figure><figcaption>Photo: the city</figcaption></figure>"
        '<div class="sharedaddy sd-sharing-enabled"><h3>Share this:</h3><a>Twitter</a></div>'
        '<div class="jp-relatedposts"><a>Oulu maps snow ploughs</a></div><p>Planners use the data.</p>'
    )
    assert [line for line in text.splitlines() if line.strip()] == [
        "Tampere counts cyclists.",
        "Planners use the data.",
    ]


def test_table_cells_stay_apart_and_rows_on_their_own_lines():
    text = html_to_text(
        "<table><tr><th>구분</th><td>2025년</td></tr><tr><th>예산</th><td>10억</td></tr></table>"
    )
    assert [" ".join(line.split()) for line in text.splitlines() if line.strip()] == [
        "구분 2025년",
        "예산 10억",
    ]


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
