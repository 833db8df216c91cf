"""Clean text from feed HTML: entities (sometimes escaped twice), tags, scripts, page chrome,
whitespace."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from transforms.chrome import prune_chrome, squeezed

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
    "article",
    "header",
    "main",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "figure",
    "pre",
    "hr",
}
_CELL_TAGS = ("td", "th")  # cells of a row stay on its line, apart
_DROP_TAGS = ("script", "style", "noscript", "iframe", "template")


def unescape_entities(text: str) -> str:
    """Resolve HTML entities, twice when a feed escaped them twice (``&amp;middot;``)."""
    for _ in range(2):
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    return text


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment: scripts, styles and page chrome dropped, blocks on their own
    lines."""
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return _TAG.sub(" ", markup)
    return element_text(root)


def element_text(element: Any) -> str:
    """Text of an lxml element, its chrome left out (see transforms.chrome), each block on its
    own line. The element is changed in place: give a copy of a tree still needed."""
    for dropped in [e for e in element.iter(*_DROP_TAGS) if e is not element]:
        dropped.drop_tree()
    prune_chrome(element)
    for block in element.iter(*_BLOCK_TAGS):
        block.tail = "\n" + (block.tail or "")
    for cell in element.iter(*_CELL_TAGS):
        cell.tail = " " + (cell.tail or "")
    return element.text_content()


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


# How far down a page's text its title may sit below chrome (a board name, a breadcrumb, a
# slogan), and how long each line above it may be: a longer line is the story's own lede.
TITLE_SEARCH_LINES = 8
CHROME_ABOVE_TITLE_MAX = 40
TITLE_PREFIX_MIN = 10  # a shorter title may be the first words of a sentence


def drop_leading_title(body: str, title: str) -> str:
    """Remove the line that repeats the title near the top (extractors often keep the page's
    heading), and the short lines above it: what a page shows above its story's heading is its
    chrome (a board name, a breadcrumb, a site slogan).
    """
    if not title.strip():
        return body
    lines = body.split("\n")
    wanted = squeezed(title).casefold()
    for number, line in enumerate(lines[:TITLE_SEARCH_LINES]):
        if line.strip() and squeezed(line).casefold() == wanted:
            return "\n".join(lines[number + 1 :]).lstrip()
        if len(line.strip()) > CHROME_ABOVE_TITLE_MAX:
            break
    # an extractor that ran a short page into one line starts it with the heading
    heading = " ".join(title.split()) + " "
    first = " ".join(lines[0].split())
    if len(heading) > TITLE_PREFIX_MIN and first.startswith(heading):
        return "\n".join([first[len(heading) :], *lines[1:]])
    return body
