"""What a user would write instead of cityradar: plain Scrapy + feedparser + trafilatura -> JSON Lines.

    python -m bench.baseline --sources data/bench/corpus/sources.yaml --out /tmp/baseline.jsonl

One Scrapy process with a fresh project's defaults (robots.txt obeyed, 16 requests at once,
8 per host, no delay); feeds read with feedparser, boards with the same CSS selectors, every
article page extracted with trafilatura and written as a JSON line. No dates normalised, no
tags, no dedupe, no warehouse, no incremental fetching: the floor cityradar is measured against.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
import scrapy
import trafilatura
import yaml
from scrapy.crawler import CrawlerProcess


class BaselineSpider(scrapy.Spider):
    """Feeds and boards of the sources file, then every article page."""

    name = "baseline"

    def __init__(self, sources: list[dict], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.sources = sources

    async def start(self):
        """One request per source."""
        for source in self.sources:
            callback = self.parse_feed if source["kind"] == "feed" else self.parse_board
            yield scrapy.Request(source["url"], callback, cb_kwargs={"source": source, "page": 1})

    def parse_feed(self, response, source: dict, page: int):
        """Every entry's link."""
        for entry in feedparser.parse(response.body).entries[: source["max_articles"]]:
            yield response.follow(entry.link, self.parse_article, cb_kwargs={"source": source})

    def parse_board(self, response, source: dict, page: int):
        """Every row's link, then the next page while rows keep coming."""
        selectors = source["selectors"]
        rows = response.css(selectors["item"])
        for row in rows:
            link = row.css(selectors["link"]).get()
            if link:
                yield response.follow(link, self.parse_article, cb_kwargs={"source": source})
        paging = source["pagination"]
        if rows and page < paging["max_pages"]:
            yield scrapy.Request(
                _with_page(source["url"], paging["param"], page + 1),
                self.parse_board,
                cb_kwargs={"source": source, "page": page + 1},
            )

    def parse_article(self, response, source: dict):
        """The main text, by trafilatura."""
        extracted = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True)
        if extracted is None:
            return
        yield {
            "source": source["id"],
            "url": response.url,
            "title": extracted.title,
            "date": extracted.date,
            "text": extracted.text,
        }


def _with_page(url: str, param: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != param] + [(param, str(page))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def run(sources_path: Path, out: Path) -> tuple[float, int]:
    """Crawl everything into ``out``; the seconds taken and the lines written."""
    sources = yaml.safe_load(sources_path.read_text(encoding="utf-8"))
    out.unlink(missing_ok=True)
    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": True,
            "FEEDS": {str(out): {"format": "jsonlines", "encoding": "utf8"}},
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    process.crawl(BaselineSpider, sources=sources)
    started = time.perf_counter()
    process.start()
    seconds = time.perf_counter() - started
    lines = sum(1 for _ in out.open(encoding="utf-8")) if out.exists() else 0
    return seconds, lines


def main() -> None:
    """Run once and print seconds, pages and pages/s as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=Path, default=Path("data/bench/corpus/sources.yaml"))
    parser.add_argument("--out", type=Path, default=Path("data/bench/baseline.jsonl"))
    args = parser.parse_args()
    seconds, lines = run(args.sources, args.out)
    print(json.dumps({"seconds": seconds, "pages": lines, "pages_per_second": lines / seconds}))


if __name__ == "__main__":
    main()
