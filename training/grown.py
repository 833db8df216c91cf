"""Items grown from stored copies of real public pages, kept without their text.

Where a label class is thin, real pages were found and labelled by LABELLING.md. The repository
keeps, for each, its address, labels, a note and the embedding of its opening — never the text.
They join the training split only (the evaluation splits are the labelled folder's).

Files (training/data/): `grown.jsonl` (one labelled item a line, no text) and
`grown-embeddings.npz` (ids, each stage's embeddings in float16, and the rules' evidence: the
numbers the rules found in the opening, with a fingerprint of the rules' data they were found
with). With that evidence a grown item trains the fusion heads too, as a labelled item does;
evidence found with other rules (taxonomy.yaml or the gazetteer changed since) is not used until
`cityradar grow` reads the item's text again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from training.dataset import embed
from training.labelled import dumps, item_from_record
from transforms.embedding import ENCODER, OPENING_CHARS, opening_text
from transforms.learned import ENCODERS, EVIDENCE_NAMES, STAGES, Evidence
from transforms.tagging import rule_evidence
from transforms.vocabularies import FOCUS_AREAS

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
    evidence: Evidence | None = None  # None: found with other rules, or never found


@dataclass(frozen=True)
class Grown:
    """What a call of ``add_grown`` changed."""

    added: int  # new items
    refreshed: int  # known items whose rules' evidence was found again from their text


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
        evidence = _stored_evidence(arrays, ids)
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
                evidence=evidence.get(labelled.id),
            )
        )
    return items


def rules_recipe() -> str:
    """A fingerprint of what the rules' evidence is found with: the data files the rules read
    (taxonomy and gazetteer) and the evidence's fields."""
    digest = hashlib.sha256(" ".join(EVIDENCE_NAMES).encode("utf-8"))
    for name in ("taxonomy.yaml", "places_kr.yaml", "places_world.yaml"):
        digest.update(resources.files("transforms").joinpath("data", name).read_bytes())
    return digest.hexdigest()[:16]


def _stored_evidence(arrays: Any, ids: list[str]) -> dict[str, Evidence]:
    """The stored evidence of each item, when it was found with the rules of today."""
    if "evidence" not in arrays.files or str(arrays["rules"]) != rules_recipe():
        return {}
    return {
        item_id: _evidence_from_row(row)
        for item_id, row in zip(ids, arrays["evidence"], strict=True)
        if not np.isnan(row).any()
    }


def _evidence_row(evidence: Evidence | None) -> np.ndarray:
    """The evidence's raw numbers (NaN for none): each focus area's score, then the rest."""
    if evidence is None:
        return np.full(len(FOCUS_AREAS) + 4, np.nan, dtype=np.float32)
    scores = [evidence.focus.get(area, 0.0) for area in FOCUS_AREAS]
    rest = [evidence.relevance, evidence.context, evidence.rules_smart, evidence.business]
    return np.array([*scores, *rest], dtype=np.float32)


def _evidence_from_row(row: np.ndarray) -> Evidence:
    areas = len(FOCUS_AREAS)
    return Evidence(
        focus={area: float(row[i]) for i, area in enumerate(FOCUS_AREAS) if row[i]},
        relevance=float(row[areas]),
        context=bool(row[areas + 1]),
        rules_smart=bool(row[areas + 2]),
        business=float(row[areas + 3]),
    )


def embedding_recipe() -> str:
    """How an opening is embedded; stored embeddings are only valid for the same recipe."""
    return f"{ENCODER}; quick and full; title + {OPENING_CHARS} characters"


def add_grown(labels: Path, texts: Path, folder: Path = DATA) -> Grown:
    """Add newly labelled items: their labels kept, their text embedded and read by the rules,
    then left outside. Known items found in ``texts`` get their rules' evidence found again.

    Args:
        labels: JSON Lines of labelled items (the labelled folder's fields; title and summary
            are ignored here).
        texts: JSON Lines with the same ids: id, source_url, title, summary (read, not kept).
        folder: where the grown files live.

    Returns:
        How many items were added, and how many known ones got their evidence again.

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
    stored = read_grown(folder)
    known = {item.id: item for item in stored}
    new = [r for r in records if r["id"] not in known]
    for record in new:
        item_from_record(record)  # validates the labels
        text = text_of.get(record["id"])
        if text is None or text["source_url"] != record["source_url"]:
            raise ValueError(f"{record['id']}: no text with the same address in {texts}")
    again = {
        item.id: _evidence_of(text_of[item.id])
        for item in stored
        if item.id in text_of and text_of[item.id]["source_url"] == item.url
    }
    if not new and not again:
        return Grown(0, 0)
    openings = [opening_text(text_of[r["id"]]["title"], text_of[r["id"]]["summary"]) for r in new]
    embeddings = {
        stage: embed(openings, ENCODERS[stage]) if openings else np.zeros((0, 512), np.float32)
        for stage in STAGES
    }
    evidence = [again.get(item.id, item.evidence) for item in stored]
    evidence += [_evidence_of(text_of[r["id"]]) for r in new]
    _append(folder, new, embeddings, evidence)
    return Grown(len(new), len(again))


def _evidence_of(text: dict[str, str]) -> Evidence:
    # a grown item's text is its title and lead, as a labelled item's is
    return rule_evidence(text["title"], text["summary"])


def _append(
    folder: Path,
    records: list[dict],
    embeddings: dict[str, np.ndarray],
    evidence: list[Evidence | None],
) -> None:
    """Append the new records and their embeddings; write every item's evidence (known items
    first, in stored order)."""
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
        rules=np.array(rules_recipe()),
        evidence=np.vstack([_evidence_row(e) for e in evidence]),
        # as np.load reads it back (and named, so the arrays below can only be arrays)
        allow_pickle=False,
        **{
            f"embeddings_{stage}": np.vstack([stored[stage], embeddings[stage].astype(np.float16)])
            for stage in STAGES
        },
    )
