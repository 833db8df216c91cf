"""Find a site's feeds and sitemaps from one URL and propose a complete registry entry.

Feeds come from ``<link rel="alternate">`` in the page, then from paths sites commonly use;
sitemaps from robots.txt; when there are none, the page itself is read as a board, its rows'
selectors found on it (spiders/board_inference.py). Each candidate is fetched and parsed before it is proposed, so a
link to a dead feed is never suggested. The network is one injected function, so the logic
is tested against local servers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytz
from parsel import Selector
from protego import Protego

from cityradar import USER_AGENT
from cityradar.registry import Source
from spiders.board_inference import infer_board, list_fields, page_parameter
from spiders.decoding import decode_body
from spiders.raw import parse_feed, parse_list, parse_sitemap
from transforms.language import detect_language
from transforms.text import clean_line

# Where feeds live when a page does not link them (WordPress, news CMSs, static generators).
COMMON_FEED_PATHS = (
    "/feed/",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/rss/allArticle.xml",
    "/rss/news.xml",
    "/?feed=rss2",
)
_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
)
_GOVERNMENT = re.compile(r"\.(go\.kr|gov|gov\.[a-z]{2}|gouv\.fr|gob\.[a-z]{2}|bund\.de)$")
_LANGUAGE_COUNTRY = {
    "ko": "KR",
    "ja": "JP",
    "zh": "CN",
    "de": "DE",
    "fr": "FR",
    "es": "ES",
    "nl": "NL",
    "fi": "FI",
    "sv": "SE",
    "da": "DK",
    "vi": "VN",
    "id": "ID",
}
_CCTLD_COUNTRY = {"uk": "GB"}


@dataclass(frozen=True)
class Fetched:
    """What the network returned for a URL."""

    url: str
    status: int
    content_type: str | None
    body: bytes


Fetch = Callable[[str], Fetched]


@dataclass
class Candidate:
    """A feed or sitemap found and read."""

    url: str
    kind: str  # feed | sitemap | html
    entries: int
    title: str | None = None
    language: str | None = None
    sample_titles: list[str] = field(default_factory=list)
    selectors: dict[str, str] | None = None  # html: the list selectors found on the page
    page_param: str | None = None  # html: the query parameter its pager numbers pages with


@dataclass
class Discovery:
    """Everything found on a site."""

    url: str
    page_title: str | None
    page_language: str | None
    candidates: list[Candidate]
    notes: list[str] = field(default_factory=list)

    def best(self) -> Candidate | None:
        """The feed with the most entries, else the sitemap with the most, else the board."""
        for kind in ("feed", "sitemap", "html"):
            pool = [c for c in self.candidates if c.kind == kind]
            if pool:
                return max(pool, key=lambda c: c.entries)
        return None


def http_fetch(timeout: float = 20.0) -> Fetch:
    """The default fetch: httpx with cityradar's User-Agent, following redirects."""
    client = httpx.Client(
        headers={"User-Agent": USER_AGENT}, timeout=timeout, follow_redirects=True
    )

    def fetch(url: str) -> Fetched:
        response = client.get(url)
        return Fetched(
            str(response.url),
            response.status_code,
            response.headers.get("content-type"),
            response.content,
        )

    return fetch


def feed_links(html: str, base: str) -> list[str]:
    """Feed URLs a page declares with ``<link rel="alternate">``, in page order."""
    page = Selector(text=html)
    links = []
    for node in page.css("link[rel~='alternate'][href]"):
        kind = (node.attrib.get("type") or "").lower()
        if kind in _FEED_TYPES or "rss" in kind or "atom" in kind:
            links.append(urljoin(base, node.attrib["href"]))
    return list(dict.fromkeys(links))


def sitemaps_in_robots(robots_txt: str) -> list[str]:
    """The Sitemap: lines of a robots.txt."""
    return list(Protego.parse(robots_txt).sitemaps)


def discover(url: str, fetch: Fetch) -> Discovery:
    """Look at a page and its site for feeds and sitemaps, reading each candidate."""
    root = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
    robots, robots_txt = _robots(root, fetch)
    page = fetch(url)
    notes: list[str] = []
    first = _read_candidate(page, "feed") or _read_candidate(page, "sitemap")
    if first:  # the URL is itself a feed or sitemap
        return Discovery(url, first.title, first.language, [first], notes)
    html = decode_body(page.body, page.content_type).text if page.status == 200 else ""
    selector = Selector(text=html or "<html/>")
    title = clean_line(selector.css("title::text").get()) or None
    language = selector.css("html::attr(lang)").get()
    feeds = feed_links(html, page.url) or [urljoin(root, path) for path in COMMON_FEED_PATHS]
    candidates = []
    for candidate_url in feeds:
        if not robots.can_fetch(candidate_url, USER_AGENT):
            notes.append(f"robots.txt disallows {candidate_url}")
            continue
        found = _read_candidate(fetch(candidate_url), "feed")
        if found:
            candidates.append(found)
    for sitemap_url in sitemaps_in_robots(robots_txt):
        found = _read_candidate(fetch(sitemap_url), "sitemap")
        if found:
            candidates.append(found)
    if not candidates:
        board = _board_candidate(html, page.url, title, language)
        if board is None:
            notes.append("no feed, sitemap or board found: an html source needs its selectors")
        else:
            notes.append("no feed or sitemap found: the page is read as a board (selectors found)")
            candidates.append(board)
    return Discovery(url, title, language, candidates, notes)


def _board_candidate(
    html: str, url: str, title: str | None, language: str | None
) -> Candidate | None:
    """The page as a board, when it has repeated rows of dated article links."""
    if not html:
        return None
    found = infer_board(html, url)
    if found is None:
        return None
    selectors = list_fields(found.selectors)
    entries = parse_list(html.encode(), "text/html; charset=utf-8", url, found.selectors)
    titles = [entry.title for entry in entries[:10]]
    return Candidate(
        url, "html", found.rows, title, language, titles, selectors, page_parameter(html, url)
    )


def propose_entry(
    discovery: Discovery, taken_ids: set[str], known_cities: dict[str, Any]
) -> dict[str, Any]:
    """A complete, valid registry entry for the best candidate.

    Raises:
        ValueError: nothing usable was found.
    """
    best = discovery.best()
    if best is None:
        raise ValueError(f"no feed, sitemap or board found at {discovery.url}")
    host = (urlsplit(best.url).hostname or "").lower()
    language = (
        _primary(best.language)
        or _primary(discovery.page_language)
        or detect_language(" ".join(best.sample_titles))
        or "en"
    )
    country = _country(host, language)
    city = _city_of(host, known_cities)
    entry: dict[str, Any] = {
        "id": _unique_id(host, best.kind, taken_ids),
        "name": best.title or discovery.page_title or host,
        "kind": best.kind,
        "url": best.url,
        "language": language,
        "country": country,
        "org_type": ("city" if city else "ministry") if _GOVERNMENT.search(host) else "news",
        "timezone": _timezone(country),
    }
    if city:
        entry["city"] = city
    if best.selectors is not None:
        entry["selectors"] = best.selectors
        if best.page_param:
            entry["pagination"] = {"param": best.page_param, "start": 1, "max_pages": 3}
    entry["notes"] = f"found by `cityradar sources add` from {discovery.url}"
    Source.model_validate(entry)  # the proposal must be a valid entry
    return entry


def _robots(root: str, fetch: Fetch) -> tuple[Protego, str]:
    """The site's robots rules and text (none when it has no robots.txt)."""
    try:
        answer = fetch(f"{root}/robots.txt")
    except httpx.HTTPError:
        answer = None
    text = (
        answer.body.decode("utf-8", "replace")
        if answer is not None and answer.status == 200
        else ""
    )
    return Protego.parse(text), text


def _read_candidate(fetched: Fetched, kind: str) -> Candidate | None:
    if fetched.status != 200 or not fetched.body:
        return None
    if kind == "feed":
        feed = parse_feed(fetched.body, fetched.content_type, fetched.url)
        if feed.error or not feed.entries:
            return None
        titles = [clean_line(e.get("title")) for e in feed.entries[:10]]
        title = clean_line(feed.title) or None
        return Candidate(fetched.url, "feed", len(feed.entries), title, feed.language, titles)
    sitemap = parse_sitemap(fetched.body)
    if sitemap.error or not (sitemap.entries or sitemap.children):
        return None
    titles = [str(e.get("title") or "") for e in sitemap.entries[:10] if e.get("title")]
    return Candidate(
        fetched.url, "sitemap", len(sitemap.entries) + len(sitemap.children), None, None, titles
    )


def _primary(language: str | None) -> str | None:
    return language.split("-")[0].split("_")[0].lower() if language else None


def _country(host: str, language: str) -> str:
    tld = host.rsplit(".", 1)[-1]
    if len(tld) == 2 and tld.isalpha():
        return _CCTLD_COUNTRY.get(tld, tld.upper())
    return _LANGUAGE_COUNTRY.get(language, "US")


def _timezone(country: str) -> str:
    zones = pytz.country_timezones.get(country)
    return zones[0] if zones else "UTC"


def _city_of(host: str, known_cities: dict[str, Any]) -> str | None:
    labels = host.removeprefix("www.").split(".")
    for label in labels[:2]:
        for name in known_cities:
            if name.lower().replace(" ", "") == label:
                return name
    return None


def _unique_id(host: str, kind: str, taken: set[str]) -> str:
    labels = [x for x in host.split(".") if x not in ("www", "en", "news", "feed", "feeds", "rss")]
    base = (
        re.sub(r"[^a-z0-9]+", "_", (labels[0] if labels else "site").lower()).strip("_") or "site"
    )
    if not base[0].isalpha():
        base = f"s_{base}"
    candidate = f"{base}_{kind}"
    number = 2
    while candidate in taken:
        candidate = f"{base}_{kind}_{number}"
        number += 1
    return candidate
