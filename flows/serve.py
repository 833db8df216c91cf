"""`cityradar serve`: the deployments of prefect.yaml, scheduled and run from this machine.

prefect.yaml stays the one place schedules and parameters are written: ``serve`` reads it, so
the schedules a Prefect server gets from `prefect deploy --all` and the ones `cityradar serve`
runs are the same.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from prefect import Flow, serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Schedule

from flows.slots import ensure_limit

PROJECT_FILE = Path(__file__).resolve().parents[1] / "prefect.yaml"


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of prefect.yaml, as cityradar reads it."""

    name: str
    entrypoint: str
    description: str
    parameters: dict[str, Any]
    schedules: list[dict[str, Any]] = field(default_factory=list)
    concurrency_limit: dict[str, Any] | None = None


def project_specs(path: Path = PROJECT_FILE) -> list[DeploymentSpec]:
    """The deployments declared in prefect.yaml."""
    project = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        DeploymentSpec(
            name=entry["name"],
            entrypoint=entry["entrypoint"],
            description=entry.get("description", ""),
            parameters=entry.get("parameters") or {},
            schedules=entry.get("schedules") or [],
            concurrency_limit=entry.get("concurrency_limit"),
        )
        for entry in project["deployments"]
    ]


def load_flow(entrypoint: str) -> Flow[..., Any]:
    """The flow object of ``flows/ingest.py:ingest``."""
    path, _, attribute = entrypoint.partition(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    found = getattr(module, attribute)
    if not isinstance(found, Flow):
        raise TypeError(f"{entrypoint} is not a Prefect flow")
    return found


def schedules_of(spec: DeploymentSpec) -> list[Schedule]:
    """The spec's cron schedules, each in its own time zone."""
    return [
        Cron(
            s["cron"], timezone=s.get("timezone"), active=s.get("active", True), slug=s.get("slug")
        )
        for s in spec.schedules
    ]


def concurrency_of(spec: DeploymentSpec) -> ConcurrencyLimitConfig | None:
    """The spec's run concurrency (one run at a time, new ones cancelled)."""
    if not spec.concurrency_limit:
        return None
    return ConcurrencyLimitConfig(
        limit=spec.concurrency_limit["limit"],
        collision_strategy=ConcurrencyLimitStrategy(
            spec.concurrency_limit.get("collision_strategy", "ENQUEUE")
        ),
    )


def runner_deployment(spec: DeploymentSpec) -> RunnerDeployment:
    """A deployment ``serve`` runs in this process's children."""
    return load_flow(spec.entrypoint).to_deployment(
        name=spec.name,
        description=spec.description,
        parameters=spec.parameters,
        schedules=schedules_of(spec),
        concurrency_limit=concurrency_of(spec),
    )


def serve_project(path: Path = PROJECT_FILE) -> None:
    """Serve every deployment of prefect.yaml until interrupted."""
    ensure_limit()
    serve(*(runner_deployment(spec) for spec in project_specs(path)))
