"""Render a digest as HTML (inline styles, 640 px, no external resources) and plain text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from digest.query import DigestData

SUMMARY_CHARS = 240


@dataclass(frozen=True)
class RenderedDigest:
    """The finished digest: subject, text part and HTML part."""

    subject: str
    text: str
    html: str


def subject_for(data: DigestData) -> str:
    """The mail subject, naming the ISO week."""
    if data.is_empty:
        return f"cityradar weekly digest {data.week} ({data.week.label()}): no smart-city stories"
    return (
        f"cityradar weekly digest {data.week} ({data.week.label()}): "
        f"{data.smart_city_items} smart-city stories"
    )


def render_digest(data: DigestData) -> RenderedDigest:
    """Render both parts from the same data."""
    env = _environment(data.timezone)
    context = {"data": data, "subject": subject_for(data)}
    return RenderedDigest(
        subject=context["subject"],
        text=env.get_template("digest.txt.j2").render(context).strip() + "\n",
        html=env.get_template("digest.html.j2").render(context),
    )


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), else None: no javascript:, data: or file: links in mail."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """Cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _environment(tz: str) -> Environment:
    env = Environment(
        loader=PackageLoader("digest", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = ZoneInfo(tz)
    env.filters["safe_url"] = safe_url
    env.filters["shorten"] = shorten
    env.filters["local_date"] = lambda value: _local_date(value, zone)
    env.filters["lang"] = lambda code: (code or "?").upper()
    return env


def _local_date(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%a %d %b") if value else "date unknown"
