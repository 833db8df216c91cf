"""`cityradar train`: read every labelled source, fit the heads, write them into transforms/data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from training import dataset, fit
from training.grown import read_grown
from training.labelled import DEFAULT_FOLDER, read_labelled


@dataclass(frozen=True)
class TrainingResult:
    """What was trained on, and the dev figures of the heads fitted on train alone."""

    rows: dict[str, int]
    dev: dict[str, float]
    folder: Path


def retrain(
    labelled: Path = DEFAULT_FOLDER,
    db: Path | None = None,
    out: Path = fit.LEARNED,
    params: fit.Params | None = None,
) -> TrainingResult:
    """Fit the heads on the labelled folder, the grown items and the corrections recorded in the
    warehouse ``db`` (when given), and write them to ``out``.

    Raises:
        FileNotFoundError: the labelled folder is missing (the committed heads stay as they are).
    """
    text_items = dataset.from_labelled(read_labelled(labelled))
    rows = dataset.build(text_items, read_grown())
    fitted = fit.train(rows, params or fit.Params())
    fit.write(fitted, out)
    return TrainingResult(fitted.spec["meta"]["rows"], fitted.dev, out)
