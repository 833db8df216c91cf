"""Ranking and sections: more outlets first, then official sources, then recency; each story once."""

from __future__ import annotations

from digest.rank import Audience, build_digest, score
from tests.helpers.week_data import data, member


def titles(section):
    return [s.lead.item_id for s in section.stories]


def test_outlets_outrank_official_sources_which_outrank_recency():
    assert score(2, False, 0.0, 0) > score(1, True, 1.0, 0) > score(1, False, 1.0, 0)


def test_a_story_is_led_by_its_official_release_and_credits_the_others():
    week = data(
        member("n1", "c1", "daily", 0),
        member("g1", "c1", "molit", 1, org="ministry"),
        member("n2", "c1", "herald", 2),
        member("solo", "c2", "daily", 6),
    )
    digest = build_digest(week, Audience())
    (mobility,) = digest.focus_sections
    assert titles(mobility) == ["g1", "solo"]
    lead = mobility.stories[0]
    assert lead.also == ("daily name", "herald name")
    assert lead.official
    # the official story was shown above, so policy updates does not repeat it
    assert digest.policy.stories == []
    assert digest.policy.above == 1


def test_a_story_told_the_week_before_is_not_repeated_unless_its_page_changed():
    old = member("old", "c9", "molit", -3, org="ministry")
    digest = build_digest(data(old, member("new", "c1", "daily", 1)), Audience())
    assert [t for s in digest.focus_sections for t in titles(s)] == ["new"]
    digest = build_digest(data(old, changed={"old"}), Audience())
    assert [s.lead.item_id for s in digest.focus_sections[0].stories] == ["old"]
    assert digest.focus_sections[0].stories[0].changed


def test_filters_and_key_city_sections():
    week = data(
        member("s1", "c1", "daily", 1, areas=("water",), cities=("Busan",)),
        member("s2", "c2", "daily", 2, areas=("mobility",), cities=("Busan",)),
        member("s3", "c3", "daily", 3, areas=("water",), cities=("Seoul",)),
    )
    digest = build_digest(week, Audience(focus_areas=("water",), cities=("Busan",)))
    assert digest.stories == 1
    assert [titles(s) for s in digest.focus_sections] == [["s1"]]
    everyone = build_digest(week, Audience(key_cities=("Busan",)))
    (busan,) = everyone.city_sections
    assert busan.stories == []
    assert busan.above == 2  # both shown in their focus areas
