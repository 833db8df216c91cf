"""The labelled evaluation sets, read from files: the written sets in eval/ and labelled real text.

Reading them is I/O, so it lives here; scoring what they hold is pure and stays in
transforms/evaluation.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from training.captured import read_captured
from transforms.evaluation import GoldItem

# the labelled evaluation sets live beside the code in a checkout, not in the installed package
EVAL_DIR = Path(__file__).resolve().parents[1] / "eval"
# The labelled sets the gate scores together: the tuning set and the two sets that were held out
# once each and scored before anything was changed for them (their headers keep those figures).
GATE_SETS = ("tagging_set.yaml", "holdout_1.yaml", "holdout_2.yaml")
# labelled real text, its text read from ../shared/realdata: (labels, what the set is for)
REAL_TEXT_SETS = (
    ("realdata_labels.yaml", "development: scored once, then tuned on"),
    ("realdata_holdout.yaml", "held out: never tuned on"),
)


def load_sets(paths: Iterable[Path]) -> list[GoldItem]:
    """Read several evaluation sets as one; item ids must be unique across them."""
    items = [item for path in paths for item in load_set(path)]
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"item id {item.id!r} appears twice in the evaluation sets")
        seen.add(item.id)
    return items


def load_realdata_set(labels: Path, realdata: Path) -> list[GoldItem]:
    """Labelled real items, their text read from the captured files under ``realdata``."""
    files: dict[str, dict[str, tuple[str, str, str]]] = {}
    items = []
    for entry in yaml.safe_load(labels.read_text(encoding="utf-8")):
        name, key = entry["file"], str(entry["key"])
        if name not in files:
            files[name] = read_captured(realdata / name)
        if key not in files[name]:
            raise ValueError(f"{labels}: no item {key!r} in {realdata / name}")
        title, summary, body = files[name][key]
        items.append(
            GoldItem(
                id=f"{name}#{key}",
                lang=entry["lang"],
                title=title,
                summary=summary,
                body=body,
                cities=frozenset(entry["cities"]),
                focus=frozenset(entry["focus"]),
                smart=bool(entry["smart"]),
                story=None,
            )
        )
    return items


def load_set(path: Path) -> list[GoldItem]:
    """Read one evaluation set."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        GoldItem(
            id=str(entry["id"]),
            lang=entry["lang"],
            title=entry["title"],
            summary=entry.get("summary", ""),
            body=entry.get("body", ""),
            cities=frozenset(entry["cities"]),
            focus=frozenset(entry["focus"]),
            smart=bool(entry["smart"]),
            story=entry.get("story"),
        )
        for entry in items
    ]
