"""The project's written tagging set (eval/tagging_set.yaml) as training input: text items, or a
labelled folder in ../shared/labelled's format (always at hand, no ../shared needed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from training import dataset
from training.eval_sets import load_set
from training.labelled import split_of

WRITTEN = Path(__file__).resolve().parents[2] / "eval" / "tagging_set.yaml"


def written_text_items(split: Callable[[str], str] = split_of) -> list[dataset.TextItem]:
    """Each written item as a labelled text item at the address written:<id>, in ``split`` of
    that address (by default the labelled folder's hash split, so some fall in test)."""
    return [
        dataset.TextItem(
            g.id,
            f"written:{g.id}",
            "labelled",
            split(f"written:{g.id}"),
            g.lang,
            g.title,
            g.summary,
            g.body,
            g.smart,
            g.focus,
        )
        for g in load_set(WRITTEN)
    ]


def write_written_folder(folder: Path) -> list[dict[str, Any]]:
    """Write the written set into ``folder`` as a labelled folder's JSON Lines; the records."""
    records = [
        {
            "id": g.id,
            "source_url": f"written:{g.id}",
            "language": g.lang,
            "title": g.title,
            "summary": g.body,
            "cities": sorted(g.cities),
            "focus_areas": sorted(g.focus) if g.smart else [],
            "is_smart_city": g.smart,
        }
        for g in load_set(WRITTEN)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "written.jsonl").write_text("\n".join(json.dumps(r) for r in records), "utf-8")
    return records
