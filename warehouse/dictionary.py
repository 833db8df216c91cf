"""docs/data-dictionary.md, generated from the warehouse's own comments (`make dictionary`)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import duckdb

from warehouse.db import connect, migrations, view_files

HEADER = """# Data dictionary

Generated from the database by `make dictionary` (warehouse/dictionary.py): every analyst view,
its grain and its columns, as `COMMENT ON` describes them in `warehouse/views/`, then the tables
analysts write (`warehouse/migrations/`). A test fails when this file and the database disagree.
Open the file read-only: `duckdb -readonly data/cityradar.duckdb`.
"""


def render(con: duckdb.DuckDBPyConnection) -> str:
    """The dictionary as Markdown, for the views of a migrated database."""
    grains = _grains()
    sections = [HEADER]
    views = con.execute(
        "select view_name, comment from duckdb_views()"
        " where not internal and schema_name = 'main' order by view_name"
    ).fetchall()
    for name, comment in views:
        sections.append(_view_section(con, name, comment or "", grains.get(name, "")))
    sections.append(_macro_section())
    tables = con.execute(
        "select table_name, comment from duckdb_tables()"
        " where not internal and schema_name = 'main' order by table_name"
    ).fetchall()
    for name, comment in tables:
        sections.append(_view_section(con, name, comment or "", grains.get(name, ""), kind="table"))
    return "\n".join(sections).rstrip() + "\n"


def generate(path: Path) -> str:
    """Build a fresh database in a temporary folder and render its dictionary into ``path``."""
    with tempfile.TemporaryDirectory() as folder, connect(Path(folder) / "dict.duckdb") as con:
        text = render(con)
    path.write_text(text, encoding="utf-8")
    return text


def _view_section(
    con: duckdb.DuckDBPyConnection, name: str, comment: str, grain: str, kind: str = ""
) -> str:
    rows = con.execute(
        "select column_name, data_type, comment from duckdb_columns()"
        " where table_name = ? and schema_name = 'main' order by column_index",
        [name],
    ).fetchall()
    title = f"## `{name}` ({kind})" if kind else f"## `{name}`"
    lines = [title, "", comment, ""]
    if grain:
        lines += [f"Grain: {grain}", ""]
    lines += ["| column | type | meaning |", "|---|---|---|"]
    lines += [f"| `{column}` | {type_} | {_cell(text)} |" for column, type_, text in rows]
    return "\n".join(lines) + "\n"


def _macro_section() -> str:
    return (
        "## `search(q)` (table macro)\n\n"
        "Full-text search: `select * from search('자율주행 버스')`. One row per story containing\n"
        "every space-separated term of `q` in its title, summary or body (case folded; Korean\n"
        "words match with their particles), ranked by BM25 `score`, with the story's `item_id`,\n"
        "`title`, `url`, `published_at`, `week`, `language`, `source_id`, `cities`,\n"
        "`focus_areas`, `is_smart_city` (with analysts' corrections) and `cluster_id`.\n"
    )


def _grains() -> dict[str, str]:
    """Each view's (and analyst table's) grain, from the comment line that opens its definition."""
    grains = {}
    sources = [sql for _, sql in view_files()] + [m.sql for m in migrations()]
    for sql in sources:
        for match in re.finditer(r"^-- (\w+): (one row per [^.;(\n]*)", sql, flags=re.M):
            grains[match.group(1)] = match.group(2).rstrip(".")
    return grains


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")
