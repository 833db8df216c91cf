"""Real labelled news: reading ../shared/labelled and splitting it by a hash of the URL.

The split depends only on the item's address, so it never changes when items are added, and an
item's split is the same in every tool that asks. Tuning reads train and dev; only the final
report reads test.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson

from transforms.vocabularies import FOCUS_AREAS

# train below 60, dev below 80, test the rest (of 100 buckets)
TRAIN_BELOW, DEV_BELOW = 60, 80
SPLITS = ("train", "dev", "test")
# where the labelled folder sits beside a checkout (../shared/labelled)
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "labelled"


@dataclass(frozen=True)
class LabelledItem:
    """One real published item and its labels (LABELLING.md)."""

    id: str
    url: str
    language: str
    title: str
    summary: str
    cities: frozenset[str]
    focus: frozenset[str]
    smart: bool
    note: str = ""
    body: str = ""

    @property
    def split(self) -> str:
        """train, dev or test, from the URL alone."""
        return split_of(self.url)


def split_of(url: str) -> str:
    """The split an address belongs to: a stable hash of the URL exactly as stored."""
    bucket = int(hashlib.sha256(url.encode("utf-8")).hexdigest(), 16) % 100
    if bucket < TRAIN_BELOW:
        return "train"
    return "dev" if bucket < DEV_BELOW else "test"


def read_labelled(folder: Path = DEFAULT_FOLDER) -> list[LabelledItem]:
    """Every item of the labelled folder's JSON Lines files, in file order.

    Raises:
        FileNotFoundError: the folder (or every file in it) is missing.
        ValueError: a line is not a labelled item; the message names the file and line.
    """
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no labelled items (*.jsonl) in {folder}")
    return [item for path in files for item in _read_file(path)]


def _read_file(path: Path) -> Iterable[LabelledItem]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield item_from_record(json.loads(line))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path.name} line {number}: {error}") from None


def item_from_record(record: dict) -> LabelledItem:
    """A labelled item from its JSON record (the fields ../shared/labelled/README.md names)."""
    focus = frozenset(record.get("focus_areas") or ())
    unknown = focus - set(FOCUS_AREAS)
    if unknown:
        raise ValueError(f"unknown focus areas {sorted(unknown)}")
    return LabelledItem(
        id=str(record["id"]),
        url=str(record["source_url"]),
        language=str(record["language"]),
        title=str(record.get("title") or ""),
        summary=str(record.get("summary") or ""),
        cities=frozenset(record.get("cities") or ()),
        focus=focus,
        smart=bool(record["is_smart_city"]),
        note=str(record.get("note") or ""),
        body=str(record.get("body") or ""),
    )


def dumps(record: dict) -> str:
    """One JSON Lines row (UTF-8 kept readable)."""
    return orjson.dumps(record).decode("utf-8")
