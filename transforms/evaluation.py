"""The tagging quality gate: the labelled evaluation set, scored per label and per language.

Pure scoring: the sets are read from their files by training/eval_sets.py.

Cities and focus areas are scored as micro-averaged precision, recall and F1 over (item, label)
pairs; relevance as accuracy; clustering as pairwise precision and recall over the stories the
set marks as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from transforms import clusters
from transforms.tagging import ItemText, Tags, tag_item, tag_items

LANGUAGES = ("all", "ko", "en")
# What the issue asks of cityradar, in both languages.
TARGETS = {"city.f1": 0.90, "focus.f1": 0.75, "relevance.accuracy": 0.92}
# A change may not lower a stored figure by more than this.
TOLERANCE = 0.02


@dataclass(frozen=True)
class GoldItem:
    """One labelled item of the evaluation set."""

    id: str
    lang: str
    title: str
    summary: str
    body: str
    cities: frozenset[str]
    focus: frozenset[str]
    smart: bool
    story: str | None


@dataclass(frozen=True)
class Prediction:
    """What the tagger said about one item."""

    cities: frozenset[str]
    focus: frozenset[str]
    smart: bool


@dataclass
class Counts:
    """True positives, false positives and false negatives of one label set."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: frozenset[str], predicted: frozenset[str]) -> None:
        """Count one item's labels."""
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 1.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class LanguageScores:
    """All scores of one language slice."""

    items: int = 0
    city: Counts = field(default_factory=Counts)
    focus: Counts = field(default_factory=Counts)
    per_area: dict[str, Counts] = field(default_factory=dict)
    relevance_correct: int = 0
    smart: Counts = field(default_factory=Counts)  # the smart-city flag as a label
    clustering: Counts = field(default_factory=Counts)

    @property
    def relevance_accuracy(self) -> float:
        """Share of items whose smart-city flag is right."""
        return self.relevance_correct / self.items if self.items else 1.0


@dataclass
class EvalReport:
    """Scores by language, and the items the tagger got wrong."""

    scores: dict[str, LanguageScores]
    mistakes: list[tuple[str, str]] = field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        """Flat figures for the baseline: '<lang>.<metric>' -> value."""
        flat: dict[str, float] = {}
        for lang, s in self.scores.items():
            flat[f"{lang}.city.f1"] = round(s.city.f1, 4)
            flat[f"{lang}.focus.f1"] = round(s.focus.f1, 4)
            flat[f"{lang}.relevance.accuracy"] = round(s.relevance_accuracy, 4)
            flat[f"{lang}.smart.precision"] = round(s.smart.precision, 4)
            flat[f"{lang}.smart.recall"] = round(s.smart.recall, 4)
            flat[f"{lang}.cluster.precision"] = round(s.clustering.precision, 4)
            flat[f"{lang}.cluster.recall"] = round(s.clustering.recall, 4)
        return flat


def predict(item: GoldItem) -> Prediction:
    """The tagger's answer for one item (no source defaults: the text alone)."""
    return prediction_of(tag_item(item.title, item.summary, item.body))


def prediction_of(tags: Tags) -> Prediction:
    """What the evaluation compares of a tagger's tags: cities (not regions), areas, the flag."""
    return Prediction(
        cities=frozenset(t.value for t in tags.cities if _is_city(t.value)),
        focus=frozenset(t.value for t in tags.focus_areas),
        smart=tags.is_smart_city,
    )


def predict_all(items: list[GoldItem]) -> Callable[[GoldItem], Prediction]:
    """A tagger for `evaluate` that tags the whole set in batches first (embeddings are faster
    together), then answers from what it found."""
    found: dict[str, Prediction] = {}
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        tagged = tag_items([ItemText(i.title, i.summary, i.body) for i in batch])
        found.update({i.id: prediction_of(t) for i, t in zip(batch, tagged, strict=True)})
    return lambda item: found[item.id]


BATCH = 64


def evaluate(
    items: list[GoldItem], tagger: Callable[[GoldItem], Prediction] = predict
) -> EvalReport:
    """Score the tagger and the clustering on the set."""
    scores = {lang: LanguageScores() for lang in LANGUAGES}
    mistakes: list[tuple[str, str]] = []
    predictions = [tagger(item) for item in items]
    for item, guess in zip(items, predictions, strict=True):
        for lang in ("all", item.lang):
            s = scores[lang]
            s.items += 1
            s.city.add(item.cities, guess.cities)
            s.focus.add(item.focus, guess.focus)
            for area in item.focus | guess.focus:
                s.per_area.setdefault(area, Counts()).add(item.focus & {area}, guess.focus & {area})
            s.relevance_correct += item.smart == guess.smart
            s.smart.add(_flag(item.smart), _flag(guess.smart))
        mistakes.extend(_mistakes(item, guess))
    _score_clusters(items, predictions, scores)
    return EvalReport(scores, mistakes)


def _score_clusters(
    items: list[GoldItem], predictions: list[Prediction], scores: dict[str, LanguageScores]
) -> None:
    ids = [item.id for item in items]
    signatures = [
        clusters.signature(clusters.story_text(i.title, i.summary, i.body)) for i in items
    ]
    keys = [None if s is None else clusters.band_keys(s) for s in signatures]
    found = clusters.cluster(ids, keys, [guess.cities for guess in predictions])
    lang_of = {item.id: item.lang for item in items}
    gold_groups: dict[str, list[str]] = {}
    for item in items:
        if item.story:
            gold_groups.setdefault(item.story, []).append(item.id)
    predicted_groups: dict[str, list[str]] = {}
    for item_id, cluster_id in found.items():
        predicted_groups.setdefault(cluster_id, []).append(item_id)
    gold = clusters.pairs_of(gold_groups.values())
    predicted = clusters.pairs_of(predicted_groups.values())
    for lang in LANGUAGES:

        def keep(pairs: set[frozenset[str]], lang: str = lang) -> set[frozenset[str]]:
            return {p for p in pairs if lang == "all" or all(lang_of[i] == lang for i in p)}

        counts = scores[lang].clustering
        g, p = keep(gold), keep(predicted)
        counts.tp, counts.fp, counts.fn = len(g & p), len(p - g), len(g - p)


def _flag(smart: bool) -> frozenset[str]:
    return frozenset({"smart"}) if smart else frozenset()


def _is_city(name: str) -> bool:
    from transforms.vocabularies import gazetteer

    place = gazetteer().places.get(name)
    return place is not None and place.kind == "city"


def _mistakes(item: GoldItem, guess: Prediction) -> Iterable[tuple[str, str]]:
    if item.cities != guess.cities:
        yield item.id, f"cities {sorted(guess.cities)} != gold {sorted(item.cities)}"
    if item.focus != guess.focus:
        yield item.id, f"focus {sorted(guess.focus)} != gold {sorted(item.focus)}"
    if item.smart != guess.smart:
        yield item.id, f"smart {guess.smart} != gold {item.smart}"


def format_report(report: EvalReport, show_mistakes: bool = False) -> str:
    """The report as a text table: per language, then per focus area."""
    lines = [
        f"{'':10} {'items':>5}  {'city P':>6} {'R':>5} {'F1':>5}  {'focus P':>7} {'R':>5} {'F1':>5}"
        f"  {'relev.':>6} {'smart P':>7} {'R':>5}  {'clust P':>7} {'R':>5}"
    ]
    for lang in LANGUAGES:
        s = report.scores[lang]
        if not s.items:
            lines.append(f"{lang:10} {0:>5}  (no items)")
            continue
        lines.append(
            f"{lang:10} {s.items:>5}  {s.city.precision:6.3f} {s.city.recall:5.3f} {s.city.f1:5.3f}  "
            f"{s.focus.precision:7.3f} {s.focus.recall:5.3f} {s.focus.f1:5.3f}  "
            f"{s.relevance_accuracy:6.3f} {s.smart.precision:7.3f} {s.smart.recall:5.3f}  "
            f"{s.clustering.precision:7.3f} {s.clustering.recall:5.3f}"
        )
    lines.append("")
    lines.append(f"{'focus area':16} " + "  ".join(f"{lang + ' P/R/F1':>17}" for lang in LANGUAGES))
    areas = sorted({a for s in report.scores.values() for a in s.per_area})
    for area in areas:
        cells = []
        for lang in LANGUAGES:
            c = report.scores[lang].per_area.get(area, Counts())
            cells.append(f"{c.precision:5.2f}/{c.recall:4.2f}/{c.f1:4.2f}")
        lines.append(f"{area:16} " + "  ".join(f"{cell:>17}" for cell in cells))
    if show_mistakes:
        lines.append("")
        lines.extend(f"{item_id}: {what}" for item_id, what in report.mistakes)
    return "\n".join(lines)


def check_against(metrics: dict[str, float], baseline: dict[str, Any]) -> list[str]:
    """Figures that fell more than TOLERANCE below the baseline or miss a target."""
    problems = []
    for name, stored in baseline.items():
        if name in metrics and metrics[name] < stored - TOLERANCE:
            problems.append(f"{name} fell to {metrics[name]:.3f} (baseline {stored:.3f})")
    for lang in LANGUAGES:
        for metric, target in TARGETS.items():
            value = metrics.get(f"{lang}.{metric}", 0.0)
            if value < target:
                problems.append(f"{lang}.{metric} is {value:.3f}, below the target {target:.2f}")
    return problems
