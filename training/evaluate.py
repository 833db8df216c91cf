"""The tagger on real labelled news: figures per language on a split, against the issue's targets.

This is the honest measure: the test split is never used to choose anything (dev chooses the
thresholds). The written sets in eval/ stay as regression tests of known cases.
"""

from __future__ import annotations

from pathlib import Path

from training.labelled import DEFAULT_FOLDER, SPLITS, read_labelled
from transforms.evaluation import EvalReport, GoldItem, evaluate, predict_all

# What the tags must reach on real news never tuned on, in each language.
REAL_TARGETS: dict[str, float] = {
    "relevance.accuracy": 0.95,
    "smart.precision": 0.90,
    "smart.recall": 0.90,
    "city.f1": 0.93,
    "focus.f1": 0.70,
}


def gold_items(split: str, folder: Path = DEFAULT_FOLDER) -> list[GoldItem]:
    """The labelled items of one split as evaluation items (title and lead: the text at hand)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: one of {', '.join(SPLITS)}")
    return [
        GoldItem(i.id, i.language, i.title, i.summary, i.body, i.cities, i.focus, i.smart, None)
        for i in read_labelled(folder)
        if i.split == split
    ]


def evaluate_split(split: str, folder: Path = DEFAULT_FOLDER) -> EvalReport:
    """Score the shipped tagger on one split of the labelled folder."""
    items = gold_items(split, folder)
    return evaluate(items, predict_all(items))


def target_lines(report: EvalReport) -> list[str]:
    """Each language's figure against each target: 'MET' or 'MISS', with the measured value."""
    metrics = report.metrics()
    lines = []
    for lang in ("ko", "en"):
        for name, target in REAL_TARGETS.items():
            value = metrics.get(f"{lang}.{name}", 0.0)
            verdict = "MET " if value >= target else "MISS"
            lines.append(f"{verdict} {lang}.{name} = {value:.3f} (target {target:.2f})")
    return lines
