"""The learned half of the tagger: heads over embeddings, fused with the rules' evidence.

For each label (smart-city relevance, and each focus area) two small logistic models were trained
on real labelled news (`cityradar train`, package training/):

1. the *embedding head* reads the 512 numbers of the story opening's embedding;
2. the *fusion head* reads that head's score beside what the rules found in the same opening
   (each focus area's term score, the relevance terms, an urban or public context, the rules'
   own verdict) and how the nearest labelled examples are labelled.

So the rules keep what they do well — precise terms, hard negatives, explanations — and the
embedding recalls what no term list thought of.

There are two such sets of heads, two *stages*: the *quick* stage reads the quick embedding
(transforms/embedding.py: about 0.2 ms a story), the *full* stage the full encoder's (about
4 ms). Every story is decided by the quick stage first; a story whose smart-city probability falls
inside the *band* — where the quick stage is unsure — is decided again by the full stage. On the
dev split the band was chosen as the narrowest that decides as well as the full stage alone.
Thresholds were chosen on the dev split. The heads and the labelled examples' embeddings (no
text) live in transforms/data/learned/.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from transforms.embedding import encode, quick_encode
from transforms.vocabularies import FOCUS_AREAS

SMART = "smart_city"
LABELS: tuple[str, ...] = (SMART, *FOCUS_AREAS)
QUICK, FULL = "quick", "full"
STAGES: tuple[str, ...] = (QUICK, FULL)
ENCODERS: dict[str, Callable[[list[str]], np.ndarray]] = {QUICK: quick_encode, FULL: encode}
HEADS_FILE = "heads.json"
EXAMPLES_FILE = "examples.npz"
NEAREST_SHOWN = 3  # labelled examples named in a learned decision's reasons
# the real labelled news beside a checkout (../shared/labelled): the examples' titles, when present
LABELLED_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "labelled"


@dataclass(frozen=True)
class Evidence:
    """What the rules found in a story's opening, as numbers a head can weigh."""

    focus: dict[str, float]  # focus area -> rule score (0 when no term matched)
    relevance: float  # the smart-city terms' score
    context: bool  # an urban or public-sector context was named
    rules_smart: bool  # the rules' own verdict
    business: float = 0.0  # market and consumer-business words' score (evidence against)

    def vector(self) -> list[float]:
        """The evidence in the fixed order of EVIDENCE_NAMES (scores on a log scale)."""
        return [
            *(float(np.log1p(self.focus.get(area, 0.0))) for area in FOCUS_AREAS),
            float(np.log1p(self.relevance)),
            float(self.context),
            float(self.rules_smart),
            float(np.log1p(self.business)),
        ]


EVIDENCE_NAMES: tuple[str, ...] = (
    *(f"rules:{area}" for area in FOCUS_AREAS),
    "rules:relevance",
    "rules:context",
    "rules:smart_city",
    "rules:business",
)


@dataclass(frozen=True)
class Example:
    """A labelled item near a story: its id, address, similarity and labels."""

    id: str
    url: str
    similarity: float
    smart: bool
    focus: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """The fused probabilities of one story and the labels they decide."""

    smart_probability: float
    is_smart_city: bool
    focus_probabilities: dict[str, float]
    focus_areas: tuple[str, ...]  # decided areas, most probable first (empty unless smart)
    nearest: tuple[Example, ...]
    stage: str  # quick | full: which heads decided


@dataclass(frozen=True)
class Head:
    """One label's two logistic models and its decision threshold."""

    embedding_weights: np.ndarray  # (512,)
    embedding_bias: float
    fusion_weights: np.ndarray  # embedding score, evidence (EVIDENCE_NAMES), neighbours' vote
    fusion_bias: float
    threshold: float


@dataclass(frozen=True)
class Examples:
    """The labelled examples the heads were trained on: labels and embeddings, no text."""

    ids: np.ndarray  # (n,) str
    urls: np.ndarray  # (n,) str
    labels: np.ndarray  # (n, len(LABELS)) bool
    embeddings: dict[str, np.ndarray]  # stage -> (n, 512) float32, unit length

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class LearnedModel:
    """Both stages' heads, the labelled examples, the band, and how focus areas are chosen."""

    heads: dict[str, dict[str, Head]]  # stage -> label -> head
    examples: Examples
    band: tuple[float, float]  # quick smart-city probabilities the full stage decides again
    neighbours: int  # labelled examples whose labels vote (kNN feature)
    temperature: float  # how sharply similarity weighs a neighbour's vote
    focus_at_most: int
    meta: dict[str, Any]

    def decide_openings(
        self, openings: Sequence[str], evidence: Sequence[Evidence]
    ) -> list[Decision]:
        """Decisions for a batch of story openings: the quick stage first, the full stage again
        for those the quick stage is unsure of."""
        decisions = self.decide(QUICK, quick_encode(list(openings)), evidence)
        unsure = [i for i, d in enumerate(decisions) if self.unsure(d.smart_probability)]
        if unsure:
            again = self.decide(
                FULL, encode([openings[i] for i in unsure]), [evidence[i] for i in unsure]
            )
            for index, decision in zip(unsure, again, strict=True):
                decisions[index] = decision
        return decisions

    def unsure(self, quick_probability: float) -> bool:
        """Whether the quick stage's smart-city probability lies inside the band."""
        low, high = self.band
        return low < quick_probability < high

    def decide(
        self, stage: str, embeddings: np.ndarray, evidence: Sequence[Evidence]
    ) -> list[Decision]:
        """One stage's decisions for a batch (embeddings of that stage as rows)."""
        if len(evidence) == 0:
            return []
        probabilities, similarity = self.probabilities(stage, embeddings, evidence)
        nearest = np.argsort(-similarity, axis=1)[:, :NEAREST_SHOWN]
        return [
            self._decision(stage, row, probabilities, similarity[row], nearest[row])
            for row in range(len(evidence))
        ]

    def probabilities(
        self, stage: str, embeddings: np.ndarray, evidence: Sequence[Evidence]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each label's fused probability (columns in LABELS order) and the similarity of each
        story to each example, in one stage."""
        rules = np.array([e.vector() for e in evidence], dtype=np.float32)
        similarity = embeddings @ self.examples.embeddings[stage].T
        votes = neighbour_votes(similarity, self.examples.labels, self.neighbours, self.temperature)
        columns = [
            fuse(self.heads[stage][label], embeddings, rules, votes[:, index])
            for index, label in enumerate(LABELS)
        ]
        return np.column_stack(columns), similarity

    def _decision(
        self,
        stage: str,
        row: int,
        probabilities: np.ndarray,
        similarity: np.ndarray,
        nearest: np.ndarray,
    ) -> Decision:
        smart_p = float(probabilities[row, 0])
        is_smart = smart_p >= self.heads[stage][SMART].threshold
        focus_p = {area: float(probabilities[row, 1 + i]) for i, area in enumerate(FOCUS_AREAS)}
        return Decision(
            smart_probability=smart_p,
            is_smart_city=is_smart,
            focus_probabilities=focus_p,
            focus_areas=self.choose_focus(stage, focus_p) if is_smart else (),
            nearest=tuple(self._example(i, float(similarity[i])) for i in nearest),
            stage=stage,
        )

    def choose_focus(self, stage: str, probabilities: dict[str, float]) -> tuple[str, ...]:
        """The areas of a smart-city story: those over their threshold, at least the most
        probable one (every smart-city story has a theme), at most `focus_at_most`."""
        ranked = sorted(probabilities, key=lambda area: -probabilities[area])
        chosen = [a for a in ranked if probabilities[a] >= self.heads[stage][a].threshold]
        return tuple((chosen or ranked[:1])[: self.focus_at_most])

    def _example(self, index: int, similarity: float) -> Example:
        labels = self.examples.labels[index]
        return Example(
            id=str(self.examples.ids[index]),
            url=str(self.examples.urls[index]),
            similarity=round(similarity, 3),
            smart=bool(labels[0]),
            focus=tuple(area for area, on in zip(FOCUS_AREAS, labels[1:], strict=True) if on),
        )


def neighbour_votes(
    similarity: np.ndarray, labels: np.ndarray, neighbours: int, temperature: float
) -> np.ndarray:
    """For each story and label, the similarity-weighted share of its nearest examples with it.

    Focus-area votes are counted among smart-city examples only (only they carry areas), so a
    story near many ordinary items still hears what its smart-city neighbours are about.
    """
    votes = np.empty((similarity.shape[0], labels.shape[1]), dtype=np.float32)
    votes[:, 0] = _vote(similarity, labels[:, :1], neighbours, temperature)[:, 0]
    smart = labels[:, 0]
    votes[:, 1:] = _vote(similarity[:, smart], labels[smart, 1:], neighbours, temperature)
    return votes


def _vote(similarity: np.ndarray, labels: np.ndarray, k: int, temperature: float) -> np.ndarray:
    k = min(k, similarity.shape[1])
    top = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    nearest = np.take_along_axis(similarity, top, axis=1)
    weights = np.exp(temperature * (nearest - nearest.max(axis=1, keepdims=True)))
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("qk,qkl->ql", weights, labels[top].astype(np.float32))


def fuse(head: Head, embeddings: np.ndarray, rules: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """One label's probability for each story: the embedding head's score, then the fusion head."""
    embedding_score = embeddings @ head.embedding_weights + head.embedding_bias
    inputs = np.column_stack([embedding_score, rules, votes])
    return _sigmoid(inputs @ head.fusion_weights + head.fusion_bias)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


@lru_cache(maxsize=1)
def learned_model() -> LearnedModel:
    """The heads and examples shipped in transforms/data/learned (loaded once)."""
    folder = resources.files("transforms").joinpath("data", "learned")
    spec = json.loads(folder.joinpath(HEADS_FILE).read_text("utf-8"))
    with folder.joinpath(EXAMPLES_FILE).open("rb") as stream, np.load(stream) as arrays:
        examples = examples_from_arrays(dict(arrays))
    return model_from_spec(spec, examples)


def examples_from_arrays(arrays: dict[str, np.ndarray]) -> Examples:
    """The examples as stored in examples.npz (embeddings quantised: ``quantised_rows``)."""
    return Examples(
        ids=arrays["ids"],
        urls=arrays["urls"],
        labels=arrays["labels"].astype(bool),
        embeddings={
            stage: restored_rows(arrays[f"embeddings_{stage}"], arrays[f"scales_{stage}"])
            for stage in STAGES
        },
    )


def quantised_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row as int8 and its scale: a quarter of float32's bytes (the examples file stays
    small enough for the repository), similarities within ~0.001 of the float ones."""
    scales = np.abs(vectors).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    return np.round(vectors / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def restored_rows(rows: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The float32 rows ``quantised_rows`` stored."""
    return rows.astype(np.float32) * scales[:, None]


def model_from_spec(spec: dict[str, Any], examples: Examples) -> LearnedModel:
    """A model from the heads file's content and the examples (training builds it this way too).

    Raises:
        ValueError: the file's labels, evidence or stages differ from this code's.
    """
    if (
        tuple(spec["labels"]) != LABELS
        or tuple(spec["evidence"]) != EVIDENCE_NAMES
        or tuple(spec["stages"]) != STAGES
    ):
        raise ValueError("the learned heads were trained for other labels or evidence: retrain")
    heads = {
        stage: {label: _head(h) for label, h in spec["stages"][stage].items()} for stage in STAGES
    }
    return LearnedModel(
        heads=heads,
        examples=examples,
        band=(float(spec["band"][0]), float(spec["band"][1])),
        neighbours=int(spec["neighbours"]),
        temperature=float(spec["temperature"]),
        focus_at_most=int(spec["focus_at_most"]),
        meta=spec.get("meta", {}),
    )


def _head(spec: dict[str, Any]) -> Head:
    return Head(
        embedding_weights=np.asarray(spec["embedding"]["weights"], dtype=np.float32),
        embedding_bias=float(spec["embedding"]["bias"]),
        fusion_weights=np.asarray(spec["fusion"]["weights"], dtype=np.float32),
        fusion_bias=float(spec["fusion"]["bias"]),
        threshold=float(spec["threshold"]),
    )


@lru_cache(maxsize=1)
def example_titles(folder: Path = LABELLED_FOLDER) -> dict[str, str]:
    """Titles of the labelled examples by id, where their text is at hand (else empty).

    The repository keeps no copied text, so a reason names an example by id and address, and
    adds its title only on a machine that has the labelled folder.
    """
    titles: dict[str, str] = {}
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            if record.get("id") and record.get("title"):
                titles[str(record["id"])] = str(record["title"])
    return titles


def release_learned() -> None:
    """Let go of the heads and examples (they load again on first use)."""
    learned_model.cache_clear()
