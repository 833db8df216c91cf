"""Opening the DuckDB file, numbered migrations (tables) and the analyst views (code)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file of warehouse/migrations."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All migrations shipped with the package, in order."""
    found = []
    for entry in resources.files("warehouse").joinpath("migrations").iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def view_files() -> list[tuple[str, str]]:
    """(file name, SQL) of every view file, in name order."""
    files = resources.files("warehouse").joinpath("views").iterdir()
    return sorted((f.name, f.read_text("utf-8")) for f in files if f.name.endswith(".sql"))


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations, each in its own transaction, then recreate the views.

    Returns:
        The versions applied now (empty when the file was up to date).
    """
    con.execute("create schema if not exists core")
    con.execute(
        "create table if not exists core.schema_migrations ("
        " version integer primary key, name varchar not null, applied_at timestamptz not null)"
    )
    done = {row[0] for row in con.execute("select version from core.schema_migrations").fetchall()}
    applied = []
    for migration in migrations():
        if migration.version in done:
            continue
        con.begin()
        try:
            con.execute(migration.sql)
            con.execute(
                "insert into core.schema_migrations values (?, ?, now())",
                [migration.version, migration.name],
            )
            con.commit()
        except Exception:
            con.rollback()
            raise
        applied.append(migration.version)
    refresh_views(con)
    return applied


def refresh_views(con: duckdb.DuckDBPyConnection) -> None:
    """Recreate every analyst view from warehouse/views/*.sql."""
    for name, sql in view_files():
        try:
            con.execute(sql)
        except duckdb.Error as exc:
            raise RuntimeError(f"view file {name} failed: {exc}") from exc


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; a writer also brings it up to date with the migrations.

    The connection is closed on exit, so the write lock is held only as long as needed.
    """
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()
