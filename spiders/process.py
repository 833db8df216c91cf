"""Start one source's crawl in a child process and always come back with a crawl report.

On Linux the child is forked from a warm crawl server (``spiders.forkserver``) that has imported
Scrapy once; elsewhere, or when that server cannot start, it is a new interpreter running
``python -m spiders.run``. Either way each crawl is its own process with its own timeout.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import certifi

from cityradar.items import CrawlReport, utc_now_iso
from cityradar.registry import Source
from cityradar.staging import Batch, read_jsonl

LOG_TAIL_CHARS = 600
KILL_GRACE = 10.0  # seconds to wait for a killed crawl's end to be reported
SERVER_COMMAND = [sys.executable, "-m", "spiders.forkserver"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChildExit:
    """How a crawl process ended: its exit code, or why there is none."""

    code: int | None  # None: killed at the timeout, or lost with the warm server
    lost: str | None = None  # why the process could not be followed to its end
    max_rss_kib: int | None = None  # the child's peak memory, where it is known


def crawl_in_subprocess(
    source: Source,
    batch: Batch,
    overrides: dict[str, object],
    timeout: float,
    since: str | None = None,
) -> CrawlReport:
    """Crawl ``source`` into ``batch`` with ``python -m spiders.run``.

    Args:
        source: the registry entry.
        batch: the staging batch to write into.
        overrides: Scrapy settings for this crawl.
        timeout: seconds before the child is killed (it closes itself a little earlier).
        since: a backfill: read the source's archive back to this ISO date.

    Returns:
        The child's report; when the child died or hung, a failed report saying so, counting
        the items it had already written (they stay in the batch).
    """
    argv = [
        "--batch",
        str(batch.path),
        "--source",
        source.model_dump_json(),
        "--settings",
        json.dumps(overrides),
        *(["--since", since] if since else []),
    ]
    started = utc_now_iso()
    log_path = batch.log_file(source.id)
    ended = run_crawl_process(argv, _child_environment(source, batch), log_path, timeout)
    code = ended.code
    report = batch.read_report(source.id)
    if report is not None:
        return report
    if ended.lost:
        error = f"crawl process lost: {ended.lost}"
    elif code is None:
        error = f"crawl process killed after {timeout:.0f} s without finishing"
    else:
        error = f"crawl process exited with status {code}: {_tail(log_path)}"
    items = _count_items(batch.items_file(source.id))
    report = CrawlReport(
        source_id=source.id,
        batch_id=batch.batch_id,
        started_at=started,
        finished_at=utc_now_iso(),
        status="failed",
        items_seen=items,
        error=error,
        finish_reason="process_failed",
        # a crash (out of memory, a killed child, a lost server) may not happen twice; a hang would
        retryable=(code is not None or ended.lost is not None) and items == 0,
    )
    batch.write_report(report)
    return report


def run_crawl_process(
    argv: list[str], env: dict[str, str], log_path: Path, timeout: float
) -> ChildExit:
    """Run ``spiders.run`` with ``argv`` in a child process of its own, output to ``log_path``.

    The child is forked from the warm crawl server where there is one, else started afresh.
    """
    server = warm_server()
    if server is not None:
        try:
            return server.run(argv, env, log_path, timeout)
        except ServerGone as exc:  # nothing was started: start the crawl afresh instead
            log.warning("%s; this crawl starts a new interpreter", exc)
    return run_in_new_interpreter(argv, env, log_path, timeout)


def run_in_new_interpreter(
    argv: list[str], env: dict[str, str], log_path: Path, timeout: float
) -> ChildExit:
    """``python -m spiders.run ARGV`` in a new interpreter (a second of imports per crawl)."""
    with log_path.open("ab") as output:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "spiders.run", *argv],
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
                env=env,
            )
        except subprocess.TimeoutExpired:
            return ChildExit(None)
    return ChildExit(done.returncode)


class ServerGone(RuntimeError):
    """The warm crawl server cannot take a request (it did not start, or it has stopped)."""


@dataclass
class _Job:
    """One crawl started through the warm server, as its replies arrive."""

    ended: threading.Event = field(default_factory=threading.Event)
    pid: int | None = None
    code: int | None = None
    lost: str | None = None
    max_rss_kib: int | None = None


class WarmCrawlServer:
    """The client of one ``spiders.forkserver`` process; safe to use from many threads."""

    def __init__(self, command: list[str] | None = None) -> None:
        self._lock = threading.Lock()
        # the server's own error output (lives as long as the server)
        self._errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            command or SERVER_COMMAND,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
        )
        self._jobs: dict[int, _Job] = {}
        self.peak_child_rss_kib = 0  # the largest crawl process so far
        self._numbers = itertools.count(1)
        self._await_ready()
        self._reader = threading.Thread(target=self._read_replies, daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        """The server is running and can start crawls."""
        return self._process.poll() is None

    def running_pids(self) -> list[int]:
        """Process ids of the crawls started and not yet ended."""
        with self._lock:
            return [job.pid for job in self._jobs.values() if job.pid is not None]

    def run(
        self, argv: list[str], env: dict[str, str], log_path: Path, timeout: float
    ) -> ChildExit:
        """Fork a crawl child, wait for its end, kill it at ``timeout`` seconds.

        Raises:
            ServerGone: the server could not take the request; no crawl was started.
        """
        job, number = _Job(), next(self._numbers)
        with self._lock:
            request = {"job": number, "argv": argv, "env": env, "cwd": str(Path.cwd())}
            self._send(request | {"log": str(log_path)})
            self._jobs[number] = job
        if not job.ended.wait(timeout):
            with self._lock, contextlib.suppress(ServerGone):  # gone: the job is lost anyway
                self._send({"kill": number})
            job.ended.wait(KILL_GRACE)
            return ChildExit(None, job.lost, job.max_rss_kib)
        return ChildExit(job.code, job.lost, job.max_rss_kib)

    def close(self) -> None:
        """Close the pipe: the server kills any crawl still running and exits."""
        if self._process.stdin and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            self._process.kill()

    def _send(self, message: dict) -> None:
        """Write one request (the caller holds the lock)."""
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(message).encode() + b"\n")
            stdin.flush()
        except (BrokenPipeError, ValueError) as exc:
            raise ServerGone(f"the warm crawl server stopped: {self._stderr_tail()}") from exc

    def _await_ready(self) -> None:
        """Wait for the server's first line; raise with its error output if it died instead."""
        stdout = self._process.stdout
        assert stdout is not None
        line = stdout.readline()
        if not line or "ready" not in json.loads(line):
            self._process.kill()
            raise ServerGone(f"the warm crawl server did not start: {self._stderr_tail()}")

    def _read_replies(self) -> None:
        """Hand each reply to its job; when the server is gone, every open job is lost."""
        stdout = self._process.stdout
        assert stdout is not None
        for line in stdout:
            reply = json.loads(line)
            with self._lock:
                job = self._jobs.get(reply["job"])
                if job is None:
                    continue
                if "pid" in reply:
                    job.pid = reply["pid"]
                if "exit" in reply:
                    job.code, job.max_rss_kib = reply["exit"], reply.get("max_rss_kib")
                    self.peak_child_rss_kib = max(self.peak_child_rss_kib, job.max_rss_kib or 0)
                    del self._jobs[reply["job"]]
                    job.ended.set()
        with self._lock:
            for job in self._jobs.values():
                job.lost = f"the warm crawl server stopped ({self._stderr_tail() or 'no message'})"
                job.ended.set()
            self._jobs.clear()

    def _stderr_tail(self) -> str:
        self._errors.seek(0)
        text = self._errors.read().decode("utf-8", errors="replace")[-LOG_TAIL_CHARS:]
        return " ".join(text.split())


_server: WarmCrawlServer | None = None
_server_lock = threading.Lock()
_server_failed = False


def warm_server() -> WarmCrawlServer | None:
    """This process's warm crawl server, started on first use; None where crawls cannot fork
    (not Linux) or the server failed to start (logged once; crawls then start afresh)."""
    global _server, _server_failed
    if sys.platform != "linux" or _server_failed:
        return None
    with _server_lock:
        if _server is None or not _server.alive:
            try:
                _server = WarmCrawlServer()
            except (OSError, ServerGone) as exc:
                _server_failed = True
                log.warning("crawls start a new interpreter each: %s", exc)
                return None
            atexit.register(_server.close)
        return _server


def start_warm_server() -> None:
    """Start the warm crawl server in the background now (``warm_server`` then waits for it):
    it imports Scrapy on one core while this process goes on with its own work on the other."""
    threading.Thread(target=warm_server, name="warm-crawl-server", daemon=True).start()


def _child_environment(source: Source, batch: Batch) -> dict[str, str]:
    """The crawl's environment; a source's extra CA certificates join the trusted roots.

    OpenSSL reads SSL_CERT_FILE when it verifies a server, so the child trusts the usual roots
    (certifi's) plus the certificates a source needs for a server with an incomplete chain.
    """
    env = dict(os.environ)
    if source.ca_file:
        bundle = batch.path / "state" / f"{source.id}.ca.pem"
        extra = Path(source.ca_file).read_text(encoding="ascii")
        bundle.write_text(
            Path(certifi.where()).read_text(encoding="ascii") + "\n" + extra, encoding="ascii"
        )
        env["SSL_CERT_FILE"] = str(bundle)
    return env


def _count_items(path: Path) -> int:
    return sum(1 for _ in read_jsonl(path)) if path.exists() else 0


def _tail(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]
    return " ".join(text.split())
