"""Cross-validation: every labelled train and dev item decided once, by heads that never saw it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.written import written_text_items
from training import crossval, dataset, fit


@pytest.fixture(scope="module")
def rows() -> list[dataset.TrainingItem]:
    """The written tagging set, with one story of it in the test split."""
    return dataset.build(written_text_items(), grown=[])


def test_each_train_and_dev_item_is_decided_once_and_test_never(rows):
    decisions = crossval.cross_validate(rows, folds=3)
    expected = sorted(r.id for r in rows if r.split in ("train", "dev"))
    assert [d.id for d in decisions] == expected
    assert any(r.split == "test" for r in rows)
    figures = crossval.figures(decisions)
    assert figures["items"] == len(expected)
    # written stories of clear kinds: heads that never saw them still separate them
    assert figures["relevance"] > 0.8
    assert figures["focus_f1"] > 0.4


def test_an_item_is_decided_by_heads_fitted_without_it(rows, monkeypatch):
    fitted_on: list[set[str]] = []
    train = fit.train

    def recording(part, params=None):
        fitted_on.append({r.id for r in part})
        return train(part, params)

    monkeypatch.setattr(fit, "train", recording)
    decisions = crossval.cross_validate(rows, folds=3)
    decided = {d.id for d in decisions}
    held = [decided - ids for ids in fitted_on]  # what each fit's heads never saw
    assert len(held) == 3
    assert all(held)
    assert sum(len(part) for part in held) == len(decided)  # each item held out exactly once
    assert set().union(*held) == decided
    test_ids = {r.id for r in rows if r.split == "test"}
    assert not any(ids & test_ids for ids in fitted_on)


def test_figures_count_precision_and_recall_of_the_smart_city_flag():
    def decision(smart: bool, gold: bool) -> crossval.Decision:
        return crossval.Decision("x", "en", smart, frozenset(), gold, frozenset())

    decisions = [decision(True, True), decision(True, False), decision(False, True)]
    decisions += [decision(False, False)]
    figures = crossval.figures(decisions)
    assert figures["relevance"] == 0.5
    assert figures["precision"] == 0.5
    assert figures["recall"] == 0.5
    assert np.isclose(figures["focus_f1"], 0.0)
