"""`cityradar serve`: the deployments of prefect.yaml, scheduled and run from this machine.

prefect.yaml stays the one place schedules and parameters are written: ``serve`` reads it, so
the schedules a Prefect server gets from `prefect deploy --all` and the ones `cityradar serve`
runs are the same.

Schedules need a Prefect server with its scheduler: the one PREFECT_API_URL names, or else a
local one that ``serve`` starts for as long as it runs (flows/local_server.py).
"""

from __future__ import annotations

import asyncio
import importlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from prefect import Flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import ObjectNotFound
from prefect.runner import Runner
from prefect.schedules import Cron, Schedule
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

from cityradar.settings import Settings
from flows.local_server import DEFAULT_PORT, local_server, wait_until_healthy
from flows.slots import ensure_limit

PROJECT_FILE = Path(__file__).resolve().parents[1] / "prefect.yaml"
# seconds a flow run that has finished gets for its process to exit when serve stops
EXIT_GRACE = 30.0


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of prefect.yaml, as cityradar reads it."""

    name: str
    entrypoint: str
    description: str
    parameters: dict[str, Any]
    schedules: list[dict[str, Any]] = field(default_factory=list)
    concurrency_limit: dict[str, Any] | None = None
    work_pool: str | None = None


# the pool of the deployments `cityradar serve` runs on this machine; the others (crawl and
# load pools) are for `prefect deploy` and workers on other machines
LOCAL_POOL = "cityradar-local"


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
            work_pool=(entry.get("work_pool") or {}).get("name"),
        )
        for entry in project["deployments"]
    ]


def served_specs(path: Path = PROJECT_FILE) -> list[DeploymentSpec]:
    """The deployments `cityradar serve` runs: those of the local pool."""
    return [spec for spec in project_specs(path) if spec.work_pool in (None, LOCAL_POOL)]


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
    """The spec's run concurrency (one run at a time; a run that finds one going waits)."""
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
    deployment = load_flow(spec.entrypoint).to_deployment(
        name=spec.name,
        description=spec.description,
        parameters=spec.parameters,
        schedules=schedules_of(spec),
        concurrency_limit=concurrency_of(spec),
    )
    # Prefect answers a coroutine only when called inside an event loop, which serve never is
    if not isinstance(deployment, RunnerDeployment):
        raise TypeError(f"{spec.name}: to_deployment was called inside an event loop")
    return deployment


def serve_project(
    path: Path = PROJECT_FILE, port: int = DEFAULT_PORT, say: Callable[[str], None] = print
) -> None:
    """Serve the local pool's deployments of prefect.yaml until stopped (Ctrl-C or SIGTERM).

    With a Prefect server configured (PREFECT_API_URL) the deployments go there; without one a
    local server is started under the data folder, on ``port`` if it is free, and stopped after.
    """
    with _stop_signals_interrupt():
        if get_current_settings().api.url:
            _serve(project_deployments(path), say)
            return
        try:
            with local_server(Settings().data_dir, port, say) as server:
                deployments = project_deployments(path)  # imports the flows while it starts
                wait_until_healthy(server)
                say(f"Prefect UI: {server.ui_url}  (server log: {server.log})")
                say(f"Other shells reach it with PREFECT_API_URL={server.api_url}")
                with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                    _serve(deployments, say)
                say("Stopping the local Prefect server …")
        except KeyboardInterrupt:  # stopped before serving began
            pass


def project_deployments(path: Path = PROJECT_FILE) -> list[RunnerDeployment]:
    """The deployments of prefect.yaml's local pool, ready to serve."""
    return [runner_deployment(spec) for spec in served_specs(path)]


def _serve(deployments: list[RunnerDeployment], say: Callable[[str], None]) -> None:
    """Register the deployments with the current Prefect server and run them here until stopped.

    Like ``prefect.serve``, with ``ServeRunner`` (see there) and cityradar's own lines.
    """
    ensure_limit()
    runner = ServeRunner(pause_on_shutdown=True)
    for deployment in deployments:
        runner.add_deployment(deployment)
    say("Serving " + ", ".join(f"{d.flow_name}/{d.name}" for d in deployments))
    say("Flow runs start here as they come due or are triggered; stop with Ctrl-C or SIGTERM.")
    with suppress(KeyboardInterrupt):  # stopped before the runner took the signals over
        asyncio.run(runner.start())


class ServeRunner(Runner):
    """Prefect's runner, stopped the same way by Ctrl-C and SIGTERM, and honest about runs.

    On SIGTERM Prefect's runner stops polling, cancels the flow runs it is running and records
    them as Cancelled ("Runner is shutting down."); Ctrl-C takes the same path here instead of
    interrupting the runner wherever it is. A run that has just finished keeps its state: see
    ``cancel_all``.
    """

    async def start(self, *args: Any, **kwargs: Any) -> None:
        """Run until stopped; Ctrl-C takes the SIGTERM path (the parent's start installs it)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self.handle_sigterm)
        await super().start(*args, **kwargs)

    async def cancel_all(self) -> None:
        """Cancel the runs still working, once finished runs' processes have exited.

        Prefect 3.9 marks every run whose process it still tracks as Cancelled, by force; a run
        that has completed while its process is still exiting (flushing its logs, seconds on a
        busy machine) would then read Cancelled in the history, though its work was done.
        """
        deadline = time.monotonic() + EXIT_GRACE
        while time.monotonic() < deadline and await self._finished_but_exiting():
            await asyncio.sleep(0.2)
        await super().cancel_all()

    async def _finished_but_exiting(self) -> bool:
        """True while a tracked run's state is final but its process has not exited yet."""
        for run_id in self._process_manager.flow_run_ids():
            try:
                run = await self._client.read_flow_run(run_id)
            except ObjectNotFound:
                continue
            if run.state is not None and run.state.is_final():
                return True
        return False


@contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """Outside the runner, let SIGTERM (a service manager's stop) end serve as Ctrl-C does.

    Python's default for SIGTERM ends the process at once, leaving the local server without
    the parent that stops it. (While serving, the runner handles both signals.)
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
