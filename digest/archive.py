"""The digest archive: each digest written as .html (chart embedded), .txt and .eml.

A send run writes to digests/<week>/ beside the warehouse (or under ``--out``), a preview only to
digests/<week>/preview/, so a preview never replaces what was sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from digest.render import RenderedDigest
from digest.week import IsoWeek

# previews are written here, inside the week's folder: apart from the digests that were sent
PREVIEW_FOLDER = "preview"


@dataclass(frozen=True)
class Archived:
    """The files of one digest."""

    html: Path
    text: Path
    eml: Path


def digest_folder(db_path: Path, out_dir: Path | None, week: IsoWeek, preview: bool) -> Path:
    """The week's archive folder: under ``out_dir``, else digests/ beside the warehouse in use;
    its preview/ subfolder for a preview.

    Beside the warehouse, so the digests of another warehouse (the demo's, a test copy) never
    land in, or replace files of, the real archive.
    """
    folder = (out_dir or db_path.parent / "digests") / str(week)
    return folder / PREVIEW_FOLDER if preview else folder


def write_archive(
    digest: RenderedDigest, message: EmailMessage, folder: Path, name: str
) -> Archived:
    """Write the digest as <name>.html (chart embedded), .txt and .eml."""
    folder.mkdir(parents=True, exist_ok=True)
    files = Archived(folder / f"{name}.html", folder / f"{name}.txt", folder / f"{name}.eml")
    _write_whole(files.html, digest.standalone_html().encode("utf-8"))
    _write_whole(files.text, digest.text.encode("utf-8"))
    _write_whole(files.eml, message.as_bytes())
    return files


def file_name(address: str) -> str:
    """A file name for a recipient's digest: their address, made safe."""
    return re.sub(r"[^A-Za-z0-9@._-]+", "_", address.lower())


def _write_whole(path: Path, data: bytes) -> None:
    """Write a file so that it is either the old one or the new one, never half of each: a run
    killed mid-write must not leave a truncated .eml for the next send run to deliver."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
