"""Page chrome: marked-up chrome pruned from HTML, chrome lines dropped from text, story kept."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from tests.helpers.paths import FIXTURES
from transforms.chrome import (
    chrome_elements,
    chrome_texts,
    drop_chrome_lines,
    drop_marked_lines,
    is_chrome_line,
    prune_chrome,
    subtree_texts,
)


@pytest.mark.parametrize(
    "line",
    [
        # department, contact person, phone, dates and view counts
        "담당부서 : 스마트도시과",
        "- 조회수 : 1,024",
        "작성일 2025-12-09",
        "담당부서 교통정책과",
        "디지털정부국 | 2026-11-20 | 조회 2,341",
        "담당부서 교통정책과 담당자 김하늘",  # a contact table's row
        "| 담당부서 | 교통정책과 | 담당자 | 김하늘 |",
        "| 연락처 | 031-000-1234 |",
        "【도시정책과장 홍길동 044-201-0000, 스마트시티팀장 김철수 044-201-0001】",
        "문의: 스마트도시과 (044-201-4567)",
        "- 콘텐츠 관리부서 홍보담당관 (031-000-2000)",
        "입력 2026.11.24 10:30 조회 3,210",
        # author contact lines
        "김나래 기자 narae@example.kr",
        "◎공감언론 예시통신 reporter@example.com",
        "홍길동 기자",
        # breadcrumbs
        "홈 > 알림·소식 > 보도자료",
        "HOME > 도정소식 > 보도자료",
        # satisfaction surveys
        "이 페이지에서 제공하는 정보에 대하여 만족하십니까?",
        "Q. 현재 페이지에서 제공되는 서비스에 대하여 만족하십니까?",
        "현재 페이지의 만족도를 평가해 주십시오. 의견을 수렴하여 빠른 시일 내에 반영하겠습니다.",
        "매우 만족 만족 보통 불만족",
        # licence and copyright notices
        '본 저작물은 "공공누리" 제1유형:출처표시 조건에 따라 이용할 수 있습니다.',
        "ⓒ 예시일보 무단전재 및 재배포 금지",
        "Copyright © 2026 Example News. All rights reserved.",
        "기사제공: 예시뉴스",
        "The post Tampere tests lamp posts appeared first on Example Cities.",
        # photo captions and credits
        "사진=한빛시 제공",
        "[사진 제공=해운대구]",
        "(사진=예시통신)",
        "Photo: City of Tampere",
        "행사 참석자들이 기념촬영을 하고 있다. /한빛시 제공",
        # attachment notes, previous / next, share and print widgets
        "※ 별첨 : 사진",
        "(사업구상도 1장, 환영문 1부 첨부)",
        "이전글 한빛시, 겨울철 제설 대책 발표",
        "다음글 다음글이 존재하지 않습니다.",
        "페이스북 트위터 카카오톡 인쇄",
        "Share Print Font size",
        "URL 복사",
        "본문 시작",
        "|---|---|---|",
    ],
)
def test_chrome_lines(line):
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "담당 공무원은 현장을 점검했다.",
        "부서 간 협업 강화",
        "신청은 다산콜센터(02-120-0000)로 하면 된다.",
        "시민 만족도 조사 결과 응답자의 90%가 만족했다.",
        "저작권자 보호를 위한 법 개정안이 국회를 통과했다.",
        "2026-2030 스마트도시 종합계획",
        "조회수 조작 의혹 제기",
        "사진 촬영 명소 10곳을 선정했다.",
        "▲스마트 횡단보도 ▲AI 카메라 ▲스마트 그늘막",
        "- 무술목·경도 일원 1조 원 투입 -",
        "Seoul will open 300 smart bus shelters by 2027.",
        "The city shares traffic data with researchers.",
        "구 관계자는 “주민 의견을 모아 운영 시간을 조정하겠다”고 말했다.",
    ],
)
def test_story_lines_are_not_chrome_even_at_the_top(line):
    assert not is_chrome_line(line, leading=True)


def test_a_path_is_a_breadcrumb_only_above_the_story():
    assert is_chrome_line("알림·소식 > 보도자료 > 상세", leading=True)
    assert not is_chrome_line("신청 > 심사 > 선정", leading=False)  # a procedure in the story
    assert drop_chrome_lines("96\n본문 첫 문단이다.\n96") == "본문 첫 문단이다.\n96"


def test_no_paragraph_is_ever_dropped():
    paragraph = "담당부서 : " + "스마트도시과가 시민 의견을 모아 정책에 반영한다. " * 8
    assert not is_chrome_line(paragraph)


def test_end_marks_and_read_more_links_leave_the_sentence():
    text = "구는 운영 시간을 조정하겠다고 말했다. <끝>\n정책을 설명했다.(END)\n이용자가 편리하...기사보기"
    assert (
        drop_chrome_lines(text)
        == "구는 운영 시간을 조정하겠다고 말했다.\n정책을 설명했다.\n이용자가 편리하"
    )


def _fragment(markup: str):
    return lxml_html.fragment_fromstring(markup, create_parent="div")


def test_marked_up_chrome_is_pruned_and_the_text_after_it_stays():
    root = _fragment(
        "<nav><a>메뉴</a></nav><p>첫 문단.</p>"
        "<figure><img src='a.jpg'><figcaption>전광판 사진 설명.</figcaption></figure>"
        "<div class='photo_area'><img src='b.jpg'><p class='photo_txt'>그늘막 사진 설명.</p></div>"
        "<div class='viewimg_comment'>행사 사진 설명.</div>둘째 문단."
        "<div class='sns_share'><a>페이스북</a></div><span class='blind'>본문 시작</span>"
        "<ul class='prev_next'><li>이전글</li></ul><div class='kogl'>공공누리 제1유형</div>"
        "<div class='satisfaction'>만족하십니까?<label>매우 만족</label></div>"
        "<div class='related_news'><a>다른 기사</a></div><a class='btn_print'>인쇄</a>"
    )
    prune_chrome(root)
    assert [piece.strip() for piece in root.itertext() if piece.strip()] == [
        "첫 문단.",
        "둘째 문단.",
    ]


def test_a_story_in_a_chrome_looking_wrapper_is_kept():
    story = "시는 도심 공영주차장 12곳에 빈자리 안내 시스템을 시범 운영한다고 밝혔다. " * 6
    root = _fragment(
        f"<div id='print_area'><p>인쇄용 영역의 본문.</p></div>"
        f"<div class='article-share-wrap'><p>{story}</p><div class='share'>공유</div></div>"
    )
    prune_chrome(root)
    text = root.text_content()
    assert "인쇄용 영역의 본문." in text  # print_area wraps an article for printing
    assert story in text
    assert "공유" not in text  # the wrapper's own share bar still goes


def test_lines_that_are_a_chrome_elements_text_are_dropped():
    page = lxml_html.fromstring(
        "<html><body><div class='location'><a>홈</a> <a>보도자료</a></div>"
        "<div class='byline'>이바다 기자 · 2026.11.24</div>"
        "<div class='share-bar'><a>Share</a> <a>Print</a> <a>Font size</a></div>"
        "<p>본문 첫 문단이다.</p><p>공유</p></body></html>"
    )
    chrome = chrome_texts(chrome_elements(page))
    extracted = (
        "- 홈 보도자료\n본문 첫 문단이다.\n공유\n이바다 기자 · 2026.11.24 Share Print Font size 끝"
    )
    assert drop_marked_lines(extracted, chrome) == "본문 첫 문단이다.\n공유\n끝"


def test_a_pull_quote_repeating_the_story_does_not_cut_it():
    page = lxml_html.fromstring(
        "<html><body><p>The mayor said the sensors would stay. They cut waiting times by half."
        " Buses now come every five minutes.</p>"
        "<aside class='pull-quote'>They cut waiting times by half.</aside></body></html>"
    )
    chrome = chrome_texts(chrome_elements(page))
    story = "The mayor said the sensors would stay. They cut waiting times by half. Buses now come."
    assert drop_marked_lines(story, chrome) == story
    assert drop_marked_lines("They cut waiting times by half.", chrome) == ""


def test_a_share_bar_of_long_link_texts_is_still_chrome():
    headlines = "".join(
        f"<li><a>{'관련 기사 제목이 길게 이어지는 링크 ' * 4}{n}</a></li>" for n in range(8)
    )
    root = _fragment(f"<p>본문.</p><div class='related'><ul>{headlines}</ul>짧은 말.</div>")
    prune_chrome(root)
    assert root.text_content() == "본문."  # 1,000 characters, all of them in links


@pytest.mark.parametrize(
    "page", ["gov_release_chrome.html", "news_article_chrome.html", "mois_article.html"]
)
def test_subtree_texts_are_each_elements_text_content(page):
    tree = lxml_html.fromstring((FIXTURES / "pages" / page).read_bytes())
    for element in [tree, *tree.iter("div", "ul", "p")]:
        want = [part.text_content() for part in element.iter() if isinstance(part.tag, str)]
        assert sorted(subtree_texts(element)) == sorted(want)


def test_subtree_texts_skip_comments_but_keep_the_text_after_them():
    root = _fragment("<div>앞<!-- 주석 -->뒤<b>굵게</b>끝</div>")
    assert subtree_texts(root[0]) == ["굵게", "앞뒤굵게끝"]  # children before parents
