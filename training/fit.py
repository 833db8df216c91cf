"""Fitting the learned heads: two logistic models per label and stage, thresholds and the band
chosen on dev.

For each stage (quick, full) and each label (smart-city, then each focus area):
1. the embedding head is fitted on every training row (focus heads on smart-city rows only, as
   only they carry areas); its out-of-fold scores stand in for it on the rows it was fitted on,
   so the fusion head learns how far to trust it on stories it has not seen;
2. the fusion head is fitted on the rows whose text is at hand: the embedding head's score, the
   rules' evidence and the nearest labelled examples' vote (each row's own label left out).

Thresholds are chosen on the dev split with heads fitted on train alone, then the band: the
narrowest range of the quick stage's smart-city probability that, decided again by the full
stage, decides dev as well as the full stage everywhere. The shipped heads are then fitted again
on train and dev together with those thresholds and that band. Everything is deterministic:
fixed folds, a deterministic solver, rows in a fixed order, weights rounded when written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
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
    FULL,
    HEADS_FILE,
    LABELS,
    QUICK,
    SMART,
    STAGES,
    Examples,
    LearnedModel,
    model_from_spec,
    neighbour_votes,
    quantised_rows,
)
from transforms.vocabularies import FOCUS_AREAS

LEARNED = Path(__file__).resolve().parents[1] / "transforms" / "data" / "learned"
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.01), 2)
BAND_EDGES = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)  # lower edges; upper ones mirror them
FULL_BAND = (0.0, 1.0)  # every story decided again by the full stage
# how much worse than the full stage alone a band may decide dev's focus areas: about three of
# dev's ~190 gold areas. With 0.005 (two areas) and the grown hard negatives, a band 0.05-0.95
# (19 % of dev to the full encoder, focus F1 0.750) lost to 0.05-1.00 (62 %, 0.755): three times
# the encoder's cost for two areas
FOCUS_SLACK = 0.01


@dataclass(frozen=True)
class Params:
    """What the fit may vary (chosen on dev; see docs/tagging.md)."""

    smart_c: float = 3.0  # inverse regularisation of the smart-city embedding heads
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


def train(rows: Sequence[TrainingItem], params: Params | None = None) -> Fitted:
    """Heads fitted on train, thresholds and band chosen on dev, then refitted on both."""
    params = params or Params()
    train_rows = [r for r in rows if r.split == "train"]
    dev_rows = [r for r in rows if r.split == "dev" and r.evidence is not None]
    if not train_rows or not dev_rows:
        raise ValueError("training needs labelled items in both the train and the dev split")
    first = fit_heads(train_rows, params, thresholds={}, band=FULL_BAND)
    thresholds = {stage: choose_thresholds(first.model(), stage, dev_rows) for stage in STAGES}
    _set_thresholds(first.spec, thresholds)
    band, dev = choose_band(first.model(), dev_rows)
    final_rows = train_rows + dev_rows if params.refit_with_dev else train_rows
    fitted = fit_heads(final_rows, params, thresholds, band)
    fitted.dev = dev
    fitted.spec["meta"]["dev"] = dev
    return fitted


def fit_heads(
    rows: Sequence[TrainingItem],
    params: Params,
    thresholds: dict[str, dict[str, float]],
    band: tuple[float, float],
) -> Fitted:
    """Both heads of every label and stage on the given rows (all of them become the examples)."""
    labels = np.vstack([r.labels for r in rows])
    embeddings = {
        stage: np.vstack([r.embeddings[stage] for r in rows]).astype(np.float32) for stage in STAGES
    }
    stages = {
        stage: _fit_stage(embeddings[stage], labels, rows, params, thresholds.get(stage, {}))
        for stage in STAGES
    }
    spec = {
        "labels": list(LABELS),
        "evidence": list(EVIDENCE_NAMES),
        "stages": stages,
        "band": list(band),
        "neighbours": params.neighbours,
        "temperature": params.temperature,
        "focus_at_most": params.focus_at_most,
        "meta": {
            "rows": _counts(rows),
            "params": asdict(params),
            "embedding": embedding_recipe(),
        },
    }
    examples = Examples(
        ids=np.array([r.id for r in rows]),
        urls=np.array([r.url for r in rows]),
        labels=labels,
        embeddings=embeddings,
    )
    return Fitted(spec, examples)


def _set_thresholds(spec: dict[str, Any], thresholds: dict[str, dict[str, float]]) -> None:
    for stage, by_label in thresholds.items():
        for label, threshold in by_label.items():
            spec["stages"][stage][label]["threshold"] = threshold


def _fit_stage(
    embeddings: np.ndarray,
    labels: np.ndarray,
    rows: Sequence[TrainingItem],
    params: Params,
    thresholds: dict[str, float],
) -> dict[str, Any]:
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
        head = _fit_label(
            embeddings,
            labels[:, index],
            rows_for_label,
            with_text,
            np.column_stack([evidence, votes[:, index]]),
            params,
            smart=label == SMART,
        )
        heads[label] = {**head, "threshold": thresholds.get(label, 0.5)}
    return heads


def _fit_label(
    embeddings: np.ndarray,
    target: np.ndarray,
    rows_for_label: np.ndarray,
    with_text: np.ndarray,
    other_inputs: np.ndarray,
    params: Params,
    smart: bool,
) -> dict[str, Any]:
    c = params.smart_c if smart else params.focus_c
    # relevance classes are lopsided in a news stream; focus areas are judged by threshold alone
    weight = "balanced" if smart else None
    subset = np.flatnonzero(rows_for_label)
    head = _logistic(c, weight).fit(embeddings[subset], target[subset])
    scores = _out_of_fold(embeddings, target, subset, c, weight, params.folds)
    fused_rows = subset[with_text[subset]]
    inputs = np.column_stack([scores[fused_rows], other_inputs[fused_rows]])
    fusion = _logistic(params.fusion_c, weight).fit(inputs, target[fused_rows])
    return {"embedding": _weights(head), "fusion": _weights(fusion)}


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


def choose_thresholds(
    model: LearnedModel, stage: str, dev_rows: Sequence[TrainingItem]
) -> dict[str, float]:
    """The smart-city threshold with the best dev accuracy, then one focus threshold for every
    area with the best dev focus F1 (areas decided as the tagger decides them)."""
    probabilities = stage_probabilities(model, stage, dev_rows)
    gold = np.vstack([r.labels for r in dev_rows])
    smart = _middle_of_best(
        [float(np.mean((probabilities[:, 0] >= t) == gold[:, 0])) for t in THRESHOLD_GRID]
    )
    focus = _middle_of_best(
        [_focus_counts(model, probabilities, gold, smart, t).f1 for t in THRESHOLD_GRID]
    )
    return {SMART: smart, **dict.fromkeys(FOCUS_AREAS, focus)}


def choose_band(
    model: LearnedModel, dev_rows: Sequence[TrainingItem]
) -> tuple[tuple[float, float], dict[str, float]]:
    """The narrowest band whose cascade decides dev as well as the full stage alone (relevance
    accuracy lower by at most one dev story, focus F1 by at most FOCUS_SLACK); with the dev
    figures of that cascade."""
    quick = stage_probabilities(model, QUICK, dev_rows)
    full = stage_probabilities(model, FULL, dev_rows)
    gold = np.vstack([r.labels for r in dev_rows])
    best = _cascade_scores(model, quick, full, gold, FULL_BAND)
    chosen = (FULL_BAND, best)
    one_story = 1 / len(dev_rows) + 1e-9
    for low in BAND_EDGES:
        for high in sorted({1.0 - edge for edge in BAND_EDGES}):
            scores = _cascade_scores(model, quick, full, gold, (low, high))
            good = (
                scores["relevance_accuracy"] >= best["relevance_accuracy"] - one_story
                and scores["focus_f1"] >= best["focus_f1"] - FOCUS_SLACK
            )
            if good and scores["full_share"] < chosen[1]["full_share"]:
                chosen = ((low, high), scores)
    return chosen


def _cascade_scores(
    model: LearnedModel,
    quick: np.ndarray,
    full: np.ndarray,
    gold: np.ndarray,
    band: tuple[float, float],
) -> dict[str, float]:
    decided, areas, unsure = cascade_decisions(model, quick, full, band)
    counts = _Counts()
    for chosen, truth in zip(areas, gold, strict=True):
        counts.add(chosen, {a for a, on in zip(FOCUS_AREAS, truth[1:], strict=True) if on})
    return {
        "relevance_accuracy": round(float(np.mean(decided == gold[:, 0])), 4),
        "focus_f1": round(counts.f1, 4),
        "full_share": round(float(np.mean(unsure)), 4),
        "band_low": band[0],
        "band_high": band[1],
    }


def cascade_decisions(
    model: LearnedModel, quick: np.ndarray, full: np.ndarray, band: tuple[float, float]
) -> tuple[np.ndarray, list[set[str]], np.ndarray]:
    """What the tagger decides from both stages' probabilities: each story's smart-city flag,
    its focus areas, and whether the full stage decided it (quick probability inside the band)."""
    unsure = (quick[:, 0] > band[0]) & (quick[:, 0] < band[1])
    smart_threshold = np.where(
        unsure, model.heads[FULL][SMART].threshold, model.heads[QUICK][SMART].threshold
    )
    probabilities = np.where(unsure[:, None], full, quick)
    decided = probabilities[:, 0] >= smart_threshold
    areas = [
        set(model.choose_focus(stage, _areas(row))) if smart else set()
        for row, smart, stage in zip(
            probabilities, decided, np.where(unsure, FULL, QUICK), strict=True
        )
    ]
    return decided, areas, unsure


def _areas(row: np.ndarray) -> dict[str, float]:
    return {area: float(row[1 + i]) for i, area in enumerate(FOCUS_AREAS)}


def _middle_of_best(scores: list[float]) -> float:
    """The middle threshold of those scoring best (a plateau's edge is where noise decides)."""
    best = max(scores)
    candidates = [t for t, s in zip(THRESHOLD_GRID, scores, strict=True) if s >= best - 1e-9]
    return float(candidates[len(candidates) // 2])


def stage_probabilities(
    model: LearnedModel, stage: str, rows: Sequence[TrainingItem]
) -> np.ndarray:
    """Each row's probability of each label in one stage (rows with the rules' evidence only)."""
    # rows without text have no rules' evidence; `train` keeps them out of the dev rows
    evidence = [r.evidence for r in rows if r.evidence is not None]
    if len(evidence) != len(rows):
        raise ValueError("probabilities need the rules' evidence of every row")
    embeddings = np.vstack([r.embeddings[stage] for r in rows])
    probabilities, _ = model.probabilities(stage, embeddings, evidence)
    return probabilities


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, chosen: set[str], wanted: set[str]) -> None:
        self.tp += len(chosen & wanted)
        self.fp += len(chosen - wanted)
        self.fn += len(wanted - chosen)

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
            areas = _areas(row)
            ranked = sorted(FOCUS_AREAS, key=lambda a: -areas[a])
            over = [a for a in ranked if areas[a] >= focus_threshold]
            chosen = set((over or ranked[:1])[: model.focus_at_most])
        counts.add(chosen, {a for a, on in zip(FOCUS_AREAS, truth[1:], strict=True) if on})
    return counts


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
    embeddings: dict[str, np.ndarray] = {}
    for stage in STAGES:
        rows, scales = quantised_rows(fitted.examples.embeddings[stage])
        embeddings |= {f"embeddings_{stage}": rows, f"scales_{stage}": scales}
    np.savez_compressed(
        folder / EXAMPLES_FILE,
        ids=fitted.examples.ids,
        urls=fitted.examples.urls,
        labels=fitted.examples.labels,
        # as np.load reads it back (and named, so the arrays below can only be arrays)
        allow_pickle=False,
        **embeddings,
    )
