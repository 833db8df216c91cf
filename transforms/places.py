"""Korean places from places_kr.yaml: provinces, metropolitan cities and their districts, cities and counties.

The file writes a local government as "Korean-stem English-name" (예산 Yesan); this module adds
the forms news uses (Yesan-gun, Yesan County; Suwon-si, Suwon City; Mapo-gu, Mapo District; a
Korean stem finds its own 시/군/구 forms, since a name may take its suffix), writes stems that
are ordinary words with their suffix (예산군) and as valid alone only after their province
(충남 예산), and gives a district name held by several metropolitan cities (중구, Gangseo-gu) a
shared key that tagging resolves from the item.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

# "예산* Yesan", "진안 Jinan*": the star marks a bare name that is also a word or another place
_ENTRY = re.compile(
    r"^(?P<ko>[\uac00-\ud7a3]+)(?P<ko_star>\*?)\s+(?P<en>[A-Za-z' -]+?)(?P<en_star>\*?)$"
)
SHARED_PREFIX = "district:"


@dataclass
class KoreanPlace:
    """One Korean place and the names that resolve to it."""

    name: str
    kind: str  # city (cities, counties, metropolitan cities) | province
    names: list[str] = field(default_factory=list)
    # bare names that are ordinary words: they count only right after one of `provinces`' names
    qualified: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)  # Korean names allowed before `qualified`
    stems: list[str] = field(default_factory=list)  # Korean stems of a local government (서산)
    not_in: list[str] = field(default_factory=list)
    other_sense: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SharedDistrict:
    """A district name several metropolitan cities have (중구, Gangseo-gu)."""

    names: list[str]
    cities: tuple[str, ...]
    default: str | None = None  # the city it means when the item names none of them


@dataclass(frozen=True)
class KoreanGazetteer:
    """Korean places, and the district names several metropolitan cities share."""

    places: list[KoreanPlace]
    shared: dict[str, SharedDistrict]  # by key (district:Jung)


def korean_places(spec: dict[str, Any]) -> KoreanGazetteer:
    """Every Korean place of the spec (places_kr.yaml) with all its names."""
    places: dict[str, KoreanPlace] = {}
    province_names: dict[str, list[str]] = {}
    for entry in spec["provinces"]:
        place = KoreanPlace(entry["name"], "province", [*entry["en"], *entry["ko"]])
        places[place.name] = place
        province_names[place.name] = list(entry["ko"])
    districts: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for entry in spec["metropolitan"]:
        city = _metropolitan(entry)
        places[city.name] = city
        province_names[city.name] = list(entry["ko"])
        for district in entry.get("districts", ()):
            stem, names = _district_names(district)
            districts[stem].append((city.name, names))
    for group, kinds in spec["local"].items():
        for kind in ("cities", "counties"):
            for entry in kinds.get(kind, ()):
                place = _local(entry, kind, province_names.get(group, []))
                _merge(places, place)
    shared = _assign_districts(districts, places, spec.get("shared_default", {}))
    return KoreanGazetteer(list(places.values()), shared)


def _metropolitan(entry: dict[str, Any]) -> KoreanPlace:
    zones = entry.get("zones", {})
    return KoreanPlace(
        entry["name"],
        "city",
        [*_city_forms(entry["en"]), *entry["ko"], *zones.get("en", ()), *zones.get("ko", ())],
        not_in=list(entry.get("not_in", ())),
        other_sense=list(entry.get("other_sense", ())),
    )


def _city_forms(english: list[str]) -> list[str]:
    """English names with their -si and City variants (Busan-si, Busan City)."""
    forms = list(english)
    for name in english:
        if " " not in name and "," not in name:
            forms += [f"{name}-si", f"{name} City"]
    return forms


def _district_names(text: str) -> tuple[str, list[str]]:
    """(Korean stem, names) of a district: 마포구, Mapo-gu, Mapo District, and the bare stems."""
    ko, ko_star, en, en_star = _parse(text)
    names = [f"{en}-gu", f"{en} District"]
    if len(ko) >= 2 and not ko_star:  # 중, 동, 서 alone are not names
        names.append(ko)  # finds 마포구 and 마포구청장 too (a name may take its suffix)
    else:
        names.append(f"{ko}구")
    if len(ko) >= 2 and not en_star:
        names.append(en)
    return ko, names


def _parse(text: str) -> tuple[str, bool, str, bool]:
    match = _ENTRY.match(text.strip())
    if not match:
        raise ValueError(f"places_kr.yaml: cannot read {text!r} (expected 'Korean English')")
    return match["ko"], bool(match["ko_star"]), match["en"], bool(match["en_star"])


def _local(entry: str | dict[str, Any], kind: str, provinces: list[str]) -> KoreanPlace:
    """A city or county with its generated forms, extra names, zones and exceptions."""
    extra: dict[str, Any] = entry if isinstance(entry, dict) else {"at": entry}
    if "name" in extra:  # listed in full
        return KoreanPlace(extra["name"], "city", [*extra.get("en", ()), *extra.get("ko", ())])
    ko, ko_star, en, en_star = _parse(extra["at"])
    suffix_ko, suffix_en = (
        ("시", ("-si", " City")) if kind == "cities" else ("군", ("-gun", " County"))
    )
    names = [*(f"{en}{s}" for s in suffix_en)]
    # a bare stem also finds 서산시 and 수원특례시 (a name may take its suffix); a stem that is
    # a word is written with its suffix instead (고양시; the file adds 고양특례시)
    names += [f"{ko}{suffix_ko}"] if ko_star else [ko]
    names += [] if en_star else [en]
    zones = extra.get("zones", {})
    names += [
        *extra.get("en", ()),
        *extra.get("ko", ()),
        *zones.get("en", ()),
        *zones.get("ko", ()),
    ]
    return KoreanPlace(
        en,
        "city",
        names,
        qualified=[ko] if ko_star else [],
        provinces=list(provinces),
        stems=[ko],
        not_in=list(extra.get("not_in", ())),
        other_sense=list(extra.get("other_sense", ())),
    )


def _merge(places: dict[str, KoreanPlace], place: KoreanPlace) -> None:
    """Add a place; two entries of one name (Goseong in Gangwon and in Gyeongnam) become one."""
    known = places.get(place.name)
    if known is None:
        places[place.name] = place
        return
    for attribute in ("names", "qualified", "provinces", "stems", "not_in", "other_sense"):
        merged = [*getattr(known, attribute), *getattr(place, attribute)]
        setattr(known, attribute, list(dict.fromkeys(merged)))


def _assign_districts(
    districts: dict[str, list[tuple[str, list[str]]]],
    places: dict[str, KoreanPlace],
    defaults: dict[str, str],
) -> dict[str, SharedDistrict]:
    """Give each district's names to its city, or a shared key when several cities have it."""
    shared = {}
    for stem, holders in districts.items():
        if len(holders) == 1:
            city, names = holders[0]
            places[city].names.extend(names)
            continue
        names = holders[0][1]
        key = SHARED_PREFIX + names[0].removesuffix("-gu")  # district:Jung
        shared[key] = SharedDistrict(names, tuple(city for city, _ in holders), defaults.get(stem))
    return shared
