"""The command line's one error type, and the one place a failure becomes a line and a status.

A command raises ``CommandError`` for a failure it foresees itself; the failures other code raises
that the command line expects (a bad setting, a locked warehouse, an unreachable SMTP server…)
are named in flows/exits.py. ``reports_errors`` wraps every command so that either one ends it
with one plain ``error: …`` line and its exit status; anything else is a bug and propagates.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import typer

from flows import exits


class CommandError(Exception):
    """A failure a command expects: what to print after ``error:``, and its exit status."""

    def __init__(self, message: str, code: int = exits.FAILED) -> None:
        super().__init__(message)
        self.code = code


def reports_errors(command: Callable[..., Any], loads_batch: bool = False) -> Callable[..., Any]:
    """The command, ending on an expected failure with one ``error:`` line and its exit status.

    Args:
        command: a command's function (its signature and docstring stay Typer's to read).
        loads_batch: the command loads a batch (ingest, backfill, run, demo), so a warehouse that
            would not take it means nothing came in (flows/exits.py).
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        # an exit status, or a usage error Typer says itself (importing click would cost ~15 ms);
        # a reader that went away (`| head`): Click ends quietly, as a pipe's reader expects
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            raise
        except Exception as exc:
            error = as_command_error(exc, loads_batch)
            if error is None:
                raise  # a bug: flows/cli/session.py says it, its traceback in the run's log
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.code) from None

    return run


def as_command_error(exc: Exception, loads_batch: bool = False) -> CommandError | None:
    """``exc`` as a CommandError when the command line expects it (flows/exits.py); None for a bug.

    The detail (with its traceback) goes to the run's log file, where there is one.
    """
    if isinstance(exc, CommandError):
        return exc
    known = exits.expected(exc, loading=loads_batch)
    if known is None:
        return None
    logging.getLogger("cityradar.cli").info("stopped: %s", exc, exc_info=exc)
    code, message = known
    return CommandError(message, code)
