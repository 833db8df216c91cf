"""docs/data-dictionary.md is generated from the warehouse and must match it."""

from __future__ import annotations

from pathlib import Path

from warehouse.dictionary import generate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


def test_the_data_dictionary_is_up_to_date(tmp_path):
    fresh = generate(tmp_path / "data-dictionary.md")
    assert DOCS.read_text(encoding="utf-8") == fresh, "run `make dictionary` and commit the result"


def test_the_dictionary_describes_every_view_with_its_grain(tmp_path):
    text = generate(tmp_path / "data-dictionary.md")
    for view in ("items", "weekly_counts", "item_versions", "source_health", "sources"):
        section = text.split(f"## `{view}`", 1)[1].split("\n## ", 1)[0]
        assert "Grain: one row per" in section
        assert "| `" in section  # its columns
    assert "| `cluster_id` | VARCHAR | Story cluster" in text
    assert "## `search(q)`" in text
