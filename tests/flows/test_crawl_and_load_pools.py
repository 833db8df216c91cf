"""Crawl workers anywhere, one loader (issue 22): on a real Prefect server and a real S3 store
(moto's) on 127.0.0.1, the crawl pool's worker and the load pool's worker, each with a data
folder of its own, standing in for two machines."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers.prefect_server import (
    PrefectServer,
    stop,
    wait_until,
)


def test_a_crawl_worker_and_a_load_worker_apart_load_each_story_once(
    prefect_server, sample_sites, tmp_path
):
    """Two machines: a crawl pool's worker and a load pool's worker, each with a data folder of
    its own, meeting only through an S3 store (moto's server on 127.0.0.1)."""
    import duckdb

    from tests.helpers.s3 import CREDENTIALS, s3_server

    sources, sites = sample_sites
    for pool in ("cityradar-crawl", "cityradar-load"):
        created = prefect_server.cli("work-pool", "create", pool, "--type", "process")
        assert created.returncode == 0, created.stdout + created.stderr
    deployed = prefect_server.cli("deploy", "--name", "crawl-every-6h", "--name", "load-every-15m")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    crawler, loader = tmp_path / "crawler", tmp_path / "loader"
    with s3_server() as s3:
        store = CREDENTIALS | {
            "CITYRADAR_STAGING_URL": s3.url("staging"),
            "FSSPEC_S3_ENDPOINT_URL": s3.endpoint,  # how an operator points fsspec at MinIO & co
        }
        crawl_env = store | {
            "CITYRADAR_DATA_DIR": str(crawler),
            "CITYRADAR_SOURCES": str(sources),
            "CITYRADAR_CRAWL_DELAY": "0",
        }
        workers = [
            prefect_server.start(
                sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, log=log, env=env
            )
            for pool, log, env in (
                ("cityradar-crawl", tmp_path / "crawl-worker.log", crawl_env),
                (
                    "cityradar-load",
                    tmp_path / "load-worker.log",
                    store | {"CITYRADAR_DATA_DIR": str(loader)},
                ),
            )
        ]
        try:
            runs = [
                prefect_server.cli(
                    "deployment", "run", name, "--watch", "--watch-timeout", "150", timeout=180
                )
                for name in ("ingest/crawl-every-6h", "load-staged/load-every-15m")
            ]
        finally:
            for worker in workers:
                stop(worker)
    logs = "".join(
        (tmp_path / f"{w}-worker.log").read_text(errors="replace")[-2000:]
        for w in ("crawl", "load")
    )
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr + logs
        assert "Completed" in run.stdout + run.stderr
    assert not (crawler / "cityradar.duckdb").exists()  # the crawl machine holds no warehouse
    assert [p.name for p in (crawler / "staging").iterdir() if not p.name.startswith(".")] == []
    with duckdb.connect(str(loader / "cityradar.duckdb"), read_only=True) as con:
        by_source = dict(
            con.execute("select source_id, count(*) from items group by source_id").fetchall()
        )
        (urls,) = con.execute("select count(*) = count(distinct url) from items").fetchone()
    assert by_source == {site.source_entry("")["id"]: len(site.articles) for site in sites}
    assert urls  # every story once


def _kill_machine(root: subprocess.Popen[bytes]) -> None:
    """SIGKILL a worker and every process under it (its flow runs sit in sessions of their
    own, so a process group is not enough), as when its machine loses power."""
    pids = [root.pid, *_descendants(root.pid)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    root.wait()


def _descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (read from /proc: Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _mark_crashed(server: PrefectServer, deployment: str) -> int:
    """Set the runs of ``deployment`` that a dead worker left Running to Crashed (what an
    operator does in the UI; it frees the deployment's one-at-a-time slot at once, where
    Prefect's lease would free it after five minutes); how many there were."""
    left = server.post(
        "/flow_runs/filter",
        {
            "deployments": {"name": {"any_": [deployment]}},
            "flow_runs": {"state": {"type": {"any_": ["RUNNING", "PENDING"]}}},
        },
    )
    for run in left:
        server.post(
            f"/flow_runs/{run['id']}/set_state",
            {
                "state": {"type": "CRASHED", "name": "Crashed", "message": "its machine died"},
                "force": True,
            },
        )
    return len(left)


def test_crawl_and_load_workers_killed_mid_upload_and_mid_merge_lose_and_repeat_nothing(
    prefect_server, sample_sites, tmp_path, monkeypatch
):
    """The two machines of the test above, each worker SIGKILLed with its flow run: the crawl
    worker while its batch is half uploaded, the load worker inside its load. Restarted, the
    next runs publish and load every story once."""
    import duckdb

    from cityradar.shared_staging import open_shared_staging
    from tests.helpers.s3 import CREDENTIALS, StallingProxy, s3_server, use_endpoint
    from tests.helpers.warehouses import hold
    from warehouse.db import connect

    sources, sites = sample_sites
    for pool in ("cityradar-crawl", "cityradar-load"):
        prefect_server.cli("work-pool", "create", pool, "--type", "process")
    deployed = prefect_server.cli("deploy", "--name", "crawl-every-6h", "--name", "load-every-15m")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    crawler, loader = tmp_path / "crawler", tmp_path / "loader"
    db = loader / "cityradar.duckdb"
    with s3_server() as s3, StallingProxy(s3.endpoint, put_budget=2) as proxy:
        store_env = CREDENTIALS | {"CITYRADAR_STAGING_URL": s3.url("staging")}
        crawl_env = store_env | {
            "CITYRADAR_DATA_DIR": str(crawler),
            "CITYRADAR_SOURCES": str(sources),
            "CITYRADAR_CRAWL_DELAY": "0",
        }
        load_env = store_env | {
            "CITYRADAR_DATA_DIR": str(loader),
            "FSSPEC_S3_ENDPOINT_URL": s3.endpoint,
        }

        def worker(pool: str, env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
            command = (sys.executable, "-m", "prefect", "worker", "start", "--pool", pool)
            return prefect_server.start(*command, log=tmp_path / log, env=env)

        def run(deployment: str) -> subprocess.CompletedProcess[str]:
            return prefect_server.cli(
                "deployment", "run", deployment, "--watch", "--watch-timeout", "150", timeout=180
            )

        # the crawl machine dies with part of its batch on the store
        dying = worker(
            "cityradar-crawl", crawl_env | {"FSSPEC_S3_ENDPOINT_URL": proxy.endpoint}, "c1.log"
        )
        try:
            prefect_server.cli("deployment", "run", "ingest/crawl-every-6h")
            wait_until(proxy.stalled.is_set, 150, "a stalled upload", tmp_path / "c1.log")
        finally:
            _kill_machine(dying)
        assert _mark_crashed(prefect_server, "crawl-every-6h") == 1

        use_endpoint(monkeypatch, s3.endpoint)  # the test reads the store as a loader would
        store = open_shared_staging(s3.url("staging"))
        assert store is not None
        assert store.fs.find(f"{store.root}/batches")  # part of the batch is up there
        assert store.complete_batches() == []  # but no marker: no loader takes it

        # restarted, the crawl machine publishes the batch it left, and its next one
        crawl_worker = worker(
            "cityradar-crawl", crawl_env | {"FSSPEC_S3_ENDPOINT_URL": s3.endpoint}, "c2.log"
        )
        try:
            crawled = run("ingest/crawl-every-6h")
        finally:
            stop(crawl_worker)
        assert "Completed" in crawled.stdout + crawled.stderr, crawled.stdout + crawled.stderr
        published = store.complete_batches()
        assert len(published) == 2

        # the load machine dies inside its load (it waits for the warehouse file, held)
        with connect(db):
            pass
        holder = hold(db, 300)
        dying = worker("cityradar-load", load_env, "l1.log")
        try:
            prefect_server.cli("deployment", "run", "load-staged/load-every-15m")
            wait_until(
                lambda: "is in use by" in (tmp_path / "l1.log").read_text(errors="replace"),
                150,
                "the load waiting for the warehouse",
                tmp_path / "l1.log",
            )
        finally:
            _kill_machine(dying)
            holder.kill()
            holder.wait()
        assert _mark_crashed(prefect_server, "load-every-15m") == 1
        assert store.complete_batches() == published  # none marked loaded

        load_worker = worker("cityradar-load", load_env, "l2.log")
        try:
            loaded = run("load-staged/load-every-15m")
        finally:
            stop(load_worker)
        assert "Completed" in loaded.stdout + loaded.stderr, loaded.stdout + loaded.stderr
        assert store.complete_batches() == []

    with duckdb.connect(str(db), read_only=True) as con:
        by_source = dict(
            con.execute("select source_id, count(*) from items group by source_id").fetchall()
        )
        (once,) = con.execute("select count(*) = count(distinct url) from items").fetchone()
    assert by_source == {site.source_entry("")["id"]: len(site.articles) for site in sites}
    assert once
