"""Load speed: merge a batch of new items into a warehouse that already holds many.

    python -m bench.load --base 1000000 --batch 100000 --db /tmp/bench.duckdb

Builds the base file once (kept for re-runs with --reuse), copies it, then times the load of one
batch of new items into the copy and reports items per second and peak memory; every run thus
measures the same file, not one grown by earlier runs. The batch's Arrow tables are built in a child
process (as the transform step does) and written as Arrow IPC files, so the process that merges
holds only what the merge needs and its peak memory is the load's own.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from bench import synthetic
from cityradar.settings import Settings
from transforms.normalize import NormalizedItem
from warehouse.columnar import BatchTables, batch_tables, item_tables
from warehouse.db import connect
from warehouse.loader import merge_tables

# the batch's items are numbered past any base, so every one of them is new to the file
NEW_ITEMS_START = 100_000_000


def synthetic_items(
    start: int, count: int, batch_id: str, fresh: bool = False, span_days: float = 730
) -> list[NormalizedItem]:
    """``count`` new normalised items (fetched now when ``fresh``, as a crawl would), a million
    of them spread over ``span_days``."""
    fetched_at = datetime.now(UTC) if fresh else None
    return list(synthetic.items(start, count, batch_id, fetched_at, span_days=span_days))


def batch_of(
    batch_id: str, items: list[NormalizedItem], raw_records: list[dict[str, object]]
) -> BatchTables:
    """The loader's tables for synthetic items, built as the ingest flow's transform step builds
    them (``item_tables``, then ``batch_tables``)."""
    return batch_tables(
        batch_id=batch_id,
        created_at=None,
        sources=synthetic.sources(),
        raw_records=raw_records,
        items=item_tables([items]),
        reports=[],
        fetches=[],
    )


def synthetic_batch(
    start: int, count: int, batch_id: str, fresh: bool = False, span_days: float = 730
) -> BatchTables:
    """A staging batch of ``count`` new items, as the loader takes it (see ``synthetic_items``)."""
    items = synthetic_items(start, count, batch_id, fresh, span_days)
    return batch_of(batch_id, items, [synthetic.raw_record(i) for i in items])


def build_base(db: Path, base: int, chunk: int, span_days: float) -> None:
    """Fill the file with ``base`` items published over ``span_days``, ``chunk`` at a time."""
    for start in range(0, base, chunk):
        batch = synthetic_batch(
            start, min(chunk, base - start), f"base-{start}", span_days=span_days
        )
        began = time.perf_counter()
        with connect(db) as con:
            merge_tables(con, batch)
        print(
            f"  base {start + chunk:>9,} items ({time.perf_counter() - began:5.1f} s)", flush=True
        )


def peak_rss_mib() -> float:
    """Peak resident memory of this process, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_batch_tables(start: int, count: int, folder: Path) -> float:
    """Build a fresh batch's Arrow tables and write them to ``folder``; seconds spent building."""
    batch_id = f"new-{time.time_ns()}"
    items = synthetic_items(start, count, batch_id, fresh=True)
    raw_records = [synthetic.raw_record(i) for i in items]
    began = time.perf_counter()
    tables = batch_of(batch_id, items, raw_records)
    seconds = time.perf_counter() - began
    scalars = {}
    for field in dataclasses.fields(tables):
        value = getattr(tables, field.name)
        if isinstance(value, pa.Table):
            path = str(folder / f"{field.name}.arrow")
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, value.schema) as writer:
                writer.write_table(value)
        else:
            scalars[field.name] = value
    (folder / "scalars.json").write_text(json.dumps(scalars), encoding="utf-8")
    return seconds


def read_batch_tables(folder: Path) -> BatchTables:
    """The tables write_batch_tables wrote, memory-mapped."""
    fields = json.loads((folder / "scalars.json").read_text(encoding="utf-8"))
    for path in folder.glob("*.arrow"):
        fields[path.stem] = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    return BatchTables(**fields)


def fresh_copy(base: Path) -> Path:
    """A copy of the base file to load into, replacing the previous run's, flushed to disk.

    Flushed, because a file the previous load closed is on disk; the copy's pages would
    otherwise be written out by the load's first fsync (0.25 s for 640 MB) and timed with it.
    """
    copy = base.with_name(base.stem + "-run.duckdb")
    copy.unlink(missing_ok=True)
    shutil.copyfile(base, copy)
    with copy.open("rb+") as handle:
        os.fsync(handle.fileno())
    return copy


def main() -> None:
    """Run the load benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("data/bench/load.duckdb"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing base file")
    parser.add_argument(
        "--span-days",
        type=float,
        default=730,
        help="days the base's million items are spread over (30: every story in the window)",
    )
    parser.add_argument(
        "--memory-limit",
        default=Settings().db_memory_limit,
        help="DuckDB's memory limit for the merge [default: the pipeline's, CITYRADAR_DB_MEMORY_LIMIT]",
    )
    args = parser.parse_args()
    if not (args.reuse and args.db.exists()):
        args.db.parent.mkdir(parents=True, exist_ok=True)
        args.db.unlink(missing_ok=True)
        print(f"building a base of {args.base:,} items in {args.db}")
        with multiprocessing.get_context("spawn").Pool(1) as pool:  # its memory is not the load's
            pool.apply(build_base, (args.db, args.base, args.chunk, args.span_days))
    with connect(args.db):  # migrates a base made by an earlier schema, outside the timing
        pass
    target = fresh_copy(args.db)
    with tempfile.TemporaryDirectory() as folder:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            converted = pool.apply(write_batch_tables, (NEW_ITEMS_START, args.batch, Path(folder)))
        tables = read_batch_tables(Path(folder))
        before = peak_rss_mib()
        began = time.perf_counter()
        with connect(target, memory_limit=args.memory_limit) as con:
            result = merge_tables(con, tables)
        seconds = time.perf_counter() - began
    print(
        f"load: {result.items_new:,} new items merged into a file of {args.base:,} in "
        f"{seconds:.2f} s = {result.items_new / seconds:,.0f} items/s (target 50,000); "
        f"DuckDB memory_limit {args.memory_limit}; peak memory of the loading process "
        f"{peak_rss_mib():,.0f} MiB (before the merge {before:,.0f} MiB); building the batch's "
        f"Arrow tables (the transform step) took {converted:.2f} s in another process"
    )


if __name__ == "__main__":
    main()
