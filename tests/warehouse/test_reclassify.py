"""Reclassify: every stored item re-tagged from its stored text, in one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_raw
from tests.helpers.batches import load_raws
from warehouse.db import connect
from warehouse.reclassify import reclassify

STORIES = [
    {
        "link": "https://a.example/1",
        "guid": "1",
        "title": "서울시, 심야 자율주행버스 확대",
        "summary_html": "강남역과 수서역을 잇는 자율주행 버스.",
    },
    {
        "link": "https://a.example/2",
        "guid": "2",
        "title": "보도자료",
        "summary_html": "첨부 참조",
        "attachments": [
            {
                "url": "https://a.example/f.hwpx",
                "name": "f.hwpx",
                "kind": "hwpx",
                "text": "인천 송도국제도시 스마트 가로등 설치 계획",
            }
        ],
    },
]


def tags(con):
    return con.execute(
        "select title, cities, focus_areas, is_smart_city from items order by title"
    ).fetchall()


def stale_warehouse(path: Path) -> list[tuple]:
    """A warehouse of STORIES whose tags an older taxonomy gave; returns the tags they should
    have (as the views show them)."""
    with connect(path) as con:
        load_raws(con, "b1", [make_raw(seq=n, **s) for n, s in enumerate(STORIES)])
        expected = tags(con)
        # tags from an older taxonomy: wrong areas, no cities, not smart
        con.execute("delete from core.item_cities")
        con.execute("update core.item_focus_areas set focus_area = 'water'")
        con.execute("update core.items set is_smart_city = false")
    return expected


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
        assert tags(con) == expected
        (attached,) = [row for row in tags(con) if row[0] == "보도자료"]
    assert "Incheon" in attached[1]  # the attachment's text counts, as at load time


def test_a_failure_half_way_changes_nothing(db, monkeypatch):
    path, _ = db
    with connect(path, read_only=True) as con:
        before = tags(con)

    def broken(*args, **kwargs):
        raise RuntimeError("taxonomy file is broken")

    monkeypatch.setattr("warehouse.reclassify.replace_tags", broken)
    with pytest.raises(RuntimeError):
        reclassify(path)
    with connect(path, read_only=True) as con:
        assert tags(con) == before
