"""Story clusters: MinHash over character shingles, kept apart where places clash."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from tests.helpers.pages import NOISE_RULES, ZERO_ENERGY
from transforms import clusters

WIRE = (
    "성남시는 판교테크노밸리와 판교역을 잇는 자율주행 버스가 다음 달부터 정식 노선으로 "
    "운행한다고 밝혔다. 요금은 일반 시내버스와 같고 안전관리자가 함께 탄다."
)
TEMPLATE = (
    "{city} installs smart bus shelters with heating, air purifiers and real-time arrival "
    "screens at fifty stops across the city this winter."
)


def keys(text: str) -> list[int]:
    signature = clusters.signature(text)
    assert signature is not None
    return clusters.band_keys(signature)


def shared(a: str, b: str) -> int:
    return clusters.shared_bands(keys(a), keys(b))


def test_korean_text_is_shingled_without_word_boundaries():
    assert {"성남시는", "남시는 "} <= clusters.shingles("성남시는 판교")


def test_text_too_short_to_compare_has_no_signature():
    assert clusters.signature("짧은 제목") is None


def test_a_wire_copy_with_small_edits_is_the_same_story():
    edited = WIRE.replace("밝혔다", "25일 밝혔다")
    assert shared(WIRE, edited) >= clusters.MIN_SHARED_BANDS
    assert clusters.same_story(shared(WIRE, edited))


def test_a_different_story_shares_few_bands():
    other = (
        "부산시는 해운대 해수욕장에 인공지능 인명구조 드론을 배치하고 파도 높이와 이안류 위험을 "
        "실시간으로 알리는 안내판을 설치한다고 밝혔다."
    )
    assert shared(WIRE, other) < clusters.MIN_SHARED_BANDS


def test_band_keys_of_one_signature_match_the_batch_computation():
    signature = clusters.signature(WIRE)
    matrix = clusters.band_key_matrix(signature.reshape(1, -1))
    assert matrix.shape == (1, clusters.BANDS)
    assert matrix[0].tolist() == clusters.band_keys(signature)


def test_pairs_within_a_batch_are_found_with_the_bands_they_share():
    edited = WIRE.replace("밝혔다", "25일 밝혔다")
    other = TEMPLATE.format(city="Busan")
    texts = [WIRE, other, edited, WIRE + " ", TEMPLATE.format(city="Daegu")]
    matrix = np.array([keys(text) for text in texts], dtype=np.int32)
    firsts, seconds, counts = clusters.shared_band_pairs(matrix)
    found = {(int(a), int(b)): int(n) for a, b, n in zip(firsts, seconds, counts, strict=True)}
    expected = {}
    for a in range(len(texts)):
        for b in range(a + 1, len(texts)):
            n = clusters.shared_bands(matrix[a].tolist(), matrix[b].tolist())
            if n >= clusters.MIN_SHARED_BANDS:
                expected[(a, b)] = n
    assert found == expected
    # the three copies of the wire story pair up; the two template stories share their template
    assert {(0, 2), (0, 3), (2, 3)} <= set(found)
    assert found[(0, 3)] == clusters.BANDS
    assert (0, 1) not in found


def test_a_batch_of_one_has_no_pairs():
    firsts, _, _ = clusters.shared_band_pairs(np.array([keys(WIRE)], dtype=np.int32))
    assert firsts.size == 0


def test_look_alike_stories_about_two_cities_are_not_one_story():
    alike = shared(TEMPLATE.format(city="Anyang"), TEMPLATE.format(city="Gimhae"))
    assert clusters.same_story(alike)  # the text alone cannot tell them apart
    assert not clusters.same_story(alike, frozenset({"Anyang"}), frozenset({"Gimhae"}))
    # a copy that names no city, or shares one, still joins
    assert clusters.same_story(alike, frozenset({"Anyang"}), frozenset())
    assert clusters.same_story(alike, frozenset({"Anyang", "Seoul"}), frozenset({"Seoul"}))


def test_clusters_are_named_by_their_earliest_item_and_bridged():
    texts = [WIRE, "다른 이야기: " + "부산 바다축제가 해운대에서 열린다. " * 4, WIRE + " 끝."]
    found = clusters.cluster(["a", "b", "c"], [keys(t) for t in texts])
    assert found == {"a": "a", "b": "b", "c": "a"}
    assert clusters.connect(["x", "y", "z"], [("z", "y"), ("y", "x")]) == {
        "x": "x",
        "y": "x",
        "z": "x",
    }


def test_clusters_respect_places_when_given():
    texts = [TEMPLATE.format(city=c) for c in ("Anyang", "Gimhae")]
    band_keys = [keys(t) for t in texts]
    assert clusters.cluster(["a", "b"], band_keys) == {"a": "a", "b": "a"}
    places = [frozenset({"Anyang"}), frozenset({"Gimhae"})]
    assert clusters.cluster(["a", "b"], band_keys, places) == {"a": "a", "b": "b"}


def test_two_releases_of_one_source_are_not_one_story_for_sharing_its_template():
    template_only = shared(ZERO_ENERGY, NOISE_RULES)
    # the page template alone makes them look like one story told by two outlets ...
    assert clusters.same_story(template_only)
    # ... but from one source they need as much in common as a corrected release has
    assert not clusters.same_story(template_only, same_source=True)
    corrected = ZERO_ENERGY.replace("2026-11-12", "2026-11-13").replace("확대한다", "넓힌다")
    assert clusters.same_story(shared(ZERO_ENERGY, corrected), same_source=True)


def test_clusters_hold_a_source_to_the_stricter_rule():
    band_keys = [keys(ZERO_ENERGY), keys(NOISE_RULES)]
    assert clusters.cluster(["a", "b"], band_keys, sources=["molit", "korea_kr"]) == {
        "a": "a",
        "b": "a",
    }
    assert clusters.cluster(["a", "b"], band_keys, sources=["molit", "molit"]) == {
        "a": "a",
        "b": "b",
    }


def test_a_band_key_shared_by_a_crowd_is_a_template_and_links_nobody():
    # 3 stories share every band: one story; 150 pages share every band: a template (skipped)
    few = np.repeat(np.arange(clusters.BANDS, dtype=np.int32)[None, :], 3, axis=0)
    crowd = np.repeat(np.arange(clusters.BANDS, dtype=np.int32)[None, :] + 1000, 150, axis=0)
    firsts, seconds, counts = clusters.shared_band_pairs(np.vstack([few, crowd]))
    assert sorted(zip(firsts.tolist(), seconds.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 2)]
    assert counts.tolist() == [clusters.BANDS] * 3


def stored(day: int, source: str, cluster: str | None = None, places=frozenset()):
    return clusters.Candidate(cluster, datetime(2026, 11, day, tzinfo=UTC), source, places)


def test_a_group_takes_the_cluster_of_its_earliest_member():
    candidates = {
        "new": stored(20, "news"),
        "old": stored(18, "city"),
        "copy": stored(19, "trade", cluster="copy"),
    }
    changes = clusters.assign_clusters([("new", "old", 12), ("new", "copy", 9)], candidates)
    assert changes.assigned == {"copy": "old", "new": "old", "old": "old"}
    assert changes.merged == {"copy": "old"}  # the rest of the copy's cluster follows


def test_a_new_story_bridging_two_clusters_merges_the_later_into_the_earlier():
    candidates = {
        "bridge": stored(20, "news"),
        "a": stored(10, "city", cluster="a0"),
        "b": stored(12, "trade", cluster="b0"),
    }
    changes = clusters.assign_clusters([("bridge", "a", 8), ("bridge", "b", 8)], candidates)
    assert set(changes.assigned.values()) == {"a0"}
    assert changes.merged == {"b0": "a0"}


def test_pairs_that_are_not_one_story_change_nothing():
    candidates = {
        "anyang": stored(20, "news", places=frozenset({"Anyang"})),
        "gimhae": stored(20, "trade", places=frozenset({"Gimhae"})),
        "release": stored(19, "molit"),
        "notice": stored(20, "molit"),
    }
    pairs = [("anyang", "gimhae", 30), ("release", "notice", 10)]  # places clash; one template
    changes = clusters.assign_clusters(pairs, candidates)
    assert (changes.assigned, changes.merged) == ({}, {})
    assert clusters.stories_in(pairs) == ["anyang", "gimhae", "notice", "release"]


def test_only_places_from_the_text_tell_stories_apart():
    assert clusters.names_the_place([{"term": "부산", "field": "title"}])
    assert not clusters.names_the_place([{"term": "부산광역시", "field": "source"}])
