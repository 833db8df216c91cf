"""Fitting the learned heads: two logistic models per label, thresholds chosen on dev.

For each label (smart-city, then each focus area):
1. the embedding head is fitted on every training row (focus heads on smart-city rows only, as
   only they carry areas); its out-of-fold scores stand in for it on the rows it was fitted on,
   so the fusion head learns how far to trust it on stories it has not seen;
2. the fusion head is fitted on the rows whose text is at hand: the embedding head's score, the
   rules' evidence and the nearest labelled examples' vote (each row's own label left out).

Thresholds are chosen on the dev split with heads fitted on train alone; the shipped heads are
then fitted again on train and dev together with those thresholds. Everything is deterministic:
fixed folds, a deterministic solver, rows in a fixed order, weights rounded when written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from training.dataset import TrainingItem
from training.grown import embedding_recipe
from transforms.learned import (
    EVIDENCE_NAMES,
    EXAMPLES_FILE,
    HEADS_FILE,
    LABELS,
    SMART,
    Examples,
    LearnedModel,
    model_from_spec,
    neighbour_votes,
)
from transforms.vocabularies import FOCUS_AREAS

LEARNED = Path(__file__).resolve().parents[1] / "transforms" / "data" / "learned"
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.01), 2)


@dataclass(frozen=True)
class Params:
    """What the fit may vary (chosen on dev; see docs/tagging.md)."""

    smart_c: float = 3.0  # inverse regularisation of the smart-city embedding head
    focus_c: float = 3.0  # ... of the focus-area embedding heads
    fusion_c: float = 1.0  # ... of every fusion head
    folds: int = 5  # out-of-fold scores for the fusion heads
    neighbours: int = 10
    temperature: float = 20.0
    focus_at_most: int = 3
    refit_with_dev: bool = True


@dataclass
class Fitted:
    """A fitted model in the form it is written, and what it was fitted on."""

    spec: dict[str, Any]
    examples: Examples
    dev: dict[str, float] = field(default_factory=dict)

    def model(self) -> LearnedModel:
        """The model as the tagger will load it."""
        return model_from_spec(self.spec, self.examples)


def train(rows: Sequence[TrainingItem], params: Params = Params()) -> Fitted:
    """Heads fitted on train, thresholds chosen on dev, then (by default) refitted on both."""
    train_rows = [r for r in rows if r.split == "train"]
    dev_rows = [r for r in rows if r.split == "dev" and r.evidence is not None]
    if not train_rows or not dev_rows:
        raise ValueError("training needs labelled items in both the train and the dev split")
    first = fit_heads(train_rows, params, thresholds={})
    thresholds = choose_thresholds(first.model(), dev_rows)
    final_rows = train_rows + dev_rows if params.refit_with_dev else train_rows
    fitted = fit_heads(final_rows, params, thresholds)
    fitted.dev = dev_scores(first.model(), dev_rows, thresholds)
    fitted.spec["meta"]["dev"] = fitted.dev
    return fitted


def fit_heads(rows: Sequence[TrainingItem], params: Params, thresholds: dict[str, float]) -> Fitted:
    """Both heads of every label on the given rows (all of them become the examples)."""
    embeddings = np.vstack([r.embedding for r in rows]).astype(np.float32)
    labels = np.vstack([r.labels for r in rows])
    with_text = np.array([r.evidence is not None for r in rows])
    evidence = np.array(
        [r.evidence.vector() if r.evidence else [0.0] * len(EVIDENCE_NAMES) for r in rows],
        dtype=np.float32,
    )
    similarity = embeddings @ embeddings.T
    np.fill_diagonal(similarity, -2.0)  # a row's own label never votes for it
    votes = neighbour_votes(similarity, labels, params.neighbours, params.temperature)
    heads = {}
    for index, label in enumerate(LABELS):
        rows_for_label = np.ones(len(rows), bool) if label == SMART else labels[:, 0]
        heads[label] = _fit_label(
            embeddings,
            labels[:, index],
            rows_for_label,
            with_text,
            evidence,
            votes[:, index],
            params,
            label,
        )
        heads[label]["threshold"] = thresholds.get(label, 0.5)
    spec = {
        "labels": list(LABELS),
        "evidence": list(EVIDENCE_NAMES),
        "neighbours": params.neighbours,
        "temperature": params.temperature,
        "focus_at_most": params.focus_at_most,
        "heads": heads,
        "meta": {"rows": _counts(rows), "params": params.__dict__, "embedding": embedding_recipe()},
    }
    examples = Examples(
        ids=np.array([r.id for r in rows]),
        urls=np.array([r.url for r in rows]),
        labels=labels,
        embeddings=embeddings,
    )
    return Fitted(spec, examples)


def _fit_label(
    embeddings: np.ndarray,
    target: np.ndarray,
    rows_for_label: np.ndarray,
    with_text: np.ndarray,
    evidence: np.ndarray,
    votes: np.ndarray,
    params: Params,
    label: str,
) -> dict[str, Any]:
    smart = label == SMART
    c = params.smart_c if smart else params.focus_c
    # relevance classes are lopsided in a news stream; focus areas are judged by threshold alone
    weight = "balanced" if smart else None
    subset = np.flatnonzero(rows_for_label)
    head = _logistic(c, weight).fit(embeddings[subset], target[subset])
    scores = _out_of_fold(embeddings, target, subset, c, weight, params.folds)
    fused_rows = subset[with_text[subset]]
    inputs = np.column_stack([scores[fused_rows], evidence[fused_rows], votes[fused_rows]])
    fusion = _logistic(params.fusion_c, weight).fit(inputs, target[fused_rows])
    return {
        "embedding": _weights(head),
        "fusion": _weights(fusion),
    }


def _out_of_fold(
    embeddings: np.ndarray,
    target: np.ndarray,
    subset: np.ndarray,
    c: float,
    weight: str | None,
    folds: int,
) -> np.ndarray:
    """Each subset row's embedding-head score from a head fitted without it (log-odds)."""
    scores = np.zeros(len(embeddings), dtype=np.float64)
    for fit_part, score_part in KFold(folds, shuffle=True, random_state=0).split(subset):
        head = _logistic(c, weight).fit(embeddings[subset[fit_part]], target[subset[fit_part]])
        scores[subset[score_part]] = head.decision_function(embeddings[subset[score_part]])
    return scores


def _logistic(c: float, weight: str | None) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight=weight, max_iter=5000)


def _weights(model: LogisticRegression) -> dict[str, Any]:
    return {
        "weights": [round(float(w), 6) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
    }


def choose_thresholds(model: LearnedModel, dev_rows: Sequence[TrainingItem]) -> dict[str, float]:
    """The smart-city threshold with the best dev accuracy, then one focus threshold for every
    area with the best dev focus F1 (areas decided as the tagger decides them)."""
    probabilities = _probabilities(model, dev_rows)
    gold = np.vstack([r.labels for r in dev_rows])
    smart = _middle_of_best(
        [float(np.mean((probabilities[:, 0] >= t) == gold[:, 0])) for t in THRESHOLD_GRID]
    )
    focus_scores = [
        _focus_counts(model, probabilities, gold, smart, focus).f1 for focus in THRESHOLD_GRID
    ]
    focus = _middle_of_best(focus_scores)
    return {SMART: smart, **dict.fromkeys(FOCUS_AREAS, focus)}


def _middle_of_best(scores: list[float]) -> float:
    """The middle threshold of those scoring best (a plateau's edge is where noise decides)."""
    best = max(scores)
    candidates = [t for t, s in zip(THRESHOLD_GRID, scores, strict=True) if s >= best - 1e-9]
    return float(candidates[len(candidates) // 2])


def _probabilities(model: LearnedModel, rows: Sequence[TrainingItem]) -> np.ndarray:
    decisions = model.decide(
        np.vstack([r.embedding for r in rows]), [r.evidence for r in rows if r.evidence]
    )
    return np.array(
        [[d.smart_probability, *(d.focus_probabilities[a] for a in FOCUS_AREAS)] for d in decisions]
    )


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0


def _focus_counts(
    model: LearnedModel,
    probabilities: np.ndarray,
    gold: np.ndarray,
    smart_threshold: float,
    focus_threshold: float,
) -> _Counts:
    counts = _Counts()
    for row, truth in zip(probabilities, gold, strict=True):
        chosen: set[str] = set()
        if row[0] >= smart_threshold:
            ranked = sorted(FOCUS_AREAS, key=lambda a: -row[1 + FOCUS_AREAS.index(a)])
            over = [a for a in ranked if row[1 + FOCUS_AREAS.index(a)] >= focus_threshold]
            chosen = set((over or ranked[:1])[: model.focus_at_most])
        wanted = {a for a, on in zip(FOCUS_AREAS, truth[1:], strict=True) if on}
        counts.tp += len(chosen & wanted)
        counts.fp += len(chosen - wanted)
        counts.fn += len(wanted - chosen)
    return counts


def dev_scores(
    model: LearnedModel, dev_rows: Sequence[TrainingItem], thresholds: dict[str, float]
) -> dict[str, float]:
    """Relevance accuracy and focus F1 on dev of the heads fitted on train alone."""
    probabilities = _probabilities(model, dev_rows)
    gold = np.vstack([r.labels for r in dev_rows])
    accuracy = float(np.mean((probabilities[:, 0] >= thresholds[SMART]) == gold[:, 0]))
    focus = _focus_counts(
        model, probabilities, gold, thresholds[SMART], thresholds[FOCUS_AREAS[0]]
    ).f1
    return {
        "relevance_accuracy": round(accuracy, 4),
        "focus_f1": round(focus, 4),
        "smart_threshold": thresholds[SMART],
        "focus_threshold": thresholds[FOCUS_AREAS[0]],
    }


def _counts(rows: Sequence[TrainingItem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        key = f"{row.origin}:{row.split}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def write(fitted: Fitted, folder: Path = LEARNED) -> None:
    """Write the heads (JSON, diffable) and the examples (ids, addresses, labels, embeddings)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / HEADS_FILE).write_text(json.dumps(fitted.spec, indent=1) + "\n", encoding="utf-8")
    np.savez_compressed(
        folder / EXAMPLES_FILE,
        ids=fitted.examples.ids,
        urls=fitted.examples.urls,
        labels=fitted.examples.labels,
        embeddings=fitted.examples.embeddings.astype(np.float16),
    )
