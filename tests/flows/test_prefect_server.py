"""cityradar on a real Prefect server on 127.0.0.1: deployed from prefect.yaml, run by a worker.

One server (SQLite) for the module: a process work pool and a worker run the ingest deployment
against local sample sites, and `cityradar serve` runs a deployment itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from flows.serve import served_specs
from tests.helpers.network import free_port

REPO = Path(__file__).resolve().parents[2]
POOL = "cityradar-local"  # the pool prefect.yaml names


@dataclass
class PrefectServer:
    """A running server and the environment that points clients at it."""

    api: str
    env: dict[str, str]

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the prefect CLI against this server, from the repository (where prefect.yaml is)."""
        return subprocess.run(
            [sys.executable, "-m", "prefect", "--no-prompt", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(
        self, *command: str, log: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """A long-running process (worker, `cityradar serve`) against this server."""
        return subprocess.Popen(
            list(command),
            cwd=REPO,
            env=self.env | (env or {}),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def post(self, path: str, body: dict) -> list | dict:
        """POST to the REST API (the test's own process is bound to the test harness)."""
        response = httpx.post(f"{self.api}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def get(self, path: str) -> dict:
        """GET from the REST API."""
        response = httpx.get(f"{self.api}{path}", timeout=30)
        response.raise_for_status()
        return response.json()


def _client_env(home: Path, api: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CITYRADAR_"))}
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    if api:
        env["PREFECT_API_URL"] = api
    return env


def _wait_until(check, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} not seen within {timeout:.0f} s\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory) -> Iterator[PrefectServer]:
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = home / "server.log"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=_client_env(home),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"{api}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_until(healthy, 90, "the Prefect server", log)
        yield PrefectServer(api, _client_env(home, api))
    finally:
        _stop(server)


@pytest.fixture(scope="module")
def sample_sites(tmp_path_factory) -> Iterator[tuple[Path, list]]:
    sites = [
        s for s in bundled_sites(datetime.now(UTC)) if s.slug in ("seoul-news", "sejong-board")
    ]
    folder = tmp_path_factory.mktemp("sites")
    with SiteServer(sites) as server:
        entries = [site.source_entry(server.base_url) for site in sites]
        path = folder / "sources.yaml"
        path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        yield path, sites


def _finished_runs(server: PrefectServer, deployment: str) -> list[dict]:
    # the deployment's schedule also creates runs for later: only finished ones are wanted
    return server.post(
        "/flow_runs/filter",
        {
            "deployments": {"name": {"any_": [deployment]}},
            "flow_runs": {"state": {"type": {"any_": ["COMPLETED", "FAILED", "CRASHED"]}}},
        },
    )


def test_a_worker_runs_the_ingest_deployment_into_duckdb(prefect_server, sample_sites, tmp_path):
    import duckdb

    sources, sites = sample_sites
    created = prefect_server.cli("work-pool", "create", POOL, "--type", "process")
    assert created.returncode == 0, created.stdout + created.stderr
    deployed = prefect_server.cli("deploy", "--name", "ingest-every-6h")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    worker_log = tmp_path / "worker.log"
    worker = prefect_server.start(
        sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, log=worker_log
    )
    try:
        data = tmp_path / "data"
        run = prefect_server.cli(
            "deployment",
            "run",
            "ingest/ingest-every-6h",
            "--param",
            f"sources_path={json.dumps(str(sources))}",
            "--param",
            f"data_dir={json.dumps(str(data))}",
            "--param",
            "crawl_delay=0",
            "--watch",
            "--watch-timeout",
            "150",
            timeout=180,
        )
    finally:
        _stop(worker)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output + worker_log.read_text(errors="replace")[-3000:]
    assert "Completed" in output

    with duckdb.connect(str(data / "cityradar.duckdb"), read_only=True) as con:
        by_source = dict(
            con.execute("select source_id, count(*) from items group by source_id").fetchall()
        )
        titles = {t for (t,) in con.execute("select title from items").fetchall()}
    assert by_source == {site.source_entry("")["id"]: len(site.articles) for site in sites}
    assert {a.title for site in sites for a in site.articles} == titles

    (flow_run,) = _finished_runs(prefect_server, "ingest-every-6h")
    assert flow_run["state"]["type"] == "COMPLETED"
    (artifact,) = prefect_server.post(
        "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_run["id"]]}}}
    )
    assert artifact["key"] == "ingest-report"
    rows = artifact["data"] if isinstance(artifact["data"], list) else json.loads(artifact["data"])
    assert {(r["source"], r["status"]) for r in rows} == {
        ("seoul_news", "ok"),
        ("sejong_board", "ok"),
    }
    assert sum(r["new items"] for r in rows) == sum(by_source.values())
    # the load took its slot of the warehouse's global concurrency limit, and gave it back
    limit = prefect_server.get("/v2/concurrency_limits/cityradar-warehouse-load")
    assert (limit["limit"], limit["active_slots"]) == (1, 0)
    deployment = prefect_server.get("/deployments/name/ingest/ingest-every-6h")
    assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    assert deployment["global_concurrency_limit"]["limit"] == 1


def test_cityradar_serve_schedules_and_runs_the_deployments_itself(prefect_server, tmp_path):
    serve_log = tmp_path / "serve.log"
    data = tmp_path / "data"
    serve = prefect_server.start(
        str(Path(sys.executable).parent / "cityradar"),
        "serve",
        log=serve_log,
        env={"CITYRADAR_DATA_DIR": str(data)},
    )
    try:

        def served() -> list[dict]:
            found = prefect_server.post("/deployments/filter", {})
            names = {d["name"] for d in found}
            # every deployment, not only the ones asserted on: serve registers them one by one,
            # and the run below needs load-staged registered too
            return found if {spec.name for spec in served_specs()} <= names else []

        deployments = {
            d["name"]: d for d in _wait_until(served, 90, "served deployments", serve_log)
        }
        digest = deployments["weekly-digest-monday"]
        assert [s["schedule"]["cron"] for s in digest["schedules"]] == ["0 8 * * 1"]
        assert digest["schedules"][0]["schedule"]["timezone"] == "Asia/Seoul"
        assert digest["parameters"] == {"send": True}
        ingest = deployments["ingest-every-6h"]
        assert ingest["schedules"][0]["schedule"] == {
            "cron": "0 */6 * * *",
            "timezone": "Asia/Seoul",
            "day_or": True,
        }
        # no worker runs now: only `cityradar serve` can run what is triggered
        run = prefect_server.cli(
            "deployment",
            "run",
            "load-staged/load-staged-every-15m",
            "--param",
            f"data_dir={json.dumps(str(tmp_path / 'data'))}",
            "--watch",
            "--watch-timeout",
            "120",
            timeout=150,
        )
        assert run.returncode == 0, run.stdout + run.stderr + serve_log.read_text(errors="replace")
        assert "Completed" in run.stdout + run.stderr
    finally:
        _stop(serve)
    # PREFECT_API_URL was set: serve used that server and started none of its own
    assert "local Prefect server" not in serve_log.read_text(errors="replace")
    assert not (data / "prefect").exists()


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
                _stop(worker)
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
            _wait_until(proxy.stalled.is_set, 150, "a stalled upload", tmp_path / "c1.log")
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
            _stop(crawl_worker)
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
            _wait_until(
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
            _stop(load_worker)
        assert "Completed" in loaded.stdout + loaded.stderr, loaded.stdout + loaded.stderr
        assert store.complete_batches() == []

    with duckdb.connect(str(db), read_only=True) as con:
        by_source = dict(
            con.execute("select source_id, count(*) from items group by source_id").fetchall()
        )
        (once,) = con.execute("select count(*) = count(distinct url) from items").fetchone()
    assert by_source == {site.source_entry("")["id"]: len(site.articles) for site in sites}
    assert once
