"""A board's rows found without selectors: the repeated row structure of a list page.

A list page of releases repeats one structure per release (a table row, a list item, a card),
each linking to an article page on the same site, most with a date. Sites change that markup
every year or two, so cityradar finds it itself: group the page's article links by the element
that repeats around them, keep the group that looks most like a board (many rows, titles of some
length, links of one shape, dates), and write it as ``Selectors`` that ``raw.parse_list`` reads.
Each selector is checked against the page before it is returned, so the rows the inferred
selectors yield are the rows that were found.

Pure functions over the page's text and URL.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from parsel import Selector

from cityradar.registry import Selectors
from spiders.decoding import decode_body
from spiders.links import site_of
from spiders.raw import ListEntry, is_download, parse_list, script_argument
from transforms.chrome import chrome_elements
from transforms.dates import parse_datetime

MIN_ROWS = 3  # fewer repeats are no board
MIN_DATED = 0.5  # of the rows: a board dates its releases (pinned notices may not be)
_MIN_TITLE = 6  # characters of a release title; menus and pagers have shorter link texts
# a date cell holds a date and perhaps a label or a meta line ("부서 | 작성자 | 전화 | 날짜"),
# not a paragraph
_MAX_DATE_TEXT = 80
_UP_LEVELS = 8  # how far above a link its row may be
# classes that mark a row's state, not its kind: rows with and without them are one board
_STATE_CLASSES = frozenset(
    {"on", "active", "first", "last", "odd", "even", "new", "notice", "top", "fixed", "hot"}
)
_DATE_LIKE = re.compile(
    r"\d{4}\s*[.\-/년]\s*\d{1,2}\s*[.\-/월]\s*\d{1,2}"  # 2026.07.08, 2026-07-08, 2026년 7월 8일
    r"|\b\d{2}([.\-])\d{1,2}\1\d{1,2}\b"  # 26.07.08, 26-07-08
    r"|\b\d+\s*(?:분|시간|일)\s*전"  # 3시간 전
    r"|\b\d+\s+(?:minutes?|hours?|days?)\s+ago\b"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
    r"|\b\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{4}",
    re.I,
)
# inside a link holding title, lead and date together, the element that holds only the title
_TITLE_PARTS = ("strong", "b", "h2", "h3", "h4", "h5", "[class*='tit']", "[class*='subject']")


@dataclass(frozen=True)
class InferredBoard:
    """Selectors found for a list page, and what they found on it."""

    selectors: Selectors
    rows: int  # entries the selectors yield on the page
    dated: int  # of which have a date

    def describe(self) -> str:
        """The list selectors in one line, as an operator would pin them in sources.yaml."""
        return ", ".join(
            f"{name}: {value!r}" for name, value in list_fields(self.selectors).items()
        )


@dataclass(frozen=True)
class BoardPage:
    """A board's list page as read: its entries, and how they were found."""

    entries: list[ListEntry]
    selectors: Selectors | None  # the selectors that read the entries (configured or inferred)
    inferred: InferredBoard | None = None  # set when the rows were found on the page
    problem: str | None = None  # the configured selector matched nothing, or no board was found

    def inferred_json(self) -> str | None:
        """The inferred list selectors as JSON (item, link, title, date), for the crawl report."""
        if self.inferred is None:
            return None
        return json.dumps(list_fields(self.inferred.selectors))


def list_fields(selectors: Selectors | None) -> dict[str, str]:
    """The list selectors that are set (item, link, title, date), as shown and recorded."""
    values = selectors.model_dump() if selectors is not None else {}
    return {name: values[name] for name in ("item", "link", "title", "date") if values.get(name)}


def read_board(
    body: bytes, content_type: str | None, url: str, configured: Selectors | None
) -> BoardPage:
    """The entries of a board's first list page: by the configured selectors, else, when there
    are none or they match nothing, by the rows found on the page (``infer_board``)."""
    if configured is not None and configured.item:
        entries = parse_list(body, content_type, url, configured)
        if entries:
            return BoardPage(entries, configured)
    text = decode_body(body, content_type).text
    inferred = infer_board(text, url, configured.article_url if configured else None, configured)
    missed = (
        f"list selector {configured.item!r} matched no entry on {url}"
        if configured is not None and configured.item
        else None
    )
    if inferred is None:
        nothing = missed or (
            f"no board found on {url} (no repeated rows linking to articles); "
            "set selectors.item in sources.yaml"
        )
        return BoardPage([], configured, problem=nothing)
    fallback = (
        f"{missed}; rows found on the page instead ({inferred.describe()}): pin these in sources.yaml"
        if missed
        else None
    )
    entries = parse_list(body, content_type, url, inferred.selectors)
    return BoardPage(entries, inferred.selectors, inferred, fallback)


@dataclass
class _Row:
    element: Any  # lxml element repeated once per entry
    anchor: Any  # the link to its article
    link: str  # absolute


@dataclass
class _Group:
    parent: Any
    tag: str
    rows: list[_Row]
    score: float


def infer_board(
    text: str, url: str, article_url: str | None = None, keep: Selectors | None = None
) -> InferredBoard | None:
    """Selectors for the board on a list page, or None when no repeated rows of article links
    are found.

    ``article_url`` is the source's template for links opened by script (``{id}``), so those
    links count as articles too. ``keep`` are configured selectors whose article fields (body,
    article date, attachments, template) the result keeps.
    """
    page = Selector(text=text)
    anchors = _article_anchors(page.root, url, article_url)
    groups = [g for g in _row_groups(anchors) if g.score > 0]
    for group in sorted(groups, key=lambda g: g.score, reverse=True)[:5]:
        found = _selectors_for(page, group, article_url)
        if found is not None:
            selectors, dated = found
            if keep is not None:
                selectors = keep.model_copy(update=_list_fields(selectors))
            return InferredBoard(selectors=selectors, rows=len(group.rows), dated=dated)
    return None


def _list_fields(selectors: Selectors) -> dict[str, Any]:
    return {
        "item": selectors.item,
        "link": selectors.link,
        "title": selectors.title,
        "date": selectors.date,
        "date_pattern": None,
        "summary": None,
    }


# words of a query parameter that numbers a board's pages (pageIndex, curPage, bpage, page, pg, p)
_PAGE_PARAMETER = re.compile(r"page|^pg$|^p$|^cp$|^pno$", re.I)


def page_parameter(text: str, url: str) -> str | None:
    """The query parameter the page's own links number its pages with (its pager), or None."""
    site = site_of(urlsplit(url).hostname or "")
    counted: Counter[str] = Counter()
    for href in Selector(text=text).css("a::attr(href)").getall():
        link = urlsplit(urljoin(url, href.strip()))
        if site_of(link.hostname or "") != site:
            continue
        for key, value in parse_qsl(link.query):
            if _PAGE_PARAMETER.search(key) and value.isdigit() and 1 <= int(value) <= 1000:
                counted[key] += 1
    return counted.most_common(1)[0][0] if counted else None


# --- the page's article links ----------------------------------------------------------------


def _article_anchors(root: Any, url: str, article_url: str | None) -> list[tuple[Any, str]]:
    """Links to pages of the same site that may be articles, with their absolute address.

    Links in the page's chrome (menus, breadcrumbs, footers, related-article boxes) are none:
    a site menu repeats too, and an article page's menu is no board.
    """
    site = site_of(urlsplit(url).hostname or "")
    chrome = set(chrome_elements(root))
    found = []
    for anchor in root.iter("a"):
        if any(element in chrome for element in anchor.iterancestors()):
            continue
        link = _anchor_link(anchor, url, article_url)
        if link is None or is_download(link):  # the row's attachment, not its article
            continue
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or site_of(parts.hostname or "") != site:
            continue
        if parts._replace(fragment="").geturl() == urlsplit(url)._replace(fragment="").geturl():
            continue  # the page itself ("#top", the current menu entry)
        found.append((anchor, link))
    return found


def _anchor_link(anchor: Any, url: str, article_url: str | None) -> str | None:
    href = (anchor.get("href") or "").strip()
    if href and not href.startswith(("javascript:", "#", "mailto:", "tel:")):
        return urljoin(url, href)
    if article_url is None:
        return None
    for script in (href, anchor.get("onclick") or ""):
        argument = script_argument(script)
        if argument:
            return urljoin(url, article_url.replace("{id}", argument))
    return None


def anchor_title(anchor: Any) -> str:
    """A link's title as a reader sees it: its text, or the whole of it in ``title`` when the
    text was cut."""
    text = " ".join(" ".join(anchor.itertext()).split())
    whole = " ".join((anchor.get("title") or "").split())
    stem = text.rstrip(".… ")
    if len(whole) > len(stem) and whole.startswith(stem):
        return whole
    return text


# --- repeated rows ---------------------------------------------------------------------------


def _row_groups(anchors: Sequence[tuple[Any, str]]) -> list[_Group]:
    """Every set of sibling elements of one tag that each hold article links, scored."""
    members: dict[tuple[Any, str], dict[Any, list[tuple[Any, str]]]] = {}
    for anchor, link in anchors:
        element = anchor
        for _ in range(_UP_LEVELS):
            parent = element.getparent()
            if parent is None or element.tag in ("body", "html"):
                break
            members.setdefault((parent, element.tag), {}).setdefault(element, []).append(
                (anchor, link)
            )
            element = parent
    groups = []
    for (parent, tag), rows in members.items():
        if len(rows) >= MIN_ROWS:
            chosen = [_Row(row, *_main_anchor(links)) for row, links in rows.items()]
            groups.append(_Group(parent, tag, chosen, _score(chosen, rows)))
    return groups


def _main_anchor(links: list[tuple[Any, str]]) -> tuple[Any, str]:
    """The row's link to its article: the one with the longest title of those with text of their
    own (a thumbnail beside it may carry the title in its ``title`` attribute, but a title read
    from the list is the link's text; a "more" link says less)."""
    return max(
        links,
        key=lambda pair: (bool("".join(pair[0].itertext()).strip()), len(anchor_title(pair[0]))),
    )


def _score(rows: list[_Row], links: dict[Any, list[tuple[Any, str]]]) -> float:
    """How much a group looks like a board: many rows with titles of some length, each with one
    article of its own, linking to pages of one shape, most with a date. 0 for no board."""
    titles = [len(anchor_title(r.anchor)) for r in rows]
    if median(titles) < _MIN_TITLE:
        return 0.0  # a menu, a pager, a row of icons
    distinct = len({r.link for r in rows}) / len(rows)
    if distinct < 0.8:
        return 0.0
    articles_per_row = median(
        len({link for anchor, link in found if len(anchor_title(anchor)) >= _MIN_TITLE})
        for found in links.values()
    )
    if articles_per_row > 1:
        return 0.0  # each "row" holds several articles: a container of rows
    shapes = Counter(_link_shape(r.link) for r in rows)
    same_shape = shapes.most_common(1)[0][1] / len(rows)
    dated = sum(1 for r in rows if _date_elements(r.element)) / len(rows)
    if dated < MIN_DATED:
        return 0.0  # boards date their releases; lists of links without dates are menus
    length = min(median(titles), 30) / 30
    return len(rows) * length * same_shape * (1 + dated)


# a path segment made of words joined by dashes: an article's slug ("january-board-meeting")
_SLUG = re.compile(r"[^/.]+(?:-[^/.]+){2,}(?:\.html?)?")


def _link_shape(link: str) -> str:
    """A link's address with its ids and slugs blanked: the articles of one board share it
    (``view.do?seq=0``, ``/news/0/``, a WordPress ``/*/``)."""
    parts = urlsplit(link)
    path = "/".join(
        "*" if _SLUG.fullmatch(segment) else re.sub(r"\d+", "0", segment)
        for segment in parts.path.split("/")
    )
    keys = sorted(key for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.hostname}{path}?{'&'.join(keys)}"


# --- dates -----------------------------------------------------------------------------------


def _date_elements(row: Any) -> list[Any]:
    """The row's elements whose text holds a date, the shortest text first (the date's own cell
    before the meta line or the row around it)."""
    found = []
    for element in row.iter():
        if not isinstance(element.tag, str):
            continue
        text = " ".join(" ".join(element.itertext()).split())
        if len(text) <= _MAX_DATE_TEXT and looks_like_date(text):
            found.append((len(text), -_depth(element), element))
    return [element for *_, element in sorted(found, key=lambda entry: entry[:2])]


def looks_like_date(text: str) -> bool:
    """True when a short text holds a date a board writes (absolute or relative)."""
    match = _DATE_LIKE.search(text)
    # any "now" serves: the question is whether it reads as a date, not which
    now = datetime.now(UTC)
    return match is not None and parse_datetime(match.group(0), "UTC", now).value is not None


def _depth(element: Any) -> int:
    depth = 0
    while element.getparent() is not None:
        element = element.getparent()
        depth += 1
    return depth


# --- selectors -------------------------------------------------------------------------------


def _selectors_for(
    page: Selector, group: _Group, article_url: str | None
) -> tuple[Selectors, int] | None:
    """Selectors that yield exactly the group's rows on the page, with the number of them that
    have a date; None when no selector is exact."""
    item = _item_selector(page, group)
    if item is None:
        return None
    nodes = {node.root: node for node in page.css(item)}
    rows = [(nodes[r.element], r) for r in group.rows if r.element in nodes]
    link = _link_selector(rows)
    if link is None:
        return None
    title = _title_selector(rows, link)
    date, dated = _date_selector(rows)
    return (
        Selectors(
            item=item,
            link=f"{link}::attr(href)" if link != ":scope" else "::attr(href)",
            title=title,
            date=date,
            article_url=article_url,
        ),
        dated,
    )


def _item_selector(page: Selector, group: _Group) -> str | None:
    """A selector matching the group's rows and nothing else that links to an article."""
    rows = {r.element for r in group.rows}
    classes = set.intersection(*(_classes(r.element) for r in group.rows)) - _STATE_CLASSES
    row_part = group.tag + "".join(f".{name}" for name in sorted(classes))
    # the parent by its id or classes, else rows with a class of their own alone
    # ("div.tbl_type"), else the parent by its position (exact, but the first to break)
    *named, positional = _parent_selectors(page, group.parent)
    candidates = [f"{parent} > {row_part}" for parent in named]
    candidates += [row_part] if classes else []
    candidates.append(f"{positional} > {row_part}")
    for selector in candidates:
        matched = {node.root for node in page.css(selector)}
        if rows <= matched and len(matched) <= len(rows) + _non_entries(matched - rows):
            return selector
    return None


def _non_entries(elements: Iterable[Any]) -> int:
    """How many of these elements hold no link at all (header rows, spacers): parse_list skips
    them, so a selector may match them."""
    return sum(1 for e in elements if not any(True for _ in e.iter("a")))


def _parent_selectors(page: Selector, parent: Any) -> list[str]:
    """Selectors of the rows' parent, shortest first, each matching that element only."""
    chain: list[str] = []
    element = parent
    while element is not None and isinstance(element.tag, str):
        chain.insert(0, _part(element))
        if chain[0].startswith("#") or element.tag == "body":
            break
        element = element.getparent()
    found = []
    for start in range(len(chain) - 1, -1, -1):
        selector = " ".join(chain[start:])
        if len(page.css(selector)) == 1:
            found.append(selector)
            break
    found.append(_positional_path(parent))
    return found


def _part(element: Any) -> str:
    """One element as a selector: its id when it has a usable one, else tag and classes."""
    identifier = element.get("id") or ""
    if re.fullmatch(r"[A-Za-z][\w-]*", identifier) and not re.search(r"\d{3}", identifier):
        return f"#{identifier}"
    return element.tag + "".join(f".{name}" for name in sorted(_classes(element)))


def _positional_path(element: Any) -> str:
    """A selector naming the element by its position under each ancestor: exact, brittle."""
    parts: list[str] = []
    while element is not None and isinstance(element.tag, str) and element.tag != "html":
        parent = element.getparent()
        same = [e for e in parent if e.tag == element.tag] if parent is not None else [element]
        parts.insert(0, f"{element.tag}:nth-of-type({same.index(element) + 1})")
        element = parent
    return " > ".join(parts)


def _classes(element: Any) -> set[str]:
    return {
        name
        for name in (element.get("class") or "").split()
        if re.fullmatch(r"-?[A-Za-z_][\w-]*", name)
    }


def _relative_candidates(row: Any, target: Any) -> list[str]:
    """Selectors that may find ``target`` inside ``row``, the shortest first."""
    if target is row:
        return [":scope"]
    tag = target.tag
    own = sorted(_classes(target) - _STATE_CLASSES)
    # a class names the cell's role ("span.date"), so it outlasts a cell added before it
    candidates = [f"{tag}.{own[0]}", tag] if own else [tag]
    path: list[Any] = []
    element = target
    while element is not row and element is not None:
        path.insert(0, element)
        element = element.getparent()
    classed = [e for e in path[:-1] if _classes(e) - _STATE_CLASSES]
    if classed:
        container = classed[-1]
        name = sorted(_classes(container) - _STATE_CLASSES)[0]
        candidates.append(f"{container.tag}.{name} {tag}")
        # the third of the spans of "부서 | 전화 | 날짜" inside div.classify
        same = [e for e in target.getparent() if e.tag == tag]
        if len(same) > 1 and target.getparent() is container:
            candidates.append(f"{container.tag}.{name} {tag}:nth-of-type({same.index(target) + 1})")
    first = path[0]
    siblings = [e for e in row if e.tag == first.tag]
    position = f"{first.tag}:nth-of-type({siblings.index(first) + 1})"
    candidates.append(position if first is target else f"{position} {tag}")
    candidates.append(" > ".join(_step(e) for e in path))
    return candidates


def _step(element: Any) -> str:
    parent = element.getparent()
    siblings = [e for e in parent if e.tag == element.tag]
    if len(siblings) == 1:
        return element.tag
    return f"{element.tag}:nth-of-type({siblings.index(element) + 1})"


def _first_match(node: Selector, selector: str) -> Any:
    if selector == ":scope":
        return node.root
    found = node.css(selector)
    return found[0].root if found else None


def _link_selector(rows: list[tuple[Selector, _Row]]) -> str | None:
    """The selector that finds each row's article link first, in nine rows of ten or more."""
    for candidate in _relative_candidates(rows[0][1].element, rows[0][1].anchor):
        hits = sum(1 for node, row in rows if _first_match(node, candidate) is row.anchor)
        if hits >= 0.9 * len(rows):
            return candidate
    return None


def _title_selector(rows: list[tuple[Selector, _Row]], link: str) -> str:
    """The link, or the part of it that holds only the title when the link also holds the lead,
    the department or the date."""
    for part in _TITLE_PARTS:
        selector = part if link == ":scope" else f"{link} {part}"
        fits = 0
        for node, row in rows:
            inner = _first_match(node, selector)
            if inner is None:
                continue
            title = " ".join(" ".join(inner.itertext()).split())
            whole = " ".join(" ".join(row.anchor.itertext()).split())
            if len(title) >= _MIN_TITLE and len(whole) > len(title) + 4:
                fits += 1
        if fits >= 0.9 * len(rows):
            return selector
    return link


def _date_selector(rows: list[tuple[Selector, _Row]]) -> tuple[str | None, int]:
    """The selector of the rows' date cell and how many rows have a date; no selector when the
    dates have no cell of their own (parse_list then reads the row's text)."""
    dated = [(node, row, _date_elements(row.element)) for node, row in rows]
    dated = [(node, row, cells) for node, row, cells in dated if cells]
    if not dated:
        return None, 0
    _, first, cells = dated[0]
    for candidate in _relative_candidates(first.element, cells[0]):
        hits = 0
        for node, _, _ in dated:
            cell = _first_match(node, candidate)
            text = " ".join(" ".join(cell.itertext()).split()) if cell is not None else ""
            hits += len(text) <= _MAX_DATE_TEXT and looks_like_date(text)
        if hits >= 0.9 * len(dated):
            return (None if candidate == ":scope" else candidate), len(dated)
    return None, len(dated)
