"""Reclassify: every stored item re-tagged from its stored text, in one transaction."""

from __future__ import annotations

import pytest

from tests.helpers.warehouses import stale_warehouse, view_tags
from warehouse.db import connect
from warehouse.reclassify import reclassify


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "w.duckdb"
    return path, stale_warehouse(path)


def test_reclassify_restores_the_tags_the_current_taxonomy_gives(db):
    path, expected = db
    result = reclassify(path)
    assert result.items == 2
    assert result.items_per_second > 0
    assert (result.smart_before, result.smart_after) == (0, sum(row[3] for row in expected))
    with connect(path, read_only=True) as con:
        assert view_tags(con) == expected
        (attached,) = [row for row in view_tags(con) if row[0] == "보도자료"]
    assert "Incheon" in attached[1]  # the attachment's text counts, as at load time


def test_a_failure_half_way_changes_nothing(db, monkeypatch):
    path, _ = db
    with connect(path, read_only=True) as con:
        before = view_tags(con)

    def broken(*args, **kwargs):
        raise RuntimeError("taxonomy file is broken")

    monkeypatch.setattr("warehouse.reclassify.replace_tags", broken)
    with pytest.raises(RuntimeError):
        reclassify(path)
    with connect(path, read_only=True) as con:
        assert view_tags(con) == before
