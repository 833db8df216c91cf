"""Raw-item fields of Busan stories (``make_raw``'s keywords) that several test modules load."""

from __future__ import annotations

# three stories of a city's feed: one smart-city, one festival, one about Seoul
CROSSING = {
    "link": "https://www.busan.example.kr/news/1",
    "guid": "n1",
    "title": "부산시, 스마트 횡단보도 설치",
    "summary_html": "<p>해운대에 스마트 횡단보도를 설치한다.</p>",
    "published_raw": "2026-11-18 09:00:00",
    # long enough that a training example carries only its start
    "article_status": 200,
    "article_text": "부산시는 해운대구 교차로 열두 곳에 보행자를 감지하는 스마트 횡단보도를 "
    "설치한다고 밝혔다. " * 60,
}


FESTIVAL = {
    "link": "https://www.busan.example.kr/news/2",
    "guid": "n2",
    "title": "부산시, 가을 불꽃축제 개최",
    "summary_html": "<p>광안리 해수욕장에서 불꽃축제가 열린다.</p>",
    "published_raw": "2026-11-19 09:00:00",
}


FORUM = {
    "link": "https://www.busan.example.kr/news/3",
    "guid": "n3",
    "title": "서울시, 스마트시티 국제 협력 확대",
    "summary_html": "<p>서울시가 스마트시티 협력을 넓힌다.</p>",
    "published_raw": "2026-11-20 09:00:00",
}


CORRECTION_STORIES = [CROSSING, FESTIVAL, FORUM]


# 05:00 on Monday 23 November in Seoul (the source's zone), 20:00 UTC on Sunday the 22nd:
# week 48 in Seoul, still week 47 in Berlin (21:00 on Sunday)
LATE_SUNDAY = {
    **CROSSING,
    "published_raw": "2026-11-23 05:00:00",
    "fetched_at": "2026-11-23T06:00:00+00:00",
}


# what a search over the warehouse finds: two Korean stories and an English one
SEARCH_STORIES = [
    {
        "link": "https://www.busan.example.kr/news/1",
        "guid": "b1",
        "title": "부산시, 해운대에 스마트 횡단보도 설치",
        "summary_html": "<p>부산시가 보행자를 감지하는 스마트 횡단보도를 설치한다.</p>",
        "published_raw": "2026-11-18 09:00:00",
    },
    {
        "link": "https://www.busan.example.kr/news/2",
        "guid": "b2",
        "title": "부산시, 공공 와이파이 확대",
        "summary_html": "<p>시내버스 정류장에 횡단보도 안내 화면도 설치한다.</p>",
        "published_raw": "2026-11-19 09:00:00",
    },
    {
        "link": "https://www.busan.example.kr/news/3",
        "guid": "b3",
        "title": "Busan pilots an Autonomous Shuttle at Eco Delta City",
        "summary_html": "<p>The autonomous shuttle links the new town to the metro.</p>",
        "published_raw": "2026-11-10 09:00:00",
    },
]


# one smart-city story of the city's feed
STORY = {
    "link": "https://www.busan.example.kr/news/1",
    "guid": "n1",
    "title": "부산시, 스마트 횡단보도 설치",
    "summary_html": "<p>해운대에 스마트 횡단보도를 설치한다.</p>",
    "published_raw": "2026-11-20 09:00:00",
}
