"""What analysts take out of the warehouse: Parquet files, a snapshot to keep open, search hits."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.db import connect, when_unlocked

# analyst views (and the corrections table) written to Parquet, besides items (by week)
EXPORTED_VIEWS = (
    "item_cities",
    "item_focus_areas",
    "item_versions",
    "sources",
    "source_health",
    "source_runs",
    "weekly_counts",
    "tag_corrections",  # analysts' corrections, their history included (a table)
)


@dataclass(frozen=True)
class Export:
    """What `export --parquet` wrote."""

    folder: Path
    items: int
    weeks: int
    files: list[Path]


def export_parquet(db_path: Path, folder: Path, lock_timeout: float = 0.0) -> Export:
    """Write the analyst views as Parquet: items partitioned by ISO week, the others one file each.

    The folder is replaced as a whole, so a reader never mixes two exports.
    """
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with connect(db_path, read_only=True, lock_timeout=lock_timeout) as con:
        con.execute(
            f"copy (select * from items order by week, item_id) to '{_sql_path(staging / 'items')}'"
            " (format parquet, partition_by (week), compression zstd)"
        )
        for view in EXPORTED_VIEWS:
            target = _sql_path(staging / f"{view}.parquet")
            con.execute(
                f"copy (select * from {view}) to '{target}' (format parquet, compression zstd)"
            )
        items, weeks = con.execute("select count(*), count(distinct week) from items").fetchone()
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    files = sorted(p.relative_to(folder) for p in folder.rglob("*.parquet"))
    return Export(folder, items, weeks, files)


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


def search(
    db_path: Path, terms: list[str], limit: int = 20, lock_timeout: float = 0.0
) -> list[dict[str, object]]:
    """Stories containing every term, best first (the ``search`` SQL macro)."""
    with connect(db_path, read_only=True, lock_timeout=lock_timeout) as con:
        cursor = con.execute("select * from search(?) limit ?", [" ".join(terms), limit])
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
