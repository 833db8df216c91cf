"""Names the gazetteer and the taxonomy answer for without building their matchers."""

from __future__ import annotations

import pytest

from cityradar.registry import RegistryError, parse_sources
from tests.helpers.factories import make_source
from transforms import vocabularies
from transforms.vocabularies import focus_area_names, gazetteer, place_names, taxonomy


def entry(city: str) -> dict[str, object]:
    return make_source(id="a_city", city=city).model_dump(mode="json", exclude_none=True)


def test_place_names_check_a_registry_without_building_the_gazetteer():
    gazetteer.cache_clear()
    vocabularies._world_place_names.cache_clear()
    names = place_names()
    assert [s.city for s in parse_sources([entry("Busan")], known_cities=names)] == ["Busan"]
    assert not vocabularies._world_place_names.cache_info().currsize  # Korean: no GeoNames read
    assert [s.city for s in parse_sources([entry("Helsinki")], known_cities=names)] == ["Helsinki"]
    with pytest.raises(RegistryError, match="'Seol' is not a known canonical city"):
        parse_sources([entry("Seol")], known_cities=names)
    assert not gazetteer.cache_info().currsize  # the matchers were never built


def test_place_names_are_the_gazetteers_places():
    assert set(place_names()) == set(gazetteer().places)
    assert "Sejong" in place_names()  # once built, the gazetteer itself is asked


def test_focus_area_names_are_the_taxonomys():
    taxonomy.cache_clear()
    focus_area_names.cache_clear()
    names = focus_area_names()
    assert names["mobility"]["ko"]
    assert not taxonomy.cache_info().currsize
    assert names == taxonomy().names
