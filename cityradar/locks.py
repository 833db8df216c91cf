"""Named locks on the data folder: one crawl per source, one load at a time.

A lock is a file under ``<staging>/.locks/`` held with an OS lock (filelock), so it is released
when its holder exits, even by SIGKILL. Beside it, ``<name>.holder.json`` says who holds it
(process, host, flow run, since when) so a run that finds it taken can say by whom.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

LOCKS_FOLDER = ".locks"


@dataclass(frozen=True)
class Holder:
    """Who holds a lock."""

    pid: int
    host: str
    since: str
    run: str | None = None  # Prefect flow run id, when held from a flow run

    def describe(self) -> str:
        """'process 123 on host-a since 2026-11-25T03:00:00Z (flow run 5f…)'."""
        run = f", flow run {self.run}" if self.run else ""
        return f"process {self.pid} on {self.host} since {self.since}{run}"


def describe_holder(holder: Holder | None) -> str:
    """Who holds a lock, in words; 'another process' when it did not say."""
    return holder.describe() if holder else "another process"


class LockTaken(RuntimeError):
    """The lock is held by someone else and was not released in time."""

    def __init__(self, name: str, holder: Holder | None, waited: float) -> None:
        self.name, self.holder, self.waited = name, holder, waited
        self.who = describe_holder(holder)
        wait = f" and was not released within {waited:.0f} s" if waited else ""
        super().__init__(f"{name} is held by {self.who}{wait}")


def lock_path(staging_dir: Path, name: str) -> Path:
    """The lock file of ``name`` (``load``, ``source-seoul_news``) under a staging folder."""
    return staging_dir / LOCKS_FOLDER / f"{name}.lock"


@contextmanager
def held(
    path: Path,
    wait: float = 0.0,
    run: str | None = None,
    on_wait: Callable[[Holder | None], None] | None = None,
) -> Iterator[Holder]:
    """Hold the lock at ``path`` for the block.

    Args:
        path: the lock file (see ``lock_path``).
        wait: seconds to wait for it; 0 fails at once when it is taken.
        run: the flow run holding it, recorded for whoever finds it taken.
        on_wait: called once, with the current holder, when the lock is taken and we wait.

    Raises:
        LockTaken: the lock stayed taken for ``wait`` seconds.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if wait <= 0:
            raise LockTaken(path.stem, current_holder(path), 0) from None
        if on_wait is not None:
            on_wait(current_holder(path))
        try:
            lock.acquire(timeout=wait, poll_interval=0.2)
        except Timeout:
            raise LockTaken(path.stem, current_holder(path), wait) from None
    holder = Holder(os.getpid(), socket.gethostname(), _now(), run)
    _holder_file(path).write_text(json.dumps(asdict(holder)), encoding="utf-8")
    try:
        yield holder
    finally:
        _holder_file(path).unlink(missing_ok=True)
        lock.release()


def is_held(path: Path) -> bool:
    """True while some process holds the lock at ``path`` (it is left as it was)."""
    if not path.exists():
        return False
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def current_holder(path: Path) -> Holder | None:
    """Who holds the lock, as they recorded it (None when unknown). A holder writes its record
    just after taking the lock, so a missing one is looked for again for a moment."""
    for _ in range(_HOLDER_LOOKS):
        try:
            return Holder(**json.loads(_holder_file(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            time.sleep(_HOLDER_PAUSE)
    return None


# a holder's record appears within milliseconds of its lock: look up to 5 times, 50 ms apart
_HOLDER_LOOKS, _HOLDER_PAUSE = 5, 0.05


def _holder_file(path: Path) -> Path:
    return path.with_name(f"{path.stem}.holder.json")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
