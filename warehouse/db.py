"""Opening the DuckDB file, numbered migrations (tables) and the analyst views (code)."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from warehouse.upgrades import UPGRADES

log = logging.getLogger(__name__)
T = TypeVar("T")

# Rows per row group of the file's tables, as the writer opens it. At DuckDB's default (122,880)
# a 100k-story batch stays one open row group per table, compressed at commit on one core; at
# 65,536 the inserts write whole row groups as they go, on every core (measured, 100k stories
# into a file of 1M: 2.95 s -> 2.42 s).
ROW_GROUP_SIZE = 65_536
# the name the writer gives the file; SQL never names it, so views read the same from any tool
_CATALOG = "warehouse"

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


def migrate(con: duckdb.DuckDBPyConnection, upto: int | None = None) -> list[int]:
    """Apply pending migrations, each in its own transaction, then recreate the views.

    Args:
        con: a read-write connection.
        upto: stop after this version (tests build files of an earlier schema with it); the
            views are then left alone, since they follow the newest schema.

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
        if upto is not None and migration.version > upto:
            break
        con.begin()
        try:
            con.execute(migration.sql)
            if migration.version in UPGRADES:
                UPGRADES[migration.version](con)
            con.execute(
                "insert into core.schema_migrations values (?, ?, now())",
                [migration.version, migration.name],
            )
            con.commit()
        except Exception:
            con.rollback()
            raise
        applied.append(migration.version)
    if upto is None:
        refresh_views(con, force=bool(applied))
    return applied


def refresh_views(con: duckdb.DuckDBPyConnection, force: bool = False) -> bool:
    """Recreate every analyst view from warehouse/views/*.sql, when their SQL changed.

    The file keeps a fingerprint of the view files it was given (core.views_applied), so a
    writer that opens an up-to-date file does not rewrite the catalog each time (0.08 s of
    every load). ``force`` recreates them anyway (after a migration). Returns True when it did.
    """
    files = view_files()
    fingerprint = hashlib.sha256("\0".join(f"{n}\0{sql}" for n, sql in files).encode()).hexdigest()
    stored = con.execute("select fingerprint from core.views_applied").fetchall()
    if not force and stored == [(fingerprint,)]:
        return False
    for name, sql in files:
        try:
            con.execute(sql)
        except duckdb.Error as exc:
            raise RuntimeError(f"view file {name} failed: {exc}") from exc
    con.execute("delete from core.views_applied")
    con.execute("insert into core.views_applied values (?, now())", [fingerprint])
    return True


def one_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...]:
    """The row of a query that always answers exactly one: an aggregate, an update's count.

    DuckDB types ``fetchone`` as maybe None; here None would be a broken query, so it raises.
    """
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise LookupError(f"the query answered no row: {sql}")
    return row


def stored_timezone(con: duckdb.DuckDBPyConnection) -> str | None:
    """The time zone the views' weeks are in (None for a file older than migration 0009)."""
    try:
        row = con.execute("select timezone from core.settings").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def store_timezone(con: duckdb.DuckDBPyConnection, timezone: str) -> None:
    """Make the views' weeks (items.week, week_start, weekly_totals...) follow ``timezone``.

    The setting lives in the file (core.settings) rather than in each view's SQL so that every
    tool that opens the file, the digest included, reads the same weeks. A name DuckDB does not
    know would break every view, so it is refused before it is stored.
    """
    known = con.execute(
        "select count(*) from pg_timezone_names() where name = ?", [timezone]
    ).fetchone()
    if not known or not known[0]:
        raise ValueError(f"{timezone!r} is not a time zone DuckDB knows, such as 'Asia/Seoul'")
    if stored_timezone(con) != timezone:
        con.execute("update core.settings set timezone = ?", [timezone])


def follow_timezone(path: Path, timezone: str, lock_timeout: float = 0.0) -> None:
    """Make the file's views follow ``timezone`` before a read: a brief write only when the file
    holds another zone (the setting changed since the last writer), else a read-only look."""
    with connect(path, read_only=True, lock_timeout=lock_timeout) as con:
        if stored_timezone(con) == timezone:
            return
    with connect(path, lock_timeout=lock_timeout, timezone=timezone):
        pass


class WarehouseLocked(RuntimeError):
    """Another process holds the DuckDB file and did not let go in time."""


@contextmanager
def connect(
    path: Path,
    read_only: bool = False,
    lock_timeout: float = 0.0,
    memory_limit: str | None = None,
    timezone: str | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; a writer also brings it up to date with the migrations.

    DuckDB lets one process write or many read, not both: while another process holds the file
    the open is retried with growing pauses for up to ``lock_timeout`` seconds, each wait logged,
    then WarehouseLocked is raised (nothing was written, so nothing is lost). The connection is
    closed on exit, so the lock is held only as long as needed.

    ``memory_limit`` (a DuckDB size such as ``512MB``) caps what DuckDB keeps in memory; past it,
    it evicts pages of the file and spills to a folder beside it (``<file>.tmp``). Unset, DuckDB
    may take most of the machine's memory for its cache.

    ``timezone`` (CITYRADAR_TIMEZONE, given by a writer) is stored for the views' weeks; see
    store_timezone.
    """
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only, lock_timeout)
    try:
        if memory_limit:
            _limit_memory(con, path, memory_limit)
        if not read_only:
            migrate(con)
            if timezone is not None:
                store_timezone(con, timezone)
        yield con
    finally:
        con.close()


def _limit_memory(con: duckdb.DuckDBPyConnection, path: Path, limit: str) -> None:
    con.execute("set memory_limit = ?", [limit])
    # spills go beside the warehouse, not into whatever folder the process was started from
    con.execute("set temp_directory = ?", [str(path.with_name(path.name + ".tmp"))])


def _open(path: Path, read_only: bool, lock_timeout: float) -> duckdb.DuckDBPyConnection:
    if read_only:
        return when_unlocked(lambda: duckdb.connect(str(path), read_only=True), path, lock_timeout)
    return when_unlocked(lambda: _open_writer(path), path, lock_timeout)


def _open_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the file, attached with the loader's row group size."""
    con = duckdb.connect()
    try:
        quoted = str(path).replace("'", "''")
        con.execute(f"attach '{quoted}' as {_CATALOG} (row_group_size {ROW_GROUP_SIZE})")
        con.execute(f"use {_CATALOG}")
        con.execute("set enable_progress_bar = false")  # a long join would draw one in the logs
    except BaseException:
        con.close()
        raise
    return con


def when_unlocked(action: Callable[[], T], path: Path, lock_timeout: float) -> T:
    """Run ``action`` (which opens ``path``), retrying with growing pauses while another
    process holds the file, for up to ``lock_timeout`` seconds; then raise WarehouseLocked."""
    deadline = time.monotonic() + lock_timeout
    pause = 0.5
    while True:
        try:
            return action()
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarehouseLocked(
                    f"{path} is in use by another process and was not released within "
                    f"{lock_timeout:.0f} s ({_holder(exc)}); close it (analysts: open a "
                    "`cityradar snapshot` instead) and run again. Nothing was written."
                ) from exc
            wait = min(pause, left)
            log.warning("%s is in use by %s; retrying in %.1f s", path, _holder(exc), wait)
            time.sleep(wait)
            pause = min(pause * 2, 15.0)


def _is_lock_error(exc: duckdb.Error) -> bool:
    return "lock" in str(exc).lower()


def _holder(exc: duckdb.Error) -> str:
    """Who holds the lock, from DuckDB's message ("... (PID 1234)")."""
    match = re.search(r"PID (\d+)", str(exc))
    return f"process {match.group(1)}" if match else "another process"
