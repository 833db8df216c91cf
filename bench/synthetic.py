"""Synthetic normalised items for warehouse benchmarks: realistic shapes, no crawling or tagging."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np

from cityradar.registry import Source
from transforms.clusters import NUM_PERM
from transforms.normalize import NormalizedItem
from transforms.tagging import Reason, Tag, Tags

CITIES = ["Seoul", "Busan", "Incheon", "Sejong", "Daegu", "Gwangju", "Barcelona", "Singapore"]
AREAS = ["mobility", "water", "energy", "robotics", "ai_data", "governance"]
WORDS_KO = [
    "서울시",
    "자율주행",
    "버스",
    "노선",
    "확대",
    "스마트시티",
    "데이터",
    "플랫폼",
    "구축",
    "시민",
    "안전",
    "교통",
    "신호",
]
WORDS_EN = [
    "city",
    "autonomous",
    "shuttle",
    "data",
    "platform",
    "residents",
    "safety",
    "traffic",
    "sensors",
    "pilot",
]


def sources(count: int = 50) -> list[Source]:
    """Registry entries the synthetic items come from."""
    return [
        Source(
            id=f"bench_{n:03d}",
            name=f"Bench source {n}",
            kind="feed",
            url=f"https://bench{n}.example/feed.xml",
            language="ko" if n % 2 else "en",
            country="KR",
            org_type="news",
            timezone="Asia/Seoul",
        )
        for n in range(count)
    ]


def items(
    start: int,
    count: int,
    batch_id: str,
    fetched_at: datetime | None = None,
    seed: int = 7,
    span_days: float = 730,
    per_span: int = 1_000_000,
) -> Iterator[NormalizedItem]:
    """``count`` distinct items numbered from ``start``, ``per_span`` of them spread evenly over
    the ``span_days`` up to now.

    By default a million fill two years (about 1,400 a day, so some 41k fall in the 30-day
    cluster window). Each is fetched an hour after publication, or at ``fetched_at`` (a fresh
    crawl) when given.
    """
    rng = random.Random(seed + start)
    signatures = np.random.default_rng(seed + start).integers(
        0, 2**63, size=(count, NUM_PERM), dtype=np.uint64
    )
    span = timedelta(days=span_days)
    epoch = datetime.now(UTC) - span
    for offset in range(count):
        n = start + offset
        korean = n % 2 == 0
        words = WORDS_KO if korean else WORDS_EN
        title = " ".join(rng.choices(words, k=8)) + f" {n}"
        body = " ".join(rng.choices(words, k=120))
        url = f"https://bench{n % 50}.example/news/{n}"
        city = CITIES[n % len(CITIES)]
        area = AREAS[n % len(AREAS)]
        when = epoch + span * ((n % per_span) / per_span)
        yield NormalizedItem(
            item_id=hashlib.blake2b(url.encode(), digest_size=8).hexdigest(),
            keys=[f"url:{url}", f"guid:bench-{n}"],
            source_id=f"bench_{n % 50:03d}",
            batch_id=batch_id,
            url=url,
            link_raw=url,
            guid=f"bench-{n}",
            title=title,
            summary=body[:200],
            body_text=body,
            language="ko" if korean else "en",
            published_at=when,
            published_raw=when.isoformat(),
            published_zone_assumed=False,
            date_flag=None,
            fetched_at=fetched_at or when + timedelta(hours=1),
            authors=[],
            categories=["news"],
            content_hash=hashlib.blake2b(body.encode(), digest_size=16).hexdigest(),
            article_status=200,
            article_error=None,
            tags=Tags(
                cities=[Tag(city, 2.0, [Reason(city, "title")], "KR")],
                countries=[Tag("KR", 2.0, [Reason(city, "city")])],
                focus_areas=[Tag(area, 4.0, [Reason("term", "title", weight=3.0)])],
                is_smart_city=n % 3 != 0,
                relevance=5.0,
                relevance_reasons=[Reason("스마트시티", "title", weight=5.0)],
            ),
            signature=signatures[offset],
            seq=offset,
        )


def raw_record(item: NormalizedItem) -> dict[str, object]:
    """The raw landing row a crawl would have written for the item."""
    return {
        "batch_id": item.batch_id,
        "source_id": item.source_id,
        "seq": item.seq,
        "link": item.url,
        "guid": item.guid,
        "title": item.title,
        "summary_html": item.summary,
        "published_raw": item.published_raw,
    }
