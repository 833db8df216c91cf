"""Saved copies of stories' pages: where the digest links when a story's own URL will not last.

A ``saved-pages.json`` beside the warehouse maps story URLs to files in that folder. The demo
writes one: its sample server is gone once the demo ends, and its stories have no original on
the web. A story with a saved copy links to it (a file:// URL, resolved when the digest is made,
so the folder may move); every other story links to its own URL, as always.
"""

from __future__ import annotations

import json
from pathlib import Path

SAVED_PAGES = "saved-pages.json"


class SavedPagesError(ValueError):
    """The saved-pages file cannot be used; the message names it and says why."""


def saved_pages_file(db_path: Path) -> Path:
    """Where the saved-pages file of a warehouse is: beside it."""
    return db_path.parent / SAVED_PAGES


def write_saved_pages(path: Path, copies: dict[str, str]) -> None:
    """Write story URL -> saved file (a path relative to the file's folder)."""
    path.write_text(json.dumps(copies, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read_saved_pages(path: Path) -> dict[str, str]:
    """Story URL -> file:// URL of its saved copy; empty when there is no such file.

    An entry whose file is missing, or lies outside the file's folder, is left out: that story
    keeps its own URL. Raises SavedPagesError for a file that is not a JSON object of strings.
    """
    if not path.is_file():
        return {}
    try:
        copies = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SavedPagesError(f"{path}: not readable as JSON ({exc})") from None
    if not isinstance(copies, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in copies.items()
    ):
        raise SavedPagesError(f"{path}: expected an object of story URL -> saved file path")
    folder = path.parent.resolve()
    links = {}
    for url, relative in copies.items():
        saved = (folder / relative).resolve()
        if saved.is_relative_to(folder) and saved.is_file():
            links[url] = saved.as_uri()
    return links
