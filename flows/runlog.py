"""Where a command's log goes: all of it to the run's log file, a calm line to the terminal.

The run's log file (``DATA_DIR/logs/<UTC time>-<command>.log``) keeps every record at INFO and
above with its traceback, Prefect's own included. The terminal gets one plain line per warning
or error and never a traceback, because an expected failure is already said in one ``error:``
line by the command, and what a run's steps log (each source's crawl, each digest) is in the
summary the command prints. ``--verbose`` shows all of it on the terminal, tracebacks too.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

# loggers whose records the command's own output already tells (the flows' run loggers, the
# command's notes of why it stopped), Prefect's own engine talking, and library warnings: the log
# file has them, the terminal only with --verbose
FILE_ONLY = ("cityradar.flows", "cityradar.cli", "prefect", "py.warnings")

FILE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class TerminalHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (progress bars swap it while they draw)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass  # always the current sys.stderr


class PlainLine(logging.Formatter):
    """``warning: <message>`` on one line; the traceback only when ``verbose``."""

    def __init__(self, verbose: bool) -> None:
        super().__init__("%(levelname)s: %(message)s")
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        """The record's line (the record itself is left as it was for the other handlers)."""
        if self.verbose:
            return super().format(record)
        saved = record.exc_info, record.exc_text, record.stack_info, record.levelname
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        record.levelname = record.levelname.lower()
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info, record.levelname = saved
        return " ".join(line.split("\n")[:1]) if line else line


class Calm(logging.Filter):
    """Lets through to the terminal what the command's own output does not already say."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the records of the FILE_ONLY loggers."""
        return not any(
            record.name == name or record.name.startswith(name + ".") for name in FILE_ONLY
        )


def start_run_log(data_dir: Path, command: str, verbose: bool = False) -> Path | None:
    """Send this process's logging to the run's log file and, calmly, to the terminal.

    Call it before Prefect is imported: Prefect leaves a root logger that already has handlers
    as it is. Returns the log file (None when its folder cannot be written: the terminal alone).
    """
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):  # a second run in one process (tests) starts afresh
        if isinstance(handler, TerminalHandler | RunFileHandler):
            root.removeHandler(handler)
            handler.close()
    terminal = TerminalHandler()
    terminal.setLevel(logging.INFO if verbose else logging.WARNING)
    terminal.setFormatter(PlainLine(verbose))
    if not verbose:
        terminal.addFilter(Calm())
    root.addHandler(terminal)
    path = _log_path(data_dir, command)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RunFileHandler(path)
    except OSError as exc:
        logging.getLogger(__name__).warning("no run log file at %s: %s", path, exc)
        return None
    root.addHandler(handler)
    logging.captureWarnings(True)  # library warnings go to the file, not the terminal
    return path


class RunFileHandler(logging.FileHandler):
    """The run's log file: every record with its traceback."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.setLevel(logging.INFO)
        self.setFormatter(logging.Formatter(FILE_FORMAT))


def _log_path(data_dir: Path, command: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return data_dir / "logs" / f"{stamp}-{command}.log"
