"""Leases on the shared store: what a file lock does on one machine, across machines.

Crawl machines that share a store (CITYRADAR_STAGING_URL) share no disk, so a file lock cannot
keep two of them from crawling one source, nor two loaders from taking the same store's batches.
A lease can: a small file under ``<url>/leases/<name>/``, named by its generation::

    <url>/leases/source-seoul_news/000007   {"pid": …, "host": …, "since": …, "run": …,
                                              "expires": "2026-12-07T21:05:00+00:00",
                                              "machine": …, "token": …}

The newest generation says who holds the name. Why one holder at a time, whatever fails:

* a generation is written once and never changed, and created only if it does not exist (S3's
  ``If-None-Match``, ``O_EXCL`` on a disk): of two machines taking the same generation, one
  wins. A create refused because an earlier try of the same create landed (a retried request)
  is known by its token, and counts as won;
* a lease is taken only when the newest generation has ended (or there is none), and renewed
  by its holder taking the next generation, only while the newest is still its own;
* after every create the taker lists the generations again: one newer than its own means a
  taker that read the store earlier re-created an old, deleted generation number (it stalled,
  or its network was away), and that taker gives way. So the holder is always the newest;
* a holder that dies stops renewing: its lease ends after ``seconds`` and the next taker takes
  the next generation. On the holder's own machine (the same boot and process namespace) a
  lease whose process is gone has ended at once;
* releasing writes the next generation as already ended: the name is free at once;
* a record that cannot be read yet (a creator killed while writing it) holds for ``seconds``
  after it was written; a store that refuses to be read is an error, never a free name.

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
from enum import Enum
from pathlib import Path
from typing import Any

from cityradar.locks import Holder, describe_holder
from cityradar.shared_staging import SharedStaging, create_only, is_local, reason

LEASES = "leases"
_WIDTH = 6  # digits of a generation's file name: they sort as numbers
# seconds a run's end waits for its leases to be given up (a lease not given up ends by itself)
RELEASE_BUDGET = 10.0


class LeaseError(RuntimeError):
    """The store could not be read or written for a lease; the message says which and why."""


class LeaseTaken(RuntimeError):
    """Another holder's lease on the name has not ended."""

    def __init__(self, name: str, holder: Holder | None) -> None:
        self.name, self.holder = name, holder
        self.who = describe_holder(holder)
        super().__init__(f"{name} is held by {self.who}")


class LeaseLost(RuntimeError):
    """The lease is no longer the holder's: another took the name after it ended."""


@dataclass(frozen=True)
class Lease:
    """A lease held: its name, its generation, whose it is and until when."""

    name: str
    generation: int
    holder: Holder
    expires: datetime
    token: str  # written in the generation's record: this create's, and no other's


class _Unread(Enum):
    """What stands for a record that could not be read."""

    GONE = "gone"  # deleted: a newer generation was taken
    UNREADABLE = "unreadable"  # there, but not a record (being written, or broken)


Record = dict[str, Any] | _Unread


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
            LeaseTaken: another holder's lease has not ended (or it took it just now).
            LeaseError: the store could not be read or written.
        """
        generation, record = self._newest(name)
        if generation and self._holds(name, generation, record):
            raise LeaseTaken(name, _holder(record))
        holder = Holder(os.getpid(), socket.gethostname(), _now_text(), run)
        lease = self._create(name, generation + 1, holder, self.seconds)
        self._confirm(lease)
        self._forget_before(name, lease.generation)
        return lease

    def renew(self, lease: Lease) -> Lease:
        """Hold ``lease`` for another ``seconds``: the next generation, taken by its holder
        while the newest is still its own.

        Raises:
            LeaseLost: another holder took the name.
            LeaseError: the store could not be read or written; the lease holds until it ends.
        """
        generation, record = self._newest(lease.name)
        if generation != lease.generation or not _is(record, lease.token):
            who = describe_holder(_holder(record)) if generation else "nobody"
            raise LeaseLost(f"the lease on {lease.name} ended and is now held by {who}")
        try:
            renewed = self._create(lease.name, generation + 1, lease.holder, self.seconds)
            self._confirm(renewed)
        except LeaseTaken as taken:
            raise LeaseLost(
                f"the lease on {lease.name} ended and is now held by {taken.who}"
            ) from None
        self._forget_before(lease.name, renewed.generation)
        return renewed

    def release(self, lease: Lease) -> None:
        """Give the lease up: the next generation, written as already ended. Nothing to do when
        another holder has it; a store that refuses only delays the next taker until the lease
        ends by itself."""
        with suppress(LeaseTaken, LeaseError):
            ended = self._create(lease.name, lease.generation + 1, lease.holder, 0.0)
            self._forget_before(lease.name, ended.generation)

    def holder_of(self, name: str) -> Holder | None:
        """Who holds the lease on ``name`` now (None when nobody does)."""
        generation, record = self._newest(name)
        if not generation or not self._holds(name, generation, record):
            return None
        return _holder(record)

    def _holds(self, name: str, generation: int, record: Record) -> bool:
        """Whether a generation still holds: until its record's end (unless its process died
        on this machine); a record not yet readable, for ``seconds`` after it was written."""
        if isinstance(record, dict):
            return not _expired(record) and not _died_here(record)
        if record is _Unread.GONE:  # a newer generation exists, which the taker's create meets
            return False
        try:
            written = self.fs.modified(self._path(name, generation))
        except FileNotFoundError:
            return False
        except Exception as exc:
            raise self._unreadable(name, exc) from None
        if written.tzinfo is None:
            written = written.replace(tzinfo=UTC)
        return written + timedelta(seconds=self.seconds) > datetime.now(UTC)

    def _create(self, name: str, generation: int, holder: Holder, seconds: float) -> Lease:
        """Create one generation, only if no one else did; the lease it is.

        Raises:
            LeaseTaken: another taker created it first.
            LeaseError: the store could not be written.
        """
        expires = datetime.now(UTC) + timedelta(seconds=seconds)
        token = uuid.uuid4().hex
        record = {
            **asdict(holder),
            "expires": expires.isoformat(),
            "machine": _machine(),
            "token": token,
        }
        lease = Lease(name, generation, holder, expires, token)
        try:
            if is_local(self.fs):  # a disk's folder must exist; an object store has none
                self.fs.makedirs(f"{self.root}/{LEASES}/{name}", exist_ok=True)
            create_only(self.fs, self._path(name, generation), json.dumps(record).encode())
        except FileExistsError:
            existing = self._read(name, generation)
            if _is(existing, token):  # a retried request, after the first had landed
                return lease
            raise LeaseTaken(name, _holder(existing)) from None
        except Exception as exc:
            if "ConditionalRequestConflict" in str(exc):  # S3: another create of it under way
                raise LeaseTaken(name, None) from None
            raise LeaseError(
                f"could not take the lease on {name} at {self.url}: {reason(exc)}"
            ) from None
        return lease

    def _confirm(self, lease: Lease) -> None:
        """Give way when a newer generation than ``lease`` exists: its own number was an old one,
        created again from a stale view of the store.

        Raises:
            LeaseTaken: a newer generation holds the name (``lease``'s file is deleted).
        """
        newer = [g for g in self._generations(lease.name) if g > lease.generation]
        if not newer:
            return
        with suppress(Exception):
            self.fs.rm_file(self._path(lease.name, lease.generation))
        record = self._read(lease.name, max(newer))
        raise LeaseTaken(lease.name, _holder(record))

    def _newest(self, name: str) -> tuple[int, Record]:
        """The newest generation of ``name`` (0 when there is none) and its record."""
        generations = self._generations(name)
        if not generations:
            return 0, _Unread.GONE
        newest = max(generations)
        return newest, self._read(name, newest)

    def _generations(self, name: str) -> list[int]:
        """The generations of ``name`` on the store, as listed now."""
        folder = f"{self.root}/{LEASES}/{name}"
        try:
            self.fs.invalidate_cache(folder)  # another machine may have written since
            names = self.fs.ls(folder, detail=False) if self.fs.exists(folder) else []
        except Exception as exc:
            raise self._unreadable(name, exc) from None
        tails = (path.rsplit("/", 1)[-1] for path in names)
        return [int(tail) for tail in tails if tail.isdigit()]

    def _read(self, name: str, generation: int) -> Record:
        """A generation's record, or why there is none.

        Raises:
            LeaseError: the store refused to be read (a name never counts as free for that).
        """
        try:
            data = self.fs.cat_file(self._path(name, generation))
        except FileNotFoundError:
            return _Unread.GONE
        except Exception as exc:
            raise self._unreadable(name, exc) from None
        try:
            record = json.loads(data)
        except ValueError:
            return _Unread.UNREADABLE
        return record if isinstance(record, dict) else _Unread.UNREADABLE

    def _forget_before(self, name: str, generation: int) -> None:
        """Delete the generations before ``generation`` (their holders are gone or renewed)."""
        try:
            for old in self._generations(name):
                if old < generation:
                    self.fs.rm_file(self._path(name, old))
        except Exception:  # old generations only take space; the next take deletes them
            return

    def _unreadable(self, name: str, exc: BaseException) -> LeaseError:
        """The error of a lease the store would not let us read, in one line."""
        return LeaseError(f"could not read the lease on {name} at {self.url}: {reason(exc)}")

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
        create_only(fs, probe, b"1")
        try:
            create_only(fs, probe, b"2")
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
    remembers, one line each, any it lost: taken by another holder, or not renewed before it
    ended (the store was away)."""

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
        """Renew every lease held (the store's calls made outside the guard, so a slow store
        does not hold up ``take``)."""
        with self._guard:
            due = list(self.held.values())
        for lease in due:
            try:
                renewed: Lease | None = self.leases.renew(lease)
                line = None
            except LeaseLost as exc:
                renewed, line = None, str(exc)
            except LeaseError as exc:
                if datetime.now(UTC) < lease.expires:
                    continue  # the store is away: try again next time, before it ends
                renewed = None
                line = f"the lease on {lease.name} ended before it could be renewed: {exc}"
            with self._guard:
                released = self.held.get(lease.name) is not lease
                if not released and renewed is not None:
                    self.held[lease.name] = renewed
                elif not released:
                    del self.held[lease.name]
                    self.lost.append(line or "")
            if released and renewed is not None:  # given up while this renewal was under way
                self.leases.release(renewed)

    def release_all(self, budget: float = RELEASE_BUDGET) -> None:
        """Stop renewing and give every lease up, at once and in parallel, waiting ``budget``
        seconds at most (a lease not given up by then ends by itself)."""
        self._stop.set()
        with self._guard:
            leases, self.held = list(self.held.values()), {}
        givers = [
            threading.Thread(target=self.leases.release, args=(lease,), daemon=True)
            for lease in leases
        ]
        for giver in givers:
            giver.start()
        deadline = datetime.now(UTC) + timedelta(seconds=budget)
        for giver in givers:
            giver.join(timeout=max(0.0, (deadline - datetime.now(UTC)).total_seconds()))

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
        # a renewal under way gives its new generation up itself (renew_due): wait for it
        thread.join(timeout=RELEASE_BUDGET)


def _machine() -> str | None:
    """This machine's boot and process namespace, where a pid means one process (None where
    that cannot be known: then no lease is taken for dead before it ends)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = Path("/proc/self/ns/pid").stat().st_ino
    except OSError:
        return None
    return f"{boot}/{namespace}"


def _died_here(record: dict[str, Any]) -> bool:
    """Whether the holder was a process of this machine (same boot, same pid namespace: a
    hostname alone is shared by containers and cloned machines) that is gone: its lease holds
    nothing (a loader restarted after a crash need not wait for it to end)."""
    machine = _machine()
    if machine is None or record.get("machine") != machine:
        return False
    if not isinstance(record.get("pid"), int):
        return False
    try:
        os.kill(record["pid"], 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, under another user
        return False
    return False


def _is(record: Record, token: str) -> bool:
    """Whether a record is the one written with ``token``."""
    return isinstance(record, dict) and record.get("token") == token


def _expired(record: dict[str, Any]) -> bool:
    try:
        return datetime.fromisoformat(record["expires"]) <= datetime.now(UTC)
    except (KeyError, TypeError, ValueError):
        return True  # a record that says no end holds nothing


def _holder(record: Record) -> Holder | None:
    if not isinstance(record, dict):
        return None
    try:
        return Holder(
            pid=record["pid"], host=record["host"], since=record["since"], run=record.get("run")
        )
    except (KeyError, TypeError):
        return None


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
