"""Every query in docs/analyst-guide.md runs against a real ingest (so the guide stays true)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analyst-guide.md"
QUERIES = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
# these must find rows in the shared ingest (the week query uses fixed dates, the data moves)
EXPECT_ROWS = (
    "unnest(cities)",
    "item_cities",
    "org_type in",
    "source_health\nwhere",
    "item_attachments",
    "from source_runs",
)


def test_the_guide_has_its_worked_queries():
    assert len(QUERIES) >= 6


@pytest.mark.parametrize("sql", QUERIES, ids=[f"query{n}" for n in range(len(QUERIES))])
def test_each_guide_query_runs(ingested, sql):
    with duckdb.connect(str(ingested.db_path), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    if any(marker in sql for marker in EXPECT_ROWS):
        assert rows, sql
