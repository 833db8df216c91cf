"""Cross-validation of the whole fit on the labelled train and dev items, test never read.

What a change to the training data or the fit is judged by while the test split stays unseen
(`cityradar train --cross-validate`): the labelled train and dev items are cut into
five folds by a fixed shuffle; for each fold, `fit.train` runs as `cityradar train` runs it
(thresholds and band chosen on the remaining dev items, heads refitted on the remaining train
and dev items, every grown item and correction in every fit) and the held fold is decided as the
tagger decides it. Every labelled item is decided once, by heads that never saw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold

from training import fit
from training.dataset import TrainingItem
from transforms.learned import FULL, QUICK
from transforms.vocabularies import FOCUS_AREAS


@dataclass(frozen=True)
class Decision:
    """How a held-out labelled item was decided, beside its labels."""

    id: str
    language: str
    smart: bool
    areas: frozenset[str]
    gold_smart: bool
    gold_areas: frozenset[str]


def cross_validate(
    rows: Sequence[TrainingItem], params: fit.Params | None = None, folds: int = 5
) -> list[Decision]:
    """Each labelled train or dev item decided by heads fitted without its fold."""
    held_out = sorted(
        (r for r in rows if r.origin == "labelled" and r.split in ("train", "dev")),
        key=lambda r: r.id,
    )
    always = [r for r in rows if r.origin != "labelled" and r.split != "test"]
    decisions: list[Decision] = []
    cut = KFold(folds, shuffle=True, random_state=0)
    for fit_part, held_part in cut.split(held_out):
        fitted = fit.train([held_out[i] for i in fit_part] + always, params or fit.Params())
        decisions += _decide(fitted, [held_out[i] for i in held_part])
    return sorted(decisions, key=lambda d: d.id)


def _decide(fitted: fit.Fitted, rows: Sequence[TrainingItem]) -> list[Decision]:
    model = fitted.model()
    band = tuple(fitted.spec["band"])
    quick = fit.stage_probabilities(model, QUICK, rows)
    full = fit.stage_probabilities(model, FULL, rows)
    smart, areas, _ = fit.cascade_decisions(model, quick, full, (band[0], band[1]))
    return [
        Decision(
            row.id,
            row.language,
            bool(flag),
            frozenset(chosen),
            bool(row.labels[0]),
            frozenset(a for a, on in zip(FOCUS_AREAS, row.labels[1:], strict=True) if on),
        )
        for row, flag, chosen in zip(rows, smart, areas, strict=True)
    ]


def figures(decisions: Sequence[Decision]) -> dict[str, float]:
    """Relevance accuracy, smart-city precision and recall, focus micro-F1 (scored on the items
    the labels call smart-city, as the evaluation scores it)."""
    smart = np.array([d.smart for d in decisions])
    gold = np.array([d.gold_smart for d in decisions])
    tp = int(np.sum(smart & gold))
    focus_tp = focus_fp = focus_fn = 0
    for d in decisions:
        if d.gold_smart:
            focus_tp += len(d.areas & d.gold_areas)
            focus_fp += len(d.areas - d.gold_areas)
            focus_fn += len(d.gold_areas - d.areas)
    return {
        "items": len(decisions),
        "relevance": float(np.mean(smart == gold)),
        "precision": tp / max(1, int(smart.sum())),
        "recall": tp / max(1, int(gold.sum())),
        "focus_f1": 2 * focus_tp / max(1, 2 * focus_tp + focus_fp + focus_fn),
    }
