"""Real captured pages and feeds (../shared/realdata) as (title, summary, body) texts.

The evaluation labels some of them (eval/realdata_labels.yaml) to measure the tagger on real text;
the files themselves stay outside the repository. Each reader maps an item key to its text: a
korea.kr newsId, an item URL, or "-" for a file holding one article.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import feedparser

from transforms.text import clean_line, clean_text

Text = tuple[str, str, str]  # title, summary, body


def read_captured(path: Path) -> dict[str, Text]:
    """The items of one captured file, by key."""
    return _reader_for(path)(path)


def _reader_for(path: Path) -> Callable[[Path], dict[str, Text]]:
    if path.suffix == ".xml":
        return _feed_items
    if path.name.startswith("korea_kr_"):
        return _korea_kr_titles
    if path.name.startswith("yonhap_"):
        return _yonhap_article
    return _knews_items


def _korea_kr_titles(path: Path) -> dict[str, Text]:
    """korea.kr's list, scraped to JSON: press release titles only."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {a["newsId"]: (clean_line(a["title"]), "", "") for a in data["articles"]}


def _knews_items(path: Path) -> dict[str, Text]:
    """knews-rss JSON: feed items with their partial text (the feed's description)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        item["url"]: (clean_line(item["title"]), clean_text(item.get("partialText")), "")
        for item in data
    }


def _feed_items(path: Path) -> dict[str, Text]:
    """An RSS file: entries by link, with content (or summary) as the summary."""
    feed = feedparser.parse(path.read_bytes())
    items = {}
    for entry in feed.entries:
        content = entry.get("content") or [{}]
        summary = content[0].get("value") or entry.get("summary", "")
        items[entry.link] = (clean_line(entry.get("title")), clean_text(summary), "")
    return items


def _yonhap_article(path: Path) -> dict[str, Text]:
    """A scraper's test fixture: one Yonhap article with its parsed title and text."""
    parsed = json.loads(path.read_text(encoding="utf-8"))[0]["parsed_data"]
    return {"-": (clean_line(parsed["title"][0]), "", clean_text("\n".join(parsed["text"])))}
