"""The `cityradar` app: every command, in the order ``--help`` lists them, and the entry point.

Each command is registered through ``reports_errors`` (flows/cli/errors.py), the one place an
expected failure becomes an ``error: …`` line and its exit status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from flows.cli import analyst, evaluation, ingest, sources
from flows.cli import digest as digest_commands
from flows.cli.errors import reports_errors
from flows.cli.session import main as run_app
from flows.cli.session import verbose_option

app = typer.Typer(
    help="cityradar: smart-city news and policy updates, tagged by city and focus area.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.callback()(verbose_option)
sources_app = typer.Typer(help="The source registry.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


def _command(
    group: typer.Typer,
    command: Callable[..., Any],
    name: str | None = None,
    loads_batch: bool = False,
) -> None:
    """Register ``command`` on ``group`` (``loads_batch``: see reports_errors)."""
    group.command(name)(reports_errors(command, loads_batch=loads_batch))


# ingest and run (flows/cli/ingest.py), the digest (flows/cli/digest.py)
_command(app, ingest.ingest, loads_batch=True)
_command(app, ingest.backfill, loads_batch=True)
_command(app, ingest.load_staged_command, name="load-staged", loads_batch=True)
_command(app, ingest.serve)
_command(app, digest_commands.digest)
_command(app, ingest.run, loads_batch=True)
_command(app, ingest.demo, loads_batch=True)
# the analyst's and the tagger's commands (flows/cli/analyst.py, flows/cli/evaluation.py)
_command(app, analyst.classify)
_command(app, analyst.reclassify)
_command(app, evaluation.train)
_command(app, evaluation.grow)
_command(app, analyst.label)
_command(app, analyst.search)
_command(app, analyst.export)
_command(app, analyst.snapshot)
_command(app, evaluation.evaluate_tags, name="eval")
# the source registry (flows/cli/sources.py)
_command(sources_app, sources.sources_list, name="list")
_command(sources_app, sources.sources_add, name="add")
_command(sources_app, sources.sources_test, name="test")
_command(sources_app, sources.sources_check, name="check")


def main() -> None:
    """Entry point of the `cityradar` command."""
    run_app(app)
