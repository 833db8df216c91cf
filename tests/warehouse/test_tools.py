"""What analysts take out of the warehouse: search hits, Parquet exports and snapshots."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.helpers.batches import load_raws
from tests.helpers.stories import SEARCH_STORIES
from warehouse.db import connect
from warehouse.tools import analyst_views, export_parquet, search, search_stories, snapshot

runner = CliRunner()


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        load_raws(con, "20261120T000000Z-000001", SEARCH_STORIES)
    return path


def titles(hits):
    return [hit["title"] for hit in hits]


def test_search_finds_a_korean_word_inside_its_particles_title_hits_first(warehouse):
    hits = search(warehouse, ["횡단보도"])
    # the first story has the word in its title and summary, the second only in its summary
    assert titles(hits) == [SEARCH_STORIES[0]["title"], SEARCH_STORIES[1]["title"]]
    assert hits[0]["score"] > hits[1]["score"] > 0


def test_search_needs_every_term_and_folds_case(warehouse):
    assert titles(search(warehouse, ["autonomous", "SHUTTLE"])) == [SEARCH_STORIES[2]["title"]]
    assert titles(search(warehouse, ["횡단보도", "와이파이"])) == [SEARCH_STORIES[1]["title"]]
    assert search(warehouse, ["횡단보도", "shuttle"]) == []


def test_search_is_a_table_macro_in_sql(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select title, week from search('스마트 횡단보도')").fetchall()
    assert rows == [(SEARCH_STORIES[0]["title"], "2026-W47")]


def test_the_search_command_strips_particles_and_prints_the_stories(warehouse):
    result = runner.invoke(app, ["search", "부산시의 횡단보도를", "--db", str(warehouse)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 stories contain 부산시 + 횡단보도 (best first)"
    assert SEARCH_STORIES[0]["title"] in lines[1]
    assert "[Busan]" in lines[1]
    assert lines[2].strip() == SEARCH_STORIES[0]["link"]


def test_a_limited_search_still_counts_every_match(warehouse):
    found = search_stories(warehouse, ["횡단보도"], limit=1)
    assert found.total == 2
    assert titles(found.hits) == [SEARCH_STORIES[0]["title"]]  # the best one
    assert "matches" not in found.hits[0]
    assert search_stories(warehouse, ["횡단보도"], limit=5).total == 2


def test_the_search_command_says_how_many_matched_beyond_the_limit(warehouse):
    limited = runner.invoke(app, ["search", "횡단보도", "--limit", "1", "--db", str(warehouse)])
    assert limited.exit_code == 0, limited.output
    lines = limited.output.splitlines()
    assert lines[0] == "1 of 2 stories containing 횡단보도 (best first; --limit 2 shows all)"
    assert SEARCH_STORIES[0]["title"] in lines[1]
    assert len(lines) == 3  # one story: its line and its URL


def test_a_search_that_finds_nothing_names_the_warehouse_it_read(warehouse):
    result = runner.invoke(app, ["search", "스마트시티", "--db", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(f"No story in {warehouse} contains 스마트시티")


def test_after_the_demo_a_search_of_the_missing_default_warehouse_points_at_the_demos(
    warehouse, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CITYRADAR_DB", raising=False)
    monkeypatch.delenv("CITYRADAR_DATA_DIR", raising=False)
    (tmp_path / "data" / "demo").mkdir(parents=True)
    shutil.copyfile(warehouse, tmp_path / "data" / "demo" / "cityradar.duckdb")
    result = runner.invoke(app, ["search", "스마트시티"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: no warehouse at data/cityradar.duckdb: run `cityradar ingest` first "
        "(the demo's warehouse is data/demo/cityradar.duckdb: "
        "add --db data/demo/cityradar.duckdb)"
    )
    found = runner.invoke(app, ["search", "횡단보도", "--db", "data/demo/cityradar.duckdb"])
    assert found.stdout.splitlines()[0] == "2 stories contain 횡단보도 (best first)"


def test_the_search_command_without_a_warehouse_says_to_ingest_first(tmp_path):
    result = runner.invoke(app, ["search", "부산", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code != 0
    assert "run `cityradar ingest` first" in result.output


def test_export_writes_items_by_week_and_every_view_and_replaces_a_previous_export(
    warehouse, tmp_path
):
    folder = tmp_path / "parquet"
    (folder / "items" / "week=1999-W01").mkdir(parents=True)  # left from an older export
    done = export_parquet(warehouse, folder)
    assert (done.items, done.weeks) == (3, 2)
    weeks = sorted(p.name for p in (folder / "items").iterdir())
    assert weeks == ["week=2026-W46", "week=2026-W47"]
    with duckdb.connect() as con:
        exported = con.execute(
            f"select week, title from read_parquet('{folder}/items/*/*.parquet',"
            " hive_partitioning = true) order by title"
        ).fetchall()
        cities = con.execute(
            f"select distinct city from read_parquet('{folder}/item_cities.parquet')"
        ).fetchall()
        counted = con.execute(
            f"from read_parquet('{folder}/weekly_counts.parquet') order by all"
        ).fetchall()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        live = con.execute("from weekly_counts order by all").fetchall()
    assert exported == sorted(
        [("2026-W47", s["title"]) for s in SEARCH_STORIES[:2]]
        + [("2026-W46", SEARCH_STORIES[2]["title"])],
        key=lambda row: row[1],
    )
    assert cities == [("Busan",)]
    assert counted == live
    assert {row[0] for row in live} == {"2026-W46", "2026-W47"}
    assert {p.name for p in folder.glob("*.parquet")} >= {
        "sources.parquet",
        "source_health.parquet",
        "item_versions.parquet",
        "weekly_counts.parquet",
    }


def test_export_writes_every_analyst_view_with_attachments_and_deliveries(tmp_path):
    from tests.helpers.stories import STORY
    from warehouse.deliveries import Delivery, record

    attached = {
        **STORY,
        "attachments": [
            {
                "url": "https://www.busan.example.kr/f/1.hwpx",
                "name": "보도자료.hwpx",
                "kind": "hwpx",
                "bytes": 7697,
                "text": "세종 5-1생활권 자율주행 셔틀 실증",
            }
        ],
    }
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        load_raws(con, "b1", [attached])
        record(con, Delivery("2026-W47", "staff@example.org", "sent", 1, "<m1@cityradar>"))
        views = analyst_views(con)
    folder = export_parquet(db, tmp_path / "parquet").folder
    written = {p.name for p in folder.glob("*.parquet")}
    # every view of the warehouse (items by week), and the corrections table
    assert written == {f"{view}.parquet" for view in views if view != "items"} | {
        "tag_corrections.parquet"
    }
    assert {"item_attachments", "digest_deliveries", "places", "item_versions"} <= set(views)
    with duckdb.connect() as con:
        attachments = con.execute(
            f"select name, text from read_parquet('{folder}/item_attachments.parquet')"
        ).fetchall()
        sent = con.execute(
            f"select week, recipient, status, message_id"
            f" from read_parquet('{folder}/digest_deliveries.parquet')"
        ).fetchall()
    assert attachments == [("보도자료.hwpx", "세종 5-1생활권 자율주행 셔틀 실증")]
    assert sent == [("2026-W47", "staff@example.org", "sent", "<m1@cityradar>")]


def test_the_export_command_reports_what_it_wrote(warehouse, tmp_path):
    folder = tmp_path / "out"
    result = runner.invoke(app, ["export", "--parquet", str(folder), "--db", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert f"wrote 3 stories over 2 weeks to {folder}/" in result.output


def test_a_snapshot_holds_the_same_stories_and_views(warehouse, tmp_path):
    copy = snapshot(warehouse, tmp_path / "copy.duckdb")
    with duckdb.connect(str(copy), read_only=True) as con:
        titles_copied = con.execute("select title from items order by title").fetchall()
        found = con.execute("select count(*) from search('횡단보도')").fetchone()
    assert titles_copied == sorted((s["title"],) for s in SEARCH_STORIES)
    assert found == (2,)
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.slow  # a system test: it starts another process
def test_a_compat_snapshot_opens_in_the_older_duckdb_cli(warehouse, tmp_path):
    # the duckdb-cli wheel installs its `duckdb` next to the interpreter running the tests
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent))
    assert cli, "the duckdb-cli dev dependency is not installed"
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("v1."), version.stdout  # older than the library's 2.0
    result = runner.invoke(
        app, ["snapshot", "--compat", "--db", str(warehouse), "--out", str(tmp_path / "s.duckdb")]
    )
    assert result.exit_code == 0, result.output
    assert f"open it with: duckdb -readonly {tmp_path / 's.duckdb'}" in result.output
    shown = subprocess.run(
        [
            cli,
            "-readonly",
            "-csv",
            str(tmp_path / "s.duckdb"),
            "-c",
            "select week, count(*) as n from items group by week order by week",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.splitlines() == ["week,n", "2026-W46,1", "2026-W47,2"]
    refused = subprocess.run(
        [cli, "-readonly", str(warehouse), "-c", "select 1"], capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "newer version of DuckDB" in refused.stdout + refused.stderr
