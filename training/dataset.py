"""The training table: every labelled item as labels, an embedding and (where its text is at hand)
the rules' evidence, in the split it belongs to.

Three sources feed it: the real labelled folder (text at hand; split by URL hash), the items
grown from stored pages (embedding and the rules' evidence, no text; train), and analysts'
corrections from the warehouse (text at hand; train).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # grown items are embedded with this module's `embed`
    from training.grown import GrownItem
from training.labelled import LabelledItem
from transforms.embedding import opening_text
from transforms.learned import ENCODERS, LABELS, STAGES, Evidence
from transforms.tagging import rule_evidence
from transforms.vocabularies import FOCUS_AREAS

EMBED_BATCH = 256  # openings embedded at once


@dataclass(frozen=True)
class TrainingItem:
    """One row of the training table."""

    id: str
    url: str
    origin: str  # labelled | grown | correction
    split: str  # train | dev | test
    language: str
    labels: np.ndarray  # (len(LABELS),) bool: smart-city, then the focus areas
    embeddings: dict[str, np.ndarray]  # stage (quick, full) -> (512,) float32
    evidence: Evidence | None  # None for a grown item whose evidence is not stored (or stale)


@dataclass(frozen=True)
class TextItem:
    """An item whose text is at hand, with its labels (a labelled item or a correction)."""

    id: str
    url: str
    origin: str
    split: str
    language: str
    title: str
    summary: str
    body: str
    smart: bool
    focus: frozenset[str]


def label_vector(smart: bool, focus: Iterable[str]) -> np.ndarray:
    """Labels in LABELS order; focus areas count only on smart-city items (LABELLING.md)."""
    areas = set(focus) if smart else set()
    return np.array([smart, *(area in areas for area in FOCUS_AREAS)], dtype=bool)


def from_labelled(items: Sequence[LabelledItem]) -> list[TextItem]:
    """The labelled folder's items as text items, each in its URL's split."""
    return [
        TextItem(
            i.id,
            i.url,
            "labelled",
            i.split,
            i.language,
            i.title,
            i.summary,
            i.body,
            i.smart,
            i.focus,
        )
        for i in items
    ]


def build(text_items: Sequence[TextItem], grown: Sequence[GrownItem]) -> list[TrainingItem]:
    """Embed and read every text item, and add the grown items as they are stored."""
    openings = [opening_text(i.title, i.summary, i.body) for i in text_items]
    embedded = {stage: embed(openings, ENCODERS[stage]) for stage in STAGES}
    rows = [
        TrainingItem(
            id=item.id,
            url=item.url,
            origin=item.origin,
            split=item.split,
            language=item.language,
            labels=label_vector(item.smart, item.focus),
            embeddings={stage: embedded[stage][index] for stage in STAGES},
            evidence=rule_evidence(item.title, item.summary, item.body),
        )
        for index, item in enumerate(text_items)
    ]
    rows.extend(
        TrainingItem(
            id=g.id,
            url=g.url,
            origin="grown",
            split="train",
            language=g.language,
            labels=label_vector(g.smart, g.focus),
            embeddings=g.embeddings,
            evidence=g.evidence,
        )
        for g in grown
    )
    assert all(len(row.labels) == len(LABELS) for row in rows)
    return rows


def embed(texts: Sequence[str], encoder: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Embeddings of many texts, a batch at a time (rows in order)."""
    batches = [
        encoder(list(texts[start : start + EMBED_BATCH]))
        for start in range(0, len(texts), EMBED_BATCH)
    ]
    return np.vstack(batches) if batches else np.zeros((0, 512), dtype=np.float32)
