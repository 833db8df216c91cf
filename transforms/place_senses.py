"""When a place name in a text is not the place a story is about.

Each rule reads the words around one match of a name and says whether that mention names the
place: a club in a league report, a company's plant, an airport, a venue of an event, a
neighbourhood that shares a city's name (서산동 in Mokpo), a bare word that is only a county
after its province (충남 예산). The rules are pure and small, so a mention that is left out can be
explained by the one that left it out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from transforms.matching import Match

# League reports: the cities in them are clubs (Ulsan Hyundai, FC Seoul, the Denver Nuggets) or
# venues, so only a name with its administrative suffix (부산시, Busan City) stays a city.
SPORTS_CUES: tuple[str, ...] = (
    "프로축구",
    "프로야구",
    "프로농구",
    "프로배구",
    "K리그",
    "KBO",
    "KBL",
    "홈경기",
    "원정경기",
    "원정 경기",
    "결승골",
    "동점골",
    "K League",
    "NBA",
    "NFL",
    "MLB",
    "NHL",
    "Premier League",
    "La Liga",
    "Serie A",
    "Bundesliga",
    "Major League Soccer",
    "triple-double",
    "exhibition game",
)
_ADMINISTRATIVE_END = ("시", "군", "구", "City", "-si", "-gun", "-gu", "Government", "District")
_ADMINISTRATIVE_AFTER = re.compile(
    r"^(?:시|군|구|광역시|특별시|특례시)(?![\uac00-\ud7a3])|^ City\b"
)

# A name directly followed by these names an organisation or its site, not where a story is:
# Jeju Air, Busan Bank, Incheon airport, Seoul stocks, Tesla's Shanghai factory, 제주항공, 울산현대.
_ORGANISATION_AFTER = re.compile(
    r"^(?:'s|’s)?\s?(?:(?:International\s)?[Aa]irports?|Air\b|Airlines?|Bank\b|Stock Exchange|"
    r"stocks|shares\s(?:rose|fell|closed|ended|gained|lost|slipped|jumped)|bourse|F\.?C\.?\b|United\b|Hyundai|Motors|Steelers|Bluewings|Nuggets|Wizards|"
    r"[Cc]ampus|[Pp]lant\b|[Ff]actory|[Gg]igafactory|[Ff]ab\b|[Hh]eadquarters|HQ\b|[Ss]tore\b|"
    r"(?:National\s)?University|Hospital|(?:High|Middle|Elementary)\sSchool)"
    r"|^\s?(?:국제공항|공항|은행|항공|유나이티드|현대|FC|에프씨|스틸러스|캠퍼스|공장|사업장|본사|증시|"
    r"외환시장|증권거래소|노선|직항|항로|경찰청|경찰서|지방경찰청|일보|신문|방송)"
    r"|^(?:'s|’s)\s(?:foreign|defen[cs]e|unification|finance|trade) ministry"  # the state
    r"|^행(?![정사복진동성])"  # 뉴욕행 항공편: bound for New York
    r"|^\s?등\s\d+개\s?노선|^\s\S+(?:경찰서|경찰청)"  # 애틀랜타 등 3개 노선, 서울 남대문경찰서
)
_ORGANISATION_BEFORE = re.compile(r"(?:\bFC|에프씨)\s?$")

# A venue of an event ("held at KINTEX in Ilsan", "서울 코엑스에서", "부산 벡스코에서 개막"): where a
# conference or a launch took place is not what the story is about.
_VENUE_WORDS = (
    r"킨텍스|코엑스|벡스코|엑스코|컨벤션|전시장|전시관|경기장|체육관|축구장|야구장|박물관|미술관|"
    r"호텔|아레나|KINTEX|COEX|BEXCO|EXCO"
)
_EVENT_VERBS = r"열린|열리는|열렸|열려|열고|개최|개막"
_VENUE_AFTER = re.compile(
    r"^(?:시|특별시|광역시|특례시)?\s?"
    rf"(?=(?:\S+\s){{0,2}}?\S*(?:에서|서)(?!\S))(?:\S+\s){{0,2}}?\S*(?:{_VENUE_WORDS})"
    rf"|^(?:시|특별시|광역시|특례시)?\s?(?:\S+\s){{0,2}}?\S*(?:에서|서)\s(?:{_EVENT_VERBS})"
    rf"|^(?:시|특별시|광역시)?\s?(?:에서\s)?(?:개최|개막)"
)
# "held at KINTEX in", "held on Tuesday in", "at the Korea Chamber of Commerce in",
# "at a conference in", "at an international airfield in", "Summit in"
_VENUE_NOUNS = (
    r"conference|forum|summit|expo|exhibition|trade fair|fair|event|ceremony|meeting|convention|"
    r"airfield|airport|hotel|stadium|arena|concert|show|launch"
)
_VENUE_BEFORE = re.compile(
    r"(?:\b(?:held|hosted|staged|convened|took place|takes place|will take place)(?:\s\S+){0,6}?\sin"
    # a product launch: "unveiled its new Galaxy foldable smartphone series for the first time in"
    r"|\b(?:unveil|launch|introduc|releas)\w*(?:\s\S+){0,8}?\s(?:smartphones?|phones?|Galaxy|iPhones?|"
    r"tablets?|laptops?|TVs?|consoles?|models?|lineup|series)\b(?:\s\S+){0,6}?\sin"
    r"|\bat\s(?:the\s|its\s)?(?:(?:[A-Z0-9][\w&'.-]*|of|and|for|the|de)\s){1,8}in"
    rf"|\bat\s(?:(?:the|a|an|its|this|their)\s)?(?:\S+\s){{0,3}}?(?:{_VENUE_NOUNS})s?\sin"
    r"|\b(?:Summit|Conference|Congress|Expo|Forum|Exhibition|Convention|School|University|Hospital|"
    r"Museum|Stadium|Hall|Hotel|Dome|Arena|Center|Centre)(?:\s\(\S+\))?\sin)"
    r"\s(?:[A-Z]\w+(?:'s|’s)\s)?$"  # "in Seoul's Jung-gu District"
)
# A passing geographic reference: "Seoul's satellite city", "near Busan", "outside Paris"
_NEARBY_BEFORE = re.compile(
    r"\b(?:near|outside|outskirts of|suburbs of|(?:(?:south|north)(?:east|west)?|east|west)(?:ern)? of)\s$"
)
_NEARBY_AFTER = re.compile(r"^(?:'s|’s)\s(?:satellite|neighbou?ring|nearby)")
# 서산동 (a neighbourhood of Mokpo) is not 서산시; 동부/동구/동쪽 are other words
_NEIGHBOURHOOD_AFTER = re.compile(r"^동(?![부구쪽남북해])")
_WINDOW = 90  # characters read on either side of a mention


def has_sports_context(fields: Iterable[str]) -> bool:
    """Whether the item reads as a league or match report."""
    return any(cue in text for text in fields for cue in SPORTS_CUES)


def is_administrative(field_text: str, m: Match) -> bool:
    """A name written with its administrative suffix (부산시, 울주군, Busan City, Mapo-gu)."""
    return m.term.endswith(_ADMINISTRATIVE_END) or bool(
        _ADMINISTRATIVE_AFTER.match(field_text[m.end : m.end + 8])
    )


def names_organisation(field_text: str, m: Match) -> bool:
    """A name that is part of an organisation's or a site's name (Jeju Air, 울산현대, FC Seoul)."""
    before = field_text[max(0, m.start - 8) : m.start]
    return bool(_ORGANISATION_AFTER.match(field_text[m.end : m.end + 30])) or bool(
        _ORGANISATION_BEFORE.search(before)
    )


def names_venue(field_text: str, m: Match) -> bool:
    """A name that only says where an event was held (at KINTEX in Ilsan, 서울 코엑스에서 개최)."""
    after = field_text[m.end : m.end + 40]
    before = _sentence_before(field_text, m.start)
    return bool(_VENUE_AFTER.match(after)) or bool(_VENUE_BEFORE.search(before))


def names_nearby(field_text: str, m: Match) -> bool:
    """A name used to locate something else ("Seoul's satellite city", "near Busan")."""
    before = _sentence_before(field_text, m.start)
    return bool(_NEARBY_BEFORE.search(before)) or bool(
        _NEARBY_AFTER.match(field_text[m.end : m.end + 20])
    )


def names_neighbourhood(field_text: str, m: Match, stems: frozenset[str]) -> bool:
    """A city's stem that begins a neighbourhood's name (서산동 of Mokpo is not Seosan)."""
    return m.term in stems and bool(_NEIGHBOURHOOD_AFTER.match(field_text[m.end : m.end + 2]))


def lacks_province(
    field_text: str, m: Match, provinces: frozenset[str], stems: frozenset[str]
) -> bool:
    """A bare name that is an ordinary word unless its province stands before it.

    "충남 예산", or a list that opens with the province: "경북 경주·성주", "경남 김해와 사천".
    """
    before = field_text[max(0, m.start - 40) : m.start]
    for _ in range(4):  # the province, or up to three listed places before it
        before = before.rstrip()
        if before.endswith(tuple(provinces)):
            return False
        listed = _LISTED_BEFORE.search(before)
        if listed is None or listed["stem"] not in stems:
            return True
        before = before[: listed.start()]
    return True


# "경주·", "김해와", "서산시," — a place listed before another
_LISTED_BEFORE = re.compile(r"(?P<stem>[\uac00-\ud7a3]{2,4}?)(?:시|군)?(?:\s*[·ㆍ,]|와|과|\s및)$")


def qualifies_next(field_text: str, m: Match, following: Match, parents: frozenset[str]) -> bool:
    """A metropolitan city's name that only says where its county is ("울산 울주군")."""
    if m.term not in parents:
        return False
    return following.start > m.end and not field_text[m.end : following.start].strip()


def listed_among_countries(field_text: str, m: Match, countries: frozenset[str]) -> bool:
    """A city-state named in a list of countries ("the US, Britain, Singapore, France"): the state."""
    before = re.split(r",\s*(?:and\s)?|\sand\s|·", field_text[max(0, m.start - 40) : m.start])
    after = re.split(r",\s*(?:and\s)?|\sand\s|·", field_text[m.end : m.end + 40])
    neighbours = [before[-2] if len(before) > 1 else "", after[1] if len(after) > 1 else ""]
    return any(_bare(n) in countries for n in neighbours)


def _bare(item: str) -> str:
    return re.sub(r"^(?:the|and)\s", "", item.strip())


def _sentence_before(field_text: str, start: int) -> str:
    before = field_text[max(0, start - _WINDOW) : start]
    cut = max(before.rfind(". "), before.rfind("다. "), before.rfind("\n"))
    return before[cut + 1 :] if cut != -1 else before
