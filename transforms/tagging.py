"""Cities, countries, focus areas and smart-city relevance of an item, each with its reasons.

A reason names the term that matched, the field it was found in and how often, so an analyst
can see why a tag is there (and a taxonomy change can be judged against the evaluation set).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from transforms.matching import Match, Morphemes
from transforms.vocabularies import Gazetteer, Place, Scoring, Taxonomy, gazetteer, taxonomy

FIELDS: tuple[str, ...] = ("title", "summary", "dateline", "body")
# A city needs at least this much evidence: one mention in the body, or the source's own city.
# A wire dateline alone (0.4) is where the reporter sat, not what the story is about.
CITY_THRESHOLD = 1.0

# "SEOUL, Nov. 20 (Yonhap) -- ", "Incheon, South Korea — ", "(세종=연합뉴스) 김민수 기자 = "
# Korean wires put their credit in titles as well as bodies.
_KOREAN_DATELINE = r"\([^()=]{1,12}=[^()]{1,12}\)\s*(?:[^=\n]{1,20}=)?\s*"
_ENGLISH_DATELINE = (
    r"[A-Z][A-Za-z0-9 .,'-]{1,60}?(?:\((?:Yonhap|AFP|AP|Reuters|Xinhua|Kyodo|EFE|UPI|Bernama)\))?"
    r"\s*(?:--|—|–)\s"
)
_BODY_DATELINE = re.compile(rf"^\s*(?:{_ENGLISH_DATELINE}|{_KOREAN_DATELINE})")
# An English title such as "Songdo – a city from scratch" is not a dateline, so titles are only
# searched for the Korean form.
_TITLE_DATELINE = re.compile(rf"^\s*{_KOREAN_DATELINE}")


@dataclass(frozen=True)
class Reason:
    """One piece of evidence for a tag."""

    term: str
    field: str
    count: int = 1
    weight: float | None = None


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


@dataclass
class _Text:
    fields: dict[str, str]
    morphemes: dict[str, Morphemes]

    @classmethod
    def of(cls, title: str, summary: str, body: str) -> _Text:
        title_dateline, title = _split(_TITLE_DATELINE, title or "")
        dateline, rest = split_dateline(body or "")
        fields = {
            "title": title,
            "summary": summary or "",
            "dateline": f"{title_dateline} {dateline}".strip(),
            "body": rest,
        }
        if fields["summary"] and fields["summary"] in fields["body"]:
            fields["summary"] = ""  # a summary repeated in the body would count twice
        return cls(fields, {name: Morphemes.of(text) for name, text in fields.items()})

    def contains(self, phrase: str) -> bool:
        return any(phrase in text for text in self.fields.values())

    def find(self, vocabulary: Any, neutral: Any = None) -> list[Match]:
        """Matches of ``vocabulary`` in every field, leaving out those inside ``neutral`` phrases."""
        found: list[Match] = []
        for name, text in self.fields.items():
            if not text:
                continue
            matches = vocabulary.find(text, name, self.morphemes[name])
            if neutral is not None:
                spans = [(m.start, m.end) for m in neutral.find(text, name, self.morphemes[name])]
                matches = [m for m in matches if not _inside_any(m, spans)]
            found.extend(matches)
        return found


def _inside_any(match: Match, spans: list[tuple[int, int]]) -> bool:
    return any(start <= match.start and match.end <= end for start, end in spans)


def tag_item(
    title: str, summary: str = "", body: str = "", defaults: Defaults | None = None
) -> Tags:
    """Tag one item's text.

    Args:
        title: clean title.
        summary: clean summary (ignored where the body repeats it).
        body: clean main text.
        defaults: the source's own city and country, added with the source as their reason.

    Returns:
        Tags, each list sorted by score, strongest first.
    """
    text = _Text.of(title, summary, body)
    geo, tax = gazetteer(), taxonomy()
    defaults = defaults or Defaults()
    cities = _cities(text, geo, tax.scoring, defaults)
    countries = _countries(text, geo, cities, tax.scoring, defaults)
    all_focus = _focus_scores(text, tax)
    focus = [tag for tag in all_focus if tag.score >= tax.scoring.threshold]
    relevance, reasons = _relevance(text, tax, all_focus)
    return Tags(
        cities=cities,
        countries=countries,
        focus_areas=focus,
        is_smart_city=relevance >= tax.relevance_threshold,
        relevance=round(relevance, 2),
        relevance_reasons=reasons,
    )


def split_dateline(body: str) -> tuple[str, str]:
    """(dateline, rest) of a body that opens with a wire dateline, else ("", body)."""
    return _split(_BODY_DATELINE, body)


def _split(pattern: re.Pattern[str], text: str) -> tuple[str, str]:
    match = pattern.match(text)
    if not match:
        return "", text
    return match.group(0), text[match.end() :]


def _score(
    matches: list[Match], scoring: Scoring, weight: float = 1.0
) -> tuple[float, list[Reason]]:
    """Score the matches of one term-group: best field x weight, a bonus for repetition."""
    by_term: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        by_term[m.term].append(m)
    total, reasons = 0.0, []
    for term, hits in by_term.items():
        best = max(hits, key=lambda m: scoring.field_weights[m.field])
        repeats = min(len(hits) - 1, scoring.max_repeats)
        total += weight * scoring.field_weights[best.field] * (1 + scoring.repeat_bonus * repeats)
        reasons.append(Reason(term, best.field, len(hits), weight if weight != 1.0 else None))
    return total, reasons


def _cities(text: _Text, geo: Gazetteer, scoring: Scoring, defaults: Defaults) -> list[Tag]:
    per_city: dict[str, list[Match]] = defaultdict(list)
    for m in text.find(geo.city_names):
        place = geo.cities[m.key]
        # one sense per discourse: where "FC Barcelona" appears, a bare "Barcelona" is the club
        if not any(text.contains(phrase) for phrase in place.not_in):
            per_city[m.key].append(m)
    for name in [n for n in per_city if geo.cities[n].needs_context]:
        if not _has_context(geo.cities[name], text, geo):
            del per_city[name]
    tags = {}
    for city, matches in per_city.items():
        score, reasons = _score(matches, scoring)
        tags[city] = Tag(city, round(score, 2), reasons, geo.cities[city].country)
    if defaults.city and defaults.city in geo.cities:
        tag = tags.setdefault(
            defaults.city, Tag(defaults.city, 0.0, [], geo.cities[defaults.city].country)
        )
        tag.score = round(tag.score + 1.0, 2)
        tag.reasons.append(Reason(defaults.source_name, "source"))
    return sorted((t for t in tags.values() if t.score >= CITY_THRESHOLD), key=lambda t: -t.score)


def _has_context(place: Place, text: _Text, geo: Gazetteer) -> bool:
    """Whether an item supports reading an ambiguous name (Phoenix, Florence) as the city.

    Another city of the same country is no support: "Lincoln Center" sits in New York.
    """
    if any(m.key == place.country for m in text.find(geo.country_names)):
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
    for m in text.find(geo.country_names):
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
    matches = text.find(tax.focus_terms, tax.neutral)
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


def _relevance(text: _Text, tax: Taxonomy, focus: list[Tag]) -> tuple[float, list[Reason]]:
    matches = text.find(tax.relevance_terms, tax.neutral)
    total, reasons = 0.0, []
    for term in {m.term for m in matches}:
        weight = tax.relevance_weights[term]
        score, term_reasons = _score([m for m in matches if m.term == term], tax.scoring, weight)
        total += score
        reasons.extend(term_reasons)
    focus_part = tax.focus_share * sum(tag.score for tag in focus)
    if focus_part:
        reasons.append(Reason("focus areas", "score", weight=round(focus_part, 2)))
    return total + focus_part, _strongest_first(reasons, tax.scoring)


def _strongest_first(reasons: list[Reason], scoring: Scoring) -> list[Reason]:
    """Order reasons by what they contributed (weight x field weight), then by term."""

    def contribution(reason: Reason) -> float:
        return (reason.weight or 1.0) * scoring.field_weights.get(reason.field, 1.0)

    return sorted(reasons, key=lambda r: (-contribution(r), r.term))
