"""Page texts several test modules serve or tag."""

from __future__ import annotations

# a city's home page that declares its feed in a <link>
HOME = b"""<!DOCTYPE html><html lang="ko"><head><title>\xec\x84\x9c\xec\x9a\xb8\xed\x8a\xb9\xeb\xb3\x84\xec\x8b\x9c \xec\x83\x88\xec\x86\x8c\xec\x8b\x9d</title>
<link rel="alternate" type="application/rss+xml" title="feed" href="/seoul-news/gov/feed/">
<link rel="stylesheet" href="/style.css"></head><body><h1>news</h1></body></html>"""


# two releases of one ministry on one page template (the template alone looks like one story)
RELEASE_PAGE = (
    "홈 > 뉴스·소식 > 보도자료\n{title}\n- 담당부서 : 스마트도시과\n- 등록일 : 2026-11-12\n"
    '{body}\n본 저작물은 "공공누리" 제1유형:출처표시 조건에 따라 이용할 수 있습니다.\n'
    "이 페이지에서 제공하는 정보에 대하여 만족하십니까?"
)


ZERO_ENERGY = RELEASE_PAGE.format(
    title="제로에너지건축물 인증 의무 대상 확대",
    body=(
        "국토교통부는 제로에너지건축물 인증 의무 대상을 민간 공동주택까지 확대한다. "
        "30세대 이상 단지는 2027년부터 5등급 이상을 받아야 사업 승인을 받는다."
    ),
)


NOISE_RULES = RELEASE_PAGE.format(
    title="공동주택 층간소음 기준 강화",
    body=(
        "국토교통부는 공동주택 층간소음 기준을 강화하고 준공 전 검사를 의무화한다. "
        "기준에 못 미친 시공사는 보완 시공을 하거나 입주민에게 손해를 배상해야 한다."
    ),
)


def board_page(page: int = 1) -> bytes:
    """A board list page with no feed: five dated rows in list items and a pager (curPage)."""
    rows = "".join(
        f'<li class="item"><a href="/news/view.do?seq={100 * page + n}">{n}번 보도자료: '
        f"스마트 버스정류장 확대 설치</a><span class='date'>2026.11.{n + 10:02d}</span></li>"
        for n in range(1, 6)
    )
    pager = "".join(f'<a href="/news/list.do?curPage={n}">{n}</a>' for n in (1, 2, 3))
    return (
        f'<html lang="ko"><head><title>보도자료 | 예시시청</title></head><body>'
        f'<ul class="news">{rows}</ul><div class="paging">{pager}</div></body></html>'
    ).encode()
