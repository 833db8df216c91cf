"""Page chrome: what a site puts around a story, which never belongs to its text.

Breadcrumbs, department / phone / view-count lines, share and print widgets, previous / next
links, 공공누리 (KOGL) notices, satisfaction surveys, photo captions, copyright footers and
related-article lists would otherwise reach ``body_text`` and the tagger: a MOLIT page whose
"담당부서 : 스마트도시과" line made a property-reporting rule count as smart-city news.

Two kinds of rule, each kind in one place:

* Marked-up chrome: elements whose tag, role, class or id says what they are (``nav``,
  ``figcaption``, ``.breadcrumb``, ``.share``, ``.kogl``, ``.satisfaction``, ``.sr-only``...).
  ``prune_chrome`` removes them from an element whose text is about to be taken (the node a
  source's selector names, a feed entry's HTML). A whole page is not pruned before trafilatura
  reads it, because pruning changes which block trafilatura takes for the story (measured on a
  real Gwangju page: its first paragraph was lost); instead ``chrome_texts`` lists the texts
  of the page's chrome and ``drop_marked_lines`` takes those lines out of what trafilatura
  extracted.
* Chrome lines: ``drop_chrome_lines`` removes, from plain text, what markup did not name:
  "담당부서 : 스마트도시과", "조회수 1,024", "홈 > 알림·소식 > 보도자료", "사진=서울시 제공",
  "ⓒ 연합뉴스 무단전재 및 재배포 금지". Only short lines are ever dropped, never a paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lxml import etree

# --- the HTML tree -----------------------------------------------------------------------

# Tags that are never story text. header is not here: an article's own <header> holds its title,
# which the title rules need, and a page's masthead is left to trafilatura.
_CHROME_TAGS = frozenset(
    {"nav", "aside", "footer", "figcaption", "button", "select", "option", "label", "textarea"}
)
_CHROME_ROLES = frozenset({"navigation", "search", "button", "menu", "menubar", "contentinfo"})

# Words of a class or id (split at -, _ and camelCase) that name chrome. Whole words only:
# "next" must not match "context", nor "share" "shareholder".
_CHROME_WORDS = frozenset(
    {
        # navigation and breadcrumbs
        "breadcrumb", "breadcrumbs", "crumb", "crumbs", "location", "gnb", "lnb", "snb",
        "navi", "nav", "navigation", "skip", "skipnav", "pagination", "paging", "prev",
        "next", "prevnext", "btn", "button", "buttons",
        # share, print, scrap and font-size widgets, tools
        "share", "sharing", "sns", "social", "scrap", "bookmark", "font", "fontsize",
        "fontscale", "zoom", "urlcopy", "tool", "tools", "toolbar", "util", "utility",
        # contact, department and byline blocks
        "contact", "manager", "charge", "charger", "dept", "byline", "reporter",
        # satisfaction surveys
        "satisfaction", "satisfy", "appraisal", "survey", "rating", "poll",
        # licence and copyright notices
        "kogl", "nuri", "opentype", "license", "licence", "copyright",
        # attachment lists (the attachments are read from the whole page, not from its text)
        "file", "files", "filedown", "attach", "attachment", "attachments", "download",
        # captions and photo credits
        "caption", "captions", "credit", "credits",
        # related and recommended articles, tags, comments, ads
        "related", "relate", "relation", "relatedposts", "recommend", "popular", "ranking",
        "most", "sharedaddy", "addtoany",
        "tag", "tags", "hashtag", "keyword", "keywords", "comment", "comments", "reply",
        "ad", "ads", "advert", "advertisement", "banner", "bnr",
    }
)  # fmt: skip
# Screen-reader text ("본문 시작", "주메뉴 바로가기"): whole class names only, as words like
# "hidden" also appear in responsive names (hidden-xs) around real content.
_SCREEN_READER_CLASSES = frozenset(
    {
        "blind", "sr-only", "sr_only", "screen_out", "screen-out", "invisible", "hidden",
        "hide", "visually-hidden", "visuallyhidden", "a11y-hidden", "sound_only", "skip",
    }
)  # fmt: skip
# A photo's text is a caption: img_txt, photo_desc, viewimg_comment, pic_cap...
_PHOTO_WORDS = frozenset({"photo", "img", "image", "pic", "picture", "thumb", "viewimg", "figure"})
_CAPTION_WORDS = frozenset({"txt", "text", "desc", "comment", "cap", "info", "source"})
# "print" alone or on a button is chrome; print_area / printArea wrap the article for printing.
_PRINT_ALONE = frozenset({"print"})
_PRINT_COMPANIONS = frozenset({"btn", "button", "ico", "icon", "link", "bt", "go", "scrap"})
# An element holding a paragraph this long, or this much text outside links, is story whatever
# its class says (an article wrapped in class="article-share-wrap" keeps its article); chrome is
# short (captions, contact lines, notices) or made of links (menus, share bars, related lists).
STORY_PARAGRAPH = 250
STORY_TEXT = 600

_WORD_BOUNDARY = re.compile(r"[-_\s.:]+|(?<=[a-z])(?=[A-Z])|\d+")
_LIST_MARK = re.compile(r"^[\s\-–•*]+")
_SENTENCE_CLOSE = re.compile(r"[.!?。…\"'”’」]\s*$")


def prune_chrome(root: Any) -> None:
    """Remove the chrome inside an lxml element, in place (the element itself always stays).

    Args:
        root: an lxml HTML element: the node a source's selector names, or a feed entry's HTML
            wrapped in a div.
    """
    for element in chrome_elements(root):
        if element.getparent() is not None:
            element.drop_tree()  # keeps the element's tail: the text after it is not chrome


def chrome_elements(root: Any) -> list[Any]:
    """The outermost chrome elements inside an lxml element, in document order."""
    found: list[Any] = []
    pending = list(reversed(root))
    while pending:
        element = pending.pop()
        if _is_chrome(element) and not _holds_story(element):
            found.append(element)  # its descendants go with it
        else:
            pending.extend(reversed(element))
    return found


@dataclass(frozen=True)
class ChromeTexts:
    """The texts of a page's chrome: whole, squeezed of whitespace (to match whole lines), and
    the longer ones as written (to cut out of a line that also holds story)."""

    squeezed: frozenset[str] = frozenset()
    long: tuple[str, ...] = ()


# A chrome text this long is cut out of a line it is part of (extractors sometimes run a short
# article and its share bar into one line); shorter ones ("공유", "농업") may be words of the story.
CHROME_PIECE_MIN = 15


def chrome_texts(elements: list[Any]) -> ChromeTexts:
    """The texts of chrome elements (each element's and each of its parts'), for
    ``drop_marked_lines``."""
    whole: set[str] = set()
    long: set[str] = set()
    for element in elements:
        for text in subtree_texts(element):
            whole.add("".join(text.split()))
            if len(text) >= CHROME_PIECE_MIN:  # spacing only shortens it
                spaced = " ".join(text.split())
                if len(spaced) >= CHROME_PIECE_MIN:
                    long.add(spaced)
    whole.discard("")
    # longest first: a share bar goes whole before its "Share" button's text is looked for;
    # texts of one length in their own order, so that every run cuts the same
    return ChromeTexts(frozenset(whole), tuple(sorted(long, key=lambda t: (-len(t), t))))


def subtree_texts(root: Any) -> list[str]:
    """The text content of the element and of each element inside it (as lxml's
    ``text_content``), children before parents, built in one pass from the leaves up: asking
    each element for its own text reads every text node once per ancestor, ~10 ms on a page
    with a 600-link menu."""
    texts: list[str] = []
    # (element, its children's texts so far); a child's text is taken when it is finished
    stack: list[tuple[Any, list[str]]] = [(root, [root.text or ""])]
    children = [iter(root)]
    while stack:
        child = next(children[-1], None)
        if child is None:
            element, parts = stack.pop()
            children.pop()
            text = "".join(parts)
            texts.append(text)
            if stack:
                stack[-1][1].append(text)
                stack[-1][1].append(element.tail or "")
        elif isinstance(child.tag, str):
            stack.append((child, [child.text or ""]))
            children.append(iter(child))
        else:  # a comment or processing instruction: its text is not the page's, its tail is
            stack[-1][1].append(child.tail or "")
    return texts


def drop_marked_lines(text: str, chrome: ChromeTexts) -> str:
    """The text without the lines that are the text of a chrome element of its page, and
    without the longer chrome texts inside its other lines.

    Args:
        text: text extracted from the page, one block per line (list items may start "- ").
        chrome: ``chrome_texts`` of the page's ``chrome_elements``.
    """
    kept = []
    for line in text.split("\n"):
        if squeezed(_LIST_MARK.sub("", line)) in chrome.squeezed:
            continue
        kept.append(_without_pieces(line, chrome.long) if len(line) > CHROME_PIECE_MIN else line)
    return "\n".join(kept)


def _without_pieces(line: str, pieces: tuple[str, ...]) -> str:
    spaced = " ".join(line.split())
    cut = spaced
    for piece in pieces:
        # a sentence inside a line stays: a pull quote or a caption may repeat the story's words
        if piece in cut and (not _SENTENCE_CLOSE.search(piece) or cut.endswith(piece)):
            cut = cut.replace(piece, " ")
    return line if cut == spaced else " ".join(cut.split())


def squeezed(text: str) -> str:
    """The text without any whitespace, for comparing texts laid out differently."""
    return "".join(text.split())


def _is_chrome(element: Any) -> bool:
    tag = element.tag
    if not isinstance(tag, str):
        return False  # comments and processing instructions
    if tag in _CHROME_TAGS:
        return True
    if (element.get("role") or "").strip().lower() in _CHROME_ROLES:
        return True
    names = f"{element.get('class') or ''} {element.get('id') or ''}".split()
    return any(_names_chrome(name) for name in names)


@lru_cache(maxsize=4096)
def class_words(names: str) -> frozenset[str]:
    """The lower-case words of class names or ids: split at spaces, -, _, digits and camelCase
    ("btn_print" and "btnPrint" both give btn and print)."""
    return frozenset(word.lower() for word in _WORD_BOUNDARY.split(names) if word)


@lru_cache(maxsize=4096)
def _names_chrome(name: str) -> bool:
    """Whether one class name or id says chrome (cached: sites repeat a few hundred names)."""
    if name.lower() in _SCREEN_READER_CLASSES:
        return True
    words = class_words(name)
    if not words:
        return False
    if "print" in words:
        return words <= _PRINT_ALONE | _PRINT_COMPANIONS
    if _CHROME_WORDS.intersection(words):
        return True
    return bool(_PHOTO_WORDS.intersection(words) and _CAPTION_WORDS.intersection(words))


# the text nodes inside links, as plain strings (lxml's default "smart" strings each build an
# element object for their parent: thousands on a page with a big menu)
_LINK_TEXTS = etree.XPath("descendant-or-self::a//text()", smart_strings=False)


def _holds_story(element: Any) -> bool:
    pieces = list(element.itertext())
    # a piece shorter than a paragraph is no paragraph once stripped either
    if any(len(p) >= STORY_PARAGRAPH and len(p.strip()) >= STORY_PARAGRAPH for p in pieces):
        return True
    # lengths without whitespace: the texts joined, then squeezed once (the same total)
    in_links = len(squeezed("".join(_LINK_TEXTS(element))))
    return len(squeezed("".join(pieces))) - in_links >= STORY_TEXT


# --- lines of text -----------------------------------------------------------------------

# Lines longer than this are paragraphs: no line rule touches them.
CHROME_LINE_MAX = 160
# A Korean statement ends in 다 ("밝혔다.", "있습니다."): chrome lines do not, so rules that
# could catch a story's own sentence (a phone number, a field name) leave such lines alone.
_KOREAN_SENTENCE = re.compile(r"다\s*[.!?。]?[\"'”’」』)\]]*\s*$")
_BULLET = r"^[\s\-–·•*|▶▷◆◇■□○●※☞]*"

# "담당부서 : 스마트도시과", "조회수 1,024", "작성일 2025-12-09": a field's name, then a colon
# (or a table's bar), a number or a one-word value ("담당부서 스마트도시과"); common words
# ("문의", "부서", "조회") need a colon or a number. A row naming two fields is a contact table's
# ("담당부서 스마트도시과 담당자 홍길동").
_FIELD_NAMES = (
    "담당부서|담당 부서|담당자|부서명|콘텐츠 ?관리부서|자료 ?문의|문의처|연락처|전화번호|대표전화|"
    "조회수|작성일|작성자|등록일|수정일|게시일|배포일시|배포일|보도일시|글쓴이|Posted on|Last updated"
)
_FIELD_WORDS = (
    "담당|부서|문의|전화|팩스|FAX|Fax|Tel|TEL|E-?mail|이메일|조회|출처|기사입력|입력|최종수정|수정|"
    "승인|Views|Hits|Date"
)
_FIELD_LINE = re.compile(
    _BULLET + rf"(?:(?:{_FIELD_NAMES})(?:\s*[:：|]\s*\S|\s*\d|\s+\S+\s*\|?$)|"
    rf"(?:{_FIELD_WORDS})\s*(?:[:：|]\s*\S|\d))"
)
_FIELD_ROW_START = re.compile(_BULLET + rf"(?:{_FIELD_NAMES})")
_FIELD_NAME = re.compile(_FIELD_NAMES)
# a line of fields between bars: "디지털정부국 | 2026-11-20 | 조회 2,341"
_FIELD_IN_BARS = re.compile(
    rf"(?:^|\|)\s*(?:{_FIELD_NAMES}|{_FIELD_WORDS})\s*[:：]?\s*[\d,.\-: ]+\s*(?:\||$)"
)
_PHONE = re.compile(
    r"(?<![\d-])(?:\(?0\d{1,2}\)?[-.\s)]?)?\d{3,4}-\d{4}(?![\d-])|"
    r"(?:☎|Tel\.?|TEL\.?|전화)\s*[:：]?\s*\(?\d{2,4}\)?[-.\s]?\d{3,4}"
)
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d-(?:19|20)\d\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BYLINE = re.compile(r"^[\[(【]?\s*[가-힣]{2,4}\s*(?:기자|특파원|통신원)\s*[\])】]?$")
_TABLE_RULE = re.compile(r"^\|?(?:\s*:?-+:?\s*\|)+\s*:?-*:?\s*$")
_BARE_NUMBER = re.compile(r"^\d[\d,]*$")
_BREADCRUMB_SEPARATOR = re.compile(r"\s*[>›〉»]\s*")
_HOME = re.compile(r"^(?:홈|HOME|Home|home|메인|Main|처음으로)$")
_SURVEY = re.compile(
    r"만족하십니까|만족도를 평가해|(?:페이지|서비스|정보)(?:의|에 대한|에 대하여) ?만족|"
    r"Was this (?:page|information) (?:helpful|useful)|Did you find (?:this page|what you)"
)
_SURVEY_ANSWERS = frozenset({"매우", "만족", "보통", "불만족", "만족함", "불만", "평가하기"})
_KOGL = re.compile(
    r"공공누리.{0,60}(?:유형|조건에 ?따라)|Korea Open Government License|KOGL\s*(?:Type)?\s*[1-4]"
)
_COPYRIGHT = re.compile(
    r"copyright\s*(?:©|ⓒ|\(c\)|\d{4})|©|ⓒ|all rights reserved|unauthorized reproduction|"
    r"무단\s*전재|재배포\s*금지|저작권자\s*[ⓒ©(]|^기사\s*제공\s*[:：=]?",
    re.IGNORECASE,
)
_WORDPRESS_FOOTER = re.compile(r"^The post .+ appeared first on .+$")
# a credit marking its line as a photo caption: "사진=서울시 제공", "[사진 제공=OO]",
# "...기념촬영을 하고 있다. /광주광역시 제공", "...설명하고 있다.(사진=연합뉴스)"
_PHOTO_LINE = re.compile(
    r"^[\[(【<]?\s*(?:사진|그래픽|자료사진|이미지|Photo|PHOTO|Image)\s*(?:제공)?\s*[=:：]"
)
_PHOTO_CREDIT_END = re.compile(
    r"(?:다\.|[.)\]])\s*(?:/\s*[^/\s][^/]{0,24}\s*제공|"
    r"[\[(]\s*(?:사진|그래픽)\s*(?:제공)?\s*[=:：]\s*[^\])]{1,30}[\])])\s*$"
)
_ATTACHMENT_NOTE = re.compile(
    r"^(?:※\s*)?(?:별첨|붙임|첨부파일|첨부)\s*(?:\d|[:：]|\s)|^\(.*(?:첨부|별첨)\s*\)$"
)
_NAVIGATION_LINE = re.compile(
    r"^(?:이전글|다음글|윗글|아랫글|이전 글|다음 글|Previous post|Next post)\b"
)
_WIDGET_WORDS = frozenset(
    {
        "공유", "공유하기", "인쇄", "인쇄하기", "프린트", "스크랩", "글자크기", "글씨크기", "글자",
        "크기", "확대", "축소", "페이스북", "트위터", "카카오톡", "카카오스토리", "밴드", "블로그",
        "네이버블로그", "URL", "복사", "URL복사", "링크복사", "주소복사", "목록", "목록으로",
        "이전글", "다음글", "맨위로", "TOP", "다운로드", "미리보기", "바로보기", "바로듣기",
        "첨부파일", "닫기", "좋아요", "추천하기", "메일전송", "본문", "시작", "바로가기",
        "주메뉴", "건너뛰기", "share", "print", "font", "size", "facebook", "twitter", "x",
        "linkedin", "email", "e-mail", "copy", "link", "kakao", "kakaotalk", "naver", "band",
        "tweet", "whatsapp", "telegram", "reddit", "pinterest", "|", "·", "/",
    }
)  # fmt: skip
# what a feed or page puts at the end of a shortened text: "...기사보기", "Read more »"
_READ_MORE = re.compile(
    r"\s*(?:\.\.\.|…)?\s*(?:기사\s*(?:보기|전문|원문)|Read more|Continue reading|"
    r"Read the full (?:story|article))\s*[»›→>]*\s*$",
    re.IGNORECASE,
)
_END_MARK = re.compile(r"\s*(?:\(END\)|<끝>|〈끝〉|/끝/|-끝-)\s*$")


def drop_chrome_lines(text: str) -> str:
    """The text without its chrome lines, and without the end marks ("(END)", "<끝>") and
    "read more" links that close a line.

    Args:
        text: plain text, one paragraph or field per line.
    """
    kept: list[str] = []
    leading = True  # no story line yet
    for line in text.split("\n"):
        line = _READ_MORE.sub("", _END_MARK.sub("", line))
        stripped = line.strip()
        if stripped and is_chrome_line(stripped, leading=leading):
            continue
        leading = leading and not stripped
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def is_chrome_line(line: str, *, leading: bool = False) -> bool:
    """Whether one stripped line of text is chrome.

    Args:
        line: the line, stripped.
        leading: no story line came before it. Bare "A > B > C" paths count as breadcrumbs
            only there: further down they may be a procedure the story describes.
    """
    if len(line) > CHROME_LINE_MAX:
        return False
    return any(rule(line, leading) for rule in _LINE_RULES)


def _is_breadcrumb(line: str, leading: bool) -> bool:
    parts = [part for part in _BREADCRUMB_SEPARATOR.split(line) if part]
    if len(parts) < 2 or any(len(part) > 30 for part in parts):
        return False
    starts_home = bool(_HOME.match(parts[0]))
    return starts_home or (leading and len(parts) >= 3 and not _KOREAN_SENTENCE.search(line))


def _is_field(line: str, leading: bool) -> bool:
    if _KOREAN_SENTENCE.search(line):
        return False
    if _FIELD_LINE.match(line) or _FIELD_IN_BARS.search(line):
        return True
    return bool(_FIELD_ROW_START.match(line)) and len(_FIELD_NAME.findall(line)) >= 2


def _is_count(line: str, leading: bool) -> bool:
    # a bare number above the story is a view count or a post number
    return leading and bool(_BARE_NUMBER.match(line))


def _is_contact(line: str, leading: bool) -> bool:
    if _KOREAN_SENTENCE.search(line) or len(line) > 120:
        return False
    phones = [m for m in _PHONE.finditer(line) if not _YEAR_RANGE.search(m.group())]
    return bool(phones or _EMAIL.search(line) or _BYLINE.match(line))


def _is_survey(line: str, leading: bool) -> bool:
    words = line.split()
    answers_only = bool(words) and set(words) <= _SURVEY_ANSWERS and "만족" in line
    return answers_only or bool(_SURVEY.search(line))


def _is_notice(line: str, leading: bool) -> bool:
    if _KOGL.search(line) or _WORDPRESS_FOOTER.match(line):
        return True
    return not _KOREAN_SENTENCE.search(line) and bool(_COPYRIGHT.search(line))


def _is_caption(line: str, leading: bool) -> bool:
    return bool(_PHOTO_LINE.match(line) or _PHOTO_CREDIT_END.search(line))


def _is_attachment_note(line: str, leading: bool) -> bool:
    return len(line) <= 100 and bool(_ATTACHMENT_NOTE.match(line))


def _is_table_rule(line: str, leading: bool) -> bool:
    # the |---|---| under a table's head, left alone when its rows were contact fields
    return bool(_TABLE_RULE.match(line))


def _is_widget(line: str, leading: bool) -> bool:
    if _NAVIGATION_LINE.match(line):
        return True
    words = line.replace("|", " | ").split()
    return bool(words) and all(
        word.lower() in _WIDGET_WORDS or word in _WIDGET_WORDS for word in words
    )


_LINE_RULES = (
    _is_breadcrumb,
    _is_field,
    _is_count,
    _is_contact,
    _is_survey,
    _is_notice,
    _is_caption,
    _is_attachment_note,
    _is_table_rule,
    _is_widget,
)
