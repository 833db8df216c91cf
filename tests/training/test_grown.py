"""Grown items: their labels and embeddings are kept, their text is not."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from training.grown import EMBEDDINGS_FILE, LABELS_FILE, Grown, add_grown, read_grown
from transforms.embedding import encode, opening_text, quick_encode
from transforms.tagging import rule_evidence

TITLE = "Harbour city installs leak sensors on its water mains"
SUMMARY = "The utility says acoustic sensors found forty leaks in the first month."


def _write(folder: Path, url: str = "https://news.example/leaks") -> tuple[Path, Path]:
    labels = folder / "new.labels.jsonl"
    texts = folder / "new.text.jsonl"
    label = {
        "id": "GT001",
        "source_url": url,
        "source_name": "News",
        "language": "en",
        "cities": [],
        "focus_areas": ["water"],
        "is_smart_city": True,
        "note": "written for the test",
        "query": "leak sensors city",
    }
    labels.write_text(json.dumps(label) + "\n", encoding="utf-8")
    text = {"id": "GT001", "source_url": url, "title": TITLE, "summary": SUMMARY}
    texts.write_text(json.dumps(text) + "\n", encoding="utf-8")
    return labels, texts


def _rewrite_arrays(
    store: Path, change: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
) -> None:
    """Write the store's embeddings file again as ``change`` makes it (an older or other file)."""
    with np.load(store / EMBEDDINGS_FILE) as arrays:
        saved = dict(arrays)
    np.savez_compressed(store / EMBEDDINGS_FILE, **change(saved))


def test_a_grown_item_keeps_labels_and_embedding_but_no_text(tmp_path: Path):
    store = tmp_path / "store"
    labels, texts = _write(tmp_path)
    assert add_grown(labels, texts, store) == Grown(added=1, refreshed=0)
    kept = (store / LABELS_FILE).read_text(encoding="utf-8")
    assert "GT001" in kept
    assert "leak sensors on its water mains" not in kept  # the title stays outside
    assert "acoustic sensors" not in kept  # so does the lead
    (item,) = read_grown(store)
    assert item.focus == frozenset({"water"})
    assert item.smart
    opening = [opening_text(TITLE, SUMMARY)]
    # float16 on disk: the same direction
    assert float(item.embeddings["full"] @ encode(opening)[0]) > 0.999
    assert float(item.embeddings["quick"] @ quick_encode(opening)[0]) > 0.999
    # the rules' evidence, as training finds it for a labelled item with this text
    assert item.evidence is not None
    assert item.evidence.vector() == pytest.approx(rule_evidence(TITLE, SUMMARY).vector())
    assert item.evidence.focus.get("water", 0.0) > 0


def test_adding_the_same_items_again_adds_nothing_and_finds_their_evidence_again(tmp_path: Path):
    store = tmp_path / "store"
    labels, texts = _write(tmp_path)
    add_grown(labels, texts, store)
    assert add_grown(labels, texts, store) == Grown(added=0, refreshed=1)
    assert len(read_grown(store)) == 1
    assert (store / LABELS_FILE).read_text("utf-8").count("GT001") == 1


def test_evidence_found_with_other_rules_is_not_used_until_found_again(tmp_path: Path):
    store = tmp_path / "store"
    labels, texts = _write(tmp_path)
    add_grown(labels, texts, store)
    _rewrite_arrays(store, lambda saved: {**saved, "rules": np.array("rules of another taxonomy")})
    (item,) = read_grown(store)
    assert item.evidence is None  # the embedding still counts
    assert item.embeddings["full"].shape == (512,)
    add_grown(labels, texts, store)
    (item,) = read_grown(store)
    assert item.evidence is not None


def test_files_grown_before_evidence_was_kept_still_read(tmp_path: Path):
    store = tmp_path / "store"
    labels, texts = _write(tmp_path)
    add_grown(labels, texts, store)
    _rewrite_arrays(
        store, lambda saved: {k: v for k, v in saved.items() if k not in ("rules", "evidence")}
    )
    (item,) = read_grown(store)
    assert item.evidence is None


def test_a_label_without_its_text_is_refused(tmp_path: Path):
    labels, _ = _write(tmp_path)
    (tmp_path / "other").mkdir()
    _, texts = _write(tmp_path / "other", url="https://news.example/another")
    with pytest.raises(ValueError, match="no text with the same address"):
        add_grown(labels, texts, tmp_path / "store")


def test_embeddings_of_another_recipe_are_refused(tmp_path: Path):
    store = tmp_path / "store"
    labels, texts = _write(tmp_path)
    add_grown(labels, texts, store)
    _rewrite_arrays(store, lambda saved: {**saved, "recipe": np.array("another encoder")})
    with pytest.raises(ValueError, match="embed the grown items again"):
        read_grown(store)


def test_the_committed_grown_items_read_and_carry_thin_classes():
    items = read_grown()
    assert len(items) >= 280
    robotics = sum("robotics" in i.focus for i in items)
    water = sum("water" in i.focus for i in items)
    assert robotics >= 40
    assert water >= 40
    assert all(i.embeddings["full"].shape == (512,) for i in items)
    assert all(i.embeddings["quick"].shape == (512,) for i in items)
