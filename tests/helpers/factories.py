"""Registry entries and raw items with valid defaults, any field overridden."""

from __future__ import annotations

from typing import Any

from cityradar.items import RawItem
from cityradar.registry import Source


def make_source(**fields: Any) -> Source:
    """A valid registry entry, with any field overridden."""
    entry: dict[str, Any] = {
        "id": "test_feed",
        "name": "Test feed",
        "kind": "feed",
        "url": "https://news.example.kr/rss.xml",
        "language": "ko",
        "country": "KR",
        "org_type": "news",
        "timezone": "Asia/Seoul",
    }
    entry.update(fields)
    return Source.model_validate(entry)


def make_raw(**fields: Any) -> RawItem:
    """A raw item as a crawl would write it, with any field overridden."""
    item = RawItem(
        source_id="test_feed",
        batch_id="20261120T000000Z-000000",
        seq=0,
        listing_url="https://news.example.kr/rss.xml",
        fetched_at="2026-11-20T03:00:00+00:00",
        link="https://news.example.kr/view/1",
        guid="g-1",
        title="서울시, 자율주행 버스 확대",
        summary_html="<p>서울시가 자율주행 버스를 늘린다.</p>",
        published_raw="2026-11-20 09:00:00",
    )
    for key, value in fields.items():
        setattr(item, key, value)
    return item
