"""Give memory the process has freed back to the operating system."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import lru_cache


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None  # glibc only


def return_freed_memory() -> None:
    """Collect garbage, then ask glibc to hand its free pages back (a no-op elsewhere).

    A large model freed inside a long process otherwise stays in the process's heap: resident,
    counted against it, but usable only by that process.
    """
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
