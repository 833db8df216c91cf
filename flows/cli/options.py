"""Options several commands share, so each is spelled and explained once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# where `cityradar demo` puts its data unless told otherwise
DEMO_DIR = Path("data/demo")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file [default: CITYRADAR_DB or data/cityradar.duckdb]"),
]
SourcesOption = Annotated[
    Path | None,
    typer.Option("--sources", help="source registry [default: CITYRADAR_SOURCES or sources.yaml]"),
]
WeekOption = Annotated[
    str | None, typer.Option("--week", help="ISO week YYYY-Www [default: the last complete week]")
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="folder for the digest files [default: digests/ beside the --db]"),
]
SendOption = Annotated[bool, typer.Option("--send", help="deliver by SMTP (CITYRADAR_SMTP_*)")]
ToOption = Annotated[
    list[str] | None,
    typer.Option("--to", help="recipient (repeatable), instead of the recipients file"),
]
