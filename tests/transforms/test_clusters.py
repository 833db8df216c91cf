"""Story clusters: MinHash over character shingles, kept apart where places clash."""

from __future__ import annotations

from transforms import clusters

WIRE = (
    "성남시는 판교테크노밸리와 판교역을 잇는 자율주행 버스가 다음 달부터 정식 노선으로 "
    "운행한다고 밝혔다. 요금은 일반 시내버스와 같고 안전관리자가 함께 탄다."
)
TEMPLATE = (
    "{city} installs smart bus shelters with heating, air purifiers and real-time arrival "
    "screens at fifty stops across the city this winter."
)


def sig(text: str):
    return clusters.signature(text)


def test_korean_text_is_shingled_without_word_boundaries():
    assert {"성남시는", "남시는 "} <= clusters.shingles("성남시는 판교")


def test_text_too_short_to_compare_has_no_signature():
    assert clusters.signature("짧은 제목") is None


def test_a_wire_copy_with_small_edits_is_the_same_story():
    edited = WIRE.replace("밝혔다", "25일 밝혔다")
    assert clusters.similarity(sig(WIRE), sig(edited)) >= clusters.SIMILARITY
    assert clusters.same_story(sig(WIRE), sig(edited))


def test_look_alike_stories_about_two_cities_are_not_one_story():
    anyang, gimhae = sig(TEMPLATE.format(city="Anyang")), sig(TEMPLATE.format(city="Gimhae"))
    assert clusters.same_story(anyang, gimhae)  # the text alone cannot tell them apart
    assert not clusters.same_story(anyang, gimhae, frozenset({"Anyang"}), frozenset({"Gimhae"}))
    # a copy that names no city, or shares one, still joins
    assert clusters.same_story(anyang, gimhae, frozenset({"Anyang"}), frozenset())
    assert clusters.same_story(anyang, gimhae, frozenset({"Anyang", "Seoul"}), frozenset({"Seoul"}))


def test_clusters_are_named_by_their_earliest_item_and_bridged():
    texts = [WIRE, "다른 이야기: " + "부산 바다축제가 해운대에서 열린다. " * 4, WIRE + " 끝."]
    found = clusters.cluster(["a", "b", "c"], [sig(t) for t in texts])
    assert found == {"a": "a", "b": "b", "c": "a"}
    assert clusters.connect(["x", "y", "z"], [("z", "y"), ("y", "x")]) == {
        "x": "x",
        "y": "x",
        "z": "x",
    }


def test_clusters_respect_places_when_given():
    texts = [TEMPLATE.format(city=c) for c in ("Anyang", "Gimhae")]
    signatures = [sig(t) for t in texts]
    assert clusters.cluster(["a", "b"], signatures) == {"a": "a", "b": "a"}
    places = [frozenset({"Anyang"}), frozenset({"Gimhae"})]
    assert clusters.cluster(["a", "b"], signatures, places) == {"a": "a", "b": "b"}
