"""A real Prefect server on 127.0.0.1 for the tests that deploy and run workers, and the
loopback sites they crawl."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from cityradar.demo.server import SiteServer
from cityradar.demo.sites import bundled_sites
from tests.helpers.network import free_port

REPO = Path(__file__).resolve().parents[2]


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


def client_env(home: Path, api: str | None = None) -> dict[str, str]:
    """The environment of a Prefect client (or server) with its home in ``home``."""
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


def wait_until(check, timeout: float, what: str, log: Path | None = None):
    """What ``check`` returns once it is truthy; fails, with the log's tail, after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} not seen within {timeout:.0f} s\n{tail}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in a session of its own: SIGINT, then SIGKILL after 20 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def prefect_server_in(home: Path) -> Iterator[PrefectServer]:
    """A Prefect server (SQLite in ``home``) on a free loopback port, stopped after."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = home / "server.log"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=client_env(home),
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
        wait_until(healthy, 90, "the Prefect server", log)
        yield PrefectServer(api, client_env(home, api))
    finally:
        stop(server)


@contextmanager
def sample_sites_in(folder: Path) -> Iterator[tuple[Path, list]]:
    """Two bundled sites served on loopback, and a registry of them in ``folder``."""
    sites = [
        s for s in bundled_sites(datetime.now(UTC)) if s.slug in ("seoul-news", "sejong-board")
    ]
    with SiteServer(sites) as server:
        entries = [site.source_entry(server.base_url) for site in sites]
        path = folder / "sources.yaml"
        path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
        yield path, sites
