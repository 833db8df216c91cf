"""`cityradar train`: read every labelled source, fit the heads, write them into transforms/data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from training import dataset, fit
from training.grown import read_grown
from training.labelled import DEFAULT_FOLDER, LabelledItem, read_labelled
from transforms.urls import canonical_url
from warehouse.corrections import Correction, read_corrections


@dataclass(frozen=True)
class TrainingResult:
    """What was trained on, and the dev figures of the heads fitted on train alone."""

    rows: dict[str, int]
    dev: dict[str, float]
    folder: Path
    without_evidence: int = 0  # grown items that trained the embedding heads only


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
    rows = training_rows(labelled, db)
    fitted = fit.train(rows, params or fit.Params())
    fit.write(fitted, out)
    without = sum(r.origin == "grown" and r.evidence is None for r in rows)
    return TrainingResult(fitted.spec["meta"]["rows"], fitted.dev, out, without)


def training_rows(
    labelled: Path = DEFAULT_FOLDER, db: Path | None = None
) -> list[dataset.TrainingItem]:
    """Every row the heads are fitted on: the labelled folder's items (all splits; the fit reads
    train and dev only), the analysts' corrections in ``db`` when given, the grown items."""
    labelled_items = read_labelled(labelled)
    text_items = dataset.from_labelled(labelled_items)
    if db is not None:
        text_items += corrections_for_training(read_corrections(db), labelled_items)
    return dataset.build(text_items, read_grown())


def corrections_for_training(
    corrections: list[Correction], labelled: list[LabelledItem]
) -> list[dataset.TextItem]:
    """Analysts' corrections as training items (train split), their labels as analysts say.

    A correction of a story that is also in the labelled test split is left out, so the test
    split stays unseen.
    """
    held_out = {_canonical(i.url) for i in labelled if i.split == "test"}
    return [
        dataset.TextItem(
            id=c.item_id,
            url=c.url or c.item_id,
            origin="correction",
            split="train",
            language=c.language or "",
            title=c.title,
            summary=c.summary,
            body=c.body_text,
            smart=c.is_smart_city,
            focus=frozenset(c.focus_areas),
        )
        for c in corrections
        if not (c.url and _canonical(c.url) in held_out)
    ]


def _canonical(url: str) -> str:
    try:
        return canonical_url(url)
    except ValueError:
        return url
