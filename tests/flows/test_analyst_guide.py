"""Every query in docs/analyst-guide.md runs against a real ingest (so the guide stays true)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analyst-guide.md"
TEXT = GUIDE.read_text(encoding="utf-8")
SQL = re.findall(r"```sql\n(.*?)```", TEXT, flags=re.S)
# queries run read-only on the shared ingest; the guide's writes run on a copy of it
QUERIES = [sql for sql in SQL if "insert into" not in sql]
WRITES = [sql for sql in SQL if "insert into" in sql]
PYTHON = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)
COMMANDS = [
    line.removeprefix(".venv/bin/cityradar ").split("#")[0].strip()
    for block in re.findall(r"```sh\n(.*?)```", TEXT, flags=re.S)
    for line in block.splitlines()
    if line.startswith(".venv/bin/cityradar ")
]
# these must find rows in the shared ingest (the week query uses fixed dates, the data moves)
EXPECT_ROWS = (
    "unnest(cities)",
    "item_cities",
    "org_type in",
    "source_health\nwhere",
    "item_attachments",
    "from source_runs",
    "from weekly_counts",
    "from weekly_totals",
    "previous_four_weeks_avg",
    "reported_by",
    "from search(",
)


def test_the_guide_has_its_worked_queries():
    assert len(QUERIES) >= 6


@pytest.mark.parametrize("sql", QUERIES, ids=[f"query{n}" for n in range(len(QUERIES))])
def test_each_guide_query_runs(ingested, sql):
    with duckdb.connect(str(ingested.db_path), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    if any(marker in sql for marker in EXPECT_ROWS):
        assert rows, sql


@pytest.fixture
def analyst_folder(ingested, tmp_path, monkeypatch):
    """A folder laid out as the guide assumes: the warehouse at data/cityradar.duckdb."""
    (tmp_path / "data").mkdir()
    shutil.copy(ingested.db_path, tmp_path / "data" / "cityradar.duckdb")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CITYRADAR_DB", raising=False)
    monkeypatch.delenv("CITYRADAR_DATA_DIR", raising=False)
    return tmp_path


def test_the_guide_shows_python_and_each_analyst_command():
    assert PYTHON
    assert {command.split()[0] for command in COMMANDS} == {
        "snapshot",
        "export",
        "search",
        "label",
    }
    assert WRITES


def _guide_query(marker):
    (sql,) = [sql for sql in SQL if marker in sql]
    return sql


def _story_to_correct(con):
    """ITEM_ID of the guide's example: a story its query finds (smart-city, no focus area), or,
    as the sample sites give every smart-city story a focus area, the first smart-city story."""
    found = con.execute(_guide_query("len(focus_areas) = 0")).fetchall()
    if found:
        return found[0][0]
    return con.execute(
        "select item_id from items where is_smart_city order by item_id limit 1"
    ).fetchall()[0][0]


def test_the_python_snippet_opens_the_file_read_only(analyst_folder):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for snippet in PYTHON:
            exec(compile(snippet, str(GUIDE), "exec"), {})
    ((stories, week),) = eval(printed.getvalue())
    assert stories > 0
    assert re.fullmatch(r"\d{4}-W\d{2}", week)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_guide_command_runs(analyst_folder, command):
    if command.startswith("label"):
        with duckdb.connect("data/cityradar.duckdb", read_only=True) as con:
            command = command.replace("ITEM_ID", _story_to_correct(con))
    result = CliRunner().invoke(app, shlex.split(command))
    assert result.exit_code == 0, result.output
    if command.startswith("label"):
        with duckdb.connect("data/cityradar.duckdb", read_only=True) as con:
            (corrected,) = con.execute(_guide_query("where corrected")).fetchall()
            analyst_rows = con.execute(_guide_query("tag_source = 'analyst'")).fetchall()
        assert corrected[2] == ["governance", "ai_data"]
        assert corrected[4] == "national programme: data hub call"
        assert {(row[1], row[2]) for row in analyst_rows} == {
            ("governance", "analyst"),
            ("ai_data", "analyst"),
        }
    elif command.startswith("search"):
        assert re.match(r"[1-9]\d* stories contain ", result.output), result.output
    elif command.startswith("export"):
        assert list((analyst_folder / "data/parquet/items").glob("week=*/*.parquet"))
    else:
        assert (
            list(analyst_folder.glob("data/snapshots/*.duckdb"))
            or (analyst_folder / "mine.duckdb").exists()
        )


@pytest.mark.parametrize("sql", WRITES, ids=[f"write{n}" for n in range(len(WRITES))])
def test_each_guide_write_runs_on_a_read_write_connection(analyst_folder, sql):
    with duckdb.connect("data/cityradar.duckdb") as con:
        con.execute(sql)
        written = con.execute("select item_id, is_smart_city from tag_corrections").fetchall()
        shown = con.execute(
            "select item_id, is_smart_city from items where corrected order by item_id"
        ).fetchall()
    assert written  # the sample sites have a story the example corrects
    assert shown == sorted(written)  # and each correction shows in items
