"""prefect.yaml: every entrypoint is a flow, every schedule states its time zone, and
`cityradar serve` builds the same deployments from it."""

from __future__ import annotations

from pathlib import Path

from prefect import Flow

from flows.serve import (
    concurrency_of,
    load_flow,
    project_deployments,
    project_specs,
    runner_deployment,
)

REPO = Path(__file__).resolve().parents[2]


def test_entrypoints_resolve_to_flows_and_schedules_are_in_seoul_time():
    specs = {spec.name: spec for spec in project_specs(REPO / "prefect.yaml")}
    assert set(specs) == {
        "ingest-every-6h",
        "weekly-digest-monday",
        "backfill",
        "load-staged-every-15m",
        "crawl-every-6h",
        "load-every-15m",
    }
    for spec in specs.values():
        assert isinstance(load_flow(spec.entrypoint), Flow), spec.name
        assert all(s["timezone"] == "Asia/Seoul" for s in spec.schedules)
    assert [s["cron"] for s in specs["ingest-every-6h"].schedules] == ["0 */6 * * *"]
    assert [s["cron"] for s in specs["weekly-digest-monday"].schedules] == ["0 8 * * 1"]
    assert specs["weekly-digest-monday"].parameters == {"send": True}
    assert specs["backfill"].schedules == []


def test_served_deployments_carry_the_schedules_parameters_and_one_run_at_a_time():
    specs = {spec.name: spec for spec in project_specs(REPO / "prefect.yaml")}
    digest = runner_deployment(specs["weekly-digest-monday"])
    assert digest.name == "weekly-digest-monday"
    assert digest.parameters == {"send": True}
    (schedule,) = digest.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 8 * * 1", "Asia/Seoul")
    for spec in specs.values():  # one at a time; a run that finds one going waits, never cancelled
        limit = concurrency_of(spec)
        assert (limit.limit, limit.collision_strategy.value) == (1, "ENQUEUE"), spec.name
    staged = runner_deployment(specs["load-staged-every-15m"])
    assert [s.active for s in staged.schedules] == [False]  # for multi-machine setups only


def test_crawl_and_load_pools_have_their_deployments_and_serve_leaves_them_out():
    specs = {spec.name: spec for spec in project_specs(REPO / "prefect.yaml")}
    crawl, load = specs["crawl-every-6h"], specs["load-every-15m"]
    assert (crawl.work_pool, crawl.entrypoint) == ("cityradar-crawl", "flows/ingest.py:ingest")
    assert crawl.parameters == {"load": False}  # publishes to CITYRADAR_STAGING_URL
    assert (load.work_pool, load.entrypoint) == (
        "cityradar-load",
        "flows/ingest.py:load_staged_batches",
    )
    assert runner_deployment(crawl).parameters == {"load": False}
    served = {d.name for d in project_deployments(REPO / "prefect.yaml")}
    assert served == {
        "ingest-every-6h",
        "weekly-digest-monday",
        "backfill",
        "load-staged-every-15m",
    }
