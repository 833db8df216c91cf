"""What analysts take out of the warehouse: Parquet files, a snapshot to keep open, search hits."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import connect, one_row, when_unlocked

# tables analysts need beside the views: their corrections, with the history (a table)
EXPORTED_TABLES = ("tag_corrections",)


@dataclass(frozen=True)
class Export:
    """What `export --parquet` wrote."""

    folder: Path
    items: int
    weeks: int
    files: list[Path]


def export_parquet(db_path: Path, folder: Path, lock_timeout: float = 0.0) -> Export:
    """Write the analyst views as Parquet: items partitioned by ISO week, the others one file each.

    Every analyst view is written (read from the warehouse, so a view added later is never left
    out), and the tables in EXPORTED_TABLES. The folder is replaced as a whole, so a reader never
    mixes two exports.
    """
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with connect(db_path, read_only=True, lock_timeout=lock_timeout) as con:
        con.execute(
            f"copy (select * from items order by week, item_id) to '{_sql_path(staging / 'items')}'"
            " (format parquet, partition_by (week), compression zstd)"
        )
        for name in [*analyst_views(con), *EXPORTED_TABLES]:
            if name == "items":
                continue
            target = _sql_path(staging / f"{name}.parquet")
            con.execute(
                f"copy (select * from {name}) to '{target}' (format parquet, compression zstd)"
            )
        items, weeks = one_row(con, "select count(*), count(distinct week) from items")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    files = sorted(p.relative_to(folder) for p in folder.rglob("*.parquet"))
    return Export(folder, items, weeks, files)


def analyst_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The analyst views of the warehouse (the main schema's; helpers live in core), by name."""
    rows = con.execute(
        "select view_name from duckdb_views()"
        " where database_name = current_database() and schema_name = 'main' and not internal"
        " order by view_name"
    ).fetchall()
    return [name for (name,) in rows]


# the oldest DuckDB release whose file format `snapshot --compat` writes: what the duckdb-cli
# wheel on PyPI, DBeaver's and R's drivers read when they lag behind the pinned DuckDB
COMPAT_STORAGE_VERSION = "v1.4.0"


def snapshot(
    db_path: Path, target: Path | None = None, lock_timeout: float = 0.0, compat: bool = False
) -> Path:
    """A consistent copy of the warehouse that analysts may keep open while loads go on.

    With ``compat`` the copy is written in the file format of DuckDB 1.4, so older clients
    (the DuckDB CLI from PyPI, BI tools) can open it too.
    """
    target = target or db_path.parent / "snapshots" / (
        f"cityradar-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.duckdb"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with duckdb.connect() as con:
        when_unlocked(
            lambda: con.execute(f"attach '{_sql_path(db_path)}' as live (read_only)"),
            db_path,
            lock_timeout,
        )
        storage = f" (storage_version '{COMPAT_STORAGE_VERSION}')" if compat else ""
        con.execute(f"attach '{_sql_path(partial)}' as snapshot{storage}")
        con.execute("copy from database live to snapshot")
        con.execute("detach snapshot")
        con.execute("detach live")
    partial.rename(target)
    return target


@dataclass(frozen=True)
class SearchResult:
    """The stories a search found: how many in all, and the best of them."""

    total: int  # stories containing every term
    hits: list[dict[str, Any]]  # the best ``limit`` of them, best first (column -> value)


def search_stories(
    db_path: Path, terms: list[str], limit: int = 20, lock_timeout: float = 0.0
) -> SearchResult:
    """Stories containing every term: the true total, and the best ``limit`` (``search`` macro).

    The total is counted in the same scan as the hits (a window over every match), so a
    limited search still says how many stories matched.
    """
    with connect(db_path, read_only=True, lock_timeout=lock_timeout) as con:
        cursor = con.execute(
            "select *, count(*) over () as matches from search(?)"
            # the macro's own order, stated again: a window may reorder the rows it reads
            " order by score desc, published_at desc nulls last, item_id limit ?",
            [" ".join(terms), limit],
        )
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        total = rows[0].pop("matches") if rows else 0
        for row in rows[1:]:
            row.pop("matches")
    return SearchResult(int(total), rows)


def search(
    db_path: Path, terms: list[str], limit: int = 20, lock_timeout: float = 0.0
) -> list[dict[str, Any]]:
    """Stories containing every term, best first (the ``search`` SQL macro)."""
    return search_stories(db_path, terms, limit, lock_timeout).hits


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
