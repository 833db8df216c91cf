"""Clean text from feed HTML: entities (sometimes escaped twice), tags, scripts, whitespace."""

from __future__ import annotations

import html
import re
import unicodedata

from lxml import etree
from lxml import html as lxml_html

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "section",
}
_DROP_TAGS = ("script", "style", "noscript", "iframe", "template")


def unescape_entities(text: str) -> str:
    """Resolve HTML entities, twice when a feed escaped them twice (``&amp;middot;``)."""
    for _ in range(2):
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    return text


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment: scripts and styles dropped, blocks on their own lines."""
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return _TAG.sub(" ", markup)
    for element in root.iter(*_DROP_TAGS):
        element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    return root.text_content()


def clean_text(value: str | None) -> str:
    """Plain, normalised text from a feed field that may hold HTML and entities."""
    if not value:
        return ""
    # control characters go first: lxml refuses a string holding them, and entities may hide
    # more (&#31;), so again after unescaping
    text = _CONTROL.sub("", unescape_entities(_CONTROL.sub("", value)))
    if _TAG.search(text):
        text = _CONTROL.sub("", unescape_entities(html_to_text(text)))
    text = unicodedata.normalize("NFC", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_line(value: str | None) -> str:
    """Like clean_text, on one line (titles)."""
    return " ".join(clean_text(value).split())


def drop_leading_title(body: str, title: str) -> str:
    """Remove a first line that only repeats the title (extractors often keep the page's h1)."""
    first, _, rest = body.partition("\n")
    if title and first.strip() and _squeezed(first) == _squeezed(title):
        return rest.lstrip()
    return body


def _squeezed(text: str) -> str:
    return "".join(text.split()).casefold()
