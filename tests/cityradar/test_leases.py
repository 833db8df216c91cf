"""Leases on the shared store, on a real S3-compatible server (moto's) on 127.0.0.1 and on a
local folder: one holder at a time, even when machines race; a holder that dies frees the name
when its lease runs out (at once on its own machine); a renewal that came too late knows it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import fsspec.config
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from cityradar.leases import (
    LeaseError,
    LeaseKeeper,
    LeaseLost,
    Leases,
    LeaseTaken,
    _machine,
    check_exclusive_create,
    keeping,
    store_leases,
)
from cityradar.shared_staging import SharedStaging, open_shared_staging
from tests.helpers.network import free_port
from tests.helpers.s3 import S3Server, s3_server, use_endpoint


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture(params=["s3", "folder"])
def store(request, tmp_path, monkeypatch) -> SharedStaging:
    """A store of its own per test: a prefix on the S3 server, or a local folder."""
    if request.param == "s3":
        s3 = request.getfixturevalue("s3")
        use_endpoint(monkeypatch, s3.endpoint)
        url = s3.url(request.node.name.replace("[", "-").rstrip("]"))
    else:
        url = f"file://{tmp_path / 'store'}"
    shared = open_shared_staging(url)
    assert shared is not None
    return shared


def leases_of(store: SharedStaging, seconds: float = 60.0) -> Leases:
    return store_leases(store, seconds)


def plant(store: SharedStaging, name: str, generation: int, **record) -> None:
    """A lease written by another machine (its host and pid are not ours)."""
    record = {"pid": 4242, "host": "crawl-b", "since": "2026-12-07T20:00:00Z", **record}
    path = f"{store.root}/leases/{name}/{generation:06d}"
    store.fs.makedirs(f"{store.root}/leases/{name}", exist_ok=True)
    store.fs.pipe_file(path, json.dumps(record).encode())


def in_a_minute() -> str:
    return (datetime.now(UTC) + timedelta(minutes=1)).isoformat()


@pytest.mark.slow
def test_a_lease_is_held_by_one_holder_until_released(store):
    leases = leases_of(store)
    lease = leases.take("source-seoul_news", run="run-a")
    with pytest.raises(LeaseTaken) as taken:
        leases.take("source-seoul_news")
    assert f"process {os.getpid()} on " in taken.value.who
    assert "flow run run-a" in taken.value.who
    assert leases.take("source-busan_ilbo").generation == 1  # names are apart
    leases.release(lease)
    assert leases.holder_of("source-seoul_news") is None
    assert leases.take("source-seoul_news").generation == 3  # after the ended one (2)


@pytest.mark.slow
def test_another_machines_lease_holds_until_it_runs_out_then_the_next_generation_is_taken(store):
    leases = leases_of(store)
    plant(store, "source-seoul_news", 3, expires=in_a_minute())
    with pytest.raises(LeaseTaken, match="process 4242 on crawl-b"):
        leases.take("source-seoul_news")
    plant(store, "source-seoul_news", 4, expires=datetime.now(UTC).isoformat())  # ran out
    lease = leases.take("source-seoul_news")
    assert lease.generation == 5
    generations = store.fs.ls(f"{store.root}/leases/source-seoul_news", detail=False)
    assert [g.rsplit("/", 1)[-1] for g in generations] == ["000005"]  # the dead ones deleted


@pytest.mark.slow
def test_a_renewal_that_comes_after_another_holder_took_over_is_told_it_lost(store):
    leases = leases_of(store, seconds=0.5)
    lease = leases.take("loader")
    time.sleep(0.7)  # the holder stalled past its lease
    plant(store, "loader", lease.generation + 1, expires=in_a_minute())  # taken elsewhere
    with pytest.raises(LeaseLost, match="process 4242 on crawl-b"):
        leases.renew(lease)


@pytest.mark.slow
def test_a_kept_lease_is_renewed_and_outlives_its_length(store):
    leases = leases_of(store, seconds=1.5)
    with keeping(leases) as keeper:
        keeper.take("source-seoul_news")
        time.sleep(3.5)  # more than twice the lease's length
        with pytest.raises(LeaseTaken):
            leases.take("source-seoul_news")
        assert keeper.held["source-seoul_news"].generation >= 3  # renewed, not just old
        assert keeper.lost == []
    assert leases.holder_of("source-seoul_news") is None  # released when the block ended


@pytest.mark.slow
def test_machines_racing_for_one_lease_get_one_holder(store):
    leases = leases_of(store)
    leases.release(leases.take("source-seoul_news"))  # free again, as after any crawl
    winners, losers = [], []
    start = threading.Barrier(6)

    def race() -> None:
        start.wait()
        try:
            winners.append(leases.take("source-seoul_news"))
        except LeaseTaken:
            losers.append(1)

    threads = [threading.Thread(target=race) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert len(losers) == 5


HOLD_AND_WAIT = """
import sys, time
from cityradar.leases import Leases
from cityradar.shared_staging import open_shared_staging
leases = Leases(open_shared_staging(sys.argv[1]).fs, open_shared_staging(sys.argv[1]).root,
                sys.argv[1], seconds=600)
leases.take("loader")
print("held", flush=True)
time.sleep(600)
"""


def test_a_lease_whose_process_died_on_this_machine_is_free_at_once(tmp_path):
    url = f"file://{tmp_path / 'store'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        store = open_shared_staging(url)
        assert store is not None
        leases = leases_of(store, seconds=600)
        with pytest.raises(LeaseTaken, match=f"process {holder.pid} "):
            leases.take("loader")
        os.kill(holder.pid, signal.SIGKILL)  # a loader killed mid-merge: no release
        holder.wait()
        # its lease has 10 minutes to run, but its process is gone from this machine
        assert leases.take("loader").generation == 2
    finally:
        holder.kill()
        holder.wait()


def test_a_lease_file_left_unreadable_holds_for_one_lease_length(tmp_path):
    store = open_shared_staging(f"file://{tmp_path / 'store'}")
    assert store is not None
    store.fs.makedirs(f"{store.root}/leases/loader", exist_ok=True)
    store.fs.pipe_file(f"{store.root}/leases/loader/000001", b"")  # killed while writing it
    with pytest.raises(LeaseTaken, match="another process"):
        leases_of(store, seconds=60).take("loader")
    assert leases_of(store, seconds=0.0).take("loader").generation == 2  # its time is past


class OverwritingStore(MemoryFileSystem):
    """An fsspec driver that ignores exclusive writes (writes over the file instead)."""

    protocol = "overwriting"

    def _open(self, path, mode="rb", **kwargs):
        return super()._open(path, mode.replace("x", "w"), **kwargs)


def test_a_store_that_cannot_refuse_a_second_create_cannot_hold_leases():
    fs = OverwritingStore()
    with pytest.raises(LeaseError, match="overwrote a file it was asked to create only if absent"):
        check_exclusive_create(fs, "/staging", "overwriting://staging")
    assert fs.find("/staging") == []  # the probe is gone


def test_a_store_that_cannot_be_reached_is_a_one_line_lease_error(monkeypatch):
    use_endpoint(monkeypatch, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    # one try each (the clients' own retries would take ~15 s to say the same)
    monkeypatch.setitem(fsspec.config.conf["s3"], "config_kwargs", {"retries": {"max_attempts": 1}})
    monkeypatch.setitem(fsspec.config.conf["s3"], "retries", 1)
    store = open_shared_staging("s3://cityradar-nowhere/staging")
    assert store is not None
    with pytest.raises(LeaseError) as error:
        check_exclusive_create(store.fs, store.root, store.url)
    assert str(error.value).startswith(
        "could not write a lease at s3://cityradar-nowhere/staging: "
    )
    assert "\n" not in str(error.value)


class Wrapped:
    """A machine's view of a real store, with some of its calls changed."""

    def __init__(self, fs, **calls) -> None:
        self._fs, self._calls = fs, calls

    def __getattr__(self, name):
        return self._calls.get(name) or getattr(self._fs, name)


def on_a_folder(tmp_path) -> SharedStaging:
    store = open_shared_staging(f"file://{tmp_path / 'store'}")
    assert store is not None
    return store


def test_a_taker_that_read_the_store_before_others_came_and_went_gives_way(tmp_path):
    store = on_a_folder(tmp_path)
    others = Leases(store.fs, store.root, store.url, seconds=60)
    others.release(others.take("source-x"))  # an earlier run: generations 1 and 2
    holder = {}

    class Stalled(Leases):
        def _newest(self, name):
            found = super()._newest(name)  # generation 2, ended: free
            # while this taker stalls, another run takes and ends the name, and a third takes it
            others.release(others.take(name))  # 3 and 4
            holder["lease"] = others.take(name)  # 5 (4 and before deleted)
            return found

    with pytest.raises(LeaseTaken) as taken:  # its 3 was deleted, so it could be created again
        Stalled(store.fs, store.root, store.url, seconds=60).take("source-x")
    assert taken.value.holder is not None
    assert holder["lease"].generation == 5
    assert others.holder_of("source-x") is not None
    generations = store.fs.ls(f"{store.root}/leases/source-x", detail=False)
    assert [g.rsplit("/", 1)[-1] for g in generations] == ["000005"]  # its 3 taken back


def test_a_holder_whose_store_was_away_past_its_lease_finds_it_lost_not_taken_back(tmp_path):
    store = on_a_folder(tmp_path)
    away = threading.Event()

    def unless_away(call):
        def maybe(*args, **kwargs):
            if away.is_set():
                raise ConnectionError("network unreachable")
            return call(*args, **kwargs)

        return maybe

    cut_off = Wrapped(
        store.fs, **{n: unless_away(getattr(store.fs, n)) for n in ("ls", "open", "cat_file")}
    )
    a = Leases(cut_off, store.root, store.url, seconds=1.5)  # machine A
    b = Leases(store.fs, store.root, store.url, seconds=60)  # machine B
    with keeping(a) as keeper:
        keeper.take("source-x")
        away.set()  # A's renewals fail until its lease has ended
        time.sleep(1.7)
        lease_b = b.renew(b.take("source-x"))  # B takes it (2) and renews (3, 2 deleted)
        away.clear()
        time.sleep(1.2)  # A's keeper tries again
        assert keeper.held == {}
        assert len(keeper.lost) == 1
    assert "the lease on source-x ended" in keeper.lost[0]
    assert b.holder_of("source-x") == lease_b.holder
    generations = store.fs.ls(f"{store.root}/leases/source-x", detail=False)
    assert max(int(g.rsplit("/", 1)[-1]) for g in generations) == lease_b.generation


def test_a_store_that_refuses_to_be_read_is_an_error_not_a_free_name(tmp_path):
    store = on_a_folder(tmp_path)
    Leases(store.fs, store.root, store.url, seconds=300).take("source-x")

    def denied(*args, **kwargs):
        raise PermissionError("Access Denied")

    blind = Wrapped(store.fs, cat_file=denied, modified=denied)
    with pytest.raises(LeaseError, match=r"could not read the lease on source-x .*Access Denied"):
        Leases(blind, store.root, store.url, seconds=300).take("source-x")


def test_a_same_named_host_is_not_this_machine(tmp_path):
    """Containers and cloned machines share a hostname; a pid means nothing across them."""
    store = on_a_folder(tmp_path)
    dead_pid = 4_000_000  # beyond Linux's pid_max: no such process here
    plant(store, "loader", 1, host=socket.gethostname(), pid=dead_pid, expires=in_a_minute())
    with pytest.raises(LeaseTaken):
        leases_of(store).take("loader")
    plant(store, "loader", 2, pid=dead_pid, machine=_machine(), expires=in_a_minute())
    assert leases_of(store).take("loader").generation == 3  # this machine's, and dead


def test_a_create_refused_because_its_own_retried_request_landed_counts_as_taken(tmp_path):
    store = on_a_folder(tmp_path)

    def lands_then_times_out(path, mode="rb", **kwargs):
        """S3 stored the first PUT, its answer was lost, the client's retry got 412."""
        if "x" in mode:
            return _LandsThenRefused(store.fs, path)
        return store.fs.open(path, mode, **kwargs)

    leases = Leases(Wrapped(store.fs, open=lands_then_times_out), store.root, store.url, 60)
    lease = leases.take("source-x")
    assert lease.generation == 1
    assert leases.holder_of("source-x") == lease.holder


class _LandsThenRefused:
    def __init__(self, fs, path) -> None:
        self._fs, self._path = fs, path

    def __enter__(self):
        return self

    def write(self, data: bytes) -> None:
        self._fs.pipe_file(self._path, data)
        raise FileExistsError(self._path)

    def __exit__(self, *exc) -> None:
        return None


def test_an_s3_conflict_between_two_creates_is_a_taken_lease(tmp_path):
    store = on_a_folder(tmp_path)

    def conflict(path, mode="rb", **kwargs):
        if "x" in mode:
            raise OSError(
                "An error occurred (ConditionalRequestConflict) when calling the PutObject "
                "operation: A conflicting conditional operation is currently in progress"
            )
        return store.fs.open(path, mode, **kwargs)

    with pytest.raises(LeaseTaken):
        Leases(Wrapped(store.fs, open=conflict), store.root, store.url, 60).take("source-x")


def test_giving_leases_up_never_waits_longer_than_its_budget_on_a_hung_store(tmp_path):
    store = on_a_folder(tmp_path)
    hung, answered = threading.Event(), threading.Event()
    leases = Leases(store.fs, store.root, store.url, seconds=60)
    keeper = LeaseKeeper(leases)
    keeper.take("source-x")
    keeper.take("source-y")

    def hangs(path, mode="rb", **kwargs):
        hung.set()
        answered.wait(30)  # a store that stopped answering
        return store.fs.open(path, mode, **kwargs)

    keeper.leases = Leases(Wrapped(store.fs, open=hangs), store.root, store.url, seconds=60)
    keeper.release_all(budget=0.5)
    assert hung.is_set()
    assert not answered.is_set()  # returned while the store still hung
    assert keeper.held == {}
    answered.set()
