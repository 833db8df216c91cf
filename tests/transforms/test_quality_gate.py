"""The tagging quality gate: targets in both languages, and no figure below the stored baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.eval_sets import GATE_SETS, load_set, load_sets
from transforms.evaluation import TARGETS, Prediction, check_against, evaluate, format_report

EVAL = Path(__file__).resolve().parents[2] / "eval"


@pytest.fixture(scope="module")
def items():
    return load_sets(EVAL / name for name in GATE_SETS)


@pytest.fixture(scope="module")
def report(items):
    return evaluate(items)


def test_the_set_is_large_enough_korean_enough_and_hard(items):
    assert len(items) >= 200
    korean = sum(item.lang == "ko" for item in items)
    assert korean / len(items) >= 0.35
    assert sum(not item.smart for item in items) >= 30  # hard negatives and off-topic news
    stories = {item.story for item in items if item.story}
    assert len(stories) >= 8
    assert {item.lang for item in items if item.story} == {"ko", "en"}
    assert len({item.id for item in items}) == len(items)


def test_targets_are_met_and_no_figure_fell_below_the_baseline(report):
    baseline = json.loads((EVAL / "baseline.json").read_text(encoding="utf-8"))
    problems = check_against(report.metrics(), baseline)
    assert problems == [], "\n".join(problems) + "\n\n" + format_report(report, show_mistakes=True)


def test_the_baseline_covers_every_figure(report):
    baseline = json.loads((EVAL / "baseline.json").read_text(encoding="utf-8"))
    assert set(baseline) == set(report.metrics())


def test_the_gate_fails_a_tagger_that_got_worse(items):
    def forgetful(item):  # forgets every city and every Korean focus area
        return Prediction(frozenset(), frozenset() if item.lang == "ko" else item.focus, item.smart)

    worse = evaluate(items, forgetful).metrics()
    problems = check_against(worse, {"all.city.f1": 0.99, "ko.focus.f1": 0.87})
    assert any(p.startswith("all.city.f1 fell to 0.000") for p in problems)
    assert any(p.startswith("ko.focus.f1 fell") for p in problems)
    assert any(
        p == f"ko.city.f1 is 0.000, below the target {TARGETS['city.f1']:.2f}" for p in problems
    )


def test_the_report_shows_each_language_and_area(report):
    text = format_report(report)
    assert all(f"\n{lang} " in "\n" + text for lang in ("all", "ko", "en"))
    assert "health_safety" in text
    assert "mobility" in text


def test_each_held_out_set_keeps_the_figures_it_scored_before_tuning():
    # a held-out set is scored once; its header is the record of that score
    for name in GATE_SETS[1:]:
        header = (EVAL / name).read_text(encoding="utf-8").split("\n- ", 1)[0]
        assert "Scored once" in header
        assert "relevance accuracy" in header


def test_ids_must_be_unique_across_sets(tmp_path):
    copy = tmp_path / "copy.yaml"
    copy.write_text((EVAL / "holdout_2.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ValueError, match="appears twice"):
        load_sets([EVAL / "holdout_2.yaml", copy])
    assert len(load_set(copy)) == 64
