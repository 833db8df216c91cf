"""The gazetteer and taxonomy shipped in transforms/data, loaded once into matchers."""

from __future__ import annotations

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
class City:
    """A canonical city."""

    name: str
    country: str
    not_in: tuple[str, ...]


@dataclass(frozen=True)
class Gazetteer:
    """Cities and countries with their matchers."""

    cities: dict[str, City]
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
    relevance_threshold: float
    focus_share: float


def _read(name: str) -> Any:
    return yaml.safe_load(resources.files("transforms").joinpath("data", name).read_text("utf-8"))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The bundled gazetteer."""
    data = _read("gazetteer.yaml")
    cities: dict[str, City] = {}
    city_terms: list[tuple[str, str]] = []
    for entry in data["cities"]:
        name = entry["name"]
        cities[name] = City(name, entry["country"], tuple(entry.get("not_in", ())))
        zones = entry.get("zones", {})
        for term in [
            *entry.get("en", ()),
            *entry.get("ko", ()),
            *zones.get("en", ()),
            *zones.get("ko", ()),
        ]:
            city_terms.append((term, name))
    country_terms = [
        (term, code)
        for code, names in data["countries"].items()
        for term in [*names.get("en", ()), *names.get("ko", ())]
    ]
    return Gazetteer(
        cities=cities,
        city_names=Vocabulary(city_terms, names=True, case_sensitive=True),
        country_names=Vocabulary(country_terms, names=True, case_sensitive=True),
        country_of_term=dict(country_terms),
    )


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
        focus_terms=Vocabulary((t, t) for t in {t for terms in weights.values() for t in terms}),
        relevance_weights=relevance_weights,
        relevance_terms=Vocabulary((t, "smart_city") for t in relevance_weights),
        relevance_threshold=float(relevance["threshold"]),
        focus_share=float(relevance["focus_share"]),
    )
