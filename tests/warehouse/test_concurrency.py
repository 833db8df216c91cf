"""One writer or many readers: a load waits for the file, then fails visibly; a SIGKILL mid-load
leaves a consistent file whose next load brings the batch in once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.warehouses import hold
from warehouse.db import WarehouseLocked, connect
from warehouse.tools import snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    return path


@pytest.mark.slow  # a system test: it starts another process
def test_a_writer_waits_for_an_analyst_to_close_the_file(db, caplog):
    reader = hold(db, 1.5, mode="read")
    began = time.monotonic()
    with connect(db, lock_timeout=30) as con:
        waited = time.monotonic() - began
        assert con.execute("select count(*) from items").fetchone() == (0,)
    reader.wait()
    assert waited >= 1.0
    assert any("is in use by process" in r.getMessage() for r in caplog.records)


@pytest.mark.slow  # a system test: it starts another process
def test_a_writer_that_cannot_get_the_file_fails_naming_the_holder(db):
    writer = hold(db, 30)
    try:
        began = time.monotonic()
        with pytest.raises(WarehouseLocked) as failure, connect(db, lock_timeout=1.0):
            pass
        assert time.monotonic() - began >= 1.0
        assert f"process {writer.pid}" in str(failure.value)
        assert "Nothing was written" in str(failure.value)
    finally:
        writer.kill()
        writer.wait()


def test_a_snapshot_is_a_consistent_copy_that_stays_open_during_loads(db, tmp_path):
    copy = snapshot(db, tmp_path / "copy.duckdb")
    import duckdb

    with duckdb.connect(str(copy), read_only=True) as analyst:
        # the live file stays writable while the copy is open
        with connect(db, lock_timeout=5) as writer:
            writer.execute(
                "insert into core.sources values ('s', 'S', 'feed', 'https://s.example', 'ko',"
                " 'KR', 'city', null, 'Asia/Seoul', true, '{}', now())"
            )
        assert analyst.execute("select count(*) from sources").fetchone() == (0,)
        views = {v for (v,) in analyst.execute("select view_name from duckdb_views()").fetchall()}
        assert {"items", "weekly_counts", "source_health"} <= views


CRASHING_LOAD = """
import sys
from pathlib import Path
from bench.load import synthetic_batch
from warehouse.db import connect
from warehouse.loader import merge_tables
tables = synthetic_batch(0, int(sys.argv[2]), "crash-batch", fresh=True)
with connect(Path(sys.argv[1])) as con:
    print("merging", flush=True)
    merge_tables(con, tables)
    print("committed", flush=True)
"""


@pytest.mark.slow  # a system test: it starts another process
def test_a_load_killed_mid_batch_leaves_a_consistent_file_and_loads_once_next_time(db):
    from bench.load import synthetic_batch
    from warehouse.loader import merge_tables

    items = 30_000
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_LOAD, str(db), str(items)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "merging"
    time.sleep(0.3)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with connect(db) as con:  # opens: the file is consistent
        (loaded,) = con.execute(
            "select count(*) from core.batches where batch_id = 'crash-batch'"
        ).fetchone()
        (stories,) = con.execute("select count(*) from items").fetchone()
        assert (loaded, stories) in ((0, 0), (1, items))  # all or nothing
        result = merge_tables(con, synthetic_batch(0, items, "crash-batch", fresh=True))
        assert result.already_loaded == bool(loaded)
        counts = con.execute("select count(*), count(distinct item_id) from items").fetchone()
        raw = con.execute("select count(*) from raw.items").fetchone()[0]
        bands = con.execute("select count(distinct item_key) from core.story_bands").fetchone()[0]
    assert counts == (items, items)
    assert raw == items
    assert bands == items
