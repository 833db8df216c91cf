"""Migrations replay on an empty file; the analyst views keep their contract and explain themselves."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.db import connect, migrate, migrations

# DESIGN.md: renaming one of these is a breaking change.
ITEMS_CONTRACT = [
    ("item_id", "VARCHAR"),
    ("source_id", "VARCHAR"),
    ("url", "VARCHAR"),
    ("title", "VARCHAR"),
    ("summary", "VARCHAR"),
    ("body_text", "VARCHAR"),
    ("language", "VARCHAR"),
    ("published_at", "TIMESTAMP WITH TIME ZONE"),
    ("fetched_at", "TIMESTAMP WITH TIME ZONE"),
    ("cities", "VARCHAR[]"),
    ("countries", "VARCHAR[]"),
    ("focus_areas", "VARCHAR[]"),
    ("is_smart_city", "BOOLEAN"),
    ("cluster_id", "VARCHAR"),
]
VIEWS = {"items", "sources", "source_health", "item_cities", "item_focus_areas", "item_versions"}


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as connection:
        yield connection


def test_migrations_are_numbered_without_gaps():
    versions = [m.version for m in migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_an_empty_file_gets_every_migration_once(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        applied = con.execute("select version, name from core.schema_migrations").fetchall()
        assert applied == [(m.version, m.name) for m in migrations()]
    with connect(path) as con:
        assert migrate(con) == []  # nothing left to apply
        assert con.execute("select count(*) from core.schema_migrations").fetchone()[0] == len(
            applied
        )


def test_the_items_view_has_the_designed_columns_in_order(con):
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() where table_name = 'items' and schema_name = 'main'"
        " order by column_index"
    ).fetchall()
    assert columns[: len(ITEMS_CONTRACT)] == ITEMS_CONTRACT


def test_every_view_and_column_is_documented(con):
    views = dict(
        con.execute("select view_name, comment from duckdb_views() where not internal").fetchall()
    )
    assert set(views) >= VIEWS
    assert all(views[name] for name in VIEWS)
    undocumented = con.execute(
        "select table_name, column_name from duckdb_columns()"
        " where schema_name = 'main' and table_name in ? and comment is null",
        [sorted(VIEWS)],
    ).fetchall()
    assert undocumented == []


def test_every_view_file_states_its_grain():
    from warehouse.db import view_files

    for name, sql in view_files():
        assert "one row per" in sql.lower(), name


def test_a_reader_can_open_the_file_read_only(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    with connect(path, read_only=True) as reader:
        assert reader.execute("select count(*) from items").fetchone() == (0,)
        with pytest.raises(duckdb.Error):
            reader.execute("insert into core.batches values ('x', null, now(), 0, 0, 0, 0, 0, 0)")
