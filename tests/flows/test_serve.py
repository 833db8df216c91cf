"""`cityradar serve` with nothing else started: its own Prefect server, schedules, runs and stop.

All real, on 127.0.0.1: the `cityradar serve` command as a subprocess, the Prefect server it
starts (its scheduler, its SQLite file under the data folder), the flow runs it executes. The test
speaks to that server's REST API only. (Serve against a configured server, PREFECT_API_URL, is
tested in test_prefect_server.py.)
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from cityradar.locks import held
from flows.local_server import (
    LEASES,
    LocalServer,
    LocalServerError,
    choose_port,
    local_server,
    prefect_home,
    server_env,
    wait_until_healthy,
)
from tests.helpers.network import free_port

REPO = Path(__file__).resolve().parents[2]
CITYRADAR = Path(sys.executable).parent / "cityradar"
SEOUL = ZoneInfo("Asia/Seoul")
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


# -- the parts, without a server ---------------------------------------------------------------


def test_the_preferred_port_is_used_when_free_and_another_when_taken():
    port = free_port()
    assert choose_port(port) == (port, True)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        other, free = choose_port(port)
    assert not free
    assert other != port
    assert other > 0


def test_the_server_keeps_its_database_and_leases_under_the_data_folder(tmp_path):
    home = prefect_home(tmp_path / "data")
    env = server_env(home, {"PATH": "/bin", "PREFECT_API_URL": "http://elsewhere:4200/api"})
    assert home == (tmp_path / "data" / "prefect").resolve()
    assert env["PREFECT_HOME"] == str(home)
    assert env["PREFECT_API_DATABASE_CONNECTION_URL"] == f"sqlite+aiosqlite:///{home}/prefect.db"
    assert env["PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE"] == LEASES  # slots survive a restart
    assert env["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] == "true"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert "PREFECT_API_URL" not in env  # the server is not a client of another one
    assert env["PATH"] == "/bin"


def test_an_operator_database_setting_is_kept(tmp_path):
    mine = "postgresql+asyncpg://radar@db/prefect"
    env = server_env(tmp_path, {"PREFECT_API_DATABASE_CONNECTION_URL": mine})
    assert env["PREFECT_API_DATABASE_CONNECTION_URL"] == mine


def test_a_server_that_exits_while_starting_is_reported_with_its_last_line(tmp_path):
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "print('Port 4200 is already in use.'); raise SystemExit(1)"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LocalServer(tmp_path, free_port(), process)
    with pytest.raises(LocalServerError) as failed:
        wait_until_healthy(server, timeout=60)
    message = str(failed.value)
    assert "stopped while starting (exit status 1)" in message
    assert "Port 4200 is already in use." in message
    assert str(log) in message


def test_a_second_serve_on_the_same_data_folder_is_refused_before_starting_a_server(tmp_path):
    data = tmp_path / "data"
    home = prefect_home(data)
    said: list[str] = []
    with (
        held(home / "serve.lock"),
        pytest.raises(LocalServerError) as refused,
        local_server(data, free_port(), said.append),
    ):
        pass
    assert "another `cityradar serve` (process" in str(refused.value)
    assert str(home) in str(refused.value)
    assert said == []  # nothing was started
    assert not (home / "server.log").exists()


# -- the command, end to end -------------------------------------------------------------------


class Serve:
    """One `cityradar serve` process and what it printed."""

    def __init__(self, data: Path, sources: Path, port: int, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CITYRADAR_"))}
        env |= {
            "CITYRADAR_DATA_DIR": str(data),
            "CITYRADAR_SOURCES": str(sources),
            "PREFECT_HOME": str(data.parent / "client-home"),  # not the user's ~/.prefect
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        self.env, self.log = env, log
        self.process = subprocess.Popen(
            [str(CITYRADAR), "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        """What serve printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def api(self) -> str:
        """The API address serve printed, once its server answers and serving began."""
        found = re.search(r"PREFECT_API_URL=(http://127\.0\.0\.1:\d+/api)", self.output())
        return found.group(1) if found else ""

    def server_pid(self) -> int:
        """The process id of the Prefect server serve started (a child of serve)."""
        (pid,) = [
            pid
            for pid, cmdline in _children(self.process.pid).items()
            if "server\0start" in cmdline
        ]
        return pid

    def kill(self) -> None:
        """Whatever is left of serve's process group (only on a failing test)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _children(pid: int) -> dict[int, str]:
    """Processes whose parent is ``pid``, with their command lines (NUL-separated)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_text(errors="replace")
        except OSError:
            continue  # ended meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(check: Callable[[], Any], timeout: float, what: str, serve: Serve) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if serve.process.poll() is not None:
            break
        time.sleep(0.5)
    home = Path(serve.env["CITYRADAR_DATA_DIR"]) / "prefect" / "server.log"
    server_log = home.read_text(errors="replace")[-2000:] if home.exists() else ""
    raise AssertionError(
        f"{what} not seen within {timeout:.0f} s (serve exit {serve.process.poll()})\n"
        f"{serve.output()[-4000:]}\n--- server log ---\n{server_log}"
    )


def _post(api: str, path: str, body: dict) -> Any:
    return _call("POST", f"{api}{path}", body)


def _get(api: str, path: str) -> Any:
    return _call("GET", f"{api}{path}")


def _call(method: str, url: str, body: dict | None = None) -> Any:
    """One API call, retried on 503 as Prefect's own client does: the server answers 503 when
    SQLite is busy (its scheduler writing a batch of runs) and the client should try again."""
    for attempt in range(10):
        response = httpx.request(method, url, json=body, timeout=30)
        if response.status_code != 503:
            break
        time.sleep(0.5 * (attempt + 1))
    response.raise_for_status()
    return response.json()


def _deployment(api: str, name: str) -> dict | None:
    """The deployment ``flow/name``, or None while it is not registered yet."""
    response = httpx.get(f"{api}/deployments/name/{name}", timeout=30)
    return response.json() if response.status_code == 200 else None


def _when(stamp: str) -> datetime:
    """A timestamp of the API."""
    return datetime.fromisoformat(stamp)


def _scheduled_starts(api: str, deployment: str) -> list[datetime]:
    """When the server's scheduler has put the deployment's coming runs, in Seoul time."""
    runs = _post(
        api,
        "/flow_runs/filter",
        {
            "deployments": {"name": {"any_": [deployment]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        },
    )
    return sorted(_when(r["expected_start_time"]).astimezone(SEOUL) for r in runs)


def _trigger(api: str, deployment_id: str, data_dir: Path, at: datetime) -> str:
    """A run of the deployment made by hand (as the UI's "Run" does), due at ``at``."""
    run = _post(
        api,
        f"/deployments/{deployment_id}/create_flow_run",
        {
            "parameters": {"data_dir": str(data_dir)},
            "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": at.isoformat()}},
        },
    )
    return run["id"]


def test_serve_starts_its_own_server_schedules_runs_and_stops_it(tmp_path):
    data = tmp_path / "data"
    sources = tmp_path / "sources.yaml"
    sources.write_text("[]\n", encoding="utf-8")  # a scheduled ingest firing now crawls nothing
    port = free_port()
    serve = Serve(data, sources, port, tmp_path / "serve.log")
    try:
        api = _wait_for(serve.api, 300, "the server's address", serve)
        assert api == f"http://127.0.0.1:{port}/api"
        assert f"Prefect UI: http://127.0.0.1:{port}" in serve.output()
        assert (data / "prefect" / "prefect.db").is_file()  # history lives in the data folder
        server = serve.server_pid()

        # the server's scheduler puts the coming runs of each schedule, in Seoul time
        ingest = _wait_for(
            lambda: _scheduled_starts(api, "ingest-every-6h"), 120, "scheduled ingest runs", serve
        )
        digest = _wait_for(
            lambda: _scheduled_starts(api, "weekly-digest-monday"), 60, "scheduled digests", serve
        )
        now = datetime.now(SEOUL)
        assert len(ingest) >= 3
        assert len(digest) >= 3
        assert all(t > now and t.hour % 6 == 0 and (t.minute, t.second) == (0, 0) for t in ingest)
        assert ingest[0] - now <= timedelta(hours=6)
        assert [(t.weekday(), t.hour, t.minute) for t in digest] == [(0, 8, 0)] * len(digest)
        assert digest[1] - digest[0] == timedelta(days=7)

        # two runs triggered by hand at the same moment: one waits for the other, none cancelled
        # serve registers the deployments one by one; load-staged comes last
        staged = _wait_for(
            lambda: _deployment(api, "load-staged/load-staged-every-15m"), 60, "load-staged", serve
        )
        assert staged["concurrency_options"]["collision_strategy"] == "ENQUEUE"
        at = datetime.now(UTC) + timedelta(seconds=3)
        runs = [_trigger(api, staged["id"], data, at) for _ in range(2)]

        def finished() -> list[dict]:
            found = [_get(api, f"/flow_runs/{run}") for run in runs]
            return found if all(r["state"]["type"] in FINAL for r in found) else []

        first, second = sorted(
            _wait_for(finished, 300, "both hand-triggered runs finished", serve),
            key=lambda r: _when(r["start_time"]),
        )
        assert [first["state"]["type"], second["state"]["type"]] == ["COMPLETED", "COMPLETED"], (
            first["state"],
            second["state"],
        )
        assert _when(second["start_time"]) >= _when(first["end_time"])  # one at a time
    finally:
        if serve.process.poll() is None:
            serve.process.send_signal(signal.SIGTERM)  # as a service manager stops it
        try:
            code = serve.process.wait(timeout=120)
        finally:
            serve.kill()

    assert code == 0, serve.output()[-3000:]
    assert "Stopping the local Prefect server" in serve.output()
    assert "Traceback" not in serve.output()
    assert not _alive(server)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{api}/health", timeout=5)

    # started again on the same data folder: the history is there, and the schedules run again
    again = Serve(data, sources, port, tmp_path / "serve-again.log")
    try:
        api = _wait_for(again.api, 300, "the restarted server's address", again)
        kept = {r["id"]: r["state"]["type"] for r in _post(api, "/flow_runs/filter", {})}
        assert {kept.get(run) for run in runs} == {"COMPLETED"}
        _wait_for(
            lambda: _scheduled_starts(api, "ingest-every-6h"), 120, "re-scheduled ingest", again
        )

        # a second serve on the same folder says so in one line, and starts nothing
        refused = subprocess.run(
            [str(CITYRADAR), "serve", "--port", str(free_port())],
            cwd=REPO,
            env=again.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert refused.returncode == 1
        assert "Traceback" not in refused.stderr
        (line,) = refused.stderr.strip().splitlines()
        assert line.startswith(f"error: another `cityradar serve` (process {again.process.pid} ")
        assert "CITYRADAR_DATA_DIR" in line

        # killed outright, serve cannot stop its server: the server stops itself (PDEATHSIG)
        server = again.server_pid()
        again.process.send_signal(signal.SIGKILL)
        again.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(server)
    finally:
        again.kill()
