"""A replay corpus: N sites x M articles written to disk, to be served on loopback by bench.serve.

    python -m bench.corpus --sites 20 --articles 500 --out data/bench/corpus

Half the sites publish an RSS feed listing every article, half an HTML board (20 rows a page,
paged with ``?page=``); articles are 50-150 KB pages with the navigation, sidebars, scripts and
footers real news and city sites carry, in Korean or English. Each site gets its own loopback
address (127.0.0.<n>), so crawlers treat them as the different hosts they would be. ``--grow``
adds a fraction of new articles to an existing corpus (the "5% new" run). Everything is seeded:
the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from html import escape
from itertools import accumulate
from pathlib import Path

import yaml

PER_PAGE = 20
FIRST_HOST = 10  # site n is served on 127.0.0.(FIRST_HOST + n)
PORT = 8808  # the sites' port; feeds carry absolute links, so it is part of the corpus
FIRST_DAY = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)  # article 0; 1,000 articles reach mid-December

KO_WORDS = [
    "서울시",
    "부산시",
    "인천",
    "세종",
    "스마트시티",
    "자율주행",
    "셔틀",
    "버스",
    "노선",
    "데이터",
    "플랫폼",
    "구축",
    "시민",
    "안전",
    "교통",
    "신호",
    "디지털트윈",
    "탄소중립",
    "에너지",
    "전력",
    "수소",
    "충전소",
    "공공와이파이",
    "드론",
    "로봇",
    "배송",
    "침수",
    "센서",
    "하수도",
    "스마트",
    "주차",
    "인공지능",
    "민원",
    "상담",
    "행정",
    "서비스",
    "실증",
    "사업",
    "예산",
    "확대",
    "도입",
    "운영",
    "개방",
    "국토교통부",
    "과학기술정보통신부",
]
EN_WORDS = [
    "city",
    "smart",
    "autonomous",
    "shuttle",
    "bus",
    "route",
    "data",
    "platform",
    "residents",
    "safety",
    "traffic",
    "signal",
    "digital",
    "twin",
    "carbon",
    "neutral",
    "energy",
    "grid",
    "hydrogen",
    "charging",
    "public",
    "wifi",
    "drone",
    "robot",
    "delivery",
    "flood",
    "sensor",
    "sewer",
    "parking",
    "artificial",
    "intelligence",
    "service",
    "pilot",
    "budget",
    "expand",
    "launch",
    "ministry",
    "government",
    "district",
    "council",
    "network",
    "mobility",
    "infrastructure",
    "housing",
    "transit",
]


@dataclass(frozen=True)
class SiteSpec:
    """One site of the corpus."""

    number: int
    slug: str
    kind: str  # feed | html
    language: str
    articles: int
    port: int = PORT

    @property
    def host(self) -> str:
        """The site's own loopback address."""
        return f"127.0.0.{FIRST_HOST + self.number}"

    @property
    def base(self) -> str:
        """``http://127.0.0.<n>:<port>``."""
        return f"http://{self.host}:{self.port}"


VOCABULARY_SIZE = 20_000
DOMAIN_SHARE = 0.15  # a word in seven is a smart-city or place word the tagger looks for


@lru_cache(maxsize=2)
def vocabulary(language: str) -> tuple[list[str], list[float]]:
    """Made-up words of the language, with Zipf cumulative weights: texts as varied as news."""
    rng = random.Random(f"vocabulary-{language}")
    if language == "ko":
        syllables = [chr(0xAC00 + n) for n in range(0, 11172, 7)]
        words = [
            "".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(VOCABULARY_SIZE)
        ]
    else:
        letters = "abcdefghijklmnopqrstuvwxyz"
        words = ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(VOCABULARY_SIZE)]
    weights = list(accumulate(1 / (rank + 1) for rank in range(VOCABULARY_SIZE)))
    return words, weights


def sentence(rng: random.Random, language: str) -> str:
    """A sentence of 8-18 words, mostly everyday words, some the tagger knows."""
    domain = KO_WORDS if language == "ko" else EN_WORDS
    words, weights = vocabulary(language)
    count = rng.randint(8, 18)
    picked = rng.choices(words, cum_weights=weights, k=count)
    for position in range(count):
        if rng.random() < DOMAIN_SHARE:
            picked[position] = rng.choice(domain)
    return " ".join(picked) + ("다." if language == "ko" else ".")


def paragraph(rng: random.Random, language: str) -> str:
    """Three to seven sentences."""
    return " ".join(sentence(rng, language) for _ in range(rng.randint(3, 7)))


def article_title(site: SiteSpec, number: int) -> str:
    """A unique, deterministic title."""
    rng = random.Random(f"title-{site.slug}-{number}")
    words = KO_WORDS if site.language == "ko" else EN_WORDS
    head = " ".join(rng.choice(words) for _ in range(6))
    return f"{head} {number}"


def published(number: int, site: SiteSpec) -> datetime:
    """Article ``number`` (higher is newer) of the site, an article every 3 hours.

    Fixed per article, as on a real site: growing the corpus must not move old articles' dates
    (their feed entries would look changed and be fetched again).
    """
    return FIRST_DAY + timedelta(hours=3 * number, minutes=site.number)


def article_path(number: int) -> str:
    """Where article ``number`` lives on its site."""
    return f"/news/{number:06d}.html"


def chrome(rng: random.Random, site: SiteSpec, links: int) -> tuple[str, str]:
    """Navigation, sidebars and footer: the boilerplate an extractor must drop."""
    menu = "".join(
        f'<li><a href="/section/{n}.html">{escape(sentence(rng, site.language)[:24])}</a></li>'
        for n in range(links)
    )
    related = "".join(
        f'<li><a href="{article_path(rng.randrange(site.articles))}">'
        f"{escape(sentence(rng, site.language)[:60])}</a></li>"
        for _ in range(40)
    )
    script = "var config = " + json.dumps({f"k{n}": "x" * 40 for n in range(200)}) + ";"
    style = "".join(
        f".c{n}{{margin:{n % 9}px;padding:{n % 7}px;color:#{n:06x}}}" for n in range(300)
    )
    top = (
        f"<style>{style}</style><script>{script}</script>"
        f'<header><div class="logo">{escape(site.slug)}</div><nav class="gnb"><ul>{menu}</ul></nav></header>'
    )
    bottom = (
        f'<aside class="related"><h3>Related</h3><ul>{related}</ul></aside>'
        f'<footer><p>{escape(paragraph(rng, site.language))}</p><ul class="sitemap">{menu}</ul>'
        "<p>Copyright. All rights reserved.</p></footer>"
    )
    return top, bottom


def article_page(site: SiteSpec, number: int) -> str:
    """An article page of 50-150 KB."""
    rng = random.Random(f"page-{site.slug}-{number}")
    top, bottom = chrome(rng, site, links=rng.randint(150, 450))
    body = "".join(
        f"<p>{escape(paragraph(rng, site.language))}</p>" for _ in range(rng.randint(5, 12))
    )
    title = escape(article_title(site, number))
    when = published(number, site).isoformat()
    return (
        f'<!DOCTYPE html><html lang="{site.language}"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        f'<meta property="article:published_time" content="{when}"></head><body>{top}'
        f'<main><article><h1>{title}</h1><p class="date">{when}</p>'
        f'<div class="article-body">{body}</div></article></main>{bottom}</body></html>'
    )


def feed(site: SiteSpec) -> str:
    """RSS 2.0 listing every article, newest first."""
    base = site.base
    items = "".join(
        f"<item><title>{escape(article_title(site, n))}</title>"
        f"<link>{base}{article_path(n)}</link><guid>{base}{article_path(n)}</guid>"
        f"<pubDate>{format_datetime(published(n, site))}</pubDate>"
        f"<description>{escape(sentence(random.Random(n), site.language))}</description></item>"
        for n in reversed(range(site.articles))
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{site.slug}</title><link>{base}/</link><description>bench</description>"
        f"{items}</channel></rss>"
    )


def list_page(site: SiteSpec, page: int) -> str:
    """Page ``page`` of the board: 20 rows, newest first."""
    newest_first = list(reversed(range(site.articles)))
    shown = newest_first[(page - 1) * PER_PAGE : page * PER_PAGE]
    rows = "".join(
        f'<tr><td class="num">{n}</td><td class="subject"><a href="{article_path(n)}">'
        f"{escape(article_title(site, n))}</a></td>"
        f'<td class="date">{published(n, site).strftime("%Y-%m-%d")}</td></tr>'
        for n in shown
    )
    return (
        f'<!DOCTYPE html><html lang="{site.language}"><head><meta charset="utf-8"></head><body>'
        f'<table class="board_list"><tbody>{rows}</tbody></table></body></html>'
    )


def source_entry(site: SiteSpec) -> dict[str, object]:
    """The cityradar sources.yaml entry that reads the site."""
    base = site.base
    entry: dict[str, object] = {
        "id": site.slug.replace("-", "_"),
        "name": f"Bench {site.slug}",
        "kind": site.kind,
        "url": f"{base}/feed.xml" if site.kind == "feed" else f"{base}/board/list.html",
        "language": site.language,
        "country": "KR",
        "org_type": "news" if site.kind == "feed" else "city",
        "timezone": "Asia/Seoul",
        "max_articles": 1000,
    }
    if site.kind == "html":
        entry["selectors"] = {
            "item": "table.board_list tbody tr",
            "link": "td.subject a::attr(href)",
            "title": "td.subject a",
            "date": "td.date",
        }
        entry["pagination"] = {"param": "page", "start": 1, "max_pages": 100}
    return entry


def site_specs(sites: int, articles: int, port: int = PORT) -> list[SiteSpec]:
    """Alternating feed and board sites, alternating Korean and English."""
    return [
        SiteSpec(
            number=n,
            slug=f"site-{n:02d}",
            kind="feed" if n % 2 == 0 else "html",
            language="ko" if (n // 2) % 2 == 0 else "en",
            articles=articles,
            port=port,
        )
        for n in range(sites)
    ]


def write_site(root: Path, site: SiteSpec, first_new: int = 0) -> int:
    """Write the site's pages (articles from ``first_new`` on); the bytes written."""
    folder = root / site.slug
    (folder / "news").mkdir(parents=True, exist_ok=True)
    written = 0
    for number in range(first_new, site.articles):
        page = article_page(site, number).encode()
        (folder / article_path(number).lstrip("/")).write_bytes(page)
        written += len(page)
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="ascii")
    if site.kind == "feed":
        (folder / "feed.xml").write_text(feed(site), encoding="utf-8")
    else:
        (folder / "board").mkdir(exist_ok=True)
        pages = (site.articles + PER_PAGE - 1) // PER_PAGE
        for page in range(1, pages + 1):
            (folder / "board" / f"list-{page}.html").write_text(
                list_page(site, page), encoding="utf-8"
            )
    return written


def write_corpus(root: Path, sites: int, articles: int, port: int = PORT) -> dict[str, object]:
    """A fresh corpus; returns its manifest (also written as manifest.json)."""
    specs = site_specs(sites, articles, port)
    total = sum(write_site(root, site) for site in specs)
    return _manifest(root, specs, total)


def grow_corpus(root: Path, fraction: float) -> dict[str, object]:
    """Add ``fraction`` new articles to every site (newest), rewriting feeds and list pages."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    grown = []
    added = 0
    for entry in manifest["sites"]:
        old = SiteSpec(**entry)
        new = SiteSpec(
            **{**entry, "articles": old.articles + max(1, round(old.articles * fraction))}
        )
        added += write_site(root, new, first_new=old.articles)
        grown.append(new)
    return _manifest(root, grown, manifest["bytes"] + added)


def _manifest(root: Path, specs: list[SiteSpec], total: int) -> dict[str, object]:
    manifest = {
        "sites": [asdict(site) for site in specs],
        "articles": sum(site.articles for site in specs),
        "bytes": total,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (root / "sources.yaml").write_text(
        yaml.safe_dump([source_entry(site) for site in specs], allow_unicode=True), encoding="utf-8"
    )
    return manifest


def main() -> None:
    """Write or grow a corpus."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("data/bench/corpus"))
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--articles", type=int, default=500, help="articles per site")
    parser.add_argument(
        "--grow", type=float, default=None, help="add this fraction of new articles"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.grow:
        manifest = grow_corpus(args.out, args.grow)
    else:
        manifest = write_corpus(args.out, args.sites, args.articles)
    mb = manifest["bytes"] / 2**20
    print(
        f"{args.out}: {len(manifest['sites'])} sites, {manifest['articles']} articles, {mb:.0f} MiB"
    )


if __name__ == "__main__":
    main()
