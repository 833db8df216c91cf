"""Named locks: who holds one is said, a killed holder frees it, a waiter gets it when released."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from cityradar.locks import LockTaken, current_holder, held, lock_path

HOLD = """
import sys, time
from pathlib import Path
from cityradar.locks import held
with held(Path(sys.argv[1]), run="run-42"):
    print("held", flush=True)
    time.sleep(60)
"""


def hold_in_child(path):
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "held"
    return child


@pytest.mark.slow  # a system test: it starts another process
def test_a_taken_lock_names_its_holder_and_a_killed_holder_frees_it(tmp_path):
    path = lock_path(tmp_path / "staging", "source-seoul_news")
    child = hold_in_child(path)
    try:
        with pytest.raises(LockTaken) as taken, held(path):
            pass
        assert taken.value.holder.pid == child.pid
        assert str(taken.value).startswith(f"source-seoul_news is held by process {child.pid} on ")
        assert str(taken.value).endswith(", flow run run-42")
    finally:
        os.kill(child.pid, signal.SIGKILL)  # no clean-up: the OS lock goes with the process
        child.wait()
    with held(path) as holder:
        assert current_holder(path) == holder
        assert holder.pid == os.getpid()
    assert current_holder(path) is None


def test_a_waiter_is_told_who_holds_the_lock_and_gets_it_on_release(tmp_path):
    path = lock_path(tmp_path, "load")
    released = threading.Event()
    seen = []

    def first():
        with held(path, run="first"):
            released.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.2)
    threading.Timer(0.5, released.set).start()
    started = time.monotonic()
    with held(path, wait=10, on_wait=seen.append, run="second") as holder:
        assert holder.run == "second"
    thread.join()
    assert [h.run for h in seen] == ["first"]
    assert 0.2 < time.monotonic() - started < 5


def test_waiting_in_vain_says_how_long(tmp_path):
    path = lock_path(tmp_path, "load")
    taken = pytest.raises(LockTaken, match="was not released within 1 s")
    with held(path), taken, held(path, wait=1):
        pass
