"""What a command checks before it starts: the configuration a flow needs, the warehouse it reads.

A configuration mistake then costs no crawl and prints one line naming the field, instead of a
flow-run traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from flows import exits
from flows.cli.errors import CommandError
from flows.cli.options import DEMO_DIR


def check_config(
    registry: bool = False,
    sources: Path | None = None,
    digest: bool = False,
    recipients: Path | None = None,
    to: list[str] | None = None,
    send: bool = False,
    warehouse: Path | None = None,
) -> None:
    """Validate settings, the registry, the recipients and the warehouse's place before a flow
    starts (``warehouse``: the --db of a command that loads; None for the setting's)."""
    from cityradar.settings import Settings

    settings = Settings()
    if registry:  # as flows.ingest.read_registry does, without importing the flows yet
        from cityradar.registry import load_sources
        from transforms.vocabularies import place_names

        load_sources(sources or settings.sources, known_cities=place_names())
        where = warehouse or settings.db_path
        problem = _unusable_folder(where)
        if problem:
            raise CommandError(
                f"the warehouse {where} cannot be made: {problem}; "
                "give --db (or CITYRADAR_DB) a path in a folder you can write",
                exits.CONFIG,
            )
    if digest:
        from flows.weekly_digest import choose_recipients

        choose_recipients(settings, to or None, recipients, send)


def _unusable_folder(path: Path) -> str | None:
    """Why the folder of ``path`` cannot be written or made, or None when it can."""
    probe = path.absolute().parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is a file, not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable"
    return None


def existing_db(db: Path | None) -> tuple[Path, float]:
    """The warehouse an analyst command reads, and how long to wait for its lock."""
    from cityradar.settings import Settings

    settings = Settings()
    path = db or settings.db_path
    if not path.exists():
        raise CommandError(f"no warehouse at {path}: run `cityradar ingest` first{demo_hint(path)}")
    return path, settings.db_lock_timeout


def warehouse_if_any(db: Path | None) -> Path | None:
    """The warehouse --db or the settings name, when one exists (its corrections feed training)."""
    from cityradar.settings import Settings

    path = db or Settings().db_path
    return path if path.exists() else None


def demo_hint(path: Path) -> str:
    """A pointer to the demo's warehouse when it exists and another one was read."""
    demo_db = DEMO_DIR / "cityradar.duckdb"
    if demo_db.exists() and demo_db.resolve() != path.resolve():
        return f" (the demo's warehouse is {demo_db}: add --db {demo_db})"
    return ""
