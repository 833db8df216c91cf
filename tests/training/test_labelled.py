"""The labelled news and its split by a hash of the address."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from training.labelled import SPLITS, read_labelled, split_of


def test_a_split_depends_on_the_address_alone_and_never_changes():
    # the same address always lands in the same split, whatever else is in the folder
    urls = [f"https://example.go.kr/news/{n}" for n in range(2000)]
    first = [split_of(u) for u in urls]
    assert first == [split_of(u) for u in urls]
    shares = Counter(first)
    assert set(shares) == set(SPLITS)
    # 60 / 20 / 20 of 100 hash buckets, within sampling noise
    assert 0.55 < shares["train"] / len(urls) < 0.65
    assert 0.16 < shares["dev"] / len(urls) < 0.24
    assert 0.16 < shares["test"] / len(urls) < 0.24


def test_labels_are_read_with_their_split(tmp_path: Path):
    record = {
        "id": "X1",
        "source_url": "https://city.example/a",
        "source_name": "City",
        "language": "en",
        "title": "",
        "summary": "The city opens a data platform.",
        "cities": ["Seoul"],
        "focus_areas": ["ai_data"],
        "is_smart_city": True,
        "note": "written for the test",
    }
    (tmp_path / "a.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (item,) = read_labelled(tmp_path)
    assert (item.id, item.title, item.smart) == ("X1", "", True)
    assert item.focus == frozenset({"ai_data"})
    assert item.split == split_of("https://city.example/a")


def test_a_bad_line_is_named_by_file_and_line(tmp_path: Path):
    good = {"id": "X1", "source_url": "u", "language": "en", "is_smart_city": False}
    bad = {**good, "id": "X2", "focus_areas": ["teleportation"]}
    (tmp_path / "b.jsonl").write_text(
        json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"b\.jsonl line 2: unknown focus areas"):
        read_labelled(tmp_path)


def test_an_absent_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="no labelled items"):
        read_labelled(tmp_path / "missing")


def test_the_real_labelled_news_splits_about_60_20_20(labelled: Path):
    items = read_labelled(labelled)
    assert len(items) >= 952
    assert len({i.url for i in items}) == len(items)  # the files share no address
    counts = Counter(i.split for i in items)
    assert counts["train"] > counts["dev"] > 0
    assert counts["test"] > 150
    # both languages in the held-out split
    assert {i.language for i in items if i.split == "test"} == {"ko", "en"}
