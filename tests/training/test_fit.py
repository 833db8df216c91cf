"""Fitting the heads: deterministic, thresholds from dev, files the tagger loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.written import written_text_items
from training import dataset, fit
from training.labelled import read_labelled, split_of
from transforms.learned import LABELS, SMART, STAGES, examples_from_arrays, model_from_spec


@pytest.fixture(scope="module")
def written_rows() -> list[dataset.TrainingItem]:
    """The project's written tagging set as training rows (always at hand, no ../shared)."""
    items = written_text_items(lambda url: "dev" if split_of(url) != "train" else "train")
    return dataset.build(items, grown=[])


@pytest.fixture(scope="module")
def fitted(written_rows) -> fit.Fitted:
    """Heads fitted once on the written rows."""
    return fit.train(written_rows)


def test_the_same_rows_give_the_same_heads(written_rows, fitted):
    first = fitted
    second = fit.train(written_rows)
    assert json.dumps(first.spec, sort_keys=True) == json.dumps(second.spec, sort_keys=True)
    for stage in STAGES:
        assert np.array_equal(first.examples.embeddings[stage], second.examples.embeddings[stage])


def test_thresholds_come_from_dev_and_the_heads_cover_every_label(written_rows, fitted):
    for stage in STAGES:
        assert list(fitted.spec["stages"][stage]) == list(LABELS)
        assert 0.1 <= fitted.spec["stages"][stage][SMART]["threshold"] <= 0.9
    # the band is where the quick stage hands over to the full one
    low, high = fitted.spec["band"]
    assert 0.0 <= low < high <= 1.0
    assert fitted.dev["band_low"] == low
    # refitted on train and dev: every row is an example
    assert len(fitted.examples) == len(written_rows)
    # dev figures are those of heads that never saw dev
    assert 0.0 < fitted.dev["relevance_accuracy"] <= 1.0


def test_written_heads_load_as_the_tagger_loads_them(written_rows, fitted, tmp_path: Path):
    fit.write(fitted, tmp_path)
    spec = json.loads((tmp_path / "heads.json").read_text(encoding="utf-8"))
    with np.load(tmp_path / "examples.npz") as arrays:
        examples = examples_from_arrays(dict(arrays))
    model = model_from_spec(spec, examples)
    rows = written_rows[:5]
    for stage in STAGES:
        embeddings = np.vstack([r.embeddings[stage] for r in rows])
        decisions = model.decide(stage, embeddings, [r.evidence for r in rows])
        # each row is its own nearest example
        assert [d.nearest[0].id for d in decisions] == [r.id for r in rows]
        assert all(0.0 <= d.smart_probability <= 1.0 for d in decisions)


def test_heads_fitted_on_real_train_news_separate_dev_news(labelled: Path):
    items = [i for i in read_labelled(labelled) if i.split in ("train", "dev")]
    rows = dataset.build(dataset.from_labelled(items[::2]), grown=[])
    fitted = fit.train(rows)
    # heads that never saw dev: relevance well above the share of the larger class
    dev = [r for r in rows if r.split == "dev"]
    majority = max(np.mean([r.labels[0] for r in dev]), 1 - np.mean([r.labels[0] for r in dev]))
    assert fitted.dev["relevance_accuracy"] > max(0.85, majority + 0.2)
    assert fitted.dev["focus_f1"] > 0.5
