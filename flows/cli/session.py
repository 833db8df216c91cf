"""What this process is: the `cityradar` command itself or a test calling the app, and its run.

The command itself (``main``) hides Prefect's chatter, takes ``--verbose`` wherever it is typed,
runs flows plainly unless a Prefect server is configured (flows/engine.py), keeps the run's log
(flows/runlog.py) and says a bug in one line. A test calling the app gets none of that: its
harness owns Prefect and logging.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from flows import exits


@dataclass
class Session:
    """The process's state, set as the command starts."""

    command_line: bool = False  # this process is the `cityradar` command (not a test)
    verbose: bool = False
    run_log: Path | None = None  # the run's log file, once an orchestrating command started one


SESSION = Session()


def main(app: typer.Typer) -> None:
    """Run ``app`` as the `cityradar` command, from the process's arguments."""
    SESSION.command_line = True
    _quiet_prefect()
    args = _take_verbose(sys.argv[1:])
    try:
        app(args=args)
    except Exception as exc:  # every command reports what it expects (flows/cli/errors.py)
        _unexpected(exc)


def verbose_option(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            help="show every log line and traceback on the terminal (they are always in "
            "DATA_DIR/logs/); may also follow the command",
        ),
    ] = False,
) -> None:
    """The app's own option, before the command (``main`` takes it after the command too)."""
    SESSION.verbose = SESSION.verbose or verbose


def _take_verbose(args: list[str]) -> list[str]:
    """``--verbose`` anywhere before ``--`` counts (``cityradar ingest --verbose`` too)."""
    end = args.index("--") if "--" in args else len(args)
    if "--verbose" not in args[:end]:
        return args
    SESSION.verbose = True
    return [arg for n, arg in enumerate(args) if n >= end or arg != "--verbose"]


def _quiet_prefect() -> None:
    """Embedded Prefect: no telemetry calls to the internet, only warnings on the terminal."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _unexpected(exc: BaseException) -> None:
    """A failure nobody expected (a bug): one line, the traceback in the run's log."""
    if SESSION.run_log is None:
        raise exc  # no log file to keep the traceback: Python prints it
    logging.getLogger("cityradar.cli").error("unexpected failure", exc_info=exc)
    detail = "shown above" if SESSION.verbose else f"in {SESSION.run_log}"
    typer.echo(
        f"error: unexpected {type(exc).__name__}: {exc} (a bug in cityradar; the traceback is "
        f"{detail}: please report it)",
        err=True,
    )
    sys.exit(exits.FAILED)


def orchestrate(command: str) -> None:
    """Before a command that runs flows: plain runs unless a Prefect server is configured, and
    the run's log file (both only in the `cityradar` process itself, never in a test's)."""
    if not SESSION.command_line:
        return
    from flows import engine
    from flows.runlog import start_run_log

    engine.use_plain_runs()  # before any flow module is imported: see flows/engine.py
    from cityradar.settings import Settings

    # a bad setting raised here ends the command like any other (flows/cli/errors.py)
    SESSION.run_log = start_run_log(Settings().data_dir, command, SESSION.verbose)
    logging.getLogger("cityradar.cli").info(
        "cityradar %s (%s runs)",
        " ".join(sys.argv[1:]),
        "plain" if engine.plain_runs() else "Prefect",
    )


def warm_crawls() -> None:
    """Start the warm crawl server first thing: it imports Scrapy on one core while this process
    checks the configuration and imports the flows on the other (spiders/forkserver.py). Should
    the command stop early, the server ends by itself once it sees this process gone."""
    if not SESSION.command_line:  # a test calling the app: its crawls start the server when needed
        return
    from spiders.process import start_warm_server

    start_warm_server()


@contextmanager
def progress_bars() -> Iterator[Any]:
    """The flows' progress as bars on a terminal (imported when a command shows them)."""
    from flows.bars import progress_bars as bars

    with bars() as sink:
        yield sink
