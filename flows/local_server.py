"""A Prefect server of this machine's own, for `cityradar serve` when no server is configured.

Prefect's temporary (ephemeral) server has no scheduler, and each process that uses it starts
its own, so schedules never fire and deployment concurrency leases held by one are unknown to
the next. `cityradar serve` therefore starts a real `prefect server start` on 127.0.0.1, with its
SQLite database and concurrency leases under ``<data dir>/prefect/`` (run history and held
slots survive a restart), and stops it when serve ends.

Nothing here imports Prefect: the server is a child process, spoken to over HTTP.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from cityradar.locks import LockTaken, held

HOST = "127.0.0.1"
DEFAULT_PORT = 4200  # Prefect's own default, so the UI is where Prefect users look first
# A first start creates and migrates the database; on a busy 2-core machine that took 40 s.
START_TIMEOUT = 180.0
STOP_TIMEOUT = 20.0
LEASES = "prefect.server.concurrency.lease_storage.filesystem"

# Run in the server's process before it becomes `prefect server start`: ask Linux to SIGTERM it
# when its parent (serve) dies, even by SIGKILL, so no orphaned server keeps the port and the
# database. Done in a tiny interpreter that then execs, not in preexec_fn, which is unsafe once
# threads run.
_ORPHAN_GUARD = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit('cityradar serve ended before its Prefect server started')\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])\n"
)


class LocalServerError(RuntimeError):
    """The local Prefect server could not be started (the message says why and what to do)."""


@dataclass(frozen=True)
class LocalServer:
    """A running local Prefect server."""

    home: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def ui_url(self) -> str:
        """The address of the Prefect UI."""
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        """The address clients use (PREFECT_API_URL)."""
        return f"{self.ui_url}/api"

    @property
    def log(self) -> Path:
        """Where the server writes its own output."""
        return self.home / "server.log"


def prefect_home(data_dir: Path) -> Path:
    """The local server's folder: its database, concurrency leases, log and UI files."""
    return data_dir.resolve() / "prefect"


def choose_port(preferred: int) -> tuple[int, bool]:
    """``preferred`` when it is free on 127.0.0.1, else any free port; and whether it was free."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            # as the server binds: a port its previous run just closed (TIME_WAIT) is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return int(probe.getsockname()[1]), port == preferred
    raise LocalServerError(f"no free TCP port on {HOST} for the local Prefect server")


def server_env(home: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: this one, with its files under ``home`` and its scheduler on.

    Settings an operator set themselves (a PostgreSQL database, the log level) are kept.
    """
    env = dict(os.environ if base is None else base)
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_HOME"] = str(home)
    env["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] = "true"
    env.setdefault("PREFECT_API_DATABASE_CONNECTION_URL", f"sqlite+aiosqlite:///{home}/prefect.db")
    # in-memory leases would be lost with the server, leaving a deployment's slot taken
    env.setdefault("PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", LEASES)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # the machine may be offline
    env.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")  # no access log growing forever
    env.setdefault("PREFECT_UI_ENABLED", "true")
    return env


def server_command(port: int) -> list[str]:
    """The command line of the server process (guarded against outliving serve on Linux)."""
    command = ["-m", "prefect", "server", "start", "--host", HOST, "--port", str(port)]
    if sys.platform.startswith("linux"):
        return [sys.executable, "-c", _ORPHAN_GUARD, str(os.getpid()), *command]
    return [sys.executable, *command]


@contextmanager
def local_server(
    data_dir: Path, port: int = DEFAULT_PORT, say: Callable[[str], None] = print
) -> Iterator[LocalServer]:
    """Start the local Prefect server for the block, and stop it (and its children) after.

    The block begins as soon as the process is started, so it can prepare while the server
    starts; call ``wait_until_healthy`` before using it.

    Raises:
        LocalServerError: another serve runs on this data folder.
    """
    home = prefect_home(data_dir)
    home.mkdir(parents=True, exist_ok=True)
    try:
        with held(home / "serve.lock"):
            chosen, free = choose_port(port)
            if not free:
                say(f"Port {port} on {HOST} is taken; the Prefect server uses port {chosen}.")
            say(f"Starting a local Prefect server (database {home / 'prefect.db'}) …")
            server = _start(home, chosen)
            try:
                yield server
            finally:
                stop(server)
    except LockTaken as taken:
        raise LocalServerError(
            f"another `cityradar serve` ({taken.who}) already runs the schedules of {home}; "
            "stop it first, or give this one another data folder (CITYRADAR_DATA_DIR)"
        ) from None


def _start(home: Path, port: int) -> LocalServer:
    with (home / "server.log").open("ab") as log:
        process = subprocess.Popen(
            server_command(port),
            env=server_env(home),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # its own process group: Ctrl-C reaches serve alone, which stops the server only
            # after its flow runs have reported how they ended
            start_new_session=True,
        )
    return LocalServer(home, port, process)


def wait_until_healthy(server: LocalServer, timeout: float = START_TIMEOUT) -> None:
    """Return once the API answers /health.

    Raises:
        LocalServerError: the server exited, or did not answer within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            raise LocalServerError(
                f"the local Prefect server stopped while starting (exit status {code}): "
                f"{_last_line(server.log)}; see {server.log}"
            )
        try:
            if httpx.get(f"{server.api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.25)
    raise LocalServerError(
        f"the local Prefect server did not answer on {server.api_url} within {timeout:.0f} s; "
        f"see {server.log}, or start one yourself and set PREFECT_API_URL"
    )


def stop(server: LocalServer) -> None:
    """Stop the server: SIGTERM, then SIGKILL to its whole process group if it lingers."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
    # whatever the server itself started goes with it (its group is its own: see _start)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _last_line(log: Path) -> str:
    """The last non-empty line the server wrote (usually the reason it stopped)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log"
    return next((line.strip() for line in reversed(lines) if line.strip()), "no output")
