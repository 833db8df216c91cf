"""Progress bars for the CLI: the sink that draws what flows report (see cityradar.progress)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from cityradar.progress import ProgressSink, shown_with


class RichBars:
    """Draws one bar per piece of work on stderr; a bar without a total is a spinner."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}", style="dim"),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()  # tasks report from the flow's worker threads

    def start(self, key: str, description: str, total: int | None) -> None:
        """A new bar (or spinner, without a total)."""
        with self._lock:
            self._tasks[key] = self._progress.add_task(description, total=total, note="")

    def advance(self, key: str, steps: int = 1, note: str | None = None) -> None:
        """Move a bar on, showing what was just done."""
        with self._lock:
            task = self._tasks.get(key)
            if task is not None:
                self._progress.update(task, advance=steps, note=note or "")

    def finish(self, key: str) -> None:
        """Complete a bar (a spinner stops)."""
        with self._lock:
            task = self._tasks.pop(key, None)
            if task is not None:
                total = self._progress.tasks[task].total
                completed = total if total is not None else 1
                self._progress.update(task, total=completed, completed=completed)

    @contextmanager
    def live(self) -> Iterator[None]:
        """Draw while the block runs."""
        with self._progress:
            yield


@contextmanager
def progress_bars(enabled: bool = True) -> Iterator[ProgressSink | None]:
    """Show flows' progress as bars on a terminal; elsewhere (pipes, CI, tests) nothing."""
    console = Console(stderr=True)
    if not (enabled and console.is_terminal):
        yield None
        return
    bars = RichBars(console)
    with bars.live(), shown_with(bars):
        yield bars
