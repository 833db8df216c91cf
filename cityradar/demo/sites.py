"""Sample sites: articles defined in YAML, rendered as feeds and pages shaped like the real ones.

Each site reproduces a quirk of the real sources (sources.md): naive KST dates (Seoul),
upper-case ``KST`` zones (MOIS), EUC-KR feeds and pages (older Korean outlets), Atom with
ISO dates (news), GMT dates (trade press), links with tracking parameters, links to other
sites. Dates are anchored to a reference week so a digest of that week has content. An article may
carry a ``revised`` text (a corrected release): served once the sites are loaded ``revised``, so a
second crawl stores a new version of it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, PackageLoader, select_autoescape

DATE_STYLES = ("naive", "rfc822_kst", "rfc822_offset", "rfc822_gmt", "iso")


@dataclass(frozen=True)
class Article:
    """One sample article."""

    id: str
    title: str
    summary: str
    body: list[str]
    published: datetime  # aware
    categories: list[str] = field(default_factory=list)
    link: str | None = None  # absolute link elsewhere (the page is not served here)


@dataclass(frozen=True)
class Board:
    """How an HTML board site lists its articles."""

    path: str
    page_param: str
    per_page: int
    selectors: dict[str, str]


@dataclass(frozen=True)
class Site:
    """A sample site and its registry entry fields."""

    slug: str
    name: str
    language: str
    country: str
    org_type: str
    city: str
    timezone: str
    feed_format: str
    feed_path: str
    date_style: str
    encoding: str
    article_path: str
    layout: str
    articles: list[Article]
    board: Board | None = None  # an HTML board instead of a feed

    def feed_url(self, base: str) -> str:
        """Absolute feed URL on a server at ``base``."""
        return f"{base}/{self.slug}/{self.feed_path}"

    def article_url(self, base: str, article: Article) -> str:
        """Absolute URL of an article page (or its external link)."""
        if article.link:
            return article.link.replace("{base}", base)
        return f"{base}/{self.slug}/{self.article_path.format(id=article.id)}"

    def list_url(self, base: str) -> str:
        """Absolute URL of the board's first list page."""
        assert self.board is not None
        return f"{base}/{self.slug}/{self.board.path}"

    def source_entry(self, base: str) -> dict[str, Any]:
        """The sources.yaml entry that reads this site."""
        entry: dict[str, Any] = {
            "id": self.slug.replace("-", "_"),
            "name": self.name,
            "kind": "html" if self.board else "feed",
            "url": self.list_url(base) if self.board else self.feed_url(base),
            "language": self.language,
            "country": self.country,
            "org_type": self.org_type,
            "city": self.city,
            "timezone": self.timezone,
        }
        if self.board:
            entry["selectors"] = dict(self.board.selectors)
            entry["pagination"] = {"param": self.board.page_param, "start": 1, "max_pages": 3}
        return entry


def reference_monday(now: datetime, tz: str = "Asia/Seoul") -> date:
    """Monday of the last complete ISO week in ``tz``: where sample dates are anchored.

    The same week ``IsoWeek.last_complete(now, tz)`` gives, so a default digest shows them.
    """
    local = (now - timedelta(days=7)).astimezone(ZoneInfo(tz)).date()
    return local - timedelta(days=local.weekday())


def load_site(data: dict[str, Any], monday: date, revised: bool = False) -> Site:
    """Build a Site from its YAML mapping, dating articles from ``monday``.

    With ``revised``, articles that have a ``revised`` mapping (title, summary, body) show it.
    """
    zone = ZoneInfo(data["timezone"])
    articles = []
    for entry in data["articles"]:
        if revised and "revised" in entry:
            entry = {**entry, **entry["revised"]}
        day = monday + timedelta(days=7 * int(entry.get("week", 0)) + int(entry["day"]))
        hour, minute = (int(part) for part in str(entry.get("time", "09:00")).split(":"))
        articles.append(
            Article(
                id=str(entry["id"]),
                title=entry["title"],
                summary=entry.get("summary", ""),
                body=[p.strip() for p in entry.get("body", "").split("\n\n") if p.strip()],
                published=datetime.combine(day, time(hour, minute), tzinfo=zone),
                categories=list(entry.get("categories", [])),
                link=entry.get("link"),
            )
        )
    feed = data.get("feed", {"path": "", "date_style": "naive"})
    if feed["date_style"] not in DATE_STYLES:
        raise ValueError(f"site {data['slug']}: date_style must be one of {DATE_STYLES}")
    board = Board(**data["board"]) if "board" in data else None
    return Site(
        slug=data["slug"],
        name=data["name"],
        language=data["language"],
        country=data["country"],
        org_type=data["org_type"],
        city=data.get("city", ""),
        timezone=data["timezone"],
        feed_format=feed.get("format", "rss"),
        feed_path=feed["path"],
        date_style=feed["date_style"],
        encoding=feed.get("encoding", "utf-8"),
        article_path=data["article"]["path"],
        layout=data["article"].get("layout", "news"),
        articles=sorted(articles, key=lambda a: a.published, reverse=True),
        board=board,
    )


def bundled_sites(now: datetime | None = None, revised: bool = False) -> list[Site]:
    """The sample sites shipped with cityradar, dated relative to ``now``.

    ``revised``: as they are after their corrections (what the demo's second crawl finds).
    """
    monday = reference_monday(now or datetime.now(UTC))
    folder = resources.files("cityradar.demo").joinpath("sites")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return [load_site(yaml.safe_load(f.read_text("utf-8")), monday, revised) for f in files]


def format_date(value: datetime, style: str) -> str:
    """A date the way a site of this style writes it."""
    if style == "naive":
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if style == "rfc822_kst":
        return value.strftime("%a, %d %b %Y %H:%M:%S KST").upper()
    if style == "rfc822_offset":
        return format_datetime(value)
    if style == "rfc822_gmt":
        return format_datetime(value.astimezone(UTC), usegmt=True)
    return value.isoformat()


def render_feed(site: Site, base: str) -> bytes:
    """The site's feed, encoded as the site encodes it."""
    render = _render_atom if site.feed_format == "atom" else _render_rss
    text = render(site, base)
    declaration = f'<?xml version="1.0" encoding="{site.encoding}"?>\n'
    # EUC-KR sites write characters outside the charset as numeric references
    return (declaration + text).encode(_codec(site.encoding), errors="xmlcharrefreplace")


def render_article(site: Site, base: str, article: Article) -> bytes:
    """An article page with the navigation and boilerplate real pages carry."""
    template = _templates().get_template(f"{site.layout}.html.j2")
    html = template.render(
        site=site,
        article=article,
        base=base,
        charset=site.encoding,
        others=[a for a in site.articles if a.id != article.id][:5],
        article_url=site.article_url,
    )
    return html.encode(_codec(site.encoding), errors="xmlcharrefreplace")


def render_list_page(site: Site, base: str, page: int) -> bytes:
    """One page of a board's list: its slice of the articles, newest first."""
    assert site.board is not None
    size = site.board.per_page
    shown = site.articles[(page - 1) * size : page * size]
    template = _templates().get_template("board_list.html.j2")
    pages = range(1, (len(site.articles) + size - 1) // size + 1)
    html = template.render(
        site=site,
        base=base,
        articles=shown,
        page=page,
        pages=pages,
        article_url=site.article_url,
        first_number=len(site.articles) - (page - 1) * size,
    )
    return html.encode(_codec(site.encoding), errors="xmlcharrefreplace")


# python-hwpx checks each document it writes against XML Schemas with libxml2, which sets up its
# built-in schema types on first use without a lock: two server threads writing at once failed
# `make demo` once in five runs ("xmlSchemaPValAttrNodeValue, the given type is not a built-in
# type"). One document is written at a time.
_HWPX_WRITING = threading.Lock()


def render_attachment(site: Site, article: Article) -> bytes:
    """The release's attached document (보도자료.hwpx), made with python-hwpx."""
    from hwpx import HwpxDocument

    with _HWPX_WRITING:
        document = HwpxDocument.new()
        document.add_paragraph(f"[보도자료] {article.title}")
        for paragraph in article.body:
            document.add_paragraph(paragraph)
        document.add_paragraph(f"붙임: {site.name} 세부 추진 계획")
        return document.to_bytes()


def content_type(site: Site, kind: str) -> str:
    """Content-Type header of a feed or page of the site."""
    mime = (
        "application/atom+xml"
        if kind == "feed" and site.feed_format == "atom"
        else ("application/rss+xml" if kind == "feed" else "text/html")
    )
    return f"{mime}; charset={site.encoding}"


def _codec(encoding: str) -> str:
    return "cp949" if encoding.lower() in ("euc-kr", "cp949") else encoding


def _render_rss(site: Site, base: str) -> str:
    items = []
    for a in site.articles:
        url = site.article_url(base, a)
        categories = "".join(f"<category>{escape(c)}</category>" for c in a.categories)
        items.append(
            "<item>"
            f"<title><![CDATA[{a.title}]]></title>"
            f"<link>{escape(url)}</link>"
            f'<guid isPermaLink="false">{site.slug}-{a.id}</guid>'
            f"<pubDate>{format_date(a.published, site.date_style)}</pubDate>"
            f"<description><![CDATA[<p>{a.summary}</p>]]></description>"
            f"{categories}</item>"
        )
    return (
        '<rss version="2.0"><channel>'
        f"<title>{escape(site.name)}</title><link>{base}/{site.slug}/</link>"
        f"<description>{escape(site.name)}</description><language>{site.language}</language>"
        + "".join(items)
        + "</channel></rss>"
    )


def _render_atom(site: Site, base: str) -> str:
    entries = []
    for a in site.articles:
        url = site.article_url(base, a)
        entries.append(
            "<entry>"
            f"<title>{escape(a.title)}</title>"
            f'<link rel="alternate" href="{escape(url)}"/>'
            f"<id>tag:{site.slug},2026:{a.id}</id>"
            f"<published>{format_date(a.published, site.date_style)}</published>"
            f"<updated>{format_date(a.published, site.date_style)}</updated>"
            f"<summary>{escape(a.summary)}</summary>"
            + "".join(f'<category term="{escape(c)}"/>' for c in a.categories)
            + "</entry>"
        )
    updated = format_date(site.articles[0].published, site.date_style) if site.articles else ""
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{site.language}">'
        f"<title>{escape(site.name)}</title><id>tag:{site.slug},2026:feed</id>"
        f"<updated>{updated}</updated>" + "".join(entries) + "</feed>"
    )


def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("cityradar.demo", "templates"),
        autoescape=select_autoescape(enabled_extensions=("j2",), default=True),
    )
