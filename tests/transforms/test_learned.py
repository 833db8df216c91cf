"""The learned heads: two stages, the band, focus areas chosen, nearest examples, reasons."""

from __future__ import annotations

import numpy as np
import pytest

from transforms.embedding import quick_encode
from transforms.learned import (
    FULL,
    LABELS,
    QUICK,
    SMART,
    STAGES,
    Evidence,
    learned_model,
    neighbour_votes,
)
from transforms.tagging import ItemText, tag_items
from transforms.vocabularies import FOCUS_AREAS

NO_EVIDENCE = Evidence(focus={}, relevance=0.0, context=False, rules_smart=False)


def test_the_shipped_heads_cover_every_label_in_both_stages():
    model = learned_model()
    for stage in STAGES:
        assert set(model.heads[stage]) == set(LABELS)
        assert 0.0 < model.heads[stage][SMART].threshold < 1.0
    low, high = model.band
    assert 0.0 <= low < high <= 1.0
    # every example has both embeddings and its labels; none is the test split's (no text kept)
    assert model.examples.labels.shape == (len(model.examples), len(LABELS))
    for stage in STAGES:
        assert model.examples.embeddings[stage].shape == (len(model.examples), 512)


def test_neighbours_vote_with_their_labels_weighted_by_similarity():
    similarity = np.array([[0.9, 0.1, 0.8]])
    labels = np.array(
        [[True, True, False], [False, False, False], [True, False, True]]
    )  # smart, area a, area b
    votes = neighbour_votes(similarity, labels, neighbours=2, temperature=20.0)
    # the two nearest are smart: the smart vote is 1; among smart ones, the nearer has area a
    assert votes[0, 0] == pytest.approx(1.0)
    assert votes[0, 1] > votes[0, 2] > 0.0


def test_focus_areas_are_at_least_one_and_at_most_the_limit():
    model = learned_model()
    low = dict.fromkeys(FOCUS_AREAS, 0.01) | {"water": 0.2}
    assert model.choose_focus(QUICK, low) == ("water",)  # the most probable, though below
    high = dict.fromkeys(FOCUS_AREAS, 0.99)
    assert len(model.choose_focus(FULL, high)) == model.focus_at_most


def test_the_full_stage_decides_again_only_inside_the_band():
    model = learned_model()
    openings = ["Seoul opens a smart-city data hub for residents", "Football results"]
    evidence = [NO_EVIDENCE, NO_EVIDENCE]
    decisions = model.decide_openings(openings, evidence)
    quick = model.decide(QUICK, quick_encode(openings), evidence)
    for decision, first in zip(decisions, quick, strict=True):
        expected = FULL if model.unsure(first.smart_probability) else QUICK
        assert decision.stage == expected


def test_a_learned_decision_explains_itself_with_its_score_and_nearest_examples():
    (tags,) = tag_items(
        [
            ItemText(
                "관악구, AI 돌봄 전화로 홀몸 어르신 안부 확인",
                "서울 관악구는 인공지능이 홀로 사는 어르신에게 안부 전화를 거는 서비스를 시작했다.",
            )
        ]
    )
    assert tags.is_smart_city
    assert {"ai_data", "health_safety"} <= {t.value for t in tags.focus_areas}
    model = [r for r in tags.relevance_reasons if r.field == "learned"]
    assert len(model) == 1
    assert model[0].term in {"model (quick)", "model (full)"}
    assert model[0].weight == tags.relevance
    examples = [r for r in tags.relevance_reasons if r.field == "example"]
    assert len(examples) == 3
    assert all(r.url and r.url.startswith("http") for r in examples)
    assert all(0.0 < (r.weight or 0) <= 1.0 for r in examples)
    # the matched terms stay beside the model's score
    assert any(r.term in {"AI", "인공지능"} for r in tags.relevance_reasons)
    for tag in tags.focus_areas:
        assert any(r.field == "learned" for r in tag.reasons)


@pytest.mark.parametrize(
    ("title", "summary", "smart"),
    [
        # the classes the issue found missed on a real stream (written here, not copied)
        (
            "강동구, IoT 센서로 빈 주차면 실시간 안내",
            "구는 공영주차장에 센서를 달아 빈자리를 앱으로 알린다.",
            True,
        ),
        (
            "Small town launches demand-responsive bus",
            "Residents book rides with an app; routes change by demand.",
            True,
        ),
        (
            "시, 도시 전체 3차원 디지털트윈 구축",
            "시는 건물과 도로를 3D로 재현해 재난 대응에 쓴다.",
            True,
        ),
        # ordinary news
        ("프로야구 개막전 관중 2만 명", "잠실구장에서 열린 개막전에 관중이 몰렸다.", False),
        (
            "Home prices rise for a third month",
            "Sale prices climbed 2% in the capital region.",
            False,
        ),
    ],
)
def test_written_stories_are_decided_as_an_analyst_would(title, summary, smart):
    (tags,) = tag_items([ItemText(title, summary)])
    assert tags.is_smart_city is smart
