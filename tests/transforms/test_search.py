"""Search queries as the terms the warehouse's search macro looks for (transforms/search.py)."""

from __future__ import annotations

from transforms.matching import _kiwi, release_kiwi
from transforms.search import query_terms


def test_bare_nouns_are_searched_as_typed_without_loading_kiwi():
    release_kiwi()
    assert query_terms("스마트시티 서울? (자율주행)") == ["스마트시티", "서울", "자율주행"]
    assert query_terms("Smart CITY!") == ["smart", "city"]
    assert _kiwi.cache_info().currsize == 0  # seconds of loading saved


def test_words_that_may_carry_a_particle_or_ending_are_reduced_by_kiwi():
    assert query_terms("자율주행버스를") == ["자율주행버스"]
    assert query_terms("부산시의 횡단보도를") == ["부산시", "횡단보도"]
    assert query_terms("도시들") == ["도시"]
    assert query_terms("스마트시티에서") == ["스마트시티"]
    assert _kiwi.cache_info().currsize == 1
