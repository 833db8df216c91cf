"""Cities, countries, focus areas and smart-city relevance of an item, each with its reasons.

A reason names the term that matched, the field it was found in and how often, so an analyst
can see why a tag is there (and a taxonomy change can be judged against the evaluation set).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from itertools import pairwise
from typing import Any

from transforms import place_senses as senses
from transforms.embedding import one_blas_thread, opening_text
from transforms.learned import Decision, Evidence, Example, example_titles, learned_model
from transforms.matching import Match, Morphemes, has_hangul
from transforms.vocabularies import Gazetteer, Place, Scoring, Taxonomy, gazetteer, taxonomy

# Topics (focus areas, relevance, context) are read from the story's opening: the title, the lead
# and this much of the body. The learned heads decide from the opening (the labelled news they
# learn from holds leads of at most 400 characters); the rest of a long body, and attachments,
# are read for places only, which costs Kiwi a small share of the text.
EVIDENCE_CHARS = 400
# A city needs at least this much evidence: one mention in the body, or the source's own city.
# A wire dateline alone (0.4) is where the reporter sat, not what the story is about.
CITY_THRESHOLD = 1.0

# "SEOUL, Nov. 20 (Yonhap) -- ", "Incheon, South Korea — ", "(세종=연합뉴스) 김민수 기자 = "
# Korean wires put their credit in titles as well as bodies.
# "(세종=연합뉴스) 김민수 기자 =", "[서울=뉴시스] 강세훈 기자 =", "【부산=뉴시스】"
_KOREAN_DATELINE = r"[(\[【][^()\[\]【】=]{1,12}=[^()\[\]【】]{1,12}[)\]】]\s*(?:[^=\n]{1,20}=)?\s*"
_ENGLISH_DATELINE = (
    r"[A-Z][A-Za-z0-9 .,'-]{1,60}?(?:\((?:Yonhap|AFP|AP|Reuters|Xinhua|Kyodo|EFE|UPI|Bernama)\))?"
    r"\s*(?:--|—|–)\s"
)
# "SUWON, June 6 (Korea Bizwire)", "PITTSBURGH, PA (October 7, 2015)", "SINGAPORE: " — a place in
# capitals, then a credit or a date in brackets, or a colon
_WIRE_CREDIT = (
    r"[^()\n]*\d[^()\n]*|[^()\n]*/[^()\n]*|Yonhap|AP|AFP|Reuters|Xinhua|Kyodo|EFE|UPI|Bernama|"
    r"[A-Z][A-Za-z ]{1,20}(?:wire|Wire|News|Times|Herald)"
)
_CAPITALS_DATELINE = (
    r"[A-Z][A-Z.'-]{2,}(?: [A-Z][A-Z.'-]+){0,3}(?:, [A-Z][A-Za-z.]{1,12})?"
    rf"(?:, [A-Z][a-z]{{2,8}}\.? \d{{1,2}}(?:, \d{{4}})?)? ?\((?:{_WIRE_CREDIT})\) ?(?:(?:--|—|–) ?)?"
    r"|[A-Z][A-Z.'-]{2,}(?: [A-Z][A-Z.'-]+){0,3}: "
)
_BODY_DATELINE = re.compile(rf"^\s*(?:{_ENGLISH_DATELINE}|{_KOREAN_DATELINE}|{_CAPITALS_DATELINE})")
# An English title such as "Songdo – a city from scratch" is not a dateline, so titles are only
# searched for the Korean form.
_TITLE_DATELINE = re.compile(rf"^\s*{_KOREAN_DATELINE}")


@dataclass(frozen=True)
class Reason:
    """One piece of evidence for a tag.

    A matched term names the field it was found in (title, summary, body, dateline, list,
    source). A learned decision is the term "model (quick)" or "model (full)" — which stage of
    heads decided — in the field "learned", its probability as the weight; a labelled example
    near the story is its id in the field "example", with its
    similarity as the weight, its address and, where the text is at hand, its title.
    """

    term: str
    field: str
    count: int = 1
    weight: float | None = None
    url: str | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, fields without a value left out (as the warehouse stores it)."""
        # field by field: dataclasses.asdict deep-copies, which cost ~1 ms per tagged story
        values = {
            "term": self.term,
            "field": self.field,
            "count": self.count,
            "weight": self.weight,
            "url": self.url,
            "title": self.title,
        }
        return {key: value for key, value in values.items() if value is not None}


@dataclass
class Tag:
    """A city, country or focus area with its score and reasons."""

    value: str
    score: float
    reasons: list[Reason] = field(default_factory=list)
    country: str | None = None  # for cities


@dataclass
class Tags:
    """Everything the tagger decided about one item."""

    cities: list[Tag]
    countries: list[Tag]
    focus_areas: list[Tag]
    is_smart_city: bool
    relevance: float
    relevance_reasons: list[Reason]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the `classify` output uses it)."""
        return asdict(self)


@dataclass(frozen=True)
class Defaults:
    """What the source says about every item it publishes."""

    city: str | None = None
    country: str | None = None
    source_name: str = "source"


@dataclass(frozen=True)
class ItemText:
    """One item as the tagger reads it."""

    title: str
    summary: str = ""
    body: str = ""
    defaults: Defaults = field(default_factory=Defaults)


@dataclass
class _Text:
    fields: dict[str, str]
    morphemes: dict[str, Morphemes]
    # what each vocabulary found, kept: the whole text and its opening read the same matches
    found: dict[tuple[int, int, bool], list[Match]] = field(default_factory=dict)
    # spans of neutral phrases by (vocabulary, field): focus and relevance both leave them out
    neutral_spans: dict[tuple[Any, str], list[tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, title: str, summary: str, body: str) -> _Text:
        fields = text_fields(title, summary, body)
        morphemes = {
            name: Morphemes.near_names(text) if name == "rest" else Morphemes.near_terms(text)
            for name, text in fields.items()
        }
        return cls(fields, morphemes)

    def contains(self, phrase: str) -> bool:
        return any(phrase in text for text in self.fields.values())

    def find(self, vocabulary: Any, neutral: Any = None, whole: bool = False) -> list[Match]:
        """Matches of ``vocabulary`` in the opening's fields (in every field, the rest of the
        body too, with ``whole``), leaving out those inside ``neutral`` phrases."""
        key = (id(vocabulary), id(neutral), whole)
        if key not in self.found:
            self.found[key] = self._find(vocabulary, neutral, whole)
        return self.found[key]

    def _find(self, vocabulary: Any, neutral: Any, whole: bool) -> list[Match]:
        found: list[Match] = []
        for name, text in self.fields.items():
            if not text or (name == "rest" and not whole):
                continue
            matches = vocabulary.find(text, name, self.morphemes[name])
            if neutral is not None and matches:
                spans = self._neutral(neutral, name)
                matches = [m for m in matches if not _inside_any(m, spans)]
            found.extend(matches)
        return found

    def _neutral(self, neutral: Any, name: str) -> list[tuple[int, int]]:
        key = (neutral, name)
        if key not in self.neutral_spans:
            found = neutral.find(self.fields[name], name, self.morphemes[name])
            self.neutral_spans[key] = [(m.start, m.end) for m in found]
        return self.neutral_spans[key]


def _inside_any(match: Match, spans: list[tuple[int, int]]) -> bool:
    return any(start <= match.start and match.end <= end for start, end in spans)


def tag_item(
    title: str, summary: str = "", body: str = "", defaults: Defaults | None = None
) -> Tags:
    """Tag one item's text (for many, `tag_items` embeds them together, which is faster).

    Args:
        title: clean title (may be empty: a feed item may have only a description).
        summary: clean summary (ignored where the body repeats it).
        body: clean main text.
        defaults: the source's own city and country, added with the source as their reason.

    Returns:
        Tags, each list sorted by score, strongest first.
    """
    return tag_items([ItemText(title, summary, body, defaults or Defaults())])[0]


def tag_items(items: Sequence[ItemText]) -> list[Tags]:
    """Tag a batch: the rules read each item, then the learned heads decide relevance and focus
    areas from the rules' evidence and the embeddings of the openings, embedded together."""
    readings = [read_rules(item) for item in items]
    openings = [opening_text(i.title, i.summary, i.body) for i in items]
    with one_blas_thread():
        decisions = learned_model().decide_openings(openings, [r.evidence for r in readings])
    return [fuse(reading, decision) for reading, decision in zip(readings, decisions, strict=True)]


@dataclass(frozen=True)
class RuleReading:
    """What the rules alone make of an item: places, every focus score, relevance, context."""

    cities: list[Tag]
    countries: list[Tag]
    focus: list[Tag]  # every area with a score, assigned or not, strongest first
    relevance: float
    relevance_reasons: list[Reason]
    context: list[Reason]
    is_smart_city: bool  # the rules' verdict on the whole text
    evidence: Evidence  # what the rules found in the opening, for the learned heads


def read_rules(item: ItemText) -> RuleReading:
    """The rules' reading of one item (no model involved)."""
    text = _Text.of(item.title, item.summary, item.body)
    geo, tax = gazetteer(), taxonomy()
    cities = _cities(text, geo, tax.scoring, item.defaults)
    countries = _countries(text, geo, cities, tax.scoring, item.defaults)
    all_focus = _focus_scores(text, tax)
    relevance, reasons = _relevance(text, tax, _assigned(all_focus, tax))
    context = _context(text, tax, cities)
    return RuleReading(
        cities=cities,
        countries=countries,
        focus=all_focus,
        relevance=relevance,
        relevance_reasons=reasons,
        context=context,
        is_smart_city=relevance >= tax.relevance_threshold and bool(context),
        evidence=Evidence(
            focus={tag.value: tag.score for tag in all_focus},
            relevance=relevance,
            context=bool(context),
            rules_smart=relevance >= tax.relevance_threshold and bool(context),
            business=_business(text, tax),
        ),
    )


def rule_evidence(title: str, summary: str = "", body: str = "") -> Evidence:
    """What the rules find in an item's opening: the learned heads' other input (training
    computes it for labelled items exactly as tagging does)."""
    return read_rules(ItemText(title, summary, body)).evidence


def _assigned(focus: list[Tag], tax: Taxonomy) -> list[Tag]:
    return [tag for tag in focus if tag.score >= tax.scoring.threshold]


def _business(text: _Text, tax: Taxonomy) -> float:
    """The score of market and consumer-business words in the opening (evidence against)."""
    matches = text.find(tax.business_terms, tax.neutral)
    total = 0.0
    for term in {m.term for m in matches}:
        score, _ = _score(
            [m for m in matches if m.term == term], tax.scoring, tax.business_weights[term]
        )
        total += score
    return total


def rules_only(reading: RuleReading) -> Tags:
    """The rules' own tags, as cityradar gave them before the learned heads (for comparison)."""
    reasons = reading.relevance_reasons + (
        reading.context or [Reason("no urban or public context", "text")]
    )
    return Tags(
        cities=reading.cities,
        countries=reading.countries,
        focus_areas=_assigned(reading.focus, taxonomy()),
        is_smart_city=reading.is_smart_city,
        relevance=round(reading.relevance, 2),
        relevance_reasons=reasons,
    )


def fuse(reading: RuleReading, decision: Decision) -> Tags:
    """Tags from the rules' reading and the learned decision: places from the rules, relevance
    and focus areas from the fused heads, each with the rules' terms and the model's score."""
    rule_focus = {tag.value: tag for tag in reading.focus}
    focus = [
        Tag(
            area,
            round(decision.focus_probabilities[area], 2),
            [
                *(rule_focus[area].reasons if area in rule_focus else []),
                _model_reason(decision.focus_probabilities[area], decision.stage),
                *[_example_reason(e) for e in decision.nearest if area in e.focus][:1],
            ],
        )
        for area in decision.focus_areas
    ]
    reasons = [
        *reading.relevance_reasons,
        *(reading.context or [Reason("no urban or public context", "text")]),
        _model_reason(decision.smart_probability, decision.stage),
        *(_example_reason(e) for e in decision.nearest),
    ]
    return Tags(
        cities=reading.cities,
        countries=reading.countries,
        focus_areas=focus,
        is_smart_city=decision.is_smart_city,
        relevance=round(decision.smart_probability, 2),
        relevance_reasons=reasons,
    )


def _model_reason(probability: float, stage: str) -> Reason:
    # "model (quick)": decided by the quick heads; "model (full)": by the full encoder's
    return Reason(f"model ({stage})", "learned", weight=round(probability, 2))


def _example_reason(example: Example) -> Reason:
    labels = "smart-city" if example.smart else "not smart-city"
    if example.focus:
        labels += ": " + ", ".join(example.focus)
    return Reason(
        f"{example.id} ({labels})",
        "example",
        weight=example.similarity,
        url=example.url,
        title=example_titles().get(example.id),
    )


def text_fields(title: str, summary: str, body: str) -> dict[str, str]:
    """The fields an item is read by: title, summary, wire dateline (weak evidence), the body's
    opening and the rest of the body (read for places only)."""
    title_dateline, title = _split(_TITLE_DATELINE, title or "")
    summary_dateline, summary = split_dateline(summary or "")
    body_dateline, body = split_dateline(body or "")
    fields = {
        "title": title,
        "summary": summary,
        "dateline": " ".join(filter(None, (title_dateline, summary_dateline, body_dateline))),
        "body": body,
    }
    if fields["summary"] and fields["summary"] in fields["body"]:
        fields["summary"] = ""  # a summary repeated in the body would count twice
    fields["body"], fields["rest"] = _opening_and_rest(fields["body"])
    return fields


def _opening_and_rest(body: str) -> tuple[str, str]:
    """The body's first EVIDENCE_CHARS characters (cut between words) and the rest."""
    if len(body) <= EVIDENCE_CHARS:
        return body, ""
    cut = body.rfind(" ", EVIDENCE_CHARS // 2, EVIDENCE_CHARS + 1)
    cut = cut if cut != -1 else EVIDENCE_CHARS
    return body[:cut], body[cut:]


def split_dateline(body: str) -> tuple[str, str]:
    """(dateline, rest) of a body that opens with a wire dateline, else ("", body)."""
    return _split(_BODY_DATELINE, body)


def _split(pattern: re.Pattern[str], text: str) -> tuple[str, str]:
    match = pattern.match(text)
    if not match:
        return "", text
    return match.group(0), text[match.end() :]


def _score(
    matches: list[Match], scoring: Scoring, weight: float | None = None
) -> tuple[float, list[Reason]]:
    """Score the matches of one term-group: best field x weight, a bonus for repetition.

    A term's weight, when it has one (focus and relevance terms), is kept in its reasons.
    """
    by_term: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        by_term[m.term].append(m)
    total, reasons = 0.0, []
    for term, hits in by_term.items():
        best = max(hits, key=lambda m: scoring.field_weights[m.field])
        repeats = min(len(hits) - 1, scoring.max_repeats)
        factor = 1.0 if weight is None else weight
        total += factor * scoring.field_weights[best.field] * (1 + scoring.repeat_bonus * repeats)
        reasons.append(Reason(term, best.field, len(hits), weight))
    return total, reasons


# A place name followed by these is an organisation's branch (부산지역본부, 인천지사), and one
# joined by a hyphen or a tilde to another word names a route (세종-포천고속도로, 포항~울릉): neither
# is where the story is.
_BRANCH_SUFFIXES = ("지역본부", "본부", "지사", "지점", "지부", "지회", "지청")
_DIRECTION = re.compile(r"^(?:동부|서부|남부|북부|중부)")
_ROUTE_JOIN = re.compile(r"[\uac00-\ud7a3]")
_ROUTE_MARKS = ("-", "~", "∼")  # 세종-포천고속도로, a ferry route 포항~울릉
# Names listed one after another ("서울·경기·인천", "Seoul, Busan and Daegu") are weak evidence,
# unless the text says the places were selected for something: then each is where the work
# happens (LABELLING.md: "a list of cities selected for a programme tags each of them").
_LIST_GAP = re.compile(r"^\s*(?:[·ㆍ,、/]|,?\s*and|및|와|과)\s*$")
LIST_RUN = 3
_SELECTION = re.compile(
    r"선정|대상지|지정됐|지정되|뽑혔|\b(?:selected|chosen|picked|winners?|designated|awarded)\b"
)


def place_evidence(text: _Text, matches: list[Match]) -> list[Match]:
    """Place matches that say where a story is: branches and routes dropped, lists marked weak."""
    kept = [m for m in matches if not _is_branch_or_route(text.fields[m.field], m)]
    listed = _in_lists(text, kept)
    return [replace(m, field="list") if m in listed else m for m in kept]


def _is_branch_or_route(field_text: str, m: Match) -> bool:
    after = field_text[m.end :]
    if _DIRECTION.sub("", after, count=1).startswith(_BRANCH_SUFFIXES):  # 서울동부지역본부
        return True
    before = field_text[: m.start]
    joined_after = after[:1] in _ROUTE_MARKS and bool(_ROUTE_JOIN.match(after[1:2]))
    joined_before = before[-1:] in _ROUTE_MARKS and bool(_ROUTE_JOIN.match(before[-2:-1]))
    return joined_after or joined_before


def _in_lists(text: _Text, matches: list[Match]) -> set[Match]:
    listed: set[Match] = set()
    by_field: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        by_field[m.field].append(m)
    selection = any(_SELECTION.search(field) for field in text.fields.values())
    for name, found in by_field.items():
        if name == "title" or selection:  # "Seoul, Busan and Daegu test drones": all three
            continue
        found.sort(key=lambda m: m.start)
        run = found[:1]
        for previous, current in pairwise(found):
            if _LIST_GAP.match(text.fields[name][previous.end : current.start]):
                run.append(current)
                continue
            if len(run) >= LIST_RUN:
                listed.update(run)
            run = [current]
        if len(run) >= LIST_RUN:
            listed.update(run)
    return listed


def _cities(text: _Text, geo: Gazetteer, scoring: Scoring, defaults: Defaults) -> list[Tag]:
    found = text.find(geo.place_vocabulary, whole=True)
    found += _named_after_places(text, found, geo) + _written_in_capitals(text, found, geo)
    found = resolve_shared_districts(found, geo)
    sports = senses.has_sports_context(text.fields.values())
    meant = [m for m in found if _means_place(text, m, geo, sports)]
    per_city: dict[str, list[Match]] = defaultdict(list)
    for m in place_evidence(text, _without_qualifiers(text, meant, geo)):
        per_city[m.key].append(m)
    for name in [n for n in per_city if geo.places[n].needs_context]:
        if not _has_context(geo.places[name], text, geo):
            del per_city[name]
    tags = {}
    for city, matches in per_city.items():
        score, reasons = _score(matches, scoring)
        tags[city] = Tag(city, round(score, 2), reasons, geo.places[city].country)
    if defaults.city and defaults.city in geo.places:
        tag = tags.setdefault(
            defaults.city, Tag(defaults.city, 0.0, [], geo.places[defaults.city].country)
        )
        tag.score = round(tag.score + 1.0, 2)
        tag.reasons.append(Reason(defaults.source_name, "source"))
    return sorted((t for t in tags.values() if t.score >= CITY_THRESHOLD), key=lambda t: -t.score)


# 계룡산 (a mountain), 포천계곡 (a valley) are named like the city but are not in it
_NATURAL_FEATURES = ("산", "강", "천", "계곡", "호", "섬", "봉", "폭포", "해수욕장")
# 울산정보산업진흥원, 부산발전연구원: an agency's name says who acts, not where the story is
_AGENCIES = (
    "진흥원",
    "연구원",
    "개발원",
    "재단",
    "공단",
    "협회",
    "위원회",
    "조합",
    "대학교",
    "병원",
)
# 부산일보, 경남신문: a newspaper's masthead (in a page's header or footer) is no place of a story
_OUTLETS = ("일보", "신문", "방송", "매일", "뉴스", "타임스", "타임즈")


def _named_after_places(text: _Text, found: list[Match], geo: Gazetteer) -> list[Match]:
    """Places that open a Korean compound noun named after them (창원국가산업단지, 부산불꽃축제).

    Kiwi keeps such names as one morpheme, so the name's own boundary is not a morpheme edge;
    the longest place name a noun morpheme begins with is taken when at least two syllables
    follow it (부산물 "by-product" is no Busan), and never a name that is also an ordinary word
    (those need their province). Organisation names (부산은행, 제주항공) are then left out like
    any other mention. Kiwi has read the words around every place name already (the windows of
    ``Morphemes.near_terms``), so this reads no more of the text.
    """
    taken = {(m.field, m.start) for m in found}
    added = []
    for name, field_text in text.fields.items():
        if not has_hangul(field_text):
            continue
        morphemes = text.morphemes[name]
        for start, end, noun in zip(
            morphemes.starts, morphemes.ends, morphemes.nominal, strict=True
        ):
            if noun and end - start >= 4 and (name, start) not in taken:
                match = _place_opening(field_text[start:end], geo)
                if match is not None:
                    added.append(replace(match, field=name, start=start, end=start + match.end))
    return added


def _place_opening(word: str, geo: Gazetteer) -> Match | None:
    """The longest place name a compound noun opens with, two syllables or more left after it."""
    for length in range(min(len(word) - 2, 7), 1, -1):
        key = geo.hangul_names.get(word[:length])
        rest = word[length:]
        if (
            key is not None
            and not rest.startswith(_NATURAL_FEATURES)
            and not rest.endswith(_AGENCIES + _OUTLETS)
        ):
            return Match(word[:length], key, "", 0, length)
    return None


# a word in capitals ("LONDON MAYOR", "GUNSAN has drawn"), read as the name it may be
_CAPITALS = re.compile(r"\b[A-Z][A-Z'’]{3,}\b")
_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")


def _written_in_capitals(text: _Text, found: list[Match], geo: Gazetteer) -> list[Match]:
    """Names written in capitals (headlines, leads), found in a copy with those words title-cased.

    Only matches that cover a capitalised word count, so acronyms that are names (NEOM, IFEZ)
    keep their own match and nothing else changes.
    """
    taken = {(m.field, m.start) for m in found}
    added = []
    for name, field_text in text.fields.items():
        words = [w.span() for w in _CAPITALS.finditer(field_text)]
        if not words:
            continue
        copy = _CAPITALS.sub(lambda w: w[0][0] + w[0][1:].lower(), field_text)
        copy = _HANGUL_SYLLABLE.sub(" ", copy)  # Latin names only: no second Korean analysis
        for m in geo.place_vocabulary.find(copy, name):
            covers = any(m.start <= start < m.end for start, _end in words)
            if covers and (name, m.start) not in taken:
                added.append(replace(m, term=field_text[m.start : m.end]))
    return added


def _without_qualifiers(text: _Text, matches: list[Match], geo: Gazetteer) -> list[Match]:
    """Drop a metropolitan city's name that only locates its county ("울산 울주군").

    A province before its county stays: it is the item's region, not a second city.
    """
    ordered = sorted(matches, key=lambda m: (m.field, m.start))
    locating = {
        id(m)
        for m, following in pairwise(ordered)
        if m.field == following.field
        and geo.places[m.key].kind == "city"
        and senses.qualifies_next(
            text.fields[m.field], m, following, geo.parents.get(following.key, frozenset())
        )
    }
    return [m for m in matches if id(m) not in locating]


def resolve_shared_districts(matches: list[Match], geo: Gazetteer) -> list[Match]:
    """Give a district name several cities have (중구, Gangseo-gu) to the city the item names.

    The city named nearest before it in the same field wins ("대구 달서·동구, 인천 동·중구");
    else the only one of them named anywhere in the item ("Gangseo-gu, Seoul"); else the
    district's default city, if it has one; else none.
    """
    resolved = []
    for m in matches:
        district = geo.shared.get(m.key)
        if district is None:
            resolved.append(m)
            continue
        named = [c for c in matches if c.key in district.cities]
        before = [c for c in named if c.field == m.field and c.end <= m.start]
        if before:
            resolved.append(replace(m, key=max(before, key=lambda c: c.end).key))
        elif len({c.key for c in named}) == 1:
            resolved.append(replace(m, key=named[0].key))
        elif not named and district.default:
            resolved.append(replace(m, key=district.default))
    return resolved


def _means_place(text: _Text, m: Match, geo: Gazetteer, sports: bool = False) -> bool:
    """Whether a mention names the place itself (see transforms/place_senses.py)."""
    place = geo.places[m.key]
    field_text = text.fields[m.field]
    # one sense per discourse: where "FC Barcelona" appears, a bare "Barcelona" is the club
    if any(text.contains(phrase) for phrase in place.other_sense):
        return False
    if _inside_phrase(field_text, m, place.not_in):  # 서울대 is no Seoul
        return False
    provinces = geo.qualified.get(m.term)
    if provinces is not None and senses.lacks_province(field_text, m, provinces, geo.stems):
        return False
    if sports and not senses.is_administrative(field_text, m):
        return False
    if m.term in geo.country_of_term and senses.listed_among_countries(
        field_text, m, geo.country_terms
    ):
        return False
    return not (
        senses.names_organisation(field_text, m)
        or senses.names_venue(field_text, m)
        or senses.names_nearby(field_text, m)
        or senses.names_neighbourhood(field_text, m, geo.stems)
    )


def _inside_phrase(field_text: str, m: Match, phrases: tuple[str, ...]) -> bool:
    """Whether the match lies inside an occurrence of one of the phrases."""
    for phrase in phrases:
        start = field_text.find(phrase)
        while start != -1:
            if start <= m.start and m.end <= start + len(phrase):
                return True
            start = field_text.find(phrase, start + 1)
    return False


def _has_context(place: Place, text: _Text, geo: Gazetteer) -> bool:
    """Whether an item supports reading an ambiguous name (Phoenix, Florence) as the city.

    Another city of the same country is no support: "Lincoln Center" sits in New York. For a
    name that is mostly a company (Toyota: ``civic_only``) the country is no support either, since
    the company's stories name it too; only a civic phrase is.
    """
    if not place.civic_only and any(
        m.key == place.country for m in text.find(geo.country_names, whole=True)
    ):
        return True
    cue = _civic_cue(place.name)
    return any(cue.search(field) for field in text.fields.values())


@lru_cache(maxsize=256)
def _civic_cue(name: str) -> re.Pattern[str]:
    """Phrases that make a name a city: "city of X", "mayor of X", "in X", "X's council", "X, Ontario"."""
    quoted = re.escape(name)
    before = r"(?:[Cc]ity of|[Mm]ayor of|[Pp]eople of|[Rr]esidents of|[Dd]owntown|\bin|\bacross)"
    after = (
        r"(?:'s|’s)?\s(?:[Cc]ity\b|[Mm]ayor|[Cc]ouncil|officials|residents|police|[Mm]etro|"
        r"area\b|downtown|[Dd]epartment)"
    )
    return re.compile(
        rf"{before}\s{quoted}(?![A-Za-z])|(?<![A-Za-z]){quoted}(?:{after}|,\s[A-Z][a-z]+)"
    )


def _countries(
    text: _Text, geo: Gazetteer, cities: list[Tag], scoring: Scoring, defaults: Defaults
) -> list[Tag]:
    per_country: dict[str, list[Match]] = defaultdict(list)
    for m in text.find(geo.country_names, whole=True):
        per_country[m.key].append(m)
    tags = {}
    for code, matches in per_country.items():
        score, reasons = _score(matches, scoring)
        tags[code] = Tag(code, round(score, 2), reasons)
    for city in cities:
        assert city.country is not None
        tag = tags.setdefault(city.country, Tag(city.country, 0.0, []))
        tag.score = round(tag.score + city.score, 2)
        tag.reasons.append(Reason(city.value, "city"))
    if defaults.country:
        tag = tags.setdefault(defaults.country, Tag(defaults.country, 0.0, []))
        tag.score = round(tag.score + 1.0, 2)
        tag.reasons.append(Reason(defaults.source_name, "source"))
    return sorted(tags.values(), key=lambda t: -t.score)


def _focus_scores(text: _Text, tax: Taxonomy) -> list[Tag]:
    matches = _without_glosses(text, text.find(tax.focus_terms, tax.neutral), tax)
    tags = []
    for area, weights in tax.weights.items():
        total, reasons = 0.0, []
        for term in {m.term for m in matches if m.term in weights}:
            score, term_reasons = _score(
                [m for m in matches if m.term == term], tax.scoring, weights[term]
            )
            total += score
            reasons.extend(term_reasons)
        if total:
            tags.append(Tag(area, round(total, 2), _strongest_first(reasons, tax.scoring)))
    return sorted(tags, key=lambda t: -t.score)


# "사물인터넷(IoT)", "인공지능(AI)": Korean news glosses a term in parentheses; that is one
# mention, not two pieces of evidence
_GLOSS_OPEN = re.compile(r"\s*[(（]\s*")
_GLOSS_CLOSE = re.compile(r"\s*[)）]")


def _without_glosses(text: _Text, matches: list[Match], tax: Taxonomy) -> list[Match]:
    """The matches less those that only gloss the term just before them, for the same areas."""
    glosses = set()
    by_field: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        by_field[m.field].append(m)
    for name, found in by_field.items():
        field_text = text.fields[name]
        found.sort(key=lambda m: m.start)
        for term, gloss in pairwise(found):
            if (
                _GLOSS_OPEN.fullmatch(field_text[term.end : gloss.start])
                and _GLOSS_CLOSE.match(field_text, gloss.end)
                and _areas(gloss.term, tax) <= _areas(term.term, tax)
            ):
                glosses.add(gloss)
    return [m for m in matches if m not in glosses]


def _areas(term: str, tax: Taxonomy) -> set[str]:
    return {area for area, weights in tax.weights.items() if term in weights}


def _relevance(text: _Text, tax: Taxonomy, focus: list[Tag]) -> tuple[float, list[Reason]]:
    matches = text.find(tax.relevance_terms, tax.neutral)
    total, reasons = 0.0, []
    for term in {m.term for m in matches}:
        weight = tax.relevance_weights[term]
        score, term_reasons = _score([m for m in matches if m.term == term], tax.scoring, weight)
        total += score
        reasons.extend(term_reasons)
    if total < tax.min_technology:
        # topic words alone (housing, nuclear power) do not make a story about smart cities
        return total, _strongest_first(reasons, tax.scoring)
    focus_part = tax.focus_share * sum(tag.score for tag in focus)
    if focus_part:
        reasons.append(Reason("focus areas", "score", weight=round(focus_part, 2)))
    return total + focus_part, _strongest_first(reasons, tax.scoring)


def _context(text: _Text, tax: Taxonomy, places: list[Tag]) -> list[Reason]:
    """Evidence that an item is set in a city or the public sector (datelines aside)."""
    found = [
        Reason(f"context: {m.term}", m.field)
        for m in text.find(tax.context_terms)
        if m.field != "dateline"
    ]
    for place in places:
        fields = {r.field for r in place.reasons} - {"dateline", "source"}
        found.extend(Reason(f"context: {place.value}", f) for f in sorted(fields))
    unique = {(r.term, r.field): r for r in found}
    return list(unique.values())[:3]  # a few suffice to explain


def _strongest_first(reasons: list[Reason], scoring: Scoring) -> list[Reason]:
    """Order reasons by what they contributed (weight x field weight), then by term."""

    def contribution(reason: Reason) -> float:
        return (reason.weight or 1.0) * scoring.field_weights.get(reason.field, 1.0)

    return sorted(reasons, key=lambda r: (-contribution(r), r.term))
