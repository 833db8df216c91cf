"""The `cityradar` command line: thin wrappers around the flows, with readable summaries.

One module per command group, put together in flows/cli/app.py (the list of every command):

- ``ingest``: ingest, backfill, serve, run, demo (the commands that crawl and load);
- ``digest``: digest;
- ``sources``: sources list | add | check;
- ``analyst``: classify, reclassify, label, search, export, snapshot;
- ``evaluation``: eval, train, grow.

Beside them: ``errors`` (the one error type, and the one place that turns a failure into an
``error: …`` line and its exit status, flows/exits.py), ``session`` (what this process is: the
command itself or a test, --verbose, the run's log file, plain runs), ``checks`` (configuration
checked before a flow starts), ``options`` (the options several commands share) and ``report``
(the summaries printed after a run).

Imports inside functions, throughout this package: each command imports what it uses when it
runs, so a command starts fast. ``--help``, ``sources list`` or ``search`` must not pay for the
flows and Prefect (seconds), nor Scrapy, DuckDB or the tagger's models when they do not use them;
tests/flows/test_cli_process.py checks it and ``make bench-startup`` times it
(docs/performance.md). Only typer, flows.exits and this package are imported at the top.
"""

from flows.cli.app import app, main

__all__ = ["app", "main"]
