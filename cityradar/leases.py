"""Leases on the shared store: what a file lock does on one machine, across machines.

Crawl machines that share a store (CITYRADAR_STAGING_URL) share no disk, so a file lock cannot
keep two of them from crawling one source, nor two loaders from taking the same store's batches.
A lease can: a small file under ``<url>/leases/<name>/``, named by its generation::

    <url>/leases/source-seoul_news/000007   {"pid": …, "host": …, "since": …, "run": …,
                                              "expires": "2026-12-07T21:05:00+00:00"}

Why one holder at a time, whatever fails:

* a generation is created only if it does not exist (S3's ``If-None-Match``, ``O_EXCL`` on a
  disk): of two machines taking the same generation, one wins and the other is told who did;
* a lease is taken only when the newest generation has run out (or there is none), and renewed
  by its holder taking the next generation before it runs out: a holder that lost the race
  knows it lost;
* a holder that dies stops renewing: its lease runs out after ``seconds`` and the next taker
  takes the next generation (the dead holder's file is left behind and deleted then); on the
  holder's own machine, a lease whose process is gone holds nothing at once;
* releasing ends the holder's own generation, so the name is free at once.

Expiry is read from the holder's clock: machines must keep time (NTP); a lease lasts minutes,
so seconds of drift do not matter. A store that does not refuse a second create of one file (an
fsspec driver without exclusive writes) cannot hold leases: ``check_exclusive_create`` says so.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cityradar.locks import Holder, describe_holder
from cityradar.shared_staging import SharedStaging, is_local, reason

LEASES = "leases"
_WIDTH = 6  # digits of a generation's file name: they sort as numbers


class LeaseError(RuntimeError):
    """The store could not be read or written for a lease; the message says which and why."""


class LeaseTaken(RuntimeError):
    """Another holder's lease on the name has not run out."""

    def __init__(self, name: str, holder: Holder | None) -> None:
        self.name, self.holder = name, holder
        self.who = describe_holder(holder)
        super().__init__(f"{name} is held by {self.who}")


class LeaseLost(RuntimeError):
    """A renewal found the lease taken by another holder: it had run out before."""


@dataclass(frozen=True)
class Lease:
    """A lease held: its name, its generation and until when it holds."""

    name: str
    generation: int
    holder: Holder
    expires: datetime


@dataclass(frozen=True)
class Leases:
    """Leases under ``<root>/leases/`` on an fsspec file system, each lasting ``seconds``."""

    fs: Any
    root: str
    url: str
    seconds: float = 300.0

    def take(self, name: str, run: str | None = None) -> Lease:
        """Take the lease on ``name``.

        Raises:
            LeaseTaken: another holder's lease has not run out (or it took it just now).
            LeaseError: the store could not be read or written.
        """
        newest = self._newest(name)
        generation = 0
        if newest is not None:
            generation, record = newest
            if self._holds(name, generation, record):
                raise LeaseTaken(name, _holder(record))
        holder = Holder(os.getpid(), socket.gethostname(), _now_text(), run)
        lease = self._create(name, generation + 1, holder)
        self._forget_before(name, lease.generation)
        return lease

    def renew(self, lease: Lease) -> Lease:
        """Hold ``lease`` for another ``seconds``: the next generation, taken by its holder.

        Raises:
            LeaseLost: another holder took it (it had run out).
            LeaseError: the store could not be written; the lease holds until it runs out.
        """
        try:
            renewed = self._create(lease.name, lease.generation + 1, lease.holder)
        except LeaseTaken as taken:
            raise LeaseLost(
                f"the lease on {lease.name} ran out and was taken by {taken.who}"
            ) from None
        self._forget_before(lease.name, renewed.generation)
        return renewed

    def release(self, lease: Lease) -> None:
        """Give the lease up: its generation is rewritten as ended (not deleted: a taker that
        read it just before must still find the next generation its own to race for). A store
        that refuses only delays the next taker until the lease runs out."""
        ended = {**asdict(lease.holder), "expires": datetime.now(UTC).isoformat()}
        with suppress(Exception):
            self.fs.pipe_file(self._path(lease.name, lease.generation), json.dumps(ended).encode())

    def holder_of(self, name: str) -> Holder | None:
        """Who holds the lease on ``name`` now (None when nobody does, or it ran out)."""
        newest = self._newest(name)
        if newest is None or not self._holds(name, *newest):
            return None
        return _holder(newest[1])

    def _holds(self, name: str, generation: int, record: dict[str, Any] | None) -> bool:
        """Whether a generation still holds: until its record's end, or, when the record cannot
        be read (a holder killed while writing it), for ``seconds`` after the file was written."""
        if record is not None:
            return not _expired(record) and not _died_here(record)
        try:
            written = self.fs.modified(self._path(name, generation))
        except Exception:  # deleted: a newer generation exists, which the taker will meet
            return False
        if written.tzinfo is None:
            written = written.replace(tzinfo=UTC)
        return written + timedelta(seconds=self.seconds) > datetime.now(UTC)

    def _create(self, name: str, generation: int, holder: Holder) -> Lease:
        """Create one generation, only if no one else did; the lease it is."""
        expires = datetime.now(UTC) + timedelta(seconds=self.seconds)
        record = {**asdict(holder), "expires": expires.isoformat()}
        try:
            if is_local(self.fs):  # a disk's folder must exist; an object store has none
                self.fs.makedirs(f"{self.root}/{LEASES}/{name}", exist_ok=True)
            _create_only(self.fs, self._path(name, generation), json.dumps(record).encode())
        except FileExistsError:
            raise LeaseTaken(name, _holder(self._read(name, generation))) from None
        except Exception as exc:
            raise LeaseError(
                f"could not take the lease on {name} at {self.url}: {reason(exc)}"
            ) from None
        return Lease(name, generation, holder, expires)

    def _newest(self, name: str) -> tuple[int, dict[str, Any] | None] | None:
        """The newest generation of ``name`` and its record (None when unreadable)."""
        folder = f"{self.root}/{LEASES}/{name}"
        try:
            self.fs.invalidate_cache(folder)  # another machine may have written since
            names = self.fs.ls(folder, detail=False) if self.fs.exists(folder) else []
        except Exception as exc:
            raise LeaseError(
                f"could not read the lease on {name} at {self.url}: {reason(exc)}"
            ) from None
        generations = [int(n.rsplit("/", 1)[-1]) for n in names if n.rsplit("/", 1)[-1].isdigit()]
        if not generations:
            return None
        newest = max(generations)
        return newest, self._read(name, newest)

    def _read(self, name: str, generation: int) -> dict[str, Any] | None:
        """A generation's record; None when it cannot be read (deleted meanwhile, or broken)."""
        try:
            record = json.loads(self.fs.cat_file(self._path(name, generation)))
        except Exception:  # an unreadable record counts as held until replaced
            return None
        return record if isinstance(record, dict) else None

    def _forget_before(self, name: str, generation: int) -> None:
        """Delete the generations before ``generation`` (their holders are gone or renewed)."""
        folder = f"{self.root}/{LEASES}/{name}"
        try:
            for path in self.fs.ls(folder, detail=False):
                tail = path.rsplit("/", 1)[-1]
                if tail.isdigit() and int(tail) < generation:
                    self.fs.rm_file(path)
        except Exception:  # old generations only take space; the next take retries
            return

    def _path(self, name: str, generation: int) -> str:
        return f"{self.root}/{LEASES}/{name}/{generation:0{_WIDTH}d}"


# the stores this process found able to hold leases (checked once each: three requests)
_EXCLUSIVE: set[str] = set()


def store_leases(shared: SharedStaging, seconds: float) -> Leases:
    """The leases on a shared store, each lasting ``seconds``.

    Raises:
        LeaseError: the store cannot hold leases (see ``check_exclusive_create``) or could not
            be written.
    """
    if shared.url not in _EXCLUSIVE:
        check_exclusive_create(shared.fs, shared.root, shared.url)
        _EXCLUSIVE.add(shared.url)
    return Leases(shared.fs, shared.root, shared.url, seconds)


def check_exclusive_create(fs: Any, root: str, url: str) -> None:
    """Make sure the store refuses to create a file twice, which leases rely on.

    Raises:
        LeaseError: it does not (its fsspec driver ignores exclusive writes), or it could not be
            written at all.
    """
    probe = f"{root}/{LEASES}/.probe-{uuid.uuid4().hex}"
    try:
        if is_local(fs):
            fs.makedirs(f"{root}/{LEASES}", exist_ok=True)
        _create_only(fs, probe, b"1")
        try:
            _create_only(fs, probe, b"2")
        except FileExistsError:
            return
        raise LeaseError(
            f"{url} overwrote a file it was asked to create only if absent: its store cannot "
            "hold leases, so machines sharing it cannot tell who crawls a source"
        )
    except LeaseError:
        raise
    except Exception as exc:
        raise LeaseError(f"could not write a lease at {url}: {reason(exc)}") from None
    finally:
        with suppress(Exception):  # a probe left behind is harmless
            fs.rm_file(probe)


@dataclass
class LeaseKeeper:
    """Renews the leases it holds from a background thread, a third of their length apart, and
    remembers any it lost (another holder took it after a renewal came too late)."""

    leases: Leases
    held: dict[str, Lease] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def take(self, name: str, run: str | None = None) -> Lease:
        """Take the lease on ``name`` and keep it renewed until ``release_all``.

        Raises:
            LeaseTaken, LeaseError: as ``Leases.take``.
        """
        lease = self.leases.take(name, run)
        with self._guard:
            self.held[name] = lease
        return lease

    def renew_due(self) -> None:
        """Renew every lease held; a lease lost is dropped and its line kept in ``lost``."""
        with self._guard:
            for name, lease in list(self.held.items()):
                try:
                    self.held[name] = self.leases.renew(lease)
                except LeaseLost as exc:
                    del self.held[name]
                    self.lost.append(str(exc))
                except LeaseError:
                    continue  # the store is away: try again next time, before it runs out

    def release_all(self) -> None:
        """Stop renewing and give every lease up."""
        self._stop.set()
        with self._guard:
            for lease in self.held.values():
                self.leases.release(lease)
            self.held.clear()

    def run(self) -> None:
        """Renew until stopped (the body of the renewing thread)."""
        while not self._stop.wait(self.leases.seconds / 3):
            self.renew_due()


@contextmanager
def keeping(leases: Leases) -> Iterator[LeaseKeeper]:
    """A keeper whose leases are renewed while the block runs and released after it."""
    keeper = LeaseKeeper(leases)
    thread = threading.Thread(target=keeper.run, name="lease-renewal", daemon=True)
    thread.start()
    try:
        yield keeper
    finally:
        keeper.release_all()
        thread.join(timeout=5)


def _create_only(fs: Any, path: str, data: bytes) -> None:
    """Write a new file, atomically refused (FileExistsError) when it exists: ``open(…, "xb")``
    is O_EXCL on a disk and ``If-None-Match: *`` on S3 (fsspec's ``pipe_file(mode="create")``
    looks first and then writes, which two machines can both pass)."""
    with fs.open(path, "xb") as file:
        file.write(data)


def _died_here(record: dict[str, Any]) -> bool:
    """Whether the holder was a process of this machine that is gone: its lease holds nothing
    (a loader restarted after a crash need not wait for it to run out)."""
    if record.get("host") != socket.gethostname() or not isinstance(record.get("pid"), int):
        return False
    try:
        os.kill(record["pid"], 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, under another user
        return False
    return False


def _expired(record: dict[str, Any]) -> bool:
    try:
        return datetime.fromisoformat(record["expires"]) <= datetime.now(UTC)
    except (KeyError, TypeError, ValueError):
        return True  # a record that says no end holds nothing


def _holder(record: dict[str, Any] | None) -> Holder | None:
    if record is None:
        return None
    try:
        return Holder(
            pid=record["pid"], host=record["host"], since=record["since"], run=record.get("run")
        )
    except (KeyError, TypeError):
        return None


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
