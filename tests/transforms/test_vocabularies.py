"""Names the gazetteer and the taxonomy answer for without building their matchers."""

from __future__ import annotations

from importlib import resources

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


def test_stored_world_cities_are_the_selection_computed_now():
    """make world-cities was run after the last change to places_world.yaml or GeoNames."""
    stored = resources.files("transforms").joinpath("data", vocabularies.WORLD_CITIES_FILE)
    assert stored.read_text("utf-8") == vocabularies.world_cities_json(), "run: make world-cities"
    spec = vocabularies._read("places_world.yaml")
    assert vocabularies.selected_world_cities() == vocabularies.world_cities(spec)


def test_a_stored_selection_of_another_specification_is_not_used(monkeypatch):
    spec = vocabularies._read("places_world.yaml")
    spec["blocklist"] = [*spec["blocklist"], "Helsinki"]
    monkeypatch.setattr(vocabularies, "_read", lambda name: spec)
    vocabularies.selected_world_cities.cache_clear()
    try:
        names = {city.name for city in vocabularies.selected_world_cities()}
    finally:
        vocabularies.selected_world_cities.cache_clear()
    assert "Helsinki" not in names  # computed again from GeoNames, not read from the file
    assert "Tampere" in names
