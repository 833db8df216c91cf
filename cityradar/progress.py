"""Progress of long work, reported by flows and drawn by whoever runs them.

Flows and tasks only call ``progress().start / advance / finish``. The CLI installs a sink that
draws progress bars on a terminal (``shown_with``); under a Prefect worker nothing is installed
and the calls cost nothing. Tasks run in threads of the same process, so one module-level sink
serves them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class ProgressSink(Protocol):
    """Where progress goes."""

    def start(self, key: str, description: str, total: int | None) -> None:
        """Begin a piece of work of ``total`` steps (None: unknown)."""

    def advance(self, key: str, steps: int = 1, note: str | None = None) -> None:
        """``steps`` more done; ``note`` says which (a source id)."""

    def finish(self, key: str) -> None:
        """The work is done."""


class _Silent:
    def start(self, key: str, description: str, total: int | None) -> None:
        pass

    def advance(self, key: str, steps: int = 1, note: str | None = None) -> None:
        pass

    def finish(self, key: str) -> None:
        pass


_sink: ProgressSink = _Silent()


def progress() -> ProgressSink:
    """The sink in use (silent unless someone shows progress)."""
    return _sink


@contextmanager
def shown_with(sink: ProgressSink) -> Iterator[ProgressSink]:
    """Send progress to ``sink`` for the block."""
    global _sink
    previous, _sink = _sink, sink
    try:
        yield sink
    finally:
        _sink = previous
