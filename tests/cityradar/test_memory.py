"""Freed memory goes back to the operating system."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityradar import memory

pytestmark = pytest.mark.skipif(memory._libc() is None, reason="needs glibc's malloc_trim")


def _resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_freed_heap_is_returned_once_asked():
    # 200 MiB of blocks small enough for malloc's heap (not its own mmap), freed all but one at
    # the top: glibc keeps such pages resident until malloc_trim gives them back
    blocks = [bytearray(64 * 1024) for _ in range(3200)]
    keep = bytearray(64 * 1024)
    before = _resident_mib()
    del blocks
    memory.return_freed_memory()
    after = _resident_mib()
    assert before - after > 150, (before, after)
    assert len(keep) == 64 * 1024
