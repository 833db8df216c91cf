"""`cityradar classify` records: tagged from any text they have, refused only when unreadable."""

from __future__ import annotations

import pytest

from transforms.classify import classify_record


def test_a_record_without_a_title_is_tagged_from_its_summary():
    result = classify_record(
        {"id": "n1", "summary": "관악구가 IoT 센서를 단 스마트 쓰레기통을 도입했다."}
    )
    assert result["cities"] == ["Seoul"]
    assert result["language"] == "ko"
    assert result["reasons"]["cities"]["Seoul"] == [
        {"term": "관악", "field": "summary", "count": 1}
    ]


def test_a_record_with_only_a_body_is_tagged_too():
    result = classify_record(
        {"id": 7, "title": None, "body": "Songdo opens an autonomous shuttle line for residents."}
    )
    assert result["id"] == 7
    assert result["cities"] == ["Incheon"]


def test_provinces_are_regions_and_counties_keep_their_own_name():
    result = classify_record({"id": "k", "summary": "충남 예산군은 침수 알림 시스템을 구축했다."})
    assert result["cities"] == ["Yesan"]
    assert result["regions"] == ["South Chungcheong"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (["not", "an", "object"], "expected a JSON object"),
        ({"title": "서울 자율주행"}, "needs an 'id'"),
        ({"id": "", "title": "서울 자율주행"}, "needs an 'id'"),
        ({"id": "x", "title": " ", "summary": "", "body": None}, "has no text"),
    ],
)
def test_only_unreadable_records_are_refused(record, message):
    with pytest.raises(ValueError, match=message):
        classify_record(record)
