"""Items grown from stored copies of real public pages, kept without their text.

Where a label class is thin, real pages were found and labelled by LABELLING.md. The repository
keeps, for each, its address, labels, a note and the embedding of its opening — never the text.
They join the training split only (the evaluation splits are the labelled folder's).

Files (training/data/): `grown.jsonl` (one labelled item a line, no text) and
`grown-embeddings.npz` (ids, and each stage's embeddings in float16).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.dataset import embed
from training.labelled import dumps, item_from_record
from transforms.embedding import ENCODER, OPENING_CHARS, opening_text
from transforms.learned import ENCODERS, STAGES

DATA = Path(__file__).parent / "data"
LABELS_FILE = "grown.jsonl"
EMBEDDINGS_FILE = "grown-embeddings.npz"
# what a grown item keeps: no title or summary (the text stays outside the repository)
KEPT_FIELDS = (
    "id",
    "source_url",
    "source_name",
    "language",
    "cities",
    "focus_areas",
    "is_smart_city",
    "note",
    "query",
)


@dataclass(frozen=True)
class GrownItem:
    """A labelled item whose text is not kept: its labels and the embedding of its opening."""

    id: str
    url: str
    language: str
    smart: bool
    focus: frozenset[str]
    cities: frozenset[str]
    embeddings: dict[str, np.ndarray]  # stage (quick, full) -> (512,) float32


def read_grown(folder: Path = DATA) -> list[GrownItem]:
    """The grown items with their embeddings (none when the files are absent).

    Raises:
        ValueError: an item has no embedding, or the files disagree.
    """
    labels_path, embeddings_path = folder / LABELS_FILE, folder / EMBEDDINGS_FILE
    if not labels_path.exists():
        return []
    with np.load(embeddings_path) as arrays:
        if str(arrays["recipe"]) != embedding_recipe():
            raise ValueError(
                f"{embeddings_path.name} was embedded as {arrays['recipe']}, the encoder now reads "
                f"{embedding_recipe()}: embed the grown items again from their text"
            )
        ids = arrays["ids"].tolist()
        vectors = {
            item_id: {stage: arrays[f"embeddings_{stage}"][row] for stage in STAGES}
            for row, item_id in enumerate(ids)
        }
    items = []
    for number, line in enumerate(labels_path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        labelled = item_from_record(json.loads(line))
        if labelled.id not in vectors:
            raise ValueError(f"{labels_path.name} line {number}: no embedding for {labelled.id}")
        items.append(
            GrownItem(
                id=labelled.id,
                url=labelled.url,
                language=labelled.language,
                smart=labelled.smart,
                focus=labelled.focus,
                cities=labelled.cities,
                embeddings={
                    stage: vector.astype(np.float32)
                    for stage, vector in vectors[labelled.id].items()
                },
            )
        )
    return items


def embedding_recipe() -> str:
    """How an opening is embedded; stored embeddings are only valid for the same recipe."""
    return f"{ENCODER}; quick and full; title + {OPENING_CHARS} characters"


def add_grown(labels: Path, texts: Path, folder: Path = DATA) -> int:
    """Add newly labelled items: their labels kept, their text embedded and then left outside.

    Args:
        labels: JSON Lines of labelled items (the labelled folder's fields; title and summary
            are ignored here).
        texts: JSON Lines with the same ids: id, source_url, title, summary (read, not kept).
        folder: where the grown files live.

    Returns:
        How many items were added (ids already present are skipped).

    Raises:
        ValueError: a label has no text, an address differs, or a label is not valid.
    """
    records = [json.loads(line) for line in labels.read_text("utf-8").splitlines() if line.strip()]
    text_of = {
        r["id"]: r
        for r in (
            json.loads(line) for line in texts.read_text("utf-8").splitlines() if line.strip()
        )
    }
    known = {item.id for item in read_grown(folder)}
    new = [r for r in records if r["id"] not in known]
    for record in new:
        item_from_record(record)  # validates the labels
        text = text_of.get(record["id"])
        if text is None or text["source_url"] != record["source_url"]:
            raise ValueError(f"{record['id']}: no text with the same address in {texts}")
    if not new:
        return 0
    openings = [opening_text(text_of[r["id"]]["title"], text_of[r["id"]]["summary"]) for r in new]
    _append(folder, new, {stage: embed(openings, ENCODERS[stage]) for stage in STAGES})
    return len(new)


def _append(folder: Path, records: list[dict], embeddings: dict[str, np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    labels_path, embeddings_path = folder / LABELS_FILE, folder / EMBEDDINGS_FILE
    ids: list[str] = []
    stored = {stage: np.zeros((0, 512), dtype=np.float16) for stage in STAGES}
    if embeddings_path.exists():
        with np.load(embeddings_path) as arrays:
            ids = arrays["ids"].tolist()
            stored = {stage: arrays[f"embeddings_{stage}"] for stage in STAGES}
    with labels_path.open("a", encoding="utf-8") as stream:
        for record in records:
            stream.write(dumps({key: record[key] for key in KEPT_FIELDS if key in record}) + "\n")
    np.savez_compressed(
        embeddings_path,
        ids=np.array(ids + [r["id"] for r in records]),
        recipe=np.array(embedding_recipe()),
        # as np.load reads it back (and named, so the arrays below can only be arrays)
        allow_pickle=False,
        **{
            f"embeddings_{stage}": np.vstack([stored[stage], embeddings[stage].astype(np.float16)])
            for stage in STAGES
        },
    )
