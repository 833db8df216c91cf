"""Warehouse files for tests: read from outside, held by another process, or left with stale tags."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from tests.helpers.batches import load_raws
from tests.helpers.factories import make_raw
from warehouse.db import connect


def query(path, sql, params=()):
    """Rows of ``sql`` read from the file as an analyst would (read-only, times in UTC)."""
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, list(params)).fetchall()


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
"""


def hold(path: Path, seconds: float, mode: str = "write") -> subprocess.Popen[str]:
    """Another process holding the DuckDB file (as a writer, or as an analyst reading it)."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "holding"
    return process


# two stories whose tags come from their text: one from its summary, one from its attachment
RETAG_STORIES = [
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


def view_tags(con):
    """(title, cities, focus areas, is smart-city) of every item, as the views show them."""
    return con.execute(
        "select title, cities, focus_areas, is_smart_city from items order by title"
    ).fetchall()


def stale_warehouse(path: Path) -> list[tuple]:
    """A warehouse of RETAG_STORIES whose tags an older taxonomy gave; returns the tags they should
    have (as the views show them)."""
    with connect(path) as con:
        load_raws(con, "b1", [make_raw(seq=n, **s) for n, s in enumerate(RETAG_STORIES)])
        expected = view_tags(con)
        # tags from an older taxonomy: wrong areas, no cities, not smart
        con.execute("delete from core.item_cities")
        con.execute("update core.item_focus_areas set focus_area = 'water'")
        con.execute("update core.items set is_smart_city = false")
    return expected
