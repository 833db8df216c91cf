"""Render a reader's digest as HTML (CSS inlined, 640 px, no external resources) and plain text.

The chart is a PNG the mail carries as a related part (``cid:``); the archived .html file embeds
the same PNG as a data URI so it opens on its own in a browser.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from digest.chart import chart_description, focus_chart
from digest.query import TREND_WEEKS
from digest.rank import Digest, Story
from transforms.vocabularies import FOCUS_AREAS, focus_area_names

SUMMARY_CHARS = 240
CHART_CID = "focus-chart@cityradar"
TOTALS = (("stories", "stories"), ("items", "items"), ("sources", "sources"), ("cities", "cities"))


@dataclass(frozen=True)
class RenderedDigest:
    """The finished digest: subject, text part, HTML part (chart by cid:) and the chart PNG."""

    subject: str
    text: str
    html: str
    chart_png: bytes | None = None

    def standalone_html(self) -> str:
        """The HTML with the chart embedded, for a file opened in a browser."""
        if self.chart_png is None:
            return self.html
        data = base64.b64encode(self.chart_png).decode("ascii")
        return self.html.replace(f"cid:{CHART_CID}", f"data:image/png;base64,{data}")


def subject_for(digest: Digest) -> str:
    """The mail subject, naming the ISO week and the number of stories."""
    week = f"cityradar weekly digest {digest.data.week} ({digest.data.week.label()})"
    if digest.is_empty:
        return f"{week}: no smart-city stories"
    return f"{week}: {digest.stories} smart-city {'story' if digest.stories == 1 else 'stories'}"


def render_digest(digest: Digest) -> RenderedDigest:
    """Render both parts from the same digest."""
    env = _environment(digest.data.timezone, digest.data.saved_pages)
    data = digest.data
    chart = None
    if not digest.is_empty:
        chart = focus_chart(data.focus_counts, data.focus_average, TREND_WEEKS)
    names = focus_area_names()
    sections = [*digest.focus_sections, digest.policy, *digest.city_sections]
    subject = subject_for(digest)
    context = {
        "digest": digest,
        "data": data,
        "subject": subject,
        "sections": [s for s in sections if s.stories or s.above],
        "totals": TOTALS,
        "selection": _selection(digest),
        "chart_src": f"cid:{CHART_CID}" if chart else None,
        "chart_alt": chart_description(data.focus_counts, data.focus_average),
        "chart_rows": [
            (names[a]["en"], data.focus_counts.get(a, 0), data.focus_average.get(a, 0.0))
            for a in sorted(FOCUS_AREAS, key=lambda a: -data.focus_counts.get(a, 0))
        ],
    }
    html = env.get_template("digest.html.j2").render(context)
    return RenderedDigest(
        subject=subject,
        text=env.get_template("digest.txt.j2").render(context).strip() + "\n",
        html=css_inline.inline(html),
        chart_png=chart,
    )


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), else None: no javascript:, data: or file: links in mail."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def story_link(url: str | None, saved: dict[str, str]) -> str | None:
    """Where a story's title links: its saved copy when there is one, else its own http(s) URL.

    Saved copies are file:// URLs cityradar made itself (never a URL a crawled page gave).
    """
    return saved.get(url or "") or safe_url(url)


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """Cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def also_reported(story: Story) -> str:
    """ "A, B and 2 more": the other outlets that carried a story."""
    names = ", ".join(story.also_shown)
    return f"{names} and {story.also_more} more" if story.also_more else names


def _selection(digest: Digest) -> str:
    names = focus_area_names()
    parts = [names[a]["en"] for a in digest.audience.focus_areas if a in names]
    parts.extend(digest.audience.cities)
    return ", ".join(parts)


def _environment(tz: str, saved: dict[str, str]) -> Environment:
    env = Environment(
        loader=PackageLoader("digest", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = ZoneInfo(tz)
    env.filters["link"] = lambda url: story_link(url, saved)
    env.filters["shorten"] = shorten
    env.filters["also"] = also_reported
    env.filters["oneline"] = lambda text: " ".join(str(text).split())
    env.filters["signed"] = lambda number: f"{number:+d}" if number else "±0"
    env.filters["local_date"] = lambda value: _local_date(value, zone)
    env.filters["lang"] = lambda code: (code or "?").upper()
    return env


def _local_date(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%a %d %b") if value else "date unknown"
