"""cityradar on a real Prefect server on 127.0.0.1: deployed from prefect.yaml, run by a worker.

One server (SQLite) for the module: a process work pool and a worker run the ingest deployment
against local sample sites, and `cityradar serve` runs a deployment itself. The crawl and load
pools apart are in test_crawl_and_load_pools.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from flows.serve import served_specs
from tests.helpers.prefect_server import (
    PrefectServer,
    stop,
    wait_until,
)

POOL = "cityradar-local"  # the pool prefect.yaml names


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
        stop(worker)
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
            d["name"]: d for d in wait_until(served, 90, "served deployments", serve_log)
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
        stop(serve)
    # PREFECT_API_URL was set: serve used that server and started none of its own
    assert "local Prefect server" not in serve_log.read_text(errors="replace")
    assert not (data / "prefect").exists()
